/* SPDX-License-Identifier: MIT */
/*
 * Profiles: a versioned YAML file (libyaml) describing the guest. This header
 * is the module's interface; the runner only reads the structures below.
 * Everything hangs off one talloc context owned by the caller.
 */
#ifndef GROOT_PROFILE_H
#define GROOT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <talloc.h>

#define PROFILE_SCHEMA_VERSION 1

/* The profile `groot run` and `groot shell` use when none is named. */
#define PROFILE_DEFAULT_NAME "debian-trixie"

enum bind_flag {
	BIND_RO = 1 << 0,     /* writes give EROFS */
	BIND_TRY = 1 << 1,    /* skip silently when the source is missing */
	BIND_CREATE = 1 << 2, /* create the destination in the guest when missing */
	BIND_DIRECT = 1 << 3, /* the kernel resolves it on the host, not through the view */
};

struct bind {
	const char *source; /* host path, expanded, absolute */
	const char *dest;   /* guest path, absolute, normalised (no trailing slash) */
	unsigned flags;     /* enum bind_flag */
	const char *origin; /* "file:line:col" where it was declared, or "command line" */
};

enum upper_mode { UPPER_NONE, UPPER_IN_PLACE, UPPER_EPHEMERAL, UPPER_PERSISTENT };

enum env_inherit_mode { ENV_INHERIT_LIST, ENV_INHERIT_ALL, ENV_INHERIT_NONE };

struct env_assignment {
	const char *name;
	const char *value;
};

enum user_kind { USER_HOST, USER_ROOT, USER_NAME, USER_UID };

struct interpreter {
	const char *name;        /* key in the profile */
	unsigned char *magic;    /* NULL when matched by extension */
	unsigned char *mask;     /* NULL = all ones; else magic_len bytes */
	size_t magic_len;
	size_t offset;           /* of the magic in the file */
	const char *extension;   /* without the dot, or NULL */
	const char *path;        /* guest path of the interpreter */
	const char **args;       /* extra arguments before the program, NULL-terminated */
};

/* Opaque record of the merged YAML tree, for profile_origin() and profile_print(). */
struct profile_origins;

struct profile {
	int version;
	const char *file;        /* path of the file it was read from (the leaf of extends) */
	const char *name;
	const char *description;

	struct {
		const char *path;    /* the base rootfs: the lowest layer */
		const char **layers; /* extra read-only layers above path, lowest first, NULL-terminated */
		enum upper_mode upper;
		const char *upper_path; /* for UPPER_PERSISTENT */
		bool writeback_cache;   /* the kernel batches writes (groot-fs --writeback-cache) */
		struct {
			const char *tool;    /* "debootstrap" */
			const char *suite;
			const char *variant;
			const char *mirror;
			const char **include; /* NULL-terminated */
		} bootstrap;
	} rootfs;

	struct bind *binds;
	size_t n_binds;

	struct {
		enum env_inherit_mode inherit;
		const char **inherit_names; /* for ENV_INHERIT_LIST, NULL-terminated */
		const char **keep;          /* NULL-terminated */
		const char **drop;
		const char **unset;
		struct env_assignment *set;
		size_t n_set;
		const char **path;          /* PATH entries, joined with ':' when set */
	} env;

	struct {
		enum user_kind kind;
		const char *name;
		uid_t uid;
	} user;

	const char *workdir;
	const char *shell;
	const char **command; /* NULL-terminated, or NULL */
	const char *hostname;

	struct {
		bool readdir_sorted;
		bool stable_inodes;
		bool clamp_mtime;
		bool has_source_date_epoch;
		long long source_date_epoch;
	} determinism;

	struct {
		const char *release;
		const char *version;
		const char *machine;
	} uname;

	struct interpreter *interpreters;
	size_t n_interpreters;

	/* Added by the profiles module. */
	const char **files; /* every file read: the leaf, then what it extends; NULL-terminated */
	struct profile_origins *origins; /* opaque: where each value came from (profile_origin) */
};

/* One discoverable profile, for `groot list`. */
struct profile_entry {
	const char *name;        /* what `groot run NAME` takes */
	const char *path;        /* the file */
	const char *description; /* NULL when the profile has none */
	bool shadowed;           /* hidden by a profile of the same name earlier in the search order */
};

/* Where a failure was found; message is complete ("f.yaml:3:1: unknown key ..."). */
struct profile_error {
	char message[1024];
};

/*
 * Find (./NAME.yaml, ~/.config/groot/profiles/NAME.yaml, stock directory) or
 * open a path, parse, apply extends, expand ${...}, validate.
 * Returns 0, or -EINVAL (bad profile, err->message set) / -ENOENT (not found, message set).
 * A parent named by extends that cannot be found makes the profile bad: -EINVAL.
 */
int profile_load(TALLOC_CTX *ctx, const char *name_or_path, struct profile **out,
		 struct profile_error *err);

/*
 * Build the guest environment from the profile and the host's environ: inherit/keep, drop,
 * HOME/USER/LOGNAME from user, unset, set, path, default PATH (groot-profile(5), ENVIRONMENT).
 * One talloc array on CTX, NULL-terminated; NULL with errno ENOMEM.
 */
char **profile_build_environ(TALLOC_CTX *ctx, const struct profile *profile, char *const *host_env);
/*
 * The host path of a guest file as the view shows it (rel: "etc/passwd"):
 * in the persistent upper layer if there, else the highest layer that has
 * it, else the base rootfs. Talloc'd on ctx.
 */
char *profile_guest_file(TALLOC_CTX *ctx, const struct profile *profile, const char *rel);

/*
 * Print the resolved profile as YAML, each value followed by "# from FILE:LINE" or "# default"
 * (`groot check`). Returns 0 or -EIO.
 */
int profile_print(FILE *out, const struct profile *profile);

/*
 * Every profile in the search order (./, $XDG_CONFIG_HOME/groot/profiles, stock directory),
 * by directory then name. Unreadable directories are skipped. Returns 0 or -ENOMEM.
 */
int profile_list(TALLOC_CTX *ctx, struct profile_entry **entries, size_t *n);

/*
 * Where a value came from: KEY is a dotted path ("rootfs.path", "env.set.PATH", "user").
 * Returns "file:line:col" (owned by the profile), or NULL when the value is a default or the
 * profile was not loaded from a file.
 */
const char *profile_origin(const struct profile *profile, const char *key);

/*
 * Parse one bind in the profile's string form, "SRC[:DST][:OPTS]" (groot-profile(5)).
 * A relative SRC is taken relative to BASE_DIR (the current directory when NULL). ORIGIN
 * ("command line" when NULL) is copied into the bind and prefixes error messages; the strings
 * hang off CTX. Returns 0, -EINVAL (err->message set) or -ENOMEM.
 */
int profile_parse_bind(TALLOC_CTX *ctx, const char *spec, const char *base_dir, const char *origin,
		       struct bind *out, struct profile_error *err);

/*
 * Add a bind (e.g. from the command line) with the profile's merge rule: a bind with the same
 * destination is replaced in place, otherwise it is appended. The strings are copied onto the
 * profile, which must be a talloc object. Returns 0 or -ENOMEM.
 */
int profile_add_bind(struct profile *profile, const struct bind *bind);

#endif
