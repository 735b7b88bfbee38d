/* SPDX-License-Identifier: MIT */
/*
 * The guest's fake credentials, shared by the tracer (writer) and the view
 * daemon (reader) through a file in the run directory, so the view can
 * judge each request as the kernel would judge it for the process that
 * made it (its fake fsuid, fsgid, groups and capabilities), and give what
 * it creates to that identity.
 *
 * Layout: struct credentials_table, then one slot per thread id below
 * 'slots' (the host's pid_max; the file is sparse). A FUSE request names
 * its caller by thread id, so the slot is found by indexing, with no
 * search. A slot whose tid is not the caller's means "not a guest process"
 * (the tracer, the kernel): the view does not check it.
 *
 * One writer (the tracer's thread). Each slot is a sequence lock: the
 * writer makes 'seq' odd, writes, makes it even again; a reader copies the
 * slot and retries while 'seq' was odd or moved.
 */
#ifndef GROOT_CREDENTIALS_H
#define GROOT_CREDENTIALS_H

#include <stdbool.h>
#include <stdint.h>

#define CREDENTIALS_MAGIC 0x31534452435247ULL /* "GRCRDS1" as a little-endian u64 */
/*
 * groot-fs --lazy-guards: the runner's getxattr of this name on the view's
 * root, before the first identity that may not search every directory runs
 * (fuse/access.c, guards_arm).
 */
#define CREDENTIALS_GUARDS_XATTR "user.groot.guards"
#define CREDENTIALS_SLOT_GROUPS 26

/* What the kernel's permission checks let a capability bypass. */
enum {
	CRED_DAC_OVERRIDE = 1 << 0,
	CRED_DAC_READ_SEARCH = 1 << 1,
	CRED_FOWNER = 1 << 2,
	CRED_CHOWN = 1 << 3,
	CRED_FSETID = 1 << 4,
	CRED_ALL = (1 << 5) - 1,
	/*
	 * Not a capability: an exec is being loaded. The loader-shim opens the
	 * program to map it, as the kernel reads it, which needs only execute
	 * permission; cleared at the program's first trapped syscall.
	 */
	CRED_EXEC_LOADING = 1 << 5,
};

struct credentials_slot {
	uint32_t seq;
	int32_t tid; /* whose slot this is; 0: nobody's */
	uint32_t fsuid, fsgid;
	uint32_t caps; /* CRED_* */
	uint32_t n_groups;
	uint32_t groups[CREDENTIALS_SLOT_GROUPS];
};

_Static_assert(sizeof(struct credentials_slot) == 128, "credentials slot layout");

struct credentials_table {
	uint64_t magic;
	uint32_t slots;
	uint32_t reserved[13];
	struct credentials_slot slot[];
};

_Static_assert(sizeof(struct credentials_table) == 64, "credentials table layout");

static inline uint64_t credentials_table_size(uint32_t slots)
{
	return sizeof(struct credentials_table) + (uint64_t)slots * sizeof(struct credentials_slot);
}

/* Writer: publish 'value' (its seq ignored) as tid's, or clear the slot (value NULL). */
static inline void credentials_publish(struct credentials_table *t, int32_t tid,
				       const struct credentials_slot *value)
{
	struct credentials_slot *s;
	uint32_t seq;

	if (tid <= 0 || (uint32_t)tid >= t->slots)
		return;
	s = &t->slot[tid];
	seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (value) {
		__atomic_store_n(&s->fsuid, value->fsuid, __ATOMIC_RELAXED);
		__atomic_store_n(&s->fsgid, value->fsgid, __ATOMIC_RELAXED);
		__atomic_store_n(&s->caps, value->caps, __ATOMIC_RELAXED);
		__atomic_store_n(&s->n_groups, value->n_groups, __ATOMIC_RELAXED);
		for (int i = 0; i < CREDENTIALS_SLOT_GROUPS; i++)
			__atomic_store_n(&s->groups[i], value->groups[i], __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->tid, value ? tid : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Reader: tid's credentials into *out; false when tid is no guest process. */
static inline bool credentials_lookup(const struct credentials_table *t, int32_t tid,
				      struct credentials_slot *out)
{
	const struct credentials_slot *s;

	if (!t || tid <= 0 || (uint32_t)tid >= t->slots)
		return false;
	s = &t->slot[tid];
	for (;;) {
		uint32_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (before & 1)
			continue; /* the writer is in the middle of it: a few stores */
		out->tid = __atomic_load_n(&s->tid, __ATOMIC_RELAXED);
		out->fsuid = __atomic_load_n(&s->fsuid, __ATOMIC_RELAXED);
		out->fsgid = __atomic_load_n(&s->fsgid, __ATOMIC_RELAXED);
		out->caps = __atomic_load_n(&s->caps, __ATOMIC_RELAXED);
		out->n_groups = __atomic_load_n(&s->n_groups, __ATOMIC_RELAXED);
		for (int i = 0; i < CREDENTIALS_SLOT_GROUPS; i++)
			out->groups[i] = __atomic_load_n(&s->groups[i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == before)
			break;
	}
	return out->tid == tid;
}

/* Is gid the caller's fsgid or one of its groups (the kernel's in_group_p)? */
static inline bool credentials_in_group(const struct credentials_slot *who, uint32_t gid)
{
	if (who->fsgid == gid)
		return true;
	for (uint32_t i = 0; i < who->n_groups && i < CREDENTIALS_SLOT_GROUPS; i++)
		if (who->groups[i] == gid)
			return true;
	return false;
}

/*
 * The kernel's generic_permission for an object of this mode and owner:
 * mask of 4 (read), 2 (write), 1 (execute/search); 0 or -13 (EACCES).
 */
static inline int credentials_permission(const struct credentials_slot *who, uint32_t mode,
					 uint32_t uid, uint32_t gid, int mask)
{
	bool dir = (mode & 0170000) == 0040000;
	uint32_t granted;

	mask &= 7;
	if (!who || !mask)
		return 0;
	if (who->fsuid == uid)
		granted = (mode >> 6) & 7;
	else if (credentials_in_group(who, gid))
		granted = (mode >> 3) & 7;
	else
		granted = mode & 7;
	if ((mask & ~(int)granted) == 0)
		return 0;
	/* The capabilities, as the kernel's capable_wrt_inode_uidgid allows them. */
	if ((who->caps & CRED_DAC_OVERRIDE) && (dir || !(mask & 1) || (mode & 0111)))
		return 0;
	if ((who->caps & CRED_DAC_READ_SEARCH) && !(mask & 2) && (dir || !(mask & 1)))
		return 0;
	return -13;
}

#endif
