// For tests: a private dbus-daemon with its own config and socket under /tmp,
// allowing every call and name, stopped (and its directory removed) by stop(), which
// waits for the daemon to exit first: it unlinks its socket as it goes, and a removal
// racing it once left the directory behind.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The dbus-daemon binary; callers declare needs("dbus-daemon") (test/helpers/host.ts). */
const DBUS_DAEMON = ["/usr/bin/dbus-daemon", "/bin/dbus-daemon"].find((p) => existsSync(p));

export interface PrivateBus {
  socketPath: string;
  stop(): Promise<void>;
}

export async function startPrivateBus(): Promise<PrivateBus> {
  if (DBUS_DAEMON === undefined) throw new Error("dbus-daemon is not installed");
  const dir = mkdtempSync("/tmp/berth-test-dbus-");
  const socketPath = join(dir, "bus");
  writeFileSync(
    join(dir, "bus.conf"),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const daemon = spawn(DBUS_DAEMON, ["--config-file", join(dir, "bus.conf"), "--nofork", "--nopidfile"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
  const stop = async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  while (!existsSync(socketPath)) {
    if (Date.now() > deadline || daemon.exitCode !== null) {
      await stop();
      throw new Error("dbus-daemon did not start");
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { socketPath, stop };
}
