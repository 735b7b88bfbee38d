// SPDX-License-Identifier: MIT
/*
 * Under fake root the view records owners, but it cannot tell which fake
 * identity a process has taken (su alice, a daemon dropping privileges):
 * what such a process creates would read as root's. So the tracer gives a
 * new file, directory or symlink made by a non-root fake identity to that
 * identity (its fsuid, and its fsgid or a setgid directory's group, as the
 * kernel does), with a chown on the view after the syscall succeeded.
 */
#include "log.h"
#include "stop.h"
#include "translate.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

/* Does the syscall create its path? *maybe_existing: an existing one is opened instead. */
static bool creates(struct stop *stop, bool *maybe_existing)
{
	const char *name = stop->desc->name;
	unsigned long flags;

	*maybe_existing = false;
	if (!strcmp(name, "mkdir") || !strcmp(name, "mkdirat") || !strcmp(name, "symlink") ||
	    !strcmp(name, "symlinkat"))
		return true;
	if (!strcmp(name, "creat")) {
		*maybe_existing = true;
		return true;
	}
	if (!strcmp(name, "open"))
		flags = stop_arg(stop, 1);
	else if (!strcmp(name, "openat"))
		flags = stop_arg(stop, 2);
	else
		return false;
	*maybe_existing = !(flags & O_EXCL);
	return (flags & O_CREAT) != 0;
}

void owner_enter(struct stop *stop)
{
	const struct credentials *c = stop->tracee->credentials;
	const struct syscall_path_arg *pa = &stop->desc->paths[0];
	char guest[PATH_MAX], host[PATH_MAX];
	struct stat st;
	bool maybe_existing;

	if (!stop->session->fake_root || !c || (c->uid[3] == 0 && c->gid[3] == 0) ||
	    REG_SYSCALL(&stop->regs) == (unsigned long long)-1 || pa->arg < 0 ||
	    !creates(stop, &maybe_existing))
		return;
	/* Before handle_path_enter: the argument still holds the guest's own string. */
	if (tracee_read_string(stop->tracee->pid, stop_arg(stop, pa->arg), guest, sizeof(guest)) < 0 ||
	    translate_for_tracer(stop->session, stop->tracee->pid,
				 pa->dirfd >= 0 ? (int)stop_arg(stop, pa->dirfd) : AT_FDCWD, guest,
				 host, sizeof(host)) < 0)
		return;
	if (maybe_existing && lstat(host, &st) == 0)
		return; /* opened, not created: its owner stays */
	talloc_free(stop->tracee->pending_path);
	stop->tracee->pending_path = talloc_strdup(stop->tracee, host);
	stop->want_exit = stop->tracee->pending_path != NULL;
}

void owner_exit(struct stop *stop)
{
	struct tracee *t = stop->tracee;
	const struct credentials *c = t->credentials;
	char *path = t->pending_path;
	char parent[PATH_MAX];
	struct stat st;

	t->pending_path = NULL;
	if (!path)
		return;
	if ((long)REG_RESULT(&stop->regs) >= 0 && c) {
		gid_t gid = c->gid[3];
		snprintf(parent, sizeof(parent), "%s", path);
		if (stat(dirname(parent), &st) == 0 && (st.st_mode & S_ISGID))
			gid = st.st_gid; /* a setgid directory hands down its group */
		if (fchownat(AT_FDCWD, path, c->uid[3], gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_debug("cannot give %s to %u:%u: %m", path, c->uid[3], gid);
	}
	talloc_free(path);
}
