// SPDX-License-Identifier: MIT
/* Removing groot's own trees: an ephemeral upper layer, a run directory. */
#define _XOPEN_SOURCE 700
#include "remove_tree.h"

#include <ftw.h>
#include <stdio.h>

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path); /* best effort: what cannot go stays */
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
