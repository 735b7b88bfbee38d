/* SPDX-License-Identifier: MIT */
/*
 * groot-fs: the view daemon. main() parses options, opens the layers,
 * mounts, tells the runner it is ready, and serves until unmounted or until
 * the runner's lifeline pipe closes.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusermount.h"
#include "log.h"
#include "remove_tree.h"

static struct fs the_fs;
static pthread_t main_thread;
static pthread_mutex_t unmount_lock = PTHREAD_MUTEX_INITIALIZER;
static bool unmounted;
static atomic_bool lifeline_closed;
static bool loop_done; /* under unmount_lock: main no longer handles SIGTERM */
/* With a lifeline: the mount's root, let go of last (release_behind). Under unmount_lock. */
static int hold_fd = -1;

/*
 * Detach the mount without touching the session fd: libfuse's
 * fuse_session_unmount closes it, and worker threads still reading it would
 * then read whatever file reuses the number. A lazy unmount ends the
 * connection as soon as nothing on the mount is in use.
 */
static void detach_mount(struct fs *fs)
{
	char *argv[] = {"fusermount3", "-u", "-z", "-q", fs->mountpoint, NULL};
	pid_t pid;
	int status;

	if (umount2(fs->mountpoint, MNT_DETACH) == 0 || errno != EPERM)
		return;
	/* Not root: the setuid helper that mounted it unmounts it. */
	const char *helper = fusermount_program();
	if (!helper || posix_spawn(&pid, helper, NULL, NULL, argv, environ) != 0) {
		log_error("cannot run fusermount3 to unmount %s", fs->mountpoint);
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* Both the lifeline thread and main() may get here; the mount goes away once. */
static void unmount_once(struct fs *fs, bool from_lifeline)
{
	pthread_mutex_lock(&unmount_lock);
	if (!unmounted) {
		unmounted = true;
		if (from_lifeline)
			detach_mount(fs);
		else
			fuse_session_unmount(fs->se);
	}
	pthread_mutex_unlock(&unmount_lock);
}

/*
 * The runner's run directory, which a runner killed by SIGKILL cannot
 * remove: its ephemeral upper layer, socket aliases, /proc copies, the
 * mountpoint (a mount still there, the detach having failed, is not walked
 * into). (A runner that stops normally closes the lifeline too, and
 * removes whatever is left after the daemon has exited.)
 */
static void remove_run_dir(const char *run_dir)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static bool removed;

	/* Both the lifeline thread and main (before it exits) get here: once is enough. */
	pthread_mutex_lock(&lock);
	if (run_dir && !removed)
		remove_tree(run_dir);
	removed = true;
	pthread_mutex_unlock(&lock);
}

/*
 * The runner holds the write end of the lifeline; when it dies (even by
 * SIGKILL) the pipe reaches EOF. Unmount right here rather than asking the
 * loop to: the loop's threads may all be blocked in requests. Then wake the
 * main thread (its signal handler ends the loop), and if the loop still does
 * not end (a file stays open on the detached mount), exit anyway.
 */
static void *lifeline_thread(void *arg)
{
	struct fs *fs = arg;
	int fd = fs->opts->lifeline_fd;
	char buf[64];

	/*
	 * Held, the mount survives its detach: the detach is quick, and the
	 * costly end of the mount waits for release_behind.
	 */
	pthread_mutex_lock(&unmount_lock);
	if (!loop_done) {
		hold_fd = open(fs->mountpoint, O_PATH | O_CLOEXEC);
		linkahead_start(hold_fd);
	}
	pthread_mutex_unlock(&unmount_lock);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	log_info("lifeline closed: unmounting %s", fs->mountpoint);
	atomic_store(&lifeline_closed, true);
	unmount_once(fs, true);
	remove_run_dir(fs->opts->run_dir);
	fuse_session_exit(fs->se);
	/*
	 * Wake the main thread's wait, unless the loop ended already (SIGTERM
	 * would kill). Again and again: the mount we hold keeps the connection
	 * alive, and a signal just before the loop's read(2) would be missed.
	 */
	for (int i = 0; i < 200; i++) {
		bool done;

		pthread_mutex_lock(&unmount_lock);
		done = loop_done;
		if (!done && i == 100 && hold_fd >= 0) {
			/* Then the connection ends, and every read with it; the number stays taken. */
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

			linkahead_start(-1);
			if (null < 0 || dup2(null, hold_fd) < 0)
				close(hold_fd);
			if (null >= 0)
				close(null);
			hold_fd = -1;
		}
		if (!done)
			pthread_kill(main_thread, SIGTERM);
		pthread_mutex_unlock(&unmount_lock);
		if (done)
			return NULL; /* main ends the session: closing the stores may take a while */
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	log_warn("the session did not end after unmount; exiting");
	_exit(0);
	return NULL;
}

/*
 * Let go of the mount last, in a child that outlives us by a moment. The
 * last reference frees every inode the guest's walk left in the kernel's
 * caches, tens of milliseconds for a /usr, and the runner, which waits for
 * our exit, need not wait for that too. The mount is detached already, the
 * run directory removed and the side stores closed: nothing is left to see.
 */
static void release_behind(void)
{
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	pid_t pid = self >= 0 ? fork() : -1;

	if (pid == 0) {
		struct pollfd p = {.fd = self, .events = POLLIN};
		int low = hold_fd < self ? hold_fd : self, high = hold_fd ^ self ^ low;

		/* Nothing of ours kept open: stdio above all, which a caller may read to EOF. */
		close_range(0, (unsigned)low - 1, 0);
		close_range((unsigned)low + 1, (unsigned)high - 1, 0);
		close_range((unsigned)high + 1, ~0U, 0);
		while (poll(&p, 1, 10000) < 0 && errno == EINTR)
			;
		_exit(0); /* closing hold_fd after our parent did: the last reference */
	}
	linkahead_start(-1); /* no job since the loop ended (linkahead_stop); none from now */
	close(hold_fd);	     /* without a child, the last reference goes here */
	hold_fd = -1;
	if (self >= 0)
		close(self);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* Every directory of a multi-layer view holds one O_PATH fd per layer. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int init_root(struct fs *fs)
{
	struct inode *root = &fs->root;
	int top = fs->n_layers - 1;
	struct stat st;

	pthread_mutex_init(&root->lock, NULL);
	root->fd = dup(fs->layers[top].fd);
	if (root->fd < 0 || fstat(root->fd, &st) < 0)
		return -errno;
	root->layer = top;
	root->type = S_IFDIR;
	root->key_dev = st.st_dev;
	root->key_ino = st.st_ino;
	root->refs = 1;
	root->vnode = fs->opts->vroot;
	if (fs->n_layers > 1) {
		root->dir_fds = malloc(sizeof(int) * (size_t)fs->n_layers);
		if (!root->dir_fds)
			return -ENOMEM;
		for (int i = 0; i < fs->n_layers; i++)
			root->dir_fds[i] = dup(fs->layers[i].fd);
	}
	return 0;
}

static struct fuse_session *new_session(struct fs *fs, const struct fuse_lowlevel_ops *ops)
{
	struct fs_options *o = fs->opts;
	char *mount_opts = NULL;
	struct fuse_session *se;
	/*
	 * Nothing writable: a read-only superblock. The kernel answers EROFS
	 * itself, and keeps a directory's attributes across reading it (it
	 * invalidates atime after every readdir of a writable one: a GETATTR
	 * round trip for each fstat of an opened directory, as in ls -lR).
	 */
	bool ro = !o->upper && !o->in_place && !vnodes_have_bind(o->vroot, true);

	/*
	 * default_permissions only where the kernel's judgement is ours
	 * (fs_kernel_judges); otherwise we check ourselves (fake identities need
	 * it). allow_other only for a root daemon whose guest the kernel judges:
	 * a guest process that really drops root (setpriv, apt's _apt sandbox)
	 * reaches the view as natively, judged by owners and modes.
	 */
	bool others = fs->kernel_judges && geteuid() == 0;

	if (asprintf(&mount_opts, "fsname=groot-fs,subtype=groot%s%s%s%s%s", ro ? ",ro" : "",
		     fs->kernel_judges ? ",default_permissions" : "", others ? ",allow_other" : "",
		     o->mount_options ? "," : "", o->mount_options ? o->mount_options : "") < 0)
		return NULL;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	if (fuse_opt_add_arg(&args, "groot-fs") < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, mount_opts) < 0 ||
	    (o->verbosity >= 3 && fuse_opt_add_arg(&args, "-d") < 0)) {
		free(mount_opts);
		fuse_opt_free_args(&args);
		return NULL;
	}
	se = fuse_session_new(&args, ops, sizeof(*ops), fs);
	fuse_opt_free_args(&args);
	free(mount_opts);
	return se;
}

/* At exit, so that leak checkers see only real leaks; inodes the kernel held stay tabled. */
static void close_everything(struct fs *fs)
{
	meta_close_stores(fs);
	for (int i = 0; i < fs->n_layers; i++) {
		close(fs->layers[i].fd);
		free(fs->layers[i].path);
	}
	free(fs->layers);
	if (fs->root.dir_fds) {
		for (int i = 0; i < fs->n_layers; i++)
			close(fs->root.dir_fds[i]);
		free(fs->root.dir_fds);
	}
	close(fs->root.fd);
	free(fs->mountpoint);
}

static void signal_ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1)
		log_warn("--ready-fd %d: %s", fd, strerror(errno));
	close(fd);
}

/*
 * A crash ends the FUSE connection before anything else: our own threads
 * (walkahead.c, linkahead.c) may be waiting in a request to our mount, and
 * the kernel's core dump would wait for them for good, the guest with them.
 * Closing the device's only fd aborts the connection: their requests and
 * the guest's fail (ENOTCONN), the dump goes on, and the runner, which sees
 * the view gone, unmounts it.
 */
static int crash_fd = -1;

static void on_crash(int sig)
{
	if (crash_fd >= 0)
		close(crash_fd);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void end_connection_on_crash(int fd)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
	struct sigaction sa = {.sa_handler = on_crash, .sa_flags = SA_NODEFER};

	crash_fd = fd;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

int main(int argc, char **argv)
{
	struct fuse_lowlevel_ops ops = {0};
	struct fs_options opts;
	struct fs *fs = &the_fs;
	pthread_t lifeline;
	int r;

	log_set_program("groot-fs");
	/* fds 0-2 taken: a file handle is never 0, which means "no handle" (fs->no_open). */
	for (int fd = 0; fd >= 0 && fd < 3;) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd > 2)
			close(fd);
	}
	if (parse_options(argc, argv, &opts) < 0) {
		free_options(&opts);
		return GROOT_EXIT_USAGE;
	}
	if (opts.verbosity > 0)
		log_level = (enum log_level)(LOG_LEVEL_WARN + opts.verbosity) > LOG_LEVEL_TRACE
				? LOG_LEVEL_TRACE
				: (enum log_level)(LOG_LEVEL_WARN + opts.verbosity);
	fs->opts = &opts;
	fs->uid = getuid();
	fs->gid = getgid();
	fs->timeout = 86400.0;
	fs->bind_timeout = 1.0;
	pthread_rwlock_init(&fs->tree_lock, NULL);
	inode_table_init(fs);
	raise_fd_limit();
	fdp_init();
	/* The kernel applied the caller's umask already; ours must not apply twice. */
	umask(0);

	fs->mountpoint = realpath(opts.mountpoint, NULL);
	if (!fs->mountpoint)
		die(GROOT_EXIT_FAILURE, "mountpoint %s: %s", opts.mountpoint, strerror(errno));
	fs->mountpoint_len = strlen(fs->mountpoint);
	if (fs_open_layers(fs) < 0)
		return GROOT_EXIT_FAILURE;
	if ((r = meta_open_stores(fs)) < 0)
		die(GROOT_EXIT_FAILURE, "side stores: %s", strerror(-r));
	if ((r = init_root(fs)) < 0)
		die(GROOT_EXIT_FAILURE, "root: %s", strerror(-r));
	if (opts.xattr_hints)
		hints_create(fs, opts.xattr_hints); /* without it: slower, still right */
	if (opts.credentials && (r = access_open_table(fs, opts.credentials)) < 0)
		die(GROOT_EXIT_FAILURE, "--credentials %s: %s", opts.credentials, strerror(-r));
	if ((r = canonicalize_bind_points(fs)) < 0)
		die(GROOT_EXIT_FAILURE, "bind points: %s", strerror(-r));

	fs->kernel_judges = fs_kernel_judges(&opts);
	if (!fs->kernel_judges && !opts.fake_root && !fs->credentials && geteuid() != 0)
		access_judge_as_caller(fs);
	fill_read_ops(&ops);
	fill_write_ops(&ops);
	fill_dir_ops(&ops);
	fs->se = new_session(fs, &ops);
	if (!fs->se)
		die(GROOT_EXIT_FAILURE, "cannot create the FUSE session");
	if (fuse_set_signal_handlers(fs->se) < 0)
		die(GROOT_EXIT_FAILURE, "cannot install signal handlers");
	if (fuse_session_mount(fs->se, fs->mountpoint) < 0)
		die(GROOT_EXIT_FAILURE, "cannot mount on %s", fs->mountpoint);
	if (killpriv_install(fs->se) < 0)
		log_warn("cannot route the session's replies: no handle_killpriv_v2");
	log_info("mounted on %s", fs->mountpoint);
	end_connection_on_crash(fuse_session_fd(fs->se));

	/* fork before any thread exists; the daemon child keeps the mount. */
	if (fuse_daemonize(opts.foreground) < 0) {
		fuse_session_unmount(fs->se);
		die(GROOT_EXIT_FAILURE, "cannot daemonize");
	}
	main_thread = pthread_self();
	if (opts.lifeline_fd >= 0) {
		fcntl(opts.lifeline_fd, F_SETFD, FD_CLOEXEC);
		if (pthread_create(&lifeline, NULL, lifeline_thread, fs) != 0) {
			unmount_once(fs, false);
			die(GROOT_EXIT_FAILURE, "cannot start the lifeline thread");
		}
		pthread_detach(lifeline);
	}
	/* Requests queue in the kernel until the loop answers INIT: ready already. */
	signal_ready(opts.ready_fd);

	r = fs_session_loop(fs);
	pthread_mutex_lock(&unmount_lock);
	loop_done = true;
	pthread_mutex_unlock(&unmount_lock);
	unmount_once(fs, false);
	/*
	 * After a lifeline detach this only releases libfuse's state: the
	 * connection is gone, so it notices (POLLERR) and unmounts nothing.
	 */
	if (atomic_load(&lifeline_closed) && hold_fd < 0) {
		/*
		 * While a process still holds something of the detached mount (a
		 * stopped guest's cwd) the connection lives, and libfuse runs
		 * fusermount3 on a mountpoint that may be gone: it would say so.
		 */
		int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		fuse_session_unmount(fs->se);
		if (saved >= 0) {
			dup2(saved, STDERR_FILENO);
			close(saved);
		}
		if (null >= 0)
			close(null);
		remove_run_dir(opts.run_dir);
	}
	fuse_remove_signal_handlers(fs->se);
	fuse_session_destroy(fs->se);
	dir_handles_free_all();
	close_everything(fs);
	free_options(&opts);
	if (hold_fd >= 0)
		release_behind();
	/* The loop reports the connection we tore down ourselves as an error: it is not one. */
	return r < 0 && !atomic_load(&lifeline_closed) ? GROOT_EXIT_FAILURE : 0;
}
