/* SPDX-License-Identifier: MIT */
/*
 * /proc files about guest processes, as a chrooted process would read them
 * (procfs.c): mountinfo and mounts, status, stat.
 */
#ifndef GROOT_PROCFS_H
#define GROOT_PROCFS_H

#include <stddef.h>

struct session;
struct stop;
struct tracee;

/*
 * guest is an absolute /proc path being read or looked up: if it is one of
 * the files above for a tracee, write the guest's version and return its
 * host path (in host, of size bytes); else NULL.
 */
const char *procfs_substitute(struct stop *stop, const char *guest, char *host, size_t size);
/* Remove the copies made for t (it exited). */
void procfs_forget(const struct session *session, struct tracee *t);

#endif
