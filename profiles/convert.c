/* SPDX-License-Identifier: MIT */
/*
 * The merged tree → struct profile: expand every string, check every scalar, fill defaults.
 * Shapes were checked by schema.c already, so only contents can be wrong here.
 */
#include "profile-internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int profile_get_string(TALLOC_CTX *ctx, const struct ynode *node, const char **out,
		       struct profile_error *err)
{
	char *value;
	int r = profile_expand(ctx, node, &value, err);

	if (r == 0)
		*out = value;
	return r;
}

int profile_get_bool(const struct ynode *node, const char *what, bool *out,
		     struct profile_error *err)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	char *value;
	int r = profile_expand(NULL, node, &value, err);

	if (r < 0)
		return r;
	r = -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			r = 0;
		} else if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			r = 0;
		}
	}
	if (r < 0)
		profile_fail(err, node, "%s: expected true or false, got '%s' (write '%s: true')",
			     what, value, strrchr(what, '.') ? strrchr(what, '.') + 1 : what);
	talloc_free(value);
	return r;
}

int profile_get_strings(TALLOC_CTX *ctx, const struct ynode *node, const char ***out,
			struct profile_error *err)
{
	size_t n = node->kind == YNODE_SCALAR ? 1 : node->n;
	const char **list = talloc_zero_array(ctx, const char *, n + 1);

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ynode *item = node->kind == YNODE_SCALAR ? node : node->items[i];
		int r = profile_get_string(list, item, &list[i], err);

		if (r < 0) {
			talloc_free(list);
			return r;
		}
	}
	*out = list;
	return 0;
}

static int get_int(const struct ynode *node, const char *what, long long min, long long max,
		   long long *out, struct profile_error *err)
{
	char *value, *end;
	long long v;
	int r = profile_expand(NULL, node, &value, err);

	if (r < 0)
		return r;
	errno = 0;
	v = strtoll(value, &end, 10);
	if (!value[0] || *end || errno || v < min || v > max)
		r = profile_fail(err, node,
				 "%s: expected an integer from %lld to %lld, got '%s' (write the "
				 "number without quotes or units)",
				 what, min, max, value);
	else
		*out = v;
	talloc_free(value);
	return r;
}

/* VALUE must be one of CHOICES (NULL-terminated); *index is its position. */
static int get_choice(const struct ynode *node, const char *what, const char *const *choices,
		      size_t *index, struct profile_error *err)
{
	char valid[256] = "";
	size_t used = 0;
	const char *close;
	char *value;
	int r = profile_expand(NULL, node, &value, err);

	if (r < 0)
		return r;
	for (size_t i = 0; choices[i]; i++) {
		if (strcmp(value, choices[i]) == 0) {
			*index = i;
			talloc_free(value);
			return 0;
		}
		used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "",
					 choices[i]);
	}
	close = profile_closest(value, choices);
	if (close)
		r = profile_fail(err, node, "%s: unknown value '%s' (did you mean '%s'?)", what,
				 value, close);
	else
		r = profile_fail(err, node, "%s: unknown value '%s' (use one of: %s)", what, value,
				 valid);
	talloc_free(value);
	return r;
}

static int get_path(TALLOC_CTX *ctx, const struct ynode *node, const char **out,
		    struct profile_error *err)
{
	const char *value;
	char *dir;
	int r = profile_get_string(ctx, node, &value, err);

	if (r < 0)
		return r;
	if (!value[0])
		return profile_fail(err, node, "empty path (write a directory, e.g. ./rootfs)");
	if (value[0] == '~')
		return profile_fail(err, node, "'~' is not expanded (write ${env:HOME}%s)",
				    value + 1);
	dir = value[0] == '/' ? NULL : profile_dir_of(ctx, node->file);
	*out = profile_absolute(ctx, value, dir);
	talloc_free(dir);
	return *out ? 0 : -ENOMEM;
}

static int get_guest_path(TALLOC_CTX *ctx, const struct ynode *node, const char *what,
			  const char **out, struct profile_error *err)
{
	const char *value, *why;
	char *clean;
	int r = profile_get_string(ctx, node, &value, err);

	if (r < 0)
		return r;
	if (value[0] == '/' && strcmp(value, "/") == 0) {
		*out = value;
		return 0;
	}
	r = profile_normalize_dest(ctx, value, &clean, &why);
	if (r == -EINVAL)
		return profile_fail(err, node, "%s: '%s' %s (write an absolute path in the guest)",
				    what, value, why);
	if (r == 0)
		*out = clean;
	return r;
}

static int convert_rootfs(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
			  struct profile_error *err)
{
	static const char *const uppers[] = {"none", "in-place", "ephemeral", "persistent", NULL};
	static const enum upper_mode modes[] = {UPPER_NONE, UPPER_IN_PLACE, UPPER_EPHEMERAL,
						UPPER_PERSISTENT};
	const struct ynode *rootfs = ynode_get(root, "rootfs");
	const struct ynode *n, *upper, *upper_path, *bootstrap;
	size_t index;
	int r;

	n = ynode_get(rootfs, "path");
	if (!n) {
		const struct ynode *at = rootfs ? ynode_key(root, "rootfs") : root;

		return profile_fail_at(err, at->file, rootfs ? at->line : 1, rootfs ? at->col : 1,
				       "rootfs.path is required (add 'rootfs: {path: DIR}' naming "
				       "the guest's root directory)");
	}
	r = get_path(ctx, n, &p->rootfs.path, err);
	if (r == 0 && (n = ynode_get(rootfs, "layers"))) {
		p->rootfs.layers = talloc_zero_array(ctx, const char *, n->n + 1);
		if (!p->rootfs.layers)
			return -ENOMEM;
		for (size_t i = 0; i < n->n && r == 0; i++)
			r = get_path(p->rootfs.layers, n->items[i], &p->rootfs.layers[i], err);
	}
	if (r < 0)
		return r;

	p->rootfs.upper = UPPER_EPHEMERAL;
	upper = ynode_get(rootfs, "upper");
	if (upper) {
		r = get_choice(upper, "rootfs.upper", uppers, &index, err);
		if (r < 0)
			return r;
		p->rootfs.upper = modes[index];
	}
	upper_path = ynode_get(rootfs, "upper_path");
	if (p->rootfs.upper == UPPER_PERSISTENT && !upper_path)
		return profile_fail(err, upper,
				    "'upper: persistent' needs upper_path (add 'upper_path: DIR' "
				    "where the changes are kept)");
	if (upper_path && p->rootfs.upper != UPPER_PERSISTENT) {
		/* A child that turns persistence off may leave its parent's upper_path behind;
		 * within one file the pair is a mistake. */
		if (!upper || upper->file == upper_path->file)
			return profile_fail(err, upper_path,
					    "upper_path is only used with 'upper: persistent' "
					    "(remove it, or set 'upper: persistent')");
		upper_path = NULL;
	}
	if (upper_path) {
		r = get_path(ctx, upper_path, &p->rootfs.upper_path, err);
		if (r < 0)
			return r;
	}
	if ((n = ynode_get(rootfs, "writeback_cache"))) {
		r = profile_get_bool(n, "rootfs.writeback_cache", &p->rootfs.writeback_cache, err);
		if (r < 0)
			return r;
	}

	bootstrap = ynode_get(rootfs, "bootstrap");
	if (!bootstrap)
		return 0;
	p->rootfs.bootstrap.tool = "debootstrap";
	if ((n = ynode_get(bootstrap, "tool")))
		r = profile_get_string(ctx, n, &p->rootfs.bootstrap.tool, err);
	if (r == 0 && (n = ynode_get(bootstrap, "suite")))
		r = profile_get_string(ctx, n, &p->rootfs.bootstrap.suite, err);
	else if (r == 0)
		return profile_fail(
		    err, bootstrap,
		    "rootfs.bootstrap.suite is required (add e.g. 'suite: trixie')");
	if (r == 0 && (n = ynode_get(bootstrap, "variant")))
		r = profile_get_string(ctx, n, &p->rootfs.bootstrap.variant, err);
	if (r == 0 && (n = ynode_get(bootstrap, "mirror")))
		r = profile_get_string(ctx, n, &p->rootfs.bootstrap.mirror, err);
	if (r == 0 && (n = ynode_get(bootstrap, "include"))) {
		const char **list;
		size_t count = 0;

		r = profile_get_strings(ctx, n, &list, err);
		if (r < 0)
			return r;
		/* debootstrap's own syntax, "a,b,c", is accepted as well as a list. */
		p->rootfs.bootstrap.include = talloc_zero_array(ctx, const char *, 1);
		for (size_t i = 0; list[i] && p->rootfs.bootstrap.include; i++) {
			char *copy = talloc_strdup(ctx, list[i]), *save = NULL;

			for (char *t = strtok_r(copy, ", ", &save); t;
			     t = strtok_r(NULL, ", ", &save)) {
				p->rootfs.bootstrap.include = talloc_realloc(
				    ctx, p->rootfs.bootstrap.include, const char *, count + 2);
				if (!p->rootfs.bootstrap.include)
					return -ENOMEM;
				p->rootfs.bootstrap.include[count++] = t;
				p->rootfs.bootstrap.include[count] = NULL;
			}
		}
		if (!p->rootfs.bootstrap.include)
			return -ENOMEM;
	}
	return r;
}

static int check_env_names(const struct ynode *node, const char *const *names, const char *what,
			   struct profile_error *err)
{
	for (size_t i = 0; names && names[i]; i++)
		if (!names[i][0] || strchr(names[i], '='))
			return profile_fail(
			    err, node->kind == YNODE_SEQUENCE ? node->items[i] : node,
			    "%s: '%s' is not a variable name (write the name alone, "
			    "without '=')",
			    what, names[i]);
	return 0;
}

/* The host variables kept when a profile says nothing: terminal, locale, display, proxies. */
static const char *const default_inherit[] = {
    "TERM",
    "COLORTERM",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    NULL,
};

static int convert_env_lists(TALLOC_CTX *ctx, const struct ynode *env, struct profile *p,
			     struct profile_error *err)
{
	static const char *const keys[] = {"keep", "drop", "unset", "path"};
	const char ***lists[] = {&p->env.keep, &p->env.drop, &p->env.unset, &p->env.path};
	char what[32];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct ynode *n = ynode_get(env, keys[i]);
		int r;

		if (!n)
			continue;
		r = profile_get_strings(ctx, n, lists[i], err);
		snprintf(what, sizeof(what), "env.%s", keys[i]);
		if (r == 0 && i != 3)
			r = check_env_names(n, *lists[i], what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int convert_env(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
		       struct profile_error *err)
{
	const struct ynode *env = ynode_get(root, "env");
	const struct ynode *inherit = ynode_get(env, "inherit");
	const struct ynode *set = ynode_get(env, "set");
	int r;

	p->env.inherit = ENV_INHERIT_LIST;
	p->env.inherit_names = (const char **)default_inherit;
	if (inherit && inherit->kind == YNODE_SCALAR) {
		static const char *const modes[] = {"all", "none", NULL};
		size_t index;

		r = get_choice(inherit, "env.inherit", modes, &index, err);
		if (r < 0)
			return r;
		p->env.inherit = index == 0 ? ENV_INHERIT_ALL : ENV_INHERIT_NONE;
		p->env.inherit_names = NULL;
	} else if (inherit) {
		r = profile_get_strings(ctx, inherit, &p->env.inherit_names, err);
		if (r == 0)
			r = check_env_names(inherit, p->env.inherit_names, "env.inherit", err);
		if (r < 0)
			return r;
	}
	r = convert_env_lists(ctx, env, p, err);
	if (r < 0 || !set)
		return r;
	p->env.set = talloc_zero_array(ctx, struct env_assignment, set->n + 1);
	if (!p->env.set)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		struct env_assignment *a = &p->env.set[p->env.n_set];
		const char *name = set->keys[i]->value;

		if (!name[0] || strchr(name, '='))
			return profile_fail(err, set->keys[i],
					    "env.set: '%s' is not a variable name (write NAME: "
					    "value)",
					    name);
		if (ynode_is_null(set->items[i]))
			continue; /* a child's "NAME: null" takes back a parent's assignment */
		a->name = talloc_strdup(p->env.set, name);
		r = profile_get_string(p->env.set, set->items[i], &a->value, err);
		if (r < 0)
			return r;
		p->env.n_set++;
	}
	return 0;
}

static int convert_user(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
			struct profile_error *err)
{
	const struct ynode *user = ynode_get(root, "user");
	const char *value;
	long long uid;
	int r;

	p->user.kind = USER_HOST;
	if (!user)
		return 0;
	r = profile_get_string(ctx, user, &value, err);
	if (r < 0)
		return r;
	if (strcmp(value, "root") == 0) {
		p->user.kind = USER_ROOT;
		p->user.name = "root";
	} else if (strcmp(value, "host") == 0) {
		p->user.kind = USER_HOST;
	} else if (value[0] && strspn(value, "0123456789") == strlen(value)) {
		r = get_int(user, "user", 0, (long long)UINT32_MAX - 1, &uid, err);
		if (r < 0)
			return r;
		p->user.kind = USER_UID;
		p->user.uid = (uid_t)uid;
	} else if (!value[0] || strpbrk(value, ":/ \t\n")) {
		return profile_fail(
		    err, user,
		    "user: '%s' is not a user name (use root, host, a name from the "
		    "guest's /etc/passwd, or a number)",
		    value);
	} else {
		p->user.kind = USER_NAME;
		p->user.name = value;
	}
	return 0;
}

static int convert_command(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
			   struct profile_error *err)
{
	const struct ynode *n = ynode_get(root, "command");
	const char *line;
	int r;

	if (!n)
		return 0;
	if (n->kind == YNODE_SEQUENCE) {
		if (n->n == 0)
			return profile_fail(err, n,
					    "command: empty list (give the program and its "
					    "arguments, e.g. [bash, -l])");
		return profile_get_strings(ctx, n, &p->command, err);
	}
	/* A string is a shell command line, like docker's shell form. */
	r = profile_get_string(ctx, n, &line, err);
	if (r < 0)
		return r;
	p->command = talloc_zero_array(ctx, const char *, 4);
	if (!p->command)
		return -ENOMEM;
	p->command[0] = "/bin/sh";
	p->command[1] = "-c";
	p->command[2] = line;
	return 0;
}

static int convert_hostname(TALLOC_CTX *ctx, const struct ynode *n, struct profile *p,
			    struct profile_error *err)
{
	int r = profile_get_string(ctx, n, &p->hostname, err);
	size_t len;

	if (r < 0)
		return r;
	len = strlen(p->hostname);
	if (len == 0 || len > 64 ||
	    strspn(p->hostname, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != len)
		return profile_fail(err, n,
				    "hostname: '%s' is not a host name (use at most 64 letters, "
				    "digits, '-' and '.')",
				    p->hostname);
	return 0;
}

static int convert_determinism(const struct ynode *root, struct profile *p,
			       struct profile_error *err)
{
	static const char *const readdir_modes[] = {"native", "sorted", NULL};
	static const char *const inode_modes[] = {"native", "stable", NULL};
	const struct ynode *d = ynode_get(root, "determinism");
	const struct ynode *n;
	size_t index = 0;
	long long epoch = 0;
	int r = 0;

	if ((n = ynode_get(d, "readdir"))) {
		r = get_choice(n, "determinism.readdir", readdir_modes, &index, err);
		p->determinism.readdir_sorted = index == 1;
	}
	if (r == 0 && (n = ynode_get(d, "inodes"))) {
		r = get_choice(n, "determinism.inodes", inode_modes, &index, err);
		p->determinism.stable_inodes = index == 1;
	}
	if (r == 0 && (n = ynode_get(d, "source_date_epoch"))) {
		r = get_int(n, "determinism.source_date_epoch", 0, LLONG_MAX, &epoch, err);
		p->determinism.has_source_date_epoch = r == 0;
		p->determinism.source_date_epoch = r == 0 ? epoch : 0;
	}
	if (r == 0 && (n = ynode_get(d, "clamp_mtime"))) {
		r = profile_get_bool(n, "determinism.clamp_mtime", &p->determinism.clamp_mtime,
				     err);
		if (r == 0 && p->determinism.clamp_mtime && !p->determinism.has_source_date_epoch)
			return profile_fail(err, n,
					    "clamp_mtime needs a time to clamp to (add "
					    "'source_date_epoch: SECONDS')");
	}
	return r;
}

static int convert_uname(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
			 struct profile_error *err)
{
	static const char *const keys[] = {"release", "version", "machine"};
	const char **fields[] = {&p->uname.release, &p->uname.version, &p->uname.machine};
	const struct ynode *u = ynode_get(root, "uname");

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct ynode *n = ynode_get(u, keys[i]);
		int r;

		if (!n)
			continue;
		r = profile_get_string(ctx, n, fields[i], err);
		if (r < 0)
			return r;
		/* struct utsname fields hold 64 characters and a NUL. */
		if (strlen(*fields[i]) > 64)
			return profile_fail(
			    err, n, "uname.%s: longer than 64 characters (shorten it)", keys[i]);
	}
	return 0;
}

static char *default_name(TALLOC_CTX *ctx, const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t len = strlen(base);

	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	return talloc_strndup(ctx, base, len);
}

int profile_convert(TALLOC_CTX *ctx, const struct ynode *root, struct profile *p,
		    struct profile_error *err)
{
	const struct ynode *n;
	int r = 0;

	p->version = PROFILE_SCHEMA_VERSION;
	p->shell = "/bin/sh";
	if ((n = ynode_get(root, "name")))
		r = profile_get_string(ctx, n, &p->name, err);
	else if (!(p->name = default_name(ctx, p->file)))
		r = -ENOMEM;
	if (r == 0 && (n = ynode_get(root, "description")))
		r = profile_get_string(ctx, n, &p->description, err);
	if (r == 0)
		r = convert_rootfs(ctx, root, p, err);
	if (r == 0)
		r = profile_convert_binds(ctx, ynode_get(root, "binds"), p, err);
	if (r == 0)
		r = convert_env(ctx, root, p, err);
	if (r == 0)
		r = convert_user(ctx, root, p, err);
	if (r == 0 && (n = ynode_get(root, "workdir")))
		r = get_guest_path(ctx, n, "workdir", &p->workdir, err);
	if (r == 0 && (n = ynode_get(root, "shell")))
		r = get_guest_path(ctx, n, "shell", &p->shell, err);
	if (r == 0)
		r = convert_command(ctx, root, p, err);
	if (r == 0 && (n = ynode_get(root, "hostname")))
		r = convert_hostname(ctx, n, p, err);
	if (r == 0)
		r = convert_determinism(root, p, err);
	if (r == 0)
		r = convert_uname(ctx, root, p, err);
	if (r == 0)
		r = profile_convert_interpreters(ctx, ynode_get(root, "interpreters"), p, err);
	return r;
}
