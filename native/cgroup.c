/* Placing the container in the cgroups berth chose, without the kernel's global
 * migration lock. Writing a pid to cgroup.procs takes cgroup_threadgroup_rwsem
 * for writing, and the first such write after a quiet period waits for an RCU
 * grace period (10-25 ms measured). Instead stage 1 moves itself by writing "0"
 * to each cgroup v1 "tasks" file (a thread moving itself takes no threadgroup
 * lock; stage 1 is single-threaded), and the container process is cloned
 * straight into its cgroup2 directory with clone3(CLONE_INTO_CGROUP). The
 * paths come from the plan; this file knows nothing about layouts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

void cgroup_enter_self(const struct plan *p)
{
	for (size_t i = 0; i < p->cgroup_tasks.n; i++) {
		const char *path = p->cgroup_tasks.v[i];
		if (write_file(path, "0", 1) < 0)
			die(errno, "join cgroup \"%s\"", path);
	}
}

int cgroup_into_fd(const struct plan *p)
{
	if (p->cgroup_into == NULL)
		return -1;
	int fd = open(p->cgroup_into, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open cgroup \"%s\"", p->cgroup_into);
	return fd;
}

/* fork() into the cgroup2 directory cgfd; without clone3 support the parent
 * moves the child before it runs anything (the child waits for "go"). */
pid_t fork_into(const struct plan *p, int cgfd)
{
	if (cgfd >= 0) {
		struct clone_args args;
		memset(&args, 0, sizeof(args));
		args.flags = CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)cgfd;
		long pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0)
			return (pid_t)pid;
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			die(errno, "clone3 into cgroup \"%s\"", p->cgroup_into);
	}
	pid_t pid = fork();
	if (pid <= 0 || cgfd < 0)
		return pid;
	char path[4096], buf[16];
	snprintf(path, sizeof(path), "%s/cgroup.procs", p->cgroup_into);
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write_file(path, buf, (size_t)n) < 0) {
		int err = errno;
		kill(pid, SIGKILL);
		die(err, "join cgroup \"%s\"", p->cgroup_into);
	}
	return pid;
}
