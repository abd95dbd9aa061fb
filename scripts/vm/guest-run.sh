#!/bin/sh
# Runs inside the test guest as /usr/local/sbin/berth-vm-run (unit berth-vm-run.service,
# started once the boot has reached multi-user.target), and is built into the image by
# build-image.sh. The host (boot.sh) shares two directories over 9p:
#   berthjob   writable: job.env (REPO=<the repository path on the host>), job.sh (the
#              command), and what this script writes back: started, output.log, status;
#   berthrepo  the repository, read-only. It is mounted at the same path as on the host
#              (the tests name bin/berth and node by absolute path) under an overlay whose upper
#              layer is a tmpfs, so the guest's writes (vitest cache, compile cache) stay in
#              the guest and never reach the host tree.
# Then it runs job.sh with sh from the repository, its output in output.log, writes the
# exit status to status, and powers the guest off.
set -u

JOB=/run/berth-vm/job
RO=/run/berth-vm/repo-ro
RW=/run/berth-vm/repo-rw

console() { echo "berth-vm: $*" >/dev/console 2>/dev/null || true; }
halt() {
  sync
  systemctl --force --force poweroff
  # Not reached unless systemd could not be asked; the kernel reboots (qemu -no-reboot exits).
  echo b > /proc/sysrq-trigger
}

mkdir -p "$JOB" "$RO" "$RW"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none berthjob "$JOB"; then
  console "cannot mount the job share (9p tag berthjob)"
  halt
fi
echo "$(date +%s)" > "$JOB/started"
console "started"

fail() {
  echo "berth-vm: $*" >> "$JOB/output.log"
  echo 125 > "$JOB/status"
  halt
  exit 125
}

[ -f "$JOB/job.env" ] && [ -f "$JOB/job.sh" ] || fail "job.env or job.sh missing in the job share"
REPO=$(sed -n 's/^REPO=//p' "$JOB/job.env")
case $REPO in /*) ;; *) fail "job.env gives no absolute REPO path" ;; esac

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro berthrepo "$RO" \
  || fail "cannot mount the repository share (9p tag berthrepo)"
mount -t tmpfs -o mode=0755 tmpfs "$RW" || fail "cannot mount a tmpfs for the repository overlay"
mkdir -p "$RW/upper" "$RW/work" "$REPO"
mount -t overlay -o "lowerdir=$RO,upperdir=$RW/upper,workdir=$RW/work" overlay "$REPO" \
  || fail "cannot mount the overlay over $RO at $REPO"

# Every controller of the root is enabled for its children, as on a systemd host that
# runs containers. Controllers the kernel lacks are reported by the command, not here.
for c in cpuset cpu io memory hugetlb pids rdma misc; do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
done

cd "$REPO" || fail "cannot enter $REPO"
export HOME=/root PATH="$REPO/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export BERTH_VM=1 LANG=C.UTF-8
sh "$JOB/job.sh" >> "$JOB/output.log" 2>&1 </dev/null
echo $? > "$JOB/status"
console "finished with status $(cat "$JOB/status")"
halt
