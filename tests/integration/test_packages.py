# SPDX-License-Identifier: MIT
"""Package management under fake root, rootless: dpkg -i, apt-get from a file:// repository,
dpkg-buildpackage; fake ownership persists in the upper layer, the base rootfs stays pristine.

The guest tree here is owned by the invoking user, as a rootless-provisioned or
unpacked rootfs is (a tree made by root has files a user cannot even read).
"""
import os
import pathlib
import subprocess

import pytest

from conftest import TRIXIE_ROOTFS, run_groot, write_profile

USER_ROOTFS = pathlib.Path(os.environ.get("GROOT_TRIXIE_USER_ROOTFS", TRIXIE_ROOTFS))


def build_deb(directory):
    pkg = directory / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "usr/local/bin").mkdir(parents=True)
    (pkg / "DEBIAN/control").write_text(
        "Package: hello-groot\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: groot <groot@example.org>\nDescription: groot test package\n")
    postinst = pkg / "DEBIAN/postinst"
    postinst.write_text("#!/bin/sh\nset -e\nchown root:root /usr/local/bin/hello-groot\n"
                        "chmod 4755 /usr/local/bin/hello-groot\n"
                        "chown 123:456 /var/lib/hello-groot-data\n")
    postinst.chmod(0o755)
    tool = pkg / "usr/local/bin/hello-groot"
    tool.write_text("#!/bin/sh\necho hello from the package\n")
    tool.chmod(0o755)
    (pkg / "var/lib").mkdir(parents=True)
    (pkg / "var/lib/hello-groot-data").write_text("data\n")
    deb = directory / "repo" / "hello-groot_1.0_all.deb"
    deb.parent.mkdir()
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", pkg, deb], check=True,
                   capture_output=True)
    return deb


@pytest.fixture
def setup(tmp_path):
    if not (USER_ROOTFS / "usr/bin/apt-get").exists():
        pytest.fail(f"{USER_ROOTFS} is not a Debian tree")
    work = tmp_path / "work"
    work.mkdir()
    deb = build_deb(work)
    os.chmod(tmp_path, 0o755)
    upper = tmp_path / "upper"
    profile = write_profile(tmp_path, USER_ROOTFS, name="pkg", extra=(
        f"  upper: persistent\n  upper_path: {upper}\nuser: root\n"
        f"binds:\n  - {work}:/work:direct\n"))
    return profile, deb, upper


def test_dpkg_install_keeps_ownership_across_runs(setup):
    profile, deb, upper = setup
    r = run_groot("run", profile, "--", "dpkg", "-i", f"/work/repo/{deb.name}", timeout=300)
    assert r.returncode == 0, r
    r = run_groot("run", profile, "--", "bash", "-c",
                  "stat -c '%A %U %G' /usr/local/bin/hello-groot; "
                  "stat -c '%u %g' /var/lib/hello-groot-data; hello-groot; "
                  "dpkg -s hello-groot | sed -n 2p")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:4] == ["-rwsr-xr-x root root", "123 456",
                                        "hello from the package", "Status: install ok installed"], r
    assert not (USER_ROOTFS / "usr/local/bin/hello-groot").exists(), "the base rootfs was written"
    assert (upper / "usr/local/bin/hello-groot").exists()


def test_apt_get_install_from_a_file_repository(setup):
    profile, deb, upper = setup
    script = ("set -e; cd /work/repo; dpkg-scanpackages . > Packages 2>/dev/null; "
              "echo 'deb [trusted=yes] file:/work/repo ./' > /etc/apt/sources.list.d/local.list; "
              "apt-get update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/local.list "
              "-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >/dev/null; "
              "apt-get install -y hello-groot >/dev/null; hello-groot")
    r = run_groot("run", profile, "--", "bash", "-c", script, timeout=600)
    assert r.returncode == 0, r
    assert r.stdout.strip().endswith("hello from the package"), r
    r = run_groot("run", profile, "--", "stat", "-c", "%A %U", "/usr/local/bin/hello-groot")
    assert r.stdout.strip() == "-rwsr-xr-x root", r


def test_dpkg_buildpackage_of_a_small_source_package(tmp_path):
    src = tmp_path / "work" / "greet-1.0"
    (src / "debian" / "source").mkdir(parents=True)
    (src / "greet.c").write_text('#include <stdio.h>\nint main(void){puts("greetings");return 0;}\n')
    (src / "Makefile").write_text("greet: greet.c\n\t$(CC) -O2 -o $@ $<\n"
                                  "install: greet\n\tinstall -D -m755 greet $(DESTDIR)/usr/bin/greet\n")
    (src / "debian/source/format").write_text("3.0 (native)\n")
    (src / "debian/changelog").write_text(
        "greet (1.0) unstable; urgency=low\n\n  * Initial release.\n\n"
        " -- groot <groot@example.org>  Mon, 23 Nov 2026 10:00:00 +0000\n")
    (src / "debian/control").write_text(
        "Source: greet\nSection: misc\nPriority: optional\nMaintainer: groot <groot@example.org>\n"
        "Build-Depends: \nStandards-Version: 4.6.2\n\n"
        "Package: greet\nArchitecture: any\nDepends: ${shlibs:Depends}\nDescription: greets\n"
        " A tiny package built by groot's tests.\n")
    rules = src / "debian/rules"
    rules.write_text(
        "#!/usr/bin/make -f\n"
        "build build-arch build-indep:\n\t$(MAKE)\n"
        "clean:\n\trm -rf greet debian/greet debian/files debian/substvars\n"
        "binary binary-arch binary-indep: build\n"
        "\t$(MAKE) install DESTDIR=debian/greet\n"
        "\tmkdir -p debian/greet/DEBIAN\n"
        "\tdpkg-shlibdeps debian/greet/usr/bin/greet\n"
        "\tdpkg-gencontrol -pgreet -Pdebian/greet\n"
        "\tdpkg-deb --root-owner-group -b debian/greet ..\n")
    rules.chmod(0o755)
    for d in (tmp_path, tmp_path / "work"):
        os.chmod(d, 0o777)
    subprocess.run(["chmod", "-R", "a+rwX", tmp_path / "work"], check=True)
    profile = write_profile(tmp_path, TRIXIE_ROOTFS, name="build", extra=(
        f"  upper: ephemeral\nuser: root\nbinds:\n  - {tmp_path / 'work'}:/build:direct\n"
        "workdir: /build/greet-1.0\n"))
    r = run_groot("run", profile, "--", "dpkg-buildpackage", "-us", "-uc", "-b", timeout=600)
    assert r.returncode == 0, r
    debs = list((tmp_path / "work").glob("greet_1.0_*.deb"))
    assert len(debs) == 1, (r, list((tmp_path / "work").iterdir()))
    listing = subprocess.run(["dpkg-deb", "-c", debs[0]], capture_output=True, text=True).stdout
    assert "./usr/bin/greet" in listing and "root/root" in listing
