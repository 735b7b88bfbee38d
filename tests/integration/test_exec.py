# SPDX-License-Identifier: MIT
"""execve emulation: errno parity with the kernel, shebangs, PT_INTERP in the guest.

Ground truth: the same probe (tests/fixtures/execerr.c, static) runs the same
exec natively on the host and inside the guest; both must report the same
result. The files live in a host directory the guest sees at /t (a direct
bind), so the two runs differ only in the path prefix.
"""
import os
import pathlib
import shutil
import stat
import subprocess

import pytest

from conftest import REPO, run_groot, write_profile

FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    os.chmod(d, 0o755)
    out = d / "execerr"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", out, FIXTURES / "execerr.c"], check=True)
    hello = d / "hello"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", hello, FIXTURES / "hello.c"], check=True)
    dyn = d / "hello-dyn"
    subprocess.run(["musl-gcc", "-O2", "-o", dyn, FIXTURES / "hello.c"], check=True)
    return d


def executable(path, mode=0o755):
    os.chmod(path, mode)
    return path


def make_cases(d, probe, prefix):
    """Build the matrix in d; prefix is how the exec'ing side names d."""
    cases = {}
    executable(shutil.copy(probe / "hello", d / "ok"))
    cases["ok"] = "ok"
    cases["missing"] = "missing"
    (d / "dir").mkdir()
    cases["directory"] = "dir"
    shutil.copy(probe / "hello", d / "noexec")
    os.chmod(d / "noexec", 0o644)
    cases["no exec bit"] = "noexec"
    (d / "garbage").write_bytes(b"\x01\x02garbage that is no format at all\n" * 4)
    executable(d / "garbage")
    cases["garbage"] = "garbage"
    (d / "empty").write_bytes(b"")
    executable(d / "empty")
    cases["empty file"] = "empty"
    elf = (probe / "hello").read_bytes()
    (d / "truncated").write_bytes(elf[:100])
    executable(d / "truncated")
    cases["truncated ELF"] = "truncated"
    wrong = bytearray(elf)
    wrong[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    (d / "wrongarch").write_bytes(bytes(wrong))
    executable(d / "wrongarch")
    cases["wrong e_machine"] = "wrongarch"
    wrong32 = bytearray(elf)
    wrong32[4] = 1  # ELFCLASS32
    (d / "class32").write_bytes(bytes(wrong32))
    executable(d / "class32")
    cases["wrong class"] = "class32"
    (d / "file").write_text("x")
    cases["not a directory"] = "file/ok"
    cases["name too long"] = "x" * 300
    cases["path too long"] = "/".join(["a" * 200] * 25)

    (d / "script-missing").write_text("#!/nonexistent/interp\n")
    executable(d / "script-missing")
    cases["shebang, missing interpreter"] = "script-missing"
    (d / "script-empty").write_text("#!\n")
    executable(d / "script-empty")
    cases["shebang, no interpreter"] = "script-empty"
    (d / "script-spaces").write_text("#!   \t\n")
    executable(d / "script-spaces")
    cases["shebang, only blanks"] = "script-spaces"
    (d / "script-cr").write_text(f"#!{prefix}/ok\r\n")
    executable(d / "script-cr")
    cases["shebang, CRLF keeps \\r in the name"] = "script-cr"
    (d / "script-arg").write_text(f"#!{prefix}/ok  one arg  \n")
    executable(d / "script-arg")
    cases["shebang with an argument"] = "script-arg"
    (d / "script-dir").write_text(f"#!{prefix}/dir\n")
    executable(d / "script-dir")
    cases["shebang to a directory"] = "script-dir"
    # Chains: level k runs level k-1; level 0 is the ELF. The kernel allows 5 rewrites.
    previous = f"{prefix}/ok"
    for level in range(1, 8):
        (d / f"chain{level}").write_text(f"#!{previous}\n")
        executable(d / f"chain{level}")
        previous = f"{prefix}/chain{level}"
    cases["shebang chain of 4"] = "chain4"
    cases["shebang chain of 5"] = "chain5"
    cases["shebang chain of 6"] = "chain6"

    shutil.copy(probe / "hello-dyn", d / "interp-missing")
    subprocess.run(["patchelf", "--set-interpreter", f"{prefix}/no-such-ld.so",
                    d / "interp-missing"], check=True)
    executable(d / "interp-missing")
    cases["PT_INTERP missing"] = "interp-missing"
    shutil.copy(probe / "hello-dyn", d / "interp-garbage")
    subprocess.run(["patchelf", "--set-interpreter", f"{prefix}/garbage",
                    d / "interp-garbage"], check=True)
    executable(d / "interp-garbage")
    cases["PT_INTERP not an ELF"] = "interp-garbage"
    shutil.copy(probe / "hello-dyn", d / "interp-wrongarch")
    subprocess.run(["patchelf", "--set-interpreter", f"{prefix}/wrongarch",
                    d / "interp-wrongarch"], check=True)
    executable(d / "interp-wrongarch")
    cases["PT_INTERP wrong architecture"] = "interp-wrongarch"
    shutil.copy(probe / "hello-dyn", d / "interp-dir")
    subprocess.run(["patchelf", "--set-interpreter", f"{prefix}/dir", d / "interp-dir"],
                   check=True)
    executable(d / "interp-dir")
    cases["PT_INTERP is a directory"] = "interp-dir"
    return cases


def normalise(output, prefix):
    return output.replace(prefix, "<D>")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, probe, tiny_rootfs):
    native_dir = tmp_path_factory.mktemp("native")
    guest_dir = tmp_path_factory.mktemp("guest")
    for d in (native_dir, guest_dir):
        os.chmod(d, 0o755)
    native = make_cases(native_dir, probe, str(native_dir))
    guest = make_cases(guest_dir, probe, "/t")
    assert native.keys() == guest.keys()
    profile = write_profile(tmp_path_factory.mktemp("profile"), tiny_rootfs, extra=(
        f"binds:\n  - {guest_dir}:/t:direct\n  - {probe}:/probe:direct\n"))
    return native_dir, guest_dir, native, guest, profile


CASE_NAMES = [
    "ok", "missing", "directory", "no exec bit", "garbage", "empty file", "truncated ELF",
    "wrong e_machine", "wrong class", "not a directory", "name too long", "path too long",
    "shebang, missing interpreter", "shebang, no interpreter", "shebang, only blanks",
    "shebang, CRLF keeps \\r in the name", "shebang with an argument", "shebang to a directory",
    "shebang chain of 4", "shebang chain of 5", "shebang chain of 6",
    "PT_INTERP missing", "PT_INTERP not an ELF", "PT_INTERP wrong architecture",
    "PT_INTERP is a directory",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_errno_matches_native(case, matrix, probe, groot):
    native_dir, guest_dir, native, guest, profile = matrix
    native_path = os.path.join(native_dir, native[case])
    expected = subprocess.run([probe / "execerr", "path", native_path, "arg1"],
                              capture_output=True, text=True)
    r = run_groot("run", profile, "--", "/probe/execerr", "path",
                  os.path.join("/t", guest[case]), "arg1")
    assert r.returncode == expected.returncode, r
    assert normalise(r.stdout, "/t") == normalise(expected.stdout, str(native_dir)), r


def test_oversized_argument_is_e2big(matrix, probe, groot):
    native_dir, guest_dir, native, guest, profile = matrix
    expected = subprocess.run([probe / "execerr", "big", native_dir / "ok"],
                              capture_output=True, text=True)
    assert expected.stdout == f"errno={7}\n"  # E2BIG, natively
    r = run_groot("run", profile, "--", "/probe/execerr", "big", "/t/ok")
    assert r.stdout == expected.stdout, r


def test_null_argv_and_envp_like_the_kernel(matrix, probe, groot):
    """The kernel accepts execve(path, NULL, NULL) and hands the program argv {""}."""
    native_dir, guest_dir, native, guest, profile = matrix
    expected = subprocess.run([probe / "execerr", "noargv", native_dir / "ok"],
                              capture_output=True, text=True)
    assert expected.stdout.startswith("hello from the guest: argc=1 []"), expected
    r = run_groot("run", profile, "--", "/probe/execerr", "noargv", "/t/ok")
    assert (r.returncode, normalise(r.stdout, "/t")) == \
        (expected.returncode, normalise(expected.stdout, str(native_dir))), r


def test_execveat_empty_path_and_relative(matrix, probe, groot):
    native_dir, guest_dir, native, guest, profile = matrix
    r = run_groot("run", profile, "--", "/probe/execerr", "fd", "/t/ok")
    assert r.returncode == 0 and "hello from the guest: argc=1 [/t/ok]" in r.stdout, r
    assert "execfn=/dev/fd/" in r.stdout, r
    r = run_groot("run", profile, "--", "/probe/execerr", "fdrel", "/t", "ok")
    assert "hello from the guest: argc=1" in r.stdout and "execfn=/dev/fd/" in r.stdout, r


def test_interpreter_that_exists_only_in_the_guest(tmp_path, probe, tiny_rootfs, groot):
    """PT_INTERP names a path the host lacks: it must be resolved in the view."""
    d = tmp_path / "only"
    d.mkdir()
    os.chmod(d, 0o755)
    musl_ld = pathlib.Path("/lib/ld-musl-x86_64.so.1")
    if not musl_ld.exists():
        pytest.fail("musl's loader is missing: apt-get install musl")
    shutil.copy(musl_ld, d / "ld-only-in-guest.so")
    shutil.copy(probe / "hello-dyn", d / "prog")
    subprocess.run(["patchelf", "--set-interpreter", "/guest-only/ld-only-in-guest.so",
                    d / "prog"], check=True)
    assert not os.path.exists("/guest-only")
    native = subprocess.run([probe / "execerr", "path", d / "prog"], capture_output=True,
                            text=True)
    assert native.stdout == "errno=2\n"  # the host cannot run it: ENOENT for its loader
    profile = write_profile(tmp_path, tiny_rootfs,
                            extra=f"binds:\n  - {d}:/guest-only:direct\n")
    r = run_groot("run", profile, "--", "/guest-only/prog", "z")
    assert r.returncode == 0, r
    assert r.stdout == "hello from the guest: argc=2 [/guest-only/prog] [z] execfn=/guest-only/prog\n"


def test_shebang_argv_is_rebuilt_like_the_kernel(matrix, groot, tmp_path, probe, tiny_rootfs):
    native_dir, guest_dir, native, guest, profile = matrix
    expected = subprocess.run([native_dir / "script-arg", "x1", "x2"], capture_output=True,
                              text=True)
    r = run_groot("run", profile, "--", "/t/script-arg", "x1", "x2")
    assert normalise(r.stdout, "/t") == normalise(expected.stdout, str(native_dir)), r
    assert "[one arg]" in r.stdout


def test_profile_interpreters_like_binfmt_misc(tmp_path, tiny_rootfs, groot, probe):
    """Formats that are neither ELF nor #!: the profile's table, by extension or by magic."""
    d = tmp_path / "progs"
    d.mkdir()
    os.chmod(d, 0o755)
    (d / "greeting.gsh").write_text("echo by extension: $0 $1\n")
    (d / "greeting.gsh").chmod(0o755)
    (d / "magic.bin").write_bytes(b"GRT1" + b"\necho by magic: $1\n")
    (d / "magic.bin").chmod(0o755)
    profile = write_profile(tmp_path, tiny_rootfs, extra=(
        f"binds:\n  - {d}:/progs:direct\n"
        "interpreters:\n"
        "  gsh:\n    extension: gsh\n    interpreter: /bin/sh\n"
        "  grt:\n    magic: 'GRT1'\n    interpreter: /bin/sh\n"))
    r = run_groot("run", profile, "--", "/progs/greeting.gsh", "arg")
    assert r.returncode == 0, r
    assert r.stdout == "by extension: /progs/greeting.gsh arg\n", r
    r = run_groot("run", profile, "--", "/progs/magic.bin", "arg")
    assert r.returncode == 0 and r.stdout.endswith("by magic: arg\n"), r
    # Without the table, the kernel's answer: ENOEXEC.
    plain = write_profile(tmp_path, tiny_rootfs, name="plain",
                          extra=f"binds:\n  - {d}:/progs:direct\n  - {probe}:/probe:direct\n")
    r = run_groot("run", plain, "--", "/probe/execerr", "path", "/progs/magic.bin")
    assert r.stdout == "errno=8\n", r


@pytest.mark.trixie
def test_a_large_argv_runs_every_time(tmp_path, trixie_rootfs):
    """Below a large argv the kernel maps little stack: the load script, written there,
    hit unmapped memory at random and the exec was killed (xargs's batches, ~30k args);
    it now lives in the loader-shim's own memory."""
    p = write_profile(tmp_path, trixie_rootfs, name="argv")
    script = ("for i in 1 2 3 4 5 6 7 8; do /bin/true $(seq 1 30000) || echo failed $?; done; "
              "seq 1 60000 | xargs /bin/true && echo xargs ok; "
              "for n in 100000 140000; do /bin/echo $(seq 1 $n) | wc -c; done")
    r = run_groot("run", p, "--", "bash", "-c", script)
    assert (r.returncode, r.stdout) == (0, "xargs ok\n588895\n868895\n"), r
