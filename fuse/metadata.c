/* SPDX-License-Identifier: MIT */
/*
 * Fake metadata: ownership, permission bits and file type that the backing
 * file cannot carry (we are not root), kept in the containers/storage format
 * as the xattr user.containers.override_stat on the object itself, and
 * cached in the inode so a stat costs no extra syscall after the first.
 *
 * user.* xattrs exist only on regular files and directories (the kernel
 * refuses them elsewhere), which is why fake device nodes and fifos are
 * stored as regular files with a type in the record. A symlink's fake owner
 * lives in the cache only (it does not survive a remount).
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"

static bool xattr_capable_type(mode_t type)
{
	return type == S_IFREG || type == S_IFDIR;
}

/* Read the record named 'name' into the cache. */
static ssize_t read_record(const char *path, const char *name, struct inode *inode)
{
	char value[128];
	ssize_t n = getxattr(path, name, value, sizeof(value));

	if (n < 0)
		return n;
	if (format_override_decode(value, (size_t)n, &inode->override) < 0) {
		log_warn("ignoring a malformed %s on inode %llu", name,
			 (unsigned long long)inode->key_ino);
		return 0;
	}
	inode->override_state = OVERRIDE_PRESENT;
	return n;
}

/*
 * One listxattr tells both whether the object carries a record and whether it
 * has any xattr the guest sees: most have none, and then getxattr and
 * listxattr are answered without touching the disk.
 */
static void load_locked(struct inode *inode)
{
	char path[INODE_PATH_MAX], names[512];
	bool has_new = false, has_old = false;
	ssize_t len, n = 0;
	int err = 0;

	inode->override_state = OVERRIDE_NONE;
	inode->guest_xattrs = false;
	if (!xattr_capable_type(inode->type) || inode_synthetic(inode))
		return;
	inode_path_begin(inode, path);
	len = listxattr(path, names, sizeof(names));
	if (len < 0 && errno == ERANGE) {
		/* A long list: some are the guest's, and ours may be among them. */
		inode->guest_xattrs = true;
		has_new = has_old = true;
	} else if (len < 0) {
		err = errno;
	}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;

		if (strcmp(name, OVERRIDE_XATTR) == 0)
			has_new = true;
		else if (strcmp(name, OVERRIDE_XATTR_OLD) == 0)
			has_old = true;
		else if (!format_xattr_is_private(name) && !format_xattr_is_unsupported(name))
			inode->guest_xattrs = true;
	}
	if (has_new)
		n = read_record(path, OVERRIDE_XATTR, inode);
	if (has_old && (!has_new || (n < 0 && errno == ENODATA)))
		n = read_record(path, OVERRIDE_XATTR_OLD, inode);
	if (n < 0 && errno != ENODATA)
		err = errno;
	inode_path_end();
	if (err == ENOENT || err == EMFILE || err == ENOMEM)
		inode->override_state = OVERRIDE_UNKNOWN; /* not an answer: try again next time */
}

bool meta_may_have_xattrs(struct fs *fs, struct inode *inode)
{
	bool maybe;

	if (inode->bind)
		return true; /* the host may add some behind our back */
	pthread_mutex_lock(&inode->lock);
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(inode);
	maybe = inode->override_state == OVERRIDE_UNKNOWN || inode->guest_xattrs;
	pthread_mutex_unlock(&inode->lock);
	return maybe;
}

void meta_forget(struct inode *inode)
{
	pthread_mutex_lock(&inode->lock);
	inode->override_state = OVERRIDE_UNKNOWN;
	pthread_mutex_unlock(&inode->lock);
}

bool meta_get(struct fs *fs, struct inode *inode, struct override_stat *out)
{
	bool present;

	pthread_mutex_lock(&inode->lock);
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(inode);
	present = inode->override_state == OVERRIDE_PRESENT;
	if (present && out)
		*out = inode->override;
	pthread_mutex_unlock(&inode->lock);
	return present;
}

void meta_apply(struct fs *fs, struct inode *inode, struct stat *st)
{
	struct override_stat ov;

	if (!meta_get(fs, inode, &ov))
		return;
	st->st_uid = ov.uid;
	st->st_gid = ov.gid;
	if (ov.has_type) {
		st->st_mode = ov.mode;
		st->st_rdev = ov.rdev;
	} else {
		st->st_mode = (st->st_mode & S_IFMT) | (ov.mode & 07777);
	}
}

static int store_path(const char *path, const struct override_stat *ov)
{
	char value[128];
	int n = format_override_encode(ov, value, sizeof(value));

	if (n < 0)
		return n;
	if (setxattr(path, OVERRIDE_XATTR, value, (size_t)n, 0) < 0)
		return -errno;
	/* One record: an old-format one left behind would be read by older tools. */
	if (removexattr(path, OVERRIDE_XATTR_OLD) < 0 && errno != ENODATA && errno != ENOTSUP)
		return -errno;
	return 0;
}

int meta_store(struct fs *fs, struct inode *inode, const struct override_stat *ov)
{
	char path[PROC_FD_PATH_MAX];
	int r = 0;

	pthread_mutex_lock(&inode->lock);
	if (xattr_capable_type(inode->type)) {
		proc_fd_path(path, inode_fd(inode));
		r = store_path(path, ov);
	}
	if (r == 0 || r == -ENOTSUP) {
		if (r == -ENOTSUP)
			log_warn(
			    "the writable layer has no user xattrs: fake metadata is not kept");
		/* Had nothing been loaded, the guest's xattrs are unknown: assume some. */
		if (inode->override_state == OVERRIDE_UNKNOWN)
			inode->guest_xattrs = true;
		inode->override = *ov;
		inode->override_state = OVERRIDE_PRESENT;
		r = 0;
	}
	pthread_mutex_unlock(&inode->lock);
	return r;
}

int meta_store_at(int dirfd, const char *name, const struct override_stat *ov)
{
	char path[PROC_FD_PATH_MAX];
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	proc_fd_path(path, fd);
	r = store_path(path, ov);
	close(fd);
	return r;
}
