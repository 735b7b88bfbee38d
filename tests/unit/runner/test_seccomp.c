/* SPDX-License-Identifier: MIT */
/*
 * The generated seccomp filter, run by the real kernel: with no tracer
 * attached, SECCOMP_RET_TRACE makes a syscall fail with ENOSYS, so a
 * listed syscall gives ENOSYS and an unlisted one works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp.h"
#include "syscalls.h"
#include "tap.h"

/* A listener's answer to every notification: an errno no real call here gives. */
#define NOTIFIED EHWPOISON

static void *answer_all(void *arg)
{
	int listener = *(int *)arg;

	for (;;) {
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			return NULL;
		struct seccomp_notif_resp resp = {.id = req.id, .error = -NOTIFIED};
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

/*
 * Run probe() in a child under the filter; returns the errno it saw (0 =
 * success; ENOSYS for a traced call, with no tracer). With notify, as a
 * session that answers lookups by user notification (runner/notify.c), a
 * thread of the child answering: NOTIFIED for a notified call.
 */
static int in_child(bool fake_identity, bool notify, long (*probe)(void))
{
	int pipefd[2], result = -1;

	if (pipe(pipefd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		struct filter_options options = {.fake_identity = fake_identity,
						 .fake_uname = fake_identity,
						 .shim_start = 0x600000000000UL,
						 .shim_end = 0x600000100000UL,
						 .notify = notify};
		static int listener;
		pthread_t thread;
		int err = install_seccomp_filter(&options, &listener);
		int seen = err < 0		    ? 1000 - err
			   : notify && listener < 0 ? 2000
			   : notify && pthread_create(&thread, NULL, answer_all, &listener) != 0
			       ? 3000
			       : (probe() < 0 ? errno : 0);
		if (write(pipefd[1], &seen, sizeof(seen)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &result, sizeof(result)) != sizeof(result))
		result = -1;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	return result;
}

static int in_filtered_child(bool fake_identity, long (*probe)(void))
{
	return in_child(fake_identity, false, probe);
}

static int in_notifying_child(long (*probe)(void))
{
	return in_child(false, true, probe);
}

static long probe_open_created(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/nonexistent-dir/x", O_WRONLY | O_CREAT, 0644);
}
static long probe_open_path(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/", O_PATH);
}
static long probe_open_legacy(void)
{
	return syscall(SYS_open, "/", O_RDONLY);
}
static long probe_open_deferred(void)
{
	/* Argument 5 marked: what notify.c sends back to the ptrace side. */
	return syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY, 0, 0, NOTIFY_DEFER_MAGIC);
}
static long probe_statx(void)
{
	return syscall(SYS_statx, AT_FDCWD, "/", 0, 0, NULL);
}
static long probe_faccessat2(void)
{
	return syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0);
}

static long probe_getpid(void)
{
	return syscall(SYS_getpid);
}
static long probe_openat(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
}
static long probe_stat(void)
{
	return syscall(SYS_newfstatat, AT_FDCWD, "/", NULL, 0);
}
static long probe_getuid(void)
{
	return syscall(SYS_getuid);
}
static long probe_uname(void)
{
	struct utsname u;
	return syscall(SYS_uname, &u);
}
static long probe_io_uring(void)
{
	return syscall(425, 1, NULL);
}
static long probe_read(void)
{
	char c;
	return syscall(SYS_read, -1, &c, 1) < 0 && errno == EBADF ? 0 : -1;
}
static long probe_renameat2(void)
{
	return syscall(SYS_renameat2, AT_FDCWD, "/nonexistent-a", AT_FDCWD, "/nonexistent-b", 0);
}
static long probe_prctl_name(void)
{
	return syscall(SYS_prctl, PR_SET_NAME, "probe", 0, 0, 0);
}
static long probe_prctl_keepcaps(void)
{
	return syscall(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0);
}
static long probe_prctl_ambient(void)
{
	return syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0);
}
static long probe_capget(void)
{
	return syscall(SYS_capget, NULL, NULL);
}
static long probe_ptrace(void)
{
	return syscall(SYS_ptrace, PTRACE_PEEKDATA, getppid(), NULL, NULL);
}
static long probe_wait4(void)
{
	return syscall(SYS_wait4, -1, NULL, WNOHANG, NULL);
}
static long probe_waitid(void)
{
	siginfo_t info;
	return syscall(SYS_waitid, P_ALL, 0, &info, WEXITED | WNOHANG, NULL);
}
static long probe_x32(void)
{
	return syscall(0x40000000 | SYS_getpid);
}

int main(void)
{
	struct sock_filter prog[1024];
	struct filter_options options = {.shim_start = 0x600000000000UL,
					 .shim_end = 0x600000100000UL};
	int n = build_seccomp_filter(&options, prog, 1024);

	ok(n > 0 && n < 400, "filter builds (%d instructions)", n);
	is_int(build_seccomp_filter(&options, prog, 10), -ENOSPC, "too small a buffer is ENOSPC");

	is_int(in_filtered_child(false, probe_getpid), 0, "getpid is not trapped");
	is_int(in_filtered_child(false, probe_read), 0, "read is not trapped");
	is_int(in_filtered_child(false, probe_openat), ENOSYS, "openat is trapped");
	is_int(in_filtered_child(false, probe_stat), ENOSYS, "newfstatat is trapped");
	is_int(in_filtered_child(false, probe_renameat2), ENOSYS, "renameat2 is trapped");
	is_int(in_filtered_child(false, probe_ptrace), ENOSYS,
	       "ptrace is trapped (guest debuggers)");
	is_int(in_filtered_child(false, probe_wait4), ENOSYS, "wait4 is trapped");
	is_int(in_filtered_child(false, probe_waitid), ENOSYS, "waitid is trapped");
	is_int(in_filtered_child(false, probe_getuid), 0,
	       "getuid is not trapped without fake root");
	is_int(in_filtered_child(true, probe_getuid), ENOSYS, "getuid is trapped under fake root");
	is_int(in_filtered_child(false, probe_uname), 0,
	       "uname is not trapped without a profile uname");
	is_int(in_filtered_child(true, probe_uname), ENOSYS, "uname is trapped with one");
	is_int(in_filtered_child(true, probe_prctl_name), 0,
	       "prctl(PR_SET_NAME) runs free under fake root");
	is_int(in_filtered_child(true, probe_prctl_keepcaps), ENOSYS,
	       "prctl(PR_GET_KEEPCAPS) is trapped under fake root");
	is_int(in_filtered_child(true, probe_prctl_ambient), ENOSYS,
	       "prctl(PR_CAP_AMBIENT) is trapped under fake root");
	is_int(in_filtered_child(false, probe_prctl_keepcaps), 0, "and not without it");
	is_int(in_filtered_child(true, probe_capget), ENOSYS, "capget is trapped under fake root");
	is_int(in_filtered_child(false, probe_io_uring), ENOSYS, "io_uring_setup is refused");
	is_int(in_filtered_child(false, probe_x32), ENOSYS, "x32 syscalls are refused");

	is_int(in_notifying_child(probe_openat), NOTIFIED, "notify: openat is notified");
	is_int(in_notifying_child(probe_open_legacy), NOTIFIED, "notify: open is notified");
	is_int(in_notifying_child(probe_stat), NOTIFIED, "notify: newfstatat is notified");
	is_int(in_notifying_child(probe_statx), NOTIFIED, "notify: statx is notified");
	is_int(in_notifying_child(probe_faccessat2), NOTIFIED, "notify: faccessat2 is notified");
	is_int(in_notifying_child(probe_open_created), ENOSYS, "notify: O_CREAT is traced");
	is_int(in_notifying_child(probe_open_path), ENOSYS, "notify: O_PATH is traced");
	is_int(in_notifying_child(probe_open_deferred), ENOSYS,
	       "notify: a call marked in argument 5 is traced");
	is_int(in_notifying_child(probe_renameat2), ENOSYS, "notify: renameat2 is still traced");
	is_int(in_notifying_child(probe_wait4), NOTIFIED, "notify: wait4 is notified");
	is_int(in_notifying_child(probe_getpid), 0, "notify: getpid runs free");

	/* Every table entry with a path names a sane register. */
	bool sane = true;
	for (unsigned i = 0; i < syscall_count(); i++) {
		const struct syscall_desc *d = syscall_at(i);
		if (!d)
			continue;
		for (int p = 0; p < SYSCALL_MAX_PATHS; p++)
			if (d->paths[p].arg > 5 || d->paths[p].dirfd > 5)
				sane = false;
		if (syscall_lookup(d->number) != d)
			sane = false;
	}
	ok(sane, "table entries are consistent and indexed");
	ok(syscall_lookup(SYS_statx) && syscall_lookup(SYS_statx)->handler == HANDLE_PATH,
	   "statx is in the table");
	ok(syscall_lookup(SYS_getcwd) && syscall_lookup(SYS_getcwd)->handler == HANDLE_GETCWD,
	   "getcwd is in the table");
	ok(!syscall_lookup(SYS_read), "read is not");
	return done_testing();
}
