/* SPDX-License-Identifier: MIT */
#include "bindspec.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_options(const char *options, unsigned *flags, char *message, size_t size)
{
	char buffer[256];

	if (strlen(options) >= sizeof(buffer)) {
		snprintf(message, size, "options too long");
		return -EINVAL;
	}
	strcpy(buffer, options);
	for (char *save = NULL, *opt = strtok_r(buffer, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		if (!strcmp(opt, "ro"))
			*flags |= BIND_RO;
		else if (!strcmp(opt, "rw"))
			*flags &= ~(unsigned)BIND_RO;
		else if (!strcmp(opt, "try"))
			*flags |= BIND_TRY;
		else if (!strcmp(opt, "create"))
			*flags |= BIND_CREATE;
		else if (!strcmp(opt, "direct"))
			*flags |= BIND_DIRECT;
		else {
			snprintf(message, size,
				 "unknown bind option '%s' (valid: ro, rw, try, create, direct)", opt);
			return -EINVAL;
		}
	}
	return 0;
}

static bool is_option_list(const char *s)
{
	static const char *const words[] = {"ro", "rw", "try", "create", "direct"};
	char buffer[256];

	if (!*s || s[0] == '/' || strlen(s) >= sizeof(buffer))
		return false;
	strcpy(buffer, s);
	for (char *save = NULL, *opt = strtok_r(buffer, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			known |= !strcmp(opt, words[i]);
		if (!known)
			return false;
	}
	return true;
}

int parse_bind_spec(TALLOC_CTX *ctx, const char *spec, const char *origin, struct bind *bind,
		    char *message, size_t size)
{
	char *copy = talloc_strdup(ctx, spec);
	char *fields[3] = {NULL, NULL, NULL};
	int n = 0;

	memset(bind, 0, sizeof(*bind));
	for (char *p = copy; p && n < 3; n++) {
		fields[n] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
		if (n == 2 && p) {
			snprintf(message, size, "too many ':' (expected SRC[:DST][:OPTS])");
			return -EINVAL;
		}
	}
	if (!fields[0] || !*fields[0]) {
		snprintf(message, size, "empty source (expected SRC[:DST][:OPTS])");
		return -EINVAL;
	}
	/* SRC:OPTS is SRC:SRC:OPTS */
	if (n == 2 && is_option_list(fields[1])) {
		fields[2] = fields[1];
		fields[1] = NULL;
	}
	if (fields[2] && parse_options(fields[2], &bind->flags, message, size) < 0)
		return -EINVAL;
	if (fields[0][0] == '/') {
		bind->source = fields[0];
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(message, size, "cannot resolve relative source: %s", strerror(errno));
			return -EINVAL;
		}
		bind->source = talloc_asprintf(ctx, "%s/%s", cwd, fields[0]);
	}
	const char *dest = fields[1] && *fields[1] ? fields[1] : bind->source;
	if (dest[0] != '/') {
		snprintf(message, size, "the destination '%s' must be an absolute guest path", dest);
		return -EINVAL;
	}
	/* Normalise: no trailing slash, no "//". */
	char *normal = talloc_strdup(ctx, dest), *w = normal;
	for (const char *r = dest; *r; r++)
		if (!(*r == '/' && (w > normal && w[-1] == '/')))
			*w++ = *r;
	*w = '\0';
	while (w - normal > 1 && w[-1] == '/')
		*--w = '\0';
	bind->dest = normal;
	bind->origin = origin;
	return 0;
}
