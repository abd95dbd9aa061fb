#!/bin/sh
# Usage: sh scripts/test.sh [vitest arguments...]
#
# Sets the machine up (scripts/setup.sh), typechecks, then runs the whole test suite with
# vitest on the pinned Node 24. Exit status: 0 only when the typecheck and every test pass.
# Extra arguments go to vitest, e.g. `sh scripts/test.sh src/runtime` runs one directory.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "test: must run as root: the integration tests create real containers (namespaces, mounts, cgroups)." >&2
  echo "test: run it as: sudo sh scripts/test.sh" >&2
  exit 1
fi

sh scripts/setup.sh

# The pinned node (node_modules/.bin/node) comes first, so tsc, vitest and every
# `#!/usr/bin/env node` they start run on Node 24.
PATH="$ROOT/node_modules/.bin:$PATH"
export PATH

echo "test: typecheck (tsc --noEmit)" >&2
tsc --noEmit -p "$ROOT" || { echo "test: typecheck failed" >&2; exit 1; }
echo "test: typecheck passed" >&2

echo "test: vitest run" >&2
exec vitest run "$@"
