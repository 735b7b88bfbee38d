// SPDX-License-Identifier: MIT
/*
 * The xattr hints table (common/xattr_hints.h): the daemon publishes the
 * inode numbers it knows to carry no guest-visible xattr, so groot-fast.so
 * can answer listxattr for them without a round trip. Published when the
 * metadata of an inode is loaded for a stat (metadata.c), removed before
 * the reply of any request that changes its xattrs.
 */
#include "fs.h"
#include "log.h"
#include "xattr_hints.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int hints_create(struct fs *fs, const char *path)
{
	uint64_t size = xattr_hints_size(XATTR_HINTS_SLOTS_LOG2);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	void *map;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		log_warn("--xattr-hints %s: %s; listxattr is answered the slow way", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		log_warn("--xattr-hints %s: %s", path, strerror(errno));
		return -1;
	}
	fs->hints = map;
	fs->hints->version = XATTR_HINTS_VERSION;
	fs->hints->slots_log2 = XATTR_HINTS_SLOTS_LOG2;
	/* Last: a reader checks the magic before anything else. */
	__atomic_store_n(&fs->hints->magic, XATTR_HINTS_MAGIC, __ATOMIC_RELEASE);
	pthread_mutex_init(&fs->hints_lock, NULL);
	return 0;
}

/* The slot holding ino, or (want_free) the first free one on its probe path; -1 when none. */
static int64_t find_slot(const struct xattr_hints *h, uint64_t ino, bool want_free)
{
	uint64_t mask = (1ULL << h->slots_log2) - 1, i = xattr_hint_slot(ino, h->slots_log2);
	int64_t free_slot = -1;

	for (int n = 0; n < XATTR_HINT_PROBES; n++, i = (i + 1) & mask) {
		uint64_t v = h->slots[i];
		if (v == ino)
			return (int64_t)i;
		if ((v == 0 || v == XATTR_HINT_TOMBSTONE) && free_slot < 0)
			free_slot = (int64_t)i;
		if (v == 0)
			break;
	}
	return want_free ? free_slot : -1;
}

void hints_set(struct fs *fs, uint64_t ino)
{
	int64_t slot;

	if (!fs->hints || ino == 0 || ino == XATTR_HINT_TOMBSTONE)
		return;
	pthread_mutex_lock(&fs->hints_lock);
	slot = find_slot(fs->hints, ino, true);
	if (slot >= 0 && fs->hints->slots[slot] != ino)
		__atomic_store_n(&fs->hints->slots[slot], ino, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fs->hints_lock);
}

void hints_withdraw(struct fs *fs, struct inode *inode)
{
	if (inode->hinted) {
		hints_clear(fs, inode->view_ino);
		inode->hinted = false;
	}
}

void hints_clear(struct fs *fs, uint64_t ino)
{
	int64_t slot;

	if (!fs->hints)
		return;
	pthread_mutex_lock(&fs->hints_lock);
	slot = find_slot(fs->hints, ino, false);
	if (slot >= 0)
		__atomic_store_n(&fs->hints->slots[slot], XATTR_HINT_TOMBSTONE, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fs->hints_lock);
}
