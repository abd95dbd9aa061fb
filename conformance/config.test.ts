// config.md: root, mounts, process (args, env, cwd, user, capabilities,
// rlimits, umask, oomScoreAdj, noNewPrivileges), hostname, domainname.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../test/helpers/host.js";
import { Sandbox, describeResult, uniqueId } from "../test/helpers/index.js";
import { CAP, capMask, runLines, runScript, statusField } from "./common.js";

needs("containers").describe("conformance: config.md", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("config.md execCPUAffinity: an exec'd process runs on the final CPUs; the init process is not affected", async () => {
    const id = uniqueId("affinity");
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.process!.execCPUAffinity = { initial: "0", final: "0" };
      },
    });
    sb.runDetached(id, b);
    expect(sb.ok(["exec", id, "sh", "-c", "taskset -p $$"]).stdout).toMatch(/affinity mask: 1$/m);
    const all = sb.ok(["exec", id, "taskset", "-p", "1"]).stdout;
    expect(all).toMatch(/affinity mask: [0-9a-f]+$/m);
    sb.ok(["delete", "--force", id]);
  });

  it("config.md scheduler: the process runs with the policy and nice value asked for", () => {
    const id = uniqueId("sched");
    const b = sb.bundle({
      args: ["sh", "-c", "grep -E '^policy' /proc/self/sched | tr -d ' '; cut -d' ' -f19 /proc/self/stat"],
      edit: (c) => {
        c.process!.scheduler = { policy: "SCHED_BATCH", nice: 5 };
      },
    });
    expect(sb.ok(["run", "--bundle", b.dir, id]).stdout).toBe("policy:3\n5\n");
  });

  it("config.md scheduler: a deadline policy whose runtime, deadline and period do not fit is an error naming it", async () => {
    const b = sb.bundle({
      edit: (c) => {
        c.process!.scheduler = { policy: "SCHED_DEADLINE", runtime: 3000000, deadline: 2000000, period: 4000000 };
      },
    });
    await sb.refuseCreate(b, /process\.scheduler: runtime 3000000 <= deadline 2000000 <= period 4000000 does not hold/);
  });

  it("config.md ioPriority: the process runs with the class and level asked for, exec'd processes too", async () => {
    const id = uniqueId("ioprio");
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.process!.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
      },
    });
    sb.runDetached(id, b);
    expect(sb.ok(["exec", id, "ionice", "-p", "1"]).stdout).toBe("best-effort: prio 6\n");
    expect(sb.ok(["exec", id, "sh", "-c", "ionice -p $$"]).stdout).toBe("best-effort: prio 6\n");
    sb.ok(["delete", "--force", id]);
  });

  it("config.md root: with readonly true the root filesystem is read-only", () => {
    const r = runScript(
      sb,
      "touch /newfile 2>/dev/null && echo writable || echo readonly; awk '$5 == \"/\" {print $6}' /proc/self/mountinfo",
      (c) => {
        if (c.root) c.root.readonly = true;
      },
    );
    expect(r.code, describeResult(r)).toBe(0);
    const [w, opts] = r.stdout.trim().split("\n");
    expect(w).toBe("readonly");
    expect(opts.split(",")).toContain("ro");
  });

  it("config.md root: without readonly the root filesystem is writable", () => {
    expect(runLines(sb, "touch /newfile && echo writable")).toEqual(["writable"]);
  });

  it("config.md root: root.path is the container's /", () => {
    const r = runScript(sb, "cat /marker", (_c, b) => {
      writeHostFile(b.inRootfs("/marker"), "in-rootfs\n");
    });
    expect(r.stdout).toBe("in-rootfs\n");
  });

  it("config.md mounts: mounts are applied in the listed order", () => {
    const r = runScript(sb, 'awk \'$5 == "/mnt/a" || $5 == "/mnt/a/b" {print $1, $2, $5}\' /proc/self/mountinfo', (c, b) => {
      mkdirSync(b.inRootfs("/mnt"), { recursive: true });
      c.mounts?.push(
        { destination: "/mnt/a", type: "tmpfs", source: "tmpfs", options: ["size=1m"] },
        { destination: "/mnt/a/b", type: "tmpfs", source: "tmpfs", options: ["size=1m"] },
      );
    });
    expect(r.code, describeResult(r)).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    const a = rows.find((x) => x[2] === "/mnt/a");
    const ab = rows.find((x) => x[2] === "/mnt/a/b");
    expect(a, r.stdout).toBeDefined();
    expect(ab, r.stdout).toBeDefined();
    // /mnt/a/b sits on the /mnt/a tmpfs, so /mnt/a was mounted first.
    expect(ab?.[1]).toBe(a?.[0]);
  });

  it("config.md mounts: a later mount on the same destination hides an earlier one", () => {
    const r = runScript(sb, "awk '$5 == \"/mnt/x\" {print $NF}' /proc/self/mountinfo | tail -n 1", (c, b) => {
      mkdirSync(b.inRootfs("/mnt/x"), { recursive: true });
      c.mounts?.push(
        { destination: "/mnt/x", type: "tmpfs", source: "first", options: ["size=1m"] },
        { destination: "/mnt/x", type: "tmpfs", source: "second", options: ["size=2m"] },
      );
    });
    expect(r.stdout).toMatch(/size=2048k/);
  });

  it("config.md mounts: bind mounts with ro and the mount options take effect", () => {
    const r = runScript(
      sb,
      "cat /data/file; touch /data/new 2>/dev/null && echo writable || echo readonly; awk '$5 == \"/data\" {print $6}' /proc/self/mountinfo",
      (c, b) => {
        mkdirSync(b.path("data"));
        writeHostFile(b.path("data", "file"), "bound\n");
        c.mounts?.push({ destination: "/data", type: "bind", source: b.path("data"), options: ["rbind", "ro", "nosuid", "nodev"] });
      },
    );
    expect(r.code, describeResult(r)).toBe(0);
    const [content, w, opts] = r.stdout.trim().split("\n");
    expect(content).toBe("bound");
    expect(w).toBe("readonly");
    expect(opts.split(",")).toEqual(expect.arrayContaining(["ro", "nosuid", "nodev"]));
  });

  it("config.md mounts: the runtime creates a missing mount destination", () => {
    const r = runScript(sb, "test -d /not/yet/there && echo made", (c) => {
      c.mounts?.push({ destination: "/not/yet/there", type: "tmpfs", source: "tmpfs" });
    });
    expect(r.stdout).toBe("made\n");
  });

  it("config.md process: args, env and cwd are applied", () => {
    const r = runScript(sb, 'echo "$ONE $TWO"; pwd', (c) => {
      if (!c.process) return;
      c.process.env = [...(c.process.env ?? []), "ONE=1", "TWO=two words"];
      c.process.cwd = "/tmp";
    });
    expect(r.stdout).toBe("1 two words\n/tmp\n");
  });

  it("config.md process: a cwd that does not exist is created or rejected, never ignored", () => {
    const r = runScript(sb, "pwd", (c) => {
      if (c.process) c.process.cwd = "/created/by/runtime";
    });
    if (r.code === 0) expect(r.stdout).toBe("/created/by/runtime\n");
    else expect(r.stderr).toContain("/created/by/runtime");
  });

  it("config.md user: uid, gid and additionalGids are applied", () => {
    const lines = runLines(sb, "grep -E '^(Uid|Gid|Groups):' /proc/self/status", (c) => {
      if (c.process) c.process.user = { uid: 1000, gid: 1001, additionalGids: [2000, 3000] };
    });
    const st = lines.join("\n");
    expect(statusField(st, "Uid")?.split(/\s+/)).toEqual(["1000", "1000", "1000", "1000"]);
    expect(statusField(st, "Gid")?.split(/\s+/)).toEqual(["1001", "1001", "1001", "1001"]);
    expect(statusField(st, "Groups")?.split(/\s+/).sort()).toEqual(["2000", "3000"]);
  });

  it("config.md user: without additionalGids the supplementary groups are empty", () => {
    const lines = runLines(sb, "grep -E '^Groups:' /proc/self/status", (c) => {
      if (c.process) c.process.user = { uid: 1000, gid: 1000 };
    });
    expect(statusField(lines.join("\n"), "Groups")).toBe("");
  });

  it("config.md user: umask is applied (0022 when absent)", () => {
    expect(runLines(sb, "umask")).toEqual(["0022"]);
    expect(
      runLines(sb, "umask", (c) => {
        if (c.process) c.process.user.umask = 0o077;
      }),
    ).toEqual(["0077"]);
  });

  it("config.md capabilities: root gets exactly the listed bounding, effective and permitted sets", () => {
    const lines = runLines(sb, "grep ^Cap /proc/self/status", (c) => {
      if (!c.process) return;
      c.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL"],
        effective: ["CAP_CHOWN", "CAP_KILL"],
        permitted: ["CAP_CHOWN", "CAP_KILL"],
      };
    });
    const st = lines.join("\n");
    expect(statusField(st, "CapBnd")).toBe(capMask(CAP.CHOWN, CAP.KILL));
    expect(statusField(st, "CapEff")).toBe(capMask(CAP.CHOWN, CAP.KILL));
    expect(statusField(st, "CapPrm")).toBe(capMask(CAP.CHOWN, CAP.KILL));
    expect(statusField(st, "CapInh")).toBe(capMask());
    expect(statusField(st, "CapAmb")).toBe(capMask());
  });

  it("config.md capabilities: the default runc set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) for root", () => {
    const st = runLines(sb, "grep ^Cap /proc/self/status").join("\n");
    const m = capMask(CAP.AUDIT_WRITE, CAP.KILL, CAP.NET_BIND_SERVICE);
    expect(statusField(st, "CapBnd")).toBe(m);
    expect(statusField(st, "CapEff")).toBe(m);
    expect(statusField(st, "CapPrm")).toBe(m);
  });

  it("config.md capabilities: a non-root user keeps inheritable and ambient capabilities", () => {
    const st = runLines(sb, "grep ^Cap /proc/self/status", (c) => {
      if (!c.process) return;
      c.process.user = { uid: 1000, gid: 1000 };
      const k = ["CAP_KILL"];
      c.process.capabilities = { bounding: k, effective: k, permitted: k, inheritable: k, ambient: k };
    }).join("\n");
    const m = capMask(CAP.KILL);
    for (const f of ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"]) expect(statusField(st, f), f).toBe(m);
  });

  it("config.md rlimits: each rlimit is applied (lowering only: this host cannot raise hard limits)", () => {
    const lines = runLines(sb, "grep -E '^Max (open files|core file size)' /proc/self/limits", (c) => {
      if (!c.process) return;
      c.process.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 256, hard: 512 },
        { type: "RLIMIT_CORE", soft: 0, hard: 4096 },
      ];
    });
    const nofile = lines.find((l) => l.startsWith("Max open files"))?.split(/\s{2,}/);
    const core = lines.find((l) => l.startsWith("Max core file size"))?.split(/\s{2,}/);
    expect(nofile?.slice(1, 3)).toEqual(["256", "512"]);
    expect(core?.slice(1, 3)).toEqual(["0", "4096"]);
  });

  // No host can set this one, whatever its capabilities: the kernel refuses an RLIMIT_NOFILE
  // above fs.nr_open, which is at most 2^31 - 64.
  it("config.md rlimits: an rlimit that cannot be set (RLIMIT_NOFILE above the kernel's fs.nr_open ceiling) is an error", async () => {
    const r = runScript(sb, "true", (c) => {
      if (c.process) c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 2 ** 32 }];
    });
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(r.stderr).toMatch(/rlimit|RLIMIT_NOFILE|operation not permitted/i);
    expect(await sb.waitClean(r.id)).toEqual([]);
  });

  it("config.md process: oomScoreAdj is written to the process", () => {
    expect(
      runLines(sb, "cat /proc/self/oom_score_adj", (c) => {
        if (c.process) c.process.oomScoreAdj = 523;
      }),
    ).toEqual(["523"]);
  });

  it("config.md process: noNewPrivileges sets the no_new_privs bit (and its absence leaves it clear)", () => {
    const on = runLines(sb, "grep ^NoNewPrivs /proc/self/status");
    expect(on).toEqual(["NoNewPrivs:\t1"]);
    const off = runLines(sb, "grep ^NoNewPrivs /proc/self/status", (c) => {
      if (c.process) c.process.noNewPrivileges = false;
    });
    expect(off).toEqual(["NoNewPrivs:\t0"]);
  });

  it("config.md hostname is set in the container's UTS namespace", () => {
    expect(
      runLines(sb, "hostname", (c) => {
        c.hostname = "conf-host";
      }),
    ).toEqual(["conf-host"]);
  });

  // runc 1.1 predates domainname (runc ≥ 1.2 sets it).
  needs("berth").it("config.md domainname is set in the container's UTS namespace", () => {
    const lines = runLines(sb, "cat /proc/sys/kernel/domainname", (c) => {
      c.domainname = "conf.domain";
    });
    expect(lines).toEqual(["conf.domain"]);
  });
});

function writeHostFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
