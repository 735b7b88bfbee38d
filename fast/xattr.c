// SPDX-License-Identifier: MIT
/* groot-fast.so: xattr reads, and the view's hints table (common/xattr_hints.h). */
#include "internal.h"
#include "xattr_hints.h"

/* ---- xattrs ---- */

/*
 * The view's hints table (common/xattr_hints.h), mapped on first use:
 * NULL until then, (void *)-1 when it cannot be had.
 */
static const struct xattr_hints *hints;
static uint64_t view_dev;

#define NO_HINTS ((const struct xattr_hints *)-1L)

/*
 * Device (as stat's st_dev) and inode of 'path', from the kernel's cached
 * attributes: statx asks STATX_INO only, so an atime the kernel marked stale
 * (after a readdir or a readlink) costs the view no GETATTR round trip.
 */
/* stat's st_dev from a struct statx's stx_dev_major and _minor (at 136). */
static uint64_t dev_of(const uint32_t *words)
{
	uint64_t major = words[34], minor = words[35];

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffull) << 12);
}

static long dev_ino(const char *path, long flags, uint64_t *dev, uint64_t *ino)
{
	uint64_t stx[32]; /* struct statx: stx_ino at 32, stx_dev_major and _minor at 136 */
	const uint32_t *words = (const uint32_t *)stx;
	long r = gate(__NR_statx, AT_FDCWD_, (long)path, flags, 0x100 /* STATX_INO */, (long)stx, 0);

	if (r < 0)
		return r;
	*dev = dev_of(words);
	*ino = stx[4];
	return 0;
}

static const struct xattr_hints *map_hints(void)
{
	const struct xattr_hints *h = __atomic_load_n(&hints, __ATOMIC_ACQUIRE);
	uint64_t dev, ino;
	long fd, map;

	if (h)
		return h;
	h = NO_HINTS;
	if (config->hints[0]) {
		fd = dev_ino(config->mount, 0, &dev, &ino) < 0
			 ? -1
			 : gate(__NR_openat, AT_FDCWD_, (long)config->hints, O_RDONLY | O_CLOEXEC, 0, 0, 0);
		if (fd >= 0) {
			view_dev = dev;
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

/*
 * The inode the last statx of this thread found, and the absolute path it
 * was asked for: ls -l lists the xattrs of each path it has just stat'ed,
 * and the hint then needs no second walk. Any call on a path since forgets
 * it (fast_path, write_call), and so does a rename the tracer handles
 * (renameat2). Not seen: a rename by another thread or process, or by a raw
 * syscall(), in between; the memo then names the inode the path had a moment
 * before, as if the listxattr had come first. Relative paths are not kept: a
 * cwd changes behind our back (glibc's fts and nftw chdir internally).
 */
__thread struct last_stat last_stat __attribute__((tls_model("initial-exec"))) = {.flags = -1};

void remember_stat(const char *path, int flags, long r, const void *stx)
{
	const uint32_t *words = stx;
	size_t n;

	if (r < 0 || !path || path[0] != '/' || (flags & AT_EMPTY_PATH) || (last_stat.seq & 1) ||
	    !(words[0] & 0x100 /* STATX_INO */) || (n = length_of(path)) >= sizeof(last_stat.path))
		return; /* (an odd seq: we interrupted a signal handler's own remember_stat) */
	last_stat.seq++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	copy(last_stat.path, path, n + 1);
	last_stat.ino = *(const uint64_t *)(words + 8); /* stx_ino, at 32 */
	last_stat.dev = dev_of(words);
	last_stat.flags = flags & AT_SYMLINK_NOFOLLOW;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	last_stat.seq++;
}

/* Did the last statx of this thread find path's inode? Then *dev and *ino are its. */
static int remembered(const char *path, int flags, uint64_t *dev, uint64_t *ino)
{
	unsigned seq = last_stat.seq;
	size_t n = path && path[0] == '/' ? length_of(path) : 0;
	int kept;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	kept = !(seq & 1) && n && n < sizeof(last_stat.path) && last_stat.flags == flags &&
	       same(last_stat.path, path, n + 1);
	*dev = last_stat.dev;
	*ino = last_stat.ino;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return kept && seq == last_stat.seq;
}

/* Does the view say path has no xattr the guest could see? (a cached stat and a probe) */
static int no_xattrs(const char *path, int follow)
{
	char buf[PATH_MAX_];
	int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
	uint64_t dev, ino;
	int kept = remembered(path, flags, &dev, &ino);
	const char *p = fast_path(path, buf); /* forgets last_stat */
	const struct xattr_hints *h;

	if (!p || (h = map_hints()) == NO_HINTS)
		return 0;
	if (!kept && dev_ino(p, flags, &dev, &ino) < 0)
		return 0;
	return dev == view_dev && xattr_hints_none(h, ino);
}

/*
 * Fake root's trusted.* xattrs live in the view as "user.groot.NAME" (the
 * kernel shows trusted.* to privileged readers only): name, or buf with it.
 */
static const char *readable_name(const char *name, char *buf)
{
	size_t n = length_of(name);

	if (!config || !config->credentials[0] || !same(name, "trusted.", 8) || n > 255 ||
	    gate(__NR_geteuid, 0, 0, 0, 0, 0, 0) == 0 /* the real euid: root's are real */)
		return name;
	copy(buf, "user.groot.", 11);
	copy(buf + 11, name, n + 1);
	return buf;
}

EXPORT long getxattr(const char *path, const char *name, void *value, size_t size)
{
	char buf[300];

	name = readable_name(name, buf);
	return result(path_call(__NR_getxattr, 0, (long)path, (long)name, (long)value, (long)size, 0));
}

EXPORT long lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	char buf[300];

	name = readable_name(name, buf);
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
