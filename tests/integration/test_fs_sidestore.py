# SPDX-License-Identifier: MIT
"""groot-fs --in-place keeps fake metadata in a side store inside the rootfs
(ROOTFS/.groot/metadata, docs/groot-fs.md): keyed by inode, hidden from the
guest, no xattrs needed on the rootfs, old xattr trees still read."""
import ctypes
import errno
import os
import stat
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import fuse_usable, mount_view, user_xattrs_work  # noqa: E402,F401

XATTRS = ("user.containers.override_stat", "user.fuseoverlayfs.override_stat")
HEADER = "groot-metadata 1\n"



@pytest.fixture(params=["plain", "ramfs"])
def rootfs(request, tmp_path):
    """A small rootfs on the test filesystem, or on ramfs (no user xattrs, no birth times)."""
    base = tmp_path / "fs"
    base.mkdir()
    if request.param == "ramfs":
        if os.geteuid() != 0:
            pytest.skip("mounting a ramfs needs root")
        subprocess.run(["mount", "-t", "ramfs", "groot-test", str(base)], check=True)
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(base)]))
        assert not user_xattrs_work(base), "ramfs was expected to refuse user xattrs"
    root = base / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "shadow").write_text("secret\n")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    os.chmod(root / "bin" / "tool", 0o755)
    os.symlink("tool", root / "bin" / "alias")
    return root


def args(root):
    return ["--lower", str(root), "--in-place", "--fake-root"]


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def fnv1a32(data):
    h = 0x811C9DC5
    for c in data:
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    return h


def record(text):
    """A store line with its checksum (written independently of groot-fs's encoder)."""
    return f"{text} {fnv1a32(text.encode()):08x}\n"


def store_file(root):
    return root / ".groot" / "metadata"


def live_entries(root):
    """{ino: fields} as the log says: the last record of an inode wins."""
    entries = {}
    lines = store_file(root).read_text().split("\n")
    assert lines[0] + "\n" == HEADER
    for line in lines[1:]:
        f = line.split(" ")
        if f[0] == "set" and len(f) == 6:
            entries[int(f[1])] = f[2:5]
        elif f[0] == "del" and len(f) == 3:
            entries.pop(int(f[1]), None)
    return entries


def no_override_xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        assert e.errno in (errno.ENOTSUP, errno.EPERM)
        return True
    return not any(n in XATTRS for n in names)


def test_metadata_persists_without_xattrs(mount_view, rootfs):
    v = mount_view(*args(rootfs))
    m = v.mnt
    os.chown(f"{m}/etc/shadow", 0, 42)
    os.chmod(f"{m}/etc/shadow", 0o640)
    os.chown(f"{m}/bin", 1234, 1235)
    os.chown(f"{m}/bin/alias", 7, 8, follow_symlinks=False)  # a symlink: kept now too
    os.mkdir(f"{m}/home", 0o700)
    os.chown(f"{m}/home", 1000, 1000)
    os.chmod(f"{m}/etc/shadow", 0o400)
    # The tracer's mknod emulation: a regular file, then the record as an xattr request.
    open(f"{m}/null", "w").close()
    os.setxattr(f"{m}/null", XATTRS[0], b"0:0:0666:char-1-3")
    assert stat.S_ISCHR(os.lstat(f"{m}/null").st_mode)
    paths = ["etc/shadow", "bin", "bin/alias", "home", "null", "bin/tool"]
    want = {p: owner(f"{m}/{p}") for p in paths}
    assert want["etc/shadow"] == (0, 42, 0o400)
    assert want["bin"] == (1234, 1235, 0o755)
    assert want["bin/alias"][:2] == (7, 8)
    v.stop()

    for p in paths:
        assert no_override_xattrs(rootfs / p), p
    assert stat.S_ISREG(os.lstat(rootfs / "null").st_mode)  # recorded, not created
    assert len(live_entries(rootfs)) == 5

    m = mount_view(*args(rootfs)).mnt
    assert {p: owner(f"{m}/{p}") for p in paths} == want
    st = os.lstat(f"{m}/null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert open(f"{m}/etc/shadow").read() == "secret\n"
    assert os.listxattr(f"{m}/etc/shadow") == []


def test_rename_and_hard_links(mount_view, rootfs):
    v = mount_view(*args(rootfs))
    m = v.mnt
    os.chown(f"{m}/etc/shadow", 3, 4)
    ino = os.lstat(rootfs / "etc" / "shadow").st_ino
    os.rename(f"{m}/etc/shadow", f"{m}/bin/moved")
    assert owner(f"{m}/bin/moved")[:2] == (3, 4)
    os.link(f"{m}/bin/moved", f"{m}/etc/link")
    os.chown(f"{m}/etc/link", 5, 6)
    assert owner(f"{m}/bin/moved")[:2] == (5, 6)  # one inode, one record
    os.mkdir(f"{m}/dir")
    os.chown(f"{m}/dir", 9, 9)
    dir_ino = os.lstat(rootfs / "dir").st_ino
    v.stop()
    assert set(live_entries(rootfs)) == {ino, dir_ino}

    v = mount_view(*args(rootfs))
    m = v.mnt
    assert owner(f"{m}/bin/moved")[:2] == (5, 6)
    assert owner(f"{m}/etc/link")[:2] == (5, 6)
    os.unlink(f"{m}/bin/moved")
    assert owner(f"{m}/etc/link")[:2] == (5, 6)  # another name keeps it
    os.rmdir(f"{m}/dir")
    v.stop()
    assert set(live_entries(rootfs)) == {ino}

    v = mount_view(*args(rootfs))
    m = v.mnt
    assert owner(f"{m}/etc/link")[:2] == (5, 6)
    # Overwritten by a rename: the last link of the record's inode goes.
    open(f"{m}/new", "w").close()
    os.rename(f"{m}/new", f"{m}/etc/link")
    assert owner(f"{m}/etc/link")[:2] == (0, 0)
    v.stop()
    assert live_entries(rootfs) == {}


def test_store_is_invisible(mount_view, rootfs):
    v = mount_view(*args(rootfs))
    m = v.mnt
    os.chown(f"{m}/etc/shadow", 1, 1)
    assert store_file(rootfs).exists()
    assert ".groot" not in os.listdir(m)
    assert ".groot" not in [e.name for e in os.scandir(m)]
    for probe in (lambda p: os.lstat(p), lambda p: os.listdir(p),
                  lambda p: open(f"{p}/metadata").read()):
        with pytest.raises(FileNotFoundError):
            probe(f"{m}/.groot")
    for create in (lambda p: os.mkdir(p), lambda p: open(p, "w"),
                   lambda p: os.symlink("etc", p), lambda p: os.link(f"{m}/bin/tool", p),
                   lambda p: os.rename(f"{m}/bin/tool", p), lambda p: os.mkfifo(p)):
        with pytest.raises(PermissionError):
            create(f"{m}/.groot")
    # Only at the root: elsewhere it is an ordinary name.
    os.mkdir(f"{m}/etc/.groot")
    assert ".groot" in os.listdir(f"{m}/etc")
    assert os.path.isfile(f"{m}/bin/tool")


def test_legacy_xattrs_still_read(mount_view, tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    for name in ("shadow", "gshadow", "passwd"):
        (root / "etc" / name).write_text(name)
    if not user_xattrs_work(tmp_path):
        pytest.skip("no user xattrs on the test filesystem")
    # As an earlier groot (or groot provision) left them.
    os.setxattr(root / "etc" / "shadow", XATTRS[0], b"0:42:0640")
    os.setxattr(root / "etc" / "gshadow", XATTRS[1], b"0:43:0600")
    v = mount_view(*args(root))
    m = v.mnt
    assert owner(f"{m}/etc/shadow") == (0, 42, 0o640)
    assert owner(f"{m}/etc/gshadow") == (0, 43, 0o600)
    assert os.listxattr(f"{m}/etc/shadow") == []
    os.chown(f"{m}/etc/shadow", 0, 15)
    os.chown(f"{m}/etc/passwd", 0, 16)
    v.stop()
    # The side store has the new records; the one it replaced is gone from the file.
    assert no_override_xattrs(root / "etc" / "shadow")
    assert no_override_xattrs(root / "etc" / "passwd")
    assert os.getxattr(root / "etc" / "gshadow", XATTRS[1]) == b"0:43:0600"
    assert len(live_entries(root)) == 2
    m = mount_view(*args(root)).mnt
    assert owner(f"{m}/etc/shadow") == (0, 15, 0o640)
    assert owner(f"{m}/etc/gshadow") == (0, 43, 0o600)
    assert owner(f"{m}/etc/passwd")[:2] == (0, 16)


def test_side_store_wins_over_an_xattr(mount_view, tmp_path):
    root = tmp_path / "rootfs"
    root.mkdir()
    (root / "f").write_text("")
    if not user_xattrs_work(tmp_path):
        pytest.skip("no user xattrs on the test filesystem")
    os.setxattr(root / "f", XATTRS[0], b"1:1:0600")
    (root / ".groot").mkdir()
    ino = os.lstat(root / "f").st_ino
    store_file(root).write_text(HEADER + record(f"set {ino} - file 2:2:0644"))
    assert owner(f"{mount_view(*args(root)).mnt}/f") == (2, 2, 0o644)


def test_corrupt_store_is_tolerated(mount_view, rootfs):
    shadow_ino = os.lstat(rootfs / "etc" / "shadow").st_ino
    tool_ino = os.lstat(rootfs / "bin" / "tool").st_ino
    (rootfs / ".groot").mkdir()
    good = record(f"set {shadow_ino} - file 0:42:0640")
    flipped = record(f"set {tool_ino} - file 0:7:0755").replace(" 0:7:", " 0:8:")
    store_file(rootfs).write_text(HEADER + "garbage line\n" + flipped + good + "set 99 - fi")
    v = mount_view(*args(rootfs))
    m = v.mnt
    assert owner(f"{m}/etc/shadow") == (0, 42, 0o640)
    assert owner(f"{m}/bin/tool")[:2] == (0, 0)  # the bad record is ignored
    os.chown(f"{m}/bin/tool", 0, 9)
    v.stop()
    assert "metadata: ignored 2 malformed records" in v.stderr, v.stderr
    text = store_file(rootfs).read_text()
    assert "set 99 - fi" not in text  # the torn tail was cut before appending
    assert live_entries(rootfs)[tool_ino][2] == "0:9:0755"
    assert owner(f"{mount_view(*args(rootfs)).mnt}/bin/tool")[:2] == (0, 9)


def test_foreign_store_file_is_refused_not_overwritten(mount_view, rootfs):
    (rootfs / ".groot").mkdir()
    store_file(rootfs).write_text("not a store\n")
    v = mount_view(*args(rootfs))
    assert os.listdir(f"{v.mnt}/etc") == ["shadow"]
    os.chmod(f"{v.mnt}/etc/shadow", 0o600)  # still succeeds (an xattr, or the cache)
    v.stop()
    assert "is not a groot metadata store" in v.stderr and str(store_file(rootfs)) in v.stderr
    assert "Move it away" in v.stderr
    assert store_file(rootfs).read_text() == "not a store\n"


def test_stale_entries_are_ignored_and_dropped(mount_view, rootfs):
    """An inode number reused after a deletion outside groot does not inherit the record."""
    shadow_ino = os.lstat(rootfs / "etc" / "shadow").st_ino
    tool_ino = os.lstat(rootfs / "bin" / "tool").st_ino
    (rootfs / ".groot").mkdir()
    lines = [record(f"set {shadow_ino} - dir 0:42:0750")]  # the type differs
    # A birth time that cannot be the file's (only meaningful where there are birth times).
    lines.append(record(f"set {tool_ino} 1.000000000 file 0:43:0755"))
    store_file(rootfs).write_text(HEADER + "".join(lines))
    has_btime = subprocess.run(["stat", "-c", "%W", str(rootfs / "bin" / "tool")],
                               capture_output=True, text=True).stdout.strip() not in ("0", "-")
    v = mount_view(*args(rootfs))
    assert owner(f"{v.mnt}/etc/shadow")[1] == 0
    assert owner(f"{v.mnt}/bin/tool")[1] == (0 if has_btime else 43)
    v.stop()
    assert shadow_ino not in live_entries(rootfs)
    assert (tool_ino in live_entries(rootfs)) == (not has_btime)


def test_compacted_at_mount(mount_view, rootfs):
    ino = os.lstat(rootfs / "etc" / "shadow").st_ino
    (rootfs / ".groot").mkdir()
    lines = [record(f"set {ino} - file 0:{i}:0644") for i in range(1000)]
    store_file(rootfs).write_text(HEADER + "".join(lines))
    v = mount_view(*args(rootfs))
    assert owner(f"{v.mnt}/etc/shadow")[1] == 999
    assert store_file(rootfs).read_text().count("\n") == 2
    assert ".groot" not in os.listdir(v.mnt)


def test_two_views_of_one_rootfs(mount_view, rootfs):
    a = mount_view(*args(rootfs))
    b = mount_view(*args(rootfs))
    os.chown(f"{a.mnt}/etc/shadow", 0, 21)
    os.chown(f"{b.mnt}/bin/tool", 0, 22)
    a.stop()
    b.stop()
    m = mount_view(*args(rootfs)).mnt
    assert owner(f"{m}/etc/shadow")[1] == 21
    assert owner(f"{m}/bin/tool")[1] == 22


def test_provisioned_in_place_then_run_with_upper(mount_view, rootfs, tmp_path):
    v = mount_view(*args(rootfs))
    os.chown(f"{v.mnt}/etc/shadow", 0, 42)
    os.chmod(f"{v.mnt}/etc/shadow", 0o640)
    v.stop()
    upper = tmp_path / "upper"
    upper.mkdir()
    v = mount_view("--lower", str(rootfs), "--upper", str(upper), "--fake-root")
    assert owner(f"{v.mnt}/etc/shadow") == (0, 42, 0o640)
    assert ".groot" not in os.listdir(v.mnt)
    with open(f"{v.mnt}/etc/shadow", "a") as f:
        f.write("more\n")  # copy-up: the record travels as the upper's xattr
    assert owner(f"{v.mnt}/etc/shadow") == (0, 42, 0o640)
    if user_xattrs_work(tmp_path):
        assert os.getxattr(upper / "etc" / "shadow", XATTRS[0]) == b"0:42:0640"
    assert not (upper / ".groot").exists()


def test_tmpfile_records_go_with_it(mount_view, rootfs):
    """O_TMPFILE files with a recorded mode: those never named leave no record behind;
    the one linked keeps its record under its name."""
    v = mount_view(*args(rootfs))
    m = v.mnt
    for _ in range(3):
        os.close(os.open(f"{m}/etc", os.O_TMPFILE | os.O_RDWR, 0o400))
    fd = os.open(f"{m}/etc", os.O_TMPFILE | os.O_RDWR, 0o400)
    # linkat(AT_SYMLINK_FOLLOW): Python's os.link does not follow /proc/self/fd links.
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.linkat(-100, f"/proc/self/fd/{fd}".encode(), -100, f"{m}/etc/kept".encode(),
                       0x400) == 0, os.strerror(ctypes.get_errno())
    os.close(fd)
    assert owner(f"{m}/etc/kept") == (0, 0, 0o400)
    v.stop()
    entries = live_entries(rootfs)
    assert list(entries) == [os.lstat(rootfs / "etc" / "kept").st_ino], entries
    assert owner(f"{mount_view(*args(rootfs)).mnt}/etc/kept") == (0, 0, 0o400)
