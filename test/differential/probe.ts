// The shell script run inside both containers: it prints everything the
// process can see about itself, one "@@ <section>" block per aspect.

export const PROBE_SECTIONS = [
  "fds",
  "id",
  "hostname",
  "domainname",
  "caps",
  "security",
  "mountinfo",
  "ns",
  "dev",
  "devpts",
  "env",
  "cwd",
  "ulimit",
  "ulimit_hard",
  "umask",
  "oom",
  "pid",
] as const;

export type ProbeSection = (typeof PROBE_SECTIONS)[number];

const SCRIPT = `
echo "@@ fds"; ls -1 /proc/$$/fd
echo "@@ id"; id
echo "@@ hostname"; hostname
echo "@@ domainname"; cat /proc/sys/kernel/domainname
echo "@@ caps"; grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
echo "@@ security"; grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
echo "@@ mountinfo"; cat /proc/self/mountinfo
echo "@@ ns"; for n in /proc/self/ns/*; do echo "\${n##*/} $(readlink "$n")"; done
echo "@@ dev"; (cd /dev && for f in * .[!.]*; do if [ -e "$f" ] || [ -L "$f" ]; then stat -c '%A %u %g %t:%T %N' "$f"; fi; done)
echo "@@ devpts"; ls -A /dev/pts 2>&1
echo "@@ env"; env | sort
echo "@@ cwd"; pwd
echo "@@ ulimit"; ulimit -a
echo "@@ ulimit_hard"; ulimit -H -a
echo "@@ umask"; umask
echo "@@ oom"; cat /proc/self/oom_score_adj
echo "@@ pid"; echo $$
`;

/** process.args that run the probe with busybox sh. */
export function probeArgs(): string[] {
  return ["sh", "-c", SCRIPT];
}
