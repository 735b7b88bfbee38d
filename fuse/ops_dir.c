/* SPDX-License-Identifier: MIT */
/*
 * Namespace changes: create, mknod, mkdir, symlink, link, unlink, rmdir,
 * rename. The kernel holds the parent directory's lock for each of them, so
 * the whiteout and opaque-marker sequences below never interleave within one
 * directory. Each handler replies exactly once.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct vnode *vnode_child(struct inode *dir, const char *name)
{
	for (const struct vnode *v = dir->vnode ? dir->vnode->children : NULL; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static bool in_union(struct fs *fs, struct inode *dir)
{
	return fs_multi_layer(fs) && !dir->bind;
}

/* Names we can create: not too long, not a bind point, not one of our markers. */
static int check_new_name(struct fs *fs, struct inode *parent, const char *name)
{
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (vnode_child(parent, name))
		return -EEXIST;
	if (meta_reserved_name(fs, parent, name))
		return -EPERM; /* the side store's directory: the guest does not see it */
	if (in_union(fs, parent) && format_is_whiteout_name(name))
		return -EINVAL; /* it would read back as a whiteout */
	return 0;
}

/* Under fake root the real file keeps owner access, whatever the guest asked for. */
static mode_t real_mode(struct fs *fs, mode_t mode, bool dir)
{
	if (!fs->opts->fake_root)
		return mode;
	return mode | (dir ? 0700 : 0600);
}

/*
 * Under fake root a new object reads as its creator's (root, or the fake
 * identity the caller took: --credentials); in a setgid directory, as the
 * kernel's inode_init_owner has it, it takes the directory's group, and a
 * new directory keeps the setgid bit. What differs from what the view shows
 * of the invoking user's files there (and a mode the real file cannot have)
 * is recorded.
 */
/*
 * *held (not files nor directories): the inode keeping the record until the
 * reply holds it. Without a name (O_TMPFILE), *held is the new file's inode.
 */
static int record_mode(struct fs *fs, const struct credentials_slot *who, struct inode *parent,
		       int dirfd, const char *name, mode_t mode, mode_t type, struct inode **held)
{
	struct override_stat ov = {.mode = mode & 07777};
	bool dir = type == S_IFDIR;
	struct inode *inode;
	uid_t uid;
	gid_t gid;
	struct stat st;
	int r;

	if (!fs->opts->fake_root)
		return 0;
	fs_default_owner(fs, parent->bind != NULL, &uid, &gid);
	bool setgid = fs_stat_inode(fs, parent, &st) == 0 && (st.st_mode & S_ISGID);
	ov.uid = who ? who->fsuid : 0;
	ov.gid = setgid ? st.st_gid : who ? who->fsgid : 0;
	if (dir && setgid)
		ov.mode |= S_ISGID;
	if (real_mode(fs, mode & 07777, dir) == ov.mode && ov.uid == uid && ov.gid == gid)
		return 0;
	if (!name) {
		r = meta_store(fs, *held, &ov); /* an O_TMPFILE file: on its inode */
		return r == -ENOTSUP ? 0 : r;
	}
	if (type == S_IFREG || type == S_IFDIR) {
		r = meta_store_new(fs, parent, dirfd, name, &ov);
		return r == -ENOTSUP ? 0 : r;
	}
	/* Symlinks, fifos, sockets carry no user xattrs: the side store, or the inode's memory. */
	r = fs_lookup_child(fs, parent, name, &inode);
	if (r < 0)
		return r;
	*held = inode;
	return meta_store(fs, inode, &ov);
}

static int prepare_create(struct fs *fs, const struct credentials_slot *who,
			  struct inode *parent, const char *name, int *dirfd)
{
	int r = check_new_name(fs, parent, name);

	if (r == 0)
		r = access_inode(fs, who, parent, W_OK | X_OK);
	if (r < 0)
		return r;
	r = writable_dir_fd(fs, parent, dirfd);
	if (r < 0)
		return r;
	if (in_union(fs, parent)) {
		r = union_remove_whiteout(*dirfd, name);
		if (r < 0)
			return r;
	}
	return 0;
}

static void reply_new_entry(fuse_req_t req, struct fs *fs, struct inode *parent, const char *name)
{
	struct fuse_entry_param e;
	struct inode *inode;
	int r = fs_lookup_child(fs, parent, name, &inode);

	dir_listing_invalidate(parent);
	if (r == 0)
		r = make_entry(fs, inode, &e);
	if (r == 0)
		entry_guard(fs, parent, name, &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static void fs_mknod(fuse_req_t req, fuse_ino_t parent_id, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id);
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	struct inode *held = NULL;
	int dirfd, r;

	r = prepare_create(fs, who, parent, name, &dirfd);
	/*
	 * A 0:0 character device (anyone may make one) would read as a whiteout
	 * in the writable layer: it is recorded, as devices are under fake root.
	 */
	bool record = r == 0 && S_ISCHR(mode) && rdev == 0 && in_union(fs, parent);
	if (r == 0 && !record && mknodat(dirfd, name, real_mode(fs, mode, false), rdev) < 0) {
		r = -errno;
		record = r == -EPERM && fs->opts->fake_root;
	}
	if (record) {
		/* Devices are recorded, not created: a regular file carrying the type. */
		struct override_stat ov = {.mode = mode, .has_type = true, .rdev = rdev};
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (!fs->opts->fake_root) {
			ov.uid = who ? who->fsuid : fs->uid;
			ov.gid = who ? who->fsgid : fs->gid;
		}
		r = fd < 0 ? -errno : meta_store_new(fs, parent, dirfd, name, &ov);
		if (fd >= 0)
			close(fd);
		if (r < 0 && fd >= 0)
			unlinkat(dirfd, name, 0);
	} else if (r == 0 && S_ISREG(mode)) {
		r = record_mode(fs, who, parent, dirfd, name, mode, S_IFREG, NULL);
	} else if (r == 0) {
		r = record_mode(fs, who, parent, dirfd, name, mode, mode & S_IFMT, &held);
	}
	if (r == 0)
		r = give_to_caller(fs, req, parent, dirfd, name, -1, mode);
	if (r < 0) {
		dir_listing_invalidate(parent); /* a whiteout may have gone */
		fuse_reply_err(req, -r);
	} else {
		reply_new_entry(req, fs, parent, name);
	}
	if (held)
		inode_unref(fs, held, 1);
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent_id, const char *name, mode_t mode)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id);
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	int dirfd, r;

	r = prepare_create(fs, who, parent, name, &dirfd);
	if (r == 0 && mkdirat(dirfd, name, real_mode(fs, mode, true)) < 0)
		r = -errno;
	if (r == 0 && union_name_below(fs, parent, name)) {
		/* A new directory must not show what a deleted one of that name held. */
		int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		r = fd < 0 ? -errno : union_make_opaque(fd);
		if (fd >= 0)
			close(fd);
	}
	if (r == 0)
		r = record_mode(fs, who, parent, dirfd, name, mode, S_IFDIR, NULL);
	if (r == 0)
		r = give_to_caller(fs, req, parent, dirfd, name, -1, S_IFDIR | mode);
	if (r < 0) {
		dir_listing_invalidate(parent); /* a whiteout may have gone */
		fuse_reply_err(req, -r);
	} else {
		reply_new_entry(req, fs, parent, name);
	}
}

static void fs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent_id, const char *name)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id);
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	struct inode *held = NULL;
	size_t n = fs->mountpoint_len;
	int dirfd, r;

	/* A target the tracer translated by mistake is stored as the guest path it names. */
	if (strncmp(target, fs->mountpoint, n) == 0 && target[n] == '/')
		target += n;
	r = prepare_create(fs, who, parent, name, &dirfd);
	if (r == 0 && symlinkat(target, dirfd, name) < 0)
		r = -errno;
	if (r == 0)
		r = record_mode(fs, who, parent, dirfd, name, 0777, S_IFLNK, &held);
	if (r == 0)
		r = give_to_caller(fs, req, parent, dirfd, name, -1, S_IFLNK | 0777);
	if (r < 0) {
		dir_listing_invalidate(parent); /* a whiteout may have gone */
		fuse_reply_err(req, -r);
	} else {
		reply_new_entry(req, fs, parent, name);
	}
	if (held)
		inode_unref(fs, held, 1);
}

/* The CREATE reply for a new file opened as fd (create and O_TMPFILE). */
static void reply_created(fuse_req_t req, struct fs *fs, struct inode *inode,
			  const struct fuse_entry_param *e, struct fuse_file_info *fi, int fd)
{
	if (fs->no_open) {
		/* No RELEASE will come: the file's requests open it themselves (file_fd). */
		close(fd);
		fd = -1;
	}
	fi->fh = fd < 0 ? 0 : (uint64_t)fd;
	fi->keep_cache = !inode->bind;
	fi->noflush = fs_noflush(fs);
	if (fuse_reply_create(req, e, fi) == -ENOENT && fd >= 0)
		close(fd);
}

/* The inode of a file made with O_TMPFILE (fd): nameless, as an unlinked file kept open. */
static int tmpfile_inode(struct fs *fs, struct inode *parent, int fd, struct inode **out)
{
	char path[PROC_FD_PATH_MAX];
	struct inode *fresh;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	fresh = inode_new();
	if (!fresh)
		return -ENOMEM;
	proc_fd_path(path, fd);
	fresh->fd = open(path, O_PATH | O_CLOEXEC);
	if (fresh->fd < 0) {
		free(fresh);
		return -errno;
	}
	fresh->key_dev = st.st_dev;
	fresh->key_ino = st.st_ino;
	fresh->type = S_IFREG;
	fresh->bind = parent->bind;
	fresh->layer = parent->bind ? LAYER_BIND : fs->upper;
	fresh->unlinked = true;
	inode_ref(parent);
	fresh->parent = parent;
	*out = inode_insert_new(fs, fresh);
	return 0;
}

/*
 * open(O_TMPFILE) (FUSE_TMPFILE, which libfuse 3.14 does not know: loop.c
 * hands it over as a CREATE of the name "/", which no real CREATE carries).
 * The backing file is made with O_TMPFILE in the directory's writable part;
 * its inode keeps an fd of it, as of a file unlinked while open, and a
 * linkat through /proc/self/fd names it (fs_link; not with O_EXCL, which
 * the backing file then refuses too).
 */
static void fs_tmpfile(fuse_req_t req, struct inode *parent, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	struct inode *inode = NULL;
	struct fuse_entry_param e;
	int flags = (fi->flags & ~(O_CREAT | O_NOFOLLOW | O_TRUNC)) | O_TMPFILE | O_CLOEXEC;
	int dirfd, fd = -1, r;

	r = access_inode(fs, who, parent, W_OK | X_OK);
	if (r == 0)
		r = writable_dir_fd(fs, parent, &dirfd);
	if (r == 0 && (fd = openat(dirfd, ".", backing_open_flags(fs, flags),
				   real_mode(fs, mode, false))) < 0)
		r = -errno;
	if (r == 0)
		r = tmpfile_inode(fs, parent, fd, &inode);
	if (r == 0)
		r = record_mode(fs, who, parent, -1, NULL, mode, S_IFREG, &inode);
	if (r == 0)
		r = give_to_caller(fs, req, parent, -1, NULL, fd, S_IFREG | mode);
	if (r == 0 && (r = make_entry(fs, inode, &e)) < 0)
		inode = NULL; /* make_entry dropped its reference */
	if (r < 0) {
		if (inode)
			inode_unref(fs, inode, 1);
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -r);
		return;
	}
	reply_created(req, fs, inode, &e, fi, fd);
}

static void fs_create(fuse_req_t req, fuse_ino_t parent_id, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id), *inode;
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	struct fuse_entry_param e;
	int dirfd, fd = -1, r;

	if (strcmp(name, "/") == 0) {
		fs_tmpfile(req, parent, mode, fi);
		return;
	}
	r = prepare_create(fs, who, parent, name, &dirfd);
	if (r == 0) {
		fd = openat(dirfd, name,
			    backing_open_flags(fs, (fi->flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW),
			    real_mode(fs, mode, false));
		if (fd < 0)
			r = -errno;
	}
	if (r == 0)
		r = record_mode(fs, who, parent, dirfd, name, mode, S_IFREG, NULL);
	if (r == 0)
		r = give_to_caller(fs, req, parent, dirfd, name, fd, S_IFREG | mode);
	dir_listing_invalidate(parent);
	if (r == 0)
		r = fs_lookup_child(fs, parent, name, &inode);
	if (r == 0)
		r = make_entry(fs, inode, &e);
	if (r == 0) {
		entry_guard(fs, parent, name, &e);
		core_dump_entry(fs, req, fi->flags, mode, &e);
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -r);
		return;
	}
	/*
	 * A new file written through a write-only fd (tar, cp, git, dpkg, a
	 * shell's >): its writes go straight to us, without filling the page
	 * cache. Cached, each write once cost a GETXATTR of security.capability
	 * (killpriv.c); without that, direct writes still made a cold tar x 5%
	 * faster. A write-only fd cannot be mapped; the kernel keeps other fds'
	 * cached pages coherent with direct writes. Not with set-id bits.
	 */
	if ((fi->flags & O_ACCMODE) == O_WRONLY && !(mode & (S_ISUID | S_ISGID)) && !fs->writeback)
		fi->direct_io = 1;
	reply_created(req, fs, inode, &e, fi, fd);
}

/* Give 'inode' its new name; returns the old parent to unref. Caller holds tree_lock (write). */
static struct inode *relink(struct inode *inode, struct inode *parent, char *name)
{
	struct inode *old = inode->parent;

	inode->parent = parent;
	free(inode->name);
	inode->name = name;
	return old;
}

/* An O_TMPFILE file linked into 'parent' as 'name' is found by it from now on. */
static void name_tmpfile(struct fs *fs, struct inode *inode, struct inode *parent, const char *name)
{
	char *copy = strdup(name);
	struct inode *old;

	if (!copy)
		return; /* it stays reachable by its fd */
	inode_ref(parent);
	pthread_rwlock_wrlock(&fs->tree_lock);
	old = relink(inode, parent, copy);
	inode->unlinked = false;
	pthread_rwlock_unlock(&fs->tree_lock);
	if (old)
		inode_unref(fs, old, 1);
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent_id, const char *name)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino), *parent = inode_from_id(fs, parent_id);
	char path[PROC_FD_PATH_MAX];
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	int dirfd, r = 0;

	if (inode->type == S_IFDIR)
		r = -EPERM;
	else if (inode->bind != parent->bind)
		r = -EXDEV;
	if (r == 0)
		r = access_inode(fs, who, parent, W_OK | X_OK);
	if (r == 0)
		r = access_link(fs, who, inode);
	if (r == 0)
		r = copy_up(fs, inode, true);
	if (r == 0)
		r = prepare_create(fs, who, parent, name, &dirfd);
	if (r == 0) {
		proc_fd_path(path, inode_fd(inode));
		if (linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
			r = -errno;
	}
	/*
	 * Only an O_TMPFILE file is linked without a name: the kernel refuses
	 * other files with no link left, and copy_up a lower one a whiteout hid.
	 */
	if (r == 0 && inode->unlinked)
		name_tmpfile(fs, inode, parent, name);
	else if (r == 0)
		inode_linked(fs, inode, parent, name);
	if (r < 0) {
		dir_listing_invalidate(parent); /* a whiteout may have gone */
		fuse_reply_err(req, -r);
	} else {
		reply_new_entry(req, fs, parent, name);
	}
}

/* Does this merged directory have a part in a layer below the writable one? */
static bool has_lower_part(struct fs *fs, struct inode *dir)
{
	if (!dir->dir_fds)
		return false;
	for (int l = 0; l < fs->n_layers; l++)
		if (l != fs->upper && inode_dir_fd(dir, l) >= 0)
			return true;
	return false;
}

/*
 * The kernel removes an empty directory whatever its mode; the view reads it
 * first (is it empty in every layer, whiteouts to clear). A writable part of
 * the daemon's own it may not read or search (mode 0 made by the invoking
 * user) gets its owner's bits for the removal, put back if the removal fails.
 * Returns the mode to put back with S_IFDIR, or 0.
 */
static mode_t open_up_for_removal(struct fs *fs, struct inode *dir)
{
	int fd = fs->upper >= 0 ? inode_dir_fd(dir, fs->upper) : -1;
	char path[PROC_FD_PATH_MAX];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IRUSR | S_IXUSR)) == (S_IRUSR | S_IXUSR))
		return 0;
	proc_fd_path(path, fd);
	return chmod(path, (st.st_mode & 07777) | S_IRWXU) == 0 ? S_IFDIR | (st.st_mode & 07777) : 0;
}

/*
 * Is the directory empty in every layer, for its removal (rmdir, a rename
 * onto it)? 0 or -ENOTEMPTY; *restore: what open_up_for_removal returned.
 */
static int empty_for_removal(struct fs *fs, struct inode *dir, mode_t *restore)
{
	*restore = open_up_for_removal(fs, dir);
	return union_dir_is_empty(fs, dir) == 1 ? 0 : -ENOTEMPTY;
}

/* The mode open_up_for_removal returned, when the removal failed. */
static void put_back_mode(struct fs *fs, struct inode *dir, mode_t restore)
{
	char path[PROC_FD_PATH_MAX];

	proc_fd_path(path, inode_dir_fd(dir, fs->upper));
	chmod(path, restore & 07777);
}

static int remove_entry(struct fs *fs, const struct credentials_slot *who, struct inode *parent,
			const char *name, bool dir)
{
	struct inode *child;
	bool below, made_whiteout = false;
	mode_t restore = 0;
	int dirfd, r;

	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (vnode_child(parent, name))
		return -EBUSY;
	r = fs_lookup_child(fs, parent, name, &child);
	if (r < 0)
		return r;
	if (dir && child->type != S_IFDIR)
		r = -ENOTDIR;
	else if (!dir && child->type == S_IFDIR)
		r = -EISDIR;
	else if (dir && child->vnode && child->vnode->children)
		r = -EBUSY;
	if (r == 0)
		r = access_may_delete(fs, who, parent, child);
	if (r == 0 && dir && in_union(fs, parent))
		r = empty_for_removal(fs, child, &restore);
	if (r == 0)
		r = writable_dir_fd(fs, parent, &dirfd);
	if (r < 0)
		goto out;
	below = union_name_below(fs, parent, name);
	if (below) {
		/* Whiteout first: the lower entry must never show through. */
		r = union_make_whiteout(dirfd, name);
		if (r < 0)
			goto out;
		made_whiteout = true;
	}
	if (inode_is_upper(fs, child) || !below) {
		if (dir && in_union(fs, parent) && inode_dir_fd(child, fs->upper) >= 0)
			r = union_clear_dir(inode_dir_fd(child, fs->upper));
		/* It may still be open or have other names: reach it without this one. */
		if (r == 0)
			inode_pin_fd(fs, child, parent, name);
		if (r == 0 && unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) < 0)
			r = -errno;
		if (r == 0)
			meta_unlinked(fs, child);
		if (r < 0 && made_whiteout) {
			char wh[256];

			if (format_whiteout_name(name, wh, sizeof(wh)) == 0)
				unlinkat(dirfd, wh, 0);
		}
	} else {
		/* Only the whiteout hides it: an open file of it now has no name. */
		child->unlinked = true;
	}
out:
	if (restore && r < 0)
		put_back_mode(fs, child, restore);
	inode_unref(fs, child, 1);
	return r;
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent_id, const char *name)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id);
	struct credentials_slot buf;
	int r = remove_entry(fs, caller_of(fs, req, &buf), parent, name, false);

	dir_listing_invalidate(parent);
	fuse_reply_err(req, -r);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent_id, const char *name)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id);
	struct credentials_slot buf;
	int r = remove_entry(fs, caller_of(fs, req, &buf), parent, name, true);

	dir_listing_invalidate(parent);
	fuse_reply_err(req, -r);
}

/*
 * Rename and update the names in one step under the tree lock: non-directories
 * are reopened by name (inode_fd), which must never see the old name gone or
 * taken by the other object of an exchange.
 */
static int rename_and_relink(struct fs *fs, int olddir, struct inode *src, struct inode *parent,
			     const char *name, int newdir, struct inode *dst,
			     struct inode *newparent, const char *newname, bool exchange)
{
	char *src_name = strdup(newname), *dst_name = exchange ? strdup(name) : NULL;
	struct inode *old_src = NULL, *old_dst = NULL;
	int r = 0;

	if (!src_name || (exchange && !dst_name)) {
		free(src_name);
		free(dst_name);
		return -ENOMEM;
	}
	if (dst && !exchange)
		inode_pin_fd(fs, dst, newparent, newname);
	inode_ref(newparent);
	if (exchange)
		inode_ref(parent);
	pthread_rwlock_wrlock(&fs->tree_lock);
	if (renameat2(olddir, name, newdir, newname, exchange ? RENAME_EXCHANGE : 0) < 0) {
		r = -errno;
	} else {
		old_src = relink(src, newparent, src_name);
		if (exchange)
			old_dst = relink(dst, parent, dst_name);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0) {
		free(src_name);
		free(dst_name);
		old_src = newparent;
		old_dst = exchange ? parent : NULL;
	}
	if (old_src)
		inode_unref(fs, old_src, 1);
	if (old_dst)
		inode_unref(fs, old_dst, 1);
	return r;
}

static int opaque_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = union_make_opaque(fd);
	close(fd);
	return r;
}

static int do_rename(struct fs *fs, const struct credentials_slot *who, struct inode *parent,
		     const char *name, struct inode *newparent, const char *newname, unsigned flags)
{
	bool exchange = flags & RENAME_EXCHANGE, uni = in_union(fs, parent);
	bool src_below, dst_below;
	struct inode *src = NULL, *dst = NULL;
	mode_t restore = 0;
	int olddir, newdir, r;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (strlen(name) > 255 || strlen(newname) > 255)
		return -ENAMETOOLONG;
	if (vnode_child(parent, name) || vnode_child(newparent, newname))
		return -EBUSY;
	if (parent->bind != newparent->bind)
		return -EXDEV;
	if (uni && format_is_whiteout_name(newname))
		return -EINVAL;
	if (meta_reserved_name(fs, newparent, newname))
		return -EPERM;
	r = fs_lookup_child(fs, parent, name, &src);
	if (r < 0)
		return r;
	r = fs_lookup_child(fs, newparent, newname, &dst);
	if (r == -ENOENT && !exchange)
		r = 0;
	if (r < 0)
		goto out;
	if (dst == src)
		goto out; /* two names of one file: rename(2) does nothing */
	if ((flags & RENAME_NOREPLACE) && dst) {
		r = -EEXIST;
		goto out;
	}
	/* The kernel's may_delete for both names (may_create where none is), and a
	 * directory moving to another parent needs to write its "..". */
	r = access_may_delete(fs, who, parent, src);
	if (r == 0)
		r = dst ? access_may_delete(fs, who, newparent, dst)
			: access_inode(fs, who, newparent, W_OK | X_OK);
	if (r == 0 && parent != newparent && src->type == S_IFDIR)
		r = access_inode(fs, who, src, W_OK);
	if (r == 0 && exchange && parent != newparent && dst->type == S_IFDIR)
		r = access_inode(fs, who, dst, W_OK);
	if (r < 0)
		goto out;
	if (dst && !exchange) {
		if (src->type == S_IFDIR && dst->type != S_IFDIR)
			r = -ENOTDIR;
		else if (src->type != S_IFDIR && dst->type == S_IFDIR)
			r = -EISDIR;
		else if (dst->type == S_IFDIR && uni)
			r = empty_for_removal(fs, dst, &restore);
		if (r < 0)
			goto out;
	}
	/* Like overlayfs without redirect_dir: merged directories do not move (mv copies). */
	if (uni && (has_lower_part(fs, src) || (exchange && has_lower_part(fs, dst)))) {
		r = -EXDEV;
		goto out;
	}
	r = copy_up(fs, src, true);
	if (r == 0 && exchange)
		r = copy_up(fs, dst, true);
	if (r == 0)
		r = writable_dir_fd(fs, parent, &olddir);
	if (r == 0)
		r = writable_dir_fd(fs, newparent, &newdir);
	if (r < 0)
		goto out;
	src_below = union_name_below(fs, parent, name);
	dst_below = union_name_below(fs, newparent, newname);
	if (uni && !exchange) {
		if (dst && dst->type == S_IFDIR && inode_dir_fd(dst, fs->upper) >= 0)
			r = union_clear_dir(inode_dir_fd(dst, fs->upper));
		if (r == 0)
			r = union_remove_whiteout(newdir, newname) < 0 ? -EIO : 0;
		if (r < 0)
			goto out;
	}
	r = rename_and_relink(fs, olddir, src, parent, name, newdir, dst, newparent, newname,
			      exchange);
	if (r < 0)
		goto out;
	if (uni && !exchange && src_below)
		r = union_make_whiteout(olddir, name);
	if (r == 0 && uni && src->type == S_IFDIR && dst_below)
		r = opaque_at(newdir, newname);
	if (r == 0 && uni && exchange && dst->type == S_IFDIR && src_below)
		r = opaque_at(olddir, name);
	if (dst && !exchange && !inode_is_upper(fs, dst))
		dst->unlinked = true;
	else if (dst && !exchange)
		meta_unlinked(fs, dst);
out:
	if (restore && r < 0)
		put_back_mode(fs, dst, restore);
	if (src)
		inode_unref(fs, src, 1);
	if (dst)
		inode_unref(fs, dst, 1);
	return r;
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fs *fs = req_fs(req);
	struct inode *from = inode_from_id(fs, parent), *to = inode_from_id(fs, newparent);
	struct credentials_slot buf;
	int r = do_rename(fs, caller_of(fs, req, &buf), from, name, to, newname, flags);

	/*
	 * The kernel moves the cached dentry with its timeout: drop it when it
	 * lands in a guarded directory (fs_dir_guarded). After the reply: the
	 * invalidation waits for the directory lock the rename holds till then,
	 * on the invalidation thread (inval.c).
	 */
	bool guarded = r == 0 && fs_dir_guarded(fs, to);

	dir_listing_invalidate(from);
	dir_listing_invalidate(to);
	fuse_reply_err(req, -r);
	if (guarded)
		inval_entry_later(fs, newparent, newname);
}

void fill_dir_ops(struct fuse_lowlevel_ops *ops)
{
	ops->mknod = fs_mknod;
	ops->mkdir = fs_mkdir;
	ops->symlink = fs_symlink;
	ops->create = fs_create;
	ops->link = fs_link;
	ops->unlink = fs_unlink;
	ops->rmdir = fs_rmdir;
	ops->rename = fs_rename;
}
