#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh Debian 12 machine: dependencies, builds
# (gcc, clang, ASan/UBSan), unit tests, fixtures, then the integration tests
# as an unprivileged user (and a subset as root).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${GROOT_CACHE:-$HOME/.cache/groot}
test_user=groot-test
work=/var/tmp/groot-check

"$repo/scripts/install-deps.sh" --check

if [ "$(id -u)" -eq 0 ]; then
	id -u "$test_user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$test_user"
	# The unprivileged user must reach the build and the tests: stage the tree if it can't.
	if [ -z "${GROOT_CHECK_STAGED:-}" ] && ! runuser -u "$test_user" -- test -r "$repo/meson.build"; then
		echo "groot: $repo is not readable by $test_user; staging the tree in $work/src"
		rm -rf "$work/src"
		mkdir -p "$work/src"
		tar -C "$repo" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/src" -xf -
		chmod -R a+rX "$work"
		exec env GROOT_CHECK_STAGED=1 GROOT_CACHE="$cache" "$work/src/scripts/check.sh"
	fi
fi
cd "$repo"

echo "== build (gcc, clang, sanitizers)"
scripts/build.sh build gcc
scripts/build.sh build-clang clang
scripts/build.sh build-asan gcc -Dsanitize=true

echo "== unit tests"
meson test -C build-asan --suite unit --print-errorlogs
meson test -C build-clang --suite unit --print-errorlogs

echo "== fixtures"
# The developer guest: compilers, git, python venv, man pages. Changing this list
# re-provisions (the stamp file records it).
trixie_packages=python3,python3-venv,build-essential,git,file,procps,man-db,less,locales,strace,gdb

tests/fixtures/tiny-rootfs.sh "$cache/rootfs/tiny"
if [ "$(id -u)" -eq 0 ]; then
	tests/fixtures/debian-rootfs.sh trixie "$cache/rootfs/trixie-dev" "$trixie_packages"
	tests/fixtures/debian-rootfs.sh bookworm "$cache/rootfs/debian-bookworm"
fi

pytest_args=(-q -p no:cacheprovider "$repo/tests/integration")
if [ "$(id -u)" -ne 0 ]; then
	echo "== integration tests (as $(id -un))"
	GROOT_BUILD_DIR="$repo/build" /usr/bin/python3 -m pytest "${pytest_args[@]}"
	exit $?
fi

# As root: /dev/fuse is 0600 on these machines; the rootless user needs it.
chmod 666 /dev/fuse
mkdir -p "$work/fixtures"
rm -rf "$work/fixtures/tiny"
cp -a "$cache/rootfs/tiny" "$work/fixtures/tiny"
# Copies the unprivileged user can reach, refreshed when the cached tree changes.
stamp() { cat "$1/.groot-packages" 2>/dev/null || echo none; }
for tree in trixie-dev debian-bookworm trixie-user; do
	source_tree="$cache/rootfs/${tree/trixie-user/trixie-dev}"
	if [ -d "$work/fixtures/$tree" ] && [ "$(stamp "$work/fixtures/$tree")" = "$(stamp "$source_tree")" ]; then
		continue
	fi
	rm -rf "$work/fixtures/$tree" "$work/fixtures/$tree.tmp"
	if [ "$tree" = trixie-user ]; then
		# Owned by the test user, as a rootless-provisioned tree is.
		cp -a "$source_tree" "$work/fixtures/$tree.tmp"
		chown -R "$test_user:$test_user" "$work/fixtures/$tree.tmp"
	else
		# Hard links: instant, and the view never writes a lower layer.
		cp -al "$source_tree" "$work/fixtures/$tree.tmp" 2>/dev/null ||
			cp -a "$source_tree" "$work/fixtures/$tree.tmp"
	fi
	mv "$work/fixtures/$tree.tmp" "$work/fixtures/$tree"
done
# A layer with a real device node, which only root can make (copy-up of a device as a user).
rm -rf "$work/fixtures/device-layer"
mkdir -p "$work/fixtures/device-layer/opt/devs"
mknod -m 644 "$work/fixtures/device-layer/opt/devs/null" c 1 3
chmod -R a+rX "$work/fixtures/device-layer"
chmod a+rx "$work" "$work/fixtures"
env_vars=(
	GROOT_BUILD_DIR="$repo/build"
	GROOT_TINY_ROOTFS="$work/fixtures/tiny"
	GROOT_TRIXIE_ROOTFS="$work/fixtures/trixie-dev"
	GROOT_BOOKWORM_ROOTFS="$work/fixtures/debian-bookworm"
	GROOT_TRIXIE_USER_ROOTFS="$work/fixtures/trixie-user"
	GROOT_DEVICE_LAYER="$work/fixtures/device-layer"
)

echo "== integration tests as root (the root subset)"
env "${env_vars[@]}" GROOT_TESTS_AS_ROOT=1 /usr/bin/python3 -m pytest "${pytest_args[@]}" -m root_subset

chmod 666 /dev/fuse
echo "== integration tests as the unprivileged user $test_user"
cd /
runuser -u "$test_user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$test_user" \
	USER="$test_user" LANG=C.UTF-8 "${env_vars[@]}" \
	/usr/bin/python3 -m pytest "${pytest_args[@]}"
