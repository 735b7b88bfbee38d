/* SPDX-License-Identifier: MIT */
/* profile_load(): every key of schema version 1, defaults, lookup by name and path. */
#include "helpers.h"
#include "profile.h"
#include "tap.h"

#include <errno.h>

static const char full_profile[] =
    "version: 1\n"
    "name: full\n"
    "description: every key\n"
    "rootfs:\n"
    "  path: trees/base\n"
    "  layers: [/srv/l1, ./l2/]\n"
    "  upper: persistent\n"
    "  upper_path: ${profile_dir}/upper\n"
    "  writeback_cache: true\n"
    "  bootstrap:\n"
    "    tool: mmdebstrap\n"
    "    suite: trixie\n"
    "    variant: minbase\n"
    "    include: [less, 'vim,curl']\n"
    "    mirror: http://deb.example/debian\n"
    "binds:\n"
    "  - /srv/data:/data:ro,try\n"
    "  - /opt\n"
    "  - relative:/rel/\n"
    "  - /sock:create,direct\n"
    "  - {source: '/a:b', dest: '/c:d', ro: true, create: yes}\n"
    "  - {source: /e}\n"
    "env:\n"
    "  inherit: [TERM, 'LC_*']\n"
    "  keep: [SSH_AUTH_SOCK]\n"
    "  drop: [LD_PRELOAD]\n"
    "  set: {EDITOR: vi, GREETING: 'hello ${env:GROOT_TEST_WHO:-world}'}\n"
    "  unset: [MAIL]\n"
    "  path: [/opt/bin, /usr/bin]\n"
    "user: 1000\n"
    "workdir: /home//me/\n"
    "shell: /bin/zsh\n"
    "command: make -j4\n"
    "hostname: box.example\n"
    "determinism: {readdir: sorted, inodes: stable, source_date_epoch: 1700000000, "
    "clamp_mtime: true}\n"
    "uname: {release: 6.1.0-groot, version: '#1 SMP', machine: aarch64}\n"
    "interpreters:\n"
    "  aarch64:\n"
    "    magic: '\\x7fELF\\x02\\x01\\x01\\x00'\n"
    "    mask: 0xffffffffffffff00\n"
    "    interpreter: /usr/bin/qemu-aarch64-static\n"
    "    args: [-L, /usr/aarch64-linux-gnu]\n"
    "  wine:\n"
    "    extension: .exe\n"
    "    offset: 0\n"
    "    interpreter: /usr/bin/wine\n";

static void test_every_key(void)
{
	struct profile_error err = {""};
	struct profile *p = NULL;
	char expected[600];
	const char *path = write_file("full.yaml", full_profile);
	int r;

	setenv("GROOT_TEST_WHO", "groot", 1);
	r = profile_load(NULL, path, &p, &err);
	is_int(r, 0, "full profile loads");
	if (r < 0) {
		printf("# %s\n", err.message);
		return;
	}
	is_int(p->version, 1, "version");
	is_str(p->file, path, "file");
	is_str(p->files[0], path, "files[0] is the leaf");
	ok(p->files[1] == NULL, "files ends after the leaf");
	is_str(p->name, "full", "name");
	is_str(p->description, "every key", "description");

	snprintf(expected, sizeof(expected), "%s/trees/base", test_dir);
	is_str(p->rootfs.path, expected, "rootfs.path made absolute against the profile's dir");
	is_str(p->rootfs.layers[0], "/srv/l1", "layers[0]");
	snprintf(expected, sizeof(expected), "%s/l2", test_dir);
	is_str(p->rootfs.layers[1], expected, "layers[1] absolute, trailing slash dropped");
	ok(p->rootfs.layers[2] == NULL, "layers NULL-terminated");
	is_int(p->rootfs.upper, UPPER_PERSISTENT, "upper");
	snprintf(expected, sizeof(expected), "%s/upper", test_dir);
	is_str(p->rootfs.upper_path, expected, "upper_path with ${profile_dir}");
	ok(p->rootfs.writeback_cache, "rootfs.writeback_cache");
	is_str(p->rootfs.bootstrap.tool, "mmdebstrap", "bootstrap.tool");
	is_str(p->rootfs.bootstrap.suite, "trixie", "bootstrap.suite");
	is_str(p->rootfs.bootstrap.variant, "minbase", "bootstrap.variant");
	is_str(p->rootfs.bootstrap.mirror, "http://deb.example/debian", "bootstrap.mirror");
	is_str(p->rootfs.bootstrap.include[0], "less", "bootstrap.include[0]");
	is_str(p->rootfs.bootstrap.include[1], "vim", "bootstrap.include: 'a,b' is split");
	is_str(p->rootfs.bootstrap.include[2], "curl", "bootstrap.include[2]");
	ok(p->rootfs.bootstrap.include[3] == NULL, "bootstrap.include NULL-terminated");

	is_int(p->n_binds, 6, "six binds");
	if (p->n_binds == 6) {
		is_str(p->binds[0].source, "/srv/data", "bind 0 source");
		is_str(p->binds[0].dest, "/data", "bind 0 dest");
		is_int(p->binds[0].flags, BIND_RO | BIND_TRY, "bind 0 ro,try");
		snprintf(expected, sizeof(expected), "%s:17:5", path);
		is_str(p->binds[0].origin, expected, "bind 0 origin is file:line:col");
		is_str(p->binds[1].source, "/opt", "bind 1: SRC alone");
		is_str(p->binds[1].dest, "/opt", "bind 1: dest = source");
		is_int(p->binds[1].flags, 0, "bind 1: read-write by default");
		snprintf(expected, sizeof(expected), "%s/relative", test_dir);
		is_str(p->binds[2].source, expected, "bind 2: relative source");
		is_str(p->binds[2].dest, "/rel", "bind 2: dest normalised");
		is_str(p->binds[3].dest, "/sock", "bind 3: SRC:OPTS keeps the path");
		is_int(p->binds[3].flags, BIND_CREATE | BIND_DIRECT, "bind 3: create,direct");
		is_str(p->binds[4].source, "/a:b", "bind 4: mapping form, ':' in source");
		is_str(p->binds[4].dest, "/c:d", "bind 4: mapping form dest");
		is_int(p->binds[4].flags, BIND_RO | BIND_CREATE, "bind 4: mapping flags");
		is_str(p->binds[5].dest, "/e", "bind 5: mapping without dest");
	}

	is_int(p->env.inherit, ENV_INHERIT_LIST, "env.inherit list");
	is_str(p->env.inherit_names[1], "LC_*", "env.inherit pattern");
	is_str(p->env.keep[0], "SSH_AUTH_SOCK", "env.keep");
	is_str(p->env.drop[0], "LD_PRELOAD", "env.drop");
	is_str(p->env.unset[0], "MAIL", "env.unset");
	is_str(p->env.path[1], "/usr/bin", "env.path");
	is_int(p->env.n_set, 2, "env.set: two");
	is_str(p->env.set[0].name, "EDITOR", "env.set[0] name");
	is_str(p->env.set[1].value, "hello groot", "env.set value expanded");

	is_int(p->user.kind, USER_UID, "user: number");
	is_int(p->user.uid, 1000, "user uid");
	is_str(p->workdir, "/home/me", "workdir normalised");
	is_str(p->shell, "/bin/zsh", "shell");
	is_str(p->command[0], "/bin/sh", "command string: /bin/sh");
	is_str(p->command[1], "-c", "command string: -c");
	is_str(p->command[2], "make -j4", "command string: the line");
	ok(p->command[3] == NULL, "command NULL-terminated");
	is_str(p->hostname, "box.example", "hostname");

	ok(p->determinism.readdir_sorted, "determinism.readdir sorted");
	ok(p->determinism.stable_inodes, "determinism.inodes stable");
	ok(p->determinism.has_source_date_epoch, "determinism.source_date_epoch given");
	is_int(p->determinism.source_date_epoch, 1700000000, "determinism.source_date_epoch");
	ok(p->determinism.clamp_mtime, "determinism.clamp_mtime");
	is_str(p->uname.release, "6.1.0-groot", "uname.release");
	is_str(p->uname.version, "#1 SMP", "uname.version");
	is_str(p->uname.machine, "aarch64", "uname.machine");

	is_int(p->n_interpreters, 2, "two interpreters");
	if (p->n_interpreters == 2) {
		const struct interpreter *a = &p->interpreters[0], *w = &p->interpreters[1];

		is_str(a->name, "aarch64", "interpreter name");
		is_int(a->magic_len, 8, "magic length");
		ok(a->magic && memcmp(a->magic,
				      "\x7f"
				      "ELF\x02\x01\x01\x00",
				      8) == 0,
		   "magic decoded from \\x escapes");
		ok(a->mask && a->mask[0] == 0xff && a->mask[7] == 0x00, "mask decoded from 0x hex");
		is_str(a->path, "/usr/bin/qemu-aarch64-static", "interpreter path");
		is_str(a->args[0], "-L", "interpreter args");
		ok(a->extension == NULL, "no extension");
		is_str(w->extension, "exe", "extension without the dot");
		ok(w->magic == NULL && w->mask == NULL, "extension rule has no magic");
		ok(w->args && w->args[0] == NULL, "args empty, not NULL");
	}
	talloc_free(p);
}

static void test_defaults(void)
{
	struct profile_error err = {""};
	struct profile *p = NULL;
	const char *path = write_file("tiny.yaml", "version: 1\nrootfs: {path: /srv/rootfs}\n");

	is_int(profile_load(NULL, path, &p, &err), 0, "smallest profile loads");
	if (!p)
		return;
	is_str(p->name, "tiny", "name defaults to the file name");
	ok(p->description == NULL, "no description");
	is_int(p->rootfs.upper, UPPER_EPHEMERAL, "upper defaults to ephemeral");
	ok(p->rootfs.layers == NULL && p->rootfs.upper_path == NULL, "no layers, no upper_path");
	ok(!p->rootfs.writeback_cache, "no writeback cache by default");
	ok(p->rootfs.bootstrap.tool == NULL, "no bootstrap");
	is_int(p->n_binds, 0, "no binds");
	is_int(p->env.inherit, ENV_INHERIT_LIST, "env.inherit defaults to a list");
	is_str(p->env.inherit_names[0], "TERM", "default inherit list starts with TERM");
	is_int(p->user.kind, USER_HOST, "user defaults to host");
	ok(p->workdir == NULL, "workdir: runner's choice");
	is_str(p->shell, "/bin/sh", "shell defaults to /bin/sh");
	ok(p->command == NULL, "no command");
	ok(p->hostname == NULL, "no hostname");
	ok(!p->determinism.readdir_sorted && !p->determinism.stable_inodes &&
	       !p->determinism.has_source_date_epoch && !p->determinism.clamp_mtime,
	   "determinism off");
	ok(!p->uname.release && !p->uname.version && !p->uname.machine, "uname untouched");
	is_int(p->n_interpreters, 0, "no interpreters");
	talloc_free(p);

	/* bootstrap with only a suite: debootstrap */
	path = write_file("boot.yaml", "version: 1\nrootfs: {path: /r, bootstrap: {suite: sid}}\n"
				       "user: root\ncommand: [ls, -l]\nenv: {inherit: all}\n");
	is_int(profile_load(NULL, path, &p, &err), 0, "bootstrap profile loads");
	if (!p)
		return;
	is_str(p->rootfs.bootstrap.tool, "debootstrap", "bootstrap.tool defaults to debootstrap");
	is_int(p->user.kind, USER_ROOT, "user: root");
	is_str(p->command[1], "-l", "command list kept as is");
	is_int(p->env.inherit, ENV_INHERIT_ALL, "env.inherit: all");
	talloc_free(p);

	path = write_file("named.yaml", "version: 1\nrootfs: {path: /r}\nuser: builder\n"
					"env: {inherit: none}\nrootfs: null\n");
	is_int(profile_load(NULL, path, &p, &err), -EINVAL, "duplicate rootfs refused");
	path = write_file("named.yaml", "version: 1\nrootfs: {path: /r}\nuser: builder\n"
					"env: {inherit: none}\n");
	is_int(profile_load(NULL, path, &p, &err), 0, "user name profile loads");
	if (!p)
		return;
	is_int(p->user.kind, USER_NAME, "user: a name");
	is_str(p->user.name, "builder", "user name");
	is_int(p->env.inherit, ENV_INHERIT_NONE, "env.inherit: none");
	talloc_free(p);
}

static void test_lookup(void)
{
	struct profile_error err = {""};
	struct profile *p = NULL;
	char config[400];

	write_file("local.yaml", "version: 1\nname: from-cwd\nrootfs: {path: /r}\n");
	write_file("config/groot/profiles/local.yaml",
		   "version: 1\nname: from-config\nrootfs: {path: /r}\n");
	write_file("config/groot/profiles/configured.yaml",
		   "version: 1\nname: from-config\nrootfs: {path: /r}\n");

	is_int(profile_load(NULL, "local", &p, &err), 0, "by name, current directory");
	is_str(p ? p->name : NULL, "from-cwd", "./NAME.yaml comes first");
	talloc_free(p);
	is_int(profile_load(NULL, "configured", &p, &err), 0, "by name, config directory");
	is_str(p ? p->name : NULL, "from-config", "$XDG_CONFIG_HOME/groot/profiles");
	talloc_free(p);

	unsetenv("XDG_CONFIG_HOME");
	snprintf(config, sizeof(config), "%s/home", test_dir);
	setenv("HOME", config, 1);
	write_file("home/.config/groot/profiles/homed.yaml",
		   "version: 1\nname: from-home\nrootfs: {path: /r}\n");
	is_int(profile_load(NULL, "homed", &p, &err), 0, "by name, ~/.config without XDG");
	is_str(p ? p->name : NULL, "from-home", "~/.config/groot/profiles");
	talloc_free(p);
	snprintf(config, sizeof(config), "%s/config", test_dir);
	setenv("XDG_CONFIG_HOME", config, 1);

	is_int(profile_load(NULL, "debian-trixie", &p, &err), 0, "by name, stock directory");
	is_str(p ? p->file : NULL, GROOT_SOURCE_PROFILEDIR "/debian-trixie.yaml",
	       "stock profiles come from the source tree in a build");
	talloc_free(p);

	is_int(profile_load(NULL, "local.yaml", &p, &err), 0, "by path: ends in .yaml");
	talloc_free(p);
	is_int(profile_load(NULL, "./local", &p, &err), -ENOENT, "by path: contains '/'");
	is_int(profile_load(NULL, "", &p, &err), -EINVAL, "empty name refused");
}

/* The examples of docs/groot-profile.5 must keep working. */
static void test_documented_examples(void)
{
	struct profile_error err = {""};
	struct profile *p = NULL;
	const char *path;

	setenv("HOME", "/home/doc", 1);
	setenv("USER", "doc", 1);
	path = write_file("docs/smallest.yaml", "version: 1\n"
						"rootfs: {path: /srv/guests/alpine}\n");
	is_int(profile_load(NULL, path, &p, &err), 0, "man page: the smallest profile");
	talloc_free(p);
	path = write_file("docs/five.yaml",
			  "version: 1\n"
			  "extends: debian-trixie          # start from a stock profile\n"
			  "binds: [\"${env:HOME}/src:/src\"] # your sources at /src in the guest\n"
			  "workdir: /src\n"
			  "command: [make, -j8]\n");
	is_int(profile_load(NULL, path, &p, &err), 0, "man page: the five-line profile");
	if (p)
		is_str(p->binds[0].source, "/home/doc/src", "man page: five-line bind");
	talloc_free(p);
	path = write_file(
	    "docs/arm64.yaml",
	    "version: 1\n"
	    "name: arm64-build\n"
	    "description: Debian arm64 tree through qemu-user\n"
	    "extends: build-sandbox\n"
	    "rootfs:\n"
	    "  path: ${env:HOME}/.cache/groot/rootfs/trixie-arm64\n"
	    "  bootstrap: {suite: trixie, variant: minbase, include: [build-essential]}\n"
	    "binds:\n"
	    "  - ${profile_dir}/src:/src:ro\n"
	    "  - source: /srv/cache\n"
	    "    dest: /var/cache/apt/archives\n"
	    "    try: true\n"
	    "env:\n"
	    "  set: {DEB_BUILD_OPTIONS: \"nocheck parallel=8\"}\n"
	    "workdir: /src\n"
	    "interpreters:\n"
	    "  aarch64:\n"
	    "    magic: "
	    "'\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00"
	    "\\xb7\\x00'\n"
	    "    mask: "
	    "'\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"
	    "\\xfe\\xff\\xff\\xff'\n"
	    "    interpreter: /usr/bin/qemu-aarch64-static\n");
	is_int(profile_load(NULL, path, &p, &err), 0, "man page: the arm64 example");
	if (!p) {
		printf("# %s\n", err.message);
		return;
	}
	is_int(p->interpreters[0].magic_len, 20, "man page: 20 magic bytes");
	is_int(p->interpreters[0].mask[16], 0xfe, "man page: mask byte 16");
	is_int(p->n_binds, 2, "man page: two binds");
	ok(p->determinism.readdir_sorted, "man page: build-sandbox's determinism inherited");
	is_str(p->rootfs.bootstrap.include[0], "build-essential", "man page: include");
	talloc_free(p);
}

int main(void)
{
	make_test_dir();
	test_every_key();
	test_defaults();
	test_lookup();
	test_documented_examples();
	return done_testing();
}
