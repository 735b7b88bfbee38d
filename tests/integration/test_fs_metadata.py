# SPDX-License-Identifier: MIT
"""groot-fs fake metadata (--fake-root): chown, chmod and mknod succeed into
user.containers.override_stat (with --upper) or the rootfs's side store (with
--in-place), survive remounts and copy-up, and stay hidden."""
import errno
import os
import stat
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import fuse_usable, mount_view, user_xattrs_work  # noqa: E402,F401

XATTR = "user.containers.override_stat"



@pytest.fixture
def layers(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "shadow").write_text("secret\n")
    (lower / "bin").mkdir()
    (lower / "bin" / "tool").write_text("#!/bin/sh\n")
    os.chmod(lower / "bin" / "tool", 0o755)
    os.symlink("tool", lower / "bin" / "alias")
    upper.mkdir()
    if not user_xattrs_work(tmp_path):
        pytest.skip("no user xattrs on the test filesystem")
    return lower, upper


@pytest.fixture(params=["upper", "in-place"])
def view_args(request, layers):
    lower, upper = layers
    if request.param == "upper":
        return ["--lower", str(lower), "--upper", str(upper), "--fake-root"]
    return ["--lower", str(lower), "--in-place", "--fake-root"]


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def test_chown_chmod_persist(mount_view, view_args):
    v = mount_view(*view_args)
    m = v.mnt
    assert owner(f"{m}/etc/shadow")[:2] == (0, 0)
    os.chown(f"{m}/etc/shadow", 0, 42)
    os.chmod(f"{m}/etc/shadow", 0o640)
    os.chown(f"{m}/bin", 1234, 1234)
    os.mkdir(f"{m}/home")
    os.chown(f"{m}/home", 1000, 1000)
    os.chmod(f"{m}/home", 0o700)
    want = {p: owner(f"{m}/{p}") for p in ["etc/shadow", "bin", "home", "bin/tool"]}
    assert want["etc/shadow"] == (0, 42, 0o640)
    assert want["bin"] == (1234, 1234, 0o755)
    assert want["home"] == (1000, 1000, 0o700)
    v.stop()
    v2 = mount_view(*view_args)
    assert {p: owner(f"{v2.mnt}/{p}") for p in want} == want
    assert open(f"{v2.mnt}/etc/shadow").read() == "secret\n"


def test_chmod_000_stays_readable_for_fake_root(mount_view, view_args):
    v = mount_view(*view_args)
    os.chmod(f"{v.mnt}/etc/shadow", 0)
    assert owner(f"{v.mnt}/etc/shadow")[2] == 0
    assert open(f"{v.mnt}/etc/shadow").read() == "secret\n"  # root reads anything
    with open(f"{v.mnt}/etc/shadow", "a") as f:
        f.write("more\n")
    assert os.access(f"{v.mnt}/etc/shadow", os.R_OK | os.W_OK)
    assert not os.access(f"{v.mnt}/etc/shadow", os.X_OK)
    assert os.access(f"{v.mnt}/bin/tool", os.X_OK)


def test_mknod_devices_are_recorded(mount_view, view_args, layers):
    v = mount_view(*view_args)
    m = v.mnt
    old_umask = os.umask(0)
    try:
        if os.geteuid() == 0:
            os.mknod(f"{m}/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        else:
            # The kernel refuses device mknod to a user before the view sees it; the
            # tracer records the device on a regular file instead (docs/groot-fs.md).
            with pytest.raises(PermissionError):
                os.mknod(f"{m}/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
            open(f"{m}/null", "w").close()
            os.setxattr(f"{m}/null", XATTR, b"0:0:0666:char-1-3")
        open(f"{m}/sda", "w").close()
        os.setxattr(f"{m}/sda", XATTR, b"0:0:0660:block-8-0")
        os.mkfifo(f"{m}/fifo", 0o644)
    finally:
        os.umask(old_umask)
    os.chown(f"{m}/sda", 0, 6)

    def check(mnt):
        st = os.lstat(f"{mnt}/null")
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
        assert stat.S_IMODE(st.st_mode) == 0o666
        st = os.lstat(f"{mnt}/sda")
        assert stat.S_ISBLK(st.st_mode) and st.st_rdev == os.makedev(8, 0)
        assert (st.st_uid, st.st_gid) == (0, 6)
        assert stat.S_ISFIFO(os.lstat(f"{mnt}/fifo").st_mode)
        kinds = {e.name: stat.S_IFMT(e.stat(follow_symlinks=False).st_mode)
                 for e in os.scandir(mnt)}
        assert kinds["null"] == stat.S_IFCHR and kinds["sda"] == stat.S_IFBLK

    check(m)
    v.stop()
    check(mount_view(*view_args).mnt)
    if os.geteuid() != 0:
        lower, upper = layers
        store = upper if "--upper" in view_args else lower
        assert stat.S_ISREG(os.lstat(store / "null").st_mode)  # recorded, not created
        if "--upper" in view_args:
            assert os.getxattr(store / "null", XATTR) == b"0:0:0666:char-1-3"
        else:
            # In place: in the side store (test_fs_sidestore.py), not on the file.
            assert XATTR not in os.listxattr(store / "null")
            assert " 0:0:0666:char-1-3 " in (lower / ".groot" / "metadata").read_text()


def test_override_xattrs_are_hidden(mount_view, view_args):
    v = mount_view(*view_args)
    f = f"{v.mnt}/etc/shadow"
    os.chown(f, 7, 7)
    os.setxattr(f, "user.visible", b"1")
    assert os.listxattr(f) == ["user.visible"]
    with pytest.raises(OSError) as e:
        os.getxattr(f, XATTR)
    assert e.value.errno == errno.ENODATA
    with pytest.raises(OSError) as e:
        os.setxattr(f, XATTR, b"not a record")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        os.setxattr(f, "user.overlay.opaque", b"y")
    assert e.value.errno == errno.EPERM
    os.setxattr(f, XATTR, b"0:0:0604")  # the tracer's interface under --fake-root
    assert owner(f) == (0, 0, 0o604)
    assert os.listxattr(f) == ["user.visible"]


def test_lower_overrides_are_read_and_copied_up(mount_view, layers):
    lower, upper = layers
    os.setxattr(lower / "etc" / "shadow", XATTR, b"0:42:0640")
    os.setxattr(lower / "bin" / "tool", "user.fuseoverlayfs.override_stat", b"5:6:0750")
    v = mount_view("--lower", str(lower), "--upper", str(upper), "--fake-root")
    assert owner(f"{v.mnt}/etc/shadow") == (0, 42, 0o640)
    assert owner(f"{v.mnt}/bin/tool") == (5, 6, 0o750)
    with open(f"{v.mnt}/etc/shadow", "a") as f:
        f.write("x\n")
    assert owner(f"{v.mnt}/etc/shadow") == (0, 42, 0o640)
    assert os.getxattr(upper / "etc" / "shadow", XATTR) == b"0:42:0640"
    assert (lower / "etc" / "shadow").read_text() == "secret\n"


def test_symlink_chown_does_not_fail(mount_view, view_args):
    v = mount_view(*view_args)
    os.chown(f"{v.mnt}/bin/alias", 3, 3, follow_symlinks=False)
    assert os.lstat(f"{v.mnt}/bin/alias").st_uid == 3


def test_without_fake_root_chown_is_real(mount_view, layers, tmp_path):
    lower, upper = layers
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    truth = tmp_path / "truth"
    truth.write_text("")

    def attempt(p):
        try:
            os.chown(p, 4321, 4321)
            return None
        except OSError as e:
            return e.errno

    assert attempt(f"{v.mnt}/etc/shadow") == attempt(truth)
    if os.geteuid() == 0:
        assert os.lstat(upper / "etc" / "shadow").st_uid == 4321
