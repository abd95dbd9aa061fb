#!/bin/sh
# Usage: sh scripts/test.sh [vitest arguments...]
#
# Sets the machine up (scripts/setup.sh), typechecks, lints (scripts/lint.sh), then runs the
# whole test suite with vitest on the pinned Node 24, then the cgroup tests inside a cgroup
# v2 + systemd guest (scripts/vm/run.sh). Exit status: 0 only when the typecheck, the lint and
# every test pass, on the host and in the guest. Extra arguments go to the host's vitest and make a focused run,
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

echo "test: lint (sh scripts/lint.sh)" >&2
sh "$ROOT/scripts/lint.sh" || { echo "test: lint failed" >&2; exit 1; }

# Each run writes its counts and one line per missing host requirement (with the number
# of tests it skipped) here; they are printed together at the end.
SUMMARY=$(mktemp -d /tmp/berth-test-summary.XXXXXX)
trap 'rm -rf "$SUMMARY"' EXIT

echo "test: vitest run" >&2
host=0
BERTH_SKIP_SUMMARY="$SUMMARY/host" vitest run "$@" || host=$?

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
  BERTH_VM_SKIP_SUMMARY="$SUMMARY/guest" sh scripts/vm/run.sh || guest=$?
  if [ "$guest" -eq 77 ]; then
    echo "test: guest run SKIPPED: qemu or the guest image is not available on this machine (see above)" >&2
    guest=0
  fi
fi

# What each run skipped and why, then the counts; the last line adds them up.
total_p=0 total_f=0 total_s=0
for run in host guest; do
  f="$SUMMARY/$run"
  [ -f "$f" ] || continue
  echo "test: $run run:"
  sed -n 's/^skipped: /  skipped: /p' "$f"
  set -- $(sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$f")
  if [ $# -eq 3 ]; then
    echo "$run: $1 passed, $2 failed, $3 skipped"
    total_p=$((total_p + $1)) total_f=$((total_f + $2)) total_s=$((total_s + $3))
  fi
done

# A run that failed before it could count (vitest did not start, the guest did not boot) is a failure too.
if [ "$host" -ne 0 ] && [ ! -f "$SUMMARY/host" ]; then total_f=$((total_f + 1)); fi
if [ "$guest" -ne 0 ] && [ ! -f "$SUMMARY/guest" ]; then total_f=$((total_f + 1)); fi

[ "$host" -eq 0 ] || echo "test: host vitest run failed (exit status $host)" >&2
[ "$guest" -eq 0 ] || echo "test: guest vitest run failed (exit status $guest)" >&2
echo "total: $total_p passed, $total_f failed, $total_s skipped"
if [ "$host" -ne 0 ] || [ "$guest" -ne 0 ]; then exit 1; fi
