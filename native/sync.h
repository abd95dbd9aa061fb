/* Framed messages on the sync socket: u32 type | u32 length | payload. */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#define SYNC_MAX_PAYLOAD (64u << 20)

/* 0 or -1 with errno. Never raises SIGPIPE. */
int sync_send(int fd, uint32_t type, const void *payload, size_t len);
/* 0 on a frame (*payload malloc'd and NUL-terminated, caller frees), 1 on EOF, -1 with errno. */
int sync_recv(int fd, uint32_t *type, unsigned char **payload, uint32_t *len);
/* Wait for one frame of type want; MSG_ABORT or EOF exit quietly with status 1,
 * anything else dies. Returns the payload (NUL-terminated) and its length. */
unsigned char *sync_expect(int fd, uint32_t want, uint32_t *len);
struct plan;
/* With the plan's TRACE: CLOCK_MONOTONIC in ns; else 0, and no clock is read. */
uint64_t trace_now(const struct plan *p);
/* Longest stage name a mark carries (longer ones are cut). */
#define TRACE_NAME_MAX 160
/* With the plan's TRACE: send MSG_MARK (start, now, name) on sync; dies when it cannot. */
void trace_span(const struct plan *p, int sync, const char *name, uint64_t start);
/* sendmsg with data as payload and exactly one SCM_RIGHTS fd. 0 or -1 with errno. */
int send_fd(int sock, const void *data, size_t len, int fd);
/* Receive one fd sent by send_fd; -1 with errno (errno 0 on EOF). */
int recv_fd(int sock);

#endif
