/* Identity and privileges: bounding set, uid/gid/groups, capability sets, ambient
 * set, no_new_privs, seccomp filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

/* Bits of the capabilities this kernel knows. */
static uint64_t known_caps(void)
{
	uint64_t mask = 0;
	for (int c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break;
		mask |= 1ULL << c;
	}
	return mask;
}

void apply_bounding(const struct plan *p)
{
	uint64_t known = known_caps();
	for (int c = 0; c < 64; c++) {
		if (!(known & (1ULL << c)) || (p->cap_bounding & (1ULL << c)))
			continue;
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			die(errno, "read bounding capability %d", c);
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			die(errno, "drop bounding capability %d", c);
	}
}

void apply_user(const struct plan *p)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die(errno, "prctl PR_SET_KEEPCAPS");
	gid_t groups[1024];
	if (p->ngroups > ARRAY_LEN(groups))
		die(EINVAL, "%zu additional gids (at most %zu)", p->ngroups, ARRAY_LEN(groups));
	for (size_t i = 0; i < p->ngroups; i++)
		groups[i] = p->groups[i];
	if (setgroups(p->ngroups, groups) < 0) {
		/* A user namespace with setgroups "deny" cannot have supplementary groups anyway. */
		if (!(errno == EPERM && p->ngroups == 0))
			die(errno, "setgroups (%zu groups)", p->ngroups);
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		die(errno, "setresgid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		die(errno, "setresuid %u", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die(errno, "prctl PR_SET_KEEPCAPS 0");
}

void apply_caps(const struct plan *p)
{
	uint64_t known = known_caps();
	uint64_t eff = p->cap_effective & known, perm = p->cap_permitted & known, inh = p->cap_inheritable & known;
	/* The kernel only allows ambient caps that are permitted and inheritable; runc
	 * leaves the others out without complaint (its default spec relies on that). */
	uint64_t amb = p->cap_ambient & perm & inh;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh },
		{ .effective = (uint32_t)(eff >> 32),
		  .permitted = (uint32_t)(perm >> 32),
		  .inheritable = (uint32_t)(inh >> 32) },
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(errno, "capset (effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)", (unsigned long long)eff,
		    (unsigned long long)perm, (unsigned long long)inh);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die(errno, "clear the ambient capabilities");
	for (int c = 0; c < 64; c++)
		if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			die(errno, "raise ambient capability %d", c);
}

void apply_nnp(const struct plan *p)
{
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(errno, "prctl PR_SET_NO_NEW_PRIVS");
}

void apply_seccomp(const struct plan *p, int sync)
{
	if (!p->has_seccomp)
		return;
	struct sock_fprog prog = {
		.len = (unsigned short)(p->seccomp_len / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)(void *)p->seccomp_bpf,
	};
	if (p->seccomp_len / sizeof(struct sock_filter) > 0xffff)
		die(EINVAL, "seccomp filter of %zu instructions", p->seccomp_len / 8);
	if (p->seccomp_agent_fd >= 0) {
		load_seccomp_listener(p, &prog, sync);
		return;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) < 0)
		die(errno, "load the seccomp filter");
}

/* Give fds 0-2 to the process's user, as runc does: a pty (or pipe) made or passed in
 * by root would otherwise stay out of a non-root process's reach. The group is kept;
 * /dev/null and what the user already owns are left alone, and an owner that is not
 * mapped in a user namespace (EINVAL, EPERM) is not an error. */
void fix_stdio_owner(const struct plan *p)
{
	struct stat null;
	int have_null = stat("/dev/null", &null) == 0;
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue;
			die(errno, "fstat fd %d", fd);
		}
		if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev)
			continue;
		if (st.st_uid == p->uid)
			continue;
		if (fchown(fd, p->uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
			die(errno, "chown fd %d to uid %u", fd, p->uid);
	}
}
