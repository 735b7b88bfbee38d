/* SPDX-License-Identifier: MIT */
/* The seccomp filter, generated from the syscall table. */
#ifndef GROOT_SECCOMP_H
#define GROOT_SECCOMP_H

#include <stdbool.h>
#include <linux/filter.h>

struct filter_options {
	bool fake_identity; /* trap get*id/set*id (user: root) */
	bool fake_uname;    /* trap uname (profile hostname / uname) */
	unsigned long shim_start, shim_end; /* syscalls from here run untraced */
	bool notify;        /* read-only opens by user notification (notify.c) */
};

/* Build the BPF program into prog (storage of at most capacity insns). Returns insn count or -ENOSPC. */
int build_seccomp_filter(const struct filter_options *options, struct sock_filter *prog,
			 unsigned capacity);

/*
 * In the tracee, before its first execve: no_new_privs + the filter.
 * *listener: with options->notify, the notification fd (-1 when the
 * kernel has none: then everything is traced). Returns 0 or -errno.
 */
int install_seccomp_filter(const struct filter_options *options, int *listener);

/* Argument 5 of a syscall notify.c sends to the ptrace side (its low 32 bits). */
#define NOTIFY_DEFER_MAGIC 0x67726f6fU


#endif
