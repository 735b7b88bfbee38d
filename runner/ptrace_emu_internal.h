/* SPDX-License-Identifier: MIT */
/* What ptrace_emu.c (requests, stops) and ptrace_wait.c (waits) share. */
#ifndef GROOT_PTRACE_EMU_INTERNAL_H
#define GROOT_PTRACE_EMU_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

/* Exits a debugger must collect itself (its tracee was not its child). */
struct exit_report {
	pid_t tracer, pid;
	int status;
	struct exit_report *next;
};

extern struct exit_report *emu_exits;
extern unsigned int emu_traced_count;

pid_t emu_thread_group(pid_t pid);
int emu_stop_status(int signal, int event);
/* SIGCHLD to the debugger, and a nudge to its emulated waits. */
void emu_notify_tracer(pid_t tracer);
/* The debugger's memory: 0 or -EFAULT. */
long emu_copy_out(pid_t pid, unsigned long address, const void *data, size_t size);
long emu_copy_in(pid_t pid, unsigned long address, void *data, size_t size);

void emu_report_exit(pid_t tracer, pid_t pid, int status);
void emu_drop_exits(pid_t tracer);
void emu_kick_parent_wait(pid_t pid);

#endif
