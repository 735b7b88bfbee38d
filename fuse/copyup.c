/* SPDX-License-Identifier: MIT */
/*
 * Copy-up: before the first change to an object of a lower layer, copy it
 * (data, permission bits, xattrs, times, and its owner as fake metadata when
 * we cannot chown) into the writable layer, parents first. Lower layers are
 * never written. Each inode's copy-up runs under its own lock; parents are
 * copied before the child's lock is taken, so locks nest only upwards.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"

bool inode_is_upper(struct fs *fs, struct inode *inode)
{
	if (inode->bind)
		return true;
	return fs->upper >= 0 && inode->layer == fs->upper;
}

static bool is_layer_private_xattr(const char *name)
{
	/* overlay markers describe the lower layer's own merge, not the copy */
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

/* Copy what xattrs we are allowed to set; the others (trusted.*, security.*) stay behind. */
static int copy_xattrs(const char *src, const char *dst)
{
	char *list = NULL, *value = NULL;
	ssize_t n, vn;
	int r = 0;

	n = listxattr(src, NULL, 0);
	if (n <= 0)
		return 0;
	list = malloc((size_t)n);
	value = malloc(65536);
	if (!list || !value) {
		r = -ENOMEM;
		goto out;
	}
	n = listxattr(src, list, (size_t)n);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
		const char *name = list + i;

		if (is_layer_private_xattr(name))
			continue;
		vn = getxattr(src, name, value, 65536);
		if (vn < 0)
			continue;
		if (setxattr(dst, name, value, (size_t)vn, 0) < 0 && errno != EPERM &&
		    errno != ENOTSUP && errno != EACCES) {
			r = -errno;
			break;
		}
	}
out:
	free(list);
	free(value);
	return r;
}

static int copy_data(int in, int out)
{
	char *buf = NULL;

	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return -errno;
	/* Different filesystems on old kernels, or one that cannot: copy by hand. */
	buf = malloc(1 << 17);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(in, buf, 1 << 17), w;

		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : 0;
		}
		for (ssize_t off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				free(buf);
				return -errno;
			}
		}
	}
}

/*
 * Ownership: keep the lower object's owner. chown works when we are root;
 * otherwise a differing owner becomes fake metadata (unless the object
 * already carries some, which copy_xattrs has copied).
 */
static int copy_owner(struct fs *fs, int dirfd, const char *name, const struct stat *st,
		      bool had_override)
{
	struct override_stat ov = {
	    .uid = st->st_uid, .gid = st->st_gid, .mode = st->st_mode & 07777};
	int r;

	if (had_override || (st->st_uid == fs->uid && st->st_gid == fs->gid))
		return 0;
	if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0; /* no xattrs there: such an object shows our own uid */
	r = meta_store_xattr_at(dirfd, name, &ov);
	return r == -ENOTSUP ? 0 : r;
}

static int create_copy(struct fs *fs, int src_fd, const struct stat *st, bool had_override,
		       int dirfd, const char *name, bool with_data)
{
	char src_path[PROC_FD_PATH_MAX], dst_path[PROC_FD_PATH_MAX];
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	mode_t perm = st->st_mode & 07777;
	int in = -1, out = -1, r = 0;

	proc_fd_path(src_path, src_fd);
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		/*
		 * Nothing to read: an empty file (a lock file we may not read, say) or
		 * one about to be truncated needs no open of the lower one.
		 */
		if (with_data && st->st_size > 0) {
			in = open(src_path, O_RDONLY | O_CLOEXEC);
			if (in < 0)
				return -errno;
		}
		/* Owner rw while we fill it; the real bits are set below. */
		out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0) {
			r = -errno;
			if (in >= 0)
				close(in);
			return r; /* not ours to remove if it exists */
		}
		if (in >= 0)
			r = copy_data(in, out);
		break;
	case S_IFDIR:
		if (mkdirat(dirfd, name, 0700) < 0)
			return -errno;
		out = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return -errno;
		break;
	case S_IFLNK: {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(src_fd, "", target, PATH_MAX);

		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, dirfd, name) < 0)
			return -errno;
		if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return copy_owner(fs, dirfd, name, st, true);
	}
	default:
		/* fifo, socket: unprivileged mknod works. Devices: recorded, not created. */
		if (mknodat(dirfd, name, st->st_mode, st->st_rdev) == 0)
			break;
		if (errno != EPERM)
			return -errno;
		out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0)
			return -errno;
		if (!had_override) {
			struct override_stat ov = {.uid = st->st_uid,
						   .gid = st->st_gid,
						   .mode = st->st_mode,
						   .has_type = true,
						   .rdev = st->st_rdev};

			r = meta_store_xattr_at(dirfd, name, &ov);
			had_override = true;
		}
		break;
	}
	if (r == 0 && out >= 0) {
		proc_fd_path(dst_path, out);
		r = copy_xattrs(src_path, dst_path);
		if (r == 0 && fchmod(out, S_ISDIR(st->st_mode) ? perm | 0700 : perm) < 0)
			r = -errno;
	}
	if (r == 0)
		r = copy_owner(fs, dirfd, name, st, had_override);
	if (r == 0 && out >= 0 && futimens(out, times) < 0)
		r = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (r < 0) {
		/* Leave no half copy: the lower object stays the visible one. */
		unlinkat(dirfd, name, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0);
		log_debug("copy-up of %s failed: %s", name, strerror(-r));
	}
	return r;
}

int copy_up(struct fs *fs, struct inode *inode, bool with_data)
{
	struct inode *parent;
	char *name = NULL;
	struct override_stat store_ov;
	bool had_override, from_store;
	struct stat st;
	int dirfd, fd, src, r = 0;

	if (inode_is_upper(fs, inode))
		return inode->bind && inode->bind->readonly ? -EROFS : 0;
	/* Its name now belongs to a whiteout or another file: copying would resurrect it. */
	if (inode->unlinked)
		return -ENOENT;
	if (fs->upper < 0 || inode_synthetic(inode))
		return -EROFS;
	pthread_rwlock_rdlock(&fs->tree_lock);
	parent = inode->parent;
	if (parent)
		inode_ref(parent);
	name = inode->name ? strdup(inode->name) : NULL;
	pthread_rwlock_unlock(&fs->tree_lock);
	if (!parent || !name) {
		r = parent ? -ENOMEM : -EROFS;
		goto out;
	}
	r = writable_dir_fd(fs, parent, &dirfd);
	if (r < 0)
		goto out;

	/* Before taking the lock: meta_get takes it too. */
	had_override = meta_get(fs, inode, NULL);
	/* A lower layer's side store has no xattr to copy: the copy gets the record as one. */
	from_store = meta_get_from_store(fs, inode, &store_ov);
	pthread_mutex_lock(&inode->lock);
	if (inode->layer == fs->upper)
		goto unlock; /* another thread won */
	src = inode_fd(inode);
	if (src < 0 || fstatat(src, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		goto unlock;
	}
	r = create_copy(fs, src, &st, had_override, dirfd, name, with_data);
	if (r == 0 && from_store && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		r = meta_store_xattr_at(dirfd, name, &store_ov);
		if (r == -ENOTSUP)
			r = 0;
		if (r < 0)
			unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
	}
	if (r < 0)
		goto unlock;
	/* The copy may carry a record the lower one had none of (an owner we could not give it). */
	inode->override_state = OVERRIDE_UNKNOWN;
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		goto unlock;
	}
	if (inode->type != S_IFDIR) {
		/*
		 * The type is the backing object's: a device copied up is a regular
		 * file with the device recorded on it (create_copy), as after mknod.
		 */
		inode->type = st.st_mode & S_IFMT;
		/* Reopened by name from now on (inode_fd): the fds taken of the lower one go. */
		close(fd);
		__atomic_store_n(&inode->layer, fs->upper, __ATOMIC_RELEASE);
		inode_fds_changed();
		/* Before the lock goes: a lookup may judge the inode by its layer and key. */
		inode_rekey(fs, inode, st.st_dev, st.st_ino);
		pthread_mutex_unlock(&inode->lock);
		goto out;
	}
	if (inode->dir_fds) {
		int top = dup(fd);

		if (top < 0) {
			r = -errno;
			close(fd);
			goto unlock;
		}
		__atomic_store_n(&inode->dir_fds[fs->upper], fd, __ATOMIC_RELEASE);
		fd = top;
	}
	inode->lower_fd = inode->fd;
	__atomic_store_n(&inode->fd, fd, __ATOMIC_RELEASE);
	__atomic_store_n(&inode->layer, fs->upper, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&inode->lock);
	inode_rekey(fs, inode, st.st_dev, st.st_ino);
	goto out;
unlock:
	pthread_mutex_unlock(&inode->lock);
out:
	if (parent)
		inode_unref(fs, parent, 1);
	free(name);
	return r;
}

int writable_dir_fd(struct fs *fs, struct inode *dir, int *out)
{
	int r;

	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (dir->bind) {
		if (dir->bind->readonly || inode_own_fd(dir) < 0)
			return -EROFS;
		*out = inode_own_fd(dir);
		return 0;
	}
	if (fs->upper < 0 || inode_synthetic(dir))
		return -EROFS;
	r = copy_up(fs, dir, true);
	if (r < 0)
		return r;
	*out = inode_dir_fd(dir, fs->upper);
	return *out >= 0 ? 0 : -EROFS;
}
