// SPDX-License-Identifier: MIT
/*
 * Permission checks for the guest's fake identities (--credentials).
 *
 * The view is mounted without default_permissions: the kernel would judge
 * a request by the caller's real uid, and the guest has a fake one (root,
 * or a guest user under fake root). The tracer publishes every guest
 * thread's fake fsuid, fsgid, groups and capabilities in a shared table
 * (common/credentials.h); the handlers here ask it who made the request
 * and judge the request by the fake owners and modes, with the rules of the
 * kernel's generic_permission, may_delete, may_create, setattr_prepare and
 * xattr_permission. A request from no guest process (the tracer itself, the
 * kernel's writeback) is not checked.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

int access_open_table(struct fs *fs, const char *path)
{
	struct credentials_table header;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *map;

	if (fd < 0)
		return -errno;
	if (pread(fd, &header, sizeof(header), 0) != (ssize_t)sizeof(header) ||
	    header.magic != CREDENTIALS_MAGIC || header.slots == 0) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, credentials_table_size(header.slots), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	fs->credentials = map;
	__atomic_store_n(&fs->guards_armed, !fs->opts->lazy_guards, __ATOMIC_SEQ_CST);
	return 0;
}

void access_judge_as_caller(struct fs *fs)
{
	gid_t groups[CREDENTIALS_SLOT_GROUPS];
	int n = getgroups(CREDENTIALS_SLOT_GROUPS, groups);

	fs->self = calloc(1, sizeof(*fs->self));
	if (!fs->self)
		return;
	for (int i = 0; i < n; i++)
		fs->self->groups[fs->self->n_groups++] = groups[i];
	fs->judge_as_caller = true;
	/* Search permission is asked at LOOKUP only: guarded directories cache no names. */
	__atomic_store_n(&fs->guards_armed, true, __ATOMIC_SEQ_CST);
}

const struct credentials_slot *caller_of(struct fs *fs, fuse_req_t req,
					 struct credentials_slot *buf)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	pid_t pid = ctx->pid;

	if (!fs->credentials) {
		if (!fs->judge_as_caller)
			return NULL;
		*buf = *fs->self;
		buf->tid = pid;
		buf->fsuid = ctx->uid;
		buf->fsgid = ctx->gid;
		return buf;
	}
	/* Not a guest's thread: one of walkahead.c's helpers takes its walker's identity. */
	return credentials_lookup(fs->credentials, (int32_t)pid, buf) ||
		       walkahead_identity(pid, buf)
		   ? buf
		   : NULL;
}

static bool is_owner(const struct credentials_slot *who, const struct stat *st)
{
	return who->fsuid == st->st_uid || (who->caps & CRED_FOWNER);
}

int access_permission(const struct credentials_slot *who, const struct stat *st, int mask)
{
	return credentials_permission(who, st->st_mode, st->st_uid, st->st_gid,
				      mask & (R_OK | W_OK | X_OK));
}

int access_inode(struct fs *fs, const struct credentials_slot *who, struct inode *inode, int mask)
{
	struct stat st;
	int r;

	/* Root's usual case, without a stat: all but executing a file. */
	if (!who || ((who->caps & CRED_DAC_OVERRIDE) && (!(mask & X_OK) || inode->type == S_IFDIR)))
		return 0;
	r = fs_stat_inode(fs, inode, &st);
	return r < 0 ? r : access_permission(who, &st, mask);
}

int access_may_delete(struct fs *fs, const struct credentials_slot *who, struct inode *dir,
		      struct inode *child)
{
	struct stat dst, cst;
	int r;

	if (!who ||
	    (who->caps & (CRED_DAC_OVERRIDE | CRED_FOWNER)) == (CRED_DAC_OVERRIDE | CRED_FOWNER))
		return 0;
	r = fs_stat_inode(fs, dir, &dst);
	if (r == 0)
		r = access_permission(who, &dst, W_OK | X_OK);
	if (r < 0 || !(dst.st_mode & S_ISVTX) || is_owner(who, &dst))
		return r;
	/* The sticky bit: only the owner of the entry or of the directory removes it. */
	r = fs_stat_inode(fs, child, &cst);
	if (r == 0 && !is_owner(who, &cst))
		r = -EPERM;
	return r;
}

int access_setattr(struct fs *fs, const struct credentials_slot *who, struct inode *inode,
		   int valid, struct stat *attr, bool has_handle)
{
	struct stat st;
	int r;

	if (!who || (who->caps & CRED_ALL) == CRED_ALL)
		return 0;
	r = fs_stat_inode(fs, inode, &st);
	if (r < 0)
		return r;
	if ((valid & FUSE_SET_ATTR_UID) && !(who->caps & CRED_CHOWN) &&
	    !(who->fsuid == st.st_uid && attr->st_uid == st.st_uid))
		return -EPERM;
	if ((valid & FUSE_SET_ATTR_GID) && !(who->caps & CRED_CHOWN) &&
	    !(who->fsuid == st.st_uid &&
	      (attr->st_gid == st.st_gid || credentials_in_group(who, attr->st_gid))))
		return -EPERM;
	if (valid & FUSE_SET_ATTR_MODE) {
		/*
		 * A write or truncate by another clears set-id bits (the kernel's
		 * file_remove_privs, sent as a mode change): allowed to a writer.
		 */
		mode_t now = st.st_mode & 07777, asked = attr->st_mode & 07777;
		bool clearing = asked != now &&
				(asked | S_ISUID | S_ISGID) == (now | S_ISUID | S_ISGID) &&
				(asked & now) == asked;
		if (!is_owner(who, &st) &&
		    !(clearing && (has_handle || access_permission(who, &st, W_OK) == 0)))
			return -EPERM;
		gid_t group = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : st.st_gid;
		/* The kernel drops setgid when the owner is not in the file's group. */
		if (!credentials_in_group(who, group) && !(who->caps & CRED_FSETID))
			attr->st_mode &= ~(mode_t)S_ISGID;
	}
	/* truncate(2) needs write permission; ftruncate(2) an fd open for writing. */
	if ((valid & FUSE_SET_ATTR_SIZE) && !has_handle) {
		r = access_permission(who, &st, W_OK);
		if (r < 0)
			return r;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		     FUSE_SET_ATTR_MTIME_NOW)) {
		bool to_now =
		    ((valid & FUSE_SET_ATTR_ATIME_NOW) || !(valid & FUSE_SET_ATTR_ATIME)) &&
		    ((valid & FUSE_SET_ATTR_MTIME_NOW) || !(valid & FUSE_SET_ATTR_MTIME));
		if (!is_owner(who, &st)) {
			if (!to_now)
				return -EPERM;
			r = access_permission(who, &st, W_OK);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int access_xattr(struct fs *fs, const struct credentials_slot *who, struct inode *inode,
		 const char *name, int mask)
{
	struct stat st;
	int r;

	if (!who || (who->caps & CRED_ALL) == CRED_ALL)
		return 0;
	if (strncmp(name, "trusted.", 8) == 0)
		return mask & W_OK ? -EPERM : -ENODATA; /* CAP_SYS_ADMIN's: not there for others */
	if (strncmp(name, "user.", 5) != 0)
		return 0;
	r = fs_stat_inode(fs, inode, &st);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return mask & W_OK ? -EPERM : -ENODATA;
	if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && (mask & W_OK) && !is_owner(who, &st))
		return -EPERM;
	return access_permission(who, &st, mask);
}

int access_link(struct fs *fs, const struct credentials_slot *who, struct inode *inode)
{
	struct stat st;
	int r;

	if (!who || (who->caps & CRED_FOWNER))
		return 0;
	r = fs_stat_inode(fs, inode, &st);
	if (r < 0 || who->fsuid == st.st_uid)
		return r;
	/* protected_hardlinks: a file of someone else's only if it is safe and ours to change. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_ISUID) ||
	    ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) ||
	    access_permission(who, &st, R_OK | W_OK) < 0)
		return -EPERM;
	return 0;
}

/*
 * Search permission is asked of us only at LOOKUP: without
 * default_permissions the kernel has no MAY_EXEC request, and it walks a
 * cached dentry without asking. So when identities are judged, names under a
 * directory that someone may not search are not cached: each walk through
 * one comes back as a LOOKUP, judged for the walker (docs/groot-fs.md).
 */
bool fs_dir_guarded(struct fs *fs, struct inode *dir)
{
	struct stat st;

	if ((!fs->credentials && !fs->judge_as_caller) || !dir)
		return false;
	return fs_stat_inode(fs, dir, &st) < 0 || (st.st_mode & 0111) != 0111;
}

bool guards_armed(struct fs *fs)
{
	return __atomic_load_n(&fs->guards_armed, __ATOMIC_SEQ_CST);
}

/* The inode's own guest name is parent/name (not another hard link's). */
bool name_is_own(struct fs *fs, fuse_ino_t ino, struct inode *parent, const char *name)
{
	struct inode *inode = inode_from_id(fs, ino);
	bool own;

	pthread_rwlock_rdlock(&fs->tree_lock);
	own = inode->parent == parent && inode->name && strcmp(inode->name, name) == 0;
	pthread_rwlock_unlock(&fs->tree_lock);
	return own;
}

/*
 * An entry reply for parent/name: not cached when the directory is guarded.
 * Before guards_arm, a name is cached only when it is its inode's own:
 * arming drops names found through the inode table, so not a second link's.
 */
void entry_guard(struct fs *fs, struct inode *parent, const char *name, struct fuse_entry_param *e)
{
	if (!fs_dir_guarded(fs, parent))
		return;
	if (e->ino == 0 || guards_armed(fs) || !name_is_own(fs, e->ino, parent, name))
		e->entry_timeout = 0;
}

struct arm_job {
	struct fs *fs;
	fuse_req_t req;
};

static void arm(void *arg)
{
	struct arm_job *job = arg;

	inval_guarded_children(job->fs);
	fuse_reply_err(job->req, ENODATA);
	free(job);
}

/*
 * --lazy-guards (a session that starts as fake root): while every identity
 * may search every directory (DAC override), fs_dir_guarded's reason to keep
 * names out of the kernel's cache does not hold, and a tar x as root (its
 * directories 0700 until the end) sent five LOOKUPs per file. The tracer
 * arms the guards, before the first identity without it runs, with a
 * getxattr of CREDENTIALS_GUARDS_XATTR on the root; answered once the kernel has dropped
 * the names cached under guarded directories (a LOOKUP that read the flag
 * unarmed inserted its inode in the table first, so the scan sees it; the
 * kernel orders the drop after the dentry is made). The scan finds names
 * by inode, so a name other than its inode's own (a second hard link) and
 * negative entries are never cached in guarded directories (entry_guard).
 */
void guards_arm(fuse_req_t req)
{
	struct fs *fs = req_fs(req);
	struct arm_job *job;

	if (__atomic_exchange_n(&fs->guards_armed, true, __ATOMIC_SEQ_CST)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	log_debug("a non-root identity: names under guarded directories are no longer cached");
	job = malloc(sizeof(*job));
	if (!job) {
		inval_guarded_children(fs);
		fuse_reply_err(req, ENODATA);
		return;
	}
	*job = (struct arm_job){fs, req};
	/* Each drop waits for its directory's lock: on the invalidation thread. */
	if (!inval_defer(arm, job))
		arm(job);
}
