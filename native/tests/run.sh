#!/bin/sh
# End-to-end checks of berth-init as root, driven by drive.ts (no berth CLI involved).
# Usage: sh native/tests/run.sh     (from anywhere; needs root, a built tree (make build),
# busybox, gcc and script). It runs the helper the build made (dist/berth-init), and writes
# nothing outside one mktemp -d directory, removed when every case passes.
set -u
cd "$(dirname "$0")/../.."
REPO=$(pwd)
export PATH="$REPO/node_modules/.bin:$PATH"
export BERTH_INIT="${BERTH_INIT:-$REPO/dist/berth-init}"
[ -x "$BERTH_INIT" ] || { echo "run.sh: $BERTH_INIT is missing: run make build first" >&2; exit 1; }
OUT=$(mktemp -d /tmp/berth-init-tests.XXXXXX)
# the user-namespace container (host uid 100000) must be able to reach its rootfs below it
chmod 0711 "$OUT"
DRIVE="$OUT/drive.mjs"
BB="$OUT/bb"
BBU="$OUT/bbu"

esbuild native/tests/drive.ts --bundle --platform=node --format=esm --outfile="$DRIVE" --log-level=warning || exit 1
# The console-socket receiver: the strict one the CLI tests use.
"${CC:-gcc}" -O2 -Wall -Wextra -Werror -o "$OUT/recvtty" test/tools/recvtty.c || exit 1

# busybox rootfs, and a copy owned by the user-namespace root (host uid 100000)
mkdir -p "$BB/rootfs/bin" "$BB/rootfs/etc" "$BB/rootfs/tmp"
cp /bin/busybox "$BB/rootfs/bin/"
for a in sh ls cat echo id hostname mount ps grep sleep tty stty domainname true env touch pwd; do
	ln -sf busybox "$BB/rootfs/bin/$a"
done
cp -a "$BB" "$BBU" && chown -R 100000:100000 "$BBU/rootfs"
export ROOTFS="$BB/rootfs" USERNS_ROOTFS="$BBU/rootfs"

pass=0
fail=0
# check NAME EXPECTED_RC PATTERN... -- ARGS...: run the driver, match every pattern (grep -E)
check() {
	name=$1 want=$2
	shift 2
	pats=""
	while [ "$1" != "--" ]; do
		pats="$pats
$1"
		shift
	done
	shift
	timeout 30 node "$DRIVE" "$@" >"$OUT/$name.out" 2>&1
	rc=$?
	ok=1
	[ "$rc" = "$want" ] || { ok=0; echo "  $name: exit status $rc, want $want"; }
	echo "$pats" | while IFS= read -r p; do
		[ -z "$p" ] && continue
		grep -Eq -- "$p" "$OUT/$name.out" || { echo "  $name: no match for /$p/"; exit 1; }
	done || ok=0
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name (output in $OUT/$name.out)"
	fi
}

check create 0 '^berthbox$' '^example.org$' '^pid=1$' 'CapEff:.0000000020000420' 'NoNewPrivs:.1' \
	'^ro-ok$' 'proc on /proc/sys type proc \(ro' 'cgroup2 on /sys/fs/cgroup type cgroup2 \(ro' -- init
# the container process keeps exactly 0, 1, 2 (sh's own fds, listed by a child)
check fds 0 '^2$' -- init 'ls /proc/$$/fd; true'
if grep -Eq '^([3-9]|[0-9]{2,})$' "$OUT/fds.out"; then
	fail=$((fail + 1)); pass=$((pass - 1)); echo "FAIL fds: extra fds: $(tr '\n' ' ' <"$OUT/fds.out")"
fi
check masked 0 '^empty$' '/proc/keys' -- init 'ls /proc/acpi | grep -q . || echo empty; grep -E "/proc/keys" /proc/self/mountinfo'
check devices 0 'crw-rw-rw-.*1, +3 .*null' 'ptmx -> pts/ptmx' 'fd -> /proc/self/fd' -- init 'ls -l /dev'
check bindro 0 'Read-only file system' -- init 'echo x > /etc/hostname.host'
check user 0 'uid=1000 gid=1000 groups=5,6' '^/tmp/newdir$' 'CapAmb:.0000000000000400' -- \
	init 'id; pwd; grep Cap /proc/self/status' --uid=1000 --cwd=/tmp/newdir --ambient
check rootro 0 'touch: /x: Read-only' -- init 'touch /x' --ro
check seccomp 0 'Seccomp:.2' -- init 'grep Seccomp /proc/self/status' --seccomp
check seccomp-nonnp 0 'Seccomp:.2' 'NoNewPrivs:.0' -- init 'grep -E "Seccomp|NoNewPrivs" /proc/self/status' --seccomp --nonnp
check shared 0 ' / rw,[^ ]* shared:' -- init 'grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo' --prop=shared
check timens 0 '^[0-9]{6}' -- init 'cat /proc/uptime' --timens
check nopivot 0 '^berthbox$' '^pid=1$' -- nopivot 'hostname; echo pid=$$'
check userns 0 '0 +100000 +65536' 'uid=0 gid=0' '65534 +65534 +1, +3 .*/dev/null' -- userns
# needs a kernel that can idmap a bind of $OUT's filesystem; BERTH_TEST_IDMAP=0 leaves it out
if [ "${BERTH_TEST_IDMAP:-1}" != 0 ]; then
	check idmap 0 '^-[rwx-]+ +1 +0 +0 .*/mnt/bb/busybox$' 'touch: /mnt/bb/x: Read-only file system' -- idmap
else
	echo "skip idmap (BERTH_TEST_IDMAP=0)"
fi
check preserve 0 ' 3 -> /etc/hostname' 'LISTEN_PID=1' 'LISTEN_FDS=1' -- preserve
check hooks 0 '"status":"created"' 'hook-start' -- hooks
check tty 0 '^/dev/pts/0' 'rows 33; columns 111' 'console' -- tty 'tty; stty -a | head -1; ls /dev/console'
check badmount 1 'bind mount "/nonexistent/source" on "/mnt/x": no such file or directory' -- badmount
check notfound 1 'errno=2: exec: "no-such-program": executable file not found in \$PATH' -- notfound
check hookfail 1 'createContainer hook #0 "/bin/sh": exit status 3 \(output: "nope"\)' -- hookfail
check hooktimeout 1 'timed out after 1s' -- hooktimeout
check execfail 0 'exec failed: /etc/hostname.host: Exec format error' -- init x --args=/etc/hostname.host

# console socket: recvtty gets exactly one fd (else it exits 2) and relays the pty output
"$OUT/recvtty" -m relay -r "$OUT/console.ready" -t 30 "$OUT/console.sock" >"$OUT/recvtty.out" 2>&1 &
rpid=$!
i=0
while [ ! -e "$OUT/console.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check consock 0 '' -- consock "$OUT/console.sock" 'tty; echo bye'
wait $rpid
rrc=$?
if [ $rrc = 0 ] && grep -q '^/dev/pts/0' "$OUT/recvtty.out" && grep -q '^bye' "$OUT/recvtty.out"; then
	pass=$((pass + 1)); echo "ok   consock-recv"
else
	fail=$((fail + 1)); echo "FAIL consock-recv (recvtty exit status $rrc, output in $OUT/recvtty.out)"
fi

# exec into running containers (plain and user namespace)
timeout 30 node "$DRIVE" bg 60 >"$OUT/bg.pid" 2>/dev/null
timeout 30 node "$DRIVE" bgu 60 >"$OUT/bgu.pid" 2>/dev/null
pid=$(cat "$OUT/bg.pid")
upid=$(cat "$OUT/bgu.pid")
check exec 0 '^berthbox$' '^pid=2$' '1 0 +sleep 60' -- exec "$pid"
check exec-status 7 -- exec "$pid" 'exit 7'
check exec-signal 143 -- exec "$pid" 'kill -TERM $$'
check exec-notfound 1 'exec: "nothere": executable file not found' -- exec "$pid" x --args=nothere
check exec-eacces 1 'exec: "/etc": permission denied' -- exec "$pid" x --args=/etc --nocheck
check exec-userns 0 '0 +100000 +65536' -- exec "$upid" 'cat /proc/self/uid_map' --user
script -qec "node $DRIVE exec $pid 'tty; [ -t 0 ] && echo stdin-tty; exit 3' -t" /dev/null >"$OUT/exec-tty.out" 2>&1
if [ $? = 3 ] && grep -q '/dev/pts/0' "$OUT/exec-tty.out" && grep -q 'stdin-tty' "$OUT/exec-tty.out"; then
	pass=$((pass + 1)); echo "ok   exec-tty"
else
	fail=$((fail + 1)); echo "FAIL exec-tty (output in $OUT/exec-tty.out)"
fi
kill -9 "$pid" "$upid" 2>/dev/null

echo "$pass passed, $fail failed"
[ $fail = 0 ] && rm -rf "$OUT"
[ $fail = 0 ]
