# SPDX-License-Identifier: MIT
"""The PRoot-compatible command line: groot proot, and groot invoked as `proot`."""
import os
import shutil
import subprocess

import pytest

from conftest import GROOT, run_groot


@pytest.fixture
def rootfs(tmp_path, tiny_rootfs):
    """A private copy: groot proot writes in place, as PRoot does."""
    copy = tmp_path / "rootfs"
    shutil.copytree(tiny_rootfs, copy, symlinks=True)
    return copy


@pytest.mark.root_subset
def test_root_id_cwd_and_in_place_writes(rootfs):
    r = run_groot("proot", "-r", rootfs, "-0", "-w", "/etc", "sh", "-c",
                  "id -u; pwd; echo new > /root/newfile; chown 7:8 /root/newfile; "
                  "stat -c '%u %g' /root/newfile")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:3] == ["0", "/etc", "7 8"], r
    # In place: the file is in the rootfs itself, with the host user's real ownership.
    assert (rootfs / "root" / "newfile").read_text() == "new\n"
    assert (rootfs / "root" / "newfile").stat().st_uid == os.geteuid()
    # ... and the fake ownership persists for the next run.
    r = run_groot("proot", "-r", rootfs, "-0", "stat", "-c", "%u %g", "/root/newfile")
    assert r.stdout.strip() == "7 8", r


def test_bind_host_path_at_guest_path(rootfs, tmp_path):
    host = tmp_path / "shared"
    host.mkdir()
    (host / "note").write_text("from the host\n")
    r = run_groot("proot", "-r", rootfs, "-b", f"{host}:/mnt/shared", "cat", "/mnt/shared/note")
    assert r.returncode == 0 and r.stdout == "from the host\n", r
    r = run_groot("proot", "-r", rootfs, "-m", f"{host}", "cat", f"{host}/note")
    assert r.returncode == 0 and r.stdout == "from the host\n", r


def test_invoked_as_proot(rootfs, tmp_path):
    link = tmp_path / "proot"
    link.symlink_to(GROOT)
    r = subprocess.run([str(link), "-r", str(rootfs), "-0", "id", "-u"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0", r


@pytest.mark.parametrize("option", [["-i", "1000"], ["--no-such-option"]])
def test_unsupported_options_fail_clearly(rootfs, option):
    r = run_groot("proot", "-r", rootfs, *option, "true")
    assert r.returncode == 2, r
    assert r.stderr.strip(), "an unsupported option must say why it fails"


def test_help_and_version():
    r = run_groot("proot", "-h")
    assert r.returncode == 0 and "-r, --rootfs" in r.stdout
    r = run_groot("proot", "-V")
    assert r.returncode == 0 and "PRoot-compatible" in r.stdout


def test_exit_status_and_default_command(rootfs):
    r = run_groot("proot", "-r", rootfs, "sh", "-c", "exit 9")
    assert r.returncode == 9, r
    r = run_groot("proot", "-r", rootfs, input="echo from-default-shell\n")
    assert r.returncode == 0 and "from-default-shell" in r.stdout, r


def test_change_id_and_kernel_release(rootfs):
    r = run_groot("proot", "-r", rootfs, "-i", "1234:5678", "-k", "3.2.1-fake", "sh", "-c",
                  "id -u; id -g; uname -r")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["1234", "5678", "3.2.1-fake"], r


def test_starts_in_the_hosts_cwd_when_the_guest_has_it(rootfs, tmp_path):
    """As PRoot: the host's cwd when that path exists in the guest (a program given
    as ./name runs from there), else /."""
    here = tmp_path / "here"
    here.mkdir()
    inside = rootfs / str(here).lstrip("/")
    inside.mkdir(parents=True)
    (inside / "hello").write_text("#!/bin/sh\necho hello from $(pwd)\n")
    (inside / "hello").chmod(0o755)
    r = run_groot("proot", "-r", rootfs, "./hello", cwd=here)
    assert (r.returncode, r.stdout) == (0, f"hello from {here}\n"), r
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run_groot("proot", "-r", rootfs, "pwd", cwd=elsewhere)
    assert (r.returncode, r.stdout) == (0, "/\n"), r


def test_workdir_relative_missing_and_through_guest_symlinks(rootfs):
    """As PRoot: a relative -w is relative to the host's cwd, a missing one is a warning
    and /; symlinks on the way are the guest's."""
    r = run_groot("proot", "-r", rootfs, "-w", "etc", "pwd", cwd="/")
    assert (r.returncode, r.stdout) == (0, "/etc\n"), r
    r = run_groot("proot", "-r", rootfs, "-w", ".", "pwd", cwd="/etc")
    assert (r.returncode, r.stdout) == (0, "/etc\n"), r
    # An absolute symlink in the guest is the guest's, not the host's.
    (rootfs / "srv").mkdir(exist_ok=True)
    (rootfs / "srv" / "conf").symlink_to("/etc")
    (rootfs / "etc" / "guest-only").write_text("guest\n")
    r = run_groot("proot", "-r", rootfs, "-w", "/srv/conf", "cat", "guest-only")
    assert (r.returncode, r.stdout) == (0, "guest\n"), r
    r = run_groot("proot", "-r", rootfs, "-w", "/no/such/dir", "pwd")
    assert (r.returncode, r.stdout) == (0, "/\n") and "/no/such/dir" in r.stderr, r


def test_any_directory_is_a_rootfs(tmp_path, tiny_rootfs):
    """PRoot takes any directory; a profile's rootfs must look like one."""
    mini = tmp_path / "mini"
    (mini / "bin").mkdir(parents=True)
    shutil.copy(tiny_rootfs / "bin" / "busybox", mini / "bin" / "busybox")
    r = run_groot("proot", "-r", mini, "/bin/busybox", "echo", "ok")
    assert (r.returncode, r.stdout) == (0, "ok\n"), r
    r = run_groot("proot", "-r", mini / "bin" / "busybox", "/bin/busybox", "true")
    assert r.returncode == 125 and "not a directory" in r.stderr, r


def test_fusermount_is_found_whatever_the_path(rootfs):
    r = run_groot("proot", "-r", rootfs, "/bin/busybox", "echo", "ok",
                  env={"PATH": "/nonexistent"})
    assert (r.returncode, r.stdout) == (0, "ok\n"), r


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, groot would keep it in /.groot")
def test_fake_ownership_with_the_host_as_rootfs(tmp_path):
    """-0 without -r: the rootfs is "/", where the user cannot make /.groot; the fake
    metadata is kept in the user's data directory instead, and persists."""
    if os.stat(tmp_path).st_dev != os.stat("/").st_dev:
        pytest.skip("the side store keeps the files of the rootfs's own filesystem")
    data = tmp_path / "data"
    target = tmp_path / "owned"
    env = {"XDG_DATA_HOME": str(data)}
    r = run_groot("proot", "-0", "sh", "-c", f"touch {target}; chown 12:34 {target}; "
                  f"stat -c '%u %g' {target}", env=env)
    assert (r.returncode, r.stdout) == (0, "12 34\n"), r
    r = run_groot("proot", "-0", "stat", "-c", "%u %g", target, env=env)
    assert (r.returncode, r.stdout) == (0, "12 34\n"), r
    assert (data / "groot" / "metadata" / "%2F" / ".groot" / "metadata").is_file()
    assert target.stat().st_uid == os.geteuid()


def test_chroot_needs_the_capability_as_natively(tmp_path, trixie_rootfs):
    """chroot(2) is CAP_SYS_CHROOT's: fake root may chroot to the guest's root, a fake
    user (-i) or the plain host user gets EPERM, as the kernel gives an unprivileged one."""
    r = run_groot("proot", "-r", trixie_rootfs, "-0", "/usr/sbin/chroot", "/", "/bin/true")
    assert r.returncode == 0, r
    native = subprocess.run(["/usr/sbin/chroot", "/", "/bin/true"], capture_output=True,
                            text=True)
    # The plain host user as natively: root may, an unprivileged user may not.
    assert native.returncode == (0 if os.geteuid() == 0 else 125), native
    for identity, expected in ((["-i", "123:456"], 125), ([], native.returncode)):
        r = run_groot("proot", "-r", trixie_rootfs, *identity, "/usr/sbin/chroot", "/",
                      "/bin/true")
        assert r.returncode == expected, (identity, r)
        assert expected == 0 or "Operation not permitted" in r.stderr, (identity, r)


def test_nested_binds_win_in_any_order(tmp_path):
    """PRoot's test cea75343: the most specific bind wins, whatever the order given."""
    (tmp_path / "one").write_text("binding 1\n")
    (tmp_path / "two").write_text("binding 2\n")
    a = tmp_path / "a"
    (a / "b").mkdir(parents=True)
    binds = [["-b", f"{a}"], ["-b", f"{tmp_path}/two:{a}/d"], ["-b", f"{a}/b"],
             ["-b", f"{tmp_path}/one:{a}/b/c"]]
    for order in (binds, binds[::-1]):
        args = [x for b in order for x in b]
        r = run_groot("proot", *args, "cat", f"{a}/d", f"{a}/b/c")
        assert (r.returncode, r.stdout) == (0, "binding 2\nbinding 1\n"), (order, r)


def test_bind_points_list_with_their_own_type(tmp_path, trixie_rootfs):
    """PRoot's test 654decce: a directory entry made by a bind has the bound object's
    type (readdir's d_type, which scandir reports without a stat), not a placeholder's."""
    (tmp_path / "file").write_text("x\n")
    (tmp_path / "dir").mkdir()
    script = ("import os; print(sorted((e.name, e.is_file(follow_symlinks=False), "
              "e.is_dir(follow_symlinks=False), e.is_symlink()) for e in os.scandir('/x/y')))")
    r = run_groot("proot", "-r", trixie_rootfs, "-b", f"{tmp_path / 'file'}:/x/y/f",
                  "-b", f"{tmp_path / 'dir'}:/x/y/d", "python3", "-c", script)
    assert (r.returncode, r.stdout) == \
        (0, "[('d', False, True, False), ('f', True, False, False)]\n"), r


def test_cwd_in_a_bind_of_the_hosts_root(tmp_path):
    """PRoot's test 0238c7f1: with the host's / bound at /hostfs, a cwd entered through it
    is named through it."""
    r = run_groot("proot", "-m", "/:/hostfs", "-w", "/hostfs/etc", "/bin/pwd")
    assert (r.returncode, r.stdout) == (0, "/hostfs/etc\n"), r
    r = run_groot("proot", "-m", "/:/hostfs", "-w", "/hostfs/etc", "sh", "-c",
                  "cd /hostfs/usr && /bin/pwd && cd /etc && /bin/pwd")
    assert (r.returncode, r.stdout) == (0, "/hostfs/usr\n/etc\n"), r


@pytest.mark.parametrize("first", ["a", "b"])
def test_workdir_in_one_of_two_binds_of_a_directory(rootfs, tmp_path, first):
    """One host directory bound at /a and at /b: -w names the one it was given, in
    either order of the binds; after a cd, the first bind given names it (as PRoot,
    which keeps -w as given and names a chdir's directory by its bindings)."""
    d = tmp_path / "shared"
    d.mkdir()
    second = "b" if first == "a" else "a"
    binds = ["-b", f"{d}:/{first}", "-b", f"{d}:/{second}"]
    for workdir in ("/a", "/b"):
        r = run_groot("proot", "-r", rootfs, *binds, "-w", workdir, "sh", "-c",
                      "/bin/pwd; cd /b && /bin/pwd; cd /a && /bin/pwd")
        assert (r.returncode, r.stdout) == (0, f"{workdir}\n/{first}\n/{first}\n"), r


def test_the_auxv_carries_the_fake_ids(trixie_rootfs):
    """getauxval(AT_UID...) agrees with getuid() under -i and -0 (the loader-shim writes
    the fake ids where the kernel wrote the host's)."""
    for identity, expected in ((["-i", "1234:5678"], "1234 1234 5678 5678"),
                               (["-0"], "0 0 0 0")):
        r = run_groot("proot", "-r", trixie_rootfs, *identity, "sh", "-c",
                      "LD_SHOW_AUXV=1 /bin/true | awk '/^AT_E?[UG]ID:/ {print $2}' | "
                      "tr '\\n' ' '")
        assert (r.returncode, r.stdout.strip()) == (0, expected), (identity, r)


SETCAP = """
import os
open("/work/f", "w").close()
try:
    os.setxattr("/work/f", "security.capability", bytes([1, 0, 0, 2]) + bytes(16))
    print("set ok")
except OSError as e:
    print("set", e.errno)
"""


def test_fake_root_may_set_file_capabilities(tmp_path, trixie_rootfs):
    """PRoot's test e87ca6ca (setcap under -0): the host refuses security.* to the user,
    fake root reports success as PRoot does; a fake user gets EPERM as natively (the
    kernel judges the invoking user: as root, as under PRoot, it may)."""
    os.chmod(tmp_path, 0o755)
    as_fake_user = "set ok" if os.geteuid() == 0 else "set 1"
    for identity, expected in ((["-0"], "set ok"), (["-i", "12:34"], as_fake_user)):
        r = run_groot("proot", "-r", trixie_rootfs, *identity, "-b", f"{tmp_path}:/work",
                      "python3", "-c", SETCAP)
        assert (r.returncode, r.stdout.strip()) == (0, expected), (identity, r)


def test_a_bind_on_a_guest_symlink_lands_where_it_leads(rootfs, tmp_path):
    """PRoot dereferences a bind's guest location (its test 6b5a254a): every link to that
    place shows the bound content; a trailing ! keeps the link itself as the bind point."""
    host = tmp_path / "content"
    host.mkdir()
    (host / "f").write_text("bound\n")
    (rootfs / "opt" / "real").mkdir(parents=True)
    (rootfs / "abslink").symlink_to("/opt/real")
    (rootfs / "opt" / "rel").symlink_to("real")
    for link in ("/abslink", "/opt/rel", "/abslink/../opt/rel"):
        r = run_groot("proot", "-r", rootfs, "-b", f"{host}:{link}", "sh", "-c",
                      "cat /opt/real/f /abslink/f /opt/rel/f")
        assert (r.returncode, r.stdout) == (0, "bound\n" * 3), (link, r)
    r = run_groot("proot", "-r", rootfs, "-b", f"{host}:/abslink!", "sh", "-c",
                  "ls /opt/real; echo =; cat /abslink/f")
    assert (r.returncode, r.stdout) == (0, "=\nbound\n"), r
    assert list((rootfs / "opt" / "real").iterdir()) == []


def test_R_binds_the_rootfs_at_its_own_path(tiny_rootfs):
    """-R's "*path*": the guest also sees its rootfs at the host path (outside /tmp and
    $HOME, which -R binds anyway)."""
    import tempfile
    top = tempfile.mkdtemp(dir="/var/tmp")
    try:
        rootfs = os.path.join(top, "rootfs")
        shutil.copytree(tiny_rootfs, rootfs, symlinks=True)
        for option in ("-R", "-S"):
            r = run_groot("proot", option, rootfs, "cat", f"{rootfs}/etc/hostname")
            assert r.returncode == 0, (option, r)
            assert r.stdout == open(f"{rootfs}/etc/hostname").read()
    finally:
        shutil.rmtree(top)


def test_readlink_in_a_bind_at_another_guest_path(rootfs, tmp_path):
    """A link in a bind whose absolute target lies in that bind reads as the target's guest
    path, wherever the bind is (PRoot's tests 22222222 and 8e5fa256)."""
    host = tmp_path / "d"
    host.mkdir()
    (host / "x").write_text("x\n")
    (host / "l").symlink_to(host / "x")
    (host / "out").symlink_to("/etc/hostname")
    r = run_groot("proot", "-r", rootfs, "-b", f"{host}:/ced", "sh", "-c",
                  "readlink /ced/l; cd /ced && readlink l; readlink /ced/out; cat /ced/l")
    assert (r.returncode, r.stdout) == (0, "/ced/x\n/ced/x\n/etc/hostname\nx\n"), r


def test_exit_status_is_the_last_process_to_exit(rootfs):
    """PRoot's test 33333333: PRoot exits with the status of the last process to
    exit, an orphan outliving the command included (groot run: the command's)."""
    r = run_groot("proot", "-r", rootfs, "sh", "-c", "(sleep 1; exit 4) & exit 3")
    assert r.returncode == 4, r
    r = run_groot("proot", "-r", rootfs, "sh", "-c", "exit 5")
    assert r.returncode == 5, r


def test_a_relative_bind_destination_is_from_the_starting_directory(rootfs, tmp_path):
    """PRoot's test 6b5a254a: -b HOST:GUEST with a relative GUEST binds it below the cwd."""
    (tmp_path / "note").write_text("noted\n")
    os.chmod(tmp_path, 0o755)
    r = run_groot("proot", "-r", rootfs, "-b", f"{tmp_path}/note:rel/note", "cat",
                  f"{os.getcwd()}/rel/note")
    assert r.returncode == 0 and r.stdout == "noted\n", r
