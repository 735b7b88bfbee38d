/* SPDX-License-Identifier: MIT */
/* One ptrace stop of one tracee: what a syscall handler works with. */
#ifndef GROOT_STOP_H
#define GROOT_STOP_H

#include <signal.h>
#include <stdbool.h>
#include <sys/user.h>

#include "session.h"
#include "syscalls.h"
#include "tracee.h"

struct stop {
	const struct session *session;
	struct tracee *tracee;
	const struct syscall_desc *desc;
	struct user_regs_struct regs;
	bool regs_dirty;    /* write all the registers back before resuming */
	signed char changed_arg; /* the one argument register changed since (-1: none) */
	bool want_exit;     /* resume with PTRACE_SYSCALL: the handler needs the exit stop */
	struct scratch scratch;
};

/* Skip the syscall; the guest sees result (a value, or -errno). */
static inline void stop_skip(struct stop *stop, long result)
{
	REG_SYSCALL(&stop->regs) = (unsigned long long)-1;
	REG_RESULT(&stop->regs) = (unsigned long long)result;
	stop->regs_dirty = true;
}

static inline unsigned long stop_arg(struct stop *stop, int index)
{
	return (unsigned long)*reg_arg(&stop->regs, index);
}

/*
 * Change one argument. The common case (one path argument rewritten) then
 * costs one PTRACE_POKEUSER instead of a PTRACE_SETREGS of every register;
 * a second argument, or any other change, writes them all.
 */
static inline void stop_set_arg(struct stop *stop, int index, unsigned long value)
{
	*reg_arg(&stop->regs, index) = value;
	if (stop->changed_arg < 0 || stop->changed_arg == index)
		stop->changed_arg = (signed char)index;
	else
		stop->regs_dirty = true;
}

/* Handlers: enter runs at the seccomp stop, exit at the syscall-exit stop (when want_exit). */
void handle_path_enter(struct stop *stop);
void handle_chown_exit(struct stop *stop);
/*
 * An xattr change the kernel refuses fake root before the view sees it: a
 * security.* or trusted.* name (a capability), an ACL (the owner). 0: other.
 */
int privileged_xattr_change(struct stop *stop);
#define XATTR_PRIVILEGED 1 /* security.*, trusted.*: CAP_SYS_ADMIN, CAP_SETFCAP */
#define XATTR_ACL 2        /* system.posix_acl_*: the owner */
/* Fake root: a security.* or trusted.* name goes to the view as "user.groot.NAME". */
void rename_privileged_xattr(struct stop *stop);
/* Such a change: its EPERM's fate at the exit stop is kept (saved[3]). */
bool xattr_change_refused(struct stop *stop);
/* Whether its EPERM becomes success at the exit; an ACL change is answered at once. */
bool xattr_change_answered(const struct session *session, struct stop *stop);
void handle_readlink_enter(struct stop *stop);
void handle_readlink_exit(struct stop *stop);
void handle_getcwd_exit(struct stop *stop);
void handle_sockaddr_in_enter(struct stop *stop);
void handle_sockaddr_in_exit(struct stop *stop);
void handle_sockaddr_out_enter(struct stop *stop);
void handle_sockaddr_out_exit(struct stop *stop);
/* path.c: the guest program of the process a /proc/PID/exe (self, thread-self) names, or NULL. */
const char *proc_exe_of(const struct stop *stop, const char *guest);
/*
 * What readlink of t's /proc/PID/exe shows: its program's path now, as its
 * mapping in /proc/PID/maps names it (renamed, or " (deleted)"), into buf;
 * t->exe when that cannot be told.
 */
const char *exe_link(const struct session *session, struct tracee *t, char *buf, size_t size);
/* The tracee whose /proc/PID/exe 'guest' is, or NULL. */
struct tracee *proc_exe_tracee(const struct stop *stop, const char *guest);
/* The pid a /proc/PID/..., /proc/self/... or /proc/thread-self/... path names (0: none), and the rest. */
pid_t proc_pid_of(const struct stop *stop, const char *guest, const char **rest);
void handle_identity_enter(struct stop *stop);
/* A signal's si_uid: the fake real uid of a guest sender (true when changed). */
bool identity_fix_siginfo_uid(const struct session *session, siginfo_t *info);
/* The same for the signal t is about to be delivered (its signal-delivery-stop). */
void identity_fix_delivery(const struct session *session, struct tracee *t);
/* prctl(PR_SET_DUMPABLE / PR_GET_DUMPABLE), emulated; false for any other call (dumpable.c). */
bool handle_dumpable(struct stop *stop);
/* Does a change of fake ids make a process undumpable (fs.suid_dumpable != 1)? */
bool id_change_makes_undumpable(void);
void handle_peercred_enter(struct stop *stop);
/* O_NOATIME (open, openat, openat2, fcntl F_SETFL) under a fake identity (noatime.c). */
void handle_noatime_enter(struct stop *stop);
/* kill, tkill, tgkill, rt_(tg)sigqueueinfo under a fake identity: EPERM as the kernel would. */
void handle_signal_enter(struct stop *stop);
void handle_peercred_exit(struct stop *stop);
/* Fake identity: its real and effective uid and gid (for the auxv); false without one. */
bool identity_ids(struct stop *stop, unsigned int ids[4]);
/* t's fake credentials (made on first use), or NULL without a fake identity. */
const struct credentials *identity_credentials(struct stop *stop, struct tracee *t);
/* Does the process have capability cap in its effective set (fake identity, or the host's)? */
bool identity_capable(struct stop *stop, int cap);
/*
 * The kernel's inode_owner_or_capable with the fake ids: 1 when the fake
 * identity owns the object at host path 'host' (the owner the view shows) or
 * holds CAP_FOWNER, 0 when not, -errno when it cannot be reached.
 */
int identity_owns(struct stop *stop, const char *host, bool follow);
/* After a successful execve (of plan, if known): the fake ids and capability sets. */
struct exec_plan;
void identity_after_exec(const struct session *session, struct tracee *t,
			 const struct exec_plan *plan);
/*
 * The view judges each request by its caller's fake credentials, which the
 * tracer publishes in a table shared with it (common/credentials.h):
 * identity_share makes it (a file in the run directory; -errno), publish
 * writes t's current credentials, forget clears a pid's slot.
 */
int identity_share(struct session *session, const char *path);
void identity_publish(struct tracee *t);
struct credentials_slot;
/* t's fake credentials as the view judges them (fake identity only). */
void identity_slot(const struct session *session, struct tracee *t,
		   struct credentials_slot *slot);
/* An exec's program is being loaded (from its execve until its first trapped syscall). */
void identity_exec_loading(struct tracee *t, bool loading);
void identity_forget(pid_t pid);
void handle_chroot_enter(struct stop *stop);
void handle_mknod_enter(struct stop *stop);
void handle_link_enter(struct stop *stop);
const char *host_device_for(const struct stop *stop, const char *host_path);
void handle_uname_exit(struct stop *stop);
void handle_execve_enter(struct stop *stop);
void handle_execve_exit(struct stop *stop);

void handle_ptrace_enter(struct stop *stop);
void handle_wait_enter(struct stop *stop);
void handle_wait_exit(struct stop *stop);
/* Print one trapped syscall for --trace. */
void trace_syscall(const struct stop *stop, const char *guest, const char *host);

#endif
