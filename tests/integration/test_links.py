# SPDX-License-Identifier: MIT
"""Symlink targets as a lister reads them (ls -l): a READLINK in a directory
listed moments before has the view read the directory's other symlinks ahead,
through the mount, from the last one back (fuse/linkahead.c), while the lister
goes forwards. Whatever order the reads meet in, and whatever changes
meanwhile, every target must be the one the host reads of the same links."""
import json
import os
import re

import pytest

from conftest import run_groot, write_profile

pytestmark = pytest.mark.trixie

LISTER = r"""
import json, os, sys
d = sys.argv[1]
def read_all(d):
    out = {}
    for name in os.listdir(d):  # a listing first: what makes a READLINK a lister's
        p = os.path.join(d, name)
        out[name] = os.readlink(p) if os.path.islink(p) else None
    return out
first = read_all(d)
for i in range(0, 300, 7):  # replaced while the view may still be reading ahead
    os.unlink("%s/l%03d" % (d, i))
    os.symlink("changed-%d" % i, "%s/l%03d" % (d, i))
second = read_all(d)
print(json.dumps([first, second, read_all(d + "/sub")]))
"""

MAKE = r"""
import os, sys
d = sys.argv[1]
os.makedirs(d + "/sub")
open(d + "/file", "w").close()
for i in range(300):
    os.symlink(["../etc/passwd", "/usr/bin/env", "dangling-%d" % i, "sub", "x" * (900 + i)][i % 5],
               "%s/l%03d" % (d, i))
for i in range(40):
    os.symlink("../l%03d" % i, "%s/sub/s%d" % (d, i))
"""


def expected(changed):
    """What the host reads of the links MAKE makes (and LISTER changes)."""
    top = {"sub": None, "file": None}
    for i in range(300):
        top[f"l{i:03d}"] = ["../etc/passwd", "/usr/bin/env", f"dangling-{i}", "sub",
                            "x" * (900 + i)][i % 5]
        if changed and i % 7 == 0:
            top[f"l{i:03d}"] = f"changed-{i}"
    return top


def test_targets_read_while_the_view_reads_ahead_are_the_hosts(tmp_path, trixie_rootfs):
    # The links are made in one run and listed in the next, by a fresh view: cold.
    upper = tmp_path / "upper"
    upper.mkdir()
    profile = write_profile(tmp_path, trixie_rootfs,
                            extra=f"  upper: persistent\n  upper_path: {upper}\n")
    made = run_groot("run", profile, "--", "python3", "-c", MAKE, "/tmp/links")
    assert made.returncode == 0, made
    host = upper / "tmp" / "links"
    assert {n: (os.readlink(host / n) if os.path.islink(host / n) else None)
            for n in os.listdir(host)} == expected(False)
    r = run_groot("run", "-v", "-v", profile, "--", "python3", "-c", LISTER, "/tmp/links")
    assert r.returncode == 0, r
    read = re.search(r"read (\d+) symlinks of /tmp/links ahead", r.stderr)
    assert read and int(read.group(1)) > 0, r.stderr[-2000:]
    first, second, sub = json.loads(r.stdout)
    assert first == expected(False)
    assert second == expected(True)
    assert sub == {f"s{i}": f"../l{i:03d}" for i in range(40)}


def test_a_cold_listing_of_the_rootfs_reads_every_target(tmp_path, trixie_rootfs):
    """The same in the rootfs, in a directory no loader looked into first."""
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\n")
    script = ("import json, os\n"
              "d = '/etc/alternatives'\n"
              "names = sorted(os.listdir(d))\n"
              "print(json.dumps({n: os.readlink(os.path.join(d, n)) for n in names"
              " if os.path.islink(os.path.join(d, n))}))")
    r = run_groot("run", "-v", "-v", profile, "--", "python3", "-c", script)
    assert r.returncode == 0, r
    read = re.search(r"read (\d+) symlinks of /etc/alternatives ahead", r.stderr)
    assert read and int(read.group(1)) > 0, r.stderr[-2000:]
    d = trixie_rootfs / "etc/alternatives"
    want = {n: os.readlink(d / n) for n in sorted(os.listdir(d)) if os.path.islink(d / n)}
    assert len(want) > 20 and json.loads(r.stdout) == want
