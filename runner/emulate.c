/* SPDX-License-Identifier: MIT */
/*
 * Syscalls whose results carry host paths (readlink, getcwd, AF_UNIX
 * addresses) and fake identity.
 */
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *proc_exe_of(const struct stop *stop, const char *guest);

/*
 * A link that reads as the shim is some process's /proc/PID/exe reached
 * another way (a relative path from /proc/PID, a symlink): the guest
 * program of that process, or NULL.
 */
static const char *exe_of_proc_link(const char *host)
{
	char directory[PATH_MAX], resolved[PATH_MAX];
	char *slash;
	int pid, tid, end = 0;

	snprintf(directory, sizeof(directory), "%s", host);
	slash = strrchr(directory, '/');
	if (!slash || strcmp(slash, "/exe") != 0)
		return NULL;
	*slash = '\0';
	if (!realpath(directory, resolved))
		return NULL;
	if (sscanf(resolved, "/proc/%d/task/%d%n", &pid, &tid, &end) == 2 && !resolved[end])
		pid = tid;
	else if (sscanf(resolved, "/proc/%d%n", &pid, &end) != 1 || resolved[end])
		return NULL;
	struct tracee *t = tracee_get(pid);
	return t ? t->exe : NULL;
}

/*
 * readlink is emulated entirely in the tracer: read the link on the host,
 * detranslate it, and copy at most bufsiz bytes, so a rewritten target
 * (longer on the host) is never truncated for the guest.
 */
void handle_readlink_enter(struct stop *stop)
{
	char guest[PATH_MAX], host[PATH_MAX], target[PATH_MAX], shown[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	bool at = stop->desc->paths[0].arg == 1;
	unsigned long buffer = stop_arg(stop, at ? 2 : 1);
	long bufsiz = (long)(int)stop_arg(stop, at ? 3 : 2);
	int dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD;
	ssize_t n = tracee_read_string(pid, stop_arg(stop, at ? 1 : 0), guest, sizeof(guest));
	const char *result;
	int r;

	if (n < 0) {
		stop_skip(stop, n);
		return;
	}
	if (bufsiz <= 0) {
		stop_skip(stop, -EINVAL);
		return;
	}
	const char *exe = guest[0] == '/' ? proc_exe_of(stop, guest) : NULL;
	if (exe) {
		result = exe;
	} else if (!strcmp(guest, "/proc/self") || !strcmp(guest, "/proc/thread-self")) {
		/* Links the tracer would read as its own. */
		pid_t tgid = tracee_tgid(pid);
		if (guest[6] == 's')
			snprintf(shown, sizeof(shown), "%d", (int)tgid);
		else
			snprintf(shown, sizeof(shown), "%d/task/%d", (int)tgid, (int)pid);
		result = shown;
	} else {
		r = translate_for_tracer(stop->session, pid, dirfd, guest, host, sizeof(host));
		if (r < 0) {
			stop_skip(stop, r);
			return;
		}
		const char *path = host;
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			/* do_readlinkat: an empty path naming a non-symlink is ENOENT, not EINVAL. */
			stop_skip(stop, errno == EINVAL && guest[0] == '\0' ? -ENOENT : -errno);
			return;
		}
		target[n] = '\0';
		const char *program = strcmp(target, stop->session->shim_path) ? NULL
										: exe_of_proc_link(path);
		/* Only absolute targets can carry the mountpoint. */
		if (program)
			result = program;
		else if (target[0] == '/' &&
			 detranslate_path(stop->session, target, shown, sizeof(shown)) == 0)
			result = shown;
		else
			result = target;
	}
	if (stop->session->trace)
		trace_syscall(stop, guest, result);
	size_t length = strlen(result);
	if ((long)length > bufsiz)
		length = (size_t)bufsiz;
	r = tracee_write(pid, buffer, result, length);
	stop_skip(stop, r < 0 ? -EFAULT : (long)length);
}

void handle_getcwd_exit(struct stop *stop)
{
	char host[PATH_MAX], guest[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	long result = (long)REG_RESULT(&stop->regs);
	unsigned long buffer = stop_arg(stop, 0);
	unsigned long size = stop_arg(stop, 1);

	if (result <= 0)
		return;
	if (tracee_read_string(pid, buffer, host, sizeof(host)) < 0)
		return;
	if (detranslate_path(stop->session, host, guest, sizeof(guest)) < 0)
		return;
	size_t length = strlen(guest) + 1;
	if (length > size) {
		REG_RESULT(&stop->regs) = (unsigned long long)-ERANGE;
	} else {
		tracee_write(pid, buffer, guest, length);
		REG_RESULT(&stop->regs) = length;
	}
	stop->regs_dirty = true;
}

static void set_field(char *field, const char *value)
{
	if (value)
		snprintf(field, _UTSNAME_LENGTH, "%s", value);
}

void handle_uname_exit(struct stop *stop)
{
	const struct session *s = stop->session;
	unsigned long where = stop_arg(stop, 0);
	struct utsname names;

	if ((long)REG_RESULT(&stop->regs) < 0 ||
	    tracee_read(stop->tracee->pid, where, &names, sizeof(names)) < 0)
		return;
	set_field(names.nodename, s->hostname);
	set_field(names.release, s->release);
	set_field(names.version, s->version);
	set_field(names.machine, s->machine);
	tracee_write(stop->tracee->pid, where, &names, sizeof(names));
}

/*
 * chroot(2): the guest is already in its root, so chroot into that same
 * root (debootstrap's second stage does "chroot / cmd") is a no-op that
 * succeeds. Anything else needs a per-process root, which groot does not
 * have: EPERM, as for the unprivileged user the guest really is.
 */
void handle_chroot_enter(struct stop *stop)
{
	char guest[PATH_MAX], host[PATH_MAX], resolved[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	ssize_t n = tracee_read_string(pid, stop_arg(stop, 0), guest, sizeof(guest));
	int r;

	if (n < 0) {
		stop_skip(stop, n);
		return;
	}
	r = translate_for_tracer(stop->session, pid, AT_FDCWD, guest, host, sizeof(host));
	if (r < 0) {
		stop_skip(stop, r);
		return;
	}
	if (!realpath(host, resolved)) {
		stop_skip(stop, -errno);
		return;
	}
	if (stop->session->trace)
		trace_syscall(stop, guest, resolved);
	stop_skip(stop, strcmp(resolved, stop->session->mount) == 0 ? 0 : -EPERM);
}
