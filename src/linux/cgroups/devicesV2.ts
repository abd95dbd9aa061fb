// Device rules on cgroup v2: load the device filter program and attach it to
// the container's cgroup2 directory with BPF_F_ALLOW_MULTI, replacing whatever
// device programs were attached there before (a single one atomically with
// BPF_F_REPLACE; several by attaching the new one first and then detaching the
// old ones, so there is never a moment without a filter). The fds are closed
// afterwards: the attachment keeps the program alive until the cgroup goes.

import { closeSync, constants, openSync } from "node:fs";
import { BerthError } from "../../errors.js";
import {
  attachDeviceProgram,
  BPF_F_ALLOW_MULTI,
  BpfError,
  bpfBerthError,
  detachDeviceProgram,
  loadDeviceProgram,
  programFdById,
  queryDevicePrograms,
} from "./bpf.js";
import { DEVICE_FILTER_LICENSE, deviceFilterProgram, encodeProgram } from "./devicesBpf.js";
import { DeviceRuleError, type DevRule } from "./devicesEmulator.js";

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Build, load and attach the device filter for `rules` on the cgroup2 directory `dir`. */
export function applyDevicesV2(dir: string, rules: readonly DevRule[]): void {
  let insns: Buffer;
  try {
    insns = encodeProgram(deviceFilterProgram(rules));
  } catch (err) {
    if (!(err instanceof DeviceRuleError)) throw err;
    throw new BerthError(err.detail, {
      op: "set device rules",
      path: "linux.resources.devices",
      hint: "the devices cgroup cannot deny part of what a wildcard rule allows; narrow the wildcard rule instead",
    });
  }
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw BerthError.fromSys("set device rules", dir, err);
  }
  const oldFds: number[] = [];
  let progFd: number | undefined;
  const hint = "berth needs CAP_SYS_ADMIN (or CAP_BPF) and a kernel with cgroup device programs";
  try {
    for (const id of queryDevicePrograms(dirFd)) {
      try {
        oldFds.push(programFdById(id));
      } catch (err) {
        // A program a security module keeps from us can stay: an extra device
        // program only ever takes access away.
        if (err instanceof BpfError && (err.errno === "EPERM" || err.errno === "EACCES" || err.errno === "ENOENT")) continue;
        throw err;
      }
    }
    progFd = loadDeviceProgram(insns, DEVICE_FILTER_LICENSE);
    let replaced = false;
    if (oldFds.length === 1) {
      try {
        attachDeviceProgram(dirFd, progFd, BPF_F_ALLOW_MULTI, oldFds[0]);
        replaced = true;
      } catch (err) {
        // Kernels before 5.6 have no BPF_F_REPLACE.
        if (!(err instanceof BpfError && err.errno === "EINVAL")) throw err;
      }
    }
    if (!replaced) {
      attachDeviceProgram(dirFd, progFd, BPF_F_ALLOW_MULTI);
      for (const fd of oldFds) detachDeviceProgram(dirFd, fd);
    }
  } catch (err) {
    throw bpfBerthError(err, dir, hint);
  } finally {
    if (progFd !== undefined) closeQuietly(progFd);
    for (const fd of oldFds) closeQuietly(fd);
    closeQuietly(dirFd);
  }
}
