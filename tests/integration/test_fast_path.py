# SPDX-License-Identifier: MIT
"""The fast path (shim/fast.h): prefix-only path calls made through glibc skip
the tracer. Ground truth is the same command with --no-fast-path (every call
translated by the tracer, itself checked against chroot elsewhere) and, as
root, native chroot."""
import os
import pathlib
import re
import subprocess
import time

import pytest

from conftest import GROOT, as_root, run_chroot, run_groot

pytestmark = pytest.mark.trixie

# Paths whose resolution exercises every rule: absolute and relative symlinks,
# ".." at and below the root, direct binds (/proc, /dev), loops, non-directories.
REALPATH_CASES = [
    "/usr/bin/cc", "/lib", "/lib/", "/usr/lib/../bin/ls", "/..", "/../../etc/passwd",
    "/usr/./bin//ls", "/etc/passwd/", "/etc/passwd/..", "/nonexistent", "/usr/nonexistent/x",
    "/proc/self/exe", "/dev/stdin", "/dev/fd/0", "/etc/alternatives/cc", "loop1", "loop1/x",
    "chain", "rel", "rel/..", "climb", "abs", ".", "..", "", "sub/../sub",
    "/bin/../../../usr/bin/env",
]

CHECKER = r"""
import errno, os, sys, ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.realpath.restype = ctypes.c_char_p
libc.realpath.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
os.chdir("/tmp/fastcheck")
for p in sys.argv[1:]:
    buf = ctypes.create_string_buffer(4096)
    r = libc.realpath(p.encode(), buf)
    e = ctypes.get_errno()
    try:
        link = os.readlink(p)
    except OSError as ex:
        link = errno.errorcode[ex.errno]
    try:
        st = os.lstat(p)
        kind = oct(st.st_mode)
    except OSError as ex:
        kind = errno.errorcode[ex.errno]
    try:
        os.close(os.open(p, os.O_RDONLY))
        opened = "ok"
    except OSError as ex:
        opened = errno.errorcode[ex.errno]
    print(repr(p), r.decode() if r else errno.errorcode.get(e, e), link, kind, opened,
          os.access(p, os.R_OK))
os.chdir("/proc/self")
print("cwd in /proc", os.getcwd().startswith("/proc/"), os.readlink("exe"))
os.chdir("/usr/share/../lib")
print("cwd", os.getcwd())
"""

SETUP = ("rm -rf /tmp/fastcheck && mkdir -p /tmp/fastcheck/sub && cd /tmp/fastcheck && "
         "ln -s loop2 loop1 && ln -s loop1 loop2 && ln -s rel chain && "
         "ln -s sub/../../fastcheck rel && ln -s ../../../../../etc climb && "
         "ln -s /usr/bin abs && ")


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs):
    directory = tmp_path_factory.mktemp("profile")
    path = directory / "fast.yaml"
    path.write_text(f"version: 1\nname: fast\nrootfs:\n  path: {trixie_rootfs}\n  upper: ephemeral\n")
    return path


def guest(profile, script, *extra):
    return run_groot("run", *extra, profile, "--", "bash", "-c", script)


def trap_count(stderr):
    return len([l for l in stderr.splitlines() if re.match(r"\[\d+\] \w+\(", l)])


@pytest.mark.root_subset
def test_walk_skips_the_tracer_and_sees_the_same_tree(profile):
    script = "ls -lR /usr/share/doc/bash /usr/lib/x86_64-linux-gnu | md5sum; find /etc | sort | md5sum"
    fast = guest(profile, script, "--trace")
    slow = guest(profile, script, "--trace", "--no-fast-path")
    assert fast.returncode == 0 and slow.returncode == 0, (fast, slow)
    assert fast.stdout == slow.stdout
    # Without the fast path every absolute stat/llistxattr is a trap; with it only
    # ld.so's own opens and the shells' raw calls are.
    assert trap_count(slow.stderr) > 1000, slow.stderr[-500:]
    assert trap_count(fast.stderr) * 10 < trap_count(slow.stderr), fast.stderr[-2000:]


def check_like_the_tracer(profile, checker, cases, *extra):
    """Run a Python checker over the cases with the fast path and without (the
    tracer's translation, the ground truth): same output. Returns the fast
    run and its lines keyed by case."""
    args = " ".join("'%s'" % p for p in cases)
    script = SETUP + f"python3 -c '{checker.replace(chr(39), chr(34))}' {args}"
    fast = guest(profile, script, *extra)
    slow = guest(profile, script, "--no-fast-path")
    assert slow.returncode == 0, slow
    assert fast.returncode == 0, fast
    assert fast.stdout == slow.stdout
    return fast, dict(l.split(" ", 1) for l in fast.stdout.splitlines() if l.startswith("'"))


def test_path_functions_match_the_tracer(profile):
    fast, lines = check_like_the_tracer(profile, CHECKER, REALPATH_CASES)
    assert lines["'/usr/bin/cc'"].startswith("/usr/bin/x86_64-linux-gnu-gcc"), lines
    assert lines["'/..'"].startswith("/ "), lines
    assert lines["'loop1'"].startswith("ELOOP"), lines
    assert lines["'/etc/passwd/'"].startswith("ENOTDIR"), lines
    assert lines["'climb'"].startswith("/etc "), lines
    assert lines["'/proc/self/exe'"].startswith("/usr/bin/python3"), lines
    assert "cwd /usr/lib" in fast.stdout
    assert "cwd in /proc True /usr/bin/python3" in fast.stdout, fast.stdout


@pytest.mark.root_subset
def test_realpath_matches_chroot(profile, trixie_rootfs):
    if not as_root():
        pytest.skip("chroot needs root")
    script = "realpath -e /usr/bin/cc /lib/x86_64-linux-gnu/libc.so.6 /bin/../etc/alternatives/cc; " \
             "readlink /usr/bin/cc /etc/alternatives/cc; cd /lib && pwd -P && /bin/pwd"
    native = run_chroot(trixie_rootfs, "bash", "-c", script)
    fast = guest(profile, script)
    assert native.returncode == 0, native
    assert fast.returncode == 0 and fast.stdout == native.stdout, (fast, native)


def test_environment_is_the_guests(profile, tmp_path):
    """No LD_PRELOAD in sight, yet groot-fast.so is loaded, also beside the guest's own
    LD_PRELOAD (the kernel's maps, read from outside: the guest's show no groot file)."""
    os.chmod(tmp_path, 0o777)
    script = ("env | grep -c ^LD_PRELOAD=; cat /proc/self/environ | tr '\\0' '\\n' | grep -c LD_PRELOAD;"
              " LD_PRELOAD=libm.so.6 exec bash -c 'echo \"$LD_PRELOAD\"; printenv LD_PRELOAD;"
              " grep -c groot-fast /proc/self/maps; echo $$ > /out/pid.new; mv /out/pid.new /out/pid;"
              " read line'")
    proc = subprocess.Popen([str(GROOT), "run", "-b", f"{tmp_path}:/out", str(profile), "--",
                             "sh", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        for _ in range(200):
            if (tmp_path / "pid").exists():
                break
            time.sleep(0.05)
        maps = pathlib.Path(f"/proc/{(tmp_path / 'pid').read_text().strip()}/maps").read_text()
    finally:
        out, _ = proc.communicate("done\n", timeout=60)
    assert out.split() == ["0", "0", "libm.so.6", "libm.so.6", "0"], out
    assert "/groot-fast.so" in maps and "/libm.so.6" in maps, maps


def test_ldd_lists_only_the_programs_libraries(profile):
    fast = guest(profile, "ldd /usr/bin/ls | sed 's/ (0x.*//'")
    slow = guest(profile, "ldd /usr/bin/ls | sed 's/ (0x.*//'", "--no-fast-path")
    assert fast.returncode == 0 and fast.stdout == slow.stdout, (fast, slow)
    assert "groot" not in fast.stdout and "/proc/" not in fast.stdout, fast


def test_writes_through_the_fast_path(profile):
    script = ("cd /tmp && mkdir -p w/d && echo x > w/f && mv w/f w/g && ln -s /tmp/w/g w/l && "
              "python3 -c \"import os; os.rename('/tmp/w/g', '/tmp/w/h'); os.symlink('/etc', '/tmp/w/e');"
              " os.chmod('/tmp/w/h', 0o640); os.truncate('/tmp/w/h', 1); os.utime('/tmp/w/h', (5, 5));"
              " print(sorted(os.listdir('/tmp/w')), oct(os.stat('/tmp/w/h').st_mode), os.stat('/tmp/w/h').st_mtime,"
              " os.stat('/tmp/w/h').st_size, os.readlink('/tmp/w/e'), os.path.realpath('/tmp/w/e/passwd'));"
              " os.remove('/tmp/w/h'); os.rmdir('/tmp/w/d'); print(sorted(os.listdir('/tmp/w')))\"")
    fast = guest(profile, script)
    slow = guest(profile, script, "--no-fast-path")
    assert fast.returncode == 0, fast
    assert fast.stdout == slow.stdout, (fast, slow)
    assert " /etc /etc/passwd\n" in fast.stdout, fast


def test_static_programs_still_go_through_the_tracer(profile, trixie_rootfs):
    # ldconfig is static in Debian: no ld.so, no preload; its paths are the tracer's.
    r = guest(profile, "/sbin/ldconfig -p | head -1; readlink /proc/self/exe")
    assert r.returncode == 0, r
    assert "libs found in cache" in r.stdout and "/usr/bin/readlink" in r.stdout, r


XATTRS = r"""
import os
def show(p):
    try:
        return sorted(os.listxattr(p, follow_symlinks=False))
    except OSError as e:
        return e.strerror
out = []
open("/tmp/x1", "w").close()
out.append(show("/tmp/x1"))
os.setxattr("/tmp/x1", "user.a", b"1")
out.append(show("/tmp/x1"))
os.link("/tmp/x1", "/tmp/x2")
os.setxattr("/tmp/x2", "user.b", b"2")
out.append(show("/tmp/x1"))
os.removexattr("/tmp/x1", "user.a")
os.removexattr("/tmp/x1", "user.b")
out.append(show("/tmp/x2"))
out.append(show("/etc/hostname"))
try:  # a lower file: copied up first, for whoever may write it
    os.setxattr("/etc/hostname", "user.c", b"3")
except OSError as e:
    out.append(e.strerror)
out.append(show("/etc/hostname"))
os.unlink("/tmp/x1"); os.unlink("/tmp/x2")
for i in range(20):
    open("/tmp/y%d" % i, "w").close()
    os.setxattr("/tmp/y%d" % i, "user.n", b"x")
out.append([show("/tmp/y%d" % i) for i in range(20)] == [["user.n"]] * 20)
out.append(show("/usr/bin/ls"))
out.append(show("/nonexistent"))
print(out)
"""


def test_listxattr_hints_follow_every_change(profile, trixie_rootfs):
    """groot-fast.so answers listxattr from the view's hints table: never stale."""
    fast = guest(profile, f"python3 -c '{XATTRS}'")
    slow = guest(profile, f"python3 -c '{XATTRS}'", "--no-fast-path")
    assert fast.returncode == 0, fast
    assert fast.stdout == slow.stdout, (fast, slow)
    # user.* needs write access: natively, only root or the file's owner may set it.
    owner = os.stat(trixie_rootfs / "etc" / "hostname").st_uid
    hostname = "['user.c']" if os.geteuid() in (0, owner) else "'Permission denied', []"
    assert fast.stdout.strip() == (f"[[], ['user.a'], ['user.a', 'user.b'], [], [], {hostname}, True, [],"
                                   " 'No such file or directory']"), fast


@pytest.mark.parametrize("extra", [(), ("--no-fast-path",)], ids=["fast", "tracer"])
def test_readlink_resolves_in_the_guests_context(profile, extra):
    # The tracer read links itself: /proc/self reached through a host symlink
    # (/dev/fd), an odd spelling or a guest symlink named the tracer, not the guest.
    script = ("ln -sfn /proc/self /tmp/ps; readlink /dev/fd/0 < /etc/hostname;"
              " readlink //proc/self/exe /proc//self/exe /proc/./self/exe /tmp/ps/exe;"
              " readlink /proc/./self /proc/self | uniq | wc -l;"
              " cd /proc && readlink self/exe ./self/exe")
    r = guest(profile, script, *extra)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["/etc/hostname"] + ["/usr/bin/readlink"] * 4 + ["1"] + \
        ["/usr/bin/readlink"] * 2, r


LIBC_EDGES = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.ftell.argtypes = [ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.readlink.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
libc.readlink.restype = ctypes.c_long
libc.realpath.restype = ctypes.c_char_p
libc.realpath.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
with open("/tmp/append", "w") as f:
    f.write("hello")
for mode in (b"a", b"a+", b"ab", b"r+"):
    f = libc.fopen(b"/tmp/append", mode)
    print(mode, libc.ftell(f))
    libc.fclose(f)
buf = ctypes.create_string_buffer(64)
print("readlink", libc.readlink(b"/usr/bin/cc", buf, 1 << 32), ctypes.get_errno())
for p in (b"/usr/nonexistent/x", b"/tmp/append/x", b"/usr/bin/cc/x"):
    out = ctypes.create_string_buffer(b"Z" * 64, 4096)
    print(p, libc.realpath(p, out), ctypes.get_errno(), out.value[:20])
"""


def test_libc_edges_match_the_tracer(profile):
    # fopen("a") starts at the end; readlink's size is an int; a failed realpath
    # leaves glibc's partial result in the caller's buffer.
    script = f"python3 -c '{LIBC_EDGES.replace(chr(39), chr(34))}'"
    fast = guest(profile, script)
    slow = guest(profile, script, "--no-fast-path")
    assert slow.returncode == 0, slow
    assert fast.returncode == 0 and fast.stdout == slow.stdout, (fast, slow)
    assert "b'a' 5\n" in fast.stdout and "readlink -1 22\n" in fast.stdout, fast


OWNERS = r"""
useradd -m alice
cd /tmp && mkdir -m 2777 sg && chgrp 123 sg
cat > /tmp/alice.sh <<'EOS'
cd /tmp; touch f; mkdir d; ln -s x l; echo > g; touch sg/in; touch /tmp/r
python3 -c 'open("/tmp/p", "w").close(); import os; os.mkdir("/tmp/pd")'
EOS
touch /tmp/r sg/rootin; mkdir sg/rootdir
su alice -c 'sh /tmp/alice.sh'
stat -c "%n %u %g" f d l g p pd sg/in r sg/rootin sg/rootdir
stat -c "mode-%n %a" sg/rootdir
[ "$(ls -A /home/alice)" = "$(ls -A /etc/skel)" ] && echo "skel copied" || echo "skel missing"
"""


@pytest.mark.parametrize("fast", [True, False])
def test_what_a_fake_user_creates_is_its_own(tmp_path, trixie_user_rootfs, fast):
    """Under fake root, after su alice: alice's new files are alice's (a setgid
    directory hands down its group, to root's new files too, and its bit to new
    directories), as the kernel does; an existing file keeps its owner."""
    p = tmp_path / "root.yaml"
    p.write_text(f"version: 1\nname: root\nrootfs:\n  path: {trixie_user_rootfs}\n"
                 "  upper: ephemeral\nuser: root\n")
    script = tmp_path / "owners.sh"
    script.write_text(OWNERS)
    os.chmod(tmp_path, 0o755)
    os.chmod(script, 0o644)
    extra = [] if fast else ["--no-fast-path"]
    r = run_groot("run", *extra, "-b", f"{script}:/owners.sh", p, "--", "bash", "/owners.sh")
    assert r.returncode == 0, r
    owners = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert owners == {"f": "1000 1000", "d": "1000 1000", "l": "1000 1000", "g": "1000 1000",
                      "p": "1000 1000", "pd": "1000 1000", "sg/in": "1000 123", "r": "0 0",
                      "sg/rootin": "0 123", "sg/rootdir": "0 123",
                      "mode-sg/rootdir": "2755", "skel": "copied"}, r
    # useradd -m copies the skeleton whole: its ACL copy is "not supported", not EPERM.
    assert "Operation not permitted" not in r.stderr, r


# Paths with "..": the library has the kernel resolve them beneath the view's
# root (openat2 RESOLVE_BENEATH) and leaves to the tracer what would leave it.
DOTDOT_CASES = [
    "/usr/lib/gcc/x86_64-linux-gnu/14/../../../x86_64-linux-gnu/libc.so.6",  # stays inside
    "/lib/../etc",            # /lib -> usr/lib: ".." is /usr, as the kernel walks it
    "/lib/../lib/x86_64-linux-gnu",
    "/../../etc/passwd",      # above the root: clamped (the tracer's walk)
    "/etc/passwd/../x",       # ENOTDIR
    "/etc/../nonexistent",    # ENOENT
    "climb/../passwd",        # a relative symlink out of the root, clamped at it
    "abs/../lib",             # an absolute symlink (/usr/bin): the tracer's
    "sub/../sub", "../fastcheck/sub/..", "sub/../../fastcheck",
    "/proc/self/../self/status",  # a direct bind
    "/usr/bin/../../usr/bin/../bin/ls",
]

DOTDOT_CHECKER = r"""
import errno, os, sys
def attempt(f):
    try:
        return f()
    except OSError as ex:
        return errno.errorcode[ex.errno]
os.chdir("/tmp/fastcheck")
for p in sys.argv[1:]:
    st = attempt(lambda: oct(os.stat(p).st_mode))
    lst = attempt(lambda: oct(os.lstat(p).st_mode))
    acc = (os.access(p, os.R_OK), os.access(p, os.X_OK))
    opened = attempt(lambda: os.close(os.open(p, os.O_RDONLY)) or "ok")
    with_dir = attempt(lambda: os.close(os.open(p, os.O_RDONLY | os.O_DIRECTORY)) or "ok")
    text = attempt(lambda: len(open(p, "rb").read(64)))
    def cd():
        os.chdir(p)
        here = os.getcwd()
        os.chdir("/tmp/fastcheck")
        return here
    print(repr(p), st, lst, acc, opened, with_dir, text, attempt(cd))
os.chdir("/tmp/fastcheck/sub")
os.chdir("../..")
print("cwd", os.getcwd())
"""


def test_dotdot_paths_resolve_beneath_the_root_without_the_tracer(profile):
    fast, lines = check_like_the_tracer(profile, DOTDOT_CHECKER, DOTDOT_CASES, "--trace")
    assert lines["'/lib/../etc'"].startswith("ENOENT"), lines
    assert lines["'/../../etc/passwd'"].startswith("0o100644"), lines
    assert lines["'/etc/passwd/../x'"].startswith("ENOTDIR"), lines
    assert lines["'climb/../passwd'"].startswith("ENOENT"), lines
    assert "cwd /tmp" in fast.stdout, fast.stdout
    # What stays beneath the root never reaches the tracer; what leaves it does.
    traps = [l for l in fast.stderr.splitlines() if re.match(r"\[\d+\] \w+\(", l)]
    assert not [l for l in traps if "/14/../" in l or "sub/../sub" in l], traps
    assert [l for l in traps if "/../../etc/passwd" in l], traps


@pytest.fixture(scope="module")
def direct_profile(tmp_path_factory, trixie_rootfs):
    """Two direct binds of host trees with links of every kind: one at another guest
    path (/mapped), one at its own path."""
    tree = tmp_path_factory.mktemp("direct")
    for name in ("mapped", "same"):
        d = tree / name
        (d / "sub").mkdir(parents=True)
        (d / "file").write_text("data\n")
        os.symlink("file", d / "rel")
        os.symlink(str(d / "sub"), d / "abs-inside")
        os.symlink("/etc/hostname", d / "abs-outside")
        os.symlink(str(tree), d / "abs-parent")
        os.symlink("loop-b", d / "loop-a")
        os.symlink("loop-a", d / "loop-b")
        os.symlink("sub/../file", d / "dotdot")
    os.chmod(tree, 0o755)
    path = tmp_path_factory.mktemp("profile") / "direct.yaml"
    path.write_text(f"version: 1\nname: direct\nrootfs:\n  path: {trixie_rootfs}\n"
                    f"  upper: ephemeral\nbinds:\n  - {tree / 'mapped'}:/mapped:direct\n"
                    f"  - {tree / 'same'}:{tree / 'same'}:direct\n")
    return path, tree


def test_lookups_in_direct_binds_skip_the_tracer(direct_profile):
    """stat, access, readlink, realpath and opens for reading of paths in a direct
    bind: done in the process (groot-fast.so), shown as the tracer shows them."""
    profile, tree = direct_profile
    names = ["", "/file", "/rel", "/abs-inside", "/abs-outside", "/abs-parent", "/loop-a",
             "/dotdot", "/sub", "/sub/", "/missing", "/file/x", "/rel/"]
    cases = [f"/mapped{n}" for n in names] + [f"{tree}/same{n}" for n in names]
    checker = CHECKER.split('os.chdir("/proc/self")')[0].replace('os.chdir("/tmp/fastcheck")', "")
    script = "python3 -c '%s' " % checker.replace(chr(39), chr(34)) + " ".join(f"'{c}'" for c in cases)
    fast = guest(profile, script, "--trace")
    slow = guest(profile, script, "--trace", "--no-fast-path")
    assert fast.returncode == 0 and slow.returncode == 0, (fast, slow)
    assert fast.stdout == slow.stdout
    lines = dict(l.split(" ", 1) for l in fast.stdout.splitlines())
    # The tracer's rules: a link into its own bind is shown through the bind.
    assert lines["'/mapped/abs-inside'"].split()[:2] == ["/mapped/sub", "/mapped/sub"], lines
    assert lines[f"'{tree}/same/abs-inside'"].split()[1] == f"{tree}/same/sub", lines
    assert lines["'/mapped/abs-outside'"].split()[1] == "/etc/hostname", lines
    assert lines["'/mapped/loop-a'"].startswith("ELOOP"), lines
    assert lines["'/mapped/file'"].split()[-2:] == ["ok", "True"], lines
    slow_traps = len([l for l in slow.stderr.splitlines() if "/mapped" in l or "/same" in l])
    fast_traps = len([l for l in fast.stderr.splitlines() if "/mapped" in l or "/same" in l])
    assert slow_traps > 50 and fast_traps * 5 < slow_traps, (fast_traps, slow_traps)


# A preload library of the guest's own, loaded before groot-fast.so (fakeroot's
# place): its fstatat wraps the next one, as libfakeroot's wrappers do.
OWN_PRELOAD = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <sys/stat.h>
int fstatat(int fd, const char *path, struct stat *st, int flags)
{
	int (*next)(int, const char *, struct stat *, int) = dlsym(RTLD_NEXT, "fstatat");
	fprintf(stderr, "wrapped fstatat %s\n", path);
	return next(fd, path, st, flags);
}
"""
STATS = r"""
#include <stdio.h>
#include <sys/stat.h>
int main(void)
{
	struct stat st;
	printf("stat %d lstat %d\n", stat("/", &st), lstat("/", &st));
	return 0;
}
"""


def test_a_guest_preload_sees_only_the_calls_the_program_makes(profile, tmp_path):
    """groot-fast.so's stat must not call its own fstatat through the GOT: a
    library preloaded before it (fakeroot) would get that call too, and libfakeroot
    called back into groot-fast.so until the stack overflowed."""
    r = run_groot("run", profile, "--", "bash", "-c",
                  "set -e; cd /tmp; printf '%s' \"$1\" > l.c; printf '%s' \"$2\" > p.c; "
                  "cc -shared -fPIC -o l.so l.c -ldl; cc -o p p.c; LD_PRELOAD=/tmp/l.so ./p",
                  "sh", OWN_PRELOAD, STATS)
    assert r.returncode == 0, r
    # glibc's own stat and lstat call no exported fstatat: the wrapper sees nothing.
    assert r.stdout == "stat 0 lstat 0\n" and "wrapped" not in r.stderr, r


STAT_THEN_LIST = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static void look(const char *p)
{
	struct statx stx;
	if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0)
		perror("statx");
}

static void show(const char *what, const char *p)
{
	char list[256] = "";
	printf("%s %zd %s\n", what, llistxattr(p, list, sizeof(list)), list);
}

static void make(const char *p, const char *xattr)
{
	close(open(p, O_CREAT | O_WRONLY, 0644));
	if (xattr && setxattr(p, xattr, "1", 1, 0) != 0)
		perror("setxattr");
}

int main(void)
{
	struct statx stx;
	int dir, top = open("/tmp/m", O_RDONLY | O_DIRECTORY);

	make("/tmp/m/a", NULL);
	make("/tmp/m/b", "user.b");
	look("/tmp/m/a");
	renameat2(AT_FDCWD, "/tmp/m/b", AT_FDCWD, "/tmp/m/a", RENAME_EXCHANGE);
	show("exchanged", "/tmp/m/a");
	make("/tmp/m/d", "user.d");
	link("/tmp/m/b", "/tmp/m/b2"); /* the inode renamed over lives on */
	look("/tmp/m/b");
	rename("/tmp/m/d", "/tmp/m/b");
	show("renamed", "/tmp/m/b");
	make("/tmp/m/e", NULL);
	look("/tmp/m/e");
	setxattr("/tmp/m/e", "user.late", "1", 1, 0);
	show("set", "/tmp/m/e");
	make("/tmp/m/sub/c", NULL);
	make("/tmp/m/c", "user.c");
	dir = open("/tmp/m/sub", O_RDONLY | O_DIRECTORY);
	chdir("/tmp/m");
	statx(dir, "c", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx);
	show("dirfd", "c");
	chdir("/tmp/m/sub");
	look("c");
	fchdir(top);
	show("fchdir", "c");
	statx(AT_FDCWD, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx);
	show("empty", "");
	look("/tmp/m/c");
	show("same", "/tmp/m/c");
	look("/tmp/m/sub/c");
	show("other", "/tmp/m/c");
	return 0;
}
"""


@pytest.mark.parametrize("extra", [(), ("--no-fast-path",)], ids=["fast", "tracer"])
def test_listxattr_after_statx_sees_what_changed_between(profile, extra):
    """ls -l lists the xattrs of the path it has just stat'ed, and groot-fast.so
    then takes the inode from that statx: a rename in between (the fast path's,
    or renameat2 with a flag, the tracer's), another dirfd, a change of cwd
    (fchdir) or an empty path must not fool it."""
    r = run_groot("run", *extra, profile, "--", "bash", "-c",
                  "set -e; rm -rf /tmp/m; mkdir -p /tmp/m/sub; cd /tmp; printf '%s' \"$1\" > sl.c; "
                  "cc -o sl sl.c; ./sl", "sh", STAT_THEN_LIST)
    assert r.returncode == 0, r
    assert r.stdout == ("exchanged 7 user.b\nrenamed 7 user.d\nset 10 user.late\ndirfd 7 user.c\n"
                        "fchdir 7 user.c\nempty -1 \nsame 7 user.c\nother 7 user.c\n"), r


CHOWNS = r'''
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *a):
    r = getattr(libc, name)(*a)
    return os.strerror(ctypes.get_errno()) if r else "ok"
for d in sys.argv[1:]:
    os.system(f"rm -rf {d}/own; mkdir -p {d}/own")
    p = f"{d}/own"
    open(f"{p}/f", "w").close(); os.symlink("f", f"{p}/l"); os.symlink("gone", f"{p}/dang")
    fd = os.open(p, os.O_RDONLY)
    f = os.open(f"{p}/f", os.O_RDONLY)
    st = lambda n, follow=True: (os.stat if follow else os.lstat)(f"{p}/{n}")
    print(d, "fchmodat nofollow", call("fchmodat", fd, b"f", 0o640, 0x100), oct(st("f").st_mode))
    print(d, "fchmodat nofollow link", call("fchmodat", fd, b"l", 0o600, 0x100))
    print(d, "fchmodat", call("fchmodat", fd, b"l", 0o604, 0), oct(st("f").st_mode))
    print(d, "fchmodat bad flag", call("fchmodat", fd, b"f", 0o604, 0x200))
    print(d, "fchownat empty", call("fchownat", fd, b"", 5, 6, 0x1000), st("").st_uid)
    print(d, "fchownat link", call("fchownat", fd, b"l", 7, 8, 0x100), st("l", False).st_uid)
    print(d, "lchown", call("lchown", f"{p}/dang".encode(), 9, 9), st("dang", False).st_gid)
    print(d, "chown", call("chown", f"{p}/f".encode(), 3, 4), st("f").st_uid)
    print(d, "chown missing", call("chown", f"{p}/nope".encode(), 1, 1))
    print(d, "fchown", call("fchown", f, 11, 12), st("f").st_gid)
    print(d, "fchown keep", call("fchown", f, 0xffffffff, 13), st("f").st_uid, st("f").st_gid)
    print(d, "fchown bad fd", call("fchown", 999, 1, 1))
'''


@pytest.mark.parametrize("who", [("-0",), ()], ids=["fake-root", "host-user"])
def test_owners_and_modes_match_the_tracer(direct_profile, who):
    """chown, lchown, fchown, fchownat and fchmodat in groot-fast.so, in the view and in
    a direct bind (where fake root's EPERM is success, as PRoot has it): what the
    tracer does, and fchown no longer stops there."""
    profile, tree = direct_profile
    script = f"python3 -c '{CHOWNS}' /tmp /mapped"
    fast = guest(profile, script, *who, "--trace")
    slow = guest(profile, script, *who, "--trace", "--no-fast-path")
    assert fast.returncode == 0 and slow.returncode == 0, (fast, slow)
    assert fast.stdout == slow.stdout
    assert "/tmp chown ok 3" in fast.stdout or not who, fast.stdout
    # In the view (a direct bind's changes are the tracer's, as for every write there).
    assert not [l for l in fast.stderr.splitlines()
                if re.match(r"\[\d+\] (fchown|fchmodat|chown|lchown)\w*\(\"/tmp", l)]
    assert [l for l in slow.stderr.splitlines() if re.match(r"\[\d+\] l?chown\(\"/tmp", l)]


def test_a_user_namespace_of_its_own_starts_programs_quietly(profile):
    """unshare -U: a process in another user namespace may not open the tracer's
    /proc/PID/fd/N, so it starts without groot-fast.so instead of having ld.so print an
    error at every exec. Natively (as this user, outside the guest) the same is silent."""
    script = "unshare -Ur sh -c 'id -u; cat /etc/hostname >/dev/null; ls / >/dev/null; echo done'"
    native = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    if native.returncode != 0:
        pytest.skip(f"no unprivileged user namespaces here: {native.stderr.strip()}")
    r = run_groot("run", profile, "--", "bash", "-c", script)
    assert (r.returncode, r.stdout, r.stderr) == (0, "0\ndone\n", ""), r


# A direct bind point named without following it: relatively, by a dirfd, through "..".
BIND_POINTS = r"""
cd / && stat -c '%n %F' proc dev sys ./proc
cd /usr && stat -c '%n %F' ../proc /usr/../sys && ls -ld ../dev | cut -c1 && cd /
readlink proc; echo "readlink $?"
find / -maxdepth 2 \( -name cpuinfo -o -name null \) 2>/dev/null | sort
find / -maxdepth 1 -type d -name 'mnt*' | sort
cd /mnt && stat -c '%n %F' host-dir && ls host-dir && cd /
python3 -c 'import os, stat; fd = os.open("/", os.O_RDONLY)
print([stat.filemode(os.stat(n, dir_fd=fd, follow_symlinks=False).st_mode)[0] for n in ("proc", "dev", "tmp")])'
printf '#include <stdio.h>\n#include <sys/stat.h>\nint main(void) { struct stat st;
return lstat("proc", &st) || printf("static proc %%s\\n", S_ISDIR(st.st_mode) ? "directory" : "other") < 0; }\n' |
gcc -static -O2 -x c -o /tmp/lstat-static - && /tmp/lstat-static
"""


@pytest.mark.parametrize("how", ["default", "no-fast-path", "no-notify", "fake-root"])
def test_bind_points_named_without_following_are_directories(profile, tmp_path, how):
    """The view shows a direct bind point as a symlink to its guest path; a walk through
    it follows the link, but lstat, readlink and O_NOFOLLOW on the point itself met the
    link (find / skipped /proc and /dev). As natively, the host's directory, however the
    point is named; ground truth: the host's own /proc, /dev, /sys."""
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    (host_dir / "inside").write_text("x")
    os.chmod(tmp_path, 0o755)
    extra = {"default": (), "no-fast-path": ("--no-fast-path",), "no-notify": (),
             "fake-root": ("-0",)}[how]
    env = {"GROOT_NO_NOTIFY": "1"} if how == "no-notify" else None
    r = run_groot("run", *extra, "-b", f"{host_dir}:/mnt/host-dir:direct", profile, "--",
                  "bash", "-c", BIND_POINTS, env=env)
    kind = {p: "directory" if os.path.isdir(p) and not os.path.islink(p) else "other"
            for p in ("/proc", "/dev", "/sys")}
    want = (f"proc {kind['/proc']}\ndev {kind['/dev']}\nsys {kind['/sys']}\n./proc {kind['/proc']}\n"
            f"../proc {kind['/proc']}\n/usr/../sys {kind['/sys']}\nd\n"
            "readlink 1\n/dev/null\n/proc/cpuinfo\n/mnt\nhost-dir directory\ninside\n"
            "['d', 'd', 'd']\nstatic proc directory\n")
    assert (r.returncode, r.stdout) == (0, want), r


DOTDOT_UNDER_RENAMES = r"""
import multiprocessing, os
def renamer(stop):
    open("/tmp/rename-a", "w").close()
    while not stop.is_set():
        for _ in range(200):
            os.rename("/tmp/rename-a", "/tmp/rename-b")
            os.rename("/tmp/rename-b", "/tmp/rename-a")
if __name__ == "__main__":
    stop = multiprocessing.Event()
    p = multiprocessing.Process(target=renamer, args=(stop,))
    p.start()
    errors = {}
    for i in range(20000):
        try:
            os.stat("/usr/lib/../bin/ls")
        except OSError as e:
            errors[e.errno] = errors.get(e.errno, 0) + 1
    stop.set()
    p.join()
    print("errors", errors)
"""


@pytest.mark.parametrize("user", ["host", "root"])
def test_dotdot_lookups_survive_renames_elsewhere(profile, user):
    """openat2(RESOLVE_BENEATH) answers EAGAIN when any rename on the system races a walk
    through "..": groot-fast.so passed that on, and a build's stat of testdir/../src/lib.so
    failed now and then (cmark's test suite). It retries, then hands the path to the tracer."""
    r = guest(profile, "python3 -c '%s'" % DOTDOT_UNDER_RENAMES.replace("'", "\"'\"'"),
              *(["-0"] if user == "root" else []))
    assert (r.returncode, r.stdout) == (0, "errors {}\n"), r


DEEP_CWD = """
import os
os.makedirs("/tmp/deep-cwd", exist_ok=True); os.chdir("/tmp/deep-cwd")
for i in range(20):
    name = ("%02d" % i) * 125
    os.makedirs(name, exist_ok=True); os.chdir(name)
print(len(os.getcwd()), os.getcwd().startswith("/tmp/deep-cwd/0000"))
"""


def test_getcwd_deeper_than_path_max(profile):
    """A cwd longer than PATH_MAX: glibc's getcwd walks ".." when the syscall says
    ENAMETOOLONG; groot-fast.so's getcwd gave up with that error (bash's pwd failed)."""
    script = f"python3 -c '{DEEP_CWD}'"
    fast, slow = guest(profile, script), guest(profile, script, "--no-fast-path")
    assert (fast.returncode, fast.stdout) == (0, f"{13 + 20 * 251} True\n"), fast
    assert fast.stdout == slow.stdout, slow
