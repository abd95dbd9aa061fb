// berth vs runc: the time of each command and memory of the created-state process.
// Runtimes are alternated run by run (the order flips every round), so load from other
// work on the machine hits all of them alike; the table shows medians with min–max and
// each runtime's median over runc's.
// Run through bench/run.sh (pinned node, root). Options:
//   --runs N    rounds of `run true` and of --version / state / list (default 30)
//   --steps N   create/state/start/delete rounds (default 20)
//   --pss N     containers created to sample Pss(created) (default 5)
//   --berth P   berth binary (default bin/berth)     --runc P   runc binary (default /usr/sbin/runc)
//   --also P    a third runtime measured alongside, named by its file name (for example
//               bin/berth-node from `make node`, the same sources on Node 24)
//   --seccomp F an engine's seccomp profile (Docker's format, e.g. podman's
//               /usr/share/containers/seccomp.json) applied to both runtimes' containers;
//               adds berth's create on first use of the profile (nothing cached yet)
// Everything it makes lives in one /tmp/berth-bench-* directory and is removed at the end.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { engineSeccomp } from "./engineSeccomp.mjs";
import {
  REPO,
  breathe,
  fail,
  invoke,
  mean,
  median,
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

const USAGE = "sh bench/run.sh [--runs N] [--steps N] [--pss N] [--berth PATH] [--runc PATH] [--also PATH] [--seccomp FILE]";

// ---- measurements --------------------------------------------------------------------------

let seq = 0;
const newId = (what) => `bench-${process.pid}-${what}-${++seq}`;

// Alternate which runtime goes first, so neither gets a systematically warmer machine.
async function eachRuntime(i, fn) {
  const order = i % 2 === 0 ? runtimes : [...runtimes].reverse();
  for (const rt of order) {
    await breathe();
    await fn(rt);
  }
}

// The commands that only read: --version, state of a created container, list (one container).
async function benchQuick(n) {
  const times = Object.fromEntries(runtimes.map((rt) => [rt.name, { version: [], state: [], list: [] }]));
  const idle = new Map();
  for (const rt of runtimes) {
    const id = newId("idle");
    track(rt, id, true);
    invoke(rt, ["create", "--bundle", rt.bundle, id]);
    idle.set(rt.name, id);
  }
  for (let i = -2; i < n; i++) {
    // two untimed warm-up rounds
    for (const [op, args] of [
      ["version", null],
      ["state", ["state"]],
      ["list", ["list"]],
    ]) {
      await eachRuntime(i + 2, (rt) => {
        const r =
          args === null ? invoke(rt, ["--version"], { root: false }) : invoke(rt, op === "state" ? [...args, idle.get(rt.name)] : args);
        if (i >= 0) times[rt.name][op].push(r.ms);
      });
    }
  }
  for (const rt of runtimes) {
    invoke(rt, ["delete", "--force", idle.get(rt.name)]);
    track(rt, idle.get(rt.name), false);
  }
  return times;
}

async function benchRun(n) {
  const times = Object.fromEntries(runtimes.map((rt) => [rt.name, []]));
  for (let i = -2; i < n; i++) {
    // two untimed warm-up rounds
    await eachRuntime(i + 2, (rt) => {
      const id = newId("run");
      track(rt, id, true);
      const r = invoke(rt, ["run", "--bundle", rt.bundle, id]);
      track(rt, id, false);
      if (i >= 0) times[rt.name].push(r.ms);
    });
  }
  return times;
}

async function benchSteps(n) {
  const times = Object.fromEntries(runtimes.map((rt) => [rt.name, { create: [], state: [], start: [], delete: [] }]));
  for (let i = -1; i < n; i++) {
    // one untimed warm-up round
    await eachRuntime(i + 1, async (rt) => {
      const id = newId("step");
      const t = times[rt.name];
      track(rt, id, true);
      const create = invoke(rt, ["create", "--bundle", rt.bundle, "--pid-file", path.join(workDir(), `${id}.pid`), id]);
      const state = invoke(rt, ["state", id]);
      const status = JSON.parse(state.stdout).status;
      if (status !== "created") fail(`${rt.name} state ${id} after create says "${status}", expected "created"`);
      const start = invoke(rt, ["start", id]);
      await waitStopped(rt, id);
      const del = invoke(rt, ["delete", id]);
      track(rt, id, false);
      if (i >= 0) {
        t.create.push(create.ms);
        t.state.push(state.ms);
        t.start.push(start.ms);
        t.delete.push(del.ms);
      }
    });
  }
  return times;
}

// Pss of the process in the pid file while the container is `created` (sum of Pss from
// /proc/<pid>/smaps_rollup, in kB).
async function benchPss(n) {
  const kb = Object.fromEntries(runtimes.map((rt) => [rt.name, []]));
  for (let i = 0; i < n; i++) {
    await eachRuntime(i, (rt) => {
      const id = newId("pss");
      const pidFile = path.join(workDir(), `${id}.pid`);
      track(rt, id, true);
      invoke(rt, ["create", "--bundle", rt.bundle, "--pid-file", pidFile, id]);
      const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) fail(`${rt.name}: pid file ${pidFile} holds no pid`);
      let sum;
      try {
        sum = pssOf(pid);
      } catch (err) {
        fail(`${rt.name}: cannot read /proc/${pid}/smaps_rollup of the created container: ${err.message}`);
      }
      kb[rt.name].push(sum);
      invoke(rt, ["delete", "--force", id]);
      track(rt, id, false);
    });
  }
  return kb;
}

// berth's create when its seccomp program is not cached yet (the cache is emptied first).
async function benchColdCreate(n) {
  const rt = runtimes.find((x) => x.name === "berth");
  const out = [];
  for (let i = 0; i < n; i++) {
    await breathe();
    fs.rmSync(path.join(rt.root, "@seccomp-cache"), { recursive: true, force: true });
    const id = newId("cold");
    track(rt, id, true);
    out.push(invoke(rt, ["create", "--bundle", rt.bundle, id]).ms);
    invoke(rt, ["delete", "--force", id]);
    track(rt, id, false);
  }
  return out;
}

// ---- report -------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    { runs: 30, steps: 20, pss: 5, berth: path.join(REPO, "bin/berth"), runc: "/usr/sbin/runc", also: "", seccomp: "" },
    USAGE,
  );
  if (process.getuid?.() !== 0) fail("must run as root (it starts containers)");
  if (opts.seccomp !== "" && !fs.existsSync(opts.seccomp))
    fail(`--seccomp ${opts.seccomp}: no such file (podman's profile comes with Debian's golang-github-containers-common)`, 2);
  const bins = [
    ["berth", opts.berth],
    ["runc", opts.runc],
  ];
  if (opts.also !== "") bins.push([path.basename(opts.also), opts.also]);
  prepare("berth-bench-", bins, (config) => {
    config.process.args = ["true"];
    if (opts.seccomp !== "") config.linux.seccomp = engineSeccomp(opts.seccomp, config.process.capabilities?.bounding ?? []);
  });
  for (const rt of runtimes) process.stdout.write(`${`${rt.name}:`.padEnd(12)} ${rt.bin}  ${rt.version}\n`);
  process.stdout.write(
    `bundle: busybox rootfs, args ["true"], terminal false${opts.seccomp !== "" ? `, seccomp profile ${opts.seccomp}` : ""}; state roots under ${workDir()}\n`,
  );
  process.stdout.write(
    `machine: ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n\n`,
  );

  process.stderr.write(`bench: --version, state, list × ${opts.runs} each …\n`);
  const quick = await benchQuick(opts.runs);
  process.stderr.write(`bench: run true × ${opts.runs} each …\n`);
  const run = await benchRun(opts.runs);
  process.stderr.write(`bench: create/state/start/delete × ${opts.steps} each …\n`);
  const steps = await benchSteps(opts.steps);
  process.stderr.write(`bench: Pss(created) × ${opts.pss} each …\n\n`);
  const pss = await benchPss(opts.pss);
  const cold = opts.seccomp !== "" ? await benchColdCreate(5) : undefined;

  // One row per command: each runtime's median (min–max), then each other runtime's median over runc's.
  const runc = runtimes.find((rt) => rt.name === "runc");
  const others = runtimes.filter((rt) => rt !== runc);
  const rows = [["", ...runtimes.map((rt) => `${rt.name} median (min–max)`), ...others.map((rt) => `${rt.name}/runc`)]];
  const timeRow = (label, get) => {
    rows.push([
      label,
      ...runtimes.map((rt) => spread(get(rt.name))),
      ...others.map((rt) => ratio(median(get(rt.name)), median(get("runc")))),
    ]);
  };
  timeRow(`--version (×${opts.runs})`, (n) => quick[n].version);
  timeRow(`state, created (×${opts.runs})`, (n) => quick[n].state);
  timeRow(`list, 1 container (×${opts.runs})`, (n) => quick[n].list);
  timeRow(`run true (×${opts.runs})`, (n) => run[n]);
  for (const op of ["create", "state", "start", "delete"]) timeRow(`${op} (×${opts.steps})`, (n) => steps[n][op]);
  if (cold !== undefined)
    rows.push([
      "berth create, profile not cached (×5)",
      spread(cold),
      ...runtimes.slice(1).map(() => ""),
      ratio(median(cold), median(steps.runc.create)),
      ...others.slice(1).map(() => ""),
    ]);
  const kb = (n) => Math.round(median(pss[n]));
  rows.push([
    `Pss(created) median (×${opts.pss})`,
    ...runtimes.map((rt) => `${kb(rt.name)} kB`),
    ...others.map((rt) => ratio(kb(rt.name), kb("runc"))),
  ]);
  process.stdout.write(table(rows) + "\n\n");

  const runRatio = median(run.berth) / median(run.runc);
  const verdict = (ok) => (ok ? "PASS" : "MISS");
  process.stdout.write(
    `run true ≤ 2.0× runc: ${verdict(runRatio <= 2.0)} (median ${runRatio.toFixed(2)}×, mean ${(mean(run.berth) / mean(run.runc)).toFixed(2)}×)\n`,
  );
  process.stdout.write(`Pss(created) ≤ runc: ${verdict(kb("berth") <= kb("runc"))} (berth ${kb("berth")} kB, runc ${kb("runc")} kB)\n`);
  if (opts.seccomp !== "") {
    const c = median(steps.berth.create) / median(steps.runc.create);
    process.stdout.write(`create with the seccomp profile ≤ runc: ${verdict(c <= 1)} (median ${c.toFixed(2)}×)\n`);
  }
}

await main();
