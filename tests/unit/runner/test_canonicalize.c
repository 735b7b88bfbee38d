/* SPDX-License-Identifier: MIT */
/* The path model: canonicaliser (symlink loops, ".." at the root, trailing slashes, dirfds). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "tap.h"
#include "translate.h"

static char root[PATH_MAX];

static const char *at(const char *fmt, const char *arg)
{
	static char buffers[4][PATH_MAX * 2];
	static int next;
	char *b = buffers[next++ % 4];
	char tail[PATH_MAX];

	snprintf(tail, sizeof(tail), fmt, arg);
	snprintf(b, PATH_MAX * 2, "%s%s", root, tail);
	return b;
}

static void check(const char *base, const char *path, int expected_error, const char *expected)
{
	char out[PATH_MAX];
	int r = canonicalize_path(root, base, path, out, sizeof(out));

	if (expected_error) {
		is_int(r, -expected_error, "canonicalize '%s' fails with %s", path,
		       strerror(expected_error));
		return;
	}
	is_int(r, 0, "canonicalize '%s' succeeds", path);
	is_str(r == 0 ? out : NULL, expected, "canonicalize '%s'", path);
}

static void make_tree(void)
{
	char target[PATH_MAX * 2];

	snprintf(root, sizeof(root), "/tmp/groot-canon-XXXXXX");
	if (!mkdtemp(root))
		exit(1);
	mkdir(at("/a", ""), 0755);
	mkdir(at("/a/b", ""), 0755);
	mkdir(at("/a/b/c", ""), 0755);
	close(open(at("/file", ""), O_CREAT | O_WRONLY, 0644));
	/* The view rewrites absolute targets to the mountpoint: do the same here. */
	snprintf(target, sizeof(target), "%s/a", root);
	symlink(target, at("/link-abs", ""));
	symlink("a/b", at("/link-rel", ""));
	symlink("../..", at("/a/up", ""));
	symlink(".", at("/dot", ""));
	symlink("loop2", at("/loop1", ""));
	symlink("loop1", at("/loop2", ""));
	symlink("/usr", at("/host-link", "")); /* a direct bind point: a host path */
}

int main(void)
{
	make_tree();

	check(NULL, "/..", 0, at("/.", "")); /* a last ".." is kept: rename(2) says EBUSY */
	check(NULL, "/../../a", 0, at("/a", ""));
	check(NULL, "/a/b/../..", 0, at("/a/..", ""));
	check(NULL, "/a/b/../../../../x", 0, at("/x", ""));
	check(NULL, "/a/./b/../c", 0, at("/a/c", ""));
	check(NULL, "/link-abs/../x", 0, at("/x", ""));
	check(NULL, "/link-rel/../c", 0, at("/a/c", ""));
	check(NULL, "/a/up/../../x", 0, at("/x", ""));
	check(NULL, "/dot/dot/../../..", 0, at("/.", ""));
	check(NULL, "/loop1/../x", ELOOP, NULL);
	check(NULL, "/file/../x", 0, at("/file/../x", ""));
	check(NULL, "/missing/../../x", 0, at("/missing/../../x", ""));
	check(NULL, "/host-link/../etc", 0, "/usr/../etc");
	check(NULL, "/a/b/../", 0, at("/a/b/..", ""));
	check(NULL, "/a/b/..//", 0, at("/a/b/..", ""));
	check(NULL, "/a/..", 0, at("/a/..", ""));
	check(NULL, "/a/../a/b/.", 0, at("/a/b/.", ""));
	check(NULL, "/link-rel/..", 0, at("/a/b/..", ""));
	check(at("/a/b", ""), "../../../../x", 0, at("/x", ""));
	check(at("/a/b", ""), "c/../../..", 0, at("/a/..", ""));
	check(at("/a", ""), "../a/b/../link-target", 0, at("/a/link-target", ""));
	{
		char long_path[PATH_MAX + 10];
		memset(long_path, 'a', sizeof(long_path) - 1);
		long_path[0] = '/';
		long_path[sizeof(long_path) - 1] = '\0';
		check(NULL, long_path, ENAMETOOLONG, NULL);
	}

	ok(path_has_dotdot(".."), "'..' has dotdot");
	ok(path_has_dotdot("/.."), "'/..' has dotdot");
	ok(path_has_dotdot("a/../b"), "'a/../b' has dotdot");
	ok(path_has_dotdot("a/.."), "'a/..' has dotdot");
	ok(!path_has_dotdot("..a/b"), "'..a/b' has none");
	ok(!path_has_dotdot("a../b"), "'a../b' has none");
	ok(!path_has_dotdot("a/...b"), "'a/...b' has none");
	ok(!path_has_dotdot(""), "'' has none");

	/* translate_path / detranslate_path with a session whose view is `root`. */
	struct direct_bind directs[] = {
		{"/proc", 5, "/proc", 5, false},
		{"/home/me", 8, "/srv/home", 9, false},
	};
	struct session session = {.mount = root, .mount_length = strlen(root), .directs = directs,
				  .n_directs = 2, .root_fd = -1};
	char out[PATH_MAX];
	is_int(translate_path(&session, getpid(), AT_FDCWD, "/etc/passwd", out, sizeof(out)), 1,
	       "absolute path is prefixed");
	is_str(out, at("/etc/passwd", ""), "prefix");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "/proc/self/status", out, sizeof(out)),
	       0, "/proc is direct");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "//proc/self", out, sizeof(out)), 0,
	       "//proc is /proc: direct");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "/procx", out, sizeof(out)), 1,
	       "/procx is not /proc");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "/home/me/x", out, sizeof(out)), 1,
	       "direct bind with another source");
	is_str(out, "/srv/home/x", "direct bind source");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "rel/path", out, sizeof(out)), 0,
	       "relative path without '..' is left alone");
	is_int(translate_path(&session, getpid(), AT_FDCWD, "", out, sizeof(out)), 0,
	       "empty path is the kernel's business");
	{
		/* Fits PATH_MAX as a guest path, not once prefixed: through the tracer's root fd. */
		char guest[PATH_MAX], expected[PATH_MAX + 64];
		memset(guest, 'a', PATH_MAX - 2);
		guest[0] = '/';
		guest[PATH_MAX - 2] = '\0';
		session.root_fd = 7;
		session.tracer_pid = 4242;
		is_int(translate_path(&session, getpid(), AT_FDCWD, guest, out, sizeof(out)),
		       -ENAMETOOLONG, "4094-byte guest path: too long even through /proc");
		guest[4080] = '\0';
		is_int(translate_path(&session, getpid(), AT_FDCWD, guest, out, sizeof(out)), 1,
		       "4080-byte guest path is translated");
		snprintf(expected, sizeof(expected), "/proc/4242/fd/7%s", guest);
		is_str(out, expected, "... through /proc/TRACER/fd/ROOT");
		session.root_fd = -1;
	}
	is_int(detranslate_path(&session, at("/usr/bin", ""), out, sizeof(out)), 0, "detranslate");
	is_str(out, "/usr/bin", "mountpoint stripped");
	detranslate_path(&session, root, out, sizeof(out));
	is_str(out, "/", "the mountpoint itself is /");
	detranslate_path(&session, "/srv/home/x", out, sizeof(out));
	is_str(out, "/home/me/x", "direct bind mapped back");
	detranslate_path(&session, "/elsewhere", out, sizeof(out));
	is_str(out, "/elsewhere", "other host paths unchanged");
	{
		char other[PATH_MAX];
		snprintf(other, sizeof(other), "%sx/y", root);
		detranslate_path(&session, other, out, sizeof(out));
		is_str(out, other, "a sibling with the mountpoint as prefix is not inside it");
	}

	char command[PATH_MAX + 16];
	snprintf(command, sizeof(command), "rm -rf %s", root);
	if (system(command) != 0)
		printf("# cannot remove %s\n", root);
	return done_testing();
}
