/* Shared declarations of berth-init's modules. */
#ifndef BERTH_H
#define BERTH_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include "plan.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- util.c: errors and small helpers ---- */

/* Where die() reports: the sync socket (MSG_ERROR), an error pipe read by stage 1
 * (same framing), or plain stderr once the sync socket is closed. */
enum sink_kind {
	SINK_SYNC,
	SINK_PIPE,
	SINK_STDERR
};
void set_sink(enum sink_kind kind, int fd);
int sink_fd(void);

/* Report "<formatted text>: <strerror(err)>" (err 0: no suffix) and _exit(1). */
__attribute__((noreturn, format(printf, 2, 3))) void die(int err, const char *fmt, ...);
/* Same, but exit with the given status. */
__attribute__((noreturn, format(printf, 3, 4))) void die_status(int status, int err, const char *fmt, ...);
/* Report the text as is, with err only as the errno field, and _exit(1). */
__attribute__((noreturn, format(printf, 2, 3))) void die_errno_only(int err, const char *fmt, ...);
/* Send MSG_WARN (or print to stderr when no sync socket). */
__attribute__((format(printf, 1, 2))) void warnx_(const char *fmt, ...);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* Append one zeroed element to a growable array; returns the new element. */
void *grow(void **arr, size_t *n, size_t elsize);
int write_all(int fd, const void *buf, size_t len); /* 0 or -1 with errno */
ssize_t read_full(int fd, void *buf, size_t len);   /* bytes read (< len only at EOF) or -1 */
void set_cloexec(int fd, int on);
int write_file(const char *path, const char *data, size_t len); /* 0 or -1 with errno */
/* Pipe-style handoff between stage 1 and the container process. */
void wait_go(int fd);
void send_go(int fd);

/* ---- path.c: resolution inside the rootfs ---- */
enum {
	P_NOCREATE = 0,
	P_MKDIR = 1,
	P_MKFILE = 2
};
/* Open `path` inside the root with no symlink anywhere on it (ELOOP otherwise); O_PATH. */
int open_in_root_nosymlinks(int rootfd, const char *path);
/* O_PATH fd for path (absolute or not, always taken relative to rootfd, never escaping it).
 * P_MKDIR creates missing directories, P_MKFILE also creates the last component as an empty file.
 * Returns -1 with errno on failure. */
int open_in_root(int rootfd, const char *path, int create);
/* Open the parent directory of path (creating it) and return the last component in *base. */
int open_parent_in_root(int rootfd, const char *path, const char **base, char *buf, size_t buflen);
/* "/proc/self/fd/<fd>" into buf. */
const char *fdpath(int fd, char *buf, size_t len);

/* ---- seal.c ---- */
void ensure_sealed(char **argv);

/* ---- ns.c ---- */
void apply_oom_rlimits(const struct plan *p);
void join_namespaces(const struct plan *p);
void create_namespaces(const struct plan *p, int sync);

/* ---- mount.c ---- */
struct minfo {
	int id, parent;	 /* mount id and parent mount id */
	char *root, *mp; /* unescaped */
	char *fstype, *superopts;
	int shared;
};
/* Reads and splits /proc/self/mountinfo; *buf holds the strings (free both). */
struct minfo *read_mountinfo(size_t *count, char **buf);
/* Mount one plan mount (not a cgroup one) onto its target inside the rootfs. */
void mount_one(int rootfd, const struct mnt *m);
void join_session_keyring(const struct plan *p);
int defer_cgroupns(const struct plan *p);

/* ---- cgroup.c ---- */
void cgroup_enter_self(const struct plan *p);
int cgroup_into_fd(const struct plan *p);
pid_t fork_into(const struct plan *p, int cgfd);

int host_mount_ns(const struct plan *p);
int prepare_rootfs(const struct plan *p); /* returns an O_PATH fd of the rootfs */
void do_mounts(const struct plan *p, int rootfd, int sync);
void enter_rootfs(const struct plan *p, int rootfd); /* pivot_root or move+chroot */
void finish_rootfs(const struct plan *p);	     /* after pivot: propagation, sysctl, masked, readonly, root ro */
/* new mount API helpers (post pivot) */
int bind_onto(int srcdfd, const char *srcpath, int targetfd, int recursive, unsigned attr_set);

/* ---- idmap.c ---- */
/* Stage 1, before any namespace: build every MOUNT_IDMAP mount as a detached tree (idmnt.tree). */
void idmap_prepare(struct plan *p);
/* Stage 1 after the fork: its copies of the trees go. */
void idmap_close(const struct plan *p);
/* The mount's MOUNT_ATTR (if any) on mnt, an fd of the mount just made, and its tree (AT_RECURSIVE). */
void apply_mount_attr(int mnt, const struct mnt *m);

/* ---- dev.c ---- */
void create_devices(const struct plan *p, int rootfd);
void create_symlinks(const struct plan *p, int rootfd);

/* ---- tty.c ---- */
void setup_console(const struct plan *p, int ttysock);
/* Send a pidfd of this process on PIDFD_SOCKET_FD, if the plan has one, and close it. */
void send_pidfd(const struct plan *p);
int relay_and_wait(pid_t child, int master, const sigset_t *mask);

/* ---- caps.c ---- */
void apply_bounding(const struct plan *p);
void apply_user(const struct plan *p);
void apply_caps(const struct plan *p);
void apply_nnp(const struct plan *p);
void fix_stdio_owner(const struct plan *p);
/* Load the filter; with SECCOMP_AGENT_FD, also hand its listener to the agent (listener.c),
 * asking TS for the message over sync. */
void apply_seccomp(const struct plan *p, int sync);

/* ---- listener.c ---- */
struct sock_fprog;
void load_seccomp_listener(const struct plan *p, const struct sock_fprog *prog, int sync);

/* ---- copyup.c ---- */
/* Copy the tree under directory fd src into directory fd dst (tmpcopyup); dest names it in errors. */
void copy_up(int src, int dst, const char *dest);

/* ---- label.c ---- */
void label_prepare(const struct plan *p); /* stage 1, before joining namespaces */
void label_close_proc(void);		  /* stage 1 after fork */
void label_open(const struct plan *p);	  /* the container process, right after fork */
void label_apply(const struct plan *p);	  /* before no_new_privs, credentials and capabilities */

/* ---- hooks.c ---- */
void run_hooks(const char *kind, const struct hook *h, size_t n, const char *state, size_t statelen);

/* ---- exec.c ---- */
const char *lookup_env(const struct strv *env, const char *name);
/* Resolve argv[0] along PATH; dies with runc's wording when check is set and nothing fits. */
const char *resolve_exec(const struct plan *p, int check);
/* Close/mark fds, fix the env and execve. Never returns. */
__attribute__((noreturn)) void exec_process(const struct plan *p, const char *path);
/* Reset signal dispositions and mask before an execve. */
void reset_signals(void);

#endif
