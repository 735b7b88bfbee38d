// SPDX-License-Identifier: MIT
/*
 * The kernel's cache invalidations that wait for a directory's lock
 * (fuse_lowlevel_notify_inval_entry takes it), on a thread of their own.
 *
 * The one who holds that lock may be waiting for a request of ours: a
 * rename holds both parents', a getdents its directory's while READDIR is
 * answered. On a worker, such invalidations once took all eight workers
 * (stress-ng --dir: each rename into a guarded directory left one waiting),
 * and the READDIR the lock's holder waited for had no thread left to answer
 * it: every process in the view hung, past SIGKILL. Here they wait one after
 * the other while the workers answer requests.
 */
#include "fs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct inval_job {
	void (*call)(void *arg);
	void *arg;
	struct inval_job *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct inval_job *head, *tail;
	pthread_t thread;
	bool running, exiting;
} invalidator = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *invalidator_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&invalidator.lock);
	for (;;) {
		while (!invalidator.head && !invalidator.exiting)
			pthread_cond_wait(&invalidator.wake, &invalidator.lock);
		struct inval_job *job = invalidator.head;
		if (!job)
			break; /* exiting, nothing left */
		invalidator.head = job->next;
		if (!invalidator.head)
			invalidator.tail = NULL;
		pthread_mutex_unlock(&invalidator.lock);
		job->call(job->arg);
		free(job);
		pthread_mutex_lock(&invalidator.lock);
	}
	pthread_mutex_unlock(&invalidator.lock);
	return NULL;
}

bool inval_defer(void (*call)(void *arg), void *arg)
{
	struct inval_job *job = malloc(sizeof(*job));
	bool queued = false;

	if (!job)
		return false;
	*job = (struct inval_job){call, arg, NULL};
	pthread_mutex_lock(&invalidator.lock);
	if (!invalidator.running && !invalidator.exiting)
		invalidator.running =
		    loop_start_quiet_thread(&invalidator.thread, invalidator_main);
	if (invalidator.running && !invalidator.exiting) {
		if (invalidator.tail)
			invalidator.tail->next = job;
		else
			invalidator.head = job;
		invalidator.tail = job;
		pthread_cond_signal(&invalidator.wake);
		queued = true;
	}
	pthread_mutex_unlock(&invalidator.lock);
	if (!queued)
		free(job);
	return queued;
}

void inval_stop(void)
{
	pthread_mutex_lock(&invalidator.lock);
	invalidator.exiting = true;
	pthread_cond_signal(&invalidator.wake);
	bool running = invalidator.running;
	pthread_mutex_unlock(&invalidator.lock);
	/* What is left runs first: after the unmount each invalidation fails at once. */
	if (running)
		pthread_join(invalidator.thread, NULL);
	invalidator.running = false;
}

/* A name for the kernel to forget. */
struct entry_inval {
	struct fs *fs;
	fuse_ino_t parent;
	char name[];
};

static void run_entry_inval(void *arg)
{
	struct entry_inval *job = arg;

	fuse_lowlevel_notify_inval_entry(job->fs->se, job->parent, job->name, strlen(job->name));
	free(job);
}

void inval_entry_later(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct entry_inval *job = malloc(sizeof(*job) + strlen(name) + 1);

	if (!job)
		return; /* the name expires with its timeout */
	job->fs = fs;
	job->parent = parent;
	strcpy(job->name, name);
	if (!inval_defer(run_entry_inval, job))
		run_entry_inval(job);
}
