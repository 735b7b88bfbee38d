/* SPDX-License-Identifier: MIT */
/*
 * mknod of a device under fake root. The kernel refuses it to an
 * unprivileged caller before the view sees it (may_mknod), so the tracer
 * does what the view records for devices (docs/groot-fs.md): a regular file
 * with the mode asked, then the fake metadata record naming the device.
 */
#include "stop.h"
#include "translate.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OVERRIDE_XATTR "user.containers.override_stat"

static long emulate_device_node(struct stop *stop, int dirfd, const char *guest, mode_t mode,
				dev_t device)
{
	const struct credentials *c = stop->tracee->credentials;
	char host[PATH_MAX], base_path[64], record[96];
	pid_t pid = stop->tracee->pid;
	int r = translate_path(stop->session, pid, dirfd, guest, host, sizeof(host));
	int base = AT_FDCWD;
	const char *name = host;

	if (r < 0)
		return r;
	if (r == 0 && guest[0] != '/') {
		/* Relative and unchanged: from the tracee's directory, at any length the kernel takes. */
		r = path_for_tracer(pid, dirfd, "", base_path, sizeof(base_path));
		if (r < 0)
			return r;
		base = open(base_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (base < 0)
			return errno == ENOENT || errno == ENOTDIR ? -errno : -EBADF;
		name = guest;
	} else if (r == 0) {
		r = path_for_tracer(pid, dirfd, guest, host, sizeof(host));
		if (r < 0)
			return r;
	}
	mode_t permissions = mode & 07777 & ~tracee_proc_octal(pid, "status", "Umask:", 022);
	int fd = openat(base, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		if (base >= 0)
			close(base);
		return r;
	}
	snprintf(record, sizeof(record), "%u:%u:%04o:%s-%u-%u", c ? c->uid[3] : 0, c ? c->gid[3] : 0,
		 (unsigned)permissions, S_ISBLK(mode) ? "block" : "char", major(device),
		 minor(device));
	r = fsetxattr(fd, OVERRIDE_XATTR, record, strlen(record), 0) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		unlinkat(base, name, 0);
	if (base >= 0)
		close(base);
	/* Not in the view (a direct bind): what the host says about devices. */
	if (r < 0)
		return r == -ENOTSUP || r == -EPERM ? -EPERM : r;
	if (stop->session->recorded_devices)
		(*stop->session->recorded_devices)++;
	return 0;
}

void handle_mknod_enter(struct stop *stop)
{
	bool at = stop->desc->paths[0].arg == 1;
	mode_t mode = (mode_t)stop_arg(stop, at ? 2 : 1);
	char guest[PATH_MAX];

	if (!(S_ISCHR(mode) || S_ISBLK(mode))) {
		handle_path_enter(stop);
		return;
	}
	/* A device node needs CAP_MKNOD in the fake identity (groot itself may be root). */
	if (stop->session->fake_identity && !identity_capable(stop, CAP_MKNOD)) {
		stop_skip(stop, -EPERM);
		return;
	}
	if (!stop->session->fake_root) {
		handle_path_enter(stop);
		return;
	}
	ssize_t n = tracee_read_string(stop->tracee->pid, stop_arg(stop, at ? 1 : 0), guest,
				       sizeof(guest));
	if (n < 0) {
		stop_skip(stop, n);
		return;
	}
	int dirfd = at ? (int)stop_arg(stop, 0) : AT_FDCWD;
	dev_t device = (dev_t)stop_arg(stop, at ? 3 : 2);
	long result = emulate_device_node(stop, dirfd, guest, mode, device);
	if (stop->session->trace)
		trace_syscall(stop, guest, result == 0 ? "(recorded device)" : strerror((int)-result));
	stop_skip(stop, result);
}

/*
 * The view is mounted nodev, so the kernel refuses to open a recorded
 * device there. When this run recorded some, an open of a device node in
 * the view goes to the host's node of the same number instead (the guest's
 * /dev is the host's anyway). Returns the host device path, or NULL.
 */
const char *host_device_for(const struct stop *stop, const char *host_path)
{
	static const struct {
		unsigned major, minor;
		const char *path;
	} known[] = {
		{1, 3, "/dev/null"}, {1, 5, "/dev/zero"}, {1, 7, "/dev/full"},
		{1, 8, "/dev/random"}, {1, 9, "/dev/urandom"}, {5, 0, "/dev/tty"},
		{5, 2, "/dev/ptmx"},
	};
	struct stat st;

	if (!stop->session->recorded_devices || !*stop->session->recorded_devices ||
	    lstat(host_path, &st) < 0 || !S_ISCHR(st.st_mode))
		return NULL;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (major(st.st_rdev) == known[i].major && minor(st.st_rdev) == known[i].minor)
			return known[i].path;
	return NULL;
}
