/* SPDX-License-Identifier: MIT */
/* PRoot's -q: a host qemu-user for the guest's programs of another architecture. */
#ifndef GROOT_QEMU_H
#define GROOT_QEMU_H

#include <talloc.h>

#include "profile.h"

/*
 * Add to p what "-q 'QEMU [ARGS]'" means: a direct, read-only bind of the
 * host's emulator into the guest and an interpreters: entry for the ELF
 * programs of the architecture it emulates. Logs and returns -errno when
 * the emulator cannot be used.
 */
int qemu_configure(TALLOC_CTX *ctx, struct profile *p, const char *spec);

#endif
