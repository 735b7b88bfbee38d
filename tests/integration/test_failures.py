# SPDX-License-Identifier: MIT
"""Failures a user can cause: one clear message, exit 125 (2 for a bad profile), no mount left."""
import os
import shutil

import pytest

from conftest import groot_mounts, run_groot, write_profile


@pytest.fixture
def mounts_unchanged():
    before = set(groot_mounts())
    yield
    assert set(groot_mounts()) <= before


def test_missing_rootfs(tmp_path, mounts_unchanged):
    p = write_profile(tmp_path, tmp_path / "nowhere")
    r = run_groot("run", p, "--", "true")
    assert r.returncode == 125 and "does not exist" in r.stderr and "groot provision" in r.stderr, r


def test_not_a_rootfs(tmp_path, mounts_unchanged):
    (tmp_path / "empty").mkdir()
    p = write_profile(tmp_path, tmp_path / "empty")
    r = run_groot("run", p, "--", "true")
    assert r.returncode == 125 and "is not a root filesystem" in r.stderr, r


def test_guest_of_another_architecture(tmp_path, tiny_rootfs, mounts_unchanged):
    guest = tmp_path / "arm"
    shutil.copytree(tiny_rootfs, guest, symlinks=True)
    (guest / "bin" / "sh").unlink()
    data = bytearray((tiny_rootfs / "bin" / "busybox").read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    (guest / "bin" / "sh").write_bytes(bytes(data))
    p = write_profile(tmp_path, guest)
    r = run_groot("run", p, "--", "true")
    assert r.returncode == 125, r
    assert "aarch64" in r.stderr and "interpreter" in r.stderr, r


def test_unknown_profile_name(tmp_path, mounts_unchanged):
    r = run_groot("run", "no-such-profile-anywhere", "--", "true", cwd=tmp_path)
    assert r.returncode == 2 and "no-such-profile-anywhere" in r.stderr, r


def test_usage_errors():
    assert run_groot("frobnicate").returncode == 2
    assert run_groot("run").returncode == 2
    r = run_groot("--help")
    assert r.returncode == 0 and "groot run" in r.stdout or "run PROFILE" in r.stdout
    for command in ("run", "shell", "check", "provision", "list", "proot"):
        r = run_groot(command, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout, (command, r)
