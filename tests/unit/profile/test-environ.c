/* SPDX-License-Identifier: MIT */
/* profile_build_environ(): inherit, drop, identity, unset, set, path, then the default PATH. */
#include "helpers.h"
#include "profile.h"
#include "tap.h"

#include <errno.h>
#include <pwd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char *const host_env[] = {
    "TERM=xterm-256color",
    "LANG=de_DE.UTF-8",
    "LC_TIME=C",
    "LC_ALL=",
    "PATH=/host/bin",
    "HOME=/home/host",
    "USER=hostuser",
    "SSH_AUTH_SOCK=/tmp/ssh",
    "LD_PRELOAD=/evil.so",
    "MAIL=/var/mail/x",
    "SECRET=1",
    "DISPLAY=:0",
    "NOEQUALS",
    NULL,
};

static const char *get(char **env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static size_t count(char **env)
{
	size_t n = 0;

	while (env && env[n])
		n++;
	return n;
}

static char **build(const char *name, const char *yaml, struct profile **out)
{
	struct profile_error err = {""};
	const char *path = write_file(name, yaml);
	char **env;

	*out = NULL;
	if (profile_load(NULL, path, out, &err) < 0) {
		printf("# %s\n", err.message);
		return NULL;
	}
	env = profile_build_environ(*out, *out, host_env);
	ok(env != NULL, "%s: environment built", name);
	return env;
}

int main(void)
{
	struct profile *p;
	char **env;

	make_test_dir();

	env = build("default.yaml", "version: 1\nrootfs: {path: /r}\n", &p);
	is_str(get(env, "TERM"), "xterm-256color", "default: TERM inherited");
	is_str(get(env, "LANG"), "de_DE.UTF-8", "default: LANG inherited");
	is_str(get(env, "LC_TIME"), "C", "default: LC_* inherited");
	is_str(get(env, "LC_ALL"), "", "default: empty LC_ALL inherited as is");
	is_str(get(env, "DISPLAY"), ":0", "default: DISPLAY inherited");
	ok(!get(env, "SECRET") && !get(env, "SSH_AUTH_SOCK"), "default: others not inherited");
	is_str(get(env, "PATH"), DEFAULT_PATH,
	       "default: PATH is the guest default, not the host's");
	is_str(get(env, "HOME"), "/home/host", "default user host: host HOME");
	is_str(get(env, "USER"), "hostuser", "default user host: host USER");
	is_str(get(env, "LOGNAME"), "hostuser", "LOGNAME follows USER");
	is_int(count(env), 9, "default: exactly 9 variables");
	talloc_free(p);

	env = build("all.yaml",
		    "version: 1\nrootfs: {path: /r}\nuser: root\n"
		    "env: {inherit: all, drop: [LD_PRELOAD, 'S*'], keep: [SECRET]}\n",
		    &p);
	is_str(get(env, "MAIL"), "/var/mail/x", "inherit all");
	is_str(get(env, "PATH"), "/host/bin", "inherit all keeps the host PATH");
	ok(!get(env, "LD_PRELOAD"), "drop removes");
	ok(!get(env, "SECRET") && !get(env, "SSH_AUTH_SOCK"), "drop wins over keep; patterns");
	is_str(get(env, "HOME"), "/root", "user root: HOME=/root");
	is_str(get(env, "USER"), "root", "user root: USER=root");
	ok(!get(env, "NOEQUALS"), "host entries without '=' skipped");
	talloc_free(p);

	env = build("none.yaml",
		    "version: 1\nrootfs: {path: /r}\nuser: root\n"
		    "env:\n  inherit: none\n  keep: [SSH_AUTH_SOCK, TERM]\n"
		    "  unset: [LOGNAME, TERM]\n"
		    "  set: {EDITOR: vi, HOME: /srv/home, PATH: /set/bin}\n",
		    &p);
	is_str(get(env, "SSH_AUTH_SOCK"), "/tmp/ssh", "inherit none + keep");
	ok(!get(env, "LANG"), "inherit none: LANG not inherited");
	ok(!get(env, "TERM"), "unset removes a kept variable");
	ok(!get(env, "LOGNAME"), "unset removes an identity variable");
	is_str(get(env, "HOME"), "/srv/home", "set wins over identity");
	is_str(get(env, "EDITOR"), "vi", "set adds");
	is_str(get(env, "PATH"), "/set/bin", "set PATH kept when env.path is absent");
	is_int(count(env), 5, "none: exactly 5 variables");
	talloc_free(p);

	env = build("path.yaml",
		    "version: 1\nrootfs: {path: /r}\n"
		    "env:\n  inherit: [TERM]\n  unset: [TERM]\n  set: {TERM: dumb, PATH: /x}\n"
		    "  path: [/opt/bin, /usr/bin]\n",
		    &p);
	is_str(get(env, "TERM"), "dumb", "set wins over unset");
	is_str(get(env, "PATH"), "/opt/bin:/usr/bin", "env.path joined and wins over set");
	talloc_free(p);

	/* A named user is looked up in the guest's /etc/passwd. */
	write_file("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
					"builder:x:1500:1500::/var/lib/builder:/bin/sh\n");
	env = build("named.yaml", "version: 1\nrootfs: {path: rootfs}\nuser: builder\n", &p);
	is_str(get(env, "HOME"), "/var/lib/builder", "user NAME: HOME from the guest passwd");
	is_str(get(env, "USER"), "builder", "user NAME: USER");
	talloc_free(p);
	env = build("uid.yaml", "version: 1\nrootfs: {path: rootfs}\nuser: 1500\n", &p);
	is_str(get(env, "USER"), "builder", "user UID: name from the guest passwd");
	is_str(get(env, "HOME"), "/var/lib/builder", "user UID: HOME from the guest passwd");
	talloc_free(p);
	env = build("nopw.yaml", "version: 1\nrootfs: {path: /nonexistent}\nuser: ghost\n", &p);
	is_str(get(env, "HOME"), "/home/ghost", "user NAME without passwd: /home/NAME");
	talloc_free(p);
	env = build("nouid.yaml", "version: 1\nrootfs: {path: /nonexistent}\nuser: 4242\n", &p);
	is_str(get(env, "HOME"), "/", "user UID without passwd: HOME=/");
	ok(!get(env, "USER"), "user UID without passwd: no USER");
	talloc_free(p);

	/* host identity when the host environment lacks HOME and USER: getpwuid */
	{
		struct profile_error err = {""};
		char *const bare[] = {"TERM=vt100", NULL};
		struct passwd *pw = getpwuid(getuid());

		profile_load(NULL, write_file("bare.yaml", "version: 1\nrootfs: {path: /r}\n"), &p,
			     &err);
		env = profile_build_environ(p, p, bare);
		is_str(get(env, "USER"), pw ? pw->pw_name : NULL,
		       "host user from the passwd database");
		is_str(get(env, "HOME"), pw ? pw->pw_dir : NULL,
		       "host home from the passwd database");
		talloc_free(p);
		profile_load(
		    NULL, write_file("empty.yaml", "version: 1\nrootfs: {path: /r}\nuser: root\n"),
		    &p, &err);
		env = profile_build_environ(p, p, NULL);
		is_int(count(env), 4, "no host environment: HOME, USER, LOGNAME, PATH");
		talloc_free(p);
	}
	return done_testing();
}
