/* SPDX-License-Identifier: MIT */
/*
 * link/linkat under a fake identity. With fs.protected_hardlinks = 1 the kernel
 * lets only a file's owner hard-link it when it is not a regular file, or
 * is setuid, or setgid and group-executable (may_linkat), before the view
 * sees the request. In the view such files belong to the fake root, not to
 * the invoking user, so dpkg's backup links of /usr/bin/su, or cp -al of a
 * tree with symlinks, fail where they succeed for a real root. The tracer
 * makes the link itself: the file handed to the invoking user in the view's
 * fake metadata for the moment of the link, then its owner, group and mode
 * put back; the fake identity's own checks come first (link_refused), as the
 * view cannot make them for a link the tracer makes. Every other link goes
 * to the kernel untouched.
 */
#include "helpers.h"
#include "stop.h"
#include "translate.h"
#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fs.protected_hardlinks, read once: only its value 1 restricts links. */
static bool hardlinks_protected(void)
{
	static int protected = -1;

	if (protected < 0)
		protected = read_sysctl("fs/protected_hardlinks", 0) == 1;
	return protected;
}

/* What may_linkat refuses to a caller that does not own the file. */
static bool unsafe_link_source(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return true;
	return (st->st_mode & S_ISUID) || (st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
}

/*
 * What the kernel would refuse the tracee's fake identity: an existing new
 * name (EEXIST), may_linkat's owner rule (EPERM), then may_create's write
 * and search permission on the new name's directory (EACCES).
 */
static long link_refused(struct stop *stop, const struct stat *source, const char *new_host)
{
	char dir[PATH_MAX];
	struct credentials_slot who;
	struct stat st;
	size_t n = strlen(new_host);

	if (fstatat(AT_FDCWD, new_host, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if (errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG)
		return -errno; /* the kernel's own walk says it, before may_linkat */
	if (errno != ENOENT)
		return 0;
	if (n >= sizeof(dir))
		return 0;
	identity_slot(stop->session, stop->tracee, &who);
	if (source->st_uid != who.fsuid && !(who.caps & CRED_FOWNER))
		return -EPERM;
	memcpy(dir, new_host, n + 1);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	slash[slash == dir] = '\0';
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return credentials_permission(&who, st.st_mode, st.st_uid, st.st_gid, W_OK | X_OK);
}

/*
 * Returns 1 when the link is not one the tracer must make (the caller goes
 * on with plain path translation), or the syscall's result.
 */
static long emulate_link(struct stop *stop, bool at)
{
	pid_t pid = stop->tracee->pid;
	int flags = at ? (int)stop_arg(stop, 4) : 0;
	int old_dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD;
	int new_dirfd = at ? (int)stop_arg(stop, 2) : AT_FDCWD;
	char old_guest[PATH_MAX], new_guest[PATH_MAX], old_host[PATH_MAX], new_host[PATH_MAX];
	struct stat st;

	if (flags & ~AT_SYMLINK_FOLLOW)
		return 1; /* AT_EMPTY_PATH and bad flags: the kernel decides */
	if (tracee_read_string(pid, stop_arg(stop, at ? 1 : 0), old_guest, sizeof(old_guest)) <= 0 ||
	    tracee_read_string(pid, stop_arg(stop, at ? 3 : 1), new_guest, sizeof(new_guest)) <= 0)
		return 1;
	if (translate_for_tracer(stop->session, pid, old_dirfd, old_guest, old_host,
				 sizeof(old_host)) < 0 ||
	    translate_for_tracer(stop->session, pid, new_dirfd, new_guest, new_host,
				 sizeof(new_host)) < 0)
		return 1;
	int follow = flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW;
	if (fstatat(AT_FDCWD, old_host, &st, follow) < 0 || !unsafe_link_source(&st) ||
	    st.st_uid == getuid())
		return 1;
	/* The link is ours, so the fake identity's checks are too (do_linkat's order). */
	long refused = link_refused(stop, &st, new_host);
	if (refused)
		return refused;
	/* The view records the owner (and the kernel drops setid bits on chown). */
	if (fchownat(AT_FDCWD, old_host, getuid(), (gid_t)-1, follow) < 0)
		return 1;
	long result = linkat(AT_FDCWD, old_host, AT_FDCWD, new_host, flags & AT_SYMLINK_FOLLOW) < 0
			      ? -errno
			      : 0;
	if (fchownat(AT_FDCWD, old_host, st.st_uid, st.st_gid, follow) < 0 && result == 0)
		result = -errno;
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) &&
	    chmod(old_host, st.st_mode & 07777) < 0 && result == 0)
		result = -errno;
	if (stop->session->trace)
		trace_syscall(stop, old_guest, old_host);
	return result;
}

void handle_link_enter(struct stop *stop)
{
	bool at = stop->desc->paths[0].arg == 1;

	if (stop->session->fake_identity && hardlinks_protected()) {
		long result = emulate_link(stop, at);
		if (result != 1) {
			stop_skip(stop, result);
			return;
		}
	}
	handle_path_enter(stop);
}
