// OCI hooks that podman adds from --hooks-dir, run by berth and by runc: a hook without
// `env` inherits the runtime's environment (runc passes its own), and a failing
// poststart hook fails the start and stops the container (runtime-spec 1.3, lifecycle
// step 9; runc does the same).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { uniqueId } from "../helpers/runtime.js";
import { describeCommand, engineForSuite } from "./command.js";
import { Podman } from "./podman.js";
import { engineRuntimes, type EngineRuntime } from "./runtimes.js";

/** A hooks directory holding one hook for `stage` that runs `script` with /bin/sh. */
function hooksDir(pm: Podman, rt: EngineRuntime, stage: string, script: string): string {
  const dir = join(pm.dir, `hooks-${stage}-${rt.name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "hook.json"),
    JSON.stringify({
      version: "1.0.0",
      hook: { path: "/bin/sh", args: ["sh", "-c", script] },
      when: { always: true },
      stages: [stage],
    }),
  );
  return dir;
}

needs("root", "podman").describe("engines: podman --hooks-dir", () => {
  const pm = engineForSuite(() => Podman.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      it("a hook without env inherits the runtime's environment (PATH)", async () => {
        const out = join(pm.dir, `hook-env-${rt.name}`);
        // `env` prints only what the hook was given, not the shell's own defaults
        const hooks = hooksDir(pm, rt, "prestart", `env > ${out}`);
        const r = pm.run(rt, ["--hooks-dir", hooks], ["true"]);
        expect(r.code, describeCommand(r)).toBe(0);
        expect(existsSync(out), "the hook ran").toBe(true);
        const env = readFileSync(out, "utf8").split("\n");
        expect(
          env.find((l) => l.startsWith("PATH=")),
          env.join("\n"),
        ).toBeDefined();
      });

      it("a failing poststart hook fails the start and stops the container", async () => {
        const hooks = hooksDir(pm, rt, "poststart", "echo poststart-failed-on-purpose >&2; exit 4");
        const name = uniqueId("poststart");
        // detached, so a runtime that lets the container run on does not hold the test up
        const r = pm.run(rt, ["-d", "--name", name, "--hooks-dir", hooks], ["sleep", "1000"], { keep: true });
        expect(r.code, describeCommand(r)).not.toBe(0);
        expect(r.stderr, describeCommand(r)).toMatch(/poststart|hook/i);
        const id = pm.inspect(name, "{{.Id}}");
        expect(pm.inspect(id, "{{.State.Status}}")).not.toBe("running");
        expect(await pm.remove(rt, id)).toEqual([]);
      });
    });
  }
});
