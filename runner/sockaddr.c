/* SPDX-License-Identifier: MIT */
/*
 * AF_UNIX socket addresses. A guest path becomes a host path under the
 * view, which can outgrow sun_path (108 bytes). Then:
 *  - connect/sendto go through a short alias: a symlink in $RUN/s that the
 *    kernel follows to the real socket;
 *  - bind binds a short alias at the view's root, and at the exit stop
 *    renames the socket into place; getsockname and friends map it back,
 *    and groot-fast.so a datagram's sender (recvfrom) through the symlink
 *    $RUN/s/bound-HASH to the guest path, for alias $MOUNT/.groot-socket-HASH.
 */
#include "log.h"
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <talloc.h>
#include <unistd.h>

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/* Aliases of bound sockets: alias host path → guest path, for getsockname. */
struct alias {
	char *alias;
	char *guest;
	struct alias *next;
};
static struct alias *bound_aliases;

static uint64_t hash_path(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* $RUN/s, the aliases' directory, made if missing; into dir. 0, or -1 and errno. */
static int alias_dir(const struct session *session, char *dir, size_t size)
{
	snprintf(dir, size, "%s/s", session->run_dir);
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int make_alias(const struct session *session, const char *host, bool for_bind,
		      char *alias, size_t size)
{
	char dir[PATH_MAX];
	unsigned long long hash = (unsigned long long)hash_path(host);

	if (for_bind) {
		/* In the view itself: rename(2) cannot cross filesystems. */
		if ((size_t)snprintf(alias, size, "%s/.groot-socket-%016llx", session->mount, hash) >=
		    SUN_PATH_SIZE)
			return -ENAMETOOLONG;
		unlink(alias);
		return 0;
	}
	if (alias_dir(session, dir, sizeof(dir)) < 0)
		return -errno;
	if ((size_t)snprintf(alias, size, "%s/%016llx", dir, hash) >= SUN_PATH_SIZE)
		return -ENAMETOOLONG;
	if (symlink(host, alias) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * A socket in a bind through the view is reached at its host path: the
 * view's node of a socket file is not the socket, so a host program's
 * listener (an X11 display, an agent in $HOME) refused the guest, and the
 * other way round. 1: 'host' is the bind's host path; 0: not in such a
 * bind (or too long to bind there); -EROFS: a bind in a read-only one.
 */
static int in_view_bind(const struct session *session, const char *guest, bool is_bind, char *host,
			size_t size)
{
	const struct direct_bind *b =
	    closest_bind(session->view_binds, session->n_view_binds, guest, false);
	int n;

	if (!b)
		return 0;
	if (is_bind && b->read_only)
		return -EROFS;
	n = snprintf(host, size, "%s%s", b->host, guest + b->guest_length);
	if (n < 0 || (size_t)n >= size || (is_bind && (size_t)n >= SUN_PATH_SIZE))
		return 0;
	return 1;
}

/* bind, connect, sendto: which arguments hold the sockaddr and its length. */
static void sockaddr_arguments(const struct stop *stop, int *address_arg, int *length_arg)
{
	bool sendto = strcmp(stop->desc->name, "sendto") == 0;

	*address_arg = sendto ? 4 : 1;
	*length_arg = sendto ? 5 : 2;
}

void handle_sockaddr_in_enter(struct stop *stop)
{
	struct sockaddr_un address;
	char host[PATH_MAX], alias[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	int address_arg, length_arg;

	sockaddr_arguments(stop, &address_arg, &length_arg);
	unsigned long where = stop_arg(stop, address_arg);
	socklen_t length = (socklen_t)stop_arg(stop, length_arg);
	if (!where || length <= offsetof(struct sockaddr_un, sun_path) || length > sizeof(address))
		return;
	memset(&address, 0, sizeof(address));
	if (tracee_read(pid, where, &address, length) < 0 || address.sun_family != AF_UNIX)
		return;
	/* Abstract sockets (leading NUL) and relative paths need nothing. */
	if (address.sun_path[0] != '/')
		return;
	char guest[SUN_PATH_SIZE + 1];
	memcpy(guest, address.sun_path, SUN_PATH_SIZE);
	guest[SUN_PATH_SIZE] = '\0';
	bool is_bind = strcmp(stop->desc->name, "bind") == 0;
	int r = translate_path(stop->session, pid, AT_FDCWD, guest, host, sizeof(host));
	if (r <= 0)
		return;
	if (!path_has_dotdot(guest)) {
		int v = in_view_bind(stop->session, guest, is_bind, alias, sizeof(alias));

		if (v < 0) {
			stop_skip(stop, v);
			return;
		}
		if (v > 0)
			strcpy(host, alias);
	}
	if (stop->session->trace)
		trace_syscall(stop, guest, host);
	const char *path = host;
	if (strlen(host) >= SUN_PATH_SIZE) {
		r = make_alias(stop->session, host, is_bind, alias, sizeof(alias));
		if (r < 0) {
			stop_skip(stop, r);
			return;
		}
		path = alias;
		if (is_bind) {
			/* The exit stop renames the socket to where the guest wanted it. */
			stop->tracee->pending_path = talloc_asprintf(stop->tracee, "%s%c%s%c%s",
								     alias, '\0', host, '\0', guest);
			stop->want_exit = true;
		}
	}
	memset(address.sun_path, 0, SUN_PATH_SIZE);
	memcpy(address.sun_path, path, strlen(path) + 1);
	socklen_t new_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	unsigned long copy = scratch_push(pid, &stop->scratch, &address, new_length);
	if (!copy) {
		stop_skip(stop, -ENOMEM);
		return;
	}
	stop_set_arg(stop, address_arg, copy);
	stop_set_arg(stop, length_arg, new_length);
}

/* $RUN/s/bound-HASH → the guest path of the socket bound as alias .groot-socket-HASH. */
static void name_bound_alias(const struct session *session, const char *alias, const char *guest)
{
	const char *hash = strrchr(alias, '-');
	char dir[PATH_MAX], name[PATH_MAX];

	if (!hash || alias_dir(session, dir, sizeof(dir)) < 0 ||
	    (size_t)snprintf(name, sizeof(name), "%s/bound%s", dir, hash) >= sizeof(name))
		return;
	unlink(name);
	if (symlink(guest, name) < 0)
		log_debug("cannot name socket alias %s: %s", alias, strerror(errno));
}

void handle_sockaddr_in_exit(struct stop *stop)
{
	char *pending = stop->tracee->pending_path;

	stop->tracee->pending_path = NULL;
	if (!pending)
		return;
	const char *alias = pending;
	const char *host = alias + strlen(alias) + 1;
	const char *guest = host + strlen(host) + 1;
	if ((long)REG_RESULT(&stop->regs) == 0) {
		if (rename(alias, host) < 0) {
			REG_RESULT(&stop->regs) = (unsigned long long)-errno;
			stop->regs_dirty = true;
		} else {
			struct alias *a = talloc_zero(NULL, struct alias);
			name_bound_alias(stop->session, alias, guest);
			if (a) {
				a->alias = talloc_strdup(a, alias);
				a->guest = talloc_strdup(a, guest);
				a->next = bound_aliases;
				bound_aliases = a;
			}
		}
	}
	talloc_free(pending);
}

int detranslate_socket_path(const struct session *session, const char *host, char *guest,
			    size_t size)
{
	const struct direct_bind *b =
	    closest_bind(session->view_binds, session->n_view_binds, host, true);

	for (struct alias *a = bound_aliases; a; a = a->next)
		if (!strcmp(a->alias, host))
			return snprintf(guest, size, "%s", a->guest) < (int)size ? 0 : -ENAMETOOLONG;
	/* A bind of the host's root holds every path, the view's own too: not for sockets. */
	if (b && b->host_length > 1)
		return snprintf(guest, size, "%s%s", b->guest, host + b->host_length) < (int)size
			   ? 0
			   : -ENAMETOOLONG;
	return detranslate_path(session, host, guest, size);
}

/* accept, getsockname, getpeername: remember the size of the caller's buffer. */
void handle_sockaddr_out_enter(struct stop *stop)
{
	socklen_t capacity = 0;
	unsigned long length_where = stop_arg(stop, 2);

	if (!stop_arg(stop, 1) || !length_where ||
	    tracee_read(stop->tracee->pid, length_where, &capacity, sizeof(capacity)) < 0)
		return;
	stop->tracee->saved[0] = capacity;
	stop->want_exit = true;
}

void handle_sockaddr_out_exit(struct stop *stop)
{
	struct sockaddr_un address;
	char guest[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	unsigned long where = stop_arg(stop, 1), length_where = stop_arg(stop, 2);
	socklen_t length, reported, capacity = (socklen_t)stop->tracee->saved[0];

	if ((long)REG_RESULT(&stop->regs) < 0 || !where || !length_where)
		return;
	if (tracee_read(pid, length_where, &reported, sizeof(reported)) < 0)
		return;
	if (reported > capacity)
		reported = capacity; /* what the kernel could copy */
	length = reported < sizeof(address) ? reported : sizeof(address);
	memset(&address, 0, sizeof(address));
	if (length <= offsetof(struct sockaddr_un, sun_path) ||
	    tracee_read(pid, where, &address, length) < 0 || address.sun_family != AF_UNIX ||
	    address.sun_path[0] != '/')
		return;
	char host[SUN_PATH_SIZE + 1];
	memcpy(host, address.sun_path, SUN_PATH_SIZE);
	host[SUN_PATH_SIZE] = '\0';
	if (detranslate_socket_path(stop->session, host, guest, sizeof(guest)) < 0 ||
	    strlen(guest) >= SUN_PATH_SIZE)
		return;
	memset(address.sun_path, 0, SUN_PATH_SIZE);
	strcpy(address.sun_path, guest);
	socklen_t full = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(guest) + 1);
	/* Like the kernel: copy at most the caller's buffer, report the full length. */
	tracee_write(pid, where, &address, full < capacity ? full : capacity);
	tracee_write(pid, length_where, &full, sizeof(full));
}
