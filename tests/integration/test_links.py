# SPDX-License-Identifier: MIT
"""Symlink targets as a lister reads them (ls -l): the view reads a listed
directory's other symlinks ahead, through the mount, from the last one back
(fuse/linkahead.c), while the lister goes forwards. Whatever order the reads
meet in, and whatever changes meanwhile, every target must be the one the
host reads (ground truth: os.readlink on the host of the same files)."""
import json
import os

import pytest

from conftest import run_groot, write_profile

pytestmark = pytest.mark.trixie

LISTER = r"""
import json, os, sys
def read_all(d):
    out = {}
    for name in os.listdir(d):  # a listing first: the read-ahead's trigger
        p = os.path.join(d, name)
        out[name] = os.readlink(p) if os.path.islink(p) else None
    return out
first = read_all("/links")
for i in range(0, 300, 7):  # replaced while the view may still be reading ahead
    os.unlink("/links/l%03d" % i)
    os.symlink("changed-%d" % i, "/links/l%03d" % i)
second = read_all("/links")
sub = read_all("/links/sub")
print(json.dumps([first, second, sub]))
"""


def make_links(d):
    d.mkdir()
    (d / "sub").mkdir()
    (d / "file").write_text("x")
    for i in range(300):
        target = ["../etc/passwd", "/usr/bin/env", f"dangling-{i}", "sub", "x" * (900 + i)][i % 5]
        os.symlink(target, d / f"l{i:03d}")
    for i in range(40):
        os.symlink(f"../l{i:03d}", d / "sub" / f"s{i}")


def host_view(d):
    return {n: (os.readlink(d / n) if os.path.islink(d / n) else None) for n in os.listdir(d)}


def test_targets_read_while_the_view_reads_ahead_are_the_hosts(tmp_path, trixie_rootfs):
    links = tmp_path / "links"
    make_links(links)
    os.chmod(tmp_path, 0o755)
    profile = write_profile(tmp_path, trixie_rootfs,
                            extra=f"  upper: ephemeral\nbinds:\n  - {links}:/links\n")
    before = [host_view(links)]
    r = run_groot("run", profile, "--", "python3", "-c", LISTER)
    assert r.returncode == 0, r
    first, second, sub = json.loads(r.stdout)
    assert first == before[0], "targets read in the guest differ from the host's"
    assert second == host_view(links) and second["l007"] == "changed-7", second
    assert sub == host_view(links / "sub"), sub


def test_a_cold_listing_of_the_rootfs_reads_every_target(tmp_path, trixie_rootfs):
    """The same through the rootfs itself (no bind: the view's own inodes)."""
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\n")
    script = ("import json, os\n"
              "d = '/usr/lib/x86_64-linux-gnu'\n"
              "print(json.dumps({n: os.readlink(os.path.join(d, n)) for n in sorted(os.listdir(d))"
              " if os.path.islink(os.path.join(d, n))}))")
    r = run_groot("run", profile, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    d = trixie_rootfs / "usr/lib/x86_64-linux-gnu"
    want = {n: os.readlink(d / n) for n in sorted(os.listdir(d)) if os.path.islink(d / n)}
    assert len(want) > 100 and json.loads(r.stdout) == want
