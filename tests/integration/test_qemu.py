# SPDX-License-Identifier: MIT
"""PRoot's -q: programs of another architecture run through the host's qemu-user.

The foreign program is a real aarch64 ELF executable, assembled here byte by
byte (write(1, msg, len); exit(42)), so no cross toolchain is needed. Ground
truth: the same file run by qemu-aarch64-static directly on the host.
"""
import shutil
import struct
import subprocess

import pytest

from conftest import run_groot

QEMU = shutil.which("qemu-aarch64-static")
MESSAGE = b"hello from aarch64\n"

pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-user-static is not installed "
                                "(scripts/install-deps.sh --check installs it)")


def aarch64_program(path):
    def movz(rd, imm):
        return 0xD2800000 | (imm << 5) | rd

    def adr(rd, offset):
        return 0x10000000 | ((offset & 3) << 29) | (((offset >> 2) & 0x7FFFF) << 5) | rd

    svc = 0xD4000001
    code = [movz(0, 1), adr(1, 28), movz(2, len(MESSAGE)), movz(8, 64), svc,
            movz(0, 42), movz(8, 93), svc]
    body = b"".join(struct.pack("<I", c) for c in code) + MESSAGE
    base, headers = 0x400000, 64 + 56
    size = headers + len(body)
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
            struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, base + headers, 64, 0, 0, 64, 56, 1,
                        0, 0, 0))
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x10000)
    path.write_bytes(ehdr + phdr + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def guest(tmp_path, tiny_rootfs):
    root = tmp_path / "root"
    shutil.copytree(tiny_rootfs, root, symlinks=True)
    aarch64_program(root / "bin" / "hello-aarch64")
    return root


@pytest.mark.root_subset
def test_ground_truth_on_the_host(tmp_path):
    program = aarch64_program(tmp_path / "hello")
    r = subprocess.run([QEMU, str(program)], capture_output=True)
    assert r.returncode == 42 and r.stdout == MESSAGE, r


@pytest.mark.root_subset
def test_q_runs_a_foreign_program_and_native_ones_natively(guest, no_leftover_mounts):
    r = run_groot("proot", "-q", "qemu-aarch64-static", "-r", guest, "/bin/sh", "-c",
                  "/bin/hello-aarch64; echo status=$?; cd /bin && ./hello-aarch64 >/dev/null;"
                  " echo again=$?; echo native; cat /proc/self/comm")
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [MESSAGE.decode().strip(), "status=42", "again=42",
                                     "native", "cat"], r


def test_q_is_the_exit_status_of_a_foreign_command(guest, no_leftover_mounts):
    r = run_groot("proot", "--qemu=qemu-aarch64-static", "-r", guest, "/bin/hello-aarch64")
    assert r.returncode == 42 and r.stdout == MESSAGE.decode(), r


def test_without_q_a_foreign_program_does_not_run(guest):
    r = run_groot("proot", "-r", guest, "/bin/sh", "-c",
                  "/bin/hello-aarch64 2>/dev/null; echo status=$?")
    # ENOEXEC: the shell then tries it as a script of its own, which fails too.
    assert "hello" not in r.stdout and "status=" in r.stdout, r
    assert "status=0" not in r.stdout and "status=42" not in r.stdout, r


def test_q_lets_a_whole_foreign_guest_run(tmp_path, no_leftover_mounts):
    """A guest whose /bin/sh is aarch64: refused without -q, run through qemu with it."""
    root = tmp_path / "foreign"
    for d in ("bin", "etc", "usr", "tmp"):
        (root / d).mkdir(parents=True)
    aarch64_program(root / "bin" / "sh")
    r = run_groot("proot", "-r", root, "/bin/sh")
    assert r.returncode == 125 and "aarch64" in r.stderr and "interpreter" in r.stderr, r
    r = run_groot("proot", "-q", "qemu-aarch64-static", "-r", root, "/bin/sh")
    assert r.returncode == 42 and r.stdout == MESSAGE.decode(), r


@pytest.mark.parametrize("spec, message", [
    ("qemu-nosucharch", "cannot tell which architecture"),
    ("qemu-riscv32-static-missing", "cannot tell which architecture"),
    ("/nonexistent/qemu-aarch64-static", "not found"),
    ("", "expected a qemu-user command"),
])
def test_q_errors(guest, spec, message):
    r = run_groot("proot", "-q", spec, "-r", guest, "/bin/true")
    assert r.returncode == 125 and message in r.stderr, r
    assert "\n" not in r.stderr.strip(), r


def test_q_refuses_a_dynamic_emulator(tmp_path, guest):
    dynamic = tmp_path / "bin" / "qemu-aarch64"
    dynamic.parent.mkdir()
    shutil.copy("/bin/true", dynamic)
    r = run_groot("proot", "-q", str(dynamic), "-r", guest, "/bin/true")
    assert r.returncode == 125 and "dynamically linked" in r.stderr, r
    assert "qemu-user-static" in r.stderr, r
