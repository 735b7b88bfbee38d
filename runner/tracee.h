/* SPDX-License-Identifier: MIT */
/*
 * A tracee: one traced thread. Its registers, its memory, and the little
 * state kept between a syscall's enter and exit stops.
 */
#ifndef GROOT_TRACEE_H
#define GROOT_TRACEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "syscalls.h"

/* groot's own ptrace options on every tracee (a guest debugger may add TRACEEXIT). */
#define TRACE_OPTIONS                                                                              \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                        \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)

struct exec_plan;
struct emulated_trace;
struct session;

#define CREDENTIALS_MAX_GROUPS 64

/* Fake credentials of one process under fake root: [real, effective, saved, fs]. */
struct credentials {
	unsigned int uid[4];
	unsigned int gid[4];
	unsigned int groups[CREDENTIALS_MAX_GROUPS];
	size_t n_groups;
	/* Capability sets, as the kernel keeps them for a process with these ids. */
	uint64_t effective, permitted, inheritable, bounding, ambient;
	unsigned int securebits;
};

struct tracee {
	pid_t pid;
	bool attached;           /* seen its first stop */
	enum syscall_handler pending; /* handler to finish at the syscall-exit stop */
	unsigned long saved[4];  /* enter-stop data the exit stop needs */
	struct user_regs_struct saved_regs; /* for execve: restored if it fails */
	struct exec_plan *plan;  /* execve in flight */
	char *exe;               /* guest path /proc/self/exe shows (talloc, shared on fork) */
	uint64_t exe_ino;	 /* that program's inode in the view, 0 unknown (exe_link) */
	struct credentials *credentials; /* fake root: NULL until first used (all 0) */
	char *pending_path;      /* bind through an alias: "alias\0host\0guest" for the exit stop */
	bool group_stopped;      /* in a job-control stop, under PTRACE_LISTEN */
	struct emulated_trace *traced; /* a guest debugger traces it (ptrace_emu.c) */
	/* Its emulated wait4/waitid as a guest debugger (ptrace_emu.c). */
	enum { WAIT_NONE, WAIT_REAL, WAIT_PAUSE_ENTRY, WAIT_PAUSED } wait_state;
	bool wait_was_waitid;
	bool interrupted; /* groot interrupted its wait, and it has not stopped since */
	int wait_options;
	bool wait_has_result;    /* its wait ended before its pause() began */
	char *auxv;              /* host file with the auxv the loader-shim gave the program */
	uint64_t stack_start;    /* the kernel's initial stack pointer at its last exec */
	uint64_t exec_argc;      /* and the argc the program got */
	uint64_t next_argc;      /* the argc of the exec in flight */
	bool exec_loading;       /* the shim maps its program: the view lets it read it (identity.c) */
	bool shim_reports;       /* exec'd for a debugger: the loader-shim stops (int3) at the entry */
	unsigned long extra_options; /* TRACEEXIT, TRACEVFORKDONE set for its guest debugger */
	pid_t tgid;              /* its thread group, once asked (ptrace_emu.c) */
	bool wait_kicked;        /* something happened for it since its real wait */
	bool wait_pause_skipped; /* groot skipped its pause() (orig_rax -1 at the exit stop) */
	long wait_result;        /* with wait_has_result */
	bool orphaned_at_stop;   /* its group was orphaned (or hung up by us) when it stopped */
	unsigned proc_copies;    /* its /proc files procfs.c made copies of (bit per file) */
	bool undumpable;         /* PR_SET_DUMPABLE 0, kept by us (identity.c: handle_dumpable) */
	bool exec_secure;        /* its last exec raised its privileges: AT_SECURE (identity.c) */
	/*
	 * The direct bind its cwd was entered through (-w, inherited), when
	 * several binds show one host directory: getcwd names it, as PRoot
	 * does. A chdir forgets it.
	 */
	const struct direct_bind *cwd_bind;
	/*
	 * A syscall notify.c sent to the ptrace side: interrupted, marked in
	 * argument 5 for its restart, traced, and the mark taken off at its exit.
	 */
	enum { DEFER_NONE, DEFER_ARMED, DEFER_EXIT } deferred;
	unsigned long long deferred_arg; /* argument 5 as the guest had it */
	struct tracee *next, *prev; /* all tracees (tracees_first) */
};

/*
 * The kernel's restart codes, which a tracer sees in the result register of
 * an interrupted syscall (never returned to a program).
 */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513

/* Register access by syscall argument index, for the architecture being built. */
#if defined(__x86_64__)
#define REG_SYSCALL(r) ((r)->orig_rax)
#define REG_RESULT(r) ((r)->rax)
#define REG_SP(r) ((r)->rsp)
/* Offset of argument register index in struct user (PTRACE_POKEUSER). */
static inline size_t reg_arg_offset(int index)
{
	switch (index) {
	case 0: return offsetof(struct user_regs_struct, rdi);
	case 1: return offsetof(struct user_regs_struct, rsi);
	case 2: return offsetof(struct user_regs_struct, rdx);
	case 3: return offsetof(struct user_regs_struct, r10);
	case 4: return offsetof(struct user_regs_struct, r8);
	default: return offsetof(struct user_regs_struct, r9);
	}
}
static inline unsigned long long *reg_arg(struct user_regs_struct *r, int index)
{
	switch (index) {
	case 0: return &r->rdi;
	case 1: return &r->rsi;
	case 2: return &r->rdx;
	case 3: return &r->r10;
	case 4: return &r->r8;
	default: return &r->r9;
	}
}
#endif

/* Tracee table: O(1) by pid. */
int tracees_init(void);
struct tracee *tracee_get(pid_t pid);    /* NULL when unknown */
struct tracee *tracee_add(pid_t pid);    /* NULL on ENOMEM */
void tracee_remove(pid_t pid);
size_t tracees_alive(void);
/* Every tracee, for walks off the hot path: t = tracees_first(); t; t = t->next. */
struct tracee *tracees_first(void);

/* Memory of a stopped tracee. */
/* Read a NUL-terminated string of at most size-1 bytes; returns its length or -errno (-ENAMETOOLONG when it does not fit). */
ssize_t tracee_read_string(pid_t pid, unsigned long address, char *buf, size_t size);
int tracee_read(pid_t pid, unsigned long address, void *buf, size_t size);
int tracee_write(pid_t pid, unsigned long address, const void *buf, size_t size);

/*
 * Scratch space below the stack pointer (past the x86_64 red zone) for
 * strings the tracer substitutes: one per stop, reset at each stop.
 */
struct scratch {
	unsigned long next; /* lowest address used so far */
};
void scratch_init(struct scratch *s, const struct user_regs_struct *regs);
/* Copy data below the stack; returns its tracee address or 0 on failure (errno set). */
unsigned long scratch_push(pid_t pid, struct scratch *s, const void *data, size_t size);

/* An octal field ("Umask:", "flags:") of /proc/PID/<file>; fallback when absent. */
unsigned int tracee_proc_octal(pid_t pid, const char *file, const char *field,
			       unsigned int fallback);

/* Up to size-1 bytes of /proc/PID/file, NUL-terminated: the length, or -1. */
ssize_t tracee_proc_read(pid_t pid, const char *file, char *buf, size_t size);
/* The thread group (what /proc/self names) of thread pid. */
pid_t tracee_tgid(pid_t pid);
/* Its tracer's thread id (TracerPid; 0: none), -1 when it cannot be read. */
pid_t tracee_tracer(pid_t pid);
/* Has pid exited (a zombie, or reaped)? Its exit was or will be reported: nothing to wait for. */
bool tracee_gone(pid_t pid);
/* ppid, process group and session of pid (/proc/PID/stat); false when it is gone. */
bool tracee_ids(pid_t pid, pid_t *ppid, pid_t *pgrp, pid_t *session);
/* Where a new task's state comes from: its thread group, or (a process) its parent. */
pid_t tracee_creator(pid_t pid);

int tracee_get_regs(pid_t pid, struct user_regs_struct *regs);
int tracee_set_regs(pid_t pid, const struct user_regs_struct *regs);
/* Write one register (an offset in struct user_regs_struct): one ptrace call, no regset copy. */
int tracee_set_reg(pid_t pid, size_t offset, unsigned long long value);

#endif
