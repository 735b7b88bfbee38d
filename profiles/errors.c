/* SPDX-License-Identifier: MIT */
/* Error messages: "FILE:LINE:COL: what is wrong (what to do)", and "did you mean" suggestions. */
#include "profile-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void format_message(struct profile_error *err, const char *prefix, const char *fmt,
			   va_list ap)
{
	size_t n;

	n = (size_t)snprintf(err->message, sizeof(err->message), "%s", prefix);
	if (n >= sizeof(err->message))
		return;
	vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
}

int profile_fail_at(struct profile_error *err, const char *file, unsigned line, unsigned col,
		    const char *fmt, ...)
{
	char prefix[512];
	va_list ap;

	if (!err)
		return -EINVAL;
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", file, line, col);
	va_start(ap, fmt);
	format_message(err, prefix, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int profile_fail(struct profile_error *err, const struct ynode *at, const char *fmt, ...)
{
	char prefix[512];
	va_list ap;

	if (!err)
		return -EINVAL;
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", at->file, at->line, at->col);
	va_start(ap, fmt);
	format_message(err, prefix, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int profile_fail_errno(struct profile_error *err, int error, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		format_message(err, "", fmt, ap);
		va_end(ap);
	}
	return -error;
}

/* Optimal string alignment distance: Levenshtein plus adjacent transpositions ("bidns"). */
unsigned profile_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned rows[3][64];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la >= 63 || lb >= 63)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *t;

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned best = prev[j] + 1;

			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* The candidate close enough to be a typo of WORD, or NULL. */
const char *profile_closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	unsigned best_distance = 1000;
	size_t len = strlen(word);
	/* One edit for short words, two from five letters on: "ro" must not suggest "rw". */
	unsigned limit = len < 5 ? 1 : 2;

	for (size_t i = 0; candidates[i]; i++) {
		unsigned d;

		if (strcasecmp(word, candidates[i]) == 0)
			return candidates[i];
		d = profile_edit_distance(word, candidates[i]);
		if (d < best_distance) {
			best_distance = d;
			best = candidates[i];
		}
	}
	return best_distance <= limit && best_distance < len ? best : NULL;
}
