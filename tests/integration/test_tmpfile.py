# SPDX-License-Identifier: MIT
"""open(O_TMPFILE) in the view (fuse/ops_dir.c, fs_tmpfile): an unnamed file in the
directory's writable part, named later by linkat through /proc/self/fd.

Ground truth: the same probe (tests/fixtures/tmpfile_probe.c, static) run natively by
the same user in a host directory of its own."""
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, run_groot, write_profile

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import mount_view  # noqa: E402,F401

pytestmark = pytest.mark.trixie

EROFS = "open: Read-only file system\n"


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tmpfile")
    os.chmod(d, 0o755)
    subprocess.run(["gcc", "-static", "-O2", "-o", d / "tmpfile_probe",
                    REPO / "tests" / "fixtures" / "tmpfile_probe.c"], check=True)
    return d


@pytest.fixture(scope="module")
def native(tmp_path_factory, probe_dir):
    d = tmp_path_factory.mktemp("native")
    r = subprocess.run([probe_dir / "tmpfile_probe", d], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("open: ok\n"), r
    assert os.listdir(d) == []
    return r.stdout


def profile_for(tmp_path, rootfs, probe_dir, extra=""):
    return write_profile(tmp_path, rootfs, name="tmpfile",
                         extra=f"  upper: persistent\n  upper_path: {tmp_path / 'upper'}\n"
                               f"binds:\n  - {probe_dir}:/probe:ro,direct\n{extra}")


def owned_by(text, uid, gid):
    return re.sub(r"uid \d+ gid \d+", f"uid {uid} gid {gid}", text)


def upper_names(upper):
    return sorted(os.path.relpath(os.path.join(d, f), upper)
                  for d, _, files in os.walk(upper) for f in files)


@pytest.mark.root_subset
def test_tmpfile_as_natively(tmp_path, trixie_rootfs, probe_dir, native):
    """In /tmp (a directory of the writable layer) and /var/tmp (copied up first): the
    native lines, and nothing left in the writable layer."""
    profile = profile_for(tmp_path, trixie_rootfs, probe_dir)
    for where in ("/tmp", "/var/tmp"):
        r = run_groot("run", profile, "--", "/probe/tmpfile_probe", where, timeout=60)
        assert r.returncode == 0, r
        assert r.stdout == native, (where, r)
    assert upper_names(tmp_path / "upper") == []


def test_tmpfile_fake_identities(tmp_path, trixie_rootfs, probe_dir, native):
    """Fake root in a directory of root's (/usr/share), fake nobody in /tmp: the file is
    theirs, before and after its name."""
    profile = profile_for(tmp_path, trixie_rootfs, probe_dir)
    r = run_groot("run", "-0", profile, "--", "/probe/tmpfile_probe", "/usr/share", timeout=60)
    assert r.returncode == 0, r
    assert r.stdout == owned_by(native, 0, 0), r
    nobody = profile_for(tmp_path, trixie_rootfs, probe_dir, extra="user: nobody\n")
    r = run_groot("run", nobody, "--", "/probe/tmpfile_probe", "/tmp", timeout=60)
    assert r.returncode == 0, r
    assert r.stdout == owned_by(native, 65534, 65534), r
    r = run_groot("run", nobody, "--", "/probe/tmpfile_probe", "/usr/share", timeout=60)
    assert r.stdout == "open: Permission denied\n", r


def test_tmpfile_binds_and_read_only_views(tmp_path, trixie_rootfs, probe_dir, native):
    """A writable bind served through the view keeps nothing; a read-only bind and a
    view without a writable layer say EROFS, as a read-only mount does."""
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    profile = profile_for(tmp_path, trixie_rootfs, probe_dir,
                          extra=f"  - {rw}:/mnt/rw\n  - {ro}:/mnt/ro:ro\n")
    r = run_groot("run", profile, "--", "/probe/tmpfile_probe", "/mnt/rw", timeout=60)
    assert r.returncode == 0, r
    assert r.stdout == native, r
    assert os.listdir(rw) == []
    r = run_groot("run", profile, "--", "/probe/tmpfile_probe", "/mnt/ro", timeout=60)
    assert r.stdout == EROFS, r
    bare = write_profile(tmp_path, trixie_rootfs, name="bare",
                         extra=f"  upper: none\nbinds:\n  - {probe_dir}:/probe:ro,direct\n")
    r = run_groot("run", bare, "--", "/probe/tmpfile_probe", "/tmp", timeout=60)
    assert r.stdout == EROFS, r


def test_tmpfile_takes_a_reused_number(mount_view, tmp_path):
    """Files of a bind the view has seen, deleted on the host: new O_TMPFILE files may
    get their inode numbers, and must not be taken for the old entries."""
    lower, upper, host = tmp_path / "lower", tmp_path / "upper", tmp_path / "host"
    for d in (lower / "b", upper, host):
        d.mkdir(parents=True)
    m = mount_view("--lower", lower, "--upper", upper, "--bind", f"{host}:/b").mnt
    for i in range(100):
        open(f"{m}/b/x{i}", "w").close()
        os.stat(f"{m}/b/x{i}")
    for i in range(100):
        os.unlink(host / f"x{i}")
    fds = []
    try:
        for _ in range(100):
            fd = os.open(f"{m}/b", os.O_TMPFILE | os.O_RDWR, 0o600)
            fds.append(fd)
            assert os.write(fd, b"z") == 1
            st = os.fstat(fd)
            assert st.st_nlink == 0 and st.st_size == 1
    finally:
        for fd in fds:
            os.close(fd)
    assert os.listdir(host) == []
