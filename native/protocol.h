/* Wire numbers of the berth <-> berth-init protocol. Mirrors src/runtime/protocol.ts;
 * native/PROTOCOL.md is the description. Change all three together. */
#ifndef BERTH_PROTOCOL_H
#define BERTH_PROTOCOL_H

#define PROTOCOL_VERSION 1

/* Frame types */
enum {
	MSG_PLAN = 1,
	MSG_USERMAP = 10,
	MSG_PID = 11,
	MSG_HOOKS = 12,
	MSG_READY = 13,
	MSG_ERROR = 14,
	MSG_WARN = 15,
	MSG_USERMAP_DONE = 20,
	MSG_HOOKS_DONE = 22,
	MSG_ABORT = 23,
};

/* Top-level plan tags */
enum {
	T_VERSION = 1,
	T_MODE = 2,
	T_CLONE_FLAGS = 3,
	T_NS_JOIN = 4,
	T_TIMENS_OFFSETS = 5,
	T_OOM_SCORE_ADJ = 6,
	T_RLIMIT = 7,
	T_ROOTFS = 8,
	T_ROOTFS_PROPAGATION = 9,
	T_ROOT_READONLY = 10,
	T_NO_PIVOT = 11,
	T_MOUNT = 12,
	T_DEVICE = 13,
	T_SYMLINK = 14,
	T_MASKED_PATH = 15,
	T_READONLY_PATH = 16,
	T_SYSCTL = 17,
	T_HOSTNAME = 18,
	T_DOMAINNAME = 19,
	T_ARG = 20,
	T_ENV = 21,
	T_CWD = 22,
	T_UID = 23,
	T_GID = 24,
	T_ADDITIONAL_GID = 25,
	T_UMASK = 26,
	T_CAP_BOUNDING = 27,
	T_CAP_EFFECTIVE = 28,
	T_CAP_PERMITTED = 29,
	T_CAP_INHERITABLE = 30,
	T_CAP_AMBIENT = 31,
	T_NO_NEW_PRIVS = 32,
	T_TERMINAL = 33,
	T_CONSOLE_SOCKET_FD = 34,
	T_CONSOLE_SIZE = 35,
	T_PRESERVE_FDS = 36,
	T_FIFO_PATH = 37,
	T_HOOKS_SYNC = 38,
	T_HOOK_CREATE_CONTAINER = 39,
	T_HOOK_START_CONTAINER = 40,
	T_WAIT = 41,
	T_CHECK_EXEC = 42,
	T_SECCOMP = 43,
	T_SETSID = 44,
	T_DEVPTS_PTMX = 45,
	T_LISTEN_FDS = 46,
	T_USERNS = 47,
	T_DEFAULT_PATH = 48,
	T_SESSION_KEYRING = 49,
	T_CGROUP_TASKS = 50,
	T_CGROUP_INTO = 51,
	T_EXEC_LABEL = 56,
};

/* Nested tags, each nest has its own numbering */
enum { NS_TYPE = 1, NS_PATH = 2 };
enum { RL_TYPE = 1, RL_SOFT = 2, RL_HARD = 3 };
enum {
	M_SOURCE = 1, M_DEST = 2, M_FSTYPE = 3, M_FLAGS = 4, M_DATA = 5, M_PROPAGATION = 6,
	M_BIND = 7, M_REMOUNT_FLAGS = 8, M_DEST_IS_FILE = 9, M_CGROUP = 10,
};
enum { D_PATH = 1, D_TYPE = 2, D_MAJOR = 3, D_MINOR = 4, D_MODE = 5, D_UID = 6, D_GID = 7, D_BIND = 8 };
enum { LINK_TARGET = 1, LINK_PATH = 2 };
enum { SYSCTL_KEY = 1, SYSCTL_VALUE = 2 };
enum { H_PATH = 1, H_ARG = 2, H_ENV = 3, H_TIMEOUT = 4 };
enum { CONSOLE_HEIGHT = 1, CONSOLE_WIDTH = 2 };
enum { SECCOMP_BPF = 1, SECCOMP_FLAGS = 2 };
enum { LABEL_ATTR = 1, LABEL_VALUE = 2, LABEL_WHAT = 3 };

enum { MODE_INIT = 0, MODE_EXEC = 1 };

#endif
