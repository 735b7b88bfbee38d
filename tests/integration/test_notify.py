# SPDX-License-Identifier: MIT
"""Lookups answered by seccomp user notification (runner/notify.c): open, stat,
statx and access of a static program (raw syscalls, as glibc makes them behind
groot-fast.so's back) in a session without a fake identity.

Ground truth: the same probe (tests/fixtures/lookup_probe.c, static) run natively
on the rootfs by the same user, and in the guest with GROOT_NO_NOTIFY=1 (every
call by a ptrace stop, the path the rest of the suite checks against chroot)."""
import os
import shutil
import subprocess

import pytest

from conftest import REPO, run_groot, write_profile

pytestmark = pytest.mark.trixie

PTRACE_ONLY = {"GROOT_NO_NOTIFY": "1"}


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("lookup")
    os.chmod(d, 0o755)
    subprocess.run(["gcc", "-static", "-O2", "-pthread", "-o", d / "lookup_probe",
                    REPO / "tests" / "fixtures" / "lookup_probe.c"], check=True)
    shutil.copy(REPO / "tests" / "fixtures" / "lookup_probe.c", d / "lookup_probe.c")
    os.chmod(d / "lookup_probe.c", 0o644)
    return d


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs, probe_dir):
    return write_profile(tmp_path_factory.mktemp("profile"), trixie_rootfs, name="trixie",
                         extra=f"binds:\n  - {probe_dir}:/probe:direct\n"
                               f"  - {probe_dir}:/probe-ro:ro,direct\n")


def reads_only(lines):
    """What does not depend on who may write the tree (the view lets the host user)."""
    return [l for l in lines if not l.startswith(("openat(01)", "access(W)"))]


@pytest.mark.root_subset
def test_lookups_match_native_and_the_ptrace_path(profile, probe_dir, trixie_rootfs):
    native = subprocess.run([probe_dir / "lookup_probe", "tree", str(trixie_rootfs)],
                            capture_output=True, text=True, timeout=60)
    assert native.returncode == 0 and native.stdout, native
    r = run_groot("-v", "run", profile, "--", "/probe/lookup_probe", "tree", "", timeout=60)
    assert r.returncode == 0, r
    # As root a guest process could change its credentials: everything by ptrace then.
    notified = "lookups answered by seccomp user notification" in r.stderr
    assert notified == (os.geteuid() != 0), r
    traced = run_groot("run", profile, "--", "/probe/lookup_probe", "tree", "", timeout=60,
                       env=PTRACE_ONLY)
    assert traced.returncode == 0, traced
    assert r.stdout == traced.stdout
    assert reads_only(r.stdout.splitlines()) == reads_only(native.stdout.splitlines())
    # And what the kernel says, whoever runs it.
    lines = r.stdout.splitlines()
    assert "openat(02000000) /etc/nonexistent: ENOENT" in lines
    assert "openat(02000000) /etc/os-release/x: ENOTDIR" in lines
    assert "openat(0200000) /usr/bin/ls: ENOTDIR" in lines
    assert "stat(bad buffer) /etc: EFAULT" in lines
    assert "faccessat2(bad flag) /etc: EINVAL" in lines
    lowest = [l for l in lines if l.startswith("lowest fd")]
    assert lowest[0].split(": fd ")[1].split()[0] == lowest[1].split()[-1], lowest
    size = (trixie_rootfs / "usr/bin/ls").stat().st_size
    assert f"stat /usr/bin/ls: reg size {size} mode 755 nlink 1" in lines or \
        any(l.startswith(f"stat /usr/bin/ls: reg size {size} mode 755") for l in lines)


def test_what_only_the_guest_has(profile):
    """'..' clamped at the guest's root, /proc/self for the program (deferred to the
    ptrace side), a FIFO's open waiting for its other end both ways, EROFS in a
    read-only bind."""
    r = run_groot("run", profile, "--", "/probe/lookup_probe", "guest", timeout=60)
    assert r.returncode == 0, r
    traced = run_groot("run", profile, "--", "/probe/lookup_probe", "guest", timeout=60,
                       env=PTRACE_ONLY)
    assert r.stdout == traced.stdout
    lines = r.stdout.splitlines()
    size = [l for l in lines if l.startswith("os-release size")][0].split()[-1]
    assert lines[0].startswith("openat(..) ../../../../etc/os-release: fd 3 reg size " + size)
    assert lines[1].startswith("stat(..) ../../usr/../etc/os-release: reg size " + size)
    assert "exe opened 1 same size 1" in lines
    assert "exe stat same size 1" in lines
    assert "openat(fifo, wronly|nonblock) /tmp/lookup-fifo: ENXIO" in lines
    assert "fifo read 1 'x' writer 0 nonblocking 0" in lines
    assert "fifo write 1 reader 0" in lines
    assert any(l.startswith("openat(ro bind, rdonly) /probe-ro/lookup_probe.c: fd ") for l in lines)
    assert "openat(ro bind, wronly) /probe-ro/lookup_probe.c: EROFS" in lines


def test_signals_fifos_and_threads_see_what_they_see_natively(profile):
    """No EINTR from a lookup a signal interrupted (a handler without SA_RESTART:
    natively an open or stat of a file is never interrupted); a FIFO writer that
    writes and closes before its reader opens; no reader left behind by a killed
    one; a guest link into /proc/self followed in the caller; 100 threads whose
    calls go to the ptrace side at once."""
    r = run_groot("run", profile, "--", "/probe/lookup_probe", "signals", timeout=120)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [
        "lookups interrupted 0 failed 0", "quick writers read 20/20",
        "writer after a killed reader /tmp/lookup-fifo: ENXIO", "linked status is ours 1",
        "deferred at once, errors 0"], r


def test_a_debugger_sees_a_deferred_call_through(profile):
    """A /proc file the tracer rewrites, opened by a program a guest strace follows:
    the call goes to the ptrace side under the debugger too, and finishes."""
    r = run_groot("run", profile, "--", "strace", "-f", "-o", "/dev/null", "-e", "trace=none",
                  "/probe/lookup_probe", "guest", timeout=60)
    assert r.returncode == 0, r
    assert "exe opened 1 same size 1" in r.stdout.splitlines(), r


def test_fifo_opens_reach_their_caller_past_a_debuggers_stops(profile):
    """Under CPU load a guest debugger's stops fall between a FIFO open meeting
    its other end and the file reaching the caller: the open still completes
    once, for the call (it used to return 0, or wait for a peer gone already)."""
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2)]
    try:
        for _ in range(8):
            r = run_groot("run", profile, "--", "strace", "-f", "-o", "/dev/null", "-e",
                          "trace=none", "/probe/lookup_probe", "guest", timeout=30)
            assert r.returncode == 0, r
            lines = r.stdout.splitlines()
            assert "fifo read 1 'x' writer 0 nonblocking 0" in lines, r
            assert "fifo write 1 reader 0" in lines, r
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_fake_root_keeps_the_ptrace_path(profile):
    """Under a fake identity the view and the tracer judge the caller: nothing is
    answered by notification, and the lookups still work."""
    r = run_groot("-v", "run", "-0", profile, "--", "/probe/lookup_probe", "guest", timeout=60)
    assert r.returncode == 0, r
    assert "lookups answered by seccomp user notification" not in r.stderr, r
    assert "fifo read 1 'x' writer 0 nonblocking 0" in r.stdout.splitlines(), r
