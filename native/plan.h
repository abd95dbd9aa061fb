/* The parsed plan: plain values and pointers into the received MSG_PLAN buffer. */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* NULL-terminated string vector (usable as argv/envp). */
struct strv {
	const char **v;
	size_t n;
};

struct nsjoin {
	uint32_t type;
	const char *path;
};
struct rlim {
	uint32_t type;
	uint64_t soft, hard;
};

/* MOUNT_ATTR: recursive attributes of plan mount `mount` (an index into plan.mounts). */
struct mattr {
	uint32_t mount;
	uint64_t set, clear;
	const char *what;
};

/* MOUNT_IDMAP: plan mount `mount` (a bind) is idmapped, through a user namespace made for
 * uid_map/gid_map or the existing one at userns. tree: the mount built by stage 1 (-1: none yet). */
struct idmnt {
	uint32_t mount, recursive;
	const char *uid_map, *gid_map, *userns, *what;
	int tree;
};

struct mnt {
	const char *source, *dest, *fstype, *data;
	uint64_t flags, remount_flags;
	uint32_t *prop;
	size_t nprop;
	int bind, dest_is_file, cgroup, copyup;
	const struct mattr *attr; /* NULL: no recursive attributes */
	struct idmnt *idmap;	  /* NULL: not idmapped */
};

struct dev {
	const char *path, *bind;
	uint32_t type, major, minor, mode, uid, gid;
};

struct pair {
	const char *a, *b;
}; /* symlink: a=target b=path; sysctl: a=key b=value */

struct hook {
	const char *path;
	struct strv args, env;
	uint32_t timeout;
};

struct plan {
	uint32_t version, mode, clone_flags;
	struct nsjoin *ns;
	size_t nns;
	const char *timens_offsets, *oom_score_adj;
	struct rlim *rl;
	size_t nrl;
	const char *rootfs;
	int has_rootfs_prop;
	uint32_t rootfs_prop;
	uint32_t root_readonly, no_pivot;
	struct mnt *mounts;
	size_t nmounts;
	struct mattr *mattrs;
	size_t nmattrs;
	struct idmnt *idmaps;
	size_t nidmaps;
	struct dev *devs;
	size_t ndevs;
	struct pair *links;
	size_t nlinks;
	struct strv masked, readonly, remount_ro;
	struct pair *sysctl;
	size_t nsysctl;
	const char *hostname, *domainname;
	struct strv args, env;
	const char *cwd;
	uint32_t uid, gid;
	uint32_t *groups;
	size_t ngroups;
	int has_umask;
	uint32_t umask;
	uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
	uint32_t no_new_privs, terminal;
	int console_socket_fd; /* -1: none */
	int pidfd_socket_fd;   /* -1: none */
	int has_console_size;
	uint32_t console_height, console_width;
	uint32_t preserve_fds;
	const char *fifo_path;
	uint32_t hooks_sync;
	uint32_t trace; /* send MSG_MARK per stage (berth --trace) */
	struct hook *create_hooks;
	size_t ncreate_hooks;
	struct hook *start_hooks;
	size_t nstart_hooks;
	uint32_t wait, check_exec;
	const unsigned char *seccomp_bpf;
	size_t seccomp_len;
	uint32_t seccomp_flags;
	int has_seccomp;
	int seccomp_agent_fd; /* -1: the filter makes no listener */
	uint32_t setsid, devpts_ptmx, listen_fds, userns;
	const char *default_path;
	const char *session_keyring;
	struct strv cgroup_tasks;			   /* v1 "tasks" files stage 1 writes "0" to (itself) */
	const char *cgroup_into;			   /* cgroup2 directory the container process is cloned into */
	const char *label_attr, *label_value, *label_what; /* EXEC_LABEL; label_attr NULL: none */
	int has_personality;
	uint32_t personality;
	int has_ioprio;
	uint32_t ioprio;
	const unsigned char *sched_attr;
	size_t sched_attr_len;
	int has_mempolicy;
	uint32_t mempolicy;
	const unsigned char *mem_nodes;
	size_t mem_nodes_len;
	const unsigned char *cpus_initial, *cpus_final;
	size_t cpus_initial_len, cpus_final_len;
};

/* Parse a MSG_PLAN payload. The plan keeps pointers into buf. Dies on any malformed record. */
void plan_parse(struct plan *p, const unsigned char *buf, size_t len);

#endif
