// SPDX-License-Identifier: MIT
/*
 * groot-fast.so: the tracee's half of the fast path (shim/fast.h).
 *
 * Interposes libc's path functions. A path the tracer would only prefix
 * (absolute without "..", outside every direct bind and short enough; or
 * relative without "..") is prefixed here and the syscall issued through
 * the shim's gate, which the seccomp filter lets through; a lookup of a path
 * with ".." is resolved by the kernel beneath the view's root (beneath_call)
 * unless it would leave the view; any other path,
 * or any call before the constructor found the shim's data, is issued as a
 * plain syscall from this library, which the filter sends to the tracer.
 * Results carrying paths (readlink, getcwd, realpath) are detranslated as
 * the tracer would.
 *
 * Freestanding: no libc headers (their fortify wrappers and declarations
 * would get in the way), no DT_NEEDED. Only __errno_location is required of
 * the libc in the process; fdopendir, fdopen, malloc and dlsym are weak.
 * Everything but the interposed functions is hidden, so nothing else of the
 * program changes.
 */
#include "internal.h"

const struct groot_fast *config;

/* ---- small freestanding helpers ---- */

size_t length_of(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void copy(char *to, const char *from, size_t n)
{
	while (n--)
		*to++ = *from++;
}

/* copy() for overlapping ranges. */
void move(char *to, const char *from, size_t n)
{
	if (to <= from) {
		copy(to, from, n);
		return;
	}
	while (n--)
		to[n] = from[n];
}

int same(const char *a, const char *b, size_t n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

long gate(long nr, long a, long b, long c, long d, long e, long f)
{
	return ((groot_gate_fn)config->gate)(nr, a, b, c, d, e, f);
}

/* A kernel result → libc's convention. */
long result(long r)
{
	if ((unsigned long)r > -4096UL) {
		*__errno_location() = (int)-r;
		return -1;
	}
	return r;
}

/* ---- the tracer's rules, in the tracee ---- */

static int has_dotdot(const char *p)
{
	for (size_t i = 0; p[i]; i++)
		if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/') &&
		    (p[i + 2] == '/' || p[i + 2] == '\0'))
			return 1;
	return 0;
}

/* Does path start with the component prefix of length n? */
int under(const char *path, const char *prefix, size_t n)
{
	if (n == 1 && prefix[0] == '/')
		return path[0] == '/'; /* a bind of the host's root holds every absolute path */
	return same(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The direct bind containing the guest path (by_host: the host path), the
 * most specific one as the tracer picks it: returns its guest string or NULL.
 */
static const char *direct_of(const char *guest, int by_host, size_t *guest_length,
			     const char **host)
{
	const char *best = 0;
	size_t best_n = 0;

	for (const char *d = config->directs; *d;) {
		const char *h = d + length_of(d) + 1;
		const char *key = by_host ? h : d;
		size_t n = length_of(key);
		if (under(guest, key, n) && (!best || n > best_n)) {
			best = d;
			best_n = n;
			*guest_length = length_of(d);
			*host = h;
		}
		d = h + length_of(h) + 1;
	}
	return best;
}

/*
 * Does the relative path end in a component named like a direct bind point
 * (/proc's "proc")? The view shows a bind point as a symlink to its guest
 * path, which a walk through it follows; but lstat, readlink or O_NOFOLLOW on
 * the point itself would see the link, so the tracer decides (translate.c).
 */
static int names_bind_point(const char *path)
{
	const char *last = path;
	size_t n;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1])
			last = p + 1;
	n = length_of(last);
	if (n && last[n - 1] == '/')
		return 0; /* "proc/": the link is followed */
	for (const char *d = config->directs; *d;) {
		size_t dn = length_of(d);
		const char *h = d + dn + 1;

		if (dn > n && d[dn - n - 1] == '/' && same(d + dn - n, last, n))
			return 1;
		d = h + length_of(h) + 1;
	}
	return 0;
}

/*
 * The path to hand the kernel through the gate: path itself (relative),
 * buf = mountpoint + path (absolute), or NULL: the tracer must see it.
 */
const char *fast_path(const char *path, char *buf)
{
	size_t n, guest_length;
	const char *host;

	last_stat.flags = -1; /* a call on some path since: remember_stat's answer may be stale */
	if (!config || !path)
		return NULL;
	if (path[0] != '/')
		return has_dotdot(path) || names_bind_point(path) ? NULL : path;
	while (path[1] == '/')
		path++;
	if (has_dotdot(path) || direct_of(path, 0, &guest_length, &host))
		return NULL;
	n = length_of(path);
	if (config->mount_length + n >= PATH_MAX_)
		return NULL;
	copy(buf, config->mount, config->mount_length);
	copy(buf + config->mount_length, path, n + 1);
	return buf;
}

/* The direct bind whose host side holds a host path most closely (its guest string), or NULL. */
const char *direct_of_host(const char *host_path, size_t *guest_length, const char **host)
{
	return direct_of(host_path, 1, guest_length, host);
}

/*
 * fast_path() for lookups (stat, access, readlink, an open for reading):
 * also a path in a direct bind, as the tracer translates it (the bind's
 * host path and the rest), but /proc's, which the tracer rewrites.
 * *bind: the direct bind's guest string, or NULL for the view.
 */
const char *fast_lookup_path(const char *path, char *buf, const char **bind)
{
	size_t guest_length, n;
	const char *host, *p = fast_path(path, buf);

	*bind = NULL;
	if (p || !config || !path || path[0] != '/')
		return p;
	while (path[1] == '/')
		path++;
	if (has_dotdot(path) || !(*bind = direct_of(path, 0, &guest_length, &host)) ||
	    under(path, "/proc", 5)) {
		*bind = NULL;
		return NULL;
	}
	n = length_of(host);
	if (n == guest_length && same(host, path, n))
		return path; /* the same path on the host */
	if (n + length_of(path + guest_length) >= PATH_MAX_) {
		*bind = NULL;
		return NULL;
	}
	copy(buf, host, n);
	copy(buf + n, path + guest_length, length_of(path + guest_length) + 1);
	return buf;
}

/*
 * Host path → guest path, as the tracer's detranslate_path, without a copy:
 * a pointer into host (or "/"), its length in *length; NULL when a direct
 * bind maps it to another prefix (the tracer then does it).
 */
const char *guest_view(const char *host, size_t *length)
{
	size_t guest_length;
	const char *host_prefix;

	if (under(host, config->mount, config->mount_length)) {
		const char *rest = host + config->mount_length;
		if (!*rest)
			rest = "/";
		*length = length_of(rest);
		return rest;
	}
	if (direct_of(host, 1, &guest_length, &host_prefix) &&
	    (guest_length != length_of(host_prefix) || !same(host, host_prefix, guest_length)))
		return NULL;
	*length = length_of(host);
	return host;
}

/* ---- paths with "..": the kernel walks them beneath the view's root ---- */

#define RESOLVE_BENEATH_ 0x08

struct open_how_ {
	uint64_t flags, mode, resolve;
};

/*
 * Open a path holding ".." as the guest would see it, with openat2's
 * RESOLVE_BENEATH from the view's root: the kernel follows ".." and
 * relative symlinks itself and refuses (EXDEV) whatever would leave the
 * view: a ".." above the guest's root (which the guest clamps), an absolute
 * symlink (the view's point at host paths) or a direct bind (one of those).
 * Those, and EXDEV, are the tracer's walk. A relative path starts from the
 * cwd, which must lie in the view. Returns an fd, -errno or NOT_HANDLED.
 */
static long open_beneath(int dirfd, const char *path, long flags, long mode)
{
	char joined[PATH_MAX_];
	const char *rel = path;
	struct open_how_ how = {(uint64_t)flags, (uint64_t)mode, RESOLVE_BENEATH_};
	long root, fd;

	if (names_bind_point(path))
		return NOT_HANDLED; /* the walk may end on a bind point's link */
	if (path[0] == '/') {
		while (*rel == '/')
			rel++;
		if (!*rel)
			rel = ".";
	} else {
		size_t n = length_of(path), at;
		long cwd;

		if (dirfd != AT_FDCWD_ || !n)
			return NOT_HANDLED;
		cwd = gate(__NR_getcwd, (long)joined, sizeof(joined), 0, 0, 0, 0);
		if (cwd <= 0 || !under(joined, config->mount, config->mount_length))
			return NOT_HANDLED;
		at = (size_t)cwd - 1; /* the NUL */
		if (at + 1 + n + 1 > sizeof(joined))
			return NOT_HANDLED;
		joined[at] = '/';
		copy(joined + at + 1, path, n + 1);
		rel = joined + config->mount_length;
		while (*rel == '/')
			rel++;
	}
	root = gate(__NR_openat, AT_FDCWD_, (long)config->mount, O_PATH | O_DIRECTORY | O_CLOEXEC,
		    0, 0, 0);
	if (root < 0)
		return NOT_HANDLED;
	/*
	 * EAGAIN: a rename or mount anywhere on the system while the walk
	 * crossed "..": the kernel cannot vouch that it stayed beneath, and
	 * asks for a retry (a build renames files all the time).
	 */
	for (int tries = 0; tries < 8; tries++) {
		fd = gate(__NR_openat2, root, (long)rel, (long)&how, sizeof(how), 0, 0);
		if (fd != -11 /* EAGAIN */)
			break;
	}
	gate(__NR_close, root, 0, 0, 0, 0, 0);
	/* EXDEV: it leaves the view; EINVAL: flags openat2 refuses and openat ignores; ENOSYS. */
	if (fd == -18 /* EXDEV */ || fd == -E_INVAL || fd == -38 /* ENOSYS */ || fd == -11)
		return NOT_HANDLED;
	return fd;
}

/* Lookup-only calls (stat, access, chdir, open) on a path with "..", or NOT_HANDLED. */
long beneath_call(long nr, const long *args)
{
	const long nofollow = AT_SYMLINK_NOFOLLOW, path_flags = O_PATH | O_CLOEXEC;
	const char *path;
	long fd, r, flags, mode;

	switch (nr) {
	case __NR_newfstatat:
	case __NR_statx:
	case __NR_faccessat:
	case __NR_faccessat2:
	case __NR_openat:
		path = (const char *)args[1];
		break;
	case __NR_chdir:
		path = (const char *)args[0];
		break;
	default:
		return NOT_HANDLED; /* the path may not even be args[1] */
	}
	if (!config || !path || !has_dotdot(path))
		return NOT_HANDLED;
	switch (nr) {
	case __NR_newfstatat:
		if (args[3] & ~(nofollow | AT_NO_AUTOMOUNT))
			return NOT_HANDLED;
		fd = open_beneath((int)args[0], path, path_flags | (args[3] & nofollow ? O_NOFOLLOW : 0), 0);
		if (fd < 0)
			return fd;
		r = gate(__NR_newfstatat, fd, (long)"", args[2], AT_EMPTY_PATH, 0, 0);
		break;
	case __NR_statx:
		if (args[2] & AT_EMPTY_PATH)
			return NOT_HANDLED;
		fd = open_beneath((int)args[0], path, path_flags | (args[2] & nofollow ? O_NOFOLLOW : 0), 0);
		if (fd < 0)
			return fd;
		r = gate(__NR_statx, fd, (long)"", (args[2] & ~nofollow) | AT_EMPTY_PATH, args[3], args[4], 0);
		break;
	case __NR_faccessat:
	case __NR_faccessat2:
		flags = nr == __NR_faccessat2 ? args[3] : 0;
		if (flags & ~(nofollow | AT_EACCESS))
			return NOT_HANDLED;
		fd = open_beneath((int)args[0], path, path_flags | (flags & nofollow ? O_NOFOLLOW : 0), 0);
		if (fd < 0)
			return fd;
		r = gate(__NR_faccessat2, fd, (long)"", args[2], (flags & AT_EACCESS) | AT_EMPTY_PATH, 0, 0);
		if (r == -38 /* ENOSYS: before Linux 5.8 */) {
			gate(__NR_close, fd, 0, 0, 0, 0, 0);
			return NOT_HANDLED;
		}
		break;
	case __NR_chdir:
		fd = open_beneath(AT_FDCWD_, path, path_flags | O_DIRECTORY, 0);
		if (fd < 0)
			return fd;
		r = gate(__NR_fchdir, fd, 0, 0, 0, 0, 0);
		break;
	case __NR_openat:
		/* openat(2) makes every open O_LARGEFILE on 64-bit; openat2 leaves it to us. */
		flags = args[2] | O_LARGEFILE;
		mode = (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? args[3] & 07777 : 0;
		return open_beneath((int)args[0], path, flags, mode);
	default:
		return NOT_HANDLED;
	}
	gate(__NR_close, fd, 0, 0, 0, 0, 0);
	return r;
}

/* One syscall whose argument `at` is a path. */
long path_call(long nr, int at, long a, long b, long c, long d, long e)
{
	long args[5] = {a, b, c, d, e};
	char buf[PATH_MAX_];
	const char *p = fast_path((const char *)args[at], buf);

	if (!p) {
		long r = beneath_call(nr, args);

		if (r != NOT_HANDLED)
			return r;
		return raw(nr, args[0], args[1], args[2], args[3], args[4], 0);
	}
	args[at] = (long)p;
	return gate(nr, args[0], args[1], args[2], args[3], args[4], 0);
}

/* path_call() for a lookup: one in a direct bind is fast too (fast_lookup_path). */
long lookup_call(long nr, int at, long a, long b, long c, long d, long e)
{
	long args[5] = {a, b, c, d, e};
	char buf[PATH_MAX_];
	const char *bind, *p = fast_lookup_path((const char *)args[at], buf, &bind);

	if (!p)
		return path_call(nr, at, a, b, c, d, e);
	args[at] = (long)p;
	return gate(nr, args[0], args[1], args[2], args[3], args[4], 0);
}

/*
 * Is some direct bind read-only? The tracer's marker pair in the list
 * (runner/fast_path.c). Then every change goes to the tracer: wherever a
 * path leads (a relative one from a cwd in the bind, a symlink into it), the
 * tracer finds out and answers EROFS.
 */
int read_only_binds(void)
{
	static int known = -1;

	if (known < 0 && config) {
		size_t guest_length;
		const char *host;
		known = direct_of(GROOT_FAST_READ_ONLY, 0, &guest_length, &host) != 0;
	}
	return known > 0;
}

/* path_call() for a change (mkdir, unlink, chmod...): the tracer's with read-only binds. */
long write_call(long nr, int at, long a, long b, long c, long d, long e)
{
	last_stat.flags = -1;
	if (read_only_binds())
		return raw(nr, a, b, c, d, e, 0);
	return path_call(nr, at, a, b, c, d, e);
}

long write2_call(long nr, int at1, int at2, long a, long b, long c, long d, long e)
{
	last_stat.flags = -1;
	if (read_only_binds())
		return raw(nr, a, b, c, d, e, 0);
	return path2_call(nr, at1, at2, a, b, c, d, e);
}

/* Two path arguments (rename): both must be fast, or the tracer sees the call. */
long path2_call(long nr, int at1, int at2, long a, long b, long c, long d, long e)
{
	long args[5] = {a, b, c, d, e};
	char buf1[PATH_MAX_], buf2[PATH_MAX_];
	const char *p1 = fast_path((const char *)args[at1], buf1);
	const char *p2 = p1 ? fast_path((const char *)args[at2], buf2) : NULL;

	if (!p2)
		return raw(nr, args[0], args[1], args[2], args[3], args[4], 0);
	args[at1] = (long)p1;
	args[at2] = (long)p2;
	return gate(nr, args[0], args[1], args[2], args[3], args[4], 0);
}

/* ---- the constructor ---- */

/*
 * glibc calls DT_INIT_ARRAY functions with (argc, argv, envp). Find the
 * shim's struct through the LD_PRELOAD entry it added, and take that entry
 * back out of the environment: the guest sees its own.
 */
__attribute__((constructor)) static void fast_init(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; envp && envp[i]; i++) {
		uintptr_t p = (uintptr_t)envp[i];
		if (p < GROOT_SHIM_BASE || p >= GROOT_SHIM_BASE + GROOT_SHIM_SIZE)
			continue;
		const struct groot_fast *f = (const struct groot_fast *)p;
		if (f->magic != GROOT_FAST_MAGIC || f->version != GROOT_FAST_VERSION)
			continue;
		if (f->original) {
			envp[i] = (char *)f->original;
		} else {
			for (size_t j = i; envp[j]; j++)
				envp[j] = envp[j + 1];
		}
		config = f;
		return;
	}
}
