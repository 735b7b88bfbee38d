# SPDX-License-Identifier: MIT
"""groot-fs Phase 1: a read-only view of one lower directory, compared with the directory."""
import errno
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import GROOT_FS, View, fuse_usable, is_mounted, mount_view, snapshot  # noqa: E402,F401


@pytest.fixture
def lower(tmp_path):
    low = tmp_path / "lower"
    (low / "etc").mkdir(parents=True)
    (low / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (low / "usr" / "lib" / "deep").mkdir(parents=True)
    (low / "usr" / "lib" / "deep" / "data.bin").write_bytes(bytes(range(256)) * 1000)
    (low / "empty").write_bytes(b"")
    (low / "exec.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(low / "exec.sh", 0o755)
    os.chmod(low / "etc" / "passwd", 0o640)
    os.symlink("/etc/passwd", low / "abs")
    os.symlink("/", low / "rootlink")
    os.symlink("lib/deep", low / "usr" / "rel")
    os.symlink("../../../../../etc/passwd", low / "usr" / "lib" / "climb")
    os.symlink("../../etc/passwd", low / "usr" / "lib" / "exact")
    os.symlink("dangling-target", low / "dangling")
    os.symlink("/../../../etc/passwd", low / "absclimb")
    os.symlink("/usr/../etc/passwd", low / "absdots")
    os.symlink("/proc/self/mounts", low / "mtab")
    os.mkfifo(low / "fifo")
    for i in range(300):
        (low / "usr" / f"many{i:03d}").write_text(str(i))
    return low


def test_listing_and_contents_match_lower(mount_view, lower):
    v = mount_view("--lower", str(lower))
    want = snapshot(lower)
    got = snapshot(v.mnt)
    assert set(got) == set(want)
    for rel, (kind, mode, size, data) in want.items():
        gkind, gmode, gsize, gdata = got[rel]
        assert (gkind, gmode, gsize) == (kind, mode, size), rel
        if kind == stat.S_IFREG:
            assert gdata == data, rel


def test_stat_matches_lower(mount_view, lower):
    v = mount_view("--lower", str(lower))
    for rel in ["etc/passwd", "usr/lib/deep/data.bin", "fifo", "abs", "usr"]:
        a, b = os.lstat(lower / rel), os.lstat(os.path.join(v.mnt, rel))
        for field in ["st_mode", "st_uid", "st_gid", "st_size", "st_nlink", "st_mtime_ns"]:
            assert getattr(a, field) == getattr(b, field), (rel, field)
        assert a.st_ino == b.st_ino, rel  # one backing device: raw inode numbers


def test_readlink_rewriting(mount_view, lower):
    v = mount_view("--lower", str(lower))
    m = v.mnt
    assert os.readlink(f"{m}/abs") == m + "/etc/passwd"
    assert os.readlink(f"{m}/rootlink") == m + "/"
    assert os.readlink(f"{m}/usr/rel") == "lib/deep"
    assert os.readlink(f"{m}/dangling") == "dangling-target"
    # An absolute target climbing with ".." is clamped too; one that stays inside is kept.
    assert os.readlink(f"{m}/absclimb") == m + "/etc/passwd"
    assert os.readlink(f"{m}/absdots") == m + "/usr/../etc/passwd"
    # Stays inside the root: not rewritten.
    assert os.readlink(f"{m}/usr/lib/exact") == "../../etc/passwd"
    # Climbs above the root from depth 2: clamped at the guest root like "..".
    assert os.readlink(f"{m}/usr/lib/climb") == m + "/etc/passwd"
    # Without a --direct for /proc, /proc is a guest path like any other.
    assert os.readlink(f"{m}/mtab") == m + "/proc/self/mounts"


def test_kernel_walk_stays_in_the_guest(mount_view, lower):
    v = mount_view("--lower", str(lower))
    m = v.mnt
    guest_passwd = (lower / "etc" / "passwd").read_text()
    assert open(f"{m}/abs").read() == guest_passwd
    assert open(f"{m}/usr/lib/climb").read() == guest_passwd
    assert open(f"{m}/rootlink/etc/passwd").read() == guest_passwd
    assert open(f"{m}/absclimb").read() == guest_passwd
    assert sorted(os.listdir(f"{m}/usr/rel")) == ["data.bin"]


def test_direct_and_bind(mount_view, lower, tmp_path):
    host = tmp_path / "hostdata"
    (host / "sub").mkdir(parents=True)
    (host / "sub" / "file").write_text("from host\n")
    os.symlink("/etc/passwd", host / "abs")
    v = mount_view("--lower", str(lower), "--direct", "/proc=/proc", "--direct",
                   "/opt/hostdir=" + str(host), "--bind", f"{host}:/srv/data:ro",
                   "--bind", f"{host}:/etc/rw")
    m = v.mnt
    # Direct binds are symlinks to the host path, and targets into them are kept.
    assert os.readlink(f"{m}/proc") == "/proc"
    assert os.readlink(f"{m}/mtab") == "/proc/self/mounts"
    assert os.readlink(f"{m}/opt/hostdir") == str(host)
    assert stat.S_ISDIR(os.stat(f"{m}/opt").st_mode)  # synthetic: lower has no /opt
    assert "opt" in os.listdir(m) and "proc" in os.listdir(m)
    assert open(f"{m}/opt/hostdir/sub/file").read() == "from host\n"
    # Non-direct binds are served through the view; their absolute links stay in the guest.
    assert open(f"{m}/srv/data/sub/file").read() == "from host\n"
    assert os.readlink(f"{m}/srv/data/abs") == m + "/etc/passwd"
    assert sorted(os.listdir(f"{m}/srv/data")) == ["abs", "sub"]
    assert "rw" in os.listdir(f"{m}/etc") and "passwd" in os.listdir(f"{m}/etc")
    with pytest.raises(OSError) as e:
        open(f"{m}/srv/data/sub/file", "w")
    assert e.value.errno == errno.EROFS


def test_host_deletes_in_a_bind(mount_view, lower, tmp_path):
    """Files the view has seen in a bind, deleted on the host: new files may get their
    inode numbers and must not be taken for the dead ones; a hard link made on the host
    is still the same file."""
    host = tmp_path / "hostdata"
    host.mkdir()
    m = mount_view("--lower", str(lower), "--bind", f"{host}:/srv").mnt
    for i in range(100):
        open(f"{m}/srv/x{i}", "w").close()
        os.stat(f"{m}/srv/x{i}")
    for i in range(100):
        os.unlink(host / f"x{i}")
    for i in range(100):
        with open(f"{m}/srv/y{i}", "w") as f:
            f.write("new")
        assert os.stat(f"{m}/srv/y{i}").st_size == 3
        assert open(f"{m}/srv/y{i}").read() == "new"
    os.link(host / "y0", host / "same")
    assert os.stat(f"{m}/srv/same").st_ino == os.stat(f"{m}/srv/y0").st_ino
    assert open(f"{m}/srv/same").read() == "new"


def test_read_only_without_upper(mount_view, lower):
    v = mount_view("--lower", str(lower))
    m = v.mnt
    for action in [lambda: open(f"{m}/etc/passwd", "a"),
                   lambda: open(f"{m}/newfile", "w"),
                   lambda: os.mkdir(f"{m}/newdir"),
                   lambda: os.unlink(f"{m}/empty"),
                   lambda: os.rename(f"{m}/empty", f"{m}/empty2"),
                   lambda: os.symlink("x", f"{m}/newlink"),
                   lambda: os.chmod(f"{m}/empty", 0o600)]:
        with pytest.raises(OSError) as e:
            action()
        assert e.value.errno == errno.EROFS
    assert snapshot(lower) == snapshot(lower)  # and the lower is untouched
    assert os.listdir(lower).count("newfile") == 0


def test_errors(mount_view, lower):
    v = mount_view("--lower", str(lower))
    m = v.mnt
    with pytest.raises(FileNotFoundError):
        os.stat(f"{m}/nope")
    with pytest.raises(NotADirectoryError):
        os.stat(f"{m}/empty/x")
    with pytest.raises(OSError) as e:
        os.stat(f"{m}/" + "n" * 256)
    assert e.value.errno == errno.ENAMETOOLONG
    # A name created in the lower behind our back after a miss: the daemon is the only writer.
    assert not os.path.exists(f"{m}/later")


def test_xattrs_and_statfs(mount_view, lower):
    try:
        os.setxattr(lower / "empty", "user.test", b"value")
        os.setxattr(lower / "empty", "user.containers.override_stat", b"0:0:0644")
    except OSError:
        pytest.skip("the tmp filesystem has no user xattrs")
    v = mount_view("--lower", str(lower))
    assert os.getxattr(f"{v.mnt}/empty", "user.test") == b"value"
    assert "user.test" in os.listxattr(f"{v.mnt}/empty")
    assert "user.containers.override_stat" not in os.listxattr(f"{v.mnt}/empty")
    with pytest.raises(OSError) as e:
        os.getxattr(f"{v.mnt}/etc/passwd", "user.nothing")
    assert e.value.errno == errno.ENODATA
    assert os.statvfs(v.mnt).f_bsize == os.statvfs(lower).f_bsize


def test_acls_and_labels_unsupported(mount_view, lower, tmp_path):
    """POSIX ACLs and SELinux labels: EOPNOTSUPP, so ls -l stops asking after one file."""
    upper = tmp_path / "upper"
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper))
    for path in (f"{v.mnt}/etc/passwd", f"{v.mnt}/usr", f"{v.mnt}/abs"):
        for name in ("system.posix_acl_access", "system.posix_acl_default", "security.selinux"):
            with pytest.raises(OSError) as e:
                os.getxattr(path, name, follow_symlinks=False)
            assert e.value.errno == errno.EOPNOTSUPP, (path, name)
    with pytest.raises(OSError) as e:
        os.setxattr(f"{v.mnt}/etc/passwd", "security.selinux", b"system_u:object_r:etc_t:s0")
    assert e.value.errno == errno.EOPNOTSUPP
    with pytest.raises(OSError) as e:
        os.removexattr(f"{v.mnt}/usr", "system.posix_acl_default")
    assert e.value.errno == errno.EOPNOTSUPP
    # Objects without xattrs are known as such after their first stat; a change shows at once.
    f, d = f"{v.mnt}/etc/passwd", f"{v.mnt}/usr"
    for path in (f, d):
        os.stat(path)
        assert os.listxattr(path) == []
        try:
            os.setxattr(path, "user.later", b"1")
        except OSError as e:
            if e.errno == errno.ENOTSUP:
                pytest.skip("the tmp filesystem has no user xattrs")
            raise
        assert os.getxattr(path, "user.later") == b"1"
        assert os.listxattr(path) == ["user.later"]
        os.removexattr(path, "user.later")
        assert os.listxattr(path) == []
        with pytest.raises(OSError) as e:
            os.getxattr(path, "user.later")
        assert e.value.errno == errno.ENODATA
        os.setxattr(path, "user.again", b"2")  # copied up already: only the cache can be stale
        assert os.getxattr(path, "user.again") == b"2"
    # Other security.* names are still the guest's (file capabilities).
    with pytest.raises(OSError) as e:
        os.getxattr(f"{v.mnt}/exec.sh", "security.capability")
    assert e.value.errno == errno.ENODATA


def test_mount_options_and_access(mount_view, lower):
    v = mount_view("--lower", str(lower))
    with open("/proc/self/mounts") as f:
        line = next(line for line in f if line.split()[1] == v.mnt)
    src, _, fstype, opts = line.split()[:4]
    assert src == "groot-fs" and fstype == "fuse.groot"
    # The kernel judges by what the view reports only where that is the
    # daemon's own judgement: a view without fake identities or binds. Only
    # root's is open to other users (a guest process that really drops root).
    assert "default_permissions" in opts.split(",")
    assert ("allow_other" in opts.split(",")) == (os.geteuid() == 0)
    assert os.access(f"{v.mnt}/exec.sh", os.X_OK)
    assert not os.access(f"{v.mnt}/empty", os.X_OK)
    assert not os.access(f"{v.mnt}/empty", os.W_OK)  # read-only view
    out = subprocess.run([f"{v.mnt}/exec.sh"], capture_output=True, text=True)
    assert out.stdout == "hi\n"


def test_fake_root(mount_view, lower):
    v = mount_view("--lower", str(lower), "--fake-root")
    with open("/proc/self/mounts") as f:
        assert "default_permissions" not in next(line for line in f if line.split()[1] == v.mnt)
    st = os.lstat(f"{v.mnt}/etc/passwd")
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert os.lstat(f"{v.mnt}/abs").st_uid == 0


def test_determinism_options(mount_view, lower):
    os.utime(lower / "empty", (2_000_000_000, 2_000_000_000))
    os.utime(lower / "exec.sh", (1000, 1000))
    v = mount_view("--lower", str(lower), "--sorted-readdir", "--stable-inodes",
                   "--clamp-mtime", "1700000000")
    names = os.listdir(f"{v.mnt}/usr")
    assert names == sorted(names, key=os.fsencode)
    assert os.stat(f"{v.mnt}/empty").st_mtime == 1700000000
    assert os.stat(f"{v.mnt}/exec.sh").st_mtime == 1000
    ino = os.stat(f"{v.mnt}/usr/lib/deep/data.bin").st_ino
    v.stop()
    v2 = mount_view("--lower", str(lower), "--stable-inodes")
    assert os.stat(f"{v2.mnt}/usr/lib/deep/data.bin").st_ino == ino
    with os.scandir(f"{v2.mnt}/usr/lib/deep") as it:
        assert [e.inode() for e in it] == [ino]


def test_ready_fd_means_mounted(mount_view, lower):
    v = mount_view("--lower", str(lower))
    assert is_mounted(v.mnt)
    assert os.path.exists(f"{v.mnt}/etc/passwd")


def test_lifeline_kill_9_unmounts(lower, tmp_path):
    ok, why = fuse_usable()
    if not ok:
        pytest.skip(why)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    life_r, life_w = os.pipe()
    ready_r, ready_w = os.pipe()
    # The "runner": the only holder of the lifeline's write end.
    runner = subprocess.Popen(["sleep", "600"], pass_fds=[life_w])
    os.close(life_w)
    daemon = subprocess.Popen([str(GROOT_FS), "-f", "--lifeline", str(life_r), "--ready-fd",
                               str(ready_w), "--lower", str(lower), str(mnt)],
                              pass_fds=[life_r, ready_w])
    os.close(life_r)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"1"
        assert is_mounted(mnt)
        busy = open(mnt / "etc" / "passwd")  # an open file must not keep the mount alive
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        deadline = time.time() + 3
        while is_mounted(mnt) and time.time() < deadline:
            time.sleep(0.02)
        assert not is_mounted(mnt)
        assert daemon.wait(timeout=5) == 0
        try:
            busy.close()  # its flush goes nowhere now: ENOTCONN
        except OSError:
            pass
    finally:
        os.close(ready_r)
        if daemon.poll() is None:
            daemon.kill()
        if is_mounted(mnt):
            subprocess.call(["fusermount3", "-u", "-z", str(mnt)])


def test_bad_command_lines(tmp_path):
    if not GROOT_FS.exists():
        pytest.skip("groot-fs not built")
    for args in [[], ["--lower", str(tmp_path)], [str(tmp_path)],
                 ["--lower", str(tmp_path), "--in-place", "--upper", str(tmp_path), str(tmp_path)],
                 ["--lower", str(tmp_path), "--bind", "relative:/x", str(tmp_path)],
                 ["--lower", str(tmp_path), "--direct", "/x", str(tmp_path)],
                 ["--lower", str(tmp_path), "--clamp-mtime", "soon", str(tmp_path)]]:
        r = subprocess.run([str(GROOT_FS), "-f"] + args, capture_output=True, text=True)
        assert r.returncode == 2, args
        assert "groot-fs" in r.stderr


def test_bind_points_follow_guest_symlinks(mount_view, lower, tmp_path):
    """A bind below a guest symlink (/lib -> usr/lib) lands where the guest's walk arrives."""
    (lower / "usr" / "lib" / "modules").mkdir()
    os.symlink("usr/lib", lower / "lib")
    (lower / "run").mkdir()
    (lower / "var").mkdir()
    os.symlink("../run", lower / "var" / "run")
    host = tmp_path / "hostmods"
    host.mkdir()
    (host / "marker").write_text("mods\n")
    v = mount_view("--lower", str(lower), "--bind", f"{host}:/lib/modules",
                   "--bind", f"{host}:/var/run/sock", "--direct", "/lib/firmware=/nonexistent",
                   "--bind", f"{host}:/srv/a", "--bind", f"{tmp_path}:/srv/a")  # later wins
    m = v.mnt
    assert os.readlink(f"{m}/lib") == "usr/lib"  # still the guest's symlink
    assert os.readlink(f"{m}/var/run") == "../run"
    assert open(f"{m}/lib/modules/marker").read() == "mods\n"
    assert open(f"{m}/usr/lib/modules/marker").read() == "mods\n"
    assert open(f"{m}/run/sock/marker").read() == "mods\n"
    assert os.readlink(f"{m}/usr/lib/firmware") == "/nonexistent"
    assert "hostmods" in os.listdir(f"{m}/srv/a")


@pytest.mark.parametrize("owner", ["root", "user"])
def test_reads_of_partly_cached_files_match_the_host(mount_view, request, owner):
    """A read the view answers from the host's page cache is whole, however little of the
    file the cache holds. Owned by someone else (a tree root extracted, seen by a user's
    view), a file's pages cannot be counted (cachestat refuses), and a non-blocking read
    copies what the cache holds: one that stops short of the end must go to the disk."""
    root = request.getfixturevalue("trixie_rootfs" if owner == "root" else "trixie_user_rootfs")
    rel = "usr/lib/x86_64-linux-gnu/libc.so.6"
    host = os.path.realpath(os.path.join(root, rel))
    with open(host, "rb") as f:
        want = f.read()
    assert len(want) % 4096, "a file whose last page is partial"
    v = mount_view("--lower", str(root))
    guest = os.path.join(v.mnt, rel)
    for keep, block in [(1, 4096), (16, 65536 + 512), (31, 1 << 20), (0, 3000)]:
        for path in (host, guest):  # the host's cache, and the view's own
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        fd = os.open(host, os.O_RDONLY)
        for off in range(0, len(want), 128 * 1024):
            os.pread(fd, keep * 4096, off)  # the first 'keep' pages of each readahead's worth
        os.close(fd)
        got = bytearray()
        fd = os.open(guest, os.O_RDONLY)
        while chunk := os.read(fd, block):
            got += chunk
        os.close(fd)
        assert got == want, (keep, block)
