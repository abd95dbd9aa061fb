/* SCMP_ACT_NOTIFY: load a filter that makes a listener fd and hand that fd to the
 * seccomp agent, on the socket berth connected (SECCOMP_AGENT_FD), with the bytes berth
 * sent in MSG_SECCOMP_STATE as the message.
 *
 * Once the filter is loaded, any syscall of this process may be one the profile sends to
 * the agent, and the agent cannot answer before it has the listener: a notified syscall
 * between the load and the hand-off would wait forever. So this process makes no syscall
 * in between, not even a write to say that the filter is in. Before loading, it starts a
 * helper process that shares its fd table (CLONE_FILES) but not its filter (a filter only
 * binds the task that loads it and its later children). The listener is the lowest free fd
 * when the filter is loaded, a number known in advance: the helper waits for that fd to
 * turn into a seccomp listener, sends it to the agent and exits, and only then does this
 * process make its next syscall (waitpid for the helper). Every syscall after that may be
 * notified: the agent has the listener and can answer.
 *
 * If the hand-off fails, the helper closes the listener before it reports the error, so a
 * notified syscall of this process fails with ENOSYS instead of waiting for an agent that
 * will never answer. Every wait here is bounded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

/* How long the helper waits for the listener to appear and for room in the agent's socket. */
#define HANDOFF_TIMEOUT_MS 10000

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return HANDOFF_TIMEOUT_MS; /* cannot tell: treat as expired */
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Whether fd is a seccomp listener: it knows the notification ioctls, and has no notification 0. */
static int is_listener(int fd)
{
	__u64 id = 0;
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

/* Send data with fd in SCM_RIGHTS (with the first part, as runtime-spec asks), waiting for
 * room in the socket no longer than the hand-off timeout. 0, or -1 with errno. */
static int send_listener(int sock, const unsigned char *data, size_t len, int fd, const struct timespec *start)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t done = 0;
	int fd_sent = 0;
	while (!fd_sent || done < len) {
		struct iovec iov = { .iov_base = (void *)(data + done), .iov_len = len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (!fd_sent) {
			memset(u.buf, 0, sizeof(u.buf));
			mh.msg_control = u.buf;
			mh.msg_controllen = sizeof(u.buf);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			fd_sent = 1;
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		long left = HANDOFF_TIMEOUT_MS - elapsed_ms(start);
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pf = { .fd = sock, .events = POLLOUT };
		if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* The helper: shares the fd table of the process loading the filter, but not the filter. */
static __attribute__((noreturn)) void helper(int listener, int agent, const unsigned char *msg, size_t len)
{
	struct timespec start;
	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		die(errno, "seccomp agent: clock_gettime");
	while (!is_listener(listener)) {
		if (elapsed_ms(&start) >= HANDOFF_TIMEOUT_MS)
			die(ETIMEDOUT, "seccomp agent: fd %d did not become the seccomp listener", listener);
		struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 };
		nanosleep(&pause, NULL);
	}
	if (send_listener(agent, msg, len, listener, &start) < 0) {
		int err = errno;
		close(listener); /* the other process's notified syscalls now fail instead of hanging */
		die(err, "seccomp agent: send the listener fd");
	}
	/* The one connection per state: this closes berth-init's last copy of it. */
	close(agent);
	_exit(0);
}

void load_seccomp_listener(const struct plan *p, const struct sock_fprog *prog, int sync)
{
	if (sync < 0)
		die(EINVAL, "seccomp agent: no sync socket to ask for the process state");
	if (sync_send(sync, MSG_SECCOMP, NULL, 0) < 0)
		die(errno, "send MSG_SECCOMP");
	uint32_t len;
	unsigned char *msg = sync_expect(sync, MSG_SECCOMP_STATE, &len);
	if (len == 0)
		die(EINVAL, "seccomp agent: empty MSG_SECCOMP_STATE");

	/* The listener will be the lowest free fd: find it, and leave it free. Nothing below
	 * allocates or frees an fd in this table until the filter is loaded. */
	int next = fcntl(p->seccomp_agent_fd, F_DUPFD_CLOEXEC, 0);
	if (next < 0)
		die(errno, "seccomp agent: find the listener's fd number");
	if (close(next) < 0)
		die(errno, "seccomp agent: close fd %d", next);

	pid_t h = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, NULL);
	if (h < 0)
		die(errno, "seccomp agent: start the helper that hands on the listener");
	if (h == 0)
		helper(next, p->seccomp_agent_fd, msg, len);

	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, prog);
	if (fd < 0) {
		int err = errno;
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
		die(err, "load the seccomp filter");
	}
	/* No syscall from here until the helper is done: see the top of this file. */
	int status = 0;
	pid_t r;
	do
		r = waitpid(h, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r != h || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		_exit(1); /* the helper has reported why (or the listener is gone and it cannot be asked) */
	/* The agent has its copy; ours must not reach the container. */
	if (close((int)fd) < 0)
		die(errno, "close the seccomp listener");
	free(msg);
}
