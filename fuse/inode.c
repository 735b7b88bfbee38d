/* SPDX-License-Identifier: MIT */
/*
 * The inode table: every object the kernel knows about, keyed by the
 * backing object's (st_dev, st_ino) so hard links and repeated lookups share
 * one entry (passthrough_ll's model). An entry lives while the kernel holds
 * lookups on it or a child inode points at it as its parent; the table is
 * split into lock stripes so concurrent lookups rarely contend.
 */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define STRIPES 64

static struct inode *buckets[TABLE_SIZE];
static pthread_mutex_t stripes[STRIPES];

/*
 * Reopened fds (see inode_fd in fs.h). Each thread keeps its last FD_RING in
 * a ring and closes the oldest when it needs a slot: a request reopens a few
 * at most and is answered before its handler returns, so an fd is never
 * closed while in use, and the daemon holds at most FD_RING per thread beyond
 * its directories. An fd is reused for the same inode within the ring while
 * 'fd_gen' is unchanged: copy-up and the end of an inode (whose address may
 * come back) change it.
 */
#define FD_RING 16
struct fd_ring {
	struct {
		struct inode *inode;
		uint64_t gen;
		int fd;
	} slot[FD_RING];
	unsigned next;
};
static pthread_key_t ring_key;
static uint64_t fd_gen = 1;
static struct fs *ring_fs;

static void ring_free(void *p)
{
	struct fd_ring *ring = p;

	for (unsigned i = 0; i < FD_RING; i++)
		if (ring->slot[i].fd >= 0)
			close(ring->slot[i].fd);
	free(ring);
}

void inode_table_init(struct fs *fs)
{
	for (unsigned i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
	ring_fs = fs;
	pthread_key_create(&ring_key, ring_free);
}

void inode_fds_changed(void)
{
	__atomic_add_fetch(&fd_gen, 1, __ATOMIC_ACQ_REL);
}

static struct fd_ring *thread_ring(void)
{
	struct fd_ring *ring = pthread_getspecific(ring_key);

	if (ring)
		return ring;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	for (unsigned i = 0; i < FD_RING; i++)
		ring->slot[i].fd = -1;
	if (pthread_setspecific(ring_key, ring) != 0) {
		free(ring);
		return NULL;
	}
	return ring;
}

/* The fd of the directory that names the object in its layer, or -1. Caller holds fs->tree_lock. */
static int parent_dir_fd(struct inode *inode)
{
	struct inode *parent = inode->parent;
	int layer = inode_layer(inode);

	if (!parent || !inode->name || layer == LAYER_NONE)
		return -1;
	return layer == LAYER_BIND ? inode_own_fd(parent) : inode_dir_fd(parent, layer);
}

/* Open the object by name from its parent. Caller holds fs->tree_lock. */
static int open_by_name(struct inode *inode)
{
	int dfd = parent_dir_fd(inode);

	if (dfd < 0) {
		errno = ENOENT;
		return -1;
	}
	return openat(dfd, inode->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

int inode_fd(struct inode *inode)
{
	uint64_t gen = __atomic_load_n(&fd_gen, __ATOMIC_ACQUIRE);
	int fd = inode_own_fd(inode);
	struct fd_ring *ring;
	unsigned i;

	if (fd >= 0)
		return fd;
	if (inode_synthetic(inode)) {
		errno = ENOENT;
		return -1;
	}
	ring = thread_ring();
	if (!ring) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < FD_RING; i++)
		if (ring->slot[i].inode == inode && ring->slot[i].gen == gen)
			return ring->slot[i].fd;
	/* Renames and pins change the name or the fd under the write lock. */
	pthread_rwlock_rdlock(&ring_fs->tree_lock);
	fd = inode_own_fd(inode);
	if (fd < 0)
		fd = open_by_name(inode);
	pthread_rwlock_unlock(&ring_fs->tree_lock);
	if (fd < 0 || fd == inode_own_fd(inode))
		return fd;
	i = ring->next++ % FD_RING;
	if (ring->slot[i].fd >= 0)
		close(ring->slot[i].fd);
	ring->slot[i].inode = inode;
	ring->slot[i].gen = gen;
	ring->slot[i].fd = fd;
	return fd;
}

/*
 * Run 'op' on the backing object named from its parent's fd (by_name), or on
 * its own fd with an empty name, under the tree lock so that a rename cannot
 * change the name meanwhile. One syscall, instead of reopening the object first.
 */
static ssize_t at_backing_object(struct inode *inode,
				 ssize_t (*op)(int dfd, const char *name, bool by_name, void *arg),
				 void *arg)
{
	int fd, dfd;
	ssize_t r;

	if (inode_synthetic(inode)) {
		errno = ENOENT;
		return -1;
	}
	pthread_rwlock_rdlock(&ring_fs->tree_lock);
	fd = inode_own_fd(inode);
	if (fd >= 0) {
		r = op(fd, "", false, arg);
	} else {
		dfd = parent_dir_fd(inode);
		if (dfd < 0) {
			errno = ENOENT;
			r = -1;
		} else {
			r = op(dfd, inode->name, true, arg);
		}
	}
	pthread_rwlock_unlock(&ring_fs->tree_lock);
	return r;
}

/*
 * Named by its parent, the name itself is not followed: the object may be a
 * symlink. Its own fd (O_PATH) is reopened through /proc.
 */
static ssize_t open_op(int dfd, const char *name, bool by_name, void *arg)
{
	char path[PROC_FD_PATH_MAX];
	int flags = *(int *)arg;

	if (by_name)
		return openat(dfd, name, flags | O_NOFOLLOW);
	proc_fd_path(path, dfd);
	return open(path, flags);
}

static ssize_t access_op(int dfd, const char *name, bool by_name, void *arg)
{
	char path[PROC_FD_PATH_MAX];
	int mask = *(int *)arg;

	if (by_name)
		return faccessat(dfd, name, mask, AT_SYMLINK_NOFOLLOW);
	proc_fd_path(path, dfd);
	return faccessat(AT_FDCWD, path, mask, 0);
}

struct readlink_buf {
	char *buf;
	size_t size;
};

/* An empty name reads the symlink an O_PATH fd refers to. */
static ssize_t readlink_op(int dfd, const char *name, bool by_name, void *arg)
{
	struct readlink_buf *b = arg;

	(void)by_name;
	return readlinkat(dfd, name, b->buf, b->size);
}

int inode_open(struct inode *inode, int flags)
{
	flags |= O_CLOEXEC;
	return (int)at_backing_object(inode, open_op, &flags);
}

int inode_access(struct inode *inode, int mask)
{
	return (int)at_backing_object(inode, access_op, &mask);
}

/* The symlink's target, read by name from its parent: no fd to open and close. */
ssize_t inode_readlink(struct inode *inode, char *buf, size_t size)
{
	struct readlink_buf b = {buf, size};

	return at_backing_object(inode, readlink_op, &b);
}

void inode_path_begin(struct inode *inode, char *path)
{
	int fd, dfd;

	pthread_rwlock_rdlock(&ring_fs->tree_lock);
	fd = inode_own_fd(inode);
	if (fd >= 0) {
		proc_fd_path(path, fd);
		return;
	}
	dfd = parent_dir_fd(inode);
	/* An empty path fails with ENOENT, like a name that went away. */
	if (dfd < 0 || snprintf(path, INODE_PATH_MAX, "/proc/self/fd/%d/%s", dfd, inode->name) >=
			   INODE_PATH_MAX)
		path[0] = '\0';
}

#ifndef SYS_listxattrat
#define SYS_listxattrat 465 /* Linux 6.13; x86_64 and aarch64 alike */
#endif
static bool no_listxattrat;

/*
 * listxattr of the object 'path' (from inode_path_begin, lock held) names.
 * A name under its parent's fd is listed with listxattrat where the kernel
 * has it: the same answer without a walk through /proc.
 */
ssize_t inode_path_listxattr(struct inode *inode, const char *path, char *list, size_t size)
{
	int dfd = -1;
	ssize_t n;

	if (inode_own_fd(inode) < 0 && !__atomic_load_n(&no_listxattrat, __ATOMIC_RELAXED))
		dfd = parent_dir_fd(inode);
	if (dfd >= 0) {
		n = syscall(SYS_listxattrat, dfd, inode->name, AT_SYMLINK_NOFOLLOW, list, size);
		if (n >= 0 || errno != ENOSYS)
			return n;
		__atomic_store_n(&no_listxattrat, true, __ATOMIC_RELAXED);
	}
	return listxattr(path, list, size);
}

void inode_path_end(void)
{
	pthread_rwlock_unlock(&ring_fs->tree_lock);
}

/* Does 'name' in inode's directory lead to it? (tree_lock held) */
static bool name_leads_to(struct inode *inode, const char *name)
{
	int dfd = parent_dir_fd(inode);
	struct stat st;

	return dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (uint64_t)st.st_ino == inode->key_ino && (uint64_t)st.st_dev == inode->key_dev;
}

void inode_pin_fd(struct fs *fs, struct inode *inode, struct inode *parent, const char *name)
{
	int fd;

	if (inode->type == S_IFDIR || inode_synthetic(inode))
		return;
	pthread_rwlock_wrlock(&fs->tree_lock);
	bool own = !name || (inode->parent == parent && inode->name && !strcmp(inode->name, name));
	if (own && inode->fd < 0 && inode->alt_name && strcmp(inode->alt_name, inode->name) &&
	    name_leads_to(inode, inode->alt_name)) {
		/* git's objects: linked from a temporary name, which then goes. */
		free(inode->name);
		inode->name = inode->alt_name;
		inode->alt_name = NULL;
		own = false;
		inode_fds_changed();
	}
	if (own && inode->fd < 0) {
		fd = open_by_name(inode);
		/* Without it the object is lost to us once unlinked: requests then fail. */
		if (fd >= 0)
			__atomic_store_n(&inode->fd, fd, __ATOMIC_RELEASE);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
}

void inode_linked(struct fs *fs, struct inode *inode, struct inode *parent, const char *name)
{
	char *copy;

	if (inode->type == S_IFDIR || inode_synthetic(inode) || !(copy = strdup(name)))
		return;
	pthread_rwlock_wrlock(&fs->tree_lock);
	if (inode->parent == parent) {
		free(inode->alt_name);
		inode->alt_name = copy;
		copy = NULL;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	free(copy);
}

static unsigned bucket_of(uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full);

	return (unsigned)(h >> (64 - TABLE_BITS));
}

static pthread_mutex_t *stripe_of(unsigned bucket)
{
	return &stripes[bucket % STRIPES];
}

struct inode *inode_new(void)
{
	struct inode *inode = calloc(1, sizeof(*inode));

	if (!inode)
		return NULL;
	inode->fd = -1;
	inode->lower_fd = -1;
	inode->layer = LAYER_NONE;
	pthread_mutex_init(&inode->lock, NULL);
	return inode;
}

/* A directory joins the table: fdpressure.c counts it until inode_destroy. */
static void count_dir(struct fs *fs, struct inode *inode)
{
	if (inode->type != S_IFDIR || inode->counted)
		return;
	inode->counted = true;
	inode->used = fdp_now();
	fdp_dir_added(fs);
}

static void inode_destroy(struct fs *fs, struct inode *inode)
{
	if (inode->counted)
		fdp_dir_removed();
	/* A new inode may get this address: no reopened fd may be taken for it. */
	inode_fds_changed();
	/* Only live inodes are published: the next one for this object starts from 0. */
	hints_withdraw(fs, inode);
	if (inode->fd >= 0)
		close(inode->fd);
	if (inode->lower_fd >= 0)
		close(inode->lower_fd);
	/* No request is in flight for an inode the kernel forgot: nobody else holds it. */
	if (inode->listing)
		dir_handle_free(inode->listing);
	if (inode->dir_fds) {
		for (int i = 0; i < fs->n_layers; i++)
			if (inode->dir_fds[i] >= 0 && inode->dir_fds[i] != inode->fd)
				close(inode->dir_fds[i]);
		free(inode->dir_fds);
	}
	free(inode->name);
	free(inode->alt_name);
	pthread_mutex_destroy(&inode->lock);
	free(inode);
}

struct inode *inode_from_id(struct fs *fs, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &fs->root;
	return (struct inode *)(uintptr_t)ino;
}

fuse_ino_t inode_id(struct fs *fs, struct inode *inode)
{
	if (inode == &fs->root)
		return FUSE_ROOT_ID;
	return (fuse_ino_t)(uintptr_t)inode;
}

/* Do a and b index the same object? Caller holds the stripe lock. */
static bool same_key(const struct inode *a, const struct inode *b)
{
	return a->key_dev == b->key_dev && a->key_ino == b->key_ino && a->bind == b->bind;
}

/*
 * A lookup found cur's (dev, ino) under another name: a hard link, or cur's
 * object was deleted behind the view's back (on the host, in a bind or a
 * lower layer) and its number reused. cur keeps no fd (an fd would keep its
 * object, and the number, alive), so its own name tells. Not while a
 * copy-up holds cur (between its new layer and its new key), and an fd
 * pinned before an unlink (under the write lock) is looked at again here.
 */
static bool stale_entry(struct fs *fs, struct inode *cur, const struct inode *fresh)
{
	struct stat st;
	bool stale = false;
	int dfd;

	if (cur->type == S_IFDIR || cur->vnode || pthread_mutex_trylock(&cur->lock) != 0)
		return false;
	pthread_rwlock_rdlock(&fs->tree_lock);
	if (inode_own_fd(cur) < 0 && cur->name && fresh->name &&
	    (cur->parent != fresh->parent || strcmp(cur->name, fresh->name) != 0)) {
		dfd = parent_dir_fd(cur);
		stale =
		    dfd >= 0 && (fstatat(dfd, cur->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				 st.st_dev != __atomic_load_n(&cur->key_dev, __ATOMIC_ACQUIRE) ||
				 st.st_ino != __atomic_load_n(&cur->key_ino, __ATOMIC_ACQUIRE));
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	pthread_mutex_unlock(&cur->lock);
	return stale;
}

/*
 * Index fresh in the bucket for its key, taking 'old' out of it (any entry
 * of the key when old is NULL). Returns what the table then holds for the
 * key, with a reference: fresh, or an entry another lookup put there
 * meanwhile; *evicted gets the entry taken out, with a reference.
 */
static struct inode *insert_evicting(struct inode *fresh, struct inode *old, struct inode **evicted)
{
	unsigned b = bucket_of(fresh->key_dev, fresh->key_ino);
	pthread_mutex_t *m = stripe_of(b);
	struct inode **pp, *other;

	*evicted = NULL;
	pthread_mutex_lock(m);
	for (pp = &buckets[b]; *pp; pp = &(*pp)->hash_next)
		if (old ? *pp == old : same_key(*pp, fresh)) {
			*evicted = *pp;
			*pp = (*evicted)->hash_next;
			(*evicted)->hash_next = NULL;
			if (!old)
				(*evicted)->refs++;
			break;
		}
	for (other = buckets[b]; other && !same_key(other, fresh); other = other->hash_next)
		;
	if (other) {
		other->refs++;
	} else {
		fresh->refs = 1;
		fresh->hash_next = buckets[b];
		buckets[b] = fresh;
		other = fresh;
	}
	pthread_mutex_unlock(m);
	return other;
}

/*
 * An entry out of the table (its number names another object now): its hint
 * and a record's pin go; the kernel's references keep it until forgotten.
 * Drops the caller's reference.
 */
static void forget_evicted(struct fs *fs, struct inode *old)
{
	bool unpin;

	pthread_mutex_lock(&old->lock);
	hints_withdraw(fs, old);
	unpin = old->override_pinned;
	old->override_pinned = false;
	pthread_mutex_unlock(&old->lock);
	inode_unref(fs, old, unpin ? 2 : 1);
}

struct inode *inode_insert_new(struct fs *fs, struct inode *fresh)
{
	struct inode *stale, *kept = insert_evicting(fresh, NULL, &stale);

	if (stale)
		forget_evicted(fs, stale);
	count_dir(fs, fresh);
	return kept; /* fresh: nothing else can have indexed a file just made */
}

struct inode *inode_insert_or_get(struct fs *fs, struct inode *fresh)
{
	unsigned b = bucket_of(fresh->key_dev, fresh->key_ino);
	pthread_mutex_t *m = stripe_of(b);
	struct inode *cur;

	if (fresh->key_dev == fs->root.key_dev && fresh->key_ino == fs->root.key_ino &&
	    fresh->bind == NULL) {
		/* The root is found again through a bind of "/" or a hard link: keep one. */
		inode_ref(&fs->root);
		if (fresh->parent)
			inode_unref(fs, fresh->parent, 1);
		fresh->parent = NULL;
		inode_destroy(fs, fresh);
		return &fs->root;
	}
	pthread_mutex_lock(m);
	for (cur = buckets[b]; cur && !same_key(cur, fresh); cur = cur->hash_next)
		;
	if (cur) {
		cur->refs++;
		pthread_mutex_unlock(m);
		if (stale_entry(fs, cur, fresh)) {
			struct inode *evicted, *kept = insert_evicting(fresh, cur, &evicted);

			if (evicted)
				forget_evicted(fs, evicted); /* our reference on cur goes with it */
			else
				inode_unref(fs, cur, 1);
			if (kept == fresh) {
				count_dir(fs, fresh);
				return fresh;
			}
			cur = kept;
		}
		/* The caller gave 'fresh' a parent reference; it is not kept. */
		if (fresh->parent)
			inode_unref(fs, fresh->parent, 1);
		fresh->parent = NULL;
		inode_destroy(fs, fresh);
		return cur;
	}
	fresh->refs = 1;
	fresh->hash_next = buckets[b];
	buckets[b] = fresh;
	pthread_mutex_unlock(m);
	count_dir(fs, fresh);
	return fresh;
}

void inode_rekey(struct fs *fs, struct inode *inode, uint64_t dev, uint64_t ino)
{
	unsigned from = bucket_of(inode->key_dev, inode->key_ino), to = bucket_of(dev, ino);
	pthread_mutex_t *a = stripe_of(from), *b = stripe_of(to);
	struct inode **pp, *cur;

	if (inode == &fs->root || inode->key_dev == 0)
		return; /* not in the table, or keyed by its vnode: the key does not follow */
	/* Two stripes, always taken in address order. */
	if (a > b) {
		pthread_mutex_t *t = a;

		a = b;
		b = t;
	}
	pthread_mutex_lock(a);
	if (b != a)
		pthread_mutex_lock(b);
	for (cur = buckets[to]; cur; cur = cur->hash_next)
		if (cur->key_dev == dev && cur->key_ino == ino && cur->bind == inode->bind)
			break;
	/* A lookup raced us and indexed the new object first: keep both, harmlessly. */
	if (!cur) {
		for (pp = &buckets[from]; *pp && *pp != inode; pp = &(*pp)->hash_next)
			;
		if (*pp) {
			*pp = inode->hash_next;
			__atomic_store_n(&inode->key_dev, dev, __ATOMIC_RELEASE);
			__atomic_store_n(&inode->key_ino, ino, __ATOMIC_RELEASE);
			inode->hash_next = buckets[to];
			buckets[to] = inode;
		}
	}
	if (b != a)
		pthread_mutex_unlock(b);
	pthread_mutex_unlock(a);
}

/*
 * Lock the stripe that indexes 'inode'. Its key can change (copy-up rekeys
 * under both stripes), so check after locking that it still maps here.
 */
static unsigned lock_stripe_of(struct inode *inode)
{
	for (;;) {
		unsigned b = bucket_of(__atomic_load_n(&inode->key_dev, __ATOMIC_ACQUIRE),
				       __atomic_load_n(&inode->key_ino, __ATOMIC_ACQUIRE));

		pthread_mutex_lock(stripe_of(b));
		if (bucket_of(inode->key_dev, inode->key_ino) == b)
			return b;
		pthread_mutex_unlock(stripe_of(b));
	}
}

void inode_ref(struct inode *inode)
{
	pthread_mutex_t *m = stripe_of(lock_stripe_of(inode));

	inode->refs++;
	pthread_mutex_unlock(m);
}

void inode_unref(struct fs *fs, struct inode *inode, uint64_t n)
{
	while (inode && inode != &fs->root) {
		unsigned b = lock_stripe_of(inode);
		pthread_mutex_t *m = stripe_of(b);
		struct inode **pp, *parent;

		if (inode->refs < n) {
			log_error("inode %p: forget %llu with %llu references", (void *)inode,
				  (unsigned long long)n, (unsigned long long)inode->refs);
			n = inode->refs;
		}
		inode->refs -= n;
		if (inode->refs > 0) {
			pthread_mutex_unlock(m);
			return;
		}
		for (pp = &buckets[b]; *pp && *pp != inode; pp = &(*pp)->hash_next)
			;
		if (*pp)
			*pp = inode->hash_next;
		pthread_mutex_unlock(m);

		/* An O_TMPFILE file never named: its record in a side store goes with it. */
		if (inode->unlinked)
			meta_unlinked(fs, inode);
		pthread_rwlock_wrlock(&fs->tree_lock);
		parent = inode->parent;
		inode->parent = NULL;
		pthread_rwlock_unlock(&fs->tree_lock);
		inode_destroy(fs, inode);
		/* Our parent reference goes with us: iterate instead of recursing on deep trees. */
		inode = parent;
		n = 1;
	}
}

char *inode_guest_path(struct fs *fs, struct inode *inode)
{
	size_t len = 0;
	char *path, *p;
	struct inode *i;

	pthread_rwlock_rdlock(&fs->tree_lock);
	for (i = inode; i && i != &fs->root; i = i->parent)
		len += 1 + strlen(i->name ? i->name : "");
	path = malloc(len + 2);
	if (!path) {
		pthread_rwlock_unlock(&fs->tree_lock);
		errno = ENOMEM;
		return NULL;
	}
	p = path + len;
	*p = '\0';
	for (i = inode; i && i != &fs->root; i = i->parent) {
		size_t n = strlen(i->name ? i->name : "");

		p -= n;
		if (n)
			memcpy(p, i->name, n);
		*--p = '/';
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (len == 0)
		strcpy(path, "/");
	return path;
}

/* Every inode in the table whose parent is 'dir' (any parent: NULL), each with a reference. */
static struct inode **collect(const struct inode *dir, size_t *count, bool dirs_only)
{
	struct inode **found = NULL;
	size_t n = 0, cap = 0;

	for (unsigned b = 0; b < TABLE_SIZE; b++) {
		pthread_mutex_t *m = stripe_of(b);

		if (!__atomic_load_n(&buckets[b], __ATOMIC_SEQ_CST))
			continue; /* read again under the lock */
		pthread_mutex_lock(m);
		for (struct inode *cur = buckets[b]; cur; cur = cur->hash_next) {
			if ((dir && cur->parent != dir) ||
			    (dirs_only && (cur->type != S_IFDIR || !cur->parent || cur->vnode)))
				continue;
			if (n == cap) {
				size_t more = cap ? cap * 2 : 64;
				struct inode **grown = realloc(found, more * sizeof(*found));

				if (!grown)
					break;
				found = grown;
				cap = more;
			}
			cur->refs++;
			found[n++] = cur;
		}
		pthread_mutex_unlock(m);
	}
	*count = n;
	return found;
}

/*
 * Drop the kernel's cached names that we know of under 'dir', or under every
 * guarded directory (NULL: guards_arm); fs_dir_guarded says why. Each drop
 * waits for its directory's lock: not on the loop's thread.
 */
static void inval_names(struct fs *fs, struct inode *only)
{
	size_t n;
	struct inode **found = collect(only, &n, false);

	for (size_t i = 0; i < n; i++) {
		struct inode *dir = NULL;
		char *name = NULL;

		pthread_rwlock_rdlock(&fs->tree_lock);
		if (found[i]->parent && found[i]->name && (!only || found[i]->parent == only)) {
			dir = found[i]->parent;
			inode_ref(dir);
			name = strdup(found[i]->name);
		}
		pthread_rwlock_unlock(&fs->tree_lock);
		if (name && (only || fs_dir_guarded(fs, dir)))
			fuse_lowlevel_notify_inval_entry(fs->se, inode_id(fs, dir), name,
							 strlen(name));
		free(name);
		if (dir)
			inode_unref(fs, dir, 1);
		inode_unref(fs, found[i], 1);
	}
	free(found);
}

void inval_children(struct fs *fs, struct inode *dir)
{
	inval_names(fs, dir);
}

void inval_guarded_children(struct fs *fs)
{
	inval_names(fs, NULL);
}

struct inode **inode_collect_dirs(struct fs *fs, size_t *count)
{
	(void)fs;
	return collect(NULL, count, true);
}
