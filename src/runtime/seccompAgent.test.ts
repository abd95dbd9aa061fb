// The seccomp agent's side of berth: connecting, and the container process state.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { connectAgent, containerProcessState } from "./seccompAgent.js";

describe("containerProcessState", () => {
  it("has runtime-spec's fields: ociVersion, fds, pid, metadata and the container's state", () => {
    const doc = JSON.parse(
      containerProcessState({
        pid: 4422,
        metadata: "MKNOD=/dev/null",
        container: { id: "c1", bundle: "/b", annotations: { k: "v" } },
        status: "creating",
        initPid: 4422,
      }),
    ) as Record<string, unknown>;
    expect(doc).toEqual({
      ociVersion: "1.3.0",
      fds: ["seccompFd"],
      pid: 4422,
      metadata: "MKNOD=/dev/null",
      state: { ociVersion: "1.3.0", id: "c1", status: "creating", pid: 4422, bundle: "/b", annotations: { k: "v" } },
    });
  });

  it("leaves metadata out when there is none (runc's omitempty); exec names the new process and the init's pid", () => {
    const doc = JSON.parse(
      containerProcessState({ pid: 20, container: { id: "c1", bundle: "/b" }, status: "running", initPid: 10 }),
    ) as Record<string, unknown>;
    expect(doc).not.toHaveProperty("metadata");
    expect(doc.pid).toBe(20);
    expect(doc.state).toMatchObject({ status: "running", pid: 10, annotations: {} });
  });
});

describe("connectAgent", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-agent-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names linux.seccomp.listenerPath and the socket when there is no agent", async () => {
    const err = await connectAgent(join(dir, "none.sock"), "create").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).path).toBe("linux.seccomp.listenerPath");
    expect((err as BerthError).message).toMatch(
      /^create linux\.seccomp\.listenerPath: cannot connect to the seccomp agent at ".*none\.sock": no such file or directory \(ENOENT\)/,
    );
  });

  it("connects to a listening agent", async () => {
    const path = join(dir, "a.sock");
    const server = createServer((c) => c.destroy());
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const s = await connectAgent(path, "exec");
      s.destroy();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
