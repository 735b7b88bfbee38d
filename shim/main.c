// SPDX-License-Identifier: MIT
/*
 * groot-shim: the program the kernel really execs for every guest execve.
 * The tracer writes a load script (loadscript.h) below the initial stack and
 * points rdi and rsp at it; the shim maps the program and its interpreter,
 * fixes the auxv, names the task and jumps to the entry point with the
 * stack the kernel built, as if the kernel had loaded the program itself.
 */
#include <linux/mman.h>
#include <linux/prctl.h>

#include "shim.h"
#include "syscall.h"

/*
 * Where the tracer writes the load script (GROOT_SHIM_SCRIPT_AREA, placed by
 * the linker): mapped with the shim, unlike the stack below the arguments,
 * which a large argv leaves short and which only the process itself grows.
 */
__attribute__((section(".groot_script"), aligned(4096),
	       used)) char groot_script_area[LOADSCRIPT_MAX_SIZE] = {1};

/* AT_EXECFN must outlive the shim's stack, which the program reuses: keep it here. */
static char execfn_copy[4096];

__attribute__((noreturn)) void shim_main(const struct loadscript *script);

/* Entry: rdi = the load script, rsp below the arguments; give C an ABI-aligned stack. */
__asm__(".text\n"
	".global _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call shim_main\n"
	"	hlt\n");

/* start_thread(): the new program sees only rsp and rip; rdx = 0 (no atexit function). */
__attribute__((noreturn)) static void jump(uint64_t sp, uint64_t entry)
{
	__asm__ volatile("mov %0, %%rsp\n"
			 "push %1\n"
			 "xor %%eax, %%eax\n"
			 "xor %%ebx, %%ebx\n"
			 "xor %%ecx, %%ecx\n"
			 "xor %%edx, %%edx\n"
			 "xor %%esi, %%esi\n"
			 "xor %%edi, %%edi\n"
			 "xor %%ebp, %%ebp\n"
			 "xor %%r8d, %%r8d\n"
			 "xor %%r9d, %%r9d\n"
			 "xor %%r10d, %%r10d\n"
			 "xor %%r11d, %%r11d\n"
			 "xor %%r12d, %%r12d\n"
			 "xor %%r13d, %%r13d\n"
			 "xor %%r14d, %%r14d\n"
			 "xor %%r15d, %%r15d\n"
			 "ret\n"
			 :
			 : "r"(sp), "r"(entry)
			 : "memory");
	__builtin_unreachable();
}

static int string_in_script(const struct loadscript *script, uint32_t offset)
{
	const char *base = (const char *)script;

	if (offset < sizeof(*script) || offset >= script->size)
		return 0;
	for (uint32_t i = offset; i < script->size; i++)
		if (base[i] == '\0')
			return 1;
	return 0;
}

static void validate(const struct loadscript *script)
{
	uint32_t n_objects;

	if (!script || ((uint64_t)script & 15))
		shim_fail("no load script", "groot-shim only runs under the groot tracer", 0);
	if (script->magic != LOADSCRIPT_MAGIC)
		shim_fail("bad load script magic", 0, 0);
	if (script->version != LOADSCRIPT_VERSION)
		shim_fail("load script version mismatch between groot and groot-shim", 0,
			  script->version);
	if (script->size < sizeof(*script) || script->size > LOADSCRIPT_MAX_SIZE ||
	    script->where != (uint64_t)script || script->where != (uint64_t)groot_script_area)
		shim_fail("inconsistent load script header", 0, 0);
	if (!string_in_script(script, script->execfn_offset))
		shim_fail("bad AT_EXECFN in the load script", 0, 0);
	n_objects = script->flags & LOADSCRIPT_HAS_INTERP ? 2 : 1;
	for (uint32_t i = 0; i < n_objects; i++)
		if (!string_in_script(script, script->objects[i].path_offset) ||
		    script->objects[i].n_segments > LOADSCRIPT_MAX_SEGMENTS)
			shim_fail("bad object in the load script", 0, 0);
}

void shim_main(const struct loadscript *script)
{
	uint64_t program_bias, interp_bias = 0, entry;
	const char *execfn;
	char comm[LOADSCRIPT_COMM_SIZE];
	size_t len;
	long r;

	validate(script);
	execfn = (const char *)script + script->execfn_offset;
	len = strlen(execfn);
	if (len >= sizeof(execfn_copy))
		shim_fail("AT_EXECFN too long", 0, 0);
	memcpy(execfn_copy, execfn, len + 1);

	int randomization = shim_randomization();
	program_bias =
	    shim_load_object(script, &script->objects[0], shim_program_bias(script, randomization));
	entry = program_bias + script->objects[0].entry;
	if (script->flags & LOADSCRIPT_HAS_INTERP) {
		interp_bias =
		    shim_load_object(script, &script->objects[1], script->objects[1].bias);
		entry = interp_bias + script->objects[1].entry;
	}

	/* setup_arg_pages with EXSTACK_ENABLE_X: the whole stack VMA becomes executable. */
	if (script->flags & LOADSCRIPT_EXEC_STACK) {
		r = shim_syscall(__NR_mprotect, SHIM_PAGE_DOWN(script->initial_sp), SHIM_PAGE_SIZE,
				 PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN);
		if (shim_is_error(r))
			shim_fail("cannot make the stack executable", 0, r);
	}

	shim_fix_auxv(script->initial_sp, script, program_bias, interp_bias, execfn_copy);
	shim_place_brk(script, program_bias, randomization);

	memcpy(comm, script->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	shim_syscall(__NR_prctl, PR_SET_NAME, comm, 0);

	uint64_t sp = shim_fast_setup(script, script->initial_sp);
	if (script->flags & LOADSCRIPT_REPORT_START)
		__asm__ volatile("int3" : : "D"(entry), "S"(sp) : "memory");
	jump(sp, entry);
}
