/* SPDX-License-Identifier: MIT */
/* Pieces of runner/exec shared between its files and its unit tests; not an interface. */
#ifndef GROOT_EXEC_INTERNAL_H
#define GROOT_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "config.h"
#include "exec.h"

/* include/uapi/linux/binfmts.h */
#define EXEC_BUF_SIZE 256		/* BINPRM_BUF_SIZE (128 before Linux 5.1) */
#define EXEC_MAX_ARG_STRLEN (32 * 4096) /* MAX_ARG_STRLEN, NUL included */
#define EXEC_PAGE_SIZE 4096UL		/* ELF_MIN_ALIGN on x86_64 */

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
	bool sanitizer_first;  /* a DT_NEEDED AddressSanitizer runtime, which must load first */
};

/*
 * Validate the program like load_elf_binary and fill obj's ELF fields
 * (segments, entry, phdr_vaddr). buf: the first bytes, NUL-padded.
 * Returns 0, -ENOEXEC (not ours or malformed), -EIO (PT_INTERP out of the file).
 */
int elf_parse_program(int fd, const unsigned char buf[EXEC_BUF_SIZE], struct exec_object *obj,
		      struct elf_program_info *info);

/* The header checks elf_parse_program makes on buf alone (magic, e_type, e_machine). */
bool elf_head_is_program(const unsigned char buf[EXEC_BUF_SIZE]);

/* Validate the PT_INTERP object. Returns 0, -ELIBBAD (not a usable ELF), -EIO (short file). */
int elf_parse_interpreter(int fd, struct exec_object *obj);

/* The load bias the shim should ask for, ET_DYN objects only. */

/* cache.c: validated files (see exec_cache_new). */
#define EXEC_CACHE_SIZE 256

/* How a file is used: each role keeps what its handlers read. */
enum exec_role {
	EXEC_ROLE_BINPRM, /* bprm->file: the program, a script, a script's interpreter */
	EXEC_ROLE_INTERP, /* an ELF's PT_INTERP */
};

struct exec_cache_entry;

/* What the slow path learnt about a file, for exec_cache_store. */
struct exec_cache_data {
	const unsigned char *head;	     /* BINPRM: the first EXEC_BUF_SIZE bytes */
	int program_r;			     /* BINPRM: elf_parse_program's result */
	const struct elf_program_info *info; /* BINPRM with program_r == 0 */
	const struct exec_object *elf;	     /* the program (program_r == 0), the interpreter */
};

struct exec_cache_stats {
	unsigned long hits, misses, stores, evictions;
};

/*
 * The entry for the file host_path names (lstat for the last component if
 * nofollow), if one still describes it: then link holds its real path and
 * the file passed every check of open_executable. NULL: do it the slow way.
 */
const struct exec_cache_entry *exec_cache_open(struct exec_cache *cache, enum exec_role role,
					       const char *host_path, bool nofollow,
					       char link[PATH_MAX]);

/* Copy an entry out; head, program_r and info are for EXEC_ROLE_BINPRM (else may be NULL). */
void exec_cache_restore(const struct exec_cache_entry *entry, unsigned char *head, int *program_r,
			struct elf_program_info *info, struct exec_object *elf);

/* Remember a file the slow path validated; st is its fstat, link its fd_link. */
void exec_cache_store(struct exec_cache *cache, enum exec_role role, const char *link,
		      const struct stat *st, const struct exec_cache_data *data);

/* ST_NOEXEC of fd's mount, remembered per mount: 1, 0 or -errno. */
int exec_cache_noexec(struct exec_cache *cache, int fd);

/* generic_permission's owner/group/other check for MAY_EXEC; false = ask the kernel. */
bool exec_cache_may_exec(const struct exec_cache *cache, const struct stat *st);

const struct exec_cache_stats *exec_cache_get_stats(const struct exec_cache *cache);

#endif
