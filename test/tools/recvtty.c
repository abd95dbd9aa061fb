/*
 * recvtty: the receiving end of a runtime's --console-socket, for tests.
 *
 * It listens on a unix stream socket, accepts exactly one connection and
 * receives exactly one file descriptor (SCM_RIGHTS) whose message payload is
 * the pty name. Anything else on that connection is a protocol violation
 * (exit status 2). Then, depending on the mode:
 *
 *   relay    print the pty name as the first line of stdout, then copy
 *            everything read from the pty master to stdout until EOF/EIO
 *   discard  print the pty name, read and drop pty output until EOF/EIO
 *   close    print the pty name, close the master at once and exit 0
 *   winsize  print the pty name, then "rows cols" of the pty, then relay
 *   pidfd    (for --pidfd-socket) the fd is a pidfd, not a pty: print the
 *            payload, then "pid N" (the Pid: line of its fdinfo), "link L"
 *            (what /proc/self/fd/N points to) and "signal0 RESULT" (ok, or
 *            the errno name of pidfd_send_signal with signal 0), and exit
 *
 * Options:
 *   -m MODE   one of the modes above (default relay)
 *   -n FILE   also write the pty name to FILE
 *   -r FILE   create FILE once the socket is listening (readiness signal)
 *   -i TEXT   write TEXT to the pty master after receiving it ("\n" escapes
 *             are understood), e.g. input for a shell in the container
 *   -t SECS   give up (exit 3) if nothing was received within SECS
 *             (default 30; 0 = wait forever)
 *
 * Exit status: 0 ok, 1 usage or system error, 2 protocol violation,
 * 3 timeout. Diagnostics go to stderr, prefixed "recvtty: ".
 *
 * Build: gcc -O2 -Wall -Wextra -o recvtty recvtty.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_SYS 1
#define EXIT_PROTO 2
#define EXIT_TIMEOUT 3

static const char *sock_path;

static void cleanup_socket(void)
{
	if (sock_path != NULL)
		unlink(sock_path);
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("recvtty: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup_socket();
	exit(status);
}

static void on_alarm(int sig)
{
	static const char msg[] = "recvtty: timed out waiting for the console fd\n";
	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	if (sock_path != NULL)
		unlink(sock_path);
	_exit(EXIT_TIMEOUT);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_SYS, "write: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(EXIT_SYS, "open %s: %s", path, strerror(errno));
	write_all(fd, text, strlen(text));
	close(fd);
}

/* Expand \n, \r, \t, \\ and \xHH in place. */
static size_t unescape(char *s)
{
	char *out = s;
	for (char *p = s; *p != '\0'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*out++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'x': {
			char hex[3] = { 0, 0, 0 };
			if (p[1] != '\0') { hex[0] = p[1]; p++; }
			if (p[1] != '\0') { hex[1] = p[1]; p++; }
			*out++ = (char)strtol(hex, NULL, 16);
			break;
		}
		default: *out++ = *p; break;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/*
 * Receive the one message on `conn` and return the fd in it; the payload is
 * copied into name (NUL-terminated). Any deviation from "one message, one
 * SCM_RIGHTS control message carrying exactly one fd, a non-empty payload" is
 * a protocol violation.
 */
static int receive_fd(int conn, char *name, size_t name_size, int want_tty)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = name, .iov_len = name_size - 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof ctl.buf,
	};
	ssize_t n;

	memset(ctl.buf, 0, sizeof ctl.buf);
	do
		n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die(EXIT_SYS, "recvmsg: %s", strerror(errno));
	if (n == 0)
		die(EXIT_PROTO, "peer closed the connection without sending anything");
	name[n] = '\0';
	if (msg.msg_flags & MSG_CTRUNC)
		die(EXIT_PROTO, "control data truncated (more than one fd or oversized cmsg)");
	if (msg.msg_flags & MSG_TRUNC)
		die(EXIT_PROTO, "payload longer than %zu bytes", name_size - 1);

	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL)
		die(EXIT_PROTO, "message carries no control data (payload \"%s\")", name);
	if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
		die(EXIT_PROTO, "control message is level %d type %d, expected SOL_SOCKET/SCM_RIGHTS",
		    cmsg->cmsg_level, cmsg->cmsg_type);
	if (cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
		size_t nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(cmsg);
		for (size_t i = 0; i < nfds && i < 4; i++)
			close(fds[i]);
		die(EXIT_PROTO, "cmsg_len is %zu, expected %zu (exactly one fd); got %zu fds",
		    (size_t)cmsg->cmsg_len, (size_t)CMSG_LEN(sizeof(int)), nfds);
	}
	if (CMSG_NXTHDR(&msg, cmsg) != NULL)
		die(EXIT_PROTO, "more than one control message");

	int fd;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
	if (strlen(name) != (size_t)n)
		die(EXIT_PROTO, "payload contains a NUL byte before its end");
	if (n == 0 || name[0] == '\0')
		die(EXIT_PROTO, "empty payload: the pty name is missing");
	if (want_tty && !isatty(fd))
		die(EXIT_PROTO, "received fd is not a terminal (payload \"%s\")", name);
	return fd;
}

/* Copy master output to stdout (or drop it) until EOF or EIO. */
static void pump(int master, int to_stdout)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EIO)  /* every slave fd closed */
				return;
			die(EXIT_SYS, "read pty: %s", strerror(errno));
		}
		if (n == 0)
			return;
		if (to_stdout)
			write_all(1, buf, (size_t)n);
	}
}

/* pidfd mode: what the received fd is. */
static void describe_pidfd(int fd)
{
	char path[64], line[512], link[256];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		die(EXIT_SYS, "open %s: %s", path, strerror(errno));
	long pid = -2;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Pid:", 4) == 0)
			pid = strtol(line + 4, NULL, 10);
	fclose(f);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	if (n < 0)
		die(EXIT_SYS, "readlink %s: %s", path, strerror(errno));
	link[n] = '\0';
	errno = 0;
	long r = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0);
	snprintf(line, sizeof line, "pid %ld\nlink %s\nsignal0 %s\n", pid, link,
		 r == 0 ? "ok" : strerrorname_np(errno) != NULL ? strerrorname_np(errno) : "?");
	write_all(1, line, strlen(line));
}

static void usage(void)
{
	fputs("usage: recvtty [-m relay|discard|close|winsize|pidfd] [-n NAMEFILE] [-r READYFILE] "
	      "[-i INPUT] [-t SECS] SOCKET\n", stderr);
	exit(EXIT_SYS);
}

int main(int argc, char **argv)
{
	const char *mode = "relay", *name_file = NULL, *ready_file = NULL;
	char *input = NULL;
	unsigned timeout = 30;
	int opt;

	while ((opt = getopt(argc, argv, "m:n:r:i:t:h")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'n': name_file = optarg; break;
		case 'r': ready_file = optarg; break;
		case 'i': input = optarg; break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (strcmp(mode, "relay") != 0 && strcmp(mode, "discard") != 0 &&
	    strcmp(mode, "close") != 0 && strcmp(mode, "winsize") != 0 &&
	    strcmp(mode, "pidfd") != 0)
		usage();

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[optind]) >= sizeof addr.sun_path)
		die(EXIT_SYS, "socket path too long: %s", argv[optind]);
	strcpy(addr.sun_path, argv[optind]);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (timeout > 0)
		alarm(timeout);

	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die(EXIT_SYS, "socket: %s", strerror(errno));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0)
		die(EXIT_SYS, "bind %s: %s", addr.sun_path, strerror(errno));
	sock_path = addr.sun_path;
	if (listen(lfd, 1) < 0)
		die(EXIT_SYS, "listen: %s", strerror(errno));
	if (ready_file != NULL)
		write_file(ready_file, "ready\n");

	int conn;
	do
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		die(EXIT_SYS, "accept: %s", strerror(errno));
	close(lfd);
	cleanup_socket();
	sock_path = NULL;

	char name[4096];
	int master = receive_fd(conn, name, sizeof name, strcmp(mode, "pidfd") != 0);
	alarm(0);

	/* The protocol is one message and no reply: anything more is a violation. */
	struct pollfd pfd = { .fd = conn, .events = POLLIN };
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)) {
		char extra;
		ssize_t n = recv(conn, &extra, 1, MSG_DONTWAIT);
		if (n > 0)
			die(EXIT_PROTO, "unexpected extra data after the console fd");
	}
	close(conn);

	char line[4200];
	snprintf(line, sizeof line, "%s\n", name);
	write_all(1, line, strlen(line));
	if (name_file != NULL)
		write_file(name_file, name);

	if (strcmp(mode, "pidfd") == 0)
		describe_pidfd(master);
	if (strcmp(mode, "close") == 0 || strcmp(mode, "pidfd") == 0) {
		close(master);
		return 0;
	}
	if (strcmp(mode, "winsize") == 0) {
		struct winsize ws;
		if (ioctl(master, TIOCGWINSZ, &ws) < 0)
			die(EXIT_SYS, "TIOCGWINSZ: %s", strerror(errno));
		snprintf(line, sizeof line, "%u %u\n", ws.ws_row, ws.ws_col);
		write_all(1, line, strlen(line));
	}
	if (input != NULL) {
		size_t len = unescape(input);
		write_all(master, input, len);
	}
	pump(master, strcmp(mode, "discard") != 0);
	close(master);
	return 0;
}
