/* SPDX-License-Identifier: MIT */
/*
 * groot-fs internal interface: the view's state, its inode table and the
 * functions the low-level handlers share. One header for the module because
 * every part works on the same two structures (struct fs, struct inode).
 */
#ifndef GROOT_FS_H
#define GROOT_FS_H

#define FUSE_USE_VERSION 34

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "credentials.h"
#include "format.h"
#include "sidestore.h"

/* A bind or direct bind point, or a directory on the way to one. */
enum vnode_kind {
	VNODE_PATH,   /* intermediate directory: real if the rootfs has it, else synthetic */
	VNODE_BIND,   /* served through the view from a host directory or file */
	VNODE_DIRECT, /* appears as a symlink to the host path */
};

struct vnode {
	char *name;
	enum vnode_kind kind;
	char *host;	/* BIND, DIRECT: absolute host path */
	bool readonly;	/* BIND :ro */
	unsigned order; /* command-line position: later binds of one path win */
	struct vnode *children;
	struct vnode *next;
};

struct layer {
	char *path;
	int fd; /* O_PATH | O_DIRECTORY */
	dev_t dev;
	/* Fake metadata kept in the layer itself (--in-place; read from lower layers), or NULL. */
	struct side_store *store;
};

struct fs_options {
	char **lowers;
	int n_lowers;
	char *upper;
	bool in_place;
	int lifeline_fd;
	const char *run_dir;  /* --run-dir: removed once the lifeline closed and the view is gone */
	int ready_fd;
	bool foreground;
	int verbosity;
	char *mount_options; /* extra -o, comma separated */
	bool fake_root;
	/* Under fake root: what the invoking user's files appear as (--owner; 0:0), in binds too. */
	uid_t owner_uid;
	gid_t owner_gid;
	bool has_bind_owner; /* --bind-owner: in binds, as these instead */
	uid_t bind_owner_uid;
	gid_t bind_owner_gid;
	const char *credentials; /* --credentials FILE (common/credentials.h), or NULL */
	bool check_opens;	 /* keep OPEN and OPENDIR so that they are judged too */
	bool lazy_guards;	 /* guarded directories' names cached until guards_arm (access.c) */
	bool sorted_readdir;
	bool stable_inodes;
	bool clamp_mtime;
	bool writeback_cache;
	const char *xattr_hints; /* --xattr-hints FILE, or NULL */
	int64_t clamp_epoch;
	char *mountpoint;
	struct vnode *vroot;
};

/* Where an inode's fd lives. Layer indexes are >= 0. */
#define LAYER_NONE (-1) /* synthetic: no backing object */
#define LAYER_BIND (-2) /* inside a BIND vnode's host tree */

struct inode {
	/* Table key: the backing object's (st_dev, st_ino), or (0, vnode) when synthetic. */
	uint64_t key_dev, key_ino;
	struct inode *hash_next;
	uint64_t refs; /* kernel lookups + children pointing at us; guarded by the stripe lock */

	/*
	 * O_PATH of the topmost backing object, kept only by directories, bind
	 * points and objects whose name went away (see inode_fd): -1 otherwise.
	 * Copy-up swaps a directory's once (under 'lock'); the replaced fd stays
	 * open in 'lower_fd' until the inode dies, so a handler that loaded the
	 * old value never sees it reused.
	 */
	int fd;
	int lower_fd;
	int layer;   /* index into fs->layers, or LAYER_NONE / LAYER_BIND; atomic */
	mode_t type; /* S_IFMT bits */
	/* Directories in a multi-layer view: one O_PATH fd per layer, -1 where absent or hidden. */
	int *dir_fds;
	const struct vnode *vnode; /* our guest path is a vnode: its children are injected */
	const struct vnode *bind;  /* the BIND we live under, NULL in the rootfs */

	/* Guest path: parent + name. Changed only under fs->tree_lock (write). */
	struct inode *parent;
	char *name;

	/* Serialises copy-up and fake-metadata changes of this inode. */
	pthread_mutex_t lock;
	bool unlinked; /* removed by a whiteout while still open: report nlink 0 */

	/*
	 * Directories without opendir (see readdir.c): the listing a readdir
	 * stream is going through, guarded by 'lock'; NULL between streams.
	 */
	struct dir_handle *listing;

	/* Fake metadata cache (user.containers.override_stat), loaded on first stat. */
	enum { OVERRIDE_UNKNOWN, OVERRIDE_NONE, OVERRIDE_PRESENT } override_state;
	struct override_stat override;
	bool override_in_store; /* it came from a side store, not an xattr */
	/* Its override lives only here (no xattr, no store): a reference of its own keeps it. */
	bool override_pinned;
	bool legacy_xattr;	/* the object carries an override xattr (read when no entry) */
	/* Loaded with it: has the object any xattr the guest sees? (valid unless UNKNOWN) */
	bool guest_xattrs;
	/* The st_ino reported for it, fixed at the first stat (fs_stat_inode); 0 before. */
	uint64_t view_ino;
	/* view_ino is published as "no guest xattrs" in fs->hints (guarded by 'lock'). */
	bool hinted;
	/* Directories: when a readdir last started at offset 0 (CLOCK_MONOTONIC ns); atomic. */
	uint64_t listed_ns;
	/* Directories: their symlinks were read ahead once (linkahead.c); atomic. */
	bool links_ahead;
	/* Directories: the walk through the mount that listed them or starts here (walkahead.c). */
	uint32_t ahead_walk;
	/* Directories: which listing of walkahead.c's helpers this was (0: none); atomic. */
	uint64_t ahead_seq;
	/*
	 * Another name of it in the same directory (a LINK), under fs->tree_lock:
	 * what it is reached by when its own name goes (inode_pin_fd).
	 */
	char *alt_name;
	/* Directories: when last looked up or looked in (fdp_now), for fdpressure.c; atomic. */
	uint32_t used;
	bool counted; /* a directory fdpressure.c counts */
};

struct fs {
	struct fs_options *opts;
	struct layer *layers;
	int n_layers;
	int upper; /* index of the writable layer, -1 when read-only */
	char *mountpoint;
	size_t mountpoint_len;
	uid_t uid;
	gid_t gid;
	double timeout;	     /* rootfs: the daemon is the only writer */
	double bind_timeout; /* binds: the host may change them behind our back */
	struct inode root;
	pthread_rwlock_t tree_lock;
	struct fuse_session *se;
	bool writeback;	  /* the kernel agreed to cache writes */
	bool no_opendir;  /* the kernel opens directories without asking us */
	/*
	 * No OPEN, no RELEASE, no FLUSH (fs_init): requests about a file carry
	 * no handle, and each opens the backing object for its own work
	 * (file_fd). Only where the kernel's open needs no permission check of
	 * ours: the daemon is root, the guest is fake root, or the kernel judges
	 * (kernel_judges); binds (host files that change behind our back) and
	 * the writeback cache keep handles.
	 */
	bool no_open;
	/*
	 * Mounted with default_permissions (fs_kernel_judges): the kernel judges
	 * every access by the attributes we report, so no OPEN nor ACCESS needs
	 * to reach us for a permission check.
	 */
	bool kernel_judges;
	/*
	 * A user's view the kernel does not judge (binds) and no fake identity:
	 * requests are judged by the caller's own uid, gid and our groups
	 * (access.c: caller_of), since copying up would let the daemon change
	 * what the caller may not (another's file in a lower layer).
	 */
	bool judge_as_caller;
	struct credentials_slot *self; /* that identity: fsuid, fsgid filled per request */
	struct xattr_hints *hints; /* --xattr-hints, mapped shared; NULL without */
	const struct credentials_table *credentials; /* --credentials, mapped; NULL without */
	bool guards_armed; /* see access.c, guards_arm; atomic */
	pthread_mutex_t hints_lock; /* serialises the writers */
};

/* readdir.c: a directory's fd (O_PATH) opened for reading its entries */
int open_for_listing(int dirfd);

/* options.c */
int parse_options(int argc, char **argv, struct fs_options *opts);
void print_usage(FILE *out);
void free_options(struct fs_options *opts);
/* Create (or find) the vnode chain for a guest path, returning its last vnode. */
struct vnode *vnode_path(struct vnode *root, const char *guest);
void vnode_tree_free(struct vnode *v);

/* loop.c: serve requests until the session ends; 0, or -errno when the device failed. */
int fs_session_loop(struct fs *fs);
/*
 * loop.c: run call(arg) in a worker, for a request answered inline that
 * turns out to need a slow step (a read from disk). False when called
 * outside the loop's thread or without a worker: call it yourself.
 */
bool loop_defer(void (*call)(void *arg), void *arg);
/*
 * inval.c: run call(arg) on the invalidation thread, after the calls queued
 * before it: one that waits for a directory's lock (a kernel invalidation)
 * without holding up requests. False: call it yourself. inval_stop at the
 * session's end runs what is left and ends the thread.
 */
bool inval_defer(void (*call)(void *arg), void *arg);
void inval_stop(void);
/* Have the kernel forget parent/name, on that thread. */
void inval_entry_later(struct fs *fs, fuse_ino_t parent, const char *name);
/* Start a helper thread that receives no signals (the loop's thread handles them). */
bool loop_start_quiet_thread(pthread_t *thread, void *(*body)(void *));
/* Has this process one CPU to run on? */
bool loop_one_cpu(void);

/* binds.c: bind points whose path crosses a guest symlink move to where it leads. */
int canonicalize_bind_points(struct fs *fs);

/* inode.c */
void inode_table_init(struct fs *fs);
struct inode *inode_from_id(struct fs *fs, fuse_ino_t ino);
fuse_ino_t inode_id(struct fs *fs, struct inode *inode);
/*
 * Find the inode for (dev, ino) or insert 'fresh' (which then owns its fds).
 * Returns the inode with one more reference; if an existing one was found,
 * 'fresh' is destroyed.
 */
struct inode *inode_insert_or_get(struct fs *fs, struct inode *fresh);
/* Index an object just made: an entry of the same key is stale (a number reused) and leaves. */
struct inode *inode_insert_new(struct fs *fs, struct inode *fresh);
struct inode *inode_new(void);
void inode_ref(struct inode *inode);
/* A LINK made name 'name' of it in 'parent': kept when that is its own directory. */
void inode_linked(struct fs *fs, struct inode *inode, struct inode *parent, const char *name);
void inode_unref(struct fs *fs, struct inode *inode, uint64_t n);
/* Guest path of an inode ("/" for the root), malloc'd; NULL + errno on failure. */
char *inode_guest_path(struct fs *fs, struct inode *inode);
/* Every directory inode below the root, each with a reference (inode_unref them), malloc'd. */
struct inode **inode_collect_dirs(struct fs *fs, size_t *count);

/*
 * fdpressure.c: directory inodes counted as the table gains and loses them;
 * at a quarter of RLIMIT_NOFILE the kernel is asked to forget the least
 * recently used half (fdp_init reads the limit). fdp_now: the coarse clock
 * of inode->used.
 */
void fdp_init(void);
uint32_t fdp_now(void);
void fdp_dir_added(struct fs *fs);
void fdp_dir_removed(void);
/* Half way there: a listing sends its directories without a dentry (no fds for them). */
bool fdp_pressed(void);

/* layers.c */
int fs_open_layers(struct fs *fs);
/* Resolve 'name' in 'parent' across layers, vnodes and binds: new inode ref in *out. */
int fs_lookup_child(struct fs *fs, struct inode *parent, const char *name, struct inode **out);
int fs_lookup_child_stat(struct fs *fs, struct inode *parent, const char *name,
			 struct inode **out, struct stat *backing);
/* Stat an inode as the guest sees it (fake root, clamped times, stable inodes applied). */
int fs_stat_inode(struct fs *fs, struct inode *inode, struct stat *st);
int fs_stat_inode_from(struct fs *fs, struct inode *inode, struct stat *st,
		       const struct stat *backing);
bool fs_is_whiteout_name(const char *name);
bool fs_inode_writable(struct fs *fs, struct inode *inode);
bool fs_multi_layer(struct fs *fs);
/* Apply the guest-visible transformations to a raw backing stat (of a bind's file or not). */
void fs_fix_stat(struct fs *fs, struct stat *st, bool in_bind);
/* Under fake root, who the invoking user's files appear to belong to there. */
void fs_default_owner(struct fs *fs, bool in_bind, uid_t *uid, gid_t *gid);
/* The inode number the guest sees for a backing (dev, ino) (or a guest path, when stable). */
uint64_t fs_map_ino(struct fs *fs, dev_t dev, ino_t ino, const char *guest_path);

/*
 * An O_PATH fd of the inode's backing object, -1 (errno set) for a synthetic
 * inode or when it cannot be reached. Directories keep theirs; other objects
 * are reopened by (parent's fd in their layer, name), since the kernel keeps
 * inodes far longer than we could keep fds. Such an fd belongs to the calling
 * thread and stays open until that thread has reopened 16 more: use it within
 * the request, never keep it.
 */
int inode_fd(struct inode *inode);
/* open(2) and access(2) of the backing object in one syscall; -1 + errno on failure. */
int inode_open(struct inode *inode, int flags);
int inode_access(struct inode *inode, int mask);
/*
 * A path naming the backing object for the calls that take only paths
 * (xattrs), without reopening it: valid until inode_path_end, which must
 * follow soon (it holds the tree lock against renames and pins). Only for
 * regular files and directories: the path is followed to its end.
 */
#define INODE_PATH_MAX (PROC_FD_PATH_MAX + 256)
void inode_path_begin(struct inode *inode, char *path);
ssize_t inode_readlink(struct inode *inode, char *buf, size_t size);
ssize_t inode_path_listxattr(struct inode *inode, const char *path, char *list, size_t size);
void inode_path_end(void);
/*
 * The object is about to lose name 'name' of 'parent' (unlink, rename over
 * it; NULL: its own): keep an fd to it from now on, unless that is not the
 * name it is reached by, or another one in that directory (inode_linked)
 * still leads to it, which it is then reached by.
 */
void inode_pin_fd(struct fs *fs, struct inode *inode, struct inode *parent, const char *name);
/* Copy-up moved the object: reopened fds of the old one must not be reused. */
void inode_fds_changed(void);

/* Loads and stores that copy-up may race with. */
static inline int inode_own_fd(struct inode *inode)
{
	return __atomic_load_n(&inode->fd, __ATOMIC_ACQUIRE);
}

static inline int inode_layer(struct inode *inode)
{
	return __atomic_load_n(&inode->layer, __ATOMIC_ACQUIRE);
}

static inline bool inode_synthetic(struct inode *inode)
{
	return inode_layer(inode) == LAYER_NONE;
}

static inline int inode_dir_fd(struct inode *dir, int layer)
{
	if (dir->dir_fds)
		return __atomic_load_n(&dir->dir_fds[layer], __ATOMIC_ACQUIRE);
	return inode_layer(dir) == layer ? inode_own_fd(dir) : -1;
}

/* inode.c: the backing object changed (copy-up): index the inode under its new key. */
void inode_rekey(struct fs *fs, struct inode *inode, uint64_t dev, uint64_t ino);

/* copyup.c */
/* Make 'inode' exist in the writable layer (a no-op when it does or lives in a rw bind). */
int copy_up(struct fs *fs, struct inode *inode, bool with_data);
/* The fd of the directory where entries of 'dir' are written (copying it up first). */
int writable_dir_fd(struct fs *fs, struct inode *dir, int *out);
/* Is the inode's current backing object in the writable layer (or a rw bind)? */
bool inode_is_upper(struct fs *fs, struct inode *inode);

/* metadata.c */
/* The inode's fake metadata, loading it on first use. Returns true when present. */
bool meta_get(struct fs *fs, struct inode *inode, struct override_stat *out);
/* Persist fake metadata on the (copied-up) inode and cache it. */
int meta_store(struct fs *fs, struct inode *inode, const struct override_stat *ov);
/* Overwrite uid, gid, mode and type of a guest stat with the inode's fake metadata. */
void meta_apply(struct fs *fs, struct inode *inode, struct stat *st);
/* Could the object have xattrs the guest sees? false is sure (loaded with the metadata). */
bool meta_may_have_xattrs(struct fs *fs, struct inode *inode);
/* The object's xattrs changed (or may have): load them again with the metadata. */
void meta_forget(struct fs *fs, struct inode *inode);

/*
 * access.c: the kernel's permission checks for the guest's fake identities.
 * 'who' is the caller (caller_of), NULL when the request is not checked;
 * each returns 0 or the kernel's -errno.
 */
int access_open_table(struct fs *fs, const char *path);
/* A user's view with binds: judge requests by the caller's own ids (fs->judge_as_caller). */
void access_judge_as_caller(struct fs *fs);
const struct credentials_slot *caller_of(struct fs *fs, fuse_req_t req,
					 struct credentials_slot *buf);
int access_permission(const struct credentials_slot *who, const struct stat *st, int mask);
/* mask: R_OK, W_OK, X_OK on the inode's guest-visible owner and mode. */
int access_inode(struct fs *fs, const struct credentials_slot *who, struct inode *inode, int mask);
int access_may_delete(struct fs *fs, const struct credentials_slot *who, struct inode *dir,
		      struct inode *child);
/* May attr's changes (FUSE_SET_ATTR_*) be made? A setgid bit the caller may not keep goes. */
int access_setattr(struct fs *fs, const struct credentials_slot *who, struct inode *inode,
		   int valid, struct stat *attr, bool has_handle);
int access_xattr(struct fs *fs, const struct credentials_slot *who, struct inode *inode,
		 const char *name, int mask);
/* A hard link to the inode (protected_hardlinks). */
int access_link(struct fs *fs, const struct credentials_slot *who, struct inode *inode);

/* hints.c: the xattr hints table (common/xattr_hints.h). */
int hints_create(struct fs *fs, const char *path);
void hints_set(struct fs *fs, uint64_t ino);
void hints_clear(struct fs *fs, uint64_t ino);
/* The inode's xattrs may change, or its number go to another object: withdraw its hint. */
void hints_withdraw(struct fs *fs, struct inode *inode);
/* Set fake metadata as an xattr on a path in the upper layer (copy-up, before any inode exists). */
int meta_store_xattr_at(int dirfd, const char *name, const struct override_stat *ov);
/*
 * Set fake metadata on an object just made in 'dir' (name in its writable
 * dirfd): in the side store when the layer has one, else as an xattr.
 */
int meta_store_new(struct fs *fs, struct inode *dir, int dirfd, const char *name,
		   const struct override_stat *ov);
/* The inode's metadata, when it came from a side store (copy-up carries it as an xattr). */
bool meta_get_from_store(struct fs *fs, struct inode *inode, struct override_stat *out);
/* A name of 'inode' went away through the view: the last one takes its side-store entry. */
void meta_unlinked(struct fs *fs, struct inode *inode);
/* Open the layers' side stores (writable for --in-place) / flush and close them. */
int meta_open_stores(struct fs *fs);
void meta_close_stores(struct fs *fs);
/* Is 'name' in 'dir' the side store's directory (hidden, not creatable)? */
bool meta_reserved_name(struct fs *fs, struct inode *dir, const char *name);

/* union.c: whiteouts and opaque directories in the writable layer */
/* Does any layer below the writable one have 'name' (or a whiteout of it) in 'dir'? */
bool union_name_below(struct fs *fs, struct inode *dir, const char *name);
int union_make_whiteout(int upper_dirfd, const char *name);
/* Remove a whiteout of 'name' in upper_dirfd (either format); 1 when one was there. */
int union_remove_whiteout(int upper_dirfd, const char *name);
int union_make_opaque(int dirfd);
/* Is the merged directory empty (".", ".." only)? 1 yes, 0 no, -errno. */
int union_dir_is_empty(struct fs *fs, struct inode *dir);
/* Delete whiteouts and the opaque marker from an upper directory before rmdir. */
int union_clear_dir(int dirfd);

/* symlink.c */
/* Rewrite a symlink target read from the link 'link' (see docs/groot-fs.md). */
int symlink_rewrite(struct fs *fs, struct inode *link, const char *target, char **out);

/* readdir.c */
struct dir_entry {
	char *name;
	ino_t ino;
	unsigned char type; /* DT_* */
	uint64_t cookie;    /* listings: the offset that resumes after this entry */
};
/* A listing entry looked up ahead of the readdir that sends it (prefetch.c). */
struct dir_prefetch {
	struct inode *child;	   /* one reference, handed to the kernel with the entry; atomic */
	struct fuse_entry_param e; /* its reply, made then (make_entry_from) */
};
struct dir_handle {
	struct dir_entry *entries;
	size_t count;
	unsigned refs;			/* listings: readers and the inode, under its lock */
	struct dir_handle *prev, *next; /* freed at exit if never released */
	/* Listings made ahead by prefetch.c: one dir_prefetch per entry, or NULL. */
	struct dir_prefetch *pre;
	struct fs *fs;	/* for the references in 'pre' */
	uint64_t gen;	/* prefetch_generation() when it was made */
	bool unused;	/* no readdir has taken it yet (under the inode's lock) */
	bool walk;	/* the stream is part of a recursive walk (prefetch_walking) */
};
/* The merged listing in opendir's order, "." and ".." first; offsets are indexes. */
int dir_snapshot(struct fs *fs, struct inode *dir, struct dir_handle **out);
void dir_handle_free(struct dir_handle *dh);
void dir_handles_free_all(void);
/*
 * Without opendir: the listing of 'dir' in cookie order, one reference for
 * the caller (dir_listing_put). Offset 0 starts a new stream and lists the
 * directory afresh; a later offset continues the current listing.
 */
int dir_listing_get(struct fs *fs, struct inode *dir, off_t off, struct dir_handle **out);
void dir_listing_put(struct inode *dir, struct dir_handle *dh);
/* Index of the first entry after cookie 'off'. */
size_t dir_listing_seek(const struct dir_handle *dh, off_t off);
/* The stream reached its end: forget the listing (it is rebuilt at the next offset 0). */
void dir_listing_done(struct inode *dir, struct dir_handle *dh);
/* The daemon changed the names in 'dir': a stream in progress must list it again. */
void dir_listing_invalidate(struct inode *dir);
/*
 * Make the listing of 'dir' ahead of its first readdir, each entry looked
 * up with its metadata loaded, and leave it on the inode for the next
 * offset-0 readdir (prefetch.c). False when 'dir' has a listing already.
 */
bool dir_listing_prefetch(struct fs *fs, struct inode *dir);
/* Drop the listing prefetched for 'dir' if no readdir has taken it. */
void dir_listing_drop_unused(struct inode *dir);

/*
 * prefetch.c: during a recursive walk (find, ls -R, du), the listings of the
 * subdirectories of the directory just listed are made by a helper thread
 * while the walker is still busy with the kernel, so that its next readdir
 * finds the lstat and metadata of every entry done.
 */
/* A request that may change the tree is about to run, or has run. */
void prefetch_note_change(void);
/* Changes counted so far: a listing made before a change is not used after it. */
uint64_t prefetch_generation(void);
/* 'dir' is listed from offset 0 now: is it part of a walk (its parent listed just before)? */
bool prefetch_walking(struct fs *fs, struct inode *dir);
/* Did a readdir start listing 'dir' within the walk window? (tree lock held for 'dir') */
bool prefetch_listed_lately(struct inode *dir);
/* Inodes with one reference each, collected for prefetch_push. */
struct inode_list {
	struct inode **items;
	size_t n, cap;
};
/* Queue 'dirs' (one reference each, taken over) to be listed ahead, dirs[0] first. */
void prefetch_push(struct fs *fs, struct inode **dirs, size_t n);
/* Wait while 'dir' is being listed ahead (its listing is then on the inode or dropped). */
void prefetch_wait(struct inode *dir);
/* At exit: stop the helper thread, drop what is queued. */
void prefetch_stop(void);

/*
 * linkahead.c: a READLINK in a directory listed moments before (ls -l) has
 * the directory's other symlinks read through the mount (mount_fd, an fd of
 * its root, which linkahead_start takes; -1 or never called: off).
 */
void linkahead_start(int mount_fd);
void linkahead_note(struct fs *fs, struct inode *link);
void linkahead_stop(void);
/* Has linkahead_start given an fd? Open a guest directory beneath it (no symlinks followed). */
bool mount_helpers_on(void);
int mount_open_dir(const char *path);
/*
 * Open a guest directory as mount_open_dir does and collect the names of
 * its entries of 'type' (DT_*, never "." or ".."): *names and each name
 * malloc'd. Returns the open directory (NULL if it could not be opened);
 * *error: why not, or why the listing stopped short (0: complete).
 */
DIR *mount_list_dir(const char *path, unsigned char type, char ***names, size_t *n, int *error);

/*
 * walkahead.c: a walk going deeper has its tree listed through the mount by
 * helper threads, a bounded lead ahead of the walker. walkahead_listing: a
 * readdir at offset 0 outside binds ('who': the caller's identity, NULL for
 * none); walkahead_reached: 'caller' asked for this directory's attributes.
 */
void walkahead_listing(struct fs *fs, struct inode *dir, pid_t caller,
		       const struct credentials_slot *who);
void walkahead_reached(struct fs *fs, struct inode *dir, pid_t caller);
/* Is a helper in a request? (At the loop's end: answer until none is.) */
bool walkahead_busy(void);
/* Wait until a helper is in a request (true) or the helpers stop (false). */
bool walkahead_wait_busy(void);
bool walkahead_is_helper(pid_t tid);
/* A helper's readdir in a bind: refused (a host tree may be anything). */
bool walkahead_refuses(struct fs *fs, struct inode *dir, pid_t caller);
/* A helper's identity: the walker's that started its walk (false: not a helper, or none). */
bool walkahead_identity(pid_t tid, struct credentials_slot *buf);
void walkahead_stop(void);

/* ops_read.c, ops_write.c, ops_dir.c */
void fill_read_ops(struct fuse_lowlevel_ops *ops);
void fill_write_ops(struct fuse_lowlevel_ops *ops);
void fill_dir_ops(struct fuse_lowlevel_ops *ops);
/* FUSE_READ (read_data.c). */
void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
double timeout_of(struct fs *fs, struct inode *inode);
double attr_timeout_of(struct fs *fs, struct inode *inode, const struct stat *st);
/* A core dump's file under a fake identity: the caller's real ids in the reply (metadata.c). */
void core_dump_entry(struct fs *fs, fuse_req_t req, int flags, mode_t mode,
		     struct fuse_entry_param *e);
/* A root daemon's new object becomes its (non-root) creator's (metadata.c). */
int give_to_caller(struct fs *fs, fuse_req_t req, struct inode *parent, int dirfd, const char *name,
		   int fd, mode_t mode);
bool fs_dir_guarded(struct fs *fs, struct inode *dir);
bool guards_armed(struct fs *fs);
void guards_arm(fuse_req_t req);

struct fuse_in_header;
/* killpriv.c: HANDLE_KILLPRIV_V2 added to the INIT reply the kernel offered it in. */
void killpriv_note_request(const struct fuse_in_header *in, size_t size);
int killpriv_install(struct fuse_session *se);
/* Drop the kernel's cached names in every guarded directory (guards_arm). */
void inval_guarded_children(struct fs *fs);
bool name_is_own(struct fs *fs, fuse_ino_t ino, struct inode *parent, const char *name);
void entry_guard(struct fs *fs, struct inode *parent, const char *name,
		 struct fuse_entry_param *e);
void inval_children(struct fs *fs, struct inode *dir);
/* Build an entry reply for a fresh reference (dropped again on failure). */
int make_entry(struct fs *fs, struct inode *inode, struct fuse_entry_param *e);
int file_fd(struct fs *fs, struct inode *inode, struct fuse_file_info *fi, int flags, bool *opened);
bool fs_kernel_judges(const struct fs_options *opts);
bool vnodes_have_bind(const struct vnode *v, bool writable_only);
int make_entry_from(struct fs *fs, struct inode *inode, struct fuse_entry_param *e,
		    const struct stat *backing);

/* Helpers shared by the handlers. */
static inline struct fs *req_fs(fuse_req_t req)
{
	return (struct fs *)fuse_req_userdata(req);
}

/*
 * Flags to open a backing file with. Under the writeback cache the kernel
 * reads pages around partial writes, even of a write-only file, and it
 * computes O_APPEND offsets itself.
 */
static inline int backing_open_flags(struct fs *fs, int flags)
{
	/*
	 * O_DIRECT is the kernel's business with the guest (it sends the
	 * guest's I/O to us uncached); our buffers are not aligned for the
	 * backing file's own direct I/O, which would say EINVAL.
	 */
	flags &= ~O_DIRECT;
	if (fs->writeback) {
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags;
}

/*
 * Closing a file costs no flush round trip: writes reach the backing file
 * before they are answered, and POSIX locks are the kernel's (we implement
 * no lock handlers), so a flush has nothing to do. The kernel ignores this
 * under the writeback cache, where it must write its dirty pages first.
 */
static inline bool fs_noflush(struct fs *fs)
{
	return !fs->writeback;
}

#define PROC_FD_PATH_MAX 32
static inline void proc_fd_path(char buf[PROC_FD_PATH_MAX], int fd)
{
	snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

#endif
