/* SPDX-License-Identifier: MIT */
/*
 * Write-side handlers. Without a writable layer every change is EROFS, and
 * the kernel must hear EROFS rather than ENOSYS (which it would cache).
 */
#include "fs.h"

#include <errno.h>

static void reply_erofs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
				struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			      dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
				const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
			     const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			       struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
				 const char *value, size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void reply_erofs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

void fill_write_ops(struct fuse_lowlevel_ops *ops)
{
	ops->setattr = reply_erofs_setattr;
	ops->mknod = reply_erofs_mknod;
	ops->mkdir = reply_erofs_mkdir;
	ops->unlink = reply_erofs_name;
	ops->rmdir = reply_erofs_name;
	ops->symlink = reply_erofs_symlink;
	ops->rename = reply_erofs_rename;
	ops->link = reply_erofs_link;
	ops->create = reply_erofs_create;
	ops->setxattr = reply_erofs_setxattr;
	ops->removexattr = reply_erofs_removexattr;
}
