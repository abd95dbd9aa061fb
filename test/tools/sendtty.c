/*
 * sendtty: the sending end of a console socket, to test recvtty itself.
 *
 *   sendtty [-k KIND] SOCKET [TEXT]
 *
 * Opens a new pty, connects to SOCKET and sends the master the way a runtime
 * does (SCM_RIGHTS, one fd, the slave's name as payload), then writes TEXT to
 * the slave and closes it. KIND makes the message deliberately wrong:
 *
 *   good     as described (default)
 *   nofd     payload only, no control message
 *   twofds   two fds in one SCM_RIGHTS message
 *   noname   the fd with a one-byte NUL payload
 *   notty    a pipe instead of the pty master
 *
 * Build: gcc -O2 -Wall -Wextra -o sendtty sendtty.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sendtty: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	const char *kind = "good";
	int opt;
	while ((opt = getopt(argc, argv, "k:")) != -1) {
		if (opt == 'k')
			kind = optarg;
		else
			return 1;
	}
	if (optind >= argc) {
		fputs("usage: sendtty [-k good|nofd|twofds|noname|notty] SOCKET [TEXT]\n", stderr);
		return 1;
	}
	const char *text = optind + 1 < argc ? argv[optind + 1] : NULL;

	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die("posix_openpt");
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		die("grantpt/unlockpt");
	char *slave_name = ptsname(master);
	if (slave_name == NULL)
		die("ptsname");
	int slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die("open slave");

	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strncpy(addr.sun_path, argv[optind], sizeof addr.sun_path - 1);
	if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0)
		die("connect");

	int fds[2] = { master, master };
	if (strcmp(kind, "notty") == 0) {
		int p[2];
		if (pipe(p) < 0)
			die("pipe");
		fds[0] = p[0];
	}
	int nfds = strcmp(kind, "twofds") == 0 ? 2 : 1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 2)];
		struct cmsghdr align;
	} ctl;
	memset(ctl.buf, 0, sizeof ctl.buf);
	char nul = '\0';
	struct iovec iov = { .iov_base = slave_name, .iov_len = strlen(slave_name) };
	if (strcmp(kind, "noname") == 0) {
		iov.iov_base = &nul;
		iov.iov_len = 1;
	}
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (strcmp(kind, "nofd") != 0) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(sock, &msg, 0) < 0)
		die("sendmsg");
	close(sock);
	close(master);

	if (text != NULL) {
		size_t len = strlen(text);
		if (write(slave, text, len) != (ssize_t)len)
			die("write slave");
	}
	/* Give the reader a moment to drain before the last slave fd goes away. */
	usleep(100 * 1000);
	close(slave);
	return 0;
}
