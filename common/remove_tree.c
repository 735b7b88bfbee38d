// SPDX-License-Identifier: MIT
/*
 * Removing groot's own trees: an ephemeral upper layer, a run directory.
 * Walked by file descriptor, so that no path grows with the depth: a guest
 * may make a tree deeper than PATH_MAX (an upper layer holds whatever the
 * guest made under its mountpoint's prefix), where nftw(3) fails.
 */
#include "remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any guest path can reach (PATH_MAX / 2 components): a bound on the fds held. */
#define MAX_DEPTH 2048

static void remove_at(int dirfd, const char *name, dev_t dev, int depth)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0); /* best effort: what cannot go stays */
		return;
	}
	if (st.st_dev != dev || depth > MAX_DEPTH)
		return; /* another filesystem (a view still mounted): never entered */
	/* A directory the guest made 0500 or 0000 is still ours to empty. */
	if ((st.st_mode & 0700) != 0700 && st.st_uid == geteuid())
		fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *dir = fdopendir(fd);
		struct dirent *entry;

		if (!dir) {
			close(fd);
		} else {
			while ((entry = readdir(dir)))
				if (strcmp(entry->d_name, ".") != 0 &&
				    strcmp(entry->d_name, "..") != 0)
					remove_at(fd, entry->d_name, dev, depth + 1);
			closedir(dir);
		}
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		remove_at(AT_FDCWD, path, st.st_dev, 0);
}
