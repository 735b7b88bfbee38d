/* SPDX-License-Identifier: MIT */
/*
 * ${...} expansion of string values, and path clean-up.
 *
 *   ${env:NAME}            the host's $NAME; an error when NAME is not set
 *   ${env:NAME:-DEFAULT}   $NAME when set and not empty, else DEFAULT (itself expanded)
 *   ${profile_dir}         the absolute directory of the file the string was written in
 *   $${                    a literal "${"
 *
 * Any other ${...} is an error, so that a typo such as ${evn:HOME} cannot pass silently.
 */
#include "profile-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct expansion {
	TALLOC_CTX *ctx;
	const struct ynode *node;
	const char *profile_dir;
	struct profile_error *err;
	unsigned depth;
};

static int expand_text(struct expansion *x, const char *s, size_t len, char **out);

/* Index of the '}' closing the "${" whose body starts at s[0], or len when unterminated. */
static size_t find_close(const char *s, size_t len)
{
	unsigned open = 1;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			open++;
			i++;
		} else if (s[i] == '}' && --open == 0) {
			return i;
		}
	}
	return len;
}

static bool valid_env_name(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static int expand_env(struct expansion *x, const char *body, size_t len, char **out)
{
	const char *sep = memmem(body, len, ":-", 2);
	size_t name_len = sep ? (size_t)(sep - body) : len;
	char *name = talloc_strndup(x->ctx, body, name_len);
	const char *value;
	int r = 0;

	if (!name)
		return -ENOMEM;
	if (!valid_env_name(name, name_len)) {
		r = profile_fail(x->err, x->node,
				 "'${env:%.*s}': '%s' is not a variable name (use letters, digits "
				 "and '_', e.g. ${env:HOME})",
				 (int)len, body, name);
		goto out;
	}
	value = getenv(name);
	if (sep && (!value || !value[0])) {
		r = expand_text(x, sep + 2, len - name_len - 2, out);
		goto out;
	}
	if (!value) {
		r = profile_fail(x->err, x->node,
				 "environment variable %s is not set (set it, or give a default: "
				 "${env:%s:-DEFAULT})",
				 name, name);
		goto out;
	}
	*out = talloc_strdup(x->ctx, value);
	if (!*out)
		r = -ENOMEM;
out:
	talloc_free(name);
	return r;
}

static int expand_one(struct expansion *x, const char *body, size_t len, char **out)
{
	if (len == 11 && memcmp(body, "profile_dir", 11) == 0) {
		if (!x->profile_dir)
			x->profile_dir = profile_dir_of(x->ctx, x->node->file);
		*out = x->profile_dir ? talloc_strdup(x->ctx, x->profile_dir) : NULL;
		return *out ? 0 : -ENOMEM;
	}
	if (len >= 4 && memcmp(body, "env:", 4) == 0)
		return expand_env(x, body + 4, len - 4, out);
	if (valid_env_name(body, len))
		return profile_fail(x->err, x->node,
				    "unknown expansion '${%.*s}' (write ${env:%.*s} for the host's "
				    "variable, or $${%.*s} for a literal)",
				    (int)len, body, (int)len, body, (int)len, body);
	return profile_fail(x->err, x->node,
			    "unknown expansion '${%.*s}' (groot knows ${env:NAME}, "
			    "${env:NAME:-DEFAULT} and ${profile_dir}; write $${ for a literal)",
			    (int)len, body);
}

static int expand_text(struct expansion *x, const char *s, size_t len, char **out)
{
	char *result = talloc_strdup(x->ctx, "");
	size_t i = 0;
	int r;

	if (++x->depth > 16)
		return profile_fail(x->err, x->node,
				    "defaults nested more than 16 deep (simplify)");
	while (result && i < len) {
		const char *dollar = memchr(s + i, '$', len - i);
		size_t lit = dollar ? (size_t)(dollar - (s + i)) : len - i;

		result = talloc_strndup_append_buffer(result, s + i, lit);
		i += lit;
		if (!result || i >= len)
			break;
		/* s[i] == '$' */
		if (i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
			result = talloc_strdup_append_buffer(result, "${");
			i += 3;
			continue;
		}
		if (i + 1 >= len || s[i + 1] != '{') {
			result = talloc_strdup_append_buffer(result, "$");
			i++;
			continue;
		}
		size_t body = i + 2;
		size_t close = body + find_close(s + body, len - body);
		char *value;

		if (close >= len) {
			talloc_free(result);
			return profile_fail(x->err, x->node,
					    "unterminated '${' (close it with '}', or write $${ "
					    "for a literal)");
		}
		r = expand_one(x, s + body, close - body, &value);
		if (r < 0) {
			talloc_free(result);
			return r;
		}
		result = talloc_strdup_append_buffer(result, value);
		talloc_free(value);
		i = close + 1;
	}
	x->depth--;
	if (!result)
		return -ENOMEM;
	*out = result;
	return 0;
}

int profile_expand(TALLOC_CTX *ctx, const struct ynode *node, char **out, struct profile_error *err)
{
	struct expansion x = {.ctx = ctx, .node = node, .err = err};
	int r;

	if (!memchr(node->value, '$', node->len)) {
		*out = talloc_memdup(ctx, node->value, node->len + 1);
		return *out ? 0 : -ENOMEM;
	}
	r = expand_text(&x, node->value, node->len, out);
	if (x.profile_dir)
		talloc_free((char *)x.profile_dir);
	return r;
}

/* Collapse "//" and "/./", drop a trailing '/'; keeps ".." (sources may legitimately use it). */
static char *clean_path(TALLOC_CTX *ctx, const char *path)
{
	size_t len = strlen(path);
	char *out = talloc_size(ctx, len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (path[i] == '/' && o > 0 && out[o - 1] == '/')
			continue;
		if (path[i] == '.' && o > 0 && out[o - 1] == '/' &&
		    (path[i + 1] == '/' || path[i + 1] == '\0'))
			continue;
		out[o++] = path[i];
	}
	while (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return out;
}

/* PATH made absolute against BASE_DIR (the current directory when NULL), then cleaned. */
char *profile_absolute(TALLOC_CTX *ctx, const char *path, const char *base_dir)
{
	char cwd[4096];
	char *joined, *result;

	if (path[0] == '/')
		return clean_path(ctx, path);
	if (!base_dir) {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		base_dir = cwd;
	}
	joined = talloc_asprintf(ctx, "%s/%s", base_dir, path);
	if (!joined)
		return NULL;
	result = clean_path(ctx, joined);
	talloc_free(joined);
	return result;
}

int profile_normalize_dest(TALLOC_CTX *ctx, const char *dest, char **out, const char **why)
{
	char *clean;

	if (dest[0] != '/') {
		*why = "must be an absolute guest path";
		return -EINVAL;
	}
	clean = clean_path(ctx, dest);
	if (!clean)
		return -ENOMEM;
	for (const char *p = clean; (p = strstr(p, "..")); p += 2) {
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0')) {
			talloc_free(clean);
			*why = "must not contain '..'";
			return -EINVAL;
		}
	}
	if (strcmp(clean, "/") == 0) {
		talloc_free(clean);
		*why = "is the guest root itself";
		return -EINVAL;
	}
	*out = clean;
	return 0;
}
