/* SPDX-License-Identifier: MIT */
/*
 * Syscalls answered by seccomp user notification instead of a ptrace stop.
 *
 * A ptrace stop wakes the tracer wherever the scheduler puts it, and on
 * these machines a wakeup across CPUs costs 60-130 µs; a notification with
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP runs this thread on the caller's CPU
 * and back, ~13 µs. So the lookups glibc makes behind the preload's back
 * (ld.so's library opens, setlocale's locale files, posix_spawn's stats)
 * and every lookup of a static program are answered here, in sessions
 * without a fake identity, with groot neither root nor capable (the view
 * would judge this thread, not the caller; a caller could change its
 * credentials):
 *
 *   open/openat (not O_CREAT, O_TMPFILE, O_PATH): opened here, handed over
 *     with SECCOMP_IOCTL_NOTIF_ADDFD, atomically with the reply; a FIFO's
 *     blocking open on a thread of its own;
 *   stat, lstat, newfstatat, statx: done here on an O_PATH fd, the result
 *     written into the caller's buffer;
 *   access, faccessat, faccessat2: done here (same credentials);
 *   wait4, waitid: let through, unless a guest debugger exists.
 *
 * A path the kernel resolves right in the caller (relative without "..",
 * under an identity direct bind: /proc, /dev, /sys) is let through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE). What needs the ptrace side (the /proc
 * files the tracer rewrites or redirects, magic links and links into
 * /proc/self, mapped direct binds, a debugger's waits) is deferred: the
 * tracer's thread interrupts the caller (PTRACE_INTERRUPT ends its wait for
 * our reply with ERESTARTSYS), marks argument 5 (unused by all of these)
 * with NOTIFY_DEFER_MAGIC, and the restarted syscall meets the filter's
 * RET_TRACE for that mark (notify_tracer.c). The kernel runs the filter
 * again after the enter stop, so the mark stays until the exit stop puts
 * the register back. (A guest debugger tracing the caller sees such a call
 * restarted once.) docs/runner.md, "Lookups by user notification".
 */
#include "notify.h"
#include "notify_internal.h"
#include "seccomp.h"
#include "session.h"
#include "tracee.h"
#include "translate.h"
#include "helpers.h"
#include "log.h"
#include "ptrace_emu.h"

#include <errno.h>
#include <sys/user.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static const struct session *session;
static int listener = -1;
static int defer_pipe[2] = {-1, -1};
static pid_t tracer_thread;
static int defer_signal;

static void send_reply(const struct seccomp_notif *req, long value, int error, bool let_through)
{
	struct seccomp_notif_resp resp = {.id = req->id, .val = value, .error = error};

	if (let_through)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void let_through(const struct seccomp_notif *req)
{
	send_reply(req, 0, 0, true);
}

void notify_answer(const struct seccomp_notif *req, long result)
{
	send_reply(req, result < 0 ? 0 : result, result < 0 ? (int)result : 0, false);
}

/*
 * The states of notify_internal.h, per thread id (pid_max bytes, calloc'd:
 * only touched pages are resident).
 */
static unsigned char *states;
static size_t n_states;

unsigned char *notify_state_of(pid_t tid)
{
	return states && tid > 0 && (size_t)tid < n_states ? &states[tid] : NULL;
}

/*
 * Is this thread traced by us? One cloned with CLONE_UNTRACED through clone3
 * (the filter strips the flag from clone only) is not: an interrupt would
 * never come, and its call would wait for ever.
 */
static bool traced_by_us(pid_t tid)
{
	pid_t tracer = tracee_tracer(tid);

	return tracer == -1 || tracer == tracer_thread || tracer == getpid(); /* -1: as before */
}

/* To the ptrace side (see above): the tracer's main thread interrupts the caller. */
static void defer(const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	unsigned char *state = notify_state_of(tid);

	if (!traced_by_us(tid)) {
		let_through(req); /* the kernel's answer, on host paths: better than none */
		return;
	}
	if (!state || write(defer_pipe[1], &tid, sizeof(tid)) != sizeof(tid)) {
		notify_answer(req, -ENOMEM); /* cannot happen: no table, or a full pipe */
		return;
	}
	__atomic_fetch_or(state, STATE_DEFERRED, __ATOMIC_ACQ_REL);
	syscall(SYS_tgkill, getpid(), tracer_thread, defer_signal);
}

void notify_interrupt_deferred(void)
{
	int saved = errno;
	pid_t tid;

	while (defer_pipe[0] >= 0 && read(defer_pipe[0], &tid, sizeof(tid)) == sizeof(tid))
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	errno = saved;
}

bool notify_take_deferred(pid_t tid)
{
	unsigned char *state = notify_state_of(tid);

	return state &&
	       (__atomic_fetch_and(state, (unsigned char)~STATE_DEFERRED, __ATOMIC_ACQ_REL) &
		STATE_DEFERRED);
}

bool notify_waits(pid_t tid)
{
	unsigned char *state = notify_state_of(tid);

	return state && (__atomic_load_n(state, __ATOMIC_ACQUIRE) & STATE_WAITING);
}

/*
 * A /proc path the tracer rewrites or redirects (path.c: exe, root, cwd and
 * fd with "..", auxv; procfs.c: mounts, status, stat, maps, net/unix): only
 * per-process entries, /proc/mounts and /proc/net/unix are ever special.
 */
static bool proc_needs_tracer(const char *guest)
{
	static const char *const special[] = {"exe",	"root", "auxv", "mountinfo", "mounts",
					      "status", "stat", "maps", "smaps",     "net/unix"};
	const char *p = guest + 6;

	if (!strcmp(p, "mounts") || !strcmp(p, "net/unix") || path_has_dotdot(guest))
		return true;
	if (!strncmp(p, "self/", 5))
		p += 5;
	else if (!strncmp(p, "thread-self/", 12))
		p += 12;
	else if (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != '/')
			return false;
	} else {
		return false;
	}
	if (!strncmp(p, "task/", 5)) {
		for (p += 5; *p >= '0' && *p <= '9'; p++)
			;
		if (*p++ != '/')
			return false;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		size_t n = strlen(special[i]);
		if (!strncmp(p, special[i], n) && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

enum route { ROUTE_KERNEL, ROUTE_HERE, ROUTE_TRACER };

/*
 * Where a path goes: left to the kernel in the caller, answered here with
 * host (a path this thread can use), or deferred. *error: the answer when
 * the path cannot be taken at all (ENAMETOOLONG).
 */
static enum route route_path(const struct seccomp_notif *req, int dirfd, unsigned long address,
			     char *host, size_t size, bool writes, bool follow, long *error)
{
	char guest[PATH_MAX];
	ssize_t length = tracee_read_string((pid_t)req->pid, address, guest, sizeof(guest));
	const char *g = guest;

	*error = 0;
	if (length == -ENAMETOOLONG) {
		*error = -ENAMETOOLONG;
		return ROUTE_HERE;
	}
	if (length < 0)
		return ROUTE_KERNEL; /* the kernel reports EFAULT itself */
	while (g[0] == '/' && g[1] == '/')
		g++;
	if (!strncmp(g, "/proc/", 6) && proc_needs_tracer(g))
		return ROUTE_TRACER;
	if (writes && in_read_only_bind(session, (pid_t)req->pid, dirfd, guest, follow)) {
		*error = -EROFS;
		return ROUTE_HERE;
	}
	int r = translate_path(session, (pid_t)req->pid, dirfd, guest, host, size);
	if (r < 0) {
		*error = r;
		return ROUTE_HERE;
	}
	if (!r)
		return ROUTE_KERNEL;
	/*
	 * A direct bind at another guest path: the host's file system, maybe
	 * a slow one (NFS), which would hold up every caller here; natively
	 * only the caller waits. The ptrace side has the caller's kernel walk.
	 */
	if (strncmp(host, session->mount, session->mount_length) &&
	    strncmp(host, "/proc/", 6) /* the view's root fd, for a long path */)
		return ROUTE_TRACER;
	return ROUTE_HERE;
}

/*
 * route_path(), and what it decides done: true when the call is this
 * thread's to make on host, false when it was let through, deferred or
 * answered (an error).
 */
static bool take_path(const struct seccomp_notif *req, int dirfd, unsigned long address,
		      bool follow, char *host, size_t size, bool writes)
{
	long error;

	switch (route_path(req, dirfd, address, host, size, writes, follow, &error)) {
	case ROUTE_KERNEL:
		let_through(req);
		return false;
	case ROUTE_TRACER:
		defer(req);
		return false;
	case ROUTE_HERE:
		break;
	}
	if (error) {
		notify_answer(req, error);
		return false;
	}
	return true;
}

/* notify_internal.h: the call's result; -ENOENT, -ESRCH or -EINTR keep 'fd' open. */
int notify_give_fd(const struct seccomp_notif *req, int fd, int flags)
{
	struct seccomp_notif_addfd addfd = {
	    .id = req->id,
	    .flags = SECCOMP_ADDFD_FLAG_SEND,
	    .srcfd = (unsigned)fd,
	    .newfd_flags = (unsigned)(flags & O_CLOEXEC),
	};
	int newfd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);

	if (newfd < 0 && errno == EINVAL) {
		/* Before Linux 5.14: add it, then reply with its number. */
		addfd.flags = 0;
		newfd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		if (newfd >= 0)
			notify_answer(req, newfd);
	}
	/* The call went away (ENOENT; ESRCH: while the file was queued for it). */
	if (newfd < 0 && (errno == ENOENT || errno == ESRCH || errno == EINTR))
		return -errno;
	/* No answer was given. */
	if (newfd < 0)
		notify_answer(req, -errno);
	close(fd);
	return 0;
}

static void hand_over(const struct seccomp_notif *req, int fd, int flags)
{
	if (notify_give_fd(req, fd, flags) < 0)
		close(fd);
}

/*
 * Where a path may resolve in the caller's own context, this thread's is
 * wrong: a guest link into /proc/self (/etc/mtab), a magic link
 * (/proc/PID/fd/N, reached through /dev/stdin), /dev/tty. The walk refuses
 * magic links (RESOLVE_NO_MAGICLINKS: ELOOP) and what it reached is checked
 * (procfs, the controlling terminal): those calls go to the ptrace side,
 * where the caller's kernel resolves the path. Without openat2 (Linux < 5.6)
 * only the object is checked.
 */
static dev_t proc_device;

struct open_how_ {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02

int notify_open_here(const char *host, int flags)
{
	static bool no_openat2;
	struct open_how_ how = {(uint64_t)(unsigned)flags, 0, RESOLVE_NO_MAGICLINKS_};

	if (!no_openat2) {
		long fd = syscall(SYS_openat2, AT_FDCWD, host, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		no_openat2 = true;
	}
	return open(host, flags);
}

static bool callers_own(const struct stat *st)
{
	return st->st_dev == proc_device ||
	       (S_ISCHR(st->st_mode) && st->st_rdev == makedev(5, 0)); /* /dev/tty */
}

bool notify_still_asked(const struct seccomp_notif *req)
{
	__u64 id = req->id;

	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void handle_open(const struct seccomp_notif *req, bool at)
{
	char host[PATH_MAX];
	const __u64 *args = req->data.args;
	int dirfd = at ? (int)args[0] : AT_FDCWD;
	int flags = (int)args[at ? 2 : 1];
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	struct stat st;

	if (!take_path(req, dirfd, args[at ? 1 : 0], !(flags & O_NOFOLLOW), host, sizeof(host),
		       writes))
		return;
	/*
	 * Never wait here for a FIFO's other end (one is opened on a thread of
	 * its own, as natively: both ends wait for each other), and never take a
	 * terminal as this process's controlling one.
	 */
	bool may_wait = !(flags & (O_NONBLOCK | O_DIRECTORY));
	if (may_wait &&
	    fstatat(AT_FDCWD, host, &st, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
	    S_ISFIFO(st.st_mode)) {
		fifo_open(req, host, flags);
		return;
	}
	int fd = notify_open_here(host, flags | O_NOCTTY | (may_wait ? O_NONBLOCK : 0));
	if (fd < 0) {
		if (errno == ELOOP || errno == EINVAL)
			defer(
			    req); /* a magic link, or flags openat2 refuses: the caller's kernel */
		else
			notify_answer(req, -errno);
		return;
	}
	if (fstat(fd, &st) == 0 && (callers_own(&st) || S_ISFIFO(st.st_mode))) {
		close(fd);
		if (S_ISFIFO(st.st_mode) && may_wait)
			fifo_open(req, host, flags); /* it became one meanwhile */
		else
			defer(req);
		return;
	}
	if (may_wait) {
		int now = fcntl(fd, F_GETFL);
		if (now >= 0)
			fcntl(fd, F_SETFL, now & ~O_NONBLOCK);
	}
	hand_over(req, fd, flags);
}

/* Copy size bytes to the caller's address: 0 or -EFAULT. */
static long give_back(const struct seccomp_notif *req, unsigned long address, const void *data,
		      size_t size)
{
	return tracee_write((pid_t)req->pid, address, data, size) < 0 ? -EFAULT : 0;
}

/*
 * The object a lookup names, as an O_PATH fd (nofollow: lstat's), or -1
 * after the call was answered or deferred.
 */
static int look_up(const struct seccomp_notif *req, const char *host, bool nofollow)
{
	int fd = notify_open_here(host, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));

	if (fd < 0) {
		if (errno == ELOOP)
			defer(req); /* maybe a magic link */
		else
			notify_answer(req, -errno);
	}
	return fd;
}

static void handle_stat(const struct seccomp_notif *req)
{
	char host[PATH_MAX];
	const __u64 *args = req->data.args;
	int nr = (int)req->data.nr;
	bool at = nr == SYS_newfstatat || nr == SYS_statx;
	int dirfd = at ? (int)args[0] : AT_FDCWD;
	int flags = nr == SYS_statx	   ? (int)args[2]
		    : nr == SYS_newfstatat ? (int)args[3]
		    : nr == SYS_lstat	   ? AT_SYMLINK_NOFOLLOW
					   : 0;

	if (!take_path(req, dirfd, args[at ? 1 : 0], true, host, sizeof(host), false))
		return;
	/* vfs_statx's checks come before the walk. */
	if ((flags &
	     ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
	    (nr == SYS_statx && (args[3] & STATX__RESERVED))) {
		notify_answer(req, -EINVAL);
		return;
	}
	int fd = look_up(req, host, flags & AT_SYMLINK_NOFOLLOW);
	if (fd < 0)
		return;
	struct stat st;
	if (nr == SYS_statx) {
		struct statx stx;
		long r = statx(fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE),
			       (unsigned)args[3], &stx);
		if (r == 0 && (stx.stx_dev_major == major(proc_device) &&
			       stx.stx_dev_minor == minor(proc_device))) {
			defer(req);
		} else {
			notify_answer(req,
				      r < 0 ? -errno : give_back(req, args[4], &stx, sizeof(stx)));
		}
	} else if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0) {
		notify_answer(req, -errno);
	} else if (st.st_dev == proc_device) {
		defer(req);
	} else {
		notify_answer(req, give_back(req, args[at ? 2 : 1], &st, sizeof(st)));
	}
	close(fd);
}

static void handle_access(const struct seccomp_notif *req)
{
	char host[PATH_MAX];
	const __u64 *args = req->data.args;
	int nr = (int)req->data.nr;
	bool at = nr != SYS_access;
	int dirfd = at ? (int)args[0] : AT_FDCWD;
	int mode = (int)args[at ? 2 : 1];
	int flags = nr == SYS_faccessat2 ? (int)args[3] : 0;
	struct stat st;

	if (!take_path(req, dirfd, args[at ? 1 : 0], true, host, sizeof(host), false))
		return;
	/* The kernel's own checks first: they come before the walk. */
	if ((mode & ~(R_OK | W_OK | X_OK)) ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))) {
		notify_answer(req, -EINVAL);
		return;
	}
	int fd = look_up(req, host, flags & AT_SYMLINK_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_dev == proc_device) {
		defer(req);
	} else {
		/* The thread has the tracees' credentials: none of them can change its own here. */
		long r =
		    syscall(SYS_faccessat2, fd, "", mode, (flags & AT_EACCESS) | AT_EMPTY_PATH);
		notify_answer(req, r < 0 ? -errno : 0);
	}
	close(fd);
}

bool notify_answers(long nr)
{
	switch (nr) {
	case SYS_open:
	case SYS_openat:
	case SYS_stat:
	case SYS_lstat:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_access:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_wait4:
	case SYS_waitid:
		return true;
	default:
		return false;
	}
}

static void handle(const struct seccomp_notif *req)
{
	switch (req->data.nr) {
	case SYS_open:
		handle_open(req, false);
		break;
	case SYS_openat:
		handle_open(req, true);
		break;
	case SYS_stat:
	case SYS_lstat:
	case SYS_newfstatat:
	case SYS_statx:
		handle_stat(req);
		break;
	case SYS_access:
	case SYS_faccessat:
	case SYS_faccessat2:
		handle_access(req);
		break;
	default:
		/* wait4, waitid: a guest debugger's are emulated (ptrace_wait.c), else the
		 * kernel's. */
		if (ptrace_emu_active())
			defer(req);
		else
			let_through(req);
		break;
	}
}

static void *notifier_main(void *arg)
{
	bool any_waiting = false;

	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		struct pollfd p = {.fd = listener, .events = POLLIN};

		/*
		 * Waiting in poll, not in RECV: only poll's wakeup keeps us on the
		 * caller's CPU. While FIFO opens wait, their callers are checked
		 * every 100 ms.
		 */
		int n = poll(&p, 1, any_waiting ? 100 : -1);
		if (any_waiting)
			any_waiting = fifo_check_waiting();
		if (n <= 0) {
			if (n == 0 || errno == EINTR)
				continue;
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		handle(&req);
		if (!any_waiting)
			any_waiting = fifo_check_waiting();
	}
	return NULL;
}

/* Answer fd's notifications on a thread of our own; signal_number: the defer signal. */
int notify_start(const struct session *s, int fd, int signal_number)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int err;

	session = s;
	listener = fd;
	tracer_thread = (pid_t)syscall(SYS_gettid);
	defer_signal = signal_number;
	if (pipe2(defer_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	struct stat proc;
	if (stat("/proc", &proc) == 0)
		proc_device = proc.st_dev;
	fifo_start();
	n_states = (size_t)read_sysctl("kernel/pid_max", 4194304) + 1;
	states = calloc(n_states, 1);
	if (!states)
		return -ENOMEM;
	/* Linux 6.6+; without it the same, a little slower. */
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* signals are the main thread's */
	err = pthread_create(&thread, &attr, notifier_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -err;
}

void notify_forget(pid_t tid)
{
	unsigned char *state = notify_state_of(tid);

	if (state)
		__atomic_store_n(state, 0, __ATOMIC_RELEASE);
	fifo_forget(tid);
}

/* A deferred syscall's argument 5 back as the guest had it (at its exit, or a signal first). */
