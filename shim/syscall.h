/* SPDX-License-Identifier: MIT */
/* Raw x86_64 system calls: the result is the kernel's, -errno on failure. */
#ifndef GROOT_SHIM_SYSCALL_H
#define GROOT_SHIM_SYSCALL_H

#include <asm/unistd.h>

static inline long shim_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define shim_syscall(nr, a, b, c) shim_syscall6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static inline int shim_is_error(long ret)
{
	return (unsigned long)ret > -4096UL;
}

#endif
