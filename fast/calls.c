// SPDX-License-Identifier: MIT
/* groot-fast.so: the prefix-only calls (stat, access, open, opendir, fopen, writes). */
#include "credentials.h"
#include "internal.h"

/* ---- stat ---- */

EXPORT int fstatat(int fd, const char *path, void *st, int flags)
{
	return (int)result(lookup_call(__NR_newfstatat, 1, fd, (long)path, (long)st, flags, 0));
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
	long r = lookup_call(__NR_statx, 1, fd, (long)path, flags, mask, (long)stx);

	remember_stat(path, flags, r, stx);
	return (int)result(r);
}

/* ---- access ---- */

EXPORT int faccessat(int fd, const char *path, int mode, int flags)
{
	if (flags == 0)
		return (int)result(lookup_call(__NR_faccessat, 1, fd, (long)path, mode, 0, 0));
	return (int)result(lookup_call(__NR_faccessat2, 1, fd, (long)path, mode, flags, 0));
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

/*
 * Under fake root the view sees no opens (shim/fast.h): a thread without
 * CAP_DAC_OVERRIDE (su, a daemon dropping to its user) opens through the
 * tracer, which judges the open. Its slot in the credentials table says,
 * mapped on first use: NULL until then, NO_TABLE when it cannot be had.
 */
static const struct credentials_table *table;
#define NO_TABLE ((const struct credentials_table *)-1L)

static const struct credentials_table *map_table(void)
{
	const struct credentials_table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	struct credentials_table header;
	long fd, map;

	if (t)
		return t;
	t = NO_TABLE;
	fd = gate(__NR_openat, AT_FDCWD_, (long)config->credentials, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd >= 0) {
		if (gate(__NR_pread64, fd, (long)&header, sizeof(header), 0, 0, 0) ==
			(long)sizeof(header) &&
		    header.magic == CREDENTIALS_MAGIC) {
			map = raw(__NR_mmap, 0, (long)credentials_table_size(header.slots),
				  1 /* PROT_READ */, 1 /* MAP_SHARED */, fd, 0);
			if ((unsigned long)map < -4096UL)
				t = (const void *)map;
		}
		raw(__NR_close, fd, 0, 0, 0, 0, 0);
	}
	/* Two threads may race here: the loser's mapping stays, unused (address space only). */
	__atomic_store_n(&table, t, __ATOMIC_RELEASE);
	return t;
}

static int open_needs_tracer(void)
{
	const struct credentials_table *t;
	struct credentials_slot who;

	if (!config || !config->credentials[0])
		return 0;
	t = map_table();
	return t == NO_TABLE ||
	       !credentials_lookup(t, (int32_t)raw(__NR_gettid, 0, 0, 0, 0, 0, 0), &who) ||
	       !(who.caps & CRED_DAC_OVERRIDE);
}

/*
 * open(2) without the tracer: prefixed through the gate, or a path with ".."
 * resolved beneath the view's root. NOT_HANDLED: the tracer's case (a
 * direct bind, a ".." that leaves the view).
 */
static long open_fast(int fd, const char *path, int flags, unsigned int mode)
{
	char buf[PATH_MAX_];
	long args[5] = {fd, (long)path, flags, mode, 0};
	const char *p;

	/* O_NOATIME: the kernel judges it by real ids, the tracer by a fake identity's. */
	if (open_needs_tracer() || (flags & O_NOATIME) ||
	    (((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) &&
	     read_only_binds()))
		return NOT_HANDLED;
	if ((flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC | O_PATH))) {
		const char *bind;
		p = fast_lookup_path(path, buf, &bind); /* reading: a direct bind's path too */
	} else {
		p = fast_path(path, buf);
	}
	if (p)
		return gate(__NR_openat, fd, (long)p, flags, mode, 0, 0);
	return beneath_call(__NR_openat, args);
}

int open_at(int fd, const char *path, int flags, unsigned int mode)
{
	long r = open_fast(fd, path, flags, mode);

	/* EACCES: maybe a device recorded by fake root mknod, which the tracer opens. */
	if (r != NOT_HANDLED && r != -E_ACCES)
		return (int)result(r);
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
	int flags = mode ? fopen_flags(mode) : -1;
	long fd = flags >= 0 && fdopen ? open_fast(AT_FDCWD_, path, flags, 0666) : NOT_HANDLED;
	FILE_ *(*next)(const char *, const char *);

	if (fd != NOT_HANDLED) {
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

/* ---- the rest of the prefix-only calls ---- */

EXPORT int chdir(const char *path)
{
	return (int)result(path_call(__NR_chdir, 0, (long)path, 0, 0, 0, 0));
}

EXPORT int mkdirat(int fd, const char *path, unsigned int mode)
{
	return (int)result(write_call(__NR_mkdirat, 1, fd, (long)path, mode, 0, 0));
}

EXPORT int mkdir(const char *path, unsigned int mode)
{
	return mkdirat(AT_FDCWD_, path, mode);
}

EXPORT int unlinkat(int fd, const char *path, int flags)
{
	return (int)result(write_call(__NR_unlinkat, 1, fd, (long)path, flags, 0, 0));
}

EXPORT int unlink(const char *path)
{
	return unlinkat(AT_FDCWD_, path, 0);
}

EXPORT int rmdir(const char *path)
{
	return unlinkat(AT_FDCWD_, path, AT_REMOVEDIR);
}

EXPORT int remove(const char *path)
{
	long r = write_call(__NR_unlinkat, 1, AT_FDCWD_, (long)path, 0, 0, 0);

	if (r == -E_ISDIR)
		r = write_call(__NR_unlinkat, 1, AT_FDCWD_, (long)path, AT_REMOVEDIR, 0, 0);
	return (int)result(r);
}

EXPORT int renameat(int fd1, const char *from, int fd2, const char *to)
{
	return (int)result(
		write2_call(__NR_renameat, 1, 3, fd1, (long)from, fd2, (long)to, 0));
}

/* For the tracer as before (a flag it must see), after forgetting the last statx. */
EXPORT int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned int flags)
{
	if (!flags)
		return renameat(fd1, from, fd2, to);
	last_stat.flags = -1;
	return (int)result(raw(__NR_renameat2, fd1, (long)from, fd2, (long)to, flags, 0));
}

EXPORT int rename(const char *from, const char *to)
{
	return renameat(AT_FDCWD_, from, AT_FDCWD_, to);
}

EXPORT int symlinkat(const char *target, int fd, const char *path)
{
	return (int)result(write_call(__NR_symlinkat, 2, (long)target, fd, (long)path, 0, 0));
}

EXPORT int symlink(const char *target, const char *path)
{
	return symlinkat(target, AT_FDCWD_, path);
}

EXPORT int chmod(const char *path, unsigned int mode)
{
	return (int)result(write_call(__NR_fchmodat, 1, AT_FDCWD_, (long)path, mode, 0, 0));
}

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* Linux 6.6; x86_64 and aarch64 alike */
#endif

/* Flags (AT_SYMLINK_NOFOLLOW: chmod -R, lchmod) need fchmodat2 (Linux 6.6). */
EXPORT int fchmodat(int fd, const char *path, unsigned int mode, int flags)
{
	if (flags)
		return (int)result(write_call(__NR_fchmodat2, 1, fd, (long)path, mode, flags, 0));
	return (int)result(write_call(__NR_fchmodat, 1, fd, (long)path, mode, 0, 0));
}

/*
 * chown & co.: under fake root the filter traps them for a path to translate
 * and for the EPERM a direct bind's host file gives fake root, which a thread
 * with CAP_CHOWN is told was success (PRoot's way; runner/path.c,
 * handle_chown_exit). A path the view holds, and an fd, go through the gate:
 * the view judges the caller by its identity and keeps the fake owner. The
 * rest goes to the tracer, as before.
 */
static long chown_result(long r)
{
	const struct credentials_table *t;
	struct credentials_slot who;

	if (r != -E_PERM || !config || !config->credentials[0] || (t = map_table()) == NO_TABLE)
		return r;
	if (credentials_lookup(t, (int32_t)raw(__NR_gettid, 0, 0, 0, 0, 0, 0), &who) &&
	    (who.caps & CRED_CHOWN))
		return 0;
	return r;
}

EXPORT int fchown(int fd, unsigned int uid, unsigned int gid)
{
	if (!config || !config->credentials[0])
		return (int)result(raw(__NR_fchown, fd, uid, gid, 0, 0, 0));
	return (int)result(chown_result(gate(__NR_fchown, fd, uid, gid, 0, 0, 0)));
}

EXPORT int fchownat(int fd, const char *path, unsigned int uid, unsigned int gid, int flags)
{
	return (int)result(
	    chown_result(write_call(__NR_fchownat, 1, fd, (long)path, uid, gid, flags)));
}

EXPORT int chown(const char *path, unsigned int uid, unsigned int gid)
{
	return fchownat(AT_FDCWD_, path, uid, gid, 0);
}

EXPORT int lchown(const char *path, unsigned int uid, unsigned int gid)
{
	return fchownat(AT_FDCWD_, path, uid, gid, AT_SYMLINK_NOFOLLOW_);
}

EXPORT int utimensat(int fd, const char *path, const void *times, int flags)
{
	if (!path) { /* glibc: futimens is the way to name an fd */
		*__errno_location() = E_INVAL;
		return -1;
	}
	return (int)result(write_call(__NR_utimensat, 1, fd, (long)path, (long)times, flags, 0));
}

EXPORT int truncate(const char *path, long length)
{
	return (int)result(write_call(__NR_truncate, 0, (long)path, length, 0, 0, 0));
}
EXPORT int truncate64(const char *path, long length) __attribute__((alias("truncate")));

/* ---- epoll ---- */

/* Device (as stat's st_dev) and type bits of fd, from what the kernel has cached. */
static long fd_dev_type(int fd, uint64_t *dev, unsigned int *type)
{
	uint64_t stx[32]; /* struct statx: stx_mode at 28, stx_dev_major and _minor at 136 */
	const uint32_t *words = (const uint32_t *)stx;
	long r = gate(__NR_statx, fd, (long)"", 0x1000 /* AT_EMPTY_PATH */ | 0x4000 /* DONT_SYNC */,
		      0x1 /* STATX_TYPE */, (long)stx, 0);

	if (r < 0)
		return r;
	*type = ((const uint16_t *)stx)[14] & 0170000;
	*dev = (words[35] & 0xff) | ((uint64_t)words[34] << 8) |
	       (((uint64_t)words[35] & ~0xffull) << 12);
	return 0;
}

/*
 * epoll takes no regular file nor directory (EPERM: they cannot be polled),
 * but FUSE gives every file of the view a poll of its own: the view's are
 * refused here, as the kernel refuses the same files on their own
 * filesystem (asyncio, libuv and others fall back to reading on EPERM).
 */
EXPORT int epoll_ctl(int epfd, int op, int fd, void *event)
{
	static uint64_t view_dev;
	uint64_t dev;
	unsigned int type, mount_type;

	/* The kernel's order: a bad epfd or an O_PATH fd is EBADF first. */
	if (op == 1 /* EPOLL_CTL_ADD */ && config && fd >= 0 && fd_dev_type(fd, &dev, &type) == 0 &&
	    (type == 0100000 || type == 0040000) &&
	    raw(__NR_fcntl, epfd, 1 /* F_GETFD */, 0, 0, 0, 0) >= 0 &&
	    !(raw(__NR_fcntl, fd, 3 /* F_GETFL */, 0, 0, 0, 0) & 010000000 /* O_PATH */)) {
		uint64_t view = __atomic_load_n(&view_dev, __ATOMIC_RELAXED);
		if (!view) {
			long root = gate(__NR_openat, AT_FDCWD_, (long)config->mount,
					 O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
			if (root >= 0) {
				if (fd_dev_type((int)root, &view, &mount_type) == 0)
					__atomic_store_n(&view_dev, view, __ATOMIC_RELAXED);
				raw(__NR_close, root, 0, 0, 0, 0, 0);
			}
		}
		if (view && dev == view)
			return (int)result(-1 /* -EPERM */);
	}
	return (int)result(raw(__NR_epoll_ctl, epfd, op, fd, (long)event, 0, 0));
}
