/* SPDX-License-Identifier: MIT */
/*
 * Resolving names in the view: the union of the layers (top to bottom,
 * whiteouts and opaque directories in the overlayfs formats), the vnode tree
 * of binds and direct binds, and the guest-visible stat.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "format.h"
#include "log.h"

bool fs_multi_layer(struct fs *fs)
{
	/* Whiteouts mean something only when there is a layer below to hide. */
	return fs->n_layers > 1;
}

bool fs_is_whiteout_name(const char *name)
{
	return format_is_whiteout_name(name);
}

bool fs_inode_writable(struct fs *fs, struct inode *inode)
{
	if (inode_synthetic(inode))
		return false;
	if (inode->bind)
		return !inode->bind->readonly;
	return fs->upper >= 0;
}

int fs_open_layers(struct fs *fs)
{
	struct fs_options *o = fs->opts;
	int n = o->n_lowers + (o->upper ? 1 : 0);

	fs->layers = calloc((size_t)n, sizeof(*fs->layers));
	if (!fs->layers)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *path = i < o->n_lowers ? o->lowers[i] : o->upper;
		struct layer *l = &fs->layers[i];
		struct stat st;

		l->path = realpath(path, NULL);
		if (!l->path) {
			log_error("layer %s: %s", path, strerror(errno));
			return -errno;
		}
		l->fd = open(l->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (l->fd < 0 || fstat(l->fd, &st) < 0) {
			log_error("layer %s: %s", path, strerror(errno));
			return -errno;
		}
		l->dev = st.st_dev;
	}
	/* The top layer's device gets slot 0, so a one-device view shows raw inode numbers. */
	for (int i = n - 1; i >= 0; i--)
		fs_map_ino(fs, fs->layers[i].dev, 0, NULL);
	fs->n_layers = n;
	if (o->upper)
		fs->upper = n - 1;
	else if (o->in_place)
		fs->upper = 0;
	else
		fs->upper = -1;
	return 0;
}

static int lowest_layer_of(struct fs *fs, struct inode *dir)
{
	for (int l = 0; l < fs->n_layers; l++)
		if (inode_dir_fd(dir, l) >= 0)
			return l;
	return fs->n_layers;
}

static bool is_opaque_dir(int fd)
{
	char path[PROC_FD_PATH_MAX], value[4];
	static const char *const names[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
	struct stat st;

	proc_fd_path(path, fd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ssize_t n = getxattr(path, names[i], value, sizeof(value));

		if (n > 0 && format_opaque_value(value, (size_t)n))
			return true;
	}
	return fstatat(fd, OPAQUE_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool has_whiteout(int dirfd, const char *name)
{
	char wh[256];
	struct stat st;

	if (format_whiteout_name(name, wh, sizeof(wh)) < 0)
		return false;
	return fstatat(dirfd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void free_dir_fds(struct fs *fs, int *dir_fds)
{
	if (!dir_fds)
		return;
	for (int i = 0; i < fs->n_layers; i++)
		if (dir_fds[i] >= 0)
			close(dir_fds[i]);
	free(dir_fds);
}

/*
 * Walk the layers top to bottom like overlayfs: the topmost non-directory
 * wins; directories merge until an opaque one; a whiteout ends the walk.
 */
static int lookup_in_layers(struct fs *fs, struct inode *parent, const char *name,
			    struct inode *fresh, struct stat *st_out)
{
	bool multi = fs_multi_layer(fs) && !parent->bind;
	int lowest = multi ? lowest_layer_of(fs, parent) : 0;
	int *dir_fds = NULL;
	int top = -1, top_fd = -1, err = -ENOENT;
	struct stat top_st;

	for (int l = fs->n_layers - 1; l >= 0; l--) {
		int dfd = parent->bind ? (l == 0 ? parent->fd : -1) : inode_dir_fd(parent, l);
		struct stat st;
		int fd;

		if (dfd < 0)
			continue;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				if (top < 0)
					err = -errno;
				break;
			}
			if (multi && l > lowest && has_whiteout(dfd, name))
				break;
			continue;
		}
		if (multi && format_is_whiteout_device(st.st_mode, st.st_rdev))
			break;
		if (top < 0 && !S_ISDIR(st.st_mode)) {
			/* Only directories keep an fd: others are reopened by name (inode_fd). */
			top = l;
			top_st = st;
			break;
		}
		if (!S_ISDIR(st.st_mode))
			break; /* a non-directory below a directory is hidden by it */
		fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (top < 0)
				err = -errno;
			break;
		}
		if (top < 0) {
			top = l;
			top_fd = fd;
			top_st = st;
			if (!multi)
				break;
			dir_fds = malloc(sizeof(int) * (size_t)fs->n_layers);
			if (!dir_fds) {
				err = -ENOMEM;
				break;
			}
			for (int i = 0; i < fs->n_layers; i++)
				dir_fds[i] = -1;
			dir_fds[l] = fd;
		} else {
			dir_fds[l] = fd;
		}
		if (l > lowest && is_opaque_dir(fd))
			break;
	}
	if (top < 0) {
		free_dir_fds(fs, dir_fds);
		return err;
	}
	if (err == -ENOMEM) {
		if (top_fd >= 0)
			close(top_fd);
		return err;
	}
	if (dir_fds) {
		/* Keep one fd for the top: dir_fds[top] is the same descriptor. */
		fresh->fd = dup(top_fd);
		if (fresh->fd < 0) {
			free_dir_fds(fs, dir_fds);
			return -errno;
		}
	} else {
		fresh->fd = top_fd;
	}
	fresh->dir_fds = dir_fds;
	fresh->layer = parent->bind ? LAYER_BIND : top;
	fresh->type = top_st.st_mode & S_IFMT;
	fresh->key_dev = top_st.st_dev;
	fresh->key_ino = top_st.st_ino;
	*st_out = top_st;
	return 0;
}

static const struct vnode *vnode_child(const struct vnode *v, const char *name)
{
	if (!v)
		return NULL;
	for (v = v->children; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

int fs_lookup_child(struct fs *fs, struct inode *parent, const char *name, struct inode **out)
{
	return fs_lookup_child_stat(fs, parent, name, out, NULL);
}

/*
 * As fs_lookup_child; when 'backing' is given and the name is an ordinary
 * layer object, it receives the object's lstat from the lookup (else st_mode
 * 0), so that the reply needs no second stat.
 */
int fs_lookup_child_stat(struct fs *fs, struct inode *parent, const char *name,
			 struct inode **out, struct stat *backing)
{
	const struct vnode *v = vnode_child(parent->vnode, name);
	struct inode *fresh;
	struct stat st;
	int r;

	if (backing)
		backing->st_mode = 0;

	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (!v && (parent->fd < 0 || parent->type != S_IFDIR))
		return parent->type == S_IFDIR ? -ENOENT : -ENOTDIR;
	if (!v && !parent->bind && fs_multi_layer(fs) && format_is_whiteout_name(name))
		return -ENOENT; /* overlayfs hides its own markers */
	if (!v && meta_reserved_name(fs, parent, name))
		return -ENOENT; /* the side store's directory */

	fresh = inode_new();
	if (!fresh)
		return -ENOMEM;
	fresh->bind = parent->bind;
	if (v && v->kind == VNODE_DIRECT) {
		fresh->type = S_IFLNK;
	} else if (v && v->kind == VNODE_BIND) {
		fresh->fd = open(v->host, O_PATH | O_CLOEXEC);
		if (fresh->fd < 0 || fstat(fresh->fd, &st) < 0) {
			r = -errno;
			free(fresh);
			return r;
		}
		fresh->type = st.st_mode & S_IFMT;
		fresh->layer = LAYER_BIND;
		fresh->bind = v;
	} else {
		r = parent->fd >= 0 ? lookup_in_layers(fs, parent, name, fresh, &st) : -ENOENT;
		if (r < 0 && !v) {
			free(fresh);
			return r;
		}
		if (v && (r < 0 || fresh->type != S_IFDIR)) {
			/* The path to a bind point is a directory even where the rootfs lacks it.
			 */
			if (fresh->fd >= 0)
				close(fresh->fd);
			free_dir_fds(fs, fresh->dir_fds);
			fresh->dir_fds = NULL;
			fresh->fd = -1;
			fresh->layer = LAYER_NONE;
			fresh->type = S_IFDIR;
		}
	}
	if (v) {
		/* One inode per guest path that has a vnode, whatever backs it. */
		fresh->vnode = v;
		fresh->key_dev = 0;
		fresh->key_ino = (uint64_t)(uintptr_t)v;
	}
	fresh->name = strdup(name);
	if (!fresh->name) {
		fresh->parent = NULL;
		if (fresh->fd >= 0)
			close(fresh->fd);
		free_dir_fds(fs, fresh->dir_fds);
		free(fresh);
		return -ENOMEM;
	}
	inode_ref(parent);
	fresh->parent = parent;
	if (backing && !v && !parent->bind)
		*backing = st;
	*out = inode_insert_or_get(fs, fresh);
	return 0;
}

/* Device slots keep inode numbers from different layers' filesystems apart. */
#define MAX_DEV_SLOTS 64
static _Atomic uint64_t dev_slots[MAX_DEV_SLOTS];
static _Atomic int n_dev_slots;
static pthread_mutex_t dev_slot_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t dev_slot(dev_t dev)
{
	int n = atomic_load(&n_dev_slots), i;

	for (i = 0; i < n; i++)
		if (atomic_load(&dev_slots[i]) == (uint64_t)dev)
			return (uint64_t)i;
	pthread_mutex_lock(&dev_slot_lock);
	n = atomic_load(&n_dev_slots);
	for (i = 0; i < n; i++)
		if (atomic_load(&dev_slots[i]) == (uint64_t)dev)
			break;
	if (i == n && n < MAX_DEV_SLOTS) {
		atomic_store(&dev_slots[n], (uint64_t)dev);
		atomic_store(&n_dev_slots, n + 1);
	}
	pthread_mutex_unlock(&dev_slot_lock);
	return (uint64_t)(i < MAX_DEV_SLOTS ? i : MAX_DEV_SLOTS - 1);
}

/* FNV-1a: the same guest path gives the same inode number on every machine. */
static uint64_t hash_path(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

uint64_t fs_map_ino(struct fs *fs, dev_t dev, ino_t ino, const char *guest_path)
{
	if (fs->opts->stable_inodes && guest_path)
		return hash_path(guest_path);
	return (uint64_t)ino ^ (dev_slot(dev) << 56);
}

void fs_default_owner(struct fs *fs, bool in_bind, uid_t *uid, gid_t *gid)
{
	struct fs_options *o = fs->opts;

	*uid = in_bind && o->has_bind_owner ? o->bind_owner_uid : o->owner_uid;
	*gid = in_bind && o->has_bind_owner ? o->bind_owner_gid : o->owner_gid;
}

void fs_fix_stat(struct fs *fs, struct stat *st, bool in_bind)
{
	struct fs_options *o = fs->opts;

	if (o->fake_root) {
		uid_t uid;
		gid_t gid;

		fs_default_owner(fs, in_bind, &uid, &gid);
		if (st->st_uid == fs->uid)
			st->st_uid = uid;
		if (st->st_gid == fs->gid)
			st->st_gid = gid;
	}
	if (o->clamp_mtime) {
		if (st->st_mtim.tv_sec >= o->clamp_epoch) {
			st->st_mtim.tv_sec = o->clamp_epoch;
			st->st_mtim.tv_nsec = 0;
		}
		if (st->st_atim.tv_sec >= o->clamp_epoch) {
			st->st_atim.tv_sec = o->clamp_epoch;
			st->st_atim.tv_nsec = 0;
		}
		if (st->st_ctim.tv_sec >= o->clamp_epoch) {
			st->st_ctim.tv_sec = o->clamp_epoch;
			st->st_ctim.tv_nsec = 0;
		}
	}
}

/*
 * A directory present in two layers or more: no one layer's link count is
 * the merged directory's. 1 says "unknown", as overlayfs says it, so fts
 * (find) does not count subdirectories to skip leaves.
 */
static bool merged_dir(struct fs *fs, struct inode *inode)
{
	int present = 0;

	if (!fs_multi_layer(fs) || !inode->dir_fds || inode->bind)
		return false;
	for (int i = 0; i < fs->n_layers; i++)
		present += __atomic_load_n(&inode->dir_fds[i], __ATOMIC_ACQUIRE) >= 0;
	return present > 1;
}

int fs_stat_inode(struct fs *fs, struct inode *inode, struct stat *st)
{
	return fs_stat_inode_from(fs, inode, st, NULL);
}

/* 'backing', when its st_mode is set, is the backing object's lstat, just taken. */
int fs_stat_inode_from(struct fs *fs, struct inode *inode, struct stat *st,
		       const struct stat *backing)
{
	char *path = NULL;
	bool real = !inode_synthetic(inode);

	memset(st, 0, sizeof(*st));
	if (real && backing && backing->st_mode) {
		*st = *backing;
	} else if (real) {
		int fd = inode_fd(inode);

		if (fd < 0)
			return -errno;
		if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	} else {
		/* Synthetic: a directory on the way to a bind point, or a direct bind's link. */
		st->st_uid = fs->uid;
		st->st_gid = fs->gid;
		if (inode->type == S_IFLNK) {
			st->st_mode = S_IFLNK | 0777;
			st->st_size = (off_t)strlen(inode->vnode->host);
		} else {
			st->st_mode = S_IFDIR | 0755;
		}
		st->st_nlink = inode->type == S_IFDIR ? 2 : 1;
		st->st_blksize = 4096;
	}
	/* An O_TMPFILE file has no path to be numbered by (until it is linked). */
	bool nameless = inode->parent && !inode->name;

	if ((fs->opts->stable_inodes && !nameless) || !real) {
		path = inode_guest_path(fs, inode);
		if (!path)
			return -errno;
		st->st_ino = (ino_t)hash_path(path);
		free(path);
	} else {
		/*
		 * The first number the kernel was given stays with the inode: a
		 * copy-up moves it to another backing object, but fts (rm -rf,
		 * find, du) checks that ".." is still the directory it entered.
		 */
		uint64_t ino = fs_map_ino(fs, st->st_dev, st->st_ino, NULL), first = 0;
		if (!__atomic_compare_exchange_n(&inode->view_ino, &first, ino, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			ino = first;
		st->st_ino = (ino_t)ino;
	}
	fs_fix_stat(fs, st, inode->bind != NULL);
	if (real)
		meta_apply(fs, inode, st);
	if (inode->unlinked)
		st->st_nlink = 0;
	else if (S_ISDIR(st->st_mode) && merged_dir(fs, inode))
		st->st_nlink = 1;
	return 0;
}
