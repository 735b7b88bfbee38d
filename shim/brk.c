// SPDX-License-Identifier: MIT
/*
 * The program's place and its program break, as load_elf_binary makes them.
 *
 * The kernel placed the brk after groot-shim's bss (it loaded the shim);
 * natively it follows the program's bss. The program gets its brk moved
 * after its own bss with PR_SET_MM_MAP, which needs no privilege when it
 * leaves the executable alone. Its code and data fields become the
 * program's too, as load_elf_binary computes them; the stack and argument
 * fields are the kernel's (read from /proc/self/stat), unchanged. The gap
 * after the bss is the kernel's too (randomization).
 */
#include <linux/fcntl.h>
#include <linux/prctl.h>

#include <stdbool.h>

#include "shim.h"
#include "syscall.h"

/* struct prctl_mm_map (linux/prctl.h), spelled out: the header's copy needs libc types. */
struct mm_map {
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size;
	uint32_t exe_fd;
};

/*
 * The fields of /proc/self/stat we need, by their number (proc(5)): 28
 * startstack, 48-51 arg_start, arg_end, env_start, env_end. 0 on failure.
 */
static int read_stat_fields(struct mm_map *map)
{
	static char text[2048];
	long fd = shim_syscall6(__NR_openat, AT_FDCWD, (long)"/proc/self/stat",
				O_RDONLY | O_CLOEXEC, 0, 0, 0);
	long n, used = 0;

	if (shim_is_error(fd))
		return 0;
	while (used < (long)sizeof(text) - 1 &&
	       (n = shim_syscall(__NR_read, fd, text + used, sizeof(text) - 1 - used)) > 0)
		used += n;
	shim_syscall(__NR_close, fd, 0, 0);
	text[used] = '\0';

	/* After the command name's last ')' comes field 3. */
	char *p = 0;
	for (char *q = text; *q; q++)
		if (*q == ')')
			p = q + 1;
	if (!p)
		return 0;
	uint64_t value = 0;
	int field = 2, found = 0;
	for (; *p; p++) {
		if (*p == ' ') {
			field++;
			value = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			continue;
		value = value * 10 + (uint64_t)(*p - '0');
		if (p[1] != ' ' && p[1] != '\n' && p[1] != '\0')
			continue;
		switch (field) {
		case 28:
			map->start_stack = value;
			found++;
			break;
		case 48:
			map->arg_start = value;
			found++;
			break;
		case 49:
			map->arg_end = value;
			found++;
			break;
		case 50:
			map->env_start = value;
			found++;
			break;
		case 51:
			map->env_end = value;
			found++;
			break;
		}
	}
	return found == 5;
}

static uint64_t random_long(void)
{
	uint64_t random = 0;

	if (shim_syscall(__NR_getrandom, &random, sizeof(random), 0) != sizeof(random))
		random = 0;
	return random;
}

/*
 * load_elf_binary's PF_RANDOMIZE: kernel.randomize_va_space 1 or 2, unless
 * the personality says ADDR_NO_RANDOMIZE (setarch -R, gdb's run); 2 also
 * randomizes the brk.
 */
int shim_randomization(void)
{
	char level = '0';
	long fd = shim_syscall6(__NR_openat, AT_FDCWD, (long)"/proc/sys/kernel/randomize_va_space",
				O_RDONLY | O_CLOEXEC, 0, 0, 0);

	if (shim_is_error(fd))
		return 0;
	shim_syscall(__NR_read, fd, &level, 1);
	shim_syscall(__NR_close, fd, 0, 0);
	long persona = shim_syscall(__NR_personality, 0xffffffffUL, 0, 0);
	if (level < '1' || level > '2' || shim_is_error(persona) ||
	    (persona & 0x0040000 /* ADDR_NO_RANDOMIZE */))
		return 0;
	return level - '0';
}

/*
 * Where load_elf_binary puts a position-independent program with an
 * interpreter: ELF_ET_DYN_BASE (x86_64: two thirds of the 47-bit space),
 * plus arch_mmap_rnd()'s random pages (mmap_rnd_bits, 28 by default) under
 * PF_RANDOMIZE, aligned to its largest p_align. Without an interpreter (a
 * static-pie, ld.so run as a program) the kernel's mmap chooses: 0.
 */
#define ELF_ET_DYN_BASE 0x555555554aaaUL
#define MMAP_RND_BITS 28

uint64_t shim_program_bias(const struct loadscript *script, int randomization)
{
	const struct loadscript_object *program = &script->objects[0];
	uint64_t base = ELF_ET_DYN_BASE, align = program->align;

	if (!(program->flags & LOADSCRIPT_RELOCATABLE))
		return program->bias;
	if (!(script->flags & LOADSCRIPT_HAS_INTERP) || !program->n_segments)
		return 0;
	if (randomization)
		base += (random_long() & ((1UL << MMAP_RND_BITS) - 1)) * SHIM_PAGE_SIZE;
	if (align < SHIM_PAGE_SIZE || (align & (align - 1)))
		align = SHIM_PAGE_SIZE;
	base &= ~(align - 1);
	return SHIM_PAGE_DOWN(base - program->segments[0].vaddr);
}

/*
 * The brk after the program's bss, as load_elf_binary (Linux 6.15 and
 * later) sets it, or at ELF_ET_DYN_BASE for a static-pie; with
 * kernel.randomize_va_space 2, a page's gap after the bss, then
 * arch_randomize_brk's random page offset within 1 GiB.
 */
void shim_place_brk(const struct loadscript *script, uint64_t bias, int randomization)
{
	const struct loadscript_object *program = &script->objects[0];
	struct mm_map map = {.start_code = ~0UL, .exe_fd = (uint32_t)-1};
	uint64_t elf_brk = 0;

	if (!program->n_segments)
		return;
	for (uint32_t i = 0; i < program->n_segments; i++) {
		const struct loadscript_segment *s = &program->segments[i];
		uint64_t vaddr = bias + s->vaddr;
		if ((s->prot & 4 /* PROT_EXEC */) && vaddr < map.start_code)
			map.start_code = vaddr;
		if (map.start_data < vaddr)
			map.start_data = vaddr;
		if ((s->prot & 4) && map.end_code < vaddr + s->filesz)
			map.end_code = vaddr + s->filesz;
		if (map.end_data < vaddr + s->filesz)
			map.end_data = vaddr + s->filesz;
		if (elf_brk < vaddr + s->memsz)
			elf_brk = vaddr + s->memsz;
	}
	if (map.start_code == ~0UL || !read_stat_fields(&map))
		return;
	/* A loader run as the program (no interpreter): out of the mmap region. */
	bool moved =
	    (program->flags & LOADSCRIPT_RELOCATABLE) && !(script->flags & LOADSCRIPT_HAS_INTERP);
	map.start_brk = SHIM_PAGE_UP(moved ? ELF_ET_DYN_BASE : elf_brk);
	if (randomization == 2)
		map.start_brk += (moved ? 0 : SHIM_PAGE_SIZE) +
				 (random_long() % ((1UL << 30) / SHIM_PAGE_SIZE)) * SHIM_PAGE_SIZE;
	map.brk = map.start_brk;
	/* Refused (a kernel without CONFIG_CHECKPOINT_RESTORE): the brk stays after the shim. */
	shim_syscall6(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&map, sizeof(map), 0, 0);
}
