// SPDX-License-Identifier: MIT
/*
 * exec_prepare: the kernel's do_execveat_common -> bprm_execve ->
 * exec_binprm -> search_binary_handler, run against the view (fs/exec.c,
 * Linux 6.x). Handlers are tried in the kernel's list order: binfmt_misc
 * (insert_binfmt puts it first), binfmt_script, binfmt_elf; ENOEXEC from one
 * means "try the next", any other error ends the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "exec-internal.h"
#include "profile.h"

/* exec_binprm: "This allows 4 levels of binfmt rewrites before failing hard." (depth > 5) */
#define EXEC_MAX_DEPTH 5

/* An executable as open_exec gives it: an open file, or what the cache knows of it. */
struct exec_file {
	int fd;				    /* -1 when hit is set */
	const struct exec_cache_entry *hit; /* everything the handlers read, from the cache */
	struct stat st;			    /* fstat of fd, for exec_cache_store */
	int link_r;			    /* fd_link's result, reported where it always was */
	char host_path[PATH_MAX];	    /* what resolve gave */
	char link[PATH_MAX];		    /* as /proc/self/fd shows it (the cache: realpath) */
};

/* The state of one exec request as it goes through rewrites: struct linux_binprm, in short. */
struct binprm {
	struct exec_plan *plan;
	const struct exec_host *host;
	const char *interp;	/* bprm->interp: the name the next script handler passes on */
	bool path_inaccessible; /* BINPRM_FLAGS_PATH_INACCESSIBLE */
	struct exec_file file;	/* bprm->file */
	unsigned char buf[EXEC_BUF_SIZE];
	int program_r;		      /* elf_parse_program of buf, made once it is read */
	struct elf_program_info info; /* and what it found */
	int skip;		      /* guest argv entries removed so far */
};

static int fd_link(int fd, char *out, size_t size);

static void close_file(struct exec_file *file)
{
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
}

/* The x check: the owner/group/other bits decide without asking the view when they grant. */
static bool may_exec(const struct exec_host *host, const struct exec_file *file)
{
	if (host->cache && exec_cache_may_exec(host->cache, &file->st))
		return true;
	return faccessat(AT_FDCWD, file->host_path, X_OK, AT_EACCESS) == 0;
}

static bool on_noexec_mount(const struct exec_host *host, int fd)
{
	struct statvfs vfs;

	if (host->cache)
		return exec_cache_noexec(host->cache, fd) > 0;
	return fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
}

/*
 * open_exec / do_open_execat: the path must name a regular file we may
 * execute on a mount that allows it; otherwise EACCES. The tracer is the
 * tracee's uid, so its access check is the tracee's. Unlike the kernel we
 * need read permission too (we read the file where the kernel maps it).
 * A cache hit stands for all of that: it needs the same file, unchanged.
 */
static int open_executable(const struct exec_host *host, int dirfd, const char *path, int flags,
			   enum exec_role role, struct exec_file *file)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	bool nofollow = (flags & AT_SYMLINK_NOFOLLOW) && path[0] != '\0';
	int r;

	file->fd = -1;
	file->hit = NULL;
	r = host->resolve(host->opaque, dirfd, path, flags, file->host_path, PATH_MAX);
	if (r < 0)
		return r;
	if (host->cache) {
		file->hit =
		    exec_cache_open(host->cache, role, file->host_path, nofollow, file->link);
		if (file->hit) {
			file->link_r = 0;
			return 0;
		}
	}
	if (nofollow)
		oflags |= O_NOFOLLOW;
	file->fd = open(file->host_path, oflags);
	if (file->fd < 0)
		return errno == EISDIR ? -EACCES : -errno;
	if (fstat(file->fd, &file->st) < 0 || !S_ISREG(file->st.st_mode) ||
	    on_noexec_mount(host, file->fd) || !may_exec(host, file)) {
		close_file(file);
		return -EACCES;
	}
	file->link_r = fd_link(file->fd, file->link, sizeof(file->link));
	return 0;
}

static bool is_reachable_path(const char *link);

/* Whether the cache may keep this file: only under a path it can find again. */
static bool cacheable(const struct exec_host *host, const struct exec_file *file)
{
	return host->cache && !file->hit && file->link_r == 0 && is_reachable_path(file->link);
}

/*
 * prepare_binprm: the first BINPRM_BUF_SIZE bytes, NUL-padded. The ELF
 * parse binfmt_elf would make is made here already: it depends on the
 * file alone, and the cache keeps it with the bytes.
 */
static int read_head(struct binprm *bprm)
{
	struct exec_file *file = &bprm->file;
	ssize_t n;

	if (file->hit) {
		exec_cache_restore(file->hit, bprm->buf, &bprm->program_r, &bprm->info,
				   &bprm->plan->program);
		return 0;
	}
	memset(bprm->buf, 0, sizeof(bprm->buf));
	do
		n = pread(file->fd, bprm->buf, sizeof(bprm->buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	bprm->program_r = elf_parse_program(file->fd, bprm->buf, &bprm->plan->program, &bprm->info);
	/* A failed parse may be a read error: remember only what the head alone decides. */
	if (cacheable(bprm->host, file) &&
	    (bprm->program_r == 0 || !elf_head_is_program(bprm->buf))) {
		struct exec_cache_data data = {.head = bprm->buf,
					       .program_r = bprm->program_r,
					       .info = &bprm->info,
					       .elf = &bprm->plan->program};

		exec_cache_store(bprm->host->cache, EXEC_ROLE_BINPRM, file->link, &file->st, &data);
	}
	return 0;
}

/* remove_arg_zero: drop argv[0], our own prefix first, then the guest's. */
static void remove_arg_zero(struct binprm *bprm)
{
	struct exec_plan *plan = bprm->plan;

	if (plan->n_prefix > 0) {
		talloc_free((void *)plan->prefix[0]);
		memmove(plan->prefix, plan->prefix + 1,
			(size_t)(plan->n_prefix - 1) * sizeof(char *));
		plan->n_prefix--;
	} else {
		/* argc == 0 became argv = {""} in the kernel (5.18+), which this removes. */
		bprm->skip++;
	}
}

/*
 * Replace argv[0] with `strings` (in order) - what binfmt_script and
 * binfmt_misc do with copy_string_kernel, here written front to back.
 */
static int splice_argv(struct binprm *bprm, const char *const *strings, int n)
{
	struct exec_plan *plan = bprm->plan;

	remove_arg_zero(bprm);
	if (plan->n_prefix + n > EXEC_MAX_PREFIX)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		if (strlen(strings[i]) + 1 > EXEC_MAX_ARG_STRLEN)
			return -E2BIG;
	memmove(plan->prefix + n, plan->prefix, (size_t)plan->n_prefix * sizeof(char *));
	for (int i = 0; i < n; i++) {
		plan->prefix[i] = talloc_strdup(plan, strings[i]);
		if (!plan->prefix[i])
			return -ENOMEM;
	}
	plan->n_prefix += n;
	return 0;
}

/* The next file to run replaces the current one (exec_binprm: bprm->file = bprm->interpreter). */
static int switch_file(struct binprm *bprm, const char *guest_path)
{
	struct exec_file file;
	int r;

	bprm->interp = talloc_strdup(bprm->plan, guest_path);
	if (!bprm->interp)
		return -ENOMEM;
	r = open_executable(bprm->host, AT_FDCWD, guest_path, 0, EXEC_ROLE_BINPRM, &file);
	if (r < 0)
		return r;
	close_file(&bprm->file);
	bprm->file = file;
	return 0;
}

/* binfmt_script's load_script. Returns 0 when it rewrote the exec, or -errno. */
static int load_script(struct binprm *bprm)
{
	struct shebang shebang;
	const char *strings[3];
	int n = 0, r;

	r = shebang_parse(bprm->buf, &shebang);
	if (r < 0)
		return r;
	/* The interpreter could not open a /dev/fd/N path to an fd closed by this exec. */
	if (bprm->path_inaccessible)
		return -ENOENT;
	/*
	 * "#!" alone in a short file yields an empty name; open_exec("") does
	 * not refuse it (getname_kernel) and opens the cwd, a directory: EACCES.
	 */
	if (shebang.name[0] == '\0')
		return -EACCES;
	strings[n++] = shebang.name;
	if (shebang.has_arg)
		strings[n++] = shebang.arg;
	strings[n++] = bprm->interp;
	r = splice_argv(bprm, strings, n);
	if (r < 0)
		return r;
	return switch_file(bprm, shebang.name);
}

static const struct interpreter *match_misc(const struct binprm *bprm)
{
	const struct exec_host *host = bprm->host;

	for (size_t i = 0; i < host->n_interpreters; i++) {
		const struct interpreter *e = &host->interpreters[i];

		if (e->magic) {
			bool same = true;

			if (e->offset > EXEC_BUF_SIZE || e->magic_len > EXEC_BUF_SIZE - e->offset)
				continue;
			for (size_t j = 0; same && j < e->magic_len; j++) {
				unsigned char mask = e->mask ? e->mask[j] : 0xff;

				same = ((bprm->buf[e->offset + j] ^ e->magic[j]) & mask) == 0;
			}
			if (same)
				return e;
		} else if (e->extension) {
			/* binfmt_misc 'E': the text after the last dot of bprm->interp. */
			const char *dot = strrchr(bprm->interp, '.');

			if (dot && strcmp(dot + 1, e->extension) == 0)
				return e;
		}
	}
	return NULL;
}

/* binfmt_misc's load_misc_binary with a profile-declared entry (no 'P', 'O', 'C' flags). */
static int load_misc(struct binprm *bprm)
{
	const struct interpreter *e = match_misc(bprm);
	const char *strings[EXEC_MAX_PREFIX];
	int n = 0, r;

	if (!e)
		return -ENOEXEC;
	if (bprm->path_inaccessible)
		return -ENOENT;
	strings[n++] = e->path;
	for (size_t i = 0; e->args && e->args[i]; i++) {
		if (n == EXEC_MAX_PREFIX - 1)
			return -E2BIG;
		strings[n++] = e->args[i];
	}
	strings[n++] = bprm->interp;
	r = splice_argv(bprm, strings, n);
	if (r < 0)
		return r;
	return switch_file(bprm, e->path);
}

/* What /proc/self/fd shows for an open file: its real path, or "/memfd:x (deleted)" and such. */
static int fd_link(int fd, char *out, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}

static bool is_reachable_path(const char *link)
{
	size_t len = strlen(link);

	return link[0] == '/' && !(len >= 10 && strcmp(link + len - 10, " (deleted)") == 0);
}

/*
 * The path the shim opens: the real path when there is one (symlinks and
 * /proc magic links resolved, so it survives the exec), else what resolve
 * gave (e.g. /proc/PID/fd/N for an fexecve'd memfd). `link` is fd_link's.
 */
static void set_shim_path(char host_path[PATH_MAX], const char *link, const char *resolved)
{
	const char *source = is_reachable_path(link) ? link : resolved;

	if (source != host_path)
		memcpy(host_path, source, PATH_MAX);
}

/*
 * An fexecve'd memfd or deleted file whose fd this exec closes (O_CLOEXEC,
 * MFD_CLOEXEC): the shim could not reopen it through the tracee's
 * /proc/PID/fd/N, so it opens a copy of the tracer's own fd instead,
 * /proc/TRACER/fd/M, as it opens groot-fast.so. Kept in a ring: the shim
 * opens it as soon as the exec is done, long before eight more such execs.
 */
static bool keep_for_shim(char host_path[PATH_MAX], int fd)
{
	static int kept[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
	static unsigned next;
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	unsigned slot = next++ % 8;

	if (copy < 0)
		return false;
	if (kept[slot] >= 0)
		close(kept[slot]);
	kept[slot] = copy;
	snprintf(host_path, PATH_MAX, "/proc/%d/fd/%d", (int)getpid(), copy);
	return true;
}

/* The PT_INTERP object, validated (from the cache when it knows it). */
static int load_interp(struct binprm *bprm, struct exec_file *file)
{
	struct exec_plan *plan = bprm->plan;
	int r;

	r = open_executable(bprm->host, AT_FDCWD, bprm->info.interp, 0, EXEC_ROLE_INTERP, file);
	if (r < 0)
		return r;
	if (file->hit) {
		exec_cache_restore(file->hit, NULL, NULL, NULL, &plan->interp);
		return 0;
	}
	r = elf_parse_interpreter(file->fd, &plan->interp);
	if (r < 0)
		return r;
	if (cacheable(bprm->host, file)) {
		struct exec_cache_data data = {.elf = &plan->interp};

		exec_cache_store(bprm->host->cache, EXEC_ROLE_INTERP, file->link, &file->st, &data);
	}
	return 0;
}

/* binfmt_elf's load_elf_binary, up to the point of no return. */
static int load_elf(struct binprm *bprm)
{
	struct exec_plan *plan = bprm->plan;
	struct exec_file interp = {.fd = -1};
	int r;

	r = bprm->program_r;
	if (r < 0)
		return r;
	if (bprm->info.has_interp) {
		r = load_interp(bprm, &interp);
		if (r == 0)
			r = interp.link_r;
		close_file(&interp);
		if (r < 0)
			return r;
		set_shim_path(plan->interp.host_path, interp.link, interp.host_path);
		plan->has_interp = true;
	}
	plan->executable_stack = bprm->info.executable_stack;
	plan->sanitizer_first = bprm->info.sanitizer_first;
	r = bprm->file.link_r;
	if (r < 0)
		return r;
	if (is_reachable_path(bprm->file.link) || !bprm->path_inaccessible ||
	    !keep_for_shim(plan->program.host_path, bprm->file.fd))
		set_shim_path(plan->program.host_path, bprm->file.link, bprm->file.host_path);
	return 0;
}

/* search_binary_handler, one level. */
static int search_binary_handler(struct binprm *bprm, bool *rewritten)
{
	int r;

	r = read_head(bprm);
	if (r < 0)
		return r;
	*rewritten = true;
	r = load_misc(bprm);
	if (r != -ENOEXEC)
		return r;
	r = load_script(bprm);
	if (r != -ENOEXEC)
		return r;
	*rewritten = false;
	return load_elf(bprm);
}

/* __set_task_comm: at most TASK_COMM_LEN - 1 bytes. */
static void set_comm(struct exec_plan *plan, const char *name, size_t len)
{
	if (len > sizeof(plan->comm) - 1)
		len = sizeof(plan->comm) - 1;

	memcpy(plan->comm, name, len);
	plan->comm[len] = '\0';
}

/* The names the kernel gives the exec (alloc_bprm, begin_new_exec). */
static int fill_names(struct exec_plan *plan, const struct exec_request *request,
		      const struct binprm *bprm)
{
	const char *base;
	int r;

	/* AT_EXECFN and comm come from bprm->filename, i.e. the first file, never an interpreter.
	 */
	base = strrchr(plan->execfn, '/');
	base = base ? base + 1 : plan->execfn;
	set_comm(plan, base, strlen(base));
	/* Linux 6.13+: execveat(fd, "", AT_EMPTY_PATH) names the task after the file's dentry. */
	if (request->dirfd != AT_FDCWD && request->path[0] == '\0') {
		size_t len;

		base = strrchr(bprm->file.link, '/');
		base = base ? base + 1 : bprm->file.link;
		len = strlen(base);
		if (!is_reachable_path(bprm->file.link) && len >= 10 &&
		    strcmp(base + len - 10, " (deleted)") == 0)
			len -= 10; /* d_path's decoration, not part of the name */
		set_comm(plan, base, len);
	}
	/* /proc/self/exe of a deleted file or a memfd: the kernel's text, nothing to detranslate */
	if (!is_reachable_path(bprm->file.link)) {
		memcpy(plan->exe_guest, bprm->file.link, sizeof(plan->exe_guest));
	} else if (bprm->host->detranslate) {
		r = bprm->host->detranslate(bprm->host->opaque, bprm->file.link, plan->exe_guest,
					    sizeof(plan->exe_guest));
		if (r < 0)
			return r;
	} else {
		memcpy(plan->exe_guest, bprm->file.link, sizeof(plan->exe_guest));
	}
	return 0;
}

/* alloc_bprm: bprm->filename, and the /dev/fd/N naming of dirfd-relative execs. */
static int set_filename(struct exec_plan *plan, const struct exec_request *request)
{
	int n;

	if (request->dirfd == AT_FDCWD || request->path[0] == '/')
		n = snprintf(plan->execfn, sizeof(plan->execfn), "%s", request->path);
	else if (request->path[0] == '\0')
		n = snprintf(plan->execfn, sizeof(plan->execfn), "/dev/fd/%d", request->dirfd);
	else
		n = snprintf(plan->execfn, sizeof(plan->execfn), "/dev/fd/%d/%s", request->dirfd,
			     request->path);
	/* The kernel's kasprintf has no limit; ours is PATH_MAX (ENAMETOOLONG already covers most).
	 */
	return n < 0 || (size_t)n >= sizeof(plan->execfn) ? -ENAMETOOLONG : 0;
}

static int run_handlers(struct binprm *bprm, const struct exec_request *request)
{
	int r;

	r = open_executable(bprm->host, request->dirfd, request->path, request->flags,
			    EXEC_ROLE_BINPRM, &bprm->file);
	if (r < 0)
		return r;
	for (int depth = 0;; depth++) {
		bool rewritten;

		if (depth > EXEC_MAX_DEPTH)
			return -ELOOP;
		r = search_binary_handler(bprm, &rewritten);
		if (r < 0 || !rewritten)
			return r;
	}
}

int exec_prepare(TALLOC_CTX *ctx, const struct exec_request *request, const struct exec_host *host,
		 struct exec_plan **plan_out)
{
	struct binprm bprm = {.host = host, .file.fd = -1};
	struct exec_plan *plan;
	int r;

	/* do_execveat_common: only these flags; getname: PATH_MAX counts the NUL. */
	if (request->flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (strnlen(request->path, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (request->path[0] == '\0' && !(request->flags & AT_EMPTY_PATH))
		return -ENOENT;

	plan = talloc_zero(ctx, struct exec_plan);
	if (!plan)
		return -ENOMEM;
	bprm.plan = plan;
	r = set_filename(plan, request);
	if (r < 0)
		goto fail;
	bprm.interp = plan->execfn;
	bprm.path_inaccessible =
	    request->dirfd != AT_FDCWD && request->path[0] != '/' && request->dirfd_cloexec;

	r = run_handlers(&bprm, request);
	if (r < 0)
		goto fail;
	plan->skip_argv = bprm.skip < request->argc ? bprm.skip : request->argc;
	r = fill_names(plan, request, &bprm);
	if (r < 0)
		goto fail;
	close_file(&bprm.file);
	*plan_out = plan;
	return 0;
fail:
	close_file(&bprm.file);
	talloc_free(plan);
	return r;
}
