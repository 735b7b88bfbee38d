/* SPDX-License-Identifier: MIT */
/*
 * The fast path (ARCHITECTURE.md, "Planned fast path"): prefix-only path
 * syscalls made through libc never reach the tracer.
 *
 * A ptrace trap costs a round trip to the tracer (two context switches,
 * 20-30 µs on these machines against 1-2 µs for a native stat). A SIGSYS
 * handler in the tracee would not help: every signal delivered to a
 * ptraced process stops in the tracer first (signal-delivery-stop). So the
 * work moves into the tracee without a signal:
 *
 *  - for a program whose interpreter is glibc's ld.so, the shim adds
 *    `LD_PRELOAD=<groot-fast.so>` to the environment it hands ld.so (after
 *    the guest's own LD_PRELOAD entries, so their interposers still see
 *    ours as "next"), and keeps a struct groot_fast in its own data;
 *  - groot-fast.so interposes libc's path functions (stat, open, readlink,
 *    realpath...): a path that is a plain prefix case (absolute, no "..",
 *    not under a direct bind; or relative without "..") is prefixed in the
 *    process and the syscall issued through groot_gate(), which lies in the
 *    shim's range, where the seccomp filter lets syscalls through; a lookup
 *    (stat, access, readlink, an open for reading) in a direct bind other
 *    than /proc is translated to the bind's host path the same way;
 *  - everything else (and every raw syscall, static program, other libc)
 *    is trapped and handled by the tracer as before.
 *
 * Shared by the runner (what it puts in the load script), the shim (which
 * fills struct groot_fast) and fast/ (which reads it).
 */
#ifndef GROOT_SHIM_FAST_H
#define GROOT_SHIM_FAST_H

#include <stdint.h>

#define GROOT_FAST_MAGIC 0x3154534146544f52ULL /* "ROTFAST1" as a little-endian u64 */
#define GROOT_FAST_VERSION 2
#define GROOT_FAST_ENV_MAX 8192	    /* the whole LD_PRELOAD=... entry */
#define GROOT_FAST_PATH_MAX 4096    /* PATH_MAX */
#define GROOT_FAST_DIRECTS_MAX 8192 /* guest\0host\0 pairs, then \0 */

/*
 * The load script's fast section (loadscript.h: fast_offset, fast_size) is
 * NUL-terminated strings, in order: the LD_PRELOAD path of groot-fast.so as
 * the guest's ld.so must open it; the view's mountpoint; the host path of
 * groot-shim; the host path of the view's xattr hints table
 * (common/xattr_hints.h), or an empty string; under fake root the host path
 * of the credentials table (common/credentials.h: the view does not see
 * opens then, so a thread without CAP_DAC_OVERRIDE opens through the tracer,
 * which judges them), else an empty string; then for every direct bind its
 * guest path and its host path (first the pair GROOT_FAST_READ_ONLY twice when
 * some bind is read-only: a guest path no absolute path lies under); then
 * an empty string.
 */
#define GROOT_FAST_READ_ONLY "\001read-only"

/* groot_gate(nr, a1..a6): the raw syscall, from inside the shim's range. */
typedef long (*groot_gate_fn)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

struct groot_fast {
	char env[GROOT_FAST_ENV_MAX]; /* first: environ points here */
	uint64_t magic;		      /* GROOT_FAST_MAGIC once filled */
	uint32_t version;	      /* GROOT_FAST_VERSION */
	uint32_t mount_length;
	uint64_t gate;		      /* groot_gate_fn */
	uint64_t original;	      /* the guest's own LD_PRELOAD entry (char *), or 0 */
	char mount[GROOT_FAST_PATH_MAX];
	char shim[GROOT_FAST_PATH_MAX];
	char hints[GROOT_FAST_PATH_MAX];       /* "" = none */
	char credentials[GROOT_FAST_PATH_MAX]; /* "" = opens are the view's to judge */
	char directs[GROOT_FAST_DIRECTS_MAX];
};

#endif
