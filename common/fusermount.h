/* SPDX-License-Identifier: MIT */
/* Where the setuid FUSE helper lives, whatever PATH the user runs groot with. */
#ifndef GROOT_FUSERMOUNT_H
#define GROOT_FUSERMOUNT_H

/*
 * The absolute path of fusermount3: its usual homes first (as libfuse
 * looks), then PATH. NULL when there is none. The string is static.
 */
const char *fusermount_program(void);

#endif
