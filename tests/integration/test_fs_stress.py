# SPDX-License-Identifier: MIT
"""groot-fs under load: concurrent writers, and a package-manager-like tar
extraction compared with the same extraction into a plain directory."""
import os
import pathlib
import stat
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest_fs import mount_view, snapshot  # noqa: E402,F401

ROOTFS = pathlib.Path(os.environ.get("GROOT_TEST_ROOTFS",
                                     os.path.expanduser("~/.cache/groot/rootfs/debian-trixie")))


def test_concurrent_writers(mount_view, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    for t in range(8):
        (lower / f"t{t}").mkdir(parents=True)
        for i in range(20):
            (lower / f"t{t}" / f"old{i}").write_text(f"{t}:{i}\n")
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper), "--fake-root")
    errors = []

    def worker(t):
        try:
            d = f"{v.mnt}/t{t}"
            for i in range(20):
                with open(f"{d}/old{i}", "a") as f:  # copy-up under concurrency
                    f.write("appended\n")
                with open(f"{d}/new{i}", "w") as f:
                    f.write(str(i) * 1000)
                os.rename(f"{d}/new{i}", f"{d}/renamed{i}")
                if i % 2:
                    os.unlink(f"{d}/old{i}")
                os.chmod(f"{d}/renamed{i}", 0o600)
                os.listdir(v.mnt)  # lookups and readdir of a shared directory
                os.stat(f"{v.mnt}/t{(t + 1) % 8}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((t, e))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for t in range(8):
        names = sorted(os.listdir(f"{v.mnt}/t{t}"))
        want = sorted([f"old{i}" for i in range(0, 20, 2)] + [f"renamed{i}" for i in range(20)])
        assert names == want
        assert open(f"{v.mnt}/t{t}/old4").read() == f"{t}:4\nappended\n"
        assert os.stat(f"{v.mnt}/t{t}/renamed7").st_mode & 0o777 == 0o600
    assert (lower / "t3" / "old5").read_text() == "3:5\n"


@pytest.mark.skipif(not ROOTFS.is_dir() or os.geteuid() != 0,
                    reason="needs the Debian rootfs and root (tar keeps owners as root only)")
def test_tar_extraction_matches_plain_directory(mount_view, tmp_path):
    """Like dpkg unpacking: many files, owners, modes, links, into an upper layer."""
    archive = tmp_path / "part.tar"
    subprocess.run(["tar", "-C", str(ROOTFS), "-cf", str(archive), "etc", "usr/share/doc",
                    "usr/bin", "var"], check=True)
    truth = tmp_path / "truth"
    truth.mkdir()
    subprocess.run(["tar", "-C", str(truth), "-xpf", str(archive), "--numeric-owner"],
                   check=True)
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "stale").write_text("from the image\n")
    upper.mkdir()
    v = mount_view("--lower", str(lower), "--upper", str(upper), "--fake-root")
    os.unlink(f"{v.mnt}/etc/stale")  # a whiteout, then tar fills the directory
    subprocess.run(["tar", "-C", v.mnt, "-xpf", str(archive), "--numeric-owner"], check=True)

    def owners(root):
        out = {}
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                rel = os.path.relpath(p, root)
                # tar makes usr and usr/share itself (not in the archive), at its own time
                mtime = None if rel in ("usr", "usr/share") else st.st_mtime_ns
                # A directory in both layers (etc, merged) has nlink 1, as overlayfs says.
                nlink = None if rel == "etc" else st.st_nlink
                out[rel] = (st.st_uid, st.st_gid, nlink, mtime)
        return out

    got = snapshot(v.mnt)
    want = snapshot(truth)
    for rel, entry in got.items():  # absolute link targets come back rewritten
        if entry[0] == stat.S_IFLNK and entry[3].startswith(v.mnt + "/"):
            got[rel] = (entry[0], entry[1], len(entry[3]) - len(v.mnt), entry[3][len(v.mnt):])
    assert got == want
    assert owners(v.mnt) == owners(truth)
