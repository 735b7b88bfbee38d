#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The price of a trap: bench/trapcost (µs per syscall) natively (chroot), on the
# view alone (groot-fs mounted on the host, no tracer), under groot and under
# PRoot. Needs root (chroot, mount). The rootfs is only read.
#
# Usage: bench/trapcost.sh ROOTFS [N] [TEST...]
#   GROOT_BUILD_DIR  build directory (default: build)
#   TASKSET          e.g. "taskset -c 0" in front of every runner
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${GROOT_BUILD_DIR:-$repo/build}
rootfs=${1:?usage: trapcost.sh ROOTFS [N] [TEST...]}
n=${2:-20000}
shift $(( $# > 2 ? 2 : $# ))
rootfs=$(cd "$rootfs" && pwd)
trapcost=$build/bench/trapcost
read -r -a pin <<< "${TASKSET:-}"
[ "$(id -u)" = 0 ] || { echo "trapcost.sh needs root (chroot, mount)" >&2; exit 2; }

work=$(mktemp -d /tmp/groot-trapcost-XXXXXX)
cleanup() {
	fusermount3 -u "$work/mnt" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# The binary is bound into the guest as it is (a direct bind), so the guest
# tree is not written; with upper: none the view cannot write it either.
cp "$trapcost" "$work/trapcost"
cat > "$work/profile.yaml" <<EOF
version: 1
name: trapcost
rootfs:
  path: $rootfs
  upper: none
binds:
  - $work:/.trapcost:direct
EOF

run() {
	echo "== $1"
	shift
	"${pin[@]}" "$@" | grep -v '^#' || echo "(failed)"
}

run native "$trapcost" -n "$n" -c "$rootfs" "$@"
mkdir "$work/mnt"
"${pin[@]}" "$build/fuse/groot-fs" --lower "$rootfs" "$work/mnt"
run "view only (host, through the FUSE mount)" "$trapcost" -n "$n" -p "$work/mnt" "$@"
fusermount3 -u "$work/mnt"
run groot "$build/runner/groot" run "$work/profile.yaml" -- /.trapcost/trapcost -n "$n" "$@"
if command -v proot >/dev/null; then
	run proot proot -r "$rootfs" -w / -b "$work:/.trapcost" /.trapcost/trapcost -n "$n" "$@"
fi
