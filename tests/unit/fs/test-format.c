/* SPDX-License-Identifier: MIT */
/* The on-disk formats groot-fs shares with overlayfs and containers/storage. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../../../fuse/format.h"
#include "tap.h"

static void test_whiteout_names(void)
{
	char buf[300], longname[300];

	ok(format_is_whiteout_name(".wh.foo"), ".wh.foo is a whiteout-format name");
	ok(format_is_whiteout_name(".wh..wh..opq"), "the opaque marker is a whiteout-format name");
	ok(!format_is_whiteout_name(".whatever"), ".whatever is not");
	ok(!format_is_whiteout_name("wh.foo"), "wh.foo is not");
	is_str(format_whiteout_target(".wh.foo"), "foo", "whiteout target of .wh.foo");
	is_str(format_whiteout_target(".wh..hidden"), ".hidden", "whiteout of a dot file");
	ok(format_whiteout_target(".wh..wh..opq") == NULL, "the opaque marker hides no entry");
	ok(format_whiteout_target(".wh.") == NULL, "an empty whiteout hides nothing");
	ok(format_whiteout_target("foo") == NULL, "a plain name is no whiteout");

	is_int(format_whiteout_name("foo", buf, sizeof(buf)), 0, "encode foo");
	is_str(buf, ".wh.foo", "encoded whiteout name");
	memset(longname, 'x', 251);
	longname[251] = '\0';
	is_int(format_whiteout_name(longname, buf, sizeof(buf)), 0, "251 + 4 bytes fit NAME_MAX");
	is_int(strlen(buf), 255, "encoded length 255");
	longname[251] = 'x';
	longname[252] = '\0';
	is_int(format_whiteout_name(longname, buf, sizeof(buf)), -ENAMETOOLONG,
	       "252 + 4 bytes do not");
	is_int(format_whiteout_name("foo", buf, 7), -ENAMETOOLONG, "small buffer refused");
}

static void test_markers(void)
{
	ok(format_opaque_value("y", 1), "opaque value y");
	ok(!format_opaque_value("n", 1), "opaque value n");
	ok(!format_opaque_value("yes", 3), "opaque value yes is not y");
	ok(!format_opaque_value("", 0), "empty opaque value");
	ok(format_is_whiteout_device(S_IFCHR | 0, makedev(0, 0)), "0/0 char device");
	ok(!format_is_whiteout_device(S_IFCHR | 0666, makedev(1, 3)), "/dev/null is no whiteout");
	ok(!format_is_whiteout_device(S_IFBLK, makedev(0, 0)), "0/0 block device is no whiteout");
	ok(!format_is_whiteout_device(S_IFREG, 0), "regular file is no whiteout");
}

static void decode_ok(const char *value, unsigned uid, unsigned gid, unsigned mode, int has_type,
		      unsigned rdev_major, unsigned rdev_minor)
{
	struct override_stat ov;
	int r = format_override_decode(value, strlen(value), &ov);

	is_int(r, 0, "decode '%s'", value);
	if (r < 0)
		return;
	is_int(ov.uid, uid, "  uid");
	is_int(ov.gid, gid, "  gid");
	is_int(ov.mode, mode, "  mode %o", mode);
	is_int(ov.has_type, has_type, "  has_type");
	if (has_type && (S_ISCHR(ov.mode) || S_ISBLK(ov.mode))) {
		is_int(major(ov.rdev), rdev_major, "  major");
		is_int(minor(ov.rdev), rdev_minor, "  minor");
	}
}

static void test_override_decode(void)
{
	struct override_stat ov;
	static const char *const bad[] = {
	    "",
	    "0",
	    "0:0",
	    "a:0:0644",
	    "0:b:0644",
	    "0:0:9",
	    "0:0:0644:fish",
	    "0:0:0644:char-1",
	    "0:0:0644:char-x-1",
	    "-1:0:0644",
	    "0:0:",
	    ":0:0644",
	    "0:0:0644:",
	    "4294967296:0:0644",
	    "0:0:0644:block--1",
	};

	decode_ok("0:0:0644", 0, 0, 0644, 0, 0, 0);
	decode_ok("1000:100:4755", 1000, 100, 04755, 0, 0, 0);
	decode_ok("0:0:0755:dir", 0, 0, S_IFDIR | 0755, 1, 0, 0);
	decode_ok("0:0:0644:file", 0, 0, S_IFREG | 0644, 1, 0, 0);
	decode_ok("0:0:0777:symlink", 0, 0, S_IFLNK | 0777, 1, 0, 0);
	decode_ok("0:0:0644:pipe", 0, 0, S_IFIFO | 0644, 1, 0, 0);
	decode_ok("0:0:0755:socket", 0, 0, S_IFSOCK | 0755, 1, 0, 0);
	decode_ok("0:6:0660:block-8-0", 0, 6, S_IFBLK | 0660, 1, 8, 0);
	decode_ok("0:0:0666:char-1-3", 0, 0, S_IFCHR | 0666, 1, 1, 3);
	decode_ok("0:5:0620:char-136-4095", 0, 5, S_IFCHR | 0620, 1, 136, 4095);
	/* Writers that store the whole st_mode, and values with a trailing NUL. */
	decode_ok("0:0:100644", 0, 0, S_IFREG | 0644, 1, 0, 0);
	decode_ok("0:0:40755", 0, 0, S_IFDIR | 0755, 1, 0, 0);
	is_int(format_override_decode("0:0:0644\0", 9, &ov), 0, "trailing NUL accepted");
	is_int(ov.mode, 0644, "  mode with trailing NUL");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(format_override_decode(bad[i], strlen(bad[i]), &ov), -EINVAL, "reject '%s'",
		       bad[i]);
}

static void roundtrip(struct override_stat in, const char *want)
{
	char buf[128];
	struct override_stat out;
	int n = format_override_encode(&in, buf, sizeof(buf));

	ok(n > 0, "encode %s", want);
	if (n <= 0)
		return;
	is_str(buf, want, "  encoded");
	is_int(n, strlen(want), "  length");
	is_int(format_override_decode(buf, (size_t)n, &out), 0, "  decodes again");
	is_int(out.uid, in.uid, "  uid round-trips");
	is_int(out.gid, in.gid, "  gid round-trips");
	is_int(out.mode, in.mode, "  mode round-trips");
	is_int(out.has_type, in.has_type, "  type round-trips");
	if (in.has_type)
		is_int(out.rdev, in.rdev, "  rdev round-trips");
}

static void test_override_encode(void)
{
	char small[8], buf[64];
	struct override_stat ov = {.uid = 0, .gid = 0, .mode = 0644};

	roundtrip(ov, "0:0:0644");
	roundtrip((struct override_stat){.uid = 65534, .gid = 65534, .mode = 01777},
		  "65534:65534:1777");
	roundtrip(
	    (struct override_stat){.mode = S_IFCHR | 0666, .has_type = true, .rdev = makedev(1, 3)},
	    "0:0:0666:char-1-3");
	roundtrip(
	    (struct override_stat){
		.gid = 6, .mode = S_IFBLK | 0660, .has_type = true, .rdev = makedev(259, 70000)},
	    "0:6:0660:block-259-70000");
	roundtrip((struct override_stat){.mode = S_IFIFO | 0600, .has_type = true},
		  "0:0:0600:pipe");
	roundtrip((struct override_stat){.uid = 1, .mode = S_IFDIR | 0700, .has_type = true},
		  "1:0:0700:dir");
	is_int(format_override_encode(&ov, small, sizeof(small)), -ENAMETOOLONG,
	       "buffer too small");
	ov.mode = 0;
	ov.has_type = true; /* type bits 0: not a file type */
	is_int(format_override_encode(&ov, buf, sizeof(buf)), -EINVAL, "no type to name");
}

static void test_xattr_names(void)
{
	ok(format_xattr_is_private("user.containers.override_stat"), "our record is private");
	ok(format_xattr_is_private("user.fuseoverlayfs.override_stat"), "the old record too");
	ok(format_xattr_is_private("trusted.overlay.opaque"), "overlay markers are private");
	ok(format_xattr_is_private("user.overlay.whiteout"), "user overlay markers too");
	ok(!format_xattr_is_private("user.containers.other"), "other user xattrs are the guest's");
	ok(!format_xattr_is_private("security.capability"), "file capabilities are the guest's");
	ok(format_xattr_is_unsupported("system.posix_acl_access"), "access ACLs unsupported");
	ok(format_xattr_is_unsupported("system.posix_acl_default"), "default ACLs unsupported");
	ok(format_xattr_is_unsupported("security.selinux"), "SELinux labels unsupported");
	ok(!format_xattr_is_unsupported("security.capability"), "file capabilities supported");
	ok(!format_xattr_is_unsupported("system.posix_acl_accessx"), "exact names only");
	ok(!format_xattr_is_unsupported("user.test"), "user xattrs supported");
}

int main(void)
{
	test_whiteout_names();
	test_markers();
	test_override_decode();
	test_override_encode();
	test_xattr_names();
	return done_testing();
}
