#!/bin/sh
# Usage: sh scripts/vm/boot.sh JOBDIR
#
# Boots the test guest (built and cached by build-image.sh) under qemu's software emulation
# (TCG; no /dev/kvm needed) as a microvm with a direct kernel boot, and lets it run the job
# in JOBDIR (see guest-run.sh): JOBDIR/job.env names the repository (REPO=<path>),
# JOBDIR/job.sh is the command. The repository is shared read-only over virtio-9p, JOBDIR
# writable; the root disk is the cached image opened with snapshot=on (writes are thrown
# away). The guest writes JOBDIR/started, JOBDIR/output.log and JOBDIR/status, then powers off.
#
# Watchdog: a boot that has not started the job within BERTH_VM_BOOT_TIMEOUT seconds (90)
# hung early under emulation (it happens); qemu is killed and the boot retried, up to
# BERTH_VM_BOOT_TRIES times (3). A job still running after BERTH_VM_RUN_TIMEOUT seconds
# (2400) is killed.
# Environment: BERTH_VM_CPUS (2), BERTH_VM_MEM (MiB, 2048), BERTH_VM_QEMU (qemu-system-x86_64),
# BERTH_VM_CGROUPS (v2: pure cgroup v2, the default; hybrid: systemd's hybrid layout, v1
# controllers plus a cgroup2 mount), BERTH_VM_APPEND (more kernel command-line words, e.g.
# swapaccount=0, to boot a guest without a feature the tests then find missing).
# The serial console goes to JOBDIR/console.log.
# Exit status: the job's, 124 when the job timed out, 125 when the guest failed (boot,
# mounts), 77 when qemu cannot run here.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
QEMU=${BERTH_VM_QEMU:-qemu-system-x86_64}
BOOT_TIMEOUT=${BERTH_VM_BOOT_TIMEOUT:-90}
BOOT_TRIES=${BERTH_VM_BOOT_TRIES:-3}
RUN_TIMEOUT=${BERTH_VM_RUN_TIMEOUT:-2400}
CPUS=${BERTH_VM_CPUS:-2}
MEM=${BERTH_VM_MEM:-2048}

say() { echo "vm: $*" >&2; }

[ $# -eq 1 ] && [ -d "$1" ] || { say "usage: sh scripts/vm/boot.sh JOBDIR"; exit 2; }
JOB=$(cd "$1" && pwd)
[ -f "$JOB/job.env" ] && [ -f "$JOB/job.sh" ] || { say "$JOB needs job.env and job.sh"; exit 2; }
REPO=$(sed -n 's/^REPO=//p' "$JOB/job.env")
[ -d "$REPO" ] || { say "job.env: REPO=$REPO is not a directory"; exit 2; }

if ! command -v "$QEMU" >/dev/null 2>&1; then
  say "$QEMU not found (Debian package qemu-system-x86; scripts/setup.sh installs it)"
  exit 77
fi
if ! "$QEMU" -machine help 2>/dev/null | grep -q '^microvm'; then
  say "$QEMU has no microvm machine type"
  exit 77
fi

IMG=$(sh "$HERE/build-image.sh") || exit $?
KERNEL=$IMG/vmlinuz
[ -f "$IMG/vmlinux" ] && KERNEL=$IMG/vmlinux

# Under TCG the guest's TSC is the host's, but calibrating it against the emulated PIT fails
# when the host is busy ("Unable to calibrate against PIT"), and the boot then hangs with no
# clock. So the kernel is told the frequency (tsc_early_khz, from the host), trusts the TSC
# (tsc=reliable) and skips the delay-loop calibration (lpj for HZ=250, Debian's).
# The host kernel's own measurement first; "cpu MHz" can be the current (scaled) frequency.
mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
  -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n 1)
[ -n "$mhz" ] || mhz=$(sed -n 's/^cpu MHz[^:]*: *//p' /proc/cpuinfo | head -n 1)
khz=$(echo "${mhz:-0}" | awk '{ printf "%d", $1 * 1000 }')
[ -n "$khz" ] && [ "$khz" -gt 0 ] || khz=2400000
lpj=$(( khz * 4 ))

case ${BERTH_VM_CGROUPS:-v2} in
  v2) CGROUPS="systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" ;;
  hybrid) CGROUPS="systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=0" ;;
  *) say "BERTH_VM_CGROUPS=${BERTH_VM_CGROUPS} is neither v2 nor hybrid"; exit 2 ;;
esac
CMDLINE="console=ttyS0 root=/dev/vda rw panic=-1 reboot=t
 tsc=reliable tsc_early_khz=$khz lpj=$lpj no_timer_check
 $CGROUPS systemd.show_status=error quiet loglevel=4
 8250.nr_uarts=1 i8042.noaux i8042.nokbd ${BERTH_VM_APPEND:-}"
CMDLINE=$(echo $CMDLINE)

QPID=""
TPID=""
stop_tail() {
  if [ -n "$TPID" ]; then
    sleep 0.3
    kill "$TPID" 2>/dev/null || true
    wait "$TPID" 2>/dev/null || true
    TPID=""
  fi
}
stop_qemu() {
  if [ -n "$QPID" ]; then
    kill "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
    QPID=""
  fi
}
trap 'stop_qemu; stop_tail' EXIT
trap 'stop_qemu; stop_tail; exit 130' INT TERM

try=1
while :; do
  rm -f "$JOB/started" "$JOB/status" "$JOB/output.log" "$JOB/console.log"
  t0=$(date +%s)
  "$QEMU" -M microvm -accel tcg,thread=multi,tb-size=256 -cpu max -smp "$CPUS" -m "$MEM" \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$JOB/console.log" \
    -kernel "$KERNEL" -initrd "$IMG/initrd.img" -append "$CMDLINE" \
    -drive "id=root,file=$IMG/rootfs.img,format=raw,if=none,snapshot=on" \
    -device virtio-blk-device,drive=root \
    -fsdev "local,id=job,path=$JOB,security_model=none" \
    -device virtio-9p-device,fsdev=job,mount_tag=berthjob \
    -fsdev "local,id=repo,path=$REPO,security_model=none,readonly=on" \
    -device virtio-9p-device,fsdev=repo,mount_tag=berthrepo \
    </dev/null >"$JOB/qemu.log" 2>&1 &
  QPID=$!

  # Wait for the job to start (the boot) ...
  while [ ! -f "$JOB/started" ] && kill -0 "$QPID" 2>/dev/null \
      && [ $(( $(date +%s) - t0 )) -lt "$BOOT_TIMEOUT" ]; do
    sleep 0.2
  done
  if [ -f "$JOB/started" ]; then
    say "guest booted in $(( $(date +%s) - t0 ))s (try $try); running the job"
    break
  fi
  if ! kill -0 "$QPID" 2>/dev/null; then
    wait "$QPID" && rc=0 || rc=$?
    QPID=""
    say "qemu exited ($rc) before the guest started the job:"
    tail -n 20 "$JOB/qemu.log" "$JOB/console.log" >&2 2>/dev/null || true
    # qemu refusing to start at all (no TCG, no 9p support in this build) is an
    # environment this target cannot run in; a guest that boots and dies is a failure.
    if [ ! -s "$JOB/console.log" ]; then exit 77; fi
  else
    say "guest did not start the job within ${BOOT_TIMEOUT}s (try $try); last console lines:"
    tail -n 5 "$JOB/console.log" >&2 2>/dev/null || true
    stop_qemu
  fi
  if [ "$try" -ge "$BOOT_TRIES" ]; then
    say "giving up after $try boots"
    exit 125
  fi
  try=$((try + 1))
done

# ... then for it to finish (the guest powers off after writing the status). Its output
# is copied to stdout as it comes.
t1=$(date +%s)
touch "$JOB/output.log"
tail -n +1 -f "$JOB/output.log" &
TPID=$!
while kill -0 "$QPID" 2>/dev/null && [ $(( $(date +%s) - t1 )) -lt "$RUN_TIMEOUT" ]; do
  sleep 0.5
done
if kill -0 "$QPID" 2>/dev/null; then
  say "job still running after ${RUN_TIMEOUT}s; stopping the guest"
  stop_qemu
  stop_tail
  exit 124
fi
wait "$QPID" || true
QPID=""
stop_tail
say "job finished in $(( $(date +%s) - t1 ))s"
if [ ! -f "$JOB/status" ]; then
  say "the guest stopped without writing a status; last console lines:"
  tail -n 30 "$JOB/console.log" >&2 2>/dev/null || true
  exit 125
fi
exit "$(cat "$JOB/status")"
