# SPDX-License-Identifier: MIT
# The README's two commands: `make demo` (the main job) and `make check` (every test).

.PHONY: all build demo check bench deps clean

all: build

deps:
	scripts/install-deps.sh

build: deps
	scripts/build.sh build gcc

demo:
	scripts/demo.sh

check:
	scripts/check.sh

bench:
	scripts/bench.sh

clean:
	rm -rf build build-clang build-asan
