// SPDX-License-Identifier: MIT
/*
 * ELF validation, in the order and with the errors of fs/binfmt_elf.c's
 * load_elf_binary up to its point of no return (Linux 6.x, x86_64):
 *  - program: magic, e_type ET_EXEC/ET_DYN, elf_check_arch (e_machine),
 *    load_elf_phdrs (e_phentsize, 0 < total size <= 64 KiB, read fully):
 *    all -ENOEXEC; PT_INTERP: 2 <= p_filesz <= PATH_MAX else -ENOEXEC,
 *    short read -EIO, not NUL-terminated -ENOEXEC; PT_GNU_STACK.
 *  - interpreter: short header read -EIO; magic, e_machine and its
 *    program headers: -ELIBBAD.
 * The kernel checks e_machine only, never EI_CLASS or EI_DATA: a 64-bit
 * file whose class byte says 32 still runs natively, so it runs here too
 * (the integration errno matrix compares with the real kernel).
 * Checks the kernel makes after the point of no return (where it kills the
 * process) are made here too and reported as -ENOEXEC / -ELIBBAD.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exec-internal.h"

#define ELF_MAX_PHDRS_SIZE 65536 /* load_elf_phdrs */

/* pread all of it or fail like the kernel's elf_read: -EIO on a short read. */
static int read_exact(int fd, void *buf, size_t size, uint64_t offset)
{
	size_t done = 0;

	if (offset > (uint64_t)INT64_MAX - size)
		return -EIO;
	while (done < size) {
		ssize_t n = pread(fd, (char *)buf + done, size - done, (off_t)(offset + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static bool header_is_ours(const Elf64_Ehdr *ehdr)
{
	return memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0 && ehdr->e_machine == EM_X86_64;
}

/* load_elf_phdrs: NULL (caller's errno) unless the whole table is sane and readable. */
static Elf64_Phdr *read_phdrs(int fd, const Elf64_Ehdr *ehdr)
{
	size_t size = (size_t)ehdr->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *phdrs;

	if (ehdr->e_phentsize != sizeof(Elf64_Phdr))
		return NULL;
	if (size == 0 || size > ELF_MAX_PHDRS_SIZE)
		return NULL;
	phdrs = malloc(size);
	if (!phdrs)
		return NULL;
	if (read_exact(fd, phdrs, size, ehdr->e_phoff) < 0) {
		free(phdrs);
		return NULL;
	}
	return phdrs;
}

static uint32_t prot_of(uint32_t p_flags)
{
	return (p_flags & PF_R ? PROT_READ : 0) | (p_flags & PF_W ? PROT_WRITE : 0) |
	       (p_flags & PF_X ? PROT_EXEC : 0);
}

/*
 * Record the PT_LOADs the shim will map. The kernel would fail these after
 * its point of no return (elf_map / the TASK_SIZE checks in load_elf_binary).
 */
static int collect_segments(const Elf64_Ehdr *ehdr, const Elf64_Phdr *phdrs,
			    struct exec_object *obj)
{
	const uint64_t task_size = 0x7ffffffff000UL; /* TASK_SIZE_MAX, 4-level paging */
	bool phdr_found = false;

	obj->e_type = ehdr->e_type;
	obj->e_entry = ehdr->e_entry;
	obj->e_phoff = ehdr->e_phoff;
	obj->e_phnum = ehdr->e_phnum;
	obj->e_phentsize = ehdr->e_phentsize;
	obj->phdr_vaddr = 0;
	obj->n_segments = 0;
	obj->max_align = EXEC_PAGE_SIZE;
	for (size_t i = 0; i < ehdr->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		struct exec_segment *seg;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_memsz > task_size ||
		    ph->p_vaddr > task_size - ph->p_memsz)
			return -ENOEXEC;
		if (ph->p_offset > (uint64_t)INT64_MAX - ph->p_filesz)
			return -ENOEXEC;
		/* mmap needs the file offset and the address in the same place within a page. */
		if ((ph->p_vaddr - ph->p_offset) % EXEC_PAGE_SIZE != 0)
			return -ENOEXEC;
		if (obj->n_segments == sizeof(obj->segments) / sizeof(obj->segments[0]))
			return -ENOEXEC;
		/* maximum_alignment(): powers of two only, at least a page. */
		if (ph->p_align && (ph->p_align & (ph->p_align - 1)) == 0 &&
		    ph->p_align > obj->max_align)
			obj->max_align = ph->p_align;
		seg = &obj->segments[obj->n_segments++];
		seg->vaddr = ph->p_vaddr;
		seg->memsz = ph->p_memsz;
		seg->filesz = ph->p_filesz;
		seg->offset = ph->p_offset;
		seg->prot = prot_of(ph->p_flags);
		/* load_elf_binary: the PT_LOAD whose file range holds e_phoff gives AT_PHDR. */
		if (!phdr_found && ph->p_offset <= ehdr->e_phoff &&
		    ehdr->e_phoff < ph->p_offset + ph->p_filesz) {
			obj->phdr_vaddr = ehdr->e_phoff - ph->p_offset + ph->p_vaddr;
			phdr_found = true;
		}
	}
	if (obj->n_segments == 0)
		return -ENOEXEC;
	/* Overlapping segments would make the shim's MAP_FIXED clobber its own work. */
	for (size_t i = 1; i < obj->n_segments; i++)
		if (obj->segments[i].vaddr < obj->segments[i - 1].vaddr)
			return -ENOEXEC;
	return 0;
}

/* PT_INTERP: the kernel takes the first one and reads it as a C string. */
static int read_interp(int fd, const Elf64_Phdr *ph, struct elf_program_info *info)
{
	int r;

	if (ph->p_filesz > PATH_MAX || ph->p_filesz < 2)
		return -ENOEXEC;
	r = read_exact(fd, info->interp, ph->p_filesz, ph->p_offset);
	if (r < 0)
		return r;
	if (info->interp[ph->p_filesz - 1] != '\0')
		return -ENOEXEC;
	info->has_interp = true;
	return 0;
}

/* The file offset of address 'vaddr' in a PT_LOAD segment's file bytes (0: none). */
static uint64_t offset_of(const Elf64_Ehdr *ehdr, const Elf64_Phdr *phdrs, uint64_t vaddr)
{
	for (size_t i = 0; i < ehdr->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];

		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr - ph->p_vaddr < ph->p_filesz)
			return ph->p_offset + (vaddr - ph->p_vaddr);
	}
	return 0;
}

/*
 * Does the program name AddressSanitizer's runtime in its DT_NEEDED entries?
 * That runtime refuses to start unless it is the first library loaded
 * ("ASan runtime does not come first in initial library list"), so such a
 * program goes without groot-fast.so (execve.c). Best effort: anything
 * unreadable means no.
 */
static bool needs_sanitizer_first(int fd, const Elf64_Ehdr *ehdr, const Elf64_Phdr *phdrs)
{
	static const char *const runtimes[] = {"libasan.so", "libclang_rt.asan"};
	Elf64_Dyn dyn[512];
	uint64_t strtab = 0, needed[16];
	size_t n_dyn = 0, n_needed = 0;

	for (size_t i = 0; i < ehdr->e_phnum && !n_dyn; i++) {
		if (phdrs[i].p_type != PT_DYNAMIC)
			continue;
		n_dyn = phdrs[i].p_filesz / sizeof(Elf64_Dyn);
		if (n_dyn > sizeof(dyn) / sizeof(dyn[0]))
			n_dyn = sizeof(dyn) / sizeof(dyn[0]);
		if (n_dyn == 0 ||
		    read_exact(fd, dyn, n_dyn * sizeof(Elf64_Dyn), phdrs[i].p_offset) < 0)
			return false;
	}
	for (size_t i = 0; i < n_dyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = offset_of(ehdr, phdrs, dyn[i].d_un.d_ptr);
		else if (dyn[i].d_tag == DT_NEEDED && n_needed < sizeof(needed) / sizeof(needed[0]))
			needed[n_needed++] = dyn[i].d_un.d_val;
	}
	for (size_t i = 0; strtab && i < n_needed; i++) {
		char name[64];
		ssize_t n = pread(fd, name, sizeof(name) - 1, (off_t)(strtab + needed[i]));

		if (n <= 0)
			continue;
		name[n] = '\0';
		for (size_t j = 0; j < sizeof(runtimes) / sizeof(runtimes[0]); j++)
			if (strncmp(name, runtimes[j], strlen(runtimes[j])) == 0)
				return true;
	}
	return false;
}

bool elf_head_is_program(const unsigned char buf[EXEC_BUF_SIZE])
{
	Elf64_Ehdr ehdr;

	_Static_assert(sizeof(ehdr) <= EXEC_BUF_SIZE, "the ELF header is in the buffer");
	memcpy(&ehdr, buf, sizeof(ehdr)); /* NUL-padded: a short file just fails the checks */
	return memcmp(ehdr.e_ident, ELFMAG, SELFMAG) == 0 &&
	       (ehdr.e_type == ET_EXEC || ehdr.e_type == ET_DYN) && header_is_ours(&ehdr);
}

int elf_parse_program(int fd, const unsigned char buf[EXEC_BUF_SIZE], struct exec_object *obj,
		      struct elf_program_info *info)
{
	Elf64_Ehdr ehdr;
	Elf64_Phdr *phdrs;
	int r = 0;

	memset(info, 0, sizeof(*info));
	if (!elf_head_is_program(buf))
		return -ENOEXEC;
	memcpy(&ehdr, buf, sizeof(ehdr));
	phdrs = read_phdrs(fd, &ehdr);
	if (!phdrs)
		return -ENOEXEC;

	for (size_t i = 0; i < ehdr.e_phnum; i++) {
		if (phdrs[i].p_type != PT_INTERP)
			continue;
		r = read_interp(fd, &phdrs[i], info);
		break;
	}
	/* The last PT_GNU_STACK wins; without one the stack is not executable on x86_64. */
	for (size_t i = 0; r == 0 && i < ehdr.e_phnum; i++)
		if (phdrs[i].p_type == PT_GNU_STACK)
			info->executable_stack = (phdrs[i].p_flags & PF_X) != 0;
	if (r == 0)
		r = collect_segments(&ehdr, phdrs, obj);
	if (r == 0 && info->has_interp)
		info->sanitizer_first = needs_sanitizer_first(fd, &ehdr, phdrs);
	free(phdrs);
	return r;
}

int elf_parse_interpreter(int fd, struct exec_object *obj)
{
	Elf64_Ehdr ehdr;
	Elf64_Phdr *phdrs;
	int r;

	r = read_exact(fd, &ehdr, sizeof(ehdr), 0);
	if (r < 0)
		return r;
	if (!header_is_ours(&ehdr))
		return -ELIBBAD;
	/* load_elf_interp (after the point of no return) insists on these. */
	if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)
		return -ELIBBAD;
	phdrs = read_phdrs(fd, &ehdr);
	if (!phdrs)
		return -ELIBBAD;
	r = collect_segments(&ehdr, phdrs, obj);
	free(phdrs);
	return r < 0 ? -ELIBBAD : 0;
}
