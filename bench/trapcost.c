/* SPDX-License-Identifier: MIT */
/*
 * trapcost: the cost of one syscall, per kind of syscall, in whatever runs
 * it (native chroot, groot, PRoot, or the view mounted on the host). The
 * difference between runners is the price of a trap; bench/trapcost.sh runs
 * it everywhere and prints the table.
 *
 * Usage: trapcost [-n N] [-c CHROOT] [-p PREFIX] [-f FILE] [TEST...]
 *   -n N        calls per test (default 20000)
 *   -c CHROOT   chroot(2) into CHROOT first (native baseline, needs root)
 *   -p PREFIX   put PREFIX in front of absolute guest paths (the view's
 *               mountpoint, to time FUSE without the tracer)
 *   -f FILE     the guest file to stat and open (default /usr/bin/ls)
 *
 * Syscalls are issued with syscall(2), so the numbers do not depend on which
 * syscall the C library picks for stat() or fstat().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct context {
	char file[PATH_MAX];      /* absolute, prefixed */
	char missing[PATH_MAX];   /* absolute, prefixed, does not exist */
	char directory[PATH_MAX]; /* the file's directory, prefixed */
	const char *base;         /* the file's last component */
	int dirfd;
	int fd;
};

typedef long (*test_fn)(struct context *c);

static long test_getppid(struct context *c)
{
	(void)c;
	return syscall(SYS_getppid);
}

static long test_fstat(struct context *c)
{
	struct stat st;

	return syscall(SYS_fstat, c->fd, &st);
}

/* What glibc >= 2.33 makes of fstat(): newfstatat(fd, "", AT_EMPTY_PATH). */
static long test_fstat_empty(struct context *c)
{
	struct stat st;

	return syscall(SYS_newfstatat, c->fd, "", &st, AT_EMPTY_PATH);
}

static long test_stat_abs(struct context *c)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, c->file, &st, 0);
}

static long test_stat_missing(struct context *c)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, c->missing, &st, 0) < 0 ? 0 : -1;
}

static long test_stat_rel(struct context *c)
{
	struct stat st;

	return syscall(SYS_newfstatat, c->dirfd, c->base, &st, AT_SYMLINK_NOFOLLOW);
}

static long test_stat_direct(struct context *c)
{
	struct stat st;

	(void)c;
	return syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &st, 0);
}

static long test_open_abs(struct context *c)
{
	long fd = syscall(SYS_openat, AT_FDCWD, c->file, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		syscall(SYS_close, fd);
	return fd < 0 ? -1 : 0;
}

static long test_open_rel(struct context *c)
{
	long fd = syscall(SYS_openat, c->dirfd, c->base, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		syscall(SYS_close, fd);
	return fd < 0 ? -1 : 0;
}

static const struct {
	const char *name;
	test_fn fn;
	const char *what;
} tests[] = {
	{"getppid", test_getppid, "not in the filter"},
	{"fstat", test_fstat, "fstat(fd): not in the filter"},
	{"fstat-empty", test_fstat_empty, "newfstatat(fd, \"\", AT_EMPTY_PATH)"},
	{"stat-abs", test_stat_abs, "newfstatat(AT_FDCWD, \"/abs\")"},
	{"stat-missing", test_stat_missing, "newfstatat of an absent /abs (ENOENT)"},
	{"stat-rel", test_stat_rel, "newfstatat(dirfd, \"name\")"},
	{"stat-direct", test_stat_direct, "newfstatat(\"/dev/null\"): a direct bind"},
	{"open-abs", test_open_abs, "openat(\"/abs\") + close"},
	{"open-rel", test_open_rel, "openat(dirfd, \"name\") + close"},
};

#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_test(size_t index, struct context *c, long n)
{
	double start;

	for (long i = 0; i < n / 10 + 1; i++) /* warm the caches (dcache, FUSE attrs) */
		if (tests[index].fn(c) < 0) {
			fprintf(stderr, "trapcost: %s: %s\n", tests[index].name, strerror(errno));
			return -1;
		}
	start = now();
	for (long i = 0; i < n; i++)
		tests[index].fn(c);
	printf("%-13s %9.3f  %s\n", tests[index].name, (now() - start) * 1e6 / (double)n,
	       tests[index].what);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: trapcost [-n N] [-c CHROOT] [-p PREFIX] [-f FILE] [TEST...]\n"
			"tests:");
	for (size_t i = 0; i < N_TESTS; i++)
		fprintf(stderr, " %s", tests[i].name);
	fputc('\n', stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *prefix = "", *file = "/usr/bin/ls";
	struct context c;
	long n = 20000;
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "n:c:p:f:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'c':
			root = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			return usage();
		}
	}
	if (n <= 0 || file[0] != '/' || !strrchr(file, '/')[1])
		return usage();
	if (root && (chroot(root) < 0 || chdir("/") < 0)) {
		fprintf(stderr, "trapcost: chroot %s: %s\n", root, strerror(errno));
		return 1;
	}
	snprintf(c.file, sizeof(c.file), "%s%s", prefix, file);
	snprintf(c.missing, sizeof(c.missing), "%s%s.trapcost-missing", prefix, file);
	snprintf(c.directory, sizeof(c.directory), "%s%.*s/", prefix,
		 (int)(strrchr(file, '/') - file), file);
	c.base = strrchr(file, '/') + 1;
	c.dirfd = open(c.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c.fd = open(c.file, O_RDONLY | O_CLOEXEC);
	if (c.dirfd < 0 || c.fd < 0) {
		fprintf(stderr, "trapcost: %s: %s\n", c.file, strerror(errno));
		return 1;
	}
	printf("# %ld calls each, µs per call\n", n);
	for (size_t i = 0; i < N_TESTS; i++) {
		bool wanted = optind == argc;
		for (int a = optind; a < argc; a++)
			wanted = wanted || !strcmp(argv[a], tests[i].name);
		if (wanted && run_test(i, &c, n) < 0)
			status = 1;
	}
	return status;
}
