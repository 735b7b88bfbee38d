/* SPDX-License-Identifier: MIT */
#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

bool format_is_whiteout_name(const char *name)
{
	return strncmp(name, WHITEOUT_PREFIX, WHITEOUT_PREFIX_LEN) == 0;
}

const char *format_whiteout_target(const char *name)
{
	if (!format_is_whiteout_name(name) || strcmp(name, OPAQUE_MARKER) == 0)
		return NULL;
	if (name[WHITEOUT_PREFIX_LEN] == '\0')
		return NULL;
	return name + WHITEOUT_PREFIX_LEN;
}

int format_whiteout_name(const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);

	/* The whiteout is itself one path component: NAME_MAX applies to it. */
	if (n + WHITEOUT_PREFIX_LEN > 255 || n + WHITEOUT_PREFIX_LEN + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, WHITEOUT_PREFIX, WHITEOUT_PREFIX_LEN);
	memcpy(buf + WHITEOUT_PREFIX_LEN, name, n + 1);
	return 0;
}

bool format_opaque_value(const char *value, size_t len)
{
	return len == 1 && value[0] == 'y';
}

bool format_is_whiteout_device(mode_t mode, dev_t rdev)
{
	return S_ISCHR(mode) && rdev == makedev(0, 0);
}

bool format_xattr_is_private(const char *name)
{
	return strcmp(name, OVERRIDE_XATTR) == 0 || strcmp(name, OVERRIDE_XATTR_OLD) == 0 ||
	       strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

bool format_xattr_is_unsupported(const char *name)
{
	return strcmp(name, "system.posix_acl_access") == 0 ||
	       strcmp(name, "system.posix_acl_default") == 0 ||
	       strcmp(name, "security.selinux") == 0;
}

const char *format_xattr_stored(const char *name, char *buf, size_t size)
{
	if ((strncmp(name, "security.", 9) && strncmp(name, "trusted.", 8)) ||
	    format_xattr_is_unsupported(name) || geteuid() == 0 ||
	    (size_t)snprintf(buf, size, "%s%s", GROOT_XATTR_PREFIX, name) >= size)
		return name;
	return buf;
}

const char *format_xattr_shown(const char *stored)
{
	const char *name = stored + sizeof(GROOT_XATTR_PREFIX) - 1;

	if (strncmp(stored, GROOT_XATTR_PREFIX, sizeof(GROOT_XATTR_PREFIX) - 1) ||
	    (strncmp(name, "security.", 9) && strncmp(name, "trusted.", 8)))
		return stored;
	return name;
}

static const struct {
	const char *name;
	mode_t type;
} type_names[] = {
    {"file", S_IFREG}, {"dir", S_IFDIR},     {"symlink", S_IFLNK},
    {"pipe", S_IFIFO}, {"socket", S_IFSOCK},
};

static int parse_u32(const char *s, const char *end, int base, unsigned long *out)
{
	char buf[16], *e;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoul(buf, &e, base);
	if (errno || *e != '\0' || *out > UINT32_MAX)
		return -EINVAL;
	return 0;
}

static int parse_device(const char *s, const char *end, mode_t type, struct override_stat *out)
{
	const char *dash = memchr(s, '-', (size_t)(end - s));
	unsigned long major, minor;

	if (!dash || parse_u32(s, dash, 10, &major) < 0 || parse_u32(dash + 1, end, 10, &minor) < 0)
		return -EINVAL;
	out->mode |= type;
	out->rdev = makedev(major, minor);
	out->has_type = true;
	return 0;
}

int format_override_decode(const char *value, size_t len, struct override_stat *out)
{
	const char *end = value + len, *f[4];
	unsigned long uid, gid, mode;
	int nf = 1;

	/* Values read with getxattr are not NUL terminated; some writers add one. */
	if (len > 0 && value[len - 1] == '\0')
		end--;
	memset(out, 0, sizeof(*out));
	f[0] = value;
	for (const char *c = value; c < end && nf < 4; c++)
		if (*c == ':')
			f[nf++] = c + 1;
	if (nf < 3)
		return -EINVAL;
	if (parse_u32(f[0], f[1] - 1, 10, &uid) < 0 || parse_u32(f[1], f[2] - 1, 10, &gid) < 0)
		return -EINVAL;
	if (parse_u32(f[2], nf == 4 ? f[3] - 1 : end, 8, &mode) < 0 || mode > 0177777)
		return -EINVAL;
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	out->mode = (mode_t)mode & 07777;
	if (nf < 4) {
		/* Some writers store the whole st_mode: take its type bits as the type. */
		if (mode & S_IFMT) {
			out->mode |= (mode_t)mode & S_IFMT;
			out->has_type = true;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		size_t n = strlen(type_names[i].name);

		if ((size_t)(end - f[3]) == n && memcmp(f[3], type_names[i].name, n) == 0) {
			out->mode |= type_names[i].type;
			out->has_type = true;
			return 0;
		}
	}
	if (end - f[3] > 6 && memcmp(f[3], "block-", 6) == 0)
		return parse_device(f[3] + 6, end, S_IFBLK, out);
	if (end - f[3] > 5 && memcmp(f[3], "char-", 5) == 0)
		return parse_device(f[3] + 5, end, S_IFCHR, out);
	return -EINVAL;
}

int format_override_encode(const struct override_stat *in, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "%u:%u:%04o", (unsigned)in->uid, (unsigned)in->gid,
		     (unsigned)(in->mode & 07777));
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (in->has_type) {
		mode_t type = in->mode & S_IFMT;
		const char *tname = NULL;
		int m;

		for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (type_names[i].type == type)
				tname = type_names[i].name;
		if (tname)
			m = snprintf(buf + n, size - (size_t)n, ":%s", tname);
		else if (type == S_IFBLK || type == S_IFCHR)
			m = snprintf(buf + n, size - (size_t)n, ":%s-%u-%u",
				     type == S_IFBLK ? "block" : "char", major(in->rdev),
				     minor(in->rdev));
		else
			return -EINVAL;
		if (m < 0 || (size_t)m >= size - (size_t)n)
			return -ENAMETOOLONG;
		n += m;
	}
	return n;
}
