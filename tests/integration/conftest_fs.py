# SPDX-License-Identifier: MIT
"""Shared helpers for the groot-fs integration tests (imported by test_fs_*.py)."""
import os
import pathlib
import shutil
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("GROOT_BUILD_DIR", REPO / "build"))
GROOT_FS = BUILD_DIR / "fuse" / "groot-fs"


def fuse_usable():
    if not GROOT_FS.exists():
        return False, f"{GROOT_FS} not built (set GROOT_BUILD_DIR)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return False, "/dev/fuse is not accessible"
    if os.geteuid() != 0 and shutil.which("fusermount3") is None:
        return False, "fusermount3 is needed to mount as a user"
    return True, ""


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


class View:
    """A running groot-fs: mounted on start(), torn down through its lifeline."""

    def __init__(self, mnt, args, nofile=None, wrapper=()):
        self.mnt = str(mnt)
        self.args = list(args)
        self.wrapper = list(wrapper)  # command the daemon runs under (setpriv, say)
        self.nofile = nofile  # RLIMIT_NOFILE (soft and hard) of the daemon
        self.proc = None
        self.lifeline_w = None
        self.stderr = None
        self.returncode = None

    def start(self, timeout=10):
        life_r, self.lifeline_w = os.pipe()
        ready_r, ready_w = os.pipe()
        cmd = self.wrapper + [str(GROOT_FS), "-f", "--lifeline", str(life_r),
                              "--ready-fd", str(ready_w)]
        cmd += self.args + [self.mnt]
        limit = None
        if self.nofile is not None:
            import resource
            n = self.nofile

            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        self.proc = subprocess.Popen(cmd, pass_fds=[life_r, ready_w],
                                     stderr=subprocess.PIPE, text=True, preexec_fn=limit)
        os.close(life_r)
        os.close(ready_w)
        import select
        r, _, _ = select.select([ready_r], [], [], timeout)
        byte = os.read(ready_r, 1) if r else b""
        os.close(ready_r)
        if byte != b"1":
            self.stop()
            raise RuntimeError(f"groot-fs did not become ready: {self.stderr}")
        return self

    def stop(self):
        if self.lifeline_w is not None:
            os.close(self.lifeline_w)
            self.lifeline_w = None
        if self.proc is not None:
            try:
                _, self.stderr = self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, self.stderr = self.proc.communicate()
            self.returncode = self.proc.returncode
            self.proc = None
        deadline = time.time() + 5
        while is_mounted(self.mnt) and time.time() < deadline:
            time.sleep(0.05)
        if is_mounted(self.mnt):
            subprocess.call(["fusermount3", "-u", "-z", self.mnt])

    def path(self, rel=""):
        return os.path.join(self.mnt, rel) if rel else self.mnt

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def mount_view(tmp_path):
    """mount_view(args...) -> a started View on a fresh mountpoint; stopped at teardown."""
    ok, why = fuse_usable()
    if not ok:
        pytest.skip(why)
    views = []

    def start(*args, mnt=None, nofile=None, wrapper=()):
        if mnt is None:
            mnt = tmp_path / f"mnt{len(views)}"
            mnt.mkdir()
        v = View(mnt, args, nofile=nofile, wrapper=wrapper).start()
        views.append(v)
        return v

    yield start
    for v in views:
        v.stop()
    # A daemon that crashed or complained (sanitizers included) fails the test.
    for v in views:
        assert v.returncode == 0, f"groot-fs exited with {v.returncode}: {v.stderr}"
        assert "Sanitizer" not in (v.stderr or ""), v.stderr


def snapshot(root):
    """Everything a listing shows about a tree: {relpath: (type, mode, size, data-or-target)}."""
    out = {}
    root = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = st.st_mode & 0o170000
            data = None
            if os.path.islink(full):
                data = os.readlink(full)
            elif kind == 0o100000:
                with open(full, "rb") as f:
                    data = f.read()
            size = st.st_size if kind != 0o040000 else None
            out[rel] = (kind, st.st_mode & 0o7777, size, data)
    return out


def user_xattrs_work(path):
    """Can the filesystem of directory path hold user xattrs?"""
    probe = path / ".probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "user.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        probe.unlink()
