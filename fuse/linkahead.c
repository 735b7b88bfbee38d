// SPDX-License-Identifier: MIT
/*
 * Symlink targets read ahead (fs.h, "linkahead.c").
 *
 * ls -l reads the target of every symlink it lists, and the first read of
 * each costs the lister a READLINK round trip (then the kernel keeps the
 * target: FUSE_CACHE_SYMLINKS). When a READLINK comes for a name in a
 * directory listed moments before, one helper thread reads the directory's
 * other symlinks through the mount itself, from its last entry backwards,
 * while the lister goes forwards: where they meet, the lister finds the
 * targets cached.
 *
 * The helper's own requests are answered like any other. It touches no
 * inode and holds no lock while in a syscall, and nothing ever waits for
 * it: when the connection ends, whatever it is in fails, and the process's
 * exit ends it.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define QUEUE 16

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;
	char *paths[QUEUE]; /* guest paths, relative to the mount's root ("" for it) */
	size_t n;
	int mount_fd;
	bool started, exiting;
	pthread_t thread;
} la = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .mount_fd = -1};

int mount_open_dir(const char *path)
{
	/* Beneath the root and through no symlink: a name renamed meanwhile leads nowhere else. */
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve =
				   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int mount_fd = __atomic_load_n(&la.mount_fd, __ATOMIC_ACQUIRE);

	if (mount_fd < 0) {
		errno = ENOTCONN;
		return -1;
	}
	return (int)syscall(SYS_openat2, mount_fd, *path ? path : ".", &how, sizeof(how));
}

DIR *mount_list_dir(const char *path, unsigned char type, char ***names, size_t *n, int *error)
{
	int fd = mount_open_dir(path);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	size_t cap = 0;
	struct dirent *e;

	*names = NULL;
	*n = 0;
	if (!dir) {
		*error = errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	errno = 0;
	while ((e = readdir(dir))) {
		char **more;

		if (e->d_type != type || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(more = realloc(*names, cap * sizeof(**names))))
				break;
			*names = more;
		}
		if (!((*names)[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	*error = e ? ENOMEM : errno;
	return dir;
}

/* The number of targets read. */
static size_t read_links(const char *path)
{
	char **names, target[PATH_MAX];
	size_t n, read = 0;
	bool stop = false;
	int error;
	DIR *dir = mount_list_dir(path, DT_LNK, &names, &n, &error);

	if (!dir)
		return 0;
	for (size_t i = n; i > 0; i--) {
		if (!stop && readlinkat(dirfd(dir), names[i - 1], target, sizeof(target)) >= 0)
			read++;
		else if (!stop && errno == ENOTCONN)
			stop = true; /* the connection is over */
		free(names[i - 1]);
	}
	free(names);
	closedir(dir);
	return read;
}

static void *linkahead_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&la.lock);
	for (;;) {
		char *path;
		size_t n;

		while (!la.n && !la.exiting)
			pthread_cond_wait(&la.work, &la.lock);
		if (la.exiting)
			break;
		path = la.paths[--la.n];
		pthread_mutex_unlock(&la.lock);
		n = read_links(path);
		log_debug("read %zu symlinks of /%s ahead", n, path);
		free(path);
		pthread_mutex_lock(&la.lock);
	}
	pthread_mutex_unlock(&la.lock);
	return NULL;
}

void linkahead_start(int mount_fd)
{
	__atomic_store_n(&la.mount_fd, mount_fd, __ATOMIC_RELEASE);
}

bool mount_helpers_on(void)
{
	return __atomic_load_n(&la.mount_fd, __ATOMIC_ACQUIRE) >= 0;
}

void linkahead_note(struct fs *fs, struct inode *link)
{
	struct inode *dir;
	char *path = NULL;
	bool queued = false;

	if (!mount_helpers_on())
		return;
	pthread_rwlock_rdlock(&fs->tree_lock);
	dir = link->parent;
	/* Listed moments before (not just a program's loader resolving a library): once. */
	if (dir && prefetch_listed_lately(dir) &&
	    !__atomic_exchange_n(&dir->links_ahead, true, __ATOMIC_RELAXED))
		inode_ref(dir); /* a rename of the link may take away the link's reference */
	else
		dir = NULL;
	pthread_rwlock_unlock(&fs->tree_lock);
	if (!dir)
		return;
	path = inode_guest_path(fs, dir);
	pthread_mutex_lock(&la.lock);
	if (!la.started && !la.exiting)
		la.started = loop_start_quiet_thread(&la.thread, linkahead_main);
	if (path && la.started && !la.exiting && la.n < QUEUE) {
		/* Relative to the mount's root: skip the guest path's leading slash. */
		memmove(path, path + 1, strlen(path));
		la.paths[la.n++] = path;
		path = NULL;
		queued = true;
		pthread_cond_signal(&la.work);
	}
	pthread_mutex_unlock(&la.lock);
	if (!queued)
		__atomic_store_n(&dir->links_ahead, false, __ATOMIC_RELAXED); /* another time */
	inode_unref(fs, dir, 1);
	free(path);
}

void linkahead_stop(void)
{
	pthread_mutex_lock(&la.lock);
	la.exiting = true;
	pthread_cond_broadcast(&la.work);
	pthread_mutex_unlock(&la.lock);
}
