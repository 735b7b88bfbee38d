/* SPDX-License-Identifier: MIT */
/*
 * The event loop. Tracees are seized (not PTRACE_TRACEME) so that group
 * stops are reported as PTRACE_EVENT_STOP and job control keeps working:
 * a stopped guest stays stopped under PTRACE_LISTEN until it is continued.
 */
#include "tracer.h"
#include "notify.h"
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <talloc.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "loadscript.h"
#include "procfs.h"
#include "ptrace_emu.h"

extern char **environ;

static void resume(struct tracee *t, int signal)
{
	int request = t ? ptrace_emu_resume_request(t) : PTRACE_CONT;

	if (ptrace(request, t ? t->pid : 0, NULL, (void *)(long)signal) < 0 && errno != ESRCH)
		log_warn("cannot resume %d: %s", t ? t->pid : 0, strerror(errno));
}

/* Registers back to the tracee: all of them, the one argument changed, or nothing. */
static void write_back_registers(struct stop *stop)
{
	pid_t pid = stop->tracee->pid;
	int err = 0;

	if (stop->regs_dirty)
		err = tracee_set_regs(pid, &stop->regs);
	else if (stop->changed_arg >= 0)
		err = tracee_set_reg(pid, reg_arg_offset(stop->changed_arg),
				     *reg_arg(&stop->regs, stop->changed_arg));
	if (err < 0)
		log_debug("cannot set registers of %d: %s", pid, strerror(-err));
}

static void handle_enter(const struct session *session, struct tracee *t)
{
	struct stop stop = {.session = session, .tracee = t, .changed_arg = -1};
	enum syscall_handler exit_handler = HANDLE_NONE;

	if (tracee_get_regs(t->pid, &stop.regs) < 0)
		return; /* it died meanwhile */
	if (t->deferred == DEFER_ARMED)
		t->deferred = DEFER_EXIT; /* the filter looks again after us: keep the mark till the exit */
	if (t->exec_loading && t->pending != HANDLE_EXECVE)
		identity_exec_loading(t, false); /* the program runs: its own reads are judged */
	stop.desc = syscall_lookup((long)REG_SYSCALL(&stop.regs));
	if (!stop.desc)
		return;
	scratch_init(&stop.scratch, &stop.regs);

	switch (stop.desc->handler) {
	case HANDLE_PATH:
		if (t->cwd_bind && REG_SYSCALL(&stop.regs) == SYS_chdir)
			t->cwd_bind = NULL;
		if (session->fake_identity && !strncmp(stop.desc->name, "open", 4)) {
			handle_noatime_enter(&stop);
			if (REG_SYSCALL(&stop.regs) == (unsigned long long)-1)
				break; /* refused */
		}
		handle_path_enter(&stop);
		if (session->fake_root && strstr(stop.desc->name, "xattr"))
			rename_privileged_xattr(&stop);
		/* setcap under fake root: the host refuses, PRoot reports success, so do we. */
		if (session->fake_identity && !stop.want_exit &&
		    REG_SYSCALL(&stop.regs) != (unsigned long long)-1 &&
		    xattr_change_refused(&stop) && xattr_change_answered(session, &stop))
			exit_handler = HANDLE_CHOWN;
		break;
	case HANDLE_CHOWN:
		t->saved[3] = 0; /* EPERM becomes success */
		if (session->fake_root && strstr(stop.desc->name, "xattr"))
			rename_privileged_xattr(&stop);
		if (stop.desc->paths[0].arg >= 0)
			handle_path_enter(&stop);
		else if (strstr(stop.desc->name, "xattr") && !xattr_change_refused(&stop))
			break; /* fsetxattr, fremovexattr: only the names the kernel keeps from us */
		/* Only for a fake identity that could: a guest user's EPERM is the view's own. */
		if (strstr(stop.desc->name, "xattr"))
			stop.want_exit = session->fake_identity &&
					 REG_SYSCALL(&stop.regs) != (unsigned long long)-1 &&
					 xattr_change_answered(session, &stop);
		else
			stop.want_exit = session->fake_root &&
					 REG_SYSCALL(&stop.regs) != (unsigned long long)-1 &&
					 identity_capable(&stop, CAP_CHOWN);
		break;
	case HANDLE_READLINK:
		handle_readlink_enter(&stop);
		break;
	case HANDLE_CHROOT:
		handle_chroot_enter(&stop);
		break;
	case HANDLE_MKNOD:
		handle_mknod_enter(&stop);
		break;
	case HANDLE_LINK:
		handle_link_enter(&stop);
		break;
	case HANDLE_GETCWD:
	case HANDLE_UNAME:
		stop.want_exit = true;
		break;
	case HANDLE_EXECVE:
		handle_execve_enter(&stop);
		break;
	case HANDLE_SOCKADDR_IN:
		handle_sockaddr_in_enter(&stop);
		break;
	case HANDLE_SOCKADDR_OUT:
		handle_sockaddr_out_enter(&stop);
		break;
	case HANDLE_REFUSE:
		if (session->trace)
			trace_syscall(&stop, NULL, NULL);
		stop_skip(&stop, -EPERM);
		break;
	case HANDLE_GETID:
	case HANDLE_GETRESID:
	case HANDLE_GETGROUPS:
	case HANDLE_SETID:
		if (!handle_dumpable(&stop))
			handle_identity_enter(&stop);
		break;
	case HANDLE_PEERCRED:
		handle_peercred_enter(&stop);
		break;
	case HANDLE_PTRACE:
		handle_ptrace_enter(&stop);
		break;
	case HANDLE_WAIT:
		handle_wait_enter(&stop);
		break;
	case HANDLE_SIGNAL:
		handle_signal_enter(&stop);
		break;
	case HANDLE_NOATIME:
		handle_noatime_enter(&stop);
		break;
	case HANDLE_CLONE:
		/* Every guest process is ours; a guest debugger's tracees are emulated anyway. */
		stop_set_arg(&stop, 0, *reg_arg(&stop.regs, 0) & ~(unsigned long)CLONE_UNTRACED);
		break;
	case HANDLE_ENOSYS:
	case HANDLE_NONE:
		break;
	}
	write_back_registers(&stop);
	if (stop.want_exit)
		t->pending = stop.desc->handler;
	if (exit_handler != HANDLE_NONE)
		t->pending = exit_handler;
	if (t->traced)
		ptrace_emu_seccomp_stop(t, stop.desc->number,
					REG_SYSCALL(&stop.regs) == (unsigned long long)-1);
}

static void handle_exit(const struct session *session, struct tracee *t)
{
	struct stop stop = {.session = session, .tracee = t, .changed_arg = -1};
	enum syscall_handler pending = t->pending;

	t->pending = HANDLE_NONE;
	if (tracee_get_regs(t->pid, &stop.regs) < 0)
		return;
	stop.desc = syscall_lookup((long)REG_SYSCALL(&stop.regs));
	switch (pending) {
	case HANDLE_GETCWD:
		handle_getcwd_exit(&stop);
		break;
	case HANDLE_READLINK:
		handle_readlink_exit(&stop);
		break;
	case HANDLE_SOCKADDR_OUT:
		handle_sockaddr_out_exit(&stop);
		break;
	case HANDLE_SOCKADDR_IN:
		handle_sockaddr_in_exit(&stop);
		break;
	case HANDLE_CHOWN:
		handle_chown_exit(&stop);
		break;
	case HANDLE_UNAME:
		handle_uname_exit(&stop);
		break;
	case HANDLE_EXECVE:
		handle_execve_exit(&stop);
		break;
	case HANDLE_WAIT:
		handle_wait_exit(&stop);
		break;
	case HANDLE_PEERCRED:
		handle_peercred_exit(&stop);
		break;
	default:
		break;
	}
	write_back_registers(&stop);
}

/* A new thread or process: it inherits what /proc/self/exe shows. */
static void adopt_child(struct tracee *parent, pid_t child_pid)
{
	struct tracee *child = tracee_get(child_pid);

	/*
	 * The child may have stopped, run and exited before its parent's event
	 * reached us (its exit is reported to us first, so it can still be a
	 * zombie waiting for its parent): a pid added now would never leave,
	 * and the loop would wait for it forever.
	 */
	if (!child && tracee_gone(child_pid))
		return;
	if (!child)
		child = tracee_add(child_pid);
	if (!child || !parent)
		return;
	if (parent->exe && !child->exe) {
		child->exe = talloc_strdup(child, parent->exe);
		child->exe_ino = parent->exe_ino;
	}
	if (!child->stack_start) {
		/* Its memory is a copy (or the same): the same stack, the same auxv. */
		child->stack_start = parent->stack_start;
		child->exec_argc = parent->exec_argc;
	}
	child->undumpable = parent->undumpable;
	child->cwd_bind = parent->cwd_bind;
	if (parent->credentials && !child->credentials)
		child->credentials = talloc_memdup(child, parent->credentials,
						   sizeof(*parent->credentials));
	identity_publish(child);
}

/*
 * execve from a non-leader thread: the kernel gives the leader's pid to the
 * thread that exec'd. Move the exec state to the pid it now has.
 */
static struct tracee *follow_exec(const struct session *session, struct tracee *t)
{
	unsigned long former = 0;

	if (ptrace(PTRACE_GETEVENTMSG, t->pid, NULL, &former) < 0 || (pid_t)former == t->pid)
		return t;
	struct tracee *old = tracee_get((pid_t)former);
	if (!old)
		return t;
	t->pending = old->pending;
	t->plan = talloc_steal(t, old->plan);
	t->saved_regs = old->saved_regs;
	old->plan = NULL;
	if (old->traced && !t->traced) {
		t->traced = talloc_steal(t, old->traced);
		old->traced = NULL;
	}
	t->next_argc = old->next_argc;
	t->tgid = t->pid; /* the exec'ing thread is the leader now */
	ptrace_emu_forget(old);
	procfs_forget(session, old);
	if (old->exec_loading)
		identity_exec_loading(t, true);
	if (old->credentials) {
		talloc_free(t->credentials);
		t->credentials = talloc_steal(t, old->credentials);
		old->credentials = NULL;
		identity_publish(t);
	}
	identity_forget((pid_t)former);
	tracee_remove((pid_t)former);
	return t;
}

/*
 * The exec succeeded: the shim is loaded and waits at its entry point.
 * Hand it the load script now rather than at the syscall-exit stop, and
 * resume without asking for that stop: one stop less per exec. (A failed
 * exec has no event and still gets its exit stop, which restores the
 * registers.)
 */
static struct tracee *handle_exec_event(const struct session *session, struct tracee *t)
{
	struct stop stop = {.session = session, .changed_arg = -1};

	t = follow_exec(session, t);
	identity_after_exec(session, t, t->pending == HANDLE_EXECVE ? t->plan : NULL);
	if (t->pending != HANDLE_EXECVE)
		return t;
	stop.tracee = t;
	t->pending = HANDLE_NONE;
	if (tracee_get_regs(t->pid, &stop.regs) < 0)
		return t;
	stop.desc = syscall_lookup((long)REG_SYSCALL(&stop.regs));
	REG_RESULT(&stop.regs) = 0; /* what execve returns to the new image */
	handle_execve_exit(&stop);
	write_back_registers(&stop);
	return t;
}

static _Noreturn void start_first_tracee(const struct launch *launch, int sync_fd, int report_fd)
{
	char byte;
	int err;

	/* Wait until the tracer has seized us: every guest syscall must be seen. */
	if (read(sync_fd, &byte, 1) != 1)
		_exit(GROOT_EXIT_FAILURE);
	/*
	 * The runner ignores ^C while it waits; the guest must not inherit that,
	 * but what groot itself was started with ignored (nohup, a shell's
	 * `trap '' INT`) stays ignored, as across a plain exec.
	 */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&launch->ignored, sig) == 1)
			signal(sig, SIG_IGN);
		else if (sig == SIGINT || sig == SIGQUIT)
			signal(sig, SIG_DFL);
	if (chdir(launch->workdir) < 0) {
		log_error("cannot enter the working directory %s: %s", launch->workdir,
			  strerror(errno));
		_exit(GROOT_EXIT_FAILURE);
	}
	int listener;
	err = install_seccomp_filter(&launch->filter, &listener);
	if (err < 0) {
		log_error("cannot install the seccomp filter: %s (is seccomp allowed here?)",
			  strerror(-err));
		_exit(GROOT_EXIT_FAILURE);
	}
	if (launch->filter.notify) {
		/* The tracer takes the listener (pidfd_getfd), then says go on. */
		if (write(report_fd, &listener, sizeof(listener)) != sizeof(listener) ||
		    read(sync_fd, &byte, 1) != 1)
			_exit(GROOT_EXIT_FAILURE);
		if (listener >= 0)
			close(listener);
	}
	close(sync_fd);
	close(report_fd);
	/* execvp searches the PATH of the current environment: make it the guest's. */
	environ = (char **)launch->envp;
	execvp(launch->argv[0], launch->argv);
	err = errno;
	if (err == ENOENT) {
		log_error("%s: command not found in the guest", launch->argv[0]);
		_exit(GROOT_EXIT_NOT_FOUND);
	}
	log_error("%s: cannot execute: %s", launch->argv[0], strerror(err));
	_exit(GROOT_EXIT_NOT_EXECUTABLE);
}

static bool is_group_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Signals sent to groot itself. groot stands where the guest command would
 * stand: what is sent to it from outside (kill, timeout, a supervisor) is
 * forwarded to the guest command; what the guest sends it (kill(0, ...),
 * kill of its TracerPid) and what the terminal sends the whole foreground
 * group (^C, ^\, which the guest gets too) is dropped.
 */
static const int forwarded_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM,
					SIGUSR1, SIGUSR2, SIGALRM};
static unsigned int signals_received; /* bit N: signal N arrived (atomic ops only) */
static volatile sig_atomic_t signal_sender[32], signal_code[32];
static struct timespec direct_delivery[32]; /* when the guest command last got signal N */

static void on_signal(int sig, siginfo_t *info, void *context)
{
	(void)context;
	signal_sender[sig] = info->si_pid;
	signal_code[sig] = info->si_code;
	__atomic_fetch_or(&signals_received, 1u << sig, __ATOMIC_SEQ_CST);
}

static void catch_signals(struct sigaction *saved)
{
	struct sigaction action = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO};

	sigfillset(&action.sa_mask);
	/* No SA_RESTART: waitpid returns EINTR and the loop forwards at once. */
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++)
		sigaction(forwarded_signals[i], &action, &saved[i]);
}

static void release_signals(const struct sigaction *saved)
{
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++)
		sigaction(forwarded_signals[i], &saved[i], NULL);
}

static long milliseconds_since(const struct timespec *then)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

/* Is sig queued for pid already (a kill of the whole process group reached it too)? */
static bool signal_pending_in(pid_t pid, int sig)
{
	char path[32], line[256];
	bool pending = false;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *status = fopen(path, "re");
	if (!status)
		return false;
	while (fgets(line, sizeof(line), status)) {
		unsigned long long mask;
		if ((sscanf(line, "SigPnd: %llx", &mask) == 1 ||
		     sscanf(line, "ShdPnd: %llx", &mask) == 1) &&
		    (mask & (1ull << (sig - 1))))
			pending = true;
	}
	fclose(status);
	return pending;
}

static void forward_signals(pid_t first, bool first_alive)
{
	unsigned int received = __atomic_exchange_n(&signals_received, 0, __ATOMIC_SEQ_CST);

	for (int sig = 1; received && sig < 32; sig++) {
		if (!(received & (1u << sig)))
			continue;
		pid_t from = signal_sender[sig];
		int code = signal_code[sig];
		if ((code != SI_USER && code != SI_QUEUE) || (from > 0 && tracee_get(from)))
			continue;
		if (first_alive) {
			/* Sent to the whole group, the guest command has it already. */
			if (signal_pending_in(first, sig) ||
			    (direct_delivery[sig].tv_sec && milliseconds_since(&direct_delivery[sig]) < 200))
				continue;
			kill(first, sig);
			continue;
		}
		/*
		 * The command has exited and left processes behind: they get it, and
		 * a stopped one is continued to act on it (killing groot ends them).
		 */
		for (struct tracee *t = tracees_first(); t; t = t->next) {
			if (tracee_tgid(t->pid) != t->pid)
				continue;
			kill(t->pid, sig);
			if (t->group_stopped)
				kill(t->pid, SIGCONT);
		}
	}
}

/*
 * A group is orphaned when none of its members has a parent in another
 * group of the same session. groot stands in for the guest command, so the
 * command's parent is groot's own (the shell that started groot).
 */
static bool group_is_orphaned(pid_t pgrp)
{
	for (struct tracee *m = tracees_first(); m; m = m->next) {
		pid_t ppid, group, session, grandparent, parent_group, parent_session;
		if (!tracee_ids(m->pid, &ppid, &group, &session) || group != pgrp)
			continue;
		if (ppid == getpid())
			ppid = getppid();
		if (tracee_ids(ppid, &grandparent, &parent_group, &parent_session) &&
		    parent_group != pgrp && parent_session == session)
			return false;
	}
	return true;
}

/*
 * The kernel sends SIGHUP then SIGCONT to a group with stopped members
 * when it becomes orphaned, so that nothing stays stopped with no one left
 * to continue it. groot, in the guest command's group or its parent, hides
 * that from the kernel: do it here, after a guest process exits, for the
 * groups that were not orphaned when their member stopped.
 */
static unsigned int group_stops; /* tracees that may be in a job-control stop */

/*
 * The guest command has exited and everything it left is stopped: natively
 * the command returns and they stay stopped, orphans no one continues.
 * groot cannot keep the view for them: it ends (PTRACE_O_EXITKILL ends them).
 */
static bool only_stopped_left(void)
{
	for (struct tracee *t = tracees_first(); t; t = t->next)
		if (!t->group_stopped)
			return false;
	return true;
}

static void hang_up_orphaned_groups(void)
{
	unsigned int still = 0;

	for (struct tracee *s = tracees_first(); s; s = s->next) {
		pid_t ppid, pgrp, session;
		if (!s->group_stopped || s->orphaned_at_stop)
			continue;
		still++;
		if (!tracee_ids(s->pid, &ppid, &pgrp, &session) || !group_is_orphaned(pgrp))
			continue;
		for (struct tracee *m = tracees_first(); m; m = m->next) {
			pid_t member_group;
			if (!tracee_ids(m->pid, &ppid, &member_group, &session) ||
			    member_group != pgrp)
				continue;
			m->orphaned_at_stop = true;
			if (tracee_tgid(m->pid) == m->pid) {
				kill(m->pid, SIGHUP);
				kill(m->pid, SIGCONT);
			}
		}
	}
	group_stops = still;
}

int tracer_run(const struct session *session, const struct launch *launch)
{
	int sync_pipe[2], report_pipe[2], exit_status = GROOT_EXIT_FAILURE;
	struct sigaction saved[sizeof(forwarded_signals) / sizeof(int)];
	bool first_alive = true;
	pid_t first;

	if (tracees_init() < 0 || pipe2(sync_pipe, O_CLOEXEC) < 0 ||
	    pipe2(report_pipe, O_CLOEXEC) < 0) {
		log_error("cannot set up the tracer: %s", strerror(errno));
		return GROOT_EXIT_FAILURE;
	}
	first = fork();
	if (first < 0) {
		log_error("cannot fork: %s", strerror(errno));
		return GROOT_EXIT_FAILURE;
	}
	if (first == 0) {
		close(sync_pipe[1]);
		close(report_pipe[0]);
		start_first_tracee(launch, sync_pipe[0], report_pipe[1]);
	}
	close(sync_pipe[0]);
	close(report_pipe[1]);
	if (ptrace(PTRACE_SEIZE, first, NULL, (void *)(long)TRACE_OPTIONS) < 0) {
		int err = errno;
		kill(first, SIGKILL);
		log_error("cannot trace the guest: %s%s", strerror(err),
			  err == EPERM ? " (ptrace is forbidden here: check "
					 "/proc/sys/kernel/yama/ptrace_scope or the container's "
					 "seccomp profile)"
				       : "");
		return GROOT_EXIT_FAILURE;
	}
	struct tracee *first_tracee = tracee_add(first);
	if (first_tracee)
		first_tracee->cwd_bind = launch->workdir_bind;
	identity_publish(first_tracee);
	catch_signals(saved);
	if (write(sync_pipe[1], "g", 1) != 1)
		log_warn("cannot start the guest: %s", strerror(errno));
	if (launch->filter.notify && !notify_take_listener(session, first, report_pipe[0]))
		kill(first, SIGKILL);
	else if (launch->filter.notify && write(sync_pipe[1], "g", 1) != 1)
		log_warn("cannot start the guest: %s", strerror(errno));
	close(report_pipe[0]);
	close(sync_pipe[1]);

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		int wait_errno = errno;

		if (__atomic_load_n(&signals_received, __ATOMIC_SEQ_CST))
			forward_signals(first, first_alive);
		if (pid < 0) {
			if (wait_errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (pid == launch->view_pid) {
			log_error("the view (groot-fs) exited unexpectedly; stopping the guest");
			release_signals(saved);
			return GROOT_EXIT_FAILURE; /* PTRACE_O_EXITKILL kills the tracees when we exit */
		}
		struct tracee *t = tracee_get(pid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (pid == first)
				first_alive = false;
			/* PRoot reports the last process to exit normally, orphans included. */
			if (pid == first || (session->last_exit_wins && WIFEXITED(status))) {
				exit_status = WIFEXITED(status) ? WEXITSTATUS(status)
								: 128 + WTERMSIG(status);
				if (WIFEXITED(status) && exit_status == GROOT_SHIM_FAILURE_STATUS)
					log_error("the loader-shim failed (exit status %d): this is a "
						  "groot bug, please report it",
						  exit_status);
			}
			if (t) {
				ptrace_emu_exited(t, status);
				procfs_forget(session, t);
			}
			identity_forget(pid);
			if (launch->filter.notify)
				notify_forget(pid);
			tracee_remove(pid);
			if (tracees_alive() == 0)
				break;
			if (!first_alive && session->no_wait) {
				/* What the command left (daemons): killed, as PTRACE_O_EXITKILL
				 * would. */
				for (struct tracee *left = tracees_first(); left; left = left->next)
					kill(left->pid, SIGKILL);
				continue; /* their exits come next, until none is left */
			}
			if (group_stops)
				hang_up_orphaned_groups();
			if (!first_alive && only_stopped_left())
				break;
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (!t) {
			/* A new child can stop before its parent's event: inherit from its parent now. */
			struct tracee *parent = tracee_get(tracee_creator(pid));
			t = tracee_add(pid);
			identity_publish(t);
			if (t && parent) {
				adopt_child(parent, pid);
				if (parent->traced)
					ptrace_emu_new_child(parent, t, 0);
			}
		}
		if (!t) {
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}

		int sig = WSTOPSIG(status), event = status >> 16;
		bool was_group_stopped = t->group_stopped;
		t->group_stopped = false;
		t->attached = true;
		if (event != PTRACE_EVENT_STOP)
			t->interrupted =
			    false; /* any other stop spends a pending PTRACE_INTERRUPT */
		if (sig == (SIGTRAP | 0x80)) {
			int op = t->traced ? ptrace_emu_syscall_op(t) : 0;
			if (t->pending == HANDLE_NONE &&
			    (t->wait_state == WAIT_PAUSE_ENTRY || t->wait_state == WAIT_PAUSED))
				t->pending = HANDLE_WAIT; /* a guest debugger's emulated wait, in pause() */
			if (t->deferred == DEFER_EXIT && op != PTRACE_SYSCALL_INFO_ENTRY)
				notify_disarm(t);
			else if (launch->filter.notify && op != PTRACE_SYSCALL_INFO_ENTRY &&
				 notify_take_deferred(pid))
				notify_mark_deferred(t);
			if (t->pending != HANDLE_NONE && op != PTRACE_SYSCALL_INFO_ENTRY)
				handle_exit(session, t);
			if (op && ptrace_emu_syscall_stop(t, op))
				continue; /* the guest debugger's stop */
			resume(t, 0);
		} else if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
			handle_enter(session, t);
			resume(t, 0);
		} else if (sig == SIGTRAP && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
					      event == PTRACE_EVENT_CLONE)) {
			unsigned long child = 0;
			if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &child) == 0) {
				adopt_child(t, (pid_t)child);
				ptrace_emu_new_child(t, tracee_get((pid_t)child), event);
			}
			if (t->traced && ptrace_emu_event(t, event, child))
				continue;
			resume(t, 0);
		} else if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
			unsigned long former = (unsigned long)pid;
			ptrace(PTRACE_GETEVENTMSG, pid, NULL, &former);
			if (launch->filter.notify) {
				notify_forget(pid); /* a former leader's, killed by the exec */
				if ((pid_t)former != pid)
					notify_forget((pid_t)former); /* the thread that executed */
			}
			t = handle_exec_event(session, t);
			if (t->traced && ptrace_emu_event(t, event, former))
				continue;
			resume(t, 0);
		} else if (sig == SIGTRAP &&
			   (event == PTRACE_EVENT_EXIT || event == PTRACE_EVENT_VFORK_DONE)) {
			if (ptrace_emu_exit_event(t, event))
				continue;
			resume(t, 0);
		} else if (event == PTRACE_EVENT_STOP && !is_group_stop_signal(sig) &&
			   launch->filter.notify && notify_take_deferred(pid) &&
			   !(t->traced && t->traced->interrupt) && notify_mark_deferred(t)) {
			resume(t, 0);
		} else if (event == PTRACE_EVENT_STOP) {
			if ((t->traced || t->interrupted) && ptrace_emu_event_stop(t, sig))
				continue;
			if (is_group_stop_signal(sig)) {
				ptrace(PTRACE_LISTEN, pid, NULL, NULL); /* job control: stay stopped */
				t->group_stopped = true;
				if (!first_alive && only_stopped_left())
					break;
				if (!was_group_stopped) {
					pid_t ppid, pgrp, sid;
					t->orphaned_at_stop =
						tracee_ids(pid, &ppid, &pgrp, &sid) &&
						group_is_orphaned(pgrp);
					group_stops++;
				}
			} else {
				resume(t, 0);
			}
		} else {
			if (launch->filter.notify)
				notify_signal_stop(t);
			if ((t->traced || t->shim_reports) && ptrace_emu_signal_stop(session, t, sig))
				continue;
			if (t->wait_state == WAIT_PAUSE_ENTRY)
				ptrace_emu_wait_signalled(t);
			if (pid == first && sig < 32)
				clock_gettime(CLOCK_MONOTONIC, &direct_delivery[sig]);
			identity_fix_delivery(session, t);
			resume(t, sig); /* a signal for the guest: deliver it */
		}
	}
	release_signals(saved);
	return exit_status;
}
