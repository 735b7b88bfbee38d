/* SPDX-License-Identifier: MIT */
/*
 * The filter stops the tracee only for syscalls in the table; everything
 * else runs at full speed. Lookup is a binary search on the syscall number
 * (a linear list would cost every read() and write() ~130 compares).
 * Syscalls issued from the loader-shim's fixed range are let through
 * untraced, so the shim's own opens and mmaps cost nothing.
 */
#include "seccomp.h"
#include "syscalls.h"
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>

#if defined(__x86_64__)
#define GROOT_AUDIT_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000
#elif defined(__aarch64__)
#define GROOT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

struct rule {
	uint32_t number;
	uint32_t action;
	const uint32_t *arg0; /* if set: the action only for these values of argument 'arg' */
	unsigned n_arg0;
	unsigned arg;
	uint32_t arg_bits; /* if set: the action only when argument 'arg' has one of these bits */
	int notify_flags;  /* >= 0: by user notification (see notified) */
};

/*
 * prctl: the dumpable flag, always (identity.c: handle_dumpable), and the
 * capability options a fake identity emulates; the rest run free.
 */
static const uint32_t prctl_trapped[] = {
	PR_GET_DUMPABLE,   PR_SET_DUMPABLE,   PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ,
	PR_CAPBSET_DROP,   PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT,
};
#define PRCTL_DUMPABLE_ONLY 2 /* the first two */
/* getsockopt: SO_PEERCRED (its optname, argument 2; the level is checked by the tracer). */
static const uint32_t getsockopt_trapped[] = {SO_PEERCRED};

#define NOTIFY_ALWAYS 6 /* notified(): no flags to look at */
/*
 * Opens notify.c leaves to the tracer: creations (the caller's umask and
 * identity), O_TMPFILE, and O_PATH (an O_PATH file cannot be handed over).
 */
#define NOTIFY_TRACED_FLAGS (O_CREAT | __O_TMPFILE | O_PATH)

struct emitter {
	struct sock_filter *prog;
	unsigned capacity, length;
	int overflow;
};

static unsigned emit(struct emitter *e, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (e->length >= e->capacity) {
		e->overflow = 1;
		return e->length;
	}
	e->prog[e->length] = (struct sock_filter){code, jt, jf, k};
	return e->length++;
}

/* Emit a search over rules[lo, hi): each leaf returns its action, a miss returns ALLOW. */
static void emit_search(struct emitter *e, const struct rule *rules, size_t lo, size_t hi)
{
	if (hi - lo <= 4) {
		for (size_t i = lo; i < hi; i++) {
			const struct rule *r = &rules[i];
			unsigned n = r->n_arg0;
			if (r->notify_flags >= 0) {
				/* Deferred by notify.c (argument 5 marked): traced. Creating: traced. */
				bool flags = r->notify_flags != NOTIFY_ALWAYS;
				emit(e, BPF_JMP | BPF_JEQ | BPF_K, r->number, 0, flags ? 6 : 4);
				emit(e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5]), 0, 0);
				emit(e, BPF_JMP | BPF_JEQ | BPF_K, NOTIFY_DEFER_MAGIC, flags ? 3 : 1, 0);
				if (flags) {
					emit(e, BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, args[r->notify_flags]), 0, 0);
					emit(e, BPF_JMP | BPF_JSET | BPF_K, NOTIFY_TRACED_FLAGS, 1, 0);
				}
				emit(e, BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF, 0, 0);
				emit(e, BPF_RET | BPF_K, r->action, 0, 0);
				continue;
			}
			if (r->arg_bits) {
				emit(e, BPF_JMP | BPF_JEQ | BPF_K, r->number, 0, 4);
				emit(e, BPF_LD | BPF_W | BPF_ABS,
				     offsetof(struct seccomp_data, args[r->arg]), 0, 0);
				emit(e, BPF_JMP | BPF_JSET | BPF_K, r->arg_bits, 1, 0);
				emit(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
				emit(e, BPF_RET | BPF_K, r->action, 0, 0);
				continue;
			}
			if (!r->arg0) {
				emit(e, BPF_JMP | BPF_JEQ | BPF_K, r->number, 0, 1);
				emit(e, BPF_RET | BPF_K, r->action, 0, 0);
				continue;
			}
			/* The number matches: look at the first argument, then return either way. */
			emit(e, BPF_JMP | BPF_JEQ | BPF_K, r->number, 0, (uint8_t)(n + 3));
			emit(e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[r->arg]), 0,
			     0);
			for (unsigned j = 0; j < n; j++)
				emit(e, BPF_JMP | BPF_JEQ | BPF_K, r->arg0[j], (uint8_t)(n - j), 0);
			emit(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
			emit(e, BPF_RET | BPF_K, r->action, 0, 0);
		}
		emit(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
		return;
	}
	size_t mid = lo + (hi - lo) / 2;
	/* nr >= rules[mid] → the "ja" to the upper half; else fall into the lower half. */
	emit(e, BPF_JMP | BPF_JGE | BPF_K, rules[mid].number, 0, 1);
	unsigned jump = emit(e, BPF_JMP | BPF_JA, 0, 0, 0);
	emit_search(e, rules, lo, mid);
	if (!e->overflow)
		e->prog[jump].k = e->length - (jump + 1);
	emit_search(e, rules, mid, hi);
}

/*
 * By user notification (notify.c: notify_answers), when the session allows
 * it: -1 for not, else the argument holding the open flags
 * (NOTIFY_TRACED_FLAGS), or NOTIFY_ALWAYS.
 */
static int notified(const struct syscall_desc *d)
{
	if (!notify_answers(d->number))
		return -1;
	return !strcmp(d->name, "open") ? 1 : !strcmp(d->name, "openat") ? 2 : NOTIFY_ALWAYS;
}

static int compare_rules(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

int build_seccomp_filter(const struct filter_options *options, struct sock_filter *prog,
			 unsigned capacity)
{
	struct rule rules[SYSCALL_TABLE_SIZE];
	size_t n = 0;
	struct emitter e = {prog, capacity, 0, 0};

	for (unsigned i = 0; i < syscall_count(); i++) {
		const struct syscall_desc *d = syscall_at(i);
		uint32_t action = SECCOMP_RET_TRACE;

		if (!d)
			continue;
		if (handler_is_identity(d->handler) && !options->fake_identity &&
		    strcmp(d->name, "prctl") != 0)
			continue;
		if (d->handler == HANDLE_UNAME && !options->fake_uname)
			continue;
		if (d->handler == HANDLE_CHOWN && d->paths[0].arg < 0 && !options->fake_identity)
			continue; /* fchown: only its EPERM matters, and only under fake root */
		if (d->handler == HANDLE_ENOSYS)
			action = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
		rules[n] = (struct rule){(uint32_t)d->number, action, NULL, 0, 0, 0, -1};
		if (options->notify)
			rules[n].notify_flags = notified(d);
		if (!strcmp(d->name, "prctl")) {
			rules[n].arg0 = prctl_trapped;
			rules[n].n_arg0 = options->fake_identity
					      ? sizeof(prctl_trapped) / sizeof(prctl_trapped[0])
					      : PRCTL_DUMPABLE_ONLY;
		} else if (d->handler == HANDLE_CLONE) {
			/* The flags, argument 0: their low word. */
			rules[n].arg_bits = CLONE_UNTRACED;
		} else if (d->handler == HANDLE_NOATIME) {
			/* fcntl's argument 2, for F_SETFL. */
			rules[n].arg_bits = O_NOATIME;
			rules[n].arg = 2;
		} else if (!strcmp(d->name, "getsockopt")) {
			rules[n].arg0 = getsockopt_trapped;
			rules[n].n_arg0 = 1;
			rules[n].arg = 2;
		}
		n++;
	}
	qsort(rules, n, sizeof(rules[0]), compare_rules);

	/* Another ABI (i386 int 0x80, x32) would bypass the table: refuse it. */
	emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, GROOT_AUDIT_ARCH, 1, 0);
	emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);

	/* The shim's range [start, end) lies within one 4 GiB window: compare the high word, then the low. */
	uint32_t high = (uint32_t)(options->shim_start >> 32);
	uint32_t low_start = (uint32_t)options->shim_start;
	uint32_t low_end = (uint32_t)options->shim_end;
	emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4, 0,
	     0);
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, high, 0, 4);
	emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer), 0, 0);
	emit(&e, BPF_JMP | BPF_JGE | BPF_K, low_start, 0, 2);
	emit(&e, BPF_JMP | BPF_JGE | BPF_K, low_end, 1, 0);
	emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);

	emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#ifdef X32_SYSCALL_BIT
	emit(&e, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 1);
	emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
#endif
	emit_search(&e, rules, 0, n);
	return e.overflow ? -ENOSPC : (int)e.length;
}

int install_seccomp_filter(const struct filter_options *options, int *listener)
{
	struct sock_filter insns[1024];
	int n = build_seccomp_filter(options, insns, 1024);

	*listener = -1;
	if (n < 0)
		return n;
	struct sock_fprog prog = {(unsigned short)n, insns};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (options->notify) {
		int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd >= 0) {
			*listener = fd;
			return 0;
		}
		if (errno != EINVAL && errno != EBUSY)
			return -errno;
		/*
		 * A kernel without listeners (before 5.0), or a listener already
		 * in the chain (the kernel allows one): everything by ptrace.
		 */
		struct filter_options traced = *options;
		traced.notify = false;
		return install_seccomp_filter(&traced, listener);
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
