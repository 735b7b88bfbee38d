// SPDX-License-Identifier: MIT
/*
 * "#!" lines, parsed exactly like fs/binfmt_script.c's load_script (Linux
 * 5.0 and later): the buffer is the first BINPRM_BUF_SIZE bytes of the file,
 * NUL-padded when the file is shorter.
 *  - Only spaces and tabs separate; "\r" and every other byte belong to the
 *    interpreter name or the argument ("#!/bin/sh\r" names "/bin/sh\r").
 *  - Everything after the name, trailing blanks trimmed, is ONE argument,
 *    inner blanks included.
 *  - Without a newline in the buffer the line may be truncated: that is
 *    fine for the argument (the interpreter rereads the script) but a name
 *    that reaches the end of the buffer would be truncated, so ENOEXEC. The
 *    last byte of the buffer is never part of the line either (the kernel
 *    turns it into the terminating NUL).
 *  - A NUL byte ends the name (and then there is no argument) or the argument.
 */
#include <errno.h>
#include <string.h>

#include "exec-internal.h"

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* First index in [from, last] that is not a blank, or last + 1. */
static size_t skip_blanks(const unsigned char *buf, size_t from, size_t last)
{
	while (from <= last && is_blank(buf[from]))
		from++;
	return from;
}

/* First index in [from, last] holding a blank or a NUL (a "terminator"), or last + 1. */
static size_t find_terminator(const unsigned char *buf, size_t from, size_t last)
{
	while (from <= last && !is_blank(buf[from]) && buf[from] != '\0')
		from++;
	return from;
}

int shebang_parse(const unsigned char buf[EXEC_BUF_SIZE], struct shebang *out)
{
	const size_t buf_last = EXEC_BUF_SIZE - 1;
	unsigned char line[EXEC_BUF_SIZE];
	const unsigned char *newline;
	size_t end, name, sep, arg;

	memset(out, 0, sizeof(*out));
	if (buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;

	newline = memchr(buf, '\n', EXEC_BUF_SIZE);
	if (newline) {
		end = (size_t)(newline - buf);
	} else {
		/* No newline: refuse a name that may have been cut by the buffer's end. */
		size_t first = skip_blanks(buf, 2, buf_last);

		if (first > buf_last)
			return -ENOEXEC; /* the whole buffer is blanks */
		if (find_terminator(buf, first, buf_last) > buf_last)
			return -ENOEXEC;
		end = buf_last;
	}
	/* Trim trailing blanks; buf[1] is '!', so this stops at 2 at the latest. */
	while (is_blank(buf[end - 1]))
		end--;

	name = skip_blanks(buf, 2, end);
	if (name >= end)
		return -ENOEXEC; /* no interpreter name */

	/* An argument exists if a blank (not a NUL) follows the name and a non-blank follows it. */
	arg = 0;
	sep = find_terminator(buf, name, end);
	if (sep <= end && buf[sep] != '\0') {
		arg = skip_blanks(buf, sep, end);
		if (arg > end)
			arg = 0;
	}

	/*
	 * The kernel NUL-terminates in place: at the line's end, and after the
	 * name if an argument follows.
	 */
	memcpy(line, buf, EXEC_BUF_SIZE);
	line[end] = '\0';
	if (arg)
		line[sep] = '\0';
	strcpy(out->name, (const char *)line + name);
	if (arg) {
		strcpy(out->arg, (const char *)line + arg);
		out->has_arg = true;
	}
	return 0;
}
