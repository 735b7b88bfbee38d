// SPDX-License-Identifier: MIT
/*
 * The runner's half of the fast path (shim/fast.h): find groot-fast.so, hold
 * it open for the guests' ld.so, and build the load script's fast section.
 */
#include "fast_path.h"
#include "fast.h"
#include "helpers.h"
#include "log.h"
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int append(char **blob, size_t *size, const char *s, size_t length)
{
	char *grown = talloc_realloc(NULL, *blob, char, *size + length + 1);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *size, s, length);
	grown[*size + length] = '\0';
	*blob = grown;
	*size += length + 1;
	return 0;
}

int fast_path_prepare(TALLOC_CTX *ctx, struct session *session)
{
	char *lib = find_helper(ctx, "groot-fast.so", "fast", "GROOT_FAST_LIB");
	char preload[64];
	char *blob = NULL;
	size_t size = 0;
	int fd, r;

	if (!lib) {
		log_debug("groot-fast.so not found: every path syscall goes to the tracer");
		return 0;
	}
	session->fast_real = real_path(ctx, lib);
	fd = open(lib, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_debug("cannot open %s: %s; the fast path is off", lib, strerror(errno));
		return 0;
	}
	snprintf(preload, sizeof(preload), "/proc/%d/fd/%d", (int)getpid(), fd);
	r = append(&blob, &size, preload, strlen(preload));
	if (!r)
		r = append(&blob, &size, session->mount, session->mount_length);
	if (!r)
		r = append(&blob, &size, session->shim_path, strlen(session->shim_path));
	if (!r) {
		const char *hints = session->xattr_hints ? session->xattr_hints : "";
		r = append(&blob, &size, hints, strlen(hints));
	}
	if (!r) {
		/* Under fake root the view sees no opens: judged by the tracer (path.c). */
		const char *table =
		    session->fake_root && session->credentials ? session->credentials : "";
		r = append(&blob, &size, table, strlen(table));
	}
	if (!r && session->has_read_only_direct) {
		r = append(&blob, &size, GROOT_FAST_READ_ONLY, strlen(GROOT_FAST_READ_ONLY));
		if (!r)
			r = append(&blob, &size, GROOT_FAST_READ_ONLY, strlen(GROOT_FAST_READ_ONLY));
	}
	for (size_t i = 0; !r && i < session->n_directs; i++) {
		const struct direct_bind *d = &session->directs[i];
		r = append(&blob, &size, d->guest, d->guest_length);
		if (!r)
			r = append(&blob, &size, d->host, d->host_length);
	}
	if (!r)
		r = append(&blob, &size, "", 0);
	if (r || size > GROOT_FAST_DIRECTS_MAX + 5 * GROOT_FAST_PATH_MAX) {
		log_debug("the fast path's strings do not fit; the fast path is off");
		talloc_free(blob);
		close(fd);
		return 0;
	}
	session->fast_strings = talloc_steal(ctx, blob);
	session->fast_size = size;
	session->fast_fd = fd;
	return 0;
}
