// SPDX-License-Identifier: MIT
/*
 * Directories the kernel remembers, and the fds they cost us.
 *
 * Each directory inode keeps O_PATH fds (one per layer it is in, and one
 * for its top), and the kernel keeps what it looked up until memory runs
 * short: some 9,900 directories made or walked under a hard RLIMIT_NOFILE
 * of 20,000, and every open in the view failed with EMFILE from then on,
 * the dynamic loader's included. When the directories we hold reach an
 * eighth of the limit (a walk makes more while we drop), the invalidation
 * thread (inval.c) asks the kernel to forget the least recently used of
 * them, down to half that number, again while more come: it drops the names
 * (fuse_lowlevel_notify_inval_entry) and, for those nothing uses, sends
 * FORGET, which closes the fds. A directory that is some process's working
 * directory, or on the way to one, is left alone: a dropped name would make
 * its getcwd fail (ENOENT). docs/groot-fs.md, "File descriptors".
 */
#include "fs.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int64_t live_dirs;  /* directory inodes in the table; atomic */
static bool evicting;	   /* an eviction is queued or running; atomic */
static int64_t high_water; /* live_dirs that starts one: an eighth of the fd limit */

uint32_t fdp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

void fdp_init(void)
{
	struct rlimit rl;

	high_water = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
			 ? (int64_t)rl.rlim_cur / 8
			 : INT32_MAX;
	if (high_water < 64)
		high_water = 64;
}

/* The working directories under our mountpoint, as guest paths, NUL-separated. */
static char *working_dirs(struct fs *fs, size_t *size)
{
	DIR *proc = opendir("/proc");
	char *all = NULL, link[PATH_MAX + 32], target[PATH_MAX];
	size_t used = 0;
	struct dirent *e;

	while (proc && (e = readdir(proc))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%s/cwd", e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < (ssize_t)fs->mountpoint_len ||
		    strncmp(target, fs->mountpoint, fs->mountpoint_len) ||
		    (target[fs->mountpoint_len] != '/' && n != (ssize_t)fs->mountpoint_len))
			continue;
		target[n] = '\0';
		const char *guest =
		    n == (ssize_t)fs->mountpoint_len ? "/" : target + fs->mountpoint_len;
		size_t length = strlen(guest) + 1;
		char *grown = realloc(all, used + length);
		if (!grown)
			break;
		all = grown;
		memcpy(all + used, guest, length);
		used += length;
	}
	if (proc)
		closedir(proc);
	*size = used;
	return all;
}

/* Is 'path' one of the working directories, or on the way to one? */
static bool on_a_working_path(const char *path, const char *dirs, size_t size)
{
	size_t length = strlen(path);

	for (const char *d = dirs; d && d < dirs + size; d += strlen(d) + 1)
		if (!strncmp(d, path, length) && (d[length] == '/' || d[length] == '\0'))
			return true;
	return false;
}

static int by_use(const void *a, const void *b)
{
	uint32_t x = (*(struct inode *const *)a)->used, y = (*(struct inode *const *)b)->used;

	return x < y ? -1 : x > y;
}

static void evict(void *arg)
{
	struct fs *fs = arg;
	size_t n, size, dropped = 0;
	struct inode **dirs = inode_collect_dirs(fs, &n);
	char *working = working_dirs(fs, &size);

	qsort(dirs, n, sizeof(*dirs), by_use);
	size_t drop = n > (size_t)high_water / 2 ? n - (size_t)high_water / 2 : 0;
	for (size_t i = 0; i < n; i++) {
		fuse_ino_t parent = 0;
		char *name = NULL;

		/* At the session's end, nothing is left to save: only the references go. */
		char *path =
		    i < drop && !fuse_session_exited(fs->se) ? inode_guest_path(fs, dirs[i]) : NULL;
		if (path && !on_a_working_path(path, working, size)) {
			pthread_rwlock_rdlock(&fs->tree_lock);
			if (dirs[i]->parent && dirs[i]->name) {
				parent = inode_id(fs, dirs[i]->parent);
				name = strdup(dirs[i]->name);
			}
			pthread_rwlock_unlock(&fs->tree_lock);
		}
		free(path);
		inode_unref(fs, dirs[i], 1);
		if (name) {
			fuse_lowlevel_notify_inval_entry(fs->se, parent, name, strlen(name));
			dropped++;
		}
		free(name);
	}
	log_debug("%zu directories held, %zu dropped from the kernel's cache", n, dropped);
	free(working);
	free(dirs);
	/* A walk made more meanwhile: again, after the FORGETs of this round. */
	if (dropped && __atomic_load_n(&live_dirs, __ATOMIC_RELAXED) >= high_water &&
	    inval_defer(evict, fs))
		return;
	__atomic_store_n(&evicting, false, __ATOMIC_SEQ_CST);
}

void fdp_dir_added(struct fs *fs)
{
	int64_t n = __atomic_add_fetch(&live_dirs, 1, __ATOMIC_RELAXED);

	if (n < high_water || __atomic_exchange_n(&evicting, true, __ATOMIC_SEQ_CST))
		return;
	if (!inval_defer(evict, fs))
		__atomic_store_n(&evicting, false, __ATOMIC_SEQ_CST);
}

void fdp_dir_removed(void)
{
	__atomic_sub_fetch(&live_dirs, 1, __ATOMIC_RELAXED);
}

bool fdp_pressed(void)
{
	return __atomic_load_n(&live_dirs, __ATOMIC_RELAXED) >= high_water / 2;
}
