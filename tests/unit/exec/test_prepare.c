// SPDX-License-Identifier: MIT
/*
 * exec_prepare against the real kernel: every fixture is also execve'd
 * natively in a child, and the errno (or, for successful scripts, the argv,
 * AT_EXECFN and comm the program saw) must match the plan.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "exec-internal.h"
#include "fixtures.h"
#include "profile.h"
#include "tap.h"

static const char *argdump;	  /* fixture_dir/ad: prints comm, AT_EXECFN, argv */
static const char *argdump_real;  /* what it links to */
static const char *expected_host; /* what the shim must open; NULL = argdump_real */

static void expect_errno(struct fixture_view *view, const char *path, int want, const char *what)
{
	int native = native_execve_errno(path);

	is_int(native, want, "%s: the kernel says %s", what, want ? strerror(want) : "ok");
	is_int(prepare_errno(view, path), -native, "%s: exec_prepare agrees", what);
}

/* Run execveat natively with stdout captured; returns the bytes read or -errno of the exec. */
static ssize_t native_output(int dirfd, const char *path, int flags, char *const argv[], char *out,
			     size_t size)
{
	int pipefd[2], errpipe[2], err = 0;
	ssize_t total = 0, n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0 || pipe2(errpipe, O_CLOEXEC) < 0)
		return -EPIPE;
	pid = fork();
	if (pid == 0) {
		char *envp[] = {NULL};

		dup2(pipefd[1], 1);
		syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	close(errpipe[1]);
	while ((n = read(pipefd[0], out + total, size - (size_t)total)) > 0)
		total += n;
	if (read(errpipe[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pipefd[0]);
	close(errpipe[0]);
	waitpid(pid, NULL, 0);
	return err ? -err : total;
}

/* The argv the plan gives: prefix, then argv[skip_argv..]; joined NUL-terminated like argdump. */
static size_t plan_argv(const struct exec_plan *plan, char *const argv[], int argc, char *out)
{
	size_t len = 0;

	for (int i = 0; i < plan->n_prefix; i++) {
		strcpy(out + len, plan->prefix[i]);
		len += strlen(plan->prefix[i]) + 1;
	}
	for (int i = plan->skip_argv; i < argc; i++) {
		strcpy(out + len, argv[i]);
		len += strlen(argv[i]) + 1;
	}
	if (argc == 0 && plan->n_prefix == 0) {
		out[len++] = '\0'; /* the kernel's argv = {""} */
	}
	return len;
}

/* Compare what the kernel does for execveat(dirfd, path, argv, flags) with the plan. */
static void expect_same_run(struct fixture_view *view, int dirfd, bool cloexec, const char *path,
			    int flags, char *const argv[], const char *what)
{
	static char native[65536], planned[65536];
	struct exec_host host = fixture_host(view);
	struct exec_request request = {
	    .dirfd = dirfd, .path = path, .flags = flags, .dirfd_cloexec = cloexec};
	struct exec_plan *plan = NULL;
	void *ctx = talloc_new(NULL);
	ssize_t n;
	size_t len;
	int r;

	while (argv[request.argc])
		request.argc++;
	n = native_output(dirfd, path, flags, argv, native, sizeof(native));
	r = exec_prepare(ctx, &request, &host, &plan);
	if (n < 0) {
		is_int(r, n, "%s: same error as the kernel", what);
		talloc_free(ctx);
		return;
	}
	if (!ok(r == 0, "%s: exec_prepare succeeds", what)) {
		printf("#   got %d\n", r);
		talloc_free(ctx);
		return;
	}
	len = strlen(plan->comm) + 1;
	memcpy(planned, plan->comm, len);
	strcpy(planned + len, plan->execfn);
	len += strlen(plan->execfn) + 1;
	len += plan_argv(plan, argv, request.argc, planned + len);
	is_str(planned, native, "%s: comm", what);
	is_str(planned + strlen(planned) + 1, native + strlen(native) + 1, "%s: AT_EXECFN", what);
	if (!ok((size_t)n == len && memcmp(native, planned, len) == 0, "%s: argv", what)) {
		for (size_t i = 0; i < len; i++)
			planned[i] = planned[i] ? planned[i] : '|';
		for (ssize_t i = 0; i < n; i++)
			native[i] = native[i] ? native[i] : '|';
		printf("#   planned %.*s\n#   kernel  %.*s\n", (int)len, planned, (int)n, native);
	}
	is_str(plan->program.host_path, expected_host ? expected_host : argdump_real,
	       "%s: the file the shim maps", what);
	talloc_free(ctx);
}

static void errno_matrix(struct fixture_view *host_view)
{
	struct fake_elf e;
	char longpath[PATH_MAX + 8];

	expect_errno(host_view, fixture_path("missing"), ENOENT, "missing file");
	fixture_text(fixture_path("file"), "data\n", 0755);
	expect_errno(host_view, fixture_path("file/x"), ENOTDIR, "file used as a directory");
	mkdir(fixture_path("dir"), 0755);
	expect_errno(host_view, fixture_path("dir"), EACCES, "directory");
	fixture_text(fixture_path("noexec"), "#!/bin/true\n", 0644);
	expect_errno(host_view, fixture_path("noexec"), EACCES, "file without x");
	fixture_text(fixture_path("garbage"), "hello, world\n", 0755);
	expect_errno(host_view, fixture_path("garbage"), ENOEXEC, "text without #!");
	fixture_write(fixture_path("empty"), "", 0, 0755);
	expect_errno(host_view, fixture_path("empty"), ENOEXEC, "empty file");
	fixture_text(fixture_path("noname"), "#!  \n", 0755);
	expect_errno(host_view, fixture_path("noname"), ENOEXEC, "#! without a name");
	fixture_text(fixture_path("bang"), "#!", 0755);
	expect_errno(host_view, fixture_path("bang"), EACCES, "\"#!\" alone: empty name = cwd");
	fixture_text(fixture_path("badsb"), "#!/nonexistent/sh\n", 0755);
	expect_errno(host_view, fixture_path("badsb"), ENOENT, "#! to a missing interpreter");
	fixture_text(fixture_path("crsb"), "#!/bin/sh\r\n", 0755);
	expect_errno(host_view, fixture_path("crsb"), ENOENT, "#!/bin/sh\\r (DOS line end)");
	fixture_text(fixture_path("dirsb"), "#!/tmp\n", 0755);
	expect_errno(host_view, fixture_path("dirsb"), EACCES, "#! to a directory");
	{
		char text[300];

		memset(text, 'a', sizeof(text));
		memcpy(text, "#!/", 3);
		fixture_write(fixture_path("longsb"), text, sizeof(text), 0755);
		expect_errno(host_view, fixture_path("longsb"), ENOEXEC,
			     "#! name cut by 256 bytes");
		fixture_write(fixture_path("longsb"), text, 200, 0755);
		expect_errno(host_view, fixture_path("longsb"), ENOENT, "#! name of 197 bytes");
	}
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[PATH_MAX] = '\0';
	expect_errno(host_view, longpath, ENAMETOOLONG, "path of PATH_MAX bytes");
	symlink("loop1", fixture_path("loop2"));
	symlink("loop2", fixture_path("loop1"));
	expect_errno(host_view, fixture_path("loop1"), ELOOP, "symlink loop");

	e = fake_elf_default();
	e.interp = fixture_path("garbage");
	fixture_text(fixture_path("garbage"),
		     "not an ELF file at all, but long enough to hold an ELF header...\n", 0755);
	fixture_elf(fixture_path("elf-badinterp"), &e);
	expect_errno(host_view, fixture_path("elf-badinterp"), ELIBBAD, "PT_INTERP is text");
	e.interp = fixture_path("bang");
	fixture_elf(fixture_path("elf-shortinterp"), &e);
	expect_errno(host_view, fixture_path("elf-shortinterp"), EIO, "PT_INTERP is 2 bytes");
	e.interp = fixture_path("missing");
	fixture_elf(fixture_path("elf-nointerp"), &e);
	expect_errno(host_view, fixture_path("elf-nointerp"), ENOENT, "PT_INTERP missing");
	e.interp = fixture_path("noexec");
	fixture_elf(fixture_path("elf-noxinterp"), &e);
	expect_errno(host_view, fixture_path("elf-noxinterp"), EACCES, "PT_INTERP without x");
	e.interp = fixture_path("dir");
	fixture_elf(fixture_path("elf-dirinterp"), &e);
	expect_errno(host_view, fixture_path("elf-dirinterp"), EACCES, "PT_INTERP is a directory");
	e = fake_elf_default();
	e.machine = EM_386;
	e.interp = "/lib/ld-linux.so.2";
	fixture_elf(fixture_path("elf-386interp"), &e);
	fixture_elf(fixture_path("elf-i386interp-user"),
		    &(struct fake_elf){.class = ELFCLASS64,
				       .data = ELFDATA2LSB,
				       .type = ET_DYN,
				       .machine = EM_X86_64,
				       .phentsize = sizeof(Elf64_Phdr),
				       .interp = fixture_path("elf-386interp")});
	expect_errno(host_view, fixture_path("elf-i386interp-user"), ELIBBAD,
		     "PT_INTERP of another machine");
	expect_errno(host_view, fixture_path("elf-386interp"), ENOEXEC, "EM_386 program");
	e = fake_elf_default();
	e.interp = "/lib64/ld-linux-x86-64.so.2";
	e.interp_size = 10;
	fixture_elf(fixture_path("elf-unterminated"), &e);
	expect_errno(host_view, fixture_path("elf-unterminated"), ENOEXEC,
		     "PT_INTERP not NUL-terminated");
	e = fake_elf_default();
	e.interp = "/lib64/ld-linux-x86-64.so.2";
	e.interp_offset = 1 << 20;
	fixture_elf(fixture_path("elf-interp-off"), &e);
	expect_errno(host_view, fixture_path("elf-interp-off"), EIO, "PT_INTERP past the end");
	e = fake_elf_default();
	e.phnum = 0xffff;
	fixture_elf(fixture_path("elf-phnum"), &e);
	expect_errno(host_view, fixture_path("elf-phnum"), ENOEXEC, "e_phnum 65535");
	e = fake_elf_default();
	e.phoff = 1 << 20;
	fixture_elf(fixture_path("elf-phoff"), &e);
	expect_errno(host_view, fixture_path("elf-phoff"), ENOEXEC, "e_phoff past the end");
	e = fake_elf_default();
	e.type = ET_REL;
	fixture_elf(fixture_path("elf-rel"), &e);
	expect_errno(host_view, fixture_path("elf-rel"), ENOEXEC, "ET_REL");
	e = fake_elf_default();
	e.truncate = 60;
	fixture_elf(fixture_path("elf-cut"), &e);
	expect_errno(host_view, fixture_path("elf-cut"), ENOEXEC, "ELF cut at 60 bytes");

	/* exec_binprm: depth > 5 is ELOOP; the 6th script's interpreter is still opened first. */
	fixture_text(fixture_path("chain0"), "#!/bin/true\n", 0755);
	for (int i = 1; i <= 6; i++) {
		char text[PATH_MAX + 8];

		snprintf(text, sizeof(text), "#!%s\n", fixture_path("chain%d", i - 1));
		fixture_text(fixture_path("chain%d", i), text, 0755);
	}
	expect_errno(host_view, fixture_path("chain4"), 0, "5 nested scripts");
	expect_errno(host_view, fixture_path("chain5"), ELOOP, "6 nested scripts");
	fixture_text(fixture_path("chain0"), "#!/nonexistent\n", 0755);
	expect_errno(host_view, fixture_path("chain5"), ENOENT,
		     "6 nested scripts, the last interpreter missing");
	fixture_text(fixture_path("chain0"), "#!/bin/true\n", 0755);
	expect_errno(host_view, "/bin/true", 0, "/bin/true");
}

static void argv_parity(struct fixture_view *host_view)
{
	char text[PATH_MAX + 64];
	int dirfd;

	snprintf(text, sizeof(text), "#!%s\n", argdump);
	fixture_text(fixture_path("s1"), text, 0755);
	snprintf(text, sizeof(text), "#!%s  -o  x \t\n", fixture_path("s1"));
	fixture_text(fixture_path("s2"), text, 0755);
	snprintf(text, sizeof(text), "#!%s\targ\r\n", fixture_path("s2"));
	fixture_text(fixture_path("a-very-long-script-name"), text, 0755);

	expect_same_run(host_view, AT_FDCWD, false, argdump, 0,
			(char *[]){"ad", "one", "two", NULL}, "ELF directly");
	expect_same_run(host_view, AT_FDCWD, false, argdump, 0, (char *[]){NULL},
			"ELF with argc 0");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("s1"), 0,
			(char *[]){"s1", "x", "y", NULL}, "script");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("s2"), 0,
			(char *[]){"zero", "x", NULL}, "script with an argument, nested");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("a-very-long-script-name"), 0,
			(char *[]){"long", NULL}, "3 levels, \\r argument, long comm");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("s2"), 0, (char *[]){NULL},
			"nested script with argc 0");

	dirfd = open(fixture_dir, O_RDONLY | O_DIRECTORY);
	expect_same_run(host_view, dirfd, false, "s2", 0, (char *[]){"s2", NULL},
			"execveat(dirfd, \"s2\"): /dev/fd/N/s2");
	expect_same_run(host_view, dirfd, false, fixture_path("s1"), 0, (char *[]){"s1", NULL},
			"execveat(dirfd, absolute path)");
	close(dirfd);
	dirfd = open(fixture_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	expect_same_run(host_view, dirfd, true, "s2", 0, (char *[]){"s2", NULL},
			"execveat(O_CLOEXEC dirfd, script): ENOENT");
	close(dirfd);
	dirfd = open(fixture_path("s1"), O_RDONLY);
	expect_same_run(host_view, dirfd, false, "", AT_EMPTY_PATH, (char *[]){"s1", NULL},
			"execveat(script fd, \"\", AT_EMPTY_PATH)");
	close(dirfd);
	dirfd = open(argdump, O_RDONLY | O_CLOEXEC);
	expect_same_run(host_view, dirfd, true, "", AT_EMPTY_PATH, (char *[]){"x", NULL},
			"fexecve(O_CLOEXEC ELF fd)");
	close(dirfd);
	{
		/* fexecve of a memfd: no path to reopen but the fd itself. */
		static char data[1 << 20], host[64];
		int in = open(argdump, O_RDONLY | O_CLOEXEC);
		ssize_t n = read(in, data, sizeof(data));

		dirfd = memfd_create("argdump-in-memory", 0);
		if (n <= 0 || write(dirfd, data, (size_t)n) != n)
			perror("memfd");
		close(in);
		snprintf(host, sizeof(host), "/proc/self/fd/%d", dirfd);
		expected_host = host;
		expect_same_run(host_view, dirfd, false, "", AT_EMPTY_PATH, (char *[]){"m", NULL},
				"fexecve(memfd)");
		expected_host = NULL;
		close(dirfd);
	}
	symlink(argdump, fixture_path("adlink"));
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("adlink"), 0,
			(char *[]){"x", NULL}, "through a symlink");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("adlink"), AT_SYMLINK_NOFOLLOW,
			(char *[]){"x", NULL}, "AT_SYMLINK_NOFOLLOW on a symlink: ELOOP");
	expect_same_run(host_view, AT_FDCWD, false, fixture_path("s1"), AT_SYMLINK_FOLLOW,
			(char *[]){"x", NULL}, "unknown flag: EINVAL");
}

/* The guest's "/" is fixture_dir/root: paths, PT_INTERP and /proc/self/exe live in the view. */
static void view_mapping(void)
{
	char root[PATH_MAX], real_root[PATH_MAX];
	struct fixture_view view = {.root = root};
	struct exec_host host = fixture_host(&view);
	struct exec_request request = {.dirfd = AT_FDCWD, .path = "/bin/prog", .argc = 1};
	struct exec_plan *plan = NULL;
	void *ctx = talloc_new(NULL);
	char want[PATH_MAX + 16];
	struct fake_elf e;

	snprintf(root, sizeof(root), "%s", fixture_path("root"));
	mkdir(root, 0755);
	if (!realpath(root, real_root))
		perror(root);
	mkdir(fixture_path("root/bin"), 0755);
	mkdir(fixture_path("root/lib"), 0755);
	e = fake_elf_default();
	fixture_elf(fixture_path("root/lib/ld.so"), &e);
	e.interp = "/lib/ld.so";
	fixture_elf(fixture_path("root/bin/prog"), &e);
	symlink("prog", fixture_path("root/bin/link"));
	fixture_text(fixture_path("root/bin/script"), "#!/bin/link -x\n", 0755);

	is_int(exec_prepare(ctx, &request, &host, &plan), 0,
	       "view: ELF with PT_INTERP in the view");
	ok(plan->has_interp, "view: has an interpreter");
	snprintf(want, sizeof(want), "%s/lib/ld.so", real_root);
	is_str(plan->interp.host_path, want, "view: PT_INTERP resolved in the view");
	is_str(plan->exe_guest, "/bin/prog", "view: /proc/self/exe in guest terms");
	is_int(plan->n_prefix, 0, "view: argv untouched");

	request.path = "/bin/script";
	is_int(exec_prepare(ctx, &request, &host, &plan), 0, "view: script to a symlinked ELF");
	is_str(plan->exe_guest, "/bin/prog", "view: exe is the final ELF, symlinks resolved");
	is_str(plan->execfn, "/bin/script", "view: AT_EXECFN is the script");
	is_str(plan->comm, "script", "view: comm from the script");
	is_int(plan->n_prefix, 3, "view: interp, arg, script");
	is_str(plan->prefix[0], "/bin/link", "view: argv[0]");
	is_str(plan->prefix[1], "-x", "view: argv[1]");
	is_str(plan->prefix[2], "/bin/script", "view: argv[2]");
	is_int(plan->skip_argv, 1, "view: guest argv[0] dropped");

	fixture_text(fixture_path("root/bin/bad"), "#!/bin/missing\n", 0755);
	request.path = "/bin/bad";
	is_int(exec_prepare(ctx, &request, &host, &plan), -ENOENT,
	       "view: #! interpreter looked up in the view, not on the host");
	fixture_text(fixture_path("root/bin/long-script"),
		     "#!/bin/sh\n# long enough to be read as a whole ELF header, 64 bytes\n", 0755);
	e = fake_elf_default();
	e.interp = "/bin/long-script";
	fixture_elf(fixture_path("root/bin/elf-script-interp"), &e);
	request.path = "/bin/elf-script-interp";
	is_int(exec_prepare(ctx, &request, &host, &plan), -ELIBBAD, "view: PT_INTERP is a script");
	talloc_free(ctx);
}

/* Profile interpreters, binfmt_misc-like: tried first, magic under mask or extension. */
static void misc_interpreters(void)
{
	/* e_ident and e_machine of an aarch64 ELF, e_type masked (ET_EXEC or ET_DYN). */
	static unsigned char magic[20] = "\x7f"
					 "ELF\x02\x01\x01"
					 "\0\0\0\0\0\0\0\0\0"
					 "\x02\0\xb7\0";
	static unsigned char mask[20] = "\xff\xff\xff\xff\xff\xff\xff"
					"\0\0\0\0\0\0\0\0\0"
					"\xfe\xff\xff\xff";
	static const char *qemu_args[] = {"-0", "ignored", NULL};
	struct interpreter table[] = {
	    {.name = "aarch64",
	     .magic = magic,
	     .mask = mask,
	     .magic_len = sizeof(magic),
	     .path = "/usr/bin/qemu",
	     .args = qemu_args},
	    {.name = "python", .extension = "py", .path = "/usr/bin/python"},
	};
	char root[PATH_MAX];
	struct fixture_view view = {.root = root};
	struct exec_host host = fixture_host(&view);
	struct exec_request request = {.dirfd = AT_FDCWD, .path = "/bin/arm", .argc = 2};
	struct exec_plan *plan = NULL;
	void *ctx = talloc_new(NULL);
	struct fake_elf e;

	snprintf(root, sizeof(root), "%s", fixture_path("misc"));
	mkdir(root, 0755);
	mkdir(fixture_path("misc/bin"), 0755);
	mkdir(fixture_path("misc/usr"), 0755);
	mkdir(fixture_path("misc/usr/bin"), 0755);
	e = fake_elf_default();
	e.machine = EM_AARCH64;
	fixture_elf(fixture_path("misc/bin/arm"), &e);
	fixture_text(fixture_path("misc/bin/tool.py"), "print('hi')\n", 0755);
	e = fake_elf_default();
	e.type = ET_EXEC;
	fixture_elf(fixture_path("misc/usr/bin/qemu"), &e);
	fixture_elf(fixture_path("misc/usr/bin/python"), &e);

	is_int(exec_prepare(ctx, &request, &host, &plan), -ENOEXEC,
	       "misc: a foreign ELF without interpreters: ENOEXEC");
	host.interpreters = table;
	host.n_interpreters = 2;
	is_int(exec_prepare(ctx, &request, &host, &plan), 0, "misc: magic under mask matches");
	is_int(plan->n_prefix, 4, "misc: interpreter, its 2 arguments, the program");
	is_str(plan->prefix[0], "/usr/bin/qemu", "misc: argv[0] is the interpreter");
	is_str(plan->prefix[1], "-0", "misc: argv[1]");
	is_str(plan->prefix[3], "/bin/arm", "misc: then the program's path");
	is_int(plan->skip_argv, 1, "misc: the guest's argv[0] is dropped");
	is_str(plan->execfn, "/bin/arm", "misc: AT_EXECFN stays the program");
	is_str(plan->exe_guest, "/usr/bin/qemu", "misc: /proc/self/exe is the interpreter");
	request.path = "/bin/tool.py";
	is_int(exec_prepare(ctx, &request, &host, &plan), 0, "misc: extension matches");
	is_str(plan->prefix[0], "/usr/bin/python", "misc: extension interpreter");
	request.path = "/usr/bin/qemu";
	is_int(exec_prepare(ctx, &request, &host, &plan), 0, "misc: a native ELF is not matched");
	is_int(plan->n_prefix, 0, "misc: native ELF runs as is");
	table[0].path = "/usr/bin/missing";
	request.path = "/bin/arm";
	is_int(exec_prepare(ctx, &request, &host, &plan), -ENOENT, "misc: missing interpreter");
	talloc_free(ctx);
}

int main(int argc, char **argv)
{
	struct fixture_view host_view = {.root = ""};

	if (argc < 2) {
		fprintf(stderr, "usage: %s ARGDUMP\n", argv[0]);
		return 2;
	}
	fixture_setup();
	argdump = fixture_path("ad");
	argdump = strdup(argdump);
	argdump_real = realpath(argv[1], NULL);
	symlink(argdump_real, argdump);

	errno_matrix(&host_view);
	{
		/*
		 * Again with the guest's "/" at fixture_dir: symlinks make the same
		 * absolute strings name the same files, so the kernel's verdict on
		 * the host still applies.
		 */
		struct fixture_view chroot_view = {.root = fixture_dir};
		const char *top[] = {"bin", "lib", "lib64", "usr"};
		char self[PATH_MAX];

		mkdir(fixture_path("tmp"), 0755);
		snprintf(self, sizeof(self), "%s",
			 fixture_path("tmp%s", strrchr(fixture_dir, '/')));
		symlink("..", self);
		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
			snprintf(self, sizeof(self), "/%s", top[i]);
			symlink(self, fixture_path("%s", top[i]));
		}
		errno_matrix(&chroot_view);
	}
	argv_parity(&host_view);
	view_mapping();
	misc_interpreters();

	/*
	 * All of it again through the cache, twice: the first pass fills it
	 * (and rewrites files under it), the second mostly hits. Every verdict
	 * must stay the kernel's.
	 */
	fixture_cache = exec_cache_new(NULL);
	for (int pass = 0; pass < 2; pass++) {
		struct fixture_view chroot_view = {.root = fixture_dir};

		errno_matrix(&host_view);
		errno_matrix(&chroot_view);
		argv_parity(&host_view);
		view_mapping();
		misc_interpreters();
	}
	ok(exec_cache_get_stats(fixture_cache)->hits > 0, "the cache was used");
	talloc_free(fixture_cache);

	fixture_teardown();
	return done_testing();
}
