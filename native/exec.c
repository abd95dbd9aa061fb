/* The final step: find the executable, fix the environment and fd table, execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define FALLBACK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *lookup_env(const struct strv *env, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			found = env->v[i] + n + 1; /* the last one wins, as in execve's getenv */
	return found;
}

static int executable(const char *path, int *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*err = errno;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = EACCES;
		return 0;
	}
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
		*err = errno;
		return 0;
	}
	return 1;
}

const char *resolve_exec(const struct plan *p, int check)
{
	const char *arg0 = p->args.v[0];
	int err = 0;
	if (strchr(arg0, '/') != NULL) {
		if (check && !executable(arg0, &err)) {
			if (err == ENOENT)
				die(err, "exec: \"%s\": stat %s", arg0, arg0);
			die(err, "exec: \"%s\"", arg0);
		}
		return arg0;
	}
	const char *path = lookup_env(&p->env, "PATH");
	if (path == NULL)
		path = p->default_path != NULL ? p->default_path : FALLBACK_PATH;
	const char *s = path;
	for (;;) {
		const char *e = strchrnul(s, ':');
		size_t dlen = (size_t)(e - s);
		char cand[PATH_MAX];
		int n = dlen == 0 ? snprintf(cand, sizeof(cand), "./%s", arg0)
				  : snprintf(cand, sizeof(cand), "%.*s/%s", (int)dlen, s, arg0);
		if (n > 0 && (size_t)n < sizeof(cand) && executable(cand, &err)) {
			char *r = strdup(cand);
			if (r == NULL)
				die(ENOMEM, "strdup");
			return r;
		}
		if (*e == 0)
			break;
		s = e + 1;
	}
	if (check)
		die_errno_only(ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
	return arg0;
}

void reset_signals(void)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void exec_process(const struct plan *p, const char *path)
{
	/* environment, with LISTEN_PID naming us when fds are passed with LISTEN_FDS */
	const char **envp = xmalloc((p->env.n + 2) * sizeof(char *));
	size_t n = 0;
	char listen_pid[32];
	for (size_t i = 0; i < p->env.n; i++)
		if (!(p->listen_fds > 0 && strncmp(p->env.v[i], "LISTEN_PID=", 11) == 0))
			envp[n++] = p->env.v[i];
	if (p->listen_fds > 0) {
		snprintf(listen_pid, sizeof(listen_pid), "LISTEN_PID=%d", (int)getpid());
		envp[n++] = listen_pid;
	}
	envp[n] = NULL;

	/* fds: 0-2 and the preserved ones survive, everything else goes at execve */
	for (unsigned fd = 3; fd < 3 + p->preserve_fds; fd++) {
		int fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die(errno, "close_range from fd %u", 3 + p->preserve_fds);
	reset_signals();
	execve(path, (char *const *)p->args.v, (char *const *)envp);
	int err = errno;
	if (sink_fd() >= 0) /* exec mode: stage 1 reports it */
		die_status(127, err, "exec: \"%s\"", p->args.v[0]);
	dprintf(2, "exec failed: %s: %s\n", path, strerror(err));
	_exit(127);
}
