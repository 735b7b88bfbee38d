/* SPDX-License-Identifier: MIT */
#include "fusermount.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *fusermount_program(void)
{
	static const char *const homes[] = {"/usr/bin/fusermount3", "/bin/fusermount3"};
	static char found[PATH_MAX];
	const char *path = getenv("PATH");

	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++)
		if (access(homes[i], X_OK) == 0)
			return homes[i];
	for (const char *p = path ? path : ""; *p;) {
		const char *end = strchr(p, ':');
		size_t length = end ? (size_t)(end - p) : strlen(p);

		if (length > 0 && p[0] == '/' &&
		    snprintf(found, sizeof(found), "%.*s/fusermount3", (int)length, p) <
			    (int)sizeof(found) &&
		    access(found, X_OK) == 0)
			return found;
		p += length + (end ? 1 : 0);
	}
	return NULL;
}
