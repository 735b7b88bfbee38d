# SPDX-License-Identifier: MIT
"""The developer shell (stock profile dev-shell): your $HOME in a trixie guest, your identity,
git, python venvs, gcc and make, man pages, locales. Outputs are compared with the same
commands run natively on the host where the answer does not depend on the distribution."""
import os
import subprocess

import pytest

from conftest import run_groot


@pytest.fixture
def home(tmp_path, trixie_rootfs):
    home = tmp_path / "home"
    (home / ".cache/groot/rootfs").mkdir(parents=True)
    (home / ".cache/groot/rootfs/debian-trixie").symlink_to(trixie_rootfs)
    for d in (tmp_path, home):
        os.chmod(d, 0o755)
    return home


def dev(home, script, timeout=300):
    env = {"HOME": str(home), "USER": os.environ.get("USER") or "tester", "TERM": "xterm",
           "LANG": "C.UTF-8", "XDG_CONFIG_HOME": str(home / ".config")}
    return run_groot("run", "dev-shell", "--", "bash", "-c", script, env=env, timeout=timeout)


def test_home_is_bound_and_writable(home):
    r = dev(home, 'echo "$HOME"; pwd; echo written > "$HOME/from-guest"; id -u')
    assert r.returncode == 0, r
    user = os.environ.get("USER") or "tester"
    assert r.stdout.split()[:2] == [f"/home/{user}", f"/home/{user}"], r
    assert r.stdout.split()[2] == str(os.geteuid())
    assert (home / "from-guest").read_text() == "written\n"


def test_git_repository(home):
    r = dev(home, "set -e; git init -q proj; cd proj; git config user.email t@example.org; "
                  "git config user.name T; echo a > f; git add f; git commit -qm first; "
                  "git log --format=%s; git status --porcelain | wc -l")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["first", "0"], r
    # the repository is a real one on the host
    host = subprocess.run(["git", "-C", home / "proj", "log", "--format=%s"], capture_output=True,
                          text=True)
    if host.returncode == 0:
        assert host.stdout.strip() == "first"


def test_python_venv(home):
    r = dev(home, "set -e; python3 -m venv venv; . venv/bin/activate; "
                  "python -c 'import sys; print(sys.prefix)'; which python", timeout=600)
    assert r.returncode == 0, r
    user = os.environ.get("USER") or "tester"
    assert r.stdout.split() == [f"/home/{user}/venv", f"/home/{user}/venv/bin/python"], r


def test_gcc_and_make_build_a_small_project(home):
    project = home / "cproj"
    project.mkdir()
    sources = []
    for i in range(6):
        (project / f"f{i}.c").write_text(f"int f{i}(void) {{ return {i}; }}\n")
        sources.append(f"f{i}.o")
    decls = "".join(f"int f{i}(void);" for i in range(6))
    calls = "+".join(f"f{i}()" for i in range(6))
    (project / "main.c").write_text(
        f'#include <stdio.h>\n{decls}\nint main(void) {{ printf("%d\\n", {calls}); return 0; }}\n')
    (project / "Makefile").write_text(
        f"app: main.o {' '.join(sources)}\n\t$(CC) -o $@ $^\n%.o: %.c\n\t$(CC) -O2 -c $<\n")
    r = dev(home, "cd ~/cproj && make -j2 -s && ./app && file app | grep -c ELF")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["15", "1"], r


def test_man_page_and_locale(home):
    r = dev(home, "man -P cat ls 2>/dev/null | grep -c 'list directory contents'; "
                  "locale -a | grep -ci '^c.utf-\\?8$'; printf 'é' | wc -c; tput cols 2>/dev/null || echo noterm")
    assert r.returncode == 0, r
    lines = r.stdout.split()
    assert int(lines[0]) >= 1, r
    assert int(lines[1]) >= 1, r
    assert lines[2] == "2", r
