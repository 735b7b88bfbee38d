/* SPDX-License-Identifier: MIT */
/*
 * interpreters: binfmt_misc-like rules for files the kernel would refuse with ENOEXEC.
 * As in binfmt_misc, a rule matches either by magic bytes (with an optional mask, at an offset
 * within the first 128 bytes) or by file name extension, never both.
 *
 * magic and mask are written like binfmt_misc's register strings, '\x7fELF\x02' (single quotes,
 * so that YAML leaves the backslashes to us), or as plain hex after "0x" ("0x7f454c46"). A
 * double-quoted YAML string is decoded by YAML first and taken byte for byte. They are not
 * ${...}-expanded: they are bytes, not text.
 */
#include "profile-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BINPRM_BUF_SIZE 128

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int decode_bytes(TALLOC_CTX *ctx, const struct ynode *node, const char *what,
			unsigned char **out, size_t *len, struct profile_error *err)
{
	const char *s = node->value;
	unsigned char *bytes = talloc_size(ctx, node->len + 1);
	size_t n = 0;

	if (!bytes)
		return -ENOMEM;
	if (node->len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (node->len % 2)
			return profile_fail(err, node,
					    "%s: odd number of hex digits (write two digits per "
					    "byte, e.g. 0x7f454c46)",
					    what);
		for (size_t i = 2; i < node->len; i += 2) {
			int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

			if (hi < 0 || lo < 0)
				return profile_fail(
				    err, node, "%s: '%c%c' is not a hex byte (use 0-9 and a-f)",
				    what, s[i], s[i + 1]);
			bytes[n++] = (unsigned char)(hi << 4 | lo);
		}
	} else if (node->double_quoted) {
		memcpy(bytes, s, node->len);
		n = node->len;
	} else {
		for (size_t i = 0; i < node->len; i++) {
			if (s[i] != '\\') {
				bytes[n++] = (unsigned char)s[i];
			} else if (i + 1 < node->len && s[i + 1] == '\\') {
				bytes[n++] = '\\';
				i++;
			} else if (i + 3 < node->len && s[i + 1] == 'x' &&
				   hex_value(s[i + 2]) >= 0 && hex_value(s[i + 3]) >= 0) {
				bytes[n++] =
				    (unsigned char)(hex_value(s[i + 2]) << 4 | hex_value(s[i + 3]));
				i += 3;
			} else {
				return profile_fail(
				    err, node,
				    "%s: bad escape at character %zu (write \\xHH for "
				    "a byte, \\\\ for a backslash)",
				    what, i + 1);
			}
		}
	}
	if (n == 0)
		return profile_fail(err, node, "%s: empty (give at least one byte)", what);
	*out = bytes;
	*len = n;
	return 0;
}

static int convert_interpreter(TALLOC_CTX *ctx, const char *name, const struct ynode *map,
			       struct interpreter *it, struct profile_error *err)
{
	const struct ynode *magic = ynode_get(map, "magic"), *mask = ynode_get(map, "mask");
	const struct ynode *extension = ynode_get(map, "extension");
	const struct ynode *offset = ynode_get(map, "offset"),
			   *path = ynode_get(map, "interpreter");
	const struct ynode *args = ynode_get(map, "args");
	char what[160];
	size_t mask_len;
	int r;

	it->name = talloc_strdup(ctx, name);
	if (!path)
		return profile_fail(err, map,
				    "interpreters.%s: 'interpreter' is required (add 'interpreter: "
				    "/usr/bin/qemu-aarch64-static' or similar)",
				    name);
	if (!magic == !extension)
		return profile_fail(
		    err, map,
		    "interpreters.%s: give either 'magic' or 'extension' (binfmt_misc "
		    "matches one or the other)",
		    name);
	r = profile_get_string(ctx, path, &it->path, err);
	if (r < 0)
		return r;
	if (it->path[0] != '/')
		return profile_fail(err, path,
				    "interpreters.%s.interpreter: '%s' is not absolute (write "
				    "its path in the guest, e.g. /usr/bin/%s)",
				    name, it->path, it->path);
	if (extension) {
		r = profile_get_string(ctx, extension, &it->extension, err);
		if (r < 0)
			return r;
		if (it->extension[0] == '.')
			it->extension++;
		if (!it->extension[0] || strchr(it->extension, '/'))
			return profile_fail(err, extension,
					    "interpreters.%s.extension: '%s' is not a file "
					    "extension (write it without the dot, e.g. 'exe')",
					    name, it->extension);
	}
	if (magic) {
		snprintf(what, sizeof(what), "interpreters.%s.magic", name);
		r = decode_bytes(ctx, magic, what, &it->magic, &it->magic_len, err);
		if (r < 0)
			return r;
	}
	if (mask && !magic)
		return profile_fail(err, mask, "interpreters.%s.mask: only used with 'magic'",
				    name);
	if (mask) {
		snprintf(what, sizeof(what), "interpreters.%s.mask", name);
		r = decode_bytes(ctx, mask, what, &it->mask, &mask_len, err);
		if (r < 0)
			return r;
		if (mask_len != it->magic_len)
			return profile_fail(err, mask,
					    "interpreters.%s.mask: %zu bytes long but the magic "
					    "is %zu (give one mask byte per magic byte)",
					    name, mask_len, it->magic_len);
	}
	if (offset) {
		char *value, *end;
		long v;

		r = profile_expand(ctx, offset, &value, err);
		if (r < 0)
			return r;
		v = strtol(value, &end, 10);
		if (!value[0] || *end || v < 0 || (size_t)v + it->magic_len > BINPRM_BUF_SIZE)
			return profile_fail(err, offset,
					    "interpreters.%s.offset: '%s' does not keep the magic "
					    "within the %d bytes the kernel reads (lower it)",
					    name, value, BINPRM_BUF_SIZE);
		it->offset = (size_t)v;
	}
	if (args)
		return profile_get_strings(ctx, args, &it->args, err);
	it->args = talloc_zero_array(ctx, const char *, 1);
	return it->args ? 0 : -ENOMEM;
}

int profile_convert_interpreters(TALLOC_CTX *ctx, const struct ynode *map, struct profile *p,
				 struct profile_error *err)
{
	if (!map)
		return 0;
	p->interpreters = talloc_zero_array(ctx, struct interpreter, map->n + 1);
	if (!p->interpreters)
		return -ENOMEM;
	for (size_t i = 0; i < map->n; i++) {
		int r;

		if (ynode_is_null(map->items[i]))
			continue; /* a child's "name: null" removes a parent's rule */
		r = convert_interpreter(p->interpreters, map->keys[i]->value, map->items[i],
					&p->interpreters[p->n_interpreters], err);
		if (r < 0)
			return r;
		p->n_interpreters++;
	}
	return 0;
}
