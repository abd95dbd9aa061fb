// Stress check: many containers with memory, cpu and pids limits, created, started and
// deleted by berth and by runc in turn. Prints the median time per step for each batch of
// containers (it should not grow as more containers exist), the Pss of all waiting
// processes while every container is `created`, and whatever either runtime left behind.
// Run through bench/stress.sh (pinned node, root). Options:
//   --count N   containers per runtime (default 200)     --batch N   containers per row (default 20)
//   --berth P   berth binary (default bin/berth)          --runc P    runc binary (default /usr/sbin/runc)

import fs from "node:fs";
import path from "node:path";
import { REPO, breathe, fail, invoke, median, ms, parseArgs, prepare, pssOf, ratio, runtimes, table, track, workDir } from "./common.mjs";

const USAGE = "sh bench/stress.sh [--count N] [--batch N] [--berth PATH] [--runc PATH]";
const STEPS = ["create", "start", "delete"];
const RESOURCES = {
  memory: { limit: 64 * 1024 * 1024 },
  cpu: { shares: 512, quota: 50000, period: 100000 },
  pids: { limit: 64 },
};

/** Cgroup directories anywhere under /sys/fs/cgroup whose name contains `needle`. */
function cgroupsMatching(needle) {
  const found = [];
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name.includes(needle)) found.push(p);
      else if (depth < 6) walk(p, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return found;
}

function leftovers(rt, prefix) {
  const out = [];
  for (const c of cgroupsMatching(prefix)) out.push(`cgroup ${c}`);
  for (const n of fs.readdirSync(rt.root)) out.push(`state ${path.join(rt.root, n)}`);
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    if (line.includes(workDir())) out.push(`mount ${line.split(" ")[4]}`);
  }
  for (const pid of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes(prefix) || cmd.includes(workDir())) out.push(`process ${pid} ${cmd.replaceAll("\0", " ").trim()}`);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function stress(rt, count) {
  const prefix = `stress-${process.pid}-${rt.name}-`;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const times = { create: [], start: [], delete: [] };
  const pids = [];
  for (const id of ids) {
    await breathe();
    track(rt, id, true);
    const pidFile = path.join(workDir(), `${id}.pid`);
    times.create.push(invoke(rt, ["create", "--bundle", rt.bundle, "--pid-file", pidFile, id]).ms);
    pids.push(Number(fs.readFileSync(pidFile, "utf8").trim()));
  }
  let pss = 0;
  for (const pid of pids) pss += pssOf(pid);
  for (const id of ids) {
    await breathe();
    times.start.push(invoke(rt, ["start", id]).ms);
  }
  for (const id of ids) {
    await breathe();
    times.delete.push(invoke(rt, ["delete", "--force", id]).ms);
    track(rt, id, false);
  }
  return { times, pss, left: leftovers(rt, prefix) };
}

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    { count: 200, batch: 20, berth: path.join(REPO, "bin/berth"), runc: "/usr/sbin/runc" },
    USAGE,
  );
  if (process.getuid?.() !== 0) fail("must run as root (it starts containers)");
  prepare(
    "berth-stress-",
    [
      ["berth", opts.berth],
      ["runc", opts.runc],
    ],
    (config) => {
      config.process.args = ["sleep", "3600"];
      config.linux.resources = { ...config.linux.resources, ...RESOURCES };
    },
  );
  process.stdout.write(`${runtimes.map((rt) => `${rt.name}: ${rt.bin}  ${rt.version}`).join("\n")}\n`);
  process.stdout.write(`bundle: busybox rootfs, sleep 3600, resources ${JSON.stringify(RESOURCES)}\n`);
  process.stdout.write(`${opts.count} containers per runtime: all created, then all started, then all deleted with --force\n\n`);

  const results = {};
  for (const rt of runtimes) {
    process.stderr.write(`bench: ${rt.name}: ${opts.count} containers …\n`);
    results[rt.name] = await stress(rt, opts.count);
  }

  const batches = Math.ceil(opts.count / opts.batch);
  const rows = [["containers", ...runtimes.flatMap((rt) => STEPS.map((s) => `${rt.name} ${s}`))]];
  const slice = (xs, b) => xs.slice(b * opts.batch, (b + 1) * opts.batch);
  for (let b = 0; b < batches; b++) {
    const label = `${b * opts.batch + 1}–${Math.min((b + 1) * opts.batch, opts.count)}`;
    rows.push([label, ...runtimes.flatMap((rt) => STEPS.map((s) => ms(median(slice(results[rt.name].times[s], b)))))]);
  }
  process.stdout.write("median per container, by batch\n" + table(rows) + "\n\n");

  const summary = [["", ...runtimes.map((rt) => rt.name), "berth/runc"]];
  const [b, r] = runtimes.map((rt) => results[rt.name]);
  for (const s of STEPS) {
    const mb = median(b.times[s]);
    const mr = median(r.times[s]);
    summary.push([`${s} median (×${opts.count})`, ms(mb), ms(mr), ratio(mb, mr)]);
  }
  summary.push([`Pss of ${opts.count} created`, `${(b.pss / 1024).toFixed(1)} MB`, `${(r.pss / 1024).toFixed(1)} MB`, ratio(b.pss, r.pss)]);
  process.stdout.write(table(summary) + "\n\n");

  let ok = true;
  for (const rt of runtimes) {
    const res = results[rt.name];
    const growth = STEPS.map((s) => {
      const first = median(slice(res.times[s], 0));
      const last = median(slice(res.times[s], batches - 1));
      return `${s} ${ratio(last, first)}`;
    });
    process.stdout.write(`${rt.name}: last batch / first batch: ${growth.join(", ")}\n`);
    if (res.left.length > 0) {
      process.stdout.write(
        `${rt.name} left behind:\n  ${res.left.slice(0, 20).join("\n  ")}${res.left.length > 20 ? `\n  … ${res.left.length - 20} more` : ""}\n`,
      );
    } else {
      process.stdout.write(`${rt.name} left nothing behind (cgroups, state, mounts, processes)\n`);
    }
    if (rt.name === "berth") {
      const grows = STEPS.some((s) => median(slice(res.times[s], batches - 1)) > 1.5 * median(slice(res.times[s], 0)));
      ok = !grows && res.left.length === 0;
    }
  }
  process.stdout.write(`\nberth per-container cost does not grow (last batch ≤ 1.5× first) and nothing is left: ${ok ? "PASS" : "MISS"}\n`);
}

await main();
