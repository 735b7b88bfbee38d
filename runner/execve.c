/* SPDX-License-Identifier: MIT */
/*
 * execve glue between a tracee and runner/exec: read the request out of the
 * tracee, let exec_prepare() do what the kernel would, then have the kernel
 * exec the loader-shim with the planned argv; at the exit stop, hand the
 * shim its load script (shim/loadscript.h).
 */
#include "config.h"
#include "ptrace_emu.h"
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <unistd.h>

#include "credentials.h"
#include "exec.h"
#include "loadscript.h"
#include "log.h"

/* The kernel's MAX_ARG_STRINGS. */
#define MAX_ARG_STRINGS 0x7FFFFFFF

static int proc_link(pid_t pid, int dirfd, char *out, size_t size)
{
	int r = tracee_directory(pid, dirfd, out, size);
	size_t n = r == 0 ? strlen(out) : 0;

	/* An fd on a deleted file (memfd, unlinked binary): only the magic link reaches it. */
	if (n > 10 && strcmp(out + n - 10, " (deleted)") == 0)
		snprintf(out, size, "/proc/%d/fd/%d", pid, dirfd);
	return r;
}

/*
 * A host path as the tracee means it, for the tracer to open: its
 * /proc/self (path_for_tracer) and its fds through /dev/fd and /dev/std*,
 * which are links into /proc/self on the host (exec 3<prog; /dev/fd/3).
 */
static int in_tracees_context(pid_t pid, const char *path, char *out, size_t size)
{
	static const struct {
		const char *name;
		const char *fd;
	} devs[] = {
	    {"/dev/fd", ""}, {"/dev/stdin", "/0"}, {"/dev/stdout", "/1"}, {"/dev/stderr", "/2"}};

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		size_t n = strlen(devs[i].name);

		if (!strncmp(path, devs[i].name, n) && (path[n] == '/' || !path[n])) {
			int w =
			    snprintf(out, size, "/proc/%d/fd%s%s", (int)pid, devs[i].fd, path + n);
			return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
		}
	}
	return path_for_tracer(pid, AT_FDCWD, path, out, size);
}

/* exec_host.resolve: a guest path as the tracee sees it, to a host path the tracer (and the shim) can open. */
static int resolve_for_exec(void *opaque, int dirfd, const char *guest, int flags, char *host,
			    size_t size)
{
	struct stop *stop = opaque;
	pid_t pid = stop->tracee->pid;
	char base[PATH_MAX];
	int r;

	if (guest[0] == '\0')
		return (flags & AT_EMPTY_PATH) ? proc_link(pid, dirfd, host, size) : -ENOENT;
	/* Some process's /proc/PID/exe is the shim to the kernel: run that process's program. */
	const char *exe = guest[0] == '/' ? proc_exe_of(stop, guest) : NULL;
	if (exe)
		guest = exe;
	r = translate_path(stop->session, pid, dirfd, guest, host, size);
	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	if (guest[0] == '/')
		return in_tracees_context(pid, guest, host, size);
	/* Relative: anchor it to the tracee's cwd or dirfd so that it still means the same after exec. */
	r = proc_link(pid, dirfd, base, sizeof(base));
	if (r < 0)
		return r;
	if ((size_t)snprintf(host, size, "%s/%s", base, guest) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int detranslate_for_exec(void *opaque, const char *host, char *guest, size_t size)
{
	struct stop *stop = opaque;

	return detranslate_path(stop->session, host, guest, size);
}

/* runner/exec's cache of validated files: one per tracer, kept for its whole life. */
static struct exec_cache *exec_cache(void)
{
	static struct exec_cache *cache;

	if (!cache)
		cache = exec_cache_new(NULL);
	return cache;
}

/* Count argv like the kernel's count(): -EFAULT on a bad pointer. */
static long count_strings(pid_t pid, unsigned long array)
{
	unsigned long chunk[256];
	long n = 0;

	if (!array)
		return 0;
	for (;;) {
		int err = tracee_read(pid, array + (unsigned long)n * sizeof(long), chunk, sizeof(chunk));
		if (err < 0) {
			/* Maybe the array ends just before an unmapped page: go one by one. */
			if (tracee_read(pid, array + (unsigned long)n * sizeof(long), chunk,
					sizeof(long)) < 0)
				return -EFAULT;
			if (!chunk[0])
				return n;
			n++;
			continue;
		}
		for (size_t i = 0; i < 256; i++) {
			if (!chunk[i])
				return n + (long)i;
		}
		n += 256;
		if (n >= MAX_ARG_STRINGS)
			return -E2BIG;
	}
}

static bool fd_is_cloexec(pid_t pid, int fd)
{
	char file[32];

	snprintf(file, sizeof(file), "fdinfo/%d", fd);
	return tracee_proc_octal(pid, file, "flags:", 0) & O_CLOEXEC;
}

/* New argv below the stack: the planned prefix, then the guest's argv[skip..]. */
static unsigned long push_argv(struct stop *stop, const struct exec_plan *plan,
			       unsigned long argv, long argc)
{
	pid_t pid = stop->tracee->pid;
	long kept = argc > plan->skip_argv ? argc - plan->skip_argv : 0;
	size_t count = (size_t)plan->n_prefix + (size_t)kept + 1;
	unsigned long *pointers = talloc_array(NULL, unsigned long, count);

	if (!pointers)
		return 0;
	for (int i = 0; i < plan->n_prefix; i++) {
		pointers[i] = scratch_push(pid, &stop->scratch, plan->prefix[i],
					   strlen(plan->prefix[i]) + 1);
		if (!pointers[i])
			goto fail;
	}
	if (kept && tracee_read(pid, argv + (unsigned long)plan->skip_argv * sizeof(long),
				pointers + plan->n_prefix, (size_t)kept * sizeof(long)) < 0)
		goto fail;
	pointers[count - 1] = 0;
	unsigned long address = scratch_push(pid, &stop->scratch, pointers, count * sizeof(long));
	talloc_free(pointers);
	return address;
fail:
	talloc_free(pointers);
	return 0;
}

/*
 * A fake identity is judged as the kernel judges it (do_open_execat's
 * MAY_EXEC on the file named and on its interpreter, with the fake owners
 * and modes of the view: the tracer's own check was its host uid's), and a
 * set-id program gives it its owner, as bprm_fill_uid does (not under a
 * guest debugger: LSM_UNSAFE_PTRACE).
 */
static int judge_exec(struct stop *stop, struct exec_plan *plan, const struct exec_request *request)
{
	struct tracee *t = stop->tracee;
	struct credentials_slot who;
	char named[PATH_MAX];
	struct stat st;

	if (!stop->session->fake_identity)
		return 0;
	identity_slot(stop->session, t, &who);
	if (plan->n_prefix > 0 &&
	    translate_for_tracer(stop->session, t->pid, request->dirfd, request->path, named,
				 sizeof(named)) >= 0 &&
	    stat(named, &st) == 0 &&
	    credentials_permission(&who, st.st_mode, st.st_uid, st.st_gid, X_OK) < 0)
		return -EACCES;
	if (stat(plan->program.host_path, &st) < 0)
		return 0;
	if (credentials_permission(&who, st.st_mode, st.st_uid, st.st_gid, X_OK) < 0)
		return -EACCES;
	if (t->traced)
		return 0;
	plan->set_uid = (st.st_mode & S_ISUID) != 0;
	plan->set_gid = (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
	plan->file_uid = st.st_uid;
	plan->file_gid = st.st_gid;
	return 0;
}

void handle_execve_enter(struct stop *stop)
{
	struct tracee *t = stop->tracee;
	bool at = stop->desc->paths[0].arg == 1;
	char guest[PATH_MAX];
	unsigned long argv = stop_arg(stop, at ? 2 : 1), envp = stop_arg(stop, at ? 3 : 2);
	struct exec_request request = {
		.dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD,
		.path = guest,
		.flags = at ? (int)stop_arg(stop, 4) : 0,
	};
	struct exec_host host = {
		.resolve = resolve_for_exec,
		.detranslate = detranslate_for_exec,
		.opaque = stop,
		.interpreters = stop->session->interpreters,
		.n_interpreters = stop->session->n_interpreters,
		.cache = exec_cache(),
	};
	struct exec_plan *plan = NULL;
	ssize_t n = tracee_read_string(t->pid, stop_arg(stop, at ? 1 : 0), guest, sizeof(guest));
	long argc;
	int err;

	if (n < 0) {
		stop_skip(stop, n);
		return;
	}
	argc = count_strings(t->pid, argv);
	if (argc < 0 || count_strings(t->pid, envp) < 0) {
		stop_skip(stop, argc < 0 ? argc : -EFAULT);
		return;
	}
	request.argc = (int)argc;
	if (request.dirfd != AT_FDCWD)
		request.dirfd_cloexec = fd_is_cloexec(t->pid, request.dirfd);

	err = exec_prepare(t, &request, &host, &plan);
	if (stop->session->trace)
		trace_syscall(stop, guest, err < 0 ? strerror(-err) : plan->program.host_path);
	if (err < 0) {
		stop_skip(stop, err);
		return;
	}
	err = judge_exec(stop, plan, &request);
	if (err < 0) {
		talloc_free(plan);
		stop_skip(stop, err);
		return;
	}

	unsigned long shim = scratch_push(t->pid, &stop->scratch, stop->session->shim_path,
					  strlen(stop->session->shim_path) + 1);
	unsigned long new_argv = argv; /* may be NULL: the kernel gives the program "" then */
	bool pushed = shim && (plan->n_prefix || plan->skip_argv);
	if (pushed)
		new_argv = push_argv(stop, plan, argv, argc);
	if (!shim || (pushed && !new_argv)) {
		talloc_free(plan);
		stop_skip(stop, -E2BIG); /* no room below the stack for the new arguments */
		return;
	}

	t->saved_regs = stop->regs;
	/* The argc the program will get (the kernel gives an empty argv one ""). */
	long kept = argc > plan->skip_argv ? argc - plan->skip_argv : 0;
	t->next_argc = (uint64_t)(plan->n_prefix + kept) ?: 1;
	/* execveat becomes a plain execve of the shim: the plan already resolved dirfd and flags. */
	REG_SYSCALL(&stop->regs) = SYS_execve;
	stop_set_arg(stop, 0, shim);
	stop_set_arg(stop, 1, new_argv);
	stop_set_arg(stop, 2, envp);
	talloc_free(t->plan);
	t->plan = plan;
	if (stop->session->credentials)
		identity_exec_loading(t, true);
	stop->want_exit = true;
}

/* The tracer's own user namespace (its nsfs inode), looked up once. */
static ino_t own_user_ns(void)
{
	static ino_t ino;
	struct stat st;

	if (!ino && stat("/proc/self/ns/user", &st) == 0)
		ino = st.st_ino;
	return ino;
}

/*
 * The fast path needs glibc's ld.so to honour LD_PRELOAD (shim/fast.h), and
 * to open it: /proc/TRACER/fd/N, which a process that really dropped root in
 * a root session may not, nor one in a user namespace of its own (unshare
 * -U): its ld.so would print an error at every start. Nor does a program
 * get it whose AddressSanitizer runtime must be its first library.
 */
static bool wants_fast_path(const struct session *session, const struct exec_plan *plan, pid_t pid)
{
	char path[48];
	struct stat st;
	const char *base;

	if (!session->fast_strings || !plan->has_interp || plan->sanitizer_first)
		return false;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (getuid() == 0 && (stat(path, &st) < 0 || st.st_uid != 0))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat(path, &st) == 0 && st.st_ino != own_user_ns())
		return false;
	base = strrchr(plan->interp.host_path, '/');
	base = base ? base + 1 : plan->interp.host_path;
	return strncmp(base, "ld-linux-x86-64.so", 18) == 0;
}

void handle_execve_exit(struct stop *stop)
{
	struct tracee *t = stop->tracee;
	struct exec_plan *plan = t->plan;
	long result = (long)REG_RESULT(&stop->regs);
	static char script[LOADSCRIPT_MAX_SIZE];

	t->plan = NULL;
	if (!plan)
		return;
	if (result < 0) {
		identity_exec_loading(t, false);
		/* The old image is intact: give back the registers it had, with the errno. */
		stop->regs = t->saved_regs;
		REG_RESULT(&stop->regs) = (unsigned long long)result;
		stop->regs_dirty = true;
		talloc_free(plan);
		return;
	}

	uint64_t sp = REG_SP(&stop->regs);
	plan->report_start = t->traced != NULL;
	plan->fake_ids = identity_ids(stop, plan->ids);
	plan->secure = t->exec_secure;
	/*
	 * A guest debugger must see the guest's own paths in the syscalls: no fast
	 * path. Nor for a set-id program: its ld.so ignores LD_PRELOAD anyway.
	 */
	if (!t->traced && !plan->secure && wants_fast_path(stop->session, plan, t->pid)) {
		plan->fast_strings = stop->session->fast_strings;
		plan->fast_size = stop->session->fast_size;
	}
	const uint64_t where = GROOT_SHIM_SCRIPT_AREA;
	ssize_t size = exec_build_load_script(plan, where, sp, script, sizeof(script));
	if (size == -ENOSPC && plan->fast_strings) {
		/* Long paths: this program goes without the fast path. */
		plan->fast_strings = NULL;
		plan->fast_size = 0;
		size = exec_build_load_script(plan, where, sp, script, sizeof(script));
	}
	if (size < 0 || tracee_write(t->pid, where, script, (size_t)size) < 0) {
		/* Past the point of no return: the old image is gone. */
		log_error("cannot hand the load script to the shim in %d: %s; this is a groot bug",
			  t->pid, strerror(size < 0 ? (int)-size : EFAULT));
		kill(t->pid, SIGKILL);
		talloc_free(plan);
		return;
	}
	t->shim_reports = plan->report_start;
	t->stack_start = sp;
	t->exec_argc = t->next_argc;
	ptrace_emu_drop_auxv(t); /* the former program's */
	*reg_arg(&stop->regs, 0) = where;
	REG_SP(&stop->regs) = (sp - LOADSCRIPT_STACK_GAP) & ~15ULL;
	stop->regs_dirty = true;

	talloc_free(t->exe);
	t->exe = talloc_strdup(t, plan->exe_guest);
	struct stat program;
	t->exe_ino = stat(plan->program.host_path, &program) == 0 ? program.st_ino : 0;
	talloc_free(plan);
}
