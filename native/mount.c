/* The container's mount namespace: rootfs preparation, plan mounts (onto
 * /proc/self/fd/<n> of a target opened inside the rootfs), pivot_root or
 * MS_MOVE+chroot, then masked and read-only paths, sysctl and a read-only root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"
#include "sync.h"

#define PROP_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* ---- /proc/self/mountinfo ---- */

static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

struct minfo *read_mountinfo(size_t *count, char **buf)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open \"/proc/self/mountinfo\"");
	size_t cap = 65536, len = 0;
	char *b = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			b = xrealloc(b, cap *= 2);
		ssize_t n = read(fd, b + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(errno, "read \"/proc/self/mountinfo\"");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	b[len] = 0;

	struct minfo *v = NULL;
	*count = 0;
	char *save = NULL;
	for (char *line = strtok_r(b, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[64];
		size_t nf = 0;
		char *s2 = NULL;
		for (char *t = strtok_r(line, " ", &s2); t && nf < ARRAY_LEN(f); t = strtok_r(NULL, " ", &s2))
			f[nf++] = t;
		if (nf < 10)
			continue;
		struct minfo *m = grow((void **)&v, count, sizeof(*m));
		m->id = atoi(f[0]);
		m->parent = atoi(f[1]);
		m->root = f[3];
		unescape(m->root);
		m->mp = f[4];
		unescape(m->mp);
		size_t i = 6;
		for (; i < nf && strcmp(f[i], "-") != 0; i++)
			if (strncmp(f[i], "shared:", 7) == 0)
				m->shared = 1;
		m->fstype = i + 1 < nf ? f[i + 1] : "";
		m->superopts = i + 3 < nf ? f[i + 3] : "";
	}
	*buf = b;
	return v;
}

/* Is path equal to or below dir (both absolute, clean)? */
static int path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* pivot_root refuses a new root whose parent mount is shared. */
static void make_parent_private(const char *rootfs)
{
	size_t n;
	char *buf;
	struct minfo *mi = read_mountinfo(&n, &buf);
	struct minfo *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (path_under(rootfs, mi[i].mp) && (best == NULL || strlen(mi[i].mp) >= strlen(best->mp)))
			best = &mi[i];
	if (best != NULL && best->shared && mount(NULL, best->mp, NULL, MS_PRIVATE, NULL) < 0)
		die(errno, "make the parent mount \"%s\" of the rootfs private", best->mp);
	free(mi);
	free(buf);
}

/* No new or joined mount namespace: runc's chroot mode. Nothing outside the rootfs
 * may be touched then (no propagation change, no pivot, no hiding of /proc). */
int host_mount_ns(const struct plan *p)
{
	if (p->clone_flags & CLONE_NEWNS)
		return 0;
	for (size_t i = 0; i < p->nns; i++)
		if (p->ns[i].type == CLONE_NEWNS)
			return 0;
	return 1;
}

int prepare_rootfs(const struct plan *p)
{
	if (host_mount_ns(p)) {
		int fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			die(errno, "open rootfs \"%s\"", p->rootfs);
		return fd;
	}
	unsigned long prop = p->has_rootfs_prop ? p->rootfs_prop : (MS_SLAVE | MS_REC);
	/* An unbindable "/" would refuse the bind of the rootfs below: keep it private
	 * until after pivot_root, where finish_rootfs applies unbindable. */
	if (prop & MS_UNBINDABLE)
		prop = (prop & ~(unsigned long)MS_UNBINDABLE) | MS_PRIVATE;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		die(errno, "set propagation 0x%lx on \"/\"", prop);
	make_parent_private(p->rootfs);
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(errno, "bind mount the rootfs \"%s\" onto itself", p->rootfs);
	int fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open rootfs \"%s\"", p->rootfs);
	return fd;
}

/* ---- plan mounts ---- */

/* proc and sysfs carry the masks and read-only paths: they go on ordinary directories. */
static int is_kernel_fs(const struct mnt *m)
{
	return !m->bind && (strcmp(m->fstype, "proc") == 0 || strcmp(m->fstype, "sysfs") == 0);
}

/* The mount id of what fd names, and whether fd is the root of that mount. */
static int mount_id_of(int fd, int *is_root)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		die(errno, "statx a mountpoint");
	if (is_root)
		*is_root =
			(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return (int)sx.stx_mnt_id;
}

/* MS_* per-mount flags as mount_setattr(2) attributes. */
static uint64_t mount_attrs(uint64_t ms, uint64_t *atime)
{
	uint64_t a = 0;
	*atime = 0;
	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (ms & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (ms & MS_NOATIME)
		*atime = MOUNT_ATTR_NOATIME;
	else if (ms & MS_STRICTATIME)
		*atime = MOUNT_ATTR_STRICTATIME;
	else if (ms & MS_RELATIME)
		*atime = MOUNT_ATTR_RELATIME;
	return a;
}

/* A bind mount made whole before it is attached: clone the source tree, give it its
 * flags (read-only and the rest), then move it onto the target fd. Nothing is looked
 * up by path after the target was opened, so a swapped path cannot get a read-only
 * bind attached read-write, or its flags put on another mount. Returns the mount's fd. */
static int bind_one(int target, const struct mnt *m)
{
	unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
	/* An idmapped bind was built by stage 1, in the host's user namespace (idmap.c). */
	int tree = m->idmap != NULL ? m->idmap->tree : open_tree(AT_FDCWD, m->source, fl);
	if (tree < 0)
		die(errno, "bind mount \"%s\" on \"%s\"", m->source, m->dest);
	if (m->idmap != NULL)
		m->idmap->tree = -1; /* the caller closes it */
	if (m->remount_flags != 0) {
		uint64_t atime;
		uint64_t set = mount_attrs(m->remount_flags, &atime);
		/* like MS_BIND|MS_REMOUNT: exactly these flags on the top mount ... */
		struct mount_attr a = {
			.attr_set = set | atime,
			.attr_clr = ((MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
				      MOUNT_ATTR_NODIRATIME) &
				     ~set) |
				    (atime ? MOUNT_ATTR__ATIME : 0),
		};
		int r = mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a));
		if (r < 0 && errno == EPERM) {
			/* ... except flags a user namespace locks on the source: those stay. */
			a.attr_clr = atime ? MOUNT_ATTR__ATIME : 0;
			r = mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a));
			if (r < 0 && errno == EPERM) {
				a.attr_set = set;
				a.attr_clr = 0;
				r = mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a));
			}
		}
		if (r < 0)
			die(errno, "remount \"%s\" on \"%s\" with flags 0x%llx", m->source, m->dest,
			    (unsigned long long)m->remount_flags);
	}
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(errno, "bind mount \"%s\" on \"%s\"", m->source, m->dest);
	return tree;
}

/* After mount(2) onto the target fd, the mount made there, found again and checked: it
 * must be a mount root whose parent is the mount the target was on. Otherwise the
 * rootfs changed under us (a component swapped for a link or renamed): fail. */
static int reopen_checked(int rootfd, int target, const struct mnt *m)
{
	int parent = mount_id_of(target, NULL);
	int fd = open_in_root(rootfd, m->dest, P_NOCREATE);
	if (fd < 0)
		die(errno, "reopen mountpoint \"%s\"", m->dest);
	int is_root = 0;
	int id = mount_id_of(fd, &is_root);
	int ok = 0;
	if (is_root && id != parent) {
		size_t n;
		char *buf;
		struct minfo *mi = read_mountinfo(&n, &buf);
		for (size_t i = 0; i < n; i++)
			if (mi[i].id == id)
				ok = mi[i].parent == parent;
		free(mi);
		free(buf);
	}
	if (!ok)
		die(EXDEV, "the mount on \"%s\" is not where it was made: the rootfs changed during create", m->dest);
	return fd;
}

void mount_one(int rootfd, const struct mnt *m)
{
	char fp[64];
	int fd = open_in_root(rootfd, m->dest, m->dest_is_file ? P_MKFILE : P_MKDIR);
	if (fd < 0)
		die(errno, "create mountpoint \"%s\" in the rootfs", m->dest);
	/* A mount over the rootfs's own root is never what was asked: a destination that got
	 * there went through a symlink (perhaps swapped in during create). */
	struct stat dst, rst;
	if (fstat(fd, &dst) < 0 || fstat(rootfd, &rst) < 0)
		die(errno, "stat mountpoint \"%s\"", m->dest);
	if (dst.st_dev == rst.st_dev && dst.st_ino == rst.st_ino)
		die(ELOOP, "mount destination \"%s\" resolves to the root of the rootfs; refusing to mount over it",
		    m->dest);
	if (is_kernel_fs(m)) {
		close(fd);
		fd = open_in_root_nosymlinks(rootfd, m->dest);
		if (fd < 0 && errno == ELOOP)
			die(ELOOP,
			    "%s must be mounted on an ordinary directory, but \"%s\" in the rootfs is or passes through a symlink",
			    m->fstype, m->dest);
		if (fd < 0)
			die(errno, "open mountpoint \"%s\"", m->dest);
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
			die(ENOTDIR, "%s must be mounted on a directory: \"%s\" in the rootfs is not one", m->fstype,
			    m->dest);
	}
	int mnt;
	if (m->bind) {
		mnt = bind_one(fd, m);
	} else {
		fdpath(fd, fp, sizeof(fp));
		unsigned long fl = (unsigned long)(m->flags & ~(uint64_t)PROP_FLAGS);
		/* tmpcopyup: written first, made read-only (if asked) after the copy. */
		unsigned long first = m->copyup ? fl & ~(unsigned long)MS_RDONLY : fl;
		if (mount(m->source, fp, m->fstype, first, m->data) < 0)
			die(errno, "mount \"%s\" on \"%s\"%s%s%s", m->source, m->dest, m->data ? " with data \"" : "",
			    m->data ? m->data : "", m->data ? "\"" : "");
		mnt = reopen_checked(rootfd, fd, m);
		if (m->copyup) {
			/* fd still names the directory under the new mount: copy what it holds. */
			copy_up(fd, mnt, m->dest);
			if (first != fl) {
				fdpath(mnt, fp, sizeof(fp));
				if (mount(NULL, fp, NULL, MS_REMOUNT | fl, m->data) < 0)
					die(errno, "remount \"%s\" read-only after tmpcopyup", m->dest);
			}
		}
	}
	close(fd);
	apply_mount_attr(mnt, m);
	fdpath(mnt, fp, sizeof(fp));
	for (size_t j = 0; j < m->nprop; j++)
		if (mount(NULL, fp, NULL, m->prop[j], NULL) < 0)
			die(errno, "set propagation 0x%x on \"%s\"", m->prop[j], m->dest);
	close(mnt);
}

void do_mounts(const struct plan *p, int rootfd, int sync)
{
	char name[TRACE_NAME_MAX];
	for (size_t i = 0; i < p->nmounts; i++) {
		/* berth expands cgroup mounts into tmpfs and binds before sending the plan. */
		if (p->mounts[i].cgroup)
			die(EINVAL, "cgroup mount on \"%s\" was not expanded", p->mounts[i].dest);
		uint64_t t = trace_now(p);
		mount_one(rootfd, &p->mounts[i]);
		if (p->trace) {
			snprintf(name, sizeof(name), "mount %s", p->mounts[i].dest);
			trace_span(p, sync, name, t);
		}
	}
}

/* ---- pivot ---- */

/* With --no-pivot the old root stays reachable below the container's root: hide the
 * host's proc and sysfs so the container cannot mount fresh ones (runc does the same). */
static void hide_host_proc_sys(const char *rootfs)
{
	size_t n;
	char *buf;
	struct minfo *mi = read_mountinfo(&n, &buf);
	for (size_t i = n; i-- > 0;) {
		if (strcmp(mi[i].fstype, "proc") != 0 && strcmp(mi[i].fstype, "sysfs") != 0)
			continue;
		if (path_under(mi[i].mp, rootfs))
			continue;
		if (umount2(mi[i].mp, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT)
			continue;
		if (errno != EPERM)
			die(errno, "unmount \"%s\"", mi[i].mp);
		if (mount("tmpfs", mi[i].mp, "tmpfs", MS_RDONLY, NULL) < 0)
			die(errno, "cover \"%s\" with a tmpfs", mi[i].mp);
	}
	free(mi);
	free(buf);
}

void enter_rootfs(const struct plan *p, int rootfd)
{
	if (host_mount_ns(p)) {
		if (fchdir(rootfd) < 0)
			die(errno, "chdir to the rootfs \"%s\"", p->rootfs);
		if (chroot(".") < 0)
			die(errno, "chroot to \"%s\"", p->rootfs);
		if (chdir("/") < 0)
			die(errno, "chdir \"/\"");
		return;
	}
	if (p->no_pivot) {
		hide_host_proc_sys(p->rootfs);
		if (fchdir(rootfd) < 0)
			die(errno, "chdir to the rootfs \"%s\"", p->rootfs);
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			die(errno, "move the rootfs \"%s\" to \"/\"", p->rootfs);
		if (chroot(".") < 0)
			die(errno, "chroot to \"%s\"", p->rootfs);
		if (chdir("/") < 0)
			die(errno, "chdir \"/\"");
		return;
	}
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		die(errno, "open \"/\"");
	if (fchdir(rootfd) < 0)
		die(errno, "chdir to the rootfs \"%s\"", p->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die(errno, "pivot_root to \"%s\"", p->rootfs);
	if (fchdir(oldroot) < 0)
		die(errno, "chdir to the old root");
	/* Our unmount must not propagate to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die(errno, "make the old root a slave mount");
	if (umount2(".", MNT_DETACH) < 0)
		die(errno, "unmount the old root");
	if (chdir("/") < 0)
		die(errno, "chdir \"/\"");
	close(oldroot);
}

/* ---- after pivot ---- */

int bind_onto(int srcdfd, const char *srcpath, int targetfd, int recursive, unsigned attr_set)
{
	unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
		      (*srcpath == 0 ? AT_EMPTY_PATH : 0);
	int tree = open_tree(srcdfd, srcpath, fl);
	if (tree < 0)
		return -1;
	if (attr_set != 0) {
		struct mount_attr a = { .attr_set = attr_set };
		if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			goto fail;
	}
	if (move_mount(tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail;
	close(tree);
	return 0;
fail:;
	int err = errno;
	close(tree);
	errno = err;
	return -1;
}

static int mount_ro_tmpfs(int targetfd)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int mnt = -1, err;
	/* like mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL): read-only superblock and mount */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	if (mnt < 0)
		goto fail;
	if (move_mount(mnt, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail;
	close(mnt);
	close(fs);
	return 0;
fail:
	err = errno;
	if (mnt >= 0)
		close(mnt);
	close(fs);
	errno = err;
	return -1;
}

/* The file masks are bound from: the container's /dev/null, checked to be the null
 * device (char 1:3) on the very fd that is then bound. A symlink or a regular file
 * there would unmask or expose what it points to. */
static int null_device(int root)
{
	int fd = open_in_root_nosymlinks(root, "/dev/null");
	if (fd < 0)
		die(errno, "open \"/dev/null\" (without symlinks) as the source of masks");
	struct stat st;
	if (fstat(fd, &st) < 0)
		die(errno, "stat \"/dev/null\"");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		die(EPERM, "\"/dev/null\" in the container is not the null device (char 1:3); it cannot mask paths");
	return fd;
}

static void mask_paths(const struct plan *p, int root)
{
	int devnull = -1;
	for (size_t i = 0; i < p->masked.n; i++) {
		const char *path = p->masked.v[i];
		int fd = open_in_root(root, path, P_NOCREATE);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			die(errno, "open masked path \"%s\"", path);
		}
		struct stat st;
		if (fstat(fd, &st) < 0)
			die(errno, "stat masked path \"%s\"", path);
		if (S_ISDIR(st.st_mode)) {
			if (mount_ro_tmpfs(fd) < 0)
				die(errno, "mask \"%s\" with a read-only tmpfs", path);
		} else {
			if (devnull < 0)
				devnull = null_device(root);
			if (bind_onto(devnull, "", fd, 0, 0) < 0)
				die(errno, "mask \"%s\" with \"/dev/null\"", path);
		}
		close(fd);
	}
	if (devnull >= 0)
		close(devnull);
}

/* A read-only /dev or tmpfs: the mount (not its filesystem) becomes read-only, once filled. */
static void remount_readonly(const struct plan *p, int root)
{
	for (size_t i = 0; i < p->remount_ro.n; i++) {
		const char *path = p->remount_ro.v[i];
		int fd = open_in_root(root, path, P_NOCREATE);
		if (fd < 0)
			die(errno, "open \"%s\" to make it read-only", path);
		int is_root = 0;
		mount_id_of(fd, &is_root);
		if (!is_root)
			die(EXDEV, "\"%s\" is no longer a mount point: the rootfs changed during create", path);
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			die(errno, "make \"%s\" read-only", path);
		close(fd);
	}
}

static void readonly_paths(const struct plan *p, int root)
{
	for (size_t i = 0; i < p->readonly.n; i++) {
		const char *path = p->readonly.v[i];
		int fd = open_in_root(root, path, P_NOCREATE);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			die(errno, "open read-only path \"%s\"", path);
		}
		/* bind onto itself (recursive), read-only on the top mount; other flags stay */
		if (bind_onto(fd, "", fd, 1, MOUNT_ATTR_RDONLY) < 0)
			die(errno, "make \"%s\" read-only", path);
		close(fd);
	}
}

static void write_sysctls(const struct plan *p)
{
	for (size_t i = 0; i < p->nsysctl; i++) {
		const char *key = p->sysctl[i].a, *val = p->sysctl[i].b;
		if (strstr(key, "..") != NULL || key[0] == '/')
			die(EINVAL, "sysctl \"%s\": invalid key", key);
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		if (write_file(path, val, strlen(val)) < 0)
			die(errno, "write sysctl \"%s\" = \"%s\" (%s)", key, val, path);
	}
}

/* As runc: stdio that is a null device from outside the container (a caller's /dev/null)
 * becomes the container's own /dev/null, opened read-write inside the root. criu can then
 * checkpoint the process: it cannot name a file on a mount outside the container. Without
 * a null device in the container (or where it cannot be opened) stdio is left as it is. */
static void reopen_dev_null(const struct plan *p, int root)
{
	if (host_mount_ns(p))
		return;
	int pathfd = open_in_root_nosymlinks(root, "/dev/null");
	if (pathfd < 0)
		return;
	struct stat null;
	int fd = -1;
	if (fstat(pathfd, &null) < 0 || !S_ISCHR(null.st_mode) || major(null.st_rdev) != 1 || minor(null.st_rdev) != 3)
		goto out;
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (fstat(i, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != null.st_rdev)
			continue;
		if (st.st_dev == null.st_dev && st.st_ino == null.st_ino)
			continue;
		if (fd < 0) {
			char buf[64];
			fd = open(fdpath(pathfd, buf, sizeof(buf)), O_RDWR | O_CLOEXEC);
			if (fd < 0)
				goto out;
		}
		if (dup3(fd, i, 0) < 0)
			die(errno, "replace fd %d (the host's /dev/null) with the container's /dev/null", i);
	}
out:
	if (fd >= 0)
		close(fd);
	close(pathfd);
}

void finish_rootfs(const struct plan *p)
{
	unsigned long prop = p->has_rootfs_prop && !host_mount_ns(p) ? p->rootfs_prop : 0;
	if ((prop & (MS_SHARED | MS_UNBINDABLE)) && mount(NULL, "/", NULL, prop, NULL) < 0)
		die(errno, "set propagation 0x%lx on \"/\" after pivot_root", prop);
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die(errno, "open \"/\"");
	/* The masks below are paths under these mounts: if the rootfs was changed under us
	 * (a directory renamed, a link swapped in), they would land elsewhere. Fail instead. */
	for (size_t i = 0; i < p->nmounts; i++) {
		const struct mnt *m = &p->mounts[i];
		if (!is_kernel_fs(m))
			continue;
		int fd = open_in_root_nosymlinks(root, m->dest);
		struct statfs sf;
		long want = strcmp(m->fstype, "proc") == 0 ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
		if (fd < 0 || fstatfs(fd, &sf) < 0 || (long)sf.f_type != want)
			die(fd < 0 ? errno : EXDEV,
			    "\"%s\" is no longer the %s mount made there: the rootfs changed during create", m->dest,
			    m->fstype);
		close(fd);
	}
	write_sysctls(p);
	remount_readonly(p, root);
	/* read-only paths first, then masks (runc's order: masks stay visible on top) */
	readonly_paths(p, root);
	mask_paths(p, root);
	reopen_dev_null(p, root);
	if (p->root_readonly) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(root, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			die(errno, "remount \"/\" read-only");
	}
	close(root);
}
