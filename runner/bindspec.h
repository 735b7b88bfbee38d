/* SPDX-License-Identifier: MIT */
/* Bind specifications from the command line: SRC[:DST][:OPTS]. */
#ifndef GROOT_BINDSPEC_H
#define GROOT_BINDSPEC_H

#include <stddef.h>
#include <talloc.h>

#include "profile.h"

/*
 * Parse "SRC[:DST][:OPTS]" (OPTS comma-separated: ro, rw, try, create,
 * direct) into *bind, with relative SRC made absolute against the cwd.
 * Returns 0, or -EINVAL with a message saying what is wrong.
 */
int parse_bind_spec(TALLOC_CTX *ctx, const char *spec, const char *origin, struct bind *bind,
		    char *message, size_t size);

#endif
