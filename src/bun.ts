// The part of Bun's API berth uses where it runs on Bun (the shipped executable),
// typed here once. Under Node (the test runner) `bun` is undefined and each caller
// takes its Node path: spawning berth-init (runtime/helperProcess.ts), running ps(1)
// (runtime/ps.ts), hashing a seccomp profile (hash.ts).

export interface BunSubprocess {
  readonly pid: number;
  readonly exited: Promise<number>;
  readonly signalCode: string | null;
  readonly stdio: (number | undefined)[];
  unref(): void;
}

export interface BunFile {
  stream(): ReadableStream<Uint8Array>;
}

export interface BunHasher {
  update(data: string): BunHasher;
  digest(encoding: "hex"): string;
}

export interface BunApi {
  spawn(cmd: string[], opts: { stdio: (string | number)[]; env: Record<string, string> }): BunSubprocess;
  spawnSync(cmd: string[], opts: { stdout: "pipe"; stderr: "pipe" }): { exitCode: number | null; stdout: Uint8Array; stderr: Uint8Array };
  file(fd: number): BunFile;
  CryptoHasher: new (algorithm: string) => BunHasher;
}

export const bun: BunApi | undefined = (globalThis as { Bun?: BunApi }).Bun;
