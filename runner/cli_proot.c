/* SPDX-License-Identifier: MIT */
/*
 * groot proot: PRoot's command line with PRoot's meaning, so scripts written
 * for PRoot run unchanged. Builds a profile in memory; the guest is written
 * in place (upper: in-place), as PRoot does.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "qemu.h"
#include "run.h"

/* PRoot's -R: the binds a guest needs to use the host's network and terminal. */
static const char *const recommended_binds[] = {
	"/etc/host.conf", "/etc/hosts", "/etc/hosts.equiv", "/etc/mtab", "/etc/netgroup",
	"/etc/networks", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/resolv.conf",
	"/etc/localtime", "/dev/", "/sys/", "/proc/", "/tmp/", "/run/", "/var/run/dbus/system_bus_socket",
	"$HOME",
};
/* PRoot's -S: the same for building packages, without the user database and $HOME. */
static const char *const sandbox_binds[] = {
	"/etc/host.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/resolv.conf",
	"/dev/", "/sys/", "/proc/", "/tmp/", "/run/shm", "$HOME",
};

static void proot_usage(FILE *out)
{
	fprintf(out,
		"Usage: groot proot [OPTIONS] [--] [CMD ARGS...]\n"
		"       proot [OPTIONS] [--] [CMD ARGS...]\n\n"
		"PRoot-compatible command line (the guest is written in place, like PRoot):\n"
		"  -r, --rootfs=DIR          use DIR as the guest root (default /)\n"
		"  -b, --bind=HOST[:GUEST]   make HOST visible at GUEST (alias -m, --mount); a guest\n"
		"                            symlink is followed unless GUEST ends with !\n"
		"  -w, --cwd=DIR             start in DIR (a guest path)\n"
		"  -0, --root-id             fake root identity\n"
		"  -i, --change-id=UID:GID   fake identity UID:GID\n"
		"  -k, --kernel-release=STR  uname(2) reports STR as the kernel release\n"
		"  -R DIR                    -r DIR plus the recommended host binds\n"
		"  -S DIR                    -r DIR plus the binds for package building, and -0\n"
		"  -v, --verbose=LEVEL       verbosity\n"
		"  -q, --qemu=COMMAND        run programs of another architecture through the\n"
		"                            host's static qemu-user COMMAND (e.g. qemu-aarch64-static)\n"
		"  -l, --link2symlink        accepted (hard links work natively in the view)\n"
		"  -h, --help                this help;  -V, --version  the version\n");
}

/* "/tmp/../x//y/." → "/x/y": PRoot takes such destinations; a profile must not. */
static char *lexical(TALLOC_CTX *ctx, const char *path)
{
	char *out = talloc_strdup(ctx, "");
	const char *p = path;

	while (out && *p) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');
			if (slash)
				*slash = '\0';
			out = talloc_realloc(ctx, out, char, strlen(out) + 1);
		} else {
			out = talloc_asprintf_append(out, "/%.*s", (int)n, p);
		}
		p += n;
	}
	return out && !*out ? talloc_strdup(ctx, "/") : out;
}

/*
 * PRoot dereferences a bind's guest location: a bind on a guest symlink
 * lands where the link leads (inside the guest), so every link to that
 * place shows the new content. dest is clean and absolute.
 */
static const char *dereferenced(TALLOC_CTX *ctx, const char *rootfs, const char *dest)
{
	char *root = talloc_strdup(ctx, rootfs);
	size_t n = strlen(root);
	char *done = talloc_strdup(ctx, ""); /* the guest path resolved so far ("": the root) */
	char *todo = talloc_strdup(ctx, dest);
	int links = 0;

	while (n > 0 && root[n - 1] == '/')
		root[--n] = '\0';
	while (done && todo && *todo) {
		while (*todo == '/')
			todo++;
		size_t length = strcspn(todo, "/");
		char *component = talloc_strndup(ctx, todo, length);
		char *rest = todo + length;
		if (!component || !length || !strcmp(component, ".")) {
			todo = rest;
			continue;
		}
		if (!strcmp(component, "..")) {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = '\0';
			todo = rest;
			continue;
		}
		char *guest = talloc_asprintf(ctx, "%s/%s", done, component);
		char target[PATH_MAX];
		ssize_t r = guest ? readlink(talloc_asprintf(ctx, "%s%s", root, guest), target,
					     sizeof(target) - 1)
				  : -1;
		if (r < 0) { /* not a link, or missing: kept as it is */
			done = guest;
			todo = rest;
			continue;
		}
		if (++links > 40)
			return dest;
		target[r] = '\0';
		if (target[0] == '/')
			done[0] = '\0'; /* from the guest's root */
		todo = talloc_asprintf(ctx, "%s%s", target, rest);
	}
	if (!done || !todo)
		return dest;
	return *done ? done : "/";
}

static int add_bind(TALLOC_CTX *ctx, struct run_request *request, const char *spec,
		    const char *rootfs)
{
	struct profile_error err = {{0}};
	struct bind bind;

	if (!strcmp(spec, "$HOME")) {
		spec = getenv("HOME");
		if (!spec)
			return 0;
	}
	const char *colon = strchr(spec, ':');
	const char *dest = colon ? colon + 1 : spec;
	/* host:guest! keeps a guest symlink as the bind point. */
	bool follow = !(colon && *dest && dest[strlen(dest) - 1] == '!');
	if (!follow)
		dest = talloc_strndup(ctx, dest, strlen(dest) - 1);
	/* A relative guest path is PRoot's too: from the starting directory (the host's cwd). */
	char cwd[PATH_MAX];
	if (colon && dest[0] && dest[0] != '/' && getcwd(cwd, sizeof(cwd)))
		dest = talloc_asprintf(ctx, "%s/%s", cwd, dest);
	if (dest && dest[0] == '/') {
		char *clean = lexical(ctx, dest);
		if (!clean)
			return -1;
		const char *guest = follow ? dereferenced(ctx, rootfs, clean) : clean;
		spec = talloc_asprintf(ctx, "%.*s:%s", (int)(colon ? colon - spec : (long)strlen(spec)),
				       spec, guest);
	}
	if (profile_parse_bind(ctx, spec, NULL, NULL, &bind, &err) < 0) {
		log_error("-b %s: %s", spec, err.message);
		return -1;
	}
	/* PRoot binds are host paths seen directly by the kernel. */
	bind.flags |= BIND_DIRECT;
	return profile_add_bind(request->profile, &bind) < 0 ? -1 : 0;
}

static int add_preset(TALLOC_CTX *ctx, struct run_request *request, const char *const *binds,
		      size_t n, const char *rootfs)
{
	/* PRoot's "*path*": the rootfs also at its own host path. */
	if (strcmp(rootfs, "/") != 0 && add_bind(ctx, request, rootfs, rootfs) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *spec = talloc_strdup(ctx, binds[i]);
		size_t length = strlen(spec);
		if (length > 1 && spec[length - 1] == '/')
			spec[length - 1] = '\0';
		if (strcmp(spec, "$HOME") != 0 && access(spec, F_OK) < 0)
			continue;
		if (add_bind(ctx, request, spec, rootfs) < 0)
			return -1;
	}
	return 0;
}

int command_proot(int argc, char **argv)
{
	static const struct option options[] = {
		{"rootfs", required_argument, NULL, 'r'},
		{"bind", required_argument, NULL, 'b'},
		{"mount", required_argument, NULL, 'm'},
		{"cwd", required_argument, NULL, 'w'},
		{"root-id", no_argument, NULL, '0'},
		{"change-id", required_argument, NULL, 'i'},
		{"qemu", required_argument, NULL, 'q'},
		{"kernel-release", required_argument, NULL, 'k'},
		{"verbose", required_argument, NULL, 'v'},
		{"link2symlink", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct profile *p = talloc_zero(ctx, struct profile);
	struct run_request request = {.profile = p};
	int c, status = GROOT_EXIT_USAGE;
	/* Binds wait for the rootfs (any -r), in which their guest paths are resolved. */
	const char **binds = talloc_zero_array(ctx, const char *, argc + 1);
	size_t n_binds = 0;
	int preset = 0; /* 'R' or 'S' */

	p->version = 1;
	p->file = "command line";
	p->name = "proot";
	p->rootfs.path = "/";
	p->rootfs.upper = UPPER_IN_PLACE;
	p->env.inherit = ENV_INHERIT_ALL;
	p->user.kind = USER_HOST;
	while ((c = getopt_long(argc, argv, "+r:b:m:w:0i:q:k:v:R:S:lhV", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			p->rootfs.path = optarg;
			break;
		case 'R':
		case 'S':
			p->rootfs.path = optarg;
			if (c == 'S')
				p->user.kind = USER_ROOT;
			preset = c;
			break;
		case 'b':
		case 'm':
			binds[n_binds++] = optarg;
			break;
		case 'w':
			request.workdir = optarg;
			break;
		case '0':
			p->user.kind = USER_ROOT;
			break;
		case 'v':
			log_level = atoi(optarg) <= 0 ? LOG_LEVEL_WARN
			: atoi(optarg) >= 3   ? LOG_LEVEL_TRACE
					       : (enum log_level)(LOG_LEVEL_WARN + atoi(optarg));
			break;
		case 'l':
			break;
		case 'i': {
			unsigned int uid, gid;
			char extra;
			if (sscanf(optarg, "%u:%u%c", &uid, &gid, &extra) != 2) {
				log_error("-i %s: expected UID:GID, two numbers", optarg);
				goto out;
			}
			p->user.kind = USER_UID;
			p->user.uid = uid;
			request.has_gid = true;
			request.gid = gid;
			break;
		}
		case 'k':
			p->uname.release = optarg;
			break;
		case 'q':
			if (qemu_configure(ctx, p, optarg) < 0) {
				status = GROOT_EXIT_FAILURE;
				goto out;
			}
			break;
		case 'h':
			proot_usage(stdout);
			status = 0;
			goto out;
		case 'V':
			printf("groot %s (PRoot-compatible command line)\n", GROOT_VERSION);
			status = 0;
			goto out;
		default:
			proot_usage(stderr);
			goto out;
		}
	}
	if (preset && add_preset(ctx, &request, preset == 'R' ? recommended_binds : sandbox_binds,
				 preset == 'R' ? sizeof(recommended_binds) / sizeof(char *)
					       : sizeof(sandbox_binds) / sizeof(char *),
				 p->rootfs.path) < 0)
		goto out;
	for (size_t i = 0; i < n_binds; i++)
		if (add_bind(ctx, &request, binds[i], p->rootfs.path) < 0)
			goto out;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind < argc) {
		request.command = argv + optind;
	} else {
		static char *default_shell[] = {"/bin/sh", NULL};
		request.command = default_shell;
	}
	request.proot_compat = true;
	status = run_guest(ctx, &request);
out:
	talloc_free(ctx);
	return status;
}
