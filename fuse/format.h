/* SPDX-License-Identifier: MIT */
/*
 * On-disk formats shared with overlayfs, fuse-overlayfs and containers/storage
 * (docs/groot-fs-format.md): whiteout names, opaque markers and the fake
 * ownership record. Pure functions, no I/O, so they are unit-tested directly.
 */
#ifndef GROOT_FS_FORMAT_H
#define GROOT_FS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_PREFIX_LEN 4
#define OPAQUE_MARKER ".wh..wh..opq"

/* The xattr we write, then the ones we also read (older fuse-overlayfs). */
#define OVERRIDE_XATTR "user.containers.override_stat"
#define OVERRIDE_XATTR_OLD "user.fuseoverlayfs.override_stat"

/* Is this directory entry a whiteout-format name (".wh.X" or the opaque marker)? */
bool format_is_whiteout_name(const char *name);
/* ".wh.X" -> "X"; NULL when 'name' is not a whiteout of an entry (opaque marker included). */
const char *format_whiteout_target(const char *name);
/* Write ".wh." + name into buf; -ENAMETOOLONG when it does not fit a 255-byte component. */
int format_whiteout_name(const char *name, char *buf, size_t size);
/* Is an opaque xattr value "y"? (overlayfs accepts exactly "y") */
bool format_opaque_value(const char *value, size_t len);
/* Does an (st_mode, st_rdev) pair encode an overlayfs whiteout (0/0 char device)? */
bool format_is_whiteout_device(mode_t mode, dev_t rdev);

/* Our bookkeeping (fake metadata, overlay markers): hidden from the guest, not writable. */
bool format_xattr_is_private(const char *name);
/*
 * Names the view does not support at all, so that the guest is told
 * EOPNOTSUPP rather than ENODATA: POSIX ACLs (the view checks permissions
 * itself and ignores them) and SELinux labels (a backing file's label is the
 * host's).
 */
bool format_xattr_is_unsupported(const char *name);
/*
 * Names the kernel lets only a privileged process set (security.*, trusted.*)
 * are kept as "user.groot.NAME" by a daemon that is not root: a fake root
 * sets them through the tracer under that name (runner: xattr.c), and a
 * reader of NAME gets them. format_xattr_stored: the backing name for NAME
 * (NAME itself when not such a name, into buf otherwise); format_xattr_shown:
 * the guest's name for a backing name.
 */
#define GROOT_XATTR_PREFIX "user.groot."
const char *format_xattr_stored(const char *name, char *buf, size_t size);
const char *format_xattr_shown(const char *stored);

struct override_stat {
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits and, when 'has_type', the file type bits */
	bool has_type;
	dev_t rdev; /* for block/char devices recorded but not created */
};

/*
 * "uid:gid:mode[:type]" where mode is octal permission bits (07777) and type is
 * one of file, dir, symlink, pipe, socket, block-MAJ-MIN, char-MAJ-MIN.
 */
int format_override_decode(const char *value, size_t len, struct override_stat *out);
/* Returns the string length, or -ENAMETOOLONG if it does not fit. */
int format_override_encode(const struct override_stat *in, char *buf, size_t size);

#endif
