#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""groot against native chroot and PRoot, in one run, as ratios.

Usage (as root, after make build): bench/bench.py [--rootfs DIR] [--runs N] [--user USER] [WORKLOAD...]
Workloads: exec (300x /bin/true), walk (find /usr; ls -lR /usr), stat (stat of
/usr/share's first levels), make (make -j2 of ~20 C files; needs gcc in the guest).
Each command runs --runs times per runner; the best time counts (least noise).
"""
import argparse
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("GROOT_BUILD_DIR", REPO / "build"))
GROOT = BUILD / "runner" / "groot"

WORKLOADS = {
    "exec": "for i in $(seq 300); do /bin/true; done",
    "walk": "find /usr > /dev/null; ls -lR /usr > /dev/null",
    "stat": "find /usr/share -maxdepth 3 -exec stat -c %s {} + > /dev/null",
    "make": "cd /tmp/groot-bench-make && rm -f *.o app && make -s -j2",
}


def make_project(rootfs):
    """~20 C files in the guest's /tmp, for the make -j2 workload (removed afterwards).
    Writable by all: with --user, groot and PRoot remove what native chroot built."""
    d = pathlib.Path(rootfs) / "tmp" / "groot-bench-make"
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o777)
    for i in range(20):
        (d / f"f{i}.c").write_text(
            "#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n"
            f"int f{i}(int x) {{ char b[64]; snprintf(b, sizeof b, \"%d\", x); "
            f"return (int)strlen(b) + {i}; }}\n")
    decls = "".join(f"int f{i}(int);" for i in range(20))
    calls = "+".join(f"f{i}(argc)" for i in range(20))
    (d / "main.c").write_text(f"{decls}\nint main(int argc, char **argv) {{ return {calls} > 0 ? 0 : 1; }}\n")
    objs = " ".join(f"f{i}.o" for i in range(20))
    (d / "Makefile").write_text(f"app: main.o {objs}\n\tcc -o $@ $^\n%.o: %.c\n\tcc -O2 -c $<\n")
    return d


def best_time(argv, runs, as_user=None):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              **(as_user or {}))
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            # Timed all the same (PRoot's ls -lR reports spurious ENOENT), but said.
            print(f"# {argv[0]} exited {proc.returncode} on this workload: "
                  f"{proc.stderr.decode(errors='replace')[-200:]!r}", file=sys.stderr)
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rootfs", default=os.path.expanduser("~/.cache/groot/rootfs/debian-trixie"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--user", help="run groot and PRoot as this unprivileged user "
                        "(rootless, as they are meant to run); native chroot stays root's")
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py needs root for the native chroot baseline")
    profile_dir = tempfile.mkdtemp(prefix="groot-bench-")
    os.chmod(profile_dir, 0o755)
    profile = pathlib.Path(profile_dir) / "bench.yaml"
    upper = "ephemeral" if "make" in args.workloads else "none"
    profile.write_text(f"version: 1\nname: bench\nrootfs:\n  path: {args.rootfs}\n  upper: {upper}\n")
    project = make_project(args.rootfs) if "make" in args.workloads else None
    # As the user, set in the child itself: runuser's exec and PAM session would add some
    # ms to every groot and PRoot start that native chroot (root already) does not pay.
    as_user = None
    if args.user:
        pw = pwd.getpwnam(args.user)
        as_user = {"user": pw.pw_uid, "group": pw.pw_gid,
                   "extra_groups": os.getgrouplist(pw.pw_name, pw.pw_gid),
                   "env": dict(os.environ, HOME=pw.pw_dir, USER=pw.pw_name, LOGNAME=pw.pw_name,
                               SHELL=pw.pw_shell)}
    runners = {
        "native": ["chroot", args.rootfs, "/bin/bash", "-c"],
        "groot": [str(GROOT), "run", str(profile), "--", "/bin/bash", "-c"],
    }
    if shutil.which("proot"):
        runners["proot"] = ["proot", "-r", args.rootfs, "/bin/bash", "-c"]
    print(f"# rootfs {args.rootfs}, best of {args.runs}, seconds"
          + (f"; groot and PRoot as {args.user}" if args.user else "; everything as root"))
    print(f"{'workload':10} " + " ".join(f"{name:>9}" for name in runners) +
          "  groot/native  proot/groot")
    for workload in args.workloads:
        script = WORKLOADS[workload]
        times = {name: best_time(argv + [script], args.runs, None if name == "native" else as_user)
                 for name, argv in runners.items()}
        line = f"{workload:10} " + " ".join(
            f"{times[n]:9.3f}" if times[n] else f"{'failed':>9}" for n in runners)
        line += f"  {times['groot'] / times['native']:11.2f}x" if times["groot"] else "  -"
        if times.get("proot") and times["groot"]:
            line += f"  {times['proot'] / times['groot']:10.2f}x"
        print(line, flush=True)
    shutil.rmtree(profile_dir)
    if project:
        shutil.rmtree(project)


if __name__ == "__main__":
    main()
