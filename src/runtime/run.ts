// `run` = create + start. In the foreground berth-init stays as the waiter
// (relaying the pty when there is no console socket), berth forwards signals,
// and the container is deleted when it exits unless --keep.

import { log } from "../log.js";
import { createContainer, type CreateOptions } from "./create.js";
import { notifyProxy, type NotifyProxy } from "./notifySocket.js";
import { containerDir } from "./stateStore.js";
import { deleteContainer, destroyContainer, releaseBarrier, runPoststart, startContainer } from "./lifecycle.js";
import { forwardSignals } from "./signalForward.js";
import { waitGone } from "./procfs.js";
import { span } from "../trace.js";

export interface RunOptions extends Omit<CreateOptions, "wait" | "detach"> {
  detach: boolean;
  keep: boolean;
}

/** Returns berth's exit status: 0 when detached, else the container's. */
export async function runContainer(opts: RunOptions): Promise<number> {
  if (opts.detach) {
    await createContainer({ ...opts, wait: false, detach: true });
    try {
      await startContainer(opts.root, opts.id);
    } catch (err) {
      await deleteContainer(opts.root, opts.id, true).catch(() => undefined);
      throw err;
    }
    return 0;
  }
  const { rec, helper } = await createContainer({ ...opts, wait: true, detach: false });
  const stop = forwardSignals(rec.pid);
  let status: number;
  let notify: NotifyProxy | undefined;
  try {
    try {
      notify = await notifyProxy(containerDir(opts.root, opts.id));
      await span("start: release the exec barrier", () => releaseBarrier(opts.root, rec));
    } catch (err) {
      try {
        process.kill(rec.pid, "SIGKILL");
      } catch {
        /* gone */
      }
      throw err;
    }
    helper.channel.destroy();
    await runPoststart(rec);
    // In the foreground READY is passed on while the container runs (as runc does).
    const proxy = notify;
    void proxy
      ?.forward(rec.pid, rec.initStartTime)
      .catch((e: Error) => log.warn(`NOTIFY_SOCKET: ${e.message}`))
      .finally(() => proxy.close());
    status = await span("container running", () => helper.exited, "container");
  } catch (err) {
    notify?.close();
    stop();
    await waitGone(rec.pid, rec.initStartTime, 5000);
    if (!opts.keep) await destroyContainer(opts.root, rec).catch(() => undefined);
    throw err;
  }
  notify?.close();
  stop();
  if (!opts.keep) {
    await waitGone(rec.pid, rec.initStartTime, 5000);
    await destroyContainer(opts.root, rec);
  }
  return status;
}
