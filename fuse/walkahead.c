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
 * before), the parent's tree is listed through the mount itself by HELPERS
 * threads, depth first in listing order as a walker goes: the kernel keeps
 * each listing (FOPEN_CACHE_DIR) and the entries' dentries, so the walker
 * finds them made.
 *
 * One walk at a time: a new one drops what is left of the last. The helpers
 * stay at most a lead ahead of the walker, which starts at FIRST_LEAD
 * listings and doubles with each sign that the walker follows: its GETATTR
 * of a directory the helpers listed (an uncached listing marks the atime
 * stale, and opendir(3) fstats), or a listing it makes itself inside the
 * walk (it has caught up). Only the walk's own identity gives signs. A
 * walker that stops early thus costs at most the lead.
 *
 * The helpers' requests are answered like any other, judged as the walker
 * that started the walk would be (walkahead_identity), and never in a bind:
 * a host tree may be anything. Nothing waits for a helper: when the
 * connection ends, whatever it is in fails, and the loop answers what they
 * asked before it stops (walkahead_busy).
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

#define HELPERS 3
#define FIRST_LEAD 16
#define MAX_LEAD 1024
#define MAX_QUEUED 65536

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, active;
	char **stack; /* the walk's directories, relative to the mount's root; last first */
	size_t n, cap;
	uint32_t walk;		       /* the current walk's number, 0 before the first (atomic) */
	char *root;		       /* its root's guest path, for the log */
	uint64_t start;		       /* seq when it started */
	struct credentials_slot owner; /* its walker's identity (if has_owner) */
	bool has_owner;
	uint64_t seq;	  /* listings made by the helpers (atomic) */
	uint64_t others;  /* listings made by anyone else meanwhile, for the log (atomic) */
	uint64_t reached; /* the highest seq the walker reached (atomic) */
	uint64_t lead;	  /* how far ahead the helpers may go (atomic) */
	bool waiting;	  /* a helper waits for the walker (atomic) */
	int started, busy;
	bool exiting, off;
	pthread_t threads[HELPERS];
	pid_t tids[HELPERS]; /* atomic */
	/* What each helper is listing: for which walk, as whom. */
	uint32_t walk_of[HELPERS];
	struct credentials_slot who[HELPERS];
	bool has_who[HELPERS];
} wa = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.active = PTHREAD_COND_INITIALIZER};

static int helper_index(pid_t tid)
{
	if (tid <= 0)
		return -1;
	for (int i = 0; i < HELPERS; i++)
		if (tid == __atomic_load_n(&wa.tids[i], __ATOMIC_RELAXED))
			return i;
	return -1;
}

bool walkahead_is_helper(pid_t tid)
{
	return helper_index(tid) >= 0;
}

bool walkahead_identity(pid_t tid, struct credentials_slot *buf)
{
	int i = helper_index(tid);
	bool found;

	if (i < 0)
		return false;
	pthread_mutex_lock(&wa.lock);
	found = wa.has_who[i];
	if (found)
		*buf = wa.who[i];
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

static bool same_identity(const struct credentials_slot *a, const struct credentials_slot *b)
{
	uint32_t n = a->n_groups < CREDENTIALS_SLOT_GROUPS ? a->n_groups : CREDENTIALS_SLOT_GROUPS;

	return a->fsuid == b->fsuid && a->fsgid == b->fsgid && a->caps == b->caps &&
	       a->n_groups == b->n_groups &&
	       !memcmp(a->groups, b->groups, n * sizeof(a->groups[0]));
}

/* Is 'who' (NULL: no identities judged) the current walk's walker? Called with the lock held. */
static bool is_owner_locked(const struct credentials_slot *who)
{
	return who ? wa.has_owner && same_identity(&wa.owner, who) : !wa.has_owner;
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

static bool too_far_ahead(void)
{
	return __atomic_load_n(&wa.seq, __ATOMIC_SEQ_CST) -
		   __atomic_load_n(&wa.reached, __ATOMIC_SEQ_CST) >=
	       __atomic_load_n(&wa.lead, __ATOMIC_SEQ_CST);
}

/*
 * List 'path' through the mount and queue its subdirectories if walk 'walk'
 * is still the current one; false: the connection is over.
 */
static bool list(const char *path, uint32_t walk)
{
	char **subs;
	size_t n;
	int error;
	DIR *dir = mount_list_dir(path, DT_DIR, &subs, &n, &error);
	bool alive = error != ENOTCONN && error != EBADF, current;

	if (dir)
		closedir(dir);
	/* Each name becomes its path (relative to the mount's root). */
	for (size_t i = 0; i < n; i++) {
		char *sub;

		if (asprintf(&sub, "%s%s%s", path, *path ? "/" : "", subs[i]) < 0)
			sub = NULL;
		free(subs[i]);
		subs[i] = sub;
	}
	pthread_mutex_lock(&wa.lock);
	current = alive && !wa.exiting && wa.walk == walk;
	while (n > 0) {
		n--;
		if (current && subs[n])
			push_locked(subs[n]); /* the first one last: popped first */
		else
			free(subs[n]);
	}
	if (current && wa.n && !too_far_ahead())
		pthread_cond_signal(&wa.work); /* for another helper */
	pthread_mutex_unlock(&wa.lock);
	free(subs);
	return alive;
}

static void *walkahead_main(void *arg)
{
	int me = -1;

	(void)arg;
	pthread_mutex_lock(&wa.lock);
	for (int i = 0; i < HELPERS && me < 0; i++)
		if (!__atomic_load_n(&wa.tids[i], __ATOMIC_RELAXED))
			__atomic_store_n(&wa.tids[me = i], (pid_t)syscall(SYS_gettid),
					 __ATOMIC_RELAXED);
	while (me >= 0) {
		char *path;
		bool alive;

		for (;;) {
			/* Said before looking: walker_at either sees it or is seen. */
			__atomic_store_n(&wa.waiting, true, __ATOMIC_SEQ_CST);
			if (wa.exiting || (wa.n && !too_far_ahead()))
				break;
			pthread_cond_wait(&wa.work, &wa.lock);
		}
		if (wa.exiting)
			break;
		path = wa.stack[--wa.n];
		wa.walk_of[me] = wa.walk;
		wa.has_who[me] = wa.has_owner;
		wa.who[me] = wa.owner;
		if (wa.busy++ == 0)
			pthread_cond_broadcast(&wa.active);
		pthread_mutex_unlock(&wa.lock);
		alive = list(path, wa.walk_of[me]);
		free(path);
		pthread_mutex_lock(&wa.lock);
		if (--wa.busy == 0 && wa.n == 0 && wa.walk == wa.walk_of[me] && wa.root) {
			log_debug("listed the tree of %s ahead", wa.root);
			free(wa.root);
			wa.root = NULL;
		}
		if (!alive) {
			wa.exiting = true;
			drop_all_locked();
		}
	}
	pthread_mutex_unlock(&wa.lock);
	return NULL;
}

bool walkahead_busy(void)
{
	bool busy;

	pthread_mutex_lock(&wa.lock);
	busy = wa.busy > 0;
	pthread_mutex_unlock(&wa.lock);
	return busy;
}

bool walkahead_wait_busy(void)
{
	bool on;

	pthread_mutex_lock(&wa.lock);
	while (!wa.exiting && wa.busy == 0)
		pthread_cond_wait(&wa.active, &wa.lock);
	on = !wa.exiting;
	pthread_mutex_unlock(&wa.lock);
	return on;
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
			__atomic_store_n(&wa.lead, 2 * lead, __ATOMIC_SEQ_CST);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&wa.waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&wa.lock);
		wa.waiting = false;
		pthread_cond_broadcast(&wa.work);
		pthread_mutex_unlock(&wa.lock);
	}
}

/* A sign from 'who' at the current walk's listing 'seq'. */
static void sign(const struct credentials_slot *who, uint64_t seq)
{
	bool owner;

	pthread_mutex_lock(&wa.lock);
	owner = is_owner_locked(who) && seq > wa.start;
	pthread_mutex_unlock(&wa.lock);
	if (owner)
		walker_at(seq);
}

void walkahead_reached(struct fs *fs, struct inode *dir, pid_t caller)
{
	uint32_t walk = __atomic_load_n(&dir->ahead_walk, __ATOMIC_RELAXED);
	uint64_t seq = __atomic_load_n(&dir->ahead_seq, __ATOMIC_RELAXED);
	struct credentials_slot buf;
	const struct credentials_slot *who = NULL;

	if (!seq || walk != __atomic_load_n(&wa.walk, __ATOMIC_RELAXED) ||
	    walkahead_is_helper(caller))
		return;
	if (fs->credentials) {
		if (!credentials_lookup(fs->credentials, caller, &buf))
			return;
		who = &buf;
	}
	sign(who, seq);
}

/*
 * The root of the walk that starts at 'dir', if one does: a reference, or
 * NULL. *in_walk: 'dir' is in the current walk's tree.
 */
static struct inode *walk_root(struct fs *fs, struct inode *dir, bool *in_walk)
{
	uint32_t current = __atomic_load_n(&wa.walk, __ATOMIC_RELAXED), walk = 0;
	struct inode *root = NULL, *up;

	pthread_rwlock_rdlock(&fs->tree_lock);
	/* In a tree walked already (or being walked)? */
	for (up = dir; up && !walk; up = up->parent)
		walk = __atomic_load_n(&up->ahead_walk, __ATOMIC_RELAXED);
	*in_walk = walk && walk == current;
	if (!walk && dir->parent && dir->parent->parent && prefetch_listed_lately(dir->parent) &&
	    prefetch_listed_lately(dir->parent->parent)) {
		root = dir->parent;
		inode_ref(root);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	return root;
}

static void start_helpers_locked(void)
{
	if (!wa.started && loop_one_cpu())
		wa.off = true; /* one CPU: the helpers could only take turns with the walker */
	for (; !wa.off && wa.started < HELPERS; wa.started++)
		if (!loop_start_quiet_thread(&wa.threads[wa.started], walkahead_main))
			break;
}

static void start_walk(struct fs *fs, struct inode *root, const struct credentials_slot *who)
{
	char *path = inode_guest_path(fs, root);

	if (!path)
		return;
	pthread_mutex_lock(&wa.lock);
	start_helpers_locked();
	if (!wa.exiting && wa.started > 0 &&
	    !__atomic_load_n(&root->ahead_walk, __ATOMIC_RELAXED)) {
		log_debug("walking %s ahead", path);
		drop_all_locked(); /* what is left of the last walk */
		__atomic_store_n(&wa.walk, wa.walk + 1 ? wa.walk + 1 : 1, __ATOMIC_RELAXED);
		__atomic_store_n(&root->ahead_walk, wa.walk, __ATOMIC_RELAXED);
		free(wa.root);
		wa.root = strdup(path);
		wa.has_owner = who != NULL;
		if (who)
			wa.owner = *who;
		wa.start = __atomic_load_n(&wa.seq, __ATOMIC_RELAXED);
		__atomic_store_n(&wa.reached, wa.start, __ATOMIC_SEQ_CST);
		__atomic_store_n(&wa.lead, FIRST_LEAD, __ATOMIC_SEQ_CST);
		memmove(path, path + 1, strlen(path)); /* relative to the mount's root */
		push_locked(path);
		path = NULL;
		pthread_cond_broadcast(&wa.work);
	}
	pthread_mutex_unlock(&wa.lock);
	free(path);
}

void walkahead_listing(struct fs *fs, struct inode *dir, pid_t caller,
		       const struct credentials_slot *who)
{
	int me = helper_index(caller);
	struct inode *root;
	bool in_walk;

	if (me >= 0) {
		__atomic_store_n(&dir->ahead_walk, wa.walk_of[me], __ATOMIC_RELAXED);
		__atomic_store_n(&dir->ahead_seq, __atomic_add_fetch(&wa.seq, 1, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		return;
	}
	/* Not a guest's thread (the daemon's own): no identity to list as. */
	if (!mount_helpers_on() || (fs->credentials && !who))
		return;
	root = walk_root(fs, dir, &in_walk);
	if (in_walk) {
		__atomic_add_fetch(&wa.others, 1, __ATOMIC_RELAXED);
		/*
		 * The walker lists for itself: the helpers are not ahead. (On a
		 * read-only view, where a listing leaves the atime alone, this is
		 * the only sign: its GETATTRs are answered by the kernel.)
		 */
		sign(who, __atomic_load_n(&wa.seq, __ATOMIC_RELAXED));
	}
	if (!root)
		return;
	start_walk(fs, root, who);
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
	drop_all_locked();
	pthread_cond_broadcast(&wa.work);
	pthread_cond_broadcast(&wa.active);
	pthread_mutex_unlock(&wa.lock);
}
