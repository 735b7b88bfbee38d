/* SPDX-License-Identifier: MIT */
/* One run of a guest command: profile → run directory → view → tracer → cleanup. */
#ifndef GROOT_RUN_H
#define GROOT_RUN_H

#include <stdbool.h>

#include "profile.h"

struct run_request {
	struct profile *profile;
	char **command;          /* the command to run, or NULL for the profile's */
	bool login_shell;        /* groot shell */
	const char *workdir;     /* overrides the profile's */
	bool force_root;         /* -0 */
	bool trace;              /* --trace */
	bool no_fast_path;       /* --no-fast-path: every path syscall goes to the tracer */
	bool no_wait;		 /* --no-wait: end with the command, killing what it left running */
	bool proot_compat;       /* groot proot: any directory is a rootfs; start in the host's
				    cwd when the guest has it */
	bool has_gid;            /* groot proot -i UID:GID: the gid, when it is not the user's */
	unsigned int gid;
};

/* Returns the exit status groot must exit with. */
int run_guest(TALLOC_CTX *ctx, const struct run_request *request);

#endif
