/* `cgroup` mounts, as runc does them on cgroup v1 and hybrid hosts: a tmpfs at the
 * destination and, for each v1 hierarchy, a bind of the container's own cgroup
 * directory (its path taken from /proc/self/cgroup before any namespace was made,
 * since berth placed stage 1 in the container's cgroups), or a fresh cgroup mount of
 * the hierarchy when the container has its own cgroup namespace. On a pure cgroup v2
 * host the container's cgroup2 directory is bound onto the destination. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "berth.h"

/* Taken in stage 1 before the cgroup namespace exists, so that the paths in
 * /proc/self/cgroup and the roots in mountinfo are relative to the same root. */
static char *snapshot; /* contents of /proc/self/cgroup */
static struct minfo *mi;
static size_t nmi;

void cgroup_snapshot(const struct plan *p)
{
	int need = 0;
	for (size_t i = 0; i < p->nmounts; i++)
		need |= p->mounts[i].cgroup;
	if (!need)
		return;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open \"/proc/self/cgroup\"");
	size_t cap = 4096;
	snapshot = xmalloc(cap);
	ssize_t n = read_full(fd, snapshot, cap - 1);
	if (n < 0)
		die(errno, "read \"/proc/self/cgroup\"");
	snapshot[n] = 0;
	close(fd);
	char *buf; /* kept: mi points into it */
	mi = read_mountinfo(&nmi, &buf);
}

/* Is every item of the comma list `want` in the comma list `have`? */
static int all_in(const char *want, const char *have)
{
	char w[256];
	snprintf(w, sizeof(w), "%s", want);
	char *save = NULL;
	for (char *t = strtok_r(w, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(t);
		const char *h = have;
		int found = 0;
		while (*h && !found) {
			const char *e = strchrnul(h, ',');
			found = (size_t)(e - h) == n && strncmp(h, t, n) == 0;
			h = *e ? e + 1 : e;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* path relative to the hierarchy mount whose root is `root`, or NULL if outside it */
static const char *below(const char *path, const char *root)
{
	if (strcmp(root, "/") == 0)
		return path;
	size_t n = strlen(root);
	if (strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/'))
		return path[n] ? path + n : "/";
	return NULL;
}

static void bind_hierarchy(int rootfd, const struct mnt *m, const struct minfo *h, const char *rel,
			   const char *dest, uint64_t flags)
{
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s%s", h->mp, strcmp(rel, "/") == 0 ? "" : rel);
	struct mnt b = {
		.source = src, .dest = dest, .fstype = "", .bind = 1, .flags = MS_REC,
		.remount_flags = flags, .prop = m->prop, .nprop = m->nprop,
	};
	mount_one(rootfd, &b);
}

void mount_cgroup(int rootfd, const struct mnt *m, int cgroupns)
{
	if (snapshot == NULL)
		die(EINVAL, "cgroup mount on \"%s\": cgroup paths unknown", m->dest);
	uint64_t flags = (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME |
				      MS_NOATIME | MS_NODIRATIME | MS_STRICTATIME)) | m->remount_flags;

	/* split "id:controllers:path" lines */
	struct { const char *ctrls, *path; } lines[64];
	size_t nl = 0;
	const char *v2path = NULL;
	char *copy = xmalloc(strlen(snapshot) + 1), *save = NULL;
	strcpy(copy, snapshot);
	for (char *line = strtok_r(copy, "\n", &save); line && nl < ARRAY_LEN(lines);
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = 0;
		if (c1[1] == 0) {
			v2path = c2 + 1;
		} else {
			lines[nl].ctrls = c1 + 1;
			lines[nl++].path = c2 + 1;
		}
	}

	if (nl == 0) { /* cgroup v2 only */
		const struct minfo *h = NULL;
		for (size_t i = 0; i < nmi && h == NULL; i++)
			if (strcmp(mi[i].fstype, "cgroup2") == 0)
				h = &mi[i];
		const char *rel = h && v2path ? below(v2path, h->root) : NULL;
		if (rel == NULL)
			die(ENOENT, "cgroup mount on \"%s\": no cgroup2 hierarchy for this process", m->dest);
		bind_hierarchy(rootfd, m, h, rel, m->dest, flags);
		free(copy);
		return;
	}

	struct mnt t = {
		.source = "tmpfs", .dest = m->dest, .fstype = "tmpfs", .data = "mode=755",
		.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC, .prop = m->prop, .nprop = m->nprop,
	};
	mount_one(rootfd, &t);
	/* in host mount order, like runc; the v2 part of a hybrid host is left out, like runc */
	for (size_t i = 0; i < nmi; i++) {
		const struct minfo *h = &mi[i];
		if (strcmp(h->fstype, "cgroup") != 0)
			continue;
		const char *rel = NULL, *ctrls = NULL;
		for (size_t j = 0; j < nl && rel == NULL; j++)
			if (all_in(lines[j].ctrls, h->superopts)) {
				ctrls = lines[j].ctrls;
				rel = below(lines[j].path, h->root);
			}
		if (rel == NULL) {
			if (ctrls != NULL)
				warnx_("cgroup mount on \"%s\": the cgroup of \"%s\" is outside its mount; skipped",
				       m->dest, ctrls);
			continue;
		}
		const char *base = strrchr(h->mp, '/') + 1;
		char dest[PATH_MAX];
		snprintf(dest, sizeof(dest), "%s/%s", m->dest, base);
		if (cgroupns) {
			/* inside its own cgroup namespace the container gets a fresh mount (runc) */
			const char *src = strncmp(ctrls, "name=", 5) == 0 ? ctrls + 5 : "cgroup";
			struct mnt c = {
				.source = src, .dest = dest, .fstype = "cgroup", .data = ctrls,
				.flags = flags, .prop = m->prop, .nprop = m->nprop,
			};
			mount_one(rootfd, &c);
		} else {
			bind_hierarchy(rootfd, m, h, rel, dest, flags);
		}
		if (strchr(base, ',') != NULL) {
			/* co-mounted controllers ("cpu,cpuacct"): one symlink per name */
			int dir = open_in_root(rootfd, m->dest, P_NOCREATE);
			if (dir < 0)
				die(errno, "open \"%s\"", m->dest);
			char names[256];
			snprintf(names, sizeof(names), "%s", base);
			char *s2 = NULL;
			for (char *tk = strtok_r(names, ",", &s2); tk; tk = strtok_r(NULL, ",", &s2))
				if (symlinkat(base, dir, tk) < 0 && errno != EEXIST)
					die(errno, "symlink \"%s/%s\" -> \"%s\"", m->dest, tk, base);
			close(dir);
		}
	}
	free(copy);
}
