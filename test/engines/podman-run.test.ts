// podman run, as its users write it, with berth and with runc as the runtime: output and
// exit codes, stdin, the process's environment, users, the root filesystem, privileges,
// seccomp, sysctls, rlimits, mounts, networks and --init. Cgroup resources are in
// podman-cgroups.test.ts, which also runs in the cgroup v2 + systemd guest.

import { copyFileSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { bindUnixgram } from "../../src/linux/unixgram.js";
import { needs } from "../helpers/host.js";
import { buildTools } from "../tools/tools.js";
import { describeCommand, engineForSuite, expectRun } from "./command.js";
import { IMAGE_MARKER, IMAGE_USER } from "./image.js";
import { Podman } from "./podman.js";
import { engineRuntimes } from "./runtimes.js";

/** Expect exit status `code` and, when given, exactly `stdout`. */

/** The value of `Field:` in a /proc/<pid>/status dump. */
function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, "m").exec(status)?.[1];
}

needs("root", "podman").describe("engines: podman run", () => {
  const pm = engineForSuite(() => Podman.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      it("an image whose /etc/hosts and /etc/resolv.conf are dangling links gets podman's files where they point", () => {
        const image = pm.importVariant("dangling-links", (rootfs) => {
          rmSync(join(rootfs, "etc/hosts"), { force: true });
          rmSync(join(rootfs, "etc/resolv.conf"), { force: true });
          symlinkSync("/run/systemd/resolve/stub-resolv.conf", join(rootfs, "etc/resolv.conf"));
          symlinkSync("../run/hosts", join(rootfs, "etc/hosts"));
        });
        const r = pm.run(
          rt,
          ["--add-host", "engine-peer:10.1.2.3"],
          ["sh", "-c", "grep -c engine-peer /run/hosts; [ -f /run/systemd/resolve/stub-resolv.conf ] && echo 1; readlink /etc/resolv.conf"],
          { image, network: "host" },
        );
        expectRun(r, 0, "1\n1\n/run/systemd/resolve/stub-resolv.conf\n");
      });

      needs("cc").it("--sdnotify=container: the container's READY=1 reaches the caller's NOTIFY_SOCKET through the runtime", async () => {
        const tools = buildTools(["sdnotify"]);
        const dir = mkdtempSync("/tmp/berth-test-sdnotify-");
        const path = join(dir, "notify.sock");
        const sock = await bindUnixgram(path);
        try {
          const image = pm.importVariant("sdnotify", (rootfs) => copyFileSync(tools.path("sdnotify"), join(rootfs, "bin/sdnotify")));
          const r = pm.run(rt, ["--sdnotify=container"], ["sh", "-c", "sdnotify READY=1; echo done"], {
            image,
            env: pm.envWith({ NOTIFY_SOCKET: path }),
          });
          expectRun(r, 0, "done\n");
          const got: string[] = [];
          for (let m = sock.receive(); m !== undefined; m = sock.receive()) got.push(m.toString());
          expect(got.join(""), got.join("|")).toContain("READY=1");
        } finally {
          sock.close();
          tools.remove();
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it("prints what the container writes and exits 0", () => {
        expectRun(pm.run(rt, [], ["echo", "hello", "world"]), 0, "hello world\n");
      });

      it("passes the container's exit status", () => {
        expectRun(pm.run(rt, [], ["sh", "-c", "exit 3"]), 3);
      });

      it("a command that does not exist: the runtime's error makes podman exit 127", () => {
        const r = pm.run(rt, [], ["/no/such/program"]);
        expectRun(r, 127);
        expect(r.stderr).toMatch(/no such file or directory|not found/i);
      });

      it("passes stdin with -i, and stderr", () => {
        const r = pm.run(rt, ["-i"], ["sh", "-c", "cat; echo oops >&2"], { input: "line one\nline two\n" });
        expectRun(r, 0, "line one\nline two\n");
        expect(r.stderr).toContain("oops");
      });

      it("sets the environment, working directory and hostname", () => {
        const r = pm.run(
          rt,
          ["-e", "GREETING=hi there", "-w", "/var/tmp", "--hostname", "engine-box"],
          ["sh", "-c", 'echo "$GREETING"; pwd; hostname; echo "$(cat /etc/hostname)"'],
        );
        expectRun(r, 0, "hi there\n/var/tmp\nengine-box\nengine-box\n");
      });

      it("--user runs as that user, with the home directory of its passwd entry", () => {
        const { uid, gid, name, home } = IMAGE_USER;
        expectRun(pm.run(rt, ["--user", `${uid}:${gid}`], ["id"]), 0, `uid=${uid}(${name}) gid=${gid}(${name}) groups=${gid}(${name})\n`);
        expectRun(pm.run(rt, ["--user", name], ["sh", "-c", 'id -u; echo "$HOME"']), 0, `${uid}\n${home}\n`);
      });

      it("--read-only: the root is read-only, the tmpfs volumes are writable and hold the image's files", () => {
        const r = pm.run(
          rt,
          ["--read-only"],
          [
            "sh",
            "-c",
            `touch /rootfile 2>/dev/null && echo root-writable; touch /tmp/x /run/x /var/tmp/x && echo tmpfs-ok; cat ${IMAGE_MARKER.path}`,
          ],
        );
        expectRun(r, 0, `tmpfs-ok\n${IMAGE_MARKER.content}`);
      });

      it("--privileged gives every capability the host allows and the host's devices", () => {
        const r = pm.run(rt, ["--privileged"], ["sh", "-c", "cat /proc/self/status; test -c /dev/loop-control && echo has-loop-control"]);
        expect(r.code, describeCommand(r)).toBe(0);
        const bounding = BigInt(`0x${statusField(readFileSync("/proc/self/status", "utf8"), "CapBnd") ?? "0"}`);
        expect(BigInt(`0x${statusField(r.stdout, "CapEff") ?? "0"}`)).toBe(bounding);
        expect(r.stdout).toContain("has-loop-control");
        expect(statusField(r.stdout, "Seccomp")).toBe("0");
      });

      it("--device /dev/fuse makes the device node in the container", () => {
        expectRun(pm.run(rt, ["--device", "/dev/fuse"], ["sh", "-c", "test -c /dev/fuse && echo fuse"]), 0, "fuse\n");
      });

      it("--cap-drop and --cap-add change the capability sets", () => {
        // CAP_NET_RAW is bit 13
        const only = pm.run(rt, ["--cap-drop", "all", "--cap-add", "NET_RAW"], ["grep", "^CapEff:", "/proc/self/status"]);
        expectRun(only, 0, "CapEff:\t0000000000002000\n");
        const noChown = pm.run(rt, ["--cap-drop", "CHOWN"], ["sh", "-c", "touch /f; chown 1000 /f && echo chowned || echo refused"]);
        expectRun(noChown, 0, "refused\n");
        expectRun(pm.run(rt, [], ["sh", "-c", "touch /f; chown 1000 /f && echo chowned"]), 0, "chowned\n");
      });

      it("applies podman's default seccomp profile; seccomp=unconfined applies none", () => {
        expectRun(pm.run(rt, [], ["grep", "^Seccomp:", "/proc/self/status"]), 0, "Seccomp:\t2\n");
        expectRun(pm.run(rt, ["--security-opt", "seccomp=unconfined"], ["grep", "^Seccomp:", "/proc/self/status"]), 0, "Seccomp:\t0\n");
      });

      it("--security-opt seccomp=FILE applies that profile", () => {
        const dir = mkdtempSync(join(pm.dir, "seccomp-"));
        const profile = join(dir, "deny-mkdir.json");
        writeFileSync(
          profile,
          JSON.stringify({
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
          }),
        );
        const r = pm.run(
          rt,
          ["--security-opt", `seccomp=${profile}`],
          ["sh", "-c", "mkdir /tmp/d 2>/dev/null && echo made || echo denied; grep ^Seccomp: /proc/self/status"],
        );
        expectRun(r, 0, "denied\nSeccomp:\t2\n");
      });

      it("--sysctl sets a namespaced sysctl", () => {
        const r = pm.run(
          rt,
          ["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.msgmax=12345"],
          ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"],
        );
        expectRun(r, 0, "1\n12345\n");
      });

      it("--ulimit sets soft and hard limits", () => {
        expectRun(pm.run(rt, ["--ulimit", "nofile=100:200", ...pm.nprocUlimit()], ["sh", "-c", "ulimit -Sn; ulimit -Hn"]), 0, "100\n200\n");
      });

      it("bind mounts (rw and ro) and named volumes", () => {
        const host = mkdtempSync(join(pm.dir, "bind-"));
        writeFileSync(join(host, "in"), "from the host\n");
        const rw = pm.run(rt, ["-v", `${host}:/data`], ["sh", "-c", "cat /data/in; echo from the container > /data/out"]);
        expectRun(rw, 0, "from the host\n");
        expect(readFileSync(join(host, "out"), "utf8")).toBe("from the container\n");
        const ro = pm.run(rt, ["-v", `${host}:/data:ro`], ["sh", "-c", "cat /data/in; echo x > /data/new 2>/dev/null || echo read-only"]);
        expectRun(ro, 0, "from the host\nread-only\n");
        const vol = `berth-test-vol-${rt.name}`;
        expectRun(pm.run(rt, ["-v", `${vol}:/vol`], ["sh", "-c", "echo kept > /vol/f"]), 0);
        expectRun(pm.run(rt, ["-v", `${vol}:/vol`], ["cat", "/vol/f"]), 0, "kept\n");
        pm.ok(["volume", "rm", "-f", vol]);
      });

      it("--network none has only a loopback; --network host shares the host's network namespace", () => {
        const none = pm.run(rt, [], ["sh", "-c", "ls /sys/class/net"]);
        expectRun(none, 0, "lo\n");
        const host = pm.run(rt, [], ["readlink", "/proc/self/ns/net"], { network: "host" });
        expectRun(host, 0, `${readlinkSync("/proc/self/ns/net")}\n`);
      });

      needs("podman-init").it("--init runs podman's init as pid 1 and the command under it", () => {
        const r = pm.run(rt, ["--init"], ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$"]);
        expect(r.code, describeCommand(r)).toBe(0);
        const [pid1, self] = r.stdout.split("\n");
        expect(pid1).toMatch(/^\/run\/podman-init -- sh -c/);
        expect(Number(self)).toBeGreaterThan(1);
      });
    });
  }
});
