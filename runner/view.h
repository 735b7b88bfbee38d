/* SPDX-License-Identifier: MIT */
/* Starting and stopping the view daemon (groot-fs) for a run. */
#ifndef GROOT_VIEW_H
#define GROOT_VIEW_H

#include <stdbool.h>
#include <sys/types.h>
#include <talloc.h>

struct view {
	pid_t pid;
	int lifeline;          /* write end: closing it (or dying) unmounts the view */
	const char *mountpoint;
};

struct view_options {
	const char *program;   /* path of groot-fs */
	const char **args;     /* options before the mountpoint, NULL-terminated */
};

/* Start groot-fs on mountpoint and wait until the mount is live. Returns 0 or -errno (message logged). */
int view_start(const struct view_options *options, const char *mountpoint, struct view *view);

/* Unmount: close the lifeline and wait for the daemon to leave (it unmounts itself). */
void view_stop(struct view *view);

/* Remove mounts of earlier runs whose runner died without cleaning up. */
void view_remove_stale(const char *run_base);

#endif
