#!/bin/sh
# Usage: sh scripts/vm/run.sh [vitest arguments...]
#
# Runs part of berth's test suite inside a Debian bookworm guest with pure cgroup v2 (every
# controller enabled at the root) and systemd as PID 1 with the D-Bus system bus: the setup
# berth meets on current distributions, which the development machine (hybrid cgroups, no
# systemd) does not have. The guest uses the host's built tree (bin/berth, native/berth-init,
# node_modules with the pinned Node 24) over a read-only 9p share; nothing is built inside.
#
# Without arguments it runs `vitest run test/cgroups/ test/lifecycle/{pause,events,update}
# .v2.test.ts`: the cgroup integration tests (cgroupfs and systemd drivers), the commands
# that work through the cgroup (pause/resume, events, update), every file named *.v2.test.ts anywhere
# (tests that need cgroup v2 or systemd; they skip themselves on other hosts), and the AppArmor
# tests of test/security/lsm.test.ts (the guest's kernel has AppArmor; this host's may not), and
# `berth check` and `berth wait` (their reports and waits differ on a v2 + systemd host), and the
# engine suite's cgroup scenarios with podman on its systemd cgroup manager
# (test/engines/podman-cgroups.test.ts, berth and runc as the runtime), rootless berth
# (test/lifecycle/rootless.test.ts; its systemd user-instance half is rootlessSystemd.v2.test.ts),
# and checkpoint and restore with criu (test/lifecycle/checkpoint*.test.ts and podman's container
# checkpoint/restore, test/engines/podman-checkpoint.test.ts; criu cannot work on the development
# host's kernel, it does on the guest's, so this is where the round trips run). Arguments
# replace that list, e.g. `sh scripts/vm/run.sh test/cgroups/manager.test.ts -t freeze` or
# `sh scripts/vm/run.sh src/linux/cgroups/` (vitest takes them as path filters).
# BERTH_VM_KEEP=1 keeps the job directory (output.log, console.log) and prints its path;
# BERTH_VM_SKIP_SUMMARY=FILE receives the guest's skip summary (counts and skipped tests by
# missing requirement). BERTH_VM_CGROUPS and BERTH_VM_APPEND choose the guest's shape (boot.sh).
# Before the tests it prints what the guest offers (cgroup controllers, systemd state, the
# system bus), so a failure can be told apart from a guest problem.
#
# The first run builds the guest image (about a minute, needs the Debian mirror; cached in
# /var/cache/berth-vm, see build-image.sh). A run costs a boot (about 20 s under emulation)
# plus the tests, several times slower than on the host.
# Exit status: vitest's; 77 when qemu or the guest image cannot be had on this machine;
# 124/125 when the guest timed out or failed (see boot.sh).
set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

say() { echo "vm: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "must run as root (qemu's 9p share of the tree, the image build, and the tests)"; exit 1; }

# The guest runs what is built here: make sure it is current.
make --no-print-directory -s build </dev/null >&2 || { say "make build failed"; exit 1; }

if [ $# -eq 0 ]; then
  set -- test/cgroups/ test/lifecycle/pause.test.ts test/lifecycle/events.test.ts test/lifecycle/update.test.ts .v2.test.ts \
    test/security/lsm.test.ts test/lifecycle/check.test.ts test/lifecycle/wait.test.ts test/engines/podman-cgroups.test.ts \
    test/lifecycle/rootless.test.ts test/lifecycle/checkpoint.test.ts test/lifecycle/checkpointHooks.test.ts \
    test/lifecycle/checkpointTerminal.test.ts test/engines/podman-checkpoint.test.ts
fi

JOB=$(mktemp -d /tmp/berth-vm-job.XXXXXX)
cleanup() {
  if [ "${BERTH_VM_KEEP:-0}" = 1 ]; then say "job directory kept: $JOB"; else rm -rf "$JOB"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "REPO=$ROOT" > "$JOB/job.env"

# The job, run by sh in the guest from the repository (guest-run.sh): the vitest arguments
# are single-quoted one by one.
# Emulation makes everything several times slower: the timeouts of vitest.config.ts (30 s)
# are scaled up unless the arguments set their own.
case " $* " in
  *Timeout*) ;;
  *) set -- --testTimeout=150000 --hookTimeout=150000 "$@" ;;
esac
args=""
for a in "$@"; do
  args="$args '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
done
# Colours only when the output goes to a terminal here.
[ -t 1 ] && color="" || color="export NO_COLOR=1"
cat > "$JOB/job.sh" <<EOF
$color
echo "== guest: \$(uname -r), systemd \$(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"
if [ "\$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  echo "== /sys/fs/cgroup: cgroup2fs; controllers: \$(cat /sys/fs/cgroup/cgroup.controllers); enabled: \$(cat /sys/fs/cgroup/cgroup.subtree_control)"
else
  echo "== /sys/fs/cgroup: \$(stat -f -c %T /sys/fs/cgroup) (v1 hierarchies: \$(ls /sys/fs/cgroup | tr '\\n' ' '))"
fi
echo "== kernel command line: \$(cat /proc/cmdline)"
echo "== systemctl is-system-running: \$(timeout 60 systemctl is-system-running --wait 2>&1)"
echo "== boot: \$(systemd-analyze 2>&1 | head -n 1)"
if [ -S /run/dbus/system_bus_socket ] && busctl status org.freedesktop.systemd1 >/dev/null 2>&1; then
  echo "== D-Bus system bus: /run/dbus/system_bus_socket, org.freedesktop.systemd1 answers"
else
  echo "== D-Bus system bus: NOT available"
fi
echo "== vitest run$args"
# The skip summary (test/helpers/skipSummary.ts) goes to the job share, for the host to read.
export BERTH_SKIP_SUMMARY=/run/berth-vm/job/skips.txt
start=\$(date +%s)
vitest run$args
rc=\$?
echo "== vitest exit status \$rc after \$((\$(date +%s) - start))s in the guest"
exit \$rc
EOF

start=$(date +%s)
rc=0
sh scripts/vm/boot.sh "$JOB" || rc=$?
say "guest run done in $(( $(date +%s) - start ))s, exit status $rc"
if [ -n "${BERTH_VM_SKIP_SUMMARY:-}" ] && [ -f "$JOB/skips.txt" ]; then cp "$JOB/skips.txt" "$BERTH_VM_SKIP_SUMMARY"; fi
exit "$rc"
