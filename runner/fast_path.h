/* SPDX-License-Identifier: MIT */
/* The runner's half of the fast path (shim/fast.h). */
#ifndef GROOT_FAST_PATH_H
#define GROOT_FAST_PATH_H

#include <talloc.h>

struct session;

/*
 * Find and open groot-fast.so and fill session->fast_*; leaves them empty
 * (the fast path off, every path syscall traced) when the library is
 * missing. Call after the view is mounted and the direct binds are known.
 */
int fast_path_prepare(TALLOC_CTX *ctx, struct session *session);

#endif
