/* SPDX-License-Identifier: MIT */
/*
 * The hot path: a syscall whose arguments are paths. One register read
 * (done by the loop), one memory read per path, a decision, at most one
 * write, no allocation.
 */
#include "procfs.h"
#include "ptrace_emu.h"
#include "stop.h"
#include "translate.h"
#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pid_t proc_pid_of(const struct stop *stop, const char *guest, const char **rest)
{
	const char *p;
	pid_t pid;

	if (strncmp(guest, "/proc/", 6) != 0)
		return 0;
	p = guest + 6;
	if (strncmp(p, "self/", 5) == 0) {
		pid = stop->tracee->pid;
		p += 5;
	} else if (strncmp(p, "thread-self/", 12) == 0) {
		pid = stop->tracee->pid;
		p += 12;
	} else {
		char *end;
		long n = strtol(p, &end, 10);
		if (end == p || *end != '/' || n <= 0)
			return 0;
		pid = (pid_t)n;
		p = end + 1;
	}
	*rest = p;
	return pid;
}

/* The tracee a /proc/PID/..., /proc/self/... or /proc/thread-self/... path names, and the rest. */
static struct tracee *proc_tracee_of(const struct stop *stop, const char *guest, const char **rest)
{
	pid_t pid = proc_pid_of(stop, guest, rest);

	return pid ? tracee_get(pid) : NULL;
}

/*
 * /proc/<pid>/exe names the loader-shim in the kernel's eyes; the guest
 * must see (and open) its own program instead. Returns the guest path of
 * that program, or NULL when the path is something else.
 */
const char *proc_exe_of(const struct stop *stop, const char *guest)
{
	struct tracee *t = proc_exe_tracee(stop, guest);

	return t ? t->exe : NULL;
}

struct tracee *proc_exe_tracee(const struct stop *stop, const char *guest)
{
	const char *rest;
	struct tracee *t = proc_tracee_of(stop, guest, &rest);

	return t && t->exe && strcmp(rest, "exe") == 0 ? t : NULL;
}

const char *exe_link(const struct session *session, struct tracee *t, char *buf, size_t size)
{
	char maps[64], line[PATH_MAX + 128];
	const char *shown = t->exe;
	unsigned long long ino;
	int path_at;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)t->pid);
	FILE *f = t->exe_ino ? fopen(maps, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		/* address perms offset dev inode path */
		if (sscanf(line, "%*s %*s %*s %*s %llu %n", &ino, &path_at) != 1 ||
		    ino != t->exe_ino)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (line[path_at] == '/' &&
		    detranslate_path(session, line + path_at, buf, size) == 0)
			shown = buf;
		break;
	}
	if (f)
		fclose(f);
	return shown;
}

/*
 * /proc/PID/root of a guest process is the guest's root, as for a chrooted
 * process (the kernel's link leads to the host's): the guest path below it,
 * or NULL. The link itself (lstat, readlink) stays the kernel's.
 */
static bool follows_last_link(struct stop *stop, int path_index);

static const char *proc_root_of(struct stop *stop, const char *guest, int path_index)
{
	const char *rest;

	if (!proc_tracee_of(stop, guest, &rest) || strncmp(rest, "root", 4) != 0)
		return NULL;
	if (rest[4] == '/' && rest[5])
		return rest + 4;
	if (rest[4] == '\0' || rest[4] == '/')
		return follows_last_link(stop, path_index) || rest[4] == '/' ? "/" : NULL;
	return NULL;
}

/*
 * /proc/PID/cwd/... and /proc/PID/fd/N/... with a "..": the kernel would
 * climb from the view's mountpoint to the host's directories. As for a
 * chrooted process, the walk starts from the guest path of that directory
 * instead (into buf), and ".." stops at the guest's root.
 */
static const char *proc_dir_of(struct stop *stop, const char *guest, char *buf, size_t size)
{
	char host[PATH_MAX], dir[PATH_MAX];
	const char *rest, *below;
	struct tracee *t;
	int dirfd = AT_FDCWD;

	if (!path_has_dotdot(guest) || !(t = proc_tracee_of(stop, guest, &rest)))
		return NULL;
	if (!strncmp(rest, "cwd/", 4)) {
		below = rest + 4;
	} else if (!strncmp(rest, "fd/", 3) && rest[3] >= '0' && rest[3] <= '9') {
		char *end;
		long fd = strtol(rest + 3, &end, 10);
		if (*end != '/' || fd > INT_MAX)
			return NULL;
		dirfd = (int)fd;
		below = end + 1;
	} else {
		return NULL;
	}
	if (tracee_directory(t->pid, dirfd, host, sizeof(host)) < 0 ||
	    detranslate_path(stop->session, host, dir, sizeof(dir)) < 0 || dir[0] != '/')
		return NULL;
	if (snprintf(buf, size, "%s/%s", strcmp(dir, "/") ? dir : "", below) >= (int)size)
		return NULL;
	return buf;
}

/* Reading it, or asking about it: what the auxv copy may stand in for (it is a plain file). */
static bool reads_only(struct stop *stop)
{
	static const char *const lookups[] = {"stat",	  "lstat",     "newfstatat", "statx",
					      "access",	  "faccessat", "faccessat2"};
	const char *name = stop->desc->name;

	if (!strcmp(name, "open") || !strcmp(name, "openat")) {
		unsigned long flags = stop_arg(stop, !strcmp(name, "open") ? 1 : 2);
		return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC));
	}
	for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++)
		if (!strcmp(name, lookups[i]))
			return true;
	return false;
}

/* /proc/PID/auxv: what the loader-shim gave the program (the kernel's copy describes the shim). */
static const char *proc_auxv_of(struct stop *stop, const char *guest)
{
	const char *rest;
	struct tracee *t;

	if (!reads_only(stop))
		return NULL;
	t = proc_tracee_of(stop, guest, &rest);

	return t && strcmp(rest, "auxv") == 0 ? ptrace_emu_auxv_of(stop->session, t) : NULL;
}

/*
 * Does this syscall follow a symlink in its last component? Only then is
 * /proc/PID/exe the program: lstat sees the link, and unlink or rename of
 * it must fail as it does natively, not remove the guest's program.
 */
static bool follows_last_link(struct stop *stop, int path_index)
{
	static const char *const never[] = {
		"lstat",  "lchown",   "lgetxattr", "lsetxattr", "llistxattr", "lremovexattr",
		"unlink", "unlinkat", "rmdir",     "rename",    "renameat",   "renameat2",
		"link",   "symlink",  "symlinkat", "mkdir",     "mkdirat",    "mknod",
		"mknodat", "readlink", "readlinkat",
	};
	/* Syscalls with AT_* flags: which argument, and whether the flag asks to follow. */
	static const struct {
		const char *name;
		int arg;
		unsigned long flag;
		bool follow_flag;
	} flagged[] = {
		{"newfstatat", 3, AT_SYMLINK_NOFOLLOW, false},
		{"statx", 2, AT_SYMLINK_NOFOLLOW, false},
		{"fchownat", 4, AT_SYMLINK_NOFOLLOW, false},
		{"utimensat", 3, AT_SYMLINK_NOFOLLOW, false},
		{"faccessat2", 3, AT_SYMLINK_NOFOLLOW, false},
		{"fchmodat2", 3, AT_SYMLINK_NOFOLLOW, false},
		{"setxattrat", 2, AT_SYMLINK_NOFOLLOW, false},
		{"getxattrat", 2, AT_SYMLINK_NOFOLLOW, false},
		{"listxattrat", 2, AT_SYMLINK_NOFOLLOW, false},
		{"removexattrat", 2, AT_SYMLINK_NOFOLLOW, false},
		{"open", 1, O_NOFOLLOW, false},
		{"openat", 2, O_NOFOLLOW, false},
		{"linkat", 4, AT_SYMLINK_FOLLOW, true},
		{"name_to_handle_at", 4, AT_SYMLINK_FOLLOW, true},
	};
	const char *name = stop->desc->name;

	if (!strcmp(name, "rename") || !strcmp(name, "link"))
		return false;
	if (!strncmp(name, "link", 4) && path_index == 1)
		return false; /* linkat's new name */
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (!strcmp(name, never[i]))
			return false;
	for (size_t i = 0; i < sizeof(flagged) / sizeof(flagged[0]); i++)
		if (!strcmp(name, flagged[i].name)) {
			bool set = stop_arg(stop, flagged[i].arg) & flagged[i].flag;
			return set == flagged[i].follow_flag;
		}
	return true;
}

/* open, openat, openat2: their flags into *flags and 1; 0 for another syscall; -1 unreadable. */
static int open_flags(struct stop *stop, unsigned long *flags)
{
	const char *name = stop->desc->name;

	if (!strcmp(name, "open"))
		*flags = stop_arg(stop, 1);
	else if (!strcmp(name, "openat"))
		*flags = stop_arg(stop, 2);
	else if (!strcmp(name, "openat2"))
		return tracee_read(stop->tracee->pid, stop_arg(stop, 2), flags, sizeof(*flags)) < 0
			   ? -1
			   : 1;
	else
		return 0;
	return 1;
}

/* Would this syscall modify what its path names? (for read-only direct binds) */
static bool syscall_writes(struct stop *stop)
{
	static const char *const writers[] = {
		"creat", "truncate", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
		"renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat",
		"chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "utime", "utimes",
		"futimesat", "utimensat", "setxattr", "lsetxattr", "removexattr", "lremovexattr",
		"setxattrat", "removexattrat", "file_setattr",
	};
	const char *name = stop->desc->name;
	unsigned long flags;
	int r = open_flags(stop, &flags);

	if (r < 0)
		return false;
	if (r == 0) {
		for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
			if (!strcmp(name, writers[i]))
				return true;
		return false;
	}
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/*
 * rmdir of a last ".." at the guest root: the canonical path keeps "." there
 * (".." would climb out of the view), which rmdir refuses with EINVAL; the
 * kernel refuses a last ".." with ENOTEMPTY before it looks anything up.
 */
static bool rmdir_of_root_dotdot(struct stop *stop, const char *guest, const char *host)
{
	const char *name = stop->desc->name, *mount = stop->session->mount;
	size_t n = strlen(guest), m = strlen(mount);

	/* (unlinkat with a flag it does not know: EINVAL first, from the kernel) */
	if (strcmp(name, "rmdir") && (strcmp(name, "unlinkat") || stop_arg(stop, 2) != AT_REMOVEDIR))
		return false;
	while (n > 1 && guest[n - 1] == '/')
		n--;
	if (n < 2 || strncmp(guest + n - 2, "..", 2) || (n > 2 && guest[n - 3] != '/'))
		return false;
	return !strncmp(host, mount, m) && !strcmp(host + m, "/.");
}

/* The view's st_dev: what is not on it (direct binds, /proc, /dev) the host judges. */
static dev_t view_device(const struct session *session)
{
	static dev_t dev;
	struct stat st;

	if (!dev && stat(session->mount, &st) == 0)
		dev = st.st_dev;
	return dev;
}

/*
 * Under fake root the view sees no opens (groot-fs without OPEN: faster, and
 * root may open anything), so an identity without CAP_DAC_OVERRIDE (su, a
 * daemon dropping to its user) is judged here, as the kernel's may_open
 * judges: read and/or write permission on the object as the view shows it.
 * groot-fast.so sends such threads' opens here (shim/fast.h). What the
 * kernel refuses on its own first (a missing file, O_EXCL, a directory
 * opened for writing or with O_CREAT, O_DIRECTORY on a non-directory, a
 * symlink with O_NOFOLLOW) is left to it, and so is what is not in the view.
 * 'path': what the kernel will be given (host, or through /proc for a
 * relative one).
 */
static int judge_open(struct stop *stop, const char *path)
{
	struct credentials_slot who;
	unsigned long flags;
	struct stat st;
	int mask;

	if (!stop->session->fake_root || identity_capable(stop, CAP_DAC_OVERRIDE) ||
	    open_flags(stop, &flags) <= 0)
		return 0;
	if ((flags & O_PATH) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return 0;
	mask = (flags & O_ACCMODE) == O_RDONLY ? R_OK
	       : (flags & O_ACCMODE) == O_WRONLY ? W_OK
						  : R_OK | W_OK;
	if (flags & O_TRUNC)
		mask |= W_OK;
	if ((mask & W_OK) && (flags & O_TMPFILE) == O_TMPFILE)
		return 0; /* a new file in that directory: its own rules */
	if (fstatat(AT_FDCWD, path, &st, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) < 0 ||
	    st.st_dev != view_device(stop->session) || S_ISLNK(st.st_mode) ||
	    (S_ISDIR(st.st_mode) && ((mask & W_OK) || (flags & O_CREAT))) ||
	    (!S_ISDIR(st.st_mode) && (flags & O_DIRECTORY)))
		return 0;
	identity_slot(stop->session, stop->tracee, &who);
	if (mask == R_OK && (who.caps & CRED_DAC_READ_SEARCH) &&
	    (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
		return 0;
	return credentials_permission(&who, st.st_mode, st.st_uid, st.st_gid, mask);
}

void handle_path_enter(struct stop *stop)
{
	char guest[PATH_MAX], host[PATH_MAX];
	pid_t pid = stop->tracee->pid;

	for (int i = 0; i < SYSCALL_MAX_PATHS; i++) {
		const struct syscall_path_arg *pa = &stop->desc->paths[i];
		unsigned long address, copy;
		ssize_t length;
		int dirfd, r;

		if (pa->arg < 0)
			continue;
		address = stop_arg(stop, pa->arg);
		length = tracee_read_string(pid, address, guest, sizeof(guest));
		if (length == -ENAMETOOLONG) {
			stop_skip(stop, -ENAMETOOLONG);
			return;
		}
		if (length < 0)
			continue; /* the kernel reports EFAULT itself */
		dirfd = pa->dirfd >= 0 ? (int)stop_arg(stop, pa->dirfd) : AT_FDCWD;

		const char *exe = guest[0] == '/' ? proc_exe_of(stop, guest) : NULL;
		if (exe && !follows_last_link(stop, i))
			exe = NULL;
		const char *auxv = !exe && length > 11 && !strcmp(guest + length - 5, "/auxv")
					   ? proc_auxv_of(stop, guest)
					   : NULL;
		/* Opened to be read (a lookup keeps the kernel's file: size 0, its inode). */
		char copy_path[PATH_MAX];
		if (!exe && !auxv && !strncmp(guest, "/proc/", 6) &&
		    !strncmp(stop->desc->name, "open", 4) && reads_only(stop))
			auxv = procfs_substitute(stop, guest, copy_path, sizeof(copy_path));
		const char *in_root = !exe && !auxv && !strncmp(guest, "/proc/", 6)
					      ? proc_root_of(stop, guest, i)
					      : NULL;
		char dir_path[PATH_MAX];
		if (!in_root && !exe && !auxv && !strncmp(guest, "/proc/", 6))
			in_root = proc_dir_of(stop, guest, dir_path, sizeof(dir_path));
		if (in_root)
			exe = in_root; /* translated as the guest path it names */
		if (exe)
			r = translate_path(stop->session, pid, AT_FDCWD, exe, host, sizeof(host));
		else if (auxv)
			r = snprintf(host, sizeof(host), "%s", auxv) < (int)sizeof(host) ? 1 : -ENAMETOOLONG;
		else
			r = translate_path(stop->session, pid, dirfd, guest, host, sizeof(host));
		if (r > 0 && rmdir_of_root_dotdot(stop, guest, host))
			r = -ENOTEMPTY;
		if (r < 0) {
			stop_skip(stop, r);
			return;
		}
		if (stop->session->has_read_only_direct && syscall_writes(stop) &&
		    in_read_only_bind(stop->session, pid, dirfd, guest, follows_last_link(stop, i))) {
			stop_skip(stop, -EROFS);
			return;
		}
		if (stop->session->trace)
			trace_syscall(stop, guest, r ? host : guest);
		if (stop->session->fake_root && !strncmp(stop->desc->name, "open", 4)) {
			char probe[PATH_MAX];
			int denied = r ? judge_open(stop, host)
				       : path_for_tracer(pid, dirfd, guest, probe, sizeof(probe)) == 0
					 ? judge_open(stop, probe)
					 : 0;
			if (denied < 0) {
				stop_skip(stop, denied);
				return;
			}
		}
		/* Opening a device recorded by fake-root mknod: the host's node of that number. */
		const char *device = NULL;
		if (stop->session->recorded_devices && *stop->session->recorded_devices &&
		    !strncmp(stop->desc->name, "open", 4)) {
			char probe[PATH_MAX];
			if (r)
				device = host_device_for(stop, host);
			else if (path_for_tracer(pid, dirfd, guest, probe, sizeof(probe)) == 0)
				device = host_device_for(stop, probe); /* unchanged: through /proc */
		}
		if (device)
			snprintf(host, sizeof(host), "%s", device);
		else if (r == 0)
			continue;
		copy = scratch_push(pid, &stop->scratch, host, strlen(host) + 1);
		if (!copy) {
			stop_skip(stop, -ENOMEM);
			return;
		}
		stop_set_arg(stop, pa->arg, copy);
	}
}

/*
 * The name an xattr call takes (set, get and remove, plain, l-, f- and *at;
 * not the list calls) into name: its argument's index (1; 3 for the *at
 * forms, after dirfd, path and flags), or -1.
 */
static int xattr_name(struct stop *stop, char *name, size_t size)
{
	const char *call = stop->desc->name;
	size_t n = strlen(call);
	int arg = n > 2 && !strcmp(call + n - 2, "at") ? 3 : 1;

	if (!strstr(call, "xattr") || strstr(call, "list") ||
	    tracee_read_string(stop->tracee->pid, stop_arg(stop, arg), name, size) < 0)
		return -1;
	return arg;
}

int privileged_xattr_change(struct stop *stop)
{
	char name[256];

	if (strstr(stop->desc->name, "get") || xattr_name(stop, name, sizeof(name)) < 0)
		return 0;
	if (!strncmp(name, "security.", 9) || !strncmp(name, "trusted.", 8))
		return XATTR_PRIVILEGED;
	if (!strcmp(name, "system.posix_acl_access") || !strcmp(name, "system.posix_acl_default"))
		return XATTR_ACL;
	return 0;
}

void handle_chown_exit(struct stop *stop)
{
	/*
	 * Fake root on a direct bind: the host refuses, PRoot reports success.
	 * An ACL the kernel refused (it checks the owner the view shows against
	 * the real caller before the view sees it) is what the view would say:
	 * not supported, which cp, tar and useradd's skeleton copy accept.
	 */
	if ((long)REG_RESULT(&stop->regs) == -EPERM) {
		REG_RESULT(&stop->regs) = -stop->tracee->saved[3];
		stop->regs_dirty = true;
	}
}

/*
 * An xattr change the kernel refuses fake root: what its EPERM becomes at
 * the exit stop (saved[3]: 0, success, or EOPNOTSUPP for an ACL).
 */
bool xattr_change_refused(struct stop *stop)
{
	int kind = privileged_xattr_change(stop);

	stop->tracee->saved[3] = kind == XATTR_ACL ? EOPNOTSUPP : 0;
	return kind != 0;
}

/*
 * A POSIX ACL change, which the view does not support, answered here:
 * EOPNOTSUPP for a fake identity that may change the object's ACL (its owner
 * as the view shows it, or CAP_FOWNER; coreutils' install and sed -i take
 * that answer), EPERM for the others, whatever the real ids would get. 0:
 * the object cannot be reached, the kernel's answer (ENOENT...). The path
 * argument is translated by now.
 */
static int acl_change_answer(struct stop *stop)
{
	const struct syscall_path_arg *pa = &stop->desc->paths[0];
	pid_t pid = stop->tracee->pid;
	char path[PATH_MAX] = "", host[PATH_MAX];
	int dirfd = (int)stop_arg(stop, 0), r;

	/* By path (its dirfd, if any) or by fd, the fd's own /proc link. */
	if (pa->arg >= 0) {
		dirfd = pa->dirfd >= 0 ? (int)stop_arg(stop, pa->dirfd) : AT_FDCWD;
		if (tracee_read_string(pid, stop_arg(stop, pa->arg), path, sizeof(path)) < 0)
			return 0;
	}
	if (path_for_tracer(pid, dirfd, path, host, sizeof(host)) < 0)
		return 0;
	r = identity_owns(stop, host, stop->desc->name[0] != 'l');
	return r < 0 ? 0 : r ? -EOPNOTSUPP : -EPERM;
}

/*
 * An xattr change the kernel refuses a fake identity: whether its EPERM
 * becomes the answer at the exit (fake root's security.* and trusted.*:
 * success). An ACL change is answered at once (acl_change_answer).
 */
bool xattr_change_answered(const struct session *session, struct stop *stop)
{
	if (stop->tracee->saved[3] == EOPNOTSUPP) {
		int r = acl_change_answer(stop);

		if (r < 0)
			stop_skip(stop, r);
		return false;
	}
	return session->fake_root && identity_capable(stop, CAP_FOWNER);
}

/*
 * Fake root's security.* and trusted.* xattrs: the kernel lets only a
 * privileged process set them (and read trusted.*), so the call goes to the
 * view as "user.groot.NAME", which keeps them under that name and answers
 * reads of NAME (fuse/format.c): setcap, then getcap, sees the capability,
 * and a tar of the tree keeps it. Not security.selinux, which the view does
 * not support, nor under a real root, whom the kernel lets.
 */
void rename_privileged_xattr(struct stop *stop)
{
	char name[256], renamed[300];
	int arg;

	if (geteuid() == 0 || (arg = xattr_name(stop, name, sizeof(name))) < 0)
		return; /* root's own: the kernel and the view's backing store take them as they are
			 */
	bool security = !strncmp(name, "security.", 9) && strcmp(name, "security.selinux");
	/* security.* reads reach the view as they are; trusted.* ones the kernel keeps back. */
	if (!(security && !strstr(stop->desc->name, "get")) && strncmp(name, "trusted.", 8))
		return;
	snprintf(renamed, sizeof(renamed), "user.groot.%s", name);
	unsigned long copy =
	    scratch_push(stop->tracee->pid, &stop->scratch, renamed, strlen(renamed) + 1);
	if (copy)
		stop_set_arg(stop, arg, copy);
}
