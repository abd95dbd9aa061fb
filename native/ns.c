/* Stage 1 process attributes and namespaces: oom_score_adj, rlimits, setns, unshare,
 * user namespace maps (written by berth on MSG_USERMAP), time namespace offsets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *ns_name(uint32_t type)
{
	switch (type) {
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	default: return "unknown";
	}
}

void apply_oom_rlimits(const struct plan *p)
{
	if (p->oom_score_adj != NULL &&
	    write_file("/proc/self/oom_score_adj", p->oom_score_adj, strlen(p->oom_score_adj)) < 0)
		die(errno, "write %s to \"/proc/self/oom_score_adj\"", p->oom_score_adj);
	for (size_t i = 0; i < p->nrl; i++) {
		struct rlimit rl = { .rlim_cur = p->rl[i].soft, .rlim_max = p->rl[i].hard };
		static const char *const names[] = { "CPU",	 "FSIZE",  "DATA",    "STACK", "CORE",	"RSS",
						     "NPROC",	 "NOFILE", "MEMLOCK", "AS",    "LOCKS", "SIGPENDING",
						     "MSGQUEUE", "NICE",   "RTPRIO",  "RTTIME" };
		uint32_t t = p->rl[i].type;
		if (setrlimit((__rlimit_resource_t)t, &rl) < 0)
			die(errno, "setrlimit RLIMIT_%s (soft %llu, hard %llu)", t < ARRAY_LEN(names) ? names[t] : "?",
			    (unsigned long long)p->rl[i].soft, (unsigned long long)p->rl[i].hard);
	}
}

static void become_root(void)
{
	if (setresgid(0, 0, 0) < 0)
		die(errno, "setresgid 0 in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		die(errno, "setresuid 0 in the user namespace");
}

void join_namespaces(const struct plan *p)
{
	if (p->nns == 0)
		return;
	/* Open everything first: joining the mount namespace changes what paths mean. */
	int fds[16];
	if (p->nns > ARRAY_LEN(fds))
		die(EINVAL, "plan: %zu namespaces to join", p->nns);
	for (size_t i = 0; i < p->nns; i++) {
		fds[i] = open(p->ns[i].path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die(errno, "open %s namespace \"%s\"", ns_name(p->ns[i].type), p->ns[i].path);
	}
	/* root joins the others while it still has the host's privileges, then the user
	 * namespace; a rootless caller has privileges only in the container's user
	 * namespace, so it joins that one first (as runc always does). */
	int user = 0, user_pass = geteuid() == 0 ? 1 : 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->nns; i++) {
			int is_user = p->ns[i].type == CLONE_NEWUSER;
			if (is_user != (pass == user_pass))
				continue;
			if (setns(fds[i], (int)p->ns[i].type) < 0)
				die(errno, "setns %s namespace \"%s\"", ns_name(p->ns[i].type), p->ns[i].path);
			user |= is_user;
		}
	}
	for (size_t i = 0; i < p->nns; i++)
		close(fds[i]);
	if (user)
		become_root();
}

/* With CGROUP_INTO the container process gets its cgroup2 directory only when it
 * is cloned, so it makes the new cgroup namespace itself. */
int defer_cgroupns(const struct plan *p)
{
	return p->cgroup_into != NULL && (p->clone_flags & CLONE_NEWCGROUP);
}

void create_namespaces(const struct plan *p, int sync)
{
	if (p->userns || (p->clone_flags & CLONE_NEWUSER)) {
		if (unshare(CLONE_NEWUSER) < 0)
			die(errno, "unshare user namespace");
		unsigned char pid[4];
		uint32_t v = (uint32_t)getpid(), len;
		pid[0] = v & 0xff;
		pid[1] = (v >> 8) & 0xff;
		pid[2] = (v >> 16) & 0xff;
		pid[3] = (v >> 24) & 0xff;
		/* Dumpable while berth writes the maps: /proc/<pid>/{uid_map,gid_map,setgroups}
		 * of an undumpable process belong to root, which a rootless berth (and
		 * newuidmap/newgidmap, which check who owns /proc/<pid>) is not. Nothing of the
		 * container runs yet. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			die(errno, "prctl PR_SET_DUMPABLE 1 for the id maps");
		if (sync_send(sync, MSG_USERMAP, pid, sizeof(pid)) < 0)
			die(errno, "send MSG_USERMAP");
		free(sync_expect(sync, MSG_USERMAP_DONE, &len));
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			die(errno, "prctl PR_SET_DUMPABLE 0");
		become_root();
	}
	int flags = (int)(p->clone_flags & ~(uint32_t)CLONE_NEWUSER);
	if (defer_cgroupns(p))
		flags &= ~CLONE_NEWCGROUP;
	if (flags != 0 && unshare(flags) < 0) {
		/* Name the namespace that failed: retry one at a time. */
		int err = errno;
		static const int all[] = { CLONE_NEWNS,	 CLONE_NEWUTS,	  CLONE_NEWIPC, CLONE_NEWPID,
					   CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME };
		for (size_t i = 0; i < ARRAY_LEN(all); i++)
			if ((flags & all[i]) && unshare(all[i]) < 0)
				die(errno, "unshare %s namespace", ns_name((uint32_t)all[i]));
		die(err, "unshare namespaces 0x%x", (unsigned)flags);
	}
	if (p->timens_offsets != NULL) {
		if (!(flags & CLONE_NEWTIME))
			die(EINVAL, "plan: TIMENS_OFFSETS without a new time namespace");
		if (write_file("/proc/self/timens_offsets", p->timens_offsets, strlen(p->timens_offsets)) < 0)
			die(errno, "write \"/proc/self/timens_offsets\"");
	}
}

/* A new session keyring for the container process, as runc gives it, so it does
 * not share (and cannot read) the caller's session keys. Kernels without keyrings,
 * or a confinement that forbids them, leave the caller's: runc ignores those too. */
void join_session_keyring(const struct plan *p)
{
	if (p->session_keyring == NULL)
		return;
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->session_keyring);
	if (id < 0) {
		if (errno == ENOSYS || errno == EPERM || errno == EACCES)
			return;
		die(errno, "join session keyring \"%s\"", p->session_keyring);
	}
	/* Add "search" for the owning user (KEY_USR_SEARCH) to the keyring's permissions. */
	char desc[256];
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc));
	if (n < 0 || (size_t)n > sizeof(desc))
		die(n < 0 ? errno : ENAMETOOLONG, "describe session keyring \"%s\"", p->session_keyring);
	desc[sizeof(desc) - 1] = 0;
	/* "type;uid;gid;perm;description" */
	char *f = desc;
	for (int i = 0; i < 3 && f != NULL; i++) {
		f = strchr(f, ';');
		if (f != NULL)
			f++;
	}
	if (f == NULL)
		die(EINVAL, "parse session keyring description \"%s\"", desc);
	unsigned long perm = strtoul(f, NULL, 16) | 0x080000UL;
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm) < 0)
		die(errno, "set permissions of session keyring \"%s\"", p->session_keyring);
}
