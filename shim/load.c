// SPDX-License-Identifier: MIT
/*
 * Map one ELF object like binfmt_elf's elf_load/load_elf_interp: reserve the
 * whole span, map each PT_LOAD from the file at its page-aligned address,
 * zero the BSS tail of the last file page and map anonymous pages beyond.
 */
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "shim.h"
#include "syscall.h"

static long shim_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	return shim_syscall6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}

/*
 * Reserve [lo, hi) + bias with PROT_NONE. ET_EXEC must get exactly its
 * addresses; ET_DYN asks for its planned bias and, if something is already
 * there, lets the kernel choose (as it does for every interpreter).
 */
static uint64_t reserve(const struct loadscript_object *object, uint64_t bias, uint64_t lo,
			uint64_t hi, const char *path)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	uint64_t span = hi - lo, want = bias + lo, align = object->align;
	long got;

	if (bias || !(object->flags & LOADSCRIPT_RELOCATABLE)) {
		got = shim_mmap(want, span, PROT_NONE, flags | MAP_FIXED_NOREPLACE, -1, 0);
		if (!shim_is_error(got) && (uint64_t)got == want)
			return bias;
		if (!shim_is_error(got))
			shim_syscall(__NR_munmap, got, span, 0); /* a kernel without MAP_FIXED_NOREPLACE */
		if (!(object->flags & LOADSCRIPT_RELOCATABLE))
			shim_fail("cannot reserve the program's fixed addresses", path, got);
	}

	if (align < SHIM_PAGE_SIZE || (align & (align - 1)))
		align = SHIM_PAGE_SIZE;
	got = shim_mmap(0, span + align, PROT_NONE, flags, -1, 0);
	if (shim_is_error(got))
		shim_fail("cannot reserve address space", path, got);
	{
		uint64_t start = ((uint64_t)got + align - 1) & ~(align - 1);
		uint64_t end = (uint64_t)got + span + align;

		if (start > (uint64_t)got)
			shim_syscall(__NR_munmap, got, start - (uint64_t)got, 0);
		if (end > start + span)
			shim_syscall(__NR_munmap, start + span, end - (start + span), 0);
		return start - lo;
	}
}

static void map_segment(const struct loadscript_segment *seg, uint64_t bias, int fd,
			const char *path)
{
	uint64_t start = bias + seg->vaddr;
	uint64_t page = SHIM_PAGE_DOWN(start);
	uint64_t file_end = start + seg->filesz;
	uint64_t mem_end = start + seg->memsz;
	uint64_t anon_start = page;
	int prot = (int)seg->prot;
	long r;

	if (seg->filesz) {
		r = shim_mmap(page, file_end - page, prot, MAP_PRIVATE | MAP_FIXED, fd,
			      seg->offset - (start - page));
		if (shim_is_error(r))
			shim_fail("cannot map a segment", path, r);
		anon_start = SHIM_PAGE_UP(file_end);
	}
	if (seg->memsz <= seg->filesz)
		return;
	/*
	 * padzero(): the rest of the last file page, up to the page's end and
	 * not just to p_memsz, is zero, not file contents (ld.so's minimal
	 * malloc uses the space after its _end and relies on it).
	 */
	if (seg->filesz && file_end != anon_start) {
		if (!(prot & PROT_WRITE))
			shim_syscall(__NR_mprotect, SHIM_PAGE_DOWN(file_end), SHIM_PAGE_SIZE,
				     prot | PROT_WRITE);
		memset((void *)file_end, 0, anon_start - file_end);
		if (!(prot & PROT_WRITE))
			shim_syscall(__NR_mprotect, SHIM_PAGE_DOWN(file_end), SHIM_PAGE_SIZE, prot);
	}
	if (mem_end > anon_start) {
		r = shim_mmap(anon_start, SHIM_PAGE_UP(mem_end) - anon_start, prot,
			      MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
		if (shim_is_error(r))
			shim_fail("cannot map a BSS", path, r);
	}
}

uint64_t shim_load_object(const struct loadscript *script, const struct loadscript_object *object,
			  uint64_t want)
{
	const char *path = (const char *)script + object->path_offset;
	uint64_t lo = UINT64_MAX, hi = 0, bias;
	long fd;

	for (uint32_t i = 0; i < object->n_segments; i++) {
		const struct loadscript_segment *seg = &object->segments[i];

		if (SHIM_PAGE_DOWN(seg->vaddr) < lo)
			lo = SHIM_PAGE_DOWN(seg->vaddr);
		if (SHIM_PAGE_UP(seg->vaddr + seg->memsz) > hi)
			hi = SHIM_PAGE_UP(seg->vaddr + seg->memsz);
	}
	if (object->n_segments == 0 || hi <= lo)
		shim_fail("object without PT_LOAD", path, 0);

	fd = shim_syscall(__NR_open, path, O_RDONLY | O_CLOEXEC, 0);
	if (shim_is_error(fd))
		shim_fail("cannot open", path, fd);
	bias = reserve(object, want, lo, hi, path);
	for (uint32_t i = 0; i < object->n_segments; i++)
		map_segment(&object->segments[i], bias, (int)fd, path);
	shim_syscall(__NR_close, fd, 0, 0);
	return bias;
}
