/* Error reporting and small I/O helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

static enum sink_kind sink = SINK_STDERR;
static int sinkfd = 2;

void set_sink(enum sink_kind kind, int fd)
{
	sink = kind;
	sinkfd = fd;
}

int sink_fd(void)
{
	return sink == SINK_STDERR ? -1 : sinkfd;
}

static int with_strerror = 1;

static void report(uint32_t type, int err, const char *fmt, va_list ap)
{
	char text[4096];
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	if (err != 0 && with_strerror) {
		/* Go's (runc's) wording: libc's text with a lower-case first letter, which
		 * callers match case-sensitively ("no such file or directory"). */
		int at = n + 2;
		n += snprintf(text + n, sizeof(text) - n, ": %s", strerror(err));
		if (at < (int)sizeof(text) && text[at] >= 'A' && text[at] <= 'Z')
			text[at] = (char)(text[at] - 'A' + 'a');
	}
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;

	if (sink == SINK_STDERR) {
		dprintf(2, "berth-init: %s\n", text);
		return;
	}
	if (type == MSG_ERROR) {
		unsigned char buf[4 + sizeof(text)];
		uint32_t e = (uint32_t)err;
		buf[0] = e & 0xff;
		buf[1] = (e >> 8) & 0xff;
		buf[2] = (e >> 16) & 0xff;
		buf[3] = (e >> 24) & 0xff;
		memcpy(buf + 4, text, (size_t)n);
		if (sync_send(sinkfd, MSG_ERROR, buf, 4 + (size_t)n) < 0)
			dprintf(2, "berth-init: %s\n", text);
	} else if (sync_send(sinkfd, type, text, (size_t)n) < 0) {
		dprintf(2, "berth-init: %s\n", text);
	}
}

void die(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(MSG_ERROR, err, fmt, ap);
	va_end(ap);
	_exit(1);
}

void die_status(int status, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(MSG_ERROR, err, fmt, ap);
	va_end(ap);
	_exit(status);
}

void die_errno_only(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	with_strerror = 0;
	report(MSG_ERROR, err, fmt, ap);
	va_end(ap);
	_exit(1);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* A warning in the exec child would corrupt the error pipe protocol: use stderr there. */
	if (sink == SINK_PIPE) {
		enum sink_kind saved = sink;
		sink = SINK_STDERR;
		report(MSG_WARN, 0, fmt, ap);
		sink = saved;
	} else {
		report(MSG_WARN, 0, fmt, ap);
	}
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die(ENOMEM, "malloc %zu bytes", n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		die(ENOMEM, "realloc %zu bytes", n);
	return q;
}

void *grow(void **arr, size_t *n, size_t elsize)
{
	*arr = xrealloc(*arr, (*n + 1) * elsize);
	char *el = (char *)*arr + *n * elsize;
	memset(el, 0, elsize);
	(*n)++;
	return el;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		die(errno, "fcntl F_GETFD on fd %d", fd);
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	if (fcntl(fd, F_SETFD, fl) < 0)
		die(errno, "fcntl F_SETFD on fd %d", fd);
}

int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	/* Files under /proc want the whole value in one write. */
	ssize_t n;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

void wait_go(int fd)
{
	char c;
	ssize_t n = read_full(fd, &c, 1);
	if (n != 1)
		_exit(1); /* stage 1 failed and has reported it */
	close(fd);
}

void send_go(int fd)
{
	if (write_all(fd, "g", 1) < 0)
		die(errno, "start container process");
	close(fd);
}
