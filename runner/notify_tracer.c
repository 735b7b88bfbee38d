/* SPDX-License-Identifier: MIT */
/*
 * The tracer's side of the notification path (notify.c): taking the
 * listener from the first tracee, the defer signal, and the registers of a
 * call sent back to the ptrace side (docs/runner.md, "Lookups by user
 * notification").
 */
#include "notify.h"
#include "seccomp.h"
#include "tracee.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#include "log.h"

/*
 * The defer signal, on the tracer's thread: ptrace requests are that
 * thread's own. A standard signal (not a queued real-time one, which fails
 * with EAGAIN once the user's RLIMIT_SIGPENDING is full: the guest shares
 * it); one sent while another is pending is the same wake-up.
 */
#define DEFER_SIGNAL SIGURG
static void on_defer(int sig)
{
	(void)sig;
	notify_interrupt_deferred();
}

/*
 * The first tracee's listener, taken from it (it closes its own before
 * exec). Without one the kernel has none and every syscall is traced.
 */
bool notify_take_listener(const struct session *s, pid_t first, int report_fd)
{
	struct sigaction action = {.sa_handler = on_defer};
	int number, pidfd, fd = -1;

	if (read(report_fd, &number, sizeof(number)) != sizeof(number))
		return false;
	if (number < 0)
		return true;
	if ((pidfd = (int)syscall(SYS_pidfd_open, first, 0)) >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
		close(pidfd);
	}
	sigemptyset(&action.sa_mask);
	if (fd < 0 || sigaction(DEFER_SIGNAL, &action, NULL) < 0 ||
	    notify_start(s, fd, DEFER_SIGNAL) < 0) {
		log_error("cannot answer the guest's syscalls by notification: %s",
			  strerror(errno));
		return false;
	}
	log_info("lookups answered by seccomp user notification");
	return true;
}

/*
 * Under PTRACE_SYSCALL the interrupt shows as the syscall's exit stop
 * (ERESTARTSYS), not as an interrupt stop.
 */
bool notify_mark_deferred(struct tracee *t)
{
	struct user_regs_struct regs;

	if (tracee_get_regs(t->pid, &regs) < 0 || (long)REG_RESULT(&regs) != -ERESTARTSYS ||
	    !notify_answers((long)REG_SYSCALL(&regs)))
		return false;
	t->interrupted = false; /* a wait ptrace_emu.c interrupted restarts traced all the same */
	t->deferred_arg = *reg_arg(&regs, 5);
	if (tracee_set_reg(t->pid, reg_arg_offset(5), NOTIFY_DEFER_MAGIC) < 0)
		return false;
	t->deferred = DEFER_ARMED;
	return true;
}

void notify_disarm(struct tracee *t)
{
	struct user_regs_struct regs;

	t->deferred = DEFER_NONE;
	/* Unless something else (a guest debugger) has changed it since. */
	if (tracee_get_regs(t->pid, &regs) == 0 &&
	    (uint32_t)*reg_arg(&regs, 5) == NOTIFY_DEFER_MAGIC)
		tracee_set_reg(t->pid, reg_arg_offset(5), t->deferred_arg);
}

void notify_signal_stop(struct tracee *t)
{
	struct user_regs_struct regs;

	if (t->deferred == DEFER_ARMED)
		notify_disarm(t); /* a handler may end the call with EINTR: not with our mark */
	if (tracee_get_regs(t->pid, &regs) < 0 || (long)REG_RESULT(&regs) != -ERESTARTSYS)
		return;
	long nr = (long)REG_SYSCALL(&regs);
	/*
	 * A signal ended the caller's wait for our answer. Natively an open or
	 * a stat of a file is not interrupted: the handler runs after it, and
	 * a handler without SA_RESTART never sees EINTR from it. So the call
	 * restarts whatever the handler (ERESTARTNOINTR). The waits stay
	 * interruptible: wait4, waitid, and an open waiting for a FIFO's other
	 * end.
	 */
	if (notify_answers(nr) && nr != SYS_wait4 && nr != SYS_waitid && !notify_waits(t->pid))
		tracee_set_reg(t->pid, offsetof(struct user_regs_struct, rax),
			       (unsigned long long)-ERESTARTNOINTR);
}
