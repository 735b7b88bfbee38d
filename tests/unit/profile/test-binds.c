/* SPDX-License-Identifier: MIT */
/* profile_parse_bind() (the string form, also used for command-line binds), profile_add_bind(). */
#include "helpers.h"
#include "profile.h"
#include "tap.h"

#include <errno.h>

static const struct {
	const char *spec;
	const char *source;
	const char *dest;
	unsigned flags;
} good[] = {
    {"/srv", "/srv", "/srv", 0},
    {"/srv:/data", "/srv", "/data", 0},
    {"/srv:/data:ro", "/srv", "/data", BIND_RO},
    {"/srv:/data:rw", "/srv", "/data", 0},
    {"/srv:/data:ro,try,create,direct", "/srv", "/data",
     BIND_RO | BIND_TRY | BIND_CREATE | BIND_DIRECT},
    {"/tmp/.X11-unix:ro,try", "/tmp/.X11-unix", "/tmp/.X11-unix", BIND_RO | BIND_TRY},
    {"/srv//a/./b/:/x//y/./z/", "/srv/a/b", "/x/y/z", 0},
    {"rel/dir:/d", "/base/rel/dir", "/d", 0},
    {"../up:/d", "/base/../up", "/d", 0},
    {"/srv:/data/", "/srv", "/data", 0},
    {"/proc:/proc:direct", "/proc", "/proc", BIND_DIRECT},
};

static const struct {
	const char *spec;
	const char *message;
} bad[] = {
    {"/a:/b:creat", "cli: bind '/a:/b:creat': unknown option 'creat' (did you mean 'create'?)"},
    {"/a:tyr", "cli: bind '/a:tyr': unknown option 'tyr' (did you mean 'try'?)"},
    {"/a:ro,data",
     "cli: bind '/a:ro,data': unknown option 'data' (options are ro, rw, try, create, "
     "direct)"},
    {"/a:/b:xyzzy",
     "cli: bind '/a:/b:xyzzy': unknown option 'xyzzy' (options are ro, rw, try, create, direct)"},
    {"/a:data", "cli: bind '/a:data': destination 'data' must be an absolute guest path (write "
		"SRC:/DEST)"},
    {"/a:./b", "cli: bind '/a:./b': destination './b' must be an absolute guest path (write "
	       "SRC:/DEST)"},
    {"/a:/b/..", "cli: bind '/a:/b/..': destination '/b/..' must not contain '..' (write "
		 "SRC:/DEST)"},
    {"/a:/..", "cli: bind '/a:/..': destination '/..' must not contain '..' (write SRC:/DEST)"},
    {"/a://", "cli: bind '/a://': destination '//' is the guest root itself (write SRC:/DEST)"},
    {"", "cli: bind '': empty source (write SRC:DST)"},
    {"/a:/b:", "cli: bind '/a:/b:': empty option (write options separated by single commas, "
	       "e.g. ro,try)"},
    {"/a:/b:rw,ro", "cli: bind '/a:/b:rw,ro': options 'ro' and 'rw' contradict each other "
		    "(keep one)"},
    {"/a:/b:c:d", "cli: bind '/a:/b:c:d': too many ':' (for paths holding ':' write {source: "
		  "SRC, dest: DST})"},
};

int main(void)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct profile_error err;
	struct profile *p;
	struct bind b;

	make_test_dir();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = profile_parse_bind(ctx, good[i].spec, "/base", "cli", &b, &err);

		is_int(r, 0, "'%s' parses", good[i].spec);
		if (r < 0) {
			printf("# %s\n", err.message);
			continue;
		}
		is_str(b.source, good[i].source, "'%s': source", good[i].spec);
		is_str(b.dest, good[i].dest, "'%s': dest", good[i].spec);
		is_int(b.flags, good[i].flags, "'%s': flags", good[i].spec);
		is_str(b.origin, "cli", "'%s': origin", good[i].spec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(err.message, sizeof(err.message), "(none)");
		is_int(profile_parse_bind(ctx, bad[i].spec, "/base", "cli", &b, &err), -EINVAL,
		       "'%s' refused", bad[i].spec);
		is_str(err.message, bad[i].message, "'%s': message", bad[i].spec);
	}
	is_int(profile_parse_bind(ctx, "rel", NULL, "cli", &b, &err), 0, "no base: cwd");
	{
		char expected[400];

		snprintf(expected, sizeof(expected), "%s/rel", test_dir);
		is_str(b.source, expected, "relative source against the current directory");
	}

	/* Command-line binds merge into a loaded profile by destination. */
	if (profile_load(
		NULL,
		write_file("p.yaml", "version: 1\nrootfs: {path: /r}\nbinds: [/a:/x, /b:/y]\n"), &p,
		&err) < 0) {
		ok(0, "profile for add_bind: %s", err.message);
		talloc_free(ctx);
		return done_testing();
	}
	profile_parse_bind(ctx, "/c:/y:ro", NULL, "command line", &b, &err);
	is_int(profile_add_bind(p, &b), 0, "add a bind on an existing destination");
	is_int(p->n_binds, 2, "... replaces it");
	is_str(p->binds[1].source, "/c", "... in place");
	is_int(p->binds[1].flags, BIND_RO, "... with its flags");
	is_str(p->binds[1].origin, "command line", "... and its origin");
	is_int(profile_parse_bind(ctx, "/d:/z", NULL, NULL, &b, &err), 0, "NULL origin");
	is_str(b.origin, "command line", "NULL origin is 'command line'");
	b.origin = NULL;
	is_int(profile_add_bind(p, &b), 0, "add a new bind");
	is_int(p->n_binds, 3, "... appended");
	is_str(p->binds[2].origin, "command line", "... origin defaults to 'command line'");
	talloc_free(p);
	talloc_free(ctx);
	return done_testing();
}
