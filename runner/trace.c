/* SPDX-License-Identifier: MIT */
/* --trace: one line per trapped syscall, strace-like, with guest and host paths. */
#include "stop.h"

#include <stdio.h>
#include <unistd.h>

void trace_syscall(const struct stop *stop, const char *guest, const char *host)
{
	char line[2 * 4096 + 128];
	int n;

	if (guest && host)
		n = snprintf(line, sizeof(line), "[%d] %s(\"%s\") -> \"%s\"\n", stop->tracee->pid,
			     stop->desc->name, guest, host);
	else
		n = snprintf(line, sizeof(line), "[%d] %s()\n", stop->tracee->pid, stop->desc->name);
	if (n > 0 && write(stop->session->trace_fd, line,
			   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		return;
}
