/* SPDX-License-Identifier: MIT */
/*
 * execve emulation, tracer-independent part (ARCHITECTURE.md, "execve: the
 * seeds' design"). Given what a tracee asked to execute, do against the view
 * what the kernel's exec path would do and produce a plan: how argv changes
 * (shebang), which ELF and PT_INTERP the loader-shim must map, and the errno
 * the guest must see when the kernel would have refused.
 *
 * The tracer (runner/tracer) reads the request out of the tracee, calls
 * exec_prepare() at syscall-enter, rewrites the path to the shim and argv as
 * planned, and at syscall-exit writes exec_build_load_script()'s bytes to the
 * new stack. Nothing here touches a tracee.
 */
#ifndef GROOT_EXEC_H
#define GROOT_EXEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <talloc.h>

struct interpreter; /* profiles/profile.h: binfmt_misc-like table */
struct exec_cache;  /* validated files, see exec_cache_new */

struct exec_request {
	int dirfd;        /* AT_FDCWD, or execveat's dirfd (a guest fd number) */
	const char *path; /* the guest path as passed (may be "" with AT_EMPTY_PATH) */
	int flags;        /* execveat flags: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW */
	int argc;         /* number of strings in the guest's argv (may be 0) */
	bool dirfd_cloexec; /* dirfd has FD_CLOEXEC (kernel: BINPRM_FLAGS_PATH_INACCESSIBLE) */
};

/* What the tracer provides: how guest paths become paths the tracer can open. */
struct exec_host {
	/*
	 * Resolve a guest path, relative to guest dirfd (AT_FDCWD = the tracee's
	 * cwd), to a host path usable by open(2) in the tracer process.
	 * flags: AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW as for execveat.
	 * Returns 0 or -errno (ENAMETOOLONG, ENOENT for an empty path, ...).
	 */
	int (*resolve)(void *opaque, int dirfd, const char *guest_path, int flags, char *host,
		       size_t size);
	/* Inverse: host path (e.g. from realpath) to the guest's view of it. */
	int (*detranslate)(void *opaque, const char *host_path, char *guest, size_t size);
	void *opaque;
	const struct interpreter *interpreters; /* may be NULL */
	size_t n_interpreters;
	struct exec_cache *cache; /* may be NULL: every exec opens and reads its files */
};

/*
 * A cache of files exec_prepare validated (the program or interpreter's
 * head and ELF parse, the mount's noexec flag), freed with ctx. Keep one
 * per tracer process: it relies on the tracer's credentials being the
 * tracees'. A repeated exec of an unchanged file then costs stat, lstat and
 * readlink only, which the kernel answers from its caches, instead of
 * open, read, statfs and access requests to the view. NULL on ENOMEM.
 */
struct exec_cache *exec_cache_new(TALLOC_CTX *ctx);

#define EXEC_MAX_PREFIX 16

/* One mapped ELF object (the program or its interpreter) as the shim will load it. */
struct exec_object {
	char host_path[PATH_MAX]; /* what the shim opens (untraced, so a host path) */
	/* Filled by the ELF reader; the load script is built from these. */
	uint16_t e_type;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint16_t e_phnum;
	uint16_t e_phentsize;
	uint64_t phdr_vaddr;	  /* vaddr of the program headers in memory, 0 if not mapped */
	uint64_t max_align;       /* largest power-of-two PT_LOAD p_align, >= the page size */
	size_t n_segments;
	struct exec_segment {
		uint64_t vaddr, memsz, filesz, offset;
		uint32_t prot;        /* PROT_* */
	} segments[16];
};

struct exec_plan {
	/* argv the new program sees: prefix[0..n_prefix) then guest argv[skip_argv..]. */
	const char *prefix[EXEC_MAX_PREFIX];
	int n_prefix;
	int skip_argv;
	char execfn[PATH_MAX];   /* AT_EXECFN and comm source: bprm->filename (guest view) */
	char exe_guest[PATH_MAX]; /* what /proc/self/exe must show: the final ELF, resolved */
	char comm[16];           /* the task name the kernel would set (TASK_COMM_LEN) */
	bool report_start;
	bool fake_ids;           /* LOADSCRIPT_FAKE_IDS: ids[] for the auxv */
	bool secure;             /* LOADSCRIPT_SECURE: AT_SECURE 1 (a set-id exec) */
	unsigned int ids[4];     /* uid, euid, gid, egid */       /* LOADSCRIPT_REPORT_START: a guest debugger waits for the exec */
	bool executable_stack;   /* PT_GNU_STACK with PF_X (absent = not executable on x86_64) */
	bool has_interp;
	bool sanitizer_first; /* AddressSanitizer's runtime must be its first library */
	/* A set-user-ID / set-group-ID program (fake identity: its owner and mode in the view). */
	bool set_uid, set_gid;
	unsigned int file_uid, file_gid;
	struct exec_object program;
	struct exec_object interp;
	/* The fast path's strings for the load script (shim/fast.h), not owned; NULL = none. */
	const char *fast_strings;
	size_t fast_size;
};

/*
 * The kernel's do_execveat_common + search_binary_handler, against the view.
 * Returns 0 with *plan allocated on ctx, or -errno exactly as the kernel
 * would fail (ENOENT, EACCES, ENOEXEC, ELIBBAD, ELOOP, ENAMETOOLONG, ENOTDIR...).
 */
int exec_prepare(TALLOC_CTX *ctx, const struct exec_request *request,
		 const struct exec_host *host, struct exec_plan **plan);

/*
 * Serialise the load script (shim/loadscript.h) for placement at tracee
 * address `where`; `initial_sp` is the stack pointer the kernel gave the shim
 * (pointing at argc). Returns the number of bytes written to buf, or -errno
 * (-ENOSPC if size is too small).
 */
ssize_t exec_build_load_script(const struct exec_plan *plan, uint64_t where, uint64_t initial_sp,
			       void *buf, size_t size);

#endif
