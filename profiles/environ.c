/* SPDX-License-Identifier: MIT */
/*
 * The guest's environment, built in this order (later steps win):
 *
 *   1. inherit   host variables matching env.inherit (all | none | list), plus env.keep;
 *                without env.inherit: TERM, COLORTERM, LANG, LANGUAGE, LC_*, TZ, DISPLAY,
 *                WAYLAND_DISPLAY, XDG_RUNTIME_DIR and the proxy variables
 *   2. drop      remove host variables matching env.drop (drop beats inherit and keep)
 *   3. identity  HOME, USER, LOGNAME from 'user' (root: /root and root; host: the host's;
 *                NAME or UID: the guest's /etc/passwd when readable, else /home/NAME)
 *   4. unset     remove variables matching env.unset (including those of step 3)
 *   5. set       env.set assignments
 *   6. path      PATH = env.path joined with ':'
 *   7. default   PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin when unset
 *
 * Names in inherit, keep, drop and unset may be shell patterns ("LC_*", "XDG_*").
 */
#include "profile-internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct env_builder {
	TALLOC_CTX *ctx;
	char **vars;
	size_t n;
	bool failed;
};

static bool name_matches(const char *entry, const char *const *patterns)
{
	size_t len = strcspn(entry, "=");
	char name[256];

	if (!patterns || len >= sizeof(name))
		return false;
	memcpy(name, entry, len);
	name[len] = '\0';
	for (size_t i = 0; patterns[i]; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return true;
	return false;
}

static ssize_t find_var(struct env_builder *b, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < b->n; i++)
		if (strncmp(b->vars[i], name, len) == 0 && b->vars[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

static void add_entry(struct env_builder *b, const char *entry)
{
	char *copy = talloc_strdup(b->ctx, entry);
	char **vars = talloc_realloc(b->ctx, b->vars, char *, b->n + 2);

	if (!copy || !vars) {
		b->failed = true;
		return;
	}
	b->vars = vars;
	b->vars[b->n++] = copy;
	b->vars[b->n] = NULL;
}

static void set_var(struct env_builder *b, const char *name, const char *value)
{
	char *entry = talloc_asprintf(b->ctx, "%s=%s", name, value);
	ssize_t i = find_var(b, name);

	if (!entry) {
		b->failed = true;
	} else if (i >= 0) {
		b->vars[i] = entry;
	} else {
		add_entry(b, entry);
		talloc_free(entry);
	}
}

static void remove_matching(struct env_builder *b, const char *const *patterns)
{
	size_t kept = 0;

	for (size_t i = 0; i < b->n; i++)
		if (!name_matches(b->vars[i], patterns))
			b->vars[kept++] = b->vars[i];
	b->n = kept;
	if (b->vars)
		b->vars[b->n] = NULL;
}

static const char *host_value(char *const *host_env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; host_env && host_env[i]; i++)
		if (strncmp(host_env[i], name, len) == 0 && host_env[i][len] == '=')
			return host_env[i] + len + 1;
	return NULL;
}

char *profile_guest_file(TALLOC_CTX *ctx, const struct profile *p, const char *rel)
{
	char *path;
	size_t n = 0;

	if (p->rootfs.upper == UPPER_PERSISTENT && p->rootfs.upper_path) {
		path = talloc_asprintf(ctx, "%s/%s", p->rootfs.upper_path, rel);
		if (path && access(path, F_OK) == 0)
			return path;
		talloc_free(path);
	}
	while (p->rootfs.layers && p->rootfs.layers[n])
		n++;
	while (n-- > 0) {
		path = talloc_asprintf(ctx, "%s/%s", p->rootfs.layers[n], rel);
		if (path && access(path, F_OK) == 0)
			return path;
		talloc_free(path);
	}
	return talloc_asprintf(ctx, "%s/%s", p->rootfs.path, rel);
}

/* Look NAME (or UID when NAME is NULL) up in the guest's /etc/passwd. */
static bool guest_passwd(struct env_builder *b, const struct profile *p, const char *name,
			 uid_t uid, char **user, char **home)
{
	char *file = profile_guest_file(b->ctx, p, "etc/passwd");
	FILE *f = file ? fopen(file, "re") : NULL;
	struct passwd *pw;
	bool found = false;

	talloc_free(file);
	if (!f)
		return false;
	while (!found && (pw = fgetpwent(f))) {
		if (name ? strcmp(pw->pw_name, name) != 0 : pw->pw_uid != uid)
			continue;
		*user = talloc_strdup(b->ctx, pw->pw_name);
		*home = talloc_strdup(b->ctx, pw->pw_dir);
		found = true;
	}
	fclose(f);
	return found;
}

static void set_identity(struct env_builder *b, const struct profile *p, char *const *host_env)
{
	char *user = NULL, *home = NULL;
	struct passwd *pw;

	switch (p->user.kind) {
	case USER_ROOT:
		user = "root";
		home = "/root";
		break;
	case USER_HOST:
		user = (char *)host_value(host_env, "USER");
		home = (char *)host_value(host_env, "HOME");
		if ((!user || !home) && (pw = getpwuid(getuid()))) {
			user = user ? user : talloc_strdup(b->ctx, pw->pw_name);
			home = home ? home : talloc_strdup(b->ctx, pw->pw_dir);
		}
		break;
	case USER_NAME:
		if (!guest_passwd(b, p, p->user.name, 0, &user, &home)) {
			user = (char *)p->user.name;
			home = talloc_asprintf(b->ctx, "/home/%s", p->user.name);
		}
		break;
	case USER_UID:
		if (!guest_passwd(b, p, NULL, p->user.uid, &user, &home))
			home = "/";
		break;
	}
	if (home)
		set_var(b, "HOME", home);
	if (user) {
		set_var(b, "USER", user);
		set_var(b, "LOGNAME", user);
	}
}

char **profile_build_environ(TALLOC_CTX *ctx, const struct profile *p, char *const *host_env)
{
	struct env_builder b = {.ctx = talloc_new(ctx)};

	if (!b.ctx)
		return NULL;
	for (size_t i = 0; host_env && host_env[i]; i++) {
		bool inherit = p->env.inherit == ENV_INHERIT_ALL ||
			       (p->env.inherit == ENV_INHERIT_LIST &&
				name_matches(host_env[i], p->env.inherit_names)) ||
			       name_matches(host_env[i], p->env.keep);

		if (inherit && strchr(host_env[i], '='))
			add_entry(&b, host_env[i]);
	}
	remove_matching(&b, p->env.drop);
	set_identity(&b, p, host_env);
	remove_matching(&b, p->env.unset);
	for (size_t i = 0; i < p->env.n_set; i++)
		set_var(&b, p->env.set[i].name, p->env.set[i].value);
	if (p->env.path) {
		char *path = talloc_strdup(b.ctx, "");

		for (size_t i = 0; path && p->env.path[i]; i++)
			path = talloc_asprintf_append(path, "%s%s", i ? ":" : "", p->env.path[i]);
		if (path)
			set_var(&b, "PATH", path);
		else
			b.failed = true;
	}
	if (find_var(&b, "PATH") < 0)
		set_var(&b, "PATH", DEFAULT_PATH);
	/* One talloc object for the caller: the array, the strings its children. */
	char **result = b.failed ? NULL : talloc_array(ctx, char *, b.n + 1);

	for (size_t i = 0; result && i < b.n; i++)
		result[i] = talloc_steal(result, b.vars[i]);
	if (result)
		result[b.n] = NULL;
	talloc_free(b.ctx);
	if (!result)
		errno = ENOMEM;
	return result;
}
