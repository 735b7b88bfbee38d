// SPDX-License-Identifier: MIT
/* exec_build_load_script: serialise a plan into the shim's load script (shim/loadscript.h). */
#include <errno.h>
#include <string.h>

#include "exec-internal.h"
#include "loadscript.h"

/* Append a NUL-terminated string after the fixed part; returns its offset or -ENOSPC. */
static ssize_t append_string(char *buf, size_t size, size_t *used, const char *s)
{
	size_t len = strlen(s) + 1;
	size_t at = *used;

	if (len > size - at || len > LOADSCRIPT_MAX_SIZE - at)
		return -ENOSPC;
	memcpy(buf + at, s, len);
	*used = at + len;
	return (ssize_t)at;
}

static int fill_object(struct loadscript_object *out, const struct exec_object *obj, char *buf,
		       size_t size, size_t *used)
{
	ssize_t path = append_string(buf, size, used, obj->host_path);

	if (path < 0)
		return (int)path;
	if (obj->n_segments > LOADSCRIPT_MAX_SEGMENTS)
		return -EINVAL;
	out->path_offset = (uint32_t)path;
	out->flags = obj->e_type == 3 /* ET_DYN */ ? LOADSCRIPT_RELOCATABLE : 0;
	out->bias = 0; /* ET_EXEC: its own addresses; ET_DYN: the shim places it */
	out->align = obj->max_align ? obj->max_align : EXEC_PAGE_SIZE;
	out->entry = obj->e_entry;
	out->phdr_vaddr = obj->phdr_vaddr;
	out->phnum = obj->e_phnum;
	out->phent = obj->e_phentsize;
	out->n_segments = (uint32_t)obj->n_segments;
	for (size_t i = 0; i < obj->n_segments; i++) {
		out->segments[i].vaddr = obj->segments[i].vaddr;
		out->segments[i].memsz = obj->segments[i].memsz;
		out->segments[i].filesz = obj->segments[i].filesz;
		out->segments[i].offset = obj->segments[i].offset;
		out->segments[i].prot = obj->segments[i].prot;
	}
	return 0;
}

ssize_t exec_build_load_script(const struct exec_plan *plan, uint64_t where, uint64_t initial_sp,
			       void *buf, size_t size)
{
	struct loadscript *script = buf;
	size_t used = sizeof(*script);
	ssize_t execfn;
	int r;

	if (size < sizeof(*script))
		return -ENOSPC;
	if (where % 16 != 0)
		return -EINVAL;
	memset(script, 0, sizeof(*script));
	script->magic = LOADSCRIPT_MAGIC;
	script->version = LOADSCRIPT_VERSION;
	script->where = where;
	script->initial_sp = initial_sp;
	script->flags = (plan->has_interp ? LOADSCRIPT_HAS_INTERP : 0) |
			(plan->executable_stack ? LOADSCRIPT_EXEC_STACK : 0) |
			(plan->report_start ? LOADSCRIPT_REPORT_START : 0) |
			(plan->fake_ids ? LOADSCRIPT_FAKE_IDS : 0) |
			(plan->secure ? LOADSCRIPT_SECURE : 0);
	memcpy(script->ids, plan->ids, sizeof(script->ids));
	_Static_assert(sizeof(script->comm) == sizeof(plan->comm), "TASK_COMM_LEN");
	memcpy(script->comm, plan->comm, sizeof(script->comm));
	script->comm[sizeof(script->comm) - 1] = '\0';

	execfn = append_string(buf, size, &used, plan->execfn);
	if (execfn < 0)
		return execfn;
	script->execfn_offset = (uint32_t)execfn;
	r = fill_object(&script->objects[0], &plan->program, buf, size, &used);
	if (r == 0 && plan->has_interp)
		r = fill_object(&script->objects[1], &plan->interp, buf, size, &used);
	if (r < 0)
		return r;
	if (plan->fast_strings) {
		if (plan->fast_size > size - used || plan->fast_size > LOADSCRIPT_MAX_SIZE - used)
			return -ENOSPC;
		memcpy((char *)buf + used, plan->fast_strings, plan->fast_size);
		script->fast_offset = (uint32_t)used;
		script->fast_size = (uint32_t)plan->fast_size;
		used += plan->fast_size;
	}
	/* Keep the end 16-byte aligned so callers can place it with a plain subtraction. */
	while (used % 16 != 0) {
		if (used == size)
			return -ENOSPC;
		((char *)buf)[used++] = '\0';
	}
	if (where + used > initial_sp)
		return -EINVAL;
	script->size = (uint32_t)used;
	return (ssize_t)used;
}
