import { closeSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openPty, sendFdTo } from "./pty.js";

describe("pty and fd hand-off", () => {
  it("openPty: an unlocked master and its slave's path", () => {
    const p = openPty();
    try {
      expect(readlinkSync(`/proc/self/fd/${p.master}`)).toBe("/dev/ptmx");
      expect(p.slave).toMatch(/^\/dev\/pts\/\d+$/);
    } finally {
      closeSync(p.master);
    }
  });

  it("sendFdTo: the payload arrives on the socket (the fd travels beside it)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-pty-"));
    const path = join(dir, "console.sock");
    const got: Buffer[] = [];
    const server = createServer((c) => c.on("data", (b: Buffer) => got.push(b)));
    await new Promise<void>((r) => server.listen(path, r));
    const p = openPty();
    try {
      sendFdTo(path, p.master, p.slave, "--console-socket");
      const deadline = Date.now() + 5000;
      while (Buffer.concat(got).toString() !== p.slave && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(Buffer.concat(got).toString()).toBe(p.slave);
      expect(() => sendFdTo(join(dir, "none.sock"), p.master, p.slave, "--console-socket")).toThrow(/--console-socket/);
    } finally {
      closeSync(p.master);
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
