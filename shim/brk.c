// SPDX-License-Identifier: MIT
/*
 * The program break of a program loaded at its own addresses (ET_EXEC).
 *
 * The kernel placed the brk after groot-shim's bss (it loaded the shim), far
 * from a program at 0x400000; natively it follows the program's bss. A
 * position-independent program ends 16 MiB below the shim (docs/exec.md),
 * so its brk is near it already, with room to grow; an ET_EXEC one gets its
 * brk moved after its own bss with PR_SET_MM_MAP, which needs no privilege
 * when it leaves the executable alone. Its code and data fields become the
 * program's too, as load_elf_binary computes them; the stack and argument
 * fields are the kernel's (read from /proc/self/stat), unchanged. The gap
 * after the bss is the kernel's too (randomization).
 */
#include <linux/fcntl.h>
#include <linux/prctl.h>

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

/*
 * load_elf_binary's gap with kernel.randomize_va_space 2 (unless the
 * personality says ADDR_NO_RANDOMIZE): a page, then arch_randomize_brk's
 * random page offset within 1 GiB.
 */
static uint64_t randomization(void)
{
	char level = '0';
	uint64_t random = 0;
	long fd = shim_syscall6(__NR_openat, AT_FDCWD, (long)"/proc/sys/kernel/randomize_va_space",
				O_RDONLY | O_CLOEXEC, 0, 0, 0);

	if (shim_is_error(fd))
		return 0;
	shim_syscall(__NR_read, fd, &level, 1);
	shim_syscall(__NR_close, fd, 0, 0);
	long persona = shim_syscall(__NR_personality, 0xffffffffUL, 0, 0);
	if (level < '2' || shim_is_error(persona) || (persona & 0x0040000 /* ADDR_NO_RANDOMIZE */))
		return 0;
	if (shim_syscall(__NR_getrandom, &random, sizeof(random), 0) != sizeof(random))
		random = 0;
	return SHIM_PAGE_SIZE + (random % ((1UL << 30) / SHIM_PAGE_SIZE)) * SHIM_PAGE_SIZE;
}

void shim_place_brk(const struct loadscript *script)
{
	const struct loadscript_object *program = &script->objects[0];
	struct mm_map map = {.start_code = ~0UL, .exe_fd = (uint32_t)-1};
	uint64_t elf_brk = 0;

	if (program->flags & LOADSCRIPT_RELOCATABLE || !program->n_segments)
		return;
	for (uint32_t i = 0; i < program->n_segments; i++) {
		const struct loadscript_segment *s = &program->segments[i];
		if ((s->prot & 4 /* PROT_EXEC */) && s->vaddr < map.start_code)
			map.start_code = s->vaddr;
		if (map.start_data < s->vaddr)
			map.start_data = s->vaddr;
		if ((s->prot & 4) && map.end_code < s->vaddr + s->filesz)
			map.end_code = s->vaddr + s->filesz;
		if (map.end_data < s->vaddr + s->filesz)
			map.end_data = s->vaddr + s->filesz;
		if (elf_brk < s->vaddr + s->memsz)
			elf_brk = s->vaddr + s->memsz;
	}
	if (map.start_code == ~0UL || !read_stat_fields(&map))
		return;
	map.start_brk = map.brk = SHIM_PAGE_UP(elf_brk) + randomization();
	/* Refused (a kernel without CONFIG_CHECKPOINT_RESTORE): the brk stays after the shim. */
	shim_syscall6(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&map, sizeof(map), 0, 0);
}
