// linux.netDevices (runtime-spec 1.3): a host network device is moved into the
// container's network namespace, renamed when the entry has a name, with its permanent
// global addresses and set up; it is gone from the host. At delete nothing moves it back:
// the namespace goes, and the kernel destroys a virtual device (both ends of a veth pair).
// Every refusal exits 1 naming the entry and leaves the host's devices as they were.
// The devices are veth pairs made here with ip(8); afterAll removes any that are left.

import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, sleep, type Bundle } from "../helpers/index.js";

function ip(...args: string[]): { code: number; out: string } {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function must(...args: string[]): string {
  const r = ip(...args);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.out}`);
  return r.out;
}

const exists = (name: string): boolean => ip("link", "show", "dev", name).code === 0;

needs("containers", "berth", "veth").describe("lifecycle: linux.netDevices", () => {
  const sb = new Sandbox();
  const tag = (process.pid % 10000).toString(36);
  const made: string[] = [];
  /** A veth pair `<base>a` / `<base>b` on the host; `<base>a` is the one to move. */
  const pair = (base: string): { a: string; b: string } => {
    const a = `bt${tag}${base}a`;
    const b = `bt${tag}${base}b`;
    must("link", "add", a, "type", "veth", "peer", "name", b);
    made.push(a, b);
    return { a, b };
  };
  afterAll(async () => {
    await sb.cleanup();
    for (const n of made) if (exists(n)) ip("link", "del", n);
  });

  const withDevices = (devices: Record<string, { name?: string }>, edit?: (c: Bundle["config"]) => void): Bundle =>
    sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux = { ...c.linux, netDevices: devices };
        edit?.(c);
      },
    });

  it("moves and renames the device, keeps its permanent global addresses, sets it up; delete leaves it to the kernel", async () => {
    const { a, b: peer } = pair("m");
    // Up, as a device in use is: setting it down would flush its IPv6 addresses, were they read after.
    must("link", "set", a, "up");
    must("addr", "add", "10.213.7.1/24", "dev", a);
    must("-6", "addr", "add", "fd00:b7::1/64", "dev", a, "nodad");
    const bundle = withDevices({ [a]: { name: "ctr0" } });
    const id = sb.id("netdev");
    sb.runDetached(id, bundle);
    expect(exists(a), "the device left the host").toBe(false);
    const r = sb.rt(["exec", id, "sh", "-c", "cat /sys/class/net/ctr0/flags; ip -o addr show dev ctr0"]);
    expect(r.code, describeResult(r)).toBe(0);
    const [flags, ...addrs] = r.stdout.trim().split("\n");
    expect(Number(flags) & 1, "IFF_UP").toBe(1);
    expect(r.stdout).toMatch(/inet 10\.213\.7\.1\/24 /);
    expect(r.stdout).toMatch(/inet6 fd00:b7::1\/64 /);
    expect(addrs.length).toBeGreaterThanOrEqual(2);
    expect(sb.rt(["exec", id, "test", "-e", `/sys/class/net/${a}`]).code, "no device by the host name").toBe(1);
    sb.ok(["delete", "--force", id]);
    // The namespace is freed by the kernel after delete: a veth end is destroyed with it,
    // and its peer with it. Nothing was moved back.
    for (let i = 0; i < 200 && exists(peer); i++) await sleep(25);
    expect(exists(peer), "the host's end of the veth pair went with the namespace").toBe(false);
    expect(exists(a)).toBe(false);
    expect(exists("ctr0")).toBe(false);
  });

  it("the prestart hook sees the device in the container's network namespace already, as with runc", () => {
    const { a } = pair("h");
    const id = sb.id("netdev-hook");
    const bundle = withDevices({ [a]: { name: "hooked0" } });
    const out = bundle.path("hook-net-dev");
    // The hook reads the container's /proc/PID/net/dev, PID taken from the state on its stdin.
    bundle.config.hooks = {
      prestart: [
        { path: "/bin/sh", args: ["sh", "-c", `pid=$(sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p'); cat /proc/$pid/net/dev > ${out}`] },
      ],
    };
    bundle.write();
    sb.create(id, bundle);
    expect(readFileSync(out, "utf8")).toMatch(/^\s*hooked0:/m);
    sb.ok(["delete", "--force", id]);
  });

  it("without a name the device keeps its host name", () => {
    const { a } = pair("k");
    const id = sb.id("netdev-keep");
    sb.runDetached(id, withDevices({ [a]: {} }));
    expect(exists(a)).toBe(false);
    const r = sb.rt(["exec", id, "cat", `/sys/class/net/${a}/ifindex`]);
    expect(r.code, describeResult(r)).toBe(0);
    sb.ok(["delete", "--force", id]);
  });

  it("a name template with %d is filled in by the kernel", () => {
    const { a } = pair("t");
    const id = sb.id("netdev-tmpl");
    sb.runDetached(id, withDevices({ [a]: { name: "net%d" } }));
    const r = sb.rt(["exec", id, "sh", "-c", "cat /sys/class/net/net0/flags"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(Number(r.stdout) & 1).toBe(1);
    sb.ok(["delete", "--force", id]);
  });

  needs("userns").it("works for a container in a user namespace of its own (berth moves it from the host side)", () => {
    const { a } = pair("u");
    const id = sb.id("netdev-userns");
    const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const bundle = withDevices({ [a]: { name: "uns0" } }, (c) => {
      c.linux!.namespaces!.push({ type: "user" });
      c.linux!.uidMappings = maps;
      c.linux!.gidMappings = maps;
    });
    chmodSync(bundle.dir, 0o755); // the mapped root must reach the rootfs
    sb.runDetached(id, bundle);
    expect(exists(a)).toBe(false);
    const r = sb.rt(["exec", id, "cat", "/sys/class/net/uns0/flags"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(Number(r.stdout) & 1).toBe(1);
    sb.ok(["delete", "--force", id]);
  });

  it("into a network namespace the container joins by path, where the device stays after delete", () => {
    const { a } = pair("j");
    const ns = `bt${tag}ns`;
    must("netns", "add", ns);
    try {
      const id = sb.id("netdev-join");
      sb.runDetached(
        id,
        withDevices({ [a]: { name: "joined0" } }, (c) => {
          c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === "network" ? { type: "network", path: `/run/netns/${ns}` } : n));
        }),
      );
      expect(exists(a)).toBe(false);
      expect(must("-n", ns, "-o", "link", "show", "dev", "joined0")).toMatch(/<[^>]*\bUP\b/);
      sb.ok(["delete", "--force", id]);
      // The namespace outlives the container (it is pinned in /run/netns): so does the device.
      expect(must("-n", ns, "-o", "link", "show", "dev", "joined0")).toMatch(/joined0/);
    } finally {
      ip("netns", "del", ns);
    }
  });

  it("a device that is not on the host is refused naming the entry", async () => {
    const missing = `bt${tag}none0`;
    const err = await sb.refuseCreate(
      withDevices({ [missing]: { name: "eth0" } }),
      new RegExp(`linux\\.netDevices\\[\\\\?"${missing}\\\\?"\\]: no network device`),
    );
    expect(err).toMatch(/ENODEV/);
  });

  it("a name the container has already fails naming the entry, and the device stays on the host as it was", async () => {
    const { a } = pair("c");
    must("link", "set", a, "up");
    must("addr", "add", "10.213.8.1/24", "dev", a);
    await sb.refuseCreate(withDevices({ [a]: { name: "lo" } }), new RegExp(`linux\\.netDevices\\[\\\\?"${a}\\\\?"\\]: .*EEXIST`));
    expect(exists(a)).toBe(true);
    const shown = must("-o", "addr", "show", "dev", a);
    expect(shown).toMatch(/inet 10\.213\.8\.1\/24/);
    expect(must("-o", "link", "show", "dev", a)).toMatch(/<[^>]*\bUP\b/);
  });

  it("invalid names, and a container without a network namespace, are refused before anything is made", async () => {
    const { a } = pair("v");
    await sb.refuseCreate(withDevices({ [a]: { name: "a/b" } }), /linux\.netDevices\[\\?".*\\?"\]\.name: invalid network device name/);
    await sb.refuseCreate(withDevices({ [a]: { name: "x".repeat(16) } }), /invalid network device name/);
    await sb.refuseCreate(withDevices({ "bad name": {} }), /linux\.netDevices\[\\?"bad name\\?"\]: invalid network device name/);
    await sb.refuseCreate(
      withDevices({ [a]: {} }, (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== "network");
      }),
      /linux\.netDevices: network devices can only be moved into a network namespace of the container's own/,
    );
    expect(exists(a)).toBe(true);
  });
});
