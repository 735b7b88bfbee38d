/* SPDX-License-Identifier: MIT */
/* groot-fast.so's internals, shared by its files (see core.c). All hidden: -fvisibility=hidden. */
#ifndef GROOT_FAST_INTERNAL_H
#define GROOT_FAST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>

#include "config.h"
#include "fast.h"
#include "syscall.h"

#define EXPORT __attribute__((visibility("default")))
#define PATH_MAX_ 4096
#define AT_FDCWD_ (-100)
#define AT_SYMLINK_NOFOLLOW_ 0x100

#define E_PERM 1
#define E_NOENT 2
#define E_NOMEM 12
#define E_ACCES 13
#define E_NOTDIR 20
#define E_ISDIR 21
#define E_INVAL 22
#define E_SPIPE 29
#define E_RANGE 34
#define E_NAMETOOLONG 36
#define E_LOOP 40

/* What the process's libc must or may have: only __errno_location is required. */
typedef struct file FILE_;
extern int *__errno_location(void);
extern void *fdopendir(int fd) __attribute__((weak));
extern FILE_ *fdopen(int fd, const char *mode) __attribute__((weak));
extern void *malloc(size_t size) __attribute__((weak));
extern void free(void *pointer) __attribute__((weak));
extern void *dlsym(void *handle, const char *name) __attribute__((weak));
extern void __chk_fail(void) __attribute__((weak, noreturn));
#define RTLD_NEXT_ ((void *)-1L)

/* The shim's data, found by the constructor; NULL before (and without the shim). */
extern const struct groot_fast *config;

/* A plain syscall from this library: the filter sends it to the tracer. */
#define raw shim_syscall6

size_t length_of(const char *s);
void copy(char *to, const char *from, size_t n);
void move(char *to, const char *from, size_t n); /* overlapping */
int same(const char *a, const char *b, size_t n);
/* The syscall through the shim's gate (the filter lets it through). */
long gate(long nr, long a, long b, long c, long d, long e, long f);
/* A kernel result → libc's convention (-1 and errno). */
long result(long r);

/* The path to give the kernel through the gate (path, or buf = mountpoint + path), or NULL. */
int under(const char *path, const char *prefix, size_t n);
const char *direct_of_host(const char *host_path, size_t *guest_length, const char **host);
const char *fast_path(const char *path, char *buf);
const char *fast_lookup_path(const char *path, char *buf, const char **bind);
/* Host path → guest path without a copy (a pointer into host), or NULL: the tracer's case. */
const char *guest_view(const char *host, size_t *length);
/* One syscall whose argument `at` (or `at1` and `at2`) is a path: fast, or to the tracer. */
long path_call(long nr, int at, long a, long b, long c, long d, long e);
long lookup_call(long nr, int at, long a, long b, long c, long d, long e);
int read_only_binds(void);
long write_call(long nr, int at, long a, long b, long c, long d, long e);
long write2_call(long nr, int at1, int at2, long a, long b, long c, long d, long e);
long path2_call(long nr, int at1, int at2, long a, long b, long c, long d, long e);
/*
 * stat, statx, access, chdir or openat (args as the syscall's) of a path
 * with "..", resolved by the kernel beneath the view's root: the result,
 * or NOT_HANDLED when only the tracer's walk can do it.
 */
#define NOT_HANDLED (-4096L - 1)
long beneath_call(long nr, const long *args);

/* xattr.c: what the last statx of this thread found, for a listxattr of the same path next. */
void remember_stat(const char *path, int flags, long r, const void *stx);
extern __thread struct last_stat {
	unsigned seq; /* odd while it changes (a signal handler's statx may interrupt a reader) */
	int flags;    /* the statx's AT_SYMLINK_NOFOLLOW, or -1: nothing kept */
	uint64_t dev, ino;
	char path[256]; /* absolute */
} last_stat __attribute__((tls_model("initial-exec")));

/* calls.c */
int open_at(int fd, const char *path, int flags, unsigned int mode);

#endif
