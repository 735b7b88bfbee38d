/* SPDX-License-Identifier: MIT */
/*
 * extends: load the parents, then merge the trees, child over parent.
 *
 * Merge rules (groot-profile(5)): mappings merge key by key, recursively; any other value
 * (string, list) from the child replaces the parent's; a null value in the child removes the
 * parent's. The one exception is the top-level 'binds' list: the child's binds are appended to
 * the parent's and convert.c then keeps one bind per destination, the later one winning in the
 * earlier one's place. With several parents ("extends: [a, b]"), b is merged over a, then the
 * child over both.
 */
#include "profile-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTENDS_DEPTH 32

struct resolver {
	TALLOC_CTX *ctx;
	struct profile_error *err;
	const char *stack_real[MAX_EXTENDS_DEPTH]; /* realpath of each file being loaded */
	const char *stack_file[MAX_EXTENDS_DEPTH]; /* its name as shown in messages */
	size_t depth;
	const char **files;
	size_t n_files;
};

static ssize_t index_of(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return (ssize_t)i;
	return -1;
}

static struct ynode *merge(TALLOC_CTX *ctx, struct ynode *base, struct ynode *over, bool top);

static struct ynode *concat(TALLOC_CTX *ctx, const struct ynode *a, struct ynode *b)
{
	struct ynode *node = talloc_memdup(ctx, b, sizeof(*b));

	if (!node)
		return NULL;
	node->n = a->n + b->n;
	node->items = talloc_array(node, struct ynode *, node->n + 1);
	if (!node->items)
		return NULL;
	memcpy(node->items, a->items, a->n * sizeof(*a->items));
	memcpy(node->items + a->n, b->items, b->n * sizeof(*b->items));
	node->items[node->n] = NULL;
	return node;
}

static int append_pair(struct ynode *map, struct ynode *key, struct ynode *value)
{
	map->keys[map->n] = key;
	map->items[map->n] = value;
	map->n++;
	return 0;
}

static struct ynode *merge(TALLOC_CTX *ctx, struct ynode *base, struct ynode *over, bool top)
{
	struct ynode *node;

	if (!base || base->kind != YNODE_MAPPING || over->kind != YNODE_MAPPING)
		return over;
	node = talloc_memdup(ctx, over, sizeof(*over));
	if (!node)
		return NULL;
	node->n = 0;
	node->keys = talloc_array(node, struct ynode *, base->n + over->n + 1);
	node->items = talloc_array(node, struct ynode *, base->n + over->n + 1);
	if (!node->keys || !node->items)
		return NULL;
	for (size_t i = 0; i < base->n; i++) {
		const char *name = base->keys[i]->value;
		ssize_t j = index_of(over, name);
		struct ynode *value;

		if (top && strcmp(name, "extends") == 0)
			continue;
		if (j < 0) {
			append_pair(node, base->keys[i], base->items[i]);
			continue;
		}
		if (top && strcmp(name, "binds") == 0 && base->items[i]->kind == YNODE_SEQUENCE &&
		    over->items[j]->kind == YNODE_SEQUENCE)
			value = concat(ctx, base->items[i], over->items[j]);
		else
			value = merge(ctx, base->items[i], over->items[j], false);
		if (!value)
			return NULL;
		append_pair(node, over->keys[j], value);
	}
	for (size_t j = 0; j < over->n; j++) {
		if (index_of(base, over->keys[j]->value) >= 0)
			continue;
		if (top && strcmp(over->keys[j]->value, "extends") == 0)
			continue;
		append_pair(node, over->keys[j], over->items[j]);
	}
	node->keys[node->n] = NULL;
	node->items[node->n] = NULL;
	return node;
}

static int check_version(const struct ynode *root, struct profile_error *err)
{
	const struct ynode *version = ynode_get(root, "version");

	if (!version)
		return profile_fail_at(err, root->file, 1, 1,
				       "missing 'version' (add 'version: 1' as the first line)");
	if (version->kind != YNODE_SCALAR || strcmp(version->value, "1") != 0)
		return profile_fail(
		    err, version,
		    "unsupported version '%s' (this groot reads profiles of version "
		    "1; write 'version: 1')",
		    version->kind == YNODE_SCALAR ? version->value : "?");
	return 0;
}

static int fail_cycle(struct resolver *r, const struct ynode *from, const char *file)
{
	char chain[768] = "";
	size_t used = 0;

	for (size_t i = 0; i < r->depth && used < sizeof(chain); i++)
		used += (size_t)snprintf(chain + used, sizeof(chain) - used, "%s -> ",
					 r->stack_file[i]);
	if (used < sizeof(chain))
		snprintf(chain + used, sizeof(chain) - used, "%s", file);
	return profile_fail(r->err, from, "extends cycle: %s (remove one of these extends)", chain);
}

static int resolve(struct resolver *r, const char *file, const struct ynode *from,
		   struct ynode **out);

static int resolve_parent(struct resolver *r, const struct ynode *item, const char *dir,
			  struct ynode **parent)
{
	struct profile_error inner;
	char *name, *path;
	int ret;

	ret = profile_expand(r->ctx, item, &name, r->err);
	if (ret < 0)
		return ret;
	ret = profile_find(r->ctx, name, dir, &path, &inner);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		profile_fail(r->err, item, "extends: %s", inner.message);
		return -EINVAL;
	}
	return resolve(r, path, item, parent);
}

static int resolve(struct resolver *r, const char *file, const struct ynode *from,
		   struct ynode **out)
{
	char real[PATH_MAX];
	struct ynode *root, *base = NULL;
	const struct ynode *extends;
	char *dir;
	int ret;

	if (!realpath(file, real)) {
		ret = errno;
		if (from)
			return profile_fail(r->err, from, "extends: %s: %s (check the name)", file,
					    strerror(ret));
		return profile_fail_errno(r->err, ret, "%s: %s", file, strerror(ret));
	}
	for (size_t i = 0; i < r->depth; i++)
		if (strcmp(r->stack_real[i], real) == 0)
			return fail_cycle(r, from, file);
	if (r->depth == MAX_EXTENDS_DEPTH)
		return profile_fail(r->err, from, "extends nested more than %d deep (flatten it)",
				    MAX_EXTENDS_DEPTH);

	ret = profile_tree_parse(r->ctx, file, &root, r->err);
	if (ret == -ENOENT && from) {
		char inner[sizeof(r->err->message)];

		memcpy(inner, r->err->message, sizeof(inner));
		return profile_fail(r->err, from, "extends: %s", inner);
	}
	if (ret < 0)
		return ret;
	ret = check_version(root, r->err);
	if (ret < 0)
		return ret;
	ret = profile_schema_check(root, r->err);
	if (ret < 0)
		return ret;

	r->files = talloc_realloc(r->ctx, r->files, const char *, r->n_files + 2);
	if (!r->files)
		return -ENOMEM;
	r->files[r->n_files++] = root->file;
	r->files[r->n_files] = NULL;

	r->stack_real[r->depth] = talloc_strdup(r->ctx, real);
	r->stack_file[r->depth] = root->file;
	r->depth++;
	dir = profile_dir_of(r->ctx, file);
	extends = ynode_get(root, "extends");
	if (!dir || !r->stack_real[r->depth - 1]) {
		ret = -ENOMEM;
	} else if (extends && extends->kind == YNODE_SCALAR) {
		ret = resolve_parent(r, extends, dir, &base);
	} else if (extends) {
		for (size_t i = 0; i < extends->n && ret == 0; i++) {
			struct ynode *parent;

			ret = resolve_parent(r, extends->items[i], dir, &parent);
			if (ret == 0) {
				base = base ? merge(r->ctx, base, parent, true) : parent;
				if (!base)
					ret = -ENOMEM;
			}
		}
	}
	r->depth--;
	if (ret < 0)
		return ret;
	*out = base ? merge(r->ctx, base, root, true) : root;
	return *out ? 0 : -ENOMEM;
}

int profile_resolve(TALLOC_CTX *ctx, const char *file, struct ynode **merged, const char ***files,
		    struct profile_error *err)
{
	struct resolver r = {.ctx = ctx, .err = err};
	int ret = resolve(&r, file, NULL, merged);

	if (ret == 0)
		*files = r.files;
	return ret;
}
