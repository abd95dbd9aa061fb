// Plumbing shared by the benchmarks: one scratch directory, running a runtime
// with its output in files (and, on request, under /usr/bin/time for its peak RSS),
// each runtime's own default bundle, cleanup of every container a benchmark may have
// left, and small statistics helpers.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let work; // the /tmp/<prefix>* directory
// { name, bin, root, bundle, version, prefix?, soft?, roots }: `prefix` is argv before the
// runtime's own (a wrapper such as nsenter, with bin its program); a `soft` runtime's failures
// throw a RuntimeFailure instead of ending the benchmark; `roots` are every state root it used.
export const runtimes = [];
const live = new Set(); // "name\0id" of containers that may exist
const hooks = []; // run at cleanup, last registered first, after the containers are deleted
let interrupted = false;
let cleanedUp = false;

export const workDir = () => work;

export function fail(message, code = 1) {
  process.stderr.write(`bench: ${message}\n`);
  cleanup();
  process.exit(code);
}

/** Register `fn` to run at cleanup (also on failure or interruption), after the containers are deleted. */
export function onCleanup(fn) {
  hooks.push(fn);
}

/** Delete, with --force, every container of `rt` in each of its state roots; the ids it deleted. */
export function deleteAll(rt) {
  const gone = [];
  for (const root of rt.roots) {
    const ids = new Set(
      root === rt.root ? [...live].filter((k) => k.startsWith(rt.name + "\0")).map((k) => k.slice(rt.name.length + 1)) : [],
    );
    const listed = spawnSync(argv0(rt), [...(rt.prefix ?? []), "--root", root, "list", "-q"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    if (listed.status === 0) for (const id of listed.stdout.split("\n")) if (id.trim() !== "") ids.add(id.trim());
    for (const id of ids) {
      spawnSync(argv0(rt), [...(rt.prefix ?? []), "--root", root, "delete", "--force", id], { stdio: "ignore" });
      if (root === rt.root) track(rt, id, false);
      gone.push(id);
    }
  }
  return gone;
}

/** Delete every container, run the cleanup hooks and remove the scratch directory now (once). */
export function cleanupNow() {
  cleanup();
}

function cleanup() {
  if (cleanedUp || work === undefined) return;
  cleanedUp = true;
  for (const rt of runtimes) deleteAll(rt);
  for (const fn of hooks.reverse()) {
    try {
      fn();
    } catch (err) {
      process.stderr.write(`bench: cleanup: ${err.message}\n`);
    }
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

/** Parse `--name value` flags into a copy of `defaults` (numbers must be positive integers, strings are paths). */
export function parseArgs(argv, defaults, usage) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const key = flag.replace(/^--/, "");
    if (!(key in opts) || value === undefined) fail(`unknown option or missing value: ${flag}\nusage: ${usage}`, 2);
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

/** A command of a `soft` runtime that failed: the benchmark goes on without that runtime's cell. */
export class RuntimeFailure extends Error {}

export const TIME = "/usr/bin/time"; // GNU time, for the peak RSS (ru_maxrss from wait4)
const argv0 = (rt) => (rt.prefix !== undefined ? rt.prefix[0] : rt.bin);

// stdout/stderr go to files, never pipes: the container process of `create` inherits them
// and would keep a pipe open long after the command returns. With `rss`, the command runs
// under /usr/bin/time and `rssKb` is its peak resident set size: the largest of the runtime
// process and every descendant it waited for (ru_maxrss of wait4), in kB.
export function invoke(rt, args, { check = true, root = true, rss = false } = {}) {
  const outFile = path.join(work, "out");
  const errFile = path.join(work, "err");
  const rssFile = path.join(work, "rss");
  const out = fs.openSync(outFile, "w");
  const err = fs.openSync(errFile, "w");
  const argv = [...(rt.prefix ?? [rt.bin]), ...(root === false ? [] : ["--root", typeof root === "string" ? root : rt.root]), ...args];
  if (rss) argv.unshift(TIME, "-f", "%M", "-o", rssFile);
  let res;
  const t0 = process.hrtime.bigint();
  try {
    res = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", out, err] });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (interrupted) fail("interrupted", 130);
  const stdout = fs.readFileSync(outFile, "utf8");
  const stderr = fs.readFileSync(errFile, "utf8");
  const what = `${rt.name} ${args.join(" ")}`;
  const stop = (message) => {
    if (rt.soft) throw new RuntimeFailure(message);
    fail(message);
  };
  if (res.error) stop(`${what}: ${res.error.message}`);
  if (check && res.status !== 0) stop(`${what} exited with ${res.status ?? "signal " + res.signal}\n${stderr.trim()}`);
  let rssKb;
  if (rss) {
    // GNU time writes "Command exited with non-zero status N" before the format when it does.
    const last = fs.readFileSync(rssFile, "utf8").trim().split("\n").pop();
    rssKb = Number(last);
    if (!Number.isFinite(rssKb)) fail(`${TIME} wrote no peak RSS for ${what}: ${JSON.stringify(last)}`);
  }
  return { ms, status: res.status, stdout, stderr, rssKb };
}

export function track(rt, id, on) {
  if (on) live.add(`${rt.name}\0${id}`);
  else live.delete(`${rt.name}\0${id}`);
}

// Signal handlers only run when the event loop gets a turn; the measurements are
// synchronous, so they give it one between containers.
export async function breathe() {
  await new Promise((resolve) => setImmediate(resolve));
  if (interrupted) fail("interrupted", 130);
}

/**
 * Make the scratch directory, a busybox rootfs and, for each [name, bin], a bundle from
 * that runtime's own `spec`, passed through `edit(config)` before it is written.
 */
export function prepare(prefix, bins, edit) {
  for (const [name, bin] of bins) {
    if (!fs.existsSync(bin)) {
      fail(
        name === "berth"
          ? `berth is not built yet (${bin} does not exist): run \`make build\` (or \`sh scripts/demo.sh\`) first`
          : `${name} not found at ${bin}: apt-get install ${name}`,
        2,
      );
    }
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      fail(`${bin} is not executable`, 2);
    }
  }
  work = fs.mkdtempSync(`/tmp/${prefix}`);
  const rootfs = path.join(work, "rootfs");
  const mk = spawnSync("sh", [path.join(REPO, "scripts/mkrootfs.sh"), rootfs], { stdio: ["ignore", "inherit", "inherit"] });
  if (mk.status !== 0) fail("scripts/mkrootfs.sh failed");
  for (const [name, bin] of bins) addRuntime(name, bin, edit);
  return runtimes;
}

/**
 * Add runtime `name` (after prepare): its root and its bundle from its own `spec`, passed
 * through `edit(config)`. `prefix` and `soft` as described at `runtimes`.
 */
export function addRuntime(name, bin, edit, { prefix, soft = false } = {}) {
  const rt = { name, bin, root: path.join(work, `root-${name}`), bundle: path.join(work, `bundle-${name}`), prefix, soft };
  rt.roots = [rt.root];
  fs.mkdirSync(rt.root, { mode: 0o700 });
  fs.mkdirSync(rt.bundle);
  runtimes.push(rt);
  invoke(rt, ["spec", "--bundle", rt.bundle]);
  const file = path.join(rt.bundle, "config.json");
  let config;
  try {
    config = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    fail(`${name} spec wrote no readable ${file}: ${err.message}`);
  }
  config.process.terminal = false;
  config.root = { ...config.root, path: path.join(work, "rootfs") };
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  const version = spawnSync(argv0(rt), [...(prefix ?? []), "--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  rt.version = version.status === 0 ? version.stdout.split("\n")[0].trim() : "(no --version)";
  return rt;
}

/** Take `rt` out of the benchmark (a soft runtime that cannot run here), deleting what it made. */
export function dropRuntime(rt) {
  deleteAll(rt);
  runtimes.splice(runtimes.indexOf(rt), 1);
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export const ms = (x) => `${x.toFixed(1)} ms`;
/** "median (min–max)" of a list of times in ms. */
export const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}) ms`;
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("   "), ...rows.slice(1).map(line)].join("\n");
}

/** Sum of Pss (kB) from /proc/<pid>/smaps_rollup. */
export function pssOf(pid) {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  let sum = 0;
  for (const line of rollup.split("\n")) {
    const m = /^Pss:\s+(\d+)\s+kB/.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

export function containerStatus(rt, id) {
  const r = invoke(rt, ["state", id], { check: false });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout).status;
  } catch {
    fail(`${rt.name} state ${id} printed no JSON: ${r.stdout.slice(0, 200)}`);
  }
}

export async function waitStopped(rt, id) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = containerStatus(rt, id);
    if (status === "stopped") return;
    if (Date.now() > deadline) fail(`${rt.name}: container ${id} is still "${status}" 10 s after start`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
