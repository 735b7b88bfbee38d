# SPDX-License-Identifier: MIT
"""/proc files about guest processes read as a chrooted process reads them: the mount
table holds the guest's mounts at guest paths, status shows the fake identity and no
tracer, and a stopped process is "T" (ground truth: the same script run natively)."""
import os
import subprocess

import pytest

from conftest import GROOT, write_profile

pytestmark = pytest.mark.trixie


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs):
    return write_profile(tmp_path_factory.mktemp("profile"), trixie_rootfs, name="trixie")


def guest(profile, script, *options):
    r = subprocess.run([str(GROOT), "run", *options, str(profile), "--", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout


def native(script):
    r = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout


def mountinfo_points(text):
    return [line.split()[4] for line in text.splitlines()]


@pytest.mark.root_subset
def test_the_mount_table_is_the_guests(profile, tmp_path):
    """The view is "/", first; /proc, /dev, /sys and a bind are at their guest paths; no
    host mount point (groot's own mountpoint included) shows."""
    (tmp_path / "marker").write_text("x")
    info = guest(profile, "cat /proc/self/mountinfo", "-b", f"{tmp_path}:/srv/data:direct")
    points = mountinfo_points(info)
    assert points[0] == "/", info
    assert info.splitlines()[0].split(" - ")[1].startswith("fuse.groot "), info
    for point in ("/proc", "/dev", "/sys", "/srv/data"):
        assert point in points, info
    host_only = {line.split()[4] for line in open("/proc/self/mountinfo")} - {"/", "/proc",
                                                                               "/dev", "/sys"}
    leaked = [p for p in points if p in host_only and not p.startswith(("/proc/", "/dev/",
                                                                        "/sys/"))]
    assert not leaked, info
    assert "/groot-" not in info and "/mnt " not in info, info  # groot's mountpoint
    # The bind is a bind mount of the directory holding it: its root names the host path.
    line = next(line for line in info.splitlines() if line.split()[4] == "/srv/data")
    assert line.split()[3].endswith(tmp_path.name), line
    # Every mount id's parent is shown, except the root's.
    ids = {line.split()[0] for line in info.splitlines()}
    assert all(line.split()[1] in ids for line in info.splitlines()[1:]), info


def test_mounts_df_and_findmnt_agree(profile):
    out = guest(profile, "cat /proc/mounts; echo --; cat /proc/self/mountinfo; echo --; "
                "df -P / | tail -1; echo --; findmnt -rn -o TARGET")
    mounts, info, df, findmnt = out.split("--\n")
    assert [line.split()[1] for line in mounts.splitlines()] == mountinfo_points(info)
    assert df.split()[-1] == "/", df
    assert findmnt.splitlines()[0] == "/" and "/proc" in findmnt.splitlines(), findmnt


@pytest.mark.root_subset
def test_status_shows_the_fake_identity_and_no_tracer(profile):
    status = guest(profile, "cat /proc/self/status", "-0")
    fields = dict(line.split(":", 1) for line in status.splitlines())
    assert fields["Uid"].split() == ["0"] * 4, status
    assert fields["Gid"].split() == ["0"] * 4, status
    assert fields["TracerPid"].strip() == "0", status
    # Root's effective set is the bounding set, as for root in a chroot.
    assert fields["CapEff"].strip() == fields["CapBnd"].strip() != "0" * 16, status
    plain = guest(profile, "cat /proc/self/status")
    plain_fields = dict(line.split(":", 1) for line in plain.splitlines())
    assert plain_fields["Uid"].split()[0] == str(os.getuid()), plain
    assert plain_fields["TracerPid"].strip() == "0", plain


def test_a_stopped_process_is_stopped_not_traced(profile):
    script = ("sleep 30 & p=$!; kill -STOP $p; sleep 0.3; "
              "grep State /proc/$p/status; cut -d' ' -f3 /proc/$p/stat; "
              "ps -o stat= -p $p; kill -KILL $p")
    assert guest(profile, script) == native(script)


def test_a_debugger_is_the_tracer(profile):
    """Under a guest strace, TracerPid is strace's pid, as natively."""
    script = ("strace -o /dev/null grep TracerPid /proc/self/status & "
              "p=$!; wait $p; echo strace=$p")
    out = guest(profile, script)
    tracer = out.split("TracerPid:")[1].split()[0]
    assert tracer != "0" and out.strip().endswith(f"strace={tracer}"), out


@pytest.mark.root_subset
def test_proc_pid_root_is_the_guests_root(profile, trixie_rootfs):
    """/proc/PID/root leads to the guest's root, as for a chrooted process; the link itself
    still reads "/"."""
    out = guest(profile, "cat /proc/self/root/etc/debian_version; readlink /proc/$$/root; "
                "stat -L -c %i /proc/self/root; stat -c %i /; ls /proc/$$/root/etc/os-release")
    version, link, inode_via_proc, inode, listed = out.split("\n")[:5]
    assert version == (trixie_rootfs / "etc" / "debian_version").read_text().strip(), out
    assert link == "/" and inode_via_proc == inode, out
    assert listed == "/proc/$$/root/etc/os-release".replace("$$", listed.split("/")[2]), out


def test_dotdot_through_proc_cwd_and_fd_stops_at_the_guests_root(profile):
    """/proc/self/cwd/.. and /proc/self/fd/N/.. walk the guest's tree, as in a
    chroot: from / they stay at /, never reach the host's directories."""
    out = guest(profile, "cd / && ls /proc/self/cwd/.. | tr '\\n' ' '; echo; "
                "cd /usr && ls -d /proc/self/cwd/../etc/debian_version; "
                "exec 3</usr/share; ls /proc/self/fd/3/../.. | tr '\\n' ' '; echo; ls / | tr '\\n' ' '")
    from_root, from_usr, from_fd, root = out.split("\n")[:4]
    assert from_root == root and from_fd == root, out
    assert from_usr == "/proc/self/cwd/../etc/debian_version", out


def test_maps_name_files_by_their_guest_paths(profile):
    """/proc/self/maps and smaps show the program and its libraries at guest paths (gdb's
    info proc mappings, pthread_getattr_np, sanitizers' module lists)."""
    out = guest(profile, "grep -c ' /usr/lib/x86_64-linux-gnu/libc.so.6$' /proc/self/maps; "
                "grep -c ' /usr/bin/grep$' /proc/self/smaps; grep -c groot-fs /proc/self/maps; "
                "grep -c '/mnt/usr/' /proc/self/maps; true")
    libc, program, _, host_paths = (int(n) for n in out.split())
    assert libc >= 2 and program >= 2 and host_paths == 0, out


@pytest.mark.parametrize("options", [[], ["-0"]])
def test_every_file_in_maps_is_the_guests(profile, options):
    """Every path /proc/self/maps names is a file of the guest (lsof stats each):
    groot-shim, groot-fast.so and the fake identity's credentials table showed at
    their host paths."""
    out = guest(profile, "for f in $(awk '$6 ~ /^\\// {print $6}' /proc/self/maps | sort -u); do "
                "test -e $f && echo ok || echo missing $f; done", *options)
    assert out and set(out.split()) == {"ok"}, out


NET_UNIX = """
import socket, os
long = "/tmp/" + "e" * 80 + "/long.sock"
os.makedirs(os.path.dirname(long), exist_ok=True)
kept = []
for path in ("/tmp/short.sock", long, "\\0/tmp/abstract"):
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(); kept.append(s)
    path != long or print(s.getsockname() == long)
for name in ("/proc/net/unix", "/proc/self/net/unix"):
    with open(name) as f:
        print(os.readlink("/proc/self/fd/%d" % f.fileno()) == "/proc/%d/net/unix" % os.getpid())
        print(sorted(l.split()[-1] for l in f if "short" in l or "long" in l or "abstract" in l))
"""


def test_net_unix_names_sockets_by_their_guest_paths(tmp_path, trixie_rootfs):
    """/proc/net/unix (ss -x, lsof -U, netstat -x): a socket bound in the view has its
    guest path, also one bound through a short alias; it showed the host path."""
    p = write_profile(tmp_path, trixie_rootfs, name="netunix", extra="  upper: ephemeral\n")
    long = "/tmp/" + "e" * 80 + "/long.sock"
    want = ["True"] + ["True", str(sorted(["@/tmp/abstract", long, "/tmp/short.sock"]))] * 2
    for options in ([], ["--no-fast-path"]):
        r = subprocess.run([str(GROOT), "run", *options, str(p), "--", "python3", "-c", NET_UNIX],
                           capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout.splitlines()) == (0, want), (options, r)


def test_a_peers_credentials_are_its_fake_ids(profile):
    """SO_PEERCRED under fake root names a guest peer by its fake effective ids (a daemon
    checking for a root client), as the kernel would for real ids."""
    script = """python3 -c '
import socket, struct, os
a, b = socket.socketpair()
print(struct.unpack("3i", a.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1:])
p = "/tmp/peercred.sock"
os.path.exists(p) and os.unlink(p)
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)
if os.fork() == 0:
    os.setgid(5); os.setuid(7)
    c = socket.socket(socket.AF_UNIX); c.connect(p); c.recv(1); os._exit(0)
a, _ = s.accept()
print(struct.unpack("3i", a.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1:])
a.send(b"x"); os.wait()
'"""
    assert guest(profile, script, "-0") == "(0, 0)\n(7, 5)\n"


def test_an_fd_of_a_rewritten_proc_file_names_it(profile):
    """The guest's mounts, status and maps are copies the tracer made; the fd's
    link (ls -l /proc/PID/fd, lsof, realpath) still names /proc/PID/FILE, as natively."""
    script = ("for f in mounts mountinfo status maps; do exec 3</proc/self/$f; "
              "readlink /proc/self/fd/3 | sed \"s,/$$/,/PID/,\"; exec 3<&-; done")
    assert guest(profile, script) == native(script)
    assert native(script).split()[0] == "/proc/PID/mounts"


def test_exe_follows_its_program_renamed_and_removed(profile, tmp_path, trixie_rootfs):
    """readlink /proc/PID/exe names the program where it is now: renamed, then
    " (deleted)", as natively (groot kept the path it was run by)."""
    p = write_profile(tmp_path, trixie_rootfs, name="exe", extra="  upper: ephemeral\n")
    script = ("cp /usr/bin/sleep /tmp/sl; /tmp/sl 5 & sleep .3; readlink /proc/$!/exe; "
              "mv /tmp/sl /tmp/sl2; readlink /proc/$!/exe; rm /tmp/sl2; readlink /proc/$!/exe; "
              "cd /proc/$! && readlink exe; kill $!")
    for options in ([], ["--no-fast-path"]):
        out = guest(p, script, *options)
        assert out == "/tmp/sl\n/tmp/sl2\n/tmp/sl2 (deleted)\n/tmp/sl2 (deleted)\n", (options, out)
