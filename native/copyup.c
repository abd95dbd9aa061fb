/* Copy a directory tree from one directory fd to another: what a tmpfs mounted with
 * tmpcopyup starts with. Every step is relative to an fd and never follows a symlink,
 * so a rootfs that changes during the copy cannot send it anywhere else; files keep
 * their type, mode, owner and times. Sockets are skipped (they cannot be copied). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"

#define COPYUP_MAX_DEPTH 128

static void copy_file(int sfd, int dfd, const char *dest)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(sfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(errno, "tmpcopyup \"%s\": read", dest);
		if (n == 0)
			return;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(dfd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die(errno, "tmpcopyup \"%s\": write", dest);
			off += w;
		}
	}
}

/* Owner, mode (not for links) and times of `name` in dst, from st. */
static void copy_meta(int dst, const char *name, const struct stat *st, const char *dest)
{
	if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		die(errno, "tmpcopyup \"%s\": chown \"%s\"", dest, name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
		die(errno, "tmpcopyup \"%s\": chmod \"%s\"", dest, name);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		die(errno, "tmpcopyup \"%s\": set times of \"%s\"", dest, name);
}

static void copy_tree(int src, int dst, const char *dest, int depth)
{
	if (depth > COPYUP_MAX_DEPTH)
		die(ELOOP, "tmpcopyup \"%s\": more than %d directory levels", dest, COPYUP_MAX_DEPTH);
	/* src may be an O_PATH fd of a directory now covered by the new mount: "." stays
	 * on the covered directory, it does not cross into the mount. */
	int lfd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		die(errno, "tmpcopyup \"%s\": open the directory", dest);
	DIR *d = fdopendir(lfd);
	if (d == NULL)
		die(errno, "tmpcopyup \"%s\": read the directory", dest);
	rewinddir(d);
	struct dirent *e;
	while ((errno = 0, e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die(errno, "tmpcopyup \"%s\": stat \"%s\"", dest, name);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst, name, 0700) < 0)
				die(errno, "tmpcopyup \"%s\": mkdir \"%s\"", dest, name);
			int s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				die(errno, "tmpcopyup \"%s\": open directory \"%s\"", dest, name);
			copy_tree(s2, d2, dest, depth + 1);
			close(s2);
			close(d2);
		} else if (S_ISREG(st.st_mode)) {
			int s2 = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0)
				die(errno, "tmpcopyup \"%s\": open \"%s\"", dest, name);
			int d2 = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (d2 < 0)
				die(errno, "tmpcopyup \"%s\": create \"%s\"", dest, name);
			copy_file(s2, d2, dest);
			close(s2);
			close(d2);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
			if (n < 0)
				die(errno, "tmpcopyup \"%s\": readlink \"%s\"", dest, name);
			target[n] = 0;
			if (symlinkat(target, dst, name) < 0)
				die(errno, "tmpcopyup \"%s\": symlink \"%s\"", dest, name);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
			if (mknodat(dst, name, st.st_mode & S_IFMT, st.st_rdev) < 0)
				die(errno, "tmpcopyup \"%s\": mknod \"%s\"", dest, name);
		} else {
			continue; /* sockets */
		}
		copy_meta(dst, name, &st, dest);
	}
	if (errno != 0)
		die(errno, "tmpcopyup \"%s\": read the directory", dest);
	closedir(d);
}

void copy_up(int src, int dst, const char *dest)
{
	struct stat st;
	if (fstat(src, &st) < 0)
		die(errno, "tmpcopyup \"%s\": stat", dest);
	if (!S_ISDIR(st.st_mode))
		die(ENOTDIR, "tmpcopyup \"%s\": the destination is not a directory", dest);
	copy_tree(src, dst, dest, 0);
	/* The tmpfs's root takes the owner and mode of the directory it covers, as with runc. */
	if (fchownat(dst, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0)
		die(errno, "tmpcopyup \"%s\": chown", dest);
	char fp[64];
	fdpath(dst, fp, sizeof(fp));
	if (chmod(fp, st.st_mode & 07777) < 0)
		die(errno, "tmpcopyup \"%s\": chmod", dest);
}
