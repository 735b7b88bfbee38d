#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""groot-fs against the native tree and fuse-overlayfs, in one run, as ratios.

Usage (after make build): bench/fs_bench.py [--rootfs DIR] [--runs N]
Each filesystem serves the same rootfs read-only, plus a writable upper for the
create/delete workload. Workloads run warm (one untimed pass first), best of N:
  find     find . > /dev/null
  ls-lR    ls -lR . > /dev/null
  read     cat every regular file > /dev/null
  create   create then delete 10,000 small files
Also reports groot-fs's resident memory after the workloads.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("GROOT_BUILD_DIR", REPO / "build"))
GROOT_FS = BUILD / "fuse" / "groot-fs"

WORKLOADS = {
    "find": "find . > /dev/null",
    "ls-lR": "ls -lR . > /dev/null 2>&1",
    "read": "find . -type f -readable -print0 | xargs -0 cat > /dev/null 2>&1",
    "create": ("mkdir -p groot-bench-files && cd groot-bench-files && "
               "seq 10000 | xargs touch && cd .. && rm -rf groot-bench-files"),
}


def timed(script, cwd, runs):
    subprocess.run(["bash", "-c", script], cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # warm
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["bash", "-c", script], cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def wait_mounted(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open("/proc/self/mounts") as f:
            if any(line.split()[1] == str(path) for line in f):
                return True
        time.sleep(0.05)
    return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rootfs", default=os.path.expanduser("~/.cache/groot/rootfs/debian-trixie"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="groot-fsbench-"))
    mounts = []
    try:
        # native: a writable copy is not needed for reading; create/delete runs in a tmp dir
        native_rw = work / "native-rw"
        native_rw.mkdir()
        targets = {"native": (pathlib.Path(args.rootfs), native_rw)}

        g_mnt, g_upper = work / "groot-mnt", work / "groot-upper"
        g_mnt.mkdir()
        g_upper.mkdir()
        groot = subprocess.Popen([str(GROOT_FS), "-f", "--lower", args.rootfs, "--upper",
                                  str(g_upper), str(g_mnt)])
        if not wait_mounted(g_mnt):
            sys.exit("groot-fs did not mount")
        mounts.append(g_mnt)
        targets["groot-fs"] = (g_mnt, g_mnt)

        if shutil.which("fuse-overlayfs"):
            o_mnt, o_upper, o_work = work / "ovl-mnt", work / "ovl-upper", work / "ovl-work"
            for d in (o_mnt, o_upper, o_work):
                d.mkdir()
            subprocess.run(["fuse-overlayfs", "-o",
                            f"lowerdir={args.rootfs},upperdir={o_upper},workdir={o_work}",
                            str(o_mnt)], check=True)
            if wait_mounted(o_mnt):
                mounts.append(o_mnt)
                targets["fuse-overlayfs"] = (o_mnt, o_mnt)

        names = list(targets)
        print(f"# rootfs {args.rootfs}, warm, best of {args.runs}, seconds")
        print(f"{'workload':10} " + " ".join(f"{n:>15}" for n in names) +
              "   groot-fs/native  groot-fs/fuse-overlayfs")
        for workload, script in WORKLOADS.items():
            times = {}
            for name, (read_dir, write_dir) in targets.items():
                times[name] = timed(script, write_dir if workload == "create" else read_dir,
                                    args.runs)
            line = f"{workload:10} " + " ".join(f"{times[n]:15.3f}" for n in names)
            line += f"   {times['groot-fs'] / times['native']:14.2f}x"
            if "fuse-overlayfs" in times:
                line += f"   {times['groot-fs'] / times['fuse-overlayfs']:22.2f}x"
            print(line, flush=True)
        print(f"# groot-fs resident memory after the workloads: {rss_kib(groot.pid) / 1024:.1f} MiB")
    finally:
        for m in mounts:
            subprocess.run(["fusermount3", "-u", "-z", str(m)], stderr=subprocess.DEVNULL)
        if 'groot' in locals():
            groot.terminate()
            groot.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
