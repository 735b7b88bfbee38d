// SPDX-License-Identifier: MIT
/* The shim's only way out besides jumping to the program: one line on fd 2, a distinctive status.
 */
#include "shim.h"
#include "syscall.h"

#define SUFFIX " (this is a groot bug)\n"

struct line {
	char text[512];
	size_t len;
};

/* Append, keeping room for the suffix. */
static void append(struct line *line, const char *s)
{
	while (*s && line->len < sizeof(line->text) - sizeof(SUFFIX))
		line->text[line->len++] = *s++;
}

static void append_number(struct line *line, unsigned long value)
{
	char digits[24];
	int n = 0;

	do
		digits[n++] = (char)('0' + value % 10);
	while ((value /= 10) != 0);
	while (n && line->len < sizeof(line->text) - sizeof(SUFFIX))
		line->text[line->len++] = digits[--n];
}

void shim_fail(const char *what, const char *detail, long error)
{
	struct line line = {.len = 0};

	append(&line, "groot-shim: ");
	append(&line, what);
	if (detail) {
		append(&line, ": ");
		append(&line, detail);
	}
	if (error) {
		append(&line, " (error ");
		append_number(&line, (unsigned long)(error < 0 ? -error : error));
		append(&line, ")");
	}
	memcpy(line.text + line.len, SUFFIX, sizeof(SUFFIX) - 1);
	line.len += sizeof(SUFFIX) - 1;
	shim_syscall(__NR_write, 2, line.text, line.len);
	for (;;)
		shim_syscall(__NR_exit_group, GROOT_SHIM_FAILURE_STATUS, 0, 0);
}
