/* SPDX-License-Identifier: MIT */
/*
 * Syscalls whose results carry host paths (readlink, getcwd, AF_UNIX
 * addresses) and fake identity.
 */
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <linux/capability.h>
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


/*
 * A link that reads as the shim is some process's /proc/PID/exe reached
 * another way (a relative path from /proc/PID, a symlink): the guest
 * program of that process, or NULL. host is the path as the tracer reaches
 * it; where it names the tracer's own process, the guest went through its
 * /proc/self (a symlink to it, an odd spelling): that is the caller's.
 */
static const char *exe_of_proc_link(const struct session *session, pid_t caller, const char *host,
				    char *buf, size_t size)
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
		pid = pid == getpid() ? caller : tid;
	else if (sscanf(resolved, "/proc/%d%n", &pid, &end) == 1 && !resolved[end])
		pid = pid == getpid() ? caller : pid;
	else
		return NULL;
	struct tracee *t = tracee_get(pid);
	return t && t->exe ? exe_link(session, t, buf, size) : NULL;
}

/* Copy at most bufsiz bytes of result to the guest's buffer: readlink's result. */
static long give_link(pid_t pid, unsigned long buffer, long bufsiz, const char *result)
{
	size_t length = strlen(result);

	if ((long)length > bufsiz)
		length = (size_t)bufsiz;
	return tracee_write(pid, buffer, result, length) < 0 ? -EFAULT : (long)length;
}

/*
 * readlink runs in the tracee, so that every /proc/self on the way (a
 * symlink to it, /dev/fd, "/proc//self") is the guest's, on the translated
 * path and into a PATH_MAX buffer below its stack; the exit stop
 * detranslates the target and copies at most bufsiz bytes, so a rewritten
 * target (longer on the host) is never truncated for the guest.
 */
void handle_readlink_enter(struct stop *stop)
{
	char guest[PATH_MAX], host[PATH_MAX];
	pid_t pid = stop->tracee->pid;
	bool at = stop->desc->paths[0].arg == 1;
	int path_arg = at ? 1 : 0;
	unsigned long buffer = stop_arg(stop, path_arg + 1);
	/* do_readlinkat: bufsiz is an int, checked before the path. */
	long bufsiz = (long)(int)stop_arg(stop, path_arg + 2);
	int dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD;
	ssize_t n = tracee_read_string(pid, stop_arg(stop, path_arg), guest, sizeof(guest));
	unsigned long scratch;
	int r;

	if (n < 0) {
		stop_skip(stop, n);
		return;
	}
	if (bufsiz <= 0) {
		stop_skip(stop, -EINVAL);
		return;
	}
	char exe_buf[PATH_MAX];
	struct tracee *exe_of = guest[0] == '/' ? proc_exe_tracee(stop, guest) : NULL;
	const char *exe = exe_of ? exe_link(stop->session, exe_of, exe_buf, sizeof(exe_buf)) : NULL;
	if (exe) {
		if (stop->session->trace)
			trace_syscall(stop, guest, exe);
		stop_skip(stop, give_link(pid, buffer, bufsiz, exe));
		return;
	}
	r = translate_path(stop->session, pid, dirfd, guest, host, sizeof(host));
	if (r < 0) {
		stop_skip(stop, r);
		return;
	}
	if (stop->session->trace)
		trace_syscall(stop, guest, r ? host : guest);
	if (r > 0) {
		unsigned long copy = scratch_push(pid, &stop->scratch, host, strlen(host) + 1);
		if (!copy) {
			stop_skip(stop, -ENOMEM);
			return;
		}
		stop_set_arg(stop, path_arg, copy);
	}
	/* The kernel's buffer: probe its lowest byte (the stack above it is mapped). */
	scratch = (stop->scratch.next - PATH_MAX) & ~15UL;
	if (tracee_write(pid, scratch, "", 1) < 0) {
		stop_skip(stop, -ENOMEM);
		return;
	}
	stop->scratch.next = scratch;
	stop_set_arg(stop, path_arg + 1, scratch);
	stop_set_arg(stop, path_arg + 2, PATH_MAX);
	stop->tracee->saved[0] = buffer;
	stop->tracee->saved[1] = (unsigned long)bufsiz;
	stop->tracee->saved[2] = scratch;
	stop->want_exit = true;
}

/*
 * How the guest sees an absolute link target. A /proc link names a host
 * path: detranslated like a result. A link in the view has the mountpoint
 * in front (the view puts it there): stripped. A link on the host (in a
 * direct bind) shows its own text, unless its target lies in that same bind,
 * which the guest sees elsewhere (PRoot's rule).
 */
static bool link_target_shown(struct stop *stop, bool at, const char *target, char *shown,
			      size_t size)
{
	const struct session *session = stop->session;
	char link[PATH_MAX];
	const struct direct_bind *d;

	if (!strncmp(target, session->mount, session->mount_length) &&
	    (target[session->mount_length] == '/' || !target[session->mount_length]))
		return detranslate_path(session, target, shown, size) == 0;
	if (tracee_read_string(stop->tracee->pid, stop_arg(stop, at ? 1 : 0), link, sizeof(link)) <
	    0)
		return false;
	if (link[0] == '/') {
		if (!strncmp(link, "/proc/", 6))
			return detranslate_path(session, target, shown, size) == 0;
		/* The argument is the host path by now (the enter stop translated it). */
		if (!strncmp(link, session->mount, session->mount_length) &&
		    (link[session->mount_length] == '/' || !link[session->mount_length]))
			return false;
		d = find_direct_bind_by_host(session, link);
	} else {
		/* Relative: where its directory is on the host says which bind holds it. */
		char base[PATH_MAX];
		if (tracee_directory(stop->tracee->pid, at ? (int)stop_arg(stop, 0) : AT_FDCWD,
				     base, sizeof(base)) < 0)
			return false;
		if (!strncmp(base, "/proc/", 6))
			return detranslate_path(session, target, shown, size) == 0;
		d = find_direct_bind_by_host(session, base);
	}
	if (!d || strncmp(target, d->host, d->host_length) ||
	    (d->host_length > 1 && target[d->host_length] && target[d->host_length] != '/'))
		return false;
	const char *rest = d->host_length > 1 ? target + d->host_length : target;
	return snprintf(shown, size, "%.*s%s", (int)d->guest_length, d->guest, rest) <
	       (int)size;
}

void handle_readlink_exit(struct stop *stop)
{
	char path[PATH_MAX], host[PATH_MAX], target[PATH_MAX + 1], shown[PATH_MAX];
	struct tracee *t = stop->tracee;
	long n = (long)REG_RESULT(&stop->regs);
	bool at = stop->desc && stop->desc->paths[0].arg == 1;
	const char *result = target;

	if (n < 0)
		return; /* the kernel's errno, in the guest's own terms */
	if (n > PATH_MAX || tracee_read(t->pid, t->saved[2], target, (size_t)n) < 0) {
		n = -EFAULT;
		goto out;
	}
	target[n] = '\0';
	if (!strcmp(target, stop->session->shim_path) ||
	    (stop->session->shim_real && !strcmp(target, stop->session->shim_real))) {
		/* Some /proc/PID/exe: the tracer finds whose from the path the kernel had. */
		const char *program = NULL;
		char exe_buf[PATH_MAX];
		int dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD;

		unsigned long address = stop_arg(stop, at ? 1 : 0);

		if (tracee_read_string(t->pid, address, path, sizeof(path)) >= 0 &&
		    path_for_tracer(t->pid, dirfd, path, host, sizeof(host)) == 0)
			program =
			    exe_of_proc_link(stop->session, t->pid, host, exe_buf, sizeof(exe_buf));
		if (program)
			result = program;
	} else if (target[0] == '/' && link_target_shown(stop, at, target, shown, sizeof(shown))) {
		result = shown;
	}
	n = give_link(t->pid, t->saved[0], (long)t->saved[1], result);
out:
	REG_RESULT(&stop->regs) = (unsigned long long)n;
	stop->regs_dirty = true;
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
	/*
	 * -w's bind, while the cwd is still where detranslation would pick
	 * another bind of the same host directory (not in the view; a chdir
	 * groot-fast.so made, which the tracer does not see, may have left it).
	 */
	const struct direct_bind *d = stop->tracee->cwd_bind;
	const struct direct_bind *picked = find_direct_bind_by_host(stop->session, host);
	if (d && picked && picked != d && picked->host_length == d->host_length &&
	    !strcmp(picked->host, d->host) &&
	    !(!strncmp(host, stop->session->mount, stop->session->mount_length) &&
	      (host[stop->session->mount_length] == '/' || !host[stop->session->mount_length]))) {
		const char *rest = d->host_length > 1 ? host + d->host_length : host;
		if (snprintf(guest, sizeof(guest), "%s%s", d->guest, rest[0] == '/' && !rest[1] && d->host_length == 1 ? "" : rest) >= (int)sizeof(guest))
			return;
	} else if (detranslate_path(stop->session, host, guest, sizeof(guest)) < 0) {
		return;
	}
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
	/* After the lookup, as the kernel: CAP_SYS_CHROOT, then only the guest's root. */
	stop_skip(stop, identity_capable(stop, CAP_SYS_CHROOT) &&
					strcmp(resolved, stop->session->mount) == 0
			    ? 0
			    : -EPERM);
}
