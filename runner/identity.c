/* SPDX-License-Identifier: MIT */
/*
 * Fake identity (user: root, -0). Each process starts as root and keeps
 * its own credentials: set*id change them with the kernel's rules, get*id
 * report them. apt, for one, drops to _apt and checks that it did.
 */
#include "stop.h"

#include <errno.h>
#include <string.h>
#include <talloc.h>

#define KEEP ((unsigned int)-1) /* "-1: leave unchanged" in setre*id and setres*id */

static bool is_root(const struct credentials *c)
{
	return c->uid[1] == 0;
}

static long set_ids(unsigned int ids[4], unsigned int r, unsigned int e, unsigned int s,
		    bool privileged)
{
	/* Unprivileged: each new id must be one of the current real, effective or saved ones. */
	if (!privileged) {
		unsigned int wanted[3] = {r, e, s};
		for (int i = 0; i < 3; i++)
			if (wanted[i] != KEEP && wanted[i] != ids[0] && wanted[i] != ids[1] &&
			    wanted[i] != ids[2])
				return -EPERM;
	}
	if (r != KEEP)
		ids[0] = r;
	if (e != KEEP)
		ids[1] = e;
	if (s != KEEP)
		ids[2] = s;
	ids[3] = ids[1]; /* fsuid follows euid */
	return 0;
}

static long write_ids(struct stop *stop, const unsigned int ids[3])
{
	for (int i = 0; i < 3; i++)
		if (tracee_write(stop->tracee->pid, stop_arg(stop, i), &ids[i], sizeof(ids[i])) < 0)
			return -EFAULT;
	return 0;
}

static long handle_getgroups(struct stop *stop, const struct credentials *c)
{
	int size = (int)stop_arg(stop, 0);

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return (long)c->n_groups;
	if ((size_t)size < c->n_groups)
		return -EINVAL;
	if (c->n_groups && tracee_write(stop->tracee->pid, stop_arg(stop, 1), c->groups,
					c->n_groups * sizeof(c->groups[0])) < 0)
		return -EFAULT;
	return (long)c->n_groups;
}

static long handle_setgroups(struct stop *stop, struct credentials *c)
{
	long size = (long)(int)stop_arg(stop, 0);

	if (!is_root(c))
		return -EPERM;
	if (size < 0 || size > CREDENTIALS_MAX_GROUPS)
		return -EINVAL;
	if (size && tracee_read(stop->tracee->pid, stop_arg(stop, 1), c->groups,
				(size_t)size * sizeof(c->groups[0])) < 0)
		return -EFAULT;
	c->n_groups = (size_t)size;
	return 0;
}

static long emulate(struct stop *stop, struct credentials *c)
{
	const char *name = stop->desc->name;
	unsigned int a = (unsigned int)stop_arg(stop, 0), b = (unsigned int)stop_arg(stop, 1);
	unsigned int third = (unsigned int)stop_arg(stop, 2);
	bool root = is_root(c);

	if (!strcmp(name, "getuid"))
		return c->uid[0];
	if (!strcmp(name, "geteuid"))
		return c->uid[1];
	if (!strcmp(name, "getgid"))
		return c->gid[0];
	if (!strcmp(name, "getegid"))
		return c->gid[1];
	if (!strcmp(name, "getresuid"))
		return write_ids(stop, c->uid);
	if (!strcmp(name, "getresgid"))
		return write_ids(stop, c->gid);
	if (!strcmp(name, "getgroups"))
		return handle_getgroups(stop, c);
	if (!strcmp(name, "setgroups"))
		return handle_setgroups(stop, c);
	if (!strcmp(name, "setuid"))
		return root ? set_ids(c->uid, a, a, a, true) : set_ids(c->uid, KEEP, a, KEEP, false);
	if (!strcmp(name, "setgid"))
		return root ? set_ids(c->gid, a, a, a, true) : set_ids(c->gid, KEEP, a, KEEP, false);
	if (!strcmp(name, "setreuid"))
		return set_ids(c->uid, a, b, KEEP, root);
	if (!strcmp(name, "setregid"))
		return set_ids(c->gid, a, b, KEEP, root);
	if (!strcmp(name, "setresuid"))
		return set_ids(c->uid, a, b, third, root);
	if (!strcmp(name, "setresgid"))
		return set_ids(c->gid, a, b, third, root);
	if (!strcmp(name, "setfsuid") || !strcmp(name, "setfsgid")) {
		unsigned int *ids = name[5] == 'u' ? c->uid : c->gid;
		unsigned int previous = ids[3];
		if (root || a == ids[0] || a == ids[1] || a == ids[2])
			ids[3] = a;
		return previous;
	}
	return -ENOSYS;
}

void handle_identity_enter(struct stop *stop)
{
	struct tracee *t = stop->tracee;

	if (!t->credentials) {
		struct credentials *c = talloc_zero(t, struct credentials);
		if (!c) {
			stop_skip(stop, -ENOMEM);
			return;
		}
		for (int i = 0; i < 4; i++) {
			c->uid[i] = stop->session->fake_uid;
			c->gid[i] = stop->session->fake_gid;
		}
		c->groups[0] = stop->session->fake_gid;
		c->n_groups = 1;
		t->credentials = c;
	}
	stop_skip(stop, emulate(stop, t->credentials));
}
