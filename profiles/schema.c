/* SPDX-License-Identifier: MIT */
/*
 * Schema version 1: which keys exist where and what shape their values have. Checked on each
 * file before merging, so that an error names the file that has it. Scalar contents (enums,
 * integers, bind specs) are checked later, after expansion, by convert.c.
 */
#include "profile-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum shape {
	SHAPE_SCALAR,
	SHAPE_MAPPING, /* keys from children */
	SHAPE_STRING_LIST,
	SHAPE_SCALAR_OR_LIST, /* a string or a list of strings */
	SHAPE_STRING_MAP,     /* any names → strings */
	SHAPE_BINDS,	      /* list of "src:dst:opts" strings or bind mappings */
	SHAPE_NAMED_MAPPINGS, /* any names → mappings with keys from children */
};

struct schema_key {
	const char *name;
	enum shape shape;
	const struct schema_key *children;
	const char *example; /* shown after a type error */
};

static const struct schema_key bootstrap_keys[] = {
    {"tool", SHAPE_SCALAR, NULL, "tool: debootstrap"},
    {"suite", SHAPE_SCALAR, NULL, "suite: trixie"},
    {"variant", SHAPE_SCALAR, NULL, "variant: minbase"},
    {"include", SHAPE_SCALAR_OR_LIST, NULL, "include: [ca-certificates, less]"},
    {"mirror", SHAPE_SCALAR, NULL, "mirror: http://deb.debian.org/debian"},
    {0},
};

static const struct schema_key rootfs_keys[] = {
    {"path", SHAPE_SCALAR, NULL, "path: ${env:HOME}/rootfs"},
    {"layers", SHAPE_STRING_LIST, NULL, "layers: [/srv/layer1, ./layer2]"},
    {"upper", SHAPE_SCALAR, NULL, "upper: ephemeral"},
    {"upper_path", SHAPE_SCALAR, NULL, "upper_path: ${env:HOME}/.cache/groot/upper/NAME"},
    {"writeback_cache", SHAPE_SCALAR, NULL, "writeback_cache: true"},
    {"bootstrap", SHAPE_MAPPING, bootstrap_keys, "bootstrap: {tool: debootstrap, suite: trixie}"},
    {0},
};

static const struct schema_key bind_keys[] = {
    {"source", SHAPE_SCALAR, NULL, "source: /srv/data"},
    {"dest", SHAPE_SCALAR, NULL, "dest: /data"},
    {"ro", SHAPE_SCALAR, NULL, "ro: true"},
    {"try", SHAPE_SCALAR, NULL, "try: true"},
    {"create", SHAPE_SCALAR, NULL, "create: true"},
    {"direct", SHAPE_SCALAR, NULL, "direct: true"},
    {0},
};

static const struct schema_key env_keys[] = {
    {"inherit", SHAPE_SCALAR_OR_LIST, NULL, "inherit: [TERM, LANG]"},
    {"keep", SHAPE_STRING_LIST, NULL, "keep: [SSH_AUTH_SOCK]"},
    {"drop", SHAPE_STRING_LIST, NULL, "drop: [LD_PRELOAD]"},
    {"set", SHAPE_STRING_MAP, NULL, "set: {EDITOR: vi}"},
    {"unset", SHAPE_STRING_LIST, NULL, "unset: [MAIL]"},
    {"path", SHAPE_STRING_LIST, NULL, "path: [/usr/local/bin, /usr/bin, /bin]"},
    {0},
};

static const struct schema_key determinism_keys[] = {
    {"readdir", SHAPE_SCALAR, NULL, "readdir: sorted"},
    {"inodes", SHAPE_SCALAR, NULL, "inodes: stable"},
    {"source_date_epoch", SHAPE_SCALAR, NULL, "source_date_epoch: 1700000000"},
    {"clamp_mtime", SHAPE_SCALAR, NULL, "clamp_mtime: true"},
    {0},
};

static const struct schema_key uname_keys[] = {
    {"release", SHAPE_SCALAR, NULL, "release: 6.1.0-groot"},
    {"version", SHAPE_SCALAR, NULL, "version: \"#1 SMP\""},
    {"machine", SHAPE_SCALAR, NULL, "machine: x86_64"},
    {0},
};

static const struct schema_key interpreter_keys[] = {
    {"magic", SHAPE_SCALAR, NULL, "magic: '\\x7fELF\\x02\\x01\\x01'"},
    {"mask", SHAPE_SCALAR, NULL, "mask: '\\xff\\xff\\xff\\xff'"},
    {"offset", SHAPE_SCALAR, NULL, "offset: 0"},
    {"extension", SHAPE_SCALAR, NULL, "extension: exe"},
    {"interpreter", SHAPE_SCALAR, NULL, "interpreter: /usr/bin/qemu-aarch64-static"},
    {"args", SHAPE_STRING_LIST, NULL, "args: [-L, /usr/aarch64-linux-gnu]"},
    {0},
};

static const struct schema_key top_keys[] = {
    {"version", SHAPE_SCALAR, NULL, "version: 1"},
    {"name", SHAPE_SCALAR, NULL, "name: my-profile"},
    {"description", SHAPE_SCALAR, NULL, "description: Debian 13 developer shell"},
    {"extends", SHAPE_SCALAR_OR_LIST, NULL, "extends: debian-trixie"},
    {"rootfs", SHAPE_MAPPING, rootfs_keys, "rootfs: {path: DIR}"},
    {"binds", SHAPE_BINDS, bind_keys, "binds: [/srv/data:/data:ro]"},
    {"env", SHAPE_MAPPING, env_keys, "env: {inherit: [TERM, LANG]}"},
    {"user", SHAPE_SCALAR, NULL, "user: root"},
    {"workdir", SHAPE_SCALAR, NULL, "workdir: /root"},
    {"shell", SHAPE_SCALAR, NULL, "shell: /bin/bash"},
    {"command", SHAPE_SCALAR_OR_LIST, NULL, "command: [bash, -l]"},
    {"hostname", SHAPE_SCALAR, NULL, "hostname: trixie"},
    {"determinism", SHAPE_MAPPING, determinism_keys, "determinism: {readdir: sorted}"},
    {"uname", SHAPE_MAPPING, uname_keys, "uname: {release: 6.1.0-groot}"},
    {"interpreters", SHAPE_NAMED_MAPPINGS, interpreter_keys,
     "interpreters: {qemu-aarch64: {magic: ..., interpreter: ...}}"},
    {0},
};

/* Where each nested table lives, for "it belongs under 'rootfs'" hints. */
static const struct {
	const char *path;
	const struct schema_key *keys;
} sections[] = {
    {"", top_keys},    {"rootfs", rootfs_keys},		  {"rootfs.bootstrap", bootstrap_keys},
    {"env", env_keys}, {"determinism", determinism_keys}, {"uname", uname_keys},
};

/* "where.name" into BUF, truncated when absurdly long. */
static void join_key(char *buf, size_t size, const char *where, const char *name)
{
	size_t lw = strnlen(where, size - 1), ln;

	memcpy(buf, where, lw);
	if (lw && lw < size - 1)
		buf[lw++] = '.';
	ln = strnlen(name, size - 1 - lw);
	memcpy(buf + lw, name, ln);
	buf[lw + ln] = '\0';
}

static int check_mapping(const struct ynode *map, const struct schema_key *keys, const char *where,
			 struct profile_error *err);

static int fail_type(struct profile_error *err, const struct ynode *node, const char *where,
		     const char *expected, const char *example)
{
	return profile_fail(err, node, "%s: expected %s, got %s (for example: %s)", where, expected,
			    ynode_describe(node), example);
}

static int check_string_list(const struct ynode *node, const char *where,
			     const struct schema_key *key, struct profile_error *err)
{
	for (size_t i = 0; i < node->n; i++)
		if (node->items[i]->kind != YNODE_SCALAR || ynode_is_null(node->items[i]))
			return fail_type(err, node->items[i], where, "a list of strings",
					 key->example);
	return 0;
}

static int check_value(const struct ynode *node, const struct schema_key *key, const char *where,
		       struct profile_error *err)
{
	char sub[256];

	if (ynode_is_null(node))
		return 0; /* null: not set here; in a child, it removes what the parent set */
	switch (key->shape) {
	case SHAPE_SCALAR:
		if (node->kind != YNODE_SCALAR)
			return fail_type(err, node, where, "a string", key->example);
		return 0;
	case SHAPE_MAPPING:
		if (node->kind != YNODE_MAPPING)
			return fail_type(err, node, where, "a mapping", key->example);
		return check_mapping(node, key->children, where, err);
	case SHAPE_STRING_LIST:
		if (node->kind != YNODE_SEQUENCE)
			return fail_type(err, node, where, "a list of strings", key->example);
		return check_string_list(node, where, key, err);
	case SHAPE_SCALAR_OR_LIST:
		if (node->kind == YNODE_SCALAR)
			return 0;
		if (node->kind != YNODE_SEQUENCE)
			return fail_type(err, node, where, "a string or a list of strings",
					 key->example);
		return check_string_list(node, where, key, err);
	case SHAPE_STRING_MAP:
		if (node->kind != YNODE_MAPPING)
			return fail_type(err, node, where, "a mapping", key->example);
		for (size_t i = 0; i < node->n; i++) {
			if (node->items[i]->kind == YNODE_SCALAR)
				continue;
			join_key(sub, sizeof(sub), where, node->keys[i]->value);
			return fail_type(err, node->items[i], sub, "a string", key->example);
		}
		return 0;
	case SHAPE_BINDS:
		if (node->kind != YNODE_SEQUENCE)
			return fail_type(err, node, where, "a list of binds", key->example);
		for (size_t i = 0; i < node->n; i++) {
			const struct ynode *item = node->items[i];
			int r;

			if (item->kind == YNODE_SCALAR && !ynode_is_null(item))
				continue;
			if (item->kind != YNODE_MAPPING)
				return fail_type(err, item, where,
						 "'SRC:DST[:OPTS]' or {source: SRC, dest: DST}",
						 key->example);
			r = check_mapping(item, key->children, "bind", err);
			if (r < 0)
				return r;
		}
		return 0;
	case SHAPE_NAMED_MAPPINGS:
		if (node->kind != YNODE_MAPPING)
			return fail_type(err, node, where, "a mapping", key->example);
		for (size_t i = 0; i < node->n; i++) {
			int r;

			join_key(sub, sizeof(sub), where, node->keys[i]->value);
			if (ynode_is_null(node->items[i]))
				continue;
			if (node->items[i]->kind != YNODE_MAPPING)
				return fail_type(err, node->items[i], sub, "a mapping",
						 key->example);
			r = check_mapping(node->items[i], key->children, sub, err);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;
}

static int fail_unknown_key(const struct ynode *key, const struct schema_key *keys,
			    const char *where, struct profile_error *err)
{
	const char *names[32];
	char valid[512] = "";
	const char *close;
	size_t n = 0, used = 0;

	for (size_t i = 0; keys[i].name && n < ARRAY_SIZE(names) - 1; i++)
		names[n++] = keys[i].name;
	names[n] = NULL;
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		if (sections[s].keys == keys)
			continue;
		for (size_t i = 0; sections[s].keys[i].name; i++)
			if (strcmp(sections[s].keys[i].name, key->value) == 0 &&
			    sections[s].path[0])
				return profile_fail(err, key,
						    "unknown key '%s' here (it belongs under '%s')",
						    key->value, sections[s].path);
	}
	close = profile_closest(key->value, names);
	if (close)
		return profile_fail(err, key, "unknown key '%s' (did you mean '%s'?)", key->value,
				    close);
	for (size_t i = 0; i < n && used < sizeof(valid); i++)
		used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "",
					 names[i]);
	if (where[0])
		return profile_fail(err, key, "unknown key '%s' in %s (valid keys: %s)", key->value,
				    where, valid);
	return profile_fail(err, key, "unknown key '%s' (valid keys: %s)", key->value, valid);
}

static int check_mapping(const struct ynode *map, const struct schema_key *keys, const char *where,
			 struct profile_error *err)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *key = map->keys[i];
		const struct schema_key *k = NULL;
		char sub[256];
		int r;

		for (size_t j = 0; keys[j].name; j++)
			if (strcmp(keys[j].name, key->value) == 0)
				k = &keys[j];
		if (!k)
			return fail_unknown_key(key, keys, where, err);
		join_key(sub, sizeof(sub), where, k->name);
		r = check_value(map->items[i], k, sub, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int profile_schema_check(const struct ynode *root, struct profile_error *err)
{
	return check_mapping(root, top_keys, "", err);
}
