// SPDX-License-Identifier: MIT
/*
 * Validated executables, remembered for the tracer's lifetime (docs/exec.md,
 * "The cache"). Every open, read, statfs and access of a file in the view is
 * a round trip to the FUSE daemon; stat, lstat and readlink are answered
 * from the kernel's caches. So a hit is decided with those alone.
 *
 * An entry is what one successful open_executable and read gave for a file
 * in one role: its first bytes and the ELF parse. Its key is the file's real
 * path (what /proc/self/fd showed for the slow path's fd) and its identity
 * (device, inode, size, mtime, ctime, mode, owner). realpath() is redone on
 * every lookup, so a retargeted symlink on the way is a different key, and
 * any write, chmod, chown or rename over the file changes the identity.
 * Only successes are stored; failures always take the slow path.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "exec-internal.h"

#define CACHE_MOUNTS 32

/* A file's identity as one stat shows it: any difference means another file or version. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The ELF fields of an exec_object, without its PATH_MAX host path. */
struct cached_elf {
	uint16_t e_type, e_phnum, e_phentsize;
	uint64_t e_entry, e_phoff, phdr_vaddr, max_align;
	size_t n_segments;
	struct exec_segment segments[16];
};

struct exec_cache_entry {
	struct exec_cache_entry *prev, *next; /* most recently used first */
	uint64_t hash;			      /* of role and link */
	enum exec_role role;
	char *link;
	struct file_id id;
	unsigned char head[EXEC_BUF_SIZE]; /* EXEC_ROLE_BINPRM */
	int program_r;			   /* EXEC_ROLE_BINPRM */
	bool has_interp, executable_stack, sanitizer_first; /* EXEC_ROLE_BINPRM, program_r == 0 */
	char *interp;
	struct cached_elf elf; /* the program (program_r == 0) or the interpreter */
};

/* Mount flags can differ between two mounts of one device (bind mounts): key on both. */
struct mount_flags {
	dev_t dev;
	uint64_t mnt_id;
	bool noexec;
};

struct exec_cache {
	struct exec_cache_entry *first, *last;
	size_t n_entries;
	struct exec_cache_stats stats;
	uid_t euid;
	gid_t egid;
	gid_t *groups;
	int n_groups;
	int mounts_fd; /* /proc/self/mounts: poll() says when the mount table changed */
	struct mount_flags mounts[CACHE_MOUNTS];
	size_t n_mounts, next_mount;
};

static int cache_destructor(struct exec_cache *cache)
{
	if (cache->mounts_fd >= 0)
		close(cache->mounts_fd);
	return 0;
}

struct exec_cache *exec_cache_new(TALLOC_CTX *ctx)
{
	struct exec_cache *cache = talloc_zero(ctx, struct exec_cache);
	int n;

	if (!cache)
		return NULL;
	cache->mounts_fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
	talloc_set_destructor(cache, cache_destructor);
	/* The tracer's credentials are the tracees' and never change (exec.h). */
	cache->euid = geteuid();
	cache->egid = getegid();
	n = getgroups(0, NULL);
	if (n > 0) {
		cache->groups = talloc_array(cache, gid_t, (size_t)n);
		if (!cache->groups) {
			talloc_free(cache);
			return NULL;
		}
		n = getgroups(n, cache->groups);
	}
	cache->n_groups = n > 0 ? n : 0;
	return cache;
}

const struct exec_cache_stats *exec_cache_get_stats(const struct exec_cache *cache)
{
	return &cache->stats;
}

static void id_from_stat(const struct stat *st, struct file_id *id)
{
	*id = (struct file_id){.dev = st->st_dev,
			       .ino = st->st_ino,
			       .size = st->st_size,
			       .mtim = st->st_mtim,
			       .ctim = st->st_ctim,
			       .mode = st->st_mode,
			       .uid = st->st_uid,
			       .gid = st->st_gid};
}

static void id_from_statx(const struct statx *stx, struct file_id *id)
{
	*id = (struct file_id){
	    .dev = makedev(stx->stx_dev_major, stx->stx_dev_minor),
	    .ino = stx->stx_ino,
	    .size = (off_t)stx->stx_size,
	    .mtim = {.tv_sec = stx->stx_mtime.tv_sec, .tv_nsec = stx->stx_mtime.tv_nsec},
	    .ctim = {.tv_sec = stx->stx_ctime.tv_sec, .tv_nsec = stx->stx_ctime.tv_nsec},
	    .mode = stx->stx_mode,
	    .uid = stx->stx_uid,
	    .gid = stx->stx_gid};
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_id(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       same_time(&a->mtim, &b->mtim) && same_time(&a->ctim, &b->ctim) &&
	       a->mode == b->mode && a->uid == b->uid && a->gid == b->gid;
}

/* FNV-1a: a cheap filter before strcmp. */
static uint64_t key_hash(enum exec_role role, const char *link)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)role;

	for (const unsigned char *p = (const unsigned char *)link; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static struct exec_cache_entry *find(struct exec_cache *cache, enum exec_role role,
				     const char *link, uint64_t hash)
{
	for (struct exec_cache_entry *e = cache->first; e; e = e->next)
		if (e->hash == hash && e->role == role && strcmp(e->link, link) == 0)
			return e;
	return NULL;
}

static void unlink_entry(struct exec_cache *cache, struct exec_cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		cache->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		cache->last = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct exec_cache *cache, struct exec_cache_entry *e)
{
	e->next = cache->first;
	if (cache->first)
		cache->first->prev = e;
	cache->first = e;
	if (!cache->last)
		cache->last = e;
}

/* ST_NOEXEC of a mount; statvfs (a STATFS request on the view) once per mount. */
static int mount_noexec(struct exec_cache *cache, dev_t dev, uint64_t mnt_id, int fd,
			const char *path)
{
	struct pollfd pfd = {.fd = cache->mounts_fd, .events = POLLPRI};
	struct mount_flags *m;
	struct statvfs vfs;
	int r;

	/* A mount, umount or remount anywhere since last time: flags may have changed. */
	if (cache->mounts_fd >= 0 && poll(&pfd, 1, 0) > 0 && pfd.revents)
		cache->n_mounts = 0;
	for (size_t i = 0; i < cache->n_mounts; i++)
		if (cache->mounts[i].dev == dev && cache->mounts[i].mnt_id == mnt_id)
			return cache->mounts[i].noexec;
	r = fd >= 0 ? fstatvfs(fd, &vfs) : statvfs(path, &vfs);
	if (r < 0)
		return -errno;
	/* Without the poll we could not tell a remount: then ask every time. */
	if (cache->mounts_fd < 0)
		return (vfs.f_flag & ST_NOEXEC) != 0;
	if (cache->n_mounts < CACHE_MOUNTS) {
		m = &cache->mounts[cache->n_mounts++];
	} else {
		m = &cache->mounts[cache->next_mount];
		cache->next_mount = (cache->next_mount + 1) % CACHE_MOUNTS;
	}
	*m = (struct mount_flags){.dev = dev, .mnt_id = mnt_id, .noexec = vfs.f_flag & ST_NOEXEC};
	return m->noexec;
}

int exec_cache_noexec(struct exec_cache *cache, int fd)
{
	struct statx stx;
	struct statvfs vfs;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return fstatvfs(fd, &vfs) < 0 ? -errno : (vfs.f_flag & ST_NOEXEC) != 0;
	return mount_noexec(cache, makedev(stx.stx_dev_major, stx.stx_dev_minor), stx.stx_mnt_id,
			    fd, NULL);
}

static bool in_groups(const struct exec_cache *cache, gid_t gid)
{
	if (gid == cache->egid)
		return true;
	for (int i = 0; i < cache->n_groups; i++)
		if (cache->groups[i] == gid)
			return true;
	return false;
}

/*
 * Only the class check: capabilities (root's "any x bit"), ACLs and the
 * daemon's own rules are left to faccessat when this says no, so a grant
 * here is one generic_permission would give too.
 */
bool exec_cache_may_exec(const struct exec_cache *cache, const struct stat *st)
{
	mode_t mode = st->st_mode;

	if (st->st_uid == cache->euid)
		mode >>= 6;
	else if (in_groups(cache, st->st_gid))
		mode >>= 3;
	return (mode & S_IXOTH) != 0;
}

const struct exec_cache_entry *exec_cache_open(struct exec_cache *cache, enum exec_role role,
					       const char *host_path, bool nofollow,
					       char link[PATH_MAX])
{
	struct exec_cache_entry *e;
	struct file_id id, real_id;
	const unsigned int want =
	    STATX_BASIC_STATS | STATX_MNT_ID; /* never btime: a FUSE request */
	struct statx stx;
	struct stat st;

	if ((nofollow ? lstat(host_path, &st) : stat(host_path, &st)) < 0 || !S_ISREG(st.st_mode))
		goto miss; /* the slow path finds the right errno */
	if (!realpath(host_path, link))
		goto miss;
	if (statx(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, want, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		goto miss;
	id_from_stat(&st, &id);
	id_from_statx(&stx, &real_id);
	/* A magic link (/proc/PID/fd/N) whose text is not where its file is, or a race. */
	if (!same_id(&id, &real_id))
		goto miss;
	e = find(cache, role, link, key_hash(role, link));
	if (!e || !same_id(&e->id, &id))
		goto miss;
	/* Read and x permission were granted for this identity and these credentials. */
	if (mount_noexec(cache, id.dev, stx.stx_mnt_id, -1, link) != 0)
		goto miss;
	unlink_entry(cache, e);
	push_front(cache, e);
	cache->stats.hits++;
	return e;
miss:
	cache->stats.misses++;
	return NULL;
}

/* The ELF layout fields, the same in a cached_elf and an exec_object. */
#define COPY_ELF_LAYOUT(to, from)                                                   \
	do {                                                                        \
		(to)->e_type = (from)->e_type;                                      \
		(to)->e_phnum = (from)->e_phnum;                                    \
		(to)->e_phentsize = (from)->e_phentsize;                            \
		(to)->e_entry = (from)->e_entry;                                    \
		(to)->e_phoff = (from)->e_phoff;                                    \
		(to)->phdr_vaddr = (from)->phdr_vaddr;                              \
		(to)->max_align = (from)->max_align;                                \
		(to)->n_segments = (from)->n_segments;                              \
		memcpy((to)->segments, (from)->segments, sizeof((to)->segments));   \
	} while (0)

static void save_elf(struct cached_elf *to, const struct exec_object *from)
{
	COPY_ELF_LAYOUT(to, from);
}

static void restore_elf(struct exec_object *to, const struct cached_elf *from)
{
	COPY_ELF_LAYOUT(to, from);
}

void exec_cache_restore(const struct exec_cache_entry *e, unsigned char *head, int *program_r,
			struct elf_program_info *info, struct exec_object *elf)
{
	if (e->role == EXEC_ROLE_BINPRM) {
		memcpy(head, e->head, EXEC_BUF_SIZE);
		*program_r = e->program_r;
		memset(info, 0, sizeof(*info));
		if (e->program_r < 0)
			return;
		info->has_interp = e->has_interp;
		info->executable_stack = e->executable_stack;
		info->sanitizer_first = e->sanitizer_first;
		if (e->interp)
			strcpy(info->interp, e->interp);
	}
	restore_elf(elf, &e->elf);
}

/* A fresh entry, or the least recently used one emptied. */
static struct exec_cache_entry *take_entry(struct exec_cache *cache)
{
	struct exec_cache_entry *e;

	if (cache->n_entries < EXEC_CACHE_SIZE) {
		e = talloc_zero(cache, struct exec_cache_entry);
		if (e)
			cache->n_entries++;
		return e;
	}
	e = cache->last;
	unlink_entry(cache, e);
	TALLOC_FREE(e->link);
	TALLOC_FREE(e->interp);
	cache->stats.evictions++;
	return e;
}

void exec_cache_store(struct exec_cache *cache, enum exec_role role, const char *link,
		      const struct stat *st, const struct exec_cache_data *data)
{
	uint64_t hash = key_hash(role, link);
	struct exec_cache_entry *e = find(cache, role, link, hash);

	/* The same path with an older identity: replace it. */
	if (e) {
		unlink_entry(cache, e);
		TALLOC_FREE(e->interp);
	} else {
		e = take_entry(cache);
		if (!e)
			return;
		e->link = talloc_strdup(e, link);
	}
	e->hash = hash;
	e->role = role;
	id_from_stat(st, &e->id);
	e->program_r = 0;
	e->has_interp = e->executable_stack = e->sanitizer_first = false;
	if (role == EXEC_ROLE_BINPRM) {
		memcpy(e->head, data->head, EXEC_BUF_SIZE);
		e->program_r = data->program_r;
		if (data->program_r == 0) {
			e->has_interp = data->info->has_interp;
			e->executable_stack = data->info->executable_stack;
			e->sanitizer_first = data->info->sanitizer_first;
			if (e->has_interp)
				e->interp = talloc_strdup(e, data->info->interp);
		}
	}
	if (data->elf && (role == EXEC_ROLE_INTERP || data->program_r == 0))
		save_elf(&e->elf, data->elf);
	if (!e->link || (e->has_interp && !e->interp)) {
		/* ENOMEM: forget it rather than keep half an entry. */
		talloc_free(e);
		cache->n_entries--;
		return;
	}
	push_front(cache, e);
	cache->stats.stores++;
}
