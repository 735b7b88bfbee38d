// SPDX-License-Identifier: MIT
/*
 * Walks listed ahead through the mount (fs.h, "walkahead.c").
 *
 * A walker (find, ls -R, du, tar) pays for every directory it reads for the
 * first time: two READDIRPLUS round trips and, in its own syscall, the
 * kernel's building of a dentry and an inode per entry. The listings made
 * ahead in prefetch.c take the daemon's part of that off its path, not the
 * round trips nor the kernel's part. Here, once a readdir shows a walk
 * going deeper (the directory's parent and grandparent were listed moments
 * before), the grandparent's tree is listed through the mount itself by
 * HELPERS threads, depth first in listing order as a walker goes: the
 * kernel keeps each listing (FOPEN_CACHE_DIR) and the entries' dentries,
 * so the walker finds them made.
 *
 * The helpers stay at most LEAD listings ahead of the walker: the kernel
 * still asks us for the attributes of a directory that a helper listed
 * (a listing marks the directory's atime stale, and opendir(3) fstats), and
 * that GETATTR shows where the walker is. A walker that stops early thus
 * costs at most LEAD listings more.
 *
 * The helpers' requests are answered like any other, judged as the walker
 * that started the walk would be (walkahead_identity), and never in a bind:
 * a host tree may be anything. Nothing waits for a helper: when the
 * connection ends, whatever it is in fails, and the process's exit ends it.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define HELPERS 2
#define FIRST_LEAD 16
#define MAX_LEAD 1024
#define MAX_QUEUED 65536

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;
	char **stack; /* guest paths, relative to the mount's root; popped last first */
	size_t n, cap;
	uint64_t seq;	  /* listings made by the helpers (atomic) */
	uint64_t others;  /* listings made by anyone else meanwhile, for the log (atomic) */
	uint64_t reached; /* the highest seq the walker reached (atomic) */
	uint64_t lead;	  /* how far ahead the helpers may go (atomic) */
	bool waiting;	  /* a helper waits for the walker (atomic) */
	/* The walker's identity under fake identities (valid if has_who). */
	struct credentials_slot who;
	bool has_who;
	int started;
	bool exiting;
	pthread_t threads[HELPERS];
	pid_t tids[HELPERS]; /* atomic */
} wa = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

bool walkahead_is_helper(pid_t tid)
{
	for (int i = 0; i < HELPERS; i++)
		if (tid == __atomic_load_n(&wa.tids[i], __ATOMIC_RELAXED))
			return true;
	return false;
}

bool walkahead_identity(pid_t tid, struct credentials_slot *buf)
{
	bool found;

	if (!walkahead_is_helper(tid))
		return false;
	pthread_mutex_lock(&wa.lock);
	found = wa.has_who;
	if (found)
		*buf = wa.who;
	pthread_mutex_unlock(&wa.lock);
	return found;
}

bool walkahead_refuses(struct fs *fs, struct inode *dir, pid_t caller)
{
	char *path;

	if (!dir->bind || !walkahead_is_helper(caller))
		return false;
	if (log_level >= LOG_LEVEL_DEBUG && (path = inode_guest_path(fs, dir))) {
		log_debug("a helper met the bind at %s: not listed ahead", path);
		free(path);
	}
	return true;
}

/* Called with the lock held; takes 'path' over. */
static void push_locked(char *path)
{
	if (wa.n == wa.cap) {
		size_t cap = wa.cap ? 2 * wa.cap : 256;
		char **more = cap <= MAX_QUEUED ? realloc(wa.stack, cap * sizeof(*more)) : NULL;

		if (!more) {
			free(path);
			return;
		}
		wa.stack = more;
		wa.cap = cap;
	}
	wa.stack[wa.n++] = path;
}

static void drop_all_locked(void)
{
	while (wa.n > 0)
		free(wa.stack[--wa.n]);
}

/* List 'path' through the mount and queue its subdirectories; false: the connection is over. */
static bool list(const char *path)
{
	int fd = mount_open_dir(path);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	char **subs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	bool alive = true;

	if (!dir) {
		alive = errno != ENOTCONN && errno != EBADF;
		if (fd >= 0)
			close(fd);
		return alive;
	}
	errno = 0;
	while ((e = readdir(dir))) {
		char *sub, **more;

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(more = realloc(subs, cap * sizeof(*subs))))
				break;
			subs = more;
		}
		if (asprintf(&sub, "%s%s%s", path, *path ? "/" : "", e->d_name) < 0)
			break;
		subs[n++] = sub;
	}
	if (!e && errno == ENOTCONN)
		alive = false;
	closedir(dir);
	pthread_mutex_lock(&wa.lock);
	while (n > 0) {
		n--;
		if (alive && !wa.exiting)
			push_locked(subs[n]); /* the first one last: popped first */
		else
			free(subs[n]);
	}
	pthread_mutex_unlock(&wa.lock);
	free(subs);
	return alive;
}

static bool too_far_ahead(void)
{
	return __atomic_load_n(&wa.seq, __ATOMIC_RELAXED) -
		   __atomic_load_n(&wa.reached, __ATOMIC_RELAXED) >=
	       __atomic_load_n(&wa.lead, __ATOMIC_RELAXED);
}

static void *walkahead_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wa.lock);
	for (int i = 0; i < HELPERS; i++) {
		if (!__atomic_load_n(&wa.tids[i], __ATOMIC_RELAXED)) {
			__atomic_store_n(&wa.tids[i], (pid_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
			break;
		}
	}
	for (;;) {
		char *path;
		bool alive;

		for (;;) {
			/* Said before looking: walkahead_reached either sees it or is seen. */
			__atomic_store_n(&wa.waiting, true, __ATOMIC_SEQ_CST);
			if (wa.exiting || (wa.n && !too_far_ahead()))
				break;
			pthread_cond_wait(&wa.work, &wa.lock);
		}
		if (wa.exiting)
			break;
		path = wa.stack[--wa.n];
		pthread_mutex_unlock(&wa.lock);
		alive = list(path);
		free(path);
		pthread_mutex_lock(&wa.lock);
		if (!alive) {
			wa.exiting = true;
			drop_all_locked();
		}
	}
	pthread_mutex_unlock(&wa.lock);
	return NULL;
}

/* The walker is at the helpers' listing 'seq' (or further): they may go further ahead. */
static void walker_at(uint64_t seq)
{
	uint64_t at = __atomic_load_n(&wa.reached, __ATOMIC_RELAXED);

	while (seq > at && !__atomic_compare_exchange_n(&wa.reached, &at, seq, true,
							__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	/* It follows: a longer lead (a race only loses a doubling). */
	if (seq > at) {
		uint64_t lead = __atomic_load_n(&wa.lead, __ATOMIC_RELAXED);

		if (lead < MAX_LEAD)
			__atomic_store_n(&wa.lead, 2 * lead, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&wa.waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&wa.lock);
		wa.waiting = false;
		pthread_cond_broadcast(&wa.work);
		pthread_mutex_unlock(&wa.lock);
	}
}

void walkahead_reached(struct inode *dir)
{
	uint64_t seq = __atomic_load_n(&dir->ahead_seq, __ATOMIC_RELAXED);

	if (seq)
		walker_at(seq);
}

/*
 * The root of the walk that starts at 'dir', if one does: a reference, or
 * NULL. *inside: 'dir' is in a tree being walked (or walked before).
 */
static struct inode *walk_root(struct fs *fs, struct inode *dir, bool *inside)
{
	struct inode *root = NULL, *up;

	*inside = false;
	pthread_rwlock_rdlock(&fs->tree_lock);
	for (up = dir; up && !*inside; up = up->parent)
		*inside = __atomic_load_n(&up->walked_ahead, __ATOMIC_RELAXED);
	if (!*inside && dir->parent && dir->parent->parent && prefetch_listed_lately(dir->parent) &&
	    prefetch_listed_lately(dir->parent->parent)) {
		root = dir->parent;
		inode_ref(root);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return root;
}

static void start_helpers_locked(void)
{
	for (; wa.started < HELPERS; wa.started++)
		if (!loop_start_quiet_thread(&wa.threads[wa.started], walkahead_main))
			break;
}

static bool same_identity(const struct credentials_slot *a, const struct credentials_slot *b)
{
	uint32_t n = a->n_groups < CREDENTIALS_SLOT_GROUPS ? a->n_groups : CREDENTIALS_SLOT_GROUPS;

	return a->fsuid == b->fsuid && a->fsgid == b->fsgid && a->caps == b->caps &&
	       a->n_groups == b->n_groups &&
	       !memcmp(a->groups, b->groups, n * sizeof(a->groups[0]));
}

static void note_walk(struct fs *fs, struct inode *root, const struct credentials_slot *who)
{
	char *path;

	if (__atomic_exchange_n(&root->walked_ahead, true, __ATOMIC_RELAXED))
		return;
	path = inode_guest_path(fs, root);
	if (!path)
		return;
	log_debug("walking %s ahead", path);
	memmove(path, path + 1, strlen(path)); /* relative to the mount's root */
	pthread_mutex_lock(&wa.lock);
	if (!wa.exiting) {
		start_helpers_locked();
		/* Another identity's walk: what is queued for the last one goes. */
		if (wa.has_who != (who != NULL) || (who && !same_identity(&wa.who, who)))
			drop_all_locked();
		wa.has_who = who != NULL;
		if (who)
			wa.who = *who;
		push_locked(path);
		path = NULL;
		/* A new walk: the lead counts from here, short until the walker follows. */
		__atomic_store_n(&wa.reached, __atomic_load_n(&wa.seq, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&wa.lead, FIRST_LEAD, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&wa.work);
	}
	pthread_mutex_unlock(&wa.lock);
	free(path);
}

void walkahead_listing(struct fs *fs, struct inode *dir, pid_t caller,
		       const struct credentials_slot *who)
{
	struct inode *root;
	bool inside;

	if (walkahead_is_helper(caller)) {
		__atomic_store_n(&dir->walked_ahead, true, __ATOMIC_RELAXED);
		__atomic_store_n(&dir->ahead_seq, __atomic_add_fetch(&wa.seq, 1, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		return;
	}
	if (wa.started)
		__atomic_add_fetch(&wa.others, 1, __ATOMIC_RELAXED);
	walkahead_reached(dir);
	/* Not a guest's thread (the daemon's own): no identity to list as. */
	if (fs->credentials && !who)
		return;
	if (!mount_helpers_on())
		return;
	root = walk_root(fs, dir, &inside);
	/*
	 * The walker lists for itself, in a tree the helpers walk: they are not
	 * ahead of it. (On a read-only view, where a listing leaves the atime
	 * alone, this is the only sign of it: its GETATTRs are answered by the
	 * kernel.)
	 */
	if (inside)
		walker_at(__atomic_load_n(&wa.seq, __ATOMIC_RELAXED));
	if (!root)
		return;
	note_walk(fs, root, who);
	inode_unref(fs, root, 1);
}

void walkahead_stop(void)
{
	pthread_mutex_lock(&wa.lock);
	if (wa.started)
		log_debug("listed %llu directories ahead (and %llu not ahead)",
			  (unsigned long long)__atomic_load_n(&wa.seq, __ATOMIC_RELAXED),
			  (unsigned long long)__atomic_load_n(&wa.others, __ATOMIC_RELAXED));
	wa.exiting = true;
	pthread_cond_broadcast(&wa.work);
	pthread_mutex_unlock(&wa.lock);
}
