// Device rules on the cgroup v1 devices controller. The current state is read
// from devices.list, and only the writes that turn it into the target are made:
// a fresh cgroup (which inherits "a *:* rwm" from an allow-all parent) gets
// "a" in devices.deny and then one devices.allow line per exception, in listing
// order, so devices.list ends up exactly as runc leaves it; an update that
// changes nothing writes nothing, so running processes never see a gap.

import { join } from "node:path";
import { BerthError } from "../../errors.js";
import { readCgroupFile, writeCgroupFile } from "./files.js";
import { DeviceEmulator, DeviceRuleError, ruleString, type DevRule } from "./devicesEmulator.js";

function readState(dir: string): DeviceEmulator {
  const file = join(dir, "devices.list");
  const text = readCgroupFile(file);
  if (text === undefined) {
    throw new BerthError("devices.list is missing", {
      op: "set device rules",
      path: file,
      hint: "is the devices controller mounted here?",
    });
  }
  try {
    return DeviceEmulator.fromList(text);
  } catch (err) {
    throw new BerthError((err as Error).message, { op: "set device rules", path: file, cause: err });
  }
}

/** The devices.allow/devices.deny writes that take a cgroup whose devices.list reads `currentList` to `rules`, in order. */
export function devicesV1Writes(
  currentList: string,
  rules: readonly DevRule[],
): { file: "devices.allow" | "devices.deny"; line: string }[] {
  return DeviceEmulator.fromList(currentList)
    .transition(DeviceEmulator.fromRules(rules))
    .map((r) => ({ file: r.allow ? "devices.allow" : "devices.deny", line: ruleString(r) }));
}

/** Enforce `rules` on the v1 devices cgroup `dir` (the same minimal writes for create and update). */
export function applyDevicesV1(dir: string, rules: readonly DevRule[]): void {
  let target: DeviceEmulator;
  try {
    target = DeviceEmulator.fromRules(rules);
  } catch (err) {
    if (!(err instanceof DeviceRuleError)) throw err;
    throw new BerthError(err.detail, {
      op: "set device rules",
      path: "linux.resources.devices",
      hint: "the devices cgroup cannot deny part of what a wildcard rule allows; narrow the wildcard rule instead",
    });
  }
  for (const r of readState(dir).transition(target)) {
    const file = join(dir, r.allow ? "devices.allow" : "devices.deny");
    writeCgroupFile(
      file,
      ruleString(r),
      "set device rules",
      r.allow ? "a parent cgroup may not allow this device; check its devices.list" : undefined,
    );
  }
  // devices.list can only describe an allow-list exactly; for an allow-all
  // default, check at least the mode.
  const after = readState(dir);
  const ok = target.defaultAllow ? after.defaultAllow : after.equals(target);
  if (!ok) {
    throw new BerthError("devices.list does not match the rules just written", {
      op: "set device rules",
      path: join(dir, "devices.list"),
      hint: "a parent cgroup may restrict these devices; check the parent's devices.list",
    });
  }
}
