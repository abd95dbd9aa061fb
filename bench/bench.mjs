// berth vs runc: start-up time and memory of the created-state process.
// Run through bench/run.sh (pinned node, root). Options:
//   --runs N    back-to-back `run true` iterations per runtime (default 30)
//   --steps N   create/state/start/delete iterations per runtime (default 20)
//   --pss N     containers created to sample Pss(created) (default 5)
//   --berth P   berth binary (default bin/berth)     --runc P   runc binary (default /usr/sbin/runc)
// Everything it makes lives in one /tmp/berth-bench-* directory and is removed at the end.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const opts = { runs: 30, steps: 20, pss: 5, berth: path.join(REPO, "bin/berth"), runc: "/usr/sbin/runc" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const key = flag.replace(/^--/, "");
    if (!(key in opts) || value === undefined) {
      fail(`unknown option or missing value: ${flag}\nusage: sh bench/run.sh [--runs N] [--steps N] [--pss N] [--berth PATH] [--runc PATH]`, 2);
    }
    if (typeof opts[key] === "number") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) fail(`${flag} wants a positive integer, got ${JSON.stringify(value)}`, 2);
      opts[key] = n;
    } else {
      opts[key] = path.resolve(value);
    }
    i++;
  }
  return opts;
}

function fail(message, code = 1) {
  process.stderr.write(`bench: ${message}\n`);
  cleanup();
  process.exit(code);
}

// ---- state shared with cleanup ------------------------------------------------------------

let work; // the /tmp/berth-bench-* directory
const runtimes = []; // { name, bin, root, bundle }
const live = new Set(); // "name\0id" of containers that may exist
let interrupted = false;
let cleanedUp = false;

function cleanup() {
  if (cleanedUp || work === undefined) return;
  cleanedUp = true;
  for (const rt of runtimes) {
    const ids = new Set([...live].filter((k) => k.startsWith(rt.name + "\0")).map((k) => k.slice(rt.name.length + 1)));
    const listed = spawnSync(rt.bin, ["--root", rt.root, "list", "-q"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    if (listed.status === 0) for (const id of listed.stdout.split("\n")) if (id.trim() !== "") ids.add(id.trim());
    for (const id of ids) spawnSync(rt.bin, ["--root", rt.root, "delete", "--force", id], { stdio: "ignore" });
  }
  try {
    fs.rmSync(work, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(`bench: could not remove ${work}: ${err.message}\n`);
  }
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    interrupted = true;
  });
}
process.on("exit", cleanup);

// ---- running the runtimes ------------------------------------------------------------------

// stdout/stderr go to files, never pipes: the container process of `create` inherits them
// and would keep a pipe open long after the command returns.
function invoke(rt, args, { check = true } = {}) {
  const outFile = path.join(work, "out");
  const errFile = path.join(work, "err");
  const out = fs.openSync(outFile, "w");
  const err = fs.openSync(errFile, "w");
  let res;
  const t0 = process.hrtime.bigint();
  try {
    res = spawnSync(rt.bin, ["--root", rt.root, ...args], { stdio: ["ignore", out, err] });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (interrupted) fail("interrupted", 130);
  const stdout = fs.readFileSync(outFile, "utf8");
  const stderr = fs.readFileSync(errFile, "utf8");
  if (res.error) fail(`${rt.name} ${args.join(" ")}: ${res.error.message}`);
  if (check && res.status !== 0) {
    fail(`${rt.name} ${args.join(" ")} exited with ${res.status ?? "signal " + res.signal}\n${stderr.trim()}`);
  }
  return { ms, status: res.status, stdout, stderr };
}

function containerStatus(rt, id) {
  const r = invoke(rt, ["state", id], { check: false });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout).status;
  } catch {
    fail(`${rt.name} state ${id} printed no JSON: ${r.stdout.slice(0, 200)}`);
  }
}

async function waitStopped(rt, id) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = containerStatus(rt, id);
    if (status === "stopped") return;
    if (Date.now() > deadline) fail(`${rt.name}: container ${id} is still "${status}" 10 s after start`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// Signal handlers only run when the event loop gets a turn; the measurements are
// synchronous, so they give it one between containers.
async function breathe() {
  await new Promise((resolve) => setImmediate(resolve));
  if (interrupted) fail("interrupted", 130);
}

// ---- set-up -------------------------------------------------------------------------------

function prepare(opts) {
  if (!fs.existsSync(opts.berth)) {
    fail(`berth is not built yet (${opts.berth} does not exist): run \`make build\` (or \`sh scripts/demo.sh\`) first`, 2);
  }
  try {
    fs.accessSync(opts.berth, fs.constants.X_OK);
  } catch {
    fail(`${opts.berth} is not executable: run \`make build\` first`, 2);
  }
  if (!fs.existsSync(opts.runc)) fail(`runc not found at ${opts.runc}: apt-get install runc`, 2);

  work = fs.mkdtempSync("/tmp/berth-bench-");
  const rootfs = path.join(work, "rootfs");
  const mk = spawnSync("sh", [path.join(REPO, "scripts/mkrootfs.sh"), rootfs], { stdio: ["ignore", "inherit", "inherit"] });
  if (mk.status !== 0) fail("scripts/mkrootfs.sh failed");

  for (const [name, bin] of [["berth", opts.berth], ["runc", opts.runc]]) {
    const rt = { name, bin, root: path.join(work, `root-${name}`), bundle: path.join(work, `bundle-${name}`) };
    fs.mkdirSync(rt.root, { mode: 0o700 });
    fs.mkdirSync(rt.bundle);
    runtimes.push(rt);
    // Each runtime's own default config, changed only where the benchmark needs it.
    invoke(rt, ["spec", "--bundle", rt.bundle]);
    const file = path.join(rt.bundle, "config.json");
    let config;
    try {
      config = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      fail(`${name} spec wrote no readable ${file}: ${err.message}`);
    }
    config.process.args = ["true"];
    config.process.terminal = false;
    config.root = { ...config.root, path: rootfs };
    fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
    const version = spawnSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    rt.version = version.status === 0 ? version.stdout.split("\n")[0].trim() : "(no --version)";
  }
}

// ---- measurements --------------------------------------------------------------------------

let seq = 0;
const newId = (what) => `bench-${process.pid}-${what}-${++seq}`;

function track(rt, id, on) {
  if (on) live.add(`${rt.name}\0${id}`);
  else live.delete(`${rt.name}\0${id}`);
}

// Alternate which runtime goes first, so neither gets a systematically warmer machine.
async function eachRuntime(i, fn) {
  const order = i % 2 === 0 ? runtimes : [...runtimes].reverse();
  for (const rt of order) {
    await breathe();
    await fn(rt);
  }
}

async function benchRun(n) {
  const times = Object.fromEntries(runtimes.map((rt) => [rt.name, []]));
  for (let i = -2; i < n; i++) { // two untimed warm-up rounds
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
  for (let i = -1; i < n; i++) { // one untimed warm-up round
    await eachRuntime(i + 1, async (rt) => {
      const id = newId("step");
      const t = times[rt.name];
      track(rt, id, true);
      const create = invoke(rt, ["create", "--bundle", rt.bundle, "--pid-file", path.join(work, `${id}.pid`), id]);
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
      const pidFile = path.join(work, `${id}.pid`);
      track(rt, id, true);
      invoke(rt, ["create", "--bundle", rt.bundle, "--pid-file", pidFile, id]);
      const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) fail(`${rt.name}: pid file ${pidFile} holds no pid`);
      let rollup;
      try {
        rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      } catch (err) {
        fail(`${rt.name}: cannot read /proc/${pid}/smaps_rollup of the created container: ${err.message}`);
      }
      let sum = 0;
      for (const line of rollup.split("\n")) {
        const m = /^Pss:\s+(\d+)\s+kB/.exec(line);
        if (m) sum += Number(m[1]);
      }
      kb[rt.name].push(sum);
      invoke(rt, ["delete", "--force", id]);
      track(rt, id, false);
    });
  }
  return kb;
}

// ---- report -------------------------------------------------------------------------------

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const ms = (x) => `${x.toFixed(1)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("   "), ...rows.slice(1).map(line)].join("\n");
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail("must run as root (it starts containers)");
  prepare(opts);
  const [b, r] = runtimes;
  process.stdout.write(`berth: ${b.bin}  ${b.version}\nrunc:  ${r.bin}  ${r.version}\n`);
  process.stdout.write(`bundle: busybox rootfs, args ["true"], terminal false; state roots under ${work}\n\n`);

  process.stderr.write(`bench: run true × ${opts.runs} each …\n`);
  const run = await benchRun(opts.runs);
  process.stderr.write(`bench: create/state/start/delete × ${opts.steps} each …\n`);
  const steps = await benchSteps(opts.steps);
  process.stderr.write(`bench: Pss(created) × ${opts.pss} each …\n\n`);
  const pss = await benchPss(opts.pss);

  const rows = [["", "berth", "runc", "berth/runc"]];
  const timeRows = (label, bx, rx) => {
    rows.push([`${label} mean`, ms(mean(bx)), ms(mean(rx)), ratio(mean(bx), mean(rx))]);
    rows.push([`${label} median`, ms(median(bx)), ms(median(rx)), ratio(median(bx), median(rx))]);
  };
  timeRows(`run true (×${opts.runs})`, run.berth, run.runc);
  for (const op of ["create", "state", "start", "delete"]) {
    timeRows(`${op} (×${opts.steps})`, steps.berth[op], steps.runc[op]);
  }
  const pb = Math.round(median(pss.berth));
  const pr = Math.round(median(pss.runc));
  rows.push([`Pss(created) median (×${opts.pss})`, `${pb} kB`, `${pr} kB`, ratio(pb, pr)]);
  process.stdout.write(table(rows) + "\n\n");

  const runRatio = median(run.berth) / median(run.runc);
  const verdict = (ok) => (ok ? "PASS" : "MISS");
  process.stdout.write(
    `run true ≤ 2.0× runc: ${verdict(runRatio <= 2.0)} (median ${runRatio.toFixed(2)}×, mean ${(mean(run.berth) / mean(run.runc)).toFixed(2)}×)\n`,
  );
  process.stdout.write(`Pss(created) ≤ runc: ${verdict(pb <= pr)} (berth ${pb} kB, runc ${pr} kB)\n`);
}

await main();
