// SPDX-License-Identifier: MIT
/*
 * groot-shim without the tracer: a tiny ptrace launcher plays the tracer's
 * part of the contract (shim/loadscript.h). The child execs groot-shim with
 * the planned argv; at the PTRACE_EVENT_EXEC stop we read rsp (initial_sp),
 * build the load script for a host program, write it in the shim's script
 * area, set rdi to it, rsp below the arguments, and detach. The program's output must be what the
 * same program prints when the kernel execs it natively.
 *
 * usage: shim_launch GROOT_SHIM PROBE PROBE_EXECSTACK PROBE_STATIC_PIE PROBE_NO_PIE
 *        [PROBE_MUSL PROBE_MUSL_EXECSTACK]  (the musl ones are missing without musl-gcc)
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "config.h"
#include "exec-internal.h"
#include "fixtures.h"
#include "loadscript.h"
#include "tap.h"

static const char *shim;

struct run {
	int status;
	size_t len;
	char out[65536];
};

static char *envp[] = {"GROOT_PROBE=hello world", "PATH=/usr/bin:/bin", NULL};

/* Read the child's merged stdout/stderr to EOF and reap it. */
static void collect(int fd, pid_t pid, struct run *run)
{
	ssize_t n;

	run->len = 0;
	while ((n = read(fd, run->out + run->len, sizeof(run->out) - 1 - run->len)) > 0)
		run->len += (size_t)n;
	run->out[run->len] = '\0';
	close(fd);
	waitpid(pid, &run->status, 0);
}

static void run_native(const char *path, char *const argv[], struct run *run)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execve(path, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	collect(pipefd[0], pid, run);
}

/* SHIM_LAUNCH_DEBUG=1: stay attached and describe the first signal the program gets. */
static void debug_child(pid_t pid, uint64_t initial_sp)
{
	uint64_t stack[512];
	struct iovec local = {stack, sizeof(stack)}, remote = {(void *)initial_sp, sizeof(stack)};

	struct user_regs_struct regs;
	siginfo_t info;
	char cmd[64];
	int status;

	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, 0);
	if (!WIFSTOPPED(status))
		return;
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	ptrace(PTRACE_GETSIGINFO, pid, 0, &info);
	fprintf(stderr, "# signal %d at rip %llx rsp %llx addr %p\n", WSTOPSIG(status), regs.rip,
		regs.rsp, info.si_addr);
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) > 0) {
		uint64_t *p = stack + 1 + stack[0] + 1;

		while (*p)
			p++;
		for (p++; p < stack + 510 && p[0]; p += 2)
			fprintf(stderr, "# auxv %llu = %llx\n", (unsigned long long)p[0],
				(unsigned long long)p[1]);
	}
	snprintf(cmd, sizeof(cmd), "cat /proc/%d/maps >&2", pid);
	if (system(cmd) != 0)
		fprintf(stderr, "# no maps\n");
}

typedef void (*script_hook)(void *script, size_t size);

/* What the tracer does at the exit of the shim's execve. Returns 0 or -1 (reported). */
static int install_script(pid_t pid, const struct exec_plan *plan, script_hook hook)
{
	static unsigned char script[LOADSCRIPT_MAX_SIZE];
	struct user_regs_struct regs;
	uint64_t initial_sp, where;
	struct iovec local, remote;
	ssize_t size;

	if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
		return -1;
	initial_sp = regs.rsp;
	where = GROOT_SHIM_SCRIPT_AREA;
	size = exec_build_load_script(plan, where, initial_sp, script, sizeof(script));
	if (size < 0)
		return -1;
	if (hook)
		hook(script, (size_t)size);
	local = (struct iovec){script, (size_t)size};
	remote = (struct iovec){(void *)where, (size_t)size};
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != size)
		return -1;
	regs.rdi = where;
	regs.rsp = (initial_sp - LOADSCRIPT_STACK_GAP) & ~15UL;
	if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
		return -1;
	if (getenv("SHIM_LAUNCH_DEBUG"))
		debug_child(pid, initial_sp);
	return ptrace(PTRACE_DETACH, pid, 0, 0) < 0 ? -1 : 0;
}

/* Run `path` with `argv` the groot way: exec_prepare, exec the shim, hand it the script. */
static int run_shim(const char *path, char *const argv[], struct run *run, script_hook hook)
{
	struct fixture_view view = {.root = ""};
	struct exec_host host = fixture_host(&view);
	struct exec_request request = {.dirfd = AT_FDCWD, .path = path};
	struct exec_plan *plan = NULL;
	void *ctx = talloc_new(NULL);
	char *final_argv[256];
	int pipefd[2], status, n = 0, r;
	pid_t pid;

	while (argv[request.argc])
		request.argc++;
	r = exec_prepare(ctx, &request, &host, &plan);
	if (r < 0) {
		talloc_free(ctx);
		return r;
	}
	for (int i = 0; i < plan->n_prefix; i++)
		final_argv[n++] = (char *)plan->prefix[i];
	for (int i = plan->skip_argv; i < request.argc && n < 255; i++)
		final_argv[n++] = argv[i];
	final_argv[n] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		execve(shim, final_argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	r = -1;
	waitpid(pid, &status, 0);
	if (WIFSTOPPED(status) &&
	    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) == 0 &&
	    ptrace(PTRACE_CONT, pid, 0, 0) == 0 && waitpid(pid, &status, 0) == pid &&
	    status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
		r = install_script(pid, plan, hook);
	if (r < 0)
		kill(pid, SIGKILL);
	collect(pipefd[0], pid, run);
	talloc_free(ctx);
	return r;
}

static void compare(const char *what, const char *path, char *const argv[])
{
	static struct run native, shimmed;

	run_native(path, argv, &native);
	if (!ok(run_shim(path, argv, &shimmed, NULL) == 0, "%s: launched through the shim", what))
		return;
	if (!ok(strcmp(native.out, shimmed.out) == 0, "%s: same output as the kernel's exec", what))
		printf("# native:\n%s# through the shim:\n%s", native.out, shimmed.out);
	is_int(shimmed.status, native.status, "%s: same exit status", what);
}

static void expect_line(const char *what, const char *path, char *const argv[], const char *line)
{
	static struct run run;

	run_shim(path, argv, &run, NULL);
	if (!ok(strstr(run.out, line) != NULL, "%s: prints '%s'", what, line))
		printf("# got:\n%s", run.out);
}

static void corrupt_magic(void *script, size_t size)
{
	((struct loadscript *)script)->magic ^= 1;
}

static void corrupt_path(void *script, size_t size)
{
	struct loadscript *s = script;

	((char *)script)[s->objects[0].path_offset] = 'X';
}

/* groot-shim itself: ET_EXEC, no PT_INTERP/PT_DYNAMIC, every PT_LOAD inside its range. */
static void check_layout(void)
{
	unsigned char buf[EXEC_BUF_SIZE] = {0};
	struct elf_program_info info;
	struct exec_object obj;
	int fd = open(shim, O_RDONLY | O_CLOEXEC);
	bool inside = true;

	if (pread(fd, buf, sizeof(buf), 0) < 0)
		perror(shim);
	is_int(elf_parse_program(fd, buf, &obj, &info), 0, "groot-shim is a valid x86_64 ELF");
	close(fd);
	is_int(obj.e_type, ET_EXEC, "groot-shim is ET_EXEC (not PIE)");
	ok(!info.has_interp, "groot-shim has no PT_INTERP");
	ok(!info.executable_stack, "groot-shim's own stack is not executable");
	for (size_t i = 0; i < obj.n_segments; i++)
		inside &= obj.segments[i].vaddr >= GROOT_SHIM_BASE &&
			  obj.segments[i].vaddr + obj.segments[i].memsz <=
			      GROOT_SHIM_BASE + GROOT_SHIM_SIZE;
	ok(inside, "every PT_LOAD lies in [GROOT_SHIM_BASE, +GROOT_SHIM_SIZE)");
	ok(obj.e_entry >= GROOT_SHIM_BASE && obj.e_entry < GROOT_SHIM_BASE + GROOT_SHIM_SIZE,
	   "entry point inside the range");
}

int main(int argc, char **argv)
{
	static struct run run;
	char script[PATH_MAX + 64];

	if (argc < 6) {
		fprintf(stderr,
			"usage: %s GROOT_SHIM PROBE PROBE_EXECSTACK PROBE_STATIC_PIE PROBE_NO_PIE "
			"[PROBE_MUSL PROBE_MUSL_EXECSTACK]\n",
			argv[0]);
		return 2;
	}
	shim = argv[1];
	fixture_setup();
	check_layout();

	compare("glibc dynamic (host ld.so)", argv[2],
		(char *[]){"probe", "one", "two words", "", NULL});
	expect_line("glibc dynamic", argv[2], (char *[]){"probe", NULL}, "base=set");
	compare("glibc dynamic, execstack", argv[3], (char *[]){"probe-execstack", NULL});
	expect_line("glibc dynamic, execstack", argv[3], (char *[]){"x", NULL}, "stack=rwxp");
	compare("glibc static-pie", argv[4], (char *[]){"static-pie", "a", NULL});
	expect_line("glibc static-pie", argv[4], (char *[]){"x", NULL}, "base=zero");
	compare("glibc dynamic ET_EXEC (no PIE)", argv[5], (char *[]){"no-pie", "b", NULL});
	if (argc >= 8 && argv[6][0] && argv[7][0]) {
		compare("musl static", argv[6], (char *[]){"musl", "x", NULL});
		expect_line("musl static", argv[6], (char *[]){"x", NULL}, "comm=probe-musl");
		compare("musl static, execstack", argv[7], (char *[]){"m", NULL});
		expect_line("musl static, execstack", argv[7], (char *[]){"x", NULL}, "stack=rwxp");
	} else {
		for (int i = 0; i < 8; i++)
			ok(1, "# skip musl-gcc not available");
	}
	compare("/bin/echo", "/bin/echo", (char *[]){"echo", "-n", "a", "b  c", NULL});
	compare("/bin/true", "/bin/true", (char *[]){"true", NULL});

	snprintf(script, sizeof(script), "#!%s -x\n", argv[2]);
	fixture_text(fixture_path("a-script-with-a-long-name"), script, 0755);
	compare("shebang", fixture_path("a-script-with-a-long-name"),
		(char *[]){"script", "arg", NULL});
	expect_line("shebang", fixture_path("a-script-with-a-long-name"),
		    (char *[]){"script", NULL}, "comm=a-script-with-");
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$0\" \"$@\"; exit 7\n");
	fixture_text(fixture_path("sh-script"), script, 0755);
	compare("/bin/sh script", fixture_path("sh-script"), (char *[]){"s", "1", "2", NULL});

	/* Failures are the shim's own, with its distinctive status. */
	run_native(shim, (char *[]){"groot-shim", NULL}, &run);
	is_int(WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1, GROOT_SHIM_FAILURE_STATUS,
	       "shim without a tracer: exit %d", GROOT_SHIM_FAILURE_STATUS);
	ok(strstr(run.out, "groot-shim: no load script") && strstr(run.out, "groot bug"),
	   "shim without a tracer: one-line message");
	run_shim(argv[2], (char *[]){"probe", NULL}, &run, corrupt_magic);
	is_int(WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1, GROOT_SHIM_FAILURE_STATUS,
	       "bad magic: exit %d", GROOT_SHIM_FAILURE_STATUS);
	run_shim(argv[2], (char *[]){"probe", NULL}, &run, corrupt_path);
	is_int(WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1, GROOT_SHIM_FAILURE_STATUS,
	       "unopenable program: exit %d", GROOT_SHIM_FAILURE_STATUS);
	ok(strstr(run.out, "groot-shim: cannot open") != NULL, "unopenable program: says so");

	fixture_teardown();
	return done_testing();
}
