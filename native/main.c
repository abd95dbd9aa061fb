/* berth-init: executes a resolved plan received from berth over the sync socket.
 * Stage 1 (this process) sets up namespaces and forks the container process;
 * see native/PROTOCOL.md for the order of every step. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

static int make_fifo(const char *path)
{
	/* Only the creating user (who runs `berth start`) may start or abort the container. */
	if (mkfifo(path, 0600) < 0)
		die(errno, "mkfifo \"%s\"", path);
	if (chmod(path, 0600) < 0) /* undo the umask */
		die(errno, "chmod \"%s\"", path);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open the exec fifo \"%s\"", path);
	return fd;
}

/* Block until `berth start` writes its byte; a writer that leaves without one means abort. */
static void wait_fifo(int fd)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(errno, "poll the exec fifo");
		}
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n == 0)
			_exit(1);
		if (errno != EAGAIN && errno != EINTR)
			die(errno, "read the exec fifo");
	}
	/* The read end stays open (close-on-exec) until execve: `berth start` keeps
	 * writing until EPIPE, which tells it the user program now runs. */
}

/* After chdir: the working directory must be inside this process's root. A cwd reached
 * through a magic link (/proc/self/fd/N of an fd from outside) is not, and the kernel's
 * getcwd says "(unreachable)" for it. */
static void verify_cwd(void)
{
	char buf[4096];
	long n = syscall(SYS_getcwd, buf, sizeof(buf));
	if (n < 0)
		die(errno, "getcwd after chdir");
	if (buf[0] != '/')
		die(EPERM, "cwd is outside the container's root filesystem");
}

/* sched_setaffinity with a cpu_set_t mask from the plan (none: leave it). */
static void set_affinity(const unsigned char *mask, size_t len, const char *what)
{
	if (mask == NULL)
		return;
	if (sched_setaffinity(0, len, (const cpu_set_t *)(const void *)mask) < 0)
		die(errno, "set %s", what);
}

/* chdir, no_new_privs, identity and capabilities, umask; returns the program to execve.
 * sync: the socket to ask TS for the seccomp agent's message on (-1: none). */
static const char *finish_process(const struct plan *p, int sync)
{
	int cwd_done = chdir(p->cwd) == 0;
	if (!cwd_done && errno != EACCES && errno != EPERM)
		die(errno, "chdir to cwd \"%s\"", p->cwd);
	label_apply(p); /* as runc: before no_new_privs, which would forbid the change */
	if (p->has_personality && personality(p->personality) < 0)
		die(errno, "personality 0x%x", p->personality);
	/* IOPRIO_WHO_PROCESS (1), this process; needs CAP_SYS_ADMIN for the RT class. */
	if (p->has_ioprio && syscall(SYS_ioprio_set, 1, 0, (int)p->ioprio) < 0)
		die(errno, "set the I/O priority 0x%x (process.ioPriority)", p->ioprio);
	if (p->sched_attr != NULL) {
		uint64_t attr[8] = { 0 }; /* aligned copy of the struct sched_attr berth built */
		if (p->sched_attr_len > sizeof(attr))
			die(EINVAL, "plan SCHED_ATTR: %zu bytes", p->sched_attr_len);
		memcpy(attr, p->sched_attr, p->sched_attr_len);
		if (syscall(SYS_sched_setattr, 0, attr, 0) < 0)
			die(errno, "set the scheduling policy (process.scheduler)");
	}
	if (p->has_mempolicy) {
		unsigned long nodes[16] = { 0 }; /* 1024 nodes, aligned */
		if (p->mem_nodes_len > sizeof(nodes))
			die(EINVAL, "plan MEMPOLICY_NODES: %zu bytes", p->mem_nodes_len);
		if (p->mem_nodes != NULL)
			memcpy(nodes, p->mem_nodes, p->mem_nodes_len);
		unsigned long maxnode = p->mem_nodes != NULL ? p->mem_nodes_len * 8 + 1 : 0;
		if (syscall(SYS_set_mempolicy, (int)p->mempolicy, p->mem_nodes != NULL ? nodes : NULL, maxnode) < 0)
			die(errno, "set the memory policy (linux.memoryPolicy)");
	}
	/* exec: in the container's cgroup now (process.execCPUAffinity.final) */
	set_affinity(p->cpus_final, p->cpus_final_len, "the CPU affinity (process.execCPUAffinity.final)");
	fix_stdio_owner(p);
	apply_nnp(p);
	uint64_t t = trace_now(p);
	if (!p->no_new_privs && p->has_seccomp) {
		apply_seccomp(p, sync); /* needs CAP_SYS_ADMIN without no_new_privs */
		trace_span(p, sync, "seccomp filter", t);
		t = trace_now(p);
	}
	apply_bounding(p);
	apply_user(p);
	if (!cwd_done && chdir(p->cwd) < 0)
		die(errno, "chdir to cwd \"%s\"", p->cwd);
	verify_cwd();
	apply_caps(p);
	trace_span(p, sync, "credentials and capabilities", t);
	if (p->has_umask)
		umask((mode_t)p->umask);
	return resolve_exec(p, p->check_exec);
}

static __attribute__((noreturn)) void container_init(const struct plan *p, int sync, int fifofd, int ttysock)
{
	if (setsid() < 0)
		die(errno, "setsid");
	uint64_t t = trace_now(p);
	join_session_keyring(p);
	trace_span(p, sync, "session keyring", t);
	t = trace_now(p);
	int rootfd = prepare_rootfs(p);
	do_mounts(p, rootfd, sync);
	trace_span(p, sync, "mounts", t);
	t = trace_now(p);
	create_devices(p, rootfd);
	create_symlinks(p, rootfd);
	trace_span(p, sync, "devices and symlinks", t);

	unsigned char *state = NULL;
	uint32_t statelen = 0;
	if (p->hooks_sync) {
		if (sync_send(sync, MSG_HOOKS, NULL, 0) < 0)
			die(errno, "send MSG_HOOKS");
		state = sync_expect(sync, MSG_HOOKS_DONE, &statelen);
	}
	t = trace_now(p);
	run_hooks("createContainer", p->create_hooks, p->ncreate_hooks, (const char *)state, statelen);
	trace_span(p, sync, "createContainer hooks", t);

	t = trace_now(p);
	enter_rootfs(p, rootfd);
	close(rootfd);
	trace_span(p, sync, p->no_pivot ? "move root and chroot" : "pivot_root", t);
	t = trace_now(p);
	setup_console(p, ttysock);
	send_pidfd(p);
	trace_span(p, sync, "console", t);
	t = trace_now(p);
	finish_rootfs(p);
	if (p->hostname != NULL && sethostname(p->hostname, strlen(p->hostname)) < 0)
		die(errno, "sethostname \"%s\"", p->hostname);
	if (p->domainname != NULL && setdomainname(p->domainname, strlen(p->domainname)) < 0)
		die(errno, "setdomainname \"%s\"", p->domainname);
	/* runc creates a missing cwd; we are inside the root now, so this cannot escape. */
	if (p->cwd[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		int fd = root < 0 ? -1 : open_in_root(root, p->cwd, P_MKDIR);
		if (fd < 0)
			die(errno, "create cwd \"%s\"", p->cwd);
		close(fd);
		close(root);
	}
	trace_span(p, sync, "rootfs: masked and read-only paths, sysctls, hostname, cwd", t);
	t = trace_now(p);
	const char *path = finish_process(p, sync);
	trace_span(p, sync, "process: rlimits, scheduling, seccomp, credentials, capabilities", t);
	/* A listener goes to the seccomp agent before create returns (runc does the same), so
	 * with no_new_privs such a filter is loaded now rather than right before execve. */
	int listener = p->seccomp_agent_fd >= 0;
	if (p->no_new_privs && listener)
		apply_seccomp(p, sync);

	if (sync_send(sync, MSG_READY, NULL, 0) < 0)
		die(errno, "send MSG_READY");
	close(sync);
	set_sink(SINK_STDERR, 2);
	wait_fifo(fifofd);
	run_hooks("startContainer", p->start_hooks, p->nstart_hooks, (const char *)state, statelen);
	if (p->no_new_privs && !listener)
		apply_seccomp(p, -1);
	exec_process(p, path);
}

/* sync: kept open only when the filter makes a listener (MSG_SECCOMP); -1 otherwise. */
static __attribute__((noreturn)) void container_exec(const struct plan *p, int ttysock, int sync)
{
	/* A container without a mount namespace was entered with chroot: so is exec. */
	if (p->rootfs != NULL && host_mount_ns(p)) {
		if (chroot(p->rootfs) < 0)
			die(errno, "chroot to \"%s\"", p->rootfs);
		if (chdir("/") < 0)
			die(errno, "chdir \"/\"");
	}
	if (p->setsid && setsid() < 0)
		die(errno, "setsid");
	uint64_t t = trace_now(p);
	join_session_keyring(p);
	setup_console(p, ttysock);
	send_pidfd(p);
	trace_span(p, sync, "session keyring, console and pidfd", t);
	t = trace_now(p);
	const char *path = finish_process(p, sync);
	trace_span(p, sync, "process: rlimits, scheduling, seccomp, credentials, capabilities", t);
	if (p->no_new_privs && p->has_seccomp) {
		t = trace_now(p);
		apply_seccomp(p, sync);
		trace_span(p, sync, "seccomp filter", t);
	}
	exec_process(p, path); /* sync is close-on-exec */
}

static void put_u32(unsigned char *b, uint32_t v)
{
	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
}

static int stage1(struct plan *p, int sync)
{
	set_affinity(p->cpus_initial, p->cpus_initial_len,
		     "berth-init's CPU affinity (process.execCPUAffinity.initial)");
	/* In the host's namespaces, and before the cgroups: the helper it may fork stays out of them. */
	idmap_prepare(p);
	/* Into the container's cgroups before anything else, so every process made below inherits them. */
	cgroup_enter_self(p);
	int cgfd = cgroup_into_fd(p);
	int fifofd = -1;
	/* The fifo is a host path: create it before any namespace changes what paths mean. */
	if (p->mode == MODE_INIT && p->fifo_path != NULL)
		fifofd = make_fifo(p->fifo_path);
	apply_oom_rlimits(p);
	label_prepare(p); /* the host's procfs, before any mount namespace is joined */
	/* Nothing of the container may ptrace or open /proc/<pid> of ours from here on. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(errno, "prctl PR_SET_DUMPABLE");
	uint64_t t = trace_now(p);
	join_namespaces(p);
	create_namespaces(p, sync);
	trace_span(p, sync, "namespaces", t);

	int go[2], errp[2] = { -1, -1 }, tty[2] = { -1, -1 };
	if (pipe2(go, O_CLOEXEC) < 0)
		die(errno, "pipe");
	if (p->mode == MODE_EXEC && pipe2(errp, O_CLOEXEC) < 0)
		die(errno, "pipe");
	if (p->wait && p->terminal && p->console_socket_fd < 0 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty) < 0)
		die(errno, "socketpair");

	sigset_t mask, old;
	sigemptyset(&mask);
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		sigaddset(&mask, sigs[i]);
	if (p->wait)
		sigprocmask(SIG_BLOCK, &mask, &old);

	t = trace_now(p);
	pid_t pid = fork_into(p, cgfd);
	if (pid < 0)
		die(errno, "fork the container process");
	if (pid > 0)
		trace_span(p, sync, "fork the container process", t);
	if (pid == 0) {
		/* The cgroup directory fd is a host directory: it must not reach the container,
		 * where /proc/1/fd/N would lead out of the rootfs. */
		if (cgfd >= 0)
			close(cgfd);
		label_open(p);
		if (p->wait)
			sigprocmask(SIG_SETMASK, &old, NULL);
		close(go[1]);
		if (errp[0] >= 0)
			close(errp[0]);
		if (tty[0] >= 0)
			close(tty[0]);
		wait_go(go[0]);
		/* A new cgroup namespace is made here, not in stage 1: this process is
		 * already in the container's cgroup2 directory, which becomes its root. */
		if (defer_cgroupns(p) && unshare(CLONE_NEWCGROUP) < 0)
			die(errno, "unshare cgroup namespace");
		if (p->mode == MODE_INIT)
			container_init(p, sync, fifofd, tty[1]);
		/* The exec'd process writes to the sync socket only to ask for the seccomp
		 * agent's message and, with --trace, its stage marks (sent before stage 1
		 * reads the error pipe's end, so they precede MSG_READY); its errors go
		 * through the pipe stage 1 reads. */
		if (p->seccomp_agent_fd < 0 && !p->trace) {
			close(sync);
			sync = -1;
		}
		set_sink(SINK_PIPE, errp[1]);
		container_exec(p, tty[1], sync);
	}
	if (cgfd >= 0)
		close(cgfd);
	idmap_close(p);
	label_close_proc();
	close(go[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (tty[1] >= 0)
		close(tty[1]);
	if (fifofd >= 0)
		close(fifofd);
	/* Only the container process hands on the listener; the agent sees the connection
	 * close once it has its message. */
	if (p->seccomp_agent_fd >= 0)
		close(p->seccomp_agent_fd);
	/* Nor the pidfd: the caller sees the socket close once it has it. */
	if (p->pidfd_socket_fd >= 0)
		close(p->pidfd_socket_fd);

	unsigned char pidbuf[4];
	put_u32(pidbuf, (uint32_t)pid);
	if (sync_send(sync, MSG_PID, pidbuf, sizeof(pidbuf)) < 0) {
		kill(pid, SIGKILL);
		die(errno, "send MSG_PID");
	}
	send_go(go[1]);

	if (p->mode == MODE_EXEC) {
		uint32_t type, len;
		unsigned char *payload;
		int r = sync_recv(errp[0], &type, &payload, &len);
		if (r < 0) {
			kill(pid, SIGKILL);
			die(errno, "read the exec error pipe");
		}
		if (r == 0) { /* the child failed and said why: pass it on */
			sync_send(sync, type, payload, len);
			waitpid(pid, NULL, 0);
			_exit(1);
		}
		close(errp[0]);
		if (sync_send(sync, MSG_READY, NULL, 0) < 0)
			die(errno, "send MSG_READY");
	}
	close(sync);
	set_sink(SINK_STDERR, 2);
	if (!p->wait)
		return 0;
	int master = -1;
	if (tty[0] >= 0) {
		master = recv_fd(tty[0]);
		close(tty[0]);
	}
	return relay_and_wait(pid, master, &mask);
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *s = getenv("_BERTH_SYNC_FD");
	char *end = NULL;
	long fd = s ? strtol(s, &end, 10) : -1;
	if (s == NULL || *s == 0 || *end != 0 || fd < 3 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
		dprintf(2, "berth-init: _BERTH_SYNC_FD must name an open fd; berth-init is started by berth\n");
		return 1;
	}
	int sync = (int)fd;
	set_sink(SINK_SYNC, sync);
	ensure_sealed(argv);
	unsetenv("_BERTH_SYNC_FD");
	set_cloexec(sync, 1);
	signal(SIGPIPE, SIG_IGN); /* reset before any execve */

	uint32_t len;
	unsigned char *buf = sync_expect(sync, MSG_PLAN, &len);
	struct plan p;
	plan_parse(&p, buf, len);
	/* The first mark: TS aligns this instant with its sending of the plan (its clock's origin may differ). */
	trace_span(&p, sync, "plan received", trace_now(&p));
	if (p.console_socket_fd >= 0)
		set_cloexec(p.console_socket_fd, 1);
	if (p.pidfd_socket_fd >= 0)
		set_cloexec(p.pidfd_socket_fd, 1);
	if (p.seccomp_agent_fd >= 0)
		set_cloexec(p.seccomp_agent_fd, 1);
	return stage1(&p, sync);
}
