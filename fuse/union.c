/* SPDX-License-Identifier: MIT */
/*
 * Writing the union's markers into the writable layer. We write one format
 * (docs/groot-fs-format.md): a whiteout is an empty regular file ".wh.NAME"
 * (creatable without privileges, and the OCI layer format), an opaque
 * directory holds an empty ".wh..wh..opq". Both formats of each are read.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

bool union_name_below(struct fs *fs, struct inode *dir, const char *name)
{
	char wh[256];
	bool has_wh = format_whiteout_name(name, wh, sizeof(wh)) == 0;

	if (!fs_multi_layer(fs) || dir->bind)
		return false;
	for (int l = 0; l < fs->n_layers; l++) {
		int dfd = l == fs->upper ? -1 : inode_dir_fd(dir, l);
		struct stat st;

		if (dfd < 0)
			continue;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
		if (has_wh && fstatat(dfd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
	}
	return false;
}

int union_make_whiteout(int upper_dirfd, const char *name)
{
	char wh[256];
	int r = format_whiteout_name(name, wh, sizeof(wh)), fd;

	if (r < 0)
		return r;
	fd = openat(upper_dirfd, wh, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int union_remove_whiteout(int upper_dirfd, const char *name)
{
	char wh[256];
	struct stat st;
	int removed = 0;

	if (format_whiteout_name(name, wh, sizeof(wh)) == 0) {
		if (unlinkat(upper_dirfd, wh, 0) == 0)
			removed = 1;
		else if (errno != ENOENT)
			return -errno;
	}
	/* overlayfs' own format occupies the name itself */
	if (fstatat(upper_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    format_is_whiteout_device(st.st_mode, st.st_rdev)) {
		if (unlinkat(upper_dirfd, name, 0) < 0)
			return -errno;
		removed = 1;
	}
	return removed;
}

int union_make_opaque(int dirfd)
{
	int fd = openat(dirfd, OPAQUE_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int union_dir_is_empty(struct fs *fs, struct inode *dir)
{
	struct dir_handle *dh;
	int r = dir_snapshot(fs, dir, &dh);

	if (r < 0)
		return r;
	r = dh->count <= 2;
	dir_handle_free(dh);
	return r;
}

int union_clear_dir(int dirfd)
{
	int fd = open_for_listing(dirfd), r = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!format_is_whiteout_name(de->d_name) &&
		    !(fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		      format_is_whiteout_device(st.st_mode, st.st_rdev))) {
			r = -ENOTEMPTY;
			break;
		}
		if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	return r;
}
