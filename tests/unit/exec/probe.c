// SPDX-License-Identifier: MIT
/*
 * Test helper run natively and through groot-shim: prints what a program
 * learns from the kernel at startup (comm, AT_EXECFN, argv, environment,
 * auxv consistency, stack permissions, BSS zeroing), one fact per line.
 * Built three ways: musl static, glibc static-pie, glibc dynamic.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

extern const char __ehdr_start[]; /* GNU ld: the ELF header, in memory */
extern char _start[];		  /* crt1's entry point */

static char bss[3 * 4096 + 123];
static int data = 42;

static void print_stack_permissions(void)
{
	char line[512];
	FILE *maps = fopen("/proc/self/maps", "r");

	while (maps && fgets(line, sizeof(line), maps)) {
		char perms[8];

		if (strstr(line, "[stack]") && sscanf(line, "%*s %7s", perms) == 1)
			printf("stack=%s\n", perms);
	}
	if (maps)
		fclose(maps);
}

int main(int argc, char **argv)
{
	const Elf64_Ehdr *ehdr = (const Elf64_Ehdr *)__ehdr_start;
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *env = getenv("GROOT_PROBE");
	char comm[17] = {0};
	int zero = 1;

	prctl(PR_GET_NAME, comm);
	printf("comm=%s\n", comm);
	printf("execfn=%s\n", execfn ? execfn : "(null)");
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	printf("env=%s\n", env ? env : "(unset)");
	printf("entry=%s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "ok" : "WRONG");
	printf("phdr=%s\n", getauxval(AT_PHDR) == (unsigned long)(__ehdr_start + ehdr->e_phoff)
				? "ok"
				: "WRONG");
	printf("phnum=%s\n", getauxval(AT_PHNUM) == ehdr->e_phnum ? "ok" : "WRONG");
	printf("phent=%lu\n", getauxval(AT_PHENT));
	printf("base=%s\n", getauxval(AT_BASE) ? "set" : "zero");
	for (size_t i = 0; i < sizeof(bss); i++)
		zero &= bss[i] == 0;
	printf("bss=%s data=%d\n", zero ? "zero" : "DIRTY", data);
	print_stack_permissions();
	return 3;
}
