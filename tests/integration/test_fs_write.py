# SPDX-License-Identifier: MIT
"""groot-fs writable layers: every operation on the view is compared with the same
operation on a plain directory (the ground truth), the lower layer must stay
untouched, and the result must survive a remount."""
import ctypes
import errno
import hashlib
import os
import re
import shutil
import stat
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import fuse_usable, mount_view, snapshot  # noqa: E402,F401
from conftest import run_groot, write_profile  # noqa: E402

libc = ctypes.CDLL(None, use_errno=True)
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


def renameat2(old, new, flags):
    if libc.renameat2(-100, os.fsencode(old), -100, os.fsencode(new), flags) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), old)


def make_lower(root):
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "conf").write_text("key=value\n")
    (root / "etc" / "big").write_bytes(bytes((i * 7 + i // 251) % 256 for i in range(300_000)))
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "sub" / "leaf").write_text("leaf\n")
    (root / "dir" / "a").write_text("a\n")
    (root / "dir" / "b").write_text("b\n")
    (root / "olddir").mkdir()
    (root / "olddir" / "content").write_text("old\n")
    (root / "ro").write_text("read only\n")
    os.chmod(root / "ro", 0o444)
    os.symlink("etc/conf", root / "link")
    (root / "hard1").write_text("hard\n")
    os.link(root / "hard1", root / "hard2")


def write_file(path, data, mode="w"):
    with open(path, mode) as f:
        f.write(data)


# Each scenario takes a root path and does things a package manager does.
SCENARIOS = {
    "create": lambda r: write_file(f"{r}/new", "fresh\n"),
    "append_lower": lambda r: write_file(f"{r}/etc/conf", "more=1\n", "a"),
    "overwrite_middle": lambda r: (lambda f: (f.seek(3), f.write(b"XYZ"), f.close()))(
        open(f"{r}/etc/big", "r+b")),
    "truncate_lower": lambda r: os.truncate(f"{r}/etc/big", 1000),
    "truncate_zero": lambda r: open(f"{r}/etc/big", "w").close(),
    "unlink_lower": lambda r: os.unlink(f"{r}/dir/a"),
    "unlink_then_recreate": lambda r: (os.unlink(f"{r}/dir/a"), write_file(f"{r}/dir/a", "2\n")),
    "rmtree_then_mkdir": lambda r: (shutil.rmtree(f"{r}/olddir"), os.mkdir(f"{r}/olddir"),
                                    write_file(f"{r}/olddir/other", "x")),
    "rmdir_nonempty": lambda r: os.rmdir(f"{r}/dir"),
    "rmdir_emptied": lambda r: (os.unlink(f"{r}/dir/sub/leaf"), os.rmdir(f"{r}/dir/sub")),
    "mkdir_rmdir": lambda r: (os.mkdir(f"{r}/nd"), os.mkdir(f"{r}/nd/x"), os.rmdir(f"{r}/nd/x")),
    "rename_lower_file": lambda r: os.rename(f"{r}/dir/a", f"{r}/etc/a2"),
    "rename_over_lower": lambda r: os.rename(f"{r}/dir/a", f"{r}/dir/b"),
    "rename_new_dir": lambda r: (os.makedirs(f"{r}/n1/n2"), write_file(f"{r}/n1/n2/f", "f"),
                                 os.rename(f"{r}/n1", f"{r}/n3")),
    "rename_noreplace": lambda r: renameat2(f"{r}/dir/a", f"{r}/dir/b", RENAME_NOREPLACE),
    "rename_exchange": lambda r: renameat2(f"{r}/dir/a", f"{r}/dir/b", RENAME_EXCHANGE),
    "rename_onto_itself": lambda r: os.rename(f"{r}/hard1", f"{r}/hard2"),
    "hardlink": lambda r: (os.link(f"{r}/etc/conf", f"{r}/conf2"),
                           write_file(f"{r}/conf2", "via link\n", "a")),
    "symlink": lambda r: (os.symlink("/etc/conf", f"{r}/abs"), os.symlink("x/../y", f"{r}/rel")),
    "chmod_lower": lambda r: os.chmod(f"{r}/etc/conf", 0o600),
    "chmod_dir": lambda r: os.chmod(f"{r}/dir/sub", 0o750),
    "utime": lambda r: (os.utime(f"{r}/etc/conf", (1000, 2000)),
                        os.utime(f"{r}/link", (3000, 4000), follow_symlinks=False)),
    "mkfifo": lambda r: os.mkfifo(f"{r}/fifo"),
    "xattr": lambda r: os.setxattr(f"{r}/etc/conf", "user.note", b"hello"),
    "unlink_missing": lambda r: os.unlink(f"{r}/nothing"),
    "mkdir_exists": lambda r: os.mkdir(f"{r}/dir"),
    "long_name": lambda r: write_file(f"{r}/" + "n" * 256, "x"),
    "open_excl_exists": lambda r: os.open(f"{r}/etc/conf", os.O_CREAT | os.O_EXCL | os.O_WRONLY),
}


def run(fn, root):
    try:
        fn(root)
        return None
    except OSError as e:
        return e.errno


def canonical(tree, mnt):
    """Symlink targets as the guest sees them (the tracer strips the mountpoint)."""
    out = {}
    for rel, (kind, mode, size, data) in tree.items():
        if kind == stat.S_IFLNK and isinstance(data, str) and data.startswith(mnt + "/"):
            data = data[len(mnt):]
            size = len(data)
        out[rel] = (kind, mode, size, data)
    return out


def xattrs(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            out[os.path.relpath(p, root)] = {
                k: os.getxattr(p, k) for k in os.listxattr(p) if k.startswith("user.")}
    return out


def times(root, rels):
    return {rel: (os.lstat(os.path.join(root, rel)).st_atime_ns,
                  os.lstat(os.path.join(root, rel)).st_mtime_ns) for rel in rels}


@pytest.mark.parametrize("mode", ["upper", "in-place", "writeback", "fake-root",
                                  "writeback-fake-root"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_operation_matches_plain_directory(mount_view, tmp_path, name, mode):
    truth = tmp_path / "truth"
    make_lower(truth)
    lower = tmp_path / "lower"
    make_lower(lower)
    if mode != "in-place":
        upper = tmp_path / "upper"
        upper.mkdir()
        args = ["--lower", str(lower), "--upper", str(upper)]
        if mode.startswith("writeback"):
            args.append("--writeback-cache")
        if mode.endswith("fake-root"):  # no file handles then: every request opens its file
            args.append("--fake-root")
    else:
        args = ["--lower", str(lower), "--in-place"]
    lower_before = snapshot(lower)

    v = mount_view(*args)
    want_err = run(SCENARIOS[name], str(truth))
    got_err = run(SCENARIOS[name], v.mnt)
    assert got_err == want_err
    if name == "utime":  # before anything reads the files and moves their atime
        assert times(v.mnt, ["etc/conf", "link"]) == times(truth, ["etc/conf", "link"])
    want = snapshot(truth)
    assert canonical(snapshot(v.mnt), v.mnt) == want
    assert xattrs(v.mnt) == xattrs(truth)
    if mode != "in-place":
        assert snapshot(lower) == lower_before, "the lower layer was written"

    # Persistence: the same tree after a remount.
    v.stop()
    v2 = mount_view(*args)
    assert canonical(snapshot(v2.mnt), v2.mnt) == want
    if mode == "in-place":
        assert snapshot(lower) == want


def test_lower_directory_rename_is_exdev(mount_view, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    with pytest.raises(OSError) as e:
        os.rename(f"{v.mnt}/dir", f"{v.mnt}/dir2")
    assert e.value.errno == errno.EXDEV
    shutil.move(f"{v.mnt}/dir", f"{v.mnt}/dir2")  # what mv does then
    assert not os.path.exists(f"{v.mnt}/dir")
    assert open(f"{v.mnt}/dir2/sub/leaf").read() == "leaf\n"


def test_copy_up_keeps_inode_numbers(mount_view, tmp_path):
    """fts (rm -rf, find) checks that ".." is the directory it came from: a
    directory copied up under it (a whiteout, a new file) must keep its number."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    deep = lower / "deep"
    for depth in range(12):
        deep = deep / f"level{depth}"
        deep.mkdir(parents=True)
        for i in range(30):
            (deep / f"file{i}").write_text("x")
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    before = {p: os.stat(f"{v.mnt}/{p}").st_ino for p in ("dir", "dir/sub", "etc")}
    with os.scandir(f"{v.mnt}/dir") as entries:  # a listing read before the change
        listed = sorted(e.name for e in entries)
    open(f"{v.mnt}/dir/sub/new", "w").close()
    os.unlink(f"{v.mnt}/etc/conf")
    after = {p: os.stat(f"{v.mnt}/{p}").st_ino for p in before}
    assert after == before
    assert listed == ["a", "b", "sub"]
    open(f"{v.mnt}/dir/newer", "w").close()  # the listing of dir is read again
    with os.scandir(f"{v.mnt}/dir") as entries:
        assert {e.name: e.inode() for e in entries}["sub"] == before["dir/sub"]
    import subprocess
    r = subprocess.run(["rm", "-rf", f"{v.mnt}/deep"], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert not os.path.exists(f"{v.mnt}/deep")
    assert os.path.isdir(lower / "deep" / "level0")  # the lower layer is untouched


def test_unlinked_open_file_has_no_links(mount_view, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    with open(f"{v.mnt}/etc/conf") as lower_file, open(f"{v.mnt}/new", "w") as upper_file:
        os.unlink(f"{v.mnt}/etc/conf")
        os.unlink(f"{v.mnt}/new")
        assert os.fstat(lower_file.fileno()).st_nlink == 0
        assert os.fstat(upper_file.fileno()).st_nlink == 0
        assert lower_file.read() == "key=value\n"


def mmap_write(path, offset, data):
    import mmap
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
        m[offset:offset + len(data)] = data
        m.flush()


@pytest.mark.parametrize("fake_root", [False, True], ids=["user", "fake-root"])
def test_open_files_follow_the_object(mount_view, tmp_path, fake_root):
    """Reads and writes through descriptors opened before an unlink, a copy-up or
    a truncate; mmap, fsync and fallocate; checked against a plain directory.
    Without binds groot-fs keeps no file handles (as a user, the kernel judges
    opens: default_permissions): each request reopens the object, so these are
    what could go wrong there."""
    def scenario(r):
        out = []
        with open(f"{r}/etc/conf", "rb") as reader, open(f"{r}/etc/big", "r+b") as rw:
            with open(f"{r}/etc/conf", "ab") as appender:  # copies etc/conf up
                appender.write(b"appended\n")
                appender.flush()
                os.fsync(appender.fileno())
            out.append(reader.read())  # the reader sees the object as it is now
            rw.seek(100)
            rw.write(b"middle")
            rw.flush()
            os.posix_fallocate(rw.fileno(), 0, 400_000)
            os.unlink(f"{r}/etc/big")
            rw.seek(95)
            out.append(rw.read(20))  # still readable once unlinked
            out.append(os.fstat(rw.fileno()).st_size)
        with open(f"{r}/new", "w+b") as f:
            f.write(b"0123456789")
            f.flush()
            os.unlink(f"{r}/new")
            f.write(b"after unlink")
            f.seek(0)
            out.append(f.read())
        with open(f"{r}/dir/a", "w") as f:  # O_TRUNC on a lower file
            f.write("truncated\n")
        mmap_write(f"{r}/dir/b", 0, b"B")
        out.append(open(f"{r}/dir/b", "rb").read())
        return out

    truth = tmp_path / "truth"
    make_lower(truth)
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    upper.mkdir()
    lower_before = snapshot(lower)
    args = ["--lower", str(lower), "--upper", str(upper)] + (["--fake-root"] if fake_root else [])
    v = mount_view(*args)
    got, expected = scenario(v.mnt), scenario(str(truth))
    assert got == expected
    want = snapshot(truth)
    assert canonical(snapshot(v.mnt), v.mnt) == want
    assert snapshot(lower) == lower_before
    v.stop()
    assert canonical(snapshot(mount_view(*args).mnt), v.mnt) == want


def test_whiteout_formats_are_read(mount_view, tmp_path):
    """Layers made by other tools: .wh. files, 0/0 char devices, opaque markers and xattrs."""
    base, mid = tmp_path / "base", tmp_path / "mid"
    make_lower(base)
    (mid / "dir").mkdir(parents=True)
    (mid / ".wh.ro").write_bytes(b"")
    (mid / "dir" / ".wh.a").write_bytes(b"")
    (mid / "olddir").mkdir()
    (mid / "olddir" / ".wh..wh..opq").write_bytes(b"")
    (mid / "olddir" / "only-mid").write_text("mid\n")
    (mid / "etc").mkdir()
    (mid / "etc" / "conf").write_text("mid conf\n")
    if os.geteuid() == 0:
        os.mknod(mid / "link", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    v = mount_view("--lower", str(base), "--lower", str(mid))
    names = sorted(os.listdir(v.mnt))
    assert "ro" not in names and ".wh.ro" not in names
    assert sorted(os.listdir(f"{v.mnt}/dir")) == ["b", "sub"]
    assert sorted(os.listdir(f"{v.mnt}/olddir")) == ["only-mid"]
    assert open(f"{v.mnt}/etc/conf").read() == "mid conf\n"
    assert sorted(os.listdir(f"{v.mnt}/etc")) == ["big", "conf"]
    with pytest.raises(FileNotFoundError):
        os.stat(f"{v.mnt}/ro")
    with pytest.raises(FileNotFoundError):
        os.stat(f"{v.mnt}/.wh.ro")
    if os.geteuid() == 0:
        assert "link" not in names


def test_opaque_xattr_is_read(mount_view, tmp_path):
    base, top = tmp_path / "base", tmp_path / "top"
    make_lower(base)
    (top / "dir").mkdir(parents=True)
    try:
        os.setxattr(top / "dir", "user.overlay.opaque", b"y")
    except OSError:
        pytest.skip("no user xattrs here")
    (top / "dir" / "z").write_text("z")
    v = mount_view("--lower", str(base), "--lower", str(top))
    assert os.listdir(f"{v.mnt}/dir") == ["z"]


def test_written_format(mount_view, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    os.unlink(f"{v.mnt}/dir/a")
    shutil.rmtree(f"{v.mnt}/olddir")
    os.mkdir(f"{v.mnt}/olddir")
    v.stop()
    wh = upper / "dir" / ".wh.a"
    assert wh.exists() and stat.S_ISREG(os.lstat(wh).st_mode) and wh.stat().st_size == 0
    assert (upper / "olddir" / ".wh..wh..opq").exists()
    assert not (upper / ".wh.olddir").exists()


def test_unreadable_lower_file_opens_for_writing_when_empty_or_truncated(mount_view, tmp_path):
    """Like /var/lib/dpkg/lock-frontend (root's, 0640) seen by a user: copy-up of an
    empty file, or one opened with O_TRUNC, must not need to read the lower file."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the daemon without DAC override")
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    for name, data in (("lock", b""), ("state", b"old\n"), ("data", b"x")):
        (lower / name).write_bytes(data)
        os.chown(lower / name, 1234, 1234)
        os.chmod(lower / name, 0o640)
    # A root daemon that cannot read others' files nor chown: what a user's daemon sees.
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-chown,-fowner", "--"]
    v = mount_view("--lower", str(lower), "--upper", str(upper), "--fake-root", wrapper=drop)
    with open(f"{v.mnt}/lock", "wb") as f:
        f.write(b"1")
    with open(f"{v.mnt}/state", "wb") as f:  # O_TRUNC: the old data is not needed
        f.write(b"new\n")
    assert open(f"{v.mnt}/lock", "rb").read() == b"1"
    assert open(f"{v.mnt}/state", "rb").read() == b"new\n"
    for name in ("lock", "state"):
        st = os.stat(f"{v.mnt}/{name}")
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 1234, 0o640)
    # Keeping the data still needs reading it: EACCES at open, or at the first
    # write where the daemon keeps no file handles (a root daemon, fake root).
    with pytest.raises(PermissionError):
        with open(f"{v.mnt}/data", "ab") as f:
            f.write(b"y")
            f.flush()
    assert (lower / "lock").read_bytes() == b"" and (lower / "state").read_bytes() == b"old\n"


@pytest.mark.parametrize("sorted_readdir", [False, True])
def test_listing_while_deleting(mount_view, tmp_path, sorted_readdir):
    """A directory read in many replies while it changes: names that stay are each listed
    once, however the offsets resume (cookies without opendir, snapshots when sorted)."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "big").mkdir(parents=True)
    upper.mkdir()
    names = [f"lower-entry-with-a-longish-name-{i:05d}" for i in range(3000)]
    for n in names:
        (lower / "big" / n).write_bytes(b"")
    args = ["--lower", str(lower), "--upper", str(upper)]
    v = mount_view(*args, *(["--sorted-readdir"] if sorted_readdir else []))
    d = f"{v.mnt}/big"
    for n in names[:1000:3]:
        os.unlink(f"{d}/{n}")  # whiteouts: the listing merges two layers
    for i in range(500):
        with open(f"{d}/upper-{i:04d}", "w"):
            pass
    # Not listed through the view before: the kernel would serve the stream from its cache.
    before = (set(names) - set(names[:1000:3])) | {f"upper-{i:04d}" for i in range(500)}
    seen, deleted, created = [], set(), set()
    with os.scandir(d) as it:
        for k, entry in enumerate(it):
            seen.append(entry.name)
            if k % 50 == 0:
                # Delete names on both sides of the read position, and add one.
                for victim in sorted(before - deleted)[k // 50::97][:3]:
                    os.unlink(f"{d}/{victim}")
                    deleted.add(victim)
                with open(f"{d}/during-{k}", "w"):
                    pass
                created.add(f"during-{k}")
    counts = {}
    for n in seen:
        counts[n] = counts.get(n, 0) + 1
    assert [n for n, c in counts.items() if c > 1] == []
    stayed = before - deleted
    assert sorted(stayed - set(seen)) == []
    assert set(seen) <= before | created
    assert set(os.listdir(d)) == stayed | created


def test_walk_listings_made_ahead_follow_changes(mount_view, tmp_path):
    """During a walk the view lists subdirectories ahead of their first readdir
    (prefetch.c). A file written meanwhile must show its new size in the listing's
    attributes (the kernel keeps those), and names added or removed must show."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    for d in range(12):
        sub = lower / "top" / "mid" / f"d{d:02d}"
        sub.mkdir(parents=True)
        (sub / "f").write_text("x")
        (sub / "gone").write_text("y")
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper), "-vv")
    os.listdir(f"{v.mnt}/top")
    os.listdir(f"{v.mnt}/top/mid")  # a walk: the d* are listed ahead now
    import time
    time.sleep(0.5)
    for d in range(12):
        sub = f"{v.mnt}/top/mid/d{d:02d}"
        write_file(f"{sub}/f", "longer contents\n", "a")  # copy-up, new size
        if d % 2:
            os.unlink(f"{sub}/gone")
            write_file(f"{sub}/new", "n")
    for d in range(12):
        with os.scandir(f"{v.mnt}/top/mid/d{d:02d}") as it:
            got = {e.name: e.stat(follow_symlinks=False).st_size for e in it}
        want = {"f": 17, "new": 1} if d % 2 else {"f": 17, "gone": 1}
        assert got == want, f"d{d:02d}"
    v.stop()
    assert "listed ahead: /top/mid/d00" in v.stderr  # or the test proves nothing


def test_a_merged_directory_has_an_unknown_link_count(mount_view, tmp_path):
    """A directory in both layers: no layer's st_nlink is the merged one's, so it reads 1,
    as on overlayfs (fts then does not skip "leaves" by counting subdirectories); a
    directory in one layer keeps its own count."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_lower(lower)
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    assert os.stat(f"{v.mnt}/dir").st_nlink == os.stat(lower / "dir").st_nlink == 3
    os.mkdir(f"{v.mnt}/dir/new")  # dir is copied up: now in both layers
    assert os.stat(f"{v.mnt}/dir").st_nlink == 1
    assert os.stat(f"{v.mnt}/dir/new").st_nlink == 2
    import subprocess
    found = subprocess.run(["find", f"{v.mnt}/dir", "-type", "d"], capture_output=True,
                           text=True).stdout.split()
    assert sorted(os.path.relpath(p, v.mnt) for p in found) == ["dir", "dir/new", "dir/sub"]


def new_file_seen_by_others(path):
    """A new file written through a write-only fd (direct to the view) while another fd
    reads it, by read() and by a mapping: what each sees at each step."""
    import mmap
    seen = []
    w = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(w, b"a" * 100)
    r = os.open(path, os.O_RDONLY)
    seen.append(os.read(r, 8192))
    os.write(w, b"b" * 5000)  # past the page read before
    seen.append(os.read(r, 8192))
    os.pwrite(w, b"XYZ", 10)
    seen.append(os.pread(r, 30, 0))
    m = mmap.mmap(r, 0, prot=mmap.PROT_READ)
    os.pwrite(w, b"MMM", 20)
    seen.append(m[:30])
    os.ftruncate(w, 50)
    seen.append((os.fstat(r).st_size, os.pread(r, 100, 0)))
    m.close()
    os.close(w)
    os.close(r)
    seen.append(open(path, "rb").read())
    return seen


@pytest.mark.parametrize("mode", ["upper", "fake-root"])
def test_new_file_written_write_only_is_coherent(mount_view, tmp_path, mode):
    native = tmp_path / "native"
    native.mkdir()
    want = new_file_seen_by_others(native / "f")
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    extra = ["--fake-root"] if mode == "fake-root" else []
    m = mount_view("--lower", str(lower), "--upper", str(upper), *extra).mnt
    assert new_file_seen_by_others(f"{m}/f") == want


# 200 writes of 4 KiB to a new file, then what a reader and stat see.
SMALL_WRITES = r"""
import hashlib, os, re
fd = os.open("/tmp/small", os.O_RDWR | os.O_CREAT, 0o644)
for i in range(200):
    os.write(fd, bytes([i]) * 4096)
os.close(fd)
fd = os.open("/tmp/small", os.O_RDWR | os.O_APPEND)
os.write(fd, b"tail")
os.close(fd)
data = open("/tmp/small", "rb").read()
print(len(data), os.stat("/tmp/small").st_size, hashlib.sha256(data).hexdigest())
"""


@pytest.mark.parametrize("writeback", [False, True], ids=["write-through", "writeback-cache"])
@pytest.mark.parametrize("user", ["host", "root"])
def test_profile_writeback_cache_batches_small_writes(tmp_path, trixie_rootfs, writeback, user):
    """rootfs.writeback_cache: the same file as natively (Python's own hash, outside
    the guest), in a few WRITE requests instead of one per write (groot-fs's counts)."""

    expected = b"".join(bytes([i]) * 4096 for i in range(200)) + b"tail"
    p = write_profile(tmp_path, trixie_rootfs, name="wb",
                      extra=f"  upper: ephemeral\n  writeback_cache: {str(writeback).lower()}\n"
                            f"user: {user}\n")
    r = run_groot("-vv", "run", p, "--", "python3", "-c", SMALL_WRITES)
    assert r.returncode == 0, r
    assert r.stdout.split() == [str(len(expected)), str(len(expected)),
                                hashlib.sha256(expected).hexdigest()], r
    m = re.search(r"requests:.* WRITE (\d+)", r.stderr)
    assert m, r.stderr[-2000:]
    writes = int(m.group(1))
    assert (writes < 20) if writeback else (writes >= 201), writes
