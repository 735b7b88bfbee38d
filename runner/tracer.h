/* SPDX-License-Identifier: MIT */
/* The ptrace + seccomp event loop. */
#ifndef GROOT_TRACER_H
#define GROOT_TRACER_H

#include <signal.h>
#include <sys/types.h>

#include "seccomp.h"
#include "session.h"

struct launch {
	const char *workdir;      /* host path the first tracee starts in */
	/* The direct bind it lies in (getcwd names it through this one), or NULL. */
	const struct direct_bind *workdir_bind;
	char *const *argv;        /* the guest command; argv[0] searched in the guest's PATH */
	char *const *envp;        /* the guest environment */
	struct filter_options filter;
	pid_t view_pid;           /* the view daemon, also a child of ours: its death is fatal */
	sigset_t ignored;	  /* signals groot was started with ignored: so is the guest */
};

/*
 * Start the first tracee and follow it and all its descendants until the
 * last one exits. Returns the exit status groot must exit with (the first
 * tracee's: its code, or 128+N when killed by signal N), or GROOT_EXIT_FAILURE.
 */
int tracer_run(const struct session *session, const struct launch *launch);

#endif
