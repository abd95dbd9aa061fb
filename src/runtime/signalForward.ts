// A foreground `run` or `exec` forwards the signals berth receives to the
// container process, as runc does, so `kill <berth pid>` reaches the container.

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCONT", "SIGALRM", "SIGPIPE"];

/** Forward signals to pid until the returned function is called. */
export function forwardSignals(pid: number): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
