/* SPDX-License-Identifier: MIT */
/* Scope-bound cleanup (systemd, bubblewrap): error paths cannot leak. */
#ifndef GROOT_CLEANUP_H
#define GROOT_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_fd_ __attribute__((cleanup(cleanup_closep)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
