/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for unit tests: ok(cond, fmt...), then done_testing(). */
#ifndef GROOT_TAP_H
#define GROOT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_int(got, expected, ...)                                                                 \
	do {                                                                                       \
		long long g_ = (long long)(got), e_ = (long long)(expected);                       \
		if (!ok(g_ == e_, __VA_ARGS__))                                                    \
			printf("#   got %lld, expected %lld\n", g_, e_);                           \
	} while (0)

#define is_str(got, expected, ...)                                                                 \
	do {                                                                                       \
		const char *g_ = (got), *e_ = (expected);                                          \
		int same_ = (g_ && e_) ? strcmp(g_, e_) == 0 : g_ == e_;                           \
		if (!ok(same_, __VA_ARGS__))                                                       \
			printf("#   got '%s', expected '%s'\n", g_ ? g_ : "(null)",                 \
			       e_ ? e_ : "(null)");                                                \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
