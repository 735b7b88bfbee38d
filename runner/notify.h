/* SPDX-License-Identifier: MIT */
/* Syscalls answered by seccomp user notification (notify.c). */
#ifndef GROOT_NOTIFY_H
#define GROOT_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

struct session;

/*
 * Answer listener fd's notifications on a thread of our own; signal_number
 * is the defer signal, sent to the calling thread (the tracer's). 0 or -errno.
 */
int notify_start(const struct session *session, int fd, int signal_number);

/*
 * In the tracer's thread, from the handler of signal_number: interrupt the
 * threads whose syscall was deferred to the ptrace side (async-signal-safe).
 */
void notify_interrupt_deferred(void);

/* Is syscall nr one the filter may send here (seccomp.c: notified)? */
bool notify_answers(long nr);

/* At an interrupt stop of tid: was it deferred (and is no longer)? */
bool notify_take_deferred(pid_t tid);

/* Is tid's open waiting for a FIFO's other end (a signal may end it with EINTR)? */
bool notify_waits(pid_t tid);

struct tracee;

/*
 * In the tracer, after it let the first tracee go: take the listener the
 * tracee installed (its fd number comes on report_fd, -1 for none) and
 * start answering. false: the guest must not run (no one would answer).
 */
bool notify_take_listener(const struct session *session, pid_t first, int report_fd);

/*
 * The interrupt of a deferred syscall has come (an interrupt stop, or the
 * syscall's exit stop under PTRACE_SYSCALL): mark argument 5 for the
 * filter's trace rule, so that its restart comes to the ptrace side. false:
 * the stop is not that (the call had ended): it is someone else's.
 */
bool notify_mark_deferred(struct tracee *t);

/* A thread gone (or exec'd): whatever was pending for its tid is not. */
void notify_forget(pid_t tid);

/*
 * At a signal-delivery stop: a notified lookup the signal interrupted
 * restarts after the handler (never EINTR), and a deferred call loses its
 * mark.
 */
void notify_signal_stop(struct tracee *t);

/* A deferred syscall's argument 5 back as the guest had it (its exit, or a signal first). */
void notify_disarm(struct tracee *t);

#endif
