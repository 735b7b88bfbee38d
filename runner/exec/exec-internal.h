/* SPDX-License-Identifier: MIT */
/* Pieces of runner/exec shared between its files and its unit tests; not an interface. */
#ifndef GROOT_EXEC_INTERNAL_H
#define GROOT_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

/* include/uapi/linux/binfmts.h */
#define EXEC_BUF_SIZE 256		/* BINPRM_BUF_SIZE (128 before Linux 5.1) */
#define EXEC_MAX_ARG_STRLEN (32 * 4096) /* MAX_ARG_STRLEN, NUL included */
#define EXEC_PAGE_SIZE 4096UL		/* ELF_MIN_ALIGN on x86_64 */

/* Where the loader-shim puts ET_DYN objects (see docs/exec.md, "Address space"). */
#define EXEC_PROGRAM_DYN_BASE 0x555555554aaaUL /* ELF_ET_DYN_BASE: 2/3 of the 47-bit space */
#define EXEC_INTERP_DYN_BASE 0x7e0000000000UL  /* below any mmap_base, far above the shim */

/* A parsed "#!" line: interpreter name and at most one argument (binfmt_script). */
struct shebang {
	char name[EXEC_BUF_SIZE];
	char arg[EXEC_BUF_SIZE];
	bool has_arg;
};

/* buf: the first EXEC_BUF_SIZE bytes of the file, NUL-padded. 0 or -ENOEXEC. */
int shebang_parse(const unsigned char buf[EXEC_BUF_SIZE], struct shebang *out);

/* What load_elf_binary learns from the program before its point of no return. */
struct elf_program_info {
	bool has_interp;
	char interp[PATH_MAX]; /* PT_INTERP, as a C string */
	bool executable_stack; /* PT_GNU_STACK has PF_X */
};

/*
 * Validate the program like load_elf_binary and fill obj's ELF fields
 * (segments, entry, phdr_vaddr; load_bias 0). buf: the first bytes, NUL-padded.
 * Returns 0, -ENOEXEC (not ours or malformed), -EIO (PT_INTERP out of the file).
 */
int elf_parse_program(int fd, const unsigned char buf[EXEC_BUF_SIZE], struct exec_object *obj,
		      struct elf_program_info *info);

/* Validate the PT_INTERP object. Returns 0, -ELIBBAD (not a usable ELF), -EIO (short file). */
int elf_parse_interpreter(int fd, struct exec_object *obj);

/* The load bias the shim should ask for, ET_DYN objects only. */
uint64_t elf_choose_bias(const struct exec_object *obj, uint64_t base);

#endif
