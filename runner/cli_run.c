/* SPDX-License-Identifier: MIT */
/* groot run, groot shell, groot check, groot list. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "cli.h"
#include "log.h"
#include "profile.h"
#include "run.h"

static void run_usage(FILE *out, bool login_shell)
{
	if (login_shell)
		fprintf(out, "Usage: groot shell [OPTIONS] PROFILE\n\n"
			     "Start an interactive login shell in the guest of PROFILE.\n\n");
	else
		fprintf(out, "Usage: groot run [OPTIONS] PROFILE [-- CMD ARGS...]\n\n"
			     "Run CMD (default: the profile's command) in the guest of PROFILE.\n"
			     "PROFILE is a name (./NAME.yaml, ~/.config/groot/profiles, the stock\n"
			     "profiles) or a path to a YAML file.\n\n");
	fprintf(
	    out,
	    "Options:\n"
	    "  -b, --bind SRC[:DST][:OPTS]  add a bind (OPTS: ro,rw,try,create,direct)\n"
	    "  -w, --workdir DIR            start in DIR (a guest path)\n"
	    "  -0, --root                   fake root identity (uid 0)\n"
	    "      --trace                  print each trapped syscall with guest and host paths\n"
	    "      --no-fast-path           send every path syscall to the tracer (see --trace)\n"
	    "      --no-wait                end when the command exits, killing what it left\n"
	    "                               running (gpg-agent, a server) instead of waiting\n"
	    "  -v, --verbose                more messages\n"
	    "  -h, --help                   this help\n");
}

/* Load a profile or explain why not: exit status 2 for a bad or missing profile. */
static struct profile *load_or_report(TALLOC_CTX *ctx, const char *name)
{
	struct profile_error err = {{0}};
	struct profile *profile = NULL;

	if (profile_load(ctx, name, &profile, &err) < 0) {
		fprintf(stderr, "groot: %s\n", err.message);
		return NULL;
	}
	return profile;
}

int command_run(int argc, char **argv, bool login_shell)
{
	static const struct option options[] = {
	    {"bind", required_argument, NULL, 'b'},
	    {"workdir", required_argument, NULL, 'w'},
	    {"root", no_argument, NULL, '0'},
	    {"trace", no_argument, NULL, 'T'},
	    {"no-fast-path", no_argument, NULL, 'F'},
	    {"no-wait", no_argument, NULL, 'N'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct run_request request = {.login_shell = login_shell};
	const char **binds = NULL;
	size_t n_binds = 0;
	int c, status;

	while ((c = getopt_long(argc, argv, "+b:w:0vh", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			binds = talloc_realloc(ctx, binds, const char *, n_binds + 1);
			binds[n_binds++] = optarg;
			break;
		case 'w':
			request.workdir = optarg;
			break;
		case '0':
			request.force_root = true;
			break;
		case 'T':
			request.trace = true;
			break;
		case 'F':
			request.no_fast_path = true;
			break;
		case 'N':
			request.no_wait = true;
			break;
		case 'v':
			if (log_level < LOG_LEVEL_TRACE)
				log_level++;
			break;
		case 'h':
			run_usage(stdout, login_shell);
			talloc_free(ctx);
			return 0;
		default:
			run_usage(stderr, login_shell);
			talloc_free(ctx);
			return GROOT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_error("which profile? (e.g. 'groot %s debian-trixie'; 'groot list' shows them)",
			  login_shell ? "shell" : "run");
		talloc_free(ctx);
		return GROOT_EXIT_USAGE;
	}
	request.profile = load_or_report(ctx, argv[optind++]);
	if (!request.profile) {
		talloc_free(ctx);
		return GROOT_EXIT_USAGE;
	}
	/* Command-line binds override the profile's on the same destination. */
	for (size_t i = 0; i < n_binds; i++) {
		struct profile_error err = {{0}};
		struct bind bind;
		if (profile_parse_bind(ctx, binds[i], NULL, NULL, &bind, &err) < 0 ||
		    profile_add_bind(request.profile, &bind) < 0) {
			log_error("--bind: %s", err.message[0] ? err.message : strerror(ENOMEM));
			talloc_free(ctx);
			return GROOT_EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind < argc) {
		if (login_shell) {
			log_error("groot shell takes no command; use 'groot run PROFILE -- CMD'");
			talloc_free(ctx);
			return GROOT_EXIT_USAGE;
		}
		request.command = argv + optind;
	}
	status = run_guest(ctx, &request);
	talloc_free(ctx);
	return status;
}

int command_check(int argc, char **argv)
{
	TALLOC_CTX *ctx;
	struct profile *profile;

	if (argc != 2 || argv[1][0] == '-') {
		bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
		fprintf(help ? stdout : stderr,
			"Usage: groot check PROFILE\n\n"
			"Validate PROFILE and print it resolved (extends merged, ${...} expanded),\n"
			"with where each value came from.\n");
		return help ? 0 : GROOT_EXIT_USAGE;
	}
	ctx = talloc_new(NULL);
	profile = load_or_report(ctx, argv[1]);
	if (!profile) {
		talloc_free(ctx);
		return GROOT_EXIT_USAGE;
	}
	profile_print(stdout, profile);
	talloc_free(ctx);
	return 0;
}

int command_list(int argc, char **argv)
{
	TALLOC_CTX *ctx;
	struct profile_entry *entries = NULL;
	size_t n = 0;

	if (argc > 1) {
		bool help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");
		fprintf(help ? stdout : stderr, "Usage: groot list\n\nList the profiles groot can find, "
						"by name, with their file and description.\n");
		return help ? 0 : GROOT_EXIT_USAGE;
	}
	ctx = talloc_new(NULL);
	if (profile_list(ctx, &entries, &n) < 0) {
		log_error("cannot list profiles: %s", strerror(errno));
		talloc_free(ctx);
		return GROOT_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-20s %s\n%-20s   %s\n", entries[i].name,
		       entries[i].description ? entries[i].description : "", "", entries[i].path);
	talloc_free(ctx);
	return 0;
}
