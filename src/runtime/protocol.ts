// Wire numbers shared with native/protocol.h. native/PROTOCOL.md is the description.

export const PROTOCOL_VERSION = 1;

export const enum Msg {
  PLAN = 1,
  USERMAP = 10,
  PID = 11,
  HOOKS = 12,
  READY = 13,
  ERROR = 14,
  WARN = 15,
  SECCOMP = 16,
  USERMAP_DONE = 20,
  HOOKS_DONE = 22,
  ABORT = 23,
  SECCOMP_STATE = 24,
}

export const enum Tag {
  VERSION = 1,
  MODE = 2,
  CLONE_FLAGS = 3,
  NS_JOIN = 4,
  TIMENS_OFFSETS = 5,
  OOM_SCORE_ADJ = 6,
  RLIMIT = 7,
  ROOTFS = 8,
  ROOTFS_PROPAGATION = 9,
  ROOT_READONLY = 10,
  NO_PIVOT = 11,
  MOUNT = 12,
  DEVICE = 13,
  SYMLINK = 14,
  MASKED_PATH = 15,
  READONLY_PATH = 16,
  SYSCTL = 17,
  HOSTNAME = 18,
  DOMAINNAME = 19,
  ARG = 20,
  ENV = 21,
  CWD = 22,
  UID = 23,
  GID = 24,
  ADDITIONAL_GID = 25,
  UMASK = 26,
  CAP_BOUNDING = 27,
  CAP_EFFECTIVE = 28,
  CAP_PERMITTED = 29,
  CAP_INHERITABLE = 30,
  CAP_AMBIENT = 31,
  NO_NEW_PRIVS = 32,
  TERMINAL = 33,
  CONSOLE_SOCKET_FD = 34,
  CONSOLE_SIZE = 35,
  PRESERVE_FDS = 36,
  FIFO_PATH = 37,
  HOOKS_SYNC = 38,
  HOOK_CREATE_CONTAINER = 39,
  HOOK_START_CONTAINER = 40,
  WAIT = 41,
  CHECK_EXEC = 42,
  SECCOMP = 43,
  SETSID = 44,
  DEVPTS_PTMX = 45,
  LISTEN_FDS = 46,
  USERNS = 47,
  DEFAULT_PATH = 48,
  SESSION_KEYRING = 49,
  CGROUP_TASKS = 50,
  CGROUP_INTO = 51,
  EXEC_LABEL = 56,
  REMOUNT_READONLY = 57,
}

export const enum NsJoinTag { TYPE = 1, PATH = 2 }
export const enum RlimitTag { TYPE = 1, SOFT = 2, HARD = 3 }
export const enum MountTag {
  SOURCE = 1, DEST = 2, FSTYPE = 3, FLAGS = 4, DATA = 5, PROPAGATION = 6, BIND = 7,
  REMOUNT_FLAGS = 8, DEST_IS_FILE = 9, CGROUP = 10, COPYUP = 11,
}
export const enum DeviceTag { PATH = 1, TYPE = 2, MAJOR = 3, MINOR = 4, MODE = 5, UID = 6, GID = 7, BIND = 8 }
export const enum SymlinkTag { TARGET = 1, PATH = 2 }
export const enum SysctlTag { KEY = 1, VALUE = 2 }
export const enum HookTag { PATH = 1, ARG = 2, ENV = 3, TIMEOUT = 4 }
export const enum ConsoleSizeTag { HEIGHT = 1, WIDTH = 2 }
export const enum SeccompTag { BPF = 1, FLAGS = 2, AGENT_FD = 3 }
export const enum LabelTag { ATTR = 1, VALUE = 2, WHAT = 3 }

export const enum Mode { INIT = 0, EXEC = 1 }
