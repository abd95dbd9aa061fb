/* CVE-2019-5736: never run from the on-disk binary once the container can see us.
 * Re-exec from a sealed, immutable memfd copy of /proc/self/exe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"

#define SEAL_ENV "_BERTH_SEALED"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

static int is_sealed(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

void ensure_sealed(char **argv)
{
	const char *mark = getenv(SEAL_ENV);
	if (mark != NULL) {
		unsetenv(SEAL_ENV);
		if (strcmp(mark, "1") == 0 && is_sealed())
			return;
	}

	int mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		die(errno, "memfd_create for the sealed copy of berth-init");
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		die(errno, "open \"/proc/self/exe\"");
	struct stat st;
	if (fstat(exe, &st) < 0)
		die(errno, "stat \"/proc/self/exe\"");
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(errno, "copy berth-init into a memfd");
		}
		if (n == 0)
			die(EIO, "copy berth-init into a memfd: short read");
		left -= n;
	}
	close(exe);
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		die(errno, "seal the berth-init memfd");
	if (setenv(SEAL_ENV, "1", 1) < 0)
		die(errno, "setenv " SEAL_ENV);
	fexecve(mfd, argv, environ);
	die(errno, "fexecve the sealed copy of berth-init");
}
