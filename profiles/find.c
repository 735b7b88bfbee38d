/* SPDX-License-Identifier: MIT */
/*
 * Finding profiles. A name is looked up as NAME.yaml in, in order: the current directory,
 * $XDG_CONFIG_HOME/groot/profiles (~/.config/groot/profiles), and the stock directory (the
 * source tree's profiles/ when it exists, so that an uninstalled build finds its own, else the
 * installed one). Anything containing '/' or ending in ".yaml" is a path.
 */
#include "profile-internal.h"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool profile_is_path(const char *name_or_path)
{
	size_t len = strlen(name_or_path);

	return strchr(name_or_path, '/') ||
	       (len >= 5 && strcmp(name_or_path + len - 5, ".yaml") == 0);
}

static bool is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *stock_dir(void)
{
	return is_directory(GROOT_SOURCE_PROFILEDIR) ? GROOT_SOURCE_PROFILEDIR : GROOT_PROFILEDIR;
}

/* $XDG_CONFIG_HOME/groot/profiles, or ~/.config/groot/profiles; NULL without either. */
static char *config_dir(TALLOC_CTX *ctx)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec says a relative value is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		return talloc_asprintf(ctx, "%s/groot/profiles", xdg);
	if (home && home[0] == '/')
		return talloc_asprintf(ctx, "%s/.config/groot/profiles", home);
	return NULL;
}

/* The directories searched for a name, in order; NULL-terminated. */
static const char **search_dirs(TALLOC_CTX *ctx, const char *near_dir)
{
	const char **dirs = talloc_zero_array(ctx, const char *, 5);
	char cwd[PATH_MAX];
	size_t n = 0;

	if (!dirs)
		return NULL;
	if (near_dir)
		dirs[n++] = near_dir;
	if (!near_dir || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, near_dir) != 0)
		dirs[n++] = ".";
	dirs[n] = config_dir(dirs);
	if (dirs[n])
		n++;
	dirs[n++] = stock_dir();
	return dirs;
}

int profile_find(TALLOC_CTX *ctx, const char *name_or_path, const char *near_dir, char **path,
		 struct profile_error *err)
{
	TALLOC_CTX *tmp;
	const char **dirs;
	char *looked;
	int r = -ENOENT;

	if (name_or_path[0] == '\0')
		return profile_fail_errno(err, EINVAL,
					  "empty profile name (give a name such as %s or a path)",
					  PROFILE_DEFAULT_NAME);
	if (profile_is_path(name_or_path)) {
		if (near_dir && name_or_path[0] != '/')
			*path = profile_absolute(ctx, name_or_path, near_dir);
		else
			*path = talloc_strdup(ctx, name_or_path);
		if (!*path)
			return -ENOMEM;
		if (access(*path, F_OK) == 0)
			return 0;
		r = errno;
		return profile_fail_errno(err, r == ENOENT ? ENOENT : r,
					  "profile file %s: %s (check the path)", *path,
					  strerror(r));
	}

	tmp = talloc_new(ctx);
	dirs = tmp ? search_dirs(tmp, near_dir) : NULL;
	looked = tmp ? talloc_strdup(tmp, "") : NULL;
	if (!dirs || !looked) {
		talloc_free(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; dirs[i]; i++) {
		char *candidate = talloc_asprintf(tmp, "%s/%s.yaml", dirs[i], name_or_path);

		if (!candidate) {
			r = -ENOMEM;
			break;
		}
		if (access(candidate, F_OK) == 0) {
			*path = talloc_steal(ctx, candidate);
			r = 0;
			break;
		}
		looked = talloc_asprintf_append(looked, "%s%s", i ? ", " : "", candidate);
		if (!looked) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == -ENOENT)
		profile_fail_errno(err, ENOENT,
				   "profile '%s' not found (looked for %s; `groot list` shows the "
				   "profiles available)",
				   name_or_path, looked);
	talloc_free(tmp);
	return r;
}

/* The absolute directory of FILE: what ${profile_dir} and relative paths in it refer to. */
char *profile_dir_of(TALLOC_CTX *ctx, const char *file)
{
	char *copy = talloc_strdup(ctx, file);
	char resolved[PATH_MAX];
	char *dir, *result;

	if (!copy)
		return NULL;
	dir = dirname(copy);
	if (realpath(dir, resolved))
		result = talloc_strdup(ctx, resolved);
	else
		result = profile_absolute(ctx, dir, NULL);
	talloc_free(copy);
	return result;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A profile's description straight from its tree, unexpanded; NULL when none or unreadable. */
static const char *peek_description(TALLOC_CTX *ctx, const char *file, bool *is_profile)
{
	struct ynode *root;
	const struct ynode *d;
	TALLOC_CTX *tmp = talloc_new(NULL);
	const char *result = NULL;

	*is_profile = false;
	if (!tmp)
		return NULL;
	if (profile_tree_parse(tmp, file, &root, NULL) == 0) {
		*is_profile = ynode_key(root, "version") != NULL;
		d = ynode_get(root, "description");
		if (d && d->kind == YNODE_SCALAR)
			result = talloc_strdup(ctx, d->value);
	} else {
		/* Unparsable: listed from the profile directories (`groot check` will explain),
		 * not from the current directory, where it may be anything. */
		*is_profile = false;
	}
	talloc_free(tmp);
	return result;
}

static int list_dir(TALLOC_CTX *ctx, const char *dir, bool need_version,
		    struct profile_entry **entries, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n_names = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0 || de->d_name[0] == '.')
			continue;
		names = talloc_realloc(ctx, names, char *, n_names + 1);
		if (!names || !(names[n_names++] = talloc_strndup(names, de->d_name, len - 5))) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (n_names)
		qsort(names, n_names, sizeof(*names), compare_names);
	for (size_t i = 0; i < n_names; i++) {
		struct profile_entry *e;
		char *path = talloc_asprintf(ctx, "%s/%s.yaml", dir, names[i]);
		struct stat st;
		bool is_profile;

		if (!path)
			return -ENOMEM;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			talloc_free(path);
			continue;
		}
		const char *description = peek_description(ctx, path, &is_profile);
		if (need_version && !is_profile) {
			talloc_free(path);
			talloc_free((char *)description);
			continue;
		}
		*entries = talloc_realloc(ctx, *entries, struct profile_entry, *n + 1);
		if (!*entries)
			return -ENOMEM;
		e = &(*entries)[*n];
		e->name = talloc_strdup(*entries, names[i]);
		e->path = talloc_steal(*entries, path);
		e->description = talloc_steal(*entries, description);
		e->shadowed = false;
		for (size_t j = 0; j < *n; j++)
			if (strcmp((*entries)[j].name, e->name) == 0)
				e->shadowed = true;
		(*n)++;
	}
	talloc_free(names);
	return 0;
}

int profile_list(TALLOC_CTX *ctx, struct profile_entry **entries, size_t *n)
{
	TALLOC_CTX *tmp = talloc_new(ctx);
	const char **dirs = tmp ? search_dirs(tmp, NULL) : NULL;
	int r = 0;

	*entries = NULL;
	*n = 0;
	if (!dirs) {
		talloc_free(tmp);
		return -ENOMEM;
	}
	/* In the current directory only files with a version key count: not every *.yaml there
	 * is a profile. */
	for (size_t i = 0; dirs[i] && r == 0; i++)
		r = list_dir(ctx, dirs[i], i == 0, entries, n);
	talloc_free(tmp);
	if (r < 0) {
		talloc_free(*entries);
		*entries = NULL;
		*n = 0;
	}
	return r;
}
