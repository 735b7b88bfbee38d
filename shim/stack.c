// SPDX-License-Identifier: MIT
/*
 * The kernel built argc, argv, envp and auxv for groot-shim (create_elf_tables);
 * rewrite the auxv entries that describe the program instead.
 */
#include <linux/auxvec.h>

#include "shim.h"

void shim_fix_auxv(uint64_t initial_sp, const struct loadscript *script, uint64_t program_bias,
		   uint64_t interp_bias, const char *execfn)
{
	const struct loadscript_object *program = &script->objects[0];
	uint64_t *p = (uint64_t *)initial_sp;
	uint64_t argc = *p;

	p += 1 + argc + 1; /* argc, argv[], NULL */
	while (*p)	   /* envp[] */
		p++;
	for (p++; p[0] != AT_NULL; p += 2) {
		switch (p[0]) {
		case AT_PHDR:
			p[1] = program_bias + program->phdr_vaddr;
			break;
		case AT_PHENT:
			p[1] = program->phent;
			break;
		case AT_PHNUM:
			p[1] = program->phnum;
			break;
		case AT_ENTRY:
			p[1] = program_bias + program->entry;
			break;
		case AT_BASE:
			p[1] = script->flags & LOADSCRIPT_HAS_INTERP ? interp_bias : 0;
			break;
		case AT_EXECFN:
			p[1] = (uint64_t)execfn;
			break;
		case AT_SECURE:
			if (script->flags & LOADSCRIPT_SECURE)
				p[1] = 1;
			break;
		case AT_UID:
		case AT_EUID:
		case AT_GID:
		case AT_EGID:
			if (script->flags & LOADSCRIPT_FAKE_IDS)
				p[1] = script->ids[p[0] == AT_UID ? 0 : p[0] == AT_EUID ? 1
						   : p[0] == AT_GID ? 2 : 3];
			break;
		}
	}
}
