/* SPDX-License-Identifier: MIT */
/*
 * A guest debugger's wait4 and waitid (docs/runner.md, "Debuggers in the
 * guest"): held stops of its tracees, and the exits of tracees that are not
 * its children, come from here; the rest is the kernel's. With nothing
 * ready, a blocking wait runs as a real WNOHANG wait (its real children)
 * and then pause(), which a signal or groot's PTRACE_INTERRUPT ends; a
 * signal hands the wait back to the kernel's restart rules.
 */
#include "ptrace_emu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "log.h"
#include "ptrace_emu_internal.h"
#include "session.h"
#include "stop.h"

#define SYSCALL_INSN_SIZE 2 /* x86_64 "syscall" */

struct exit_report *emu_exits;

void emu_report_exit(pid_t tracer, pid_t pid, int status)
{
	struct exit_report *r = talloc_zero(NULL, struct exit_report);

	if (r) {
		*r = (struct exit_report){tracer, pid, status, emu_exits};
		emu_exits = r;
	}
}

void emu_drop_exits(pid_t tracer)
{
	for (struct exit_report **r = &emu_exits; *r;) {
		if ((*r)->tracer == tracer) {
			struct exit_report *gone = *r;
			*r = gone->next;
			talloc_free(gone);
		} else {
			r = &(*r)->next;
		}
	}
}

/* A debugger's child that no debugger traces exited: the kernel has news for its waits. */
void emu_kick_parent_wait(pid_t pid)
{
	pid_t ppid = 0, pgrp, session;

	if (!tracee_ids(pid, &ppid, &pgrp, &session))
		return;
	for (struct tracee *w = tracees_first(); w; w = w->next) {
		if (w->wait_state == WAIT_NONE || emu_thread_group(w->pid) != ppid)
			continue;
		w->wait_kicked = true; /* its real WNOHANG wait may have come too early */
		if (w->wait_state != WAIT_REAL && !w->interrupted &&
		    ptrace(PTRACE_INTERRUPT, w->pid, NULL, NULL) == 0)
			w->interrupted = true;
	}
}

void ptrace_emu_wait_signalled(struct tracee *t)
{
	struct user_regs_struct regs;

	if (t->wait_state != WAIT_PAUSE_ENTRY || tracee_get_regs(t->pid, &regs) < 0)
		return;
	/*
	 * A signal between its real wait and its pause(): give the wait back to
	 * the kernel's restart rules, as interrupted (EINTR for a handler
	 * without SA_RESTART, else the wait again, through the filter).
	 */
	regs.rip += SYSCALL_INSN_SIZE;
	regs.rax = (unsigned long long)-ERESTARTSYS;
	regs.orig_rax = t->wait_was_waitid ? SYS_waitid : SYS_wait4;
	tracee_set_regs(t->pid, &regs);
	t->wait_state = WAIT_NONE;
}

struct wait_call {
	bool waitid;
	pid_t selector; /* wait4's pid: >0 one, -1 any, 0 my group, <-1 that group */
	int options;
	unsigned long status_or_info, rusage;
};

static struct wait_call wait_call_of(struct stop *stop)
{
	struct wait_call w = {.waitid = REG_SYSCALL(&stop->regs) == SYS_waitid ||
					(stop->tracee->wait_state != WAIT_NONE &&
					 stop->tracee->wait_was_waitid)};

	if (w.waitid) {
		int type = (int)stop_arg(stop, 0);
		pid_t id = (pid_t)stop_arg(stop, 1);
		w.selector = type == P_PID ? id : type == P_PGID ? (id ? -id : 0) : -1;
		if (type == P_PIDFD)
			w.selector = 0x7fffffff; /* matches nothing we hold */
		w.status_or_info = stop_arg(stop, 2);
		w.options = (int)stop_arg(stop, 3);
		w.rusage = stop_arg(stop, 4);
	} else {
		w.selector = (pid_t)stop_arg(stop, 0);
		w.status_or_info = stop_arg(stop, 1);
		w.options = (int)stop_arg(stop, 2) | WEXITED;
		w.rusage = stop_arg(stop, 3);
	}
	return w;
}

static bool selects(const struct wait_call *w, pid_t debugger, pid_t pid)
{
	pid_t ppid, group, session, own_group;

	if (w->selector > 0)
		return w->selector == pid;
	if (w->selector == -1)
		return true;
	if (!tracee_ids(pid, &ppid, &group, &session))
		return false;
	if (w->selector < -1)
		return group == -w->selector;
	return tracee_ids(debugger, &ppid, &own_group, &session) && group == own_group;
}

/* Fill the wait's result from a held stop or an exit report; false when there is none. */
static bool collect(struct stop *stop, const struct wait_call *w, pid_t debugger, long *result)
{
	pid_t self = stop->tracee->pid, pid = 0;
	int status = 0;
	bool exited = false;

	for (struct tracee *t = tracees_first(); t && !pid; t = t->next) {
		if (t->traced && t->traced->tracer == debugger &&
		    t->traced->state == TRACED_HELD && selects(w, debugger, t->pid)) {
			pid = t->pid;
			status = t->traced->status;
			if (!(w->options & WNOWAIT))
				t->traced->state = TRACED_REPORTED;
		}
	}
	for (struct exit_report **r = &emu_exits; *r && !pid && (w->options & WEXITED);
	     r = &(*r)->next) {
		if ((*r)->tracer != debugger || !selects(w, debugger, (*r)->pid))
			continue;
		pid = (*r)->pid;
		status = (*r)->status;
		exited = true;
		if (!(w->options & WNOWAIT)) {
			struct exit_report *gone = *r;
			*r = gone->next;
			talloc_free(gone);
			break;
		}
	}
	if (!pid)
		return false;
	if (w->rusage) {
		struct rusage zero = {0};
		emu_copy_out(self, w->rusage, &zero, sizeof(zero));
	}
	if (!w->waitid) {
		if (w->status_or_info)
			emu_copy_out(self, w->status_or_info, &status, sizeof(status));
		*result = pid;
		return true;
	}
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGCHLD;
	info.si_pid = pid;
	info.si_uid = getuid();
	if (!exited) {
		info.si_code = CLD_TRAPPED;
		info.si_status = (status >> 8) & 0xffff;
	} else if (WIFEXITED(status)) {
		info.si_code = CLD_EXITED;
		info.si_status = WEXITSTATUS(status);
	} else {
		info.si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
		info.si_status = WTERMSIG(status);
	}
	if (w->status_or_info)
		emu_copy_out(self, w->status_or_info, &info, sizeof(info));
	*result = 0;
	return true;
}

/* Could a tracee of the debugger still give this wait something? */
static bool may_come(const struct wait_call *w, pid_t debugger)
{
	for (struct tracee *t = tracees_first(); t; t = t->next)
		if (t->traced && t->traced->tracer == debugger && selects(w, debugger, t->pid))
			return true;
	return false;
}

void handle_wait_enter(struct stop *stop)
{
	struct tracee *self = stop->tracee;
	pid_t debugger;

	self->wait_state = WAIT_NONE;
	if (!ptrace_emu_active()) {
		/* No guest debugger anywhere: the kernel's wait; a waitid's si_uid is fixed after. */
		stop->want_exit = REG_SYSCALL(&stop->regs) == SYS_waitid && stop_arg(stop, 2) &&
				  stop->session->fake_identity;
		return;
	}
	debugger = emu_thread_group(self->pid);
	struct wait_call w = wait_call_of(stop);
	long result;
	log_debug("ptrace: %d waits for %d", self->pid, w.selector);
	if (collect(stop, &w, debugger, &result)) {
		stop_skip(stop, result);
		return;
	}
	if (!may_come(&w, debugger))
		return; /* only the debugger's own children: the kernel's wait */
	/* First the kernel's answer for its real children, without blocking. */
	self->wait_was_waitid = w.waitid;
	self->wait_options = (int)stop_arg(stop, w.waitid ? 3 : 2);
	self->wait_state = WAIT_REAL;
	self->wait_kicked = false;
	stop_set_arg(stop, w.waitid ? 3 : 2, (unsigned long)(self->wait_options | WNOHANG));
	stop->want_exit = true;
}

static void rewind_to(struct stop *stop, long nr)
{
	stop->regs.rip -= SYSCALL_INSN_SIZE;
	REG_RESULT(&stop->regs) = (unsigned long long)nr;
	stop->regs_dirty = true;
}

void handle_wait_exit(struct stop *stop)
{
	log_debug("ptrace: %d wait exit, state %d, result %lld", stop->tracee->pid,
		  stop->tracee->wait_state, (long long)REG_RESULT(&stop->regs));
	struct tracee *self = stop->tracee;
	long result = (long)REG_RESULT(&stop->regs);
	long nr = self->wait_was_waitid ? SYS_waitid : SYS_wait4;
	pid_t debugger;

	if (self->wait_state == WAIT_NONE) {
		siginfo_t info;
		/* The kernel's own waitid (handle_wait_enter): its child's fake real uid. */
		if (result == 0 && REG_SYSCALL(&stop->regs) == SYS_waitid &&
		    tracee_read(self->pid, stop_arg(stop, 2), &info, sizeof(info)) == 0 &&
		    info.si_pid > 0 && identity_fix_siginfo_uid(stop->session, &info))
			tracee_write(self->pid, stop_arg(stop, 2), &info, sizeof(info));
		return;
	}
	debugger = emu_thread_group(self->pid);
	switch (self->wait_state) {
	case WAIT_REAL: {
		/* The options as the guest gave them. */
		*reg_arg(&stop->regs, self->wait_was_waitid ? 3 : 2) =
		    (unsigned long long)(unsigned)self->wait_options;
		stop->regs_dirty = true;
		bool nothing = result == 0;
		if (self->wait_was_waitid && result == 0) {
			siginfo_t info;
			nothing = emu_copy_in(self->pid, stop_arg(stop, 2), &info, sizeof(info)) < 0 ||
				  info.si_pid == 0;
		}
		if (!(nothing || result == -ECHILD)) {
			self->wait_state = WAIT_NONE; /* the kernel had something */
			return;
		}
		struct wait_call w = wait_call_of(stop);
		long got;
		if (collect(stop, &w, debugger, &got)) {
			REG_RESULT(&stop->regs) = (unsigned long long)got;
			self->wait_state = WAIT_NONE;
			return;
		}
		if (self->wait_options & WNOHANG) {
			if (result == -ECHILD && may_come(&w, debugger))
				REG_RESULT(&stop->regs) = 0; /* tracees, none ready */
			self->wait_state = WAIT_NONE;
			return;
		}
		if (!may_come(&w, debugger)) {
			/* Its tracees are gone meanwhile: the kernel's own blocking wait. */
			self->wait_state = WAIT_NONE;
			rewind_to(stop, nr);
			return;
		}
		/* Nothing yet: sleep in pause() until a signal or groot's interrupt. */
		rewind_to(stop, SYS_pause);
		self->wait_state = WAIT_PAUSE_ENTRY;
		return;
	}
	case WAIT_PAUSE_ENTRY: {
		/*
		 * pause() entered: the next stop of it is its exit. A signal handler may
		 * run first (its syscalls stop here too): only pause itself counts. An
		 * event that came before pause began (its interrupt spent already)
		 * ends the wait now.
		 */
		if (REG_SYSCALL(&stop->regs) != SYS_pause)
			return;
		struct wait_call w = wait_call_of(stop);
		self->wait_state = WAIT_PAUSED;
		self->wait_has_result = collect(stop, &w, debugger, &self->wait_result);
		self->wait_pause_skipped = self->wait_has_result || self->wait_kicked;
		if (self->wait_pause_skipped) {
			REG_SYSCALL(&stop->regs) = (unsigned long long)-1;
			stop->regs_dirty = true;
		}
		return;
	}
	case WAIT_PAUSED: {
		if (REG_SYSCALL(&stop->regs) != SYS_pause &&
		    !(self->wait_pause_skipped && REG_SYSCALL(&stop->regs) == (unsigned long long)-1))
			return;
		struct wait_call w = wait_call_of(stop);
		long got = self->wait_result;
		bool skipped = self->wait_pause_skipped;
		bool found = self->wait_has_result || collect(stop, &w, debugger, &got);
		self->wait_state = WAIT_NONE;
		self->wait_has_result = self->wait_pause_skipped = false;
		if (found) {
			REG_RESULT(&stop->regs) = (unsigned long long)got;
			stop->regs_dirty = true;
			return;
		}
		if (skipped) {
			/* Kicked before pause began: nothing pends, issue the wait again. */
			rewind_to(stop, nr);
			return;
		}
		/* Woken by a signal: interrupted, the kernel restarts it or says EINTR. */
		REG_SYSCALL(&stop->regs) = (unsigned long long)nr;
		REG_RESULT(&stop->regs) = (unsigned long long)-ERESTARTSYS;
		stop->regs_dirty = true;
		return;
	}
	default:
		return;
	}
}
