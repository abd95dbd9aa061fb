// The fully resolved plan handed to berth-init. Everything in it is already
// numeric or a plain string: berth-init knows nothing about the OCI spec.
// planBuilder.ts turns a validated config.json into a Plan; planCodec.ts
// turns a Plan into the binary format of native/PROTOCOL.md.

export interface PlanNsJoin {
  type: number;
  path: string;
}
export interface PlanRlimit {
  type: number;
  soft: bigint;
  hard: bigint;
}

export interface PlanMount {
  source: string;
  /** Absolute path inside the container. */
  destination: string;
  fstype: string;
  /** mount(2) flags without propagation flags. */
  flags: bigint;
  data: string;
  /** MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied in order after mounting. */
  propagation: number[];
  bind: boolean;
  /** For binds: flags for the MS_BIND|MS_REMOUNT pass (0n: no remount). */
  remountFlags: bigint;
  /** Create the mountpoint as a file (bind of a non-directory). */
  destIsFile: boolean;
  cgroup: boolean;
  /** tmpfs only: copy what the destination held into the new tmpfs (runc's tmpcopyup). */
  copyUp?: boolean;
  /**
   * mount_setattr(2) attributes set and cleared with AT_RECURSIVE on the mount and every
   * mount below it, right after it is made (rro, rnosuid, …). `what` names it in errors.
   */
  recursiveAttr?: { set: number; clear: number; what: string };
  /** A bind whose tree gets an id mapping (mount_setattr MOUNT_ATTR_IDMAP). */
  idmap?: PlanIdmap;
}

/** A mount that is not a bind: the fields given, the others at their neutral values. */
export function fsMount(m: Pick<PlanMount, "source" | "destination" | "fstype"> & Partial<PlanMount>): PlanMount {
  return { flags: 0n, data: "", propagation: [], bind: false, remountFlags: 0n, destIsFile: false, cgroup: false, ...m };
}

/**
 * The mapping of an idmapped bind: a user namespace made for uidMap/gidMap (uid_map text),
 * or the existing one at usernsPath. `recursive`: every mount of an rbind's tree (ridmap).
 */
export interface PlanIdmap {
  uidMap?: string;
  gidMap?: string;
  usernsPath?: string;
  recursive: boolean;
  /** The mount's JSON path, for errors. */
  what: string;
}

export interface PlanDevice {
  path: string;
  /** S_IFCHR, S_IFBLK or S_IFIFO. */
  type: number;
  major: number;
  minor: number;
  /** Permission bits only. */
  mode: number;
  uid: number;
  gid: number;
  /** Host path to bind-mount instead of mknod (user namespaces). */
  bindFrom?: string;
}

export interface PlanHook {
  path: string;
  args: string[];
  env: string[];
  timeout: number;
}

export interface PlanProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
  caps: { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint };
  noNewPrivileges: boolean;
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  rlimits: PlanRlimit[];
  oomScoreAdj?: number;
  /** struct sched_attr for sched_setattr(2) (process.scheduler). */
  schedAttr?: Buffer;
  /** ioprio_set(2) value (process.ioPriority). */
  ioPriority?: number;
  /** An LSM label for the next execve: `value` written to /proc/thread-self/`attr`; `what` names it in errors. */
  execLabel?: { attr: string; value: string; what: string };
}

export interface Plan {
  mode: "init" | "exec";
  /** CLONE_NEW* flags to create, CLONE_NEWUSER included when userns is true. */
  cloneFlags: number;
  userns: boolean;
  nsJoin: PlanNsJoin[];
  timensOffsets?: string;
  process: PlanProcess;
  /** init mode only: */
  rootfs?: string;
  rootfsPropagation?: number;
  rootReadonly?: boolean;
  noPivot?: boolean;
  mounts: PlanMount[];
  devices: PlanDevice[];
  symlinks: { target: string; path: string }[];
  devptsPtmx: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** Mount points whose mount is made read-only after the pivot (a read-only /dev or tmpfs, filled first). */
  remountReadonly: string[];
  sysctl: { key: string; value: string }[];
  hostname?: string;
  domainname?: string;
  fifoPath?: string;
  hooksSync: boolean;
  /** berth --trace: berth-init sends a MSG_MARK per stage. */
  trace?: boolean;
  createContainerHooks: PlanHook[];
  startContainerHooks: PlanHook[];
  /** Filled in by the caller (spawn), not by the builder. */
  consoleSocketFd?: number;
  /** Filled in by the caller: the connected --pidfd-socket, where the container process sends a pidfd of itself. */
  pidfdSocketFd?: number;
  preserveFds: number;
  listenFds: number;
  wait: boolean;
  checkExec: boolean;
  setsid: boolean;
  defaultPath: string;
  /** Name of a new session keyring to join (runc: "_ses.<id>"); undefined with --no-new-keyring. */
  sessionKeyring?: string;
  /** cgroup v1 "tasks" files stage 1 writes "0" to, moving itself into them. */
  cgroupTasks?: string[];
  /** cgroup2 directory the container process is cloned into (CLONE_INTO_CGROUP). */
  cgroupInto?: string;
  /**
   * The compiled filter and its seccomp(2) flags. With SECCOMP_FILTER_FLAG_NEW_LISTENER the
   * filter makes a listener, which berth-init sends to the seccomp agent on the socket at
   * agentFd (filled in by the caller, like consoleSocketFd).
   */
  seccomp?: { bpf: Buffer; flags: number; agentFd?: number };
  /** exec: CPU masks (cpu_set_t) for stage 1 once it has the plan, and for the process before execve. */
  cpuAffinityInitial?: Buffer;
  cpuAffinityFinal?: Buffer;
  /** set_mempolicy(2) mode (with flags) and node mask (linux.memoryPolicy). */
  memoryPolicy?: { mode: number; nodes?: Buffer };
  /** personality(2) persona for the process (linux.personality). */
  personality?: number;
}
