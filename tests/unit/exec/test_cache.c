// SPDX-License-Identifier: MIT
/*
 * runner/exec's cache of validated files: a repeated exec of an unchanged
 * file opens, reads, statfs's and access-checks nothing (counted by wrapping
 * those calls at link time, see meson.build), any change to the file or to a
 * symlink on the way is a miss, the plan is the uncached one, and the least
 * recently used entry goes first.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "exec-internal.h"
#include "fixtures.h"
#include "tap.h"

/*
 * Calls made by runner/exec, which the link redirects here. With
 * _FILE_OFFSET_BITS=64 glibc's headers name them open64, pread64...
 */
static unsigned long n_open, n_pread, n_statvfs, n_access;
static unsigned long cached_statvfs; /* n_statvfs of expect()'s cached exec_prepare */

int __real_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
ssize_t __real_pread64(int fd, void *buf, size_t count, off_t offset);
ssize_t __wrap_pread64(int fd, void *buf, size_t count, off_t offset);
int __real_fstatvfs64(int fd, struct statvfs *buf);
int __wrap_fstatvfs64(int fd, struct statvfs *buf);
int __real_statvfs64(const char *path, struct statvfs *buf);
int __wrap_statvfs64(const char *path, struct statvfs *buf);
int __real_faccessat(int dirfd, const char *path, int mode, int flags);
int __wrap_faccessat(int dirfd, const char *path, int mode, int flags);

int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	n_open++;
	return __real_open64(path, flags, mode);
}

ssize_t __wrap_pread64(int fd, void *buf, size_t count, off_t offset)
{
	n_pread++;
	return __real_pread64(fd, buf, count, offset);
}

int __wrap_fstatvfs64(int fd, struct statvfs *buf)
{
	n_statvfs++;
	return __real_fstatvfs64(fd, buf);
}

int __wrap_statvfs64(const char *path, struct statvfs *buf)
{
	n_statvfs++;
	return __real_statvfs64(path, buf);
}

int __wrap_faccessat(int dirfd, const char *path, int mode, int flags)
{
	n_access++;
	return __real_faccessat(dirfd, path, mode, flags);
}

static struct exec_cache *cache;
static char root[PATH_MAX];
static struct fixture_view view = {.root = root};

/* statvfs is left out: a changed mount table asks again (noexec_mount). */
static unsigned long io_calls(void)
{
	return n_open + n_pread + n_access;
}

static void reset_io(void)
{
	n_open = n_pread = n_statvfs = n_access = 0;
}

/* exec_prepare of a guest path, with or without the cache; the plan lives on ctx. */
static int prepare(void *ctx, const char *path, struct exec_cache *with, struct exec_plan **plan)
{
	struct exec_host host = fixture_host(&view);
	struct exec_request request = {.dirfd = AT_FDCWD, .path = path, .argc = 1};

	host.cache = with;
	return exec_prepare(ctx, &request, &host, plan);
}

static bool same_object(const struct exec_object *a, const struct exec_object *b)
{
	bool same = strcmp(a->host_path, b->host_path) == 0 && a->e_type == b->e_type &&
		    a->e_entry == b->e_entry && a->e_phoff == b->e_phoff &&
		    a->e_phnum == b->e_phnum && a->e_phentsize == b->e_phentsize &&
		    a->phdr_vaddr == b->phdr_vaddr && a->max_align == b->max_align &&
		    a->n_segments == b->n_segments;

	for (size_t i = 0; same && i < a->n_segments; i++)
		same = memcmp(&a->segments[i], &b->segments[i], sizeof(a->segments[i])) == 0;
	return same;
}

static bool same_plan(const struct exec_plan *a, const struct exec_plan *b)
{
	bool same = a->n_prefix == b->n_prefix && a->skip_argv == b->skip_argv &&
		    strcmp(a->execfn, b->execfn) == 0 && strcmp(a->exe_guest, b->exe_guest) == 0 &&
		    strcmp(a->comm, b->comm) == 0 && a->executable_stack == b->executable_stack &&
		    a->has_interp == b->has_interp && same_object(&a->program, &b->program) &&
		    (!a->has_interp || same_object(&a->interp, &b->interp));

	for (int i = 0; same && i < a->n_prefix; i++)
		same = strcmp(a->prefix[i], b->prefix[i]) == 0;
	return same;
}

/*
 * Run path through the cache and check: the result and the plan are what
 * an uncached exec_prepare gives, and it took `hits` cache hits (0: none).
 * Returns the plan's exe_guest (static) for further checks.
 */
static const char *expect(const char *path, int want, unsigned long hits, const char *what)
{
	static char exe[PATH_MAX];
	const struct exec_cache_stats *stats = exec_cache_get_stats(cache);
	unsigned long before = stats->hits, misses = stats->misses;
	struct exec_plan *cached = NULL, *plain = NULL;
	void *ctx = talloc_new(NULL);
	int r;

	reset_io();
	r = prepare(ctx, path, cache, &cached);
	cached_statvfs = n_statvfs;
	is_int(r, want, "%s: result", what);
	is_int(stats->hits - before, hits, "%s: cache hits", what);
	if (stats->misses == misses)
		is_int(io_calls(), 0, "%s: all hits: no open, read or access", what);
	else if (r == 0)
		ok(n_open > 0 && n_pread > 0, "%s: the file was opened and read", what);
	is_int(prepare(ctx, path, NULL, &plain), want, "%s: same result uncached", what);
	exe[0] = '\0';
	if (r == 0 && plain) {
		ok(same_plan(cached, plain), "%s: same plan as uncached", what);
		snprintf(exe, sizeof(exe), "%s", cached->exe_guest);
	}
	talloc_free(ctx);
	return exe;
}

static void replace_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fixture_text(tmp, text, 0755);
	if (rename(tmp, path) < 0)
		perror(tmp);
}

static void hits_and_misses(void)
{
	struct fake_elf e = fake_elf_default();
	struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	char path[PATH_MAX];

	fixture_elf(fixture_path("root/lib/ld.so"), &e);
	e.interp = "/lib/ld.so";
	fixture_elf(fixture_path("root/bin/prog"), &e);
	fixture_text(fixture_path("root/bin/script"), "#!/bin/prog -x\n", 0755);

	expect("/bin/prog", 0, 0, "first exec");
	expect("/bin/prog", 0, 2, "again: program and interpreter from the cache");
	is_int(cached_statvfs, 0, "no statfs either: noexec is known for the mount");
	expect("/bin/script", 0, 2, "a script to it: only the script is new");
	expect("/bin/script", 0, 3, "the script again");

	utimensat(AT_FDCWD, fixture_path("root/bin/prog"), times, 0);
	expect("/bin/prog", 0, 1, "touched program: a miss, the interpreter hits");
	expect("/bin/prog", 0, 2, "and it is cached again");
	chmod(fixture_path("root/bin/prog"), 0644);
	expect("/bin/prog", -EACCES, 0, "chmod -x: EACCES, no stale hit");
	chmod(fixture_path("root/bin/prog"), 0755);
	expect("/bin/prog", 0, 1, "chmod +x: a miss again");

	/* The same size, times and mode, another inode: a new version. */
	e.exec_stack = true;
	snprintf(path, sizeof(path), "%s", fixture_path("root/bin/prog.new"));
	fixture_elf(path, &e);
	rename(path, fixture_path("root/bin/prog"));
	expect("/bin/prog", 0, 1, "replaced by rename: a miss");
	replace_file(fixture_path("root/bin/script"), "#!/bin/prog -y\n");
	expect("/bin/script", 0, 2, "script replaced by rename: a miss, its ELF hits");
	replace_file(fixture_path("root/bin/script"), "#!/bin/missing\n");
	expect("/bin/script", -ENOENT, 0, "script now names a missing interpreter");

	replace_file(fixture_path("root/lib/ld.so"),
		     "not an ELF any more, but 64 bytes long or more, so that the header reads.\n");
	expect("/bin/prog", -ELIBBAD, 1, "interpreter replaced by text: ELIBBAD");
}

/* /proc/self/exe follows symlinks as they are now, even to the same inode. */
static void symlinks(void)
{
	struct fake_elf e = fake_elf_default();

	fixture_elf(fixture_path("root/bin/static"), &e);
	link(fixture_path("root/bin/static"), fixture_path("root/bin/static2"));
	symlink("static", fixture_path("root/bin/link"));
	is_str(expect("/bin/link", 0, 0, "through a symlink"), "/bin/static",
	       "exe is the symlink's target");
	expect("/bin/link", 0, 1, "through the symlink again");
	unlink(fixture_path("root/bin/link"));
	symlink("static2", fixture_path("root/bin/link"));
	is_str(expect("/bin/link", 0, 0, "symlink retargeted to a hard link"), "/bin/static2",
	       "exe follows the new target");

	/* A directory symlink on the way, retargeted to a copy of the tree. */
	mkdir(fixture_path("root/a"), 0755);
	mkdir(fixture_path("root/b"), 0755);
	link(fixture_path("root/bin/static"), fixture_path("root/a/tool"));
	link(fixture_path("root/bin/static"), fixture_path("root/b/tool"));
	symlink("a", fixture_path("root/cur"));
	is_str(expect("/cur/tool", 0, 0, "through a directory symlink"), "/a/tool", "exe in a");
	expect("/cur/tool", 0, 1, "again");
	unlink(fixture_path("root/cur"));
	symlink("b", fixture_path("root/cur"));
	is_str(expect("/cur/tool", 0, 0, "directory symlink retargeted"), "/b/tool", "exe in b");
}

/* Least recently used first: hard links give EXEC_CACHE_SIZE + 1 names for one small ELF. */
static void eviction(void)
{
	const struct exec_cache_stats *stats = exec_cache_get_stats(cache);
	struct fake_elf e = fake_elf_default();
	char path[64];
	unsigned long evictions;

	talloc_free(cache);
	cache = exec_cache_new(NULL);
	stats = exec_cache_get_stats(cache);
	mkdir(fixture_path("root/many"), 0755);
	fixture_elf(fixture_path("root/many/0"), &e);
	for (int i = 1; i <= EXEC_CACHE_SIZE; i++)
		link(fixture_path("root/many/0"), fixture_path("root/many/%d", i));
	for (int i = 0; i < EXEC_CACHE_SIZE; i++) {
		void *ctx = talloc_new(NULL);
		struct exec_plan *plan;

		snprintf(path, sizeof(path), "/many/%d", i);
		prepare(ctx, path, cache, &plan);
		talloc_free(ctx);
	}
	is_int(stats->stores, EXEC_CACHE_SIZE, "eviction: %d entries stored", EXEC_CACHE_SIZE);
	is_int(stats->evictions, 0, "eviction: none yet");
	expect("/many/0", 0, 1, "eviction: the oldest, used again");
	evictions = stats->evictions;
	expect("/many/256", 0, 0, "eviction: one more name");
	is_int(stats->evictions - evictions, 1, "eviction: it evicted one entry");
	expect("/many/0", 0, 1, "eviction: the recently used one stayed");
	expect("/many/1", 0, 0, "eviction: the least recently used one went");
	expect("/many/2", 0, 0, "eviction: and the next one for it");
}

/* The class check; when it says no, faccessat decides (root, ACLs). */
static void permission_rule(void)
{
	struct stat st = {.st_uid = geteuid(), .st_gid = getegid(), .st_mode = S_IFREG | 0700};
	uid_t other = geteuid() + 4242;

	ok(exec_cache_may_exec(cache, &st), "rule: owner x");
	st.st_mode = S_IFREG | 0611;
	ok(!exec_cache_may_exec(cache, &st), "rule: the owner class decides for the owner");
	st.st_uid = other;
	ok(exec_cache_may_exec(cache, &st), "rule: group x for a member");
	st.st_mode = S_IFREG | 0601;
	ok(!exec_cache_may_exec(cache, &st), "rule: the group class decides for a member");
	st.st_gid = getegid() + 4242;
	ok(exec_cache_may_exec(cache, &st), "rule: other x");
	st.st_mode = S_IFREG | 0770;
	ok(!exec_cache_may_exec(cache, &st), "rule: other without x");

	/* Root may run anything with an x bit: the rule says no, faccessat says yes. */
	if (geteuid() == 0) {
		struct fake_elf e = fake_elf_default();

		fixture_elf(fixture_path("root/bin/theirs"), &e);
		chown(fixture_path("root/bin/theirs"), other, other);
		chmod(fixture_path("root/bin/theirs"), 0700);
		reset_io();
		expect("/bin/theirs", 0, 0, "root, another user's 0700 file");
		expect("/bin/theirs", 0, 1, "root, again from the cache");
	} else {
		ok(1, "# SKIP root only");
	}
}

/* noexec, remembered per mount, forgotten when the mount table changes (remount). */
static void noexec_mount(void)
{
	struct fake_elf e = fake_elf_default();

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mkdir(fixture_path("root/mnt"), 0755) < 0 ||
	    mount("tmpfs", fixture_path("root/mnt"), "tmpfs", 0, NULL) < 0) {
		ok(1, "# SKIP noexec: no mount namespace (%s)", strerror(errno));
		return;
	}
	/* Its /proc/self/mounts must be this namespace's, as the tracer's is its own. */
	talloc_free(cache);
	cache = exec_cache_new(NULL);
	fixture_elf(fixture_path("root/mnt/prog"), &e);
	expect("/mnt/prog", 0, 0, "tmpfs: runs");
	expect("/mnt/prog", 0, 1, "tmpfs: from the cache");
	mount(NULL, fixture_path("root/mnt"), NULL, MS_REMOUNT | MS_NOEXEC, NULL);
	expect("/mnt/prog", -EACCES, 0, "remounted noexec: EACCES");
	mount(NULL, fixture_path("root/mnt"), NULL, MS_REMOUNT, NULL);
	expect("/mnt/prog", 0, 1, "remounted exec: runs again");
	umount2(fixture_path("root/mnt"), MNT_DETACH);
}

int main(void)
{
	fixture_setup();
	snprintf(root, sizeof(root), "%s", fixture_path("root"));
	mkdir(root, 0755);
	mkdir(fixture_path("root/bin"), 0755);
	mkdir(fixture_path("root/lib"), 0755);
	cache = exec_cache_new(NULL);

	hits_and_misses();
	symlinks();
	permission_rule();
	noexec_mount();
	eviction();

	talloc_free(cache);
	fixture_teardown();
	return done_testing();
}
