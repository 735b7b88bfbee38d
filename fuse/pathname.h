/* SPDX-License-Identifier: MIT */
/*
 * Lexical path arithmetic for the view's symlink rewriting. Pure functions,
 * unit-tested in tests/unit/fs/test-pathname.c.
 */
#ifndef GROOT_FS_PATHNAME_H
#define GROOT_FS_PATHNAME_H

#include <stdbool.h>

/* Components below "/" of an absolute directory path ("/" is 0, "/a/b" is 2). */
long pathname_depth(const char *dir);
/* Does a relative target, followed from a directory 'depth' levels deep, climb above "/"? */
bool pathname_climbs_above_root(const char *target, long depth);
/*
 * Resolve a relative 'target' against the absolute 'dir' lexically, clamping ".."
 * at "/" like the kernel does at a root; a trailing slash is kept. malloc'd.
 */
char *pathname_clamp_relative(const char *dir, const char *target);

#endif
