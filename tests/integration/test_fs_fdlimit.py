# SPDX-License-Identifier: MIT
"""groot-fs on a tree with more entries than it may open fds: the kernel keeps
inodes for a day, so the daemon must not hold an fd per inode it knows."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import mount_view, snapshot  # noqa: E402,F401

NOFILE = 512
DIRS, FILES = 20, 150  # 3000 files, a few dozen directories


def make_tree(root):
    for d in range(DIRS):
        sub = root / f"d{d:02}"
        sub.mkdir(parents=True)
        for f in range(FILES):
            (sub / f"f{f:03}").write_text(f"{d}/{f}\n" * (f % 7))
        os.symlink("f000", sub / "link")
        os.symlink(f"/d{d:02}/f001", sub / "abslink")
        os.link(sub / "f002", sub / "hard")


def daemon_fds(view):
    return len(os.listdir(f"/proc/{view.proc.pid}/fd"))


def listing(root):
    return subprocess.run(["ls", "-lR", "--time-style=full-iso", "."], cwd=root, check=True,
                          capture_output=True, text=True).stdout


def test_more_entries_than_fds(mount_view, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    make_tree(lower)
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper), nofile=NOFILE)

    found = subprocess.run(["find", "."], cwd=v.mnt, check=True, capture_output=True,
                           text=True).stdout
    want = subprocess.run(["find", "."], cwd=lower, check=True, capture_output=True,
                          text=True).stdout
    assert sorted(found.splitlines()) == sorted(want.splitlines())
    assert len(found.splitlines()) > NOFILE * 5
    assert listing(v.mnt).replace(v.mnt + "/", "/") == listing(lower)

    got = snapshot(v.mnt)
    for rel, entry in got.items():  # absolute link targets come back prefixed
        if entry[3] and isinstance(entry[3], str) and entry[3].startswith(v.mnt + "/"):
            got[rel] = (entry[0], entry[1], entry[2], entry[3][len(v.mnt):])
    assert got == snapshot(lower)
    for rel in got:
        a, b = os.lstat(os.path.join(v.mnt, rel)), os.lstat(lower / rel)
        assert (a.st_mode, a.st_uid, a.st_gid, a.st_nlink, a.st_mtime_ns) == \
            (b.st_mode, b.st_uid, b.st_gid, b.st_nlink, b.st_mtime_ns), rel
    assert daemon_fds(v) < NOFILE

    # Changes through the view still find every object with the fds bounded.
    for d in range(DIRS):
        sub = f"{v.mnt}/d{d:02}"
        with open(f"{sub}/f010", "a") as f:
            f.write("more\n")
        os.chmod(f"{sub}/f011", 0o600)
        os.rename(f"{sub}/f012", f"{sub}/renamed")
        os.unlink(f"{sub}/f013")
    for d in range(DIRS):
        sub = f"{v.mnt}/d{d:02}"
        assert open(f"{sub}/renamed").read() == f"{d}/12\n" * (12 % 7)
        assert open(f"{sub}/f010").read() == f"{d}/10\n" * (10 % 7) + "more\n"
        assert os.stat(f"{sub}/f011").st_mode & 0o777 == 0o600
        assert not os.path.exists(f"{sub}/f013")
    assert daemon_fds(v) < NOFILE


def test_objects_are_found_after_their_name_changes(mount_view, tmp_path):
    """Non-directories are reopened by name: renames, unlinks and hard links keep them."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    (lower / "low").write_text("lower\n")
    v = mount_view("--lower", str(lower), "--upper", str(upper), nofile=NOFILE)
    m = v.mnt

    with open(f"{m}/a", "w") as f:
        f.write("a\n")
    os.rename(f"{m}/a", f"{m}/b")
    os.chmod(f"{m}/b", 0o640)
    assert os.stat(f"{m}/b").st_mode & 0o777 == 0o640
    assert open(f"{m}/b").read() == "a\n"

    os.link(f"{m}/b", f"{m}/c")
    os.unlink(f"{m}/b")  # the name the daemon knew goes; the other one stays
    os.chmod(f"{m}/c", 0o600)
    assert os.stat(f"{m}/c").st_mode & 0o777 == 0o600
    assert os.stat(f"{m}/c").st_nlink == 1

    fd = os.open(f"{m}/c", os.O_RDWR)
    os.unlink(f"{m}/c")  # open but nameless
    os.write(fd, b"still here\n")
    os.fchmod(fd, 0o644)
    st = os.fstat(fd)
    assert st.st_nlink == 0 and st.st_mode & 0o777 == 0o644
    os.close(fd)

    fd = os.open(f"{m}/low", os.O_RDONLY)
    os.rename(f"{m}/low", f"{m}/moved")  # copy-up, then a whiteout of the old name
    with open(f"{m}/d", "w") as f:
        f.write("d\n")
    os.rename(f"{m}/d", f"{m}/moved")  # over it
    assert os.read(fd, 100) == b"lower\n"
    os.close(fd)
    assert open(f"{m}/moved").read() == "d\n"
    assert sorted(os.listdir(m)) == ["moved"]


MANY_DIRECTORIES = """
import os, shutil, subprocess
os.mkdir("/tmp/many")
for i in range(3000):
    os.mkdir("/tmp/many/%d" % i)
    open("/tmp/many/%d/f" % i, "w").close()
os.chdir("/tmp/many/2999")
print(len(os.listdir("/tmp/many")), os.getcwd())
print(subprocess.run(["ls", "/tmp/many/0", "/tmp/many/2999"], capture_output=True, text=True).stdout.split())
os.chdir("/")
shutil.rmtree("/tmp/many")
print("gone", not os.path.exists("/tmp/many"))
"""


def test_more_directories_than_fds_through_groot(tmp_path):
    """Each directory the kernel remembers costs the view fds, and the kernel forgets
    only under memory pressure: 3000 directories under a hard limit of 1024 fds made
    every later open fail with EMFILE (the loader's too). The view has the kernel
    forget the least recently used ones, but not a working directory."""
    import resource
    from conftest import GROOT, TRIXIE_ROOTFS, write_profile
    if not (TRIXIE_ROOTFS / "usr" / "bin" / "python3").exists():
        import pytest
        pytest.skip("needs the trixie fixture")
    p = write_profile(tmp_path, TRIXIE_ROOTFS, name="dirs", extra="  upper: ephemeral\n")
    r = subprocess.run([str(GROOT), "run", str(p), "--", "python3", "-c", MANY_DIRECTORIES],
                       capture_output=True, text=True, timeout=300,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    assert (r.returncode, r.stdout) == (0, "3000 /tmp/many/2999\n['/tmp/many/0:', 'f', "
                                           "'/tmp/many/2999:', 'f']\ngone True\n"), r


LINK_THEN_UNLINK = """
import os
os.mkdir("/tmp/objects")
for i in range(3000):
    tmp, final = "/tmp/objects/tmp_%d" % i, "/tmp/objects/%d" % i
    with open(tmp, "w") as f:
        f.write(str(i))
    os.link(tmp, final)
    os.unlink(tmp)
print(len(os.listdir("/tmp/objects")), open("/tmp/objects/2999").read())
open("/tmp/after", "w").close()
print("after ok")
"""


def test_files_renamed_by_link_and_unlink_keep_no_fds(tmp_path):
    """git writes each object to a temporary name, links it to its own and unlinks the
    first: the view kept an fd for each such file, and a git add of 20,000 files ran
    out (EMFILE for every later create). It now reaches them by their second name."""
    import resource
    from conftest import GROOT, TRIXIE_ROOTFS, write_profile
    p = write_profile(tmp_path, TRIXIE_ROOTFS, name="links", extra="  upper: ephemeral\n")
    r = subprocess.run([str(GROOT), "run", str(p), "--", "python3", "-c", LINK_THEN_UNLINK],
                       capture_output=True, text=True, timeout=300,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    assert (r.returncode, r.stdout) == (0, "3000 2999\nafter ok\n"), r
