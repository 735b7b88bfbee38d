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
 *  - wait4 and waitid return held stops and exits of tracees that are not
 *    the debugger's children. With none ready, a blocking wait alternates
 *    a real WNOHANG wait (the debugger's own children) with pause(), which
 *    any signal or groot's PTRACE_INTERRUPT ends: the wait is re-issued by
 *    rewinding the syscall instruction, as a restarted syscall is.
 *
 * Processes with no guest debugger pay one table lookup at their waits.
 */
#include "ptrace_emu.h"

#include <errno.h>
#include <fcntl.h>
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
#include "session.h"
#include "stop.h"

#define PTRACE_OPTIONS_KNOWN 0x003000ffUL /* PTRACE_O_* up to SUSPEND_SECCOMP */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define SYSCALL_INSN_SIZE 2 /* x86_64 "syscall" */

/* Exits the debugger must collect itself (its tracee was not its child). */
struct exit_report {
	pid_t tracer, pid;
	int status;
	struct exit_report *next;
};

static struct exit_report *exits;
static unsigned int traced_count; /* tracees with a guest debugger: 0 = nothing to do */
unsigned int auxv_files;          /* /proc/PID/auxv rewritten for some tracee (path.c) */

bool ptrace_emu_active(void)
{
	return traced_count > 0 || exits;
}

/* The thread group of a tracee, cached: the walks below ask for it often. */
static pid_t thread_group(pid_t pid)
{
	struct tracee *t = tracee_get(pid);

	if (!t)
		return tracee_tgid(pid);
	if (!t->tgid)
		t->tgid = tracee_tgid(pid);
	return t->tgid;
}

/* ---- holding stops for the debugger ---------------------------------------------------- */

/* Wake the debugger: SIGCHLD as the kernel sends a tracer, and its emulated waits. */
/* Is thread pid blocked in a wait the kernel runs (one that began before it traced)? */
static bool in_kernel_wait(pid_t pid)
{
	char path[40], line[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return false;
	line[n] = '\0';
	long nr = strtol(line, NULL, 10);
	return nr == SYS_wait4 || nr == SYS_waitid;
}

static void notify_tracer(pid_t tracer)
{
	kill(tracer, SIGCHLD);
	for (struct tracee *w = tracees_first(); w; w = w->next) {
		if (thread_group(w->pid) != tracer)
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
	notify_tracer(t->traced->tracer);
}

static int stop_status(int signal, int event)
{
	return (event << 16) | (signal << 8) | 0x7f;
}

static void untrace(struct tracee *t)
{
	talloc_free(t->traced);
	t->traced = NULL;
	traced_count--;
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
				      thread_group(t->pid) == t->pid && ppid == tracer;
	traced_count++;
	return 0;
}

/* How groot resumes t: the debugger's wishes and groot's own pending exit stop. */
int ptrace_emu_resume_request(const struct tracee *t)
{
	if (t->pending != HANDLE_NONE || (t->traced && t->traced->mode == PTRACE_SYSCALL) ||
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
	hold(t, stop_status(signal, 0), 0);
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
		auxv_files++;
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
		hold(t, stop_status(SIGTRAP, PTRACE_EVENT_EXEC), t->traced->exec_message);
		t->traced->at_exec = true;
		return true;
	}
	if (!t->traced->seized) {
		hold(t, stop_status(SIGTRAP, 0), 0);
		t->traced->at_exec = true;
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
	hold(t, stop_status(signal, 0), 0);
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
			hold(t, stop_status(SIGTRAP, PTRACE_EVENT_STOP), 0);
			return true;
		}
		if (t->traced->first_stop || t->traced->interrupt) {
			bool first = t->traced->first_stop;
			t->traced->first_stop = t->traced->interrupt = false;
			hold(t, t->traced->seized ? stop_status(SIGTRAP, PTRACE_EVENT_STOP)
			     : first	      ? stop_status(SIGSTOP, 0)
					      : stop_status(SIGTRAP, 0),
			     0);
			return true;
		}
		return false;
	}
	/* A group stop: the debugger decides (PTRACE_CONT ends it, PTRACE_LISTEN keeps it). */
	t->traced->listening = false;
	hold(t, stop_status(signal, t->traced->seized ? PTRACE_EVENT_STOP : 0), 0);
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
		event = thread_group(child->pid) != child->pid ? PTRACE_EVENT_CLONE
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
	hold(t, stop_status(SIGTRAP, event), message);
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
		hold(t, stop_status(SIGTRAP, event), message);
		return true;
	}
	if (event == PTRACE_EVENT_EXEC && !t->traced->seized) {
		/* Without PTRACE_O_TRACEEXEC, a successful exec stops with SIGTRAP. */
		hold(t, stop_status(SIGTRAP, 0), 0);
		return true;
	}
	return false;
}

/* A debugger's child that no debugger traces exited: the kernel has news for its waits. */
static void kick_parent_wait(pid_t pid)
{
	pid_t ppid = 0, pgrp, session;

	if (!tracee_ids(pid, &ppid, &pgrp, &session))
		return;
	for (struct tracee *w = tracees_first(); w; w = w->next) {
		if (w->wait_state == WAIT_NONE || thread_group(w->pid) != ppid)
			continue;
		w->wait_kicked = true; /* its real WNOHANG wait may have come too early */
		if (w->wait_state != WAIT_REAL && !w->interrupted &&
		    ptrace(PTRACE_INTERRUPT, w->pid, NULL, NULL) == 0)
			w->interrupted = true;
	}
}

void ptrace_emu_forget(struct tracee *t)
{
	if (t->traced)
		untrace(t);
	if (t->auxv) {
		unlink(t->auxv);
		TALLOC_FREE(t->auxv);
		auxv_files--;
	}
}

void ptrace_emu_exited(struct tracee *t, int status)
{
	pid_t pid = t->pid;

	if (!t->traced && ptrace_emu_active())
		kick_parent_wait(pid); /* it is a zombie still: /proc/PID/stat names its parent */
	log_debug("ptrace: %d exits (%#x), traced %d", pid, status, t->traced != NULL);
	if (t->auxv) {
		unlink(t->auxv);
		talloc_free(t->auxv);
		t->auxv = NULL;
		auxv_files--;
	}
	if (t->traced) {
		if (!t->traced->tracer_is_parent) {
			struct exit_report *r = talloc_zero(NULL, struct exit_report);
			if (r) {
				*r = (struct exit_report){t->traced->tracer, pid, status, exits};
				exits = r;
			}
		}
		pid_t tracer = t->traced->tracer;
		untrace(t);
		notify_tracer(tracer);
	}
	for (struct exit_report **r = &exits; *r;) {
		if ((*r)->tracer == pid) {
			struct exit_report *gone = *r;
			*r = gone->next;
			talloc_free(gone);
		} else {
			r = &(*r)->next;
		}
	}
	if (!traced_count)
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

static long copy_out(pid_t pid, unsigned long address, const void *data, size_t size)
{
	return tracee_write(pid, address, data, size) < 0 ? -EFAULT : 0;
}

static long copy_in(pid_t pid, unsigned long address, void *data, size_t size)
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

	if (copy_in(debugger, iov_address, &remote, sizeof(remote)) < 0)
		return -EFAULT;
	local.iov_base = buffer;
	local.iov_len = remote.iov_len < sizeof(buffer) ? remote.iov_len : sizeof(buffer);
	if (request == PTRACE_SETREGSET &&
	    copy_in(debugger, (unsigned long)remote.iov_base, buffer, local.iov_len) < 0)
		return -EFAULT;
	r = real(request, pid, type, &local);
	if (r < 0 || request == PTRACE_SETREGSET)
		return r;
	remote.iov_len = local.iov_len;
	if (copy_out(debugger, (unsigned long)remote.iov_base, buffer, local.iov_len) < 0 ||
	    copy_out(debugger, iov_address, &remote, sizeof(remote)) < 0)
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
		hold(t, stop_status(SIGTRAP | sysgood, 0), 0);
		return 0;
	}
	t->traced->at_exec = t->traced->exec_exit = false;
	t->traced->mode = (int)request;
	t->traced->state = TRACED_RUNNING;
	return real(ptrace_emu_resume_request(t), t->pid, 0, (void *)(long)signal);
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
		return copy_out(debugger, data, &r, sizeof(r));
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
	case PTRACE_POKEUSER:
		return real(request, pid, address, (void *)data);
	case PTRACE_GETREGS:
	case PTRACE_GETFPREGS:
	case PTRACE_GETSIGINFO: {
		size_t size = request == PTRACE_GETREGS	  ? sizeof(u.regs)
			      : request == PTRACE_GETFPREGS ? sizeof(u.fpregs)
							    : sizeof(u.siginfo);
		r = real(request, pid, 0, &u);
		return r < 0 ? r : copy_out(debugger, data, &u, size);
	}
	case PTRACE_SETREGS:
	case PTRACE_SETFPREGS:
	case PTRACE_SETSIGINFO: {
		size_t size = request == PTRACE_SETREGS	  ? sizeof(u.regs)
			      : request == PTRACE_SETFPREGS ? sizeof(u.fpregs)
							    : sizeof(u.siginfo);
		if (copy_in(debugger, data, &u, size) < 0)
			return -EFAULT;
		return real(request, pid, 0, &u);
	}
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET:
		return regset(debugger, request, pid, address, data);
	case PTRACE_GETSIGMASK:
	case PTRACE_SETSIGMASK:
		if (address != sizeof(sigset_t) && address != 8)
			return -EINVAL;
		if (request == PTRACE_SETSIGMASK && copy_in(debugger, data, &u, address) < 0)
			return -EFAULT;
		r = real(request, pid, address, &u);
		return r < 0 || request == PTRACE_SETSIGMASK ? r : copy_out(debugger, data, &u, address);
	case PTRACE_GET_SYSCALL_INFO:
		if (t->traced->exec_exit) {
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
		if (r > 0 && copy_out(debugger, data, &u, (size_t)r < address ? (size_t)r : address) < 0)
			return -EFAULT;
		return r;
	case PTRACE_GETEVENTMSG:
		return copy_out(debugger, data, &t->traced->event_message, sizeof(unsigned long));
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

static long ptrace_request(struct stop *stop)
{
	long request = (long)stop_arg(stop, 0);
	pid_t pid = (pid_t)stop_arg(stop, 1);
	unsigned long address = stop_arg(stop, 2), data = stop_arg(stop, 3);
	pid_t self = stop->tracee->pid, debugger = thread_group(self);
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
		if (thread_group(pid) == debugger || t->traced)
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
			syscall(SYS_tgkill, thread_group(pid), pid, SIGSTOP);
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

/* ---- wait4 and waitid ----------------------------------------------------------------- */

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
	for (struct exit_report **r = &exits; *r && !pid && (w->options & WEXITED);
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
		copy_out(self, w->rusage, &zero, sizeof(zero));
	}
	if (!w->waitid) {
		if (w->status_or_info)
			copy_out(self, w->status_or_info, &status, sizeof(status));
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
		copy_out(self, w->status_or_info, &info, sizeof(info));
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
	if (!ptrace_emu_active())
		return; /* no guest debugger anywhere: the kernel's wait */
	debugger = thread_group(self->pid);
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
	pid_t debugger = thread_group(self->pid);

	switch (self->wait_state) {
	case WAIT_REAL: {
		/* The options as the guest gave them. */
		*reg_arg(&stop->regs, self->wait_was_waitid ? 3 : 2) =
		    (unsigned long long)(unsigned)self->wait_options;
		stop->regs_dirty = true;
		bool nothing = result == 0;
		if (self->wait_was_waitid && result == 0) {
			siginfo_t info;
			nothing = copy_in(self->pid, stop_arg(stop, 2), &info, sizeof(info)) < 0 ||
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
