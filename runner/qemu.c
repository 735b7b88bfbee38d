/* SPDX-License-Identifier: MIT */
/*
 * PRoot's -q/--qemu: run the guest's programs of another architecture
 * through a host qemu-user. groot turns "-q 'qemu-aarch64-static ARGS'"
 * into what a profile would say: a direct bind of the host's emulator into
 * the guest, and a binfmt_misc-like interpreters: entry matching the ELF
 * headers of the architecture the emulator's name gives (the masks Debian's
 * qemu-user-binfmt registers: any OS/ABI, ET_EXEC or ET_DYN). Programs
 * of the host's own architecture still run natively.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <unistd.h>

#include "exec-internal.h"
#include "log.h"
#include "qemu.h"

/* Where the host's emulator appears in the guest (a synthetic directory of the view). */
#define QEMU_GUEST_DIR "/.groot/qemu"

struct qemu_arch {
	const char *name; /* as in qemu-NAME */
	unsigned char elf_class, elf_data;
	unsigned short machine;
};

static const struct qemu_arch qemu_arches[] = {
	{"aarch64", ELFCLASS64, ELFDATA2LSB, EM_AARCH64},
	{"aarch64_be", ELFCLASS64, ELFDATA2MSB, EM_AARCH64},
	{"arm", ELFCLASS32, ELFDATA2LSB, EM_ARM},
	{"armeb", ELFCLASS32, ELFDATA2MSB, EM_ARM},
	{"i386", ELFCLASS32, ELFDATA2LSB, EM_386},
	{"riscv64", ELFCLASS64, ELFDATA2LSB, EM_RISCV},
	{"riscv32", ELFCLASS32, ELFDATA2LSB, EM_RISCV},
	{"ppc64le", ELFCLASS64, ELFDATA2LSB, EM_PPC64},
	{"ppc64", ELFCLASS64, ELFDATA2MSB, EM_PPC64},
	{"ppc", ELFCLASS32, ELFDATA2MSB, EM_PPC},
	{"s390x", ELFCLASS64, ELFDATA2MSB, EM_S390},
	{"mips", ELFCLASS32, ELFDATA2MSB, EM_MIPS},
	{"mipsel", ELFCLASS32, ELFDATA2LSB, EM_MIPS},
	{"mips64", ELFCLASS64, ELFDATA2MSB, EM_MIPS},
	{"mips64el", ELFCLASS64, ELFDATA2LSB, EM_MIPS},
	{"loongarch64", ELFCLASS64, ELFDATA2LSB, EM_LOONGARCH},
	{"sparc64", ELFCLASS64, ELFDATA2MSB, EM_SPARCV9},
	{"m68k", ELFCLASS32, ELFDATA2MSB, EM_68K},
	{"sh4", ELFCLASS32, ELFDATA2LSB, EM_SH},
	{"alpha", ELFCLASS64, ELFDATA2LSB, EM_ALPHA},
	{"hppa", ELFCLASS32, ELFDATA2MSB, EM_PARISC},
};

/* "qemu-aarch64-static" → the aarch64 entry. */
static const struct qemu_arch *arch_of(const char *base)
{
	char name[64];

	if (strncmp(base, "qemu-", 5) != 0)
		return NULL;
	snprintf(name, sizeof(name), "%s", base + 5);
	size_t n = strlen(name);
	if (n > 7 && !strcmp(name + n - 7, "-static"))
		name[n - 7] = '\0';
	for (size_t i = 0; i < sizeof(qemu_arches) / sizeof(qemu_arches[0]); i++)
		if (!strcmp(name, qemu_arches[i].name))
			return &qemu_arches[i];
	return NULL;
}

/* The command's file: as given when it has a slash, else searched in $PATH. */
static char *find_in_path(TALLOC_CTX *ctx, const char *command)
{
	if (strchr(command, '/'))
		return access(command, X_OK) == 0 ? talloc_strdup(ctx, command) : NULL;
	const char *path = getenv("PATH");
	char *dirs = talloc_strdup(ctx, path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char *candidate = talloc_asprintf(ctx, "%s/%s", dir, command);
		if (access(candidate, X_OK) == 0)
			return candidate;
	}
	return NULL;
}

/*
 * 1 when the host file has a PT_INTERP (needs the host's libraries), 0 when
 * it is a static x86_64 program, -ENOEXEC when it is no program of ours,
 * -errno. The exec module's own parser decides, as for an execve.
 */
static int has_interpreter(const char *file)
{
	unsigned char head[EXEC_BUF_SIZE] = {0};
	static struct exec_object object; /* large; the command line runs this once */
	struct elf_program_info info;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, head, sizeof(head), 0);
	int r = n < 0 ? -errno : elf_parse_program(fd, head, &object, &info);
	close(fd);
	if (r < 0)
		return r == -EIO ? -ENOEXEC : r;
	return info.has_interp ? 1 : 0;
}

/* The 20 bytes of ELF header binfmt_misc compares, and which of their bits count. */
static void elf_magic(const struct qemu_arch *a, unsigned char magic[20], unsigned char mask[20])
{
	static const unsigned char ident[] = {0x7f, 'E', 'L', 'F'};
	bool little = a->elf_data == ELFDATA2LSB;

	memset(magic, 0, 20);
	memset(mask, 0xff, 20);
	memcpy(magic, ident, sizeof(ident));
	magic[EI_CLASS] = a->elf_class;
	magic[EI_DATA] = a->elf_data;
	magic[EI_VERSION] = EV_CURRENT;
	mask[EI_OSABI] = 0; /* any OS/ABI */
	memset(mask + EI_ABIVERSION, 0, EI_NIDENT - EI_ABIVERSION);
	/* e_type: ET_EXEC (2) or ET_DYN (3), the low bit ignored. */
	magic[little ? 16 : 17] = ET_EXEC;
	mask[little ? 16 : 17] = 0xfe;
	magic[little ? 18 : 19] = (unsigned char)(a->machine & 0xff);
	magic[little ? 19 : 18] = (unsigned char)(a->machine >> 8);
}

int qemu_configure(TALLOC_CTX *ctx, struct profile *p, const char *spec)
{
	char *words = talloc_strdup(ctx, spec);
	const char *argv[64];
	size_t argc = 0;

	for (char *save = NULL, *w = strtok_r(words, " \t", &save); w && argc < 63;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0) {
		log_error("-q: expected a qemu-user command, e.g. -q qemu-aarch64-static");
		return -EINVAL;
	}
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const struct qemu_arch *arch = arch_of(base);
	if (!arch) {
		log_error("-q %s: cannot tell which architecture '%s' emulates; name the "
			  "emulator qemu-ARCH or qemu-ARCH-static (e.g. qemu-aarch64-static), or "
			  "declare it in a profile's interpreters: table (groot-profile(5))",
			  spec, base);
		return -EINVAL;
	}
	char *host = find_in_path(ctx, argv[0]);
	if (!host) {
		log_error("-q %s: %s not found or not executable; install it (apt-get install "
			  "qemu-user-static) or give its path",
			  spec, argv[0]);
		return -ENOENT;
	}
	int dynamic = has_interpreter(host);
	if (dynamic != 0) {
		log_error("-q %s: %s is %s; the guest has none of the host's libraries, so the "
			  "emulator must be a static x86_64 program: install qemu-user-static and "
			  "use %s-static",
			  spec, host, dynamic > 0 ? "dynamically linked" : "not an x86_64 ELF program",
			  base);
		return -ENOEXEC;
	}
	char *guest = talloc_asprintf(ctx, QEMU_GUEST_DIR "/%s", base);
	struct bind bind = {.source = host, .dest = guest, .origin = "-q",
			    .flags = BIND_DIRECT | BIND_RO};
	if (profile_add_bind(p, &bind) < 0)
		return -ENOMEM;

	struct interpreter *table = talloc_realloc(p, p->interpreters, struct interpreter,
						   (unsigned)p->n_interpreters + 1);
	if (!table)
		return -ENOMEM;
	p->interpreters = table;
	struct interpreter *e = &table[p->n_interpreters++];
	memset(e, 0, sizeof(*e));
	e->name = talloc_asprintf(p, "qemu-%s (-q)", arch->name);
	e->magic = talloc_array(p, unsigned char, 20);
	e->mask = talloc_array(p, unsigned char, 20);
	if (!e->name || !e->magic || !e->mask)
		return -ENOMEM;
	elf_magic(arch, e->magic, e->mask);
	e->magic_len = 20;
	e->path = talloc_strdup(p, guest);
	const char **args = talloc_array(p, const char *, argc);
	if (!args)
		return -ENOMEM;
	for (size_t i = 1; i < argc; i++)
		args[i - 1] = talloc_strdup(p, argv[i]);
	args[argc - 1] = NULL;
	e->args = args;
	return 0;
}
