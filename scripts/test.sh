#!/bin/sh
# Usage: sh scripts/test.sh [vitest arguments...]
#
# Sets the machine up (scripts/setup.sh), typechecks, then runs the whole test suite with
# vitest on the pinned Node 24, then the cgroup tests inside a cgroup v2 + systemd guest
# (scripts/vm/run.sh). Exit status: 0 only when the typecheck and every test pass, on the
# host and in the guest. Extra arguments go to the host's vitest and make a focused run,
# e.g. `sh scripts/test.sh src/runtime` runs one directory on the host, without the guest.
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
host=0
vitest run "$@" || host=$?

# The cgroup tests again, in a qemu guest with pure cgroup v2 and systemd (scripts/vm/run.sh),
# which this machine may not be. Exit status 77 means qemu or the guest image cannot be had
# here: reported, not a failure. BERTH_VM_TESTS=0 leaves the guest run out on purpose.
guest=0
if [ "${BERTH_VM_TESTS:-1}" = 0 ]; then
  echo "test: guest run (cgroup v2 + systemd) SKIPPED: BERTH_VM_TESTS=0" >&2
elif [ $# -gt 0 ]; then
  echo "test: guest run (cgroup v2 + systemd) left out: a focused run (arguments were given); sh scripts/vm/run.sh runs it" >&2
else
  echo "test: guest run (cgroup v2 + systemd): sh scripts/vm/run.sh" >&2
  sh scripts/vm/run.sh || guest=$?
  if [ "$guest" -eq 77 ]; then
    echo "test: guest run SKIPPED: qemu or the guest image is not available on this machine (see above)" >&2
    guest=0
  fi
fi

[ "$host" -eq 0 ] || echo "test: host vitest run failed (exit status $host)" >&2
[ "$guest" -eq 0 ] || echo "test: guest vitest run failed (exit status $guest)" >&2
if [ "$host" -ne 0 ] || [ "$guest" -ne 0 ]; then exit 1; fi
