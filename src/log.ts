// runc-compatible logging. `--log FILE` appends lines to FILE, `--log-format json`
// writes one {"level","msg","time"} object per line (what containerd's shim
// decodes), `text` writes logrus-style `time="…" level=… msg="…"` lines.
// Errors always reach stderr too, so conmon and people see them.

import { appendFileSync, openSync, writeSync, closeSync } from "node:fs";

export type Level = "debug" | "info" | "warning" | "error";

interface LogConfig {
  file?: string;
  format: "text" | "json";
  debug: boolean;
}

const config: LogConfig = { format: "text", debug: false };
let fd: number | undefined;

export function configureLog(opts: { file?: string; format?: string; debug?: boolean }): void {
  config.file = opts.file === "" ? undefined : opts.file;
  config.format = opts.format === "json" ? "json" : "text";
  config.debug = opts.debug === true;
}

function render(level: Level, msg: string): string {
  const time = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  if (config.format === "json") return JSON.stringify({ level, msg, time }) + "\n";
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function write(level: Level, msg: string): void {
  const line = render(level, msg);
  if (config.file === undefined) {
    try {
      writeSync(2, line);
    } catch {
      /* stderr closed */
    }
    return;
  }
  try {
    if (fd === undefined) fd = openSync(config.file, "a", 0o644);
    writeSync(fd, line);
  } catch {
    try {
      appendFileSync(config.file, line);
    } catch {
      /* nowhere left to log */
    }
  }
}

export const log = {
  debug(msg: string): void {
    if (config.debug) write("debug", msg);
  },
  info(msg: string): void {
    write("info", msg);
  },
  warn(msg: string): void {
    write("warning", msg);
  },
  /** An error that ends the command: to the log, and as a plain line on stderr when the log is a file. */
  error(msg: string): void {
    write("error", msg);
    if (config.file !== undefined) {
      try {
        writeSync(2, msg + "\n");
      } catch {
        /* ignore */
      }
    }
  },
  close(): void {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
      fd = undefined;
    }
  },
};
