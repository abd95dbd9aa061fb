// Every runtime command, berth against runc and crun: the time of each command, its peak RSS,
// the Pss of a created container among many, and `run true` through podman and containerd.
// Runtimes are alternated run by run (the order flips every round), so load from other work
// on the machine hits all of them alike; the table shows medians with min–max and the ratios
// berth/runc, crun/runc and berth/crun. A runtime that cannot run a command gets "—" and the
// reason below the table; engines that are not installed are skipped with a line saying so.
// Run through bench/commands.sh (pinned node, root). Options:
//   --runs N         rounds of each command (default 20)
//   --seq N          containers in the sequential `run true` batch (default 100)
//   --seq-rounds N   rounds of that batch (default 3)
//   --many N         containers created at once for the Pss sample (default 50)
//   --list N         containers present for the big `list` (default 200)
//   --engine-runs N  rounds of podman run / ctr run (default 10)
//   --berth P  --runc P  --crun P   the binaries (bin/berth, /usr/sbin/runc, /usr/bin/crun)
// Everything it makes lives in one /tmp/berth-commands-* directory and is removed at the end.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  REPO,
  RuntimeFailure,
  TIME,
  addRuntime,
  breathe,
  cleanupNow,
  dropRuntime,
  fail,
  invoke,
  median,
  onCleanup,
  parseArgs,
  prepare,
  pssOf,
  ratio,
  runtimes,
  spread,
  table,
  track,
  waitStopped,
  workDir,
} from "./common.mjs";
import { crunLauncher } from "./crun.mjs";
import { Containerd, Podman, have } from "./engines.mjs";

const USAGE =
  "sh bench/commands.sh [--runs N] [--seq N] [--seq-rounds N] [--many N] [--list N] [--engine-runs N] [--berth P] [--runc P] [--crun P]";
const TAG = String(process.pid);
const haveTime = fs.existsSync(TIME);

// ---- results ------------------------------------------------------------------------------

// label → { label, unit: "ms" | "kB", times: { rt: number[] }, rss: { rt: kB }, missing: { rt: reason } }
const rows = new Map();
const notes = [];
function row(label, unit = "ms") {
  if (!rows.has(label)) rows.set(label, { label, unit, times: {}, rss: {}, missing: {} });
  return rows.get(label);
}
function missing(labels, rt, reason) {
  for (const l of labels) row(l).missing[rt.name] ??= reason;
}

// ---- measuring ----------------------------------------------------------------------------

let seq = 0;
let roundIds = []; // containers made in the current round, deleted when a soft runtime fails
function newId(rt, what) {
  const id = `bench-${TAG}-${what}-${++seq}`;
  track(rt, id, true);
  roundIds.push([rt, id]);
  return id;
}
function gone(rt, id) {
  track(rt, id, false);
}

/** The runtimes in turn, the order flipping every round. */
const ordered = (i, rts) => (i % 2 === 0 ? rts : [...rts].reverse());

/**
 * `warm` untimed rounds, `n` timed rounds and then, with rss, one round under /usr/bin/time.
 * In each, round(rt, t, ctx) runs once per runtime; t(label, args, opts) runs a command and
 * records its time (or peak RSS) under `label`; ctx.record(label, ms) records a time measured
 * otherwise. A soft runtime (crun) that fails gets "—" in `labels` with the reason, and is
 * left out of the rest of this measurement.
 */
async function measure(labels, n, round, { warm = 1, rss = true, rts = runtimes, skip = {} } = {}) {
  const out = new Set();
  for (const rt of rts)
    if (skip[rt.name] !== undefined) {
      missing(labels, rt, skip[rt.name]);
      out.add(rt);
    }
  for (let i = -warm; i <= n; i++) {
    const rssRound = i === n;
    if (rssRound && !(rss && haveTime)) break;
    for (const rt of ordered(i + warm, rts)) {
      if (out.has(rt)) continue;
      await breathe();
      const record = (label, ms) => {
        if (i >= 0 && !rssRound) (row(label).times[rt.name] ??= []).push(ms);
      };
      const t = (label, args, opts = {}) => {
        const r = invoke(rt, args, { ...opts, rss: rssRound });
        if (rssRound) row(label).rss[rt.name] = Math.max(row(label).rss[rt.name] ?? 0, r.rssKb);
        else record(label, r.ms);
        return r;
      };
      roundIds = [];
      try {
        await round(rt, t, { record, rssRound });
      } catch (err) {
        if (!(err instanceof RuntimeFailure)) throw err;
        missing(
          labels,
          rt,
          err.message
            .split("\n")
            .filter((l) => l.trim() !== "")
            .slice(0, 2)
            .join(": "),
        );
        for (const [r, id] of roundIds)
          if (r === rt) {
            invoke(rt, ["delete", "--force", id], { check: false });
            gone(rt, id);
          }
        out.add(rt);
      }
    }
  }
  return out;
}

/** For each runtime, fn(rt) (setup outside a measurement); a soft runtime that fails gets "—" in `labels`. */
function each(labels, fn) {
  const ok = new Map();
  for (const rt of runtimes) {
    try {
      ok.set(rt, fn(rt));
    } catch (err) {
      if (!(err instanceof RuntimeFailure)) throw err;
      missing(labels, rt, err.message.split("\n")[0]);
    }
  }
  return ok;
}

/** A container running `sleep` (the -sleep bundle), started; its id. */
function startSleeper(rt, what) {
  const id = newId(rt, what);
  invoke(rt, ["create", "--bundle", `${rt.bundle}-sleep`, id]);
  invoke(rt, ["start", id]);
  return id;
}

// ---- the phases ---------------------------------------------------------------------------

/** The pinned Bun (berth's engine), from node_modules. */
const BUN = path.join(REPO, "node_modules/@oven/bun-linux-x64/bin/bun");
const FLOOR = "engine start: empty program";

/**
 * The engine's own start: a program with nothing in it, compiled as berth is (one executable,
 * bytecode, minified). No berth command can be faster than this; its median beside runc's
 * `state` says how much of a small command the engine alone takes.
 */
function buildFloor() {
  const src = path.join(workDir(), "floor.mjs");
  const exe = path.join(workDir(), "floor");
  fs.writeFileSync(src, "");
  const r = spawnSync(
    BUN,
    [
      "build",
      "--compile",
      "--bytecode",
      "--minify",
      "--format=esm",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "--outfile",
      exe,
      src,
    ],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0 || !fs.existsSync(exe)) {
    notes.push(`${FLOOR}: not measured, building it failed: ${(r.stderr ?? r.error?.message ?? "").trim().split("\n")[0]}`);
    return undefined;
  }
  return exe;
}

function timeExe(exe) {
  const t0 = process.hrtime.bigint();
  spawnSync(exe, [], { stdio: "ignore" });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function benchQuick(n) {
  const labels = ["--version", "state, created container", "list, 1 container"];
  const idle = each(labels, (rt) => {
    const id = newId(rt, "idle");
    invoke(rt, ["create", "--bundle", rt.bundle, id]);
    return id;
  });
  const floor = runtimes.some((rt) => rt.name === "berth") && fs.existsSync(BUN) ? buildFloor() : undefined;
  if (floor !== undefined) for (const rt of runtimes) if (rt.name !== "berth") row(FLOOR).missing[rt.name] = "berth's engine only";
  await measure(
    labels,
    n,
    (rt, t, { record, rssRound }) => {
      t("--version", ["--version"], { root: false });
      t("state, created container", ["state", idle.get(rt)]);
      t("list, 1 container", ["list"]);
      if (floor !== undefined && rt.name === "berth" && !rssRound) record(FLOOR, timeExe(floor));
    },
    { warm: 2, rts: runtimes.filter((rt) => idle.has(rt)) },
  );
  for (const [rt, id] of idle) {
    invoke(rt, ["delete", "--force", id], { check: false });
    gone(rt, id);
  }
}

async function benchLifecycle(n) {
  await measure(
    ["run true"],
    n,
    (rt, t) => {
      const id = newId(rt, "run");
      t("run true", ["run", "--bundle", rt.bundle, id]);
      gone(rt, id);
    },
    { warm: 2 },
  );
  await measure(["create", "start", "kill KILL, running container", "delete, stopped container"], n, async (rt, t) => {
    const id = newId(rt, "life");
    t("create", ["create", "--bundle", `${rt.bundle}-sleep`, id]);
    t("start", ["start", id]);
    t("kill KILL, running container", ["kill", id, "KILL"]);
    await waitStopped(rt, id);
    t("delete, stopped container", ["delete", id]);
    gone(rt, id);
  });
  await measure(["delete --force, running container"], n, (rt, t) => {
    const id = startSleeper(rt, "force");
    t("delete --force, running container", ["delete", "--force", id]);
    gone(rt, id);
  });
}

async function benchRunning(n) {
  const labels = ["exec true", "ps", "pause", "resume", "update --pids-limit 100", "events --stats, one shot"];
  const ids = each(labels, (rt) => startSleeper(rt, "running"));
  const rts = runtimes.filter((rt) => ids.has(rt));
  await measure(
    ["exec true"],
    n,
    (rt, t) => {
      t("exec true", ["exec", ids.get(rt), "true"]);
    },
    { rts },
  );
  await measure(
    ["ps"],
    n,
    (rt, t) => {
      t("ps", ["ps", ids.get(rt)]);
    },
    { rts },
  );
  await measure(
    ["pause", "resume"],
    n,
    (rt, t) => {
      t("pause", ["pause", ids.get(rt)]);
      t("resume", ["resume", ids.get(rt)]);
    },
    { rts },
  );
  await measure(
    ["update --pids-limit 100"],
    n,
    (rt, t) => {
      t("update --pids-limit 100", ["update", "--pids-limit", "100", ids.get(rt)]);
    },
    { rts },
  );
  await measure(
    ["events --stats, one shot"],
    n,
    (rt, t) => {
      t("events --stats, one shot", ["events", "--stats", ids.get(rt)]);
    },
    {
      rts,
      skip: { crun: "crun has no events command" },
    },
  );
  for (const [rt, id] of ids) {
    invoke(rt, ["delete", "--force", id], { check: false });
    gone(rt, id);
  }
}

async function benchSequential(count, rounds) {
  const label = `${count} × run true in sequence, total`;
  await measure(
    [label],
    rounds,
    (rt, _t, { record }) => {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < count; k++) {
        const id = newId(rt, "seq");
        invoke(rt, ["run", "--bundle", rt.bundle, id]);
        gone(rt, id);
      }
      record(label, Number(process.hrtime.bigint() - t0) / 1e6);
    },
    { warm: 0, rss: false },
  );
}

/** `many` created containers per runtime: the Pss of each waiting process; then `list` among `total`. */
async function benchMany(many, total, n) {
  const pssLabel = `Pss per created container, ${many} at once`;
  const listLabel = `list, ${total} containers`;
  const made = new Map(runtimes.map((rt) => [rt, []]));
  const fill = async (upTo, withPid) => {
    for (let i = made.get(runtimes[0]).length; i < upTo; i++) {
      for (const rt of ordered(i, runtimes)) {
        if (made.get(rt) === undefined) continue;
        await breathe();
        try {
          const id = newId(rt, "many");
          const pidFile = path.join(workDir(), `${id}.pid`);
          invoke(rt, ["create", "--bundle", rt.bundle, ...(withPid ? ["--pid-file", pidFile] : []), id]);
          made.get(rt).push({ id, pidFile: withPid ? pidFile : undefined });
        } catch (err) {
          if (!(err instanceof RuntimeFailure)) throw err;
          missing([pssLabel, listLabel], rt, err.message.split("\n")[0]);
          made.delete(rt);
        }
      }
    }
  };
  await fill(many, true);
  for (const [rt, list] of made) {
    const kb = list.map(({ id, pidFile }) => {
      const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      try {
        return pssOf(pid);
      } catch (err) {
        return fail(`${rt.name}: cannot read /proc/${pid}/smaps_rollup of created container ${id}: ${err.message}`);
      }
    });
    row(pssLabel, "kB").times[rt.name] = kb;
  }
  await fill(total, false);
  const rts = runtimes.filter((rt) => made.has(rt));
  for (const rt of rts) {
    const listed = invoke(rt, ["list", "-q"])
      .stdout.split("\n")
      .filter((l) => l.trim() !== "").length;
    if (listed !== total) fail(`${rt.name} list -q shows ${listed} containers, expected ${total}`);
  }
  await measure(
    [listLabel],
    n,
    (rt, t) => {
      t(listLabel, ["list"]);
    },
    { rts },
  );
  for (const [rt, list] of made)
    for (const { id } of list) {
      invoke(rt, ["delete", "--force", id], { check: false });
      gone(rt, id);
    }
}

/** Wrappers named like the runtime that run it under /usr/bin/time, appending each call's peak RSS to a log. */
function rssWrappers(rts) {
  const out = new Map();
  for (const rt of rts) {
    const dir = path.join(workDir(), "rss-wrap", rt.name);
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.join(dir, path.basename(rt.bin));
    const log = path.join(dir, "rss.log");
    fs.writeFileSync(bin, `#!/bin/sh\nexec ${TIME} -a -o '${log}' -f %M '${rt.bin}' "$@"\n`, { mode: 0o755 });
    out.set(rt, { bin, log });
  }
  return out;
}
function maxLogged(log) {
  let text;
  try {
    text = fs.readFileSync(log, "utf8");
  } catch {
    return undefined;
  }
  fs.rmSync(log);
  const kbs = text
    .split("\n")
    .map(Number)
    .filter((x) => x > 0);
  return kbs.length > 0 ? Math.max(...kbs) : undefined;
}

/** One engine row: `go(bin, root, id, rt)` runs the container through the engine with runtime `bin`. */
async function engineRow(label, n, go) {
  const rts = runtimes.filter((rt) => rt.name !== "crun");
  for (const rt of runtimes) if (rt.name === "crun") missing([label], rt, "the engines run berth and runc only");
  const wrap = rssWrappers(rts);
  await measure(
    [label],
    n,
    (rt, _t, { record, rssRound }) => {
      const root = path.join(workDir(), `engine-root-${rt.name}`);
      if (!rt.roots.includes(root)) rt.roots.push(root);
      const id = `bench-${TAG}-engine-${++seq}`;
      const r = go(rssRound && haveTime ? wrap.get(rt).bin : rt.bin, root, id, rt);
      if (r.code !== 0) fail(`${label} with ${rt.name} failed: ${r.describe()}`);
      if (rssRound) {
        const kb = maxLogged(wrap.get(rt).log);
        if (kb !== undefined) row(label).rss[rt.name] = kb;
      } else {
        record(label, r.ms);
      }
    },
    { rts },
  );
}

async function benchEngines(n) {
  const rootfs = path.join(workDir(), "rootfs");
  const podmanLabel = "podman run --rm IMAGE true";
  const missingTool = ["podman", "conmon"].filter((t) => !have(t));
  if (missingTool.length > 0) {
    notes.push(`${podmanLabel}: skipped, ${missingTool.join(" and ")} not installed (apt-get install podman conmon)`);
  } else {
    process.stderr.write(`bench: ${podmanLabel} × ${n} each …\n`);
    const podman = new Podman(workDir(), rootfs, TAG);
    onCleanup(() => podman.stop());
    await engineRow(podmanLabel, n, (bin, root) => podman.run(bin, root));
    podman.stop();
  }
  const ctrLabel = "ctr run --rm IMAGE id true";
  const missingCtr = ["containerd", "ctr", "containerd-shim-runc-v2"].filter((t) => !have(t));
  if (missingCtr.length > 0) {
    notes.push(`${ctrLabel}: skipped, ${missingCtr.join(", ")} not installed (apt-get install containerd)`);
  } else {
    process.stderr.write(`bench: ${ctrLabel} × ${n} each …\n`);
    const ctr = new Containerd(workDir(), TAG);
    onCleanup(() => ctr.stop());
    try {
      await ctr.start(rootfs);
    } catch (err) {
      fail(`the private containerd did not start: ${err.message}`);
    }
    await engineRow(ctrLabel, n, (bin, root, id, rt) => {
      const nsRoot = path.join(root, ctr.namespace); // the shim appends the namespace
      if (!rt.roots.includes(nsRoot)) rt.roots.push(nsRoot);
      return ctr.run(bin, root, id);
    });
    ctr.stop();
  }
}

// ---- report -------------------------------------------------------------------------------

const MiB = (kb) => `${(kb / 1024).toFixed(1)} MiB`;

function report() {
  const names = runtimes.map((rt) => rt.name);
  const pairs = [
    ["berth", "runc"],
    ["crun", "runc"],
    ["berth", "crun"],
  ].filter(([a, b]) => names.includes(a) && names.includes(b));
  const reasons = [];
  const cell = (r, name, show) => {
    if (r.missing[name] !== undefined) {
      const k = `${name}: ${r.missing[name]}`;
      if (!reasons.includes(k)) reasons.push(k);
      return `— (${reasons.indexOf(k) + 1})`;
    }
    return show();
  };
  const times = [["", ...names.map((n) => `${n} median (min–max)`), ...pairs.map(([a, b]) => `${a}/${b}`)]];
  const mem = [
    [
      "",
      ...names.map((n) => `${n} peak RSS`),
      ...(names.includes("runc") ? names.filter((n) => n !== "runc").map((n) => `${n}/runc`) : []),
    ],
  ];
  for (const r of rows.values()) {
    const med = (n) => (r.times[n]?.length ? median(r.times[n]) : undefined);
    if (r.unit === "kB") {
      mem.push([
        r.label,
        ...names.map((n) => cell(r, n, () => (med(n) === undefined ? "" : `${Math.round(med(n))} kB`))),
        ...names
          .filter((n) => n !== "runc")
          .map((n) => (med(n) !== undefined && med("runc") !== undefined ? ratio(med(n), med("runc")) : "")),
      ]);
      continue;
    }
    const count = Math.max(0, ...Object.values(r.times).map((x) => x.length));
    times.push([
      `${r.label} (×${count})`,
      ...names.map((n) => cell(r, n, () => (r.times[n]?.length ? spread(r.times[n]) : ""))),
      ...pairs.map(([a, b]) => (med(a) !== undefined && med(b) !== undefined ? ratio(med(a), med(b)) : "")),
    ]);
    if (haveTime && Object.keys(r.rss).length + Object.keys(r.missing).length > 0) {
      const kb = (n) => r.rss[n];
      mem.push([
        r.label,
        ...names.map((n) => cell(r, n, () => (kb(n) === undefined ? "" : MiB(kb(n))))),
        ...names.filter((n) => n !== "runc").map((n) => (kb(n) !== undefined && kb("runc") !== undefined ? ratio(kb(n), kb("runc")) : "")),
      ]);
    }
  }
  process.stdout.write(`${table(times)}\n\n${table(mem)}\n`);
  if (!haveTime) process.stdout.write(`peak RSS not measured: ${TIME} is missing (apt-get install time)\n`);
  process.stdout.write(
    [
      "",
      "peak RSS: ru_maxrss of the runtime process and of the descendants it waited for (GNU time, one extra round);",
      "through an engine, the largest over every runtime call the engine made. Pss: Pss in /proc/<pid>/smaps_rollup",
      "of each created container's waiting process, median.",
      "",
    ].join("\n"),
  );
  for (const [i, r] of reasons.entries()) process.stdout.write(`(${i + 1}) ${r}\n`);
  for (const n of notes) process.stdout.write(`${n}\n`);
}

/** What the bench left on the host after its cleanup: cgroups, mounts, processes, the directory. */
function leftovers(dir) {
  const found = [];
  const needles = [`bench-${TAG}-`, `berth-bench-podman-${TAG}`, `berth-bench-containerd-${TAG}`];
  const walk = (d, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (needles.some((x) => e.name.includes(x))) found.push(`cgroup ${p}`);
      else if (depth < 4) walk(p, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  for (const l of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) if (l.includes(dir)) found.push(`mount ${l.split(" ")[4]}`);
  for (const pid of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x) && Number(x) !== process.pid)) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes(dir) || needles.some((x) => cmd.includes(x))) found.push(`process ${pid} ${cmd.replaceAll("\0", " ").trim()}`);
    } catch {
      // exited meanwhile
    }
  }
  if (fs.existsSync(dir)) found.push(`directory ${dir}`);
  return found;
}

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    {
      runs: 20,
      seq: 100,
      "seq-rounds": 3,
      many: 50,
      list: 200,
      "engine-runs": 10,
      berth: path.join(REPO, "bin/berth"),
      runc: "/usr/sbin/runc",
      crun: "/usr/bin/crun",
    },
    USAGE,
  );
  if (process.getuid?.() !== 0) fail("must run as root (it starts containers)");
  if (opts.list < opts.many) fail(`--list ${opts.list} must be at least --many ${opts.many} (the list runs among those containers)`, 2);
  const sleepToo = (rt) => {
    const config = JSON.parse(fs.readFileSync(path.join(rt.bundle, "config.json"), "utf8"));
    config.process.args = ["sleep", "3600"];
    fs.mkdirSync(`${rt.bundle}-sleep`);
    fs.writeFileSync(path.join(`${rt.bundle}-sleep`, "config.json"), JSON.stringify(config, null, 2) + "\n");
  };
  const edit = (config) => {
    config.process.args = ["true"];
  };
  prepare(
    "berth-commands-",
    [
      ["berth", opts.berth],
      ["runc", opts.runc],
    ],
    edit,
  );
  for (const rt of runtimes) sleepToo(rt);

  const launcher = crunLauncher(opts.crun, workDir());
  let crunLine;
  if (launcher.error !== undefined) {
    crunLine = `crun: not measured: ${launcher.error}`;
  } else {
    let rt;
    try {
      rt = addRuntime("crun", opts.crun, edit, { prefix: launcher.prefix, soft: true });
      sleepToo(rt);
      invoke(rt, ["run", "--bundle", rt.bundle, `bench-${TAG}-probe`]);
      crunLine = `${"crun:".padEnd(7)} ${opts.crun}  ${rt.version}  (${launcher.how})`;
    } catch (err) {
      if (!(err instanceof RuntimeFailure)) throw err;
      crunLine = `crun: not measured, it cannot run a container here: ${err.message.split("\n").slice(0, 2).join(": ")}`;
      if (rt !== undefined) dropRuntime(rt);
    }
  }
  for (const rt of runtimes) if (rt.name !== "crun") process.stdout.write(`${`${rt.name}:`.padEnd(7)} ${rt.bin}  ${rt.version}\n`);
  process.stdout.write(`${crunLine}\n`);
  const crun = runtimes.find((rt) => rt.name === "crun");
  if (crun?.prefix !== undefined) {
    // What entering the namespace costs each crun command: --version through nsenter against crun alone.
    const direct = { ...crun, name: "crun-direct", prefix: undefined };
    const a = [];
    const b = [];
    for (let i = 0; i < 15; i++) {
      a.push(invoke(crun, ["--version"], { root: false }).ms);
      b.push(invoke(direct, ["--version"], { root: false }).ms);
    }
    process.stdout.write(
      `        nsenter adds ${(median(a) - median(b)).toFixed(1)} ms to each crun command (--version ${median(a).toFixed(1)} ms against ${median(b).toFixed(1)} ms), included in crun's times\n`,
    );
  }
  process.stdout.write(
    `bundles: busybox rootfs, args ["true"] or ["sleep", "3600"], terminal false, each runtime's own spec; everything under ${workDir()}\n`,
  );
  process.stdout.write(
    `machine: ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n\n`,
  );

  const n = opts.runs;
  process.stderr.write(`bench: --version, state, list × ${n} each …\n`);
  await benchQuick(n);
  process.stderr.write(`bench: run true, create/start/kill/delete, delete --force × ${n} each …\n`);
  await benchLifecycle(n);
  process.stderr.write(`bench: exec, ps, pause/resume, update, events --stats × ${n} each …\n`);
  await benchRunning(n);
  process.stderr.write(`bench: ${opts.seq} × run true in sequence × ${opts["seq-rounds"]} each …\n`);
  await benchSequential(opts.seq, opts["seq-rounds"]);
  process.stderr.write(`bench: Pss of ${opts.many} created containers, list among ${opts.list} × ${n} each …\n`);
  await benchMany(opts.many, opts.list, n);
  await benchEngines(opts["engine-runs"]);
  process.stderr.write("\n");

  report();
  const dir = workDir();
  cleanupNow();
  const left = leftovers(dir);
  process.stdout.write(`\nleft behind: ${left.length === 0 ? "nothing" : `\n  ${left.join("\n  ")}`}\n`);
  if (left.length > 0) process.exitCode = 1;
}

await main();
