/* SPDX-License-Identifier: MIT */
/* The subcommands of groot(1). Each returns the exit status. */
#ifndef GROOT_CLI_H
#define GROOT_CLI_H

#include <stdbool.h>

int command_run(int argc, char **argv, bool login_shell);
int command_check(int argc, char **argv);
int command_list(int argc, char **argv);
int command_provision(int argc, char **argv);
int command_proot(int argc, char **argv);

#endif
