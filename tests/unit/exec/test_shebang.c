// SPDX-License-Identifier: MIT
/* shebang_parse against binfmt_script's rules (see runner/exec/shebang.c). */
#include <errno.h>
#include <string.h>

#include "exec-internal.h"
#include "tap.h"

/* Parse `len` bytes (NUL-padded to the buffer size like the kernel's read). */
static int parse(const char *text, size_t len, struct shebang *out)
{
	unsigned char buf[EXEC_BUF_SIZE] = {0};

	memcpy(buf, text, len < sizeof(buf) ? len : sizeof(buf));
	return shebang_parse(buf, out);
}

static void expect(const char *text, size_t len, const char *name, const char *arg,
		   const char *what)
{
	struct shebang sb;
	int r = parse(text, len, &sb);

	is_int(r, 0, "%s: parses", what);
	is_str(sb.name, name, "%s: name", what);
	if (arg) {
		ok(sb.has_arg, "%s: has an argument", what);
		is_str(sb.arg, arg, "%s: argument", what);
	} else {
		ok(!sb.has_arg, "%s: no argument", what);
	}
}

static void expect_enoexec(const char *text, size_t len, const char *what)
{
	struct shebang sb;

	is_int(parse(text, len, &sb), -ENOEXEC, "%s: ENOEXEC", what);
}

#define T(s) s, sizeof(s) - 1

int main(void)
{
	const size_t L = EXEC_BUF_SIZE - 1;
	char line[EXEC_BUF_SIZE + 100];

	expect(T("#!/bin/sh\n"), "/bin/sh", NULL, "plain");
	expect(T("#!/bin/sh"), "/bin/sh", NULL, "no newline, short file");
	expect(T("#! \t/bin/sh\t \n"), "/bin/sh", NULL, "blanks around the name");
	expect(T("#!/bin/sh -e\n"), "/bin/sh", "-e", "one argument");
	expect(T("#!/usr/bin/env python3 -u  \nprint()\n"), "/usr/bin/env", "python3 -u",
	       "the rest of the line is one argument, trailing blanks trimmed");
	expect(T("#!/bin/sh\r\n"), "/bin/sh\r", NULL, "\\r belongs to the name");
	expect(T("#!/bin/sh -e\r\n"), "/bin/sh", "-e\r", "\\r belongs to the argument");
	expect(T("#!/bin/sh\t\t-x\t\n"), "/bin/sh", "-x", "tabs separate");
	expect(T("#!/bin/s\0h -x\n"), "/bin/s", NULL, "a NUL ends the name and drops the argument");
	expect(T("#!/bin/sh -x\0y\n"), "/bin/sh", "-x", "a NUL ends the argument");
	expect(T("#!/bin/sh \0 y\n"), "/bin/sh", "", "blank then NUL: an empty argument");
	expect(T("#!/bin/sh\n -x\n"), "/bin/sh", NULL, "only the first line counts");
	expect(T("#!/bin/sh \n"), "/bin/sh", NULL, "trailing blank before newline");

	expect_enoexec(T("#\n"), "no bang");
	expect_enoexec(T("!#/bin/sh\n"), "reversed");
	expect_enoexec(T("#!\n"), "no interpreter");
	expect_enoexec(T("#!  \t \n/bin/sh\n"), "blank line");
	/* No newline, NUL right after "#!": the kernel takes "" as the name (open_exec: ENOENT). */
	expect(T("#!"), "", NULL, "just #!: empty name");
	expect_enoexec(T(" #!/bin/sh\n"), "leading space");

	/* Lines longer than the buffer (L = EXEC_BUF_SIZE - 1, its last index). */
	memset(line, ' ', sizeof(line));
	memcpy(line, "#!", 2);
	expect_enoexec(line, sizeof(line), "a buffer of blanks, no newline");

	memset(line, 'a', sizeof(line));
	memcpy(line, "#!/", 3);
	expect_enoexec(line, sizeof(line), "name reaching the end of the buffer: truncated");

	memset(line, 'a', sizeof(line));
	memcpy(line, "#!/bin/sh ", 10);
	{
		char want[EXEC_BUF_SIZE];

		/* The argument is cut before the buffer's last byte. */
		memset(want, 'a', L - 10);
		want[L - 10] = '\0';
		expect(line, sizeof(line), "/bin/sh", want,
		       "long argument cut at the buffer's end");
	}

	memset(line, ' ', sizeof(line));
	memcpy(line, "#!/bin/sh", 9);
	expect(line, sizeof(line), "/bin/sh", NULL, "name then blanks past the buffer's end");

	memset(line, 'b', sizeof(line));
	memcpy(line, "#!/", 3);
	line[L] = ' ';
	{
		char want[EXEC_BUF_SIZE];

		/* next_terminator() looks at the last byte too, so the name is not "truncated". */
		memset(want, 'b', L - 2);
		memcpy(want, "/", 1);
		want[L - 2] = '\0';
		expect(line, sizeof(line), want, NULL, "blank only in the last byte ends the name");
	}
	line[L - 1] = ' ';
	{
		char want[EXEC_BUF_SIZE];

		memset(want, 'b', L - 3);
		memcpy(want, "/", 1);
		want[L - 3] = '\0';
		expect(line, sizeof(line), want, NULL, "blank before the last byte ends the name");
	}

	memset(line, 'c', sizeof(line));
	memcpy(line, "#!/x", 4);
	line[100] = '\n';
	{
		char want[EXEC_BUF_SIZE];

		memset(want, 'c', 98);
		memcpy(want, "/x", 2);
		want[98] = '\0';
		expect(line, sizeof(line), want, NULL, "98-byte name with a newline");
	}
	return done_testing();
}
