/* SPDX-License-Identifier: MIT */
/* profile_print() (groot check), profile_list() (groot list), and the stock profiles. */
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

static char *print_to_string(const struct profile *p, int *r)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	*r = profile_print(f, p);
	fclose(f);
	return text;
}

static const char golden[] =
    "# ./kid.yaml, extending @D/mom.yaml\n"
    "version: 1                                      # from ./kid.yaml:1\n"
    "name: kid                                       # default\n"
    "rootfs:\n"
    "  path: /srv/r                                  # from @D/mom.yaml:2\n"
    "  upper: ephemeral                              # default\n"
    "binds:\n"
    "  - {source: \"/c:d\", dest: /e}                  # from @D/mom.yaml:3\n"
    "  - /a:/b:ro,try                                # from ./kid.yaml:4\n"
    "env:\n"
    "  inherit: none                                 # from ./kid.yaml:5\n"
    "  set:\n"
    "    X: two words                                # from @D/mom.yaml:4\n"
    "    Y: \"$${literal}\"                            # from ./kid.yaml:5\n"
    "user: 42                                        # from @D/mom.yaml:5\n"
    "shell: /bin/sh                                  # default\n"
    "command: [make, \"-j\", \"true\", \"1\"]              # from ./kid.yaml:6\n"
    "determinism:\n"
    "  readdir: native                               # default\n"
    "  inodes: stable                                # from ./kid.yaml:7\n"
    "  clamp_mtime: false                            # default\n"
    "interpreters:\n"
    "  q:\n"
    "    magic: '\\x7fQ\\\\''\\x00'                      # from @D/mom.yaml:7\n"
    "    offset: 2                                   # from @D/mom.yaml:7\n"
    "    interpreter: /q                             # from @D/mom.yaml:7\n";

static void test_print(void)
{
	struct profile *p, *again;
	char *text;
	int r;

	write_file("mom.yaml", "version: 1\n"
			       "rootfs: {path: /srv/r}\n"
			       "binds: [{source: '/c:d', dest: /e}]\n"
			       "env: {set: {X: two words}}\n"
			       "user: 42\n"
			       "interpreters:\n"
			       "  q: {magic: \"\\x7fQ\\\\'\\0\", offset: 2, interpreter: /q}\n");
	write_file("kid.yaml", "version: 1\n"
			       "extends: mom\n"
			       "binds:\n"
			       "  - /a:/b:try,ro\n"
			       "env: {inherit: none, set: {Y: '$${literal}'}}\n"
			       "command: [make, -j, 'true', '1']\n"
			       "determinism: {inodes: stable}\n");
	p = load("kid");
	ok(p != NULL, "profile to print loads");
	if (!p)
		return;
	text = print_to_string(p, &r);
	is_int(r, 0, "profile_print succeeds");
	is_str(text, with_dir(golden), "printed YAML with origins");

	/* What `groot check` prints is itself a profile that loads to the same values. */
	write_file("printed.yaml", text);
	again = load("printed.yaml");
	ok(again != NULL, "printed profile loads back");
	if (again) {
		is_str(again->rootfs.path, p->rootfs.path, "round trip: rootfs.path");
		is_int(again->n_binds, 2, "round trip: binds");
		is_str(again->binds[0].source, "/c:d", "round trip: bind with ':'");
		is_int(again->binds[1].flags, BIND_RO | BIND_TRY, "round trip: bind flags");
		is_str(again->env.set[0].value, "two words", "round trip: quoted value");
		is_str(again->env.set[1].value, "${literal}", "round trip: literal ${");
		is_int(again->user.uid, 42, "round trip: uid");
		is_str(again->command[2], "true", "round trip: 'true' stays a string");
		is_int(again->interpreters[0].magic_len, 5, "round trip: magic length");
		ok(memcmp(again->interpreters[0].magic, "\x7fQ\\'\0", 5) == 0,
		   "round trip: magic bytes, NUL included");
		is_int(again->interpreters[0].offset, 2, "round trip: offset");
		talloc_free(again);
	}
	free(text);
	talloc_free(p);

	/* Keys are not expanded, so the printer must not escape their "${". */
	write_file("keys.yaml", "version: 1\nrootfs: {path: /r}\nenv:\n  set:\n    'A${B}': v\n");
	p = load("keys");
	text = p ? print_to_string(p, &r) : NULL;
	write_file("keys-printed.yaml", text ? text : "");
	again = load("keys-printed.yaml");
	is_str(again && again->env.n_set ? again->env.set[0].name : NULL, "A${B}",
	       "round trip: a key holding ${ is printed as is");
	free(text);
	talloc_free(again);
	talloc_free(p);
}

static void test_stock(void)
{
	static const char *const names[] = {"debian-trixie", "debian-bookworm", "build-sandbox",
					    "dev-shell"};
	struct profile *p;

	setenv("HOME", "/home/tester", 1);
	setenv("USER", "tester", 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *text;
		int r;

		p = load(names[i]);
		ok(p != NULL, "stock profile %s loads", names[i]);
		if (!p)
			continue;
		is_str(p->name, names[i], "%s: name", names[i]);
		ok(p->description && p->description[0], "%s: has a description", names[i]);
		ok(p->rootfs.bootstrap.tool && p->rootfs.bootstrap.suite, "%s: can be provisioned",
		   names[i]);
		text = print_to_string(p, &r);
		is_int(r, 0, "%s: prints", names[i]);
		free(text);
		talloc_free(p);
	}
	p = load(PROFILE_DEFAULT_NAME);
	ok(p != NULL, "the default profile exists");
	if (p) {
		is_str(p->rootfs.path, "/home/tester/.cache/groot/rootfs/debian-trixie",
		       "debian-trixie: rootfs under ~/.cache");
		is_int(p->rootfs.upper, UPPER_EPHEMERAL, "debian-trixie: ephemeral");
		is_str(p->rootfs.bootstrap.variant, "minbase", "debian-trixie: minbase");
		is_int(p->user.kind, USER_ROOT, "debian-trixie: root");
		is_str(p->workdir, "/root", "debian-trixie: workdir");
		is_str(p->command[0], "bash", "debian-trixie: bash -l");
		is_str(p->hostname, "trixie", "debian-trixie: hostname");
		talloc_free(p);
	}
	p = load("build-sandbox");
	if (p) {
		ok(p->determinism.readdir_sorted && p->determinism.stable_inodes &&
		       p->determinism.clamp_mtime && p->determinism.has_source_date_epoch,
		   "build-sandbox: deterministic");
		is_int(p->n_binds, 0, "build-sandbox: no host binds");
		is_int(p->rootfs.upper, UPPER_PERSISTENT, "build-sandbox: persistent");
		is_str(p->rootfs.upper_path, "/home/tester/.cache/groot/upper/build-sandbox",
		       "build-sandbox: upper_path");
		is_int(p->env.inherit, ENV_INHERIT_NONE, "build-sandbox: clean environment");
		talloc_free(p);
	}
	p = load("dev-shell");
	if (p) {
		is_int(p->user.kind, USER_HOST, "dev-shell: host user");
		is_str(p->workdir, "/home/tester", "dev-shell: workdir is the home");
		ok(p->n_binds >= 3, "dev-shell: home, X11 and Wayland binds");
		if (p->n_binds >= 3) {
			is_str(p->binds[0].source, "/home/tester", "dev-shell: $HOME bound");
			is_str(p->binds[0].dest, "/home/tester", "dev-shell: at /home/$USER");
			is_int(p->binds[1].flags, BIND_RO | BIND_TRY, "dev-shell: X11 ro,try");
			ok(p->binds[2].flags & BIND_TRY, "dev-shell: Wayland try");
		}
		talloc_free(p);
	}
}

static void test_list(void)
{
	struct profile_entry *entries;
	size_t n;
	bool found_trixie = false, shadowed = false, found_local = false, found_other = false;
	bool found_broken_config = false;

	write_file("debian-trixie.yaml", "version: 1\nrootfs: {path: /x}\ndescription: mine\n");
	write_file("compose.yaml", "services: {}\n");
	write_file("broken.yaml", "services: [\n");
	write_file("config/groot/profiles/broken-config.yaml", "version: [\n");
	write_file("config/groot/profiles/zeta.yaml", "version: 1\nrootfs: {path: /x}\n");
	is_int(profile_list(NULL, &entries, &n), 0, "profile_list succeeds");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(entries[i].name, "debian-trixie") == 0 && !entries[i].shadowed) {
			found_local = true;
			is_str(entries[i].description, "mine", "local profile's description");
			is_str(entries[i].path, "./debian-trixie.yaml", "local profile's path");
		}
		if (strcmp(entries[i].name, "debian-trixie") == 0 && entries[i].shadowed) {
			shadowed = true;
			found_trixie = entries[i].description != NULL;
		}
		if (strcmp(entries[i].name, "compose") == 0 ||
		    strcmp(entries[i].name, "broken") == 0)
			found_other = true;
		if (strcmp(entries[i].name, "broken-config") == 0)
			found_broken_config = true;
	}
	ok(found_local, "./NAME.yaml listed first");
	ok(shadowed, "the stock debian-trixie is listed as shadowed");
	ok(found_trixie, "stock profiles have descriptions");
	ok(!found_other, "a YAML file without 'version' in ./, or unparsable, is not a profile");
	ok(found_broken_config, "a broken file in the config directory is listed (check explains)");
	ok(n >= 6, "local, config and the 4 stock profiles listed");
	talloc_free(entries);
}

int main(void)
{
	make_test_dir();
	test_print();
	test_stock();
	test_list();
	return done_testing();
}
