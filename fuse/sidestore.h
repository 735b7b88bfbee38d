/* SPDX-License-Identifier: MIT */
/*
 * The side store: fake metadata of an --in-place rootfs kept in a file inside
 * that rootfs (ROOTFS/.groot/metadata) instead of in xattrs on its files, so
 * that it works on filesystems without user xattrs and leaves the rootfs's
 * own files alone. Entries are keyed by inode number (metadata belongs to the
 * inode, so renames and hard links need nothing); the birth time and the
 * real file type recognise an inode number reused by another file.
 *
 * The file is an append-only log of text records (docs/groot-fs.md, "Side
 * store"), the last record of an inode wins; it is loaded into a hash table
 * when opened and compacted (rewritten, then renamed over) when it has grown
 * well beyond its live entries. Independent of FUSE: unit-tested directly.
 */
#ifndef GROOT_FS_SIDESTORE_H
#define GROOT_FS_SIDESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format.h"

/* Inside the rootfs: the name is reserved at the view's root (hidden, not creatable). */
#define SIDE_STORE_DIR ".groot"
#define SIDE_STORE_FILE "metadata"
#define SIDE_STORE_HEADER "groot-metadata 1\n"
/* A record line is shorter than this, newline included. */
#define SIDE_RECORD_MAX 192

struct side_entry {
	uint64_t ino;
	bool has_btime; /* the filesystem told the birth time (statx STATX_BTIME) */
	int64_t btime_sec;
	uint32_t btime_nsec;
	mode_t type; /* S_IFMT of the real object, which may differ from the fake one */
	struct override_stat ov;
};

/* Record codec (sidestore_record.c, pure). */
/* "set INO BTIME TYPE RECORD CHECK\n"; returns the length, or -errno. */
int side_record_encode_set(const struct side_entry *e, char *buf, size_t size);
/* "del INO CHECK\n"; returns the length, or -errno. */
int side_record_encode_del(uint64_t ino, char *buf, size_t size);
/*
 * One line without its newline. Returns 1 for a set record (*out filled),
 * 0 for a delete (only out->ino), -EINVAL for anything malformed.
 */
int side_record_decode(const char *line, size_t len, struct side_entry *out);

/* The store (sidestore.c). */
struct side_store;

/*
 * Open the store of the directory 'root_fd' (a layer; O_PATH is enough),
 * named 'root_path' in messages. Read-only: *out is NULL when there is none.
 * Writable: the file is created on the first write. 'dev' is the layer's
 * st_dev: only objects on it have entries. A file that cannot be used is
 * reported (naming it, and what to do) and leaves *out NULL; records that
 * cannot be parsed are skipped with a warning. Returns 0 or -errno (memory).
 */
int side_store_open(int root_fd, const char *root_path, dev_t dev, bool writable,
		    struct side_store **out);
/* Flush and close; a clean close of a writable store compacts it when worthwhile. */
void side_store_close(struct side_store *store);

dev_t side_store_dev(const struct side_store *store);
/* The entry of 'ino', copied out; false when there is none. */
bool side_store_get(struct side_store *store, uint64_t ino, struct side_entry *out);
bool side_store_has(struct side_store *store, uint64_t ino);
/* Record an entry (replacing the inode's previous one); 0 or -errno (-EROFS read-only). */
int side_store_put(struct side_store *store, const struct side_entry *e);
/* Forget the inode's entry (no-op without one); 0 or -errno. */
int side_store_drop(struct side_store *store, uint64_t ino);

/* For tests and messages: live entries, and records in the log file. */
size_t side_store_live(const struct side_store *store);
size_t side_store_records(const struct side_store *store);
/* Rewrite the log with the live entries only (exposed for tests). 0 or -errno. */
int side_store_compact(struct side_store *store);

#endif
