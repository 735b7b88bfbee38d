/* SPDX-License-Identifier: MIT */
/* The syscall table, expanded for the architecture being built. */
#include "syscalls.h"

#include <stddef.h>

#define PATH(a, d) {(a), (d)}
#define NO_PATH {-1, NO_DIRFD}

#if defined(__x86_64__)
#define SYSCALL(name, x86_64, aarch64, handler, p0, p1) {#name, x86_64, handler, {p0, p1}},
#elif defined(__aarch64__)
#define SYSCALL(name, x86_64, aarch64, handler, p0, p1) {#name, aarch64, handler, {p0, p1}},
#else
#error "groot's syscall table has no numbers for this architecture"
#endif

static const struct syscall_desc table[] = {
#include "syscalls.def"
};

#undef SYSCALL

static const struct syscall_desc *by_number[SYSCALL_TABLE_SIZE];
static bool indexed;

static void index_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].number >= 0 && table[i].number < SYSCALL_TABLE_SIZE)
			by_number[table[i].number] = &table[i];
	indexed = true;
}

const struct syscall_desc *syscall_lookup(long nr)
{
	if (!indexed)
		index_table();
	if (nr < 0 || nr >= SYSCALL_TABLE_SIZE)
		return NULL;
	return by_number[nr];
}

unsigned syscall_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

const struct syscall_desc *syscall_at(unsigned index)
{
	if (index >= syscall_count())
		return NULL;
	return table[index].number >= 0 ? &table[index] : NULL;
}
