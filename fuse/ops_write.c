/* SPDX-License-Identifier: MIT */
/*
 * Changing existing objects: open for writing, write, truncate, chmod,
 * chown, utimes, xattrs, fsync. Every change copies the object up first.
 * Under --fake-root, chown and chmod from any caller succeed into fake
 * metadata (metadata.c); otherwise they are real and the kernel judges them
 * with the daemon's (= the caller's) uid.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Serialises the daemon's passing mode changes (reopen_judged) with each other and with chmod. */
static pthread_mutex_t judged_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The open was judged when the guest made it, maybe long ago: a file created
 * read-only (git's objects: O_CREAT | O_EXCL, mode 0444) or made so since is
 * still read and written through the fd open(2) returned. Without handles
 * each request reopens the backing file, which its mode may now refuse the
 * daemon: its owner's bits are added for the reopen, then put back. Only in
 * the writable layer (lower layers are never changed, not even their modes),
 * and the kernel must not keep the attributes a GETATTR saw meanwhile.
 */
static int reopen_judged(struct fs *fs, struct inode *inode, int flags)
{
	char path[INODE_PATH_MAX];
	struct stat st;
	mode_t add = (flags & O_ACCMODE) == O_RDONLY   ? S_IRUSR
		     : (flags & O_ACCMODE) == O_WRONLY ? S_IWUSR
						       : S_IRUSR | S_IWUSR;
	bool changed = false;
	int fd = -1, err = EACCES;

	if (!inode_is_upper(fs, inode)) {
		errno = EACCES;
		return -1;
	}
	pthread_mutex_lock(&judged_lock);
	inode_path_begin(inode, path);
	if (path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    chmod(path, (st.st_mode & 07777) | add) == 0) {
		changed = true;
		fd = open(path, flags | O_CLOEXEC);
		err = errno;
		chmod(path, st.st_mode & 07777);
	}
	inode_path_end();
	pthread_mutex_unlock(&judged_lock);
	if (changed)
		fuse_lowlevel_notify_inval_inode(fs->se, inode_id(fs, inode), -1, 0);
	errno = err;
	return fd;
}

/*
 * The fd a request about an open file works on: its handle, or without one
 * (fs->no_open) the backing object opened for this request alone, copied up
 * first for writing. *opened: the caller closes it.
 */
int file_fd(struct fs *fs, struct inode *inode, struct fuse_file_info *fi, int flags, bool *opened)
{
	int fd, r;

	*opened = false;
	if (fi && fi->fh)
		return (int)fi->fh;
	if (inode_synthetic(inode))
		return inode->type == S_IFDIR ? -EISDIR : -ELOOP;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		if (!fs_inode_writable(fs, inode))
			return -EROFS;
		r = copy_up(fs, inode, true);
		if (r < 0)
			return r;
	}
	fd = inode_open(inode, flags);
	if (fd < 0 && errno == EACCES && fs->no_open)
		fd = reopen_judged(fs, inode, flags);
	if (fd < 0)
		return -errno;
	*opened = true;
	return fd;
}

static void drop_set_ids(struct fs *fs, fuse_req_t req, struct inode *inode);

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	struct credentials_slot who;
	int fd, r, flags;

	if (inode_synthetic(inode)) {
		fuse_reply_err(req, inode->type == S_IFDIR ? EISDIR : ELOOP);
		return;
	}
	if (fs->no_open) {
		/* The kernel remembers this: no OPEN, RELEASE nor FLUSH from now on. */
		fuse_reply_err(req, ENOSYS);
		return;
	}
	const struct credentials_slot *caller = caller_of(fs, req, &who);
	r = access_inode(fs, caller, inode,
			 ((fi->flags & O_ACCMODE) != O_WRONLY ? R_OK : 0) | (writing ? W_OK : 0));
	/* The loader-shim mapping a program it may execute, as the kernel reads it. */
	if (r == -EACCES && !writing && (caller->caps & CRED_EXEC_LOADING) &&
	    inode->type == S_IFREG && access_inode(fs, caller, inode, X_OK) == 0)
		r = 0;
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (writing) {
		if (!fs_inode_writable(fs, inode)) {
			fuse_reply_err(req, EROFS);
			return;
		}
		/* O_TRUNC: no point in copying data that is about to go. */
		r = copy_up(fs, inode, !(fi->flags & O_TRUNC));
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT);
	fd = inode_open(inode, backing_open_flags(fs, flags));
	if (fd < 0 && errno == EACCES && backing_open_flags(fs, flags) != flags)
		fd = inode_open(inode, flags & ~O_APPEND); /* a write-only file: no read-around then */
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	/* An atomic O_TRUNC is a truncate the kernel sends no SETATTR for. */
	if ((fi->flags & O_TRUNC) && writing)
		drop_set_ids(fs, req, inode);
	fi->fh = (uint64_t)fd;
	/* File contents change only through us: keep the page cache across opens. */
	fi->keep_cache = !inode->bind;
	fi->noflush = fs_noflush(fs);
	if (fuse_reply_open(req, fi) == -ENOENT)
		close(fd);
}

static void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
			 struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	struct inode *inode = inode_from_id(fs, ino);
	bool opened;
	int fd = file_fd(fs, inode, fi, O_WRONLY, &opened);
	ssize_t n;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	drop_set_ids(fs, req, inode);
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = fd;
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in, FUSE_BUF_SPLICE_NONBLOCK);
	if (opened)
		close(fd);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	bool opened;
	int fd = file_fd(fs, inode_from_id(fs, ino), fi, O_RDONLY, &opened), r;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	r = datasync ? fdatasync(fd) : fsync(fd);
	r = r < 0 ? errno : 0;
	if (opened)
		close(fd);
	fuse_reply_err(req, r);
}

static void fs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	char path[PROC_FD_PATH_MAX];
	int fd, r = 0;

	if (!inode_is_upper(fs, inode) || inode_synthetic(inode)) {
		fuse_reply_err(req, 0); /* nothing of ours to flush: lower layers are not written */
		return;
	}
	proc_fd_path(path, inode_fd(inode));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (datasync ? fdatasync(fd) : fsync(fd)) < 0)
		r = errno;
	if (fd >= 0)
		close(fd);
	fuse_reply_err(req, r);
}

static void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	bool opened;
	struct inode *inode = inode_from_id(fs, ino);
	int fd = file_fd(fs, inode, fi, O_WRONLY, &opened), r;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	r = fallocate(fd, mode, off, len) < 0 ? errno : 0;
	if (r == 0)
		drop_set_ids(fs, req, inode);
	if (opened)
		close(fd);
	fuse_reply_err(req, r);
}

/* chown/chmod as fake metadata: start from what the guest sees now. */
static int set_fake_owner_mode(struct fs *fs, struct inode *inode, int valid,
			       const struct stat *attr)
{
	struct override_stat ov;
	struct stat cur;
	int r = fs_stat_inode(fs, inode, &cur);

	if (r < 0)
		return r;
	ov.uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : cur.st_uid;
	ov.gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : cur.st_gid;
	ov.mode = (valid & FUSE_SET_ATTR_MODE) ? (attr->st_mode & 07777) : (cur.st_mode & 07777);
	/* A recorded type (fake device) stays; a real one needs no record. */
	ov.has_type = (cur.st_mode & S_IFMT) != inode->type;
	ov.rdev = cur.st_rdev;
	if (ov.has_type)
		ov.mode |= cur.st_mode & S_IFMT;
	if ((valid & FUSE_SET_ATTR_MODE) && inode->type != S_IFLNK) {
		/* The real bits follow, keeping owner access so the daemon can still serve it. */
		char path[PROC_FD_PATH_MAX];
		mode_t real = (attr->st_mode & 07777) | (inode->type == S_IFDIR ? 0700 : 0600);

		proc_fd_path(path, inode_fd(inode));
		if (chmod(path, real) < 0)
			return -errno;
	}
	return meta_store(fs, inode, &ov);
}

static int set_times(struct fs *fs, struct inode *inode, int valid, const struct stat *attr)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	char path[PROC_FD_PATH_MAX];

	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_ATIME)
		ts[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_MTIME)
		ts[1] = attr->st_mtim;
	if (inode->type == S_IFLNK) {
		/* No way through an O_PATH fd to a symlink: go through its parent. */
		struct inode *parent;
		char *name;
		int dirfd, r;

		pthread_rwlock_rdlock(&fs->tree_lock);
		parent = inode->parent;
		name = inode->name ? strdup(inode->name) : NULL;
		if (parent)
			inode_ref(parent);
		pthread_rwlock_unlock(&fs->tree_lock);
		r = parent && name ? writable_dir_fd(fs, parent, &dirfd) : -EROFS;
		if (r == 0 && utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		free(name);
		if (parent)
			inode_unref(fs, parent, 1);
		return r;
	}
	proc_fd_path(path, inode_fd(inode));
	return utimensat(AT_FDCWD, path, ts, 0) < 0 ? -errno : 0;
}

/* 'handle': the fd of the caller's open file (ftruncate), or -1. */
static int do_setattr(struct fs *fs, struct inode *inode, struct stat *attr, int valid, int handle)
{
	bool truncating = (valid & FUSE_SET_ATTR_SIZE);
	char path[PROC_FD_PATH_MAX];
	int r;

	/* The writeback cache sends ctime-only updates (after rename, say): nothing to keep. */
	if (!(valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MODE |
		       FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		       FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)))
		return 0;
	if (!fs_inode_writable(fs, inode))
		return -EROFS;
	r = copy_up(fs, inode, !(truncating && attr->st_size == 0));
	if (r < 0)
		return r;
	proc_fd_path(path, inode_fd(inode));
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MODE)) {
		pthread_mutex_lock(&judged_lock);
		if (fs->opts->fake_root) {
			r = set_fake_owner_mode(fs, inode, valid, attr);
		} else {
			uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
			gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

			if ((valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
			    fchownat(inode_fd(inode), "", uid, gid,
				     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
				r = -errno;
			if (r == 0 && (valid & FUSE_SET_ATTR_MODE) &&
			    chmod(path, attr->st_mode & 07777) < 0)
				r = -errno;
		}
		pthread_mutex_unlock(&judged_lock);
		if (r < 0)
			return r;
	}
	if (truncating) {
		int fd;

		if (inode->type != S_IFREG)
			return inode->type == S_IFDIR ? -EISDIR : -EINVAL;
		fd = handle >= 0 ? handle : open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno == EACCES && fs->no_open)
			fd = reopen_judged(fs, inode, O_WRONLY); /* ftruncate(2) of a read-only file */
		if (fd < 0)
			return -errno;
		r = ftruncate(fd, attr->st_size) < 0 ? -errno : 0;
		if (fd != handle)
			close(fd);
		if (r < 0)
			return r;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		     FUSE_SET_ATTR_MTIME_NOW))
		return set_times(fs, inode, valid, attr);
	return 0;
}

/*
 * A write or truncate by a caller without CAP_FSETID clears the file's
 * set-user-ID bit, and its set-group-ID bit when group execution is on or the
 * caller is not in the file's group (the kernel's file_remove_privs). The
 * kernel judges by the writer's real capabilities and groups, and sends the
 * change as a SETATTR; the view judges by the fake identity's. Under a daemon
 * that is root the tracees are really root and keep CAP_FSETID whatever their
 * fake identity; and FUSE's own recalculation of the change leaves out the
 * caller's group. The kernel's cached mode is then stale: dropped.
 */
/*
 * 'st''s permission bits once a change by 'who' has cleared its set-id bits:
 * set-user-ID always, set-group-ID when group execution is on, or when 'who'
 * is neither in the file's group nor holds CAP_FSETID (the kernel's
 * setattr_should_drop_sgid).
 */
static mode_t without_set_ids(const struct stat *st, const struct credentials_slot *who)
{
	mode_t mode = st->st_mode & 07777 & ~(mode_t)S_ISUID;

	if ((st->st_mode & S_ISGID) &&
	    ((st->st_mode & S_IXGRP) ||
	     (who && !(who->caps & CRED_FSETID) && !credentials_in_group(who, st->st_gid))))
		mode &= ~(mode_t)S_ISGID;
	return mode;
}

static void drop_set_ids(struct fs *fs, fuse_req_t req, struct inode *inode)
{
	struct credentials_slot buf;
	const struct credentials_slot *who;
	struct stat st, attr;

	if (!fs->credentials || inode->type != S_IFREG)
		return;
	who = caller_of(fs, req, &buf);
	if (!who || (who->caps & CRED_FSETID) || fs_stat_inode(fs, inode, &st) < 0)
		return;
	attr.st_mode = without_set_ids(&st, who);
	if (attr.st_mode != (st.st_mode & 07777) &&
	    do_setattr(fs, inode, &attr, FUSE_SET_ATTR_MODE, -1) == 0)
		fuse_lowlevel_notify_inval_inode(fs->se, inode_id(fs, inode), -1, 0);
}

/*
 * A chown of anything but a directory clears its set-user-ID bit, and its
 * set-group-ID bit as a write would (chown_common, setattr_should_drop_sgid).
 * The backing filesystem does it for a real owner; for a fake one the kernel
 * leaves it to us (HANDLE_KILLPRIV_V2, killpriv.c): the mode joins the change.
 */
static int chown_drops_set_ids(struct fs *fs, fuse_req_t req, struct inode *inode, int valid,
			       struct stat *attr)
{
	struct credentials_slot buf;
	struct stat st;
	mode_t mode;

	if (!fs->opts->fake_root || !(valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) ||
	    (valid & FUSE_SET_ATTR_MODE) || inode->type == S_IFDIR ||
	    fs_stat_inode(fs, inode, &st) < 0)
		return valid;
	mode = without_set_ids(&st, caller_of(fs, req, &buf));
	if (mode == (st.st_mode & 07777))
		return valid;
	attr->st_mode = (st.st_mode & S_IFMT) | mode;
	return valid | FUSE_SET_ATTR_MODE;
}

/* inval_children on the invalidation thread: it waits for the directory's lock. */
struct inval_job {
	struct fs *fs;
	struct inode *dir;
};

static void run_inval(void *arg)
{
	struct inval_job *job = arg;

	inval_children(job->fs, job->dir);
	inode_unref(job->fs, job->dir, 1);
	free(job);
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
		       struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	struct stat st;
	struct credentials_slot who;
	struct inval_job *job = NULL;
	bool dir_mode = (valid & FUSE_SET_ATTR_MODE) && inode->type == S_IFDIR &&
			(fs->credentials || fs->judge_as_caller);
	bool was_guarded = dir_mode && fs_dir_guarded(fs, inode);
	int r = access_setattr(fs, caller_of(fs, req, &who), inode, valid, attr, fi != NULL);

	if (r == 0)
		valid = chown_drops_set_ids(fs, req, inode, valid, attr);
	if (r == 0)
		r = do_setattr(fs, inode, attr, valid, fi && fi->fh ? (int)fi->fh : -1);
	if (r == 0 && (valid & FUSE_SET_ATTR_SIZE))
		drop_set_ids(fs, req, inode);

	if (r == 0)
		r = fs_stat_inode(fs, inode, &st);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* A directory someone may no longer search: its cached names must come back to us. */
	if (dir_mode && !was_guarded && (st.st_mode & 0111) != 0111 &&
	    (job = malloc(sizeof(*job))) != NULL) {
		inode_ref(inode);
		*job = (struct inval_job){fs, inode};
	}
	fuse_reply_attr(req, &st, attr_timeout_of(fs, inode, &st));
	if (job && !inval_defer(run_inval, job))
		run_inval(job);
}

static int prepare_xattr_change(struct fs *fs, struct inode *inode, const char *name, char *path)
{
	int r;

	if (format_xattr_is_unsupported(name))
		return -EOPNOTSUPP;
	if (format_xattr_is_private(name))
		return -EPERM;
	if (inode->type != S_IFREG && inode->type != S_IFDIR)
		return -EPERM; /* what the kernel says for user.* on other types */
	if (!fs_inode_writable(fs, inode))
		return -EROFS;
	r = copy_up(fs, inode, true);
	if (r < 0)
		return r;
	proc_fd_path(path, inode_fd(inode));
	return 0;
}

/*
 * Under --fake-root the tracer may set the fake metadata record itself: the
 * kernel refuses mknod of a device to an unprivileged caller before we see
 * it, so the tracer creates a regular file and records the device on it.
 */
static int set_override_record(struct fs *fs, const struct credentials_slot *who,
			       struct inode *inode, const char *value, size_t size)
{
	struct override_stat ov;
	struct inode *parent;
	char *name;
	int r;

	if (!fs->opts->fake_root || who)
		return -EPERM; /* the tracer's, not the guest's */
	if (format_override_decode(value, size, &ov) < 0)
		return -EINVAL;
	if (inode->type != S_IFREG && inode->type != S_IFDIR)
		return -EPERM;
	if (ov.has_type && (ov.mode & S_IFMT) != inode->type && inode->type != S_IFREG)
		return -EINVAL; /* only a regular file can stand in for another type */
	if (!fs_inode_writable(fs, inode))
		return -EROFS;
	r = copy_up(fs, inode, true);
	if (r == 0)
		r = meta_store(fs, inode, &ov);
	if (r < 0 || !ov.has_type || (ov.mode & S_IFMT) == inode->type)
		return r;
	/*
	 * The kernel cannot change an inode's type: drop the dentry before we
	 * reply (the caller's next stat must not meet the old inode), so the next
	 * lookup makes a new inode. The caller holds only the file's lock, not
	 * the parent's that the invalidation takes.
	 */
	pthread_rwlock_rdlock(&fs->tree_lock);
	parent = inode->parent;
	if (parent)
		inode_ref(parent);
	name = inode->name ? strdup(inode->name) : NULL;
	pthread_rwlock_unlock(&fs->tree_lock);
	if (parent && name)
		fuse_lowlevel_notify_inval_entry(fs->se, inode_id(fs, parent), name, strlen(name));
	free(name);
	if (parent)
		inode_unref(fs, parent, 1);
	return 0;
}

static void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	char path[PROC_FD_PATH_MAX];
	struct credentials_slot buf;
	const struct credentials_slot *who = caller_of(fs, req, &buf);
	int r;

	if (strcmp(name, OVERRIDE_XATTR) == 0) {
		fuse_reply_err(req, -set_override_record(fs, who, inode, value, size));
		return;
	}
	char stored[XATTR_NAME_MAX + 1];
	r = access_xattr(fs, who, inode, name, W_OK);
	if (r == 0)
		r = prepare_xattr_change(fs, inode, name, path);
	if (r == 0 && setxattr(path, format_xattr_stored(name, stored, sizeof(stored)), value, size,
			       flags) < 0)
		r = -errno;
	if (r == 0)
		meta_forget(fs, inode);
	fuse_reply_err(req, -r);
}

static void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs *fs = req_fs(req);
	char path[PROC_FD_PATH_MAX];
	struct inode *inode = inode_from_id(fs, ino);
	struct credentials_slot who;
	int r = access_xattr(fs, caller_of(fs, req, &who), inode, name, W_OK);

	if (r == 0)
		r = prepare_xattr_change(fs, inode, name, path);

	char stored[XATTR_NAME_MAX + 1];
	const char *backing = format_xattr_stored(name, stored, sizeof(stored));
	if (r == 0 && removexattr(path, backing) < 0 &&
	    (errno != ENODATA || backing == name || removexattr(path, name) < 0))
		r = -errno;
	if (r == 0)
		meta_forget(fs, inode);
	fuse_reply_err(req, -r);
}

void fill_write_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = fs_open;
	ops->write_buf = fs_write_buf;
	ops->fsync = fs_fsync;
	ops->fsyncdir = fs_fsyncdir;
	ops->fallocate = fs_fallocate;
	ops->setattr = fs_setattr;
	ops->setxattr = fs_setxattr;
	ops->removexattr = fs_removexattr;
}
