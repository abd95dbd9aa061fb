/*
 * scprobe: calls system calls that a seccomp profile may deny and prints how
 * each went, one line per call: "<name>: ok" or "<name>: <strerror>".
 * Statically linked, so it runs in the busybox test root filesystems.
 *
 *   io_uring_setup(0, NULL)   not in podman's default profile: ENOSYS under it,
 *                             EINVAL (or EFAULT/EPERM) without it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long rc)
{
	if (rc >= 0)
		printf("%s: ok\n", name);
	else
		printf("%s: %s\n", name, strerror(errno));
}

int main(void)
{
	report("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL));
	return 0;
}
