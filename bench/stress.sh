#!/bin/sh
# Usage: sh bench/stress.sh [--count N] [--batch N] [--berth PATH] [--runc PATH]
#
# Creates, starts and deletes N containers (default 200) with memory, cpu and pids limits,
# with berth and then with runc, and prints the per-container time by batch, the memory of
# all created containers and anything left behind. Needs root and a built berth.
set -eu
. "$(dirname "$0")/lib.sh"
bench_exec bench/stress.mjs "$@"
