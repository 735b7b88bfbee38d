/* SPDX-License-Identifier: MIT */
/*
 * Read-side low-level handlers. Each one replies exactly once, on every path.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/limits.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "format.h"
#include "log.h"

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	/*
	 * Opt-in: the kernel then trusts its own file sizes and times, which
	 * is wrong for a bind whose host files change behind our back.
	 */
	if (fs->opts->writeback_cache && fs->upper >= 0 &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		fs->writeback = true;
	}
	/* The kernel may keep readlink results: targets change only through us. */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	/* Requests are read with read(2) (loop.c, read_request), never spliced. */
	conn->want &= ~(unsigned)FUSE_CAP_SPLICE_READ;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/*
	 * Without binds, every change to a file goes through us and so through
	 * the kernel's page cache: a file's cache need not be dropped when its
	 * mtime moves. With auto_inval_data, a program that writes a file and
	 * reads it back (as, ld: seek, read a block, patch it) made the kernel
	 * refetch the attributes and then the data after every write.
	 */
	if (!vnodes_have_bind(fs->opts->vroot, false))
		conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	/*
	 * Directories then cost no opendir/releasedir round trips, and every
	 * listing is cached by the kernel (FOPEN_CACHE_DIR, revalidated by the
	 * directory's mtime once its attributes time out, as in binds). A sorted
	 * listing needs a snapshot per open: offsets are indexes then.
	 */
	fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) &&
			 !fs->opts->sorted_readdir && !fs->opts->check_opens &&
			 (fs->opts->fake_root || geteuid() == 0 || fs->kernel_judges);
	/*
	 * No ACLs: we do our own permission checks, or (kernel_judges) the kernel
	 * judges by owners and modes only, as we do (docs/groot-fs.md).
	 */
	conn->want &= ~(unsigned)FUSE_CAP_POSIX_ACL;
	/*
	 * Under the writeback cache too: a write-back's WRITE then opens the
	 * backing file for itself (file_fd), and a go build sent 35,000
	 * requests instead of 108,000 (its 4 KiB writes in one WRITE each; with
	 * OPEN, an OPEN, a FLUSH and a RELEASE per open).
	 */
	fs->no_open = (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) &&
		      (fs->opts->fake_root || geteuid() == 0 || fs->kernel_judges) &&
		      !vnodes_have_bind(fs->opts->vroot, false) && !fs->opts->check_opens;
	/* O_TRUNC must then reach us as a truncate: there is no OPEN to do it. */
	if (fs->no_open)
		conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
}

/* Build the reply for a fresh reference on 'inode' (dropped again on failure). */
int make_entry(struct fs *fs, struct inode *inode, struct fuse_entry_param *e)
{
	return make_entry_from(fs, inode, e, NULL);
}

/* 'backing': the lstat fs_lookup_child_stat took, if any. */
int make_entry_from(struct fs *fs, struct inode *inode, struct fuse_entry_param *e,
		    const struct stat *backing)
{
	int r;

	memset(e, 0, sizeof(*e));
	r = fs_stat_inode_from(fs, inode, &e->attr, backing);
	if (r < 0) {
		inode_unref(fs, inode, 1);
		return r;
	}
	e->ino = inode_id(fs, inode);
	e->attr_timeout = attr_timeout_of(fs, inode, &e->attr);
	e->entry_timeout = timeout_of(fs, inode);
	return 0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent_id, const char *name)
{
	struct fs *fs = req_fs(req);
	struct inode *parent = inode_from_id(fs, parent_id), *inode;
	struct fuse_entry_param e;
	struct stat backing;
	struct credentials_slot buf;
	int r;

	/* Search permission on the directory: its own answer, never cached as an entry. */
	r = access_inode(fs, caller_of(fs, req, &buf), parent, X_OK);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	r = fs_lookup_child_stat(fs, parent, name, &inode, &backing);
	__atomic_store_n(&parent->used, fdp_now(), __ATOMIC_RELAXED);
	if (r == 0 && inode->type == S_IFDIR)
		__atomic_store_n(&inode->used, fdp_now(), __ATOMIC_RELAXED);
	if (r == -ENOENT && !parent->bind) {
		/* Negative entry: the kernel need not ask again until we create the name. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->timeout;
		entry_guard(fs, parent, name, &e);
		fuse_reply_entry(req, &e);
		return;
	}
	if (r == 0)
		r = make_entry_from(fs, inode, &e, &backing);
	if (r == 0)
		entry_guard(fs, parent, name, &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fs *fs = req_fs(req);

	inode_unref(fs, inode_from_id(fs, ino), nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs *fs = req_fs(req);

	for (size_t i = 0; i < count; i++)
		inode_unref(fs, inode_from_id(fs, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	struct stat st;
	int r;

	r = fs_stat_inode(fs, inode, &st);
	walkahead_reached(fs, inode,
			  fuse_req_ctx(req)->pid); /* opendir(3) after a helper's listing */
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, attr_timeout_of(fs, inode, &st));
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	char buf[PATH_MAX + 1], *rewritten = NULL;
	ssize_t n;
	int r;

	if (inode->type != S_IFLNK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (inode_synthetic(inode)) {
		/* A direct bind: its host path, never rewritten. */
		fuse_reply_readlink(req, inode->vnode->host);
		return;
	}
	n = inode_readlink(inode, buf, sizeof(buf));
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (n > PATH_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	buf[n] = '\0';
	linkahead_note(fs, inode); /* before the reply: till then the kernel holds the link */
	r = symlink_rewrite(fs, inode, buf, &rewritten);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (strlen(rewritten) > PATH_MAX)
		fuse_reply_err(req, ENAMETOOLONG);
	else
		fuse_reply_readlink(req, rewritten);
	free(rewritten);
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	struct dir_handle *dh;
	struct credentials_slot buf;
	int r;

	if (fs->no_opendir) {
		/* The kernel remembers this and opens directories without asking from now on. */
		fuse_reply_err(req, ENOSYS);
		return;
	}
	r = access_inode(fs, caller_of(fs, req, &buf), inode, R_OK);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (inode->type != S_IFDIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (!fs->opts->sorted_readdir && !fs->opts->check_opens) {
		/*
		 * Asked only for the check, the daemon's own (a user's view with
		 * binds, fs_init): open(2) of a directory needs read permission.
		 * Listings then work as without opendir.
		 */
		char path[PROC_FD_PATH_MAX];

		proc_fd_path(path, inode_fd(inode));
		if (!inode_synthetic(inode) && faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0) {
			fuse_reply_err(req, errno);
			return;
		}
		fi->fh = 0;
		fi->cache_readdir = !inode->bind;
		fi->keep_cache = !inode->bind;
		fuse_reply_open(req, fi);
		return;
	}
	r = dir_snapshot(fs, inode, &dh);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)dh;
	/* Listings change only through us (binds excepted): let the kernel cache them. */
	if (!inode->bind) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		dir_handle_free(dh); /* the opener was interrupted: no releasedir will come */
}

/* Size of an entry in the reply: it depends on the name only. */
static size_t entry_size(fuse_req_t req, const char *name, bool plus)
{
	return plus ? fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0)
		    : fuse_add_direntry(req, NULL, 0, name, NULL, 0);
}

/*
 * Names sharing a cookie must go out in one reply: a reply ending inside the
 * group would resume after the whole group. Does the group starting at 'i' fit?
 */
static bool group_fits(fuse_req_t req, const struct dir_handle *dh, size_t i, size_t left,
		       bool plus)
{
	size_t need = 0;

	for (size_t j = i; j < dh->count && dh->entries[j].cookie == dh->entries[i].cookie; j++)
		need += entry_size(req, dh->entries[j].name, plus);
	return need <= left;
}

/* Append 'inode' with a reference of its own; nothing when out of memory. */
static void inode_list_add(struct inode_list *list, struct inode *inode)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct inode **items = realloc(list->items, cap * sizeof(*items));

		if (!items)
			return;
		list->items = items;
		list->cap = cap;
	}
	inode_ref(inode);
	list->items[list->n++] = inode;
}

/*
 * One entry of a readdir reply. 'pre', when the listing was made ahead and is
 * still current, holds the entry looked up then. With 'dirs', a directory
 * sent with a dentry gets one more reference and is appended there (the
 * caller may list it ahead).
 */
static size_t add_entry(fuse_req_t req, struct fs *fs, struct inode *dir,
			const struct dir_entry *de, bool dots, bool lazy, char *p, size_t left,
			off_t next, bool plus, struct dir_prefetch *pre, struct inode_list *dirs)
{
	struct fuse_entry_param e;
	struct inode *child = NULL;
	struct stat backing;
	size_t n;

	if (!plus) {
		struct stat st = {.st_ino = de->ino, .st_mode = (mode_t)DTTOIF(de->type)};

		return fuse_add_direntry(req, p, left, de->name, &st, next);
	}
	if (pre && !dots)
		child = __atomic_exchange_n(&pre->child, NULL, __ATOMIC_ACQ_REL);
	if (child)
		e = pre->e; /* made ahead, and nothing changed since */
	else if (dots || (de->type == DT_DIR && fdp_pressed()) ||
		 fs_lookup_child_stat(fs, dir, de->name, &child, &backing) < 0 ||
		 make_entry_from(fs, child, &e, &backing) < 0)
		child = NULL;
	if (child && child->vnode && child->vnode->kind == VNODE_DIRECT) {
		/* Its placeholder is a symlink to the host object; the listing shows the
		 * object's own type (de->type), and the lookup comes later. */
		inode_unref(fs, child, 1);
		child = NULL;
	}
	if (!child) {
		/* No dentry for "." and ".." (nor for a name that vanished). */
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = de->ino;
		e.attr.st_mode = (mode_t)DTTOIF(de->type);
	} else if (lazy && !name_is_own(fs, e.ino, dir, de->name))
		e.entry_timeout = 0; /* entry_guard, for a guarded directory before guards_arm */
	n = fuse_add_direntry_plus(req, p, left, de->name, &e, next);
	if (n > left && child)
		inode_unref(fs, child, 1); /* not sent: the kernel will not count this lookup */
	else if (child && dirs && S_ISDIR(e.attr.st_mode) && !child->bind)
		inode_list_add(dirs, child);
	return n;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct fs *fs = req_fs(req);
	struct inode *dir = inode_from_id(fs, ino);
	struct dir_handle *dh = (struct dir_handle *)(uintptr_t)fi->fh;
	bool listing = dh == NULL; /* no opendir: offsets are cookies */
	struct inode_list dirs = {0};
	bool ahead = false;
	size_t left = size, start, i;
	char *buf, *p;
	struct credentials_slot who;
	int r;
	/*
	 * Without search permission on the directory, or in a directory someone
	 * else may not search, its names are listed but not looked up: entries
	 * without a node, so the kernel makes no dentry through which a later
	 * path walk would skip the LOOKUP that judges it.
	 */
	const struct credentials_slot *caller = caller_of(fs, req, &who);
	bool names_only = plus && (access_inode(fs, caller, dir, X_OK) < 0 ||
				   (guards_armed(fs) && fs_dir_guarded(fs, dir)));
	bool lazy = plus && !names_only && !guards_armed(fs) && fs_dir_guarded(fs, dir);

	if (off == 0 && walkahead_refuses(fs, dir, fuse_req_ctx(req)->pid)) {
		fuse_reply_err(req, EXDEV);
		return;
	}
	/*
	 * Opened without OPENDIR (fake root): reading is judged instead, unless
	 * the kernel answers from a listing it cached for another identity.
	 */
	if (listing && off == 0 && (r = access_inode(fs, caller, dir, R_OK)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (listing) {
		r = dir_listing_get(fs, dir, off, &dh);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		start = dir_listing_seek(dh, off);
		if (off == 0 && plus && !dir->bind) {
			walkahead_listing(fs, dir, fuse_req_ctx(req)->pid, caller);
			dh->walk = prefetch_walking(fs, dir);
		}
		/* Its subdirectories are listed ahead: a walker reads them next. */
		ahead = plus && dh->walk && !names_only;
	} else {
		start = (size_t)off;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		if (listing)
			dir_listing_put(dir, dh);
		return;
	}
	/* Entries looked up ahead are current unless a change may have run since. */
	struct dir_prefetch *pre =
	    listing && dh->pre && dh->gen == prefetch_generation() && !names_only ? dh->pre : NULL;

	p = buf;
	for (i = start; i < dh->count; i++) {
		struct dir_entry *de = &dh->entries[i];
		off_t next = listing ? (off_t)de->cookie : (off_t)i + 1;
		size_t n;

		if (listing && i > start && de->cookie != dh->entries[i - 1].cookie &&
		    i + 1 < dh->count && dh->entries[i + 1].cookie == de->cookie &&
		    !group_fits(req, dh, i, left, plus))
			break;
		n = add_entry(req, fs, dir, de, (listing ? de->cookie <= 2 : i < 2) || names_only,
			      lazy, p, left, next, plus, pre ? &pre[i] : NULL,
			      ahead ? &dirs : NULL);
		if (n > left)
			break;
		p += n;
		left -= n;
	}
	/*
	 * Done with the inode before the reply: once answered, the reader may
	 * close the directory, and another thread of ours may take the FORGET
	 * that follows and free the inode (and its listing) meanwhile.
	 */
	if (listing) {
		if (start >= dh->count)
			dir_listing_done(dir, dh); /* the stream has seen its end */
		dir_listing_put(dir, dh);
	}
	fuse_reply_buf(req, buf, size - left);
	free(buf);
	if (dirs.n)
		prefetch_push(fs, dirs.items, dirs.n);
	free(dirs.items);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dir_handle_free((struct dir_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* SEEK_DATA and SEEK_HOLE (the kernel answers the others): the backing file's holes. */
static void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	bool opened;
	int fd;
	off_t r;

	if (fs->writeback) {
		/* Dirty pages the backing file has not seen: the kernel's answer (all data). */
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fd = file_fd(fs, inode_from_id(fs, ino), fi, O_RDONLY, &opened);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	r = lseek(fd, off, whence);
	if (r < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, r);
	if (opened)
		close(fd);
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	int fd = inode_synthetic(inode) ? -1 : inode_fd(inode);
	struct statvfs sv;

	if (fd < 0)
		fd = fs->layers[fs->n_layers - 1].fd;
	if (fstatvfs(fd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* xattr calls need a path: O_PATH fds do not support f*xattr. */
static bool xattr_capable(struct inode *inode)
{
	return !inode_synthetic(inode) && (inode->type == S_IFREG || inode->type == S_IFDIR);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	char path[INODE_PATH_MAX];
	char *buf = NULL;
	struct credentials_slot who;
	ssize_t n;
	int r;

	/*
	 * Told once, ls -l and friends stop asking for the device: the kernel
	 * caches no xattrs, so each question would be a round trip per file.
	 */
	if (format_xattr_is_unsupported(name)) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (inode == &fs->root && !strcmp(name, CREDENTIALS_GUARDS_XATTR)) {
		guards_arm(req);
		return;
	}
	r = access_xattr(fs, caller_of(fs, req, &who), inode, name, R_OK);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* Most objects have no xattrs at all: known since their first stat. */
	if (!xattr_capable(inode) || format_xattr_is_private(name) ||
	    !meta_may_have_xattrs(fs, inode)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (size > 0) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	char stored_buf[XATTR_NAME_MAX + 1];
	const char *stored = format_xattr_stored(name, stored_buf, sizeof(stored_buf));
	inode_path_begin(inode, path);
	n = getxattr(path, stored, buf, size);
	if (n < 0 && errno == ENODATA && stored != name)
		n = getxattr(path, name, buf, size); /* a real one, as root set it */
	if (n < 0)
		n = -errno;
	inode_path_end();
	if (n < 0)
		fuse_reply_err(req, n == -ENOTSUP ? ENODATA : (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* Is 'name' in the NUL-separated list of n bytes? */
static bool listed(const char *list, ssize_t n, const char *name)
{
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	char path[INODE_PATH_MAX];
	char *raw = NULL, *out = NULL;
	ssize_t n;
	size_t len = 0;
	int err = 0;

	if (!xattr_capable(inode) || !meta_may_have_xattrs(fs, inode)) {
		if (size == 0)
			fuse_reply_xattr(req, 0);
		else
			fuse_reply_buf(req, NULL, 0);
		return;
	}
	inode_path_begin(inode, path);
	/* Read the whole list (racing growth is retried) to filter out private names. */
	for (;;) {
		n = listxattr(path, NULL, 0);
		if (n <= 0)
			break;
		free(raw);
		raw = malloc((size_t)n);
		if (!raw) {
			n = -1;
			errno = ENOMEM;
			break;
		}
		n = listxattr(path, raw, (size_t)n);
		if (n >= 0 || errno != ERANGE)
			break;
	}
	err = n < 0 ? errno : 0;
	inode_path_end();
	if (err == ENOTSUP) {
		n = 0;
	} else if (err) {
		fuse_reply_err(req, err);
		free(raw);
		return;
	}
	out = malloc(n > 0 ? (size_t)n : 1);
	if (!out) {
		fuse_reply_err(req, ENOMEM);
		free(raw);
		return;
	}
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(raw + i) + 1) {
		const char *shown = format_xattr_shown(raw + i);
		char stored[XATTR_NAME_MAX + 1];
		if (format_xattr_is_private(raw + i) || format_xattr_is_unsupported(raw + i) ||
		    (shown == raw + i &&
		     format_xattr_stored(shown, stored, sizeof(stored)) != shown &&
		     listed(raw, n, stored)))
			continue; /* a real one that a fake root's replaced */
		memcpy(out + len, shown, strlen(shown) + 1);
		len += strlen(shown) + 1;
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, out, len);
	free(raw);
	free(out);
}

static void fs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fs *fs = req_fs(req);
	struct inode *inode = inode_from_id(fs, ino);
	struct stat st;
	int r;

	if ((mask & W_OK) && !fs_inode_writable(fs, inode)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (fs->opts->fake_root || inode_synthetic(inode)) {
		/* Judged by the caller's fake identity (root: all but executing without x bits). */
		struct credentials_slot buf;
		r = fs_stat_inode(fs, inode, &st);
		if (r == 0)
			r = access_permission(caller_of(fs, req, &buf), &st, mask);
		if (r == 0 && (mask & X_OK) && !S_ISDIR(st.st_mode) && !(st.st_mode & 0111))
			r = -EACCES;
		fuse_reply_err(req, -r);
		return;
	}
	/* The daemon runs with the tracees' uid: the backing file's answer is theirs. */
	r = inode_access(inode, mask) < 0 ? -errno : 0;
	/* A lower layer on a read-only mount: copy-up will make it writable. */
	if (r == -EROFS)
		r = inode_access(inode, mask & ~W_OK) < 0 ? -errno : 0;
	fuse_reply_err(req, -r);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi->fh)
		close((int)fi->fh);
	fuse_reply_err(req, 0);
}

static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/*
	 * Only under the writeback cache (fs_noflush): its dirty pages were
	 * written before this. close() of a dup reports what close(2) would.
	 * Without handles: ENOSYS, and the kernel stops sending FLUSH.
	 */
	int fd;

	if (!fi->fh) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fd = dup((int)fi->fh);

	fuse_reply_err(req, fd < 0 ? errno : (close(fd) < 0 ? errno : 0));
}

void fill_read_ops(struct fuse_lowlevel_ops *ops)
{
	ops->init = fs_init;
	ops->lookup = fs_lookup;
	ops->forget = fs_forget;
	ops->forget_multi = fs_forget_multi;
	ops->getattr = fs_getattr;
	ops->readlink = fs_readlink;
	ops->opendir = fs_opendir;
	ops->readdir = fs_readdir;
	ops->readdirplus = fs_readdirplus;
	ops->releasedir = fs_releasedir;
	ops->read = fs_read;
	ops->lseek = fs_lseek;
	ops->release = fs_release;
	ops->flush = fs_flush;
	ops->statfs = fs_statfs;
	ops->getxattr = fs_getxattr;
	ops->listxattr = fs_listxattr;
	ops->access = fs_access;
}
