/* SPDX-License-Identifier: MIT */
/* The --in-place side store: its record lines, and loading, appending, compacting its log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../../fuse/sidestore.h"
#include "log.h"
#include "tap.h"

static struct side_entry entry(uint64_t ino, uid_t uid, mode_t mode)
{
	struct side_entry e = {.ino = ino,
			       .type = S_IFREG,
			       .has_btime = true,
			       .btime_sec = 1700000000,
			       .btime_nsec = 42};

	e.ov.uid = uid;
	e.ov.gid = uid + 1;
	e.ov.mode = mode;
	return e;
}

static bool same_entry(const struct side_entry *a, const struct side_entry *b)
{
	return a->ino == b->ino && a->type == b->type && a->has_btime == b->has_btime &&
	       (!a->has_btime ||
		(a->btime_sec == b->btime_sec && a->btime_nsec == b->btime_nsec)) &&
	       a->ov.uid == b->ov.uid && a->ov.gid == b->ov.gid && a->ov.mode == b->ov.mode &&
	       a->ov.has_type == b->ov.has_type && a->ov.rdev == b->ov.rdev;
}

/* Decode a line as it appears in the file (the caller strips the newline). */
static int decode(const char *line, struct side_entry *out)
{
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\n')
		n--;
	return side_record_decode(line, n, out);
}

static void test_records(void)
{
	struct side_entry e = entry(12345, 0, 0640), d, dev;
	char line[SIDE_RECORD_MAX], bad[SIDE_RECORD_MAX];
	int n;

	n = side_record_encode_set(&e, line, sizeof(line));
	ok(n > 0 && line[n - 1] == '\n', "a set record is one line");
	is_str(strtok(strcpy(bad, line), "\n"),
	       "set 12345 1700000000.000000042 file 0:1:0640 fc3f66b9", /* FNV-1a 32 */
	       "set record text");
	is_int(decode(line, &d), 1, "decodes as a set record");
	ok(same_entry(&e, &d), "round trip keeps every field");

	e.has_btime = false;
	e.type = S_IFLNK;
	side_record_encode_set(&e, line, sizeof(line));
	ok(strstr(line, "set 12345 - symlink ") == line, "no birth time: '-'");
	ok(decode(line, &d) == 1 && same_entry(&e, &d), "round trip without birth time");

	dev = entry(7, 0, 0660);
	dev.ov.mode |= S_IFBLK;
	dev.ov.has_type = true;
	dev.ov.rdev = makedev(8, 1);
	side_record_encode_set(&dev, line, sizeof(line));
	ok(strstr(line, " file 0:1:0660:block-8-1 ") != NULL, "a recorded device: real type file");
	ok(decode(line, &d) == 1 && same_entry(&dev, &d), "round trip of a recorded device");

	n = side_record_encode_del(99, line, sizeof(line));
	ok(n > 0 && strncmp(line, "del 99 ", 7) == 0, "delete record text");
	ok(decode(line, &d) == 0 && d.ino == 99, "decodes as a delete of 99");

	is_int(side_record_encode_set(&e, line, 20), -ENAMETOOLONG, "small buffer refused");
	is_int(side_record_encode_del(0, line, sizeof(line)), -EINVAL, "inode 0 refused");
	e.type = 0;
	is_int(side_record_encode_set(&e, line, sizeof(line)), -EINVAL,
	       "unknown real type refused");

	/* Anything garbled is refused, above all a bit flip the checksum catches. */
	e = entry(12345, 0, 0640);
	side_record_encode_set(&e, line, sizeof(line));
	strcpy(bad, line);
	bad[4] = '2';
	is_int(decode(bad, &d), -EINVAL, "changed inode number: checksum mismatch");
	strcpy(bad, line);
	strcpy(bad + strlen(bad) - 9, "ffffffff");
	is_int(decode(bad, &d), -EINVAL, "wrong checksum");
	static const char *const garbage[] = {
	    "",
	    "set",
	    "del 5",
	    "hello world 00000000",
	    "set  12345 - file 0:0:0644 00000000",
	    "set 12345 - file 0:0:0644 extra 00000000",
	    "del 0 00000000",
	    "\x01\x02\x03",
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		is_int(decode(garbage[i], &d), -EINVAL, "garbage line %zu refused", i);
}

/* A scratch directory standing for a rootfs. */
static char root[64];

static int root_fd(void)
{
	return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static char *store_path(void)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/" SIDE_STORE_DIR "/" SIDE_STORE_FILE, root);
	return path;
}

static void write_store(const char *content)
{
	char dir[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/" SIDE_STORE_DIR, root);
	mkdir(dir, 0700);
	f = fopen(store_path(), "w");
	fputs(content, f);
	fclose(f);
}

static char *read_store(void)
{
	static char buf[1 << 16];
	FILE *f = fopen(store_path(), "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void line_of(const struct side_entry *e, char *buf)
{
	side_record_encode_set(e, buf, SIDE_RECORD_MAX);
}

static void test_load(void)
{
	struct side_entry a = entry(10, 5, 0600), a2 = entry(10, 6, 0644), b = entry(11, 7, 0755),
			  d;
	char la[SIDE_RECORD_MAX], la2[SIDE_RECORD_MAX], lb[SIDE_RECORD_MAX], del[SIDE_RECORD_MAX];
	char content[4096];
	struct side_store *s;
	int fd = root_fd();

	side_store_open(fd, root, 1, false, &s);
	ok(s == NULL, "read only, no file: no store");
	side_store_open(fd, root, 1, true, &s);
	ok(s != NULL && side_store_live(s) == 0, "writable, no file: an empty store");
	ok(access(store_path(), F_OK) < 0, "the file is made by the first write, not by opening");
	side_store_close(s);

	line_of(&a, la);
	line_of(&a2, la2);
	line_of(&b, lb);
	side_record_encode_del(11, del, sizeof(del));
	/* The last record of an inode wins; a bad line is skipped; a torn tail ignored. */
	snprintf(content, sizeof(content), "%s%s%sgarbage\n%s%sset 12 - fi", SIDE_STORE_HEADER, la,
		 lb, la2, del);
	write_store(content);
	side_store_open(fd, root, 1, false, &s);
	ok(s != NULL, "read only: loaded");
	ok(side_store_get(s, 10, &d) && same_entry(&d, &a2), "the later record of inode 10 wins");
	ok(!side_store_has(s, 11), "inode 11 was deleted");
	ok(!side_store_has(s, 12), "the torn record is ignored");
	is_int(side_store_live(s), 1, "one live entry");
	is_int(side_store_records(s), 5, "five complete records");
	is_int(side_store_put(s, &b), -EROFS, "a read-only store takes no records");
	side_store_close(s);
	is_str(read_store(), content, "a read-only open changes nothing");

	/* Writable, alone: the torn tail goes, appends follow on a line of their own. */
	side_store_open(fd, root, 1, true, &s);
	ok(s != NULL, "writable: loaded");
	is_int(side_store_put(s, &b), 0, "put");
	is_int(side_store_drop(s, 10), 0, "drop");
	is_int(side_store_drop(s, 10), 0, "drop of nothing");
	side_store_close(s);
	side_store_open(fd, root, 1, false, &s);
	ok(s && side_store_get(s, 11, &d) && same_entry(&d, &b), "reopened: the put is there");
	ok(s && !side_store_has(s, 10), "reopened: the drop too");
	is_int(s ? side_store_records(s) : 0, 7, "two records appended, none for a no-op drop");
	side_store_close(s);
	ok(strstr(read_store(), "set 12 - fi") == NULL, "the torn tail was cut");

	/* Not a store at all: reported, never used, never overwritten. */
	write_store("#!/bin/sh\necho not ours\n");
	side_store_open(fd, root, 1, true, &s);
	ok(s == NULL, "a file without the header is refused");
	is_str(read_store(), "#!/bin/sh\necho not ours\n", "and left alone");

	/* Crash between creating the file and writing the header. */
	write_store("groot-meta");
	side_store_open(fd, root, 1, true, &s);
	ok(s != NULL, "a torn header is an empty store");
	is_int(s ? side_store_put(s, &a) : -1, 0, "put into it");
	side_store_close(s);
	snprintf(content, sizeof(content), "%s%s", SIDE_STORE_HEADER, la);
	is_str(read_store(), content, "header rewritten, then the record");
	close(fd);
}

static void test_compaction(void)
{
	struct side_store *s;
	struct side_entry e, d;
	int fd = root_fd();
	size_t lines = 0;
	char *p;

	write_store("");
	side_store_open(fd, root, 1, true, &s);
	for (unsigned i = 0; i < 1000; i++) {
		e = entry(100 + i % 10, i, 0644);
		side_store_put(s, &e);
	}
	is_int(side_store_live(s), 10, "10 live entries");
	is_int(side_store_records(s), 1000, "1000 records");
	side_store_close(s); /* compacts: well beyond 2 x live + slack */
	for (p = read_store(); *p; p++)
		lines += *p == '\n';
	is_int(lines, 11, "compacted at close: header and one line per entry");
	side_store_open(fd, root, 1, true, &s);
	ok(side_store_get(s, 109, &d) && d.ov.uid == 999, "the last value survived compaction");
	ok(side_store_get(s, 100, &d) && d.ov.uid == 990, "and for every inode");
	is_int(side_store_records(s), 10, "10 records after compaction");
	side_store_close(s);
	close(fd);
}

int main(void)
{
	char cmd[128];

	/* The refusals below are expected and logged to stderr: TAP is on stdout. */
	strcpy(root, "/tmp/groot-sidestore-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_records();
	test_load();
	test_compaction();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
