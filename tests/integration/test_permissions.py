# SPDX-License-Identifier: MIT
"""A fake non-root identity meets the kernel's permission rules in the view.

The scene (owners, modes, a sticky directory) is made as (fake) root; then
the same operations run as nobody. Ground truth: the same scene and
operations natively on the host, as root dropping to nobody with setpriv
(root only); the unprivileged run compares with the table that run checks.
"""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import as_root, run_groot, write_profile

SCENE = r"""
set -e
cd "$1"
mkdir pub priv sticky ro
echo data > pub/f644; chmod 644 pub/f644
echo data > pub/f600; chmod 600 pub/f600
echo data > pub/x755; chmod 755 pub/x755
echo data > priv/inside
echo data > sticky/roots; chmod 666 sticky/roots
echo data > pub/nobodys; chown nobody pub/nobodys
echo data > pub/grp; chgrp nogroup pub/grp; chmod 664 pub/grp
mkdir pub/nobodydir; chown nobody pub/nobodydir
mkdir pub/nox; echo data > pub/nox/f; chmod 744 pub/nox
cp /bin/true pub/rootonly; chmod 700 pub/rootonly
echo data > sticky/suidfile; chmod 4666 sticky/suidfile
echo data > sticky/sgidfile; chmod 2666 sticky/sgidfile
echo data > sticky/suidtrunc; chmod 4666 sticky/suidtrunc
echo data > sticky/suidotrunc; chmod 4666 sticky/suidotrunc
chmod 755 pub; chmod 700 priv; chmod 1777 sticky; chmod 555 ro
mkdir moved; echo data > moved/f; cat moved/f >/dev/null; mv moved priv/
mkdir later; echo data > later/f; cat later/f >/dev/null; chmod 700 later
mkfifo pub/rootfifo
mkdir hl; chmod 700 hl; echo data > hl/a; ln hl/a hl/b; cat hl/b hl/a >/dev/null; ls -l hl >/dev/null
"""

# Each operation as nobody: its name and "ok", or the error's last words.
OPERATIONS = r"""
cd "$1"
t() {
    name=$1; shift
    if out=$("$@" 2>&1); then echo "$name ok"
    else echo "$name ${out##*: }"; fi
}
t read-644 cat pub/f644
t read-600 cat pub/f600
t list-700 ls priv
t read-in-700 cat priv/inside
t cd-700 env -C priv true
t create-in-755 touch pub/new
t mkdir-in-555 mkdir ro/d
t append-644 sh -c 'echo more >> pub/f644'
t truncate-644 truncate -s 0 pub/f644
t chmod-roots chmod 777 pub/f644
t chown-roots chown nobody pub/f644
t set-time-roots touch -d 2001-01-01 pub/f644
t utime-roots python3 -c '
import os, sys
try: os.utime("pub/f644", (0, 0))
except OSError as e: sys.exit("utime: " + e.strerror)'
t touch-now-roots touch pub/f644
t unlink-in-755 rm -f pub/f644
t access-w-644 test -w pub/f644
t access-r-600 test -r pub/f600
t access-x-755 test -x pub/x755
t create-in-sticky touch sticky/mine
t unlink-roots-in-sticky rm -f sticky/roots
t rename-roots-in-sticky mv sticky/roots sticky/moved
t write-666 sh -c 'echo more >> sticky/roots'
t unlink-own-in-sticky rm sticky/mine
t chmod-own chmod 600 pub/nobodys
t chgrp-own-group chgrp nogroup pub/nobodys
t chgrp-other-group chgrp root pub/nobodys
t chown-own-to-root chown root pub/nobodys
t write-group-664 sh -c 'echo more >> pub/grp'
t mkdir-own-dir mkdir pub/nobodydir/sub
t move-dir-out-of-755 mv pub/nobodydir sticky/
t link-own ln pub/nobodys sticky/link
t mknod-device mknod sticky/null c 1 3
t exec-only sh -c 'cp /bin/true sticky/xonly && chmod 111 sticky/xonly && sticky/xonly'
t read-exec-only cat sticky/xonly
t listed-no-search sh -c 'ls pub/nox >/dev/null && cat pub/nox/f'
t exec-root-only pub/rootonly
t write-set-uid-file sh -c 'echo more >> sticky/suidfile'
t write-drops-set-uid test "$(stat -c %a sticky/suidfile)" = 666
t write-drops-set-gid sh -c 'echo more >> sticky/sgidfile; test "$(stat -c %a sticky/sgidfile)" = 666'
t truncate-drops-set-uid sh -c 'truncate -s 1 sticky/suidtrunc; test "$(stat -c %a sticky/suidtrunc)" = 666'
t open-trunc-drops-set-uid sh -c ': > sticky/suidotrunc; test "$(stat -c %a sticky/suidotrunc)" = 666'
t link-under-a-file ln pub/rootfifo pub/x755/x
t fifo-is-its-makers sh -c 'mkfifo sticky/fifo && [ "$(stat -c %U:%G sticky/fifo)" = nobody:nogroup ]'
t new-owner sh -c 'mkdir sticky/made && stat -c "%U:%G" sticky/made'
t read-moved-into-700 cat priv/moved/f
t read-after-chmod-700 cat later/f
t link-roots-fifo ln pub/rootfifo sticky/rootfifo
t link-own-fifo-into-755 sh -c 'mkfifo sticky/ownfifo && ln sticky/ownfifo pub/ownfifo'
t read-second-link-in-700 cat hl/b
t stat-second-link-in-700 stat hl/b
"""

EXPECTED = """\
read-644 ok
read-600 Permission denied
list-700 Permission denied
read-in-700 Permission denied
cd-700 Permission denied
create-in-755 Permission denied
mkdir-in-555 Permission denied
append-644 Permission denied
truncate-644 Permission denied
chmod-roots Operation not permitted
chown-roots Operation not permitted
set-time-roots Permission denied
utime-roots Operation not permitted
touch-now-roots Permission denied
unlink-in-755 Permission denied
access-w-644 1
access-r-600 1
access-x-755 ok
create-in-sticky ok
unlink-roots-in-sticky Operation not permitted
rename-roots-in-sticky Operation not permitted
write-666 ok
unlink-own-in-sticky ok
chmod-own ok
chgrp-own-group ok
chgrp-other-group Operation not permitted
chown-own-to-root Operation not permitted
write-group-664 ok
mkdir-own-dir ok
move-dir-out-of-755 Permission denied
link-own ok
mknod-device Operation not permitted
exec-only ok
read-exec-only Permission denied
listed-no-search Permission denied
exec-root-only Permission denied
write-set-uid-file ok
write-drops-set-uid ok
write-drops-set-gid ok
truncate-drops-set-uid ok
open-trunc-drops-set-uid ok
link-under-a-file Not a directory
fifo-is-its-makers ok
new-owner ok
read-moved-into-700 Permission denied
read-after-chmod-700 Permission denied
link-roots-fifo Operation not permitted
link-own-fifo-into-755 Permission denied
read-second-link-in-700 Permission denied
stat-second-link-in-700 Permission denied
"""


def normalize(text):
    """Tool-specific wording aside: the error each operation met."""
    lines = []
    for line in text.strip().splitlines():
        name, _, result = line.partition(" ")
        result = result.strip().strip("'\"")
        if result == "":
            result = "1"  # test(1) fails silently
        for errno_text in ("Permission denied", "Operation not permitted"):
            if errno_text in result:
                result = errno_text
        if name == "new-owner" and re.fullmatch(r"nobody:nogroup", result):
            result = "ok"
        lines.append(f"{name} {result}")
    return "\n".join(lines) + "\n"


def on_shared_upper(tmp_path, rootfs, user, extra=""):
    """A profile for user on a persistent upper layer every such profile of the test shares."""
    return write_profile(
        tmp_path, rootfs, name=user,
        extra=f"  upper: persistent\n  upper_path: {tmp_path / 'upper'}\nuser: {user}\n{extra}")


def reachable_by_nobody():
    """A fresh directory nobody can reach (pytest's own are 0700)."""
    top = tempfile.mkdtemp(prefix="groot-perm-", dir="/tmp")
    os.chmod(top, 0o755)
    return pathlib.Path(top)


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def native_set_user_id_run(program, command):
    """Natively, as nobody: command(copy), an argv, where copy is a set-user-ID
    copy of program owned by root (root only)."""
    top = reachable_by_nobody()
    try:
        copy = top / pathlib.Path(program).name
        shutil.copy(program, copy)
        os.chmod(copy, 0o4755)
        return subprocess.run(AS_NOBODY + command(copy), capture_output=True, text=True)
    finally:
        shutil.rmtree(top)


def native_ground_truth():
    top = reachable_by_nobody()
    try:
        base = top / "native"
        base.mkdir()
        subprocess.run(["sh", "-c", SCENE, "scene", str(base)], check=True)
        r = subprocess.run(AS_NOBODY + ["sh", "-c", OPERATIONS, "ops", str(base)],
                           capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(top)
    return normalize(r.stdout)


@pytest.mark.root_subset
@pytest.mark.parametrize("binds", [True, False], ids=["view-sees-opens", "tracer-judges-opens"])
def test_dropped_identity_meets_the_kernels_permission_rules(tmp_path, trixie_rootfs, binds):
    """With binds the view keeps OPEN and judges opens; without, under fake
    root, it never sees them, and the tracer judges a dropped identity's."""
    p = write_profile(tmp_path, trixie_rootfs, name="perm",
                      extra="  upper: ephemeral\nuser: root\n")
    drop = " ".join(AS_NOBODY)
    if binds:
        script = tmp_path / "perm.sh"
        script.write_text(f"#!/bin/sh\nset -e\nmkdir -p /srv/p\nsh /scene.sh /srv/p\n"
                          f"exec {drop} sh /ops.sh /srv/p\n")
        (tmp_path / "scene.sh").write_text(SCENE)
        (tmp_path / "ops.sh").write_text(OPERATIONS)
        os.chmod(tmp_path, 0o755)
        for f in ("perm.sh", "scene.sh", "ops.sh"):
            os.chmod(tmp_path / f, 0o755)
        p.write_text(p.read_text() + f"binds:\n  - {tmp_path}/scene.sh:/scene.sh:ro\n"
                     f"  - {tmp_path}/ops.sh:/ops.sh:ro\n  - {tmp_path}/perm.sh:/perm.sh:ro\n")
        r = run_groot("run", p, "--", "sh", "/perm.sh")
    else:
        r = run_groot("run", p, "--", "sh", "-c",
                      'set -e; mkdir -p /srv/p; sh -c "$1" scene /srv/p; '
                      f'exec {drop} sh -c "$2" ops /srv/p', "perm", SCENE, OPERATIONS)
    assert r.returncode == 0, r
    if as_root() and shutil.which("setpriv") and binds:
        assert native_ground_truth() == EXPECTED
    # Names root looked up (made, moved, listed) under a directory nobody may
    # not search are judged all the same: the view lets the kernel cache none.
    assert normalize(r.stdout) == EXPECTED, r


def test_guest_user_profile_is_judged_by_recorded_owners(tmp_path, trixie_rootfs):
    """user: nobody on a tree whose scene root made (persistent upper): same rules."""
    scene = tmp_path / "scene.sh"
    ops = tmp_path / "ops.sh"
    scene.write_text(SCENE)
    ops.write_text(OPERATIONS)
    binds = f"binds:\n  - {scene}:/scene.sh:ro\n  - {ops}:/ops.sh:ro\n"
    as_root_profile = on_shared_upper(tmp_path, trixie_rootfs, "root", binds)
    r = run_groot("run", as_root_profile, "--", "sh", "-c", "mkdir -p /srv/p && sh /scene.sh /srv/p")
    assert r.returncode == 0, r
    user_profile = on_shared_upper(tmp_path, trixie_rootfs, "nobody", binds)
    r = run_groot("run", user_profile, "--", "sh", "/ops.sh", "/srv/p")
    assert normalize(r.stdout) == EXPECTED, r
    # What nobody made is nobody's in the next run, as root sees it.
    r = run_groot("run", as_root_profile, "--", "stat", "-c", "%U:%G %a", "/srv/p/sticky/made",
                  "/srv/p/pub/nobodys")
    assert r.stdout.split("\n")[:2] == ["nobody:nogroup 755", "nobody:nogroup 600"], r


def test_guest_user_owns_the_invoking_users_files_in_binds(tmp_path, trixie_rootfs):
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine").write_text("x\n")
    p = write_profile(tmp_path, trixie_rootfs, name="bindowner",
                      extra=f"  upper: ephemeral\nuser: nobody\nbinds:\n  - {work}:/work\n")
    r = run_groot("run", p, "--", "sh", "-c",
                  "stat -c '%U' /work/mine /etc/passwd; echo more >> /work/mine && "
                  "touch /work/new && stat -c '%U' /work/new; touch /etc/new")
    assert r.stdout.split() == ["nobody", "root", "nobody"], r
    assert "Permission denied" in r.stderr, r
    assert (work / "new").exists() and (work / "mine").read_text() == "x\nmore\n"


def test_set_user_id_program_gives_its_owner(tmp_path, trixie_rootfs):
    """A set-user-ID root program run by a guest user has euid 0, as natively;
    the same program without the bit keeps the user's."""
    maker = on_shared_upper(tmp_path, trixie_rootfs, "root")
    r = run_groot("run", maker, "--", "sh", "-c",
                  "cp /usr/bin/id /usr/local/bin/suid-id && chmod 4755 /usr/local/bin/suid-id && "
                  "cp /usr/bin/id /usr/local/bin/plain-id")
    assert r.returncode == 0, r
    user = on_shared_upper(tmp_path, trixie_rootfs, "nobody")
    r = run_groot("run", user, "--", "sh", "-c",
                  "suid-id; plain-id; suid-id -u; suid-id -ru; touch /etc/suid-made 2>&1 || true")
    lines = r.stdout.splitlines()
    if as_root() and shutil.which("setpriv"):
        native = native_set_user_id_run("/usr/bin/id", lambda copy: [str(copy)])
        assert native.stdout.strip() == lines[0], (native.stdout, r)
    assert lines[:4] == ["uid=65534(nobody) gid=65534(nogroup) euid=0(root) groups=65534(nogroup)",
                         "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)",
                         "0", "65534"], r
    # The program itself, not the shell that ran it, had root's rights.
    assert "Permission denied" in r.stdout, r


def test_set_user_id_program_runs_in_secure_mode(tmp_path, trixie_rootfs):
    """AT_SECURE: a set-user-ID program run by a guest user gets glibc's secure
    mode, which drops TMPDIR and LD_LIBRARY_PATH from its environment, as
    natively; the same program without the bit, or run by root, keeps them."""
    maker = on_shared_upper(tmp_path, trixie_rootfs, "root")
    r = run_groot("run", maker, "--", "sh", "-c",
                  "cp /usr/bin/env /usr/local/bin/suid-env && chmod 4755 /usr/local/bin/suid-env")
    assert r.returncode == 0, r
    probe = "TMPDIR=/x LD_LIBRARY_PATH=/y {} | grep -c -E '^(TMPDIR|LD_LIBRARY_PATH)=' || true"
    user = on_shared_upper(tmp_path, trixie_rootfs, "nobody")
    r = run_groot("run", user, "--", "sh", "-c",
                  "; ".join(probe.format(p) for p in ("suid-env", "env")))
    root = run_groot("run", maker, "--", "sh", "-c", probe.format("suid-env"))
    if as_root() and shutil.which("setpriv"):
        native = native_set_user_id_run("/usr/bin/env",
                                        lambda copy: ["sh", "-c", probe.format(copy)])
        assert native.stdout.split() == ["0"], native
    assert r.stdout.split() == ["0", "2"], r
    assert root.stdout.split() == ["2"], root


def test_guest_user_made_earlier_has_its_groups(tmp_path, trixie_user_rootfs):
    """A user added in an earlier run (persistent upper) is found, with the
    supplementary groups /etc/group gives it, and they count for access."""
    maker = on_shared_upper(tmp_path, trixie_user_rootfs, "root")
    r = run_groot("run", maker, "--", "sh", "-c",
                  "useradd -m -G users,staff alice && mkdir -m 0770 /srv/team && "
                  "chgrp users /srv/team && mkdir -m 0700 /srv/closed")
    assert r.returncode == 0, r
    user = on_shared_upper(tmp_path, trixie_user_rootfs, "alice")
    r = run_groot("run", user, "--", "sh", "-c",
                  "id -nG; echo $HOME; touch /srv/team/ok && echo team-ok; touch /srv/closed/no")
    assert r.stdout.split("\n")[:3] == ["alice staff users", "/home/alice", "team-ok"], r
    assert "Permission denied" in r.stderr, r


# As the invoking user (user: host) on files another user owns: each operation
# under $1, the guest's root ("" in the guest, the rootfs natively). Only ones
# the kernel refuses a non-owner, so the native run changes nothing.
HOST_USER_OPERATIONS = r"""
t() {
    name=$1; shift
    if out=$("$@" 2>&1); then echo "$name ok"
    else echo "$name ${out##*: }"; fi
}
t read-644 cat "$1/etc/hostname"
t append-644 sh -c 'echo more >> "$1/etc/hostname"' sh "$1"
t truncate-644 truncate -s 0 "$1/etc/hostname"
t access-w-644 test -w "$1/etc/hostname"
t access-x-755 test -x "$1/usr/bin/true"
t create-in-755 touch "$1/usr/groot-new"
t mkdir-in-755 mkdir "$1/etc/groot-new"
t symlink-in-755 ln -s x "$1/etc/groot-link"
t unlink-in-755 rm -f "$1/etc/hostname"
t rename-in-755 mv "$1/etc/hostname" "$1/etc/groot-moved"
t chmod-others chmod 777 "$1/etc/hostname"
t set-time-others touch -d 2001-01-01 "$1/etc/hostname"
t setxattr-others python3 -c '
import os, sys
try: os.setxattr(sys.argv[1], "user.groot", b"1")
except OSError as e: sys.exit("setxattr: " + e.strerror)' "$1/etc/hostname"
"""


@pytest.mark.skipif(as_root(), reason="as root, the native run would change the rootfs")
@pytest.mark.parametrize("bind", [False, True], ids=["kernel-judges", "with-a-bind"])
def test_host_user_meets_the_kernels_rules_on_others_files(tmp_path, trixie_rootfs, bind):
    """user: host on a rootfs root owns (an ephemeral upper could copy anything
    up): each operation meets the error the kernel gives the same user on the
    rootfs's own files. With a bind through the view the daemon judges, by the
    caller's own ids."""
    # Natively nothing may succeed: it would change the rootfs.
    if any(os.access(trixie_rootfs / p, os.W_OK) for p in ("etc", "usr", "etc/hostname")):
        pytest.skip("the invoking user may change the rootfs")
    native = subprocess.run(["sh", "-c", HOST_USER_OPERATIONS, "ops", str(trixie_rootfs)],
                            capture_output=True, text=True, timeout=60)
    p = write_profile(tmp_path, trixie_rootfs, name="host", extra="  upper: ephemeral\nuser: host\n")
    (tmp_path / "shared").mkdir()
    binds = ("-b", f"{tmp_path}/shared:/mnt/shared") if bind else ()
    for fast in ((), ("--no-fast-path",)):
        r = run_groot("run", *fast, *binds, p, "--", "sh", "-c", HOST_USER_OPERATIONS, "ops", "")
        assert r.returncode == 0, r
        assert normalize(r.stdout) == normalize(native.stdout), (r, native.stdout)
    assert "append-644 Permission denied" in normalize(native.stdout)


# The invoking user's own directory it may read but not search (CPython's
# test_shutil): names are listed, attributes and contents refused; one it may
# not even read (test_pkgutil) is removed when empty. $1: where to work.
UNSEARCHABLE_DIRECTORY = r"""
cd "$1" && mkdir -p src/sub && echo x > src/sub/f && chmod 600 src/sub
ls src/sub; echo "ls $?"
ls -l src/sub 2>&1 | sed 1d
python3 -c 'import os; print(sorted(os.listdir("src/sub")))'
cp -r src dst 2>&1; echo "cp $?"
chmod 700 src/sub dst/sub; rm -r src dst; echo "rm $?"
mkdir z; chmod 0 z; rmdir z; echo "rmdir $?"
mkdir z; chmod 0 z; python3 -c 'import os
try: os.open("z", os.O_RDONLY); print("open-000 ok")
except OSError as e: print("open-000", e.strerror)'; rmdir z
mkdir y; touch y/f; chmod 0 y; rmdir y 2>&1; echo "rmdir-full $?"; ls -ld y | cut -c1-10
mkdir w z; chmod 0 z; mv -T w z; echo "rename-onto $?"; ls -ld z | cut -c1-10; rmdir z
chmod 700 y; rm -r y
"""


def natively_and_as_the_user(tmp_path, rootfs, script, bind):
    """script run with $1 = a fresh directory: natively, and in a user: host guest (in /tmp/t),
    with a bind through the view (the daemon judges) or without (the kernel does)."""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = subprocess.run(["sh", "-c", script, "t", str(native_dir)],
                            capture_output=True, text=True, timeout=60)
    p = write_profile(tmp_path, rootfs, name="host", extra="  upper: ephemeral\nuser: host\n")
    (tmp_path / "shared").mkdir()
    r = run_groot("run", *(("-b", f"{tmp_path}/shared:/mnt/shared") if bind else ()), p, "--",
                  "sh", "-c", "mkdir /tmp/t && " + script, "t", "/tmp/t")
    return native, r


@pytest.mark.skipif(as_root(), reason="root searches any directory")
@pytest.mark.parametrize("bind", [False, True], ids=["kernel-judges", "with-a-bind"])
def test_a_directory_the_user_may_read_but_not_search(tmp_path, trixie_rootfs, bind):
    """Without binds the kernel judges (default_permissions); with one, the daemon."""
    native, r = natively_and_as_the_user(tmp_path, trixie_rootfs, UNSEARCHABLE_DIRECTORY, bind)
    assert "['f']" in native.stdout, native
    assert r.stdout.replace("/tmp/t", str(tmp_path / "native")) == native.stdout, (r, native.stdout)


# Writes, a truncate and a large write to set-id files the writer owns; the mode after each.
SET_ID_WRITES = r"""
cd "$1"
echo a > s; chmod 6775 s
python3 -c 'import os; fd = os.open("s", os.O_RDWR); os.pwrite(fd, b"b", 0); os.close(fd)'
stat -c "pwrite %a" s
chmod 6775 s; truncate -s 0 s; stat -c "truncate %a" s
chmod 4755 s
python3 -c 'import os; fd = os.open("s", os.O_RDWR); os.write(fd, b"b" * 10000); os.close(fd)'
stat -c "write %a" s
chmod 2755 s; echo more >> s; stat -c "append %a" s
chmod 6775 s; chown "$(id -u):$(id -g)" s; stat -c "chown %a" s
chmod 6745 s; chown "$(id -u)" s; stat -c "chown-no-group-exec %a" s
rm s
"""

SET_ID_WRITES_BY_A_USER = ("pwrite 775\ntruncate 775\nwrite 755\nappend 755\nchown 775\n"
                           "chown-no-group-exec 2745\n")
SET_ID_WRITES_BY_ROOT = ("pwrite 6775\ntruncate 6775\nwrite 4755\nappend 2755\nchown 775\n"
                         "chown-no-group-exec 2745\n")


@pytest.mark.root_subset
@pytest.mark.parametrize("user", ["host", "root", "nobody"])
def test_a_write_clears_set_id_bits_as_natively(tmp_path, trixie_rootfs, user):
    """The kernel's cached mode follows the bits a write clears: stat's mode-only
    request is answered from the cache (`stat -c %a`), so a stale one shows."""
    native = tmp_path / "native"
    native.mkdir()
    expected = (SET_ID_WRITES_BY_ROOT if user == "root" or (user == "host" and as_root())
                else SET_ID_WRITES_BY_A_USER)
    if user == "host":
        r = subprocess.run(["sh", "-c", SET_ID_WRITES, "w", str(native)],
                           capture_output=True, text=True, timeout=60)
        assert r.stdout == expected, r
    p = write_profile(tmp_path, trixie_rootfs, name=user,
                      extra=f"  upper: ephemeral\nuser: {user}\n")
    r = run_groot("run", p, "--", "sh", "-c", "mkdir /tmp/w && " + SET_ID_WRITES, "w", "/tmp/w")
    assert r.stdout == expected, r


# Runs f and prints name and "ok" or its error (guest Python scripts below).
TRY = """def t(name, f):
    try:
        f()
        print(name, "ok")
    except OSError as e:
        print(name, e.strerror)
"""

NOATIME = r"""
import fcntl, os, subprocess
""" + TRY + r"""
t("open", lambda: os.close(os.open("/etc/hostname", os.O_RDONLY | os.O_NOATIME)))
t("openat", lambda: os.close(os.open("hostname", os.O_RDONLY | os.O_NOATIME,
                                     dir_fd=os.open("/etc", os.O_RDONLY))))
def setfl():
    fd = os.open("/etc/hostname", os.O_RDONLY)
    fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NOATIME)
t("setfl", setfl)
os.setresgid(1234, 1234, 1234)
os.setresuid(1234, 1234, 1234)
t("dropped-open", lambda: os.open("/etc/hostname", os.O_RDONLY | os.O_NOATIME))
open("/tmp/noatime-mine", "w").close()
t("dropped-own", lambda: os.close(os.open("/tmp/noatime-mine", os.O_RDONLY | os.O_NOATIME)))
"""


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "tracer"])
def test_o_noatime_is_judged_by_the_fake_identity(tmp_path, trixie_rootfs, fast):
    """The kernel lets only a file's owner (or CAP_FOWNER) use O_NOATIME, by real ids against
    the owner the view shows: every fake root open with it was EPERM (rsync --open-noatime,
    systemd-tmpfiles). The kernel's rule, with the fake ids, as natively as root."""
    p = write_profile(tmp_path, trixie_rootfs, name="noatime", extra="  upper: ephemeral\n")
    r = run_groot("run", "-0", *(() if fast else ("--no-fast-path",)), p, "--",
                  "python3", "-c", NOATIME)
    assert (r.returncode, r.stdout) == (0, "open ok\nopenat ok\nsetfl ok\n"
                                        "dropped-open Operation not permitted\ndropped-own ok\n"), r


ACL_CHANGES = r"""cd /tmp && echo a > rootfile && useradd alice
su alice -c 'echo a > /tmp/a1; install -m 600 /tmp/a1 /tmp/a3; echo "install $?"
cd /tmp && echo x > sf && sed -i s/x/y/ sf 2>&1; echo "sed $?"'
python3 -c '
import os
""" + TRY + r"""
acl = bytes.fromhex("0200000001000600ffffffff04000400ffffffff20000400ffffffff")
fd = os.open("/tmp/rootfile", os.O_RDONLY)
t("owner-path", lambda: os.setxattr("/tmp/rootfile", "system.posix_acl_access", acl))
t("owner-fd", lambda: os.setxattr(fd, "system.posix_acl_access", acl))
os.setresgid(1234, 1234, 1234)
os.setresuid(1234, 1234, 1234)
t("other-path", lambda: os.setxattr("/tmp/rootfile", "system.posix_acl_access", acl))
t("other-fd", lambda: os.setxattr(fd, "system.posix_acl_access", acl))'
"""


def test_acl_changes_are_unsupported_for_those_who_may_make_them(tmp_path, trixie_user_rootfs):
    """The view has no POSIX ACLs: whoever may change a file's ACL (its owner, CAP_FOWNER)
    gets EOPNOTSUPP, which coreutils' install and sed -i accept; a fake user other than
    root got the kernel's EPERM (judged by the real uid), and install failed."""
    p = write_profile(tmp_path, trixie_user_rootfs, name="acl", extra="  upper: ephemeral\n")
    r = run_groot("run", "-0", p, "--", "bash", "-c", ACL_CHANGES)
    assert (r.returncode, r.stdout) == (0, "install 0\nsed 0\n"
                                        "owner-path Operation not supported\n"
                                        "owner-fd Operation not supported\n"
                                        "other-path Operation not permitted\n"
                                        "other-fd Operation not permitted\n"), r


# Names looked up before the directory is closed to the user, then looked up again. $1: where.
CLOSED_AFTER_USE = r"""cd "$1" && mkdir p q && touch p/a q/b && stat -c %a p/a q/b >/dev/null
chmod 000 p && chmod 600 q
stat -c %a p/a 2>&1 | sed 's/.*: //'; ls p/a 2>&1 | sed 's/.*: //'; ls -l q 2>&1 | tail -1 | cut -c1-10
chmod 700 p q; stat -c %a p/a; rm -rf p q
"""


@pytest.mark.skipif(as_root(), reason="root searches any directory")
@pytest.mark.parametrize("bind", [False, True], ids=["kernel-judges", "with-a-bind"])
def test_a_directory_closed_after_use_hides_its_names(tmp_path, trixie_rootfs, bind):
    """A user's view with binds judges searches at LOOKUP: the names the kernel cached before
    a chmod 000 stayed reachable (stat, ls -l). Guarded directories cache none, as under a
    fake identity. Ground truth: the same script as this user natively."""
    native, r = natively_and_as_the_user(tmp_path, trixie_rootfs, CLOSED_AFTER_USE, bind)
    assert "Permission denied" in native.stdout, native
    assert r.stdout == native.stdout, (r, native.stdout)


RENAMES_WHILE_LISTING = """
import os, time
d = "/tmp/renames-%d" % os.getpid()
os.mkdir(d, 0o700)
kids = []
for k in range(5):
    pid = os.fork()
    if pid == 0:
        end, i = time.time() + 3, 0
        while time.time() < end:
            if k == 4:
                os.listdir(d)
                continue
            a, b = "%s/a%d-%d" % (d, k, i), "%s/b%d-%d" % (d, k, i)
            os.mkdir(a); os.rename(a, b); os.rmdir(b); i += 1
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
os.rmdir(d)
print("done")
"""


def test_renames_into_a_guarded_directory_while_it_is_listed(tmp_path, trixie_rootfs):
    """A user's view with a bind judges by the caller and has the kernel forget names
    renamed into a directory not everyone may search; each such invalidation waits for
    the directory's lock. On the view's workers they took all eight while renames and a
    getdents held that lock waiting for a worker: every process hung, past SIGKILL
    (stress-ng --dir). They now wait on a thread of their own."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(tmp_path, 0o755)
    p = write_profile(tmp_path, trixie_rootfs, name="renames", extra="  upper: ephemeral\n")
    r = run_groot("run", "-b", f"{shared}:/shared", p, "--", "python3", "-c",
                  RENAMES_WHILE_LISTING, timeout=90)
    assert (r.returncode, r.stdout) == (0, "done\n"), r


PRIVILEGED_XATTRS = """
import os, errno, shutil
os.chdir("/tmp"); open("f", "w").close(); shutil.copy("/bin/true", "t")
def t(label, f):
    try: r = f(); print(label, "ok" if r is None else r)
    except OSError as e: print(label, errno.errorcode[e.errno])
cap = bytes.fromhex("0100000200200000000000000000000000000000")
t("set trusted", lambda: os.setxattr("f", "trusted.t", b"1"))
t("get trusted", lambda: os.getxattr("f", "trusted.t"))
t("set security", lambda: os.setxattr("f", "security.s", b"2"))
t("get security", lambda: os.getxattr("f", "security.s"))
t("set cap", lambda: os.setxattr("t", "security.capability", cap))
t("get cap", lambda: os.getxattr("t", "security.capability") == cap)
t("list", sorted(os.listxattr("f")).__str__)
t("rm trusted", lambda: os.removexattr("f", "trusted.t"))
t("list", sorted(os.listxattr("f")).__str__)
with open("t", "ab") as w: w.write(b"x")
t("cap after write", lambda: os.getxattr("t", "security.capability"))
"""


@pytest.mark.parametrize("fast", [True, False])
def test_fake_root_keeps_privileged_xattrs(tmp_path, trixie_rootfs, fast):
    """security.* and trusted.* xattrs set by fake root are kept (as user.groot.NAME in
    the view) and read back by their names, as natively as root; a write drops a file
    capability as the kernel does. They were reported set and then missing (setcap, then
    getcap, showed nothing)."""
    p = write_profile(tmp_path, trixie_rootfs, name="xattrs", extra="  upper: ephemeral\n")
    r = run_groot("run", "-0", *([] if fast else ["--no-fast-path"]), p, "--", "python3", "-c",
                  PRIVILEGED_XATTRS)
    assert (r.returncode, r.stdout.splitlines()) == (0, [
        "set trusted ok", "get trusted b'1'", "set security ok", "get security b'2'",
        "set cap ok", "get cap True", "list ['security.s', 'trusted.t']", "rm trusted ok",
        "list ['security.s']", "cap after write ENODATA"]), r
