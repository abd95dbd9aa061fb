// No host directory reaches the container through a file descriptor.
// F3: the init waiting in `created` held an O_PATH fd of the host's cgroup2
//     directory; from an exec'd process, `cd -P /proc/1/fd/N; cd ../../../..`
//     reached the host's /.
// F4: a directory fd leaked by berth's caller (no close-on-exec) reached berth-init,
//     and `exec --cwd /proc/self/fd/N` started the process with that host
//     directory as its cwd (CVE-2024-21626 class).

import { spawnSync } from "node:child_process";
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { RUNTIME_BIN, Sandbox, cleanEnv } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

needs("containers", "berth").describe("security: host directory fds", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("the init waiting in created holds no directory fds", async () => {
    const id = sb.id("fds");
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
      },
    });
    sb.create(id, b);
    const pid = sb.state(id).pid as number;
    const dirs: string[] = [];
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const p = `/proc/${pid}/fd/${fd}`;
      try {
        if (statSync(p).isDirectory()) dirs.push(`${fd} -> ${readlinkSync(p)}`);
      } catch {
        /* closed meanwhile */
      }
    }
    expect(dirs).toEqual([]);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("exec --cwd through a leaked host directory fd is refused, and the process never runs", async () => {
    const id = sb.id("cwdfd");
    sb.runDetached(id, sb.bundle({ args: ["sleep", "60"] }));
    // The caller leaks fd 20, the host's /etc, without close-on-exec: berth, berth-init and
    // the new process inherit it.
    const r = spawnSync(
      "bash",
      [
        "-c",
        'exec 20</etc; exec "$0" "$@"',
        RUNTIME_BIN,
        "--root",
        sb.root,
        "exec",
        "--cwd",
        "/proc/self/fd/20",
        id,
        "sh",
        "-c",
        "echo ran; pwd; ls",
      ],
      { encoding: "utf8", timeout: 20_000, env: cleanEnv() },
    );
    const what = `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    expect(r.stdout, what).not.toMatch(/ran|passwd|hostname/);
    expect(r.status, what).not.toBe(0);
    // Either berth-init got the fd and refused the cwd, or (the compiled berth marks every
    // inherited fd close-on-exec at start) the fd never reached it and the chdir found nothing.
    expect(r.stderr, what).toMatch(
      /cwd is outside the container's root filesystem|chdir to cwd \\?"\/proc\/self\/fd\/20\\?": no such file or directory/,
    );
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("exec --cwd through a host directory fd handed over with --preserve-fds is refused", async () => {
    const id = sb.id("cwdpfd");
    sb.runDetached(id, sb.bundle({ args: ["sleep", "60"] }));
    // This time the fd reaches berth-init for sure: it is one berth was asked to pass on.
    const r = spawnSync(
      "bash",
      [
        "-c",
        'exec 3</etc; exec "$0" "$@"',
        RUNTIME_BIN,
        "--root",
        sb.root,
        "exec",
        "--preserve-fds",
        "1",
        "--cwd",
        "/proc/self/fd/3",
        id,
        "sh",
        "-c",
        "echo ran; pwd; ls",
      ],
      { encoding: "utf8", timeout: 20_000, env: cleanEnv() },
    );
    const what = `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    expect(r.stdout, what).not.toMatch(/ran|passwd|hostname/);
    expect(r.status, what).not.toBe(0);
    expect(r.stderr, what).toMatch(/cwd is outside the container's root filesystem/);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
