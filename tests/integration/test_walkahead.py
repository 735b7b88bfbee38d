# SPDX-License-Identifier: MIT
"""Walks listed ahead (fuse/walkahead.c): once a walker goes two levels down,
helper threads of the view list the tree through the mount ahead of it, so
that the kernel answers the walker's readdirs from its cache. Whatever the
helpers did, every listing must be the one the host makes of the same tree,
also when the walker changes the tree as it goes; the helpers must stay out
of binds, judge as the walker would, and go only a short way ahead of a
walker that does not follow."""
import json
import os
import re

import pytest

from conftest import run_groot, write_profile

pytestmark = [pytest.mark.trixie,
              # On one CPU the view lists nothing ahead: the helpers would only take turns.
              pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2,
                                 reason="walks are listed ahead on two CPUs or more")]

MAKE = r"""
import os, sys
top = sys.argv[1]
for a in range(6):
    for b in range(3 if a == 1 else 12):
        d = "%s/a%d/b%02d" % (top, a, b)
        os.makedirs(d + "/c/d")
        open(d + "/file", "w").close()
        os.symlink("c", d + "/link")
"""

# A walk in name order (listdir, then into each subdirectory), the same in
# the guest and on the host. In the guest, once in /tmp/tree/a1/b00 (where the
# helpers start on a1's tree, small enough to be listed within their first
# lead), it waits for them, says so on stderr, and then removes, makes and
# renames directories of that tree, which they listed ahead of it.
WALK = r"""
import json, os, shutil, sys, time
def walk(d, seen, change=False):
    try:
        names = sorted(os.listdir(d))
    except FileNotFoundError:  # gone since its parent was listed
        return seen
    dirs = [n for n in names if os.path.isdir(d + "/" + n) and not os.path.islink(d + "/" + n)]
    seen.append([d, dirs, [n for n in names if n not in dirs]])
    if change and d.endswith("/a1/b00"):
        time.sleep(0.5)
        print("changing", file=sys.stderr, flush=True)
        a1 = os.path.dirname(d)
        shutil.rmtree(a1 + "/b01")
        os.mkdir(a1 + "/new")
        os.mkdir(a1 + "/b02/c/d/made")
        os.rename(a1 + "/b00/c", a1 + "/b00/moved")
    for n in dirs:
        walk(d + "/" + n, seen, change)
    return seen
"""
WALKER = WALK + r"""
seen = walk(sys.argv[1], [], change=True)
print(json.dumps([seen, walk(sys.argv[1], [])]))
"""


def host_walk(top, guest_top):
    scope = {}
    exec(WALK, scope)
    return [[guest_top + d[len(str(top)):], dirs, files] for d, dirs, files in scope["walk"](str(top), [])]


def listed_ahead(stderr):
    m = re.search(r"listed (\d+) directories ahead", stderr)
    assert m, stderr[-3000:]
    return int(m.group(1))


def test_a_walk_listed_ahead_sees_the_hosts_tree_and_its_own_changes(tmp_path, trixie_rootfs):
    upper = tmp_path / "upper"
    upper.mkdir()
    profile = write_profile(tmp_path, trixie_rootfs,
                            extra=f"  upper: persistent\n  upper_path: {upper}\n")
    made = run_groot("run", profile, "--", "python3", "-c", MAKE, "/tmp/tree")
    assert made.returncode == 0, made
    host = upper / "tmp" / "tree"
    # A fresh view: cold, and the walk is listed ahead.
    r = run_groot("run", "-v", "-v", profile, "--", "python3", "-c", WALKER, "/tmp/tree")
    assert r.returncode == 0, r
    # The helpers had listed a1's whole tree when the walker changed it.
    done = r.stderr.find("listed the tree of /tmp/tree/a1 ahead")
    assert 0 <= done < r.stderr.find("changing"), r.stderr[-3000:]
    assert listed_ahead(r.stderr) > 0
    seen, after = json.loads(r.stdout)
    final = host_walk(host, "/tmp/tree")
    assert ["/tmp/tree/a1/new", [], []] in final
    assert ["/tmp/tree/a1/b02/c/d/made", [], []] in final
    assert ["/tmp/tree/a1/b00/moved", ["d"], []] in final
    assert not any(e[0].startswith(("/tmp/tree/a1/b01", "/tmp/tree/a1/b00/c")) for e in final)
    # The walk saw a1 and a1/b00 as they were when listed, and everything it
    # went into after the changes as changed: what was gone, it did not find.
    before = {"/tmp/tree/a1": ["/tmp/tree/a1", ["b00", "b01", "b02"], []],
              "/tmp/tree/a1/b00": ["/tmp/tree/a1/b00", ["c"], ["file", "link"]]}
    assert seen == [before.get(e[0], e) for e in final
                    if not e[0].startswith(("/tmp/tree/a1/b00/moved", "/tmp/tree/a1/new"))]
    assert after == final


def test_on_a_read_only_view_the_walkers_own_listings_lead_the_helpers(tmp_path, trixie_rootfs):
    # Read-only, a listing leaves the atime alone: the walker's GETATTRs never
    # reach the view, and only its own listings show the helpers it follows.
    layer = tmp_path / "layer"
    for b in range(150):
        (layer / "srv" / "ro" / "a" / f"b{b:03d}" / "c").mkdir(parents=True)
    profile = write_profile(tmp_path, trixie_rootfs,
                            extra=f"  upper: none\n  layers:\n    - {layer}\n")
    r = run_groot("run", "-v", "-v", profile, "--", "sh", "-c", "find /srv/ro | wc -l")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["302"]
    assert "walking /srv/ro/a ahead" in r.stderr, r.stderr[-3000:]
    assert listed_ahead(r.stderr) > 40


def test_helpers_stay_out_of_binds(tmp_path, trixie_rootfs):
    host = tmp_path / "host"
    for a in range(4):
        for b in range(30):
            (host / f"x{a}" / f"y{b:02d}" / "z").mkdir(parents=True)
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\n")
    script = ("ls /usr >/dev/null; ls /usr/share >/dev/null; ls /usr/share/doc >/dev/null; "
              "find /usr/share >/dev/null; sleep 1; find /usr/share/bound | sort")
    r = run_groot("run", "-v", "-v", "--bind", f"{host}:/usr/share/bound", profile, "--",
                  "sh", "-c", script)
    assert r.returncode == 0, r
    assert "walking /usr/share ahead" in r.stderr, r.stderr[-3000:]
    assert "a helper met the bind at /usr/share/bound" in r.stderr, r.stderr[-3000:]
    expected = sorted(["/usr/share/bound"] + ["/usr/share/bound/" + str(p.relative_to(host))
                                              for p in host.rglob("*")])
    assert r.stdout.split() == expected


def test_helpers_go_a_short_way_ahead_of_a_walker_that_stops(tmp_path, trixie_rootfs):
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\nuser: root\n")
    # Two levels down once (what starts a walk of /tmp/s/a), then no further: the
    # helpers may list /tmp/s/a's 200 subdirectories, but the walker never
    # follows. Listings by another identity in that tree are no sign either.
    script = ("mkdir -p /tmp/s/a && for i in $(seq 200); do mkdir -p /tmp/s/a/b$i/c; done; "
              "ls /tmp/s >/dev/null; ls /tmp/s/a >/dev/null; ls /tmp/s/a/b1 >/dev/null; "
              "sleep 0.5; setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "
              "'for i in $(seq 2 60); do ls /tmp/s/a/b$i/c; done'; sleep 0.5")
    r = run_groot("run", "-v", "-v", profile, "--", "sh", "-c", script)
    assert r.returncode == 0, r
    assert "walking /tmp/s/a ahead" in r.stderr, r.stderr[-3000:]
    assert 0 < listed_ahead(r.stderr) <= 20


def test_helpers_judge_as_the_walker_under_fake_identities(tmp_path, trixie_rootfs):
    # Made by (fake) root: ten directories only root may read. nobody walks
    # /tmp/g/a: the helpers list for nobody, so they list none of the ten.
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\nuser: root\n")
    script = ("mkdir -p /tmp/g/a/open/x && for i in 0 1 2 3 4 5 6 7 8 9; do "
              "mkdir -p /tmp/g/a/h$i/y && chmod 711 /tmp/g/a/h$i; done && "
              "exec setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c '"
              "ls /tmp/g >/dev/null; ls /tmp/g/a >/dev/null; ls /tmp/g/a/open >/dev/null; "
              "sleep 0.5; ls /tmp/g/a/h3; echo rc=$?; ls -d /tmp/g/a/h3/y'")
    r = run_groot("run", "-v", "-v", profile, "--", "sh", "-c", script)
    assert "walking /tmp/g/a ahead" in r.stderr, r.stderr[-3000:]
    assert listed_ahead(r.stderr) <= 2
    assert "rc=2" in r.stdout and "Permission denied" in r.stderr, r
    # Searching is allowed: a name that exists is found.
    assert "/tmp/g/a/h3/y" in r.stdout, r


def test_a_guest_that_ends_mid_walk_leaves_no_helper_waiting(tmp_path, trixie_rootfs,
                                                             no_leftover_mounts):
    # The guest exits while the helpers are in requests: the view answers what
    # they asked before it ends (a request left unread keeps a directory locked).
    profile = write_profile(tmp_path, trixie_rootfs, extra="  upper: ephemeral\n")
    for _ in range(4):
        r = run_groot("run", "-v", "-v", profile, "--", "sh", "-c",
                      "find /usr | head -3000 >/dev/null")
        assert r.returncode == 0, r
        assert "walking /usr/" in r.stderr, r.stderr[-3000:]
        assert "still busy" not in r.stderr, r.stderr[-3000:]


def test_a_crashed_view_ends_the_session(tmp_path, trixie_rootfs):
    """The view crashing mid-walk (SIGSEGV): its helpers wait in requests to its own
    mount, and the kernel's core dump would wait for them, the guest with it. The
    session ends instead (the view's exit status, no mount left)."""
    import signal
    import subprocess
    import time

    from conftest import GROOT, groot_mounts
    profile = write_profile(tmp_path, trixie_rootfs, name="crash", extra="  upper: ephemeral\n")
    before = set(groot_mounts())
    proc = subprocess.Popen([str(GROOT), "run", str(profile), "--", "sh", "-c",
                             "while :; do find /usr > /dev/null; done"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)  # walks listed ahead by then
        children = subprocess.run(["pgrep", "-P", str(proc.pid), "-x", "groot-fs"],
                                  capture_output=True, text=True).stdout.split()
        assert children, "no view"
        os.kill(int(children[0]), signal.SIGSEGV)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 125, err
    assert "exited unexpectedly" in err, err
    deadline = time.time() + 10
    while time.time() < deadline and set(groot_mounts()) - before:
        time.sleep(0.05)
    assert not set(groot_mounts()) - before
