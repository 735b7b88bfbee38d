/* SPDX-License-Identifier: MIT */
/*
 * ptrace inside the guest: strace, gdb and friends. groot is already the
 * tracer of every guest process and the kernel allows one, so a guest
 * debugger's tracing is emulated on top of groot's own:
 *
 *  - ptrace() requests are answered by the tracer. Attaching only records
 *    who traces whom; requests that read or write a stopped tracee are
 *    done by groot (the real tracer) and copied to or from the debugger;
 *    resuming requests say how groot resumes the tracee.
 *  - A stop the debugger must see (a signal, a syscall, an event, a group
 *    stop) is held: groot does not resume the tracee, records the status
 *    the debugger's wait will get, and wakes the debugger (SIGCHLD, and
 *    PTRACE_INTERRUPT when it sleeps in an emulated wait).
 *  - wait4 and waitid are ptrace_wait.c's.
 *
 * Processes with no guest debugger pay a trap at each wait (wait4 and
 * waitid are in the filter), where the handler finds nothing to do.
 */
#include "ptrace_emu.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "log.h"
#include "ptrace_emu_internal.h"
#include "session.h"
#include "stop.h"

#define PTRACE_OPTIONS_KNOWN 0x003000ffUL /* PTRACE_O_* up to SUSPEND_SECCOMP */
unsigned int emu_traced_count; /* tracees with a guest debugger: 0 = nothing to do */

bool ptrace_emu_active(void)
{
	return emu_traced_count > 0 || emu_exits;
}

/* The thread group of a tracee, cached: the walks ask for it often. */
pid_t emu_thread_group(pid_t pid)
{
	struct tracee *t = tracee_get(pid);

	if (!t)
		return tracee_tgid(pid);
	if (!t->tgid)
		t->tgid = tracee_tgid(pid);
	return t->tgid;
}

/* ---- holding stops for the debugger ---------------------------------------------------- */

/* Is thread pid blocked in a wait the kernel runs (one that began before it traced)? */
static bool in_kernel_wait(pid_t pid)
{
	char line[32];

	if (tracee_proc_read(pid, "syscall", line, sizeof(line)) < 0)
		return false;
	long nr = strtol(line, NULL, 10);
	return nr == SYS_wait4 || nr == SYS_waitid;
}

/* Wake the debugger: SIGCHLD as the kernel sends a tracer, and its emulated waits. */
void emu_notify_tracer(pid_t tracer)
{
	kill(tracer, SIGCHLD);
	for (struct tracee *w = tracees_first(); w; w = w->next) {
		if (emu_thread_group(w->pid) != tracer)
			continue;
		if (w->wait_state == WAIT_NONE) {
			/* Waiting in the kernel since before it had tracees: interrupted, the
			 * wait restarts through the filter and finds the stop. */
			if (!w->interrupted && in_kernel_wait(w->pid) &&
			    ptrace(PTRACE_INTERRUPT, w->pid, NULL, NULL) == 0)
				w->interrupted = true;
			continue;
		}
		w->wait_kicked = true; /* what its last real wait saw may be stale */
		if (w->wait_state != WAIT_REAL && !w->interrupted &&
		    ptrace(PTRACE_INTERRUPT, w->pid, NULL, NULL) == 0) {
			log_debug("ptrace: interrupt %d's wait", w->pid);
			w->interrupted = true;
		}
	}
}

/* The debugger wants PTRACE_EVENT_EXIT: groot asks the kernel for it (t is stopped). */
static void exit_events(struct tracee *t)
{
	unsigned long want = t->traced ? t->traced->options & (PTRACE_O_TRACEEXIT |
								 PTRACE_O_TRACEVFORKDONE)
				       : 0;

	if (want != t->extra_options &&
	    ptrace(PTRACE_SETOPTIONS, t->pid, NULL, (void *)(long)(TRACE_OPTIONS | want)) == 0)
		t->extra_options = want;
}

static void hold(struct tracee *t, int status, unsigned long message)
{
	log_debug("ptrace: %d stops for %d, status %#x", t->pid, t->traced->tracer, status);
	exit_events(t);
	t->traced->group_stop = false;
	t->traced->state = TRACED_HELD;
	t->traced->status = status;
	t->traced->event_message = message;
	emu_notify_tracer(t->traced->tracer);
}

int emu_stop_status(int signal, int event)
{
	return (event << 16) | (signal << 8) | 0x7f;
}

static void untrace(struct tracee *t)
{
	talloc_free(t->traced);
	t->traced = NULL;
	emu_traced_count--;
}

static int trace(struct tracee *t, pid_t tracer, bool seized, unsigned long options)
{
	pid_t ppid = 0, pgrp, session;

	t->traced = talloc_zero(t, struct emulated_trace);
	if (!t->traced)
		return -ENOMEM;
	t->traced->tracer = tracer;
	t->traced->seized = seized;
	t->traced->options = options;
	t->traced->mode = PTRACE_CONT;
	t->traced->skipped_nr = -1;
	t->traced->tracer_is_parent = tracee_ids(t->pid, &ppid, &pgrp, &session) &&
				      emu_thread_group(t->pid) == t->pid && ppid == tracer;
	emu_traced_count++;
	return 0;
}

/* How groot resumes t: the debugger's wishes and groot's own pending exit stop. */
int ptrace_emu_resume_request(const struct tracee *t)
{
	if (t->pending != HANDLE_NONE || t->deferred == DEFER_EXIT || (t->traced && t->traced->mode == PTRACE_SYSCALL) ||
	    t->wait_state == WAIT_PAUSE_ENTRY || t->wait_state == WAIT_PAUSED)
		return PTRACE_SYSCALL;
	if (t->traced && t->traced->mode == PTRACE_SINGLESTEP && !t->shim_reports)
		return PTRACE_SINGLESTEP; /* (never through the loader-shim) */
	return PTRACE_CONT;
}

static void release(struct tracee *t, int signal)
{
	bool held = t->traced->state != TRACED_RUNNING;
	bool group_stop = held && t->traced->group_stop;

	untrace(t);
	if (group_stop) {
		/* The kernel keeps a job-control stop past the detach: so does groot. */
		if (ptrace(PTRACE_LISTEN, t->pid, NULL, NULL) == 0)
			t->group_stopped = true;
		return;
	}
	if (held && ptrace(ptrace_emu_resume_request(t), t->pid, NULL, (void *)(long)signal) < 0)
		log_debug("cannot resume %d after its debugger: %s", t->pid, strerror(errno));
}

/* ---- the loop's stops ---------------------------------------------------------------- */

int ptrace_emu_syscall_op(struct tracee *t)
{
	if (t->shim_reports)
		return 0; /* the loader-shim at work: none of the debugger's business */
	struct {
		uint8_t op;
		uint8_t pad[3];
		uint32_t arch;
		uint64_t instruction_pointer, stack_pointer;
		uint64_t rest[7];
	} info;

	if (!t->traced || t->traced->mode != PTRACE_SYSCALL ||
	    ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, (void *)sizeof(info), &info) <= 0)
		return 0;
	return info.op;
}

bool ptrace_emu_syscall_stop(struct tracee *t, int op)
{
	if (!t->traced || t->traced->mode != PTRACE_SYSCALL)
		return false;
	if (op == PTRACE_SYSCALL_INFO_ENTRY)
		t->traced->skipped_nr = -1;
	if (op == PTRACE_SYSCALL_INFO_EXIT && t->traced->skipped_nr >= 0) {
		/* groot answered this one itself: show the debugger what the guest asked for. */
		tracee_set_reg(t->pid, offsetof(struct user_regs_struct, orig_rax),
			       (unsigned long long)t->traced->skipped_nr);
		t->traced->skipped_nr = -1;
	}
	if (op != PTRACE_SYSCALL_INFO_ENTRY && op != PTRACE_SYSCALL_INFO_EXIT)
		return false;
	int signal = SIGTRAP | (t->traced->options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0);
	hold(t, emu_stop_status(signal, 0), 0);
	return true;
}

void ptrace_emu_seccomp_stop(struct tracee *t, long nr, bool skipped)
{
	if (t->traced)
		t->traced->skipped_nr = skipped && t->traced->mode == PTRACE_SYSCALL ? nr : -1;
}

/* Keep the auxv of the stack at sp (argc, argv..., NULL, envp..., NULL, auxv) in a file. */
static void save_auxv(const struct session *session, struct tracee *t, uint64_t sp)
{
	uint64_t address, pair[2];
	int nulls = 0;

	for (address = sp + 8; nulls < 2; address += 8) {
		if (tracee_read(t->pid, address, pair, 8) < 0)
			return;
		nulls += pair[0] == 0;
	}
	/* groot-fast.so takes its LD_PRELOAD out of envp, leaving NULLs: the auxv comes next. */
	for (int i = 0; i < 8; i++, address += 8)
		if (tracee_read(t->pid, address, pair, 8) < 0 || pair[0] != 0)
			break;
	char *path = talloc_asprintf(t, "%s/auxv-%d", session->run_dir, t->pid);
	FILE *out = path ? fopen(path, "we") : NULL;
	for (; out; address += 16) {
		if (tracee_read(t->pid, address, pair, sizeof(pair)) < 0) {
			fclose(out);
			out = NULL;
			break;
		}
		fwrite(pair, sizeof(pair), 1, out);
		if (pair[0] == 0 /* AT_NULL */)
			break;
	}
	if (out && fclose(out) == 0) {
		talloc_free(t->auxv);
		t->auxv = path;
	} else {
		talloc_free(path);
	}
}

const char *ptrace_emu_auxv_of(const struct session *session, struct tracee *t)
{
	uint64_t argc;

	if (t->auxv || !t->stack_start)
		return t->auxv;
	/* The shim's fast path moves argc..envp down 16 bytes when it adds LD_PRELOAD. */
	for (uint64_t sp = t->stack_start; sp >= t->stack_start - 16; sp -= 16) {
		if (tracee_read(t->pid, sp, &argc, sizeof(argc)) == 0 && argc == t->exec_argc) {
			save_auxv(session, t, sp);
			break;
		}
	}
	return t->auxv;
}

/*
 * The loader-shim's int3 after an exec under a debugger: the program is
 * loaded. Start it as the kernel starts a new image (rip at the entry, the
 * stack pointer, every other register 0), keep the auxv the shim fixed for
 * /proc/PID/auxv (the kernel's copy describes the shim), and report the exec.
 */
static bool exec_started(const struct session *session, struct tracee *t)
{
	struct user_regs_struct regs;
	uint64_t sp;

	t->shim_reports = false;
	if (tracee_get_regs(t->pid, &regs) < 0)
		return false;
	sp = regs.rsi;
	save_auxv(session, t, sp);
	uint64_t entry = regs.rdi, eflags = regs.eflags;
	struct user_regs_struct start = regs;
	start.rax = start.rbx = start.rcx = start.rdx = start.rsi = start.rdi = start.rbp = 0;
	start.r8 = start.r9 = start.r10 = start.r11 = start.r12 = start.r13 = start.r14 = 0;
	start.r15 = 0;
	start.rip = entry;
	start.rsp = sp;
	start.eflags = eflags;
	/* As at execve's exit: orig_rax execve, rax 0 (no restart can follow a trap). */
	start.orig_rax = SYS_execve;
	tracee_set_regs(t->pid, &start);
	if (!t->traced)
		return false; /* its debugger has gone meanwhile */
	if (t->traced->options & PTRACE_O_TRACEEXEC) {
		hold(t, emu_stop_status(SIGTRAP, PTRACE_EVENT_EXEC), t->traced->exec_message);
		t->traced->at_exec = true;
		return true;
	}
	if (!t->traced->seized) {
		/*
		 * The exec's SIGTRAP is a signal: its stop comes after execve's exit
		 * stop, which a debugger that ran it under PTRACE_SYSCALL sees first,
		 * and none follows it (ltrace counted an execve too many).
		 */
		if (t->traced->mode == PTRACE_SYSCALL) {
			int sysgood = t->traced->options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0;
			hold(t, emu_stop_status(SIGTRAP | sysgood, 0), 0);
			t->traced->exec_trap_next = true;
		} else {
			hold(t, emu_stop_status(SIGTRAP, 0), 0);
		}
		return true;
	}
	return false;
}

/* The shim's int3 (SI_KERNEL), not some other SIGTRAP (a single step, a kill). */
static bool trapped_by_int3(struct tracee *t)
{
	siginfo_t info;

	return ptrace(PTRACE_GETSIGINFO, t->pid, NULL, &info) == 0 && info.si_code == SI_KERNEL;
}

bool ptrace_emu_signal_stop(const struct session *session, struct tracee *t, int signal)
{
	if (t->shim_reports && signal == SIGTRAP && trapped_by_int3(t)) {
		if (!exec_started(session, t))
			ptrace(ptrace_emu_resume_request(t), t->pid, NULL, NULL); /* the int3 is ours */
		return true;
	}
	if (!t->traced)
		return false;
	if (t->traced->first_stop && signal == SIGSTOP) {
		/* An auto-attached child's first stop (PTRACE_TRACEME'd parents' children too). */
		t->traced->first_stop = false;
	}
	hold(t, emu_stop_status(signal, 0), 0);
	return true;
}

bool ptrace_emu_event_stop(struct tracee *t, int signal)
{
	if (t->interrupted) {
		/* Our own PTRACE_INTERRUPT of a waiting debugger: its wait has been seen to. */
		t->interrupted = false;
		if (!t->traced || !t->traced->interrupt)
			return false;
	}
	if (!t->traced)
		return false;
	if (signal == SIGTRAP) {
		if (t->traced->listening) {
			/* The end of a group stop the debugger listened to: it is told. */
			t->traced->listening = false;
			hold(t, emu_stop_status(SIGTRAP, PTRACE_EVENT_STOP), 0);
			return true;
		}
		if (t->traced->first_stop || t->traced->interrupt) {
			bool first = t->traced->first_stop;
			t->traced->first_stop = t->traced->interrupt = false;
			hold(t, t->traced->seized ? emu_stop_status(SIGTRAP, PTRACE_EVENT_STOP)
			     : first	      ? emu_stop_status(SIGSTOP, 0)
					      : emu_stop_status(SIGTRAP, 0),
			     0);
			return true;
		}
		return false;
	}
	/* A group stop: the debugger decides (PTRACE_CONT ends it, PTRACE_LISTEN keeps it). */
	t->traced->listening = false;
	hold(t, emu_stop_status(signal, t->traced->seized ? PTRACE_EVENT_STOP : 0), 0);
	t->traced->group_stop = true;
	return true;
}

void ptrace_emu_new_child(struct tracee *parent, struct tracee *child, int event)
{
	static const unsigned long option_of[] = {
		[PTRACE_EVENT_FORK] = PTRACE_O_TRACEFORK,
		[PTRACE_EVENT_VFORK] = PTRACE_O_TRACEVFORK,
		[PTRACE_EVENT_CLONE] = PTRACE_O_TRACECLONE,
	};

	if (!parent || !parent->traced || event < 0 || event > PTRACE_EVENT_CLONE)
		return;
	if (event == 0) {
		/* Its first stop came before its parent's event: which one it will be, guessed. */
		unsigned long options = parent->traced->options;
		event = emu_thread_group(child->pid) != child->pid ? PTRACE_EVENT_CLONE
			: options & PTRACE_O_TRACEFORK	      ? PTRACE_EVENT_FORK
							      : PTRACE_EVENT_VFORK;
	}
	if (!(parent->traced->options & option_of[event]))
		return;
	if (child && !child->traced &&
	    trace(child, parent->traced->tracer, parent->traced->seized, parent->traced->options) == 0) {
		child->traced->first_stop = true;
		if (child->attached) {
			/* It ran already (its first stop came before this event): stop it again. */
			child->traced->interrupt = true;
			ptrace(PTRACE_INTERRUPT, child->pid, NULL, NULL);
		}
	}
}

bool ptrace_emu_exit_event(struct tracee *t, int event)
{
	unsigned long message = 0;
	unsigned long option = event == PTRACE_EVENT_EXIT ? PTRACE_O_TRACEEXIT
							  : PTRACE_O_TRACEVFORKDONE;

	if (!t->traced || !(t->traced->options & option))
		return false;
	ptrace(PTRACE_GETEVENTMSG, t->pid, NULL, &message);
	hold(t, emu_stop_status(SIGTRAP, event), message);
	return true;
}

bool ptrace_emu_event(struct tracee *t, int event, unsigned long message)
{
	static const unsigned long option_of[] = {
		[PTRACE_EVENT_FORK] = PTRACE_O_TRACEFORK,   [PTRACE_EVENT_VFORK] = PTRACE_O_TRACEVFORK,
		[PTRACE_EVENT_CLONE] = PTRACE_O_TRACECLONE, [PTRACE_EVENT_EXEC] = PTRACE_O_TRACEEXEC,
	};

	if (!t->traced || event <= 0 || event > PTRACE_EVENT_EXEC)
		return false;
	if (event == PTRACE_EVENT_EXEC && t->shim_reports) {
		/* Reported once the shim has the program in place (exec_started). */
		t->traced->exec_message = message;
		return false;
	}
	if (t->traced->options & option_of[event]) {
		hold(t, emu_stop_status(SIGTRAP, event), message);
		return true;
	}
	if (event == PTRACE_EVENT_EXEC && !t->traced->seized) {
		/* Without PTRACE_O_TRACEEXEC, a successful exec stops with SIGTRAP. */
		hold(t, emu_stop_status(SIGTRAP, 0), 0);
		return true;
	}
	return false;
}

void ptrace_emu_drop_auxv(struct tracee *t)
{
	if (t->auxv) {
		unlink(t->auxv);
		TALLOC_FREE(t->auxv);
	}
}

void ptrace_emu_forget(struct tracee *t)
{
	if (t->traced)
		untrace(t);
	ptrace_emu_drop_auxv(t);
}

void ptrace_emu_exited(struct tracee *t, int status)
{
	pid_t pid = t->pid;

	if (!t->traced && ptrace_emu_active())
		emu_kick_parent_wait(pid); /* a zombie still: /proc/PID/stat names its parent */
	log_debug("ptrace: %d exits (%#x), traced %d", pid, status, t->traced != NULL);
	if (t->traced) {
		pid_t tracer = t->traced->tracer;
		if (!t->traced->tracer_is_parent)
			emu_report_exit(tracer, pid, status);
		ptrace_emu_forget(t);
		emu_notify_tracer(tracer);
	} else {
		ptrace_emu_forget(t);
	}
	emu_drop_exits(pid);
	if (!emu_traced_count)
		return;
	/* A debugger that exits lets its tracees go (PTRACE_O_EXITKILL: kills them). */
	for (struct tracee *e = tracees_first(); e; e = e->next) {
		if (!e->traced || e->traced->tracer != pid)
			continue;
		if (e->traced->options & PTRACE_O_EXITKILL)
			kill(e->pid, SIGKILL);
		release(e, 0);
	}
}

/* ---- ptrace() --------------------------------------------------------------------------- */

long emu_copy_out(pid_t pid, unsigned long address, const void *data, size_t size)
{
	return tracee_write(pid, address, data, size) < 0 ? -EFAULT : 0;
}

long emu_copy_in(pid_t pid, unsigned long address, void *data, size_t size)
{
	return tracee_read(pid, address, data, size) < 0 ? -EFAULT : 0;
}

static long real(long request, pid_t pid, unsigned long address, void *data)
{
	long r = ptrace((enum __ptrace_request)request, pid, (void *)address, data);
	return r < 0 ? -errno : r;
}

static long regset(pid_t debugger, long request, pid_t pid, unsigned long type,
		   unsigned long iov_address)
{
	struct iovec remote, local;
	static char buffer[65536]; /* the biggest xstate (AMX) is about 11 KiB */
	long r;

	if (emu_copy_in(debugger, iov_address, &remote, sizeof(remote)) < 0)
		return -EFAULT;
	local.iov_base = buffer;
	local.iov_len = remote.iov_len < sizeof(buffer) ? remote.iov_len : sizeof(buffer);
	if (request == PTRACE_SETREGSET &&
	    emu_copy_in(debugger, (unsigned long)remote.iov_base, buffer, local.iov_len) < 0)
		return -EFAULT;
	r = real(request, pid, type, &local);
	if (r < 0 || request == PTRACE_SETREGSET)
		return r;
	remote.iov_len = local.iov_len;
	if (emu_copy_out(debugger, (unsigned long)remote.iov_base, buffer, local.iov_len) < 0 ||
	    emu_copy_out(debugger, iov_address, &remote, sizeof(remote)) < 0)
		return -EFAULT;
	return 0;
}

static long resume_traced(struct tracee *t, long request, int signal)
{
	if (signal < 0 || signal >= _NSIG)
		return -EIO;
	if (t->traced->at_exec && request == PTRACE_SYSCALL) {
		/* Natively execve's exit stop follows the exec's report: make it up. */
		t->traced->at_exec = false;
		t->traced->exec_exit = true;
		t->traced->mode = PTRACE_SYSCALL;
		int sysgood = t->traced->options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0;
		hold(t, emu_stop_status(SIGTRAP | sysgood, 0), 0);
		return 0;
	}
	t->traced->at_exec = t->traced->exec_exit = false;
	t->traced->mode = (int)request;
	if (t->traced->exec_trap_next) {
		t->traced->exec_trap_next = false;
		hold(t, emu_stop_status(SIGTRAP, 0), 0);
		return 0;
	}
	t->traced->state = TRACED_RUNNING;
	return real(ptrace_emu_resume_request(t), t->pid, 0, (void *)(long)signal);
}

/* The size of what GET/SETREGS, GET/SETFPREGS and GET/SETSIGINFO move. */
static size_t state_size(long request)
{
	if (request == PTRACE_GETREGS || request == PTRACE_SETREGS)
		return sizeof(struct user_regs_struct);
	if (request == PTRACE_GETFPREGS || request == PTRACE_SETFPREGS)
		return sizeof(struct user_fpregs_struct);
	return sizeof(siginfo_t);
}

/* A request on a tracee the debugger holds stopped. */
static long on_stopped(pid_t debugger, struct tracee *t, long request, unsigned long address,
		       unsigned long data)
{
	pid_t pid = t->pid;
	union {
		struct user_regs_struct regs;
		struct user_fpregs_struct fpregs;
		siginfo_t siginfo;
		char bytes[512];
	} u;
	long r;

	switch (request) {
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA:
	case PTRACE_PEEKUSER:
		errno = 0;
		r = ptrace((enum __ptrace_request)request, pid, (void *)address, NULL);
		if (r == -1 && errno)
			return -errno;
		return emu_copy_out(debugger, data, &r, sizeof(r));
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
	case PTRACE_POKEUSER:
		return real(request, pid, address, (void *)data);
	case PTRACE_GETREGS:
	case PTRACE_GETFPREGS:
	case PTRACE_GETSIGINFO:
		r = real(request, pid, 0, &u);
		return r < 0 ? r : emu_copy_out(debugger, data, &u, state_size(request));
	case PTRACE_SETREGS:
	case PTRACE_SETFPREGS:
	case PTRACE_SETSIGINFO:
		if (emu_copy_in(debugger, data, &u, state_size(request)) < 0)
			return -EFAULT;
		return real(request, pid, 0, &u);
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET:
		return regset(debugger, request, pid, address, data);
	case PTRACE_GETSIGMASK:
	case PTRACE_SETSIGMASK:
		if (address != sizeof(sigset_t) && address != 8)
			return -EINVAL;
		if (request == PTRACE_SETSIGMASK && emu_copy_in(debugger, data, &u, address) < 0)
			return -EFAULT;
		r = real(request, pid, address, &u);
		return r < 0 || request == PTRACE_SETSIGMASK ? r : emu_copy_out(debugger, data, &u, address);
	case PTRACE_GET_SYSCALL_INFO:
		if (t->traced->exec_exit || t->traced->exec_trap_next) {
			/* The made-up exit stop of execve: op EXIT, rval 0. */
			struct user_regs_struct now;
			if (tracee_get_regs(pid, &now) < 0)
				return -ESRCH;
			memset(&u, 0, sizeof(u));
			u.bytes[0] = PTRACE_SYSCALL_INFO_EXIT;
			uint32_t arch = 0xc000003e; /* AUDIT_ARCH_X86_64 */
			memcpy(u.bytes + 4, &arch, 4);
			memcpy(u.bytes + 8, &now.rip, 8);
			memcpy(u.bytes + 16, &now.rsp, 8);
			r = 24 + 8 + 1; /* up to exit.is_error, as the kernel counts */
		} else {
			r = real(request, pid, address < sizeof(u) ? address : sizeof(u), &u);
		}
		if (r > 0 && emu_copy_out(debugger, data, &u, (size_t)r < address ? (size_t)r : address) < 0)
			return -EFAULT;
		return r;
	case PTRACE_GETEVENTMSG:
		return emu_copy_out(debugger, data, &t->traced->event_message, sizeof(unsigned long));
	case PTRACE_SETOPTIONS:
		if (data & ~PTRACE_OPTIONS_KNOWN)
			return -EINVAL;
		t->traced->options = data;
		exit_events(t);
		return 0;
	case PTRACE_CONT:
	case PTRACE_SYSCALL:
	case PTRACE_SINGLESTEP:
		return resume_traced(t, request, (int)data);
	case PTRACE_DETACH:
		if (data >= _NSIG)
			return -EIO;
		release(t, (int)data);
		return 0;
	case PTRACE_LISTEN:
		if (!t->traced->seized || (t->traced->status >> 16) != PTRACE_EVENT_STOP)
			return -EIO;
		t->traced->state = TRACED_RUNNING;
		t->traced->listening = true;
		return real(PTRACE_LISTEN, pid, 0, NULL);
	default:
		return -EIO;
	}
}

/*
 * ptrace_may_access's credential rule (PTRACE_MODE_REALCREDS) with a fake
 * identity's ids: the caller's real uid and gid must be the target's real,
 * effective and saved ones, or it needs CAP_SYS_PTRACE. Without a fake
 * identity every guest process has the same ids: the kernel's answer.
 */
static bool may_attach(struct stop *stop, struct tracee *t)
{
	const struct credentials *c = identity_credentials(stop, stop->tracee);
	const struct credentials *tc = identity_credentials(stop, t);

	if (!c || !tc || identity_capable(stop, CAP_SYS_PTRACE))
		return true;
	for (int i = 0; i < 3; i++)
		if (tc->uid[i] != c->uid[0] || tc->gid[i] != c->gid[0])
			return false;
	return true;
}

static long ptrace_request(struct stop *stop)
{
	long request = (long)stop_arg(stop, 0);
	pid_t pid = (pid_t)stop_arg(stop, 1);
	unsigned long address = stop_arg(stop, 2), data = stop_arg(stop, 3);
	pid_t self = stop->tracee->pid, debugger = emu_thread_group(self);
	struct tracee *t;

	if (request == PTRACE_TRACEME) {
		pid_t ppid = 0, pgrp, session;
		if (stop->tracee->traced || !tracee_ids(debugger, &ppid, &pgrp, &session) ||
		    !tracee_get(ppid))
			return -EPERM;
		return trace(stop->tracee, ppid, false, 0);
	}
	t = tracee_get(pid);
	if (request == PTRACE_ATTACH || request == PTRACE_SEIZE) {
		if (!t)
			return tracee_gone(pid) ? -ESRCH : -EPERM;
		if (emu_thread_group(pid) == debugger || t->traced || !may_attach(stop, t))
			return -EPERM;
		if (request == PTRACE_SEIZE && (address || (data & ~PTRACE_OPTIONS_KNOWN)))
			return -EIO;
		if (trace(t, debugger, request == PTRACE_SEIZE,
			  request == PTRACE_SEIZE ? data : 0) < 0)
			return -ENOMEM;
		if (t->group_stopped) {
			/* Stopped already (groot listens): the kernel re-traps it for the tracer. */
			t->group_stopped = false;
			return real(PTRACE_INTERRUPT, pid, 0, NULL) < 0 ? -ESRCH : 0;
		}
		if (request == PTRACE_ATTACH)
			syscall(SYS_tgkill, emu_thread_group(pid), pid, SIGSTOP);
		return 0;
	}
	if (!t || !t->traced || t->traced->tracer != debugger)
		return -ESRCH;
	if (request == PTRACE_KILL) {
		kill(pid, SIGKILL);
		return 0;
	}
	if (request == PTRACE_INTERRUPT) {
		if (!t->traced->seized)
			return -EIO;
		if (t->traced->state == TRACED_RUNNING) {
			t->traced->interrupt = true;
			return real(PTRACE_INTERRUPT, pid, 0, NULL);
		}
		return 0;
	}
	if (t->traced->state == TRACED_RUNNING)
		return -ESRCH; /* not stopped for the debugger */
	return on_stopped(self, t, request, address, data);
}

void handle_ptrace_enter(struct stop *stop)
{
	long result = ptrace_request(stop);

	log_debug("ptrace: %d asks %ld of %d: %ld", stop->tracee->pid, (long)stop_arg(stop, 0),
		  (pid_t)stop_arg(stop, 1), result);
	if (stop->session->trace)
		trace_syscall(stop, NULL, NULL);
	stop_skip(stop, result);
}
