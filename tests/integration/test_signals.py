# SPDX-License-Identifier: MIT
"""Signals between the guest, groot and the world outside, compared with the same
shell script run natively: groot stands where the guest command would stand."""
import os
import signal
import subprocess
import time

import pytest

from conftest import GROOT, no_leftover_mounts, write_profile  # noqa: F401

pytestmark = pytest.mark.trixie


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trixie_rootfs):
    return write_profile(tmp_path_factory.mktemp("profile"), trixie_rootfs, name="trixie")


def native(script, **kw):
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30, **kw)


def guest(profile, script, **kw):
    return subprocess.run([str(GROOT), "run", str(profile), "--", "sh", "-c", script],
                          capture_output=True, text=True, timeout=30, **kw)


def same(profile, script, **kw):
    n, g = native(script, **kw), guest(profile, script, **kw)
    assert (g.returncode, g.stdout) == (n.returncode, n.stdout), (n, g)
    return g


def test_the_guest_signalling_its_group_leaves_groot_alone(profile):
    """kill(0, SIGTERM) with SIGTERM ignored: natively the group is only the script's own
    (PRoot's test 55555555). groot, in that group, must not die of it."""
    r = same(profile, 'trap "" TERM; kill -TERM 0; echo survived', start_new_session=True)
    assert r.stdout == "survived\n"


def test_the_guest_cannot_kill_its_tracer():
    """The tracer is not the guest's business: a signal to TracerPid (groot proot shows
    groot there, as PRoot shows itself; PRoot's test 3624be91) is dropped."""
    r = subprocess.run([str(GROOT), "proot", "-r", "/", "sh", "-c",
                        "kill -TERM $(awk '/TracerPid/ {print $2}' /proc/self/status); "
                        "sleep 0.2; echo alive"],
                       capture_output=True, text=True, timeout=30, start_new_session=True)
    assert (r.returncode, r.stdout) == (0, "alive\n"), r


COUNT_TERMS = ('n=0; trap "n=\\$((n+1))" TERM; echo ready; '
               'while [ $n -eq 0 ]; do sleep 0.05; done; sleep 0.5; echo "terms=$n"; exit 7')


@pytest.mark.root_subset
@pytest.mark.parametrize("to_group", [False, True])
def test_a_signal_from_outside_reaches_the_guest_command_once(profile, to_group):
    """kill of groot's pid (a supervisor, timeout) is forwarded to the guest command;
    kill of the whole group reaches it directly and is not forwarded a second time."""
    p = subprocess.Popen([str(GROOT), "run", str(profile), "--", "bash", "-c", COUNT_TERMS],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert p.stdout.readline() == "ready\n"
        if to_group:
            os.killpg(p.pid, signal.SIGTERM)
        else:
            p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
    finally:
        p.kill()
    assert (p.returncode, out) == (7, "terms=1\n")


def test_a_forwarded_signal_is_the_exit_status(profile):
    p = subprocess.Popen([str(GROOT), "run", str(profile), "--", "sh", "-c",
                          "echo ready; exec sleep 60"],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == 128 + signal.SIGTERM


def test_a_stopped_child_of_an_orphaned_group_is_hung_up(profile):
    """The parent exits while its child is stopped (PRoot's test 77777777). Started as a
    shell job (its own group, in the shell's session), the group becomes orphaned and the
    kernel sends it SIGHUP and SIGCONT. groot, a member of that group, hides that from
    the kernel and must do it itself, or the child stays stopped and groot waits forever.
    (A traced stop shows as "t" in /proc/PID/stat, a plain one as "T".)"""
    script = ('sh -c "kill -STOP \\$\\$; echo continued" & '
              'sleep 0.3; cut -d" " -f3 /proc/$!/stat | tr t T; echo parent-done')
    r = same(profile, script, process_group=0)
    assert r.stdout == "T\nparent-done\n"


def test_groot_ends_when_only_stopped_orphans_are_left(profile):
    """In a session of its own the group was orphaned from the start: natively the child
    stays stopped and the command returns. groot returns too (the orphan ends with it)
    rather than wait for a process no one will continue."""
    script = 'sh -c "kill -STOP \\$\\$; echo continued" & sleep 0.3; exit 4'
    r = subprocess.run([str(GROOT), "run", str(profile), "--", "sh", "-c", script],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=30, start_new_session=True)
    assert r.returncode == 4, r


CORE_DUMP = r"""cd "$1" && printf 'int main(void) { *(volatile int *)0 = 1; return 0; }\n' > segv.c &&
cc -o segv segv.c && ulimit -c unlimited && { ./segv; echo "status $?"; } 2>&1 | grep -o 'core dumped\|status .*'
stat -c '%u %a' core; test -s core && echo nonempty"""


@pytest.mark.parametrize("user", ["host", "root"])
def test_a_core_dump_is_written_as_natively(profile, tmp_path, user):
    """The kernel writes a core only into a file its dumper owns (its real fsuid) with mode
    0600; under fake root the view reported root as the owner and the core stayed empty.
    Ground truth: the same program run natively by this user."""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = subprocess.run(["bash", "-c", CORE_DUMP, "core", str(native_dir)],
                            capture_output=True, text=True, timeout=60)
    if "nonempty" not in native.stdout:
        pytest.skip(f"no core files in the cwd here (kernel.core_pattern): {native.stdout}")
    r = subprocess.run([str(GROOT), "run", *(["-0"] if user == "root" else []), str(profile), "--",
                        "bash", "-c", "mkdir /tmp/cores && " + CORE_DUMP, "core", "/tmp/cores"],
                       capture_output=True, text=True, timeout=120)
    want = native.stdout if user == "host" else native.stdout.replace(f"{os.getuid()} 600", "0 600")
    assert (r.returncode, r.stdout) == (0, want), (r.stdout, r.stderr, native.stdout)


FAKE_USER_SIGNALS = r"""sleep 30 & P=$!
setpriv --reuid=1234 --regid=1234 --clear-groups sh -c "kill $P; echo kill=\$?; kill -0 $P; echo kill0=\$?; kill -CONT $P; echo cont=\$?" 2>/dev/null
kill -0 $P && echo alive; kill $P; echo root-kills=$?
setpriv --reuid=1234 --regid=1234 --clear-groups sh -c 'sleep 30 & Q=$!; kill $Q; echo own=$?'
"""


def test_a_dropped_identity_may_not_signal_roots_processes(profile):
    """Under fake root the kernel judges a kill by the real uids, which every guest process
    shares: one that dropped to uid 1234 could kill root's. The tracer applies the kernel's
    rule with the fake ids (EPERM, but SIGCONT within the session), as natively as root."""
    r = subprocess.run([str(GROOT), "run", "-0", str(profile), "--", "bash", "-c",
                        FAKE_USER_SIGNALS], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (
        0, "kill=1\nkill0=1\ncont=0\nalive\nroot-kills=0\nown=0\n"), r


def test_no_wait_ends_with_the_command_and_kills_what_it_left(profile, no_leftover_mounts):
    """By default groot waits for every guest process, daemons too (gpg-agent kept
    `gpg --clearsign` from ending); --no-wait ends with the command, with its exit status,
    and kills what is left, as its tracees die with groot."""
    script = "setsid sleep 37 & sleep 38 & echo started; exit 3"
    start = time.monotonic()
    r = subprocess.run([str(GROOT), "run", "--no-wait", str(profile), "--", "bash", "-c", script],
                       capture_output=True, text=True, timeout=30)
    took = time.monotonic() - start
    assert (r.returncode, r.stdout) == (3, "started\n"), r
    assert took < 10, took
    time.sleep(0.3)
    left = subprocess.run(["pgrep", "-u", str(os.getuid()), "-f", "^sleep 3[78]$"],
                          capture_output=True, text=True)
    assert left.stdout == "", left.stdout
    waited = subprocess.run([str(GROOT), "run", str(profile), "--", "bash", "-c",
                             "setsid sleep 1 & echo started"], capture_output=True, text=True,
                            timeout=30)
    assert (waited.returncode, waited.stdout) == (0, "started\n"), waited


def ignoring(*signals):
    def setup():
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)
    return setup


def test_signals_ignored_by_groots_caller_stay_ignored_in_the_guest(profile):
    """Dispositions pass through exec: what the caller of groot ignored (nohup, a shell's
    trap '' INT) the guest command ignores too. groot reset ^C and ^\\ to their defaults,
    and a guest that sent itself SIGINT died."""
    setup = ignoring(signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD, signal.SIGUSR2)
    mask = "exec grep SigIgn /proc/self/status"
    same(profile, mask, preexec_fn=setup)
    r = same(profile, "kill -INT $$; kill -QUIT $$; echo survived", preexec_fn=setup)
    assert r.stdout == "survived\n", r
    same(profile, mask)
