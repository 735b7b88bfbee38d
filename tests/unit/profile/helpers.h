/* SPDX-License-Identifier: MIT */
/* Shared by the profile unit tests: a private temporary directory and files written into it. */
#ifndef GROOT_TEST_PROFILE_HELPERS_H
#define GROOT_TEST_PROFILE_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char test_dir[256];

static inline int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void remove_test_dir(void)
{
	if (test_dir[0])
		nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Make the directory, chdir into it (so ./NAME.yaml lookups see only what a test writes) and
 * point $XDG_CONFIG_HOME inside it. */
static inline void make_test_dir(void)
{
	char config[320];

	snprintf(test_dir, sizeof(test_dir), "/tmp/groot-profile-test-XXXXXX");
	if (!mkdtemp(test_dir) || chdir(test_dir) < 0 || !getcwd(test_dir, sizeof(test_dir))) {
		perror("test directory");
		exit(99);
	}
	atexit(remove_test_dir);
	snprintf(config, sizeof(config), "%s/config", test_dir);
	setenv("XDG_CONFIG_HOME", config, 1);
}

/* Write CONTENT to test_dir/NAME (subdirectories created); returns a static path buffer
 * (one of 8, reused round-robin). */
static inline const char *write_file(const char *name, const char *content)
{
	static char paths[8][512];
	static unsigned next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, 512, "%s/%s", test_dir, name);
	for (char *slash = strchr(path + strlen(test_dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
	return path;
}

/* TEMPLATE with every "@D" replaced by test_dir and "@S" by the stock profile directory, into a
 * static buffer. */
static inline const char *with_dir(const char *template)
{
	static char out[2048];
	size_t o = 0, dl = strlen(test_dir), sl = strlen(GROOT_SOURCE_PROFILEDIR);

	for (const char *t = template; *t && o + dl + sl + 1 < sizeof(out); t++) {
		if (t[0] == '@' && t[1] == 'D') {
			memcpy(out + o, test_dir, dl);
			o += dl;
			t++;
		} else if (t[0] == '@' && t[1] == 'S') {
			memcpy(out + o, GROOT_SOURCE_PROFILEDIR, sl);
			o += sl;
			t++;
		} else {
			out[o++] = *t;
		}
	}
	out[o] = '\0';
	return out;
}

#endif
