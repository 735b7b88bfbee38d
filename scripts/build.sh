#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configure (once) and build. Usage: build.sh DIR [gcc|clang] [meson options...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
compiler=${2:-gcc}
shift $(( $# > 2 ? 2 : $# ))
cd "$repo"
if [ ! -f "$dir/build.ninja" ]; then
	CC=$compiler meson setup "$dir" --werror "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null || ninja -C "$dir"
