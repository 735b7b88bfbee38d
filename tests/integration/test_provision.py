# SPDX-License-Identifier: MIT
"""Rootless bootstrap: `groot provision` as an unprivileged user (debootstrap's first stage
under fakeroot, the second under groot's own fake root, metadata kept in the tree), and the
hard links of setuid/setgid files that dpkg makes on the way, which the kernel's
protected_hardlinks refuses to anyone but the owner.
"""
import os
import pathlib

import pytest

from conftest import TRIXIE_ROOTFS, as_root, run_groot, write_profile

USER_ROOTFS = pathlib.Path(os.environ.get("GROOT_TRIXIE_USER_ROOTFS", TRIXIE_ROOTFS))


def protected_hardlinks():
    return pathlib.Path("/proc/sys/fs/protected_hardlinks").read_text().strip() == "1"


@pytest.mark.trixie
@pytest.mark.root_subset
def test_hard_link_of_setid_files_under_fake_root(tmp_path, no_leftover_mounts):
    profile = write_profile(tmp_path, USER_ROOTFS, extra="  upper: ephemeral\nuser: root\n")
    script = (
        "set -e; cd /tmp; umask 022\n"
        "for mode in 4755 2755 6755 2745 0755; do\n"
        "  touch f$mode; chmod $mode f$mode\n"
        "  ln f$mode l$mode; ln -L f$mode L$mode\n"
        "  stat -c '%n %a %U %h %i' f$mode l$mode L$mode\n"
        "done\n"
        "ln -s f4755 s; ln -P s hs; stat -c '%n %F' hs\n"
        "ln f4755 l4755 2>&1 || true\n")
    r = run_groot("run", profile, "--", "/bin/sh", "-c", script)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    for mode in ("4755", "2755", "6755", "2745", "0755"):
        rows = [line.split() for line in lines if line.split()[0] in
                (f"f{mode}", f"l{mode}", f"L{mode}")]
        assert len(rows) == 3, r
        # One inode, three names, the bits and the (fake) owner kept.
        assert {row[1] for row in rows} == {mode.lstrip("0")}, rows
        assert {row[2] for row in rows} == {"root"}, rows
        assert {row[3] for row in rows} == {"3"}, rows
        assert len({row[4] for row in rows}) == 1, rows
    assert "hs symbolic link" in r.stdout, r
    assert "File exists" in r.stdout, r


@pytest.mark.trixie
def test_hard_link_of_a_setid_file_is_refused_without_fake_root(tmp_path):
    """Ground truth for the emulation's scope: as the host user, the kernel decides."""
    if as_root() or not protected_hardlinks():
        pytest.skip("needs an unprivileged caller and fs.protected_hardlinks = 1")
    profile = write_profile(tmp_path, USER_ROOTFS, extra="  upper: ephemeral\nuser: host\n")
    # The user owns what they create: the kernel allows the link of their own setuid file.
    r = run_groot("run", profile, "--", "/bin/sh", "-c",
                  "cd /tmp && touch f && chmod 4755 f && ln f g && stat -c %h f")
    assert r.returncode == 0 and r.stdout.strip() == "2", r


@pytest.mark.trixie
def test_rootless_provision_of_trixie(tmp_path, no_leftover_mounts):
    if as_root():
        pytest.skip("the rootless path: runs in the unprivileged pass")
    target = tmp_path / "trixie"
    profile = tmp_path / "fresh.yaml"
    profile.write_text(
        "version: 1\nname: fresh\nrootfs:\n"
        f"  path: {target}\n"
        "  bootstrap: {tool: debootstrap, suite: trixie, variant: minbase}\n")
    r = run_groot("provision", profile, timeout=1800)
    assert r.returncode == 0, r
    assert "second stage" in r.stdout and "is ready" in r.stdout, r
    assert "I: Base system installed successfully." in r.stdout, r
    assert not (tmp_path / "trixie.partial").exists()
    # On disk everything is the user's; the fake ownership lives in the tree's metadata.
    su = target / "usr/bin/su"
    assert su.stat().st_uid == os.getuid()
    assert su.stat().st_mode & 0o4000

    run_profile = write_profile(tmp_path, target, name="use",
                                extra="  upper: none\nuser: root\n")
    r = run_groot("run", run_profile, "--", "/bin/sh", "-c",
                  "stat -c '%n %U %G %a' /usr/bin/su /usr/bin/chage /etc/shadow /root; "
                  "dpkg --audit && echo audit-clean; "
                  "dpkg-query -W -f '${db:Status-Abbrev}\\n' | sort | uniq -c; "
                  "apt-get --version | head -n1")
    assert r.returncode == 0, r
    out = r.stdout
    assert "/usr/bin/su root root 4755" in out, r
    assert "/usr/bin/chage root shadow 2755" in out, r
    assert "/etc/shadow root shadow 640" in out, r
    assert "/root root root 700" in out, r
    assert "audit-clean" in out, r
    # Every package configured ("ii"), none half-installed.
    statuses = [line.split() for line in out.splitlines() if line.strip().endswith("ii")
                or line.strip().endswith("iU") or line.strip().endswith("iF")]
    assert statuses and all(s[1] == "ii" for s in statuses), r
    assert out.strip().splitlines()[-1].startswith("apt "), r
