/* SPDX-License-Identifier: MIT */
/*
 * Xattr hints: a table, shared by the view daemon (writer) and the guest's
 * groot-fast.so (reader) through a file in the run directory, of inode
 * numbers the view knows to carry no xattr the guest could see.
 *
 * The kernel caches no xattrs, and `ls -l` asks for the list of every file
 * (llistxattr): one FUSE round trip each, half of a cold `ls -lR`. With the
 * table, groot-fast.so answers "none" after a cached stat and a probe.
 *
 * Layout: struct xattr_hints, then 1 << slots_log2 slots of one u64 each:
 * 0 empty, XATTR_HINT_TOMBSTONE a removed entry, anything else an inode
 * number (as st_ino reports it in the view) with no guest-visible xattrs.
 * Linear probing from xattr_hint_slot(), at most XATTR_HINT_PROBES slots.
 * Slots are written with atomic release stores, read with acquire loads;
 * a removal happens before the daemon answers the request that added an
 * xattr, so a reader never sees "none" for an object that has one.
 * Header-only and freestanding (groot-fast.so has no libc headers).
 */
#ifndef GROOT_XATTR_HINTS_H
#define GROOT_XATTR_HINTS_H

#include <stdint.h>

#define XATTR_HINTS_MAGIC 0x31544e4948585247ULL /* "GRXHINT1" read as a little-endian u64 */
#define XATTR_HINTS_VERSION 1
#define XATTR_HINTS_SLOTS_LOG2 18 /* 262144 slots, 2 MiB */
#define XATTR_HINT_PROBES 32
#define XATTR_HINT_TOMBSTONE UINT64_MAX

struct xattr_hints {
	uint64_t magic;
	uint32_t version;
	uint32_t slots_log2;
	uint64_t reserved[6];
	uint64_t slots[];
};

_Static_assert(sizeof(struct xattr_hints) == 64, "xattr_hints layout");

static inline uint64_t xattr_hint_slot(uint64_t ino, uint32_t slots_log2)
{
	return (ino * 0x9e3779b97f4a7c15ULL) >> (64 - slots_log2);
}

static inline uint64_t xattr_hints_size(uint32_t slots_log2)
{
	return sizeof(struct xattr_hints) + (sizeof(uint64_t) << slots_log2);
}

/* Reader: 1 when ino is known to have no guest-visible xattr, 0 when unknown. */
static inline int xattr_hints_none(const struct xattr_hints *h, uint64_t ino)
{
	uint64_t mask = (1ULL << h->slots_log2) - 1, i = xattr_hint_slot(ino, h->slots_log2);

	if (ino == 0 || ino == XATTR_HINT_TOMBSTONE)
		return 0;
	for (int n = 0; n < XATTR_HINT_PROBES; n++, i = (i + 1) & mask) {
		uint64_t v = __atomic_load_n(&h->slots[i], __ATOMIC_ACQUIRE);
		if (v == ino)
			return 1;
		if (v == 0)
			return 0;
	}
	return 0;
}

#endif
