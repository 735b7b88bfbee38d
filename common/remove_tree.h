/* SPDX-License-Identifier: MIT */
#ifndef GROOT_REMOVE_TREE_H
#define GROOT_REMOVE_TREE_H

/*
 * Remove path and everything under it, best effort, without following
 * symlinks and without entering another filesystem: a view still mounted
 * in a run directory (its guest's files) is never walked into.
 */
void remove_tree(const char *path);

#endif
