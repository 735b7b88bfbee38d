# SPDX-License-Identifier: MIT
"""An interactive guest shell on a terminal: job control and ^C behave as natively."""
import os
import pty
import select
import signal
import time

import pytest

from conftest import GROOT, write_profile


class Terminal:
    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env or os.environ)
        self.output = b""

    def read_until(self, needle, timeout=20):
        deadline = time.time() + timeout
        while needle.encode() not in self.output:
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError(f"{needle!r} not seen; screen:\n{self.output.decode(errors='replace')}")
            r, _, _ = select.select([self.fd], [], [], remaining)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"EOF before {needle!r}:\n{self.output.decode(errors='replace')}")
                self.output += chunk
        return self.output

    def send(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status


@pytest.mark.root_subset
def test_job_control_in_a_guest_shell(tmp_path, trixie_rootfs):
    profile = write_profile(tmp_path, trixie_rootfs, name="tty")
    env = dict(os.environ, TERM="dumb", PS1="guest$ ")
    term = Terminal([str(GROOT), "run", str(profile), "--", "/bin/bash", "--norc", "-i"], env)
    try:
        term.read_until("bash-")
        term.send("PS1='G''> '\n")
        term.read_until("G> ")
        term.send("sleep 100\n")
        time.sleep(1)
        term.send("\x1a")  # ^Z
        term.read_until("Stopped")
        term.send("jobs; echo jobs-listed\n")
        term.read_until("jobs-listed")
        term.send("fg\n")
        term.read_until("sleep 100")
        time.sleep(0.5)
        term.send("\x03")  # ^C
        term.send("echo status=$?\n")
        term.read_until("status=130")
        term.send("exit 3\n")
        deadline = time.time() + 10
        while time.time() < deadline:
            pid, status = os.waitpid(term.pid, os.WNOHANG)
            if pid:
                assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3
                return
            try:
                os.read(term.fd, 4096)
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("the guest shell did not exit")
    finally:
        try:
            term.close()
        except ChildProcessError:
            pass
