/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char *executable_if_present(TALLOC_CTX *ctx, const char *path)
{
	char resolved[PATH_MAX];

	if (access(path, X_OK) < 0 || !realpath(path, resolved))
		return NULL;
	return talloc_strdup(ctx, resolved);
}

char *find_helper(TALLOC_CTX *ctx, const char *name, const char *build_subdir,
		  const char *env_override)
{
	const char *override = env_override ? getenv(env_override) : NULL;
	char self[PATH_MAX];
	char *found = NULL;
	ssize_t n;

	if (override && *override)
		return executable_if_present(ctx, override);

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		const char *candidates[] = {
			talloc_asprintf(ctx, "%s/%s", self, name),
			talloc_asprintf(ctx, "%s/../%s/%s", self, build_subdir, name),
			talloc_asprintf(ctx, "%s/../libexec/groot/%s", self, name),
		};
		for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !found; i++)
			if (candidates[i])
				found = executable_if_present(ctx, candidates[i]);
	}
	if (!found) {
		char *installed = talloc_asprintf(ctx, "%s/%s", GROOT_LIBEXECDIR, name);
		found = installed ? executable_if_present(ctx, installed) : NULL;
	}
	if (!found)
		errno = ENOENT;
	return found;
}

int make_directories(const char *path, unsigned int mode)
{
	char buffer[PATH_MAX];
	size_t length = strlen(path);

	if (length >= sizeof(buffer))
		return -ENAMETOOLONG;
	memcpy(buffer, path, length + 1);
	for (char *p = buffer + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buffer, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buffer, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

long read_sysctl(const char *name, long fallback)
{
	char path[128];
	long value = fallback;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "re");
	if (!f)
		return fallback;
	if (fscanf(f, "%ld", &value) != 1)
		value = fallback;
	fclose(f);
	return value;
}

char *real_path(TALLOC_CTX *ctx, const char *path)
{
	char *resolved = realpath(path, NULL);
	char *copy = resolved ? talloc_strdup(ctx, resolved) : NULL;

	free(resolved);
	return copy;
}
