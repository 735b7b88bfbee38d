/* SPDX-License-Identifier: MIT */
/* ptrace inside the guest, emulated on top of groot's own tracing (ptrace_emu.c). */
#ifndef GROOT_PTRACE_EMU_H
#define GROOT_PTRACE_EMU_H

#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include "tracee.h"

/* A tracee as a guest debugger sees it. */
struct emulated_trace {
	pid_t tracer;            /* the debugger's thread group */
	bool seized;             /* PTRACE_SEIZE (else TRACEME or ATTACH) */
	bool tracer_is_parent;   /* the kernel reports its exit to the debugger itself */
	bool first_stop;         /* auto-attached: its first stop is the debugger's */
	bool interrupt;          /* the debugger asked PTRACE_INTERRUPT */
	enum { TRACED_RUNNING, TRACED_HELD, TRACED_REPORTED } state;
	int status;              /* what the debugger's wait gets for the held stop */
	unsigned long event_message;
	unsigned long options;   /* PTRACE_O_* as the debugger set them */
	int mode;                /* PTRACE_CONT, PTRACE_SYSCALL or PTRACE_SINGLESTEP */
	long skipped_nr;         /* a syscall groot answered itself, shown at its exit stop */
	bool group_stop;         /* the held stop is a job-control stop */
	bool listening;          /* the debugger PTRACE_LISTENs to its group stop */
	unsigned long exec_message; /* PTRACE_EVENT_EXEC's message: the former thread id */
	bool at_exec;            /* held at the exec's report (the loader-shim's int3) */
	bool exec_exit;          /* held at execve's exit stop, made up after that report */
	bool exec_trap_next;	 /* held at execve's exit stop: the exec's SIGTRAP comes next */
};

struct session;

/* The host file with the auxv the loader-shim gave t's program (made on first use), or NULL. */
const char *ptrace_emu_auxv_of(const struct session *session, struct tracee *t);
/* Is any guest process tracing another (or has exits to collect)? */
bool ptrace_emu_active(void);
/* The real request groot resumes t with. */
int ptrace_emu_resume_request(const struct tracee *t);

/*
 * The event loop's stops of a traced tracee. Each returns true when the
 * stop is held for the debugger: groot must not resume the tracee.
 */
int ptrace_emu_syscall_op(struct tracee *t); /* PTRACE_SYSCALL_INFO_* of this syscall stop */
bool ptrace_emu_syscall_stop(struct tracee *t, int op);
bool ptrace_emu_signal_stop(const struct session *session, struct tracee *t, int signal);
bool ptrace_emu_event_stop(struct tracee *t, int signal); /* PTRACE_EVENT_STOP */
bool ptrace_emu_event(struct tracee *t, int event, unsigned long message);
bool ptrace_emu_exit_event(struct tracee *t, int event); /* PTRACE_EVENT_EXIT, VFORK_DONE */
/* A signal stops a guest debugger whose emulated wait is about to pause(). */
void ptrace_emu_wait_signalled(struct tracee *t);
void ptrace_emu_seccomp_stop(struct tracee *t, long nr, bool skipped);
void ptrace_emu_new_child(struct tracee *parent, struct tracee *child, int event);
/* Remove t's auxv copy (its program exec'd or exited). */
void ptrace_emu_drop_auxv(struct tracee *t);
/* t leaves the table without an exit of its own (a thread that exec'd took its place). */
void ptrace_emu_forget(struct tracee *t);
/* t exited with this wait status (before it leaves the table). */
void ptrace_emu_exited(struct tracee *t, int status);

#endif
