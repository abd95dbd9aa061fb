// An engine's seccomp profile file (Docker's format, as podman ships it in
// /usr/share/containers/seccomp.json) turned into the linux.seccomp an engine
// puts into config.json for an x86-64 container with the given capabilities:
// the native architecture and its sub-architectures, and only the rules whose
// includes/excludes (arches, caps, minimum kernel) select them here.
// Used by the seccomp tests and by `bench/run.sh --seccomp FILE`.

import { readFileSync } from "node:fs";
import { release } from "node:os";

/** Debian's golang-github-containers-common installs podman's default profile here. */
export const PODMAN_SECCOMP_PROFILE = "/usr/share/containers/seccomp.json";

function kernelAtLeast(min) {
  const have = release().split(/[.-]/).map(Number);
  const want = min.split(".").map(Number);
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0,
      w = want[i] ?? 0;
    if (h !== w) return h > w;
  }
  return true;
}

export function engineSeccomp(file, caps) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const native = (p.archMap ?? []).find((a) => a.architecture === "SCMP_ARCH_X86_64");
  const arch = "amd64";
  const syscalls = [];
  for (const r of p.syscalls ?? []) {
    const inc = r.includes ?? {},
      exc = r.excludes ?? {};
    if (inc.arches !== undefined && inc.arches.length > 0 && !inc.arches.includes(arch)) continue;
    if (inc.caps !== undefined && !inc.caps.every((c) => caps.includes(c))) continue;
    if (inc.minKernel !== undefined && inc.minKernel !== "" && !kernelAtLeast(inc.minKernel)) continue;
    if (exc.arches !== undefined && exc.arches.includes(arch)) continue;
    if (exc.caps !== undefined && exc.caps.some((c) => caps.includes(c))) continue;
    const rule = { names: r.names, action: r.action };
    if (r.errnoRet !== undefined) rule.errnoRet = r.errnoRet;
    if (r.args !== undefined && r.args !== null && r.args.length > 0) rule.args = r.args;
    syscalls.push(rule);
  }
  const out = { defaultAction: p.defaultAction, syscalls };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  if (native !== undefined) out.architectures = [native.architecture, ...(native.subArchitectures ?? [])];
  return out;
}
