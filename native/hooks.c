/* createContainer / startContainer hooks: fork+exec with the state JSON on stdin,
 * output collected for the error message, optional timeout (SIGKILL). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_one(const char *kind, size_t idx, const struct hook *h, const char *state, size_t statelen)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die(errno, "%s hook #%zu \"%s\": pipe", kind, idx, h->path);
	pid_t pid = fork();
	if (pid < 0)
		die(errno, "%s hook #%zu \"%s\": fork", kind, idx, h->path);
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
		reset_signals();
		execve(h->path, (char *const *)h->args.v, (char *const *)h->env.v);
		dprintf(2, "exec \"%s\": %s", h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die(errno, "%s hook #%zu \"%s\": pidfd_open", kind, idx, h->path);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);

	char output[1024];
	size_t outlen = 0, sent = 0;
	int infd = in[1], outfd = out[0], exited = 0, timed_out = 0;
	if (statelen == 0) {
		close(infd);
		infd = -1;
	}
	long long deadline = h->timeout ? now_ms() + (long long)h->timeout * 1000 : -1;
	while (!exited || outfd >= 0) {
		struct pollfd pf[3] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = infd, .events = POLLOUT },
			{ .fd = outfd, .events = POLLIN },
		};
		if (exited)
			pf[0].fd = -1;
		int tmo = -1;
		if (exited)
			tmo = 0; /* the hook is gone: drain what is buffered, do not wait for its children */
		else if (deadline >= 0)
			tmo = (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0);
		int n = poll(pf, 3, tmo);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(errno, "%s hook #%zu \"%s\": poll", kind, idx, h->path);
		}
		if (n == 0) {
			if (exited)
				break;
			kill(pid, SIGKILL);
			timed_out = 1;
			deadline = -1;
			continue;
		}
		if (pf[1].revents) {
			ssize_t w = write(infd, state + sent, statelen - sent);
			if (w > 0)
				sent += (size_t)w;
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				sent = statelen; /* EPIPE: the hook does not read stdin */
			if (sent >= statelen) {
				close(infd);
				infd = -1;
			}
		}
		if (pf[2].revents) {
			char tmp[512];
			ssize_t r = read(outfd, tmp, sizeof(tmp));
			if (r > 0) {
				size_t k = (size_t)r;
				if (k > sizeof(output) - 1 - outlen)
					k = sizeof(output) - 1 - outlen;
				memcpy(output + outlen, tmp, k);
				outlen += k;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(outfd);
				outfd = -1;
			}
		}
		if (pf[0].revents)
			exited = 1;
	}
	if (infd >= 0)
		close(infd);
	if (outfd >= 0)
		close(outfd);
	close(pidfd);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(errno, "%s hook #%zu \"%s\": wait", kind, idx, h->path);
	output[outlen] = 0;
	while (outlen > 0 && (output[outlen - 1] == '\n' || output[outlen - 1] == '\r'))
		output[--outlen] = 0;
	if (timed_out)
		die_errno_only(ETIMEDOUT, "%s hook #%zu \"%s\" timed out after %us (output: \"%s\")", kind, idx,
			       h->path, h->timeout, output);
	if (WIFSIGNALED(status))
		die(0, "%s hook #%zu \"%s\" killed by signal %d (output: \"%s\")", kind, idx, h->path, WTERMSIG(status),
		    output);
	if (WEXITSTATUS(status) != 0)
		die(0, "%s hook #%zu \"%s\": exit status %d (output: \"%s\")", kind, idx, h->path, WEXITSTATUS(status),
		    output);
}

void run_hooks(const char *kind, const struct hook *h, size_t n, const char *state, size_t statelen)
{
	for (size_t i = 0; i < n; i++)
		run_one(kind, i, &h[i], state, statelen);
}
