/* SPDX-License-Identifier: MIT */
/*
 * The view daemon is our child, tied to us by a lifeline pipe: it holds the
 * read end, we hold the write end (close-on-exec, so no guest inherits it).
 * When we exit, even by SIGKILL, the pipe closes and the daemon unmounts.
 */
#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusermount.h"
#include "remove_tree.h"
#include "log.h"

#define READY_TIMEOUT_MS 15000

int view_start(const struct view_options *options, const char *mountpoint, struct view *view)
{
	int lifeline[2], ready[2];
	char lifeline_arg[16], ready_arg[16];
	size_t n_args = 0;

	while (options->args && options->args[n_args])
		n_args++;
	if (pipe2(lifeline, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return -errno;

	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		const char **argv = calloc(n_args + 10, sizeof(*argv));
		size_t i = 0;

		if (!argv)
			_exit(GROOT_EXIT_FAILURE);
		/* The daemon must not die with the terminal's ^C before it unmounts. */
		setsid();
		/* Keep only the ends the daemon needs, without close-on-exec. */
		if (fcntl(lifeline[0], F_SETFD, 0) < 0 || fcntl(ready[1], F_SETFD, 0) < 0)
			_exit(GROOT_EXIT_FAILURE);
		snprintf(lifeline_arg, sizeof(lifeline_arg), "%d", lifeline[0]);
		snprintf(ready_arg, sizeof(ready_arg), "%d", ready[1]);
		argv[i++] = options->program;
		argv[i++] = "-f";
		argv[i++] = "--lifeline";
		argv[i++] = lifeline_arg;
		argv[i++] = "--ready-fd";
		argv[i++] = ready_arg;
		for (size_t j = 0; j < n_args; j++)
			argv[i++] = options->args[j];
		argv[i++] = mountpoint;
		argv[i] = NULL;
		execv(options->program, (char *const *)argv);
		log_error("cannot run the view %s: %s", options->program, strerror(errno));
		_exit(GROOT_EXIT_FAILURE);
	}
	close(lifeline[0]);
	close(ready[1]);
	view->pid = pid;
	view->lifeline = lifeline[1];
	view->mountpoint = mountpoint;

	struct pollfd pfd = {ready[0], POLLIN, 0};
	char byte;
	int r = poll(&pfd, 1, READY_TIMEOUT_MS);
	ssize_t got = r > 0 ? read(ready[0], &byte, 1) : -1;
	close(ready[0]);
	if (got == 1)
		return 0;
	if (r == 0)
		log_error("the view did not mount %s within %d s", mountpoint,
			  READY_TIMEOUT_MS / 1000);
	else
		log_error("the view could not mount %s (see the message above; is /dev/fuse "
			  "accessible and fusermount3 installed? apt-get install fuse3)",
			  mountpoint);
	view_stop(view);
	return -EIO;
}

static bool wait_for_exit(pid_t pid, int milliseconds)
{
	/* A pidfd wakes us at the exit itself: no polling step added to every run. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int r;

		do
			r = poll(&p, 1, milliseconds);
		while (r < 0 && errno == EINTR);
		close(pidfd);
		if (r <= 0)
			return false;
	} else if (errno == ESRCH) {
		return true; /* reaped already */
	}
	for (int waited = 0; waited < milliseconds; waited++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
	}
	return false;
}

/*
 * Still a mount there? A dead FUSE mount answers ENOTCONN. A run directory
 * that is gone held none: the daemon removes it after its unmount, and a
 * directory with a mount on it cannot be removed.
 */
static bool still_mounted(const char *mountpoint)
{
	char parent[PATH_MAX];
	struct stat mp, up;
	int n = snprintf(parent, sizeof(parent), "%s/..", mountpoint);

	if (n < 0 || (size_t)n >= sizeof(parent))
		return true;
	if (stat(parent, &up) < 0)
		return errno != ENOENT;
	if (stat(mountpoint, &mp) < 0)
		return errno != ENOENT;
	return mp.st_dev != up.st_dev;
}

static void lazy_unmount(const char *mountpoint)
{
	pid_t pid;

	if (!still_mounted(mountpoint))
		return; /* the daemon detached it (the usual end) */
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		const char *helper = fusermount_program();
		if (helper)
			execl(helper, "fusermount3", "-u", "-z", "-q", mountpoint, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void view_stop(struct view *view)
{
	if (view->lifeline >= 0) {
		close(view->lifeline);
		view->lifeline = -1;
	}
	if (view->pid <= 0)
		return;
	if (!wait_for_exit(view->pid, 5000)) {
		log_warn("the view did not exit in time; unmounting %s lazily", view->mountpoint);
		kill(view->pid, SIGTERM);
		if (!wait_for_exit(view->pid, 2000)) {
			kill(view->pid, SIGKILL);
			wait_for_exit(view->pid, 2000);
		}
	}
	/* Whatever happened to the daemon, no mount may outlive the run. */
	lazy_unmount(view->mountpoint);
	view->pid = 0;
}

/* The pid in a run directory's lock file, 0 when there is none. */
static int run_owner(const char *run_dir)
{
	char path[PATH_MAX];
	int owner = 0;

	if (snprintf(path, sizeof(path), "%s/pid", run_dir) >= (int)sizeof(path))
		return 0;
	FILE *p = fopen(path, "re");
	if (p) {
		if (fscanf(p, "%d", &owner) != 1)
			owner = 0;
		fclose(p);
	}
	return owner;
}

/*
 * Run directories of crashed runs (runner and view both killed): their
 * owner is dead, or they have no owner and are over a minute old (a run
 * writes its pid right after making the directory).
 */
static void remove_stale_run_dirs(const char *run_base)
{
	DIR *dir = opendir(run_base);
	struct dirent *entry;

	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		char path[PATH_MAX];
		struct stat st;
		if (entry->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", run_base, entry->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		int owner = run_owner(path);
		if (owner > 0 && (kill(owner, 0) == 0 || errno == EPERM))
			continue;
		if (owner <= 0 && st.st_mtime > time(NULL) - 60)
			continue;
		log_info("removing the run directory %s of a crashed run", path);
		remove_tree(path);
	}
	closedir(dir);
}

/*
 * Mounts of crashed runs: a groot-fs mount under run_base whose run
 * directory's lock (runner pid file) names a dead process.
 */
void view_remove_stale(const char *run_base)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	size_t base_length = strlen(run_base);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char mountpoint[4096];
		if (!strstr(line, " - fuse.groot"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) != 1)
			continue;
		if (strncmp(mountpoint, run_base, base_length) != 0)
			continue;
		/* $RUN/mnt → $RUN/pid */
		char *slash = strrchr(mountpoint, '/');
		if (!slash)
			continue;
		*slash = '\0';
		int owner = run_owner(mountpoint);
		*slash = '/';
		if (owner > 0 && (kill(owner, 0) == 0 || errno == EPERM))
			continue;
		log_info("removing the stale mount %s of a crashed run", mountpoint);
		lazy_unmount(mountpoint);
	}
	fclose(f);
	remove_stale_run_dirs(run_base);
}
