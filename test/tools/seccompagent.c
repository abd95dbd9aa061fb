/*
 * seccompagent: a seccomp agent for tests (runtime-spec linux.seccomp.listenerPath).
 *
 * It listens on a unix stream socket and accepts any number of connections. From
 * each it reads the container process state (JSON) until the runtime closes the
 * connection, with the seccomp listener fd in SCM_RIGHTS, and prints one line:
 *
 *   state FDS LISTENER JSON
 *
 * FDS is how many fds came with the message, LISTENER is "listener" when the
 * (first) fd is a seccomp listener, "other" when not. It then answers every
 * notification on every listener it holds, printing "notif PID NR" first:
 * mkdir and mkdirat are answered with the errno of -e (default EPERM; -e 0
 * reports success without creating anything), everything else is let through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 *
 * Options:
 *   -e ERRNO  the answer for mkdir and mkdirat (0: success, nothing made)
 *   -n        accept connections but never read them (an agent that hangs)
 *   -r FILE   create FILE once the socket is listening (readiness signal)
 *   -t SECS   exit with status 3 after SECS seconds (default 120)
 *
 * Exit status: 0 never (it runs until killed or timed out), 1 system error,
 * 2 protocol violation, 3 timeout. Diagnostics go to stderr.
 *
 * Build: gcc -O2 -Wall -Wextra -o seccompagent seccompagent.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXFDS 64
#define STATE_MAX (64 * 1024)

static const char *sock_path;

static void cleanup_socket(void)
{
	if (sock_path != NULL)
		unlink(sock_path);
}

static __attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("seccompagent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup_socket();
	exit(status);
}

static void on_alarm(int sig)
{
	(void)sig;
	cleanup_socket();
	_exit(3);
}

static int is_listener(int fd)
{
	__u64 id = 0;
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

/* Read the whole state from a connection; returns the listener fd (-1 if none came). */
static int read_state(int conn)
{
	static char buf[STATE_MAX + 1];
	size_t len = 0;
	int fds[8], nfds = 0;
	for (;;) {
		union {
			char b[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { .iov_base = buf + len, .iov_len = STATE_MAX - len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b) };
		if (len >= STATE_MAX)
			die(2, "state larger than %d bytes", STATE_MAX);
		ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(1, "recvmsg: %s", strerror(errno));
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			if (len > 0)
				die(2, "fds after the first part of the message");
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k && nfds < 8; i++)
				memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (len == 0 && nfds == 0)
		return -1; /* a runtime that failed before sending: nothing to do */
	if (memchr(buf, '\n', len) != NULL)
		die(2, "state has a newline");
	printf("state %d %s %s\n", nfds, nfds > 0 && is_listener(fds[0]) ? "listener" : "other", buf);
	fflush(stdout);
	for (int i = 1; i < nfds; i++)
		close(fds[i]);
	return nfds > 0 ? fds[0] : -1;
}

static void answer(int fd, int err, const struct seccomp_notif_sizes *sz)
{
	struct seccomp_notif *req = calloc(1, sz->seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sz->seccomp_notif_resp);
	if (req == NULL || resp == NULL)
		die(1, "calloc");
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		/* the process went away meanwhile */
		if (errno != ENOENT && errno != EINTR)
			die(1, "SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
		goto out;
	}
	printf("notif %u %d\n", req->pid, req->data.nr);
	fflush(stdout);
	resp->id = req->id;
	if (req->data.nr == SYS_mkdir || req->data.nr == SYS_mkdirat) {
		resp->error = err == 0 ? 0 : -err;
		resp->val = 0;
	} else {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
		die(1, "SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));
out:
	free(req);
	free(resp);
}

int main(int argc, char **argv)
{
	int err = EPERM, never_read = 0, secs = 120, opt;
	const char *ready = NULL;
	while ((opt = getopt(argc, argv, "e:nr:t:")) != -1) {
		switch (opt) {
		case 'e': err = atoi(optarg); break;
		case 'n': never_read = 1; break;
		case 'r': ready = optarg; break;
		case 't': secs = atoi(optarg); break;
		default: die(1, "usage: seccompagent [-e ERRNO] [-n] [-r FILE] [-t SECS] SOCKET");
		}
	}
	if (optind != argc - 1)
		die(1, "usage: seccompagent [-e ERRNO] [-n] [-r FILE] [-t SECS] SOCKET");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (secs > 0)
		alarm((unsigned)secs);

	struct seccomp_notif_sizes sz;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		die(1, "SECCOMP_GET_NOTIF_SIZES: %s", strerror(errno));

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[optind]) >= sizeof(addr.sun_path))
		die(1, "socket path too long");
	strcpy(addr.sun_path, argv[optind]);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die(1, "socket: %s", strerror(errno));
	unlink(addr.sun_path);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die(1, "bind %s: %s", addr.sun_path, strerror(errno));
	sock_path = argv[optind];
	if (listen(lfd, 16) < 0)
		die(1, "listen: %s", strerror(errno));
	if (ready != NULL) {
		int r = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (r < 0)
			die(1, "create %s: %s", ready, strerror(errno));
		close(r);
	}

	struct pollfd pfd[MAXFDS];
	int n = 0;
	pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll: %s", strerror(errno));
		}
		for (int i = n - 1; i >= 0; i--) {
			if (pfd[i].revents == 0)
				continue;
			if (i == 0) {
				int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				if (conn < 0)
					die(1, "accept: %s", strerror(errno));
				if (never_read)
					continue; /* kept open, never read */
				int l = read_state(conn);
				close(conn);
				if (l >= 0 && n < MAXFDS)
					pfd[n++] = (struct pollfd){ .fd = l, .events = POLLIN };
				continue;
			}
			if (pfd[i].revents & POLLIN) {
				answer(pfd[i].fd, err, &sz);
			} else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				/* every process of that filter is gone */
				close(pfd[i].fd);
				pfd[i] = pfd[--n];
			}
		}
	}
}
