/* SPDX-License-Identifier: MIT */
/*
 * The side store's file and table (see sidestore.h). One mutex guards both:
 * a put is one hash insert and one write(2) of a short line to an O_APPEND
 * fd, and stats never come here once an inode has loaded its metadata.
 *
 * Several daemons may serve one rootfs at once (two `groot proot -r` of the
 * same tree): each holds a shared flock on the file while it has it open,
 * and only a daemon that gets the lock exclusively, because nobody else has
 * the file open, truncates a torn tail or compacts. A compaction renames a
 * new file over the old one, so a daemon that waited for its lock checks
 * that the name still leads to the file it opened, and opens again if not.
 */
#include "sidestore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Compact when the log holds this many records more than twice the live entries. */
#define COMPACT_SLACK 256

struct slot {
	bool used; /* the ino is set; 'live' false: the entry was dropped */
	bool live;
	struct side_entry e;
};

struct table {
	struct slot *slots;
	size_t cap, used, live;
};

struct side_store {
	pthread_mutex_t lock;
	int root_fd; /* the layer */
	int fd;	     /* the log, -1 until a writable store makes it */
	char *path;  /* ROOT/.groot/metadata, for messages */
	dev_t dev;
	bool writable;
	bool check_tail; /* the log may end in a torn record: start ours on a new line */
	struct table table;
	size_t records; /* lines in the log */
};

static size_t slot_of(const struct table *t, uint64_t ino)
{
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);

	while (t->slots[i].used && t->slots[i].e.ino != ino)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int table_grow(struct table *t)
{
	struct table bigger = {.cap = t->cap ? t->cap * 2 : 256};

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	/* Dropped entries are not carried over: growing doubles as cleaning. */
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].live) {
			size_t j = slot_of(&bigger, t->slots[i].e.ino);

			bigger.slots[j] = t->slots[i];
			bigger.used++;
			bigger.live++;
		}
	free(t->slots);
	*t = bigger;
	return 0;
}

static int table_set(struct table *t, const struct side_entry *e)
{
	size_t i;

	if ((t->used + 1) * 2 > t->cap && table_grow(t) < 0)
		return -ENOMEM;
	i = slot_of(t, e->ino);
	if (!t->slots[i].used)
		t->used++;
	if (!t->slots[i].live)
		t->live++;
	t->slots[i].used = true;
	t->slots[i].live = true;
	t->slots[i].e = *e;
	return 0;
}

static const struct side_entry *table_get(const struct table *t, uint64_t ino)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	i = slot_of(t, ino);
	return t->slots[i].live ? &t->slots[i].e : NULL;
}

static void table_drop(struct table *t, uint64_t ino)
{
	size_t i;

	if (t->cap == 0)
		return;
	i = slot_of(t, ino);
	if (t->slots[i].live) {
		t->slots[i].live = false;
		t->live--;
	}
}

struct load_result {
	size_t records; /* complete lines after the header */
	size_t bad;	/* of which malformed */
	size_t first_bad_line;
	off_t good_len; /* end of the last complete line */
	bool torn;	/* bytes after it */
};

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * Parse the log into 't'. -EBADMSG when the file is not a store (no header);
 * an empty file is an empty store (created, header not yet written).
 */
static int load_log(int fd, struct table *t, struct load_result *res)
{
	size_t header = strlen(SIDE_STORE_HEADER), len = 0, line = 1;
	char *buf = NULL, *p, *end;
	int r = read_all(fd, &buf, &len);

	memset(res, 0, sizeof(*res));
	if (r < 0)
		return r;
	if (len == 0) {
		free(buf);
		return 0;
	}
	if (len < header || memcmp(buf, SIDE_STORE_HEADER, header) != 0) {
		/* A crash between creating the file and writing its header leaves a prefix. */
		bool prefix = len < header && memcmp(buf, SIDE_STORE_HEADER, len) == 0;

		free(buf);
		if (prefix) {
			res->torn = true;
			return 0;
		}
		return -EBADMSG;
	}
	res->good_len = (off_t)header;
	end = buf + len;
	for (p = buf + header; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct side_entry e;

		if (!nl) {
			res->torn = true; /* the last write did not complete */
			break;
		}
		line++;
		res->records++;
		r = side_record_decode(p, (size_t)(nl - p), &e);
		if (r < 0) {
			if (res->bad++ == 0)
				res->first_bad_line = line;
		} else if (r == 1) {
			if (table_set(t, &e) < 0) {
				free(buf);
				return -ENOMEM;
			}
		} else {
			table_drop(t, e.ino);
		}
		p = nl + 1;
		res->good_len = (off_t)(p - buf);
	}
	free(buf);
	return 0;
}

/* Does the store's name still lead to the file 'fd' (not renamed over by a compaction)? */
static bool still_current(struct side_store *s, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 ||
	    fstatat(s->root_fd, SIDE_STORE_DIR "/" SIDE_STORE_FILE, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Open the log and lock it: exclusively when nobody else has it open
 * (*exclusive), else shared. -ENOENT when it does not exist and !create.
 */
/* flock(2) that a signal does not interrupt (the daemon's threads get SIGTERM at exit). */
static int lock_file(int fd, int operation)
{
	int r;

	while ((r = flock(fd, operation)) < 0 && errno == EINTR)
		;
	return r;
}

static int open_locked(struct side_store *s, bool create, bool *exclusive)
{
	*exclusive = false;
	for (int attempt = 0; attempt < 100; attempt++) {
		int flags = s->writable ? O_RDWR | O_APPEND : O_RDONLY;
		int fd;

		if (create && mkdirat(s->root_fd, SIDE_STORE_DIR, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(s->root_fd, SIDE_STORE_DIR "/" SIDE_STORE_FILE,
			    flags | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
		if (fd < 0)
			return -errno;
		*exclusive = s->writable && flock(fd, LOCK_EX | LOCK_NB) == 0;
		if (!*exclusive && lock_file(fd, LOCK_SH) < 0 && errno != ENOLCK) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (still_current(s, fd))
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

static void report_bad_file(struct side_store *s, int err)
{
	if (err == -EBADMSG)
		log_error("%s is not a groot metadata store (its first line is not '%.*s'): fake "
			  "ownership and modes are not kept in it. Move it away to start a new "
			  "one (the metadata it held is lost), or restore it from a backup",
			  s->path, (int)strlen(SIDE_STORE_HEADER) - 1, SIDE_STORE_HEADER);
	else
		log_error(
		    "%s: %s: fake ownership and modes are not kept in it; fix its permissions "
		    "or move it away to start a new one",
		    s->path, strerror(-err));
}

static void report_bad_records(struct side_store *s, const struct load_result *res)
{
	if (res->bad)
		log_warn("%s: ignored %zu malformed record%s (the first on line %zu); the "
			 "metadata of those files is lost, the rest is intact",
			 s->path, res->bad, res->bad == 1 ? "" : "s", res->first_bad_line);
	if (res->torn)
		log_info("%s: ignored an incomplete last record (a crash while writing it)",
			 s->path);
}

static bool worth_compacting(const struct side_store *s)
{
	return s->records > 2 * s->table.live + COMPACT_SLACK;
}

/* Write the live entries to a new file and rename it over the log. Holds the lock exclusively. */
static int compact_locked(struct side_store *s)
{
	const char *tmp = SIDE_STORE_DIR "/" SIDE_STORE_FILE ".new";
	size_t cap = 65536, n = 0, records = 0;
	char *buf = malloc(cap);
	int fd = -1, r = 0;
	struct table fresh = {0};
	struct load_result res;

	if (!buf)
		return -ENOMEM;
	/* From the disk, not memory: it has what other daemons appended before they closed it. */
	r = load_log(s->fd, &fresh, &res);
	if (r < 0)
		goto out;
	memcpy(buf, SIDE_STORE_HEADER, strlen(SIDE_STORE_HEADER));
	n = strlen(SIDE_STORE_HEADER);
	for (size_t i = 0; i < fresh.cap; i++) {
		if (!fresh.slots[i].live)
			continue;
		if (cap - n < SIDE_RECORD_MAX) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				r = -ENOMEM;
				goto out;
			}
			buf = bigger;
			cap *= 2;
		}
		r = side_record_encode_set(&fresh.slots[i].e, buf + n, cap - n);
		if (r < 0)
			goto out;
		n += (size_t)r;
		records++;
	}
	fd = openat(s->root_fd, tmp, O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* Whoever opens the new name must wait for us, as for the old one. */
	lock_file(fd, LOCK_EX);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 ||
	    renameat(s->root_fd, tmp, s->root_fd, SIDE_STORE_DIR "/" SIDE_STORE_FILE) < 0) {
		r = -errno;
		goto out;
	}
	log_debug("%s: compacted %zu records into %zu", s->path, s->records, records);
	close(s->fd);
	s->fd = fd;
	fd = -1;
	free(s->table.slots);
	s->table = fresh;
	fresh.slots = NULL;
	s->records = records;
	s->check_tail = false;
	r = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlinkat(s->root_fd, tmp, 0);
	}
	free(fresh.slots);
	free(buf);
	return r;
}

/* (Re)open the log and load it; with the lock exclusive, tidy it. Caller holds s->lock. */
static int load_current(struct side_store *s, bool create)
{
	struct load_result res;
	bool exclusive;
	int fd, r;

	for (;;) {
		fd = open_locked(s, create, &exclusive);
		if (fd < 0)
			return fd;
		free(s->table.slots);
		memset(&s->table, 0, sizeof(s->table));
		r = load_log(fd, &s->table, &res);
		if (r < 0) {
			close(fd);
			return r;
		}
		if (s->fd >= 0)
			close(s->fd);
		s->fd = fd;
		s->records = res.records;
		s->check_tail = res.torn;
		report_bad_records(s, &res);
		if (!exclusive)
			return 0;
		/* Nobody else has it open: a torn tail can go, the header be written. */
		if (res.torn && ftruncate(fd, res.good_len) == 0)
			s->check_tail = false;
		if (res.good_len == 0 && s->writable && !s->check_tail) {
			ssize_t w = write(fd, SIDE_STORE_HEADER, strlen(SIDE_STORE_HEADER));

			if (w != (ssize_t)strlen(SIDE_STORE_HEADER))
				return w < 0 ? -errno : -EIO;
		}
		if (worth_compacting(s) && (r = compact_locked(s)) < 0)
			log_warn("%s: cannot compact: %s", s->path, strerror(-r));
		/*
		 * Let other daemons in. Converting a flock is not atomic: one may take
		 * it exclusively in between and compact, so check the name again.
		 */
		lock_file(s->fd, LOCK_SH);
		if (still_current(s, s->fd))
			return 0;
	}
}

/* mkdir -p of an absolute path, mode 0700 for what it makes. */
static int make_directories(char *path)
{
	for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		int r = mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
		if (slash)
			*slash = '/';
		if (r < 0)
			return r;
		if (!slash)
			return 0;
	}
}

/*
 * Where the store of a rootfs lives when the rootfs has none and the user
 * cannot make ROOT/.groot (a rootfs of "/", or a tree owned by root):
 * $XDG_DATA_HOME/groot/metadata/<the rootfs path, '/' as "%2F">. NULL when
 * there is no such place.
 */
static char *store_elsewhere(const char *root_path)
{
	const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char real[PATH_MAX], *out = NULL;
	size_t length = 0;
	FILE *name;

	if (!realpath(root_path, real) || !(name = open_memstream(&out, &length)))
		return NULL;
	if (data && data[0] == '/')
		fprintf(name, "%s/groot/metadata/", data);
	else if (home && home[0] == '/')
		fprintf(name, "%s/.local/share/groot/metadata/", home);
	for (const char *c = real; *c; c++)
		fprintf(name, *c == '/' ? "%%2F" : *c == '%' ? "%%25" : "%c", *c);
	if (fclose(name) != 0 || out[0] != '/') {
		free(out);
		return NULL;
	}
	return out;
}

/* The directory that holds .groot/metadata for the layer root_fd: a new fd, or -errno. */
static int store_directory(int root_fd, const char *root_path, bool writable, char **shown)
{
	struct stat st;
	char *elsewhere;
	int fd;

	if (fstatat(root_fd, SIDE_STORE_DIR, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    (writable && faccessat(root_fd, ".", W_OK, AT_EACCESS) == 0) ||
	    !(elsewhere = store_elsewhere(root_path)))
		goto in_root;
	if (writable && make_directories(elsewhere) < 0) {
		free(elsewhere);
		goto in_root;
	}
	fd = open(elsewhere, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		free(elsewhere);
		goto in_root;
	}
	*shown = elsewhere;
	return fd;
in_root:
	*shown = strdup(root_path);
	fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	return *shown && fd >= 0 ? fd : -errno;
}

int side_store_open(int root_fd, const char *root_path, dev_t dev, bool writable,
		    struct side_store **out)
{
	char *shown = NULL;
	struct side_store *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->dev = dev;
	s->writable = writable;
	s->root_fd = store_directory(root_fd, root_path, writable, &shown);
	if (s->root_fd < 0 ||
	    asprintf(&s->path, "%s/" SIDE_STORE_DIR "/" SIDE_STORE_FILE, shown) < 0) {
		r = s->root_fd < 0 ? s->root_fd : -errno;
		s->path = NULL;
		free(shown);
		side_store_close(s);
		return r;
	}
	free(shown);
	pthread_mutex_init(&s->lock, NULL);
	r = load_current(s, false);
	if (r == -ENOENT && writable) {
		*out = s; /* made by the first write */
		return 0;
	}
	if (r == -ENOENT || r == -ENOMEM) {
		side_store_close(s);
		return r == -ENOENT ? 0 : r;
	}
	if (r < 0) {
		report_bad_file(s, r);
		side_store_close(s);
		return 0;
	}
	log_debug("%s: %zu entries, %zu records", s->path, s->table.live, s->records);
	*out = s;
	return 0;
}

void side_store_close(struct side_store *s)
{
	int r;

	if (!s)
		return;
	if (s->fd >= 0 && s->writable) {
		if (fsync(s->fd) < 0)
			log_warn("%s: %s", s->path, strerror(errno));
		/* The last one to close it tidies up. */
		if (worth_compacting(s) && flock(s->fd, LOCK_EX | LOCK_NB) == 0 &&
		    still_current(s, s->fd) && (r = compact_locked(s)) < 0)
			log_warn("%s: cannot compact: %s", s->path, strerror(-r));
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->path)
		pthread_mutex_destroy(&s->lock);
	free(s->table.slots);
	free(s->path);
	free(s);
}

dev_t side_store_dev(const struct side_store *s)
{
	return s->dev;
}

bool side_store_get(struct side_store *s, uint64_t ino, struct side_entry *out)
{
	const struct side_entry *e;

	pthread_mutex_lock(&s->lock);
	e = table_get(&s->table, ino);
	if (e && out)
		*out = *e;
	pthread_mutex_unlock(&s->lock);
	return e != NULL;
}

bool side_store_has(struct side_store *s, uint64_t ino)
{
	return side_store_get(s, ino, NULL);
}

/* Append one record. Caller holds s->lock. */
static int append_locked(struct side_store *s, const char *line, size_t len)
{
	char buf[SIDE_RECORD_MAX + 1];
	ssize_t w;
	int r;

	if (!s->writable)
		return -EROFS;
	if (s->fd < 0 && (r = load_current(s, true)) < 0) {
		if (r != -ENOMEM)
			report_bad_file(s, r);
		return r;
	}
	if (s->check_tail) {
		/* A torn record of a crashed writer must not swallow ours. */
		struct stat st;
		char last = '\n';

		if (fstat(s->fd, &st) == 0 && st.st_size > 0)
			(void)!pread(s->fd, &last, 1, st.st_size - 1);
		s->check_tail = false;
		if (last != '\n' && len < sizeof(buf)) {
			buf[0] = '\n';
			memcpy(buf + 1, line, len);
			line = buf;
			len++;
		}
	}
	/* One write(2) with O_APPEND: records of concurrent writers do not interleave. */
	w = write(s->fd, line, len);
	if (w != (ssize_t)len) {
		r = w < 0 ? -errno : -EIO;
		s->check_tail = true;
		log_error("%s: cannot append: %s", s->path, strerror(-r));
		return r;
	}
	s->records++;
	return 0;
}

int side_store_put(struct side_store *s, const struct side_entry *e)
{
	char line[SIDE_RECORD_MAX];
	int n = side_record_encode_set(e, line, sizeof(line)), r;

	if (n < 0)
		return n;
	pthread_mutex_lock(&s->lock);
	r = append_locked(s, line, (size_t)n);
	if (r == 0)
		r = table_set(&s->table, e);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int side_store_drop(struct side_store *s, uint64_t ino)
{
	char line[SIDE_RECORD_MAX];
	int n = side_record_encode_del(ino, line, sizeof(line)), r = 0;

	if (n < 0)
		return n;
	pthread_mutex_lock(&s->lock);
	if (table_get(&s->table, ino)) {
		r = append_locked(s, line, (size_t)n);
		if (r == 0)
			table_drop(&s->table, ino);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

size_t side_store_live(const struct side_store *s)
{
	return s->table.live;
}

size_t side_store_records(const struct side_store *s)
{
	return s->records;
}

int side_store_compact(struct side_store *s)
{
	int r = -EAGAIN;

	pthread_mutex_lock(&s->lock);
	if (s->fd >= 0 && s->writable && flock(s->fd, LOCK_EX | LOCK_NB) == 0) {
		r = still_current(s, s->fd) ? compact_locked(s) : -EAGAIN;
		lock_file(s->fd, LOCK_SH);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
