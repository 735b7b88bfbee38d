# SPDX-License-Identifier: MIT
"""The thin end-to-end path: view + tracer + exec, on the tiny static guest."""
import os
import signal
import subprocess
import time

import pytest

from conftest import GROOT, groot_mounts, run_groot, write_profile


@pytest.fixture
def profile(tmp_path, tiny_rootfs):
    return write_profile(tmp_path, tiny_rootfs, name="tiny")


def test_integration_tests_run_unprivileged():
    """scripts/check.sh runs this suite as an unprivileged user; only the root subset may be root."""
    if os.environ.get("GROOT_TESTS_AS_ROOT") == "1":
        assert os.geteuid() == 0
    else:
        assert os.geteuid() != 0, "integration tests must run rootless"


@pytest.mark.root_subset
def test_lists_the_guest_root(groot, profile, tiny_rootfs, no_leftover_mounts):
    r = run_groot("run", profile, "--", "/bin/ls", "-1a", "/")
    assert r.returncode == 0, r
    listed = set(r.stdout.split()) - {".", ".."}
    assert listed == set(os.listdir(tiny_rootfs)), r


@pytest.mark.root_subset
def test_reads_the_guests_own_etc(groot, profile, tiny_rootfs):
    r = run_groot("run", profile, "--", "cat", "/etc/os-release", "/etc/hostname")
    assert r.returncode == 0, r
    expected = (tiny_rootfs / "etc/os-release").read_text() + "tiny-guest\n"
    assert r.stdout == expected
    with open("/etc/os-release") as host:
        assert "groot-tiny" not in host.read()


@pytest.mark.root_subset
def test_absolute_symlink_resolves_inside_the_guest(groot, profile, tiny_rootfs):
    r = run_groot("run", profile, "--", "cat", "/etc/abs-link")
    assert r.returncode == 0, r
    assert r.stdout == (tiny_rootfs / "etc/os-release").read_text()
    r = run_groot("run", profile, "--", "sh", "-c",
                  "readlink /etc/abs-link; readlink /usr/os-release-rel")
    assert r.stdout.split() == ["/etc/os-release", "../etc/os-release"], r
    r = run_groot("run", profile, "--", "ls", "/usr/abs-bin/busybox")
    assert r.returncode == 0 and r.stdout.strip() == "/usr/abs-bin/busybox", r


def test_relative_dotdot_cannot_leave_the_guest(groot, profile, tiny_rootfs):
    r = run_groot("run", profile, "--", "sh", "-c",
                  "cd /etc && cat ../../../../etc/os-release && cd ../../.. && pwd && ls -1 /..")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert "ID=groot-tiny" in lines
    assert "/" in lines
    visible = {name for name in os.listdir(tiny_rootfs) if not name.startswith(".")}
    assert set(lines[lines.index("/") + 1:]) == visible


def test_getcwd_is_the_guest_path(groot, profile):
    r = run_groot("run", profile, "--", "sh", "-c", "cd /usr/abs-bin && pwd -P && cd /etc && pwd")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["/bin", "/etc"]


@pytest.mark.root_subset
@pytest.mark.parametrize("command,status", [
    ("exit 0", 0), ("exit 42", 42), ("kill -TERM $$", 128 + signal.SIGTERM),
    ("kill -KILL $$", 128 + signal.SIGKILL),
])
def test_exit_status_is_the_guests(groot, profile, command, status):
    r = run_groot("run", profile, "--", "sh", "-c", command)
    assert r.returncode == status, r


def test_command_not_found_and_not_executable(groot, profile):
    r = run_groot("run", profile, "--", "no-such-command")
    assert r.returncode == 127, r
    assert "not found" in r.stderr
    r = run_groot("run", profile, "--", "/etc/os-release")
    assert r.returncode == 126, r


@pytest.mark.root_subset
def test_static_musl_binary_sees_its_arguments(groot, profile):
    r = run_groot("run", profile, "--", "/bin/hello-musl", "one", "two words")
    assert r.returncode == 0, r
    assert r.stdout == ("hello from the guest: argc=3 [/bin/hello-musl] [one] [two words] "
                        "execfn=/bin/hello-musl\n")
    r = run_groot("run", profile, "--", "/bin/hello-musl", "x")
    assert r.returncode == 3, r


def test_static_pie_binary(groot, profile):
    r = run_groot("run", profile, "--", "/bin/hello-static-pie", "a")
    assert r.returncode == 0, r
    assert "argc=2 [/bin/hello-static-pie] [a]" in r.stdout


def test_shebang_script(groot, profile):
    r = run_groot("run", profile, "--", "/bin/script.sh", "a", "b")
    assert r.returncode == 0, r
    assert r.stdout == "script args: a b\n"


def test_proc_self_exe_is_the_guest_program(groot, profile):
    r = run_groot("run", profile, "--", "readlink", "/proc/self/exe")
    assert r.stdout.strip() == "/bin/busybox", r
    r = run_groot("run", profile, "--", "cat", "/proc/self/comm")
    assert r.stdout.strip() == "cat", r


def test_children_and_threads_are_followed(groot, profile):
    script = "for i in 1 2 3 4 5; do (cat /etc/hostname) & done; wait"
    r = run_groot("run", profile, "--", "sh", "-c", script)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["tiny-guest"] * 5


@pytest.mark.root_subset
def test_killed_runner_leaves_no_mount_and_no_guest(groot, profile, tmp_path):
    before = set(groot_mounts())
    marker = tmp_path / "started"
    proc = subprocess.Popen([str(GROOT), "run", str(profile), "--", "sh", "-c",
                             "sleep 300"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline and set(groot_mounts()) == before:
        time.sleep(0.05)
    new = set(groot_mounts()) - before
    assert new, "the view never mounted"
    # Find the guest's sleep before killing the runner.
    time.sleep(0.3)
    sleepers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and set(groot_mounts()) & new:
        time.sleep(0.05)
    assert not (set(groot_mounts()) & new), "a killed runner left its mount behind"
    # Nor its run directory (the daemon removes it: mountpoint, ephemeral upper, ...).
    run_dirs = {os.path.dirname(m) for m in new}
    deadline = time.time() + 5
    while time.time() < deadline and any(os.path.exists(d) for d in run_dirs):
        time.sleep(0.05)
    assert not any(os.path.exists(d) for d in run_dirs), "a killed runner left its run directory"
    for pid in sleepers.stdout.split():
        deadline = time.time() + 5
        while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] == "Z":
                    break
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z", "guest survived its runner"
    del marker


def test_bad_profile_is_a_usage_error_with_position(groot, tmp_path, tiny_rootfs):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"version: 1\nrootfs:\n  path: {tiny_rootfs}\nbindz: []\n")
    r = run_groot("run", bad, "--", "true")
    assert r.returncode == 2, r
    assert f"{bad}:4:1:" in r.stderr and "bindz" in r.stderr and "binds" in r.stderr, r


def test_missing_rootfs_is_a_groot_failure(groot, tmp_path):
    p = write_profile(tmp_path, tmp_path / "nothing-here", name="missing")
    r = run_groot("run", p, "--", "true")
    assert r.returncode == 125, r
    assert "groot provision" in r.stderr


def test_profile_hostname_and_uname(groot, tmp_path, tiny_rootfs):
    p = write_profile(tmp_path, tiny_rootfs, name="named",
                      extra="hostname: guesthost\nuname: {release: 6.1.0-groot, machine: x86_64}\n")
    r = run_groot("run", p, "--", "sh", "-c", "uname -n; uname -r; hostname")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["guesthost", "6.1.0-groot", "guesthost"], r
    r = run_groot("run", write_profile(tmp_path, tiny_rootfs, name="plain"), "--", "uname", "-r")
    assert r.stdout.strip() == os.uname().release, r


def test_fake_root_identity(groot, tmp_path, tiny_rootfs):
    p = write_profile(tmp_path, tiny_rootfs, name="root", extra="user: root\n")
    r = run_groot("run", p, "--", "sh", "-c", "id -u; id -g; id -G")
    assert r.stdout.split() == ["0", "0", "0"], r
    p = write_profile(tmp_path, tiny_rootfs, name="host", extra="user: host\n")
    r = run_groot("run", p, "--", "id", "-u")
    assert r.stdout.strip() == str(os.geteuid()), r
    # a guest user by name (from the guest's /etc/passwd) or by uid: fake identity
    p = write_profile(tmp_path, tiny_rootfs, name="nobody", extra="user: nobody\n")
    r = run_groot("run", p, "--", "sh", "-c", "id -u; id -g; echo $HOME")
    assert r.stdout.split() == ["65534", "65534", "/"], r
    p = write_profile(tmp_path, tiny_rootfs, name="uid", extra="user: 4321\n")
    r = run_groot("run", p, "--", "sh", "-c", "id -u; id -g")
    assert r.stdout.split() == ["4321", "4321"], r
    p = write_profile(tmp_path, tiny_rootfs, name="ghost", extra="user: ghost\n")
    r = run_groot("run", p, "--", "true")
    assert r.returncode == 2 and "ghost" in r.stderr, r


@pytest.mark.parametrize("how", ["direct", "view"])
def test_read_only_binds_give_erofs(groot, tmp_path, tiny_rootfs, how):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "f").write_text("data\n")
    opts = "ro,direct" if how == "direct" else "ro"
    p = write_profile(tmp_path, tiny_rootfs, name="ro",
                      extra=f"binds:\n  - {shared}:/ro:{opts}\n  - {shared}:/rw:direct\n")
    r = run_groot("run", p, "--", "sh", "-c",
                  "cat /ro/f; echo x >> /ro/f; touch /ro/new; rm /ro/f; mkdir /ro/d; "
                  "echo y >> /rw/f")
    assert r.stdout == "data\n", r
    assert r.stderr.count("Read-only file system") == 4, r
    assert (shared / "f").read_text() == "data\ny\n"
    assert sorted(os.listdir(shared)) == ["f"]


def test_mount_of_a_crashed_run_is_removed_by_the_next(groot, profile):
    """Runner and view killed together: nothing could unmount. The next run cleans up."""
    before = set(groot_mounts())
    proc = subprocess.Popen([str(GROOT), "run", str(profile), "--", "sleep", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline and set(groot_mounts()) == before:
        time.sleep(0.05)
    stale = set(groot_mounts()) - before
    assert stale, "the view never mounted"
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    victims = [proc.pid] + [int(p) for p in children.stdout.split()]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    r = run_groot("run", profile, "--", "true")
    assert r.returncode == 0, r
    deadline = time.time() + 10
    while time.time() < deadline and set(groot_mounts()) & stale:
        time.sleep(0.05)
    assert not (set(groot_mounts()) & stale), "the stale mount is still there"
    assert not any(os.path.exists(os.path.dirname(m)) for m in stale), \
        "the crashed run's directory is still there"


def test_device_nodes_under_fake_root_are_recorded(groot, tmp_path, tiny_rootfs):
    upper = tmp_path / "upper"
    p = write_profile(tmp_path, tiny_rootfs, name="dev", extra=(
        f"  upper: persistent\n  upper_path: {upper}\nuser: root\n"))
    r = run_groot("run", p, "--", "sh", "-c",
                  "mknod /tmp/null c 1 3 && mknod /tmp/blk b 8 1 && mkfifo /tmp/fifo && "
                  "stat -c '%F %t %T %u' /tmp/null /tmp/blk && stat -c %F /tmp/fifo && "
                  "echo discarded > /tmp/null && cat /tmp/null && "
                  "cd /tmp && echo discarded > null && cat null && echo end")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:4] == ["character special file 1 3 0", "block special file 8 1 0",
                                        "fifo", "end"], r
    # recorded, not created: a regular file in the upper layer, and it persists
    assert (upper / "tmp" / "null").is_file()
    r = run_groot("run", p, "--", "stat", "-c", "%F %t %T", "/tmp/null")
    assert r.stdout.strip() == "character special file 1 3", r


def test_a_missing_workdir_fails_clearly(tmp_path, tiny_rootfs):
    """groot run (unlike groot proot, which warns as PRoot does) refuses to start in a
    working directory the guest lacks, naming it."""
    p = write_profile(tmp_path, tiny_rootfs)
    r = run_groot("run", "-w", "/no/such/dir", p, "--", "pwd")
    assert r.returncode == 125 and "/no/such/dir" in r.stderr and not r.stdout, r
