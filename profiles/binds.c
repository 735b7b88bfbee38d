/* SPDX-License-Identifier: MIT */
/*
 * Binds. Two forms (groot-profile(5)):
 *
 *   - SRC                 SRC on the host appears at the same path in the guest
 *   - SRC:DST             SRC appears at DST
 *   - SRC:DST:OPTS        OPTS is a comma-separated subset of ro, rw, try, create, direct
 *   - SRC:OPTS            same path, with options (OPTS does not start with '/')
 *   - {source: SRC, dest: DST, ro: BOOL, try: BOOL, create: BOOL, direct: BOOL}
 *                         for paths holding ':'; dest defaults to source
 *
 * A relative SRC is relative to the directory of the profile that names it. DST must be
 * absolute; it is normalised ("//" and "/./" collapsed, trailing '/' dropped) and may not
 * contain "..". One bind per destination: a later one (a child profile's, or the command
 * line's) replaces an earlier one in place; twice the same destination in one file is an error.
 */
#include "profile-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const option_names[] = {"ro", "rw", "try", "create", "direct", NULL};

__attribute__((format(printf, 4, 5))) static int
fail_bind(struct profile_error *err, const char *origin, const char *spec, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return profile_fail_errno(err, EINVAL, "%s: bind '%s': %s", origin, spec, what);
}

static int parse_options(const char *spec, const char *opts, const char *origin, unsigned *flags,
			 bool maybe_dest, struct profile_error *err)
{
	char copy[256];
	bool ro = false, rw = false;
	char *save = NULL;

	if (strlen(opts) >= sizeof(copy))
		return fail_bind(err, origin, spec, "options too long");
	if (!opts[0] || opts[strlen(opts) - 1] == ',' || strstr(opts, ",,") || opts[0] == ',')
		return fail_bind(err, origin, spec,
				 "empty option (write options separated by single commas, e.g. "
				 "ro,try)");
	snprintf(copy, sizeof(copy), "%s", opts);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const char *close;

		if (strcmp(t, "ro") == 0)
			ro = true, *flags |= BIND_RO;
		else if (strcmp(t, "rw") == 0)
			rw = true;
		else if (strcmp(t, "try") == 0)
			*flags |= BIND_TRY;
		else if (strcmp(t, "create") == 0)
			*flags |= BIND_CREATE;
		else if (strcmp(t, "direct") == 0)
			*flags |= BIND_DIRECT;
		else if (strchr(t, '/') ||
			 (maybe_dest && !strchr(opts, ',') && !profile_closest(t, option_names)))
			return fail_bind(err, origin, spec,
					 "destination '%s' must be an absolute guest path (write "
					 "SRC:/DEST)",
					 t);
		else if ((close = profile_closest(t, option_names)))
			return fail_bind(err, origin, spec,
					 "unknown option '%s' (did you mean '%s'?)", t, close);
		else
			return fail_bind(err, origin, spec,
					 "unknown option '%s' (options are ro, rw, try, create, "
					 "direct)",
					 t);
	}
	if (ro && rw)
		return fail_bind(err, origin, spec,
				 "options 'ro' and 'rw' contradict each other (keep one)");
	return 0;
}

static int finish_bind(TALLOC_CTX *ctx, const char *spec, const char *source, const char *dest,
		       const char *base_dir, const char *origin, struct bind *out,
		       struct profile_error *err)
{
	const char *why;
	char *clean;
	int r;

	if (!source[0])
		return fail_bind(err, origin, spec, "empty source (write SRC:DST)");
	if (source[0] == '~')
		return fail_bind(err, origin, spec, "'~' is not expanded (write ${env:HOME}%s)",
				 source + 1);
	out->source = profile_absolute(ctx, source, base_dir);
	if (!out->source)
		return -ENOMEM;
	if (!dest)
		dest = out->source;
	r = profile_normalize_dest(ctx, dest, &clean, &why);
	if (r == -EINVAL)
		return fail_bind(err, origin, spec, "destination '%s' %s (write SRC:/DEST)", dest,
				 why);
	if (r < 0)
		return r;
	out->dest = clean;
	out->origin = talloc_strdup(ctx, origin);
	return out->origin ? 0 : -ENOMEM;
}

int profile_parse_bind(TALLOC_CTX *ctx, const char *spec, const char *base_dir, const char *origin,
		       struct bind *out, struct profile_error *err)
{
	const char *first = strchr(spec, ':');
	const char *second = first ? strchr(first + 1, ':') : NULL;
	char *source, *dest = NULL;
	int r;

	*out = (struct bind){0};
	if (!origin)
		origin = "command line";
	if (second && strchr(second + 1, ':'))
		return fail_bind(err, origin, spec,
				 "too many ':' (for paths holding ':' write {source: SRC, dest: "
				 "DST})");
	source = talloc_strndup(ctx, spec, first ? (size_t)(first - spec) : strlen(spec));
	if (!source)
		return -ENOMEM;
	if (second) {
		dest = talloc_strndup(ctx, first + 1, (size_t)(second - first - 1));
		if (!dest)
			return -ENOMEM;
		r = parse_options(spec, second + 1, origin, &out->flags, false, err);
	} else if (first && first[1] == '/') {
		dest = talloc_strdup(ctx, first + 1);
		if (!dest)
			return -ENOMEM;
		r = 0;
	} else if (first) {
		r = parse_options(spec, first + 1, origin, &out->flags, true, err);
	} else {
		r = 0;
	}
	if (r == 0)
		r = finish_bind(ctx, spec, source, dest, base_dir, origin, out, err);
	talloc_free(source);
	talloc_free(dest);
	return r;
}

static char *node_origin(TALLOC_CTX *ctx, const struct ynode *node)
{
	return talloc_asprintf(ctx, "%s:%u:%u", node->file, node->line, node->col);
}

static int convert_bind_mapping(TALLOC_CTX *ctx, const struct ynode *map, struct bind *out,
				struct profile_error *err)
{
	static const char *const keys[] = {"ro", "try", "create", "direct"};
	static const unsigned flags[] = {BIND_RO, BIND_TRY, BIND_CREATE, BIND_DIRECT};
	const struct ynode *s = ynode_get(map, "source"), *d = ynode_get(map, "dest");
	const char *source, *dest = NULL;
	char *origin, *dir;
	int r;

	*out = (struct bind){0};
	if (!s)
		return profile_fail(err, map,
				    "bind: 'source' is required (write {source: SRC, dest: DST})");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct ynode *n = ynode_get(map, keys[i]);
		char what[32];
		bool on = false;

		snprintf(what, sizeof(what), "bind.%s", keys[i]);
		if (n && (r = profile_get_bool(n, what, &on, err)) < 0)
			return r;
		if (on)
			out->flags |= flags[i];
	}
	r = profile_get_string(ctx, s, &source, err);
	if (r == 0 && d)
		r = profile_get_string(ctx, d, &dest, err);
	if (r < 0)
		return r;
	origin = node_origin(ctx, map);
	dir = profile_dir_of(ctx, map->file);
	if (!origin || !dir)
		return -ENOMEM;
	r = finish_bind(ctx, source, source, dest, dir, origin, out, err);
	talloc_free(dir);
	talloc_free(origin);
	return r;
}

/* Replace the bind with the same destination, or append. */
static int put_bind(struct profile *p, const struct bind *bind, ssize_t *replaced)
{
	struct bind *binds;

	*replaced = -1;
	for (size_t i = 0; i < p->n_binds; i++) {
		if (strcmp(p->binds[i].dest, bind->dest) == 0) {
			p->binds[i] = *bind;
			*replaced = (ssize_t)i;
			return 0;
		}
	}
	binds = talloc_realloc(p, p->binds, struct bind, p->n_binds + 1);
	if (!binds)
		return -ENOMEM;
	p->binds = binds;
	p->binds[p->n_binds++] = *bind;
	return 0;
}

int profile_add_bind(struct profile *p, const struct bind *bind)
{
	struct bind copy = *bind;
	ssize_t replaced;

	/* Own the strings, so the caller's may go away. */
	copy.source = talloc_strdup(p, bind->source);
	copy.dest = talloc_strdup(p, bind->dest);
	copy.origin = talloc_strdup(p, bind->origin ? bind->origin : "command line");
	if (!copy.source || !copy.dest || !copy.origin)
		return -ENOMEM;
	return put_bind(p, &copy, &replaced);
}

int profile_convert_binds(TALLOC_CTX *ctx, const struct ynode *binds, struct profile *p,
			  struct profile_error *err)
{
	const struct ynode **declared; /* declared[i]: the node of p->binds[i] */

	if (!binds)
		return 0;
	declared = talloc_zero_array(ctx, const struct ynode *, binds->n + 1);
	if (!declared)
		return -ENOMEM;
	for (size_t i = 0; i < binds->n; i++) {
		const struct ynode *item = binds->items[i];
		struct bind bind;
		ssize_t replaced;
		int r;

		if (item->kind == YNODE_MAPPING) {
			r = convert_bind_mapping(p, item, &bind, err);
		} else {
			const char *spec;
			char *origin = node_origin(ctx, item);
			char *dir = profile_dir_of(ctx, item->file);

			if (!origin || !dir)
				return -ENOMEM;
			r = profile_get_string(ctx, item, &spec, err);
			if (r == 0)
				r = profile_parse_bind(p, spec, dir, origin, &bind, err);
		}
		if (r < 0)
			return r;
		for (size_t j = 0; j < p->n_binds; j++) {
			const struct ynode *other = declared[j];

			if (strcmp(p->binds[j].dest, bind.dest) != 0)
				continue;
			/* The same node twice comes from a diamond of extends: harmless. */
			if (other->file == item->file && other != item)
				return profile_fail(
				    err, item,
				    "a second bind on '%s' (line %u binds it already; "
				    "keep one)",
				    bind.dest, other->line);
		}
		r = put_bind(p, &bind, &replaced);
		if (r < 0)
			return r;
		declared[replaced >= 0 ? (size_t)replaced : p->n_binds - 1] = item;
	}
	talloc_free(declared);
	return 0;
}
