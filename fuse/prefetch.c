// SPDX-License-Identifier: MIT
/*
 * Listings made ahead during a recursive walk (fs.h, "prefetch.c").
 *
 * A walker (find, ls -R, du, tar) reads a directory it never saw in two
 * round trips, and the first one is where the daemon works: an lstat, the
 * metadata and an inode for every entry, about 10 µs each, while the walker
 * waits. Once a readdir shows a walk (the directory's parent was listed
 * moments before), the subdirectories it sends are queued here, and one
 * helper thread lists them and looks their entries up on the other CPU, so
 * that the walker's next readdir finds the work done (readdir.c).
 *
 * The queue is a stack: a walk goes depth first, so the directories queued
 * last are read first. A listing made ahead is used only if no request that
 * may change the tree ran since it was started (prefetch_generation), and at
 * most KEPT listings that nobody took are kept: each holds a reference on
 * every entry of its directory.
 */
#include "fs.h"

#include <stdlib.h>
#include <time.h>

#include "log.h"

#define STACK_SIZE 4096
#define KEPT 128
/* A readdir of a directory whose parent was listed this recently is part of a walk. */
#define WALK_WINDOW_NS 5000000000ull

struct item {
	struct inode *dir; /* one reference */
	uint64_t gen;	   /* prefetch_generation() when queued */
	uint64_t queued_ns;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct item stack[STACK_SIZE];
	size_t n;
	struct inode *kept[KEPT]; /* ring of directories given a listing, one reference each */
	size_t kept_head, kept_n;
	struct inode *current; /* being listed; read unlocked by prefetch_wait's fast check */
	struct fs *fs;
	pthread_t thread;
	bool started, exiting;
} pf = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER};

static uint64_t generation;

void prefetch_note_change(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_SEQ_CST);
}

uint64_t prefetch_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool prefetch_listed_lately(struct inode *dir)
{
	uint64_t at = __atomic_load_n(&dir->listed_ns, __ATOMIC_RELAXED);

	return at && now_ns() - at < WALK_WINDOW_NS;
}

bool prefetch_walking(struct fs *fs, struct inode *dir)
{
	bool walking;

	__atomic_store_n(&dir->listed_ns, now_ns(), __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&fs->tree_lock);
	walking = dir->parent && prefetch_listed_lately(dir->parent);
	pthread_rwlock_unlock(&fs->tree_lock);
	return walking;
}

/* Was 'it' listed by a readdir since it was queued, or has anything changed? Then skip it. */
static bool stale(const struct item *it)
{
	return it->gen != prefetch_generation() ||
	       __atomic_load_n(&it->dir->listed_ns, __ATOMIC_RELAXED) >= it->queued_ns;
}

/* Keep 'dir' (its reference) in the ring; returns the one pushed out, if any. */
static struct inode *keep_locked(struct inode *dir)
{
	struct inode *out = NULL;

	if (pf.kept_n == KEPT) {
		out = pf.kept[pf.kept_head];
		pf.kept[pf.kept_head] = dir;
		pf.kept_head = (pf.kept_head + 1) % KEPT;
	} else {
		pf.kept[(pf.kept_head + pf.kept_n++) % KEPT] = dir;
	}
	return out;
}

static void *prefetch_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pf.lock);
	for (;;) {
		struct inode *expired = NULL;
		struct item it;
		bool listed;

		while (!pf.n && !pf.exiting)
			pthread_cond_wait(&pf.work, &pf.lock);
		if (pf.exiting)
			break;
		it = pf.stack[--pf.n];
		__atomic_store_n(&pf.current, it.dir, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&pf.lock);

		listed = !stale(&it) && dir_listing_prefetch(pf.fs, it.dir);
		if (listed && log_level >= LOG_LEVEL_DEBUG) {
			char *path = inode_guest_path(pf.fs, it.dir);

			log_debug("listed ahead: %s", path ? path : "?");
			free(path);
		}

		pthread_mutex_lock(&pf.lock);
		__atomic_store_n(&pf.current, NULL, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&pf.done);
		if (listed)
			expired = keep_locked(it.dir);
		pthread_mutex_unlock(&pf.lock);
		if (!listed)
			inode_unref(pf.fs, it.dir, 1);
		if (expired) {
			dir_listing_drop_unused(expired);
			inode_unref(pf.fs, expired, 1);
		}
		pthread_mutex_lock(&pf.lock);
	}
	pthread_mutex_unlock(&pf.lock);
	return NULL;
}

void prefetch_push(struct fs *fs, struct inode **dirs, size_t n)
{
	uint64_t gen = prefetch_generation(), now = now_ns();
	size_t i = n;

	pthread_mutex_lock(&pf.lock);
	if (!pf.started && !pf.exiting) {
		pf.fs = fs;
		pf.started = loop_start_quiet_thread(&pf.thread, prefetch_main);
		if (!pf.started)
			log_debug("no prefetch thread: directories are listed on demand only");
	}
	if (pf.started && !pf.exiting) {
		/* The first one last: it is popped first. */
		for (; i > 0 && pf.n < STACK_SIZE; i--)
			pf.stack[pf.n++] = (struct item){dirs[i - 1], gen, now};
		pthread_cond_signal(&pf.work);
	}
	pthread_mutex_unlock(&pf.lock);
	/* What did not fit (the stack is full, or no thread): dirs[0 .. i-1]. */
	while (i > 0)
		inode_unref(fs, dirs[--i], 1);
}

void prefetch_wait(struct inode *dir)
{
	if (__atomic_load_n(&pf.current, __ATOMIC_SEQ_CST) != dir)
		return;
	pthread_mutex_lock(&pf.lock);
	while (pf.current == dir)
		pthread_cond_wait(&pf.done, &pf.lock);
	pthread_mutex_unlock(&pf.lock);
}

void prefetch_stop(void)
{
	pthread_mutex_lock(&pf.lock);
	pf.exiting = true;
	pthread_cond_broadcast(&pf.work);
	pthread_mutex_unlock(&pf.lock);
	if (pf.started)
		pthread_join(pf.thread, NULL);
	/* The inodes go with the process: their references need not be dropped. */
	pf.n = 0;
	pf.kept_n = 0;
}
