// SPDX-License-Identifier: MIT
/* elf_parse_program / elf_parse_interpreter on hand-made and hostile headers. */
#include <sys/mman.h>

#include "exec-internal.h"
#include "fixtures.h"
#include "tap.h"

static int parse_program(const struct fake_elf *e, struct exec_object *obj,
			 struct elf_program_info *info)
{
	unsigned char buf[EXEC_BUF_SIZE] = {0};
	const char *path = fixture_path("prog");
	int fd, r;

	fixture_elf(path, e);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pread(fd, buf, sizeof(buf), 0) < 0)
		return -errno;
	memset(obj, 0, sizeof(*obj));
	r = elf_parse_program(fd, buf, obj, info);
	close(fd);
	return r;
}

static int parse_interp(const struct fake_elf *e, struct exec_object *obj)
{
	const char *path = fixture_path("interp");
	int fd, r;

	fixture_elf(path, e);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(obj, 0, sizeof(*obj));
	r = elf_parse_interpreter(fd, obj);
	close(fd);
	return r;
}

static void expect_program(struct fake_elf e, int want, const char *what)
{
	struct exec_object obj;
	struct elf_program_info info;

	is_int(parse_program(&e, &obj, &info), want, "program: %s", what);
}

static void expect_interp(struct fake_elf e, int want, const char *what)
{
	struct exec_object obj;

	is_int(parse_interp(&e, &obj), want, "interpreter: %s", what);
}

int main(void)
{
	struct exec_object obj;
	struct elf_program_info info;
	struct fake_elf e;

	fixture_setup();

	e = fake_elf_default();
	e.interp = "/lib64/ld-linux-x86-64.so.2";
	is_int(parse_program(&e, &obj, &info), 0, "valid ET_DYN with PT_INTERP");
	ok(info.has_interp, "PT_INTERP found");
	is_str(info.interp, "/lib64/ld-linux-x86-64.so.2", "PT_INTERP text");
	ok(!info.executable_stack, "PT_GNU_STACK RW: stack not executable");
	is_int(obj.n_segments, 1, "one PT_LOAD");
	is_int(obj.segments[0].prot, PROT_READ | PROT_EXEC, "PT_LOAD prot");
	is_int(obj.segments[0].memsz, 12288, "PT_LOAD memsz");
	is_int(obj.phdr_vaddr, 64, "AT_PHDR from the PT_LOAD holding e_phoff");
	is_int(obj.e_phnum, 4, "e_phnum");
	is_int(obj.e_entry, 0x1000, "e_entry");

	e = fake_elf_default();
	e.type = ET_EXEC;
	e.exec_stack = true;
	is_int(parse_program(&e, &obj, &info), 0, "valid static ET_EXEC");
	ok(!info.has_interp, "no PT_INTERP");
	ok(info.executable_stack, "PT_GNU_STACK RWX: executable stack");

	e = fake_elf_default();
	/* binfmt_elf never looks at EI_CLASS or EI_DATA: only e_machine counts. */
	e.class = ELFCLASS32;
	expect_program(e, 0, "ELFCLASS32 byte with EM_X86_64 runs, as natively");
	e = fake_elf_default();
	e.data = ELFDATA2MSB;
	expect_program(e, 0, "ELFDATA2MSB byte with EM_X86_64 runs, as natively");
	e = fake_elf_default();
	e.machine = EM_AARCH64;
	expect_program(e, -ENOEXEC, "EM_AARCH64");
	e = fake_elf_default();
	e.type = ET_REL;
	expect_program(e, -ENOEXEC, "ET_REL");
	e = fake_elf_default();
	e.type = ET_CORE;
	expect_program(e, -ENOEXEC, "ET_CORE");
	e = fake_elf_default();
	e.phentsize = 32;
	expect_program(e, -ENOEXEC, "e_phentsize 32");
	e = fake_elf_default();
	e.phnum = 0xffff;
	expect_program(e, -ENOEXEC, "e_phnum 65535 (> 64 KiB of headers)");
	e = fake_elf_default();
	e.phnum = 1170;
	expect_program(e, -ENOEXEC, "e_phnum 1170: fits 64 KiB, but past the end of the file");
	e = fake_elf_default();
	e.phoff = 1ULL << 40;
	expect_program(e, -ENOEXEC, "e_phoff far out of the file");
	e = fake_elf_default();
	e.phoff = UINT64_MAX - 8;
	expect_program(e, -ENOEXEC, "e_phoff overflowing");
	e = fake_elf_default();
	e.truncate = 100;
	expect_program(e, -ENOEXEC, "file cut inside the program headers");
	e = fake_elf_default();
	e.truncate = 20;
	expect_program(e, -ENOEXEC, "file cut inside the ELF header");
	e = fake_elf_default();
	e.truncate = 4;
	expect_program(e, -ENOEXEC, "just the magic");

	e = fake_elf_default();
	e.interp = "/lib/ld.so";
	e.interp_size = 5;
	expect_program(e, -ENOEXEC, "PT_INTERP not NUL-terminated");
	e = fake_elf_default();
	e.interp = "/";
	e.interp_size = 1;
	expect_program(e, -ENOEXEC, "PT_INTERP of 1 byte");
	e = fake_elf_default();
	e.interp = "/lib/ld.so";
	e.interp_size = PATH_MAX + 1;
	expect_program(e, -ENOEXEC, "PT_INTERP longer than PATH_MAX");
	e = fake_elf_default();
	e.interp = "/lib/ld.so";
	e.interp_offset = 1 << 20;
	expect_program(e, -EIO, "PT_INTERP past the end of the file (elf_read: EIO)");
	e = fake_elf_default();
	e.interp = "/lib/ld.so\0junk";
	e.interp_size = 16;
	is_int(parse_program(&e, &obj, &info), 0, "PT_INTERP with an inner NUL");
	is_str(info.interp, "/lib/ld.so", "PT_INTERP read as a C string");

	e = fake_elf_default();
	expect_interp(e, 0, "valid");
	e = fake_elf_default();
	e.machine = EM_386;
	expect_interp(e, -ELIBBAD, "EM_386");
	e = fake_elf_default();
	e.class = ELFCLASS32;
	expect_interp(e, 0, "ELFCLASS32 byte: load_elf_binary checks e_machine only");
	e = fake_elf_default();
	e.phnum = 0xffff;
	expect_interp(e, -ELIBBAD, "e_phnum 65535");
	e = fake_elf_default();
	e.phoff = 1 << 20;
	expect_interp(e, -ELIBBAD, "e_phoff out of the file");
	e = fake_elf_default();
	e.type = ET_REL;
	expect_interp(e, -ELIBBAD, "ET_REL");
	e = fake_elf_default();
	e.truncate = 40;
	expect_interp(e, -EIO, "shorter than an ELF header (elf_read: EIO)");
	fixture_text(fixture_path("interp"), "#!/bin/sh\n", 0755);
	{
		int fd = open(fixture_path("interp"), O_RDONLY | O_CLOEXEC);

		is_int(elf_parse_interpreter(fd, &obj), -EIO, "interpreter: a 10-byte script: EIO");
		close(fd);
	}
	fixture_text(fixture_path("interp"),
		     "#!/bin/sh\n# a script long enough to fill an ELF header's worth of bytes\n",
		     0755);
	{
		int fd = open(fixture_path("interp"), O_RDONLY | O_CLOEXEC);

		is_int(elf_parse_interpreter(fd, &obj), -ELIBBAD, "interpreter: a script: ELIBBAD");
		close(fd);
	}

	fixture_teardown();
	return done_testing();
}
