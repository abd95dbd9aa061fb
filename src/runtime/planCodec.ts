// Plan → MSG_PLAN payload, the binary record format of native/PROTOCOL.md:
//   u16 tag | u16 flags(0) | u32 length | value[length]   (little-endian)
// Strings carry their trailing NUL; booleans are sent only when true; optional
// fields are omitted when undefined. berth-init treats an unknown tag as an error.

import { BerthError } from "../errors.js";
import type { Plan, PlanHook, PlanMount, PlanDevice } from "./plan.js";
import {
  ConsoleSizeTag,
  DeviceTag,
  HookTag,
  MountTag,
  Mode,
  NsJoinTag,
  PROTOCOL_VERSION,
  RlimitTag,
  LabelTag,
  MountAttrTag,
  MountIdmapTag,
  SeccompTag,
  SymlinkTag,
  SysctlTag,
  Tag,
} from "./protocol.js";

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Accumulates records into one growing buffer (a plan is a few kilobytes of
 * small records; one allocation each would cost more than the whole encoding).
 * `where` names the plan field for error messages.
 */
class RecordWriter {
  private buf = Buffer.allocUnsafe(8192);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** Write a record header; returns the offset of its length field. */
  private header(tag: number, length: number): number {
    this.reserve(8);
    this.buf.writeUInt16LE(tag, this.len);
    this.buf.writeUInt16LE(0, this.len + 2);
    this.buf.writeUInt32LE(length, this.len + 4);
    this.len += 8;
    return this.len - 4;
  }

  u32(tag: number, value: number, where: string): void {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw new BerthError(`${value} is not an unsigned 32-bit integer`, {
        op: "encode plan",
        path: where,
        hint: "this is a bug in the plan builder",
      });
    }
    this.header(tag, 4);
    this.reserve(4);
    this.buf.writeUInt32LE(value, this.len);
    this.len += 4;
  }

  u64(tag: number, value: bigint, where: string): void {
    if (value < 0n || value > U64_MAX) {
      throw new BerthError(`${value} is not an unsigned 64-bit integer`, {
        op: "encode plan",
        path: where,
        hint: "this is a bug in the plan builder",
      });
    }
    this.header(tag, 8);
    this.reserve(8);
    this.buf.writeBigUInt64LE(value, this.len);
    this.len += 8;
  }

  str(tag: number, value: string, where: string): void {
    if (value.includes("\0")) {
      throw new BerthError("contains a NUL byte", {
        op: "encode plan",
        path: where,
        hint: "remove the NUL character from the configuration value",
      });
    }
    const n = Buffer.byteLength(value, "utf8") + 1;
    this.header(tag, n);
    this.reserve(n);
    this.len += this.buf.write(value, this.len, "utf8");
    this.buf[this.len++] = 0;
  }

  bool(tag: number, value: boolean | undefined): void {
    if (value === true) this.u32(tag, 1, "");
  }

  bytes(tag: number, value: Buffer): void {
    this.header(tag, value.length);
    this.reserve(value.length);
    value.copy(this.buf, this.len);
    this.len += value.length;
  }

  nest(tag: number, fill: (w: RecordWriter) => void): void {
    const at = this.header(tag, 0);
    const start = this.len;
    fill(this);
    this.buf.writeUInt32LE(this.len - start, at);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function encodeMount(w: RecordWriter, m: PlanMount, where: string): void {
  w.str(MountTag.SOURCE, m.source, `${where}.source`);
  w.str(MountTag.DEST, m.destination, `${where}.destination`);
  w.str(MountTag.FSTYPE, m.fstype, `${where}.type`);
  w.u64(MountTag.FLAGS, m.flags, `${where}.flags`);
  if (m.data !== "") w.str(MountTag.DATA, m.data, `${where}.data`);
  m.propagation.forEach((p, i) => w.u32(MountTag.PROPAGATION, p, `${where}.propagation[${i}]`));
  w.bool(MountTag.BIND, m.bind);
  if (m.remountFlags !== 0n) w.u64(MountTag.REMOUNT_FLAGS, m.remountFlags, `${where}.remountFlags`);
  w.bool(MountTag.DEST_IS_FILE, m.destIsFile);
  w.bool(MountTag.CGROUP, m.cgroup);
  if (m.copyUp === true) w.bool(MountTag.COPYUP, true);
}

/** A mount's MOUNT_ATTR and MOUNT_IDMAP records, which name it by its index among the MOUNTs. */
function encodeMountExtras(w: RecordWriter, m: PlanMount, i: number): void {
  const where = `mounts[${i}]`;
  const attr = m.recursiveAttr;
  if (attr !== undefined) {
    w.nest(Tag.MOUNT_ATTR, (n) => {
      n.u32(MountAttrTag.MOUNT, i, `${where}.index`);
      n.u64(MountAttrTag.SET, BigInt(attr.set), `${where}.recursiveAttr.set`);
      n.u64(MountAttrTag.CLEAR, BigInt(attr.clear), `${where}.recursiveAttr.clear`);
      n.str(MountAttrTag.WHAT, attr.what, `${where}.recursiveAttr.what`);
    });
  }
  const id = m.idmap;
  if (id !== undefined) {
    w.nest(Tag.MOUNT_IDMAP, (n) => {
      n.u32(MountIdmapTag.MOUNT, i, `${where}.index`);
      if (id.uidMap !== undefined) n.str(MountIdmapTag.UID_MAP, id.uidMap, `${where}.idmap.uidMap`);
      if (id.gidMap !== undefined) n.str(MountIdmapTag.GID_MAP, id.gidMap, `${where}.idmap.gidMap`);
      if (id.usernsPath !== undefined) n.str(MountIdmapTag.USERNS, id.usernsPath, `${where}.idmap.usernsPath`);
      n.bool(MountIdmapTag.RECURSIVE, id.recursive);
      n.str(MountIdmapTag.WHAT, id.what, `${where}.idmap.what`);
    });
  }
}

function encodeDevice(w: RecordWriter, d: PlanDevice, where: string): void {
  w.str(DeviceTag.PATH, d.path, `${where}.path`);
  w.u32(DeviceTag.TYPE, d.type, `${where}.type`);
  w.u32(DeviceTag.MAJOR, d.major, `${where}.major`);
  w.u32(DeviceTag.MINOR, d.minor, `${where}.minor`);
  w.u32(DeviceTag.MODE, d.mode, `${where}.mode`);
  w.u32(DeviceTag.UID, d.uid, `${where}.uid`);
  w.u32(DeviceTag.GID, d.gid, `${where}.gid`);
  if (d.bindFrom !== undefined) w.str(DeviceTag.BIND, d.bindFrom, `${where}.bindFrom`);
}

function encodeHook(w: RecordWriter, h: PlanHook, where: string): void {
  w.str(HookTag.PATH, h.path, `${where}.path`);
  h.args.forEach((a, i) => w.str(HookTag.ARG, a, `${where}.args[${i}]`));
  h.env.forEach((e, i) => w.str(HookTag.ENV, e, `${where}.env[${i}]`));
  if (h.timeout > 0) w.u32(HookTag.TIMEOUT, h.timeout, `${where}.timeout`);
}

/** Encode a plan as the MSG_PLAN payload. Throws BerthError for values the wire cannot carry. */
export function encodePlan(plan: Plan): Buffer {
  const w = new RecordWriter();
  const proc = plan.process;

  w.u32(Tag.VERSION, PROTOCOL_VERSION, "version");
  w.u32(Tag.MODE, plan.mode === "exec" ? Mode.EXEC : Mode.INIT, "mode");
  w.u32(Tag.CLONE_FLAGS, plan.cloneFlags, "cloneFlags");
  w.bool(Tag.USERNS, plan.userns);
  plan.nsJoin.forEach((ns, i) =>
    w.nest(Tag.NS_JOIN, (n) => {
      n.u32(NsJoinTag.TYPE, ns.type, `nsJoin[${i}].type`);
      n.str(NsJoinTag.PATH, ns.path, `nsJoin[${i}].path`);
    }),
  );
  if (plan.timensOffsets !== undefined) w.str(Tag.TIMENS_OFFSETS, plan.timensOffsets, "timensOffsets");
  if (proc.oomScoreAdj !== undefined) {
    if (!Number.isInteger(proc.oomScoreAdj)) {
      throw new BerthError(`${proc.oomScoreAdj} is not an integer`, { op: "encode plan", path: "process.oomScoreAdj" });
    }
    w.str(Tag.OOM_SCORE_ADJ, String(proc.oomScoreAdj), "process.oomScoreAdj");
  }
  proc.rlimits.forEach((rl, i) =>
    w.nest(Tag.RLIMIT, (n) => {
      n.u32(RlimitTag.TYPE, rl.type, `process.rlimits[${i}].type`);
      n.u64(RlimitTag.SOFT, rl.soft, `process.rlimits[${i}].soft`);
      n.u64(RlimitTag.HARD, rl.hard, `process.rlimits[${i}].hard`);
    }),
  );

  if (plan.rootfs !== undefined) w.str(Tag.ROOTFS, plan.rootfs, "rootfs");
  if (plan.rootfsPropagation !== undefined) w.u32(Tag.ROOTFS_PROPAGATION, plan.rootfsPropagation, "rootfsPropagation");
  w.bool(Tag.ROOT_READONLY, plan.rootReadonly);
  w.bool(Tag.NO_PIVOT, plan.noPivot);
  plan.mounts.forEach((m, i) => w.nest(Tag.MOUNT, (n) => encodeMount(n, m, `mounts[${i}]`)));
  plan.mounts.forEach((m, i) => encodeMountExtras(w, m, i));
  plan.devices.forEach((d, i) => w.nest(Tag.DEVICE, (n) => encodeDevice(n, d, `devices[${i}]`)));
  plan.symlinks.forEach((l, i) =>
    w.nest(Tag.SYMLINK, (n) => {
      n.str(SymlinkTag.TARGET, l.target, `symlinks[${i}].target`);
      n.str(SymlinkTag.PATH, l.path, `symlinks[${i}].path`);
    }),
  );
  w.bool(Tag.DEVPTS_PTMX, plan.devptsPtmx);
  plan.maskedPaths.forEach((p, i) => w.str(Tag.MASKED_PATH, p, `maskedPaths[${i}]`));
  plan.readonlyPaths.forEach((p, i) => w.str(Tag.READONLY_PATH, p, `readonlyPaths[${i}]`));
  plan.remountReadonly.forEach((p, i) => w.str(Tag.REMOUNT_READONLY, p, `remountReadonly[${i}]`));
  plan.sysctl.forEach((s, i) =>
    w.nest(Tag.SYSCTL, (n) => {
      n.str(SysctlTag.KEY, s.key, `sysctl[${i}].key`);
      n.str(SysctlTag.VALUE, s.value, `sysctl[${i}].value`);
    }),
  );
  if (plan.hostname !== undefined) w.str(Tag.HOSTNAME, plan.hostname, "hostname");
  if (plan.domainname !== undefined) w.str(Tag.DOMAINNAME, plan.domainname, "domainname");

  proc.args.forEach((a, i) => w.str(Tag.ARG, a, `process.args[${i}]`));
  proc.env.forEach((e, i) => w.str(Tag.ENV, e, `process.env[${i}]`));
  w.str(Tag.CWD, proc.cwd, "process.cwd");
  w.u32(Tag.UID, proc.uid, "process.uid");
  w.u32(Tag.GID, proc.gid, "process.gid");
  proc.additionalGids.forEach((g, i) => w.u32(Tag.ADDITIONAL_GID, g, `process.additionalGids[${i}]`));
  if (proc.umask !== undefined) w.u32(Tag.UMASK, proc.umask, "process.umask");
  w.u64(Tag.CAP_BOUNDING, proc.caps.bounding, "process.caps.bounding");
  w.u64(Tag.CAP_EFFECTIVE, proc.caps.effective, "process.caps.effective");
  w.u64(Tag.CAP_PERMITTED, proc.caps.permitted, "process.caps.permitted");
  w.u64(Tag.CAP_INHERITABLE, proc.caps.inheritable, "process.caps.inheritable");
  w.u64(Tag.CAP_AMBIENT, proc.caps.ambient, "process.caps.ambient");
  w.bool(Tag.NO_NEW_PRIVS, proc.noNewPrivileges);
  w.bool(Tag.TERMINAL, proc.terminal);
  if (proc.ioPriority !== undefined) w.u32(Tag.IOPRIO, proc.ioPriority, "process.ioPriority");
  if (proc.schedAttr !== undefined) w.bytes(Tag.SCHED_ATTR, proc.schedAttr);
  if (proc.execLabel !== undefined) {
    const l = proc.execLabel;
    w.nest(Tag.EXEC_LABEL, (n) => {
      n.str(LabelTag.ATTR, l.attr, "process.execLabel.attr");
      n.str(LabelTag.VALUE, l.value, "process.execLabel.value");
      n.str(LabelTag.WHAT, l.what, "process.execLabel.what");
    });
  }
  if (plan.consoleSocketFd !== undefined) w.u32(Tag.CONSOLE_SOCKET_FD, plan.consoleSocketFd, "consoleSocketFd");
  if (plan.pidfdSocketFd !== undefined) w.u32(Tag.PIDFD_SOCKET_FD, plan.pidfdSocketFd, "pidfdSocketFd");
  if (proc.consoleSize !== undefined) {
    const size = proc.consoleSize;
    w.nest(Tag.CONSOLE_SIZE, (n) => {
      n.u32(ConsoleSizeTag.HEIGHT, size.height, "process.consoleSize.height");
      n.u32(ConsoleSizeTag.WIDTH, size.width, "process.consoleSize.width");
    });
  }

  // On the wire N counts every inherited fd: the LISTEN_FDS ones first, then --preserve-fds.
  const inherited = plan.preserveFds + plan.listenFds;
  if (inherited > 0) w.u32(Tag.PRESERVE_FDS, inherited, "preserveFds");
  if (plan.listenFds > 0) w.u32(Tag.LISTEN_FDS, plan.listenFds, "listenFds");
  if (plan.fifoPath !== undefined) w.str(Tag.FIFO_PATH, plan.fifoPath, "fifoPath");
  w.bool(Tag.HOOKS_SYNC, plan.hooksSync);
  w.bool(Tag.TRACE, plan.trace);
  plan.createContainerHooks.forEach((h, i) => w.nest(Tag.HOOK_CREATE_CONTAINER, (n) => encodeHook(n, h, `hooks.createContainer[${i}]`)));
  plan.startContainerHooks.forEach((h, i) => w.nest(Tag.HOOK_START_CONTAINER, (n) => encodeHook(n, h, `hooks.startContainer[${i}]`)));
  w.bool(Tag.WAIT, plan.wait);
  w.bool(Tag.CHECK_EXEC, plan.checkExec);
  w.bool(Tag.SETSID, plan.setsid);
  if (plan.defaultPath !== "") w.str(Tag.DEFAULT_PATH, plan.defaultPath, "defaultPath");
  if (plan.sessionKeyring !== undefined) w.str(Tag.SESSION_KEYRING, plan.sessionKeyring, "sessionKeyring");
  (plan.cgroupTasks ?? []).forEach((t, i) => w.str(Tag.CGROUP_TASKS, t, `cgroupTasks[${i}]`));
  if (plan.cgroupInto !== undefined) w.str(Tag.CGROUP_INTO, plan.cgroupInto, "cgroupInto");
  if (plan.personality !== undefined) w.u32(Tag.PERSONALITY, plan.personality, "personality");
  if (plan.memoryPolicy !== undefined) {
    w.u32(Tag.MEMPOLICY_MODE, plan.memoryPolicy.mode, "memoryPolicy.mode");
    if (plan.memoryPolicy.nodes !== undefined) w.bytes(Tag.MEMPOLICY_NODES, plan.memoryPolicy.nodes);
  }
  if (plan.cpuAffinityInitial !== undefined) w.bytes(Tag.CPU_AFFINITY_INITIAL, plan.cpuAffinityInitial);
  if (plan.cpuAffinityFinal !== undefined) w.bytes(Tag.CPU_AFFINITY_FINAL, plan.cpuAffinityFinal);
  if (plan.seccomp !== undefined) {
    const sc = plan.seccomp;
    w.nest(Tag.SECCOMP, (n) => {
      n.bytes(SeccompTag.BPF, sc.bpf);
      n.u32(SeccompTag.FLAGS, sc.flags, "seccomp.flags");
      if (sc.agentFd !== undefined) n.u32(SeccompTag.AGENT_FD, sc.agentFd, "seccomp.agentFd");
    });
  }
  return w.finish();
}
