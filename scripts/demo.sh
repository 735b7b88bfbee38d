#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: dependencies, build, the default guest (Debian trixie, cached
# under ~/.cache/groot), and a command run in it through the stock profile.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
scripts/build.sh build gcc
groot=build/runner/groot
$groot provision debian-trixie
echo "groot: running a command in Debian trixie through the stock profile 'debian-trixie'"
set -x
$groot run debian-trixie -- bash -c \
	'echo "Debian $(cat /etc/debian_version) as $(id -un) in $(pwd)"; uname -sm; echo $(ls /); python3 --version 2>/dev/null || perl -e "print qq(perl \$^V\n)"'
