/* SPDX-License-Identifier: MIT */
/*
 * profile_print(): the resolved profile as YAML, for `groot check`. Every value line ends in
 * "# from FILE:LINE" or "# default". The output is itself a valid profile: paths are already
 * absolute and ${...} already expanded (a literal "${" is written "$${").
 */
#include "profile-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COMMENT_COLUMN 48

struct printer {
	FILE *out;
	const struct profile *p;
	TALLOC_CTX *tmp;
	bool failed;
};

static bool looks_like_number(const char *s)
{
	char *end;

	if (!s[0])
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

static bool is_reserved(const char *s)
{
	static const char *const words[] = {"null", "true", "false", "yes", "no", "on", "off", "~"};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

static bool plain_safe(const char *s)
{
	if (!s[0] || is_reserved(s) || looks_like_number(s))
		return false;
	if (!isalnum((unsigned char)s[0]) && s[0] != '/' && s[0] != '_' && s[0] != '.')
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/._-+@*", *c))
			return false;
	return true;
}

/* Outside [...] and {...} plain scalars may also hold spaces, ',' and ':' (not ": " or " #"). */
static bool block_plain_safe(const char *s)
{
	size_t len = strlen(s);

	if (!s[0] || is_reserved(s) || looks_like_number(s) || s[len - 1] == ' ' ||
	    s[len - 1] == ':' || strstr(s, ": ") || strstr(s, " #"))
		return false;
	if (!isalnum((unsigned char)s[0]) && s[0] != '/' && s[0] != '_' && s[0] != '.')
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/._-+@*,:()=' ", *c))
			return false;
	return true;
}

/* S as a YAML scalar that reads back as S, "${" written "$${" so it is not expanded again. */
static const char *quote_as(struct printer *pr, const char *s, bool block, bool expanded)
{
	char *q;

	if (block ? block_plain_safe(s) : plain_safe(s))
		return s;
	q = talloc_strdup(pr->tmp, "\"");
	for (const unsigned char *c = (const unsigned char *)s; q && *c; c++) {
		if (*c == '"' || *c == '\\')
			q = talloc_asprintf_append_buffer(q, "\\%c", *c);
		else if (expanded && *c == '$' && c[1] == '{')
			q = talloc_strdup_append_buffer(q, "$$");
		else if (*c < 0x20 || *c == 0x7f)
			q = talloc_asprintf_append_buffer(q, "\\x%02x", *c);
		else
			q = talloc_asprintf_append_buffer(q, "%c", *c);
	}
	q = q ? talloc_strdup_append_buffer(q, "\"") : NULL;
	if (!q)
		pr->failed = true;
	return q ? q : "\"\"";
}

/* For items of [...] and {...}. */
static const char *quote(struct printer *pr, const char *s)
{
	return quote_as(pr, s, false, true);
}

/* Keys are not expanded: "${" stays as is. */
static const char *quote_key(struct printer *pr, const char *s)
{
	return quote_as(pr, s, false, false);
}

/* For "key: value" lines and "- item" lines. */
static const char *quote_value(struct printer *pr, const char *s)
{
	return quote_as(pr, s, true, true);
}

static const char *quote_list(struct printer *pr, const char *const *list)
{
	char *s = talloc_strdup(pr->tmp, "[");

	for (size_t i = 0; s && list && list[i]; i++)
		s = talloc_asprintf_append_buffer(s, "%s%s", i ? ", " : "", quote(pr, list[i]));
	s = s ? talloc_strdup_append_buffer(s, "]") : NULL;
	if (!s)
		pr->failed = true;
	return s ? s : "[]";
}

/* "file:line:col" → "from file:line"; NULL → "default". */
static void emit_origin(struct printer *pr, int width, const char *origin)
{
	const char *last = origin ? strrchr(origin, ':') : NULL;
	int pad = width < COMMENT_COLUMN ? COMMENT_COLUMN - width : 1;

	if (fprintf(pr->out, "%*s", pad, "") < 0)
		pr->failed = true;
	if (last)
		fprintf(pr->out, "# from %.*s\n", (int)(last - origin), origin);
	else
		fprintf(pr->out, "# %s\n", origin ? origin : "default");
}

static void line(struct printer *pr, int indent, const char *key, const char *value,
		 const char *origin)
{
	int width = fprintf(pr->out, "%*s%s: %s", indent, "", key, value);

	if (width < 0)
		pr->failed = true;
	emit_origin(pr, width, origin);
}

static void field(struct printer *pr, int indent, const char *key, const char *value,
		  const char *dotted)
{
	if (value)
		line(pr, indent, key, quote_value(pr, value), profile_origin(pr->p, dotted));
}

static void section(struct printer *pr, int indent, const char *key)
{
	if (fprintf(pr->out, "%*s%s:\n", indent, "", key) < 0)
		pr->failed = true;
}

static void print_rootfs(struct printer *pr)
{
	static const char *const uppers[] = {"none", "in-place", "ephemeral", "persistent"};
	const struct profile *p = pr->p;

	section(pr, 0, "rootfs");
	field(pr, 2, "path", p->rootfs.path, "rootfs.path");
	if (p->rootfs.layers)
		line(pr, 2, "layers", quote_list(pr, p->rootfs.layers),
		     profile_origin(p, "rootfs.layers"));
	line(pr, 2, "upper", uppers[p->rootfs.upper], profile_origin(p, "rootfs.upper"));
	field(pr, 2, "upper_path", p->rootfs.upper_path, "rootfs.upper_path");
	if (p->rootfs.writeback_cache)
		line(pr, 2, "writeback_cache", "true", profile_origin(p, "rootfs.writeback_cache"));
	if (!p->rootfs.bootstrap.tool)
		return;
	section(pr, 2, "bootstrap");
	line(pr, 4, "tool", quote(pr, p->rootfs.bootstrap.tool),
	     profile_origin(p, "rootfs.bootstrap.tool"));
	field(pr, 4, "suite", p->rootfs.bootstrap.suite, "rootfs.bootstrap.suite");
	field(pr, 4, "variant", p->rootfs.bootstrap.variant, "rootfs.bootstrap.variant");
	field(pr, 4, "mirror", p->rootfs.bootstrap.mirror, "rootfs.bootstrap.mirror");
	if (p->rootfs.bootstrap.include)
		line(pr, 4, "include", quote_list(pr, p->rootfs.bootstrap.include),
		     profile_origin(p, "rootfs.bootstrap.include"));
}

static void print_binds(struct printer *pr)
{
	static const char *const names[] = {"ro", "try", "create", "direct"};
	static const unsigned flags[] = {BIND_RO, BIND_TRY, BIND_CREATE, BIND_DIRECT};
	const struct profile *p = pr->p;

	if (p->n_binds == 0) {
		line(pr, 0, "binds", "[]", profile_origin(p, "binds"));
		return;
	}
	section(pr, 0, "binds");
	for (size_t i = 0; i < p->n_binds; i++) {
		const struct bind *b = &p->binds[i];
		char *spec, *options = talloc_strdup(pr->tmp, "");

		for (size_t j = 0; options && j < ARRAY_SIZE(names); j++)
			if (b->flags & flags[j])
				options = talloc_asprintf_append(options, "%s%s",
								 options[0] ? "," : "", names[j]);
		if (!options) {
			pr->failed = true;
			return;
		}
		if (strchr(b->source, ':') || strchr(b->dest, ':')) {
			spec = talloc_asprintf(pr->tmp, "{source: %s, dest: %s",
					       quote(pr, b->source), quote(pr, b->dest));
			for (size_t j = 0; spec && j < ARRAY_SIZE(names); j++)
				if (b->flags & flags[j])
					spec = talloc_asprintf_append(spec, ", %s: true", names[j]);
			spec = spec ? talloc_strdup_append(spec, "}") : NULL;
		} else {
			spec = talloc_asprintf(pr->tmp, "%s:%s%s%s", b->source, b->dest,
					       options[0] ? ":" : "", options);
			spec = spec ? (char *)quote_value(pr, spec) : NULL;
		}
		if (!spec) {
			pr->failed = true;
			return;
		}
		int width = fprintf(pr->out, "  - %s", spec);

		emit_origin(pr, width, b->origin);
	}
}

static void print_env(struct printer *pr)
{
	static const char *const keys[] = {"keep", "drop", "unset", "path"};
	const struct profile *p = pr->p;
	const char *const *lists[] = {p->env.keep, p->env.drop, p->env.unset, p->env.path};
	char dotted[300];

	section(pr, 0, "env");
	if (p->env.inherit == ENV_INHERIT_LIST)
		line(pr, 2, "inherit", quote_list(pr, p->env.inherit_names),
		     profile_origin(p, "env.inherit"));
	else
		line(pr, 2, "inherit", p->env.inherit == ENV_INHERIT_ALL ? "all" : "none",
		     profile_origin(p, "env.inherit"));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!lists[i])
			continue;
		snprintf(dotted, sizeof(dotted), "env.%s", keys[i]);
		line(pr, 2, keys[i], quote_list(pr, lists[i]), profile_origin(p, dotted));
	}
	if (p->env.n_set == 0)
		return;
	section(pr, 2, "set");
	for (size_t i = 0; i < p->env.n_set; i++) {
		snprintf(dotted, sizeof(dotted), "env.set.%s", p->env.set[i].name);
		line(pr, 4, quote_key(pr, p->env.set[i].name), quote_value(pr, p->env.set[i].value),
		     profile_origin(p, dotted));
	}
}

static void print_identity(struct printer *pr)
{
	const struct profile *p = pr->p;
	const char *user = "host";

	if (p->user.kind == USER_ROOT)
		user = "root";
	else if (p->user.kind == USER_NAME)
		user = quote(pr, p->user.name);
	else if (p->user.kind == USER_UID)
		user = talloc_asprintf(pr->tmp, "%u", (unsigned)p->user.uid);
	line(pr, 0, "user", user ? user : "host", profile_origin(p, "user"));
	field(pr, 0, "workdir", p->workdir, "workdir");
	field(pr, 0, "shell", p->shell, "shell");
	if (p->command)
		line(pr, 0, "command", quote_list(pr, p->command), profile_origin(p, "command"));
	field(pr, 0, "hostname", p->hostname, "hostname");
}

static void print_determinism(struct printer *pr)
{
	const struct profile *p = pr->p;

	section(pr, 0, "determinism");
	line(pr, 2, "readdir", p->determinism.readdir_sorted ? "sorted" : "native",
	     profile_origin(p, "determinism.readdir"));
	line(pr, 2, "inodes", p->determinism.stable_inodes ? "stable" : "native",
	     profile_origin(p, "determinism.inodes"));
	if (p->determinism.has_source_date_epoch)
		line(pr, 2, "source_date_epoch",
		     talloc_asprintf(pr->tmp, "%lld", p->determinism.source_date_epoch),
		     profile_origin(p, "determinism.source_date_epoch"));
	line(pr, 2, "clamp_mtime", p->determinism.clamp_mtime ? "true" : "false",
	     profile_origin(p, "determinism.clamp_mtime"));
	if (!p->uname.release && !p->uname.version && !p->uname.machine)
		return;
	section(pr, 0, "uname");
	field(pr, 2, "release", p->uname.release, "uname.release");
	field(pr, 2, "version", p->uname.version, "uname.version");
	field(pr, 2, "machine", p->uname.machine, "uname.machine");
}

/* Bytes in the single-quoted '\xHH' form that interpreters.c reads back. */
static const char *quote_bytes(struct printer *pr, const unsigned char *bytes, size_t len)
{
	char *s = talloc_strdup(pr->tmp, "'");

	for (size_t i = 0; s && i < len; i++) {
		if (bytes[i] == '\\')
			s = talloc_strdup_append_buffer(s, "\\\\");
		else if (bytes[i] == '\'')
			s = talloc_strdup_append_buffer(s, "''");
		else if (isprint(bytes[i]) && bytes[i] != '$')
			s = talloc_asprintf_append_buffer(s, "%c", bytes[i]);
		else
			s = talloc_asprintf_append_buffer(s, "\\x%02x", bytes[i]);
	}
	s = s ? talloc_strdup_append_buffer(s, "'") : NULL;
	if (!s)
		pr->failed = true;
	return s ? s : "''";
}

static void print_interpreters(struct printer *pr)
{
	const struct profile *p = pr->p;
	char dotted[300];

	if (p->n_interpreters == 0)
		return;
	section(pr, 0, "interpreters");
	for (size_t i = 0; i < p->n_interpreters; i++) {
		const struct interpreter *it = &p->interpreters[i];

		section(pr, 2, quote_key(pr, it->name));
#define ORIGIN(key)                                                                                \
	(snprintf(dotted, sizeof(dotted), "interpreters.%s." key, it->name),                       \
	 profile_origin(p, dotted))
		if (it->magic)
			line(pr, 4, "magic", quote_bytes(pr, it->magic, it->magic_len),
			     ORIGIN("magic"));
		if (it->mask)
			line(pr, 4, "mask", quote_bytes(pr, it->mask, it->magic_len),
			     ORIGIN("mask"));
		if (it->magic)
			line(pr, 4, "offset", talloc_asprintf(pr->tmp, "%zu", it->offset),
			     ORIGIN("offset"));
		if (it->extension)
			line(pr, 4, "extension", quote(pr, it->extension), ORIGIN("extension"));
		line(pr, 4, "interpreter", quote(pr, it->path), ORIGIN("interpreter"));
		if (it->args && it->args[0])
			line(pr, 4, "args", quote_list(pr, it->args), ORIGIN("args"));
#undef ORIGIN
	}
}

int profile_print(FILE *out, const struct profile *p)
{
	struct printer pr = {.out = out, .p = p, .tmp = talloc_new(NULL)};

	if (!pr.tmp)
		return -ENOMEM;
	fprintf(out, "# %s", p->file ? p->file : "(built in)");
	for (size_t i = 1; p->files && p->files[i]; i++)
		fprintf(out, "%s%s", i == 1 ? ", extending " : ", ", p->files[i]);
	fprintf(out, "\n");
	line(&pr, 0, "version", "1", profile_origin(p, "version"));
	field(&pr, 0, "name", p->name, "name");
	field(&pr, 0, "description", p->description, "description");
	print_rootfs(&pr);
	print_binds(&pr);
	print_env(&pr);
	print_identity(&pr);
	print_determinism(&pr);
	print_interpreters(&pr);
	talloc_free(pr.tmp);
	if (pr.failed || fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
