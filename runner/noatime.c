/* SPDX-License-Identifier: MIT */
/*
 * O_NOATIME under a fake identity. The kernel allows it only to the file's
 * owner (or CAP_FOWNER), judged by the real fsuid against the owner the view
 * shows, which is a fake one: fake root's opens with O_NOATIME (rsync
 * --open-noatime, systemd-tmpfiles) failed with EPERM on every file. So the
 * flag is judged here with the fake ids, and then dropped: the view keeps
 * no access times of its own apart from the backing files' anyway.
 */
#include "stop.h"
#include "translate.h"
#include "tracee.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

/* 0, or -EPERM: the fake identity neither owns the object nor may act as its owner. */
static int may_noatime(struct stop *stop, const char *host, bool follow)
{
	/* Missing: a new file is its creator's, and an open of a missing one fails anyway. */
	return identity_owns(stop, host, follow) == 0 ? -EPERM : 0;
}

/* fcntl(fd, F_SETFL, ... O_NOATIME): the filter traps it only with the bit set. */
static void fcntl_setfl(struct stop *stop)
{
	char fd_path[PATH_MAX];
	int r;

	if (stop_arg(stop, 1) != F_SETFL ||
	    path_for_tracer(stop->tracee->pid, (int)stop_arg(stop, 0), "", fd_path,
			    sizeof(fd_path)) < 0)
		return;
	r = may_noatime(stop, fd_path, true);
	if (r < 0)
		stop_skip(stop, r);
	else
		stop_set_arg(stop, 2, stop_arg(stop, 2) & ~(unsigned long)O_NOATIME);
}

void handle_noatime_enter(struct stop *stop)
{
	const char *name = stop->desc->name;
	pid_t pid = stop->tracee->pid;
	bool at = strcmp(name, "open") != 0, two = !strcmp(name, "openat2");
	unsigned long how = two ? stop_arg(stop, 2) : 0, flags;
	char guest[PATH_MAX], host[PATH_MAX];
	int r;

	if (!strcmp(name, "fcntl")) {
		fcntl_setfl(stop);
		return;
	}
	if (strcmp(name, "open") && strcmp(name, "openat") && !two)
		return;
	if (two && tracee_read(pid, how, &flags, sizeof(flags)) < 0)
		return;
	if (!two)
		flags = stop_arg(stop, at ? 2 : 1);
	if (!(flags & O_NOATIME) ||
	    tracee_read_string(pid, stop_arg(stop, at ? 1 : 0), guest, sizeof(guest)) < 0 ||
	    translate_for_tracer(stop->session, pid, at ? (int)stop_arg(stop, 0) : AT_FDCWD, guest,
				 host, sizeof(host)) < 0)
		return;
	r = may_noatime(stop, host, !(flags & O_NOFOLLOW));
	if (r < 0) {
		stop_skip(stop, r);
		return;
	}
	flags &= ~(unsigned long)O_NOATIME;
	if (two)
		tracee_write(pid, how, &flags, sizeof(flags));
	else
		stop_set_arg(stop, at ? 2 : 1, flags);
}
