import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseNotification, SetupNamespacesNotifier } from "./criuNotify.js";

/** Runs the action script as criu would (its environment names the action and the pid); resolves to its exit status. */
function runScript(n: SetupNamespacesNotifier, action: string, pid: string): Promise<number> {
  return new Promise((res, rej) => {
    const c = spawn(n.script, [], {
      env: { ...process.env, ...n.env(), CRTOOLS_SCRIPT_ACTION: action, CRTOOLS_INIT_PID: pid },
      stdio: "ignore",
    });
    c.on("error", rej);
    c.on("exit", (code) => res(code ?? -1));
  });
}

async function notify(n: SetupNamespacesNotifier, action: string, pid: string): Promise<number> {
  const running = n.run();
  const status = await runScript(n, action, pid);
  n.stop();
  await running;
  return status;
}

describe("criu's setup-namespaces notification", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-notify-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the pid comes once its line is whole; a line without one is an error", () => {
    expect(parseNotification("")).toBeUndefined();
    expect(parseNotification("12")).toBeUndefined();
    expect(parseNotification("1234\n")).toBe(1234);
    expect(() => parseNotification("\n")).toThrow(/no pid/);
  });

  it("the script passes setup-namespaces with its pid to the handler and ignores other actions; cleanup removes its files", async () => {
    const seen: number[] = [];
    const n = new SetupNamespacesNotifier(dir, (pid) => seen.push(pid));
    expect(readdirSync(dir).sort()).toEqual(["criu.action", "criu.notify", "criu.reply"]);
    const running = n.run();
    expect(await runScript(n, "pre-restore", "4321")).toBe(0);
    expect(seen).toEqual([]);
    expect(await runScript(n, "setup-namespaces", "4321")).toBe(0);
    expect(seen).toEqual([4321]);
    n.stop();
    await running;
    expect(n.failure).toBeUndefined();
    n.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a handler that throws makes the script fail (criu then aborts) and is kept as the cause", async () => {
    const n = new SetupNamespacesNotifier(dir, () => {
      throw new Error("hook failed");
    });
    expect(await notify(n, "setup-namespaces", "7")).toBe(1);
    expect((n.failure as Error).message).toBe("hook failed");
    n.cleanup();
  });
});
