// SPDX-License-Identifier: MIT
/*
 * FUSE_HANDLE_KILLPRIV_V2, which libfuse 3.14 cannot ask for.
 *
 * Before each cached write the kernel asks whether the file has privileges
 * to drop (file_remove_privs): a GETXATTR of security.capability, since FUSE
 * never marks a superblock SB_NOSEC, so no inode is ever known to have
 * none. A build that writes its objects 4 KiB at a time (Go's compiler, as,
 * ld) sent one per write: 28,000 of the 132,000 requests of a `go build`.
 * With HANDLE_KILLPRIV_V2 the kernel sets SB_NOSEC, and an inode whose check
 * found nothing to drop is not checked again (S_NOSEC) until a set-id mode
 * or a security xattr is set through the kernel, or its attributes are
 * fetched again (as's fstat between its writes).
 *
 * Without V2 the kernel cleared set-id bits itself, with a GETATTR and a
 * SETATTR of the mode; under V2 it leaves that to the filesystem. The
 * backing filesystem clears them for a real owner and mode (the daemon
 * writes, truncates and chowns without CAP_FSETID, as the caller); for a
 * fake identity drop_set_ids (write, truncate) and chown_drops_set_ids do it
 * (ops_write.c). V2's flags (FUSE_WRITE_KILL_SUIDGID, FATTR_KILL_SUIDGID,
 * FUSE_OPEN_KILL_SUIDGID) say what the kernel judged by the caller's real
 * capabilities; the view judges by the fake ones, so it does not read them.
 * After a write the kernel refreshes a file's times and size, not its mode:
 * attr_timeout_of (ops_read.c) keeps set-id files' attributes out of its
 * cache. The kernel still checks security.capability once per inode and
 * removes it as before.
 *
 * The flag is added to the INIT reply on its way to the device: the
 * session's writes go through killpriv_writev (fuse_session_custom_io), which
 * patches the one reply whose unique is the INIT request's, when the kernel
 * offered the flag. GROOT_FS_NO_KILLPRIV_V2 set and not empty leaves it out
 * (to compare). Not for a daemon that is root: its own writes keep set-id
 * bits, and a guest process that really dropped root has its bits cleared
 * by the kernel's SETATTR as before.
 */
#include "fs.h"

#include <linux/fuse.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

/* The INIT request's unique while its reply is due, 0 otherwise. */
static uint64_t init_unique;

void killpriv_note_request(const struct fuse_in_header *in, size_t size)
{
	const struct fuse_init_in *arg = (const void *)(in + 1);
	const char *off = getenv("GROOT_FS_NO_KILLPRIV_V2");

	if (in->opcode != FUSE_INIT ||
	    size < sizeof(*in) + offsetof(struct fuse_init_in, flags) + sizeof(arg->flags))
		return;
	if ((arg->flags & FUSE_HANDLE_KILLPRIV_V2) && !(off && *off) && geteuid() != 0)
		__atomic_store_n(&init_unique, in->unique, __ATOMIC_SEQ_CST);
}

static ssize_t killpriv_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	uint64_t unique = __atomic_load_n(&init_unique, __ATOMIC_SEQ_CST);
	struct fuse_init_out init;
	struct iovec patched[2];

	(void)userdata;
	if (!unique || count != 2 || iov[0].iov_len < sizeof(*out) || out->unique != unique ||
	    out->error != 0 ||
	    iov[1].iov_len < offsetof(struct fuse_init_out, flags) + sizeof(init.flags) ||
	    iov[1].iov_len > sizeof(init))
		return writev(fd, iov, count);
	__atomic_store_n(&init_unique, 0, __ATOMIC_SEQ_CST);
	memcpy(&init, iov[1].iov_base, iov[1].iov_len);
	init.flags = (init.flags & ~(uint32_t)FUSE_HANDLE_KILLPRIV) | FUSE_HANDLE_KILLPRIV_V2;
	patched[0] = iov[0];
	patched[1] = (struct iovec){&init, iov[1].iov_len};
	log_debug("INIT: handle_killpriv_v2");
	return writev(fd, patched, 2);
}

static ssize_t killpriv_read(int fd, void *buf, size_t len, void *userdata)
{
	(void)userdata;
	return read(fd, buf, len);
}

/* After fuse_session_mount: the session's replies go through killpriv_writev. */
int killpriv_install(struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
	    .writev = killpriv_writev,
	    .read = killpriv_read,
	};

	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}
