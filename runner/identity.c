/* SPDX-License-Identifier: MIT */
/*
 * Fake identity (user: root, -0). Each process starts as root and keeps
 * its own credentials: set*id change them with the kernel's rules, get*id
 * report them. apt, for one, drops to _apt and checks that it did.
 */
#include "credentials.h"
#include "exec.h"
#include "helpers.h"
#include "stop.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/ptrace.h>
#include <talloc.h>
#include <unistd.h>

#define KEEP ((unsigned int)-1) /* "-1: leave unchanged" in setre*id and setres*id */
/* A handler's answer for "not ours: let the kernel run the syscall". */
#define AS_IS LONG_MIN

#define BIT(cap) ((uint64_t)1 << (cap))
/* The capabilities a setfsuid to or from 0 gives or takes (the kernel's CAP_FS_MASK). */
#define CAP_FS_SET                                                                               \
	(BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) |    \
	 BIT(CAP_FSETID) | BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_MAC_OVERRIDE))
#define SECURE_BITS_SETTABLE                                                                     \
	(SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE)
#define SECURE_LOCKS_SETTABLE (SECURE_BITS_SETTABLE << 1)

/* Every capability the host kernel knows (/proc/sys/kernel/cap_last_cap). */
static uint64_t all_capabilities(void)
{
	static uint64_t all;

	if (!all) {
		long last = read_sysctl("kernel/cap_last_cap", CAP_LAST_CAP);
		if (last < 0 || last > 63)
			last = CAP_LAST_CAP;
		all = last == 63 ? ~(uint64_t)0 : BIT(last + 1) - 1;
	}
	return all;
}

/*
 * The bounding set groot itself runs with: what root would get from an
 * exec here (a container may have dropped some, as chroot's root sees).
 */
static uint64_t host_bounding_set(void)
{
	static uint64_t bounding;
	static bool known;

	if (!known) {
		uint64_t all = all_capabilities();
		for (int cap = 0; cap < 64; cap++)
			if ((all & BIT(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
				bounding |= BIT(cap);
		known = true;
	}
	return bounding;
}

static bool capable(const struct credentials *c, int cap)
{
	return c->effective & BIT(cap);
}

static bool valid_capability(unsigned long cap)
{
	return cap < 64 && (all_capabilities() & BIT(cap));
}

/*
 * What the kernel does to the capability sets when the uids change
 * (commoncap.c's fix-up, skipped under SECBIT_NO_SETUID_FIXUP): losing
 * every root uid loses the capabilities (unless KEEP_CAPS), losing or
 * gaining euid 0 clears or fills the effective set.
 */
static void fix_up_capabilities(struct credentials *c, const unsigned int old[4])
{
	const unsigned int *now = c->uid;

	if (c->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if ((old[0] == 0 || old[1] == 0 || old[2] == 0) && now[0] && now[1] && now[2]) {
		if (!(c->securebits & SECBIT_KEEP_CAPS))
			c->permitted = c->effective = 0;
		c->ambient = 0;
	}
	if (old[1] == 0 && now[1] != 0)
		c->effective = 0;
	if (old[1] != 0 && now[1] == 0)
		c->effective = c->permitted;
}

static void fix_up_fs_capabilities(struct credentials *c, unsigned int old_fsuid)
{
	if (c->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (old_fsuid == 0 && c->uid[3] != 0)
		c->effective &= ~CAP_FS_SET;
	if (old_fsuid != 0 && c->uid[3] == 0)
		c->effective |= c->permitted & CAP_FS_SET;
}

/* setresuid/setresgid: without the capability, each new id must be one of the current three. */
static long set_ids(unsigned int ids[4], unsigned int r, unsigned int e, unsigned int s,
		    bool privileged)
{
	if (!privileged) {
		unsigned int wanted[3] = {r, e, s};
		for (int i = 0; i < 3; i++)
			if (wanted[i] != KEEP && wanted[i] != ids[0] && wanted[i] != ids[1] &&
			    wanted[i] != ids[2])
				return -EPERM;
	}
	if (r != KEEP)
		ids[0] = r;
	if (e != KEEP)
		ids[1] = e;
	if (s != KEEP)
		ids[2] = s;
	ids[3] = ids[1]; /* fsuid follows euid */
	return 0;
}

/* setuid/setgid: privileged, all four; else only to the real or saved id, and only the effective. */
static long set_id(unsigned int ids[4], unsigned int id, bool privileged)
{
	if (privileged)
		return set_ids(ids, id, id, id, true);
	if (id != ids[0] && id != ids[2])
		return -EPERM;
	ids[1] = ids[3] = id;
	return 0;
}

/* setreuid/setregid, with the kernel's rule for the saved id. */
static long set_re_ids(unsigned int ids[4], unsigned int r, unsigned int e, bool privileged)
{
	if (!privileged && ((r != KEEP && r != ids[0] && r != ids[1]) ||
			    (e != KEEP && e != ids[0] && e != ids[1] && e != ids[2])))
		return -EPERM;
	bool saved_follows = r != KEEP || (e != KEEP && e != ids[0]);
	if (r != KEEP)
		ids[0] = r;
	if (e != KEEP)
		ids[1] = e;
	if (saved_follows)
		ids[2] = ids[1];
	ids[3] = ids[1];
	return 0;
}

static long write_ids(struct stop *stop, const unsigned int ids[3])
{
	for (int i = 0; i < 3; i++)
		if (tracee_write(stop->tracee->pid, stop_arg(stop, i), &ids[i], sizeof(ids[i])) < 0)
			return -EFAULT;
	return 0;
}

static long handle_getgroups(struct stop *stop, const struct credentials *c)
{
	int size = (int)stop_arg(stop, 0);

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return (long)c->n_groups;
	if ((size_t)size < c->n_groups)
		return -EINVAL;
	if (c->n_groups && tracee_write(stop->tracee->pid, stop_arg(stop, 1), c->groups,
					c->n_groups * sizeof(c->groups[0])) < 0)
		return -EFAULT;
	return (long)c->n_groups;
}

static int compare_ids(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The kernel keeps supplementary groups sorted (groups_sort): getgroups lists them so. */
static void sort_groups(unsigned int *groups, size_t n)
{
	qsort(groups, n, sizeof(groups[0]), compare_ids);
}

static long handle_setgroups(struct stop *stop, struct credentials *c)
{
	long size = (long)(int)stop_arg(stop, 0);

	if (!capable(c, CAP_SETGID))
		return -EPERM;
	if (size < 0 || size > CREDENTIALS_MAX_GROUPS)
		return -EINVAL;
	if (size && tracee_read(stop->tracee->pid, stop_arg(stop, 1), c->groups,
				(size_t)size * sizeof(c->groups[0])) < 0)
		return -EFAULT;
	c->n_groups = (size_t)size;
	sort_groups(c->groups, c->n_groups);
	return 0;
}

/* ---- capget, capset: the header's version says how many 32-bit halves follow ---- */

static long capability_version(struct stop *stop, unsigned long header, unsigned *halves)
{
	uint32_t version;

	if (tracee_read(stop->tracee->pid, header, &version, sizeof(version)) < 0)
		return -EFAULT;
	switch (version) {
	case _LINUX_CAPABILITY_VERSION_1:
		*halves = 1;
		return 0;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		*halves = 2;
		return 0;
	}
	/* Unknown: the kernel writes the version it prefers back, for the caller to retry. */
	version = _LINUX_CAPABILITY_VERSION_3;
	if (tracee_write(stop->tracee->pid, header, &version, sizeof(version)) < 0)
		return -EFAULT;
	return -EINVAL;
}

static struct credentials *credentials_of(struct stop *stop, struct tracee *t);

/* AS_IS for another process than a tracee: the kernel answers for it. */
static long handle_capget(struct stop *stop, struct credentials *c)
{
	unsigned long header = stop_arg(stop, 0), data = stop_arg(stop, 1);
	struct __user_cap_data_struct out[2];
	unsigned halves;
	int32_t pid;
	long r = capability_version(stop, header, &halves);

	if (!data || r < 0)
		return !data && r == -EINVAL ? 0 : r;
	if (tracee_read(stop->tracee->pid, header + 4, &pid, sizeof(pid)) < 0)
		return -EFAULT;
	if (pid < 0)
		return -EINVAL;
	if (pid && pid != stop->tracee->pid) {
		struct tracee *other = tracee_get(pid);
		if (!other)
			return AS_IS;
		c = credentials_of(stop, other);
		if (!c)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < 2; i++) {
		out[i].effective = (uint32_t)(c->effective >> (32 * i));
		out[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		out[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (tracee_write(stop->tracee->pid, data, out, halves * sizeof(out[0])) < 0)
		return -EFAULT;
	return 0;
}

static long handle_capset(struct stop *stop, struct credentials *c)
{
	unsigned long header = stop_arg(stop, 0), data = stop_arg(stop, 1);
	struct __user_cap_data_struct in[2] = {{0, 0, 0}, {0, 0, 0}};
	uint64_t effective, permitted, inheritable, valid = all_capabilities();
	unsigned halves;
	int32_t pid;
	long r = capability_version(stop, header, &halves);

	if (r < 0)
		return r;
	if (tracee_read(stop->tracee->pid, header + 4, &pid, sizeof(pid)) < 0)
		return -EFAULT;
	if (pid != 0 && pid != stop->tracee->pid)
		return -EPERM;
	if (tracee_read(stop->tracee->pid, data, in, halves * sizeof(in[0])) < 0)
		return -EFAULT;
	effective = (in[0].effective | (uint64_t)in[1].effective << 32) & valid;
	permitted = (in[0].permitted | (uint64_t)in[1].permitted << 32) & valid;
	inheritable = (in[0].inheritable | (uint64_t)in[1].inheritable << 32) & valid;
	/* The kernel's rules, in its order. */
	if (!capable(c, CAP_SETPCAP) && (inheritable & ~(c->inheritable | c->permitted)))
		return -EPERM;
	if (inheritable & ~(c->inheritable | c->bounding))
		return -EPERM;
	if (permitted & ~c->permitted)
		return -EPERM;
	if (effective & ~permitted)
		return -EPERM;
	c->effective = effective;
	c->permitted = permitted;
	c->inheritable = inheritable;
	c->ambient &= permitted & inheritable;
	return 0;
}

/* prctl's capability options (the filter traps no others; any other runs AS_IS). */
static long handle_prctl(struct stop *stop, struct credentials *c)
{
	int option = (int)stop_arg(stop, 0);
	unsigned long a2 = stop_arg(stop, 1), a3 = stop_arg(stop, 2), a4 = stop_arg(stop, 3),
		      a5 = stop_arg(stop, 4);

	switch (option) {
	case PR_GET_KEEPCAPS:
		return !!(c->securebits & SECBIT_KEEP_CAPS);
	case PR_SET_KEEPCAPS:
		if (a2 > 1)
			return -EINVAL;
		if (c->securebits & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		c->securebits = a2 ? c->securebits | SECBIT_KEEP_CAPS
				   : c->securebits & ~(unsigned)SECBIT_KEEP_CAPS;
		return 0;
	case PR_CAPBSET_READ:
		return valid_capability(a2) ? !!(c->bounding & BIT(a2)) : -EINVAL;
	case PR_CAPBSET_DROP:
		if (!capable(c, CAP_SETPCAP))
			return -EPERM;
		if (!valid_capability(a2))
			return -EINVAL;
		c->bounding &= ~BIT(a2);
		return 0;
	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_SET_SECUREBITS: {
		unsigned int old = c->securebits, locks = old & SECURE_LOCKS_SETTABLE;
		if (((locks >> 1) & (old ^ a2)) || (locks & ~a2) ||
		    (a2 & ~(unsigned long)(SECURE_BITS_SETTABLE | SECURE_LOCKS_SETTABLE)) ||
		    !capable(c, CAP_SETPCAP))
			return -EPERM;
		c->securebits = (unsigned int)a2;
		return 0;
	}
	case PR_CAP_AMBIENT:
		if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
			if (a3 | a4 | a5)
				return -EINVAL;
			c->ambient = 0;
			return 0;
		}
		if (!valid_capability(a3) || a4 || a5)
			return -EINVAL;
		if (a2 == PR_CAP_AMBIENT_IS_SET)
			return !!(c->ambient & BIT(a3));
		if (a2 == PR_CAP_AMBIENT_LOWER) {
			c->ambient &= ~BIT(a3);
			return 0;
		}
		if (a2 == PR_CAP_AMBIENT_RAISE) {
			if (!(c->permitted & c->inheritable & BIT(a3)) ||
			    (c->securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
				return -EPERM;
			c->ambient |= BIT(a3);
			return 0;
		}
		return -EINVAL;
	}
	return AS_IS;
}

/* ---- the dispatcher ---- */

/* The result for the guest, or AS_IS. */
static long emulate(struct stop *stop, struct credentials *c)
{
	const char *name = stop->desc->name;
	unsigned int a = (unsigned int)stop_arg(stop, 0), b = (unsigned int)stop_arg(stop, 1);
	unsigned int third = (unsigned int)stop_arg(stop, 2);
	bool setuid_ok = capable(c, CAP_SETUID), setgid_ok = capable(c, CAP_SETGID);
	unsigned int old[4];
	long r;

	if (!strcmp(name, "getuid"))
		return c->uid[0];
	if (!strcmp(name, "geteuid"))
		return c->uid[1];
	if (!strcmp(name, "getgid"))
		return c->gid[0];
	if (!strcmp(name, "getegid"))
		return c->gid[1];
	if (!strcmp(name, "getresuid"))
		return write_ids(stop, c->uid);
	if (!strcmp(name, "getresgid"))
		return write_ids(stop, c->gid);
	if (!strcmp(name, "getgroups"))
		return handle_getgroups(stop, c);
	if (!strcmp(name, "setgroups"))
		return handle_setgroups(stop, c);
	if (!strcmp(name, "capget"))
		return handle_capget(stop, c);
	if (!strcmp(name, "capset"))
		return handle_capset(stop, c);
	if (!strcmp(name, "prctl"))
		return handle_prctl(stop, c);
	if (!strcmp(name, "setgid"))
		return set_id(c->gid, a, setgid_ok);
	if (!strcmp(name, "setregid"))
		return set_re_ids(c->gid, a, b, setgid_ok);
	if (!strcmp(name, "setresgid"))
		return set_ids(c->gid, a, b, third, setgid_ok);
	if (!strcmp(name, "setfsgid")) {
		unsigned int previous = c->gid[3];
		if (setgid_ok || a == c->gid[0] || a == c->gid[1] || a == c->gid[2] || a == c->gid[3])
			c->gid[3] = a;
		return previous;
	}
	if (!strcmp(name, "setfsuid")) {
		unsigned int previous = c->uid[3];
		if (setuid_ok || a == c->uid[0] || a == c->uid[1] || a == c->uid[2] || a == c->uid[3]) {
			c->uid[3] = a;
			fix_up_fs_capabilities(c, previous);
		}
		return previous;
	}
	memcpy(old, c->uid, sizeof(old));
	if (!strcmp(name, "setuid"))
		r = set_id(c->uid, a, setuid_ok);
	else if (!strcmp(name, "setreuid"))
		r = set_re_ids(c->uid, a, b, setuid_ok);
	else if (!strcmp(name, "setresuid"))
		r = set_ids(c->uid, a, b, third, setuid_ok);
	else
		return -ENOSYS;
	if (r == 0)
		fix_up_capabilities(c, old);
	return r;
}

static void initial_credentials(const struct session *session, struct credentials *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 4; i++) {
		c->uid[i] = session->fake_uid;
		c->gid[i] = session->fake_gid;
	}
	c->groups[0] = session->fake_gid;
	c->n_groups = 1;
	for (size_t i = 0; session->fake_groups && i < session->n_fake_groups; i++)
		c->groups[i] = session->fake_groups[i];
	if (session->fake_groups && session->n_fake_groups > 0)
		c->n_groups = session->n_fake_groups;
	sort_groups(c->groups, c->n_groups);
	c->bounding = host_bounding_set();
	if (session->fake_uid == 0)
		c->effective = c->permitted = c->bounding;
}

/* A process's fake credentials, made on first use from the session's identity. */
static struct credentials *credentials_of(struct stop *stop, struct tracee *t)
{
	if (!t->credentials) {
		struct credentials *c = talloc(t, struct credentials);
		if (!c)
			return NULL;
		initial_credentials(stop->session, c);
		t->credentials = c;
	}
	return t->credentials;
}

/* ---- the table the view reads (common/credentials.h) ---- */

static struct credentials_table *shared;
/* The view's mountpoint while its guards wait for a non-root identity (--lazy-guards). */
static const char *guards_mount;
static struct credentials_slot initial_slot; /* a process that never changed its ids */

static void slot_of(const struct credentials *c, struct credentials_slot *slot)
{
	static const struct {
		int cap;
		uint32_t bit;
	} bits[] = {{CAP_DAC_OVERRIDE, CRED_DAC_OVERRIDE}, {CAP_DAC_READ_SEARCH, CRED_DAC_READ_SEARCH},
		    {CAP_FOWNER, CRED_FOWNER},		   {CAP_CHOWN, CRED_CHOWN},
		    {CAP_FSETID, CRED_FSETID}};

	memset(slot, 0, sizeof(*slot));
	slot->fsuid = c->uid[3];
	slot->fsgid = c->gid[3];
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (capable(c, bits[i].cap))
			slot->caps |= bits[i].bit;
	slot->n_groups = c->n_groups < CREDENTIALS_SLOT_GROUPS ? (uint32_t)c->n_groups
							       : CREDENTIALS_SLOT_GROUPS;
	for (uint32_t i = 0; i < slot->n_groups; i++)
		slot->groups[i] = c->groups[i];
}

int identity_share(struct session *session, const char *path)
{
	long pid_max = read_sysctl("kernel/pid_max", 4194304);
	struct credentials c;
	void *map;
	int fd;

	if (pid_max < 2 || pid_max > (1l << 22))
		pid_max = 4194304;
	uint64_t size = credentials_table_size((uint32_t)pid_max);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Sparse: only the pages of the pids the guest uses are ever touched. */
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = errno;
		close(fd);
		unlink(path);
		return -err;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		int err = errno;
		unlink(path);
		return -err;
	}
	shared = map;
	shared->slots = (uint32_t)pid_max;
	__atomic_store_n(&shared->magic, CREDENTIALS_MAGIC, __ATOMIC_RELEASE);
	initial_credentials(session, &c);
	slot_of(&c, &initial_slot);
	if (session->fake_root)
		guards_mount = session->mount;
	return 0;
}

/* t's slot when the table exists (initial_slot is set then). */
static void shared_slot_of(const struct tracee *t, struct credentials_slot *slot)
{
	if (t->credentials)
		slot_of(t->credentials, slot);
	else
		*slot = initial_slot;
}

void identity_publish(struct tracee *t)
{
	struct credentials_slot slot;

	if (!shared || !t)
		return;
	shared_slot_of(t, &slot);
	if (t->exec_loading)
		slot.caps |= CRED_EXEC_LOADING;
	credentials_publish(shared, t->pid, &slot);
	if (guards_mount && !(slot.caps & (CRED_DAC_OVERRIDE | CRED_DAC_READ_SEARCH))) {
		/* Answered once the view cached no name this thread may not walk through. */
		if (getxattr(guards_mount, CREDENTIALS_GUARDS_XATTR, NULL, 0) < 0 && errno != ENODATA)
			log_warn("cannot arm the view's guards: %s", strerror(errno));
		guards_mount = NULL;
	}
}

void identity_slot(const struct session *session, struct tracee *t,
		   struct credentials_slot *slot)
{
	struct credentials c;

	if (shared) {
		shared_slot_of(t, slot);
		return;
	}
	initial_credentials(session, &c);
	slot_of(t->credentials ? t->credentials : &c, slot);
}

void identity_exec_loading(struct tracee *t, bool loading)
{
	if (t->exec_loading == loading)
		return;
	t->exec_loading = loading;
	identity_publish(t);
}

void identity_forget(pid_t pid)
{
	if (shared)
		credentials_publish(shared, pid, NULL);
}

void handle_identity_enter(struct stop *stop)
{
	struct credentials *c = credentials_of(stop, stop->tracee);
	/* What commit_creds compares: euid, egid, fsuid, fsgid and the permitted set. */
	unsigned int ids[4] = {c ? c->uid[1] : 0, c ? c->gid[1] : 0, c ? c->uid[3] : 0,
			       c ? c->gid[3] : 0};
	uint64_t permitted = c ? c->permitted : 0;
	long r = c ? emulate(stop, c) : -ENOMEM;

	if (r == AS_IS)
		return;
	stop_skip(stop, r);
	if (strncmp(stop->desc->name, "get", 3) == 0)
		return;
	identity_publish(stop->tracee); /* set*id, capset, prctl: the view judges by them */
	/* commit_creds: a new euid, egid, fsuid or fsgid, or capabilities gained. */
	if (c &&
	    (c->uid[1] != ids[0] || c->gid[1] != ids[1] || c->uid[3] != ids[2] ||
	     c->gid[3] != ids[3] || (c->permitted & ~permitted)) &&
	    id_change_makes_undumpable())
		stop->tracee->undumpable = true;
}

/*
 * After a successful execve: the kernel recomputes the sets (no file
 * capabilities here): a set-id program first gives its owner as the
 * effective (and saved) id, and clears the ambient set; then root, real or
 * effective, gets the bounding set; the effective set is full only for
 * euid 0; otherwise what is left is the ambient set. KEEP_CAPS does not
 * survive an exec.
 */
void identity_after_exec(const struct session *session, struct tracee *t,
			 const struct exec_plan *plan)
{
	struct credentials *c = t->credentials;

	t->undumpable = false; /* begin_new_exec; a set-id program below */
	t->exec_secure = false;
	if (session->fake_identity && plan && (plan->set_uid || plan->set_gid) && !c) {
		c = talloc(t, struct credentials);
		if (!c)
			return;
		initial_credentials(session, c);
		t->credentials = c;
	}
	if (!c)
		return;
	if (plan && plan->set_uid && plan->file_uid != c->uid[1]) {
		c->uid[1] = plan->file_uid;
		c->ambient = 0;
		t->undumpable = id_change_makes_undumpable();
	}
	if (plan && plan->set_gid && plan->file_gid != c->gid[1]) {
		c->gid[1] = plan->file_gid;
		c->ambient = 0;
		t->undumpable = id_change_makes_undumpable();
	}
	bool root = !(c->securebits & SECBIT_NOROOT) && (c->uid[0] == 0 || c->uid[1] == 0);
	if (root) {
		c->permitted = (c->bounding | c->inheritable) | c->ambient;
		c->effective = c->uid[1] == 0 ? c->permitted : c->ambient;
	} else {
		c->permitted = c->ambient;
		c->effective = c->ambient;
	}
	c->uid[2] = c->uid[1];
	c->gid[2] = c->gid[1];
	c->uid[3] = c->uid[1];
	c->gid[3] = c->gid[1];
	c->securebits &= ~(unsigned)SECBIT_KEEP_CAPS;
	/* commoncap's bprm->secureexec: ids that differ, or capabilities a non-root gained. */
	t->exec_secure = c->uid[1] != c->uid[0] || c->gid[1] != c->gid[0] ||
			 (c->uid[0] != 0 && (c->permitted & ~c->ambient));
	identity_publish(t);
}

/*
 * A signal's si_uid is its sender's real uid (for SIGCHLD: the child's),
 * which the kernel knows as the host's: a guest sender's is its fake one.
 * For a waitid result (siginfo in the guest's memory) or a signal about to
 * be delivered (PTRACE_GETSIGINFO at its delivery stop).
 */
bool identity_fix_siginfo_uid(const struct session *session, siginfo_t *info)
{
	static uid_t host = (uid_t)-1;
	bool from_process = info->si_code == SI_USER || info->si_code == SI_TKILL ||
			    info->si_code == SI_QUEUE || (info->si_signo == SIGCHLD && info->si_code > 0);

	if (host == (uid_t)-1)
		host = getuid();
	if (!session->fake_identity || !from_process || info->si_uid != host)
		return false;
	struct tracee *sender = info->si_pid > 0 ? tracee_get(info->si_pid) : NULL;
	uid_t uid = sender && sender->credentials ? sender->credentials->uid[0] : session->fake_uid;
	if (uid == info->si_uid)
		return false;
	info->si_uid = uid;
	return true;
}

void identity_fix_delivery(const struct session *session, struct tracee *t)
{
	siginfo_t info;

	if (session->fake_identity && ptrace(PTRACE_GETSIGINFO, t->pid, NULL, &info) == 0 &&
	    identity_fix_siginfo_uid(session, &info))
		ptrace(PTRACE_SETSIGINFO, t->pid, NULL, &info);
}

/*
 * getsockopt(SO_PEERCRED): the kernel names the peer by its real ids; a
 * guest peer has fake ones (a daemon checking for a root client). At the
 * exit stop, the effective ids of the peer process, if it is a tracee.
 */
void handle_peercred_enter(struct stop *stop)
{
	stop->want_exit = stop_arg(stop, 1) == SOL_SOCKET && stop_arg(stop, 2) == SO_PEERCRED &&
			  stop->session->fake_identity;
}

void handle_peercred_exit(struct stop *stop)
{
	pid_t pid = stop->tracee->pid;
	unsigned long where = stop_arg(stop, 3), length_where = stop_arg(stop, 4);
	socklen_t length;
	struct ucred peer;

	if ((long)REG_RESULT(&stop->regs) != 0 || !where || !length_where ||
	    tracee_read(pid, length_where, &length, sizeof(length)) < 0 || length < sizeof(peer) ||
	    tracee_read(pid, where, &peer, sizeof(peer)) < 0)
		return;
	struct tracee *t = peer.pid > 0 ? tracee_get(peer.pid) : NULL;
	struct credentials *c = t ? credentials_of(stop, t) : NULL;
	if (!c)
		return;
	peer.uid = c->uid[1];
	peer.gid = c->gid[1];
	tracee_write(pid, where, &peer, sizeof(peer));
}

bool identity_capable(struct stop *stop, int cap)
{
	if (!stop->session->fake_identity)
		return geteuid() == 0; /* the host's own identity */
	struct credentials *c = credentials_of(stop, stop->tracee);
	return c && capable(c, cap);
}

int identity_owns(struct stop *stop, const char *host, bool follow)
{
	const struct credentials *c = identity_credentials(stop, stop->tracee);
	struct stat st;

	if (fstatat(AT_FDCWD, host, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return !c || identity_capable(stop, CAP_FOWNER) || st.st_uid == c->uid[3];
}

const struct credentials *identity_credentials(struct stop *stop, struct tracee *t)
{
	return stop->session->fake_identity ? credentials_of(stop, t) : NULL;
}

bool identity_ids(struct stop *stop, unsigned int ids[4])
{
	if (!stop->session->fake_identity)
		return false;
	struct credentials *c = credentials_of(stop, stop->tracee);
	if (!c)
		return false;
	ids[0] = c->uid[0];
	ids[1] = c->uid[1];
	ids[2] = c->gid[0];
	ids[3] = c->gid[1];
	return true;
}
