/* SPDX-License-Identifier: MIT */
/*
 * A session: one run of the guest. What the tracer needs to translate paths
 * (the view's mountpoint, the direct binds) and to fake identity.
 */
#ifndef GROOT_SESSION_H
#define GROOT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct interpreter;

struct direct_bind {
	const char *guest; /* absolute guest path, no trailing slash */
	size_t guest_length;
	const char *host;  /* absolute host path */
	size_t host_length;
	bool read_only;
};

struct session {
	const char *run_dir;   /* $RUN, removed at exit */
	const char *mount;     /* $RUN/mnt: where the view is mounted */
	size_t mount_length;
	/*
	 * An O_PATH fd on the view's root, held by the tracer (pid tracer_pid):
	 * a guest path that fits PATH_MAX but not once prefixed with the
	 * mountpoint goes through /proc/TRACER/fd/ROOT/ instead, so the kernel
	 * fails with ENAMETOOLONG exactly where it would natively.
	 */
	int root_fd;
	pid_t tracer_pid;
	struct direct_bind *directs;
	size_t n_directs;
	/*
	 * Binds through the view (guest dest, host source): an AF_UNIX socket
	 * there is reached at its host path (sockaddr.c), since the view's node
	 * of a socket is not the socket.
	 */
	struct direct_bind *view_binds;
	size_t n_view_binds;
	bool has_read_only_direct; /* some direct bind is ro: writes there give EROFS */
	bool fake_root;        /* user: root / -0: identity 0 and the view's fake ownership */
	bool fake_identity;    /* get*id/set*id emulated, starting from fake_uid/fake_gid */
	uid_t fake_uid;
	gid_t fake_gid;
	const unsigned int *fake_groups; /* a guest user's groups (its own first), or NULL */
	size_t n_fake_groups;
	/* Devices recorded in the view this run (fake root mknod): opening them needs help. */
	unsigned *recorded_devices;
	bool trace;            /* --trace: print each trapped syscall */
	bool tracer_shown;     /* groot proot: /proc/PID/status names groot as TracerPid, as PRoot */
	bool last_exit_wins; /* groot proot: the exit status is the last process's to exit, as PRoot's */
	bool no_wait;	     /* --no-wait: end with the guest command, killing what it left */
	int trace_fd;
	const char *shim_path; /* host path of groot-shim */
	/* groot-shim's and groot-fast.so's real paths, as /proc/PID/maps names them, or NULL */
	const char *shim_real, *fast_real;
	/* uname(2) as the guest sees it; NULL = the host's */
	const char *hostname, *release, *version, *machine;
	const struct interpreter *interpreters;
	size_t n_interpreters;
	/* The fast path (shim/fast.h): the load script's fast section, or NULL when off. */
	const char *fast_strings;
	size_t fast_size;
	int fast_fd;           /* groot-fast.so, opened by the guest's ld.so as /proc/TRACER/fd/N */
	const char *xattr_hints; /* the view's xattr hints table (common/xattr_hints.h), or NULL */
	const char *credentials; /* the guest's identities for the view (common/credentials.h) */
};

#endif
