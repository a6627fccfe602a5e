"""The Outlook manifests follow the add-in origin this install serves (ingress.addin_port,
from config.toml or managed policy): every URL moves with the port, and what is written still
passes every check the shipped manifests pass (XML structure, the unified manifest's stored
JSON schema). The official XSDs are not available offline (outlook_manifest_checks.py)."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import pytest

from agent.ingress import outlook_manifest as om
from tests.addins.outlook_manifest_checks import JSON_MANIFEST, OUTLOOK, WEB, XML_MANIFEST, json_problems, xml_problems
from tests.conftest import run_cli

PORT = 9443
ORIGIN = f"https://localhost:{PORT}"
URL = re.compile(r"https://localhost:\d+/addin/[^\"'<> ]+")


def urls(text: str) -> list[str]:
    """Every add-in URL outside XML comments, in order."""
    return URL.findall(re.sub(r"<!--.*?-->", "", text, flags=re.S))


def test_changing_the_origin_changes_every_url_of_the_xml_manifest(tmp_path):
    before = urls(XML_MANIFEST.read_text())
    data = om.render_xml(ORIGIN)
    after = urls(data.decode())
    assert len(before) >= 11 and len(after) == len(before)
    assert after == [u.replace(om.TEMPLATE_ORIGIN, ORIGIN) for u in before]
    assert all(u.startswith(f"{ORIGIN}/addin/") for u in after)
    written = tmp_path / "manifest.xml"
    written.write_bytes(data)
    assert xml_problems(written, port=PORT) == []
    # The checks are not blind to the port: the same file fails for the default one.
    assert xml_problems(written) != []


def test_changing_the_origin_changes_every_url_of_the_unified_manifest(tmp_path):
    data = om.render_json(ORIGIN)
    before, after = urls(JSON_MANIFEST.read_text()), urls(data.decode())
    assert len(before) >= 10 and after == [u.replace(om.TEMPLATE_ORIGIN, ORIGIN) for u in before]
    # Beside the icons it names, as the admin center receives it; then schema and structure.
    shutil.copytree(WEB / "icons", tmp_path / "web" / "icons")
    written = tmp_path / "manifest.json"
    written.write_bytes(data)
    assert json_problems(written, port=PORT) == []
    assert json.loads(data)["id"] == json.loads(JSON_MANIFEST.read_text())["id"]


def test_the_upload_zip_holds_the_rendered_manifest_and_its_icons():
    with zipfile.ZipFile(io.BytesIO(om.render_zip(ORIGIN))) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "web/icons/color-192.png", "web/icons/outline-32.png"]
        assert zf.read("manifest.json") == om.render_json(ORIGIN)
        assert zf.read("web/icons/color-192.png") == (WEB / "icons" / "color-192.png").read_bytes()


def test_the_default_origin_gives_the_shipped_manifests_unchanged():
    assert om.render_xml(om.TEMPLATE_ORIGIN) == XML_MANIFEST.read_bytes()
    assert om.render_json(om.TEMPLATE_ORIGIN) == JSON_MANIFEST.read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost:9443",
        "https://example.org",
        "https://127.0.0.1:9443",
        "https://localhost:0",
        "https://localhost:70000",
        "https://localhost:9443/addin",
    ],
)
def test_only_a_localhost_https_origin_with_a_port_is_accepted(text):
    with pytest.raises(om.ManifestError):
        om.parse_origin(text)


@pytest.mark.parametrize("stray", ["https://help.example.org/postseal", "https://localhost:8444/addin/about.html"])
def test_a_url_in_the_templates_that_would_not_follow_the_origin_stops_the_render(tmp_path, stray):
    folder = tmp_path / "outlook"
    shutil.copytree(OUTLOOK, folder, ignore=shutil.ignore_patterns("tools"))
    xml = (folder / "manifest.xml").read_text()
    (folder / "manifest.xml").write_text(
        xml.replace(
            '<SupportUrl DefaultValue="https://localhost:8743/addin/about.html"/>',
            f'<SupportUrl DefaultValue="{stray}"/>',
        )
    )
    with pytest.raises(om.ManifestError, match=re.escape(stray)):
        om.render_xml(ORIGIN, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["developer"]["websiteUrl"] = stray
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(om.ManifestError, match=re.escape(stray)):
        om.render_json(ORIGIN, folder)


def test_the_command_writes_the_manifest_for_this_installs_port(home, tmp_path, monkeypatch):
    # No option: the port comes from config.toml ...
    (home / "config.toml").write_text("[ingress]\naddin_port = 9555\n")
    out = run_cli("outlook", "manifest", home=home)
    assert out.returncode == 0, out.stderr
    assert set(urls(out.stdout.decode())) and all(
        u.startswith("https://localhost:9555/addin/") for u in urls(out.stdout.decode())
    )
    # ... and managed policy wins over it.
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"ingress": {"addin_port": 9666}}))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    target = tmp_path / "postseal-outlook.zip"
    out = run_cli("outlook", "manifest", "--format", "zip", "--output", str(target), home=home)
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(target) as zf:
        assert {u.split("/addin/")[0] for u in urls(zf.read("manifest.json").decode())} == {"https://localhost:9666"}
    out = run_cli("outlook", "manifest", "--origin", "https://localhost:9777", home=home)
    assert {u.split("/addin/")[0] for u in urls(out.stdout.decode())} == {"https://localhost:9777"}


def test_the_command_says_what_is_wrong_in_one_line(home):
    (home / "config.toml").write_text("[ingress]\naddin_port = 0\n")
    for args, why in (
        (["outlook", "manifest"], "add-in origin is off"),
        (["outlook", "manifest", "--origin", "http://localhost:1"], "is not an add-in origin"),
        (["outlook", "manifest", "--port", "9443", "--format", "zip"], "give --output"),
    ):
        out = run_cli(*args, home=home)
        err = out.stderr.decode()
        assert out.returncode == 2 and why in err and err.count("\n") == 1 and "Traceback" not in err, err
