/* SPDX-License-Identifier: MIT */
/*
 * The guest's dumpable flag, kept by the tracer: PR_SET_DUMPABLE 0 on the
 * real process would lock the tracer out of its memory.
 */
#include "helpers.h"
#include "stop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

/* fs.suid_dumpable: what the kernel makes a process's dumpable flag when its ids change. */
bool id_change_makes_undumpable(void)
{
	static int value = -1;

	if (value < 0)
		value = (int)read_sysctl("fs/suid_dumpable", 0);
	return value != 1;
}

/*
 * PR_SET_DUMPABLE 0 would lock the tracer out of the process's memory
 * (process_vm_readv and PTRACE_PEEKDATA need a dumpable mm, or
 * CAP_SYS_PTRACE), so every path it names afterwards would reach the kernel
 * untranslated: sudo, gpg-agent and ssh-agent set it. The flag is kept here
 * instead: PR_GET_DUMPABLE reports it, fork copies it, exec clears it, and
 * fake id changes set it as the kernel's commit_creds would.
 */
bool handle_dumpable(struct stop *stop)
{
	int option = (int)stop_arg(stop, 0);
	unsigned long value = stop_arg(stop, 1);

	if (strcmp(stop->desc->name, "prctl") != 0)
		return false;
	if (option == PR_GET_DUMPABLE) {
		stop_skip(stop, stop->tracee->undumpable ? 0 : 1);
		return true;
	}
	if (option != PR_SET_DUMPABLE)
		return false;
	if (value > 1) {
		stop_skip(stop, -EINVAL);
		return true;
	}
	stop->tracee->undumpable = value == 0;
	stop_skip(stop, 0);
	return true;
}
