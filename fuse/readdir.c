/* SPDX-License-Identifier: MIT */
/*
 * Directory listings: the merged listing of a directory (layers top to
 * bottom, whiteouts applied, bind points injected), in one of two forms.
 *
 * With --sorted-readdir, opendir takes a snapshot and offsets are plain
 * indexes into it, valid however the layers change meanwhile; the order is
 * one qsort.
 *
 * Otherwise there is no opendir at all (the kernel opens directories without
 * asking and caches what it read), so a readdir names no stream. Offsets are
 * then cookies derived from the names (a 63-bit hash, like ext4's htree
 * cookies) and a listing is kept in cookie order: the entries after cookie C
 * are the same in any listing of the directory, except for names added or
 * removed, so a stream resumes correctly even from a listing made afresh. The
 * inode keeps the listing of the stream in progress, so a large directory is
 * read from disk once per stream, not once per reply.
 *
 * During a recursive walk the inode may also hold a listing made ahead of
 * its first readdir (dir_listing_prefetch, prefetch.c), with every entry
 * already looked up: the next stream takes it instead of listing afresh,
 * unless a request that may have changed the tree ran since it was made.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"

struct name_set {
	char **slots; /* names owned elsewhere (the entries, or 'hidden') */
	size_t cap, used;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int set_grow(struct name_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	char **slots = calloc(cap, sizeof(char *));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < set->cap; i++) {
		if (!set->slots[i])
			continue;
		size_t j = hash_name(set->slots[i]) & (cap - 1);

		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/* Returns 1 if inserted, 0 if present, -errno on failure. */
static int set_add(struct name_set *set, char *name)
{
	size_t j;

	if ((set->used + 1) * 2 > set->cap && set_grow(set) < 0)
		return -ENOMEM;
	for (j = hash_name(name) & (set->cap - 1); set->slots[j]; j = (j + 1) & (set->cap - 1))
		if (strcmp(set->slots[j], name) == 0)
			return 0;
	set->slots[j] = name;
	set->used++;
	return 1;
}

struct builder {
	struct dir_handle *dh;
	size_t cap;
	struct name_set seen;
	char **hidden; /* whiteout targets, owned here */
	size_t n_hidden, cap_hidden;
};

static int push_entry(struct builder *b, const char *name, ino_t ino, unsigned char type)
{
	struct dir_entry *e;
	char *copy = strdup(name);
	int r;

	if (!copy)
		return -ENOMEM;
	r = set_add(&b->seen, copy);
	if (r <= 0) {
		free(copy);
		return r;
	}
	if (b->dh->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct dir_entry *n = realloc(b->dh->entries, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->dh->entries = n;
		b->cap = cap;
	}
	e = &b->dh->entries[b->dh->count++];
	e->name = copy;
	e->ino = ino;
	e->type = type;
	return 0;
}

static int hide_name(struct builder *b, const char *name)
{
	char *copy;
	int r;

	if (b->n_hidden == b->cap_hidden) {
		size_t cap = b->cap_hidden ? b->cap_hidden * 2 : 16;
		char **n = realloc(b->hidden, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->hidden = n;
		b->cap_hidden = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	r = set_add(&b->seen, copy);
	if (r <= 0) {
		free(copy);
		return r;
	}
	b->hidden[b->n_hidden++] = copy;
	return 0;
}

/*
 * A directory's fd (O_PATH) opened for reading its entries. "." needs search
 * permission on the directory itself, which listing it does not (a mode 0600
 * directory of the daemon's user): then through /proc, as open(2) of its path.
 */
int open_for_listing(int dirfd)
{
	char path[PROC_FD_PATH_MAX];
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 || errno != EACCES)
		return fd;
	proc_fd_path(path, dirfd);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int read_layer(struct fs *fs, struct builder *b, int dirfd, dev_t dev, bool multi,
		      bool is_lowest, bool may_fake_type, bool at_root, const char *dir_path)
{
	int fd = open_for_listing(dirfd);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		unsigned char type = de->d_type;
		char *path = NULL;
		ino_t ino;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (at_root && strcmp(name, SIDE_STORE_DIR) == 0)
			continue; /* the side store's directory: hidden like lookup hides it */
		if (multi && format_is_whiteout_name(name)) {
			const char *target = format_whiteout_target(name);

			if (target && !is_lowest && (r = hide_name(b, target)) < 0)
				break;
			continue;
		}
		if (multi && !is_lowest && (type == DT_CHR || type == DT_UNKNOWN)) {
			struct stat st;

			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    format_is_whiteout_device(st.st_mode, st.st_rdev)) {
				if ((r = hide_name(b, name)) < 0)
					break;
				continue;
			}
		}
		if (fs->opts->stable_inodes &&
		    asprintf(&path, "%s%s%s", dir_path, dir_path[1] ? "/" : "", name) < 0) {
			r = -ENOMEM;
			break;
		}
		ino = (ino_t)fs_map_ino(fs, dev, de->d_ino, path);
		free(path);
		/* A fake device or fifo is a regular file here: let the reader ask getattr. */
		if (may_fake_type && type == DT_REG)
			type = DT_UNKNOWN;
		if ((r = push_entry(b, name, ino, type)) < 0)
			break;
	}
	if (!de && errno && r == 0)
		r = -errno;
	closedir(d);
	return r;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

static struct dir_handle *open_handles;
static pthread_mutex_t open_handles_lock = PTHREAD_MUTEX_INITIALIZER;
/* Larger directories are not listed ahead (dir_listing_prefetch). */
#define PREFETCH_MAX_ENTRIES 4096

static bool freeing_all; /* at exit: the inodes are going too, drop no references */

static void track_handle(struct dir_handle *dh)
{
	pthread_mutex_lock(&open_handles_lock);
	dh->next = open_handles;
	if (open_handles)
		open_handles->prev = dh;
	open_handles = dh;
	pthread_mutex_unlock(&open_handles_lock);
}

void dir_handle_free(struct dir_handle *dh)
{
	if (!dh)
		return;
	pthread_mutex_lock(&open_handles_lock);
	if (dh->prev)
		dh->prev->next = dh->next;
	else if (open_handles == dh)
		open_handles = dh->next;
	if (dh->next)
		dh->next->prev = dh->prev;
	pthread_mutex_unlock(&open_handles_lock);
	for (size_t i = 0; i < dh->count; i++) {
		free(dh->entries[i].name);
		if (dh->pre && dh->pre[i].child && !freeing_all)
			inode_unref(dh->fs, dh->pre[i].child, 1);
	}
	free(dh->pre);
	free(dh->entries);
	free(dh);
}

int dir_snapshot(struct fs *fs, struct inode *dir, struct dir_handle **out)
{
	struct builder b = {0};
	bool multi = fs_multi_layer(fs) && !dir->bind && dir->dir_fds;
	bool fake_types = fs->opts->fake_root && !dir->bind;
	bool at_root = dir == &fs->root;
	char *dir_path = NULL;
	struct stat st;
	int r;

	b.dh = calloc(1, sizeof(*b.dh));
	if (!b.dh)
		return -ENOMEM;
	r = fs_stat_inode(fs, dir, &st);
	if (r < 0)
		goto out;
	dir_path = inode_guest_path(fs, dir);
	if (!dir_path) {
		r = -errno;
		goto out;
	}
	if ((r = push_entry(&b, ".", st.st_ino, DT_DIR)) < 0 ||
	    (r = push_entry(&b, "..", st.st_ino, DT_DIR)) < 0)
		goto out;
	/* Bind points win over whatever the layers have at that name. */
	for (const struct vnode *v = dir->vnode ? dir->vnode->children : NULL; v; v = v->next) {
		unsigned char type = v->kind == VNODE_DIRECT ? DT_LNK : DT_DIR;
		struct stat hst;
		char *path = NULL;

		if (v->kind == VNODE_BIND) {
			if (stat(v->host, &hst) < 0)
				continue; /* like lookup: a missing bind source is not there */
			type = S_ISDIR(hst.st_mode) ? DT_DIR : (unsigned char)IFTODT(hst.st_mode);
		} else if (v->kind == VNODE_DIRECT && stat(v->host, &hst) == 0) {
			/* The guest reaches the host object there (the tracer sends it): its type. */
			type = (unsigned char)IFTODT(hst.st_mode);
		}
		if (asprintf(&path, "%s%s%s", dir_path, dir_path[1] ? "/" : "", v->name) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = push_entry(&b, v->name, (ino_t)hash_name(path), type);
		free(path);
		if (r < 0)
			goto out;
	}
	if (multi) {
		int lowest = 0;

		while (lowest < fs->n_layers && dir->dir_fds[lowest] < 0)
			lowest++;
		for (int l = fs->n_layers - 1; l >= 0; l--) {
			if (dir->dir_fds[l] < 0)
				continue;
			r = read_layer(fs, &b, dir->dir_fds[l], fs->layers[l].dev, true,
				       l == lowest, fake_types && l == fs->upper, at_root,
				       dir_path);
			if (r < 0)
				goto out;
		}
	} else if (dir->fd >= 0) {
		r = read_layer(fs, &b, dir->fd, st.st_dev, false, true,
			       fake_types && dir->layer == fs->upper, at_root, dir_path);
		if (r < 0)
			goto out;
	}
	if (fs->opts->sorted_readdir && b.dh->count > 2)
		qsort(b.dh->entries + 2, b.dh->count - 2, sizeof(struct dir_entry),
		      compare_entries);
out:
	free(dir_path);
	free(b.seen.slots);
	for (size_t i = 0; i < b.n_hidden; i++)
		free(b.hidden[i]);
	free(b.hidden);
	if (r < 0) {
		dir_handle_free(b.dh);
		return r;
	}
	track_handle(b.dh);
	*out = b.dh;
	return 0;
}

/* "." and ".." come first: cookies 1 and 2; names get 3 .. 2^63 - 1 (offsets are signed). */
static uint64_t name_cookie(const char *name)
{
	uint64_t c = hash_name(name) >> 1;

	return c < 3 ? c + 3 : c;
}

static int compare_cookies(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int make_listing(struct fs *fs, struct inode *dir, struct dir_handle **out)
{
	struct dir_handle *dh;
	int r = dir_snapshot(fs, dir, &dh);

	if (r < 0)
		return r;
	for (size_t i = 0; i < dh->count; i++)
		dh->entries[i].cookie = i < 2 ? i + 1 : name_cookie(dh->entries[i].name);
	if (dh->count > 2)
		qsort(dh->entries + 2, dh->count - 2, sizeof(struct dir_entry), compare_cookies);
	dh->refs = 1;
	*out = dh;
	return 0;
}

int dir_listing_get(struct fs *fs, struct inode *dir, off_t off, struct dir_handle **out)
{
	struct dir_handle *dh = NULL, *old;
	int r;

	if (off > 0) {
		pthread_mutex_lock(&dir->lock);
		dh = dir->listing;
		if (dh)
			dh->refs++;
		pthread_mutex_unlock(&dir->lock);
		if (dh) {
			*out = dh;
			return 0;
		}
	} else {
		/* A listing made ahead: taken by this stream if nothing changed since. */
		prefetch_wait(dir);
		pthread_mutex_lock(&dir->lock);
		dh = dir->listing;
		if (dh && dh->unused && dh->gen == prefetch_generation()) {
			dh->unused = false;
			dh->refs++;
			pthread_mutex_unlock(&dir->lock);
			*out = dh;
			return 0;
		}
		pthread_mutex_unlock(&dir->lock);
	}
	r = make_listing(fs, dir, &dh);
	if (r < 0)
		return r;
	pthread_mutex_lock(&dir->lock);
	old = dir->listing;
	dir->listing = dh;
	dh->refs++;
	pthread_mutex_unlock(&dir->lock);
	if (old)
		dir_listing_put(dir, old);
	*out = dh;
	return 0;
}

bool dir_listing_prefetch(struct fs *fs, struct inode *dir)
{
	uint64_t gen = prefetch_generation(); /* before reading anything */
	struct dir_handle *dh;
	bool installed = false;

	if (fdp_pressed())
		return false; /* its directories would each hold fds (fdpressure.c) */
	pthread_mutex_lock(&dir->lock);
	dh = dir->listing;
	pthread_mutex_unlock(&dir->lock);
	if (dh || make_listing(fs, dir, &dh) < 0)
		return false;
	if (dh->count > PREFETCH_MAX_ENTRIES) {
		/* Each looked-up directory holds an fd until the reply: not for huge ones. */
		dir_handle_free(dh);
		return false;
	}
	dh->pre = calloc(dh->count, sizeof(*dh->pre));
	if (!dh->pre) {
		dir_handle_free(dh);
		return false;
	}
	dh->fs = fs;
	dh->gen = gen;
	dh->unused = true;
	/* "." and ".." (cookies 1 and 2, first) get no dentry. */
	for (size_t i = 0; i < dh->count; i++) {
		struct inode *child;
		struct stat st;

		if (dh->entries[i].cookie <= 2 ||
		    fs_lookup_child_stat(fs, dir, dh->entries[i].name, &child, &st) < 0)
			continue;
		if (!st.st_mode) {
			inode_unref(fs, child, 1); /* a bind point or synthetic: looked up at the reply */
			continue;
		}
		/* Loads its metadata (and publishes its xattr hint): the reply only copies it. */
		if (make_entry_from(fs, child, &dh->pre[i].e, &st) == 0)
			dh->pre[i].child = child;
	}
	pthread_mutex_lock(&dir->lock);
	if (!dir->listing) {
		dir->listing = dh;
		installed = true;
	}
	pthread_mutex_unlock(&dir->lock);
	if (!installed)
		dir_handle_free(dh); /* a readdir started meanwhile and listed it itself */
	return installed;
}

void dir_listing_drop_unused(struct inode *dir)
{
	struct dir_handle *old = NULL;

	pthread_mutex_lock(&dir->lock);
	if (dir->listing && dir->listing->unused) {
		old = dir->listing;
		dir->listing = NULL;
	}
	pthread_mutex_unlock(&dir->lock);
	if (old)
		dir_listing_put(dir, old);
}

void dir_listing_put(struct inode *dir, struct dir_handle *dh)
{
	unsigned refs;

	pthread_mutex_lock(&dir->lock);
	refs = --dh->refs;
	pthread_mutex_unlock(&dir->lock);
	if (refs == 0)
		dir_handle_free(dh);
}

size_t dir_listing_seek(const struct dir_handle *dh, off_t off)
{
	size_t lo = 0, hi = dh->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dh->entries[mid].cookie <= (uint64_t)off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void detach_listing(struct inode *dir, struct dir_handle *only)
{
	struct dir_handle *old = NULL;

	pthread_mutex_lock(&dir->lock);
	if (dir->listing && (!only || dir->listing == only)) {
		old = dir->listing;
		dir->listing = NULL;
	}
	pthread_mutex_unlock(&dir->lock);
	if (old)
		dir_listing_put(dir, old);
}

void dir_listing_done(struct inode *dir, struct dir_handle *dh)
{
	detach_listing(dir, dh);
}

void dir_listing_invalidate(struct inode *dir)
{
	detach_listing(dir, NULL);
}

/* The kernel never releases handles of a connection that died: free them at exit. */
void dir_handles_free_all(void)
{
	freeing_all = true;
	while (open_handles)
		dir_handle_free(open_handles);
}
