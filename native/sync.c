/* Framed send/receive on the sync socket and SCM_RIGHTS fd passing. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "protocol.h"
#include "sync.h"

static void put_u32(unsigned char *b, uint32_t v)
{
	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
}

uint64_t trace_now(const struct plan *p)
{
	struct timespec ts;
	if (!p->trace)
		return 0;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die(errno, "clock_gettime CLOCK_MONOTONIC (--trace)");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void trace_span(const struct plan *p, int sync, const char *name, uint64_t start)
{
	if (!p->trace || sync < 0)
		return;
	uint64_t end = trace_now(p);
	unsigned char buf[16 + TRACE_NAME_MAX];
	size_t n = strlen(name);
	if (n > sizeof(buf) - 16)
		n = sizeof(buf) - 16;
	put_u32(buf, (uint32_t)start);
	put_u32(buf + 4, (uint32_t)(start >> 32));
	put_u32(buf + 8, (uint32_t)end);
	put_u32(buf + 12, (uint32_t)(end >> 32));
	memcpy(buf + 16, name, n);
	if (sync_send(sync, MSG_MARK, buf, 16 + n) < 0)
		die(errno, "send MSG_MARK \"%s\" (--trace)", name);
}

static uint32_t get_u32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int is_socket(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int sync_send(int fd, uint32_t type, const void *payload, size_t len)
{
	unsigned char hdr[8];
	struct iovec iov[2];
	size_t total = sizeof(hdr) + len, done = 0;
	int sock = is_socket(fd);

	if (len > SYNC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	put_u32(hdr, type);
	put_u32(hdr + 4, (uint32_t)len);
	while (done < total) {
		int cnt = 0;
		if (done < sizeof(hdr)) {
			iov[cnt].iov_base = hdr + done;
			iov[cnt++].iov_len = sizeof(hdr) - done;
		}
		if (len > 0) {
			size_t off = done > sizeof(hdr) ? done - sizeof(hdr) : 0;
			iov[cnt].iov_base = (char *)payload + off;
			iov[cnt++].iov_len = len - off;
		}
		ssize_t n;
		if (sock) {
			struct msghdr mh = { .msg_iov = iov, .msg_iovlen = cnt };
			n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		} else {
			n = writev(fd, iov, cnt);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int sync_recv(int fd, uint32_t *type, unsigned char **payload, uint32_t *len)
{
	unsigned char hdr[8];
	ssize_t n = read_full(fd, hdr, sizeof(hdr));
	if (n < 0)
		return -1;
	if (n == 0)
		return 1;
	if (n < (ssize_t)sizeof(hdr)) {
		errno = EPROTO;
		return -1;
	}
	*type = get_u32(hdr);
	*len = get_u32(hdr + 4);
	if (*len > SYNC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	*payload = xmalloc(*len + 1);
	n = read_full(fd, *payload, *len);
	if (n < 0 || (uint32_t)n < *len) {
		int e = n < 0 ? errno : EPROTO;
		free(*payload);
		errno = e;
		return -1;
	}
	(*payload)[*len] = 0;
	return 0;
}

unsigned char *sync_expect(int fd, uint32_t want, uint32_t *len)
{
	uint32_t type;
	unsigned char *payload;
	int r = sync_recv(fd, &type, &payload, len);
	if (r < 0)
		die(errno, "read sync socket (waiting for message %u)", want);
	if (r == 1)
		_exit(1); /* berth went away: nobody to report to */
	if (type == MSG_ABORT)
		_exit(1);
	if (type != want)
		die(EPROTO, "sync socket: got message %u while waiting for %u", type, want);
	return payload;
}

int send_fd(int sock, const void *data, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	memset(u.buf, 0, sizeof(u.buf));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int recv_fd(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char data[256];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (n == 0 || c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = 0;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
