/* SPDX-License-Identifier: MIT */
/*
 * groot-shim internals: freestanding (no libc), raw system calls, all code
 * and data inside [GROOT_SHIM_BASE, GROOT_SHIM_BASE + GROOT_SHIM_SIZE).
 */
#ifndef GROOT_SHIM_H
#define GROOT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "loadscript.h"

#define SHIM_PAGE_SIZE 4096UL
#define SHIM_PAGE_DOWN(x) ((x) & ~(SHIM_PAGE_SIZE - 1))
#define SHIM_PAGE_UP(x) (((x) + SHIM_PAGE_SIZE - 1) & ~(SHIM_PAGE_SIZE - 1))

/* string.c: what the compiler may call even with -fno-builtin. */
void *memcpy(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
size_t strlen(const char *s);

/* fail.c: print "groot-shim: what[: detail] (error N) (this is a groot bug)" and exit. */
__attribute__((noreturn)) void shim_fail(const char *what, const char *detail, long error);

/* load.c: map one object, at bias `want` if it is free (ET_DYN); returns its load bias. */
uint64_t shim_load_object(const struct loadscript *script, const struct loadscript_object *object,
			  uint64_t want);

/* stack.c: patch the kernel's auxv for the loaded program. */
void shim_fix_auxv(uint64_t initial_sp, const struct loadscript *script, uint64_t program_bias,
		   uint64_t interp_bias, const char *execfn);

/*
 * brk.c: the kernel's address-space randomization for this exec (0 none, 1
 * mmap and position-independent programs, 2 the brk too); where
 * load_elf_binary puts a position-independent program; the program's brk
 * after its own bss (PR_SET_MM_MAP).
 */
int shim_randomization(void);
uint64_t shim_program_bias(const struct loadscript *script, int randomization);
void shim_place_brk(const struct loadscript *script, uint64_t bias, int randomization);

/* fast.c: the fast path's environment and data (fast.h); returns the program's stack pointer. */
uint64_t shim_fast_setup(const struct loadscript *script, uint64_t initial_sp);

#endif
