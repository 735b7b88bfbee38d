/* SPDX-License-Identifier: MIT */
/*
 * Signals between guest processes under a fake identity. The kernel judges
 * a kill by real uids, and every guest process has the invoking user's: a
 * process that dropped fake root (su alice) could still signal root's. So
 * kill, tkill, tgkill and rt_(tg)sigqueueinfo are trapped when the session
 * fakes identities, and judged here first with the fake ids, by the
 * kernel's check_kill_permission.
 */
#include "stop.h"
#include "tracee.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>

/*
 * A signal to another thread group needs the sender's real or effective uid
 * to be the target's real or saved one, or CAP_KILL; SIGCONT also goes
 * within a session. Only a single guest target is judged: kill(0),
 * kill(-PGRP), kill(-1) and host processes are the kernel's.
 */
void handle_signal_enter(struct stop *stop)
{
	const char *name = stop->desc->name;
	bool by_thread = !strcmp(name, "tgkill") || !strcmp(name, "rt_tgsigqueueinfo");
	long target = (long)stop_arg(stop, by_thread ? 1 : 0);
	long sig = (long)stop_arg(stop, by_thread ? 2 : 1);
	struct tracee *t = target > 0 ? tracee_get((pid_t)target) : NULL;
	const struct credentials *c, *tc;
	pid_t sender_session, target_session, unused;

	if (!t || sig < 0 || sig > 64 || tracee_tgid(t->pid) == tracee_tgid(stop->tracee->pid))
		return;
	c = identity_credentials(stop, stop->tracee);
	tc = identity_credentials(stop, t);
	if (!c || !tc || identity_capable(stop, CAP_KILL) || c->uid[1] == tc->uid[2] ||
	    c->uid[1] == tc->uid[0] || c->uid[0] == tc->uid[2] || c->uid[0] == tc->uid[0])
		return;
	if (sig == SIGCONT && tracee_ids(stop->tracee->pid, &unused, &unused, &sender_session) &&
	    tracee_ids(t->pid, &unused, &unused, &target_session) &&
	    sender_session == target_session)
		return;
	stop_skip(stop, -EPERM);
}
