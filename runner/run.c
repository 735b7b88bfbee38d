/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fast_path.h"
#include "helpers.h"
#include "log.h"
#include "remove_tree.h"
#include "preflight.h"
#include "session.h"
#include "stop.h"
#include "tracer.h"
#include "translate.h"
#include "view.h"

extern char **environ;

/* /proc, /dev and /sys are always the host's (ARCHITECTURE.md, "The path model"). */
static const char *const always_direct[] = {"/proc", "/dev", "/sys"};

/*
 * Root's run directories may be searched by anyone (0711): a guest process
 * that really drops root reaches the view mounted inside (groot-fs mounts it
 * allow_other then); what else is kept there has modes of its own.
 */
static char *run_base(TALLOC_CTX *ctx)
{
	const char *runtime = getuid() == 0 ? NULL : getenv("XDG_RUNTIME_DIR");
	mode_t mode = getuid() == 0 ? 0711 : 0700;
	char *base;

	if (runtime && *runtime && access(runtime, W_OK | X_OK) == 0) {
		char *parent = talloc_asprintf(ctx, "%s/groot", runtime);
		if (mkdir(parent, 0700) == 0 || errno == EEXIST)
			return parent;
	}
	base = talloc_asprintf(ctx, "/tmp/groot-%u", (unsigned)getuid());
	if (mkdir(base, mode) < 0 && errno != EEXIST)
		return NULL;
	struct stat st;
	/* A directory someone else made for us in /tmp is not ours to use. */
	if (lstat(base, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		log_error("%s is not a directory owned by you; remove it", base);
		return NULL;
	}
	if ((st.st_mode & 07777) != mode && chmod(base, mode) < 0)
		return NULL;
	return base;
}

/*
 * What the tracer leaves in the run directory when tracees die unseen: the
 * aliases of long socket paths (s/), /proc copies, auxv copies. Only those
 * names: the view's mountpoint is never walked into.
 */
static void remove_leftovers(TALLOC_CTX *ctx, const char *run_dir)
{
	DIR *dir = opendir(run_dir);
	struct dirent *entry;

	remove_tree(talloc_asprintf(ctx, "%s/s", run_dir));
	if (!dir)
		return;
	while ((entry = readdir(dir)))
		if (!strncmp(entry->d_name, "proc-", 5) || !strncmp(entry->d_name, "auxv-", 5))
			unlinkat(dirfd(dir), entry->d_name, 0);
	closedir(dir);
}

static const char **add_arg(TALLOC_CTX *ctx, const char **args, size_t *n, const char *arg)
{
	args = talloc_realloc(ctx, args, const char *, *n + 2);
	args[(*n)++] = arg;
	args[*n] = NULL;
	return args;
}

static void add_direct(TALLOC_CTX *ctx, struct session *session, const char *guest,
		       const char *host, bool read_only)
{
	session->directs = talloc_realloc(ctx, session->directs, struct direct_bind,
					  session->n_directs + 1);
	session->has_read_only_direct |= read_only;
	session->directs[session->n_directs++] = (struct direct_bind){
		guest, strlen(guest), host, strlen(host), read_only,
	};
}

/* Translate the profile into groot-fs's options and the tracer's direct binds. */
static const char **view_arguments(TALLOC_CTX *ctx, const struct run_request *request,
				   struct session *session, const char *run_dir)
{
	const struct profile *p = request->profile;
	const char **args = NULL;
	size_t n = 0;

	args = add_arg(ctx, args, &n, "--lower");
	args = add_arg(ctx, args, &n, p->rootfs.path);
	for (size_t i = 0; p->rootfs.layers && p->rootfs.layers[i]; i++) {
		args = add_arg(ctx, args, &n, "--lower");
		args = add_arg(ctx, args, &n, p->rootfs.layers[i]);
	}
	switch (p->rootfs.upper) {
	case UPPER_NONE:
		break;
	case UPPER_IN_PLACE:
		args = add_arg(ctx, args, &n, "--in-place");
		break;
	case UPPER_EPHEMERAL: {
		char *upper = talloc_asprintf(ctx, "%s/upper", run_dir);
		mkdir(upper, 0755);
		args = add_arg(ctx, args, &n, "--upper");
		args = add_arg(ctx, args, &n, upper);
		break;
	}
	case UPPER_PERSISTENT: {
		int err = make_directories(p->rootfs.upper_path, 0755);
		if (err < 0)
			log_warn("cannot create the upper layer %s: %s", p->rootfs.upper_path,
				 strerror(-err));
		args = add_arg(ctx, args, &n, "--upper");
		args = add_arg(ctx, args, &n, p->rootfs.upper_path);
		break;
	}
	}
	/* Killed by SIGKILL, we leave the run directory to the daemon. */
	args = add_arg(ctx, args, &n, "--run-dir");
	args = add_arg(ctx, args, &n, run_dir);
	if (session->fake_root) {
		args = add_arg(ctx, args, &n, "--fake-root");
	} else if (session->fake_identity) {
		/*
		 * A guest user: the tree's owners as recorded (the invoking user's
		 * files are root's, as under fake root); in binds the invoking user's
		 * files are the guest user's. PRoot's -i makes them its own everywhere.
		 */
		char *ids = talloc_asprintf(ctx, "%u:%u", (unsigned)session->fake_uid,
					    (unsigned)session->fake_gid);
		if (request->proot_compat) {
			args = add_arg(ctx, args, &n, "--owner");
		} else {
			args = add_arg(ctx, args, &n, "--fake-root");
			args = add_arg(ctx, args, &n, "--bind-owner");
		}
		args = add_arg(ctx, args, &n, ids);
		args = add_arg(ctx, args, &n, "--check-opens");
	}
	if (session->credentials) {
		args = add_arg(ctx, args, &n, "--credentials");
		args = add_arg(ctx, args, &n, session->credentials);
		/* Root may search everything: until someone else appears (identity.c). */
		if (session->fake_root)
			args = add_arg(ctx, args, &n, "--lazy-guards");
	}
	if (p->rootfs.writeback_cache && p->rootfs.upper != UPPER_NONE)
		args = add_arg(ctx, args, &n, "--writeback-cache");
	if (p->determinism.readdir_sorted)
		args = add_arg(ctx, args, &n, "--sorted-readdir");
	if (p->determinism.stable_inodes)
		args = add_arg(ctx, args, &n, "--stable-inodes");
	if (session->xattr_hints) {
		args = add_arg(ctx, args, &n, "--xattr-hints");
		args = add_arg(ctx, args, &n, session->xattr_hints);
	}
	if (p->determinism.clamp_mtime && p->determinism.has_source_date_epoch) {
		args = add_arg(ctx, args, &n, "--clamp-mtime");
		args = add_arg(ctx, args, &n,
			       talloc_asprintf(ctx, "%lld", p->determinism.source_date_epoch));
	}
	for (size_t i = 0; i < sizeof(always_direct) / sizeof(always_direct[0]); i++) {
		add_direct(ctx, session, always_direct[i], always_direct[i], false);
		args = add_arg(ctx, args, &n, "--direct");
		args = add_arg(ctx, args, &n,
			       talloc_asprintf(ctx, "%s=%s", always_direct[i], always_direct[i]));
	}

	for (size_t i = 0; i < p->n_binds; i++) {
		const struct bind *b = &p->binds[i];
		if (access(b->source, F_OK) < 0) {
			if (b->flags & BIND_TRY)
				continue;
			log_warn("%s: bind source %s does not exist; skipping it", b->origin,
				 b->source);
			continue;
		}
		if (b->flags & BIND_DIRECT) {
			add_direct(ctx, session, b->dest, b->source, b->flags & BIND_RO);
			args = add_arg(ctx, args, &n, "--direct");
			args = add_arg(ctx, args, &n,
				       talloc_asprintf(ctx, "%s=%s", b->dest, b->source));
		} else {
			session->view_binds =
			    talloc_realloc(ctx, session->view_binds, struct direct_bind,
					   session->n_view_binds + 1);
			session->view_binds[session->n_view_binds++] = (struct direct_bind){
			    b->dest,	       strlen(b->dest),		  b->source,
			    strlen(b->source), (b->flags & BIND_RO) != 0,
			};
			args = add_arg(ctx, args, &n, "--bind");
			args = add_arg(ctx, args, &n,
				       talloc_asprintf(ctx, "%s:%s%s", b->source, b->dest,
						       (b->flags & BIND_RO) ? ":ro" : ""));
		}
	}
	for (int v = LOG_LEVEL_WARN; v < (int)log_level; v++)
		args = add_arg(ctx, args, &n, "-v");
	return args;
}

/*
 * groot shell: the prompt names the profile. Debian's bashrc puts
 * $debian_chroot in front of its prompt; PS1 covers other shells.
 */
/*
 * Lookups by user notification (notify.c): not under a fake identity (the
 * view and the tracer judge the caller, not notify.c's thread), not with
 * --trace (every call printed by the ptrace side), and not when
 * GROOT_NO_NOTIFY is set (to compare).
 */
static bool notify_allowed(const struct session *session)
{
	const char *off = getenv("GROOT_NO_NOTIFY");
	struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[2] = {{0}};

	/*
	 * Nor when groot runs as root or with capabilities: a guest process
	 * could change its own credentials (setuid, setgroups, capset), and the
	 * notification thread's would no longer be its.
	 */
	struct utsname u;
	int major = 0, minor = 0;

	if (geteuid() == 0 || syscall(SYS_capget, &header, caps) < 0 || caps[0].effective ||
	    caps[1].effective || caps[0].permitted || caps[1].permitted)
		return false;
	/* pidfd_getfd (5.6), SECCOMP_IOCTL_NOTIF_ADDFD (5.9), openat2 (5.6). */
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2 ||
	    major * 1000 + minor < 5009)
		return false;
	return !session->fake_identity && !session->trace && !(off && *off);
}

static char **with_shell_prompt(TALLOC_CTX *ctx, char **envp, const char *name)
{
	size_t n = 0;
	char **out;

	while (envp && envp[n])
		n++;
	out = talloc_array(ctx, char *, n + 3);
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "debian_chroot=", 14) != 0 && strncmp(envp[i], "PS1=", 4) != 0)
			out[j++] = envp[i];
	out[j++] = talloc_asprintf(out, "debian_chroot=groot:%s", name);
	out[j++] = talloc_asprintf(out, "PS1=(groot:%s) \\u@\\h:\\w\\$ ", name);
	out[j] = NULL;
	return out;
}

/* Whose identity the guest has: root (fake), the host user's, or a guest user's (fake). */
static int resolve_identity(TALLOC_CTX *ctx, const struct profile *p, struct session *session)
{
	char *file;
	FILE *f;
	struct passwd *pw;
	struct group *gr;
	const char *name = NULL;

	if (session->fake_root) {
		session->fake_identity = true;
		return 0;
	}
	if (p->user.kind == USER_HOST)
		return 0;
	session->fake_identity = true;
	session->fake_uid = p->user.kind == USER_UID ? p->user.uid : 0;
	session->fake_gid = (gid_t)session->fake_uid;
	file = profile_guest_file(ctx, p, "etc/passwd");
	f = file ? fopen(file, "re") : NULL;
	while (f && !name && (pw = fgetpwent(f))) {
		if (p->user.kind == USER_NAME ? strcmp(pw->pw_name, p->user.name) != 0
					      : pw->pw_uid != session->fake_uid)
			continue;
		session->fake_uid = pw->pw_uid;
		session->fake_gid = pw->pw_gid;
		name = talloc_strdup(ctx, pw->pw_name);
	}
	if (f)
		fclose(f);
	if (!name && p->user.kind == USER_NAME) {
		log_error("%s: user '%s' is not in the guest's /etc/passwd (use a uid, or root or "
			  "host)",
			  p->file, p->user.name);
		return -ENOENT;
	}
	/* Its supplementary groups, as login's initgroups gives them. */
	unsigned int *groups = talloc_array(ctx, unsigned int, CREDENTIALS_MAX_GROUPS);
	size_t n = 0;
	if (!groups)
		return -ENOMEM;
	groups[n++] = session->fake_gid;
	file = profile_guest_file(ctx, p, "etc/group");
	f = name && file ? fopen(file, "re") : NULL;
	while (f && n < CREDENTIALS_MAX_GROUPS && (gr = fgetgrent(f))) {
		bool member = false;
		for (char **m = gr->gr_mem; m && *m && !member; m++)
			member = strcmp(*m, name) == 0;
		if (member && gr->gr_gid != session->fake_gid)
			groups[n++] = gr->gr_gid;
	}
	if (f)
		fclose(f);
	session->fake_groups = groups;
	session->n_fake_groups = n;
	return 0;
}

static char **guest_command(TALLOC_CTX *ctx, const struct run_request *request)
{
	const struct profile *p = request->profile;
	const char *shell = p->shell ? p->shell : "/bin/sh";
	char **argv;

	if (request->command && request->command[0])
		return request->command;
	if (!request->login_shell && p->command && p->command[0])
		return (char **)p->command;
	argv = talloc_array(ctx, char *, 3);
	argv[0] = talloc_strdup(argv, shell);
	argv[1] = talloc_strdup(argv, "-l");
	argv[2] = NULL;
	return argv;
}

static bool is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The host path the guest starts in. A relative -w is relative to the
 * guest's root; symlinks in it are the guest's (resolved in the view, not
 * on the host). groot proot does as PRoot: it starts in the host's cwd when
 * the guest has it and in / otherwise, a relative -w is relative to the
 * host's cwd, and a missing one is a warning (and /).
 */
static const char *initial_directory(TALLOC_CTX *ctx, const struct run_request *request,
				     const struct session *session,
				     const struct direct_bind **bind)
{
	const struct profile *p = request->profile;
	const char *workdir = request->workdir ? request->workdir : p->workdir;
	char cwd[PATH_MAX], host[PATH_MAX];
	bool fallback = false;

	if (!workdir && request->proot_compat && getcwd(cwd, sizeof(cwd))) {
		workdir = cwd;
		fallback = true;
	} else if (workdir && workdir[0] != '/' && request->proot_compat &&
		   getcwd(cwd, sizeof(cwd))) {
		workdir = talloc_asprintf(ctx, "%s/%s", cwd, workdir); /* PRoot: from the host's cwd */
	}
	if (!workdir)
		workdir = "/";
	char *guest = talloc_asprintf(ctx, "%s%s/.", workdir[0] == '/' ? "" : "/", workdir);
	const char *result = host;
	int err;
	*bind = find_direct_bind(session, guest);
	if (*bind) {
		err = translate_path(session, getpid(), AT_FDCWD, guest, host, sizeof(host));
		if (err == 0)
			result = guest; /* the same path on the host */
	} else {
		err = canonicalize_path(session->mount, NULL, guest, host, sizeof(host));
	}
	if (err >= 0 && is_directory(result))
		return talloc_strdup(ctx, result);
	if (fallback)
		return session->mount;
	if (request->proot_compat) {
		/* PRoot warns and starts in / instead. */
		log_warn("cannot start in %s: %s; starting in /", workdir,
			 err < 0 ? strerror(-err) : "no such directory in the guest");
		return session->mount;
	}
	log_error("cannot start in %s: %s", workdir,
		  err < 0 ? strerror(-err) : "no such directory in the guest");
	return NULL;
}

/* The signals groot was started with ignored (the guest inherits them). */
static void inherited_ignores(sigset_t *set)
{
	struct sigaction action;

	sigemptyset(set);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
			sigaddset(set, sig);
}

int run_guest(TALLOC_CTX *ctx, const struct run_request *request)
{
	const struct profile *p = request->profile;
	struct session session = {.trace = request->trace, .trace_fd = STDERR_FILENO, .root_fd = -1};
	struct view view = {.lifeline = -1};
	int status = GROOT_EXIT_FAILURE;
	char *base, *run_dir, *mount;

	if (preflight_run(p, request->proot_compat) < 0)
		return GROOT_EXIT_FAILURE;
	session.fake_root = request->force_root || p->user.kind == USER_ROOT;
	if (resolve_identity(ctx, p, &session) < 0)
		return GROOT_EXIT_USAGE;
	if (request->has_gid) {
		session.fake_gid = request->gid;
		session.fake_groups = NULL; /* PRoot's -i UID:GID: that group alone */
	}
	unsigned recorded_devices = 0;
	session.recorded_devices = &recorded_devices;
	session.shim_path = find_helper(ctx, "groot-shim", "shim", "GROOT_SHIM");
	session.shim_real = session.shim_path ? real_path(ctx, session.shim_path) : NULL;
	const char *fs = find_helper(ctx, "groot-fs", "fuse", "GROOT_FS");
	if (!session.shim_path || !fs) {
		log_error("cannot find %s next to groot or in %s; reinstall groot",
			  fs ? "groot-shim" : "groot-fs", GROOT_LIBEXECDIR);
		return GROOT_EXIT_FAILURE;
	}
	session.hostname = p->hostname;
	session.release = p->uname.release;
	session.version = p->uname.version;
	session.machine = p->uname.machine;
	if (p->interpreters) {
		session.interpreters = p->interpreters;
		session.n_interpreters = p->n_interpreters;
	}

	base = run_base(ctx);
	if (!base) {
		log_error("cannot create a run directory: %s", strerror(errno));
		return GROOT_EXIT_FAILURE;
	}
	view_remove_stale(base);
	run_dir = talloc_asprintf(ctx, "%s/XXXXXX", base);
	if (!mkdtemp(run_dir) || (getuid() == 0 && chmod(run_dir, 0711) < 0)) {
		log_error("cannot create a run directory in %s: %s", base, strerror(errno));
		return GROOT_EXIT_FAILURE;
	}
	FILE *pid_file = fopen(talloc_asprintf(ctx, "%s/pid", run_dir), "we");
	if (pid_file) {
		fprintf(pid_file, "%d\n", getpid());
		fclose(pid_file);
	}
	mount = talloc_asprintf(ctx, "%s/mnt", run_dir);
	mkdir(mount, 0755);
	session.run_dir = run_dir;
	session.mount = mount;
	session.mount_length = strlen(mount);
	const char *fast_env = getenv("GROOT_FAST_PATH");
	bool fast = !request->no_fast_path && !(fast_env && strcmp(fast_env, "0") == 0);
	/* Stable inodes follow paths, not objects: no hints there (fuse/hints.c). */
	if (fast && !p->determinism.stable_inodes)
		session.xattr_hints = talloc_asprintf(ctx, "%s/xattr-hints", run_dir);

	if (session.fake_identity) {
		char *table = talloc_asprintf(ctx, "%s/credentials", run_dir);
		int err = identity_share(&session, table);
		if (err < 0 && !session.fake_root) {
			/* A guest user the view could not judge would be root there. */
			log_error("cannot share the guest's identities with the view (%s): %s", table,
				  strerror(-err));
			goto out;
		}
		if (err < 0)
			log_warn("cannot share the guest's identities with the view (%s): %s; "
				 "what a dropped identity does goes unjudged",
				 table, strerror(-err));
		else
			session.credentials = table;
	}

	struct view_options view_options = {fs, view_arguments(ctx, request, &session, run_dir)};
	if (view_start(&view_options, mount, &view) < 0)
		goto out;
	session.root_fd = open(mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	session.tracer_pid = getpid();
	session.tracer_shown = request->proot_compat;
	session.last_exit_wins = request->proot_compat;
	session.no_wait = request->no_wait;
	if (fast)
		fast_path_prepare(ctx, &session);

	const struct direct_bind *workdir_bind;
	const char *workdir_host = initial_directory(ctx, request, &session, &workdir_bind);
	if (!workdir_host)
		goto out;
	char **envp = profile_build_environ(ctx, p, environ);
	if (request->login_shell)
		envp = with_shell_prompt(ctx, envp, p->name ? p->name : "groot");
	struct launch launch = {
		.workdir = workdir_host,
		.workdir_bind = workdir_bind,
		.argv = guest_command(ctx, request),
		.envp = envp,
		.filter = {.fake_identity = session.fake_identity,
			   .fake_uname = session.hostname || session.release || session.version ||
					 session.machine,
			   .shim_start = GROOT_SHIM_BASE,
			   .shim_end = GROOT_SHIM_BASE + GROOT_SHIM_SIZE,
			   .notify = notify_allowed(&session)},
		.view_pid = view.pid,
	};
	inherited_ignores(&launch.ignored);
	/* Like a shell waiting for its job: ^C and ^\ are for the guest. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	status = tracer_run(&session, &launch);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);

out:
	if (session.root_fd >= 0)
		close(session.root_fd);
	if (session.fast_strings)
		close(session.fast_fd);
	view_stop(&view);
	rmdir(mount);
	if (p->rootfs.upper == UPPER_EPHEMERAL)
		remove_tree(talloc_asprintf(ctx, "%s/upper", run_dir));
	unlink(talloc_asprintf(ctx, "%s/pid", run_dir));
	remove_leftovers(ctx, run_dir);
	if (session.xattr_hints)
		unlink(session.xattr_hints);
	if (session.credentials)
		unlink(session.credentials);
	if (rmdir(run_dir) < 0)
		log_debug("cannot remove %s: %s", run_dir, strerror(errno));
	return status;
}
