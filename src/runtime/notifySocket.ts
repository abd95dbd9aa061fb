// NOTIFY_SOCKET (sd_notify) through the container, as runc does it. When berth runs with
// NOTIFY_SOCKET set (systemd Type=notify, podman --sdnotify=container):
//  - create makes <state>/<id>/notify, binds it read-only at /run/notify in the container
//    and sets NOTIFY_SOCKET=/run/notify/notify.sock in the process's environment;
//  - start (and run) bind a datagram socket there before the program runs, wait for its
//    READY= message (as long as the container lives), then tell the caller's socket that
//    line and MAINPID=<the container's pid>.

import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Spec } from "../spec/types.js";
import type { Unixgram } from "../linux/unixgram.js";
import { isAlive } from "./procfs.js";

const DIR = "notify";
const SOCKET = "notify.sock";
const IN_CONTAINER = "/run/notify";

/** The caller's NOTIFY_SOCKET, if it asks for notification. */
export function hostNotifySocket(): string | undefined {
  const s = process.env.NOTIFY_SOCKET;
  return s === undefined || s === "" ? undefined : s;
}

/** create: the notify directory, its mount and the process's NOTIFY_SOCKET. */
export function setupNotify(spec: Spec, containerDir: string): void {
  const dir = join(containerDir, DIR);
  mkdirSync(dir, { mode: 0o755 });
  spec.mounts = [
    ...(spec.mounts ?? []),
    {
      destination: IN_CONTAINER,
      type: "bind",
      source: dir,
      options: ["bind", "nosuid", "noexec", "nodev", "ro"],
    },
  ];
  if (spec.process !== undefined) {
    spec.process.env = [
      ...(spec.process.env ?? []).filter((e) => !e.startsWith("NOTIFY_SOCKET=")),
      `NOTIFY_SOCKET=${IN_CONTAINER}/${SOCKET}`,
    ];
  }
}

export interface NotifyProxy {
  /** Wait for READY= (or the container's end) and pass it on; resolves when done. */
  forward(pid: number, startTime: string): Promise<void>;
  close(): void;
}

/** start/run: bind the container's socket (before the program runs). */
async function listenNotify(containerDir: string, host: string): Promise<NotifyProxy> {
  const path = join(containerDir, DIR, SOCKET);
  rmSync(path, { force: true });
  // Loaded here, not at start-up: every start and delete loads this module, few proxy.
  const { bindUnixgram, sendUnixgram } = await import("../linux/unixgram.js");
  const sock: Unixgram = await bindUnixgram(path);
  chmodSync(path, 0o777);
  let closed = false;
  return {
    async forward(pid, startTime) {
      while (!closed) {
        if (sock.readable(0)) {
          for (let m = sock.receive(); m !== undefined; m = sock.receive()) {
            const ready = m
              .toString("utf8")
              .split("\n")
              .find((l) => l.startsWith("READY="));
            if (ready !== undefined) {
              await sendUnixgram(host, [Buffer.from(`${ready}\n`), Buffer.from(`MAINPID=${pid}\n`)]);
              return;
            }
          }
        }
        if (!isAlive(pid, startTime)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}

/** start/run: the proxy, when the caller asks for one and create made the directory for it. */
export async function notifyProxy(containerDir: string): Promise<NotifyProxy | undefined> {
  const host = hostNotifySocket();
  if (host === undefined || !existsSync(join(containerDir, DIR))) return undefined;
  return listenNotify(containerDir, host);
}
