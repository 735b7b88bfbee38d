/* SPDX-License-Identifier: MIT */
/* Lexical clamping of symlink targets at the guest root (fuse/pathname.c). */
#include <stdlib.h>

#include "../../../fuse/pathname.h"
#include "tap.h"

static void clamp(const char *dir, const char *target, const char *want)
{
	char *got = pathname_clamp_relative(dir, target);

	is_str(got, want, "clamp %s from %s", target, dir);
	free(got);
}

int main(void)
{
	is_int(pathname_depth("/"), 0, "depth of /");
	is_int(pathname_depth("/usr"), 1, "depth of /usr");
	is_int(pathname_depth("/usr/lib/x86_64-linux-gnu"), 3, "depth of a deep directory");

	ok(!pathname_climbs_above_root("lib/deep", 0), "down from the root");
	ok(!pathname_climbs_above_root("../etc/passwd", 1), "one up from depth 1");
	ok(pathname_climbs_above_root("../etc/passwd", 0), "one up from the root");
	ok(!pathname_climbs_above_root("../../etc/passwd", 2), "exactly to the root");
	ok(pathname_climbs_above_root("../../../etc/passwd", 2), "one above the root");
	ok(pathname_climbs_above_root("a/../../x", 0), "down then above");
	ok(!pathname_climbs_above_root("./.././x", 1), "dots do not count");
	ok(!pathname_climbs_above_root("a//b/../../..", 1), "double slashes");
	ok(pathname_climbs_above_root("..", 0), "bare ..");
	ok(!pathname_climbs_above_root("", 0), "empty target");

	clamp("/usr/lib", "../../../../../etc/passwd", "/etc/passwd");
	clamp("/", "../x", "/x");
	clamp("/a/b", "../c", "/a/c");
	clamp("/a", "./../../b/./c", "/b/c");
	clamp("/a", "../../", "/");
	clamp("/a", "../../b/", "/b/");
	clamp("/a/", "x", "/a/x");
	clamp("/", "..", "/");
	/* absolute targets with "..": the leading slash is just another separator */
	ok(pathname_climbs_above_root("/../etc/passwd", 0), "absolute climb");
	ok(!pathname_climbs_above_root("/usr/../etc/passwd", 0), "absolute, stays inside");
	clamp("/", "/../../etc/passwd", "/etc/passwd");
	return done_testing();
}
