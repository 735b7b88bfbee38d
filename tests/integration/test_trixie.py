# SPDX-License-Identifier: MIT
"""A real foreign guest: Debian trixie, through its own dynamic loader."""
import os
import pathlib
import stat
import shutil
import subprocess
import time

import pytest

from conftest import GROOT, as_root, run_chroot, run_groot, write_profile

pytestmark = pytest.mark.trixie


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("work")
    os.chmod(d, 0o777)
    return d


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs, work):
    return write_profile(tmp_path_factory.mktemp("profile"), trixie_rootfs, name="trixie",
                         extra=f"binds:\n  - {work}:/work:direct\nworkdir: /work\n")


@pytest.mark.root_subset
def test_bash_coreutils_python_perl(profile):
    r = run_groot("run", profile, "--", "bash", "-c",
                  "echo $BASH_VERSION; ls /usr/bin/ls; python3 -c 'import sys; print(sys.version_info[0])';"
                  " perl -e 'print 6*7, qq(\\n)'; cat /etc/debian_version")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].startswith("5."), r
    assert lines[1:4] == ["/usr/bin/ls", "3", "42"], r
    assert lines[4].startswith("13"), r


def test_guest_metadata_wins_for_files_on_both_sides(profile, trixie_rootfs):
    for path in ["/etc/os-release", "/usr/bin/bash", "/etc/passwd", "/usr/lib/os-release"]:
        host = os.lstat(str(trixie_rootfs) + path)
        r = run_groot("run", profile, "--", "stat", "-c", "%s %a %h %F", path)
        assert r.returncode == 0, r
        size, mode, links, kind = r.stdout.split(" ", 3)
        assert int(size) == host.st_size, (path, r)
        assert int(mode, 8) == stat.S_IMODE(host.st_mode), (path, r)
        assert kind.strip() == ("symbolic link" if stat.S_ISLNK(host.st_mode) else "regular file")
    r = run_groot("run", profile, "--", "cat", "/etc/os-release")
    assert r.stdout == (trixie_rootfs / "etc/os-release").read_text()


def test_statx_sees_guest_files(profile, trixie_rootfs):
    """coreutils' stat uses statx: the guest's file, not the host's."""
    r = run_groot("run", profile, "--", "python3", "-c",
                  "import os; print(os.stat('/etc/debian_version').st_size)")
    assert int(r.stdout) == os.stat(trixie_rootfs / "etc/debian_version").st_size, r


def test_getcwd_after_cd_through_a_symlink(profile):
    r = run_groot("run", profile, "--", "bash", "-c", "cd /lib && pwd && pwd -P && /bin/pwd")
    assert r.stdout.split() == ["/lib", "/usr/lib", "/usr/lib"], r


def test_readlink_of_absolute_links_in_the_guest(profile, trixie_rootfs):
    links = []
    for root, dirs, files in os.walk(trixie_rootfs / "etc/alternatives"):
        links = [f for f in files if os.path.islink(os.path.join(root, f))][:5]
        break
    assert links
    script = "; ".join(f"readlink /etc/alternatives/{name}" for name in links)
    r = run_groot("run", profile, "--", "bash", "-c", script)
    expected = [os.readlink(trixie_rootfs / "etc/alternatives" / name) for name in links]
    assert r.stdout.split() == expected, r


def test_find_matches_the_tree(profile, trixie_rootfs):
    r = run_groot("run", profile, "--", "find", "/etc", "-xdev")
    assert r.returncode == 0 or "Permission denied" in r.stderr, r
    guest = set(r.stdout.split())
    host = set()
    for root, dirs, files in os.walk(trixie_rootfs / "etc"):
        for name in dirs + files:
            host.add("/" + os.path.relpath(os.path.join(root, name), trixie_rootfs))
    host.add("/etc")
    readable = {p for p in host if os.access(os.path.dirname(str(trixie_rootfs) + p), os.R_OK | os.X_OK)}
    assert readable <= guest | {p for p in host if p not in readable}
    assert guest <= host, guest - host


def test_tar_round_trip(profile, work):
    r = run_groot("run", profile, "--", "bash", "-c",
                  "mkdir -p /work/src/sub && echo data > /work/src/sub/f && "
                  "ln -sf /etc/hostname /work/src/abs && "
                  "tar -C /work -cf /work/a.tar src && rm -rf /work/src && "
                  "tar -C /work -xf /work/a.tar && cat /work/src/sub/f && readlink /work/src/abs")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["data", "/etc/hostname"]


def test_unix_socket_server(profile, work):
    script = ("import socket, os, threading\n"
              "p='/work/sock'\n"
              "os.path.exists(p) and os.unlink(p)\n"
              "s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)\n"
              "print('bound', s.getsockname())\n"
              "def client():\n"
              "    c=socket.socket(socket.AF_UNIX); c.connect(p); c.send(b'ping'); c.close()\n"
              "threading.Thread(target=client).start()\n"
              "a,_=s.accept(); print(a.recv(4).decode())\n")
    r = run_groot("run", profile, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:2] == ["bound /work/sock", "ping"], r


def test_datagram_sender_address_is_the_guests(profile):
    """recvfrom and recvmsg name the sender by its guest path, as natively (a socket bound
    in the view has a host path in the kernel's eyes)."""
    script = ("import socket, os, array\n"
              "s, c = '/tmp/dg-srv.sock', '/tmp/dg-cli.sock'\n"
              "[os.path.exists(p) and os.unlink(p) for p in (s, c)]\n"
              "a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); a.bind(s)\n"
              "b = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); b.bind(c)\n"
              "b.sendto(b'x', s); print(a.recvfrom(8)[1])\n"
              "b.sendto(b'y', s); print(a.recvmsg(8)[3])\n")
    r = run_groot("run", profile, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:2] == ["/tmp/dg-cli.sock"] * 2, r


def test_multithreaded_program(profile):
    script = ("import threading, os\n"
              "out=[]\n"
              "def w(i):\n"
              "    out.append(os.stat('/etc/passwd').st_size > 0 and open('/etc/hostname').read() is not None)\n"
              "ts=[threading.Thread(target=w, args=(i,)) for i in range(16)]\n"
              "[t.start() for t in ts]; [t.join() for t in ts]\n"
              "print(sum(out))\n")
    r = run_groot("run", profile, "--", "python3", "-c", script)
    assert r.stdout.strip() == "16", r


def test_fork_storm_of_200(profile):
    r = run_groot("run", profile, "--", "bash", "-c",
                  "for i in $(seq 200); do /bin/true & done; wait; echo done", timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "done", r


@pytest.mark.root_subset
@pytest.mark.parametrize("sig", [2, 9, 15])
def test_signal_exit_codes(profile, sig):
    r = run_groot("run", profile, "--", "bash", "-c", f"kill -{sig} $$")
    assert r.returncode == 128 + sig, r


@pytest.mark.root_subset
def test_ls_matches_native_chroot(profile, trixie_rootfs):
    if not as_root():
        pytest.skip("the chroot ground truth needs root")
    cmd = ["ls", "-ln", "--time-style=+%s", "/usr/bin", "/etc"]
    native = run_chroot(trixie_rootfs, *cmd)
    r = run_groot("run", profile, "--", *cmd)
    assert r.stdout == native.stdout, r


def test_dotdot_from_a_removed_working_directory(tmp_path, trixie_rootfs):
    """A removed cwd keeps its parent: "..", "../.." and cd .. work as natively (the
    tracer walked from the cwd's "(deleted)" name and found nothing)."""
    p = write_profile(tmp_path, trixie_rootfs, name="rmcwd", extra="  upper: ephemeral\n")
    d = f"/tmp/rmcwd-{os.getpid()}"
    script = (f"mkdir {d} && cd {d} && rmdir {d} && ls -d .. ../.. && stat -c %n ../../tmp && "
              "cd .. && pwd && /bin/pwd")
    want = "..\n../..\n../../tmp\n/tmp\n/tmp\n"
    for extra in ([], ["--no-fast-path"]):
        r = run_groot("run", *extra, p, "--", "bash", "-c", script)
        assert (r.returncode, r.stdout) == (0, want), (extra, r)
    if as_root():
        native = run_chroot(trixie_rootfs, "bash", "-c", script)
        assert (native.returncode, native.stdout) == (0, want), native


DATAGRAM_REPLY = """
import socket, os
d = "/tmp/" + "d" * 80
os.makedirs(d, exist_ok=True)
server, client = d + "/s.sock", d + "/c.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(server)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); c.bind(client)
c.sendto(b"x", server)
data, sender = s.recvfrom(9)
print(sender == client, sender[:5])
s.sendto(b"reply", sender)
print(c.recv(9))
"""


def test_a_datagram_from_a_long_socket_path_can_be_answered(tmp_path, trixie_rootfs):
    """recvfrom gives the sender's guest path, also for a socket bound at a path too
    long for sun_path once under the view (it came back as /.groot-socket-HASH, and
    the reply failed with ENOENT)."""
    p = write_profile(tmp_path, trixie_rootfs, name="dgram", extra="  upper: ephemeral\n")
    r = run_groot("run", p, "--", "python3", "-c", DATAGRAM_REPLY)
    assert (r.returncode, r.stdout) == (0, "True /tmp/\nb'reply'\n"), r


def test_unix_socket_path_longer_than_sun_path_after_prefixing(tmp_path, trixie_rootfs):
    """87 bytes in the guest, well over 108 once under the view's mountpoint."""
    p = write_profile(tmp_path, trixie_rootfs, name="sock", extra="  upper: ephemeral\n")
    script = ("import socket, os, stat, threading\n"
              "d = '/tmp/' + 'd' * 60\n"
              "os.makedirs(d)\n"
              "p = d + '/sock-with-a-long-name'\n"
              "s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)\n"
              "print(s.getsockname() == p, stat.S_ISSOCK(os.stat(p).st_mode))\n"
              "def client():\n"
              "    c = socket.socket(socket.AF_UNIX); c.connect(p)\n"
              "    print(c.getpeername() == p); c.send(b'ping'); c.close()\n"
              "t = threading.Thread(target=client); t.start()\n"
              "a, _ = s.accept(); t.join(); print(a.recv(4).decode())\n"
              "print(sorted(n for n in os.listdir('/') if n.startswith('.groot-socket')))\n")
    r = run_groot("run", p, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:4] == ["True True", "True", "ping", "[]"], r


def test_paths_near_path_max_behave_as_natively(tmp_path, trixie_rootfs):
    """A 4070-byte guest path works although the mountpoint (/tmp/groot-UID/XXXXXX/mnt) makes
    it longer than PATH_MAX; one of 4096 bytes is ENAMETOOLONG, as natively. (The way around,
    /proc/TRACER/fd/ROOT/..., is shorter than the mountpoint but not empty: the last ~17
    bytes below PATH_MAX still fail early.)"""
    p = write_profile(tmp_path, trixie_rootfs, name="long", extra="  upper: ephemeral\n")
    script = ("import os, errno\n"
              "parts = ['/tmp'] + ['d' * 250] * 16\n"
              "d = '/'.join(parts)\n"
              "os.makedirs(d)\n"
              "f = d + '/' + 'f' * (4070 - len(d) - 1)\n"
              "open(f, 'w').write('deep')\n"
              "print(len(f), open(f).read(), os.stat(f).st_size)\n"
              "try:\n"
              "    os.stat(f + 'x' * (4096 - len(f)))\n"
              "except OSError as e:\n"
              "    print(errno.errorcode[e.errno])\n")
    base = pathlib.Path(f"/tmp/groot-{os.getuid()}")
    if os.environ.get("XDG_RUNTIME_DIR") and os.access(os.environ["XDG_RUNTIME_DIR"], os.W_OK | os.X_OK):
        base = pathlib.Path(os.environ["XDG_RUNTIME_DIR"]) / "groot"
    before = set(os.listdir(base)) if base.exists() else set()
    r = run_groot("run", p, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["4070", "deep", "4", "ENAMETOOLONG"], r
    # Its ephemeral upper layer, deeper than PATH_MAX, went with the run.
    assert set(os.listdir(base)) <= before, sorted(set(os.listdir(base)) - before)


def test_orphans_and_daemons_are_followed(profile, work):
    """The guest's first process exits at once; its orphaned child still runs (and is still
    traced: its paths are the guest's) until it is done, and groot waits for it."""
    marker = work / "orphan-done"
    if marker.exists():
        marker.unlink()
    r = run_groot("run", profile, "--", "bash", "-c",
                  "(sleep 1; cat /etc/debian_version > /work/orphan-done) & disown; exit 5")
    assert r.returncode == 5, r
    assert marker.read_text().startswith("13"), "the orphan did not finish inside the guest"


@pytest.fixture(scope="module")
def root_profile(tmp_path_factory, trixie_rootfs):
    return write_profile(tmp_path_factory.mktemp("root-profile"), trixie_rootfs, name="trixie-root",
                         extra="user: root\n")


# Capabilities as the kernel keeps them through set*id, capset, prctl and exec.
CAPABILITY_PROBE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
header = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)()
def caps():
    assert libc.capget(header, data) == 0, ctypes.get_errno()
    return data[0] | data[3] << 32, data[1] | data[4] << 32
effective, permitted = caps()
bounding = sum(1 << c for c in range(64) if libc.prctl(23, c, 0, 0, 0) == 1)
print("root", effective == permitted == bounding != 0)
print("keepcaps", libc.prctl(7, 0, 0, 0, 0), libc.prctl(8, 1, 0, 0, 0), libc.prctl(7, 0, 0, 0, 0))
os.setresuid(6, 6, 6)
effective, permitted = caps()
print("dropped", effective, permitted == bounding)
try:
    os.setresgid(12, 12, 12)
except PermissionError:
    print("setresgid EPERM without CAP_SETGID in the effective set")
data[0], data[3] = data[1], data[4]
print("capset", libc.capset(header, data))
os.setresgid(12, 12, 12)
os.setgroups([])
print("ids", os.getresuid(), os.getresgid(), os.getgroups())
data[0] &= ~(1 << 22)
data[1] &= ~(1 << 22)
print("capset dropping CAP_SYS_BOOT", libc.capset(header, data))
data[1] |= 1 << 22
print("capset beyond permitted", libc.capset(header, data), ctypes.get_errno(), flush=True)
os.execv("/usr/bin/python3", ["python3", "-c",
         "import os; os.setresuid(0, 0, 0)"])
"""


def test_capabilities_follow_the_kernels_rules(root_profile, trixie_rootfs):
    r = run_groot("run", root_profile, "--", "python3", "-c", CAPABILITY_PROBE)
    if as_root():
        native = run_chroot(trixie_rootfs, "python3", "-c", CAPABILITY_PROBE)
        assert (r.stdout, r.returncode) == (native.stdout, native.returncode), (r, native)
    lines = r.stdout.splitlines()
    assert lines[:2] == ["root True", "keepcaps 0 0 1"], r
    assert lines[2] == "dropped 0 True", r
    assert lines[3] == "setresgid EPERM without CAP_SETGID in the effective set", r
    assert lines[4:8] == ["capset 0", "ids (6, 6, 6) (12, 12, 12) []", "capset dropping CAP_SYS_BOOT 0",
                          "capset beyond permitted -1 1"], r
    # After exec as a user, no capability is left: setresuid(0) fails as it does natively.
    assert r.returncode == 1 and "PermissionError" in r.stderr, r


def test_setpriv_drops_to_a_user_like_the_kernel(root_profile, trixie_rootfs):
    cmd = ["setpriv", "--reuid", "man", "--regid", "man", "--clear-groups", "id"]
    r = run_groot("run", root_profile, "--", *cmd)
    assert r.returncode == 0 and r.stderr == "", r
    if as_root():
        assert r.stdout == run_chroot(trixie_rootfs, *cmd).stdout
    assert r.stdout == "uid=6(man) gid=12(man) groups=12(man)\n", r
    # and back is refused: the user kept no capability across the exec
    r = run_groot("run", root_profile, "--", "setpriv", "--reuid", "man", "--regid", "man",
                  "--clear-groups", "setpriv", "--reuid", "root", "id")
    assert r.returncode != 0 and "setresuid failed: Operation not permitted" in r.stderr, r


# Root makes files, then really becomes nobody (groot itself run by root, user: host).
DROPPED_BY_ROOT = r"""
mkdir -p "$1" && cd "$1" && chmod 755 . && echo data > pub && echo data > secret
chmod 600 secret; echo a > s; chmod 4777 s; mkdir open; chmod 1777 open
setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c '
  cat pub; cat secret 2>&1 | sed "s/.*: //"; echo b >> s; stat -c "%a %U" s
  touch new 2>&1 | sed "s/.*: //"; id -un; /usr/bin/true && echo exec-ok
  echo x > open/mine; mkdir open/dir; ln -s mine open/link; stat -c "%U:%G" open/*'
cd / && rm -rf "$1"
"""


@pytest.mark.root_subset
@pytest.mark.skipif(not as_root(), reason="a process can really drop root only in a root session")
def test_a_process_that_really_drops_root_sees_the_guest(tmp_path, trixie_rootfs):
    """groot run by root, user: host: after setpriv the process is nobody for real; the view
    (allow_other, judged by the kernel) and the programs it runs behave as under chroot,
    without groot-fast.so (nobody may not open the tracer's fd of it)."""
    where = f"/tmp/dropped-{os.getpid()}"
    native = run_chroot(trixie_rootfs, "sh", "-c", DROPPED_BY_ROOT, "d", where)
    assert native.stdout == ("data\nPermission denied\n777 root\nPermission denied\nnobody\n"
                             "exec-ok\n" + "nobody:nogroup\n" * 3), native
    p = write_profile(tmp_path, trixie_rootfs, name="host", extra="  upper: ephemeral\nuser: host\n")
    r = run_groot("run", p, "--", "sh", "-c", DROPPED_BY_ROOT, "d", where)
    assert (r.stdout, r.returncode) == (native.stdout, native.returncode), (r, native)
    assert "preload" not in r.stderr, r


def test_proc_self_exe_runs_the_program_and_stays_a_link(profile):
    r = run_groot("run", profile, "--", "bash", "-c",
                  '/proc/self/exe -c "echo \\$BASH_VERSION"; /proc/$$/exe -c "echo again";'
                  " stat -c %F /proc/self/exe; stat -L -c %F /proc/self/exe;"
                  " rm -f /proc/self/exe; echo rm=$?; test -x /usr/bin/rm && echo rm-kept")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("5.") and lines[1] == "again", r
    assert lines[2:] == ["symbolic link", "regular file", "rm=1", "rm-kept"], r
    assert "Operation not permitted" in r.stderr, r


# PR_SET_DUMPABLE 0 (sudo, gpg-agent, ssh-agent) must not cut the tracer off the
# process's memory: its paths are still the guest's, and the flag reads back.
DUMPABLE_PROBE = r"""
import ctypes, functools, os
print = functools.partial(print, flush=True)
libc = ctypes.CDLL(None, use_errno=True)
print("initially", libc.prctl(3, 0, 0, 0, 0))
print("set 0", libc.prctl(4, 0, 0, 0, 0), libc.prctl(3, 0, 0, 0, 0))
fd = libc.syscall(257, -100, b"/etc/debian_version", 0)  # raw: no fast path
print("raw open reads", os.read(fd, 64).decode().strip())
print("set 2", libc.prctl(4, 2, 0, 0, 0), ctypes.get_errno())
pid = os.fork()
if pid == 0:
    print("forked child", libc.prctl(3, 0, 0, 0, 0), flush=True)
    os.execv("/usr/bin/python3", ["python3", "-c",
             "import ctypes; print('after exec', ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"])
os.waitpid(pid, 0)
libc.prctl(4, 1, 0, 0, 0)
os.setresuid(6, 6, 6)
print("after setresuid", libc.prctl(3, 0, 0, 0, 0))
"""


@pytest.mark.root_subset
def test_an_undumpable_process_still_sees_the_guest(root_profile, trixie_rootfs):
    r = run_groot("run", root_profile, "--", "python3", "-c", DUMPABLE_PROBE)
    guest_version = (trixie_rootfs / "etc" / "debian_version").read_text().strip()
    suid_dumpable = int(open("/proc/sys/fs/suid_dumpable").read())
    assert r.stdout.splitlines() == [
        "initially 1", "set 0 0 0", f"raw open reads {guest_version}", "set 2 -1 22",
        "forked child 0", "after exec 1",
        f"after setresuid {1 if suid_dumpable == 1 else 0}"], r
    if as_root():
        native = run_chroot(trixie_rootfs, "python3", "-c", DUMPABLE_PROBE)
        assert native.stdout == r.stdout, (r, native)


@pytest.mark.parametrize("user", ["host", "root"])
def test_o_direct_reads_and_writes(tmp_path, trixie_rootfs, user):
    """Databases and image tools write with O_DIRECT: aligned I/O works as natively."""
    p = write_profile(tmp_path, trixie_rootfs, name="direct",
                      extra=f"  upper: ephemeral\nuser: {user}\n")
    r = run_groot("run", p, "--", "sh", "-c",
                  "dd if=/dev/urandom of=/tmp/f bs=4096 count=4 oflag=direct status=none &&"
                  " stat -c %s /tmp/f && dd if=/tmp/f iflag=direct bs=4096 status=none |"
                  " cmp - /tmp/f && echo same")
    assert (r.returncode, r.stdout) == (0, "16384\nsame\n"), r


SPARSE_PROBE = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.pwrite(fd, b"x", 100 * 1024 * 1024)
os.pwrite(fd, b"y", 8192 * 4)
print("data", os.lseek(fd, 0, os.SEEK_DATA), "hole", os.lseek(fd, 0, os.SEEK_HOLE),
      "data after", os.lseek(fd, 40000, os.SEEK_DATA))
try:
    os.lseek(fd, 200 * 1024 * 1024, os.SEEK_DATA)
except OSError as e:
    print("past the end", e.errno)
"""


@pytest.mark.parametrize("user", ["host", "root"])
def test_seek_data_and_hole_find_the_holes(tmp_path, trixie_rootfs, user):
    """tar --sparse, cp and backup tools ask where a file's holes are."""
    p = write_profile(tmp_path, trixie_rootfs, name="sparse",
                      extra=f"  upper: ephemeral\nuser: {user}\n")
    r = run_groot("run", p, "--", "python3", "-c", SPARSE_PROBE, "/tmp/sparse")
    # Ground truth: the same calls on the host, on the file system the upper layer is on.
    native = subprocess.run(["python3", "-c", SPARSE_PROBE, str(tmp_path / "sparse")],
                            capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == native.stdout, (r, native.stdout)
    assert r.stdout.startswith("data 32768 hole 0"), r


SIGINFO_PROBE = r"""
cd /tmp && cat > siginfo.c <<'X'
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int uid = -1, got;
static void handler(int s, siginfo_t *info, void *context) { uid = info->si_uid; got = 1; }
int main(void)
{
	struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
	siginfo_t info;
	pid_t child;

	sigset_t blocked, none;

	sigemptyset(&none);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blocked, 0); /* no wakeup lost between the test and the wait */
	sigaction(SIGCHLD, &sa, 0);
	sigaction(SIGUSR1, &sa, 0);
	if (!(child = fork()))
		_exit(0);
	while (!got)
		sigsuspend(&none);
	printf("SIGCHLD handler si_uid %d\n", uid);
	waitid(P_PID, child, &info, WEXITED);
	printf("waitid si_uid %d\n", info.si_uid);
	got = 0;
	kill(getpid(), SIGUSR1);
	while (!got)
		sigsuspend(&none);
	printf("kill si_uid %d\n", uid);
	return 0;
}
X
cc -o siginfo siginfo.c && ./siginfo
"""


@pytest.mark.root_subset
def test_signals_name_the_senders_fake_uid(root_profile, trixie_rootfs):
    r = run_groot("run", root_profile, "--", "sh", "-c", SIGINFO_PROBE)
    assert r.stdout == "SIGCHLD handler si_uid 0\nwaitid si_uid 0\nkill si_uid 0\n", r


RECORDS = r"""
mkdir -p /tmp/ev && cd /tmp/ev && chmod 777 .
setpriv --reuid 65534 --regid 65534 --clear-groups sh -c 'mkfifo p; ln -s x l; chmod 0477 p'
mkfifo p2; chown 123:456 p2; ln -s y l2; chown -h 7:8 l2
a=$(stat -c %Z p2); sleep 1.1; chown 124 p2; chown -h 9 l2
[ "$(stat -c %Z p2)" -gt "$a" ] && [ "$(stat -c %Z l2)" -gt "$a" ] && echo ctime moved
stat -c '%n %u %g %a' p l p2 l2
echo ready; read line; cd /tmp/ev
stat -c '%n %u %g %a' p l p2 l2
"""


@pytest.mark.root_subset
def test_fake_owners_of_fifos_and_symlinks_survive_eviction(root_profile):
    """FIFOs and symlinks carry no xattr: their records live in the view,
    which must keep them when the kernel forgets the inodes; a chown of
    them moves their ctime, as a real one would."""
    proc = subprocess.Popen([str(GROOT), "run", str(root_profile), "--", "sh", "-c", RECORDS],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        if line.strip() == "ready":
            break
        lines.append(line.strip())
    if as_root():  # the kernel forgets every unused inode of the view
        subprocess.run(["sync"])
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    out, err = proc.communicate("go\n", timeout=60)
    expected = ["p 65534 65534 477", "l 65534 65534 777", "p2 124 456 644", "l2 9 8 777"]
    assert lines == ["ctime moved"] + expected, (lines, err)
    assert out.split("\n")[:4] == expected, (out, err)


def test_fake_root_mknod_at_a_long_relative_path(root_profile):
    """A device node is recorded by the tracer: at any length the kernel takes."""
    r = run_groot("run", root_profile, "--", "bash", "-c",
                  'cd /tmp && n=$(printf "%0250d" 0) && p=$n && '
                  'while [ ${#p} -lt 3800 ]; do mkdir -p $p; p=$p/$n; done; '
                  'f="${p%/*}/$(printf "%0200d" 1)"; echo ${#f}; mknod "$f" c 1 3 && '
                  'stat -c "%F %t:%T" "$f"')
    assert r.stdout.split("\n")[1:3] == ["character special file 1:3", ""], r
    assert int(r.stdout.split("\n")[0]) > 3900, r


BRK_PROBE = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>
extern char end;
int main(void) {
	char *start = sbrk(0), *grown = sbrk(8 << 20);
	if (grown == (void *)-1) { puts("sbrk failed"); return 1; }
	memset(grown, 1, 8 << 20);
	/* Within 1 MiB of the program's end (static glibc takes its TLS from the brk first). */
	printf("%d %d\n", start >= &end && start - &end < (1 << 20), (char *)sbrk(0) - start >= (8 << 20));
	return 0;
}
"""


@pytest.mark.root_subset
@pytest.mark.parametrize("link", ["-static", "-no-pie"])
def test_a_fixed_address_program_has_its_brk_after_its_bss(profile, work, trixie_rootfs, link):
    """An ET_EXEC program (static or dynamic, not position-independent): its heap
    starts at its own end, as the kernel places it (without ASLR: setarch -R,
    which the loader-shim honours), not after the loader-shim, and grows."""
    (work / "brk.c").write_text(BRK_PROBE)
    r = run_groot("run", profile, "--", "sh", "-c",
                  f"gcc -O2 {link} -o /work/brk-{link[1:]} /work/brk.c && "
                  f"setarch -R /work/brk-{link[1:]}")
    assert r.returncode == 0, r
    # Without randomization the heap begins at the program's end, then grows by 8 MiB.
    assert r.stdout.split() == ["1", "1"], r
    if as_root() and shutil.which("setarch"):
        native = subprocess.run(["setarch", "-R", str(work / f"brk-{link[1:]}")],
                                capture_output=True, text=True)
        assert native.stdout == r.stdout, native


PIE_PROBE = r"""
#include <stdio.h>
#include <unistd.h>
extern char __executable_start, end;
int main(void) {
	char *start = sbrk(0);
	printf("%p %d\n", (void *)&__executable_start, start >= &end && start - &end < (1L << 30) + 8192);
	return 0;
}
"""


def test_a_position_independent_program_is_placed_as_the_kernel_places_it(profile, work):
    """ASLR for a PIE program: a random base from ELF_ET_DYN_BASE (0x555555554000) at
    each run, that base itself under setarch -R, and its brk after its own bss; the
    loader-shim put every PIE program at one fixed place below itself."""
    (work / "pie.c").write_text(PIE_PROBE)
    r = run_groot("run", profile, "--", "sh", "-c",
                  "gcc -O2 -pie -fpie -o /work/pie /work/pie.c && "
                  "/work/pie && /work/pie && /work/pie && setarch -R /work/pie")
    assert r.returncode == 0, r
    runs = [line.split() for line in r.stdout.splitlines()]
    assert [brk for _, brk in runs] == ["1"] * 4, r
    assert runs[3][0] == "0x555555554000", r
    bases = [int(base, 16) for base, _ in runs[:3]]
    if pathlib.Path("/proc/sys/kernel/randomize_va_space").read_text().strip() != "0":
        assert len(set(bases)) == 3, r
    assert all(0x555555554000 <= b < 0x555555554000 + (1 << 40) for b in bases), r


@pytest.mark.parametrize("mode", ["default", "no-notify", "no-fast-path"])
def test_a_read_only_bind_refuses_writes_however_named(tmp_path, trixie_rootfs, mode):
    """EROFS for a change in a read-only direct bind whether its path is
    absolute, relative to a cwd in the bind, through a symlink, with ".." or
    "//": by the fast path, the notification thread and the tracer alike."""
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "f").write_text("data\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(ro, 0o777)
    p = write_profile(tmp_path, trixie_rootfs, name="ro",
                      extra=f"  upper: ephemeral\nbinds:\n  - {ro}:/rw:ro,direct\n")
    script = ("cd /rw; echo x > f; echo x > ./new; mkdir d; cd /tmp; ln -s /rw /tmp/lrw; "
              "echo x > /tmp/lrw/f; echo x > ../rw/f; echo x > //rw/f; touch /rw/t; "
              "python3 -c 'import os; os.open(\"/tmp/lrw/f\", os.O_WRONLY)'; "
              "cat /rw/f; ls /rw")
    extra = ["--no-fast-path"] if mode == "no-fast-path" else []
    env = {"GROOT_NO_NOTIFY": "1"} if mode != "default" else None
    r = run_groot("run", *extra, p, "--", "bash", "-c", script, env=env)
    assert r.stdout == "data\nf\n", r
    assert r.stderr.count("Read-only file system") == 8, r
    assert (ro / "f").read_text() == "data\n" and sorted(os.listdir(ro)) == ["f"]


def python_natively_and_in_the_guest(tmp_path, rootfs, script, *options):
    """script (Python; argv[1]: a fresh directory to work in) run natively as the
    invoking user, then in the guest: the two outputs."""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = subprocess.run(["python3", "-c", script, str(native_dir)], capture_output=True,
                            text=True, timeout=60)
    assert native.returncode == 0, native
    p = write_profile(tmp_path, rootfs, name="compare", extra="  upper: ephemeral\n")
    r = run_groot("run", *options, p, "--", "sh", "-c",
                  'mkdir /tmp/t && exec python3 -c "$1" /tmp/t', "sh", script)
    assert r.returncode == 0, r
    return native.stdout, r.stdout


LAST_DOT_NAMES = r"""
import errno, os, sys
os.chdir(sys.argv[1])
os.makedirs("a/b"); os.mkdir("x")
def t(name, call, *args):
    try:
        call(*args); print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
t("rename-dotdot", os.rename, "a/b/..", "c")
t("rename-dot", os.rename, "a/b/.", "c")
t("rename-dotdot-slash", os.rename, "a/b/../", "c")
t("rename-dotdot-dot", os.rename, "a/../a/b/../.", "c")
t("rename-onto-dotdot", os.rename, "x", "a/b/..")
t("rmdir-dotdot", os.rmdir, "a/b/..")
t("rmdir-dot", os.rmdir, "a/b/.")
t("unlink-dotdot", os.unlink, "a/b/..")
t("link-dotdot", os.link, "a/b/..", "z")
t("symlink-dotdot", os.symlink, "t", "a/b/..")
t("mkdir-dotdot", os.mkdir, "a/b/..")
t("mkfifo-dotdot", os.mkfifo, "a/b/..")
t("rmdir-root-dotdot", os.rmdir, "/..")
t("rmdir-root-dotdot-slash", os.rmdir, "/../")
t("mkdir-root-dotdot", os.mkdir, "/..")
os.chdir("/")
t("rmdir-dotdot-from-root", os.rmdir, "..")
libc = __import__("ctypes").CDLL(None, use_errno=True)
r = libc.unlinkat(-100, b"/..", 0x200 | 1)  # AT_REMOVEDIR and a flag unlinkat does not know
print("unlinkat-bad-flag", r, errno.errorcode[__import__("ctypes").get_errno()])
os.chdir(sys.argv[1])
print("lookup", sorted(os.listdir("a/b/..")), os.stat("a/b/..").st_ino == os.stat("a").st_ino)
print("left", sorted(os.listdir(".")))
"""


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "tracer"])
def test_a_last_dot_or_dotdot_is_refused_as_natively(tmp_path, trixie_rootfs, fast):
    """rename("a/b/..", c) is EBUSY, not a rename of a (the '..' walk must not
    resolve the last name away); lookups through it still reach the parent."""
    native, guest = python_natively_and_in_the_guest(
        tmp_path, trixie_rootfs, LAST_DOT_NAMES, *(() if fast else ("--no-fast-path",)))
    assert "rename-dotdot EBUSY" in native, native
    assert guest == native


EPOLL_ON_FILES = r"""
import errno, os, select, socket
ep = select.epoll()
def t(name, fd):
    try:
        ep.register(fd, select.EPOLLIN); ep.unregister(fd); print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
t("file", os.open("/etc/hostname", os.O_RDONLY))
t("directory", os.open("/etc", os.O_RDONLY))
t("pipe", os.pipe()[0])
s = socket.socket()
t("socket", s.fileno())
"""


def test_epoll_refuses_the_views_files_as_natively(tmp_path, trixie_rootfs):
    """Regular files and directories cannot be polled (EPERM; asyncio and libuv
    fall back on it), though FUSE gives the view's a poll."""
    native = subprocess.run(["python3", "-c", EPOLL_ON_FILES], capture_output=True, text=True,
                            timeout=60)
    assert native.stdout.split("\n")[0] == "file EPERM", native
    p = write_profile(tmp_path, trixie_rootfs, name="epoll")
    r = run_groot("run", p, "--", "python3", "-c", EPOLL_ON_FILES)
    assert r.returncode == 0, r
    assert r.stdout == native.stdout, (r, native.stdout)


OPEN_FILES_OUTLIVE_THEIR_MODE = r"""
import errno, os, sys
os.chdir(sys.argv[1])
def t(name, f):
    try: print(name, f())
    except OSError as e: print(name, errno.errorcode[e.errno])
fd = os.open("ro", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o444)
t("write-created-444", lambda: os.write(fd, b"hello"))
t("pread-created-444", lambda: os.pread(fd, 5, 0))
t("ftruncate-444", lambda: os.ftruncate(fd, 3))
os.close(fd)
t("size", lambda: os.stat("ro").st_size)
t("reopen-rw", lambda: os.open("ro", os.O_RDWR))
t("truncate-path", lambda: os.truncate("ro", 1))
fd = os.open("rw", os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b"abc")
os.chmod("rw", 0)
t("write-after-chmod-0", lambda: os.write(fd, b"def"))
t("pread-after-chmod-0", lambda: os.pread(fd, 6, 0))
t("mode", lambda: oct(os.stat("rw").st_mode & 0o7777))
fd = os.open("zero", os.O_CREAT | os.O_RDWR, 0)
t("ftruncate-created-000", lambda: os.ftruncate(fd, 5))
t("write-created-000", lambda: os.write(fd, b"x"))
"""


@pytest.mark.skipif(as_root(), reason="root may open any file")
@pytest.mark.parametrize("bind", [False, True], ids=["kernel-judges", "with-a-bind"])
def test_an_open_file_outlives_its_mode(tmp_path, trixie_rootfs, bind):
    """An fd open(2) returned keeps its access whatever the file's mode says now
    (git writes its objects through O_CREAT|O_EXCL, 0444); a new open is judged.
    Without binds the view has no handles; with one, requests carry them."""
    (tmp_path / "shared").mkdir()
    native, guest = python_natively_and_in_the_guest(
        tmp_path, trixie_rootfs, OPEN_FILES_OUTLIVE_THEIR_MODE,
        *(("-b", f"{tmp_path}/shared:/mnt/shared") if bind else ()))
    assert "write-created-444 5" in native, native
    assert guest == native
    p = write_profile(tmp_path, trixie_rootfs, name="git", extra="  upper: ephemeral\n")
    r = run_groot("run", p, "--", "sh", "-c",
                  "cd /tmp && git init -q r && cd r && echo a > f && git add f && "
                  "git -c user.name=t -c user.email=t@t commit -qm one && git fsck && git log --oneline")
    assert r.returncode == 0 and r.stdout.endswith(" one\n"), r


WHITEOUT_SHAPED_DEVICE = r"""
import errno, os, stat, sys
os.chdir(sys.argv[1])
os.mknod("w", stat.S_IFCHR | 0o644, os.makedev(0, 0))
st = os.lstat("w")
print(os.listdir("."), stat.S_ISCHR(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev),
      oct(st.st_mode & 0o777), st.st_uid == os.getuid())
try:
    os.mkfifo("w")
except OSError as e:
    print("mkfifo", errno.errorcode[e.errno])
os.unlink("w")
print(os.listdir("."))
"""


@pytest.mark.skipif(as_root(), reason="the unprivileged case: root may make any device")
def test_a_user_makes_a_whiteout_shaped_device(tmp_path, trixie_rootfs):
    """Anyone may mknod a 0:0 character device (Linux 5.8+: overlay whiteouts); in
    the writable layer a real one would read as a whiteout, and vanish."""
    native, guest = python_natively_and_in_the_guest(tmp_path, trixie_rootfs,
                                                     WHITEOUT_SHAPED_DEVICE)
    assert native.startswith("['w'] True 0 0"), native
    assert guest == native


def test_a_lower_layers_device_changed_by_fake_root_stays_a_device(tmp_path, trixie_rootfs):
    """Copied up by a user, a device becomes a regular file with the device
    recorded on it; chmod, chown and link must then act on the device the
    guest sees, as they do natively as root (chmod failed with EIO: the view
    took the copy's type for the device's)."""
    layer = os.environ.get("GROOT_DEVICE_LAYER")
    if not layer:
        pytest.skip("no device layer (scripts/check.sh makes one as root)")
    profile = write_profile(tmp_path, trixie_rootfs,
                            extra=f"  layers:\n    - {layer}\n  upper: ephemeral\n")
    r = run_groot("run", "-0", profile, "--", "sh", "-c",
                  "chmod 600 /opt/devs/null && chown 5:6 /opt/devs/null && "
                  "ln /opt/devs/null /opt/devs/l && "
                  "stat -c '%F %a %u %g %t:%T %h' /opt/devs/null /opt/devs/l")
    assert r.returncode == 0, r
    assert r.stdout == "character special file 600 5 6 1:3 2\n" * 2, r


FEXECVE = r"""
import os, sys
for name, flags in (("cloexec", os.MFD_CLOEXEC), ("kept", 0)):
    fd = os.memfd_create(name, flags)
    with open("/bin/echo", "rb") as f:
        os.write(fd, f.read())
    pid = os.fork()
    if pid == 0:
        os.execve(fd, ["echo", "from", name], {})
    _, status = os.waitpid(pid, 0)
    print("status", os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.mark.parametrize("user", ["host", "root"])
def test_fexecve_of_a_memfd_as_natively(profile, user):
    """fexecve of a memfd, with and without MFD_CLOEXEC (Python's default): the exec
    closes a CLOEXEC fd, so the shim opens the tracer's copy of it. Ground truth: the
    host's python3 running the same script (with its own echo)."""
    native = subprocess.run(["python3", "-c", FEXECVE], capture_output=True, text=True,
                            timeout=60)
    assert native.returncode == 0, native
    r = run_groot("run", *(["-0"] if user == "root" else []), profile, "--",
                  "python3", "-c", FEXECVE)
    assert (r.returncode, r.stdout, r.stderr) == (0, native.stdout, ""), r


FD_EXEC = r"""exec 3</usr/bin/true
/proc/self/fd/3; echo "self $?"; /dev/fd/3; echo "dev-fd $?"; /proc/thread-self/fd/3; echo "thread-self $?"
/proc/$$/fd/3; echo "pid $?"; exec 3<&-; /dev/fd/3 2>/dev/null; echo "closed $?"
"""


@pytest.mark.parametrize("user", ["host", "root"])
def test_exec_through_the_callers_own_fd_links(profile, user):
    """Running a program through /proc/self/fd/N or /dev/fd/N (runc's memfd pattern): the
    tracer opened its own /proc/self; ground truth, the same script run natively."""
    native = subprocess.run(["bash", "-c", FD_EXEC], capture_output=True, text=True, timeout=30)
    r = run_groot("run", *(["-0"] if user == "root" else []), profile, "--", "bash", "-c", FD_EXEC)
    assert (r.returncode, r.stdout) == (native.returncode, native.stdout), (r, native.stdout)


GUEST_SOCKETS = r"""
import os, socket
c = socket.socket(socket.AF_UNIX)
c.connect("/mnt/sk/hsock")
print("guest got", c.recv(5).decode(), flush=True)
s = socket.socket(socket.AF_UNIX)
s.bind("/mnt/sk/gsock")
s.listen(1)
s.settimeout(20)
print("bound", s.getsockname(), flush=True)
open("/mnt/sk/ready", "w").close()
a, _ = s.accept()
a.send(b"guest")
a.close()
"""


def test_unix_sockets_reach_the_host_through_a_bind(profile, tmp_path):
    """A socket in a bind through the view (dev-shell's home, its X11 bind): the view's node of
    a socket is not the socket, so host and guest refused each other (ECONNREFUSED). The
    tracer now uses the bind's host path, both ways; getsockname still names the guest path."""
    import socket
    import threading
    sk = tmp_path / "sk"
    sk.mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sk / "hsock"))
    server.listen(1)
    server.settimeout(30)

    def serve():
        conn, _ = server.accept()
        conn.send(b"hello")
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    guest = subprocess.Popen([str(GROOT), "run", "-b", f"{sk}:/mnt/sk", str(profile), "--",
                              "python3", "-c", GUEST_SOCKETS],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if (sk / "ready").exists():
                break
            time.sleep(0.05)
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(sk / "gsock"))
        got = client.recv(5)
        out, err = guest.communicate(timeout=30)
    finally:
        guest.kill()
        thread.join(5)
        server.close()
    assert got == b"guest"
    assert (guest.returncode, out) == (0, "guest got hello\nbound /mnt/sk/gsock\n"), err
