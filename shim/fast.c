// SPDX-License-Identifier: MIT
/*
 * The shim's half of the fast path (fast.h): fill struct groot_fast from the
 * load script and put LD_PRELOAD=groot-fast.so in the environment the
 * program's ld.so reads. The gate itself is below: the one syscall
 * instruction outside the tracer's sight that groot-fast.so may use.
 */
#include "fast.h"
#include "shim.h"

/* long groot_gate(long nr, long a1, ..., long a6): the System V call turned into a syscall. */
__asm__(".text\n"
	".global groot_gate\n"
	".type groot_gate, @function\n"
	"groot_gate:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n");

long groot_gate(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Kept in the shim's data, which stays mapped (and is copied by fork) after the jump. */
static struct groot_fast fast;

static const char preload_name[] = "LD_PRELOAD=";
#define PRELOAD_NAME_LENGTH (sizeof(preload_name) - 1)

static int starts_with(const char *s, const char *prefix, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (s[i] != prefix[i])
			return 0;
	return 1;
}

/* Copy the next string of the fast section into out; returns its length or -1. */
static long next_string(const char **cursor, const char *end, char *out, size_t size)
{
	const char *s = *cursor;
	size_t n = 0;

	while (s + n < end && s[n])
		n++;
	if (s + n >= end || n >= size)
		return -1;
	memcpy(out, s, n + 1);
	*cursor = s + n + 1;
	return (long)n;
}

static int fill(const struct loadscript *script, char *preload, size_t size)
{
	const char *cursor = (const char *)script + script->fast_offset;
	const char *end = cursor + script->fast_size;
	long n;
	size_t used = 0;

	if (script->fast_offset < sizeof(*script) || script->fast_size > script->size ||
	    script->fast_offset > script->size - script->fast_size)
		shim_fail("bad fast section in the load script", 0, 0);
	if (next_string(&cursor, end, preload, size) <= 0)
		return -1;
	n = next_string(&cursor, end, fast.mount, sizeof(fast.mount));
	if (n <= 0)
		return -1;
	fast.mount_length = (uint32_t)n;
	if (next_string(&cursor, end, fast.shim, sizeof(fast.shim)) <= 0)
		return -1;
	if (next_string(&cursor, end, fast.hints, sizeof(fast.hints)) < 0)
		return -1;
	if (next_string(&cursor, end, fast.credentials, sizeof(fast.credentials)) < 0)
		return -1;
	/* guest\0host\0 pairs, then the empty string: copied whole. */
	for (;;) {
		n = next_string(&cursor, end, fast.directs + used, sizeof(fast.directs) - used);
		if (n < 0)
			return -1;
		used += (size_t)n + 1;
		if (n == 0)
			return 0;
	}
}

/*
 * Returns the stack pointer to start the program with: initial_sp, or
 * initial_sp - 16 when an environment slot had to be added.
 */
uint64_t shim_fast_setup(const struct loadscript *script, uint64_t initial_sp)
{
	static char preload[GROOT_FAST_PATH_MAX];
	uint64_t *sp = (uint64_t *)initial_sp;
	uint64_t argc = sp[0];
	char **envp = (char **)(sp + 1 + argc + 1);
	char **existing = 0;
	size_t envc = 0, length, at;

	if (!script->fast_offset || fill(script, preload, sizeof(preload)) < 0)
		return initial_sp;
	for (; envp[envc]; envc++) {
		if (starts_with(envp[envc], "LD_TRACE_LOADED_OBJECTS=", 24))
			return initial_sp; /* ldd: the list must be the program's own */
		if (starts_with(envp[envc], preload_name, PRELOAD_NAME_LENGTH))
			existing = &envp[envc]; /* ld.so takes the last one */
	}

	/* LD_PRELOAD=<theirs>:<ours>: their interposers stay in front of ours. */
	memcpy(fast.env, preload_name, PRELOAD_NAME_LENGTH);
	at = PRELOAD_NAME_LENGTH;
	if (existing) {
		const char *theirs = *existing + PRELOAD_NAME_LENGTH;
		length = strlen(theirs);
		if (at + length + 1 >= sizeof(fast.env))
			return initial_sp;
		memcpy(fast.env + at, theirs, length);
		at += length;
		if (length)
			fast.env[at++] = ':';
	}
	length = strlen(preload);
	if (at + length + 1 > sizeof(fast.env))
		return initial_sp;
	memcpy(fast.env + at, preload, length + 1);

	fast.gate = (uint64_t)groot_gate;
	fast.version = GROOT_FAST_VERSION;
	fast.magic = GROOT_FAST_MAGIC;
	if (existing) {
		fast.original = (uint64_t)*existing;
		*existing = fast.env;
		return initial_sp;
	}

	/*
	 * Insert one envp slot and keep the stack 16-byte aligned: argc..envp
	 * move down 16 bytes, the envp NULL and the auxv down 8, and ours goes
	 * in between. Nothing points into this part of the stack yet; the gap
	 * below initial_sp (LOADSCRIPT_STACK_GAP) is free.
	 */
	size_t before = 1 + argc + 1 + envc, pairs = 1, after, i;
	const uint64_t *auxv = sp + before + 1;
	while (auxv[2 * (pairs - 1)] != 0 /* AT_NULL */)
		pairs++;
	after = 1 + 2 * pairs; /* envp's NULL, then the auxv up to and with AT_NULL */
	uint64_t *to = sp - 2;
	for (i = 0; i < before; i++)
		to[i] = sp[i];
	to[before] = (uint64_t)fast.env;
	for (i = 0; i < after; i++)
		to[before + 1 + i] = sp[before + i];
	return (uint64_t)to;
}
