/* Device nodes (mknod, or a bind of the host node in a user namespace), the
 * /dev symlinks and the /dev/ptmx -> pts/ptmx link. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"

static void bind_device(int rootfd, const struct dev *d)
{
	char fp[64];
	int fd = open_in_root(rootfd, d->path, P_MKFILE);
	if (fd < 0)
		die(errno, "create mountpoint for device \"%s\"", d->path);
	if (mount(d->bind, fdpath(fd, fp, sizeof(fp)), NULL, MS_BIND, NULL) < 0)
		die(errno, "bind mount device \"%s\" on \"%s\"", d->bind, d->path);
	close(fd);
}

static void make_node(int rootfd, const struct dev *d)
{
	char buf[PATH_MAX];
	const char *base;
	int dir = open_parent_in_root(rootfd, d->path, &base, buf, sizeof(buf));
	if (dir < 0)
		die(errno, "create the directory of device \"%s\"", d->path);
	if (d->type != S_IFCHR && d->type != S_IFBLK && d->type != S_IFIFO)
		die(EINVAL, "device \"%s\": type 0%o", d->path, d->type);
	if (mknodat(dir, base, (mode_t)(d->type | (d->mode & 07777)), makedev(d->major, d->minor)) < 0) {
		if (errno != EEXIST)
			die(errno, "mknod \"%s\"", d->path);
		close(dir);
		return; /* already there: leave it as is */
	}
	if (fchownat(dir, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		die(errno, "chown device \"%s\" to %u:%u", d->path, d->uid, d->gid);
	close(dir);
}

void create_devices(const struct plan *p, int rootfd)
{
	mode_t old = umask(0);
	for (size_t i = 0; i < p->ndevs; i++) {
		if (p->devs[i].bind != NULL)
			bind_device(rootfd, &p->devs[i]);
		else
			make_node(rootfd, &p->devs[i]);
	}
	umask(old);
}

static void make_link(int dir, const char *base, const char *target, const char *path)
{
	if (symlinkat(target, dir, base) == 0)
		return;
	int err = errno;
	if (err == EEXIST) {
		char cur[PATH_MAX];
		ssize_t n = readlinkat(dir, base, cur, sizeof(cur) - 1);
		if (n >= 0) {
			cur[n] = 0;
			if (strcmp(cur, target) == 0)
				return;
		}
	}
	die(err, "symlink \"%s\" -> \"%s\"", path, target);
}

void create_symlinks(const struct plan *p, int rootfd)
{
	char buf[PATH_MAX];
	const char *base;
	for (size_t i = 0; i < p->nlinks; i++) {
		const char *target = p->links[i].a, *path = p->links[i].b;
		int dir = open_parent_in_root(rootfd, path, &base, buf, sizeof(buf));
		if (dir < 0)
			die(errno, "create the directory of symlink \"%s\"", path);
		make_link(dir, base, target, path);
		close(dir);
	}
	if (p->devpts_ptmx) {
		int dir = open_in_root(rootfd, "/dev", P_MKDIR);
		if (dir < 0)
			die(errno, "open \"/dev\" in the rootfs");
		if (unlinkat(dir, "ptmx", 0) < 0 && errno != ENOENT)
			die(errno, "remove \"/dev/ptmx\"");
		make_link(dir, "ptmx", "pts/ptmx", "/dev/ptmx");
		close(dir);
	}
}
