#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks: groot against native chroot and PRoot in one run (ratios, not timed tests).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
scripts/build.sh build gcc
build/runner/groot provision debian-trixie
/usr/bin/python3 bench/bench.py --rootfs "$HOME/.cache/groot/rootfs/debian-trixie" "$@"
exec /usr/bin/python3 bench/fs_bench.py --rootfs "$HOME/.cache/groot/rootfs/debian-trixie"
