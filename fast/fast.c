// SPDX-License-Identifier: MIT
/*
 * groot-fast.so: the tracee's half of the fast path (shim/fast.h).
 *
 * Interposes libc's path functions. A path the tracer would only prefix
 * (absolute without "..", outside every direct bind and short enough; or
 * relative without "..") is prefixed here and the syscall issued through
 * the shim's gate, which the seccomp filter lets through; any other path,
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
#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>

#include "config.h"
#include "fast.h"
#include "syscall.h"
#include "xattr_hints.h"

#define EXPORT __attribute__((visibility("default")))
#define PATH_MAX_ 4096
#define MAX_SYMLINKS 40 /* glibc's __eloop_threshold */

#define E_NOENT 2
#define E_ACCES 13
#define E_INVAL 22
#define E_NOTDIR 20
#define E_RANGE 34
#define E_NAMETOOLONG 36
#define E_LOOP 40
#define E_NOMEM 12
#define E_SPIPE 29

typedef struct file FILE_;
extern int *__errno_location(void);
extern void *fdopendir(int fd) __attribute__((weak));
extern FILE_ *fdopen(int fd, const char *mode) __attribute__((weak));
extern void *malloc(size_t size) __attribute__((weak));
extern void free(void *pointer) __attribute__((weak));
extern void *dlsym(void *handle, const char *name) __attribute__((weak));
extern void __chk_fail(void) __attribute__((weak, noreturn));
#define RTLD_NEXT_ ((void *)-1L)

static const struct groot_fast *config;

/* ---- small freestanding helpers ---- */

static size_t length_of(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void copy(char *to, const char *from, size_t n)
{
	while (n--)
		*to++ = *from++;
}

/* copy() for overlapping ranges. */
static void move(char *to, const char *from, size_t n)
{
	if (to <= from) {
		copy(to, from, n);
		return;
	}
	while (n--)
		to[n] = from[n];
}

static int same(const char *a, const char *b, size_t n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* A plain syscall from this library: the filter sends it to the tracer. */
#define raw shim_syscall6

static long gate(long nr, long a, long b, long c, long d, long e, long f)
{
	return ((groot_gate_fn)config->gate)(nr, a, b, c, d, e, f);
}

/* A kernel result → libc's convention. */
static long result(long r)
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
static int under(const char *path, const char *prefix, size_t n)
{
	return same(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

/* The direct bind containing the guest path (guest, host): returns its guest string or NULL. */
static const char *direct_of(const char *guest, int by_host, size_t *guest_length,
			     const char **host)
{
	for (const char *d = config->directs; *d;) {
		const char *h = d + length_of(d) + 1;
		const char *key = by_host ? h : d;
		size_t n = length_of(key);
		if (under(guest, key, n)) {
			*guest_length = length_of(d);
			*host = h;
			return d;
		}
		d = h + length_of(h) + 1;
	}
	return NULL;
}

/*
 * The path to hand the kernel through the gate: path itself (relative),
 * buf = mountpoint + path (absolute), or NULL: the tracer must see it.
 */
static const char *fast_path(const char *path, char *buf)
{
	size_t n, guest_length;
	const char *host;

	if (!config || !path)
		return NULL;
	if (path[0] != '/')
		return has_dotdot(path) ? NULL : path;
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

/*
 * Host path → guest path, as the tracer's detranslate_path, without a copy:
 * a pointer into host (or "/"), its length in *length; NULL when a direct
 * bind maps it to another prefix (the tracer then does it).
 */
static const char *guest_view(const char *host, size_t *length)
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

/* One syscall whose argument `at` is a path. */
static long path_call(long nr, int at, long a, long b, long c, long d, long e)
{
	long args[5] = {a, b, c, d, e};
	char buf[PATH_MAX_];
	const char *p = fast_path((const char *)args[at], buf);

	if (!p)
		return raw(nr, args[0], args[1], args[2], args[3], args[4], 0);
	args[at] = (long)p;
	return gate(nr, args[0], args[1], args[2], args[3], args[4], 0);
}

/* Two path arguments (rename, link): both must be fast, or the tracer sees the call. */
static long path2_call(long nr, int at1, int at2, long a, long b, long c, long d, long e)
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

/* ---- stat ---- */

#define AT_FDCWD_ (-100)

EXPORT int fstatat(int fd, const char *path, void *st, int flags)
{
	return (int)result(path_call(__NR_newfstatat, 1, fd, (long)path, (long)st, flags, 0));
}
EXPORT int fstatat64(int fd, const char *path, void *st, int flags) __attribute__((alias("fstatat")));

EXPORT int stat(const char *path, void *st)
{
	return fstatat(AT_FDCWD_, path, st, 0);
}
EXPORT int stat64(const char *path, void *st) __attribute__((alias("stat")));

EXPORT int lstat(const char *path, void *st)
{
	return fstatat(AT_FDCWD_, path, st, AT_SYMLINK_NOFOLLOW);
}
EXPORT int lstat64(const char *path, void *st) __attribute__((alias("lstat")));

/* glibc before 2.33: stat() was an inline calling these, with _STAT_VER 0 or 1 on x86_64. */
static int stat_version(int version)
{
	if (version == 0 || version == 1)
		return 0;
	*__errno_location() = E_INVAL;
	return -1;
}

EXPORT int __fxstatat(int version, int fd, const char *path, void *st, int flags)
{
	return stat_version(version) ?: fstatat(fd, path, st, flags);
}
EXPORT int __fxstatat64(int version, int fd, const char *path, void *st, int flags)
	__attribute__((alias("__fxstatat")));

EXPORT int __xstat(int version, const char *path, void *st)
{
	return stat_version(version) ?: fstatat(AT_FDCWD_, path, st, 0);
}
EXPORT int __xstat64(int version, const char *path, void *st) __attribute__((alias("__xstat")));

EXPORT int __lxstat(int version, const char *path, void *st)
{
	return stat_version(version) ?: fstatat(AT_FDCWD_, path, st, AT_SYMLINK_NOFOLLOW);
}
EXPORT int __lxstat64(int version, const char *path, void *st) __attribute__((alias("__lxstat")));

EXPORT int statx(int fd, const char *path, int flags, unsigned int mask, void *stx)
{
	return (int)result(path_call(__NR_statx, 1, fd, (long)path, flags, mask, (long)stx));
}

/* ---- access ---- */

EXPORT int faccessat(int fd, const char *path, int mode, int flags)
{
	if (flags == 0)
		return (int)result(path_call(__NR_faccessat, 1, fd, (long)path, mode, 0, 0));
	return (int)result(path_call(__NR_faccessat2, 1, fd, (long)path, mode, flags, 0));
}

EXPORT int access(const char *path, int mode)
{
	return faccessat(AT_FDCWD_, path, mode, 0);
}

/* ---- open ---- */

static int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

static int open_at(int fd, const char *path, int flags, unsigned int mode)
{
	char buf[PATH_MAX_];
	const char *p = fast_path(path, buf);
	long r;

	if (p) {
		r = gate(__NR_openat, fd, (long)p, flags, mode, 0, 0);
		/* EACCES: maybe a device recorded by fake root mknod, which the tracer opens. */
		if (r != -E_ACCES)
			return (int)result(r);
	}
	return (int)result(raw(__NR_openat, fd, (long)path, flags, mode, 0, 0));
}

/* The optional mode argument of open(2), read only when the flags say it was passed. */
#define MODE_ARG(flags, mode)                                                                     \
	do {                                                                                      \
		if (needs_mode(flags)) {                                                          \
			__builtin_va_list ap;                                                     \
			__builtin_va_start(ap, flags);                                            \
			mode = __builtin_va_arg(ap, unsigned int);                                \
			__builtin_va_end(ap);                                                     \
		}                                                                                 \
	} while (0)

EXPORT int openat(int fd, const char *path, int flags, ...)
{
	unsigned int mode = 0;

	MODE_ARG(flags, mode);
	return open_at(fd, path, flags, mode);
}
EXPORT int openat64(int fd, const char *path, int flags, ...) __attribute__((alias("openat")));

EXPORT int open(const char *path, int flags, ...)
{
	unsigned int mode = 0;

	MODE_ARG(flags, mode);
	return open_at(AT_FDCWD_, path, flags, mode);
}
EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));

/* _FORTIFY_SOURCE's checked variants: O_CREAT without a mode is the bug they catch. */
EXPORT int __openat_2(int fd, const char *path, int flags)
{
	if (needs_mode(flags) && __chk_fail)
		__chk_fail();
	return open_at(fd, path, flags, 0);
}
EXPORT int __openat64_2(int fd, const char *path, int flags) __attribute__((alias("__openat_2")));

EXPORT int __open_2(const char *path, int flags)
{
	return __openat_2(AT_FDCWD_, path, flags);
}
EXPORT int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

EXPORT int creat(const char *path, unsigned int mode)
{
	return open_at(AT_FDCWD_, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
EXPORT int creat64(const char *path, unsigned int mode) __attribute__((alias("creat")));

/* ---- readlink: the tracer's emulation, here ---- */

static long readlink_at(int fd, const char *path, char *buf, size_t size)
{
	/*
	 * One page of stack (signal handlers on small alternate stacks call
	 * readlink): the prefixed path, then the target the kernel reads.
	 */
	char b[PATH_MAX_ + 1];
	const char *p = fast_path(path, b), *guest;
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
	    (n == (long)length_of(config->shim) && same(target, config->shim, (size_t)n)) ||
	    !(guest = guest_view(target, &length)))
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
			long r = path_call(__NR_newfstatat, 1, AT_FDCWD_, (long)target, (long)st, 0, 0);
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

/* ---- directories and streams: open fast, let libc wrap the fd ---- */

EXPORT void *opendir(const char *path)
{
	long fd;
	void *dir;

	if (!fdopendir) {
		*__errno_location() = E_NOMEM;
		return NULL;
	}
	fd = open_at(AT_FDCWD_, path, O_RDONLY | O_NDELAY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	dir = fdopendir((int)fd);
	if (!dir) {
		int saved = *__errno_location();
		raw(__NR_close, fd, 0, 0, 0, 0, 0);
		*__errno_location() = saved;
	}
	return dir;
}

/* fopen's mode → open flags, as glibc parses it; -1 for what only fopen itself handles. */
static int fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (const char *m = mode + 1; *m; m++) {
		switch (*m) {
		case '+':
			flags = (flags & ~O_ACCMODE) | O_RDWR;
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		case 'e':
			flags |= O_CLOEXEC;
			break;
		case 'b':
		case 't':
		case 'm':
		case 'c':
			break;
		default:
			return -1; /* ",ccs=" and anything new */
		}
	}
	return flags;
}

static FILE_ *fopen_fast(const char *path, const char *mode, const char *name)
{
	char buf[PATH_MAX_];
	int flags = mode ? fopen_flags(mode) : -1;
	const char *p = flags >= 0 && fdopen ? fast_path(path, buf) : NULL;
	FILE_ *(*next)(const char *, const char *);
	long fd;

	if (p) {
		fd = gate(__NR_openat, AT_FDCWD_, (long)p, flags, 0666, 0, 0);
		/* _IO_file_open: a write-only append stream starts at the end (ftell says so). */
		if (fd >= 0 && (flags & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND)) {
			long end = gate(__NR_lseek, fd, 0, 2 /* SEEK_END */, 0, 0, 0);
			if (end < 0 && end != -E_SPIPE) {
				raw(__NR_close, fd, 0, 0, 0, 0, 0);
				*__errno_location() = (int)-end;
				return NULL;
			}
		}
		if (fd >= 0) {
			FILE_ *f = fdopen((int)fd, mode);
			if (!f) {
				int saved = *__errno_location();
				raw(__NR_close, fd, 0, 0, 0, 0, 0);
				*__errno_location() = saved;
			}
			return f;
		}
		if (fd != -E_ACCES) {
			*__errno_location() = (int)-fd;
			return NULL;
		}
	}
	next = dlsym ? (FILE_ * (*)(const char *, const char *)) dlsym(RTLD_NEXT_, name) : NULL;
	if (next)
		return next(path, mode);
	*__errno_location() = E_NOMEM;
	return NULL;
}

EXPORT FILE_ *fopen(const char *path, const char *mode)
{
	return fopen_fast(path, mode, "fopen");
}

EXPORT FILE_ *fopen64(const char *path, const char *mode)
{
	return fopen_fast(path, mode, "fopen64");
}

/* ---- xattrs ---- */

/*
 * The view's hints table (common/xattr_hints.h), mapped on first use:
 * NULL until then, (void *)-1 when it cannot be had.
 */
static const struct xattr_hints *hints;
static uint64_t view_dev;

#define NO_HINTS ((const struct xattr_hints *)-1L)

static const struct xattr_hints *map_hints(void)
{
	const struct xattr_hints *h = __atomic_load_n(&hints, __ATOMIC_ACQUIRE);
	uint64_t st[18]; /* struct stat (x86_64): st_dev at 0, st_size at 48 */
	long fd, map, dev;

	if (h)
		return h;
	h = NO_HINTS;
	if (config->hints[0]) {
		dev = gate(__NR_newfstatat, AT_FDCWD_, (long)config->mount, (long)st, 0, 0, 0);
		fd = dev < 0 ? -1 : gate(__NR_openat, AT_FDCWD_, (long)config->hints, O_RDONLY | O_CLOEXEC, 0, 0, 0);
		if (fd >= 0) {
			view_dev = st[0];
			map = raw(__NR_mmap, 0, (long)xattr_hints_size(XATTR_HINTS_SLOTS_LOG2), 1 /* PROT_READ */,
				  1 /* MAP_SHARED */, fd, 0);
			raw(__NR_close, fd, 0, 0, 0, 0, 0);
			if ((unsigned long)map < -4096UL) {
				const struct xattr_hints *m = (const void *)map;
				if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) == XATTR_HINTS_MAGIC &&
				    m->version == XATTR_HINTS_VERSION &&
				    m->slots_log2 == XATTR_HINTS_SLOTS_LOG2)
					h = m;
				else
					raw(__NR_munmap, map, (long)xattr_hints_size(XATTR_HINTS_SLOTS_LOG2), 0, 0, 0, 0);
			}
		}
	}
	/* Two threads may race here: the loser's mapping stays, unused (2 MiB of address space). */
	__atomic_store_n(&hints, h, __ATOMIC_RELEASE);
	return h;
}

/* Does the view say path has no xattr the guest could see? (a cached stat and a probe) */
static int no_xattrs(const char *path, int follow)
{
	char buf[PATH_MAX_];
	const char *p = fast_path(path, buf);
	const struct xattr_hints *h;
	uint64_t st[18];

	if (!p || (h = map_hints()) == NO_HINTS)
		return 0;
	if (gate(__NR_newfstatat, AT_FDCWD_, (long)p, (long)st, follow ? 0 : AT_SYMLINK_NOFOLLOW, 0, 0) < 0)
		return 0;
	return st[0] == view_dev && xattr_hints_none(h, st[1]);
}

EXPORT long getxattr(const char *path, const char *name, void *value, size_t size)
{
	return result(path_call(__NR_getxattr, 0, (long)path, (long)name, (long)value, (long)size, 0));
}

EXPORT long lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	return result(path_call(__NR_lgetxattr, 0, (long)path, (long)name, (long)value, (long)size, 0));
}

EXPORT long listxattr(const char *path, char *list, size_t size)
{
	if (no_xattrs(path, 1))
		return 0;
	return result(path_call(__NR_listxattr, 0, (long)path, (long)list, (long)size, 0, 0));
}

EXPORT long llistxattr(const char *path, char *list, size_t size)
{
	if (no_xattrs(path, 0))
		return 0;
	return result(path_call(__NR_llistxattr, 0, (long)path, (long)list, (long)size, 0, 0));
}

/* ---- the rest of the prefix-only calls ---- */

EXPORT int chdir(const char *path)
{
	return (int)result(path_call(__NR_chdir, 0, (long)path, 0, 0, 0, 0));
}

EXPORT int mkdirat(int fd, const char *path, unsigned int mode)
{
	return (int)result(path_call(__NR_mkdirat, 1, fd, (long)path, mode, 0, 0));
}

EXPORT int mkdir(const char *path, unsigned int mode)
{
	return mkdirat(AT_FDCWD_, path, mode);
}

EXPORT int unlinkat(int fd, const char *path, int flags)
{
	return (int)result(path_call(__NR_unlinkat, 1, fd, (long)path, flags, 0, 0));
}

EXPORT int unlink(const char *path)
{
	return unlinkat(AT_FDCWD_, path, 0);
}

EXPORT int rmdir(const char *path)
{
	return unlinkat(AT_FDCWD_, path, AT_REMOVEDIR);
}

#define E_ISDIR 21

EXPORT int remove(const char *path)
{
	long r = path_call(__NR_unlinkat, 1, AT_FDCWD_, (long)path, 0, 0, 0);

	if (r == -E_ISDIR)
		r = path_call(__NR_unlinkat, 1, AT_FDCWD_, (long)path, AT_REMOVEDIR, 0, 0);
	return (int)result(r);
}

EXPORT int renameat(int fd1, const char *from, int fd2, const char *to)
{
	return (int)result(
		path2_call(__NR_renameat, 1, 3, fd1, (long)from, fd2, (long)to, 0));
}

EXPORT int rename(const char *from, const char *to)
{
	return renameat(AT_FDCWD_, from, AT_FDCWD_, to);
}

EXPORT int symlinkat(const char *target, int fd, const char *path)
{
	return (int)result(path_call(__NR_symlinkat, 2, (long)target, fd, (long)path, 0, 0));
}

EXPORT int symlink(const char *target, const char *path)
{
	return symlinkat(target, AT_FDCWD_, path);
}

EXPORT int chmod(const char *path, unsigned int mode)
{
	return (int)result(path_call(__NR_fchmodat, 1, AT_FDCWD_, (long)path, mode, 0, 0));
}

EXPORT int utimensat(int fd, const char *path, const void *times, int flags)
{
	if (!path) { /* glibc: futimens is the way to name an fd */
		*__errno_location() = E_INVAL;
		return -1;
	}
	return (int)result(path_call(__NR_utimensat, 1, fd, (long)path, (long)times, flags, 0));
}

EXPORT int truncate(const char *path, long length)
{
	return (int)result(path_call(__NR_truncate, 0, (long)path, length, 0, 0, 0));
}
EXPORT int truncate64(const char *path, long length) __attribute__((alias("truncate")));
