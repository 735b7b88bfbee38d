/* SPDX-License-Identifier: MIT */
/*
 * The user-space walk, PRoot-style, used only for paths with "..": the
 * kernel would follow ".." above the view's mountpoint, so the tracer walks
 * such paths itself and clamps ".." at the guest root, as chroot(2) does.
 */
#include "translate.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux's MAXSYMLINKS: more links than this in one walk is ELOOP. */
#define MAX_SYMLINKS 40

static bool is_under(const char *path, const char *root, size_t root_length)
{
	return strncmp(path, root, root_length) == 0 &&
	       (path[root_length] == '/' || path[root_length] == '\0');
}

static int join(char *out, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	bool slash = la > 0 && a[la - 1] != '/' && lb > 0;

	if (la + slash + lb + 1 > size)
		return -ENAMETOOLONG;
	memmove(out, a, la);
	if (slash)
		out[la++] = '/';
	memmove(out + la, b, lb);
	out[la + lb] = '\0';
	return 0;
}

int canonicalize_path(const char *root, const char *base, const char *path, char *out,
		      size_t size)
{
	char current[PATH_MAX], pending[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
	size_t root_length = strlen(root);
	size_t path_length = strlen(path);
	bool trailing_slash = path_length > 0 && path[path_length - 1] == '/';
	int links = 0;

	if (root_length >= sizeof(current) || path_length >= sizeof(pending))
		return -ENAMETOOLONG;
	strcpy(current, (path[0] == '/' || !base) ? root : base);
	strcpy(pending, path);

	char *p = pending;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		size_t length = end ? (size_t)(end - p) : strlen(p);
		char *rest = p + length;
		while (*rest == '/')
			rest++;
		bool last = *rest == '\0';

		bool dot = length == 1 && p[0] == '.',
		     dotdot = length == 2 && p[0] == '.' && p[1] == '.';
		if ((dot || dotdot) && last) {
			/*
			 * A last "." or "..": what a lookup resolves to, but for the
			 * calls that work on the last name (rename, rmdir, mkdir,
			 * link...) the kernel refuses it (EBUSY, EINVAL, EEXIST).
			 * Keep it for the kernel to see, from the directory reached;
			 * at the guest root "." (".." would climb out of the view).
			 */
			if (join(next, sizeof(next), current,
				 dotdot && strlen(current) > root_length ? ".." : ".") < 0)
				return -ENAMETOOLONG;
			strcpy(current, next);
			trailing_slash = false;
			break;
		}
		if (dot) {
			p = rest;
			continue;
		}
		if (dotdot) {
			/* chroot semantics: ".." of the root is the root. */
			size_t cl = strlen(current);
			if (cl > root_length) {
				char *slash = strrchr(current, '/');
				if (slash && (size_t)(slash - current) >= root_length)
					*slash = '\0';
				if (strlen(current) < root_length)
					current[root_length] = '\0';
			}
			p = rest;
			continue;
		}

		char component[NAME_MAX + 2];
		if (length > NAME_MAX) {
			/* Let the kernel report ENAMETOOLONG on the real walk. */
			if (join(next, sizeof(next), current, p) < 0)
				return -ENAMETOOLONG;
			strcpy(current, next);
			trailing_slash = false;
			break;
		}
		memcpy(component, p, length);
		component[length] = '\0';
		if (join(next, sizeof(next), current, component) < 0)
			return -ENAMETOOLONG;
		if (last) {
			strcpy(current, next);
			break;
		}

		struct stat st;
		if (lstat(next, &st) < 0) {
			/* Missing or unreadable: the kernel fails here too; hand it the rest verbatim. */
			if (join(current, sizeof(current), next, rest) < 0)
				return -ENAMETOOLONG;
			trailing_slash = false;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			strcpy(current, next);
			p = rest;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			/* "file/..": the kernel says ENOTDIR; keep the path so it still does. */
			if (join(current, sizeof(current), next, rest) < 0)
				return -ENAMETOOLONG;
			trailing_slash = false;
			break;
		}

		if (++links > MAX_SYMLINKS)
			return -ELOOP;
		ssize_t n = readlink(next, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (target[0] == '/') {
			if (!is_under(target, root, root_length)) {
				/* A direct bind (host path): the kernel resolves the rest on the host. */
				if (join(out, size, target, rest) < 0)
					return -ENAMETOOLONG;
				return 0;
			}
			current[root_length] = '\0';
			memmove(target, target + root_length, strlen(target + root_length) + 1);
		}
		if (join(next, sizeof(next), target, rest) < 0)
			return -ENAMETOOLONG;
		strcpy(pending, next);
		p = pending;
		if (target[0] == '/' || target[0] == '\0')
			strcpy(current, root), current[root_length] = '\0';
	}

	size_t cl = strlen(current);
	if (cl + (trailing_slash ? 1 : 0) + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, current, cl);
	if (trailing_slash && (cl == 0 || current[cl - 1] != '/'))
		out[cl++] = '/';
	out[cl] = '\0';
	return 0;
}
