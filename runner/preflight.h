/* SPDX-License-Identifier: MIT */
/* What must hold before a run starts; each failure is logged with what to do. */
#ifndef GROOT_PREFLIGHT_H
#define GROOT_PREFLIGHT_H

#include "profile.h"

/* Returns 0, or -errno after logging one clear message. */
int preflight_run(const struct profile *profile, bool any_directory);

#endif
