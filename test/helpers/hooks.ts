// Hooks that record themselves: each appends one line "<kind> <state JSON from
// stdin>" to a log inside the rootfs (so the startContainer hook, which runs
// after pivot_root, writes to the same file as the host-side hooks).

import { existsSync, readFileSync } from "node:fs";
import type { Hook, OciState } from "../../src/spec/types.js";
import type { Bundle } from "./bundle.js";

export const HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

/** Container path of the hook log (host path: bundle.inRootfs(HOOK_LOG)). */
export const HOOK_LOG = "/hooks.log";

/** startContainer hooks run inside the container after pivot_root; all others see host paths. */
export function hookSeesContainerPaths(kind: HookKind): boolean {
  return kind === "startContainer";
}

/** A hook that appends "<tag> <stdin>\n" to the hook log. */
export function recordingHook(bundle: Bundle, kind: HookKind, tag: string = kind): Hook {
  const log = hookSeesContainerPaths(kind) ? HOOK_LOG : bundle.inRootfs(HOOK_LOG);
  return { path: "/bin/sh", args: ["sh", "-c", `printf '%s ' '${tag}' >> ${log}; cat >> ${log}; echo >> ${log}`] };
}

/** A hook that records itself like recordingHook, then exits with `status`. */
export function failingHook(bundle: Bundle, kind: HookKind, status = 1, tag = `${kind}-fail`): Hook {
  const h = recordingHook(bundle, kind, tag);
  return { ...h, args: ["sh", "-c", `${h.args?.[2] ?? ""}; exit ${status}`] };
}

/** Add one recording hook of every kind to the bundle's config (does not write it). */
export function addAllRecordingHooks(bundle: Bundle): void {
  bundle.config.hooks = {};
  for (const kind of HOOK_KINDS) bundle.config.hooks[kind] = [recordingHook(bundle, kind)];
}

export interface HookRecord {
  tag: string;
  raw: string;
  state?: OciState;
}

/** Parse the hook log of a bundle: one record per hook invocation, in order. */
export function readHookLog(bundle: Bundle): HookRecord[] {
  const file = bundle.inRootfs(HOOK_LOG);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const sp = line.indexOf(" ");
      const tag = sp < 0 ? line : line.slice(0, sp);
      const raw = sp < 0 ? "" : line.slice(sp + 1).trim();
      let state: OciState | undefined;
      try {
        state = JSON.parse(raw) as OciState;
      } catch {
        state = undefined;
      }
      return { tag, raw, state };
    });
}
