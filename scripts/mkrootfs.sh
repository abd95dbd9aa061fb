#!/bin/sh
# Usage: sh scripts/mkrootfs.sh DIR
#
# Makes a minimal busybox root filesystem in DIR from the host's statically linked
# /bin/busybox (Debian package busybox-static): bin/busybox plus one symlink per applet,
# etc/passwd and etc/group with root and nobody, and the empty directories a container
# expects (proc sys dev tmp etc root). Safe to run again on an existing DIR.
set -eu

BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "mkrootfs: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: sh scripts/mkrootfs.sh DIR"
dir=$1

[ -x "$BUSYBOX" ] || die "$BUSYBOX not found; install it with: apt-get install busybox-static"
# A dynamically linked busybox (Debian package "busybox") would not run inside the
# rootfs, which has no libc; only the static build is usable.
if command -v readelf >/dev/null 2>&1 && readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'Requesting program interpreter'; then
  die "$BUSYBOX is dynamically linked; install the static build with: apt-get install busybox-static"
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin etc proc sys dev tmp root
chmod 0755 bin etc proc sys dev
chmod 1777 tmp
chmod 0700 root

# Replace rather than overwrite in place: a container may still be running the old copy.
cp "$BUSYBOX" bin/.busybox.new
chmod 0755 bin/.busybox.new
mv -f bin/.busybox.new bin/busybox

# One relative symlink per applet, all in bin/ (which is on the default PATH).
# perl (perl-base, always present on Debian) makes them in one process; the shell
# loop is the fallback.
applets=$(bin/busybox --list | grep -vx busybox)
if command -v perl >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  perl -e 'for (@ARGV) { unlink "bin/$_"; symlink("busybox", "bin/$_") or die "symlink bin/$_: $!\n" }' $applets
else
  for a in $applets; do
    ln -sfn busybox "bin/$a"
  done
fi

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
nobody:x:65534:
EOF
chmod 0644 etc/passwd etc/group
