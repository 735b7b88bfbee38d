/* SPDX-License-Identifier: MIT */
/*
 * Malformed profiles, one per row: each must fail with exactly this message, position included.
 * "@D" in an expected message stands for the test directory.
 */
#include "helpers.h"
#include "profile.h"
#include "tap.h"

#include <errno.h>

struct bad_profile {
	const char *name; /* file name in the test directory */
	const char *yaml;
	const char *expected; /* the complete message */
};

#define MINIMAL "version: 1\nrootfs: {path: /srv/root}\n"

static const struct bad_profile cases[] = {
    {"empty.yaml", "",
     "@D/empty.yaml:1:1: empty profile (the smallest profile is 'version: 1' and 'rootfs: {path: "
     "DIR}')"},
    {"comment-only.yaml", "# nothing here\n",
     "@D/comment-only.yaml:1:1: empty profile (the smallest profile is 'version: 1' and 'rootfs: "
     "{path: DIR}')"},
    {"unclosed-flow.yaml", "version: 1\nrootfs: [\n",
     "@D/unclosed-flow.yaml:3:1: invalid YAML: did not find expected node content while parsing a "
     "flow node at line 3 (check the indentation and quoting here)"},
    {"bad-indent.yaml", "version: 1\nrootfs:\n  path: /x\n   upper: none\n",
     "@D/bad-indent.yaml:4:9: invalid YAML: mapping values are not allowed in this context (check "
     "the indentation and quoting here)"},
    {"tab.yaml", "version: 1\nrootfs:\n\tpath: /x\n",
     "@D/tab.yaml:3:1: invalid YAML: a tab character (indent with spaces)"},
    {"top-list.yaml", "- version\n- 1\n",
     "@D/top-list.yaml:1:1: a profile must be a mapping of keys, got a list (start with 'version: "
     "1')"},
    {"two-docs.yaml", MINIMAL "---\nversion: 1\n",
     "@D/two-docs.yaml:3:1: a second YAML document (a profile is one document; remove the '---' "
     "and what follows)"},
    {"no-version.yaml", "rootfs: {path: /x}\n",
     "@D/no-version.yaml:1:1: missing 'version' (add 'version: 1' as the first line)"},
    {"version-2.yaml", "version: 2\nrootfs: {path: /x}\n",
     "@D/version-2.yaml:1:10: unsupported version '2' (this groot reads profiles of version 1; "
     "write 'version: 1')"},
    {"typo-key.yaml", MINIMAL "bindz: []\n",
     "@D/typo-key.yaml:3:1: unknown key 'bindz' (did you mean 'binds'?)"},
    {"unknown-key.yaml", MINIMAL "frobnicate: 1\n",
     "@D/unknown-key.yaml:3:1: unknown key 'frobnicate' (valid keys: version, name, description, "
     "extends, rootfs, binds, env, user, workdir, shell, command, hostname, determinism, uname, "
     "interpreters)"},
    {"misplaced-key.yaml", MINIMAL "upper: none\n",
     "@D/misplaced-key.yaml:3:1: unknown key 'upper' here (it belongs under 'rootfs')"},
    {"nested-typo.yaml", "version: 1\nrootfs:\n  path: /x\n  uper: none\n",
     "@D/nested-typo.yaml:4:3: unknown key 'uper' (did you mean 'upper'?)"},
    {"duplicate-key.yaml", MINIMAL "user: root\nuser: host\n",
     "@D/duplicate-key.yaml:4:1: duplicate key 'user' (first given at line 3; keep only one)"},
    {"complex-key.yaml", MINIMAL "? [a, b]\n: c\n",
     "@D/complex-key.yaml:3:3: a key must be a plain name, got a list (write 'name: value')"},
    {"rootfs-string.yaml", "version: 1\nrootfs: /x\n",
     "@D/rootfs-string.yaml:2:9: rootfs: expected a mapping, got a string (for example: rootfs: "
     "{path: DIR})"},
    {"binds-mapping.yaml", MINIMAL "binds: {a: b}\n",
     "@D/binds-mapping.yaml:3:8: binds: expected a list of binds, got a mapping (for example: "
     "binds: [/srv/data:/data:ro])"},
    {"keep-mapping.yaml", MINIMAL "env:\n  keep: {a: b}\n",
     "@D/keep-mapping.yaml:4:9: env.keep: expected a list of strings, got a mapping (for example: "
     "keep: [SSH_AUTH_SOCK])"},
    {"keep-nested.yaml", MINIMAL "env:\n  keep: [A, [B]]\n",
     "@D/keep-nested.yaml:4:13: env.keep: expected a list of strings, got a list (for example: "
     "keep: [SSH_AUTH_SOCK])"},
    {"set-list.yaml", MINIMAL "env:\n  set:\n    A: [1, 2]\n",
     "@D/set-list.yaml:5:8: env.set.A: expected a string, got a list (for example: set: {EDITOR: "
     "vi})"},
    {"no-rootfs.yaml", "version: 1\nuser: root\n",
     "@D/no-rootfs.yaml:1:1: rootfs.path is required (add 'rootfs: {path: DIR}' naming the guest's "
     "root directory)"},
    {"no-path.yaml", "version: 1\nrootfs:\n  upper: none\n",
     "@D/no-path.yaml:2:1: rootfs.path is required (add 'rootfs: {path: DIR}' naming the guest's "
     "root directory)"},
    {"upper-typo.yaml", "version: 1\nrootfs:\n  path: /x\n  upper: ephemeal\n",
     "@D/upper-typo.yaml:4:10: rootfs.upper: unknown value 'ephemeal' (did you mean 'ephemeral'?)"},
    {"upper-bad.yaml", "version: 1\nrootfs:\n  path: /x\n  upper: tmpfs\n",
     "@D/upper-bad.yaml:4:10: rootfs.upper: unknown value 'tmpfs' (use one of: none, in-place, "
     "ephemeral, persistent)"},
    {"persistent-no-path.yaml", "version: 1\nrootfs:\n  path: /x\n  upper: persistent\n",
     "@D/persistent-no-path.yaml:4:10: 'upper: persistent' needs upper_path (add 'upper_path: DIR' "
     "where the changes are kept)"},
    {"upper-path-alone.yaml", "version: 1\nrootfs:\n  path: /x\n  upper_path: /y\n",
     "@D/upper-path-alone.yaml:4:15: upper_path is only used with 'upper: persistent' (remove it, "
     "or set 'upper: persistent')"},
    {"bootstrap-no-suite.yaml",
     "version: 1\nrootfs:\n  path: /x\n  bootstrap: {tool: debootstrap}\n",
     "@D/bootstrap-no-suite.yaml:4:14: rootfs.bootstrap.suite is required (add e.g. 'suite: "
     "trixie')"},
    {"bind-option-typo.yaml", MINIMAL "binds:\n  - /a:/b:ro,tyr\n",
     "@D/bind-option-typo.yaml:4:5: bind '/a:/b:ro,tyr': unknown option 'tyr' (did you mean "
     "'try'?)"},
    {"bind-option-unknown.yaml", MINIMAL "binds:\n  - /a:/b:sideways\n",
     "@D/bind-option-unknown.yaml:4:5: bind '/a:/b:sideways': unknown option 'sideways' (options "
     "are ro, rw, try, create, direct)"},
    {"bind-relative-dest.yaml", MINIMAL "binds:\n  - /a:b/c:ro\n",
     "@D/bind-relative-dest.yaml:4:5: bind '/a:b/c:ro': destination 'b/c' must be an absolute "
     "guest path (write SRC:/DEST)"},
    {"bind-dotdot.yaml", MINIMAL "binds:\n  - /a:/b/../etc\n",
     "@D/bind-dotdot.yaml:4:5: bind '/a:/b/../etc': destination '/b/../etc' must not contain '..' "
     "(write SRC:/DEST)"},
    {"bind-root.yaml", MINIMAL "binds:\n  - /a:/\n",
     "@D/bind-root.yaml:4:5: bind '/a:/': destination '/' is the guest root itself (write "
     "SRC:/DEST)"},
    {"bind-colons.yaml", MINIMAL "binds:\n  - /a:/b:ro:try\n",
     "@D/bind-colons.yaml:4:5: bind '/a:/b:ro:try': too many ':' (for paths holding ':' write "
     "{source: SRC, dest: DST})"},
    {"bind-ro-rw.yaml", MINIMAL "binds:\n  - /a:/b:ro,rw\n",
     "@D/bind-ro-rw.yaml:4:5: bind '/a:/b:ro,rw': options 'ro' and 'rw' contradict each other "
     "(keep one)"},
    {"bind-empty-option.yaml", MINIMAL "binds:\n  - /a:/b:ro,\n",
     "@D/bind-empty-option.yaml:4:5: bind '/a:/b:ro,': empty option (write options separated by "
     "single commas, e.g. ro,try)"},
    {"bind-empty-source.yaml", MINIMAL "binds:\n  - :/b\n",
     "@D/bind-empty-source.yaml:4:5: bind ':/b': empty source (write SRC:DST)"},
    {"bind-no-source.yaml", MINIMAL "binds:\n  - {dest: /b}\n",
     "@D/bind-no-source.yaml:4:5: bind: 'source' is required (write {source: SRC, dest: DST})"},
    {"bind-bad-bool.yaml", MINIMAL "binds:\n  - {source: /a, ro: maybe}\n",
     "@D/bind-bad-bool.yaml:4:22: bind.ro: expected true or false, got 'maybe' (write 'ro: true')"},
    {"bind-mapping-typo.yaml", MINIMAL "binds:\n  - {sorce: /a}\n",
     "@D/bind-mapping-typo.yaml:4:6: unknown key 'sorce' (did you mean 'source'?)"},
    {"bind-list.yaml", MINIMAL "binds:\n  - [/a, /b]\n",
     "@D/bind-list.yaml:4:5: binds: expected 'SRC:DST[:OPTS]' or {source: SRC, dest: DST}, got a "
     "list (for example: binds: [/srv/data:/data:ro])"},
    {"bind-twice.yaml", MINIMAL "binds:\n  - /a:/b\n  - /c:/b/\n",
     "@D/bind-twice.yaml:5:5: a second bind on '/b' (line 4 binds it already; keep one)"},
    {"env-unset.yaml", "version: 1\nrootfs: {path: '${env:GROOT_TEST_UNSET}/x'}\n",
     "@D/env-unset.yaml:2:16: environment variable GROOT_TEST_UNSET is not set (set it, or give a "
     "default: ${env:GROOT_TEST_UNSET:-DEFAULT})"},
    {"env-bad-name.yaml", "version: 1\nrootfs: {path: '${env:1X}'}\n",
     "@D/env-bad-name.yaml:2:16: '${env:1X}': '1X' is not a variable name (use letters, digits and "
     "'_', e.g. ${env:HOME})"},
    {"expansion-unknown.yaml", MINIMAL "workdir: /home/${USER}\n",
     "@D/expansion-unknown.yaml:3:10: unknown expansion '${USER}' (write ${env:USER} for the "
     "host's variable, or $${USER} for a literal)"},
    {"expansion-garbage.yaml", MINIMAL "workdir: /${what:ever}\n",
     "@D/expansion-garbage.yaml:3:10: unknown expansion '${what:ever}' (groot knows ${env:NAME}, "
     "${env:NAME:-DEFAULT} and ${profile_dir}; write $${ for a literal)"},
    {"expansion-open.yaml", MINIMAL "hostname: ${env:HOME\n",
     "@D/expansion-open.yaml:3:11: unterminated '${' (close it with '}', or write $${ for a "
     "literal)"},
    {"user-bad.yaml", MINIMAL "user: 'a:b'\n",
     "@D/user-bad.yaml:3:7: user: 'a:b' is not a user name (use root, host, a name from the "
     "guest's /etc/passwd, or a number)"},
    {"user-huge-uid.yaml", MINIMAL "user: 99999999999\n",
     "@D/user-huge-uid.yaml:3:7: user: expected an integer from 0 to 4294967294, got '99999999999' "
     "(write the number without quotes or units)"},
    {"command-empty.yaml", MINIMAL "command: []\n",
     "@D/command-empty.yaml:3:10: command: empty list (give the program and its arguments, e.g. "
     "[bash, -l])"},
    {"command-mapping.yaml", MINIMAL "command: {a: b}\n",
     "@D/command-mapping.yaml:3:10: command: expected a string or a list of strings, got a mapping "
     "(for example: command: [bash, -l])"},
    {"hostname-bad.yaml", MINIMAL "hostname: my host\n",
     "@D/hostname-bad.yaml:3:11: hostname: 'my host' is not a host name (use at most 64 letters, "
     "digits, '-' and '.')"},
    {"workdir-relative.yaml", MINIMAL "workdir: src\n",
     "@D/workdir-relative.yaml:3:10: workdir: 'src' must be an absolute guest path (write an "
     "absolute path in the guest)"},
    {"inherit-bad.yaml", MINIMAL "env:\n  inherit: some\n",
     "@D/inherit-bad.yaml:4:12: env.inherit: unknown value 'some' (use one of: all, none)"},
    {"env-name-equals.yaml", MINIMAL "env:\n  unset: [A=B]\n",
     "@D/env-name-equals.yaml:4:11: env.unset: 'A=B' is not a variable name (write the name alone, "
     "without '=')"},
    {"readdir-bad.yaml", MINIMAL "determinism:\n  readdir: random\n",
     "@D/readdir-bad.yaml:4:12: determinism.readdir: unknown value 'random' (use one of: native, "
     "sorted)"},
    {"inodes-typo.yaml", MINIMAL "determinism:\n  inodes: stabel\n",
     "@D/inodes-typo.yaml:4:11: determinism.inodes: unknown value 'stabel' (did you mean "
     "'stable'?)"},
    {"epoch-bad.yaml", MINIMAL "determinism:\n  source_date_epoch: yesterday\n",
     "@D/epoch-bad.yaml:4:22: determinism.source_date_epoch: expected an integer from 0 to "
     "9223372036854775807, got 'yesterday' (write the number without quotes or units)"},
    {"epoch-negative.yaml", MINIMAL "determinism:\n  source_date_epoch: -5\n",
     "@D/epoch-negative.yaml:4:22: determinism.source_date_epoch: expected an integer from 0 to "
     "9223372036854775807, got '-5' (write the number without quotes or units)"},
    {"clamp-alone.yaml", MINIMAL "determinism:\n  clamp_mtime: true\n",
     "@D/clamp-alone.yaml:4:16: clamp_mtime needs a time to clamp to (add 'source_date_epoch: "
     "SECONDS')"},
    {"clamp-bad.yaml", MINIMAL "determinism:\n  source_date_epoch: 1\n  clamp_mtime: sometimes\n",
     "@D/clamp-bad.yaml:5:16: determinism.clamp_mtime: expected true or false, got 'sometimes' "
     "(write 'clamp_mtime: true')"},
    {"uname-long.yaml",
     MINIMAL "uname:\n  release: "
	     "x123456789x123456789x123456789x123456789x123456789x123456789x1234\n",
     "@D/uname-long.yaml:4:12: uname.release: longer than 64 characters (shorten it)"},
    {"interp-no-path.yaml", MINIMAL "interpreters:\n  q: {extension: exe}\n",
     "@D/interp-no-path.yaml:4:6: interpreters.q: 'interpreter' is required (add 'interpreter: "
     "/usr/bin/qemu-aarch64-static' or similar)"},
    {"interp-both.yaml",
     MINIMAL "interpreters:\n  q: {magic: 'MZ', extension: exe, "
	     "interpreter: /usr/bin/wine}\n",
     "@D/interp-both.yaml:4:6: interpreters.q: give either 'magic' or 'extension' (binfmt_misc "
     "matches one or the other)"},
    {"interp-neither.yaml", MINIMAL "interpreters:\n  q: {interpreter: /usr/bin/wine}\n",
     "@D/interp-neither.yaml:4:6: interpreters.q: give either 'magic' or 'extension' (binfmt_misc "
     "matches one or the other)"},
    {"interp-mask.yaml",
     MINIMAL "interpreters:\n  q:\n    magic: '\\x7fELF'\n    mask: '\\xff'\n"
	     "    interpreter: /q\n",
     "@D/interp-mask.yaml:6:11: interpreters.q.mask: 1 bytes long but the magic is 4 (give one "
     "mask byte per magic byte)"},
    {"interp-escape.yaml", MINIMAL "interpreters:\n  q:\n    magic: '\\q'\n    interpreter: /q\n",
     "@D/interp-escape.yaml:5:12: interpreters.q.magic: bad escape at character 1 (write \\xHH for "
     "a byte, \\\\ for a backslash)"},
    {"interp-hex.yaml", MINIMAL "interpreters:\n  q:\n    magic: 0x7f45zz\n    interpreter: /q\n",
     "@D/interp-hex.yaml:5:12: interpreters.q.magic: 'zz' is not a hex byte (use 0-9 and a-f)"},
    {"interp-offset.yaml",
     MINIMAL "interpreters:\n  q:\n    magic: 0x7f\n    offset: 200\n"
	     "    interpreter: /q\n",
     "@D/interp-offset.yaml:6:13: interpreters.q.offset: '200' does not keep the magic within the "
     "128 bytes the kernel reads (lower it)"},
    {"interp-relative.yaml", MINIMAL "interpreters:\n  q: {extension: exe, interpreter: wine}\n",
     "@D/interp-relative.yaml:4:36: interpreters.q.interpreter: 'wine' is not absolute (write its "
     "path in the guest, e.g. /usr/bin/wine)"},
    {"interp-string.yaml", MINIMAL "interpreters:\n  q: /usr/bin/wine\n",
     "@D/interp-string.yaml:4:6: interpreters.q: expected a mapping, got a string (for example: "
     "interpreters: {qemu-aarch64: {magic: ..., interpreter: ...}})"},
    {"flow-expansion.yaml", "version: 1\nrootfs: {path: ${env:HOME}/x}\n",
     "@D/flow-expansion.yaml:2:17: invalid YAML: did not find expected ',' or '}' while parsing a "
     "flow mapping at line 2 (inside [...] or {...}, put values containing ${...} in quotes)"},
    {"tilde-path.yaml", "version: 1\nrootfs: {path: ~/guest}\n",
     "@D/tilde-path.yaml:2:16: '~' is not expanded (write ${env:HOME}/guest)"},
    {"tilde-bind.yaml", MINIMAL "binds: ['~/src:/src']\n",
     "@D/tilde-bind.yaml:3:9: bind '~/src:/src': '~' is not expanded (write ${env:HOME}/src)"},
    {"alias-loop.yaml", "version: 1\nrootfs: &a {path: /x, bootstrap: *a}\n",
     "@D/alias-loop.yaml:2:13: nesting deeper than 64 levels (is an alias referring to "
     "itself?)"},
    {"billion-laughs.yaml",
     "version: 1\n"
     "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
     "a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
     "a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
     "a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n"
     "a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n"
     "a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]\n"
     "a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]\n"
     "a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]\n"
     "a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]\n",
     "@D/billion-laughs.yaml:2:13: more than 20000 values (are aliases expanding too much? a "
     "profile needs far fewer)"},
    {"extends-missing.yaml", MINIMAL "extends: no-such-parent\n",
     "@D/extends-missing.yaml:3:10: extends: profile 'no-such-parent' not found (looked for "
     "@D/no-such-parent.yaml, @D/config/groot/profiles/no-such-parent.yaml, "
     "@S/no-such-parent.yaml; `groot list` shows the profiles available)"},
    {"extends-missing-path.yaml", MINIMAL "extends: ./gone.yaml\n",
     "@D/extends-missing-path.yaml:3:10: extends: profile file @D/gone.yaml: No such file or "
     "directory (check the path)"},
    {"extends-self.yaml", MINIMAL "extends: extends-self\n",
     "@D/extends-self.yaml:3:10: extends cycle: @D/extends-self.yaml -> @D/extends-self.yaml "
     "(remove one of these extends)"},
    {"extends-mapping.yaml", MINIMAL "extends: {a: b}\n",
     "@D/extends-mapping.yaml:3:10: extends: expected a string or a list of strings, got a mapping "
     "(for example: extends: debian-trixie)"},
};

/* "FILE:LINE:COL: what is wrong (what to do)", FILE being some .yaml file. */
static int has_shape(const char *message)
{
	const char *yaml = strstr(message, ".yaml:");
	unsigned line, col;
	int used = 0;
	size_t len = strlen(message);

	if (!yaml || sscanf(yaml, ".yaml:%u:%u: %n", &line, &col, &used) != 2 || used == 0)
		return 0;
	return line > 0 && col > 0 && strstr(yaml + used, " (") && message[len - 1] == ')';
}

int main(void)
{
	make_test_dir();
	/* A cycle across two files, reported from the file that closes it. */
	write_file("cycle-b.yaml", MINIMAL "extends: cycle-a\n");
	write_file("cycle-a.yaml", MINIMAL "extends: [cycle-b]\n");
	/* A bad parent is reported in the parent, not the child. */
	write_file("bad-parent.yaml", MINIMAL "usr: root\n");
	write_file("good-child.yaml", "version: 1\nextends: bad-parent\n");
	unsetenv("GROOT_TEST_UNSET");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_profile *c = &cases[i];
		const char *path = write_file(c->name, c->yaml);
		struct profile_error err = {.message = "(none)"};
		struct profile *p = NULL;
		int r = profile_load(NULL, path, &p, &err);

		is_int(r, -EINVAL, "%s: refused", c->name);
		is_str(err.message, with_dir(c->expected), "%s: message", c->name);
		ok(has_shape(err.message), "%s: FILE:LINE:COL: what (what to do)", c->name);
		if (r == 0)
			talloc_free(p);
	}
	{
		struct profile_error err = {.message = "(none)"};
		struct profile *p = NULL;

		is_int(profile_load(NULL, "cycle-a", &p, &err), -EINVAL, "cycle: refused");
		is_str(err.message,
		       with_dir("@D/cycle-b.yaml:3:10: extends cycle: ./cycle-a.yaml -> "
				"@D/cycle-b.yaml -> @D/cycle-a.yaml (remove one of these extends)"),
		       "cycle: message lists the chain");
		is_int(profile_load(NULL, "good-child", &p, &err), -EINVAL, "bad parent: refused");
		is_str(err.message,
		       with_dir("@D/bad-parent.yaml:3:1: unknown key 'usr' (did you mean 'user'?)"),
		       "bad parent: message names the parent");
		is_int(profile_load(NULL, "no-such-profile", &p, &err), -ENOENT, "unknown name");
		is_str(err.message,
		       with_dir(
			   "profile 'no-such-profile' not found (looked for "
			   "./no-such-profile.yaml, @D/config/groot/profiles/no-such-profile.yaml, "
			   "@S/no-such-profile.yaml; `groot list` shows the profiles available)"),
		       "unknown name: message lists where it looked");
		is_int(profile_load(NULL, "/nonexistent/x.yaml", &p, &err), -ENOENT,
		       "missing path");
		is_str(
		    err.message,
		    "profile file /nonexistent/x.yaml: No such file or directory (check the path)",
		    "missing path: message");
		is_int(profile_load(NULL, test_dir, &p, &err), -EINVAL, "directory");
		is_str(err.message, with_dir("@D: is a directory (name a .yaml file)"),
		       "directory: message");
	}
	return done_testing();
}
