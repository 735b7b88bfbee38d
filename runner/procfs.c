/* SPDX-License-Identifier: MIT */
/*
 * Files of /proc the guest reads about its own processes, as it would see
 * them natively in a chroot of the guest tree:
 *
 *   mountinfo, mounts  only the guest's mounts, at guest paths: the view is
 *                      "/", a direct bind is a bind mount at its guest path
 *                      and the host's mounts under it follow it there;
 *                      everything else of the host is out of reach, as it
 *                      is for a chrooted process.
 *   status             TracerPid is the guest debugger (or 0), not groot
 *                      (groot proot shows groot, as PRoot shows itself);
 *                      under a fake identity, Uid, Gid, Groups and the
 *                      capability sets are the fake ones.
 *   stat, status       a process groot holds in a job-control stop is "T
 *                      (stopped)", as natively, not "t (tracing stop)".
 *   maps, smaps        files of the view by their guest paths.
 *
 * The kernel's file is read, rewritten and written to $RUN/proc-PID-NAME
 * (a new inode each time, so an earlier reader keeps its copy); the open
 * is pointed there. Only reads and lookups are: writes still reach the
 * kernel's file. Off the hot path: only /proc paths of tracees get here.
 */
#include "procfs.h"
#include "ptrace_emu.h"
#include "session.h"
#include "stop.h"
#include "tracee.h"
#include "translate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <unistd.h>

enum proc_file {
	PROC_MOUNTINFO,
	PROC_MOUNTS,
	PROC_STATUS,
	PROC_STAT,
	PROC_MAPS,
	PROC_SMAPS,
	PROC_NET_UNIX,
	PROC_FILES
};
static const char *const file_names[PROC_FILES] = {"mountinfo", "mounts", "status",  "stat",
						   "maps",	"smaps",  "net/unix"};
/* Their copies' names: "proc-PID-NAME", a '/' as ':' (translate.c turns it back). */
static const char *const copy_names[PROC_FILES] = {"mountinfo", "mounts", "status",  "stat",
						   "maps",	"smaps",  "net:unix"};

/* The kernel's /proc/PID/NAME, whole, or NULL. */
static char *read_proc(TALLOC_CTX *ctx, pid_t pid, const char *name)
{
	char path[64];
	size_t size = 16384, length = 0;
	char *buf = talloc_size(ctx, size);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + length, size - length - 1)) > 0) {
		length += (size_t)n;
		if (size - length - 1 == 0) {
			if (size >= (16u << 20))
				break;
			size *= 2;
			buf = talloc_realloc_size(ctx, buf, size);
			if (!buf)
				break;
		}
	}
	close(fd);
	if (!buf || n < 0)
		return NULL;
	buf[length] = '\0';
	return buf;
}

/* ---- mountinfo and mounts ---- */

/* Paths in these files escape space, tab, newline and backslash as \ooo. */
static char *unescape(TALLOC_CTX *ctx, const char *s)
{
	char *out = talloc_size(ctx, strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static char *escape(TALLOC_CTX *ctx, const char *s)
{
	char *out = talloc_strdup(ctx, "");

	for (; out && *s; s++)
		out = strchr(" \t\n\\", *s)
			  ? talloc_asprintf_append_buffer(out, "\\%03o", (unsigned char)*s)
			  : talloc_asprintf_append_buffer(out, "%c", *s);
	return out;
}

struct mount {
	char *fields[10]; /* id parent dev root point options optional fstype source super */
	char *point;	  /* the host mount point, unescaped */
	char *guest;	  /* its guest mount point (unescaped), or NULL: not shown */
	long id, parent;
};

enum { M_ID, M_PARENT, M_DEV, M_ROOT, M_POINT, M_OPTIONS, M_OPTIONAL, M_FSTYPE, M_SOURCE, M_SUPER };

/* One mountinfo line → its fields (the optional ones kept as one string). */
static bool parse_mount(TALLOC_CTX *ctx, char *line, struct mount *m)
{
	char *save = NULL, *token;
	int i = 0;

	memset(m, 0, sizeof(*m));
	for (token = strtok_r(line, " ", &save); token && i < M_OPTIONAL;
	     token = strtok_r(NULL, " ", &save))
		m->fields[i++] = token;
	if (i < M_OPTIONAL || !token)
		return false;
	/* Optional fields up to the "-" separator. */
	char *optional = talloc_strdup(ctx, "");
	for (; token && strcmp(token, "-") != 0; token = strtok_r(NULL, " ", &save))
		optional = talloc_asprintf_append_buffer(optional, " %s", token);
	if (!token || !optional)
		return false;
	m->fields[M_OPTIONAL] = optional;
	for (i = M_FSTYPE; i <= M_SUPER; i++) {
		token = strtok_r(NULL, " ", &save);
		if (!token)
			return false;
		m->fields[i] = token;
	}
	m->id = strtol(m->fields[M_ID], NULL, 10);
	m->parent = strtol(m->fields[M_PARENT], NULL, 10);
	m->point = unescape(ctx, m->fields[M_POINT]);
	return m->point != NULL;
}

static bool under(const char *path, const char *prefix, size_t length)
{
	if (length == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, length) == 0 && (path[length] == '/' || path[length] == '\0');
}

/* guest + the part of host below prefix. */
static char *rebase(TALLOC_CTX *ctx, const char *guest, const char *host, size_t prefix_length)
{
	const char *rest = prefix_length == 1 ? host : host + prefix_length;

	if (!*rest || !strcmp(rest, "/"))
		return talloc_strdup(ctx, guest);
	return talloc_asprintf(ctx, "%s%s", strcmp(guest, "/") ? guest : "", rest);
}

/* mounts' options: rw/ro, the superblock's flags, the mount's flags, the filesystem's. */
static char *mounts_options(TALLOC_CTX *ctx, const char *options, const char *super)
{
	static const char *const sb_flags[] = {"sync", "dirsync", "mand", "lazytime"};
	char *mnt = talloc_strdup(ctx, options), *sb = talloc_strdup(ctx, super);
	char *save = NULL, *token, *out;

	if (!mnt || !sb)
		return NULL;
	token = strtok_r(mnt, ",", &save);
	out = talloc_strdup(ctx, token ? token : "rw");
	char *mnt_rest = save;
	char *sb_save = NULL, *sb_token = strtok_r(sb, ",", &sb_save); /* its own rw/ro */
	char *fs_rest = NULL;
	for (sb_token = strtok_r(NULL, ",", &sb_save); sb_token;
	     sb_token = strtok_r(NULL, ",", &sb_save)) {
		bool flag = false;
		for (size_t i = 0; i < sizeof(sb_flags) / sizeof(sb_flags[0]); i++)
			flag |= !strcmp(sb_token, sb_flags[i]);
		if (!flag) {
			fs_rest = sb_token;
			break;
		}
		out = talloc_asprintf_append_buffer(out, ",%s", sb_token);
	}
	if (mnt_rest && *mnt_rest)
		out = talloc_asprintf_append_buffer(out, ",%s", mnt_rest);
	if (fs_rest) {
		out = talloc_asprintf_append_buffer(out, ",%s", fs_rest);
		if (sb_save && *sb_save)
			out = talloc_asprintf_append_buffer(out, ",%s", sb_save);
	}
	return out;
}

static char *mount_line(TALLOC_CTX *ctx, const struct mount *m, const char *root, long id,
			long parent, bool info)
{
	char *point = escape(ctx, m->guest);

	if (!point)
		return NULL;
	if (!info) {
		char *options = mounts_options(ctx, m->fields[M_OPTIONS], m->fields[M_SUPER]);
		return options ? talloc_asprintf(ctx, "%s %s %s %s 0 0\n", m->fields[M_SOURCE],
						 point, m->fields[M_FSTYPE], options)
			       : NULL;
	}
	return talloc_asprintf(ctx, "%ld %ld %s %s %s %s%s - %s %s %s\n", id, parent,
			       m->fields[M_DEV], root, point, m->fields[M_OPTIONS],
			       m->fields[M_OPTIONAL], m->fields[M_FSTYPE], m->fields[M_SOURCE],
			       m->fields[M_SUPER]);
}

/*
 * The guest's mount table: the view at "/"; each direct bind at its guest
 * path (the host mount holding its host path, entered below there); the
 * host's mounts under a bind's host path at the matching guest paths.
 */
static char *guest_mounts(TALLOC_CTX *ctx, const struct session *s, pid_t pid, bool info)
{
	char *text = read_proc(ctx, pid, "mountinfo");
	struct mount *mounts = NULL;
	size_t n = 0;
	long max_id = 0;

	if (!text)
		return NULL;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		mounts = talloc_realloc(ctx, mounts, struct mount, n + 1);
		if (!mounts)
			return NULL;
		if (parse_mount(ctx, line, &mounts[n])) {
			if (mounts[n].id > max_id)
				max_id = mounts[n].id;
			n++;
		}
	}

	/* Where each host mount shows in the guest. */
	long view_id = -1;
	for (size_t i = 0; i < n; i++) {
		struct mount *m = &mounts[i];
		if (!strcmp(m->point, s->mount)) {
			m->guest = talloc_strdup(ctx, "/");
			view_id = m->id;
			continue;
		}
		if (under(m->point, s->mount, s->mount_length) ||
		    under(m->point, s->run_dir, strlen(s->run_dir)))
			continue; /* groot's own */
		const struct direct_bind *d = find_direct_bind_by_host(s, m->point);
		if (d)
			m->guest = rebase(ctx, d->guest, m->point, d->host_length);
	}

	/* A bind whose host path is no mount point of its own: a bind mount of part of one. */
	struct mount *binds = talloc_zero_array(ctx, struct mount, s->n_directs + 1);
	char **bind_roots = talloc_zero_array(ctx, char *, s->n_directs + 1);
	size_t n_binds = 0;
	for (size_t b = 0; binds && bind_roots && b < s->n_directs; b++) {
		const struct direct_bind *d = &s->directs[b];
		const struct mount *holder = NULL;
		bool own = false;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(mounts[i].point, d->host) && mounts[i].guest &&
			    !strcmp(mounts[i].guest, d->guest))
				own = true;
			if (under(d->host, mounts[i].point, strlen(mounts[i].point)) &&
			    (!holder || strlen(mounts[i].point) >= strlen(holder->point)))
				holder = &mounts[i]; /* the last of the deepest: what is on top */
		}
		if (own || !holder)
			continue;
		struct mount *m = &binds[n_binds];
		*m = *holder;
		m->guest = talloc_strdup(ctx, d->guest);
		m->id = max_id + 1 + (long)n_binds;
		char *root = unescape(ctx, holder->fields[M_ROOT]);
		bind_roots[n_binds] =
		    root ? escape(ctx, rebase(ctx, root, d->host, strlen(holder->point))) : NULL;
		if (!bind_roots[n_binds])
			return NULL;
		n_binds++;
	}

	/* The view first, as a chroot's root; then the host's mounts in order; then the binds. */
	struct mount **order = talloc_array(ctx, struct mount *, n + n_binds);
	const char **roots = talloc_array(ctx, const char *, n + n_binds);
	size_t k = 0;
	if (!order || !roots)
		return NULL;
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if (mounts[i].guest && (mounts[i].id == view_id) == (pass == 0)) {
				roots[k] = mounts[i].fields[M_ROOT];
				order[k++] = &mounts[i];
			}
	for (size_t i = 0; i < n_binds; i++) {
		roots[k] = bind_roots[i];
		order[k++] = &binds[i];
	}

	char *out = talloc_strdup(ctx, "");
	for (size_t i = 0; i < k && out; i++) {
		const struct mount *m = order[i];
		long parent = m->parent;
		bool is_bind = i >= k - n_binds;
		bool shown = m->id == view_id && !is_bind;
		for (size_t j = 0; j < n && !shown && !is_bind; j++)
			shown = mounts[j].id == parent && mounts[j].guest;
		if (!shown) {
			/* Its parent is out of reach: the closest shown mount above it. */
			size_t best = 0;
			parent = view_id;
			for (size_t j = 0; j < k; j++) {
				size_t length = strlen(order[j]->guest);
				if (j != i && length > best && strcmp(order[j]->guest, m->guest) &&
				    under(m->guest, order[j]->guest, length)) {
					best = length;
					parent = order[j]->id;
				}
			}
		}
		char *line = mount_line(ctx, m, roots[i], m->id, parent, info);
		out = line ? talloc_strdup_append_buffer(out, line) : NULL;
	}
	return out;
}

/* ---- status and stat ---- */

/* A held process's state: 't' for a guest debugger's stop, else 'T' or 'R'. */
static char state_of(const struct tracee *t, char kernel)
{
	if (kernel != 't')
		return kernel;
	if (t->traced && t->traced->state != TRACED_RUNNING)
		return 't';
	return t->group_stopped ? 'T' : 'R';
}

static const char *state_name(char state)
{
	switch (state) {
	case 'T':
		return "T (stopped)";
	case 't':
		return "t (tracing stop)";
	default:
		return "R (running)";
	}
}

static char *rewrite_status(TALLOC_CTX *ctx, struct stop *stop, struct tracee *t, char *text)
{
	const struct credentials *c = identity_credentials(stop, t);
	char *out = talloc_strdup(ctx, "");

	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && out;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "State:\t", 7)) {
			char state = state_of(t, line[7]);
			if (state != line[7]) {
				out = talloc_asprintf_append_buffer(out, "State:\t%s\n",
								    state_name(state));
				continue;
			}
		} else if (!strncmp(line, "TracerPid:\t", 11)) {
			pid_t tracer = t->traced		     ? t->traced->tracer
				       : stop->session->tracer_shown ? stop->session->tracer_pid
								     : 0;
			out = talloc_asprintf_append_buffer(out, "TracerPid:\t%d\n", tracer);
			continue;
		} else if (c && !strncmp(line, "Uid:\t", 5)) {
			out =
			    talloc_asprintf_append_buffer(out, "Uid:\t%u\t%u\t%u\t%u\n", c->uid[0],
							  c->uid[1], c->uid[2], c->uid[3]);
			continue;
		} else if (c && !strncmp(line, "Gid:\t", 5)) {
			out =
			    talloc_asprintf_append_buffer(out, "Gid:\t%u\t%u\t%u\t%u\n", c->gid[0],
							  c->gid[1], c->gid[2], c->gid[3]);
			continue;
		} else if (c && !strncmp(line, "Groups:\t", 8)) {
			out = talloc_strdup_append_buffer(out, "Groups:\t");
			for (size_t i = 0; i < c->n_groups; i++)
				out = talloc_asprintf_append_buffer(out, "%u ", c->groups[i]);
			out = talloc_strdup_append_buffer(out, "\n");
			continue;
		} else if (c && !strncmp(line, "Cap", 3) && strlen(line) > 8 && line[6] == ':') {
			static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd",
							   "CapAmb"};
			const uint64_t values[] = {c->inheritable, c->permitted, c->effective,
						   c->bounding, c->ambient};
			size_t i;
			for (i = 0; i < 5 && strncmp(line, sets[i], 6); i++)
				;
			if (i < 5) {
				out = talloc_asprintf_append_buffer(out, "%s:\t%016llx\n", sets[i],
								    (unsigned long long)values[i]);
				continue;
			}
		}
		out = talloc_asprintf_append_buffer(out, "%s\n", line);
	}
	return out;
}

/* stat: "pid (comm) S ..." with comm possibly holding ") ". */
static char *rewrite_stat(struct tracee *t, char *text)
{
	char *close = strrchr(text, ')');

	if (!close || close[1] != ' ' || !close[2])
		return NULL;
	char state = state_of(t, close[2]);
	if (state == close[2])
		return NULL;
	close[2] = state;
	return text;
}

/* ---- maps, smaps ---- */

/* "start-end perms offset dev inode   /path": the view's prefix off each path. */
/* A mapping of groot-shim, groot-fast.so or a file of the run directory (the credentials). */
static bool is_grootish(const struct session *s, const char *path)
{
	size_t run = s->run_dir ? strlen(s->run_dir) : 0;
	char *deleted = strstr(path, " (deleted)");
	size_t length = deleted ? (size_t)(deleted - path) : strlen(path);

	return (s->shim_real && strlen(s->shim_real) == length &&
		!strncmp(path, s->shim_real, length)) ||
	       (s->fast_real && strlen(s->fast_real) == length &&
		!strncmp(path, s->fast_real, length)) ||
	       (run && !strncmp(path, s->run_dir, run) && path[run] == '/');
}

/*
 * Each line whose path (from its first '/') comes after 'fields' fields:
 * rename(s, path, buf) gives what to show instead (NULL: as it is; "": no
 * path, the spaces before it dropped too).
 */
typedef const char *path_rename(const struct session *s, const char *path, char *buf, size_t size);

static char *rewrite_paths(TALLOC_CTX *ctx, const struct session *s, char *text, int fields,
			   path_rename *rename)
{
	char *out = talloc_strdup(ctx, "");
	char buf[PATH_MAX];

	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && out;
	     line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '/');
		const char *shown = NULL;
		int seen = 0;
		for (char *p = line; path && p < path; p++)
			if (*p == ' ' && p[1] != ' ')
				seen++;
		if (path && seen == fields && path > line && path[-1] == ' ')
			shown = rename(s, path, buf, sizeof(buf));
		if (shown) {
			while (!*shown && path > line && path[-1] == ' ')
				path--;
			*path = '\0';
		}
		out = talloc_asprintf_append_buffer(out, "%s%s\n", line, shown ? shown : "");
	}
	return out;
}

/*
 * maps, smaps (a mapping's line has its path after five fields): files of
 * the view by their guest paths; groot's own objects are nothing of the
 * guest's, anonymous memory.
 */
static const char *map_rename(const struct session *s, const char *path, char *buf, size_t size)
{
	(void)buf, (void)size;
	if (!strncmp(path, s->mount, s->mount_length) && path[s->mount_length] == '/')
		return path + s->mount_length;
	return is_grootish(s, path) ? "" : NULL;
}

/*
 * net/unix (the path after seven fields): a socket bound in the view by its
 * guest path (ss -x, lsof -U, netstat -x), the kernel's being its host path.
 */
static const char *socket_rename(const struct session *s, const char *path, char *buf, size_t size)
{
	return detranslate_socket_path(s, path, buf, size) == 0 ? buf : NULL;
}

/* ---- the open ---- */

static bool write_copy(const char *path, const char *text)
{
	char temp[PATH_MAX];
	size_t length = strlen(text);

	if (snprintf(temp, sizeof(temp), "%s.new", path) >= (int)sizeof(temp))
		return false;
	int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return false;
	bool ok = write(fd, text, length) == (ssize_t)length;
	close(fd);
	if (ok && rename(temp, path) == 0)
		return true;
	unlink(temp);
	return false;
}

/* The tracee a /proc/PID/..., /proc/self/..., /proc/PID/task/TID/... path names; *name: the file.
 */
static struct tracee *proc_target(const struct stop *stop, const char *guest, const char **name)
{
	const char *p;
	pid_t pid;

	if (!strcmp(guest, "/proc/mounts") || !strcmp(guest, "/proc/net/unix")) {
		*name = guest + 6;
		return stop->tracee;
	}
	pid = proc_pid_of(stop, guest, &p);
	if (!pid)
		return NULL;
	if (!strncmp(p, "task/", 5)) {
		char *end;
		pid = (pid_t)strtol(p + 5, &end, 10);
		if (end == p + 5 || *end != '/')
			return NULL;
		p = end + 1;
	}
	*name = p;
	return tracee_get(pid);
}

const char *procfs_substitute(struct stop *stop, const char *guest, char *host, size_t size)
{
	const char *name;
	struct tracee *t = proc_target(stop, guest, &name);
	int which;

	if (!t)
		return NULL;
	for (which = 0; which < PROC_FILES && strcmp(name, file_names[which]); which++)
		;
	if (which == PROC_FILES)
		return NULL;

	TALLOC_CTX *ctx = talloc_new(NULL);
	char *text = NULL;
	switch (which) {
	case PROC_MOUNTINFO:
	case PROC_MOUNTS:
		text = guest_mounts(ctx, stop->session, t->pid, which == PROC_MOUNTINFO);
		break;
	case PROC_STATUS:
		text = read_proc(ctx, t->pid, "status");
		text = text ? rewrite_status(ctx, stop, t, text) : NULL;
		break;
	case PROC_STAT:
		text = read_proc(ctx, t->pid, "stat");
		text = text ? rewrite_stat(t, text) : NULL;
		break;
	case PROC_MAPS:
	case PROC_SMAPS:
		text = read_proc(ctx, t->pid, file_names[which]);
		text = text ? rewrite_paths(ctx, stop->session, text, 5, map_rename) : NULL;
		break;
	case PROC_NET_UNIX:
		text = read_proc(ctx, t->pid, file_names[which]);
		text = text ? rewrite_paths(ctx, stop->session, text, 7, socket_rename) : NULL;
		break;
	}
	const char *result = NULL;
	if (text &&
	    snprintf(host, size, "%s/proc-%d-%s", stop->session->run_dir, t->pid,
		     copy_names[which]) < (int)size &&
	    write_copy(host, text)) {
		t->proc_copies |= 1u << which;
		result = host;
	}
	talloc_free(ctx);
	return result;
}

void procfs_forget(const struct session *session, struct tracee *t)
{
	char path[PATH_MAX];

	for (int which = 0; t->proc_copies && which < PROC_FILES; which++)
		if (t->proc_copies & (1u << which)) {
			snprintf(path, sizeof(path), "%s/proc-%d-%s", session->run_dir, t->pid,
				 copy_names[which]);
			unlink(path);
		}
	t->proc_copies = 0;
}
