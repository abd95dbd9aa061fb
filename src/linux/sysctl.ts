// sysctl key → path below /proc/sys, with sysctl(8)'s convention: dots separate
// components and a slash stands for a literal dot (net.ipv4.conf.eth0/1.rp_filter →
// net/ipv4/conf/eth0.1/rp_filter). A key whose first separator is a slash is
// already in path form (net/ipv4/conf/eth0.1/rp_filter) and is taken as is.
import { BerthError } from "../errors.js";

export function sysctlKeyToPath(key: string, path: string): string {
  const first = key.search(/[./]/);
  const pathForm = first >= 0 && key[first] === "/";
  let out = "";
  for (const ch of key) out += pathForm ? ch : ch === "." ? "/" : ch === "/" ? "." : ch;
  const parts = out.split("/");
  if (key === "" || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new BerthError(`invalid sysctl key "${key}"`, {
      op: "build plan",
      path,
      hint: "write keys as dot-separated names such as net.ipv4.ip_forward",
    });
  }
  return out;
}
