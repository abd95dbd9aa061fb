#!/bin/sh
# Usage: sh bench/run.sh [--runs N] [--steps N] [--pss N] [--berth PATH] [--runc PATH]
#
# Runs berth (bin/berth) and runc side by side on the same busybox bundle and prints a
# table: `run true` back to back, create / state / start / delete one by one, and the
# proportional set size (Pss) of the process that waits in the `created` state.
# Needs root and a built berth (`make build`, or `sh scripts/demo.sh` which also sets up).
# Every other command, crun, the engines and peak RSS: sh bench/commands.sh.
set -eu
. "$(dirname "$0")/lib.sh"
bench_exec bench/bench.mjs "$@"
