/* SPDX-License-Identifier: MIT */
/* groot: run programs in a foreign Linux root filesystem, rootless. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: groot [-v] COMMAND [OPTIONS] ...\n"
		"\n"
		"Run programs inside a foreign Linux root filesystem without root.\n"
		"\n"
		"Commands:\n"
		"  run PROFILE [-- CMD ARGS...]   run CMD (or the profile's command) in the guest\n"
		"  shell PROFILE                  interactive login shell in the guest\n"
		"  check PROFILE                  validate a profile and print it resolved\n"
		"  provision PROFILE              create the rootfs from its bootstrap recipe\n"
		"  list                           list the profiles groot can find\n"
		"  proot [PRoot options] CMD...   PRoot-compatible command line\n"
		"\n"
		"Options:\n"
		"  -v, --verbose   more messages (repeat for debug and trace)\n"
		"  -h, --help      this help; 'groot COMMAND --help' for a command\n"
		"  -V, --version   print the version\n"
		"\n"
		"Exit status: the guest command's own (128+N if killed by signal N); 125 groot\n"
		"failed; 126 command not executable; 127 command not found; 2 usage or profile error.\n"
		"See groot(1) and groot-profile(5).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *self = strrchr(argv[0], '/');
	int c;

	log_set_program("groot");
	self = self ? self + 1 : argv[0];
	/* Invoked as "proot": behave like PRoot. */
	if (strcmp(self, "proot") == 0)
		return command_proot(argc, argv);

	while ((c = getopt_long(argc, argv, "+vhV", options, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (log_level < LOG_LEVEL_TRACE)
				log_level++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("groot %s\n", GROOT_VERSION);
			return 0;
		default:
			usage(stderr);
			return GROOT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GROOT_EXIT_USAGE;
	}
	const char *command = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 0; /* reset getopt for the subcommand */

	if (strcmp(command, "run") == 0)
		return command_run(sub_argc, sub_argv, false);
	if (strcmp(command, "shell") == 0)
		return command_run(sub_argc, sub_argv, true);
	if (strcmp(command, "check") == 0)
		return command_check(sub_argc, sub_argv);
	if (strcmp(command, "list") == 0)
		return command_list(sub_argc, sub_argv);
	if (strcmp(command, "provision") == 0)
		return command_provision(sub_argc, sub_argv);
	if (strcmp(command, "proot") == 0)
		return command_proot(sub_argc, sub_argv);
	log_error("unknown command '%s' (see 'groot --help')", command);
	return GROOT_EXIT_USAGE;
}
