// Bad input that reaches the runtime through an engine: a device node it cannot make, a
// program that does not exist, a prestart hook that fails, a bind mount of a missing
// source (ctr's --device takes only a host path, which ctr checks itself). The engine must get the runtime's error (what it shows its user), and the
// runtime must leave nothing behind: no state, no cgroup, no mount, no process.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { uniqueId } from "../helpers/runtime.js";
import { type CommandResult, describeCommand, engineForSuite } from "./command.js";
import { Containerd } from "./containerd.js";
import { Podman } from "./podman.js";
import { engineRuntimes } from "./runtimes.js";

needs("root", "podman").describe("engines: bad input through podman", () => {
  const pm = engineForSuite(() => Podman.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      /**
       * `podman run` (kept, so its id can be checked) that must fail with `code` and a
       * message matching `message`; then the runtime must have left nothing.
       */
      async function failingRun(flags: string[], cmd: string[], code: number, message: RegExp): Promise<CommandResult> {
        const name = uniqueId("bad");
        const r = pm.run(rt, ["--name", name, ...flags], cmd, { keep: true });
        expect(r.code, describeCommand(r)).toBe(code);
        expect(r.stderr, describeCommand(r)).toMatch(message);
        expect(r.stderr).toContain(rt.bin);
        const id = pm.inspect(name, "{{.Id}}");
        expect(await pm.waitLeaks(rt, id), "left behind after the failed create").toEqual([]);
        expect(await pm.remove(rt, id)).toEqual([]);
        return r;
      }

      it("--device to a path where no node can be made: exit 126 with the runtime's error", async () => {
        await failingRun(["--device", "/dev/null:/sys/berth-test-dev"], ["true"], 126, /\/sys\/berth-test-dev.*read-only file system/i);
      });

      it("a program that does not exist: exit 127 with the runtime's error", async () => {
        await failingRun([], ["/no/such/program"], 127, /\/no\/such\/program.*no such file or directory/i);
      });

      it("a failing prestart hook (--hooks-dir): exit 126 with the hook's status and stderr", async () => {
        const hooks = join(pm.dir, `hooks-${rt.name}`);
        mkdirSync(hooks, { recursive: true });
        writeFileSync(
          join(hooks, "fail.json"),
          JSON.stringify({
            version: "1.0.0",
            hook: { path: "/bin/sh", args: ["sh", "-c", "echo hook-failed-on-purpose >&2; exit 3"] },
            when: { always: true },
            stages: ["prestart"],
          }),
        );
        await failingRun(["--hooks-dir", hooks], ["true"], 126, /hook.*exit status 3.*hook-failed-on-purpose/is);
      });
    });
  }
});

needs("root", "containerd").describe("engines: bad input through containerd", () => {
  const ctd = engineForSuite(() => Containerd.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      async function failingRun(r: CommandResult, id: string, message: RegExp): Promise<void> {
        expect(r.code, describeCommand(r)).not.toBe(0);
        expect(r.stderr, describeCommand(r)).toMatch(message);
        expect(await ctd.waitLeaks(id), "left behind after the failed create").toEqual([]);
        expect(await ctd.remove(id)).toEqual([]);
      }

      it("--mount of a source that does not exist: containerd reports the runtime's create error", async () => {
        const id = uniqueId("bad");
        const r = ctd.run(rt, id, ["--mount", "type=bind,src=/nonexistent/berth-test,dst=/data,options=rbind"], ["true"]);
        await failingRun(r, id, /OCI runtime create failed: .*\/nonexistent\/berth-test.*no such file or directory/i);
      });
    });
  }
});
