/* SPDX-License-Identifier: MIT */
/* Bind specs from the command line: SRC[:DST][:OPTS]. */
#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "bindspec.h"
#include "tap.h"

static void good(const char *spec, const char *source, const char *dest, unsigned flags)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct bind b;
	char message[256] = "";
	int r = parse_bind_spec(ctx, spec, "test", &b, message, sizeof(message));

	is_int(r, 0, "'%s' parses", spec);
	if (r == 0) {
		is_str(b.source, source, "'%s' source", spec);
		is_str(b.dest, dest, "'%s' dest", spec);
		is_int(b.flags, flags, "'%s' flags", spec);
	}
	talloc_free(ctx);
}

static void bad(const char *spec, const char *message_part)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct bind b;
	char message[256] = "";

	is_int(parse_bind_spec(ctx, spec, "test", &b, message, sizeof(message)), -EINVAL,
	       "'%s' is refused", spec);
	ok(strstr(message, message_part) != NULL, "'%s': message '%s' mentions '%s'", spec, message,
	   message_part);
	talloc_free(ctx);
}

int main(void)
{
	good("/tmp", "/tmp", "/tmp", 0);
	good("/tmp:/guest", "/tmp", "/guest", 0);
	good("/tmp:/guest:ro", "/tmp", "/guest", BIND_RO);
	good("/tmp:ro,try", "/tmp", "/tmp", BIND_RO | BIND_TRY);
	good("/a:/b//c/:direct,create", "/a", "/b/c", BIND_DIRECT | BIND_CREATE);
	good("/a:/b:ro,rw", "/a", "/b", 0);
	bad("", "empty source");
	bad("/a:relative", "absolute");
	bad("/a:/b:bogus", "unknown bind option 'bogus'");
	bad("/a:/b:ro:x", "too many");
	return done_testing();
}
