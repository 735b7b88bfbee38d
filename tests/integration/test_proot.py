# SPDX-License-Identifier: MIT
"""The PRoot-compatible command line: groot proot, and groot invoked as `proot`."""
import os
import shutil
import subprocess

import pytest

from conftest import GROOT, run_groot


@pytest.fixture
def rootfs(tmp_path, tiny_rootfs):
    """A private copy: groot proot writes in place, as PRoot does."""
    copy = tmp_path / "rootfs"
    shutil.copytree(tiny_rootfs, copy, symlinks=True)
    return copy


@pytest.mark.root_subset
def test_root_id_cwd_and_in_place_writes(rootfs):
    r = run_groot("proot", "-r", rootfs, "-0", "-w", "/etc", "sh", "-c",
                  "id -u; pwd; echo new > /root/newfile; chown 7:8 /root/newfile; "
                  "stat -c '%u %g' /root/newfile")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:3] == ["0", "/etc", "7 8"], r
    # In place: the file is in the rootfs itself, with the host user's real ownership.
    assert (rootfs / "root" / "newfile").read_text() == "new\n"
    assert (rootfs / "root" / "newfile").stat().st_uid == os.geteuid()
    # ... and the fake ownership persists for the next run.
    r = run_groot("proot", "-r", rootfs, "-0", "stat", "-c", "%u %g", "/root/newfile")
    assert r.stdout.strip() == "7 8", r


def test_bind_host_path_at_guest_path(rootfs, tmp_path):
    host = tmp_path / "shared"
    host.mkdir()
    (host / "note").write_text("from the host\n")
    r = run_groot("proot", "-r", rootfs, "-b", f"{host}:/mnt/shared", "cat", "/mnt/shared/note")
    assert r.returncode == 0 and r.stdout == "from the host\n", r
    r = run_groot("proot", "-r", rootfs, "-m", f"{host}", "cat", f"{host}/note")
    assert r.returncode == 0 and r.stdout == "from the host\n", r


def test_invoked_as_proot(rootfs, tmp_path):
    link = tmp_path / "proot"
    link.symlink_to(GROOT)
    r = subprocess.run([str(link), "-r", str(rootfs), "-0", "id", "-u"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0", r


@pytest.mark.parametrize("option", [["-i", "1000"], ["--no-such-option"]])
def test_unsupported_options_fail_clearly(rootfs, option):
    r = run_groot("proot", "-r", rootfs, *option, "true")
    assert r.returncode == 2, r
    assert r.stderr.strip(), "an unsupported option must say why it fails"


def test_help_and_version():
    r = run_groot("proot", "-h")
    assert r.returncode == 0 and "-r, --rootfs" in r.stdout
    r = run_groot("proot", "-V")
    assert r.returncode == 0 and "PRoot-compatible" in r.stdout


def test_exit_status_and_default_command(rootfs):
    r = run_groot("proot", "-r", rootfs, "sh", "-c", "exit 9")
    assert r.returncode == 9, r
    r = run_groot("proot", "-r", rootfs, input="echo from-default-shell\n")
    assert r.returncode == 0 and "from-default-shell" in r.stdout, r


def test_change_id_and_kernel_release(rootfs):
    r = run_groot("proot", "-r", rootfs, "-i", "1234:5678", "-k", "3.2.1-fake", "sh", "-c",
                  "id -u; id -g; uname -r")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["1234", "5678", "3.2.1-fake"], r
