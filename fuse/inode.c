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
#include <unistd.h>

#include "log.h"

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define STRIPES 64

static struct inode *buckets[TABLE_SIZE];
static pthread_mutex_t stripes[STRIPES];

void inode_table_init(void)
{
	for (unsigned i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
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

static void inode_destroy(struct fs *fs, struct inode *inode)
{
	if (inode->fd >= 0)
		close(inode->fd);
	if (inode->lower_fd >= 0)
		close(inode->lower_fd);
	if (inode->dir_fds) {
		for (int i = 0; i < fs->n_layers; i++)
			if (inode->dir_fds[i] >= 0 && inode->dir_fds[i] != inode->fd)
				close(inode->dir_fds[i]);
		free(inode->dir_fds);
	}
	free(inode->name);
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
	for (cur = buckets[b]; cur; cur = cur->hash_next)
		if (cur->key_dev == fresh->key_dev && cur->key_ino == fresh->key_ino &&
		    cur->bind == fresh->bind)
			break;
	if (cur) {
		cur->refs++;
		pthread_mutex_unlock(m);
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
		memcpy(p, i->name, n);
		*--p = '/';
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (len == 0)
		strcpy(path, "/");
	return path;
}
