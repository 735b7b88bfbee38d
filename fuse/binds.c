/* SPDX-License-Identifier: MIT */
/*
 * Bind destinations are guest paths, and guest paths may cross symlinks of
 * the rootfs (/lib -> usr/lib on merged-/usr systems, /var/run -> /run). A
 * bind point must sit where the guest's own path walk arrives, or it would
 * replace the symlink by a synthetic directory. So at startup, before
 * mounting, each destination is resolved in the layers like the kernel
 * resolves it in a chroot (all but the last component followed, ".."
 * clamped at the root), and the vnode tree is rebuilt from the results.
 */
#include "fs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_DEPTH 256
#define MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

struct walk {
	struct inode *inode[MAX_DEPTH + 1]; /* [0] is the root; NULL past a missing name */
	char *name[MAX_DEPTH + 1];
	int depth;
};

static void walk_pop(struct fs *fs, struct walk *w)
{
	if (w->depth == 0)
		return; /* ".." at the root stays at the root */
	if (w->inode[w->depth])
		inode_unref(fs, w->inode[w->depth], 1);
	free(w->name[w->depth]);
	w->depth--;
}

static int walk_push(struct walk *w, struct inode *inode, const char *name, size_t len)
{
	if (w->depth == MAX_DEPTH)
		return -ENAMETOOLONG;
	w->depth++;
	w->inode[w->depth] = inode;
	w->name[w->depth] = strndup(name, len);
	return w->name[w->depth] ? 0 : -ENOMEM;
}

/* Replace 'rest' by target + "/" + the part of rest after 'next'. */
static char *splice_target(const char *target, const char *next)
{
	char *joined;

	if (asprintf(&joined, "%s/%s", target, next) < 0)
		return NULL;
	return joined;
}

static int resolve(struct fs *fs, const char *guest, char **out)
{
	struct walk w = {.inode = {&fs->root}};
	char *rest = strdup(guest), *p, *joined;
	int links = 0, r = 0;
	size_t len = 1;

	if (!rest)
		return -ENOMEM;
	for (p = rest; r == 0;) {
		const char *c;
		size_t n;
		struct inode *child;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		c = p;
		n = strcspn(c, "/");
		p += n;
		last = strspn(p, "/") == strlen(p);
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			walk_pop(fs, &w);
			continue;
		}
		if (!w.inode[w.depth]) {
			r = walk_push(&w, NULL, c, n);
			continue;
		}
		char name[NAME_MAX + 1];

		if (n > NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(name, c, n);
		name[n] = '\0';
		if (fs_lookup_child(fs, w.inode[w.depth], name, &child) < 0) {
			r = walk_push(&w, NULL, c, n); /* from here on the path is synthetic */
			continue;
		}
		if (child->type != S_IFLNK || last) {
			r = walk_push(&w, child, c, n);
			if (r < 0)
				inode_unref(fs, child, 1);
			continue;
		}
		char target[PATH_MAX + 1];
		ssize_t tn = readlinkat(inode_fd(child), "", target, PATH_MAX);

		inode_unref(fs, child, 1);
		if (tn < 0 || ++links > MAX_LINKS) {
			r = tn < 0 ? -errno : -ELOOP;
			break;
		}
		target[tn] = '\0';
		if (target[0] == '/')
			while (w.depth > 0)
				walk_pop(fs, &w);
		joined = splice_target(target, p);
		if (!joined) {
			r = -ENOMEM;
			break;
		}
		free(rest);
		rest = p = joined;
	}
	free(rest);
	for (int i = 1; i <= w.depth; i++)
		len += strlen(w.name[i]) + 1;
	*out = r == 0 ? malloc(len + 1) : NULL;
	if (r == 0 && !*out)
		r = -ENOMEM;
	if (r == 0) {
		char *o = *out;

		*o = '\0';
		for (int i = 1; i <= w.depth; i++)
			o += sprintf(o, "/%s", w.name[i]);
		if (w.depth == 0)
			strcpy(*out, "/");
	}
	while (w.depth > 0)
		walk_pop(fs, &w);
	return r;
}

struct bind_point {
	char *guest;
	const struct vnode *v;
};

static int collect(const struct vnode *v, const char *prefix, struct bind_point **points, size_t *n)
{
	for (const struct vnode *c = v->children; c; c = c->next) {
		char *path;

		if (asprintf(&path, "%s/%s", prefix, c->name) < 0)
			return -ENOMEM;
		if (c->kind != VNODE_PATH) {
			struct bind_point *grown = realloc(*points, (*n + 1) * sizeof(**points));

			if (!grown) {
				free(path);
				return -ENOMEM;
			}
			*points = grown;
			(*points)[(*n)++] = (struct bind_point){.guest = path, .v = c};
		} else {
			free(path);
		}
		if (c->kind != VNODE_DIRECT) {
			if (asprintf(&path, "%s/%s", prefix, c->name) < 0)
				return -ENOMEM;
			int r = collect(c, path, points, n);

			free(path);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int by_order(const void *a, const void *b)
{
	unsigned x = ((const struct bind_point *)a)->v->order;
	unsigned y = ((const struct bind_point *)b)->v->order;

	return (x > y) - (x < y);
}

int canonicalize_bind_points(struct fs *fs)
{
	struct vnode *old = fs->opts->vroot, *fresh;
	struct bind_point *points = NULL;
	size_t n = 0;
	int r;

	r = collect(old, "", &points, &n);
	if (r < 0 || n == 0)
		goto out;
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh || !(fresh->name = strdup(""))) {
		free(fresh);
		r = -ENOMEM;
		goto out;
	}
	qsort(points, n, sizeof(*points), by_order);
	/* Resolve against the layers alone: no bind point may steer the walk. */
	fs->root.vnode = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct vnode *v = points[i].v;
		char *canonical = NULL;
		struct vnode *nv;

		if (resolve(fs, points[i].guest, &canonical) < 0 || strcmp(canonical, "/") == 0) {
			log_warn("bind point %s: cannot resolve it in the guest; using it as is",
				 points[i].guest);
			free(canonical);
			canonical = strdup(points[i].guest);
			if (!canonical) {
				r = -ENOMEM;
				break;
			}
		} else if (strcmp(canonical, points[i].guest) != 0) {
			log_info("bind point %s is %s in the guest", points[i].guest, canonical);
		}
		nv = vnode_path(fresh, canonical);
		free(canonical);
		free(nv->host);
		nv->kind = v->kind;
		nv->host = strdup(v->host);
		nv->readonly = v->readonly;
		nv->order = v->order;
	}
	fs->opts->vroot = fresh;
	fs->root.vnode = fresh;
	vnode_tree_free(old);
out:
	for (size_t i = 0; i < n; i++)
		free(points[i].guest);
	free(points);
	return r;
}
