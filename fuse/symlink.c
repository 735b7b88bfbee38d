/* SPDX-License-Identifier: MIT */
/*
 * Symlink targets as the kernel must see them: the kernel walks paths in the
 * view itself, so a target must never lead it out of the guest tree.
 *  - "/x" becomes MOUNTPOINT "/x" (exactly prefix + target: the tracer strips
 *    the prefix again when the guest calls readlink);
 *  - a target (relative, or absolute with "..") that climbs above the guest
 *    root is clamped like the kernel clamps ".." at "/", and returned as
 *    MOUNTPOINT + the clamped path;
 *  - a target inside a direct bind whose host path is the guest path (/proc,
 *    /dev, /sys) is left alone: the host object is the right one.
 */
#include "fs.h"
#include "pathname.h"

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

int symlink_rewrite(struct fs *fs, struct inode *link, const char *target, char **out)
{
	char *dir, *slash, *abs;
	int r;

	if (target[0] == '/') {
		if (in_identity_direct(fs, target)) {
			*out = strdup(target);
			return *out ? 0 : -ENOMEM;
		}
		/* "/../x" must not become MOUNTPOINT/../x: the kernel would leave the view. */
		if (pathname_climbs_above_root(target, 0)) {
			abs = pathname_clamp_relative("/", target);
			if (!abs)
				return -ENOMEM;
			r = asprintf(out, "%s%s", fs->mountpoint, abs);
			free(abs);
			return r < 0 ? -ENOMEM : 0;
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
	if (!pathname_climbs_above_root(target, pathname_depth(dir))) {
		free(dir);
		*out = strdup(target);
		return *out ? 0 : -ENOMEM;
	}
	abs = pathname_clamp_relative(dir, target);
	free(dir);
	if (!abs)
		return -ENOMEM;
	r = asprintf(out, "%s%s", fs->mountpoint, abs);
	free(abs);
	return r < 0 ? -ENOMEM : 0;
}
