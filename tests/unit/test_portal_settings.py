"""portal.toml: a full example loads into the settings serve uses; every wrong key or value
is one SettingsError naming the file and the key; secrets are refused; the CLI turns that
into one line and exit 2."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.portal.settings import FilesBlobs, S3Blobs, SettingsError, load

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portal.toml"
    path.write_text(text)
    return path


def test_the_shipped_example_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTSEAL_PORTAL_DATABASE", raising=False)
    settings = load(ROOT / "installers" / "portal" / "portal.toml")
    assert settings.public_url == "https://portal.clinic.example" and settings.secure
    assert settings.allowed_hosts == ("portal.clinic.example",)
    assert ipaddress.ip_address("127.0.0.1") in settings.trusted_proxies[0]
    assert isinstance(settings.blobs, S3Blobs) and settings.blobs.bucket
    assert settings.database and "password" not in settings.database
    assert settings.log_format == "json"
    assert settings.branding.name == "Valley Clinic" and "+1 555 0100" in settings.branding.contact_line()
    assert settings.metrics_allow == ("127.0.0.1", "::1")


def test_a_logo_is_found_beside_portal_toml(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    settings = load(write(tmp_path, '[branding]\nname = "Valley Clinic"\nlogo = "logo.svg"\n'))
    assert settings.branding.logo.content_type == "image/svg+xml"
    assert load(write(tmp_path, "")).branding.name == ""  # no [branding]: the neutral page


def test_defaults_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSEAL_PORTAL_DATABASE", "postgresql://postseal@db.internal/portal")
    settings = load(
        write(
            tmp_path,
            'public_url = "https://Portal.Clinic.example:8443/"\n'
            '[blobs]\ntype = "files"\npath = "blobs"\n'
            "[sweep]\ngrace_hours = 1\ninterval_minutes = 2\n",
        )
    )
    assert settings.public_url == "https://portal.clinic.example:8443"
    assert settings.allowed_hosts == ("portal.clinic.example",)
    assert settings.database == "postgresql://postseal@db.internal/portal"  # from the environment
    assert settings.blobs == FilesBlobs(tmp_path / "blobs")
    assert (settings.sweep_grace_seconds, settings.sweep_interval_seconds) == (3600, 120)
    assert (settings.host, settings.port, settings.log_format, settings.trusted_proxies) == (
        "127.0.0.1",
        8025,
        "text",
        (),
    )


@pytest.mark.parametrize(
    ("text", "key", "what"),
    [
        ("publik_url = 'https://x.example'", "publik_url", "unknown key"),
        ("[listen]\nprot = 1", "listen.prot", "unknown key"),
        ("[listen]\nport = 'eighty'", "listen.port", "expected a whole number"),
        ("[listen]\nport = 70000", "listen.port", "between 0 and 65535"),
        ("public_url = 'ftp://x.example'", "public_url", "https://"),
        ("public_url = 'https://x.example/portal?a=1'", "public_url", "scheme://host[:port] only"),
        ("trusted_proxies = ['10.0.0.300']", "trusted_proxies", "not an IP address or network"),
        ("allowed_hosts = []", "allowed_hosts", "non-empty list"),
        ("database = 'postgresql://u:hunter2@db/portal'", "database", "PGPASSWORD"),
        ("[blobs]\ntype = 'ftp'", "blobs.type", '"files" or "s3"'),
        ("[blobs]\ntype = 's3'", "blobs.bucket", "required"),
        ("[blobs]\ntype = 's3'\nbucket = 'b'\naws_secret_access_key = 'x'", "blobs.aws_secret_access_key", "secrets"),
        ("[blobs]\ntype = 'files'\npath = 'p'\nbucket = 'b'", "blobs.bucket", "unknown key"),
        ("[log]\nformat = 'xml'", "log.format", '"json" or "text"'),
        ("[sweep]\ngrace_hours = -1", "sweep.grace_hours", "between"),
        ("[mail]\nstarttls = 'maybe'", "mail.starttls", "expected"),
        ("[mail]\npassword = 'x'", "mail.password", "secrets"),
        ("log = 3", "log", "expected a table"),
        ("[branding]\nprimary_color = 'blue'", "branding.primary_color", "#RRGGBB"),
        ("[branding]\nlogo = 'missing.svg'", "branding.logo", "cannot be read"),
        ("[branding]\nslogan = 'We care'", "branding.slogan", "unknown key"),
        ("metrics_allow = ['intranet']", "metrics_allow", "not an IP address or network"),
        ("metrics_allow = [10]", "metrics_allow", "as strings"),
    ],
)
def test_bad_settings_name_file_and_key(tmp_path: Path, text: str, key: str, what: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(write(tmp_path, text + "\n"))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'portal.toml'}: {key}: ") and what in message, message
    assert "\n" not in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such file"):
        load(tmp_path / "missing.toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load(write(tmp_path, "public_url = \n"))


def test_cli_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[listen]\nport = 'x'\n")
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "portal", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "POSTSEAL_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}: listen.port: expected a whole number" in lines[0], done.stderr
