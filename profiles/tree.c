/* SPDX-License-Identifier: MIT */
/*
 * YAML → ynode tree with libyaml's document API. Every node keeps the file and its 1-based
 * line:col so that any later error can name it. Duplicate keys, non-scalar keys, empty
 * documents and extra documents are refused here.
 */
#include "profile-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* Deep enough for any sane profile; stops alias loops ("&a [*a]") from recursing forever. */
#define MAX_DEPTH 64
#define MAX_FILE_SIZE (1 << 20)
/* Aliases are expanded into copies: "billion laughs" must fail fast, not eat the memory. A
 * profile needs a few hundred nodes; duplicate-key checks are quadratic per mapping. */
#define MAX_NODES 20000

struct tree_builder {
	TALLOC_CTX *ctx;
	yaml_document_t *doc;
	const char *file;
	struct profile_error *err;
	unsigned nodes;
};

static int build_node(struct tree_builder *b, yaml_node_t *in, unsigned depth, struct ynode **out);

static int build_children(struct tree_builder *b, yaml_node_t *in, struct ynode *node,
			  unsigned depth)
{
	if (in->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		size_t n = (size_t)(in->data.sequence.items.top - in->data.sequence.items.start);

		node->items = talloc_zero_array(node, struct ynode *, n + 1);
		if (!node->items)
			return -ENOMEM;
		for (it = in->data.sequence.items.start; it < in->data.sequence.items.top; it++) {
			yaml_node_t *child = yaml_document_get_node(b->doc, *it);
			int r = build_node(b, child, depth + 1, &node->items[node->n]);

			if (r < 0)
				return r;
			node->n++;
		}
		return 0;
	}

	yaml_node_pair_t *pair;
	size_t n = (size_t)(in->data.mapping.pairs.top - in->data.mapping.pairs.start);

	node->items = talloc_zero_array(node, struct ynode *, n + 1);
	node->keys = talloc_zero_array(node, struct ynode *, n + 1);
	if (!node->items || !node->keys)
		return -ENOMEM;
	for (pair = in->data.mapping.pairs.start; pair < in->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(b->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(b->doc, pair->value);
		struct ynode *k;
		int r;

		if (key->type != YAML_SCALAR_NODE)
			return profile_fail_at(
			    b->err, b->file, (unsigned)key->start_mark.line + 1,
			    (unsigned)key->start_mark.column + 1,
			    "a key must be a plain name, got %s (write 'name: value')",
			    key->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
		r = build_node(b, key, depth + 1, &k);
		if (r < 0)
			return r;
		const struct ynode *first = ynode_key(node, k->value);
		if (first)
			return profile_fail(
			    b->err, k, "duplicate key '%s' (first given at line %u; keep only one)",
			    k->value, first->line);
		r = build_node(b, value, depth + 1, &node->items[node->n]);
		if (r < 0)
			return r;
		node->keys[node->n++] = k;
	}
	return 0;
}

static int build_node(struct tree_builder *b, yaml_node_t *in, unsigned depth, struct ynode **out)
{
	struct ynode *node;

	if (depth > MAX_DEPTH)
		return profile_fail_at(
		    b->err, b->file, (unsigned)in->start_mark.line + 1,
		    (unsigned)in->start_mark.column + 1,
		    "nesting deeper than %d levels (is an alias referring to itself?)", MAX_DEPTH);
	if (++b->nodes > MAX_NODES)
		return profile_fail_at(
		    b->err, b->file, (unsigned)in->start_mark.line + 1,
		    (unsigned)in->start_mark.column + 1,
		    "more than %d values (are aliases expanding too much? a profile "
		    "needs far fewer)",
		    MAX_NODES);
	node = talloc_zero(b->ctx, struct ynode);
	if (!node)
		return -ENOMEM;
	node->file = b->file;
	node->line = (unsigned)in->start_mark.line + 1;
	node->col = (unsigned)in->start_mark.column + 1;
	*out = node;

	switch (in->type) {
	case YAML_SCALAR_NODE:
		node->kind = YNODE_SCALAR;
		node->len = in->data.scalar.length;
		node->value = talloc_strndup(node, (const char *)in->data.scalar.value, node->len);
		if (!node->value)
			return -ENOMEM;
		/* talloc_strndup stops at a NUL; keep the whole value for magic bytes. */
		if (strlen(node->value) != node->len) {
			char *v = talloc_size(node, node->len + 1);

			if (!v)
				return -ENOMEM;
			memcpy(v, in->data.scalar.value, node->len);
			v[node->len] = '\0';
			node->value = v;
		}
		node->plain = in->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		node->double_quoted = in->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		return 0;
	case YAML_SEQUENCE_NODE:
		node->kind = YNODE_SEQUENCE;
		return build_children(b, in, node, depth);
	case YAML_MAPPING_NODE:
		node->kind = YNODE_MAPPING;
		return build_children(b, in, node, depth);
	default:
		return profile_fail(b->err, node,
				    "unexpected YAML node (use mappings, lists, strings)");
	}
}

static bool tab_at(FILE *f, size_t index)
{
	return fseek(f, (long)index, SEEK_SET) == 0 && fgetc(f) == '\t';
}

/* Does any of lines FIRST..LAST (0-based) contain NEEDLE? */
static bool lines_contain(FILE *f, size_t first, size_t last, const char *needle)
{
	char line[4096];
	size_t n = 0;

	if (fseek(f, 0, SEEK_SET) != 0)
		return false;
	while (n <= last && fgets(line, sizeof(line), f)) {
		if (n >= first && strstr(line, needle))
			return true;
		if (strchr(line, '\n'))
			n++;
	}
	return false;
}

static int fail_syntax(struct profile_error *err, const char *file, yaml_parser_t *parser, FILE *f)
{
	const char *problem = parser->problem ? parser->problem : "cannot parse";
	const char *hint = "check the indentation and quoting here";

	if (parser->error == YAML_SCANNER_ERROR && tab_at(f, parser->problem_mark.index))
		return profile_fail_at(err, file, (unsigned)parser->problem_mark.line + 1,
				       (unsigned)parser->problem_mark.column + 1,
				       "invalid YAML: a tab character (indent with spaces)");

	if (parser->error == YAML_READER_ERROR)
		return profile_fail_at(err, file, 1, 1,
				       "invalid YAML: %s at byte %zu (save the file as UTF-8 text)",
				       problem, parser->problem_offset);
	/* "{path: ${env:HOME}/x}": in a flow collection '{' and '}' end a plain scalar. */
	if (parser->context && strstr(parser->context, "flow") &&
	    lines_contain(f, parser->context_mark.line, parser->problem_mark.line, "${"))
		hint = "inside [...] or {...}, put values containing ${...} in quotes";
	if (parser->context)
		return profile_fail_at(err, file, (unsigned)parser->problem_mark.line + 1,
				       (unsigned)parser->problem_mark.column + 1,
				       "invalid YAML: %s %s at line %zu (%s)", problem,
				       parser->context, parser->context_mark.line + 1, hint);
	return profile_fail_at(err, file, (unsigned)parser->problem_mark.line + 1,
			       (unsigned)parser->problem_mark.column + 1,
			       "invalid YAML: %s (check the indentation and quoting here)",
			       problem);
}

static int parse_file(TALLOC_CTX *ctx, const char *file, FILE *f, struct ynode **out,
		      struct profile_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		r = fail_syntax(err, file, &parser, f);
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0 &&
		      root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
		r = profile_fail_at(err, file, 1, 1,
				    "empty profile (the smallest profile is 'version: 1' and "
				    "'rootfs: {path: DIR}')");
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		r = fail_syntax(err, file, &parser, f);
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		r = profile_fail_at(err, file, (unsigned)extra.start_mark.line + 1,
				    (unsigned)extra.start_mark.column + 1,
				    "a second YAML document (a profile is one document; remove the "
				    "'---' and what follows)");
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);

	struct tree_builder b = {.ctx = ctx, .doc = &doc, .file = file, .err = err};
	r = build_node(&b, root, 0, out);
	if (r == 0 && (*out)->kind != YNODE_MAPPING)
		r = profile_fail(err, *out,
				 "a profile must be a mapping of keys, got %s (start with "
				 "'version: 1')",
				 ynode_describe(*out));
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int profile_tree_parse(TALLOC_CTX *ctx, const char *file, struct ynode **out,
		       struct profile_error *err)
{
	TALLOC_CTX *tmp = talloc_new(ctx);
	struct stat st = {0};
	FILE *f;
	int r;

	if (!tmp)
		return -ENOMEM;
	f = fopen(file, "re");
	if (!f) {
		r = errno;
		talloc_free(tmp);
		return profile_fail_errno(
		    err, r, "%s: cannot open: %s (check that it exists and is readable)", file,
		    strerror(r));
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE) {
		r = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		fclose(f);
		talloc_free(tmp);
		if (r == EISDIR)
			return profile_fail_errno(err, EINVAL,
						  "%s: is a directory (name a .yaml file)", file);
		return profile_fail_errno(err, EINVAL,
					  "%s: not a regular file of at most 1 MiB (name a "
					  ".yaml file)",
					  file);
	}
	const char *name = talloc_strdup(tmp, file);
	r = name ? parse_file(tmp, name, f, out, err) : -ENOMEM;
	fclose(f);
	if (r < 0) {
		talloc_free(tmp);
		return r;
	}
	talloc_steal(ctx, tmp);
	return 0;
}

bool ynode_is_null(const struct ynode *node)
{
	if (!node)
		return true;
	if (node->kind != YNODE_SCALAR || !node->plain)
		return false;
	return node->len == 0 || strcmp(node->value, "~") == 0 ||
	       strcmp(node->value, "null") == 0 || strcmp(node->value, "Null") == 0 ||
	       strcmp(node->value, "NULL") == 0;
}

const struct ynode *ynode_key(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->keys[i];
	return NULL;
}

/* The value of KEY, or NULL when absent or null (a null value means "not set"). */
const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return ynode_is_null(map->items[i]) ? NULL : map->items[i];
	return NULL;
}

/* "rootfs.path" → the node; NULL when any part is missing. */
const struct ynode *ynode_lookup(const struct ynode *root, const char *dotted)
{
	const struct ynode *node = root;
	const char *p = dotted;

	while (node && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const struct ynode *next = NULL;

		if (node->kind != YNODE_MAPPING)
			return NULL;
		for (size_t i = 0; i < node->n; i++)
			if (strlen(node->keys[i]->value) == len &&
			    strncmp(node->keys[i]->value, p, len) == 0)
				next = node->items[i];
		node = next;
		p += len;
		if (*p == '.')
			p++;
	}
	return node;
}

const char *ynode_describe(const struct ynode *node)
{
	if (ynode_is_null(node))
		return "nothing (null)";
	switch (node->kind) {
	case YNODE_MAPPING:
		return "a mapping";
	case YNODE_SEQUENCE:
		return "a list";
	default:
		return "a string";
	}
}
