/* SPDX-License-Identifier: MIT */
/*
 * Side store records: one text line each, so that a store can be read with
 * less and repaired with an editor. Every line ends in a checksum of the rest
 * (FNV-1a, 32 bits): a record garbled on disk is skipped, not misread.
 *
 *   set INO BTIME TYPE RECORD CHECK
 *   del INO CHECK
 *
 * BTIME is SEC.NSEC, or "-" when the filesystem has no birth times; TYPE is
 * the real object's type; RECORD is the fake metadata in the xattr format
 * (uid:gid:mode[:type], format.h).
 */
#include "sidestore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *name;
	mode_t type;
} real_types[] = {
    {"file", S_IFREG},	  {"dir", S_IFDIR},  {"symlink", S_IFLNK}, {"pipe", S_IFIFO},
    {"socket", S_IFSOCK}, {"char", S_IFCHR}, {"block", S_IFBLK},
};

static uint32_t checksum(const char *s, size_t len)
{
	uint32_t h = 0x811c9dc5u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x01000193u;
	}
	return h;
}

/* Append " CHECK\n" to the 'n' bytes in buf. */
static int finish_line(char *buf, size_t size, int n)
{
	int m;

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	m = snprintf(buf + n, size - (size_t)n, " %08" PRIx32 "\n", checksum(buf, (size_t)n));
	if (m < 0 || (size_t)m >= size - (size_t)n)
		return -ENAMETOOLONG;
	return n + m;
}

int side_record_encode_set(const struct side_entry *e, char *buf, size_t size)
{
	const char *tname = NULL;
	char record[128], btime[40];
	int n;

	for (size_t i = 0; i < sizeof(real_types) / sizeof(real_types[0]); i++)
		if (real_types[i].type == e->type)
			tname = real_types[i].name;
	if (!tname || e->ino == 0)
		return -EINVAL;
	if (format_override_encode(&e->ov, record, sizeof(record)) < 0)
		return -EINVAL;
	if (e->has_btime && e->btime_sec >= 0 && e->btime_nsec < 1000000000u)
		snprintf(btime, sizeof(btime), "%" PRId64 ".%09" PRIu32, e->btime_sec,
			 e->btime_nsec);
	else
		strcpy(btime, "-");
	n = snprintf(buf, size, "set %" PRIu64 " %s %s %s", e->ino, btime, tname, record);
	return finish_line(buf, size, n);
}

int side_record_encode_del(uint64_t ino, char *buf, size_t size)
{
	if (ino == 0)
		return -EINVAL;
	return finish_line(buf, size, snprintf(buf, size, "del %" PRIu64, ino));
}

/* A decimal number made of digits only (no sign, no spaces), within 'max'. */
static bool parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

static bool parse_btime(const char *s, size_t len, struct side_entry *out)
{
	const char *dot = memchr(s, '.', len);
	uint64_t sec, nsec;

	if (len == 1 && s[0] == '-') {
		out->has_btime = false;
		return true;
	}
	if (!dot || !parse_decimal(s, (size_t)(dot - s), INT64_MAX, &sec) ||
	    (size_t)(s + len - dot - 1) != 9 || !parse_decimal(dot + 1, 9, 999999999, &nsec))
		return false;
	out->has_btime = true;
	out->btime_sec = (int64_t)sec;
	out->btime_nsec = (uint32_t)nsec;
	return true;
}

static bool parse_type(const char *s, size_t len, mode_t *out)
{
	for (size_t i = 0; i < sizeof(real_types) / sizeof(real_types[0]); i++)
		if (strlen(real_types[i].name) == len && memcmp(s, real_types[i].name, len) == 0) {
			*out = real_types[i].type;
			return true;
		}
	return false;
}

int side_record_decode(const char *line, size_t len, struct side_entry *out)
{
	const char *field[7];
	size_t flen[7], nf = 0;
	const char *p = line, *end = line + len;
	uint32_t check;

	memset(out, 0, sizeof(*out));
	/* Split on single spaces; empty fields are malformed. */
	while (p <= end && nf < 7) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		if (!sp)
			sp = end;
		field[nf] = p;
		flen[nf] = (size_t)(sp - p);
		if (flen[nf] == 0)
			return -EINVAL;
		nf++;
		p = sp + 1;
	}
	if (p <= end || nf < 3)
		return -EINVAL; /* more than 6 fields, or too few */
	/* The checksum covers everything before " CHECK". */
	if (flen[nf - 1] != 8 || !parse_hex32(field[nf - 1], &check) ||
	    check != checksum(line, (size_t)(field[nf - 1] - 1 - line)))
		return -EINVAL;
	if (!parse_decimal(field[1], flen[1], UINT64_MAX, &out->ino) || out->ino == 0)
		return -EINVAL;
	if (nf == 3 && flen[0] == 3 && memcmp(field[0], "del", 3) == 0)
		return 0;
	if (nf != 6 || flen[0] != 3 || memcmp(field[0], "set", 3) != 0)
		return -EINVAL;
	if (!parse_btime(field[2], flen[2], out) || !parse_type(field[3], flen[3], &out->type))
		return -EINVAL;
	if (format_override_decode(field[4], flen[4], &out->ov) < 0)
		return -EINVAL;
	return 1;
}
