/* SPDX-License-Identifier: MIT */
/*
 * The request loop. One thread reads the FUSE device and answers most
 * requests itself; requests that may block for long (copy-up, fsync, a read
 * that must wait for the disk: loop_defer) or that call back into the
 * kernel (the invalidation after a fake device record) go to a pool of
 * workers, so they never hold up the others.
 *
 * Why not libfuse's multithreaded loop: its workers all wait in read(2) on
 * the device and the kernel wakes the one that waited longest, so the
 * requests of one process land on a different thread each time. Measured on
 * an open/read/close-heavy workload (cat of every file of a rootfs), that
 * costs about 20% against one thread answering them all; the requests that
 * gain from running in parallel are the ones handed to the pool.
 *
 * An inline handler can still end up waiting for another request: a bind
 * whose host tree contains the mountpoint makes a lookup stat our own root,
 * and any handler may meet a slow disk. So a rescuer thread watches the
 * loop: when one request has been answered inline for longer than
 * STUCK_NS, it reads and answers requests itself until the loop moves on.
 * It checks every STUCK_NS while requests come, and parks after a second
 * without any.
 *
 * While walkahead.c's helpers list a walk through the mount, a second thread
 * reads the device too (walk_reader): their requests and the walker's then
 * queue behind one reader, which was busy most of such a walk; a second one
 * made a cold find /usr ~10% faster. Otherwise one reader keeps each
 * process's requests on one thread, as above. Every reader reads the device
 * itself (read_request): libfuse's receive drops a request it reads after
 * the session has exited, and at the end the asker may be one of ours.
 *
 * After each request the loop thread polls the device for SPIN_NS before it
 * sleeps in read(2), yielding its CPU to anyone runnable meanwhile. A walker
 * (ls -lR, find, tar) sends its next request a few tens of µs after our
 * reply; a sleeping reader must then be woken on its idle CPU, and on these
 * guests that wakeup is a hypervisor round trip (docs/performance.md). The
 * walk of bench.py went from 0.94 to 0.72 s; make -j2 and the exec loop, whose
 * CPUs are busy, did not move (the yield gives the spin's time away).
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MAX_WORKERS 8
#define STUCK_NS 5000000L
#define SPIN_NS 100000L
#define IDLE_CHECKS_BEFORE_PARKING 200
#define MAX_SPARE_BUFFERS MAX_WORKERS

struct job {
	struct fuse_buf buf;
	void (*call)(void *arg); /* a deferred call (loop_defer) instead of a request */
	void *arg;
	struct job *next;
};

/* Set in the thread that reads the device: only it defers work to the pool. */
static __thread bool on_loop_thread;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	void *spare[MAX_SPARE_BUFFERS]; /* request buffers back from the workers */
	unsigned n_spare;
	unsigned idle, n_workers;
	pthread_t workers[MAX_WORKERS];
	bool exiting;
	struct fuse_session *se;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* The loop's progress, for the rescuer: inline answers started, and whether one is running. */
static struct {
	uint64_t started; /* atomic */
	bool busy;	  /* atomic */
	bool parked;	  /* atomic: the rescuer waits for 'wake' */
	pthread_t thread;
	bool running;
	struct fuse_buf buf; /* its request buffer, freed after it ends */
	pthread_cond_t wake;
} watch = {.wake = PTHREAD_COND_INITIALIZER};

/* A FUSE_OPEN for writing or truncating (copy-up); 'if_short' when its argument is missing. */
static bool open_writes(const struct fuse_buf *buf, bool if_short)
{
	const struct fuse_in_header *in = buf->mem;
	const struct fuse_open_in *arg = (const void *)(in + 1);

	if (buf->size < sizeof(*in) + sizeof(*arg))
		return if_short;
	return (arg->flags & O_ACCMODE) != O_RDONLY || (arg->flags & O_TRUNC);
}

/* Does this request go to the pool? */
static bool slow_request(struct fs *fs, const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;

	if (buf->size < sizeof(*in))
		return false;
	switch (in->opcode) {
	case FUSE_WRITE:
		/*
		 * Data into the page cache of an upper file is quick; a first write
		 * without a handle copies the file up. (A read decides for itself
		 * whether its pages are cached: fs_read, loop_defer.)
		 */
		return !inode_is_upper(fs, inode_from_id(fs, in->nodeid));
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_FALLOCATE:
	case FUSE_LSEEK:
	case FUSE_COPY_FILE_RANGE:
	case FUSE_SETXATTR:    /* copy-up; a fake device record notifies the kernel */
	case FUSE_REMOVEXATTR: /* copy-up */
	case FUSE_LINK:	       /* copy-up with data */
	case FUSE_RENAME:      /* copy-up with data */
	case FUSE_RENAME2:
		return true;
	case FUSE_SETATTR: {
		/* Truncation and copy-up (with data) may take long; times, owner, mode do not. */
		const struct fuse_setattr_in *arg = (const void *)(in + 1);

		if (buf->size < sizeof(*in) + sizeof(*arg))
			return false;
		return (arg->valid & FATTR_SIZE) ||
		       !inode_is_upper(fs, inode_from_id(fs, in->nodeid));
	}
	case FUSE_OPEN:
		/* Opening for writing copies the file up; opening for reading is quick. */
		return open_writes(buf, false);
	default:
		return false;
	}
}

/* May this request change the tree (names, data, metadata)? Listings made ahead then go stale. */
static bool may_change(const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;

	if (buf->size < sizeof(*in))
		return false;
	switch (in->opcode) {
	case FUSE_LOOKUP:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_GETATTR:
	case FUSE_READLINK:
	case FUSE_READ:
	case FUSE_STATFS:
	case FUSE_RELEASE:
	case FUSE_FLUSH:
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
	case FUSE_OPENDIR:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
	case FUSE_RELEASEDIR:
	case FUSE_ACCESS:
	case FUSE_INIT:
	case FUSE_INTERRUPT:
	case FUSE_LSEEK:
	case FUSE_POLL:
		return false;
	case FUSE_OPEN:
		return open_writes(buf, true);
	default:
		return true;
	}
}

/* Requests by opcode, for the log at the end (-v -v). */
static uint64_t counts[64];

static void log_counts(void)
{
	static const char *const names[64] = {
	    [FUSE_LOOKUP] = "LOOKUP",
	    [FUSE_FORGET] = "FORGET",
	    [FUSE_GETATTR] = "GETATTR",
	    [FUSE_SETATTR] = "SETATTR",
	    [FUSE_READLINK] = "READLINK",
	    [FUSE_SYMLINK] = "SYMLINK",
	    [FUSE_MKNOD] = "MKNOD",
	    [FUSE_MKDIR] = "MKDIR",
	    [FUSE_UNLINK] = "UNLINK",
	    [FUSE_RMDIR] = "RMDIR",
	    [FUSE_RENAME] = "RENAME",
	    [FUSE_LINK] = "LINK",
	    [FUSE_OPEN] = "OPEN",
	    [FUSE_READ] = "READ",
	    [FUSE_WRITE] = "WRITE",
	    [FUSE_STATFS] = "STATFS",
	    [FUSE_RELEASE] = "RELEASE",
	    [FUSE_FSYNC] = "FSYNC",
	    [FUSE_SETXATTR] = "SETXATTR",
	    [FUSE_GETXATTR] = "GETXATTR",
	    [FUSE_LISTXATTR] = "LISTXATTR",
	    [FUSE_REMOVEXATTR] = "REMOVEXATTR",
	    [FUSE_FLUSH] = "FLUSH",
	    [FUSE_INIT] = "INIT",
	    [FUSE_OPENDIR] = "OPENDIR",
	    [FUSE_READDIR] = "READDIR",
	    [FUSE_RELEASEDIR] = "RELEASEDIR",
	    [FUSE_FSYNCDIR] = "FSYNCDIR",
	    [FUSE_GETLK] = "GETLK",
	    [FUSE_SETLK] = "SETLK",
	    [FUSE_SETLKW] = "SETLKW",
	    [FUSE_ACCESS] = "ACCESS",
	    [FUSE_CREATE] = "CREATE",
	    [FUSE_INTERRUPT] = "INTERRUPT",
	    [FUSE_DESTROY] = "DESTROY",
	    [FUSE_IOCTL] = "IOCTL",
	    [FUSE_POLL] = "POLL",
	    [FUSE_BATCH_FORGET] = "BATCH_FORGET",
	    [FUSE_FALLOCATE] = "FALLOCATE",
	    [FUSE_READDIRPLUS] = "READDIRPLUS",
	    [FUSE_RENAME2] = "RENAME2",
	    [FUSE_LSEEK] = "LSEEK",
	    [FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	    [FUSE_TMPFILE] = "TMPFILE",
	    [63] = "other",
	};
	char line[1024];
	size_t used = 0;
	uint64_t total = 0;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	for (unsigned i = 0; i < 64 && used < sizeof(line) - 64; i++) {
		uint64_t n = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);

		if (!n)
			continue;
		total += n;
		if (names[i])
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %llu",
						 names[i], (unsigned long long)n);
		else
			used += (size_t)snprintf(line + used, sizeof(line) - used, " op%u %llu", i,
						 (unsigned long long)n);
	}
	log_debug("%llu requests:%s", (unsigned long long)total, used ? line : " none");
}

/* Answer one request here; a change is counted before and after it (prefetch.c). */
static void process(struct fuse_session *se, const struct fuse_buf *buf)
{
	bool change = may_change(buf);

	if (buf->size >= sizeof(struct fuse_in_header)) {
		struct fuse_in_header *in = buf->mem;
		uint32_t op = in->opcode;

		__atomic_add_fetch(&counts[op < 63 ? op : 63], 1, __ATOMIC_RELAXED);
		/* Unknown to libfuse 3.14; the same arguments and reply as a CREATE (fs_create). */
		if (op == FUSE_TMPFILE)
			in->opcode = FUSE_CREATE;
		else if (op == FUSE_INIT)
			killpriv_note_request(in, buf->size);
	}

	if (change)
		prefetch_note_change();
	fuse_session_process_buf(se, buf);
	if (change)
		prefetch_note_change();
}

/*
 * As libfuse 3.14 sizes its receive buffers (the pool's spares come from
 * here too): 256 pages and a header, room for the largest write it allows.
 */
#define REQUEST_BUF_SIZE ((size_t)256 * (size_t)getpagesize() + 4096)

/*
 * Read one request from the device. Not fuse_session_receive_buf: once the
 * session has exited, it drops a request it has read, and the asker (a walk
 * helper of our own, at the end) would wait for an answer for good. Returns
 * its size; 0 for none (a signal, a request interrupted meanwhile);
 * -errno when the device fails (-ENODEV: unmounted).
 */
static int read_request(int fd, struct fuse_buf *buf)
{
	ssize_t n;

	if (!buf->mem && !(buf->mem = malloc(REQUEST_BUF_SIZE)))
		return -ENOMEM;
	n = read(fd, buf->mem, REQUEST_BUF_SIZE);
	if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
		return 0;
	if (n < 0) {
		if (errno != ENODEV)
			log_error("reading the FUSE device: %s", strerror(errno));
		return -errno;
	}
	if (n == 0)
		return -ENODEV;
	if ((size_t)n < sizeof(struct fuse_in_header))
		return -EIO; /* a short read: as libfuse, give up */
	buf->size = (size_t)n;
	buf->flags = 0;
	return (int)n;
}

static void *worker_main(void *arg)
{
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		struct job *job;

		while (!pool.head && !pool.exiting) {
			pool.idle++;
			pthread_cond_wait(&pool.wake, &pool.lock);
			pool.idle--;
		}
		if (!pool.head)
			break; /* exiting, nothing left */
		job = pool.head;
		pool.head = job->next;
		if (!pool.head)
			pool.tail = NULL;
		pthread_mutex_unlock(&pool.lock);

		if (job->call)
			job->call(job->arg);
		else
			process(pool.se, &job->buf);

		pthread_mutex_lock(&pool.lock);
		if (!job->call && pool.n_spare < MAX_SPARE_BUFFERS)
			pool.spare[pool.n_spare++] = job->buf.mem;
		else
			free(job->buf.mem); /* NULL for a call */
		free(job);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* A helper thread that receives no signals: the loop's thread handles them. */
bool loop_start_quiet_thread(pthread_t *thread, void *(*body)(void *))
{
	sigset_t all, old;
	bool started;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	started = pthread_create(thread, NULL, body, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

/* Called with pool.lock held. */
static void start_worker(void)
{
	if (loop_start_quiet_thread(&pool.workers[pool.n_workers], worker_main))
		pool.n_workers++;
}

/*
 * Queue the job (request or call); false: no thread to run it, do it here.
 * For a request, the loop's buffer 'buf' goes with the job and the loop
 * gets a spare one (or none: libfuse allocates one).
 */
static bool enqueue(struct job *job, struct fuse_buf *buf)
{
	pthread_mutex_lock(&pool.lock);
	if (pool.idle == 0 && pool.n_workers < MAX_WORKERS)
		start_worker();
	if (pool.n_workers == 0) {
		pthread_mutex_unlock(&pool.lock);
		return false; /* no thread at all */
	}
	if (pool.tail)
		pool.tail->next = job;
	else
		pool.head = job;
	pool.tail = job;
	if (buf)
		buf->mem = pool.n_spare > 0 ? pool.spare[--pool.n_spare] : NULL;
	pthread_cond_signal(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	return true;
}

static bool hand_off(struct fuse_buf *buf)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job)
		return false;
	job->buf = *buf;
	if (!enqueue(job, buf)) {
		free(job);
		return false; /* answer it here */
	}
	return true;
}

bool loop_defer(void (*call)(void *arg), void *arg)
{
	struct job *job;

	if (!on_loop_thread)
		return false; /* a worker or the rescuer: it may as well wait itself */
	job = calloc(1, sizeof(*job));
	if (!job)
		return false;
	job->call = call;
	job->arg = arg;
	if (!enqueue(job, NULL)) {
		free(job);
		return false;
	}
	return true;
}

/* Answer one request in the calling thread; false when the session is over. */
static bool rescue_one(void)
{
	int res;

	/* Cancellable only while waiting for a request, like libfuse's workers. */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	res = read_request(fuse_session_fd(pool.se), &watch.buf);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (res == 0)
		return true;
	if (res < 0)
		return false;
	process(pool.se, &watch.buf);
	return true;
}

static void *rescuer_main(void *arg)
{
	uint64_t stuck_at = 0, last_started = 0;
	unsigned idle_checks = 0;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&pool.lock);
	while (!pool.exiting) {
		uint64_t started = __atomic_load_n(&watch.started, __ATOMIC_SEQ_CST);
		bool busy = __atomic_load_n(&watch.busy, __ATOMIC_SEQ_CST);
		struct timespec until;

		if (busy && started == stuck_at) {
			/* The same request for a whole period: answer the others meanwhile. */
			pthread_mutex_unlock(&pool.lock);
			if (!rescue_one() || fuse_session_exited(pool.se)) {
				pthread_mutex_lock(&pool.lock);
				break;
			}
			pthread_mutex_lock(&pool.lock);
			continue;
		}
		stuck_at = busy ? started : 0;
		idle_checks = !busy && started == last_started ? idle_checks + 1 : 0;
		last_started = started;
		if (idle_checks > IDLE_CHECKS_BEFORE_PARKING) {
			/* Quiet: wait until the loop answers again (answer_inline wakes us). */
			idle_checks = 0;
			__atomic_store_n(&watch.parked, true, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&watch.busy, __ATOMIC_SEQ_CST)) {
				__atomic_store_n(&watch.parked, false, __ATOMIC_SEQ_CST);
				continue; /* it started meanwhile and may not have seen 'parked' */
			}
			while (!pool.exiting && __atomic_load_n(&watch.parked, __ATOMIC_SEQ_CST))
				pthread_cond_wait(&watch.wake, &pool.lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += STUCK_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&watch.wake, &pool.lock, &until);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

static void start_rescuer(void)
{
	watch.running = loop_start_quiet_thread(&watch.thread, rescuer_main);
	if (!watch.running)
		log_warn("no rescuer thread: a request that waits for another may hang the view");
}

static void answer_inline(struct fuse_session *se, const struct fuse_buf *buf)
{
	__atomic_add_fetch(&watch.started, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&watch.busy, true, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&watch.parked, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&pool.lock);
		__atomic_store_n(&watch.parked, false, __ATOMIC_SEQ_CST);
		pthread_cond_signal(&watch.wake);
		pthread_mutex_unlock(&pool.lock);
	}
	process(se, buf);
	__atomic_store_n(&watch.busy, false, __ATOMIC_RELEASE);
}

static int64_t monotonic_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

bool loop_one_cpu(void)
{
	cpu_set_t cpus;

	return sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2;
}

/* The second reader (see the top): while walk helpers are busy, until told to stop. */
static struct {
	pthread_t thread;
	bool running;
	bool stop, done; /* atomic */
	struct fs *fs;
} walk_reader;

static void wake_reader(int sig)
{
	(void)sig; /* only to end its read(2) with EINTR */
}

static void *walk_reader_main(void *arg)
{
	struct fuse_buf buf = {.mem = NULL};
	int fd = fuse_session_fd(pool.se);
	sigset_t urg;

	(void)arg;
	on_loop_thread = true; /* it may defer work to the pool as the loop does */
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
	while (!__atomic_load_n(&walk_reader.stop, __ATOMIC_SEQ_CST) && walkahead_wait_busy()) {
		int r = read_request(fd, &buf);

		if (r < 0)
			break;
		if (r == 0)
			continue;
		if (slow_request(walk_reader.fs, &buf) && hand_off(&buf))
			continue;
		process(pool.se, &buf);
	}
	free(buf.mem);
	__atomic_store_n(&walk_reader.done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void start_walk_reader(struct fs *fs)
{
	struct sigaction sa = {.sa_handler = wake_reader}; /* no SA_RESTART */

	if (loop_one_cpu())
		return; /* no walk is listed ahead then (walkahead.c) */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGURG, &sa, NULL) < 0)
		return;
	walk_reader.fs = fs;
	walk_reader.running = loop_start_quiet_thread(&walk_reader.thread, walk_reader_main);
}

/*
 * At the loop's end: stop the second reader, and answer what walk helpers
 * still asked (a request left unread would keep the helper's directory
 * locked, and an invalidation of that directory, in a worker or in the
 * reader itself, would wait for it). The helpers get 200 ms; the reader,
 * whose handler may wait for one of their requests, is waited for (the
 * rest of the loop's end frees what it uses).
 */
static void drain(struct fuse_session *se)
{
	struct fuse_buf buf = {.mem = NULL};
	int fd = fuse_session_fd(se);
	int flags = fcntl(fd, F_GETFL);
	bool reader = walk_reader.running;
	int64_t until = monotonic_ns() + 200000000;

	/* Another reader may take what poll announced: never wait in read(2) here. */
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	__atomic_store_n(&walk_reader.stop, true, __ATOMIC_SEQ_CST);
	while (reader || (walkahead_busy() && monotonic_ns() < until)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (reader)
			pthread_kill(walk_reader.thread, SIGURG);
		if (poll(&pfd, 1, 1) > 0 && read_request(fd, &buf) > 0)
			process(se, &buf);
		else if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			poll(NULL, 0, 1); /* the connection is gone: no request will come */
		reader = reader && !__atomic_load_n(&walk_reader.done, __ATOMIC_SEQ_CST);
	}
	if (walkahead_busy())
		log_debug("at the end, still busy: walk helpers");
	if (walk_reader.running)
		pthread_join(walk_reader.thread, NULL);
	walk_reader.running = false;
	free(buf.mem);
}

/* How long to poll for the next request (GROOT_FS_SPIN_NS; 0: never): not on one CPU. */
static int64_t spin_ns(void)
{
	const char *env = getenv("GROOT_FS_SPIN_NS");

	if (env)
		return atol(env);
	return loop_one_cpu() ? 0 : SPIN_NS;
}

/* Until a request is there, for at most 'ns'. */
static void poll_briefly(int fd, int64_t ns)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t until = monotonic_ns() + ns;

	while (poll(&pfd, 1, 0) == 0 && monotonic_ns() < until)
		sched_yield(); /* and a signal (poll < 0: EINTR) ends it too */
}

int fs_session_loop(struct fs *fs)
{
	struct fuse_session *se = fs->se;
	struct fuse_buf buf = {.mem = NULL};
	int res = 0;

	int64_t spin = spin_ns();

	pool.se = se;
	on_loop_thread = true;
	start_rescuer();
	start_walk_reader(fs);
	while (!fuse_session_exited(se)) {
		if (spin > 0) {
			poll_briefly(fuse_session_fd(se), spin);
			if (fuse_session_exited(se))
				break; /* the exit signal came while polling */
		}
		res = read_request(fuse_session_fd(se), &buf);
		if (res == 0)
			continue;
		if (res < 0) {
			if (res == -ENODEV)
				res = 0; /* unmounted: the end */
			break;
		}
		if (slow_request(fs, &buf) && hand_off(&buf))
			continue;
		answer_inline(se, &buf);
	}
	prefetch_stop();
	linkahead_stop();
	walkahead_stop();
	inval_stop();
	drain(se);
	free(buf.mem);
	pthread_mutex_lock(&pool.lock);
	pool.exiting = true;
	pthread_cond_broadcast(&pool.wake);
	pthread_cond_broadcast(&watch.wake);
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < pool.n_workers; i++)
		pthread_join(pool.workers[i], NULL);
	if (watch.running) {
		pthread_cancel(watch.thread); /* takes effect only while it waits for a request */
		pthread_join(watch.thread, NULL);
		free(watch.buf.mem);
	}
	log_counts();
	for (unsigned i = 0; i < pool.n_spare; i++)
		free(pool.spare[i]);
	pool.n_spare = 0;
	fuse_session_reset(se);
	return res < 0 ? res : 0;
}
