// SPDX-License-Identifier: MIT
/*
 * FIFO opens by user notification (notify.c; docs/runner.md, "Lookups by
 * user notification"): the ones that wait for their other end.
 *
 * A FIFO opened without O_NONBLOCK waits for its other end: on a thread of
 * its own, as the caller would wait in its own open. Meanwhile the caller is
 * WAITING (a signal may end its call with EINTR, as natively).
 *
 * The caller's call may go away while that thread waits or hands the file
 * over: a signal, or a debugger's stop, interrupts it, and the call is
 * restarted (a new notification) or ends. Natively the open either had not
 * met its other end yet, and waits again, or had, and returns; the other
 * end went on either way. So:
 *  - a restarted call of the same thread for the same FIFO and flags is
 *    adopted by the thread still opening it (it answers the new one);
 *  - an open that met its other end when no call is left is parked, and a
 *    later restart takes it at once (a debugger's stop can come between);
 *  - a waiting thread whose call is gone and not restarted is woken
 *    (WAKE_SIGNAL, by notifier_main through fifo_check_waiting) and gives
 *    up: no reader or writer is left behind for the other end to find.
 * Parked files are closed when their thread exits or executes.
 */
#include "notify_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAKE_SIGNAL SIGWINCH /* a standard signal: never EAGAIN, whatever RLIMIT_SIGPENDING */

struct fifo_open {
	struct seccomp_notif req; /* the call it answers (a restart replaces it) */
	char host[PATH_MAX];
	int flags;
	int fd;		  /* parked: the open file; -1 while opening */
	bool opened;	  /* met its other end, being handed over */
	pthread_t thread; /* opening */
	struct fifo_open *next;
};

/* Opens in progress and parked ones: all under 'lock'. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fifo_open *opening, *parked;

static void unlink_from(struct fifo_open **list, struct fifo_open *o)
{
	for (struct fifo_open **p = list; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			return;
		}
}

static struct fifo_open *find_in(struct fifo_open *list, pid_t tid, const char *host, int flags)
{
	for (struct fifo_open *o = list; o; o = o->next)
		if ((pid_t)o->req.pid == tid && o->flags == flags && strcmp(o->host, host) == 0)
			return o;
	return NULL;
}

static void on_wake(int sig)
{
	(void)sig;
}

static void set_waiting(pid_t tid)
{
	unsigned char *state = notify_state_of(tid);

	if (state)
		__atomic_fetch_or(state, STATE_WAITING, __ATOMIC_ACQ_REL);
}

static void not_waiting(pid_t tid)
{
	unsigned char *state = notify_state_of(tid);

	if (state)
		__atomic_fetch_and(state, (unsigned char)~STATE_WAITING, __ATOMIC_ACQ_REL);
}

enum delivery { DELIVERED, PARKED, AGAIN };

/*
 * Hand 'fd' (open) to o's call, or to the call that adopted it meanwhile (o
 * stays in 'opening' for that); with no call left, park it while its thread
 * lives. AGAIN: delivered, but another call of that thread was adopted after
 * (the same FIFO opened again): o must open for it. Called and returns with
 * 'lock' held.
 */
static enum delivery deliver_locked(struct fifo_open *o, int fd)
{
	sigset_t wake, old;

	sigemptyset(&wake);
	sigaddset(&wake, WAKE_SIGNAL);
	for (;;) {
		struct seccomp_notif req = o->req;
		int r;

		pthread_mutex_unlock(&lock);
		/*
		 * Never interrupted: the call counts as answered from the moment
		 * the file is queued for it, and a supervisor interrupted then
		 * leaves the caller a result of 0 (Linux 6.18).
		 */
		pthread_sigmask(SIG_BLOCK, &wake, &old);
		r = notify_give_fd(&req, fd, o->flags);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_mutex_lock(&lock);
		if (r == 0)
			return o->req.id == req.id ? DELIVERED : AGAIN;
		if (o->req.id != req.id)
			continue; /* a restart adopted it: to that one */
		unlink_from(&opening, o);
		if (kill((pid_t)o->req.pid, 0) < 0 && errno == ESRCH) {
			close(fd); /* its thread is gone: no restart will come */
			return DELIVERED;
		}
		o->fd = fd;
		o->next = parked;
		parked = o;
		return PARKED;
	}
}

static void *open_blocking(void *arg)
{
	struct fifo_open *o = arg;
	pid_t tid = (pid_t)o->req.pid;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	pthread_mutex_lock(&lock);
	for (;;) {
		int fd, err;

		pthread_mutex_unlock(&lock);
		fd = notify_open_here(o->host, o->flags | O_NOCTTY);
		err = errno;
		pthread_mutex_lock(&lock);
		/* Woken (WAKE_SIGNAL): unless a restart adopted it meanwhile, the call is gone. */
		if (fd < 0 && err == EINTR && notify_still_asked(&o->req))
			continue;
		if (fd < 0) {
			if (err != EINTR)
				notify_answer(&o->req, -err);
			break;
		}
		/* Met its other end: a signal now restarts the call (it takes this open). */
		o->opened = true;
		not_waiting(tid);
		enum delivery d = deliver_locked(o, fd);
		if (d == PARKED) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		if (d == DELIVERED)
			break;
		o->opened = false;
		set_waiting(tid);
	}
	unlink_from(&opening, o);
	not_waiting(tid);
	pthread_mutex_unlock(&lock);
	free(o);
	return NULL;
}

void fifo_open(const struct seccomp_notif *req, const char *host, int flags)
{
	struct fifo_open *o;
	pthread_attr_t attr;

	pthread_mutex_lock(&lock);
	o = find_in(parked, (pid_t)req->pid, host, flags);
	if (o) {
		unlink_from(&parked, o);
		o->req = *req;
		if (deliver_locked(o, o->fd) != PARKED)
			free(o);
		pthread_mutex_unlock(&lock);
		return;
	}
	o = find_in(opening, (pid_t)req->pid, host, flags);
	if (o) {
		o->req = *req; /* the same call, restarted: that open answers it */
		if (!o->opened)
			set_waiting((pid_t)req->pid);
		pthread_mutex_unlock(&lock);
		return;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		pthread_mutex_unlock(&lock);
		notify_answer(req, -ENOMEM);
		return;
	}
	o->req = *req;
	snprintf(o->host, sizeof(o->host), "%s", host);
	o->flags = flags;
	o->fd = -1;
	set_waiting((pid_t)req->pid);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&o->thread, &attr, open_blocking, o) != 0) {
		pthread_mutex_unlock(&lock);
		not_waiting((pid_t)req->pid);
		free(o);
		notify_answer(req, -EAGAIN);
	} else {
		o->next = opening;
		opening = o;
		pthread_mutex_unlock(&lock);
	}
	pthread_attr_destroy(&attr);
}

bool fifo_check_waiting(void)
{
	bool any;

	pthread_mutex_lock(&lock);
	for (struct fifo_open *o = opening; o; o = o->next)
		if (!o->opened && !notify_still_asked(&o->req))
			pthread_kill(o->thread, WAKE_SIGNAL);
	any = opening != NULL;
	pthread_mutex_unlock(&lock);
	return any;
}

void fifo_forget(pid_t tid)
{
	struct fifo_open *gone = NULL;

	if (!__atomic_load_n(&parked, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lock);
	for (struct fifo_open **p = &parked; *p;) {
		struct fifo_open *o = *p;

		if ((pid_t)o->req.pid == tid) {
			*p = o->next;
			o->next = gone;
			gone = o;
		} else {
			p = &o->next;
		}
	}
	pthread_mutex_unlock(&lock);
	while (gone) {
		struct fifo_open *next = gone->next;

		close(gone->fd);
		free(gone);
		gone = next;
	}
}

void fifo_start(void)
{
	struct sigaction wake = {.sa_handler = on_wake}; /* no SA_RESTART: it ends an open */

	sigemptyset(&wake.sa_mask);
	sigaction(WAKE_SIGNAL, &wake, NULL);
}
