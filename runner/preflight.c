/* SPDX-License-Identifier: MIT */
/*
 * Checks before a run, so that every failure a user can cause gets one
 * clear message saying what to do (and no mount is ever made for nothing).
 */
#include "preflight.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusermount.h"
#include "log.h"

static bool is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool looks_like_rootfs(const char *path)
{
	char probe[PATH_MAX];
	const char *const markers[] = {"bin", "usr", "etc"};
	int found = 0;

	for (size_t i = 0; i < 3; i++) {
		snprintf(probe, sizeof(probe), "%s/%s", path, markers[i]);
		if (access(probe, F_OK) == 0)
			found++;
	}
	return found >= 2;
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386: return "i386";
	case EM_ARM: return "arm";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV: return "riscv64";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390x";
	case EM_MIPS: return "mips";
	case EM_LOONGARCH: return "loongarch64";
	default: return "another architecture";
	}
}

/* The architecture of the guest's own shell: a foreign one needs an interpreter. */
static int guest_machine(const char *rootfs)
{
	const char *const probes[] = {"bin/sh", "usr/bin/sh", "bin/busybox", "usr/bin/env"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		Elf64_Ehdr header;
		snprintf(path, sizeof(path), "%s/%s", rootfs, probes[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, &header, sizeof(header));
		close(fd);
		/* e_machine sits at the same offset in 32- and 64-bit headers. */
		if (n >= 20 && memcmp(header.e_ident, ELFMAG, SELFMAG) == 0)
			return header.e_machine;
	}
	return -1;
}

int preflight_run(const struct profile *p, bool any_directory)
{
	if (!p->rootfs.path || access(p->rootfs.path, F_OK) < 0) {
		log_error("%s: the rootfs %s does not exist; create it with 'groot provision %s'",
			  p->file, p->rootfs.path ? p->rootfs.path : "(none)",
			  p->name ? p->name : p->file);
		return -ENOENT;
	}
	if (any_directory ? !is_directory(p->rootfs.path) : !looks_like_rootfs(p->rootfs.path)) {
		log_error(any_directory ? "%s: %s is not a directory; give -r a guest tree"
					: "%s: %s is not a root filesystem (it lacks two of bin/, "
					  "usr/ and etc/); point rootfs.path at a guest tree",
			  p->file, p->rootfs.path);
		return -ENOTDIR;
	}
	int machine = guest_machine(p->rootfs.path);
	if (machine >= 0 && machine != EM_X86_64 && p->n_interpreters == 0) {
		log_error("%s: the guest in %s is built for %s and this host runs x86_64 programs "
			  "only; add an interpreter for it to the profile (interpreters: with "
			  "qemu-user, see groot-profile(5))",
			  p->file, p->rootfs.path, machine_name((unsigned)machine));
		return -ENOEXEC;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		log_error("cannot open /dev/fuse (%s): the view needs FUSE; ask an administrator "
			  "to load the fuse module and make /dev/fuse accessible (mode 0666)",
			  strerror(errno));
		return -EACCES;
	}
	if (geteuid() != 0 && !fusermount_program()) {
		log_error("fusermount3 is missing: it mounts the view for ordinary users; "
			  "apt-get install fuse3");
		return -ENOENT;
	}
	return 0;
}
