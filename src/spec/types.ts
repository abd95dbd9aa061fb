// TypeScript shapes of the OCI runtime-spec 1.3 documents berth reads and writes
// (Linux fields only). Validation (validate.ts) guarantees a parsed config.json
// has this shape before any other module sees it.

export interface Spec {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  [k: string]: unknown;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  scheduler?: unknown;
  ioPriority?: unknown;
  execCPUAffinity?: unknown;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export interface TimeOffset {
  secs?: number;
  nanosecs?: number;
}

export interface IDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Namespace {
  type: NamespaceType;
  path?: string;
}
export type NamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";

export interface Device {
  type: "c" | "b" | "u" | "p";
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

/** linux.resources.memory: byte values, -1 meaning unlimited. */
export interface MemoryResources {
  limit?: number;
  reservation?: number;
  /** memory+swap limit. */
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface CpuResources {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface WeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}
export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface BlockIOResources {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface HugepageLimit {
  pageSize: string;
  limit: number;
}

export interface NetworkResources {
  classID?: number;
  priorities?: { name: string; priority: number }[];
}

export interface RdmaLimit {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: MemoryResources;
  cpu?: CpuResources;
  pids?: { limit?: number };
  blockIO?: BlockIOResources;
  hugepageLimits?: HugepageLimit[];
  network?: NetworkResources;
  /** Device name → limits. */
  rdma?: Record<string, RdmaLimit>;
  unified?: Record<string, string>;
}

/** linux.intelRdt: the container's resctrl group (runtime-spec 1.3, config-linux.md). */
export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  /** boottime and monotonic; other keys pass the schema and are refused when the plan is built. */
  timeOffsets?: { boottime?: TimeOffset; monotonic?: TimeOffset; [clock: string]: TimeOffset | undefined };
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: unknown;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: unknown;
  intelRdt?: IntelRdt;
  /** Host network devices moved into the container's network namespace, by host name (runtime-spec 1.3). */
  netDevices?: Record<string, { name?: string }>;
  memoryPolicy?: unknown;
  [k: string]: unknown;
}

/** The state document `berth state` prints (runtime.md "State"). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "stopped" | "paused";
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
