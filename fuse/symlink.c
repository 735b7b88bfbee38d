/* SPDX-License-Identifier: MIT */
/*
 * Symlink targets as the kernel must see them: the kernel walks paths in the
 * view itself, so a target must never lead it out of the guest tree.
 *  - "/x" becomes MOUNTPOINT "/x" (exactly prefix + target: the tracer strips
 *    the prefix again when the guest calls readlink);
 *  - a relative target that climbs above the guest root is clamped like the
 *    kernel clamps ".." at "/", and returned as MOUNTPOINT + the clamped path;
 *  - a target inside a direct bind whose host path is the guest path (/proc,
 *    /dev, /sys) is left alone: the host object is the right one.
 */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Is 'target' inside a direct bind mapped onto the same host path? */
static bool in_identity_direct(struct fs *fs, const char *target)
{
	const struct vnode *v = fs->opts->vroot;
	const char *c = target;

	while (*c) {
		const char *e;
		const struct vnode *child;

		while (*c == '/')
			c++;
		if (!*c)
			return false;
		e = strchrnul(c, '/');
		for (child = v->children; child; child = child->next)
			if (strlen(child->name) == (size_t)(e - c) &&
			    memcmp(child->name, c, (size_t)(e - c)) == 0)
				break;
		if (!child)
			return false;
		if (child->kind == VNODE_DIRECT) {
			size_t glen = (size_t)(e - target);

			return strlen(child->host) == glen &&
			       memcmp(child->host, target, glen) == 0;
		}
		v = child;
		c = e;
	}
	return false;
}

/* Does a relative target, followed from a directory 'depth' levels deep, climb above "/"? */
static bool climbs_above_root(const char *target, long depth)
{
	const char *c = target;

	while (*c) {
		const char *e;
		size_t len;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchrnul(c, '/');
		len = (size_t)(e - c);
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (!(len == 1 && c[0] == '.')) {
			depth++;
		}
		c = e;
	}
	return false;
}

static long path_depth(const char *dir)
{
	long depth = 0;

	for (const char *c = dir; *c; c++)
		if (*c == '/' && c[1] != '/' && c[1] != '\0')
			depth++;
	return depth;
}

/* Lexically resolve 'target' against 'dir', clamping ".." at the root. */
static char *clamp_relative(const char *dir, const char *target)
{
	size_t cap = strlen(dir) + strlen(target) + 3, len;
	char *out = malloc(cap);
	const char *c = target;

	if (!out)
		return NULL;
	strcpy(out, dir);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	while (*c) {
		const char *e;
		size_t n;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(out, '/');

			len = slash == out ? 1 : (size_t)(slash - out);
			out[len] = '\0';
		} else if (!(n == 1 && c[0] == '.')) {
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, c, n);
			len += n;
			out[len] = '\0';
		}
		c = e;
	}
	/* "dir/" and "dir" differ for the kernel (the former must be a directory). */
	if (target[strlen(target) - 1] == '/' && len > 1)
		strcpy(out + len, "/");
	return out;
}

int symlink_rewrite(struct fs *fs, struct inode *link, const char *target, char **out)
{
	char *dir, *slash, *abs;
	int r;

	if (target[0] == '/') {
		if (in_identity_direct(fs, target)) {
			*out = strdup(target);
			return *out ? 0 : -ENOMEM;
		}
		r = asprintf(out, "%s%s", fs->mountpoint, target);
		return r < 0 ? -ENOMEM : 0;
	}
	if (target[0] == '\0') {
		*out = strdup(target);
		return *out ? 0 : -ENOMEM;
	}
	dir = inode_guest_path(fs, link);
	if (!dir)
		return -errno;
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	if (!climbs_above_root(target, path_depth(dir))) {
		free(dir);
		*out = strdup(target);
		return *out ? 0 : -ENOMEM;
	}
	abs = clamp_relative(dir, target);
	free(dir);
	if (!abs)
		return -ENOMEM;
	r = asprintf(out, "%s%s", fs->mountpoint, abs);
	free(abs);
	return r < 0 ? -ENOMEM : 0;
}
