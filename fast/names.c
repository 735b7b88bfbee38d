// SPDX-License-Identifier: MIT
/* groot-fast.so: calls that return paths (readlink, getcwd, realpath), detranslated. */
#include "internal.h"

#define MAX_SYMLINKS 40 /* glibc's __eloop_threshold */

/* ---- readlink: the tracer's emulation, here ---- */

/*
 * The target of a link in a direct bind, as the tracer shows it
 * (runner/emulate.c: link_target_shown): one in the view's mountpoint
 * without it, one in the link's own bind through that bind's guest path,
 * any other as it is. Into shown, or NULL.
 */
static const char *direct_target(const char *bind, const char *host, const char *target,
				 char *shown, size_t size, size_t *length)
{
	size_t guest_n = bind ? length_of(bind) : 0, host_n, n = length_of(target);

	if (target[0] != '/' || !bind) {
		*length = n;
		return target;
	}
	if (under(target, config->mount, config->mount_length))
		return guest_view(target, length);
	host_n = length_of(host);
	if (!under(target, host, host_n) || (guest_n == host_n && same(bind, host, host_n))) {
		*length = n;
		return target;
	}
	/* The host's root bound somewhere: all of the target follows the guest path. */
	const char *rest = host_n == 1 ? target : target + host_n;
	size_t rest_n = length_of(rest);
	if (guest_n + rest_n + 1 > size)
		return NULL;
	copy(shown, bind, guest_n);
	copy(shown + guest_n, rest, rest_n + 1);
	*length = guest_n + rest_n;
	return shown;
}

static long readlink_at(int fd, const char *path, char *buf, size_t size)
{
	/*
	 * One page of stack (signal handlers on small alternate stacks call
	 * readlink): the prefixed path, then the target the kernel reads.
	 */
	char b[PATH_MAX_ + 1];
	const char *bind, *p = fast_lookup_path(path, b, &bind), *guest, *bind_host = 0;
	size_t bind_n;

	/* The link's bind, as the tracer picks it: by the link's host path. */
	if (bind)
		bind = direct_of_host(p, &bind_n, &bind_host);
	size_t used = p == b ? length_of(b) + 1 : 0, room = sizeof(b) - used, length;
	char *target = b + used;
	long n;

	/* do_readlinkat takes bufsiz as an int: what does not fit is the kernel's EINVAL. */
	if (!p || (int)size <= 0 || room < 2)
		return raw(__NR_readlinkat, fd, (long)path, (long)buf, (long)size, 0, 0);
	n = gate(__NR_readlinkat, fd, (long)p, (long)target, (long)room - 1, 0, 0);
	if (n < 0)
		return n;
	target[n] = '\0';
	/* Maybe cut short, or the shim (a /proc/PID/exe), or another prefix: the tracer knows. */
	if ((size_t)n >= room - 1 ||
	    (n == (long)length_of(config->shim) && same(target, config->shim, (size_t)n)))
		return raw(__NR_readlinkat, fd, (long)path, (long)buf, (long)size, 0, 0);
	if (bind) {
		/* Its shown form may be longer than the target: built in the prefixed path's room.
		 */
		guest = direct_target(bind, bind_host, target, b, target - b, &length);
	} else {
		guest = guest_view(target, &length);
	}
	if (!guest)
		return raw(__NR_readlinkat, fd, (long)path, (long)buf, (long)size, 0, 0);
	if (length > size)
		length = size;
	copy(buf, guest, length);
	return (long)length;
}

EXPORT long readlinkat(int fd, const char *path, char *buf, size_t size)
{
	return result(readlink_at(fd, path, buf, size));
}

EXPORT long readlink(const char *path, char *buf, size_t size)
{
	return result(readlink_at(AT_FDCWD_, path, buf, size));
}

EXPORT long __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen && __chk_fail)
		__chk_fail();
	return readlink(path, buf, size);
}

EXPORT long __readlinkat_chk(int fd, const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen && __chk_fail)
		__chk_fail();
	return readlinkat(fd, path, buf, size);
}

/* libc's own function (a cancellation point, a fallback), looked up once; NULL without dlsym. */
static void *next_function(void **cache, const char *name)
{
	void *f = __atomic_load_n(cache, __ATOMIC_RELAXED);

	if (!f && dlsym) {
		f = dlsym(RTLD_NEXT_, name);
		__atomic_store_n(cache, f, __ATOMIC_RELAXED);
	}
	return f;
}

/* ---- getcwd ---- */

/* The guest's cwd into out (PATH_MAX_); returns its length + 1 or -errno. */
static long guest_cwd(char *out)
{
	const char *guest;
	size_t length;
	long n;

	if (config) {
		n = gate(__NR_getcwd, (long)out, PATH_MAX_, 0, 0, 0, 0);
		if (n > 0 && out[0] == '/' && (guest = guest_view(out, &length))) {
			move(out, guest, length + 1);
			return (long)length + 1;
		}
	}
	return raw(__NR_getcwd, (long)out, PATH_MAX_, 0, 0, 0, 0);
}

EXPORT char *getcwd(char *buf, size_t size)
{
	char cwd[PATH_MAX_];
	long n;

	if (buf && size == 0) {
		*__errno_location() = E_INVAL;
		return NULL;
	}
	n = guest_cwd(cwd);
	if (n == -E_NAMETOOLONG) {
		/* Deeper than PATH_MAX: libc's getcwd walks ".." itself (through the tracer). */
		static void *next;
		char *(*f)(char *, size_t) =
		    (char *(*)(char *, size_t))next_function(&next, "getcwd");
		if (f)
			return f(buf, size);
	}
	if (n < 0) {
		*__errno_location() = (int)-n;
		return NULL;
	}
	if (!buf) {
		size_t want = size ? size : (size_t)n;
		if ((size_t)n > want) {
			*__errno_location() = E_RANGE;
			return NULL;
		}
		buf = malloc ? malloc(want) : NULL;
		if (!buf) {
			*__errno_location() = E_NOMEM;
			return NULL;
		}
	} else if ((size_t)n > size) {
		*__errno_location() = E_RANGE;
		return NULL;
	}
	copy(buf, cwd, (size_t)n);
	return buf;
}

EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	if (size > buflen && __chk_fail)
		__chk_fail();
	return getcwd(buf, size);
}

/* ---- realpath: glibc's walk, with readlink through the gate ---- */

/* Drop the last component of [rname, dest): dest ends up just after a '/'. */
static char *up(char *rname, char *dest)
{
	if (dest > rname + 1)
		for (dest--; dest[-1] != '/'; dest--)
			;
	return dest;
}

/*
 * Does the rest of a path (after a component) hold no other component: only
 * slashes, "." and ".."? Then the component must be a directory, and only
 * an explicit check says so (a later component's readlink would otherwise).
 */
static int only_dots_follow(const char *rest)
{
	if (*rest != '/')
		return 0;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			return 1;
		if (rest[0] == '.' && (rest[1] == '/' || !rest[1]))
			rest += 1;
		else if (rest[0] == '.' && rest[1] == '.' && (rest[2] == '/' || !rest[2]))
			return 1; /* ".." climbs back through it: it must be a directory now */
		else
			return 0;
	}
}

/* rname, pending and target: PATH_MAX_ + 2 bytes each, from the heap (realpath may use it). */
static int resolve(const char *path, char *rname, char *pending, char *target)
{
	char *dest;
	const char *start, *end;
	int links = 0;

	if (path[0] == '/') {
		rname[0] = '/';
		dest = rname + 1;
	} else {
		long n = guest_cwd(rname);
		if (n < 0) {
			rname[0] = '\0';
			return (int)n;
		}
		dest = rname + n - 1;
	}
	for (start = path; *start; start = end) {
		while (*start == '/')
			start++;
		for (end = start; *end && *end != '/'; end++)
			;
		size_t len = (size_t)(end - start);
		if (len == 0)
			break;
		if (len == 1 && start[0] == '.')
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			dest = up(rname, dest);
			continue;
		}
		if (dest[-1] != '/')
			*dest++ = '/';
		if ((size_t)(dest - rname) + len >= PATH_MAX_)
			return -E_NAMETOOLONG;
		copy(dest, start, len);
		dest += len;
		*dest = '\0';

		long n = readlink_at(AT_FDCWD_, rname, target, PATH_MAX_ - 1);
		if (n >= 0) {
			size_t rest = length_of(end);
			if (++links > MAX_SYMLINKS)
				return -E_LOOP;
			if ((size_t)n + rest >= PATH_MAX_)
				return -E_NAMETOOLONG;
			/* end may point into pending: move the rest first. */
			move(pending + n, end, rest + 1);
			copy(pending, target, (size_t)n);
			end = pending;
			if (target[0] == '/') {
				dest = rname + 1;
			} else {
				dest = up(rname, dest);
			}
			continue;
		}
		if (n != -E_INVAL)
			return (int)n;
		/*
		 * Not a symlink. If only slashes, "." or ".." follow, nothing later
		 * would notice a non-directory: check it here (a stat, which the
		 * kernel answers from its cache; access(2) would ask the view).
		 */
		if (only_dots_follow(end)) {
			size_t used = (size_t)(dest - rname);
			uint64_t st[18];
			copy(target, rname, used);
			copy(target + used, "/", 2);
			long r =
			    path_call(__NR_newfstatat, 1, AT_FDCWD_, (long)target, (long)st, 0, 0);
			if (r < 0)
				return (int)r;
		}
	}
	if (dest > rname + 1 && dest[-1] == '/')
		dest--;
	*dest = '\0';
	return 0;
}

#define SCRATCH (PATH_MAX_ + 2)

EXPORT char *realpath(const char *path, char *resolved)
{
	char *rname;
	int r;

	if (!path) {
		*__errno_location() = E_INVAL;
		return NULL;
	}
	if (!path[0]) {
		*__errno_location() = E_NOENT;
		return NULL;
	}
	/* Like glibc's, not async-signal-safe: its buffers come from the heap, not the stack. */
	rname = malloc && free ? malloc(3 * SCRATCH) : NULL;
	if (!rname) {
		*__errno_location() = E_NOMEM;
		return NULL;
	}
	rname[0] = '\0';
	r = resolve(path, rname, rname + SCRATCH, rname + 2 * SCRATCH);
	if (r < 0) {
		/* glibc leaves what it resolved in the caller's buffer: missing, unreadable. */
		if (resolved && (r == -E_NOENT || r == -E_ACCES))
			copy(resolved, rname, length_of(rname) + 1);
		free(rname);
		*__errno_location() = -r;
		return NULL;
	}
	size_t n = length_of(rname) + 1;
	if (!resolved) {
		resolved = malloc(n); /* exactly the size, as glibc's */
		if (!resolved) {
			free(rname);
			*__errno_location() = E_NOMEM;
			return NULL;
		}
	}
	copy(resolved, rname, n);
	free(rname);
	return resolved;
}

EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}

EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	if (resolvedlen < PATH_MAX_ && __chk_fail)
		__chk_fail();
	return realpath(path, resolved);
}

/* ---- the sender's address of a datagram (recvfrom, recvmsg) ---- */

#define AF_UNIX_ 1
#define SUN_PATH_ 108

struct iovec_;
struct msghdr_ {
	void *msg_name;
	unsigned int msg_namelen;
	struct iovec_ *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};

/*
 * A socket bound at a path too long for sun_path kept the alias it was
 * bound as, /.groot-socket-HASH; the tracer named its guest path in
 * $RUN/s/bound-HASH (runner/sockaddr.c). Its length, or <= 0.
 */
#define ALIAS_ "/.groot-socket-"

static long bound_alias_name(const char *guest, char named[SUN_PATH_])
{
	char link[PATH_MAX_];
	size_t alias = sizeof(ALIAS_) - 1, run = config->mount_length - 4; /* "$RUN/mnt" */
	size_t hash = length_of(guest + alias);

	if (!same(guest, ALIAS_, alias) || config->mount_length < 5 ||
	    run + sizeof("/s/bound-") + hash > sizeof(link))
		return 0;
	copy(link, config->mount, run);
	copy(link + run, "/s/bound-", 9);
	copy(link + run + 9, guest + alias, hash + 1);
	long n = gate(__NR_readlink, (long)link, (long)named, SUN_PATH_ - 1, 0, 0, 0);
	if (n > 0)
		named[n] = '\0';
	return n;
}

/*
 * An AF_UNIX address the kernel filled in (*length bytes, of capacity):
 * a socket bound in the view has the view's host path; the guest's path is
 * shorter, so it always fits where that one did. What the kernel cut short
 * is left alone.
 */
static void guest_address(void *address, unsigned int *length, unsigned int capacity)
{
	unsigned short family;
	char *path = (char *)address + 2;
	size_t n, guest_length;
	const char *guest;

	if (!config || !address || *length <= 3 || *length > capacity || *length > 2 + SUN_PATH_)
		return;
	copy((char *)&family, address, 2);
	if (family != AF_UNIX_ || path[0] != '/')
		return;
	for (n = 0; n < *length - 2 && path[n]; n++)
		;
	if (n == *length - 2)
		return; /* no NUL in what the kernel copied: maybe cut short */
	if (!(guest = guest_view(path, &guest_length)) || guest == path)
		return;
	char named[SUN_PATH_];
	long named_length = bound_alias_name(guest, named);
	if (named_length > 0) {
		guest = named;
		guest_length = (size_t)named_length;
	}
	move(path, guest, guest_length + 1);
	*length = (unsigned int)(2 + guest_length + 1);
}

typedef long (*recvfrom_fn)(int, void *, size_t, int, void *, unsigned int *);
typedef long (*recvmsg_fn)(int, struct msghdr_ *, int);

EXPORT long recvfrom(int fd, void *buf, size_t size, int flags, void *address, unsigned int *length)
{
	static void *next;
	recvfrom_fn f = (recvfrom_fn)next_function(&next, "recvfrom");
	unsigned int capacity = address && length ? *length : 0;
	long n = f ? f(fd, buf, size, flags, address, length)
		   : result(raw(__NR_recvfrom, fd, (long)buf, (long)size, flags, (long)address,
				(long)length));

	if (n >= 0 && address && length)
		guest_address(address, length, capacity);
	return n;
}

EXPORT long recvmsg(int fd, struct msghdr_ *msg, int flags)
{
	static void *next;
	recvmsg_fn f = (recvmsg_fn)next_function(&next, "recvmsg");
	unsigned int capacity = msg ? msg->msg_namelen : 0;
	long n = f ? f(fd, msg, flags) : result(raw(__NR_recvmsg, fd, (long)msg, flags, 0, 0, 0));

	if (n >= 0 && msg && msg->msg_name)
		guest_address(msg->msg_name, &msg->msg_namelen, capacity);
	return n;
}
