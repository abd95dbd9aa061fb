#!/bin/sh
# Usage: sh bench/commands.sh [--runs N] [--seq N] [--seq-rounds N] [--many N] [--list N]
#                             [--engine-runs N] [--berth PATH] [--runc PATH] [--crun PATH]
#
# Every command of berth, runc and crun side by side, alternated run by run: --version,
# state, list with 1 and with 200 containers, run true, create, start, kill, delete,
# delete --force of a running container, exec, ps, pause, resume, update, events --stats,
# 100 `run true` in sequence; `podman run --rm IMAGE true` and `ctr run --rm IMAGE id true`
# with berth and with runc (skipped with a line when podman or containerd is missing);
# the Pss of a created container among 50 and the peak RSS of every command. crun 1.8.1
# runs in a mount namespace without the cgroup2 mount on a hybrid host; where it cannot run
# its column says why. Needs root and a built berth. The shorter `sh bench/run.sh` covers
# run true and the create/state/start/delete steps only.
set -eu
. "$(dirname "$0")/lib.sh"
bench_exec bench/commands.mjs "$@"
