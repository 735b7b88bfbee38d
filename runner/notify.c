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
 * without a fake identity (the view would judge this thread, not the
 * caller, and the tracer's identity checks live on the ptrace side):
 *
 *   open/openat (not O_CREAT, O_TMPFILE, O_PATH): opened here, handed over with
 *     SECCOMP_IOCTL_NOTIF_ADDFD, atomically with the reply;
 *   stat, lstat, newfstatat, statx: done here, the result written into the
 *     caller's buffer;
 *   access, faccessat, faccessat2: done here (same credentials).
 *
 * A path the kernel resolves right in the caller (relative without "..",
 * under an identity direct bind: /proc, /dev, /sys) is let through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE). What needs the ptrace side (the /proc
 * files the tracer rewrites or redirects) is deferred: the tracer's thread
 * interrupts the caller (PTRACE_INTERRUPT ends its wait for our reply with
 * ERESTARTSYS), marks argument 5 (unused by all of these) with
 * NOTIFY_DEFER_MAGIC, and the restarted syscall meets the filter's
 * RET_TRACE for that mark. The kernel runs the filter again after the
 * enter stop, so the mark stays until the exit stop puts the register back.
 * (A guest debugger tracing the caller sees such a call restarted once.)
 */
#include "notify.h"
#include "seccomp.h"
#include "session.h"
#include "tracee.h"
#include "translate.h"
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
#include <sys/syscall.h>
#include <unistd.h>

#ifndef ERESTARTSYS
#define ERESTARTSYS 512 /* the kernel's, seen by a tracer only */
#endif

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

static void answer(const struct seccomp_notif *req, long result)
{
	send_reply(req, result < 0 ? 0 : result, result < 0 ? (int)result : 0, false);
}

/*
 * Threads with a deferred syscall, until the tracer sees the interrupt:
 * written by this thread, taken by the main one (a lock-free set; more
 * threads deferred at once than slots only costs a retry).
 */
#define DEFERRED_SLOTS 64
static pid_t deferred[DEFERRED_SLOTS];

/* To the ptrace side (see above): the tracer's main thread interrupts the caller. */
static void defer(const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid, none = 0;
	size_t i;

	for (i = 0; i < DEFERRED_SLOTS; i++)
		if (__atomic_load_n(&deferred[i], __ATOMIC_ACQUIRE) == tid ||
		    __atomic_compare_exchange_n(&deferred[i], &none, tid, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
		else
			none = 0;
	if (i == DEFERRED_SLOTS || write(defer_pipe[1], &tid, sizeof(tid)) != sizeof(tid)) {
		answer(req, -EINTR); /* cannot happen short of 64 at once: the caller retries */
		return;
	}
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
	for (size_t i = 0; i < DEFERRED_SLOTS; i++) {
		pid_t expected = tid;
		if (__atomic_load_n(&deferred[i], __ATOMIC_RELAXED) == tid &&
		    __atomic_compare_exchange_n(&deferred[i], &expected, 0, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/*
 * A /proc path the tracer rewrites or redirects (path.c: exe, root, cwd and
 * fd with "..", auxv; procfs.c: mounts, status, stat, maps): only per-process
 * entries and /proc/mounts are ever special.
 */
static bool proc_needs_tracer(const char *guest)
{
	static const char *const special[] = {"exe",	"root", "auxv", "mountinfo", "mounts",
					      "status", "stat", "maps", "smaps"};
	const char *p = guest + 6;

	if (!strcmp(p, "mounts") || path_has_dotdot(guest))
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
			     char *host, size_t size, bool writes, long *error)
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
	if (session->has_read_only_direct && writes && g[0] == '/') {
		const struct direct_bind *d = find_direct_bind(session, g);
		if (d && d->read_only) {
			*error = -EROFS;
			return ROUTE_HERE;
		}
	}
	int r = translate_path(session, (pid_t)req->pid, dirfd, guest, host, size);
	if (r < 0) {
		*error = r;
		return ROUTE_HERE;
	}
	return r ? ROUTE_HERE : ROUTE_KERNEL;
}

/*
 * route_path(), and what it decides done: true when the call is this
 * thread's to make on host, false when it was let through, deferred or
 * answered (an error).
 */
static bool take_path(const struct seccomp_notif *req, int dirfd, unsigned long address, char *host,
		      size_t size, bool writes)
{
	long error;

	switch (route_path(req, dirfd, address, host, size, writes, &error)) {
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
		answer(req, error);
		return false;
	}
	return true;
}

/* Hand fd over as the result of the caller's open; closes fd. */
static void hand_over(const struct seccomp_notif *req, int fd, int flags)
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
			answer(req, newfd);
	}
	/* The caller went away (ENOENT: a signal, or killed), or no answer was given. */
	if (newfd < 0 && errno != ENOENT)
		answer(req, -errno);
	close(fd);
}

struct blocking_open {
	struct seccomp_notif req;
	char host[PATH_MAX];
	int flags, mode;
	int reader; /* our own end meanwhile (a reader waiting for a writer), or -1 */
};

/*
 * A FIFO opened without O_NONBLOCK waits for its other end: not on this
 * thread. A reader keeps the non-blocking end it got meanwhile, so that a
 * writer's open (it comes here too) finds a reader, as it would find the
 * caller waiting in its own open.
 */
static void *open_blocking(void *arg)
{
	struct blocking_open *b = arg;
	int fd = open(b->host, b->flags | O_NOCTTY, b->mode);

	if (fd < 0)
		answer(&b->req, -errno);
	else
		hand_over(&b->req, fd, b->flags);
	if (b->reader >= 0)
		close(b->reader);
	free(b);
	return NULL;
}

static void open_elsewhere(const struct seccomp_notif *req, const char *host, int flags, int mode,
			   int reader)
{
	struct blocking_open *b = malloc(sizeof(*b));
	pthread_attr_t attr;
	pthread_t thread;

	if (!b) {
		answer(req, -ENOMEM);
		return;
	}
	b->req = *req;
	snprintf(b->host, sizeof(b->host), "%s", host);
	b->flags = flags;
	b->mode = mode;
	b->reader = reader;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, open_blocking, b) != 0) {
		free(b);
		answer(req, -EAGAIN);
		if (reader >= 0)
			close(reader);
	}
	pthread_attr_destroy(&attr);
}

static void handle_open(const struct seccomp_notif *req, bool at)
{
	char host[PATH_MAX];
	const __u64 *args = req->data.args;
	int dirfd = at ? (int)args[0] : AT_FDCWD;
	int flags = (int)args[at ? 2 : 1], mode = (int)args[at ? 3 : 2];
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);

	if (!take_path(req, dirfd, args[at ? 1 : 0], host, sizeof(host), writes))
		return;
	/*
	 * Never wait here for a FIFO's other end, and never take a terminal as
	 * this process's controlling one. A writer that found a reader would not
	 * have waited; a reader, or a writer without one, waits on a thread of
	 * its own.
	 */
	bool may_wait = !(flags & (O_NONBLOCK | O_DIRECTORY));
	int fd = open(host, flags | O_NOCTTY | (may_wait ? O_NONBLOCK : 0), mode);
	if (fd < 0) {
		if (errno == ENXIO && may_wait)
			open_elsewhere(req, host, flags, mode, -1); /* a writer, no reader yet */
		else
			answer(req, -errno);
		return;
	}
	if (may_wait) {
		struct stat st;
		if ((flags & O_ACCMODE) == O_RDONLY && fstat(fd, &st) == 0 &&
		    S_ISFIFO(st.st_mode)) {
			open_elsewhere(req, host, flags, mode,
				       fd); /* a reader waits for a writer */
			return;
		}
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

static void handle_stat(const struct seccomp_notif *req)
{
	char host[PATH_MAX];
	const __u64 *args = req->data.args;
	int nr = (int)req->data.nr;
	bool at = nr == SYS_newfstatat || nr == SYS_statx;
	int dirfd = at ? (int)args[0] : AT_FDCWD;

	if (!take_path(req, dirfd, args[at ? 1 : 0], host, sizeof(host), false))
		return;
	if (nr == SYS_statx) {
		struct statx stx;
		if (statx(AT_FDCWD, host, (int)args[2], (unsigned)args[3], &stx) < 0)
			answer(req, -errno);
		else
			answer(req, give_back(req, args[4], &stx, sizeof(stx)));
		return;
	}
	struct stat st;
	int flags = nr == SYS_newfstatat ? (int)args[3] : nr == SYS_lstat ? AT_SYMLINK_NOFOLLOW : 0;
	if (fstatat(AT_FDCWD, host, &st, flags & ~AT_EMPTY_PATH) < 0)
		answer(req, -errno);
	else
		answer(req, give_back(req, args[at ? 2 : 1], &st, sizeof(st)));
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

	if (!take_path(req, dirfd, args[at ? 1 : 0], host, sizeof(host), false))
		return;
	/* faccessat2 checks its flags first; with none, the kernel's access. */
	long r = flags ? syscall(SYS_faccessat2, AT_FDCWD, host, mode, flags & ~AT_EMPTY_PATH)
		       : syscall(SYS_faccessat, AT_FDCWD, host, mode);
	answer(req, r < 0 ? -errno : 0);
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
	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		struct pollfd p = {.fd = listener, .events = POLLIN};

		/* Waiting in poll, not in RECV: only poll's wakeup keeps us on the caller's CPU. */
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
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
	}
	return NULL;
}

/* Answer fd's notifications on a thread of our own; signal_number: the defer signal. */
static int start(const struct session *s, int fd, int signal_number)
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

/* ---- the tracer's side ---------------------------------------------------------------- */

/* The defer signal, on the tracer's thread: ptrace requests are that thread's own. */
static void on_defer(int sig)
{
	(void)sig;
	notify_interrupt_deferred();
}

/*
 * The first tracee's listener, taken from it (it closes its own before
 * exec). Without one the kernel has none and every syscall is traced.
 */
bool notify_take_listener(const struct session *s, pid_t first, int report_fd)
{
	struct sigaction action = {.sa_handler = on_defer};
	int number, pidfd, fd = -1;

	if (read(report_fd, &number, sizeof(number)) != sizeof(number))
		return false;
	if (number < 0)
		return true;
	if ((pidfd = (int)syscall(SYS_pidfd_open, first, 0)) >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
		close(pidfd);
	}
	sigemptyset(&action.sa_mask);
	if (fd < 0 || sigaction(SIGRTMIN, &action, NULL) < 0 || start(s, fd, SIGRTMIN) < 0) {
		log_error("cannot answer the guest's syscalls by notification: %s",
			  strerror(errno));
		return false;
	}
	log_info("lookups answered by seccomp user notification");
	return true;
}

/*
 * Under PTRACE_SYSCALL the interrupt shows as the syscall's exit stop
 * (ERESTARTSYS), not as an interrupt stop.
 */
void notify_mark_deferred(struct tracee *t)
{
	struct user_regs_struct regs;

	if (tracee_get_regs(t->pid, &regs) < 0 || (long)REG_RESULT(&regs) != -ERESTARTSYS ||
	    !notify_answers((long)REG_SYSCALL(&regs)))
		return;
	t->interrupted = false; /* a wait ptrace_emu.c interrupted restarts traced all the same */
	t->deferred_arg = *reg_arg(&regs, 5);
	if (tracee_set_reg(t->pid, reg_arg_offset(5), NOTIFY_DEFER_MAGIC) == 0)
		t->deferred = DEFER_ARMED;
}

/* A deferred syscall's argument 5 back as the guest had it (at its exit, or a signal first). */
void notify_disarm(struct tracee *t)
{
	t->deferred = DEFER_NONE;
	tracee_set_reg(t->pid, reg_arg_offset(5), t->deferred_arg);
}
