/* Idmapped bind mounts (MOUNT_IDMAP) and recursive mount attributes (MOUNT_ATTR).
 *
 * An idmapped mount of a host filesystem needs CAP_SYS_ADMIN over that filesystem, which
 * only the initial user namespace has: stage 1 builds each one before it joins or creates
 * any namespace. It clones the source tree (open_tree), gives it the mapping of a user
 * namespace (mount_setattr MOUNT_ATTR_IDMAP) and keeps the detached tree's fd; the
 * container process inherits it and attaches it in place of an ordinary bind (mount.c).
 * The user namespace is an existing one (IDMAP_USERNS) or one made for the mapping: a
 * child cloned into a new user namespace, whose maps stage 1 writes, held only until its
 * namespace file is open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"

static const char *setattr_hint(int err)
{
	switch (err) {
	case ENOSYS: return " (the kernel has no mount_setattr(2): Linux 5.12 or later is needed)";
	case EINVAL:
		return " (the filesystem does not support idmapped mounts on this kernel, or a mount in the tree is idmapped already)";
	case EPERM: return " (idmapping needs CAP_SYS_ADMIN in the user namespace that owns the filesystem)";
	default: return "";
	}
}

/* Wait for the holder child; it exits as soon as the pipe's write end is closed. */
static void release_holder(pid_t pid, int hold)
{
	close(hold);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A user namespace with the given maps, as an fd of its namespace file. */
static int userns_for_maps(const struct idmnt *im)
{
	int hold[2];
	if (pipe2(hold, O_CLOEXEC) < 0)
		die(errno, "%s: pipe", im->what);
	/* Like fork, but the child starts in a new user namespace (no stack: it shares none). */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		die(errno, "%s: make a user namespace for the mount's mapping", im->what);
	if (pid == 0) {
		char c;
		close(hold[1]);
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	char path[64];
	int fd = -1, err = 0;
	const char *step = "write the uid_map";
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (write_file(path, im->uid_map, strlen(im->uid_map)) < 0) {
		err = errno;
	} else {
		step = "write the gid_map";
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		if (write_file(path, im->gid_map, strlen(im->gid_map)) < 0) {
			err = errno;
		} else {
			step = "open the namespace file";
			snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			err = errno;
		}
	}
	release_holder(pid, hold[1]);
	if (fd < 0)
		die(err, "%s: %s of the user namespace for the mount's mapping", im->what, step);
	return fd;
}

static int userns_fd(const struct plan *p, size_t i)
{
	const struct idmnt *im = &p->idmaps[i];
	if (im->userns != NULL) {
		int fd = open(im->userns, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(errno, "%s: open the user namespace \"%s\" for the mount's mapping", im->what, im->userns);
		return fd;
	}
	return userns_for_maps(im);
}

/* Same maps as an earlier idmapped mount: its namespace serves for both. */
static ssize_t same_maps(const struct plan *p, size_t i)
{
	const struct idmnt *a = &p->idmaps[i];
	for (size_t j = 0; j < i; j++) {
		const struct idmnt *b = &p->idmaps[j];
		if (a->userns != NULL ? b->userns != NULL && strcmp(a->userns, b->userns) == 0
				      : b->uid_map != NULL && strcmp(a->uid_map, b->uid_map) == 0 &&
						strcmp(a->gid_map, b->gid_map) == 0)
			return (ssize_t)j;
	}
	return -1;
}

void idmap_prepare(struct plan *p)
{
	if (p->nidmaps == 0)
		return;
	int *fds = xmalloc(p->nidmaps * sizeof(int));
	for (size_t i = 0; i < p->nidmaps; i++) {
		struct idmnt *im = &p->idmaps[i];
		const struct mnt *m = &p->mounts[im->mount];
		ssize_t j = same_maps(p, i);
		fds[i] = j >= 0 ? fds[j] : userns_fd(p, i);
		unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
		im->tree = open_tree(AT_FDCWD, m->source, fl);
		if (im->tree < 0)
			die(errno, "%s: bind mount \"%s\" on \"%s\"", im->what, m->source, m->dest);
		struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)fds[i] };
		if (mount_setattr(im->tree, "", AT_EMPTY_PATH | (im->recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) <
		    0) {
			int err = errno;
			die(err, "%s: idmap the bind mount of \"%s\"%s", im->what, m->source, setattr_hint(err));
		}
	}
	for (size_t i = 0; i < p->nidmaps; i++)
		if (same_maps(p, i) < 0)
			close(fds[i]);
	free(fds);
}

void idmap_close(const struct plan *p)
{
	for (size_t i = 0; i < p->nidmaps; i++)
		if (p->idmaps[i].tree >= 0)
			close(p->idmaps[i].tree);
}

void apply_mount_attr(int mnt, const struct mnt *m)
{
	if (m->attr == NULL)
		return;
	struct mount_attr a = { .attr_set = m->attr->set, .attr_clr = m->attr->clear };
	if (mount_setattr(mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
		int err = errno;
		if (err == ENOSYS)
			die(err,
			    "%s: recursive mount options need mount_setattr(2), which this kernel lacks (Linux 5.12 or later)",
			    m->attr->what);
		die(err, "%s: set the recursive attributes (set 0x%llx, clear 0x%llx) on \"%s\"", m->attr->what,
		    (unsigned long long)a.attr_set, (unsigned long long)a.attr_clr, m->dest);
	}
}
