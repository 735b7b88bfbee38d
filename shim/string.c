// SPDX-License-Identifier: MIT
/* The few libc string functions the shim (and the compiler, for struct copies) needs. */
#include "shim.h"

void *memcpy(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dest;
}

void *memset(void *dest, int c, size_t n)
{
	/* volatile: keep the compiler from turning this loop into a call to memset itself. */
	volatile unsigned char *d = dest;

	while (n--)
		*d++ = (unsigned char)c;
	return dest;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
