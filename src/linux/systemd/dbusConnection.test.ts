// The D-Bus connection against a real dbus-daemon: a private bus started for
// these tests (its own config and socket under /tmp), stopped afterwards.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import { DBUS_NAME, DBUS_PATH, DBusConnection, DBusError } from "./dbusConnection.js";
import { MessageType, type Message } from "./dbusWire.js";
import { needs } from "../../../test/helpers/host.js";
import { startPrivateBus, type PrivateBus } from "./privateBus.testutil.js";

let privateBus: PrivateBus | undefined;
let socketPath = "";

function bus(member: string, signature?: string, body?: (string | number)[]) {
  return { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member, signature, body };
}

needs("dbus-daemon").describe("DBusConnection against dbus-daemon", () => {
  beforeAll(async () => {
    privateBus = await startPrivateBus();
    socketPath = privateBus.socketPath;
  });

  afterAll(() => privateBus?.stop());

  it("authenticates, says Hello and gets a unique name", async () => {
    const c = await DBusConnection.connect({ path: socketPath, bus: true });
    try {
      expect(c.uniqueName).toMatch(/^:\d+\.\d+$/);
    } finally {
      c.close();
    }
  });

  it("calls ListNames and GetNameOwner", async () => {
    const c = await DBusConnection.connect({ path: socketPath, bus: true });
    try {
      const names = (await c.call(bus("ListNames"))).body[0] as string[];
      expect(names).toContain(DBUS_NAME);
      expect(names).toContain(c.uniqueName);
      const owner = await c.call(bus("GetNameOwner", "s", [DBUS_NAME]));
      expect(owner.signature).toBe("s");
      expect(owner.body).toEqual([DBUS_NAME]);
      // Several calls in flight at once are matched to their replies by serial.
      const replies = await Promise.all([1, 2, 3].map(() => c.call(bus("GetId"))));
      expect(new Set(replies.map((r) => r.body[0])).size).toBe(1);
    } finally {
      c.close();
    }
  });

  it("turns an error reply into a BerthError carrying the D-Bus error name", async () => {
    const c = await DBusConnection.connect({ path: socketPath, bus: true });
    try {
      const err = await c.call(bus("GetNameOwner", "s", ["com.example.BerthNobody"])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect(err).toBeInstanceOf(DBusError);
      expect((err as DBusError).errorName).toBe("org.freedesktop.DBus.Error.NameHasNoOwner");
      expect((err as Error).message).toContain("org.freedesktop.DBus.GetNameOwner");
      const unknown = await c.call(bus("NoSuchMethod")).catch((e: unknown) => e);
      expect((unknown as DBusError).errorName).toBe("org.freedesktop.DBus.Error.UnknownMethod");
      // The connection stays usable after an error.
      expect((await c.call(bus("GetId"))).signature).toBe("s");
    } finally {
      c.close();
    }
  });

  it("RequestName delivers NameAcquired, and NameOwnerChanged through AddMatch", async () => {
    const watcher = await DBusConnection.connect({ path: socketPath, bus: true });
    const owner = await DBusConnection.connect({ path: socketPath, bus: true });
    const name = `com.example.BerthTest${process.pid}`;
    try {
      await watcher.addMatch(`type='signal',sender='${DBUS_NAME}',interface='${DBUS_NAME}',member='NameOwnerChanged',arg0='${name}'`);
      const changes = watcher.signals((m) => m.member === "NameOwnerChanged");
      const acquired = owner.signals((m) => m.member === "NameAcquired");
      const reply = await owner.call(bus("RequestName", "su", [name, 0]));
      expect(reply.body).toEqual([1]); // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
      const got = await acquired.next((m) => m.body[0] === name, 5000);
      expect(got.type).toBe(MessageType.Signal);
      const change: Message = await changes.next((m) => m.body[0] === name, 5000);
      expect(change.signature).toBe("sss");
      expect(change.body).toEqual([name, "", owner.uniqueName]);
      expect((await watcher.call(bus("GetNameOwner", "s", [name]))).body).toEqual([owner.uniqueName]);
      // Losing the name (the owner disconnects) is seen too.
      owner.close();
      const lost = await changes.next((m) => m.body[0] === name && m.body[2] === "", 5000);
      expect(lost.body).toEqual([name, owner.uniqueName, ""]);
      changes.close();
    } finally {
      owner.close();
      watcher.close();
    }
  });

  it("times out waiting for a signal that never comes", async () => {
    const c = await DBusConnection.connect({ path: socketPath, bus: true });
    try {
      const q = c.signals(() => true);
      const err = await q.next((m) => m.member === "Never", 50).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).errno).toBe("ETIMEDOUT");
    } finally {
      c.close();
    }
  });

  it("rejects calls once closed", async () => {
    const c = await DBusConnection.connect({ path: socketPath, bus: true });
    c.close();
    await expect(c.call(bus("GetId"))).rejects.toBeInstanceOf(BerthError);
  });
});

describe("DBusConnection errors", () => {
  it("names the socket when nothing listens there", async () => {
    const err = await DBusConnection.connect({ path: "/tmp/berth-test-no-such-bus/socket", bus: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).errno).toBe("ENOENT");
    expect((err as BerthError).path).toBe("/tmp/berth-test-no-such-bus/socket");
  });
});

describe("DBusConnection peer-to-peer, against a scripted peer", () => {
  /** A unix-socket peer that accepts EXTERNAL, then hands each message to `onMessage`. */
  async function scriptedPeer(onMessage: (m: Message, sock: import("node:net").Socket) => void) {
    const { createServer } = await import("node:net");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { decodeMessage, messageLength } = await import("./dbusWire.js");
    const dir = mkdtempSync("/tmp/berth-test-p2p-");
    const path = `${dir}/sock`;
    const authLines: string[] = [];
    const server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      let authed = false;
      sock.on("data", (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (!authed) {
          const eol = buf.indexOf("\r\n");
          if (eol < 0) return;
          const line = buf.toString("latin1", 0, eol);
          buf = buf.subarray(eol + 2);
          authLines.push(line);
          if (line.startsWith("\0AUTH EXTERNAL ")) sock.write("OK 0123456789abcdef0123456789abcdef\r\n");
          if (line === "BEGIN") authed = true;
        }
        for (;;) {
          const n = messageLength(buf);
          if (n === undefined) return;
          onMessage(decodeMessage(buf.subarray(0, n)), sock);
          buf = buf.subarray(n);
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    return {
      path,
      authLines,
      close: () => {
        server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it("authenticates without Hello, and reassembles replies split into single bytes or packed together", async () => {
    const { encodeMessage } = await import("./dbusWire.js");
    // Writes are queued so one message's bytes never interleave with another's.
    let out = Promise.resolve();
    const peer = await scriptedPeer((m, sock) => {
      const reply = encodeMessage({
        type: MessageType.MethodReturn,
        flags: 0,
        serial: 100 + m.serial,
        replySerial: m.serial,
        signature: "s",
        body: [`re ${m.member}`],
      });
      if (m.member === "Slow") {
        // One byte at a time, with a signal in front.
        const sig = encodeMessage({
          type: MessageType.Signal,
          flags: 1,
          serial: 99,
          path: "/x",
          interface: "x.Y",
          member: "Tick",
          signature: "u",
          body: [5],
        });
        const all = Buffer.concat([sig, reply]);
        out = out.then(async () => {
          for (let i = 0; i < all.length; i++) {
            sock.write(all.subarray(i, i + 1));
            await new Promise((r) => setImmediate(r));
          }
        });
      } else {
        // Packed: this reply and a copy of the signal in one write.
        const sig = encodeMessage({
          type: MessageType.Signal,
          flags: 1,
          serial: 98,
          path: "/x",
          interface: "x.Y",
          member: "Tock",
          signature: "",
        });
        out = out.then(() => {
          sock.write(Buffer.concat([reply, sig]));
        });
      }
    });
    const c = await DBusConnection.connect({ path: peer.path, bus: false });
    try {
      expect(c.uniqueName).toBeUndefined();
      expect(peer.authLines[0]).toBe(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid!())).toString("hex")}`);
      const ticks = c.signals((m) => m.member === "Tick" || m.member === "Tock");
      const [a, b] = await Promise.all([c.call({ path: "/", member: "Slow" }), c.call({ path: "/", member: "Fast" })]);
      expect(a.body).toEqual(["re Slow"]);
      expect(b.body).toEqual(["re Fast"]);
      expect((await ticks.next((m) => m.member === "Tick", 1000)).body).toEqual([5]);
      expect((await ticks.next((m) => m.member === "Tock", 1000)).body).toEqual([]);
    } finally {
      c.close();
      peer.close();
    }
  });

  it("a call without a reply times out with ETIMEDOUT", async () => {
    const peer = await scriptedPeer(() => undefined);
    const c = await DBusConnection.connect({ path: peer.path, bus: false });
    try {
      const err = await c.call({ path: "/", member: "Silent", timeoutMs: 50 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).errno).toBe("ETIMEDOUT");
    } finally {
      c.close();
      peer.close();
    }
  });
});
