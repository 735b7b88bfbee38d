/* SPDX-License-Identifier: MIT */
/*
 * The load script: what the tracer writes into a freshly exec'd groot-shim
 * and what the shim executes (ARCHITECTURE.md, "execve: the seeds' design").
 * Shared by the runner (runner/exec/loadscript.c builds it) and the shim
 * (shim/ runs it), so: plain fixed-size structures, no pointers into the
 * tracer, only tracee addresses and offsets from the start of the script.
 *
 * Contract with the tracer:
 *  - the kernel execs groot-shim (argv/envp are the guest's final ones);
 *  - at the exit of that execve, the tracer reads rsp (initial_sp, pointing
 *    at argc), writes the script at where = GROOT_SHIM_SCRIPT_AREA (the
 *    shim's last LOADSCRIPT_MAX_SIZE bytes, mapped with it: the stack below
 *    a large argv is not, and only the process itself grows it), sets
 *    rdi = where, rsp = (initial_sp - LOADSCRIPT_STACK_GAP) & ~15 and resumes;
 *  - the shim's own stack grows below that, in the process, as any stack.
 * On any failure the shim prints one line to fd 2 and exit_group()s with
 * GROOT_SHIM_FAILURE_STATUS.
 *
 * Little-endian x86_64 only for now; every field has a fixed size and the
 * structures have no implicit padding (checked below).
 */
#ifndef GROOT_LOADSCRIPT_H
#define GROOT_LOADSCRIPT_H

#include <stdint.h>

#define LOADSCRIPT_MAGIC 0x31534c544f4f5247ULL /* "GROOTLS1" read as a little-endian u64 */
#define LOADSCRIPT_VERSION 3
#define LOADSCRIPT_MAX_SIZE 16384  /* bytes, strings included */
#define LOADSCRIPT_STACK_GAP 256   /* bytes left untouched between the script and initial_sp */
#define LOADSCRIPT_MAX_SEGMENTS 16 /* PT_LOADs per object */
#define LOADSCRIPT_COMM_SIZE 16	   /* TASK_COMM_LEN */

/* Exit status of the shim when it fails: never a guest's doing, always a groot bug. */
#define GROOT_SHIM_FAILURE_STATUS 182

enum loadscript_flag {
	LOADSCRIPT_HAS_INTERP = 1 << 0, /* objects[1] is the program's PT_INTERP */
	LOADSCRIPT_EXEC_STACK = 1 << 1, /* PT_GNU_STACK asked for PF_X */
	/*
	 * A guest debugger traces the process: stop (int3, entry in rdi, the
	 * final stack pointer in rsi) once the program is loaded, so that the
	 * tracer reports the exec with the program in place.
	 */
	LOADSCRIPT_REPORT_START = 1 << 2,
	/* Fake identity: AT_UID, AT_EUID, AT_GID, AT_EGID from ids[] (what getauxval says). */
	LOADSCRIPT_FAKE_IDS = 1 << 3,
	/* A set-id exec of a fake identity: AT_SECURE 1, glibc's secure mode. */
	LOADSCRIPT_SECURE = 1 << 4,
};

enum loadscript_object_flag {
	/*
	 * ET_DYN: the shim places it as the kernel would (shim/brk.c: the
	 * program at ELF_ET_DYN_BASE and random pages; the interpreter, or a
	 * program without one, where the kernel's mmap puts it).
	 */
	LOADSCRIPT_RELOCATABLE = 1 << 0,
};

struct loadscript_segment {
	uint64_t vaddr; /* p_vaddr, without the bias */
	uint64_t memsz;
	uint64_t filesz;
	uint64_t offset; /* p_offset; vaddr and offset are congruent modulo the page size */
	uint32_t prot;	 /* PROT_READ | PROT_WRITE | PROT_EXEC */
	uint32_t reserved;
};

struct loadscript_object {
	uint32_t path_offset; /* NUL-terminated host path, from the start of the script */
	uint32_t flags;	      /* enum loadscript_object_flag */
	uint64_t bias;	      /* load bias: 0 (ET_EXEC: its own addresses; ET_DYN: see above) */
	uint64_t align;	      /* power of two >= the page size, for a relocated ET_DYN */
	uint64_t entry;	      /* e_entry, without the bias */
	uint64_t phdr_vaddr;  /* where the program headers are in memory, without the bias */
	uint32_t phnum;
	uint32_t phent;
	uint32_t n_segments;
	uint32_t reserved;
	struct loadscript_segment segments[LOADSCRIPT_MAX_SEGMENTS];
};

struct loadscript {
	uint64_t magic;		/* LOADSCRIPT_MAGIC */
	uint32_t version;	/* LOADSCRIPT_VERSION */
	uint32_t size;		/* whole script, strings included */
	uint64_t where;		/* the tracee address the script was built for (== rdi) */
	uint64_t initial_sp;	/* the kernel's stack pointer at the shim's entry: argc */
	uint32_t flags;		/* enum loadscript_flag */
	uint32_t execfn_offset; /* NUL-terminated AT_EXECFN string, from the start of the script */
	char comm[LOADSCRIPT_COMM_SIZE]; /* PR_SET_NAME, NUL-terminated */
	uint32_t fast_offset;	/* the fast path's strings (fast.h), from the start; 0 = none */
	uint32_t fast_size;	/* their total size, NULs included */
	uint32_t ids[4];	/* uid, euid, gid, egid, with LOADSCRIPT_FAKE_IDS */
	struct loadscript_object objects[2]; /* [0] program, [1] interpreter if HAS_INTERP */
};

_Static_assert(sizeof(struct loadscript_segment) == 40, "loadscript_segment layout");
_Static_assert(sizeof(struct loadscript_object) == 56 + 16 * 40, "loadscript_object layout");
_Static_assert(sizeof(struct loadscript) % 16 == 0, "loadscript layout");

#endif
