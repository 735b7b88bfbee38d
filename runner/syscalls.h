/* SPDX-License-Identifier: MIT */
/* The syscall table (syscalls.def) as data: one descriptor per syscall. */
#ifndef GROOT_SYSCALLS_H
#define GROOT_SYSCALLS_H

#include <stdbool.h>

enum syscall_handler {
	HANDLE_NONE = 0,
	HANDLE_PATH,	     /* translate path arguments, nothing at exit */
	HANDLE_CHOWN,	     /* path, and under fake root EPERM becomes success (exit stop) */
	HANDLE_READLINK,     /* emulated in the tracer: the guest sees untranslated targets */
	HANDLE_GETCWD,	     /* exit stop: strip the view's mountpoint */
	HANDLE_EXECVE,	     /* the seeds' execve, loader-shim */
	HANDLE_SOCKADDR_IN,  /* AF_UNIX sockaddr argument translated */
	HANDLE_SOCKADDR_OUT, /* AF_UNIX sockaddr result detranslated (exit stop) */
	HANDLE_REFUSE,	     /* EPERM, as for an unprivileged user */
	HANDLE_ENOSYS,	     /* refused in the filter itself */
	HANDLE_GETID,	     /* fake root: 0 */
	HANDLE_GETRESID,
	HANDLE_GETGROUPS,
	HANDLE_SETID,	 /* fake root: success */
	HANDLE_UNAME,	 /* exit stop: hostname and release from the profile */
	HANDLE_MKNOD,	 /* path; devices under fake root are recorded in the view */
	HANDLE_CHROOT,	 /* chroot to the guest root succeeds (debootstrap, chroot(8)); others EPERM
			  */
	HANDLE_LINK,	 /* path; under fake root setid files are linked by the tracer (link.c) */
	HANDLE_PTRACE,	 /* a guest debugger: emulated (ptrace_emu.c) */
	HANDLE_WAIT,	 /* wait4, waitid: a guest debugger's tracees (ptrace_emu.c) */
	HANDLE_PEERCRED, /* getsockopt(SO_PEERCRED) under a fake identity: the peer's fake ids */
	HANDLE_CLONE,	 /* clone with CLONE_UNTRACED: the flag is dropped (tracer.c) */
	HANDLE_SIGNAL,	 /* kill & co. under a fake identity: the kernel's rule (signals.c) */
	HANDLE_NOATIME,	 /* fcntl(F_SETFL, O_NOATIME) under a fake identity (noatime.c) */
};

#define NO_DIRFD (-1)
#define SYSCALL_MAX_PATHS 2

struct syscall_path_arg {
	signed char arg;   /* register index of the path, -1 = none */
	signed char dirfd; /* register index of its dirfd, NO_DIRFD = cwd */
};

struct syscall_desc {
	const char *name;
	int number;        /* for the architecture being built */
	enum syscall_handler handler;
	struct syscall_path_arg paths[SYSCALL_MAX_PATHS];
};

#define SYSCALL_TABLE_SIZE 512

/* Descriptor of syscall number nr on this architecture, or NULL when groot ignores it. */
const struct syscall_desc *syscall_lookup(long nr);

/* Iterate: descriptors of every syscall that exists on this architecture. */
const struct syscall_desc *syscall_at(unsigned index);
unsigned syscall_count(void);

static inline bool handler_is_identity(enum syscall_handler h)
{
	return h == HANDLE_GETID || h == HANDLE_GETRESID || h == HANDLE_GETGROUPS ||
	       h == HANDLE_SETID || h == HANDLE_PEERCRED || h == HANDLE_SIGNAL ||
	       h == HANDLE_NOATIME;
}

#endif
