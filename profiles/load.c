/* SPDX-License-Identifier: MIT */
/* profile_load(): find, parse, merge what it extends, convert. */
#include "profile-internal.h"

#include <errno.h>
#include <string.h>

int profile_load(TALLOC_CTX *ctx, const char *name_or_path, struct profile **out,
		 struct profile_error *err)
{
	struct profile_error scratch;
	struct profile *p;
	struct ynode *merged;
	char *file;
	int r;

	if (!err)
		err = &scratch;
	err->message[0] = '\0';
	p = talloc_zero(ctx, struct profile);
	if (!p)
		return -ENOMEM;
	r = profile_find(p, name_or_path, NULL, &file, err);
	if (r == 0)
		r = profile_resolve(p, file, &merged, &p->files, err);
	if (r == 0) {
		p->file = p->files[0];
		p->origins = talloc_zero(p, struct profile_origins);
		if (!p->origins)
			r = -ENOMEM;
	}
	if (r == 0) {
		p->origins->root = merged;
		r = profile_convert(p, merged, p, err);
	}
	if (r == -ENOMEM && !err->message[0])
		snprintf(err->message, sizeof(err->message), "%s: out of memory", name_or_path);
	if (r < 0) {
		talloc_free(p);
		return r == -ENOENT ? -ENOENT : r == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	*out = p;
	return 0;
}

const char *profile_origin(const struct profile *profile, const char *key)
{
	const struct ynode *node;

	if (!profile->origins)
		return NULL;
	node = ynode_lookup(profile->origins->root, key);
	if (!node || ynode_is_null(node))
		return NULL;
	return talloc_asprintf((void *)profile->origins, "%s:%u:%u", node->file, node->line,
			       node->col);
}
