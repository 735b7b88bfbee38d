# SPDX-License-Identifier: MIT
"""Shared fixtures for groot's integration tests.

Everything is real: a real FUSE mount, real ptrace, real guest trees built
by tests/fixtures. The locations come from the environment that
scripts/check.sh sets up; run by hand, the defaults point into the repo.
"""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("GROOT_BUILD_DIR", REPO / "build"))
GROOT = BUILD_DIR / "runner" / "groot"
CACHE = pathlib.Path(os.environ.get("GROOT_CACHE", pathlib.Path.home() / ".cache" / "groot"))
TINY_ROOTFS = pathlib.Path(os.environ.get("GROOT_TINY_ROOTFS", CACHE / "rootfs" / "tiny"))
TRIXIE_ROOTFS = pathlib.Path(os.environ.get("GROOT_TRIXIE_ROOTFS",
                                            CACHE / "rootfs" / "trixie-dev"))

sys.path.insert(0, str(pathlib.Path(__file__).parent))


def pytest_configure(config):
    config.addinivalue_line("markers", "root_subset: also run as root by scripts/check.sh")
    config.addinivalue_line("markers", "trixie: needs the Debian trixie guest")


def groot_mounts():
    """The views this user has mounted (another user's runs are not this test's)."""
    mine = f"user_id={os.getuid()},"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if " - fuse.groot" in line and mine in line]


@pytest.fixture(scope="session")
def groot():
    if not GROOT.exists():
        pytest.fail(f"{GROOT} is not built (run make check, or set GROOT_BUILD_DIR)")
    return GROOT


@pytest.fixture(scope="session")
def tiny_rootfs():
    if not (TINY_ROOTFS / "bin" / "busybox").exists():
        pytest.fail(f"{TINY_ROOTFS} missing: tests/fixtures/tiny-rootfs.sh builds it")
    return TINY_ROOTFS


@pytest.fixture(scope="session")
def trixie_rootfs():
    if not (TRIXIE_ROOTFS / "usr" / "bin" / "bash").exists():
        pytest.fail(f"{TRIXIE_ROOTFS} missing: tests/fixtures/trixie-rootfs.sh builds it")
    return TRIXIE_ROOTFS


@pytest.fixture
def trixie_user_rootfs(trixie_rootfs):
    """The trixie tree owned by the test user, as a rootless `groot provision` makes it
    (the root-owned one keeps /etc/shadow and /root from an unprivileged host user)."""
    return pathlib.Path(os.environ.get("GROOT_TRIXIE_USER_ROOTFS", trixie_rootfs))


def write_profile(directory, rootfs, name="guest", extra=""):
    """A minimal profile file for rootfs; extra is appended YAML."""
    path = pathlib.Path(directory) / f"{name}.yaml"
    path.write_text(f"version: 1\nname: {name}\nrootfs:\n  path: {rootfs}\n{extra}")
    return path


class Result:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return (f"<exit {self.returncode}\n--- stdout\n{self.stdout}\n"
                f"--- stderr\n{self.stderr}>")


def run_groot(*args, timeout=120, input=None, env=None, cwd=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run([str(GROOT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, input=input, env=full_env, cwd=cwd)
    return Result(proc)


@pytest.fixture
def no_leftover_mounts():
    """Asserts that a test leaves no groot mount behind."""
    before = set(groot_mounts())
    yield
    after = set(groot_mounts())
    assert after <= before, f"mounts left behind: {after - before}"


def as_root():
    return os.geteuid() == 0


def chroot_available():
    return as_root() and shutil.which("chroot") is not None


def run_chroot(rootfs, *cmd, timeout=60):
    """Ground truth: the same command natively under chroot (root only)."""
    proc = subprocess.run(["chroot", str(rootfs), *cmd], capture_output=True, text=True,
                          timeout=timeout)
    return Result(proc)
