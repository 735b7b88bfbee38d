/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for runner/exec: a scratch directory, files and hand-made
 * ELF images written at test time, a resolve callback mapping the guest's
 * "/" to a host directory, and the real kernel's verdict on the same file.
 */
#ifndef GROOT_TEST_EXEC_FIXTURES_H
#define GROOT_TEST_EXEC_FIXTURES_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"

static char fixture_dir[PATH_MAX];

/* Guest "/" is `root` on the host ("" = the host's own root). */
struct fixture_view {
	const char *root;
};

static inline int fixture_resolve(void *opaque, int dirfd, const char *guest_path, int flags,
				  char *host, size_t size)
{
	const struct fixture_view *view = opaque;
	int n;

	if (guest_path[0] == '\0') {
		if (!(flags & AT_EMPTY_PATH))
			return -ENOENT;
		n = snprintf(host, size, "/proc/self/fd/%d", dirfd);
	} else if (guest_path[0] == '/') {
		n = snprintf(host, size, "%s%s", view->root, guest_path);
	} else if (dirfd == AT_FDCWD) {
		n = snprintf(host, size, "%s", guest_path);
	} else {
		n = snprintf(host, size, "/proc/self/fd/%d/%s", dirfd, guest_path);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static inline int fixture_detranslate(void *opaque, const char *host_path, char *guest, size_t size)
{
	const struct fixture_view *view = opaque;
	size_t len = strlen(view->root);
	int n;

	if (len && strncmp(host_path, view->root, len) == 0 &&
	    (host_path[len] == '/' || host_path[len] == '\0'))
		host_path += len;
	n = snprintf(guest, size, "%s", host_path[0] ? host_path : "/");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Set by a test to run exec_prepare with runner/exec's cache (NULL: without). */
static struct exec_cache *fixture_cache;

static inline struct exec_host fixture_host(struct fixture_view *view)
{
	struct exec_host host = {
	    .resolve = fixture_resolve,
	    .detranslate = fixture_detranslate,
	    .opaque = view,
	    .cache = fixture_cache,
	};
	return host;
}

__attribute__((format(printf, 1, 2))) static inline const char *fixture_path(const char *fmt, ...)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *out = paths[next++ % 8];
	int n = snprintf(out, PATH_MAX, "%s/", fixture_dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + n, (size_t)(PATH_MAX - n), fmt, ap);
	va_end(ap);
	return out;
}

static inline void fixture_setup(void)
{
	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/groot-exec-XXXXXX");
	if (!mkdtemp(fixture_dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static inline void fixture_teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", fixture_dir);
}

static inline void fixture_write(const char *path, const void *data, size_t size, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(path);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

static inline void fixture_text(const char *path, const char *text, mode_t mode)
{
	fixture_write(path, text, strlen(text), mode);
}

/* A small hand-made ELF: header, program headers, optional PT_INTERP, one PT_LOAD. */
struct fake_elf {
	unsigned char class, data;
	uint16_t type, machine, phentsize;
	uint16_t phnum;		/* 0 = the real count */
	uint64_t phoff;		/* 0 = right after the header */
	const char *interp;	/* NULL = none */
	size_t interp_size;	/* 0 = strlen + 1 */
	uint64_t interp_offset; /* 0 = after the program headers */
	bool exec_stack;
	size_t truncate; /* 0 = whole image */
};

static inline struct fake_elf fake_elf_default(void)
{
	struct fake_elf e = {
	    .class = ELFCLASS64,
	    .data = ELFDATA2LSB,
	    .type = ET_DYN,
	    .machine = EM_X86_64,
	    .phentsize = sizeof(Elf64_Phdr),
	};
	return e;
}

static inline void fixture_elf(const char *path, const struct fake_elf *e)
{
	static unsigned char image[8192];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
	Elf64_Phdr *ph = (Elf64_Phdr *)(image + sizeof(*eh));
	size_t n = 0, size, interp_at;

	memset(image, 0, sizeof(image));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = e->class;
	eh->e_ident[EI_DATA] = e->data;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = e->type;
	eh->e_machine = e->machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x1000;
	eh->e_phoff = e->phoff ? e->phoff : sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = e->phentsize;
	ph[n++] = (Elf64_Phdr){.p_type = PT_PHDR,
			       .p_flags = PF_R,
			       .p_offset = sizeof(*eh),
			       .p_vaddr = sizeof(*eh),
			       .p_filesz = 4 * sizeof(*ph),
			       .p_memsz = 4 * sizeof(*ph),
			       .p_align = 8};
	interp_at = e->interp_offset ? e->interp_offset : sizeof(*eh) + 4 * sizeof(*ph);
	if (e->interp) {
		size_t isz = e->interp_size ? e->interp_size : strlen(e->interp) + 1;

		ph[n++] = (Elf64_Phdr){.p_type = PT_INTERP,
				       .p_flags = PF_R,
				       .p_offset = interp_at,
				       .p_vaddr = interp_at,
				       .p_filesz = isz,
				       .p_memsz = isz,
				       .p_align = 1};
		if (interp_at + isz <= sizeof(image))
			memcpy(image + interp_at, e->interp, strnlen(e->interp, isz));
	}
	ph[n++] = (Elf64_Phdr){.p_type = PT_LOAD,
			       .p_flags = PF_R | PF_X,
			       .p_offset = 0,
			       .p_vaddr = 0,
			       .p_filesz = 8192,
			       .p_memsz = 8192 + 4096,
			       .p_align = 4096};
	ph[n++] = (Elf64_Phdr){.p_type = PT_GNU_STACK,
			       .p_flags = PF_R | PF_W | (e->exec_stack ? PF_X : 0)};
	eh->e_phnum = e->phnum ? e->phnum : (uint16_t)n;
	image[0x1000] = 0xf4; /* hlt: never run, but a real instruction at e_entry */
	size = e->truncate ? e->truncate : sizeof(image);
	fixture_write(path, image, size, 0755);
}

/* What the real kernel says about execve(path): 0 if it ran, else its errno. */
static inline int native_execve_errno(const char *path)
{
	int pipefd[2], err = 0, status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)path, NULL};
		char *envp[] = {NULL};
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execve(path, argv, envp);
		err = errno;
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return err;
}

/* exec_prepare on an absolute guest path; returns 0 or -errno, plan freed. */
static inline int prepare_errno(struct fixture_view *view, const char *path)
{
	struct exec_host host = fixture_host(view);
	struct exec_request request = {.dirfd = AT_FDCWD, .path = path, .argc = 1};
	struct exec_plan *plan = NULL;
	void *ctx = talloc_new(NULL);
	int r = exec_prepare(ctx, &request, &host, &plan);

	talloc_free(ctx);
	return r;
}

#endif
