/* SPDX-License-Identifier: MIT */
#include "tracee.h"
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <talloc.h>
#include <unistd.h>

/*
 * The table is indexed by pid directly: pid_max pointers of virtual memory,
 * of which only the pages around live pids are ever touched. No hashing, no
 * allocation on the hot path.
 */
static struct tracee **table;
static size_t table_size;
static size_t alive;
static struct tracee *all; /* every tracee, for the rare walks (signals, orphaned groups) */

int tracees_init(void)
{
	long pid_max = read_sysctl("kernel/pid_max", 4194304);

	if (pid_max < 1)
		pid_max = 4194304;
	table_size = (size_t)pid_max + 1;
	table = calloc(table_size, sizeof(*table));
	return table ? 0 : -ENOMEM;
}

struct tracee *tracee_get(pid_t pid)
{
	if (pid <= 0 || (size_t)pid >= table_size)
		return NULL;
	return table[pid];
}

struct tracee *tracee_add(pid_t pid)
{
	struct tracee *t;

	if (pid <= 0 || (size_t)pid >= table_size)
		return NULL;
	if (table[pid])
		return table[pid];
	t = talloc_zero(NULL, struct tracee);
	if (!t)
		return NULL;
	t->pid = pid;
	table[pid] = t;
	t->next = all;
	if (all)
		all->prev = t;
	all = t;
	alive++;
	return t;
}

void tracee_remove(pid_t pid)
{
	struct tracee *t = tracee_get(pid);

	if (!t)
		return;
	table[pid] = NULL;
	if (t->prev)
		t->prev->next = t->next;
	else
		all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	alive--;
	talloc_free(t);
}

struct tracee *tracees_first(void)
{
	return all;
}

size_t tracees_alive(void)
{
	return alive;
}

int tracee_read(pid_t pid, unsigned long address, void *buf, size_t size)
{
	struct iovec local = {buf, size}, remote = {(void *)address, size};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EFAULT;
}

ssize_t tracee_read_string(pid_t pid, unsigned long address, char *buf, size_t size)
{
	size_t done = 0;
	long page = 4096;

	if (!address)
		return -EFAULT;
	/*
	 * One read up to the end of the page first (most paths fit), then page by
	 * page: process_vm_readv stops at the first unmapped page.
	 */
	while (done < size) {
		size_t chunk = (size_t)page - ((address + done) & (unsigned long)(page - 1));
		if (chunk > size - done)
			chunk = size - done;
		if (done == 0 && chunk < 256 && size > chunk) {
			/* A string starting near a page end: try a larger read, it usually works. */
			struct iovec local = {buf, size}, remote = {(void *)address, size};
			ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
			if (n > 0) {
				char *nul = memchr(buf, '\0', (size_t)n);
				if (nul)
					return nul - buf;
				done = (size_t)n;
				continue;
			}
		}
		struct iovec local = {buf + done, chunk};
		struct iovec remote = {(void *)(address + done), chunk};
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return done ? -EFAULT : (n < 0 ? -errno : -EFAULT);
		char *nul = memchr(buf + done, '\0', (size_t)n);
		if (nul)
			return nul - buf;
		done += (size_t)n;
	}
	return -ENAMETOOLONG;
}

int tracee_write(pid_t pid, unsigned long address, const void *buf, size_t size)
{
	struct iovec local = {(void *)buf, size}, remote = {(void *)address, size};
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EFAULT;
}

void scratch_init(struct scratch *s, const struct user_regs_struct *regs)
{
	/* x86_64 SysV: 128 bytes below the stack pointer belong to the leaf function. */
	s->next = (unsigned long)REG_SP(regs) - 128;
}

unsigned long scratch_push(pid_t pid, struct scratch *s, const void *data, size_t size)
{
	unsigned long address = (s->next - size) & ~15UL;
	int err = tracee_write(pid, address, data, size);

	if (err < 0) {
		errno = -err;
		return 0;
	}
	s->next = address;
	return address;
}

int tracee_get_regs(pid_t pid, struct user_regs_struct *regs)
{
	return ptrace(PTRACE_GETREGS, pid, NULL, regs) < 0 ? -errno : 0;
}

int tracee_set_regs(pid_t pid, const struct user_regs_struct *regs)
{
	return ptrace(PTRACE_SETREGS, pid, NULL, regs) < 0 ? -errno : 0;
}

int tracee_set_reg(pid_t pid, size_t offset, unsigned long long value)
{
	return ptrace(PTRACE_POKEUSER, pid, (void *)offset, (void *)(uintptr_t)value) < 0 ? -errno
											: 0;
}

static unsigned int proc_field(pid_t pid, const char *file, const char *field,
			       const char *format, unsigned int fallback)
{
	char path[128], line[256];
	size_t length = strlen(field);
	unsigned int value = fallback;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return fallback;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, length) == 0 && sscanf(line + length, format, &value) == 1)
			break;
	fclose(f);
	return value;
}

unsigned int tracee_proc_octal(pid_t pid, const char *file, const char *field,
			       unsigned int fallback)
{
	return proc_field(pid, file, field, "%o", fallback);
}

pid_t tracee_tgid(pid_t pid)
{
	return (pid_t)proc_field(pid, "status", "Tgid:", "%u", (unsigned int)pid);
}

pid_t tracee_tracer(pid_t pid)
{
	return (pid_t)proc_field(pid, "status", "TracerPid:", "%u", (unsigned int)-1);
}

ssize_t tracee_proc_read(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool tracee_gone(pid_t pid)
{
	char line[512];
	const char *paren;

	if (tracee_proc_read(pid, "stat", line, sizeof(line)) < 0)
		return true;
	/* "pid (comm) S ...": comm may hold anything, so the state follows the last ')'. */
	paren = strrchr(line, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

pid_t tracee_creator(pid_t pid)
{
	pid_t tgid = tracee_tgid(pid);

	return tgid != pid ? tgid : (pid_t)proc_field(pid, "status", "PPid:", "%u", 0);
}

/* ppid, process group and session of pid, from /proc/PID/stat. */
bool tracee_ids(pid_t pid, pid_t *ppid, pid_t *pgrp, pid_t *session)
{
	char buffer[1024];

	if (tracee_proc_read(pid, "stat", buffer, sizeof(buffer)) < 0)
		return false;
	char *end = strrchr(buffer, ')'); /* the command name may hold anything */
	return end && sscanf(end + 1, " %*c %d %d %d", ppid, pgrp, session) == 3;
}
