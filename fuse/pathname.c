/* SPDX-License-Identifier: MIT */
/* Lexical path arithmetic for symlink clamping; pure, unit-tested. */
#include "pathname.h"

#include <stdlib.h>
#include <string.h>

/* Does a relative target, followed from a directory 'depth' levels deep, climb above "/"? */
bool pathname_climbs_above_root(const char *target, long depth)
{
	const char *c = target;

	while (*c) {
		const char *e;
		size_t len;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchrnul(c, '/');
		len = (size_t)(e - c);
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (!(len == 1 && c[0] == '.')) {
			depth++;
		}
		c = e;
	}
	return false;
}

long pathname_depth(const char *dir)
{
	long depth = 0;

	for (const char *c = dir; *c; c++)
		if (*c == '/' && c[1] != '/' && c[1] != '\0')
			depth++;
	return depth;
}

/* Lexically resolve 'target' against 'dir', clamping ".." at the root. */
char *pathname_clamp_relative(const char *dir, const char *target)
{
	size_t cap = strlen(dir) + strlen(target) + 3, len;
	char *out = malloc(cap);
	const char *c = target;

	if (!out)
		return NULL;
	strcpy(out, dir);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	while (*c) {
		const char *e;
		size_t n;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(out, '/');

			len = slash == out ? 1 : (size_t)(slash - out);
			out[len] = '\0';
		} else if (!(n == 1 && c[0] == '.')) {
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, c, n);
			len += n;
			out[len] = '\0';
		}
		c = e;
	}
	/* "dir/" and "dir" differ for the kernel (the former must be a directory). */
	if (target[strlen(target) - 1] == '/' && len > 1)
		strcpy(out + len, "/");
	return out;
}
