/* SPDX-License-Identifier: MIT */
/* Locating groot's own helper programs (groot-fs, groot-shim) and data. */
#ifndef GROOT_HELPERS_H
#define GROOT_HELPERS_H

#include <talloc.h>

/*
 * Find helper `name`: $env_override if set, next to the groot executable,
 * in ../<build_subdir>/ (build tree), in ../libexec/groot/ (relocated
 * install), then in the configured libexecdir. Returns a talloc'd absolute
 * path, or NULL (errno = ENOENT).
 */
char *find_helper(TALLOC_CTX *ctx, const char *name, const char *build_subdir,
		  const char *env_override);

/* realpath(3) of path, talloc'd, or NULL. */
char *real_path(TALLOC_CTX *ctx, const char *path);

/* /proc/sys/NAME (e.g. "fs/suid_dumpable") as an integer, or fallback when unreadable. */
long read_sysctl(const char *name, long fallback);

/* mkdir -p: create path and its missing parents. Returns 0 or -errno. */
int make_directories(const char *path, unsigned int mode);

#endif
