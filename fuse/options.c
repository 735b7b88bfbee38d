/* SPDX-License-Identifier: MIT */
/*
 * groot-fs command line. The spellings are a contract with the runner
 * (runner/ starts groot-fs with them), so they change only together.
 */
#include "fs.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "log.h"

enum {
	OPT_LOWER = 256,
	OPT_UPPER,
	OPT_IN_PLACE,
	OPT_LIFELINE,
	OPT_READY_FD,
	OPT_FAKE_ROOT,
	OPT_DIRECT,
	OPT_BIND,
	OPT_SORTED_READDIR,
	OPT_STABLE_INODES,
	OPT_CLAMP_MTIME,
	OPT_WRITEBACK_CACHE,
	OPT_XATTR_HINTS,
	OPT_VERSION,
	OPT_RUN_DIR,
	OPT_CREDENTIALS,
	OPT_OWNER,
	OPT_BIND_OWNER,
	OPT_CHECK_OPENS,
	OPT_LAZY_GUARDS,
};

static const struct option long_options[] = {
    {"lower", required_argument, NULL, OPT_LOWER},
    {"upper", required_argument, NULL, OPT_UPPER},
    {"in-place", no_argument, NULL, OPT_IN_PLACE},
    {"lifeline", required_argument, NULL, OPT_LIFELINE},
    {"run-dir", required_argument, NULL, OPT_RUN_DIR},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"fake-root", no_argument, NULL, OPT_FAKE_ROOT},
    {"owner", required_argument, NULL, OPT_OWNER},
    {"bind-owner", required_argument, NULL, OPT_BIND_OWNER},
    {"credentials", required_argument, NULL, OPT_CREDENTIALS},
    {"check-opens", no_argument, NULL, OPT_CHECK_OPENS},
    {"lazy-guards", no_argument, NULL, OPT_LAZY_GUARDS},
    {"direct", required_argument, NULL, OPT_DIRECT},
    {"bind", required_argument, NULL, OPT_BIND},
    {"sorted-readdir", no_argument, NULL, OPT_SORTED_READDIR},
    {"stable-inodes", no_argument, NULL, OPT_STABLE_INODES},
    {"clamp-mtime", required_argument, NULL, OPT_CLAMP_MTIME},
    {"writeback-cache", no_argument, NULL, OPT_WRITEBACK_CACHE},
    {"xattr-hints", required_argument, NULL, OPT_XATTR_HINTS},
    {"foreground", no_argument, NULL, 'f'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void print_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: groot-fs [options] MOUNTPOINT\n"
	    "  --lower DIR          read-only layer (repeatable; later ones are higher)\n"
	    "  --upper DIR          writable upper layer\n"
	    "  --in-place           write into the single lower layer directly\n"
	    "  --lifeline FD        unmount and exit when this pipe reaches EOF\n"
	    "  --run-dir DIR        then remove DIR, the runner's run directory (without\n"
	    "                       crossing into another filesystem)\n"
	    "  --ready-fd FD        write one byte and close FD once the mount is live\n"
	    "  --fake-root          the invoking user's files appear owned by root\n"
	    "  --owner UID:GID      ... by UID:GID instead (implies --fake-root)\n"
	    "  --bind-owner UID:GID ... in binds, by UID:GID\n"
	    "  --credentials FILE   judge requests by the guest's fake identities in FILE\n"
	    "  --check-opens        also judge opens (the guest starts as a non-root user)\n"
	    "  --lazy-guards        cache names in directories not all may search until\n"
	    "                       the runner says a non-root identity appeared\n"
	    "  --direct GUEST=HOST  GUEST appears as a symlink to the host path HOST\n"
	    "  --bind HOST:GUEST[:ro]  serve the host path HOST at GUEST through the view\n"
	    "  --sorted-readdir     list directories in byte order\n"
	    "  --stable-inodes      inode numbers derived from guest paths\n"
	    "  --clamp-mtime EPOCH  no timestamp later than EPOCH\n"
	    "  --writeback-cache    let the kernel cache writes (nothing else may write a bind)\n"
	    "  --xattr-hints FILE   publish inodes without guest xattrs in FILE (groot-fast.so)\n"
	    "  -f                   stay in the foreground\n"
	    "  -v                   more logging (repeatable)\n"
	    "  -o OPT[,OPT...]      extra FUSE mount options\n");
}

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0 || v > INT_MAX)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

/* Guest paths are absolute and canonical-ish: "/a/b", no trailing slash, no "." or "..". */
static int check_guest_path(const char *p)
{
	const char *c;

	if (p[0] != '/' || p[1] == '\0')
		return -EINVAL;
	for (c = p; *c;) {
		const char *e;
		size_t len;

		while (*c == '/')
			c++;
		e = strchrnul(c, '/');
		len = (size_t)(e - c);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		c = e;
	}
	return 0;
}

/* Create (or find) the vnode chain for 'guest', returning the last one. */
struct vnode *vnode_path(struct vnode *root, const char *guest)
{
	struct vnode *cur = root;
	const char *c = guest;

	while (*c) {
		const char *e;
		struct vnode *v;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchrnul(c, '/');
		for (v = cur->children; v; v = v->next)
			if (strlen(v->name) == (size_t)(e - c) &&
			    !memcmp(v->name, c, (size_t)(e - c)))
				break;
		if (!v) {
			v = calloc(1, sizeof(*v));
			if (!v)
				die(GROOT_EXIT_FAILURE, "out of memory");
			v->name = strndup(c, (size_t)(e - c));
			v->kind = VNODE_PATH;
			v->next = cur->children;
			cur->children = v;
		}
		cur = v;
		c = e;
	}
	return cur;
}

static unsigned bind_count;

static char *strip_trailing_slashes(char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

static int add_direct(struct fs_options *opts, const char *arg)
{
	_cleanup_free_ char *guest = strdup(arg);
	char *host;
	struct vnode *v;

	host = strchr(guest, '=');
	if (!host) {
		log_error("--direct %s: expected GUEST=HOST", arg);
		return -EINVAL;
	}
	*host++ = '\0';
	strip_trailing_slashes(guest);
	if (strcmp(guest, "/") == 0) {
		log_error("--direct %s: the guest root cannot be a bind point", arg);
		return -EINVAL;
	}
	if (check_guest_path(guest) < 0 || host[0] != '/') {
		log_error("--direct %s: GUEST and HOST must be absolute paths", arg);
		return -EINVAL;
	}
	v = vnode_path(opts->vroot, guest);
	/* Binds are keyed by destination: a later one replaces an earlier one. */
	if (v->kind != VNODE_PATH)
		log_info("--direct %s replaces an earlier bind of %s", arg, guest);
	else if (v->children)
		log_info("--direct %s hides the binds below %s (the host tree shows there)", arg,
			 guest);
	free(v->host);
	v->kind = VNODE_DIRECT;
	v->order = ++bind_count;
	v->host = strdup(host);
	v->readonly = false;
	return 0;
}

static int add_bind(struct fs_options *opts, const char *arg)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *guest, *flags, *host;
	struct vnode *v;
	bool readonly = false;

	host = copy;
	guest = strchr(copy, ':');
	if (!guest) {
		log_error("--bind %s: expected HOST:GUEST[:ro]", arg);
		return -EINVAL;
	}
	*guest++ = '\0';
	flags = strchr(guest, ':');
	if (flags) {
		*flags++ = '\0';
		if (strcmp(flags, "ro") == 0) {
			readonly = true;
		} else if (strcmp(flags, "rw") != 0) {
			log_error("--bind %s: unknown flag '%s' (expected ro or rw)", arg, flags);
			return -EINVAL;
		}
	}
	strip_trailing_slashes(guest);
	if (strcmp(guest, "/") == 0) {
		log_error("--bind %s: the guest root cannot be a bind point (use --lower)", arg);
		return -EINVAL;
	}
	if (check_guest_path(guest) < 0 || host[0] != '/') {
		log_error("--bind %s: HOST and GUEST must be absolute paths", arg);
		return -EINVAL;
	}
	v = vnode_path(opts->vroot, guest);
	if (v->kind != VNODE_PATH)
		log_info("--bind %s replaces an earlier bind of %s", arg, guest);
	free(v->host);
	v->kind = VNODE_BIND;
	v->order = ++bind_count;
	v->host = realpath(host, NULL);
	if (!v->host) {
		log_error("--bind %s: %s: %s", arg, host, strerror(errno));
		return -errno;
	}
	v->readonly = readonly;
	return 0;
}

static int append_mount_option(struct fs_options *opts, const char *o)
{
	char *joined;

	if (!opts->mount_options) {
		opts->mount_options = strdup(o);
		return 0;
	}
	if (asprintf(&joined, "%s,%s", opts->mount_options, o) < 0)
		return -ENOMEM;
	free(opts->mount_options);
	opts->mount_options = joined;
	return 0;
}

int parse_options(int argc, char **argv, struct fs_options *opts)
{
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->lifeline_fd = -1;
	opts->ready_fd = -1;
	opts->vroot = calloc(1, sizeof(*opts->vroot));
	opts->lowers = calloc((size_t)argc, sizeof(char *));
	if (!opts->vroot || !opts->lowers)
		return -ENOMEM;
	opts->vroot->name = strdup("");

	while ((c = getopt_long(argc, argv, "+fvho:", long_options, NULL)) != -1) {
		char *end;

		switch (c) {
		case OPT_LOWER:
			opts->lowers[opts->n_lowers++] = optarg;
			break;
		case OPT_UPPER:
			opts->upper = optarg;
			break;
		case OPT_IN_PLACE:
			opts->in_place = true;
			break;
		case OPT_LIFELINE:
			if (parse_fd(optarg, &opts->lifeline_fd) < 0) {
				log_error("--lifeline %s: not a file descriptor", optarg);
				return -EINVAL;
			}
			break;
		case OPT_RUN_DIR:
			opts->run_dir = optarg;
			break;
		case OPT_READY_FD:
			if (parse_fd(optarg, &opts->ready_fd) < 0) {
				log_error("--ready-fd %s: not a file descriptor", optarg);
				return -EINVAL;
			}
			break;
		case OPT_FAKE_ROOT:
			opts->fake_root = true;
			break;
		case OPT_OWNER:
		case OPT_BIND_OWNER: {
			unsigned long uid, gid;
			char *colon;

			errno = 0;
			uid = strtoul(optarg, &colon, 10);
			gid = *colon == ':' ? strtoul(colon + 1, &end, 10) : 0;
			if (errno || colon == optarg || *colon != ':' || *end != '\0' ||
			    uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1) {
				log_error("--%s %s: not UID:GID", c == OPT_OWNER ? "owner" : "bind-owner",
					  optarg);
				return -EINVAL;
			}
			if (c == OPT_OWNER) {
				opts->owner_uid = (uid_t)uid;
				opts->owner_gid = (gid_t)gid;
				opts->fake_root = true;
			} else {
				opts->bind_owner_uid = (uid_t)uid;
				opts->bind_owner_gid = (gid_t)gid;
				opts->has_bind_owner = true;
			}
			break;
		}
		case OPT_CREDENTIALS:
			opts->credentials = optarg;
			break;
		case OPT_CHECK_OPENS:
			opts->check_opens = true;
			break;
		case OPT_LAZY_GUARDS:
			opts->lazy_guards = true;
			break;
		case OPT_XATTR_HINTS:
			opts->xattr_hints = optarg;
			break;
		case OPT_DIRECT:
			if (add_direct(opts, optarg) < 0)
				return -EINVAL;
			break;
		case OPT_BIND:
			if (add_bind(opts, optarg) < 0)
				return -EINVAL;
			break;
		case OPT_SORTED_READDIR:
			opts->sorted_readdir = true;
			break;
		case OPT_WRITEBACK_CACHE:
			opts->writeback_cache = true;
			break;
		case OPT_STABLE_INODES:
			opts->stable_inodes = true;
			break;
		case OPT_CLAMP_MTIME:
			errno = 0;
			opts->clamp_epoch = strtoll(optarg, &end, 10);
			if (errno || *optarg == '\0' || *end != '\0' || opts->clamp_epoch < 0) {
				log_error("--clamp-mtime %s: not an epoch in seconds", optarg);
				return -EINVAL;
			}
			opts->clamp_mtime = true;
			break;
		case 'f':
			opts->foreground = true;
			break;
		case 'v':
			opts->verbosity++;
			break;
		case 'o':
			if (append_mount_option(opts, optarg) < 0)
				return -ENOMEM;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("groot-fs %s\n", GROOT_VERSION);
			exit(0);
		default:
			print_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		log_error("expected exactly one MOUNTPOINT");
		print_usage(stderr);
		return -EINVAL;
	}
	opts->mountpoint = argv[optind];
	if (opts->n_lowers == 0) {
		log_error("at least one --lower DIR is needed");
		return -EINVAL;
	}
	if (opts->in_place && opts->upper) {
		log_error("--in-place and --upper exclude each other");
		return -EINVAL;
	}
	if (opts->in_place && opts->n_lowers != 1) {
		log_error("--in-place needs exactly one --lower");
		return -EINVAL;
	}
	return 0;
}

void vnode_tree_free(struct vnode *v)
{
	while (v) {
		struct vnode *next = v->next;

		vnode_tree_free(v->children);
		free(v->name);
		free(v->host);
		free(v);
		v = next;
	}
}

void free_options(struct fs_options *opts)
{
	free(opts->lowers);
	free(opts->mount_options);
	vnode_tree_free(opts->vroot);
	memset(opts, 0, sizeof(*opts));
}

/*
 * Whether the kernel may judge the guest's accesses itself (default_permissions)
 * by the owners and modes the view reports: only when the guest runs with the
 * daemon's own uid and no fake identity, so that its calls on the backing
 * files would be judged by those same owners and modes (a root daemon's
 * guest too: one of its processes that really drops root is then judged as
 * natively, fuse/main.c, allow_other). Binds keep our checks
 * (their files change behind our back, and a read-only bind answers EROFS).
 */
bool fs_kernel_judges(const struct fs_options *opts)
{
	return !opts->fake_root && !opts->credentials && !opts->check_opens &&
	       !vnodes_have_bind(opts->vroot, false);
}

/* Does the tree below 'v' (siblings included) serve a bind through the view (a writable one)? */
bool vnodes_have_bind(const struct vnode *v, bool writable_only)
{
	for (; v; v = v->next)
		if ((v->kind == VNODE_BIND && !(writable_only && v->readonly)) ||
		    vnodes_have_bind(v->children, writable_only))
			return true;
	return false;
}
