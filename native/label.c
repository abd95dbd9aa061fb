/* The process label for the next execve (an LSM "exec" attribute, e.g. AppArmor's
 * attr/apparmor/exec). berth sends the attribute file, the bytes to write and what to
 * call it in errors; this file only opens and writes.
 *
 * A task may only write its own attributes, so the file is opened by the container
 * process itself, right after fork. It is opened through the host's procfs, taken by
 * stage 1 before it joins any mount namespace: a container's /proc (which its own
 * processes can mount over for `exec`) is never trusted for it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "berth.h"

static int procfd = -1; /* host procfs, O_PATH, stage 1 and the child until label_open */
static int attrfd = -1; /* the child's own attribute file, until label_apply */

void label_prepare(const struct plan *p)
{
	if (p->label_attr == NULL)
		return;
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		die(errno, "open /proc to apply %s", p->label_what);
	struct statfs sf;
	if (fstatfs(procfd, &sf) < 0)
		die(errno, "fstatfs /proc");
	if ((long)sf.f_type != PROC_SUPER_MAGIC)
		die(EINVAL, "/proc is not procfs: cannot apply %s", p->label_what);
}

void label_close_proc(void)
{
	if (procfd >= 0)
		close(procfd);
	procfd = -1;
}

void label_open(const struct plan *p)
{
	if (p->label_attr == NULL)
		return;
	char path[256];
	int n = snprintf(path, sizeof(path), "thread-self/%s", p->label_attr);
	if (n < 0 || (size_t)n >= sizeof(path) || strstr(p->label_attr, "..") != NULL)
		die(EINVAL, "bad label attribute \"%s\"", p->label_attr);
	attrfd = openat(procfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (attrfd < 0)
		die(errno, "open /proc/%s to apply %s", path, p->label_what);
	label_close_proc();
}

void label_apply(const struct plan *p)
{
	if (attrfd < 0)
		return;
	size_t len = strlen(p->label_value);
	ssize_t w = write(attrfd, p->label_value, len);
	if (w < 0)
		die(errno, "apply %s", p->label_what);
	if ((size_t)w != len)
		die(EIO, "apply %s: short write", p->label_what);
	close(attrfd);
	attrfd = -1;
}
