# SPDX-License-Identifier: MIT
"""Every stock profile (profiles/*.yaml) runs, rootless, found by name."""
import os
import pathlib

import pytest

from conftest import REPO, TRIXIE_ROOTFS, run_groot

# The tree a rootless user has: owned by them (a tree made by root has directories such as
# /root that the user cannot even enter, fake root or not).
USER_ROOTFS = pathlib.Path(os.environ.get("GROOT_TRIXIE_USER_ROOTFS", TRIXIE_ROOTFS))
BOOKWORM_ROOTFS = pathlib.Path(os.environ.get(
    "GROOT_BOOKWORM_ROOTFS", pathlib.Path.home() / ".cache/groot/rootfs/debian-bookworm"))


@pytest.fixture
def home(tmp_path, trixie_rootfs):
    """A HOME whose ~/.cache/groot/rootfs holds the fixtures under the stock names."""
    home = tmp_path / "home"
    rootfs = home / ".cache" / "groot" / "rootfs"
    rootfs.mkdir(parents=True)
    (rootfs / "debian-trixie").symlink_to(USER_ROOTFS if os.geteuid() else trixie_rootfs)
    if BOOKWORM_ROOTFS.exists():
        (rootfs / "debian-bookworm").symlink_to(BOOKWORM_ROOTFS)
    (home / "marker").write_text("in my home\n")
    os.chmod(home, 0o755)
    os.chmod(tmp_path, 0o755)
    return home


def env_for(home):
    return {"HOME": str(home), "USER": os.environ.get("USER", "tester"),
            "XDG_CONFIG_HOME": str(home / ".config")}


def test_every_stock_profile_is_listed(home):
    r = run_groot("list", env=env_for(home))
    assert r.returncode == 0, r
    for stock in (REPO / "profiles").glob("*.yaml"):
        assert stock.stem in r.stdout, (stock.stem, r)


@pytest.mark.root_subset
def test_debian_trixie(home):
    r = run_groot("run", "debian-trixie", "--", "bash", "-c",
                  "cat /etc/debian_version; id -u; pwd; echo scratch > /tmp/f && cat /tmp/f",
                  env=env_for(home))
    assert r.returncode == 0, r
    assert r.stdout.split() == [(USER_ROOTFS / "etc/debian_version").read_text().strip(),
                                "0", "/root", "scratch"], r
    # upper: ephemeral — the write is gone in the next run
    r = run_groot("run", "debian-trixie", "--", "ls", "/tmp/f", env=env_for(home))
    assert r.returncode != 0, r


def test_debian_bookworm(home):
    if not BOOKWORM_ROOTFS.exists():
        pytest.fail(f"{BOOKWORM_ROOTFS} missing: tests/fixtures/debian-rootfs.sh bookworm builds it")
    r = run_groot("run", "debian-bookworm", "--", "cat", "/etc/debian_version", env=env_for(home))
    assert r.returncode == 0 and r.stdout.startswith("12."), r


def test_dev_shell_sees_home_and_is_the_host_user(home):
    env = env_for(home)
    r = run_groot("run", "dev-shell", "--", "sh", "-c", 'echo "$HOME"; cat "$HOME/marker"; id -u; pwd',
                  env=env)
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:4] == [f"/home/{env['USER']}", "in my home",
                                        str(os.geteuid()), f"/home/{env['USER']}"], r


def test_build_sandbox_is_deterministic(home):
    env = env_for(home)
    script = "ls -f /etc | head -20; stat -c %i /etc/passwd; echo $SOURCE_DATE_EPOCH; hostname"
    first = run_groot("run", "build-sandbox", "--", "bash", "-c", script, env=env)
    second = run_groot("run", "build-sandbox", "--", "bash", "-c", script, env=env)
    assert first.returncode == 0, first
    assert first.stdout == second.stdout, (first, second)
    lines = first.stdout.split("\n")
    names = [n for n in lines[:20] if n not in (".", "..")]
    assert names == sorted(names), "readdir: sorted"
    assert "1700000000" in lines
    # persistent upper: a file written in one run is there in the next
    r = run_groot("run", "build-sandbox", "--", "bash", "-c", "echo kept > /root/kept", env=env)
    assert r.returncode == 0, r
    r = run_groot("run", "build-sandbox", "--", "cat", "/root/kept", env=env)
    assert r.stdout == "kept\n", r
