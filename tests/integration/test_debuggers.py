# SPDX-License-Identifier: MIT
"""Debuggers in the guest: groot is every guest process's tracer, so a guest's own
ptrace (strace, gdb) is emulated on top of it (runner/ptrace_emu.c).

Ground truth: the same small debugger (tests/fixtures/ptrace_probe.c, static) runs
natively on the host and in the guest and must print the same; strace and gdb from
the guest itself must do their everyday work."""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import REPO, run_groot, write_profile

pytestmark = pytest.mark.trixie


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    os.chmod(d, 0o755)
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", d / "ptrace_probe",
                    REPO / "tests" / "fixtures" / "ptrace_probe.c"], check=True)
    for source, name in (("hello_debug.c", "hello.c"), ("threads_debug.c", "threads.c"),
                         ("spawn_debug.c", "spawn.c"), ("untraced_clone.c", "untraced.c")):
        shutil.copy(REPO / "tests" / "fixtures" / source, d / name)
        os.chmod(d / name, 0o644)
    return d


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs, probe_dir):
    return write_profile(tmp_path_factory.mktemp("profile"), trixie_rootfs, name="trixie",
                         extra=f"binds:\n  - {probe_dir}:/probe:direct\n")


@pytest.mark.root_subset
@pytest.mark.parametrize("mode", ["traceme", "seize", "mixed", "late", "blocked", "exec"])
def test_a_small_debugger_sees_what_it_sees_natively(profile, probe_dir, mode):
    """TRACEME + every syscall stop + peek/poke; SEIZE + INTERRUPT + a signal stop; a
    blocking wait for an untraced child while another is traced, SIGCHLD blocked; a
    wait that began before the child asked to be traced; blocking waits in a row with
    SIGCHLD blocked (groot's interrupt of the first wait was taken as still pending,
    so the second was never woken: gdb hung at a new thread); the stops around an exec
    without PTRACE_O_TRACEEXEC (ltrace saw an execve exit stop after the exec's SIGTRAP)."""
    native = subprocess.run([probe_dir / "ptrace_probe", mode], capture_output=True,
                            text=True, timeout=60)
    assert native.returncode == 0 and native.stdout, native
    r = run_groot("run", profile, "--", "/probe/ptrace_probe", mode, timeout=60)
    assert (r.returncode, r.stdout) == (0, native.stdout), r


def test_strace_follows_forks_and_shows_guest_paths(profile):
    r = run_groot("run", profile, "--", "strace", "-f", "-q", "-e", "trace=execve,chdir,exit_group",
                  "sh", "-c", "cd /etc; cat hostname > /dev/null; exit 3", timeout=120)
    assert r.returncode == 3, r
    log = r.stderr
    assert 'execve("/usr/bin/sh", ["sh", "-c", ' in log, r
    assert 'execve("/usr/bin/cat", ["cat", "hostname"]' in log, r
    assert re.search(r'chdir\("/etc"\) +\= 0', log), r
    assert re.search(r'exit_group\(3\) += \?', log), r  # PTRACE_EVENT_EXIT seen
    assert "+++ exited with 3 +++" in log and "unfinished" not in log, r
    assert "Stray" not in log and "groot" not in log, r


def test_strace_counts_syscalls(profile):
    """strace -c: every syscall stop pair is seen, the counts add up."""
    r = run_groot("run", profile, "--", "strace", "-c", "-o", "/dev/stdout", "/bin/true",
                  timeout=120)
    assert r.returncode == 0, r
    assert "exit_group" not in r.stdout or "total" in r.stdout, r
    assert "execve" in r.stdout and "total" in r.stdout, r


def test_gdb_breakpoint_backtrace_and_shared_libraries(profile, tmp_path):
    script = ("cd /tmp && gcc -g -O0 -o hello-gdb /probe/hello.c && "
              "gdb -q -batch -ex 'break add' -ex run -ex bt -ex 'print a * b' "
              "-ex 'info sharedlibrary' -ex continue ./hello-gdb; rm -f hello-gdb")
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=180)
    assert r.returncode == 0, r
    out = r.stdout
    assert "Breakpoint 1, add (a=2, b=3) at /probe/hello.c" in out, r
    assert "in main () at /probe/hello.c" in out, r
    assert "$1 = 6" in out, r
    assert "/lib/x86_64-linux-gnu/libc.so.6" in out, r
    assert "x=5" in out and "exited normally" in out, r


def test_gdb_attaches_to_a_running_process(profile):
    """gdb -p: the attach stop, then the shared libraries and a backtrace through them,
    which needs /proc/PID/auxv to describe the program rather than the loader-shim."""
    script = ("sleep 60 & sleep 0.3; gdb -q -batch -p $! -ex 'info sharedlibrary' -ex bt; "
              "kill %1")
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=180)
    assert r.returncode == 0, r
    assert "/lib/x86_64-linux-gnu/libc.so.6" in r.stdout, r
    assert "in __libc_start_main () from /lib/x86_64-linux-gnu/libc.so.6" in r.stdout, r
    assert "detached" in r.stdout, r


@pytest.mark.parametrize("fast", [True, False])
def test_proc_auxv_describes_the_program(profile, fast):
    """/proc/self/auxv as the dynamic loader saw the auxv (LD_SHOW_AUXV), not the
    loader-shim the kernel started."""
    script = ("LD_SHOW_AUXV=1 python3 -c '"
              "import struct; v = dict(struct.iter_unpack(\"QQ\", open(\"/proc/self/auxv\", \"rb\").read())); "
              "print(\"FROM_PROC_ENTRY: 0x%x\" % v[9]); print(\"FROM_PROC_PHDR: 0x%x\" % v[3])'")
    extra = [] if fast else ["--no-fast-path"]
    r = run_groot("run", *extra, profile, "--", "sh", "-c", script)
    assert r.returncode == 0, r
    shown = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    assert shown["FROM_PROC_ENTRY"].strip() == shown["AT_ENTRY"].strip(), r
    assert shown["FROM_PROC_PHDR"].strip() == shown["AT_PHDR"].strip(), r


def test_gdb_stops_every_thread_at_a_breakpoint(profile):
    script = ("cd /tmp && gcc -g -O0 -pthread -o threads-gdb /probe/threads.c && "
              "gdb -q -batch -ex 'break work' -ex run -ex continue -ex continue -ex continue "
              "-ex continue ./threads-gdb; rm -f threads-gdb")
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=180)
    assert r.returncode == 0, r
    assert len(re.findall(r'Thread \d+ "threads-gdb" hit Breakpoint 1, work', r.stdout)) == 4, r
    assert "counter=4000" in r.stdout and "exited normally" in r.stdout, r


def test_gdb_keeps_its_breakpoints_across_a_vfork(profile):
    """posix_spawn vforks: gdb takes its breakpoints out for the child and puts them back
    at PTRACE_EVENT_VFORK_DONE, which must come."""
    script = ("cd /tmp && gcc -g -O0 -o spawn-gdb /probe/spawn.c && "
              "gdb -q -batch -ex 'break after' -ex run -ex continue ./spawn-gdb; "
              "rm -f spawn-gdb")
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=180)
    assert r.returncode == 0, r
    assert "Breakpoint 1, after (status=0)" in r.stdout, r
    assert "child status 0" in r.stdout and "exited normally" in r.stdout, r


def test_strace_p_stops_at_sigint(profile):
    """strace -p waits in wait4 and relies on SIGINT interrupting it (EINTR)."""
    script = ("sleep 30 & S=$!; strace -p $S 2>/dev/null & T=$!; sleep 1; kill -INT $T; "
              "wait $T; echo done; kill $S")
    start = time.monotonic()
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=60)
    assert r.returncode == 0 and "done" in r.stdout, r
    assert time.monotonic() - start < 20, r


@pytest.mark.parametrize("user", ["host", "root"])
def test_an_untraced_child_is_still_ours(profile, probe_dir, tmp_path, user):
    """clone(CLONE_UNTRACED) would keep the child from groot: its lookups then hung (a
    deferred /proc lookup) or failed with ENOSYS (fake root). The tracer drops the flag;
    ground truth is the same program run natively."""
    paths = ["/proc/self/status", "/etc/os-release", "/proc/self/stat"]
    native = tmp_path / "untraced"
    subprocess.run(["cc", "-O2", "-o", native, probe_dir / "untraced.c"], check=True)
    want = subprocess.run([native, *paths], capture_output=True, text=True, timeout=30)
    assert want.returncode == 0, want
    flags = ["-0"] if user == "root" else []
    script = "gcc -O2 -o /tmp/untraced /probe/untraced.c && /tmp/untraced " + " ".join(paths)
    r = run_groot("run", *flags, profile, "--", "bash", "-c", script, timeout=60)
    assert (r.returncode, r.stdout) == (0, want.stdout), r


@pytest.mark.skipif(os.geteuid() == 0, reason="as root every lookup is the tracer's (no notification)")
def test_an_untraced_clone3_child_is_not_left_waiting(profile, probe_dir, tmp_path):
    """clone3's flags are in memory, out of the filter's reach: such a child stays
    untraced. Its lookups that would go to the ptrace side (/proc/self/status) are let
    through to the kernel rather than left unanswered (the session hung)."""
    paths = ["/etc/os-release", "/proc/self/status"]
    script = ("gcc -O2 -o /tmp/untraced /probe/untraced.c && /tmp/untraced --clone3 " +
              " ".join(paths))
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=60)
    assert (r.returncode, r.stdout) == (0, "".join(f"{p}: opened\n" for p in paths)), r


@pytest.mark.parametrize("user", ["host", "root"])
def test_address_sanitizer_and_its_leak_checker_work(profile, user):
    """ASan insists on being the first library (groot-fast.so is not preloaded for such a
    program), and LeakSanitizer's helper is a CLONE_UNTRACED clone that ptraces its
    siblings (the guest-debugger emulation, once the helper is ours)."""
    script = r"""cd /tmp && printf '#include <stdlib.h>\n#include <string.h>\n
int main(int c, char **v) { char *p = malloc(10); if (c > 1 && !strcmp(v[1], "over")) p[10] = 1;
if (c > 1 && !strcmp(v[1], "leak")) { p = 0; return 0; } free(p); return 0; }\n' > asan.c &&
gcc -g -fsanitize=address -o asan asan.c || exit 90
./asan; echo "clean=$?"
./asan over 2>&1 | grep -o 'ERROR: AddressSanitizer: heap-buffer-overflow'; echo "over=${PIPESTATUS[0]}"
./asan leak 2>&1 | grep -o 'Direct leak of 10 byte(s) in 1 object(s)'; echo "leak=${PIPESTATUS[0]}"
"""
    flags = ["-0"] if user == "root" else []
    r = run_groot("run", *flags, profile, "--", "bash", "-c", script, timeout=180)
    assert r.returncode == 0, r
    assert r.stdout.split("\n") == [
        "clean=0", "ERROR: AddressSanitizer: heap-buffer-overflow", "over=1",
        "Direct leak of 10 byte(s) in 1 object(s)", "leak=1", ""], r


@pytest.mark.parametrize("user", ["host", "root"])
def test_thread_sanitizer_finds_a_race(profile, user):
    """TSan accepts only its own memory layout: a position-independent program where the
    kernel puts one (0x55..., below 0x568000000000), as groot's shim now does."""
    # Loops long enough to overlap in time: with 1000 steps each, TSan once reported no
    # race on a loaded machine.
    script = r"""cd /tmp && printf '#include <pthread.h>\n#include <stdio.h>\nint x;
void *f(void *a) { for (int i = 0; i < 300000; i++) x++; return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, f, 0); for (int i = 0; i < 300000; i++) x++;
pthread_join(t, 0);
printf("done %%d\\n", x); return 0; }\n' > tsan.c && gcc -g -fsanitize=thread -o tsan tsan.c || exit 90
./tsan 2>&1 | grep -o 'WARNING: ThreadSanitizer: data race\|^done' | uniq; echo "rc=${PIPESTATUS[0]}"
"""
    r = run_groot("run", *(["-0"] if user == "root" else []), profile, "--", "bash", "-c", script,
                  timeout=180)
    assert (r.returncode, r.stdout) == (0, "WARNING: ThreadSanitizer: data race\ndone\nrc=66\n"), r


def test_a_dropped_identity_may_not_attach_to_roots_processes(profile):
    """Under fake root, gdb run by uid 1234 attaching to root's process: EPERM, as the
    kernel's ptrace_may_access would say with those ids (every guest process really has
    the invoking user's); its own process, and root attaching, work."""
    script = r"""sleep 30 & P=$!
setpriv --reuid=1234 --regid=1234 --clear-groups gdb -q -batch -p $P 2>&1 | grep -o 'ptrace: Operation not permitted' | head -1
gdb -q -batch -p $P -ex 'info inferiors' 2>&1 | grep -c "process $P"
setpriv --reuid=1234 --regid=1234 --clear-groups sh -c 'sleep 30 & Q=$!; gdb -q -batch -p $Q 2>&1 | grep -c "ptrace: Operation not permitted"; kill $Q'
kill $P"""
    r = run_groot("run", "-0", profile, "--", "bash", "-c", script, timeout=120)
    assert (r.returncode, r.stdout) == (0, "ptrace: Operation not permitted\n2\n0\n"), r
