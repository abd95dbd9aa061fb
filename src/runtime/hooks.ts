// Hooks that run on the host, in the runtime namespace: prestart, createRuntime,
// poststart and poststop (createContainer and startContainer run inside the
// container and are executed by berth-init). Each hook gets the container
// state JSON on stdin, its own args (args[0] is argv[0]) and env (berth's own when
// the hook has none), and is killed when its timeout passes.

import { childProcess } from "../lazy.js";
import { BerthError } from "../errors.js";
import type { Hook } from "../spec/types.js";
import { span } from "../trace.js";

export type HostHookKind = "prestart" | "createRuntime" | "poststart" | "poststop";

export function runHook(kind: string, index: number, hook: Hook, stateJson: string): void {
  span(`hook ${kind}[${index}] ${hook.path}`, () => runHookOnce(kind, index, hook, stateJson), "hook");
}

function runHookOnce(kind: string, index: number, hook: Hook, stateJson: string): void {
  const args = hook.args ?? [hook.path];
  const res = childProcess().spawnSync(hook.path, args.slice(1), {
    argv0: args[0] ?? hook.path,
    // Without env the hook inherits berth's environment, as runc's do; an empty list is an empty one.
    env:
      hook.env === undefined || hook.env === null
        ? process.env
        : Object.fromEntries(
            hook.env.map((kv) => {
              const eq = kv.indexOf("=");
              return eq < 0 ? [kv, ""] : [kv.slice(0, eq), kv.slice(eq + 1)];
            }),
          ),
    input: stateJson,
    stdio: ["pipe", "pipe", "pipe"],
    timeout: hook.timeout !== undefined ? hook.timeout * 1000 : undefined,
    killSignal: "SIGKILL",
    maxBuffer: 4 * 1024 * 1024,
  });
  const where = `hooks.${kind}[${index}]`;
  const output = `${res.stdout?.toString() ?? ""}${res.stderr?.toString() ?? ""}`.trim();
  const tail = output === "" ? "" : `: ${output.slice(-2000)}`;
  // A hook that exits without reading its stdin makes writing the state fail
  // with EPIPE; that is not a failure of the hook.
  const code = (res.error as NodeJS.ErrnoException | undefined)?.code;
  if (res.error !== undefined && !(code === "EPIPE" && (res.status !== null || res.signal !== null))) {
    if (code === "ETIMEDOUT") {
      throw new BerthError(`timed out after ${hook.timeout}s${tail}`, {
        op: `run ${kind} hook`,
        path: where,
        hint: `hook ${hook.path} was killed; raise ${where}.timeout or fix the hook`,
      });
    }
    throw BerthError.fromSys(`run ${kind} hook`, `${where} (${hook.path})`, res.error, "the hook path must be an executable on the host");
  }
  if (res.signal !== null) {
    throw new BerthError(`killed by signal ${res.signal}${tail}`, { op: `run ${kind} hook`, path: `${where} (${hook.path})` });
  }
  if (res.status !== 0) {
    throw new BerthError(`exit status ${res.status}${tail}`, { op: `run ${kind} hook`, path: `${where} (${hook.path})` });
  }
}

/** Run every hook of one kind in order; the first failure throws. */
export function runHooks(kind: HostHookKind, hooks: Hook[] | undefined, stateJson: string): void {
  (hooks ?? []).forEach((h, i) => runHook(kind, i, h, stateJson));
}

/** Run every hook of one kind; failures are returned as warnings, the rest still run. */
export function runHooksWarn(kind: HostHookKind, hooks: Hook[] | undefined, stateJson: string): string[] {
  const warnings: string[] = [];
  (hooks ?? []).forEach((h, i) => {
    try {
      runHook(kind, i, h, stateJson);
    } catch (err) {
      warnings.push((err as Error).message);
    }
  });
  return warnings;
}
