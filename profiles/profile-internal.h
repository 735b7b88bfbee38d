/* SPDX-License-Identifier: MIT */
/*
 * Internals of the profiles module, shared by its files and nothing else.
 *
 * Loading goes: find the file (find.c) → parse it into a tree of ynodes that remember
 * file:line:col (tree.c) → check keys and shapes against the schema (schema.c) → load what it
 * extends and merge the trees, child over parent (merge.c) → convert the merged tree into
 * struct profile, expanding ${...} and making paths absolute on the way (convert.c, binds.c,
 * expand.c).
 */
#ifndef GROOT_PROFILE_INTERNAL_H
#define GROOT_PROFILE_INTERNAL_H

#include "profile.h"
#include "cleanup.h"

#include <stdarg.h>

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

/* One YAML node. Talloc children of the tree's context; never modified once parsed. */
struct ynode {
	enum ynode_kind kind;
	const char *file;   /* the file it was read from */
	unsigned line, col; /* 1-based */
	/* YNODE_SCALAR */
	const char *value; /* NUL-terminated; len excludes the NUL (values may hold NULs) */
	size_t len;
	bool plain;	    /* unquoted: only plain scalars can be null, integers or booleans */
	bool double_quoted; /* YAML already decoded its escapes */
	/* YNODE_SEQUENCE: items; YNODE_MAPPING: keys[i] → items[i], keys are scalars */
	size_t n;
	struct ynode **keys;
	struct ynode **items;
};

struct profile_origins {
	const struct ynode *root; /* the merged tree */
};

/* errors.c */
int profile_fail(struct profile_error *err, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int profile_fail_at(struct profile_error *err, const char *file, unsigned line, unsigned col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int profile_fail_errno(struct profile_error *err, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned profile_edit_distance(const char *a, const char *b);
const char *profile_closest(const char *word, const char *const *candidates);

/* tree.c */
int profile_tree_parse(TALLOC_CTX *ctx, const char *file, struct ynode **out,
		       struct profile_error *err);
bool ynode_is_null(const struct ynode *node);
const struct ynode *ynode_get(const struct ynode *map, const char *key);
const struct ynode *ynode_key(const struct ynode *map, const char *key);
const char *ynode_describe(const struct ynode *node);
const struct ynode *ynode_lookup(const struct ynode *root, const char *dotted);

/* schema.c */
int profile_schema_check(const struct ynode *root, struct profile_error *err);

/* find.c */
int profile_find(TALLOC_CTX *ctx, const char *name_or_path, const char *near_dir, char **path,
		 struct profile_error *err);
bool profile_is_path(const char *name_or_path);
char *profile_dir_of(TALLOC_CTX *ctx, const char *file);

/* merge.c */
int profile_resolve(TALLOC_CTX *ctx, const char *file, struct ynode **merged, const char ***files,
		    struct profile_error *err);

/* expand.c */
int profile_expand(TALLOC_CTX *ctx, const struct ynode *node, char **out,
		   struct profile_error *err);
char *profile_absolute(TALLOC_CTX *ctx, const char *path, const char *base_dir);
int profile_normalize_dest(TALLOC_CTX *ctx, const char *dest, char **out, const char **why);

/* convert.c */
int profile_convert(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
		    struct profile_error *err);
int profile_get_string(TALLOC_CTX *ctx, const struct ynode *node, const char **out,
		       struct profile_error *err);
int profile_get_bool(const struct ynode *node, const char *what, bool *out,
		     struct profile_error *err);
int profile_get_strings(TALLOC_CTX *ctx, const struct ynode *node, const char ***out,
			struct profile_error *err);

/* binds.c */
int profile_convert_binds(TALLOC_CTX *ctx, const struct ynode *binds, struct profile *p,
			  struct profile_error *err);

/* interpreters.c */
int profile_convert_interpreters(TALLOC_CTX *ctx, const struct ynode *map, struct profile *p,
				 struct profile_error *err);

#endif
