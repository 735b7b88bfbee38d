/* SPDX-License-Identifier: MIT */
/*
 * FUSE_READ: answered on the thread that read the request when the data is
 * in the host's page cache (a copy, no disk), by a worker when it must come
 * from the disk. A hand-off to a worker costs two context switches, about
 * 40 µs here, more than copying a 128 KiB readahead.
 *
 * Whether the pages are cached: cachestat(2) (Linux 6.5), after which
 * libfuse splices the pages to the kernel. Newer kernels (6.18 here) refuse
 * cachestat with EPERM on a file the caller could not open for writing, as
 * mincore(2) has long done: a tree that root extracted, seen by a user's
 * view, is such a file everywhere. Then the read itself asks: a
 * preadv2(RWF_NOWAIT) copies what the page cache holds and fails with
 * EAGAIN, or stops short of the end of the file, where the disk would be
 * needed; a complete read is the reply.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* Linux 6.5, the same number on x86_64 and aarch64 */
#endif

enum residency { NOT_CACHED, CACHED, CANNOT_TELL };

/* Are the pages of [off, off + size) in the backing file's page cache? */
static enum residency pages_cached(int fd, off_t off, size_t size)
{
	static bool unsupported; /* atomic enough: only ever set */
	struct {
		uint64_t off, len;
	} range = {(uint64_t)off, size};
	struct {
		uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
	} cs;
	uint64_t first = (uint64_t)off / 4096, last = ((uint64_t)off + size - 1) / 4096;

	if (size == 0)
		return CACHED;
	if (unsupported)
		return CANNOT_TELL;
	if (syscall(__NR_cachestat, fd, &range, &cs, 0) < 0) {
		if (errno == ENOSYS)
			unsupported = true;
		return errno == EPERM || errno == ENOSYS ? CANNOT_TELL : NOT_CACHED;
	}
	return cs.nr_cache >= last - first + 1 ? CACHED : NOT_CACHED;
}

/*
 * Reply with what the page cache holds of [off, off + size), if it holds
 * all of it (or all up to the end of the file); false: nothing was replied.
 */
static bool reply_from_cache(fuse_req_t req, int fd, size_t size, off_t off)
{
	char *buf = malloc(size);
	struct iovec iov = {buf, size};
	ssize_t n;
	struct stat st;

	if (!buf)
		return false;
	n = preadv2(fd, &iov, 1, off, RWF_NOWAIT);
	if (n < 0 || ((size_t)n < size && (fstat(fd, &st) < 0 || off + n < st.st_size))) {
		free(buf);
		return false;
	}
	fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
	return true;
}

struct read_job {
	fuse_req_t req;
	int fd;
	bool opened;
	size_t size;
	off_t off;
};

static void reply_read(fuse_req_t req, int fd, bool opened, size_t size, off_t off)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	/* Hand libfuse the fd: it splices file pages to the kernel without a copy. */
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
	if (opened)
		close(fd);
}

static void run_read_job(void *arg)
{
	struct read_job *job = arg;

	reply_read(job->req, job->fd, job->opened, job->size, job->off);
	free(job);
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	bool opened;
	int fd = file_fd(fs, inode_from_id(fs, ino), fi, O_RDONLY, &opened);
	enum residency cached;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	cached = pages_cached(fd, off, size);
	if (cached == CANNOT_TELL && reply_from_cache(req, fd, size, off)) {
		if (opened)
			close(fd);
		return;
	}
	if (cached != CACHED) {
		struct read_job *job = malloc(sizeof(*job));

		if (job) {
			*job = (struct read_job){req, fd, opened, size, off};
			if (loop_defer(run_read_job, job))
				return;
			free(job);
		}
	}
	reply_read(req, fd, opened, size, off);
}
