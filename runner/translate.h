/* SPDX-License-Identifier: MIT */
/* The path model (ARCHITECTURE.md): guest paths to host paths and back. */
#ifndef GROOT_TRANSLATE_H
#define GROOT_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct session;

/*
 * Translate a guest path used by tracee pid relative to dirfd (AT_FDCWD or
 * a guest fd). Writes the host path to out. Returns 1 when out differs from
 * the guest path, 0 when the kernel can use the guest path as is, or -errno.
 */
int translate_path(const struct session *session, pid_t pid, int dirfd, const char *guest,
		   char *out, size_t size);

/*
 * A path the tracer itself can use for what the guest names: the
 * translated path, with relative ones anchored through /proc/PID/cwd or
 * /proc/PID/fd/N ("" with a dirfd names the dirfd itself).
 */
int translate_for_tracer(const struct session *session, pid_t pid, int dirfd, const char *guest,
			 char *out, size_t size);
/* The same for a path already translated (what the kernel resolves in the tracee). */
int path_for_tracer(pid_t pid, int dirfd, const char *path, char *out, size_t size);

/* The host path of what a tracee's cwd (AT_FDCWD) or fd names: the /proc link's target. */
int tracee_directory(pid_t pid, int dirfd, char *out, size_t size);

/* Host path to the guest's view of it (strip the mountpoint, map direct binds back). */
int detranslate_path(const struct session *session, const char *host, char *out, size_t size);
/* The guest path of a socket bound at host path 'host' (sockaddr.c: aliases, view binds). */
int detranslate_socket_path(const struct session *session, const char *host, char *guest,
			    size_t size);

/*
 * The bind among binds[0..n) holding a path most closely, by its guest side
 * or (by_host) its host side, or NULL: a nested one shadows its parent.
 */
const struct direct_bind *closest_bind(const struct direct_bind *binds, size_t n, const char *path,
				       bool by_host);
/* The direct bind a guest path lies in (the most specific), or NULL. */
const struct direct_bind *find_direct_bind(const struct session *session, const char *guest);
/* The direct bind whose host side holds a host path most closely, or NULL. */
const struct direct_bind *find_direct_bind_by_host(const struct session *session,
						   const char *host);

/*
 * Does what the guest path names in tracee pid (the object, following a
 * last symlink when follow; or a new name's directory) lie in a read-only
 * direct bind? Relative paths, "..", "//" and symlinks included, as the
 * kernel resolves them. Costs a few syscalls: for writes only.
 */
bool in_read_only_bind(const struct session *session, pid_t pid, int dirfd, const char *guest,
		       bool follow);

/* True when a path has a ".." component (the only case the kernel could climb above the root). */
bool path_has_dotdot(const char *path);

/*
 * Resolve path (absolute = from root, else from base) component by
 * component on the host, clamping ".." at root, following symlinks of every
 * component but the last (the kernel handles that one with the syscall's own
 * follow rules). root and base are host paths; base must lie under root.
 * The result is a host path. Returns 0 or -errno (ELOOP, ENAMETOOLONG).
 */
int canonicalize_path(const char *root, const char *base, const char *path, char *out,
		      size_t size);

#endif
