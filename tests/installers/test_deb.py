"""The Linux package (installers/linux/build-deb.sh), built with the real dpkg-deb over a
small stand-in bundle — a `postseal` that runs this checkout's CLI — so it needs no PyInstaller
and takes seconds; then the same build over the real bundle when `make bundle` made one.
Past 400 lines: the checks of one package, from one build."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agent import config as config_mod
from agent.ingress import local_tls, native_manifest
from tests.installers.native_frames import hello

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "installers" / "linux" / "build-deb.sh"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
ARCH = (
    subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    if shutil.which("dpkg")
    else ""
)
HOST = "/opt/postseal/postseal"
MANIFESTS = (
    "etc/opt/chrome/native-messaging-hosts",
    "etc/chromium/native-messaging-hosts",
    "etc/opt/edge/native-messaging-hosts",
)
CONFFILES = sorted(
    [
        "/etc/xdg/autostart/postseal-tray.desktop",
        "/etc/postseal/policy.json.example",
        *[f"/{folder}/org.postseal.agent.json" for folder in MANIFESTS],
    ]
)

pytestmark = pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb is part of dpkg (Debian, Ubuntu)")


def standin_bundle(folder: Path) -> Path:
    """What build-deb.sh needs of a bundle: an executable `postseal` (here this checkout's CLI
    on this test's Python) beside an `_internal/` folder."""
    bundle = folder / "postseal"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "stand-in.txt").write_text("the real bundle keeps Python and the libraries here\n")
    program = bundle / "postseal"
    program.write_text(f"#!/bin/sh\nPYTHONPATH='{REPO}' exec '{sys.executable}' -m agent.cli \"$@\"\n")
    program.chmod(0o755)
    return bundle


def build(bundle: Path, out: Path, *options: str) -> Path:
    result = subprocess.run(
        [str(BUILD), str(bundle), str(out), *options], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    deb = out / f"postseal_{VERSION}_{ARCH}.deb"
    assert result.stdout.startswith(f"deb: {deb} (")
    return deb


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("deb")
    return build(standin_bundle(folder / "bundle"), folder / "out")


@pytest.fixture(scope="module")
def root(deb, tmp_path_factory) -> Path:
    """The payload unpacked as dpkg would lay it on /."""
    target = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def control(deb, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("control")
    subprocess.run(["dpkg-deb", "-e", str(deb), str(target)], check=True)
    return target


def listing(deb: Path) -> dict[str, str]:
    """path -> the `dpkg-deb -c` line (mode, owner, size, target of a link)."""
    lines = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    out = {}
    for line in lines.splitlines():
        name = line.split(" ./", 1)[1].split(" -> ")[0].rstrip("/")
        out["/" + name] = line
    return out


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


# --- what is in it ---------------------------------------------------------------------------
def test_the_package_holds_the_bundle_units_autostart_and_manifests(deb):
    files = listing(deb)
    for path in (
        "/opt/postseal/postseal",
        "/opt/postseal/_internal/stand-in.txt",
        "/usr/lib/postseal/trust-local-ca",
        "/usr/lib/systemd/user/postseal-agent.service",
        "/usr/share/applications/postseal.desktop",
        "/usr/share/icons/hicolor/scalable/apps/postseal.svg",
        "/usr/share/doc/postseal/deploy.md",
        *CONFFILES,
    ):
        assert path in files, path
    assert files["/usr/bin/postseal"].endswith("-> ../../opt/postseal/postseal")
    assert files["/usr/lib/systemd/user/default.target.wants/postseal-agent.service"].endswith(
        "-> ../postseal-agent.service"
    )  # enabled for every user by the package itself
    assert files["/opt/postseal/postseal"].startswith("-rwxr-xr-x root/root")
    assert files["/usr/lib/postseal/trust-local-ca"].startswith("-rwxr-xr-x root/root")
    assert files["/etc/xdg/autostart/postseal-tray.desktop"].startswith("-rw-r--r-- root/root")
    assert all(" root/root " in line for line in files.values())
    assert "/etc/postseal/policy.json" not in files  # an example, never an active policy


def test_control_names_the_version_architecture_and_gnupg(deb, control):
    assert field(deb, "Package") == "postseal"
    assert field(deb, "Version") == VERSION
    assert field(deb, "Architecture") == ARCH
    depends = [d.strip() for d in field(deb, "Depends").split(",")]
    assert "gnupg (>= 2.2)" in depends
    assert field(deb, "Recommends") == "libnss3-tools, tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-spa"
    assert sorted((control / "conffiles").read_text().split()) == CONFFILES
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(control / script, os.X_OK)


def test_the_native_host_manifests_are_the_agents_own_rendering(root):
    expected = native_manifest.host_manifest(Path(HOST))
    for folder in MANIFESTS:
        assert json.loads((root / folder / "org.postseal.agent.json").read_text()) == expected
    assert expected["path"] == HOST


def test_the_example_policy_is_one_the_agent_accepts(root, monkeypatch, tmp_path):
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(root / "etc/postseal/policy.json.example"))
    config = config_mod.load(tmp_path)
    assert config.organization.internal_domains == ["clinic.example"]
    assert {"relay.starttls", "portal.url", "policy.allow_release"} <= config.locked


# --- the payload runs from where it was unpacked ------------------------------------------------
def clean_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "user").mkdir(exist_ok=True)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "user"),
        "LANG": "C.UTF-8",
        "POSTSEAL_HOME": str(tmp_path / "user" / "data"),
        "POSTSEAL_KEYRING": "file",
        "POSTSEAL_MANAGED_POLICY": str(tmp_path / "none.json"),
    }


def test_postseal_on_path_runs_the_bundle_from_the_unpacked_root(root, tmp_path):
    result = subprocess.run(
        [str(root / "usr/bin/postseal"), "--version"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"postseal {VERSION}\n")


def test_what_the_manifests_name_answers_as_a_native_host(root, tmp_path):
    manifest = json.loads((root / MANIFESTS[0] / "org.postseal.agent.json").read_text())
    program = root / manifest["path"].lstrip("/")
    origin = manifest["allowed_origins"][0]
    assert hello([str(program), origin], clean_env(tmp_path), cwd=str(tmp_path))["agent"] == "not running"


def test_the_desktop_entries_start_the_packaged_tray(root):
    for entry, args in (
        ("etc/xdg/autostart/postseal-tray.desktop", ["tray", "--no-start-agent"]),
        ("usr/share/applications/postseal.desktop", ["tray", "--show"]),
    ):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        parser.read(root / entry)
        desktop = parser["Desktop Entry"]
        assert desktop["Type"] == "Application" and desktop["TryExec"] == HOST
        assert desktop["Exec"].split() == [HOST, *args]
        assert os.access(root / HOST.lstrip("/"), os.X_OK)
        assert (root / f"usr/share/icons/hicolor/scalable/apps/{desktop['Icon']}.svg").exists()
        if shutil.which("desktop-file-validate"):
            checked = subprocess.run(["desktop-file-validate", str(root / entry)], capture_output=True, text=True)
            assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze (package systemd) is not installed")
def test_the_user_unit_verifies_against_what_the_package_installs(root, tmp_path):
    # verify checks that ExecStart= programs exist: point the unit's absolute paths into the
    # unpacked root, so it checks the payload rather than this machine's /opt.
    text = (root / "usr/lib/systemd/user/postseal-agent.service").read_text()
    unit = tmp_path / "postseal-agent.service"
    unit.write_text(text.replace("=/opt/", f"={root}/opt/").replace("=-/usr/lib/", f"=-{root}/usr/lib/"))
    assert f"ExecStart={root}/opt/postseal/postseal agent" in unit.read_text()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "SYSTEMD_LOG_TARGET": "console"}

    def verify(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["systemd-analyze", "verify", "--user", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    result = verify(unit)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
    broken = tmp_path / "broken" / "postseal-agent.service"
    broken.parent.mkdir()
    broken.write_text(unit.read_text().replace("RestartSec=10", "RestartSec=ten"))
    assert "RestartSec" not in verify(unit).stderr and "ten" in verify(broken).stderr  # it does speak up


# --- maintainer scripts ------------------------------------------------------------------------
@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed (make test installs it)")
def test_the_scripts_are_shellcheck_clean(control, root):
    scripts = [
        control / "postinst",
        control / "prerm",
        control / "postrm",
        root / "usr/lib/postseal/trust-local-ca",
        BUILD,
    ]
    result = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def sessions_env(tmp_path) -> tuple[dict[str, str], Path]:
    """A loginctl with two users, alice with a running user manager and bob without, and a
    systemctl that records what it is asked, first on PATH. There is no systemd in the test
    machine to ask (and a developer's own sessions must not be): this checks what the scripts
    decide; the unit itself is checked by systemd-analyze."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    (bin_dir / "loginctl").write_text("#!/bin/sh\nprintf '1000 alice no\\n1001 bob no\\n'\n")
    (bin_dir / "systemctl").write_text(
        f"#!/bin/sh\necho \"$*\" >> '{log}'\n"
        'case "$*" in\n'
        "  'is-active --quiet user@1000.service') exit 0 ;;\n"
        "  'is-active --quiet '*) exit 3 ;;\n"
        "  *'try-restart'*) exit 1 ;;\n"  # a session that ends meanwhile must not fail the upgrade
        "esac\nexit 0\n"
    )
    for name in ("loginctl", "systemctl"):
        (bin_dir / name).chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT": str(tmp_path / "target")}, log


@pytest.fixture
def sessions(sessions_env):
    env, log = sessions_env

    def run(script: Path, *args: str) -> list[str]:
        log.unlink(missing_ok=True)
        result = subprocess.run(["sh", str(script), *args], env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return [
            line for line in (log.read_text().splitlines() if log.exists() else []) if not line.startswith("is-active")
        ]

    return run


def test_a_first_install_starts_the_agent_in_running_sessions(control, sessions):
    assert sessions(control / "postinst", "configure", "") == [
        "--user --machine=alice@ daemon-reload",
        "--user --machine=alice@ start postseal-agent.service",
    ]


def test_an_upgrade_restarts_running_agents_and_keeps_stopped_ones_stopped(control, sessions):
    assert sessions(control / "prerm", "upgrade", VERSION) == []
    assert sessions(control / "postinst", "configure", "0.0.9") == [
        "--user --machine=alice@ daemon-reload",
        "--user --machine=alice@ try-restart postseal-agent.service",
    ]


def test_remove_stops_the_agents_and_purge_keeps_what_it_did_not_ship(control, sessions, tmp_path):
    assert sessions(control / "prerm", "remove") == ["--user --machine=alice@ stop postseal-agent.service"]
    assert sessions(control / "postrm", "remove") == ["--user --machine=alice@ daemon-reload"]
    etc = tmp_path / "target" / "etc" / "postseal"
    etc.mkdir(parents=True)
    (etc / "policy.json").write_text("{}")
    sessions(control / "postrm", "purge")
    assert (etc / "policy.json").exists()  # IT's policy
    (etc / "policy.json").unlink()
    sessions(control / "postrm", "purge")
    assert not etc.exists()


def test_an_unknown_action_is_refused(control):
    for script in ("postinst", "prerm", "postrm"):
        result = subprocess.run(["sh", str(control / script), "bogus"], capture_output=True, text=True, check=False)
        assert result.returncode == 1 and "unknown argument 'bogus'" in result.stderr


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("dpkg"), reason="dpkg --root needs root (CI and make test run as root)"
)
def test_dpkg_installs_upgrades_removes_and_purges_it_without_losing_what_is_not_its_own(deb, sessions_env, tmp_path):
    # The real dpkg on a scratch root: it unpacks, keeps conffiles and runs the maintainer
    # scripts (outside a chroot, with DPKG_ROOT set) as on a real machine.
    target = tmp_path / "machine"
    for folder in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        (target / folder).mkdir(parents=True)
    (target / "var/lib/dpkg/status").write_text("")
    env, log = sessions_env
    env = {key: value for key, value in env.items() if key != "DPKG_ROOT"}  # dpkg sets it from --root

    def dpkg(*args: str) -> list[str]:
        log.unlink(missing_ok=True)
        result = subprocess.run(
            ["dpkg", f"--root={target}", "--force-script-chrootless", "--force-depends", "--force-confold", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return [line for line in (log.read_text().splitlines() if log.exists() else []) if "--user" in line]

    assert dpkg("-i", str(deb)) == [
        "--user --machine=alice@ daemon-reload",
        "--user --machine=alice@ start postseal-agent.service",
    ]
    assert os.access(target / "usr/bin/postseal", os.X_OK)
    autostart = target / "etc/xdg/autostart/postseal-tray.desktop"
    autostart.write_text(autostart.read_text() + "Hidden=true\n")  # IT switched the tray off
    (target / "etc/postseal/policy.json").write_text('{"policy": {"allow_release": false}}\n')
    outbox = target / "home/alice/.local/share/postseal/outbox/queued.msg"
    outbox.parent.mkdir(parents=True)
    outbox.write_bytes(b"a message not yet delivered")

    assert dpkg("-i", str(deb))[-1] == "--user --machine=alice@ try-restart postseal-agent.service"  # upgrade
    assert autostart.read_text().endswith("Hidden=true\n")

    assert dpkg("-r", "postseal") == [
        "--user --machine=alice@ stop postseal-agent.service",
        "--user --machine=alice@ daemon-reload",
    ]
    assert not (target / "opt/postseal").exists() and not (target / "usr/bin/postseal").exists()
    assert not (target / "usr/lib/systemd/user/postseal-agent.service").exists()
    assert autostart.exists()  # conffiles stay until purge

    dpkg("-P", "postseal")
    assert not autostart.exists()
    assert not (target / "etc/opt/chrome/native-messaging-hosts/org.postseal.agent.json").exists()
    assert not (target / "etc/postseal/policy.json.example").exists()
    assert (target / "etc/postseal/policy.json").exists()  # IT's
    assert outbox.read_bytes() == b"a message not yet delivered"  # the user's


# --- the add-in CA ------------------------------------------------------------------------------
CERTUTIL = shutil.which("certutil")


def held(database: Path) -> str:
    out = subprocess.run(
        [CERTUTIL, "-L", "-d", f"sql:{database}", "-n", "Postseal local CA", "-a"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "".join(out.split())


@pytest.mark.skipif(not CERTUTIL, reason="certutil (libnss3-tools) is installed by make test")
def test_each_users_ca_is_trusted_in_their_browser_and_firefox_profiles(root, tmp_path):
    env = clean_env(tmp_path)
    data, home = Path(env["POSTSEAL_HOME"]), Path(env["HOME"])
    data.mkdir()
    profile = home / ".mozilla" / "firefox" / "abcd.default-release"
    profile.mkdir(parents=True)
    subprocess.run([CERTUTIL, "-N", "-d", f"sql:{profile}", "--empty-password"], check=True)
    script = root / "usr/lib/postseal/trust-local-ca"

    tls = local_tls.ensure(data, "Valley Family Clinic")
    first = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    pem = "".join(tls.ca_file.read_text().split())
    assert held(home / ".pki" / "nssdb") == pem and held(profile) == pem
    trust = subprocess.run(
        [CERTUTIL, "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"], capture_output=True, text=True, check=True
    ).stdout
    assert any(line.startswith("Postseal local CA") and line.split()[-1] == "C,," for line in trust.splitlines())

    again = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (again.returncode, again.stderr) == (0, "")  # already trusted: nothing done

    shutil.rmtree(data / "tls")  # a new CA (a new data directory) replaces the old one
    renewed = local_tls.ensure(data, "Valley Family Clinic")
    subprocess.run([str(script)], env=env, capture_output=True, timeout=60, check=True)
    assert held(home / ".pki" / "nssdb") == "".join(renewed.ca_file.read_text().split()) != pem


def test_without_a_ca_or_without_certutil_the_helper_says_so_and_lets_the_agent_run(root, tmp_path):
    env = {**clean_env(tmp_path), "POSTSEAL_TRUST_WAIT": "0"}
    script = str(root / "usr/lib/postseal/trust-local-ca")
    none = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert none.returncode == 0 and "no CA at" in none.stderr
    data = Path(env["POSTSEAL_HOME"])
    data.mkdir()
    local_tls.ensure(data)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("sed", "tr", "dirname", "sleep", "mkdir", "chmod"):
        (tools / tool).symlink_to(shutil.which(tool))
    lacking = subprocess.run(
        ["/bin/sh", script], env={**env, "PATH": str(tools)}, capture_output=True, text=True, timeout=60, check=False
    )
    assert lacking.returncode == 0 and "certutil not found: install libnss3-tools" in lacking.stderr


# --- the real bundle ------------------------------------------------------------------------------
BUNDLE = REPO / "dist" / "postseal"


@pytest.mark.skipif(not (BUNDLE / "postseal").exists(), reason="no bundle in dist/postseal: run make bundle")
def test_the_same_build_packages_the_real_bundle(tmp_path):
    from tests.installers.test_bundle import stale_source

    if changed := stale_source():
        pytest.skip(f"dist/postseal is older than {changed}: run make bundle")
    deb = build(BUNDLE, tmp_path / "out", "--compression", "none")  # 190 MB: xz would take a minute
    target = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    env = clean_env(tmp_path)
    program = str(target / "usr/bin/postseal")
    version = subprocess.run([program, "--version"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert version.stdout == f"postseal {VERSION}\n", version.stderr
    demo = subprocess.run([program, "demo"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    manifest = json.loads((target / MANIFESTS[0] / "org.postseal.agent.json").read_text())
    assert manifest == native_manifest.host_manifest(Path(HOST))
