/* Terminal: pty allocation inside the container, /dev/console, handing the master
 * to the console socket (or to stage 1), and stage 1's relay/wait loop. Also the
 * other hand-off to the caller: a pidfd of the container process on the pidfd socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

void setup_console(const struct plan *p, int ttysock)
{
	if (!p->terminal)
		return;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die(errno, "open \"/dev/ptmx\"");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die(errno, "unlockpt \"/dev/ptmx\"");
	unsigned int ptn;
	if (ioctl(master, TIOCGPTN, &ptn) < 0)
		die(errno, "get the pty number from \"/dev/ptmx\"");
	char name[64];
	snprintf(name, sizeof(name), "/dev/pts/%u", ptn);
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die(errno, "open the pty slave \"%s\"", name);
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			die(errno, "set the size of \"%s\"", name);
	}
	if (p->mode == MODE_INIT) {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			die(errno, "open \"/\"");
		/* Never follow a /dev/console link: the pty would be bound over its target. */
		int fd = open_in_root(root, "/dev/console", P_MKFILE);
		if (fd >= 0)
			close(fd);
		fd = open_in_root_nosymlinks(root, "/dev/console");
		if (fd < 0 && errno == ELOOP)
			die(ELOOP, "\"/dev/console\" in the container is a symlink; refusing to follow it");
		if (fd < 0)
			die(errno, "create \"/dev/console\"");
		struct stat cst;
		if (fstat(fd, &cst) < 0 || !(S_ISREG(cst.st_mode) || S_ISCHR(cst.st_mode)))
			die(EPERM, "\"/dev/console\" in the container is not a file or a character device");
		if (bind_onto(slave, "", fd, 0, 0) < 0)
			die(errno, "bind mount \"%s\" on \"/dev/console\"", name);
		close(fd);
		close(root);
	}
	if (p->console_socket_fd >= 0) {
		if (send_fd(p->console_socket_fd, name, strlen(name), master) < 0)
			die(errno, "send the pty master to the console socket");
		close(p->console_socket_fd);
	} else if (ttysock >= 0) {
		/* berth-init relays it to its own stdout, which is rarely a terminal: plain "\n"
		 * line ends, as runc's relay gives (it clears ONLCR too). */
		struct termios t;
		if (tcgetattr(slave, &t) < 0)
			die(errno, "tcgetattr \"%s\"", name);
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(slave, TCSANOW, &t) < 0)
			die(errno, "clear ONLCR on \"%s\"", name);
		if (send_fd(ttysock, name, strlen(name), master) < 0)
			die(errno, "send the pty master to berth-init");
	}
	if (ttysock >= 0)
		close(ttysock);
	close(master);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			die(errno, "dup2 the pty slave to fd %d", i);
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		die(errno, "make \"%s\" the controlling terminal", name);
	if (slave > 2)
		close(slave);
}

void send_pidfd(const struct plan *p)
{
	if (p->pidfd_socket_fd < 0)
		return;
	/* Our own pid, in our own pid namespace: the pidfd refers to this process, which
	 * becomes the user's program at execve. */
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		die(errno, "pidfd_open of the container process");
	const char *name = p->mode == MODE_INIT ? "standard" : "setns";
	if (send_fd(p->pidfd_socket_fd, name, strlen(name), pidfd) < 0)
		die(errno, "send the pidfd to the pidfd socket");
	close(pidfd);
	close(p->pidfd_socket_fd);
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static void drain(int master)
{
	char buf[4096];
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n <= 0 || write_all(1, buf, (size_t)n) < 0)
			return;
	}
}

int relay_and_wait(pid_t child, int master, const sigset_t *mask)
{
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0)
		die(errno, "signalfd");
	struct termios saved;
	int raw = 0, in_open = 0;
	if (master >= 0) {
		if (isatty(0) && tcgetattr(0, &saved) == 0) {
			struct termios t = saved;
			cfmakeraw(&t);
			if (tcsetattr(0, TCSANOW, &t) == 0)
				raw = 1;
		}
		copy_winsize(master);
		in_open = 1;
	}
	int status = 0, done = 0;
	while (!done) {
		struct pollfd pf[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					pid_t r = waitpid(child, &status, WNOHANG);
					if (r == child)
						done = 1;
				} else if (si.ssi_signo == SIGWINCH) {
					if (master >= 0)
						copy_winsize(master);
				} else {
					kill(child, (int)si.ssi_signo);
				}
			}
		}
		if (master >= 0 && pf[1].revents) {
			char buf[4096];
			ssize_t n = read(master, buf, sizeof(buf));
			if (n > 0) {
				write_all(1, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				/* EIO: every slave fd is closed */
				close(master);
				master = -1;
				in_open = 0;
			}
		}
		if (in_open && pf[2].revents) {
			char buf[4096];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0)
				write_all(master, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				in_open = 0;
		}
	}
	if (master >= 0)
		drain(master);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
