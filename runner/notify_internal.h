/* SPDX-License-Identifier: MIT */
/* Shared by the notification thread's files: notify.c and notify_fifo.c. */
#ifndef GROOT_NOTIFY_INTERNAL_H
#define GROOT_NOTIFY_INTERNAL_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * Per thread id: DEFERRED from defer() until the tracer's thread takes it
 * at the interrupt stop; WAITING while a FIFO open waits for its other end
 * on a thread of its own (then a signal may end the call with EINTR, as
 * natively). NULL for a thread id out of range.
 */
enum { STATE_DEFERRED = 1, STATE_WAITING = 2 };
unsigned char *notify_state_of(pid_t tid);

/* The call's result: a value, or -errno. */
void notify_answer(const struct seccomp_notif *req, long result);
/*
 * 'fd' as the call's result: 0, 'fd' closed; -ENOENT or -ESRCH when the
 * call is gone, -EINTR when this thread got a signal ('fd' left open then).
 */
int notify_give_fd(const struct seccomp_notif *req, int fd, int flags);
/* Is the caller still in this call (not interrupted, not killed)? */
bool notify_still_asked(const struct seccomp_notif *req);
/* open(2) of a host path, refusing magic links (ELOOP). */
int notify_open_here(const char *host, int flags);

/* notify_fifo.c */
void fifo_start(void);
/* Open the FIFO 'host' for the caller (without O_NONBLOCK) on a thread of its own; it answers. */
void fifo_open(const struct seccomp_notif *req, const char *host, int flags);
/* Wake the waiting opens whose caller is gone. Returns whether any is left. */
bool fifo_check_waiting(void);
/* 'tid' exited or executed: its parked opens are closed. */
void fifo_forget(pid_t tid);

#endif
