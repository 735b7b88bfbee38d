#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages groot needs to build, run and test, when missing.
set -euo pipefail

packages=(
	build-essential gcc clang meson ninja-build pkg-config
	libfuse3-dev fuse3 libtalloc-dev libyaml-dev
	python3-pytest debootstrap patchelf musl-tools busybox-static
	proot bubblewrap fuse-overlayfs strace attr file fakeroot procps util-linux
)
[ "${1:-}" = "--bench" ] && packages+=(hyperfine)
# The tests of -q run a foreign-architecture program through the host's emulator.
[ "${1:-}" = "--check" ] && packages+=(qemu-user-static)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "groot: missing Debian packages: ${missing[*]}" >&2
	echo "groot: install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "groot: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
