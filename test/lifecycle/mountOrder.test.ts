// Mounts are made in config order, each seeing the ones before it: a bind whose source
// is a directory of the rootfs that an earlier mount covered binds that earlier mount,
// with and without a user namespace (runc 1.1 gets the latter wrong; runc 1.2 does not).

import { chmodSync, mkdirSync } from "node:fs";
import { afterAll, expect } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { needs } from "../helpers/host.js";
import { Sandbox } from "../helpers/index.js";

needs("containers").describe("mounts: order", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  for (const userns of [false, true]) {
    // runc 1.1 binds the directory under the tmpfs in a user namespace; runc 1.2 and berth do not.
    needs(...(userns ? (["berth"] as const) : [])).it(
      `a bind of a directory an earlier tmpfs covered sees that tmpfs${userns ? " (user namespace)" : ""}`,
      () => {
        const b = sb.bundle({
          args: ["sh", "-c", "echo hi > /data/x; cat /mnt/view/x; grep -c ' /mnt/view .* - tmpfs ' /proc/self/mountinfo"],
          edit: (c: Spec) => {
            if (userns) {
              c.linux!.namespaces!.push({ type: "user" });
              c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
              c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
            }
          },
        });
        b.config.mounts!.push(
          { destination: "/data", type: "tmpfs", source: "tmpfs", options: ["size=1m"] },
          { destination: "/mnt/view", type: "bind", source: b.inRootfs("/data"), options: ["rbind"] },
        );
        b.write();
        mkdirSync(b.inRootfs("/data"), { recursive: true });
        mkdirSync(b.inRootfs("/mnt/view"), { recursive: true });
        chmodSync(b.dir, 0o755); // the mapped root must reach the rootfs
        const r = sb.ok(["run", "--bundle", b.dir, sb.id("order")]);
        expect(r.stdout).toBe("hi\n1\n");
      },
    );
  }
});
