/* SPDX-License-Identifier: MIT */
/* groot provision: create a profile's rootfs from its bootstrap recipe. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "cli.h"
#include "helpers.h"
#include "log.h"
#include "profile.h"

#define DEFAULT_MIRROR "http://deb.debian.org/debian"

static int run_and_wait(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		log_error("cannot run %s: %s (apt-get install %s)", argv[0], strerror(errno),
			  argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* debootstrap --second-stage inside the new tree, through groot itself. */
static int second_stage(TALLOC_CTX *ctx, const char *tree)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	char *profile = talloc_asprintf(ctx, "%s.yaml", tree);
	FILE *f = fopen(profile, "we");
	if (!f)
		return -errno;
	fprintf(f, "version: 1\nname: provision\nrootfs:\n  path: %s\n  upper: in-place\n"
		   "user: root\nworkdir: /\nenv:\n  inherit: none\n  set: {DEBIAN_FRONTEND: "
		   "noninteractive}\n",
		tree);
	fclose(f);
	printf("groot: second stage: configuring the packages under groot's fake root\n");
	fflush(stdout);
	const char *args[] = {self, "run", profile, "--", "/debootstrap/debootstrap",
			      "--second-stage", NULL};
	int r = run_and_wait((char *const *)args);
	unlink(profile);
	return r;
}

int command_provision(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
		fprintf(help ? stdout : stderr,
			"Usage: groot provision PROFILE\n\n"
			"Create PROFILE's rootfs (rootfs.path) from its bootstrap recipe\n"
			"(rootfs.bootstrap: tool, suite, variant, include, mirror). The mirror\n"
			"defaults to $GROOT_MIRROR, then " DEFAULT_MIRROR ".\n");
		return help ? 0 : GROOT_EXIT_USAGE;
	}
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct profile_error err = {{0}};
	struct profile *p = NULL;
	int status = GROOT_EXIT_FAILURE;

	if (profile_load(ctx, argv[1], &p, &err) < 0) {
		fprintf(stderr, "groot: %s\n", err.message);
		talloc_free(ctx);
		return GROOT_EXIT_USAGE;
	}
	const char *target = p->rootfs.path;
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/usr", target);
	if (access(probe, F_OK) == 0) {
		printf("%s is already provisioned\n", target);
		talloc_free(ctx);
		return 0;
	}
	const char *tool = p->rootfs.bootstrap.tool ? p->rootfs.bootstrap.tool : "debootstrap";
	if (!p->rootfs.bootstrap.suite) {
		log_error("%s: rootfs.bootstrap.suite is not set; add e.g. "
			  "'bootstrap: {tool: debootstrap, suite: trixie, variant: minbase}'",
			  p->file);
		goto out;
	}
	if (strcmp(tool, "debootstrap") != 0) {
		log_error("%s: bootstrap tool '%s' is not supported (use debootstrap)", p->file, tool);
		goto out;
	}
	bool rootless = geteuid() != 0;
	if (rootless && access("/usr/bin/fakeroot", X_OK) < 0) {
		log_error("provisioning as an unprivileged user needs fakeroot for debootstrap's "
			  "first stage: apt-get install fakeroot (or run 'groot provision %s' as root)",
			  argv[1]);
		goto out;
	}
	const char *mirror = p->rootfs.bootstrap.mirror ? p->rootfs.bootstrap.mirror
							 : getenv("GROOT_MIRROR");
	if (!mirror || !*mirror)
		mirror = DEFAULT_MIRROR;
	char *partial = talloc_asprintf(ctx, "%s.partial", target);
	char *parent = talloc_strdup(ctx, partial);
	*strrchr(parent, '/') = '\0';
	if (make_directories(parent, 0755) < 0) {
		log_error("cannot create the parents of %s: %s", partial, strerror(errno));
		goto out;
	}
	const char *args[16];
	size_t n = 0;
	/*
	 * Rootless: the first stage (download, unpack) runs under fakeroot; the
	 * second (dpkg configuring everything, maintainer scripts) runs in the
	 * new tree under groot's own fake root, its metadata kept in place.
	 */
	if (rootless)
		args[n++] = "fakeroot";
	args[n++] = "debootstrap";
	if (rootless)
		args[n++] = "--foreign";
	if (p->rootfs.bootstrap.variant)
		args[n++] = talloc_asprintf(ctx, "--variant=%s", p->rootfs.bootstrap.variant);
	if (p->rootfs.bootstrap.include && p->rootfs.bootstrap.include[0]) {
		char *list = talloc_strdup(ctx, "--include=");
		for (size_t i = 0; p->rootfs.bootstrap.include[i]; i++)
			list = talloc_asprintf_append(list, "%s%s", i ? "," : "",
						      p->rootfs.bootstrap.include[i]);
		args[n++] = list;
	}
	args[n++] = p->rootfs.bootstrap.suite;
	args[n++] = partial;
	args[n++] = mirror;
	args[n] = NULL;
	/* debootstrap and the tools it runs (chroot, dpkg's helpers) live in sbin. */
	const char *path = getenv("PATH");
	if (!path || !strstr(path, "/usr/sbin"))
		setenv("PATH", talloc_asprintf(ctx, "%s%s/usr/sbin:/sbin", path ? path : "",
					       path && *path ? ":" : ""),
		       1);
	printf("groot: provisioning %s (%s %s) into %s; debootstrap reports progress below\n",
	       p->name ? p->name : argv[1], tool, p->rootfs.bootstrap.suite, target);
	fflush(stdout);
	int r = run_and_wait((char *const *)args);
	if (r == 0 && rootless) {
		r = second_stage(ctx, partial);
		if (r != 0) {
			log_error("rootless provisioning failed in debootstrap's second stage "
				  "(status %d; see %s/debootstrap/debootstrap.log). Provision as root "
				  "once instead ('sudo groot provision %s'), or unpack a rootfs tarball "
				  "you own and point rootfs.path at it",
				  r, partial, argv[1]);
			goto out;
		}
	}
	if (r != 0) {
		log_error("debootstrap failed (status %d); the partial tree is left in %s", r,
			  partial);
		goto out;
	}
	if (rename(partial, target) < 0) {
		log_error("cannot move %s to %s: %s", partial, target, strerror(errno));
		goto out;
	}
	printf("groot: %s is ready\n", target);
	status = 0;
out:
	talloc_free(ctx);
	return status;
}
