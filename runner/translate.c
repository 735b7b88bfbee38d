/* SPDX-License-Identifier: MIT */
/*
 * Guest path → host path. The common case is a string prefix: absolute
 * paths go under the view's mountpoint, relative ones are left alone (cwd
 * and dirfds already live in the view). Only paths with ".." are walked.
 */
#include "translate.h"
#include "session.h"
#include "tracee.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool path_has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

static bool has_prefix_component(const char *path, const char *prefix, size_t length)
{
	if (length == 1 && prefix[0] == '/')
		return path[0] == '/'; /* the host's root holds every absolute path */
	return strncmp(path, prefix, length) == 0 && (path[length] == '/' || path[length] == '\0');
}

const struct direct_bind *closest_bind(const struct direct_bind *binds, size_t n, const char *path,
				       bool by_host)
{
	const struct direct_bind *best = NULL;
	size_t best_length = 0;

	for (size_t i = 0; i < n; i++) {
		const struct direct_bind *b = &binds[i];
		size_t length = by_host ? b->host_length : b->guest_length;

		/* Of equal guest paths the later wins; of equal host paths the first. */
		if (has_prefix_component(path, by_host ? b->host : b->guest, length) &&
		    (!best || length > best_length || (!by_host && length == best_length))) {
			best = b;
			best_length = length;
		}
	}
	return best;
}

/* The most specific direct bind wins: a nested one shadows its parent, in any order. */
const struct direct_bind *find_direct_bind(const struct session *session, const char *guest)
{
	return closest_bind(session->directs, session->n_directs, guest, false);
}

static int concat(char *out, size_t size, const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b);

	if (la + lb + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return 0;
}

int tracee_directory(pid_t pid, int dirfd, char *out, size_t size)
{
	char link[64];
	ssize_t n;

	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dirfd);
	n = readlink(link, out, size - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : -errno;
	out[n] = '\0';
	return 0;
}

/* The direct bind whose point is exactly guest path g (n bytes): its host path into out (1), or 0.
 */
static int bind_point_host(const struct session *session, const char *g, size_t n, char *out,
			   size_t size)
{
	for (size_t i = 0; i < session->n_directs; i++) {
		const struct direct_bind *d = &session->directs[i];

		if (d->guest_length == n && !memcmp(d->guest, g, n))
			return concat(out, size, d->host, d->host_length, "") ?: 1;
	}
	return 0;
}

/*
 * A relative path (no "..") whose last component is a direct bind point: the
 * view shows the point as a symlink to its guest path, which a walk through
 * it follows, but lstat, readlink and O_NOFOLLOW would meet the link. Named
 * from the base directory lexically, the path is the bind's guest path: then
 * its host path (1), else 0 (the kernel's walk is right).
 */
static int relative_bind_point(const struct session *session, pid_t pid, int dirfd,
			       const char *guest, char *out, size_t size)
{
	const char *last = strrchr(guest, '/');
	char base[PATH_MAX], joined[PATH_MAX];
	size_t n, at;
	bool named = false;

	last = last ? last + 1 : guest;
	n = strlen(last);
	for (size_t i = 0; i < session->n_directs && !named; i++) {
		const struct direct_bind *d = &session->directs[i];
		named = n && d->guest_length > n && d->guest[d->guest_length - n - 1] == '/' &&
			!memcmp(d->guest + d->guest_length - n, last, n);
	}
	if (!named || tracee_directory(pid, dirfd, base, sizeof(base)) < 0 ||
	    !has_prefix_component(base, session->mount, session->mount_length))
		return 0;
	/* The guest directory, then each component of the path but "." and empty ones. */
	at = (size_t)snprintf(joined, sizeof(joined), "%s", base + session->mount_length);
	for (const char *p = guest; *p && at < sizeof(joined);) {
		size_t len = strcspn(p, "/");

		if (len && !(len == 1 && p[0] == '.'))
			at += (size_t)snprintf(joined + at, sizeof(joined) - at, "/%.*s", (int)len,
					       p);
		p += len + (p[len] == '/');
	}
	if (at >= sizeof(joined))
		return 0;
	return bind_point_host(session, joined, at, out, size);
}

/* A walk (canonicalize_path) that ended on a direct bind point in the view: its host path. */
static int walked_to_bind_point(const struct session *session, char *out, size_t size)
{
	const char *g = out + session->mount_length;
	size_t n = strlen(g);
	int r;

	if (!n || !has_prefix_component(out, session->mount, session->mount_length))
		return 1;
	r = bind_point_host(session, g, n, out, size);
	return r ? r : 1;
}

int translate_path(const struct session *session, pid_t pid, int dirfd, const char *guest,
		   char *out, size_t size)
{
	char base[PATH_MAX];
	int err;

	if (guest[0] == '/') {
		/* "//proc" is "/proc" to the kernel: match direct binds the same way. */
		while (guest[1] == '/')
			guest++;
		if (!path_has_dotdot(guest)) {
			const struct direct_bind *d = find_direct_bind(session, guest);
			if (!d) {
				if (session->mount_length + strlen(guest) < size || session->root_fd < 0)
					return concat(out, size, session->mount, session->mount_length,
						      guest) ?: 1;
				int n = snprintf(out, size, "/proc/%d/fd/%d%s", session->tracer_pid,
						 session->root_fd, guest);
				return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 1;
			}
			if (d->host_length == d->guest_length &&
			    memcmp(d->host, d->guest, d->guest_length) == 0)
				return 0;
			return concat(out, size, d->host, d->host_length, guest + d->guest_length) ?: 1;
		}
		err = canonicalize_path(session->mount, NULL, guest, out, size);
		return err < 0 ? err : walked_to_bind_point(session, out, size);
	}
	if (!path_has_dotdot(guest))
		return relative_bind_point(session, pid, dirfd, guest, out, size);
	err = tracee_directory(pid, dirfd, base, sizeof(base));
	if (err < 0)
		return 0; /* let the kernel report the bad dirfd */
	if (!has_prefix_component(base, session->mount, session->mount_length))
		return 0; /* a direct bind: the host's own ".." is the right one */
	/*
	 * A removed directory: its ".." is the parent the kernel kept, which its
	 * old name leads to; a last ".." right below it only the kernel still
	 * finds (a removed directory is never the guest's root).
	 */
	size_t n = strlen(base);
	bool removed = n > 10 && strcmp(base + n - 10, " (deleted)") == 0;
	if (removed)
		base[n - 10] = '\0';
	err = canonicalize_path(session->mount, base, guest, out, size);
	if (removed && err >= 0 && !strncmp(out, base, n - 10) && !strcmp(out + n - 10, "/..")) {
		int length = dirfd == AT_FDCWD
				 ? snprintf(out, size, "/proc/%d/cwd/..", pid)
				 : snprintf(out, size, "/proc/%d/fd/%d/..", pid, dirfd);
		return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 1;
	}
	return err < 0 ? err : walked_to_bind_point(session, out, size);
}

int translate_for_tracer(const struct session *session, pid_t pid, int dirfd, const char *guest,
			 char *out, size_t size)
{
	char host[PATH_MAX];
	int r = translate_path(session, pid, dirfd, guest, host, sizeof(host));

	if (r < 0)
		return r;
	return path_for_tracer(pid, dirfd, r > 0 ? host : guest, out, size);
}

int path_for_tracer(pid_t pid, int dirfd, const char *path, char *out, size_t size)
{
	int n;

	/* The tracer's own /proc/self is not the guest's. */
	if (!strncmp(path, "/proc/self", 10) && (path[10] == '/' || !path[10]))
		n = snprintf(out, size, "/proc/%d%s", (int)tracee_tgid(pid), path + 10);
	else if (!strncmp(path, "/proc/thread-self", 17) && (path[17] == '/' || !path[17]))
		n = snprintf(out, size, "/proc/%d/task/%d%s", (int)tracee_tgid(pid), (int)pid, path + 17);
	else if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (dirfd == AT_FDCWD)
		n = snprintf(out, size, "/proc/%d/cwd/%s", pid, path);
	else if (path[0] == '\0')
		n = snprintf(out, size, "/proc/%d/fd/%d", pid, dirfd);
	else
		n = snprintf(out, size, "/proc/%d/fd/%d/%s", pid, dirfd, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

const struct direct_bind *find_direct_bind_by_host(const struct session *session, const char *host)
{
	return closest_bind(session->directs, session->n_directs, host, true);
}

int detranslate_path(const struct session *session, const char *host, char *out, size_t size)
{
	size_t run_length = session->run_dir ? strlen(session->run_dir) : 0;
	int pid, name_at = 0;

	/* A /proc file the guest was given a copy of: "$RUN/proc-PID-NAME" (procfs.c), "$RUN/auxv-PID". */
	if (run_length && has_prefix_component(host, session->run_dir, run_length)) {
		const char *name = NULL;

		if (sscanf(host + run_length, "/proc-%d-%n", &pid, &name_at) == 1 && name_at > 0)
			name = host + run_length + name_at;
		else if (sscanf(host + run_length, "/auxv-%d%n", &pid, &name_at) == 1 &&
			 name_at > 0 && !host[run_length + name_at])
			name = "auxv";
		if (name) {
			int n = snprintf(out, size, "/proc/%d/%s", pid, name);
			if (n < 0 || (size_t)n >= size)
				return -ENAMETOOLONG;
			for (char *colon = strchr(out, ':'); colon; colon = strchr(colon, ':'))
				*colon = '/'; /* "net:unix" */
			return 0;
		}
	}
	if (has_prefix_component(host, session->mount, session->mount_length)) {
		const char *rest = host + session->mount_length;
		return concat(out, size, "/", *rest ? 0 : 1, rest);
	}
	/* The bind whose host side holds the path most closely names it. */
	const struct direct_bind *best = find_direct_bind_by_host(session, host);
	if (best) {
		const char *rest = best->host_length > 1 ? host + best->host_length
				   : host[1]		   ? host
							   : "";
		return concat(out, size, best->guest, best->guest_length, rest);
	}
	return concat(out, size, "", 0, host);
}

/* The host path an fd names (its /proc/self/fd link), into out. */
static bool fd_path(int fd, char *out, size_t size)
{
	char link[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, size - 1);
	if (n < 0)
		return false;
	out[n] = '\0';
	return true;
}

/* Is the host path in a read-only direct bind, and in no writable one (one host tree may be bound twice)? */
static bool only_read_only_binds_hold(const struct session *session, const char *host)
{
	bool any = false;

	for (size_t i = 0; i < session->n_directs; i++) {
		const struct direct_bind *d = &session->directs[i];
		if (d->host_length == 1 || !has_prefix_component(host, d->host, d->host_length))
			continue;
		if (!d->read_only)
			return false;
		any = true;
	}
	return any;
}

bool in_read_only_bind(const struct session *session, pid_t pid, int dirfd, const char *guest,
		       bool follow)
{
	char path[PATH_MAX], real[PATH_MAX];
	int fd;

	if (!session->has_read_only_direct)
		return false;
	/* An absolute path names its bind: that bind's flag (the kernel's EROFS comes first). */
	if (guest[0] == '/' && !path_has_dotdot(guest)) {
		while (guest[1] == '/')
			guest++;
		const struct direct_bind *d = find_direct_bind(session, guest);
		if (d)
			return d->read_only;
	}
	if (translate_for_tracer(session, pid, dirfd, guest, path, sizeof(path)) < 0)
		return false;
	/* Else where the kernel will get to: the object itself, or a new name's directory. */
	fd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		size_t n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			path[--n] = '\0';
		char *slash = strrchr(path, '/');
		if (!slash)
			return false;
		slash[slash == path ? 1 : 0] = '\0';
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return false; /* the kernel fails on its own */
	}
	bool known = fd_path(fd, real, sizeof(real));
	close(fd);
	return known && only_read_only_binds_hold(session, real);
}
