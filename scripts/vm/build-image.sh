#!/bin/sh
# Usage: sh scripts/vm/build-image.sh
#
# Builds (once) the test guest that runs berth on pure cgroup v2 with systemd as PID 1,
# from Debian packages only, and prints the directory holding it:
#   vmlinuz      the Debian bookworm kernel (linux-image-<abi>-amd64), fetched with
#                `apt-get download` and unpacked with dpkg-deb -x, never installed;
#   vmlinux      the same kernel uncompressed (an ELF with a PVH entry), when it can be
#                taken out of vmlinuz: it boots a few seconds faster;
#   initrd.img   a busybox initramfs that loads the virtio-mmio, virtio-blk, ext4, 9p and
#                overlay modules of that kernel and switches to the root file system;
#   rootfs.img   a raw ext4 image of a debootstrap'ed bookworm (systemd, dbus, busybox-static,
#                procps, iproute2, libseccomp2, runc, apparmor, podman with conmon and catatonit;
#                GUEST_PACKAGES below) with the unit that runs the host's command
#                (scripts/vm/guest-run.sh, see there) and powers the guest off.
# The guest boots it read-only (qemu snapshot=on), so the cached image never changes.
#
# The result is cached in $BERTH_VM_CACHE (default /var/cache/berth-vm) under a key made of
# this script, guest-run.sh and the candidate versions of the kernel and guest packages in
# the host's apt lists: a change of any of them builds a new image. Old images are removed.
#
# Environment: BERTH_VM_CACHE (cache directory), BERTH_VM_MIRROR (Debian mirror for
# debootstrap; default the first deb.debian.org-style "debian" URI in /etc/apt/sources.list*),
# BERTH_VM_KERNEL (kernel package, default the dependency of linux-image-amd64).
# Exit status 0 with the directory on stdout; non-zero with the reason on stderr.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BERTH_VM_CACHE:-/var/cache/berth-vm}

say() { echo "vm-image: $*" >&2; }
die() { echo "vm-image: $*" >&2; exit 1; }
# The machine cannot build the image (a tool, the apt lists or the mirror is missing): 77,
# which the callers report as "cannot run here" rather than as a failure.
cannot() { echo "vm-image: $*" >&2; exit 77; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and mkfs need it)"
for tool in debootstrap apt-get apt-cache dpkg-deb mkfs.ext4 sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || cannot "$tool not found; run: sh scripts/setup.sh (it installs debootstrap and qemu-system-x86)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || cannot "$BUSYBOX not found; install it with: apt-get install busybox-static"

# Packages of the guest beyond debootstrap's minbase: systemd as init with the D-Bus system
# bus (systemd's cgroup driver talks to it), the static busybox the test root filesystems
# copy, the tools the integration tests call, runc for the tests that compare berth's
# cgroup files with runc's, and apparmor (apparmor_parser) to load the AppArmor test profile.
# For the engine suite's podman scenarios (test/engines/): podman and conmon, catatonit (its
# --init), golang-github-containers-common (podman's default seccomp profile and
# configuration) and netavark, which is named because debootstrap does not resolve that
# package's dependency on the virtual container-network-stack (the containers run with
# --network none: nothing is configured). containerd is left out (100 MB for a suite part
# the guest does not run). criu for checkpoint/restore (the guest's Debian kernel is one criu
# 3.17 supports). For rootless containers: uidmap (newuidmap and newgidmap, for maps of
# several ids) and dbus-user-session (the user's bus at /run/user/<uid>/bus, started by the
# user's systemd instance; it brings libpam-systemd), with which berth and runc drive the
# user's systemd instance under --systemd-cgroup.
GUEST_PACKAGES="systemd systemd-sysv dbus busybox-static procps iproute2 libseccomp2 kmod runc apparmor
  podman conmon catatonit golang-github-containers-common netavark criu uidmap dbus-user-session"

# Modules the initramfs loads, in dependency order (each followed by what it needs).
MODULES="virtio_ring virtio virtio_mmio virtio_blk crc16 mbcache jbd2 crc32c_generic ext4
  netfs fscache 9pnet 9pnet_virtio 9p overlay"
# criu: its kernel probe (`criu check`) needs nf_tables, dump reads sockets through the
# sock_diag modules and a network namespace's conntrack entries through nf_conntrack_netlink
# (the guest has no /lib/modules for the kernel to load them from on demand).
MODULES="$MODULES libcrc32c nfnetlink nf_tables unix_diag inet_diag tcp_diag udp_diag raw_diag netlink_diag af_packet_diag
  nf_defrag_ipv4 nf_defrag_ipv6 nf_conntrack nf_conntrack_netlink"

# --- which kernel, and the cache key --------------------------------------------------------
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1; }

KPKG=${BERTH_VM_KERNEL:-}
if [ -z "$KPKG" ]; then
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
fi
[ -n "$KPKG" ] || cannot "no kernel package: apt-cache knows no linux-image-amd64 dependency; run apt-get update (or set BERTH_VM_KERNEL)"
KVER=$(candidate "$KPKG")
[ -n "$KVER" ] && [ "$KVER" != "(none)" ] || cannot "apt has no candidate for $KPKG; run apt-get update"

versions="$KPKG=$KVER"
for p in $GUEST_PACKAGES; do versions="$versions $p=$(candidate "$p")"; done
KEY=$( { cat "$HERE/build-image.sh" "$HERE/guest-run.sh"; echo "$versions"; } | sha256sum | cut -c1-16)
OUT="$CACHE/$KEY"

if [ -f "$OUT/ready" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/rootfs.img" ]; then
  echo "$OUT"
  exit 0
fi

MIRROR=${BERTH_VM_MIRROR:-}
if [ -z "$MIRROR" ]; then
  # One-line sources ("deb URI bookworm main") and deb822 sources ("URIs: URI"); the first
  # URI ending in /debian is the main archive.
  MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | sed -n -e 's/^deb  *\(\[[^]]*\]  *\)\{0,1\}\([a-z]*:\/\/[^ ]*\/debian\/\{0,1\}\) .*/\2/p' \
             -e 's/^URIs: *\([a-z]*:\/\/[^ ]*\/debian\/\{0,1\}\)$/\1/p' | head -n 1)
fi
[ -n "$MIRROR" ] || cannot "no Debian mirror found in /etc/apt/sources.list*; set BERTH_VM_MIRROR"

mkdir -p "$CACHE"
# One build at a time; a second caller waits and then finds the image ready.
exec 9>"$CACHE/lock"
flock 9
if [ -f "$OUT/ready" ]; then
  echo "$OUT"
  exit 0
fi

say "building the guest image $KEY ($KPKG $KVER, mirror $MIRROR) in $CACHE"
start=$(date +%s)
WORK="$CACHE/build.$$"
rm -rf "$WORK"
mkdir -p "$WORK"
cleanup() {
  # debootstrap mounts proc and sys in the target; never leave them behind.
  for m in proc sys dev/pts dev; do umount "$WORK/root/$m" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- kernel: downloaded and unpacked, not installed ------------------------------------------
(cd "$WORK" && apt-get download "$KPKG=$KVER" </dev/null >"$WORK/apt-download.log" 2>&1) \
  || { cat "$WORK/apt-download.log" >&2; cannot "apt-get download $KPKG=$KVER failed"; }
dpkg-deb -x "$WORK"/"$KPKG"_*.deb "$WORK/kernel"
UNAME=$(ls "$WORK/kernel/lib/modules")
[ -f "$WORK/kernel/boot/vmlinuz-$UNAME" ] || die "$KPKG has no /boot/vmlinuz-$UNAME"

# --- root file system -------------------------------------------------------------------------
# shellcheck disable=SC2086
include=$(echo $GUEST_PACKAGES | tr ' ' ',')
say "debootstrap bookworm (minbase + $include)"
if ! debootstrap --variant=minbase --include="$include" bookworm "$WORK/root" "$MIRROR" \
    </dev/null >"$WORK/debootstrap.log" 2>&1; then
  tail -n 30 "$WORK/debootstrap.log" >&2
  [ -f "$WORK/root/debootstrap/debootstrap.log" ] && tail -n 30 "$WORK/root/debootstrap/debootstrap.log" >&2
  cannot "debootstrap failed (log above; is $MIRROR reachable?)"
fi
for m in proc sys dev/pts dev; do umount "$WORK/root/$m" 2>/dev/null || true; done
R="$WORK/root"

echo berth-vm > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 berth-vm\n' > "$R/etc/hosts"
: > "$R/etc/fstab"
# No login prompt: the guest only runs the host's command.
passwd -R "$R" -d root >/dev/null 2>&1 || true
# A machine id of its own for every boot (systemd writes a transient one when the file is empty).
: > "$R/etc/machine-id"

# criu locks a container's network during a dump with iptables by default; the guest has no
# iptables, and nftables (libnftables, a dependency of Debian's criu) needs only nf_tables.
mkdir -p "$R/etc/criu"
echo "network-lock nftables" > "$R/etc/criu/default.conf"

# Units the test guest never needs; they only cost boot time under emulation. logind stays:
# `loginctl enable-linger` starts a user's systemd instance (user@<uid>.service) through it,
# and that instance's runtime directory is made with logind's settings.
for u in getty@tty1.service serial-getty@ttyS0.service console-getty.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    systemd-timesyncd.service systemd-networkd.service systemd-resolved.service \
    systemd-journal-flush.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
    systemd-random-seed.service systemd-hwdb-update.service ldconfig.service \
    systemd-firstboot.service systemd-machine-id-commit.service \
    systemd-sysusers.service \
    systemd-remount-fs.service systemd-modules-load.service \
    modprobe@configfs.service modprobe@dm_mod.service modprobe@drm.service \
    modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service \
    sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
    dev-hugepages.mount dev-mqueue.mount proc-sys-fs-binfmt_misc.automount \
    dpkg-db-backup.timer systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "$R/etc/systemd/system/$u"
done
ln -sf /lib/systemd/system/multi-user.target "$R/etc/systemd/system/default.target"

# Every controller systemd knows about is on for every unit, so the whole v2 tree has
# cpu, io, memory and pids enabled (the runner enables the rest at the root).
mkdir -p "$R/etc/systemd/system.conf.d" "$R/etc/systemd/journald.conf.d"
cat > "$R/etc/systemd/system.conf.d/berth-vm.conf" <<'EOF'
[Manager]
DefaultCPUAccounting=yes
DefaultIOAccounting=yes
DefaultMemoryAccounting=yes
DefaultTasksAccounting=yes
DefaultTimeoutStopSec=10s
EOF
cat > "$R/etc/systemd/journald.conf.d/berth-vm.conf" <<'EOF'
[Journal]
Storage=volatile
ForwardToConsole=no
EOF

install -m 0755 "$HERE/guest-run.sh" "$R/usr/local/sbin/berth-vm-run"
cat > "$R/etc/systemd/system/berth-vm-run.service" <<'EOF'
[Unit]
Description=Run the host's command and power off
# After the rest of the boot, so `systemctl is-system-running` reports a finished boot.
After=multi-user.target dbus.service
Wants=dbus.service

[Service]
Type=simple
ExecStart=/usr/local/sbin/berth-vm-run
StandardOutput=journal+console
StandardError=journal+console
# The command (tests) creates cgroups and moves processes: it gets its own subtree.
Delegate=yes
TasksMax=infinity
LimitNOFILE=1048576
LimitMEMLOCK=infinity

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/berth-vm-run.service "$R/etc/systemd/system/multi-user.target.wants/berth-vm-run.service"

# Package caches and docs are dead weight in the image.
rm -rf "$R/var/cache/apt/archives"/*.deb "$R/var/lib/apt/lists"/* "$R/usr/share/doc"/* "$R/usr/share/man"/* \
  "$R/usr/share/locale"/*

# --- initramfs --------------------------------------------------------------------------------
I="$WORK/initramfs"
mkdir -p "$I/bin" "$I/dev" "$I/proc" "$I/sys" "$I/newroot" "$I/modules"
cp "$BUSYBOX" "$I/bin/busybox"
chmod 0755 "$I/bin/busybox"
n=0
for m in $MODULES; do
  f=$(find "$WORK/kernel/lib/modules/$UNAME/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
  if [ -z "$f" ]; then
    # Built into this kernel (modules.builtin) is as good as loaded.
    grep -q "/$m.ko\$" "$WORK/kernel/lib/modules/$UNAME/modules.builtin" 2>/dev/null \
      || die "module $m is neither in $KPKG nor built in"
    continue
  fi
  case $f in *.ko) ;; *) die "compressed module $f: the initramfs loads plain .ko files only" ;; esac
  n=$((n + 1))
  cp "$f" "$I/modules/$(printf '%02d' "$n")-$m.ko"
done
cat > "$I/init" <<'EOF'
#!/bin/busybox sh
# Load the modules for the virtio-mmio disk and the 9p shares, mount the root disk and
# hand over to systemd.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
for m in /modules/*.ko; do
  /bin/busybox insmod "$m" 2>/dev/null || echo "initramfs: insmod $m failed" >/dev/console
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do /bin/busybox sleep 0.05; i=$((i + 1)); done
/bin/busybox mount -t ext4 -o rw /dev/vda /newroot || {
  echo "initramfs: cannot mount /dev/vda; powering off" >/dev/console
  /bin/busybox poweroff -f
}
/bin/busybox umount /proc /sys
/bin/busybox mount --move /dev /newroot/dev 2>/dev/null || /bin/busybox umount /dev
exec /bin/busybox switch_root /newroot /sbin/init
EOF
chmod 0755 "$I/init"
(cd "$I" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initrd.img"

# --- disk image -------------------------------------------------------------------------------
size_mb=$(( $(du -sm "$R" | cut -f1) + 512 ))
mkfs.ext4 -q -F -L berth-vm -O ^has_journal -d "$R" "$WORK/rootfs.img" "${size_mb}M" >"$WORK/mkfs.log" 2>&1 \
  || { cat "$WORK/mkfs.log" >&2; die "mkfs.ext4 -d failed"; }

rm -rf "$OUT"
mkdir -p "$OUT"
mv "$WORK/rootfs.img" "$WORK/initrd.img" "$OUT/"
cp "$WORK/kernel/boot/vmlinuz-$UNAME" "$OUT/vmlinuz"
# The uncompressed kernel boots faster under emulation (qemu loads it as a PVH ELF, so the
# emulated CPU does not decompress it). Debian compresses it with xz inside the bzImage; when
# it cannot be taken out, or lacks the PVH entry note, boot.sh uses the bzImage.
off=$(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$OUT/vmlinuz" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
if [ -n "$off" ] && command -v xz >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1; then
  # xz reports the bzImage's trailing bytes as garbage after the stream: the status is ignored,
  # the result is checked instead.
  tail -c +$((off + 1)) "$OUT/vmlinuz" | xz -dc > "$WORK/vmlinux" 2>/dev/null || true
  if readelf -n "$WORK/vmlinux" 2>/dev/null | grep -q '(0x00000012)'; then
    mv "$WORK/vmlinux" "$OUT/vmlinux"
  fi
fi
cp "$WORK/kernel/boot/config-$UNAME" "$OUT/config"
chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' > "$OUT/packages" 2>/dev/null || true
echo "$KPKG $KVER" >> "$OUT/packages"
echo "$UNAME" > "$OUT/uname"
touch "$OUT/ready"

# Images of other keys are stale.
for d in "$CACHE"/*/; do
  d=${d%/}
  [ "$d" = "$OUT" ] || case ${d##*/} in build.*) ;; *) rm -rf "$d" ;; esac
done
say "image ready in $(( $(date +%s) - start ))s: $OUT"
echo "$OUT"
