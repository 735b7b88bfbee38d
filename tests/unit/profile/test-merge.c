/* SPDX-License-Identifier: MIT */
/* extends (deep merge, binds by destination, several parents, diamonds) and ${...} expansion. */
#include "helpers.h"
#include "profile.h"
#include "tap.h"

#include <errno.h>

static struct profile *load(const char *name)
{
	struct profile_error err = {""};
	struct profile *p = NULL;

	if (profile_load(NULL, name, &p, &err) < 0)
		printf("# %s: %s\n", name, err.message);
	return p;
}

static void test_child_over_parent(void)
{
	char expected[600];
	struct profile *p;
	const char *parent =
	    write_file("base/parent.yaml", "version: 1\n"
					   "name: parent\n"
					   "description: the parent\n"
					   "rootfs:\n"
					   "  path: ./tree\n"
					   "  upper: persistent\n"
					   "  upper_path: ${profile_dir}/upper\n"
					   "binds:\n"
					   "  - /a:/x\n"
					   "  - /b:/y:ro\n"
					   "env:\n"
					   "  keep: [K1]\n"
					   "  set: {A: '1', B: '2'}\n"
					   "command: [parent-cmd]\n"
					   "hostname: parent\n"
					   "determinism: {readdir: sorted}\n"
					   "interpreters:\n"
					   "  q: {extension: q, interpreter: /q}\n"
					   "  r: {extension: r, interpreter: /r}\n");
	const char *child = write_file("child.yaml", "version: 1\n"
						     "extends: base/parent.yaml\n"
						     "rootfs:\n"
						     "  upper: ephemeral\n"
						     "binds:\n"
						     "  - /c:/y/\n"
						     "  - /d:/z\n"
						     "env:\n"
						     "  keep: [K2]\n"
						     "  set: {B: '3', C: '4', A: null}\n"
						     "command: null\n"
						     "hostname: child\n"
						     "interpreters:\n"
						     "  q: {interpreter: /q2}\n"
						     "  r: null\n");

	p = load(child);
	ok(p != NULL, "child of a parent in another directory loads");
	if (!p)
		return;
	is_str(p->files[0], child, "files[0]: the child");
	snprintf(expected, sizeof(expected), "%s/base/parent.yaml", test_dir);
	is_str(p->files[1], expected, "files[1]: the parent, found relative to the child");
	is_str(p->name, "parent", "name inherited (child has none)");
	is_str(p->description, "the parent", "description inherited");
	snprintf(expected, sizeof(expected), "%s/base/tree", test_dir);
	is_str(p->rootfs.path, expected,
	       "parent's relative path resolved against the parent's dir");
	is_int(p->rootfs.upper, UPPER_EPHEMERAL, "child's upper wins");
	ok(p->rootfs.upper_path == NULL, "parent's upper_path dropped with persistence");
	is_int(p->n_binds, 3, "binds merged by destination: 3");
	if (p->n_binds == 3) {
		is_str(p->binds[0].dest, "/x", "parent's /x kept first");
		is_str(p->binds[1].source, "/c", "child's bind on /y replaces the parent's");
		is_int(p->binds[1].flags, 0, "... with the child's options");
		snprintf(expected, sizeof(expected), "%s:6:5", child);
		is_str(p->binds[1].origin, expected, "... and the child's origin");
		is_str(p->binds[2].dest, "/z", "child's new bind appended");
	}
	is_str(p->env.keep[0], "K2", "lists are replaced, not appended");
	ok(p->env.keep[1] == NULL, "... only the child's list");
	is_int(p->env.n_set, 2, "env.set merged key by key, null removes");
	if (p->env.n_set == 2) {
		is_str(p->env.set[0].name, "B", "B kept in the parent's order");
		is_str(p->env.set[0].value, "3", "child's B wins");
		is_str(p->env.set[1].name, "C", "child's C added");
	}
	ok(p->command == NULL, "command: null removes the parent's command");
	is_str(p->hostname, "child", "child's hostname wins");
	ok(p->determinism.readdir_sorted, "determinism inherited");
	is_int(p->n_interpreters, 1, "interpreters merged by name, null removes");
	if (p->n_interpreters == 1) {
		is_str(p->interpreters[0].path, "/q2", "child's interpreter path wins");
		is_str(p->interpreters[0].extension, "q", "parent's extension kept");
	}

	snprintf(expected, sizeof(expected), "%s:5:9", parent);
	is_str(profile_origin(p, "rootfs.path"), expected, "origin of an inherited value");
	snprintf(expected, sizeof(expected), "%s:12:11", child);
	is_str(profile_origin(p, "hostname"), expected, "origin of the child's value");
	snprintf(expected, sizeof(expected), "%s:10:12", child);
	is_str(profile_origin(p, "env.set.B"), expected, "origin of a merged mapping entry");
	ok(profile_origin(p, "workdir") == NULL, "no origin for a default");
	ok(profile_origin(p, "command") == NULL, "no origin for a removed value");
	talloc_free(p);
}

static void test_several_parents(void)
{
	struct profile *p;

	write_file("p1.yaml", "version: 1\nrootfs: {path: /one}\nhostname: one\nworkdir: /one\n"
			      "binds: [/s1:/b]\n");
	write_file("p2.yaml", "version: 1\nrootfs: {path: /two}\nhostname: two\n"
			      "binds: [/s2:/b, /s3:/c]\n");
	write_file("both.yaml", "version: 1\nextends: [p1, p2]\nhostname: both\n");
	p = load("both");
	ok(p != NULL, "two parents");
	if (!p)
		return;
	is_str(p->rootfs.path, "/two", "the later parent wins over the earlier");
	is_str(p->workdir, "/one", "the earlier parent's keys survive");
	is_str(p->hostname, "both", "the child wins over both");
	is_int(p->n_binds, 2, "binds of both parents merged by destination");
	if (p->n_binds == 2)
		is_str(p->binds[0].source, "/s2", "later parent's bind on /b");
	is_int(p->files[1] && p->files[2] ? 1 : 0, 1, "files lists both parents");
	talloc_free(p);

	/* Diamond: the common grandparent's binds are the same nodes twice, not a conflict. */
	write_file("gp.yaml", "version: 1\nrootfs: {path: /gp}\nbinds: [/g:/g]\n");
	write_file("left.yaml", "version: 1\nextends: gp\nhostname: left\n");
	write_file("right.yaml", "version: 1\nextends: gp\nworkdir: /right\n");
	write_file("diamond.yaml", "version: 1\nextends: [left, right]\n");
	p = load("diamond");
	ok(p != NULL, "diamond extends load");
	if (!p)
		return;
	is_int(p->n_binds, 1, "diamond: one bind");
	is_str(p->hostname, "left", "diamond: left's value");
	is_str(p->workdir, "/right", "diamond: right's value");
	talloc_free(p);

	/* Three levels, and a name looked up next to the extending file first. */
	write_file("sub/top.yaml", "version: 1\nextends: mid\n");
	write_file("sub/mid.yaml", "version: 1\nextends: gp\nhostname: sub-mid\n");
	write_file("mid.yaml", "version: 1\nrootfs: {path: /wrong}\nhostname: wrong\n");
	p = load("sub/top.yaml");
	ok(p != NULL, "three levels");
	if (!p)
		return;
	is_str(p->hostname, "sub-mid", "extends by name looks next to the extending file first");
	is_str(p->rootfs.path, "/gp", "grandparent's value reaches the grandchild");
	talloc_free(p);

	/* A child needs no rootfs of its own; upper_path set in the same file as upper: fine. */
	write_file("persist.yaml", "version: 1\nextends: gp\n"
				   "rootfs: {upper: persistent, upper_path: /keep}\n");
	p = load("persist");
	ok(p && p->rootfs.upper == UPPER_PERSISTENT, "child makes the parent's rootfs persistent");
	is_str(p ? p->rootfs.upper_path : NULL, "/keep", "... with its upper_path");
	talloc_free(p);
}

static void test_expansion(void)
{
	char expected[600];
	struct profile *p;

	setenv("GROOT_A", "alpha", 1);
	setenv("GROOT_EMPTY", "", 1);
	unsetenv("GROOT_UNSET");
	write_file("expand.yaml", "version: 1\n"
				  "rootfs: {path: '${profile_dir}/r'}\n"
				  "env:\n"
				  "  set:\n"
				  "    S1: ${env:GROOT_A}\n"
				  "    S2: ${env:GROOT_UNSET:-fallback}\n"
				  "    S3: ${env:GROOT_EMPTY:-used when empty}\n"
				  "    S4: x${env:GROOT_EMPTY}y\n"
				  "    S5: ${env:GROOT_UNSET:-${env:GROOT_A:-no}}\n"
				  "    S6: $${env:GROOT_A}\n"
				  "    S7: $HOME and $$ and a$b and $\n"
				  "    S8: ${env:GROOT_A}-${env:GROOT_A}\n"
				  "    S9: ${env:GROOT_UNSET:-}\n"
				  "    S10: ${env:GROOT_UNSET:-a}b}\n"
				  "binds: ['${env:GROOT_UNSET:-/srv}:/m-${env:GROOT_A}:ro']\n"
				  "command: [echo, '${env:GROOT_A}']\n"
				  "workdir: /${env:GROOT_A}\n");
	p = load("expand");
	ok(p != NULL, "expansions load");
	if (!p)
		return;
	snprintf(expected, sizeof(expected), "%s/r", test_dir);
	is_str(p->rootfs.path, expected, "${profile_dir}");
	is_int(p->env.n_set, 10, "ten assignments");
	if (p->env.n_set == 10) {
		is_str(p->env.set[0].value, "alpha", "${env:VAR}");
		is_str(p->env.set[1].value, "fallback", "${env:VAR:-default}, VAR unset");
		is_str(p->env.set[2].value, "used when empty", "default also when VAR is empty");
		is_str(p->env.set[3].value, "xy", "${env:VAR} set but empty");
		is_str(p->env.set[4].value, "alpha", "nested default");
		is_str(p->env.set[5].value, "${env:GROOT_A}", "$${ is a literal ${");
		is_str(p->env.set[6].value, "$HOME and $$ and a$b and $", "other $ untouched");
		is_str(p->env.set[7].value, "alpha-alpha", "two expansions in one string");
		is_str(p->env.set[8].value, "", "empty default");
		is_str(p->env.set[9].value, "ab}", "text after the closing brace kept");
	}
	is_str(p->binds[0].source, "/srv", "expansion in a bind source");
	is_str(p->binds[0].dest, "/m-alpha", "expansion in a bind dest");
	is_str(p->command[1], "alpha", "expansion in a list item");
	is_str(p->workdir, "/alpha", "expansion in workdir");
	talloc_free(p);
}

int main(void)
{
	make_test_dir();
	test_child_over_parent();
	test_several_parents();
	test_expansion();
	return done_testing();
}
