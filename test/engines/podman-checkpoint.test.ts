// podman's `container checkpoint` and `container restore` with berth and with runc as the
// runtime: podman calls the runtime's checkpoint (--image-path, --work-path, …) itself and
// its restore through conmon (--bundle, --detach, --pid-file …). A counter that lives only in
// the shell's memory goes on from where it was, as pid 1 of the container; a restarted
// container would count from 1 again. Needs a kernel criu supports (the qemu guest, where
// scripts/vm/run.sh runs this file by default).

import { expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { sleep } from "../helpers/leaks.js";
import { describeCommand, engineForSuite, expectRun } from "./command.js";
import { Podman } from "./podman.js";
import { engineRuntimes } from "./runtimes.js";

const COUNTER = ["sh", "-c", 'i=0; while :; do i=$((i+1)); echo "$$ $i" > /tmp/n; sleep 0.1; done'];

needs("root", "podman", "criu").describe("engines: podman container checkpoint and restore", () => {
  const pm = engineForSuite(() => Podman.start());

  /** The container's count: "<pid> <n>" from /tmp/n. */
  const count = (id: string): { pid: number; n: number } => {
    const r = pm.podman(["exec", id, "cat", "/tmp/n"]);
    expect(r.code, describeCommand(r)).toBe(0);
    const [pid, n] = r.stdout.trim().split(" ");
    return { pid: Number(pid), n: Number(n) };
  };
  const countAtLeast = async (id: string, min: number): Promise<{ pid: number; n: number }> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = count(id);
      if (c.n >= min || Date.now() > deadline) return c;
      await sleep(200);
    }
  };

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      it("checkpoint stops the container, restore brings back the same process with its memory", async () => {
        await pm.withContainer(
          rt,
          [],
          COUNTER,
          async (id) => {
            const before = await countAtLeast(id, 20);
            expect(before.pid).toBe(1);
            expectRun(pm.podman(["container", "checkpoint", id], { timeoutMs: 180_000 }), 0);
            expect(pm.inspect(id, "{{.State.Status}}")).toBe("exited");
            expect(pm.inspect(id, "{{.State.Checkpointed}}")).toBe("true");
            expectRun(pm.podman(["container", "restore", id], { timeoutMs: 180_000 }), 0);
            expect(pm.inspect(id, "{{.State.Status}}")).toBe("running");
            expect(pm.inspect(id, "{{.State.Restored}}")).toBe("true");
            const after = count(id);
            // The restored shell counts on (a new one would start at 1 and not be near 20 yet).
            expect(after.pid).toBe(1);
            expect(after.n).toBeGreaterThanOrEqual(before.n);
            const later = await countAtLeast(id, after.n + 3);
            expect(later.n).toBeGreaterThan(after.n);
          },
          30_000,
        );
      });
    });
  }
});
