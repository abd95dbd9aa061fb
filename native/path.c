/* Path resolution that cannot leave the container's rootfs: openat2(RESOLVE_IN_ROOT)
 * from an O_PATH fd of the root, creating missing components one at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

static int openat2_resolve(int rootfd, const char *path, unsigned long long resolve)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	if (*path == 0)
		path = ".";
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd;
}

static int openat2_in_root(int rootfd, const char *path)
{
	return openat2_resolve(rootfd, path, 0);
}

int open_in_root_nosymlinks(int rootfd, const char *path)
{
	return openat2_resolve(rootfd, path, RESOLVE_NO_SYMLINKS);
}

const char *fdpath(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

#define MAX_LINKS 40

static int open_in_root_links(int rootfd, const char *path, int create, int links);

/* comp (in the directory cur, reached as prefix) is a symlink whose target does not
 * exist: resolve the rest of the path through the link's text, inside the root, as
 * runc does for a dangling link on a mount destination (/etc/resolv.conf ->
 * /run/systemd/resolve/stub-resolv.conf). Every lookup stays RESOLVE_IN_ROOT. */
static int follow_dangling(int rootfd, int cur, const char *comp, const char *prefix, size_t plen, const char *rest,
			   int create, int links)
{
	if (links >= MAX_LINKS) {
		errno = ELOOP;
		return -1;
	}
	char target[PATH_MAX];
	ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	char next[PATH_MAX];
	int len;
	if (target[0] == '/') {
		len = snprintf(next, sizeof(next), "%s%s%s", target, *rest ? "/" : "", rest);
	} else {
		size_t parent = plen;
		while (parent > 0 && prefix[parent - 1] != '/')
			parent--;
		len = snprintf(next, sizeof(next), "%.*s%s%s%s", (int)parent, prefix, target, *rest ? "/" : "", rest);
	}
	if (len < 0 || (size_t)len >= sizeof(next)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open_in_root_links(rootfd, next, create, links + 1);
}

int open_in_root(int rootfd, const char *path, int create)
{
	return open_in_root_links(rootfd, path, create, 0);
}

static int open_in_root_links(int rootfd, const char *path, int create, int links)
{
	int fd = openat2_in_root(rootfd, path);
	if (fd >= 0 || errno != ENOENT || create == P_NOCREATE)
		return fd;

	/* Walk the path: open each prefix inside the root, create what is missing
	 * relative to the (already safely resolved) parent. */
	char prefix[PATH_MAX];
	size_t plen = 0;
	int cur = openat2_in_root(rootfd, ".");
	if (cur < 0)
		return -1;
	const char *s = path;
	while (*s) {
		while (*s == '/')
			s++;
		if (*s == 0)
			break;
		const char *e = strchrnul(s, '/');
		size_t clen = (size_t)(e - s);
		const char *rest = e;
		while (*rest == '/')
			rest++;
		int last = *rest == 0;
		if (plen + 1 + clen + 1 > sizeof(prefix)) {
			close(cur);
			errno = ENAMETOOLONG;
			return -1;
		}
		prefix[plen++] = '/';
		memcpy(prefix + plen, s, clen);
		plen += clen;
		prefix[plen] = 0;

		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX) {
			close(cur);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, s, clen);
		comp[clen] = 0;

		fd = openat2_in_root(rootfd, prefix);
		if (fd < 0 && errno == ENOENT && strcmp(comp, "..") != 0 && strcmp(comp, ".") != 0) {
			int r;
			if (last && create == P_MKFILE) {
				r = openat(cur, comp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(cur, comp, 0755);
			}
			if (r < 0 && errno != EEXIST) {
				int err = errno;
				close(cur);
				errno = err;
				return -1;
			}
			struct stat lst;
			if (r < 0 && fstatat(cur, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
				/* It exists, but as a link that leads nowhere yet. */
				r = follow_dangling(rootfd, cur, comp, prefix, plen, rest, create, links);
				int err = errno;
				close(cur);
				errno = err;
				return r;
			}
			fd = openat2_in_root(rootfd, prefix);
		}
		int err = errno;
		close(cur);
		if (fd < 0) {
			errno = err;
			return -1;
		}
		cur = fd;
		s = e;
	}
	return cur;
}

int open_parent_in_root(int rootfd, const char *path, const char **base, char *buf, size_t buflen)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len + 1 > buflen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len);
	buf[len] = 0;
	char *slash = strrchr(buf, '/');
	const char *name = slash ? slash + 1 : buf;
	if (*name == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	/* base points into buf: NUL-terminated, without trailing slashes */
	*base = name;
	if (slash)
		*slash = 0;
	const char *dir = slash ? buf : ".";
	if (slash == buf)
		dir = "/";
	return open_in_root(rootfd, dir, P_MKDIR);
}
