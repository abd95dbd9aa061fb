// Where the runtime under test lives and what kind it is. The binary is a
// parameter (BERTH_BIN) so the same tests can be pointed at runc or crun to
// check that they encode the runc behaviour callers rely on.

import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository checkout. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The runtime binary under test: $BERTH_BIN, or <repo>/bin/berth. */
export const RUNTIME_BIN =
  process.env.BERTH_BIN !== undefined && process.env.BERTH_BIN !== "" ? resolve(process.env.BERTH_BIN) : resolve(REPO_ROOT, "bin", "berth");

/** Short name of the runtime under test: "berth", "runc", "crun" … */
export const RUNTIME_NAME = basename(RUNTIME_BIN);

/** True when the binary under test is berth (not a reference runtime). */
export const IS_BERTH = !/^(runc|crun|youki)$/.test(RUNTIME_NAME);

/** True when the runtime binary exists and is executable. */
export const RUNTIME_PRESENT = existsSync(RUNTIME_BIN);

/** True when the test process runs as root (integration tests need it). */
export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;

/** Integration tests run only as root and with a runtime binary present. */
export const CAN_RUN_CONTAINERS = IS_ROOT && RUNTIME_PRESENT;

/** Path of the static busybox used to build test root filesystems. */
export const BUSYBOX = process.env.BERTH_TEST_BUSYBOX ?? "/bin/busybox";

/** Prefix of every temporary path the tests create. */
export const TMP_PREFIX = "/tmp/berth-test-";
