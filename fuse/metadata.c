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
 *
 * With --in-place the records go to the rootfs's side store instead
 * (sidestore.h), for every type of object; an object without an entry there
 * still shows the xattr an earlier version (or another tool) left on it, and
 * the side stores of lower layers are read, so a tree provisioned in place
 * keeps its owners under an --upper. The upper layer itself keeps xattrs,
 * the format podman and fuse-overlayfs read.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* The side store that holds the inode's metadata, if any. */
static struct side_store *store_of(struct fs *fs, struct inode *inode)
{
	int layer = inode_layer(inode);
	struct side_store *store;

	if (inode->bind || layer < 0)
		return NULL;
	store = fs->layers[layer].store;
	/* A mount inside the rootfs: its inode numbers are another filesystem's. */
	if (!store || __atomic_load_n(&inode->key_dev, __ATOMIC_ACQUIRE) != side_store_dev(store))
		return NULL;
	return store;
}

/* Identity of an object as the side store records it: inode, real type, birth time. */
static int identify(int dirfd, const char *name, int flags, struct side_entry *e, dev_t *dev)
{
	struct statx stx;

	if (statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  STATX_TYPE | STATX_INO | STATX_BTIME, &stx) < 0)
		return -errno;
	memset(e, 0, sizeof(*e));
	e->ino = stx.stx_ino;
	e->type = stx.stx_mode & S_IFMT;
	/* Many filesystems have no birth time (ramfs, NFS): then the type alone is checked. */
	e->has_btime = (stx.stx_mask & STATX_BTIME) != 0;
	e->btime_sec = stx.stx_btime.tv_sec;
	e->btime_nsec = stx.stx_btime.tv_nsec;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return 0;
}

static int identify_inode(struct inode *inode, struct side_entry *e)
{
	int fd = inode_fd(inode);
	dev_t dev;

	if (fd < 0)
		return -errno;
	return identify(fd, "", AT_EMPTY_PATH, e, &dev);
}

/*
 * Is the entry about this object, or about an earlier one whose inode
 * number it reuses (deleted outside the view)? 1 yes, 0 stale, -errno.
 */
static int entry_matches(struct inode *inode, const struct side_entry *e)
{
	struct side_entry now;
	int r;

	if (e->type != inode->type)
		return 0;
	if (!e->has_btime)
		return 1;
	r = identify_inode(inode, &now);
	if (r < 0)
		return r;
	return !now.has_btime || (now.btime_sec == e->btime_sec && now.btime_nsec == e->btime_nsec);
}

/* A side-store entry, when there is one: it wins over any xattr. */
static int load_from_store(struct fs *fs, struct inode *inode)
{
	struct side_store *store = store_of(fs, inode);
	struct side_entry e;
	int r;

	if (!store || !side_store_get(store, inode->key_ino, &e))
		return 0;
	r = entry_matches(inode, &e);
	if (r < 0)
		return r;
	if (r == 0) {
		log_debug("dropping the stale side-store entry of inode %llu",
			  (unsigned long long)inode->key_ino);
		side_store_drop(store, inode->key_ino); /* -EROFS for a lower layer's: ignored */
		return 0;
	}
	inode->override = e.ov;
	inode->override_state = OVERRIDE_PRESENT;
	inode->override_in_store = true;
	return 0;
}

/*
 * One listxattr tells both whether the object carries a record and whether it
 * has any xattr the guest sees: most have none, and then getxattr and
 * listxattr are answered without touching the disk.
 */
static void load_locked(struct fs *fs, struct inode *inode)
{
	char path[INODE_PATH_MAX], names[512];
	bool has_new = false, has_old = false;
	ssize_t len, n = 0;
	int err = 0;

	inode->override_state = OVERRIDE_NONE;
	inode->override_in_store = false;
	inode->legacy_xattr = false;
	inode->guest_xattrs = false;
	if (inode_synthetic(inode))
		return;
	err = -load_from_store(fs, inode);
	if (err || !xattr_capable_type(inode->type))
		goto out;
	inode_path_begin(inode, path);
	len = inode_path_listxattr(inode, path, names, sizeof(names));
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
	inode->legacy_xattr = has_new || has_old;
	if (has_new && !inode->override_in_store)
		n = read_record(path, OVERRIDE_XATTR, inode);
	if (has_old && !inode->override_in_store && (!has_new || (n < 0 && errno == ENODATA)))
		n = read_record(path, OVERRIDE_XATTR_OLD, inode);
	if (n < 0 && errno != ENODATA)
		err = errno;
	inode_path_end();
out:
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
		load_locked(fs, inode);
	maybe = inode->override_state == OVERRIDE_UNKNOWN || inode->guest_xattrs;
	pthread_mutex_unlock(&inode->lock);
	return maybe;
}

void meta_forget(struct fs *fs, struct inode *inode)
{
	pthread_mutex_lock(&inode->lock);
	inode->override_state = OVERRIDE_UNKNOWN;
	hints_withdraw(fs, inode);
	pthread_mutex_unlock(&inode->lock);
}

bool meta_get(struct fs *fs, struct inode *inode, struct override_stat *out)
{
	bool present;

	pthread_mutex_lock(&inode->lock);
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(fs, inode);
	present = inode->override_state == OVERRIDE_PRESENT;
	if (present && out)
		*out = inode->override;
	pthread_mutex_unlock(&inode->lock);
	return present;
}

/*
 * The object has no guest-visible xattr: say so in the hints table under the
 * number it reports (view_ino, fixed at its first stat). Under inode->lock.
 */
static void publish_hint_locked(struct fs *fs, struct inode *inode)
{
	/* Bind contents change behind our back; stable inodes follow paths, not objects. */
	if (!fs->hints || inode->bind || fs->opts->stable_inodes || !inode->view_ino ||
	    inode->override_state == OVERRIDE_UNKNOWN || inode->guest_xattrs || inode->hinted)
		return;
	hints_set(fs, inode->view_ino);
	inode->hinted = true;
}

void meta_apply(struct fs *fs, struct inode *inode, struct stat *st)
{
	struct override_stat ov = {0};
	bool present;

	pthread_mutex_lock(&inode->lock);
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(fs, inode);
	present = inode->override_state == OVERRIDE_PRESENT;
	if (present)
		ov = inode->override;
	publish_hint_locked(fs, inode);
	pthread_mutex_unlock(&inode->lock);
	if (!present)
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

/* The side store has the record now: an old xattr must not be read again by other tools. */
static void remove_legacy_xattrs(struct inode *inode)
{
	char path[INODE_PATH_MAX];

	inode_path_begin(inode, path);
	removexattr(path, OVERRIDE_XATTR);
	removexattr(path, OVERRIDE_XATTR_OLD);
	inode_path_end();
	inode->legacy_xattr = false;
}

static int store_in_side_store(struct side_store *store, struct inode *inode,
			       const struct override_stat *ov)
{
	struct side_entry e;
	int r = identify_inode(inode, &e);

	if (r < 0)
		return r;
	e.ov = *ov;
	r = side_store_put(store, &e);
	if (r == 0 && inode->legacy_xattr && xattr_capable_type(inode->type))
		remove_legacy_xattrs(inode);
	return r;
}

int meta_store(struct fs *fs, struct inode *inode, const struct override_stat *ov)
{
	char path[PROC_FD_PATH_MAX];
	struct side_store *store;
	bool in_store = false, memory_only = false, pin = false;
	int r = -EROFS;

	pthread_mutex_lock(&inode->lock);
	/* Whether the object had an old xattr is known only once loaded. */
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(fs, inode);
	store = store_of(fs, inode);
	if (store) {
		r = store_in_side_store(store, inode, ov);
		in_store = r == 0;
	}
	if (r == -EROFS) {
		/* No store, or a lower layer's (read only): the xattr on the object. */
		r = 0;
		if (xattr_capable_type(inode->type)) {
			proc_fd_path(path, inode_fd(inode));
			r = store_path(path, ov);
		}
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
		inode->override_in_store = in_store;
		memory_only = !in_store && !xattr_capable_type(inode->type);
		if (memory_only && !inode->override_pinned)
			inode->override_pinned = pin = true;
		r = 0;
	}
	pthread_mutex_unlock(&inode->lock);
	/*
	 * A FIFO, socket or symlink without a side store: the kernel may forget
	 * the inode (memory pressure, drop_caches) and the record with it, so it
	 * keeps a reference for the mount's life. Such a record leaves the
	 * object's ctime alone: a chown to nobody moves it, as the real change
	 * would have. (Not for a file whose record is in a side store: any
	 * chown by a non-root caller clears the file's real set-id bits.)
	 */
	if (pin)
		inode_ref(inode);
	if (r == 0 && memory_only && !inode->bind) {
		int fd = inode_fd(inode);
		if (fd >= 0 && fchownat(fd, "", (uid_t)-1, (gid_t)-1,
					AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			log_debug("cannot touch the ctime of a recorded object: %s",
				  strerror(errno));
	}
	return r;
}

int meta_store_xattr_at(int dirfd, const char *name, const struct override_stat *ov)
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

int meta_store_new(struct fs *fs, struct inode *dir, int dirfd, const char *name,
		   const struct override_stat *ov)
{
	struct side_store *store = NULL;
	struct side_entry e;
	dev_t dev;
	int r;

	if (!dir->bind && fs->upper >= 0)
		store = fs->layers[fs->upper].store;
	if (store) {
		r = identify(dirfd, name, 0, &e, &dev);
		if (r < 0)
			return r;
		if (dev == side_store_dev(store)) {
			e.ov = *ov;
			r = side_store_put(store, &e);
			if (r != -EROFS)
				return r;
		}
	}
	return meta_store_xattr_at(dirfd, name, ov);
}

bool meta_get_from_store(struct fs *fs, struct inode *inode, struct override_stat *out)
{
	bool present;

	pthread_mutex_lock(&inode->lock);
	if (inode->override_state == OVERRIDE_UNKNOWN)
		load_locked(fs, inode);
	present = inode->override_state == OVERRIDE_PRESENT && inode->override_in_store;
	if (present && out)
		*out = inode->override;
	pthread_mutex_unlock(&inode->lock);
	return present;
}

void meta_unlinked(struct fs *fs, struct inode *inode)
{
	struct side_store *store = store_of(fs, inode);
	struct stat st;

	bool unpin = false;

	/* Its number may soon name another object (a copy-up with xattrs). */
	pthread_mutex_lock(&inode->lock);
	hints_withdraw(fs, inode);
	if (inode->override_pinned) {
		/* Its last name gone: the record may go with the kernel's inode (meta_store). */
		int fd = inode_own_fd(inode);
		unpin = fd < 0 || (fstat(fd, &st) == 0 && st.st_nlink == 0);
		if (unpin)
			inode->override_pinned = false;
	}
	pthread_mutex_unlock(&inode->lock);
	if (unpin)
		inode_unref(fs, inode, 1);

	if (!store || !side_store_has(store, inode->key_ino))
		return;
	/* Other names keep it (and the entry); the fd was pinned before the unlink. */
	if (inode->type != S_IFDIR) {
		int fd = inode_own_fd(inode);

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_nlink > 0)
			return;
	}
	side_store_drop(store, inode->key_ino);
}

int meta_open_stores(struct fs *fs)
{
	for (int i = 0; i < fs->n_layers; i++) {
		struct layer *l = &fs->layers[i];
		bool writable = fs->opts->in_place && i == fs->upper;
		int r;

		if (i == fs->upper && !writable)
			continue; /* the --upper layer keeps xattrs (podman, fuse-overlayfs) */
		r = side_store_open(l->fd, l->path, l->dev, writable, &l->store);
		if (r < 0)
			return r;
	}
	return 0;
}

void meta_close_stores(struct fs *fs)
{
	for (int i = 0; i < fs->n_layers; i++) {
		side_store_close(fs->layers[i].store);
		fs->layers[i].store = NULL;
	}
}

bool meta_reserved_name(struct fs *fs, struct inode *dir, const char *name)
{
	return dir == &fs->root && strcmp(name, SIDE_STORE_DIR) == 0;
}

double timeout_of(struct fs *fs, struct inode *inode)
{
	return inode->bind ? fs->bind_timeout : fs->timeout;
}

/*
 * How long the kernel may keep attributes 'st': not at all for a set-id
 * file. A write may clear its set-id bits here (the backing filesystem for
 * the real mode, drop_set_ids for a fake one), and after a WRITE the kernel
 * refreshes times and size, not the mode (killpriv.c).
 */
double attr_timeout_of(struct fs *fs, struct inode *inode, const struct stat *st)
{
	if (S_ISREG(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)))
		return 0;
	return timeout_of(fs, inode);
}

/*
 * A daemon that is root, without fake identities, serves a guest process
 * that really dropped root too (allow_other, fuse/main.c): what it creates is
 * the caller's, as the kernel's inode_init_owner has it (the directory's group
 * in a setgid directory). By fd when there is one (fd >= 0), else by name.
 */
int give_to_caller(struct fs *fs, fuse_req_t req, struct inode *parent, int dirfd, const char *name,
		   int fd, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct stat st;
	gid_t gid;
	int r;

	if (fs->opts->fake_root || fs->credentials || geteuid() != 0 ||
	    (ctx->uid == 0 && ctx->gid == 0))
		return 0;
	gid = fs_stat_inode(fs, parent, &st) == 0 && (st.st_mode & S_ISGID) ? (gid_t)-1 : ctx->gid;
	r = fd >= 0 ? fchown(fd, ctx->uid, gid)
		    : fchownat(dirfd, name, ctx->uid, gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return -errno;
	/* The chown cleared set-id bits the creator asked for. */
	if (!(mode & (S_ISUID | S_ISGID)) || S_ISLNK(mode))
		return 0;
	r = fd >= 0 ? fchmod(fd, mode & 07777) : fchmodat(dirfd, name, mode & 07777, 0);
	return r < 0 ? -errno : 0;
}

/*
 * The kernel writes a core dump only into a file owned by the dumping
 * process's real fsuid, with mode 0600 (fs/coredump.c, "cannot preserve
 * file owner"); under a fake identity the view reports the fake owner, and
 * the core stayed empty. Its creation (write-only, O_EXCL, 0600, by a
 * process whose status says CoreDumping) gets the caller's real ids in the
 * reply, not cached: the next stat shows the recorded owner.
 */
void core_dump_entry(struct fs *fs, fuse_req_t req, int flags, mode_t mode,
		     struct fuse_entry_param *e)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	char path[48], status[4096];
	ssize_t n = -1;
	int fd;

	if ((!fs->opts->fake_root && !fs->credentials) || e->attr.st_uid == ctx->uid ||
	    (mode & 07777) != 0600 || (flags & (O_ACCMODE | O_EXCL)) != (O_WRONLY | O_EXCL))
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctx->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, status, sizeof(status) - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	status[n] = '\0';
	if (!strstr(status, "\nCoreDumping:\t1"))
		return;
	e->attr.st_uid = ctx->uid;
	e->attr.st_gid = ctx->gid;
	e->attr_timeout = 0;
}
