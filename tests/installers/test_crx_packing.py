"""The Gmail extension packed as CRX3 with a key made for the test (the release key is never in
the repository): the package is read back here with a parser of the test's own, its signature
verified with `cryptography`, its ID compared with the key's and the update manifest's; and
the writer is compared byte for byte with Chromium's own `--pack-extension`."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import plistlib
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from agent.ingress import native_manifest
from installers.browser import crx3, extension, force_install, pack

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "addins" / "gmail"
EXAMPLES = REPO / "installers" / "browser" / "examples"
BASE_URL = "https://deploy.valleyclinic.example/postseal/"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
GUPDATE = "{http://www.google.com/update2/response}"


@pytest.fixture(scope="module")
def test_key(tmp_path_factory) -> Path:
    """A TEST signing key, made for this run only."""
    path = tmp_path_factory.mktemp("test-key") / "TEST-ONLY-extension-key.pem"
    pack.keygen(path)
    return path


@pytest.fixture(scope="module")
def packed(test_key, tmp_path_factory) -> extension.Packed:
    return extension.pack(pack.load_key(test_key), BASE_URL, tmp_path_factory.mktemp("hosted"), other_key=True)


def key_id(test_key: Path) -> str:
    """The ID by Chrome's rule, computed here: SHA-256 of the DER public key, first 32 hex digits, 0-f → a-p."""
    key = serialization.load_pem_private_key(test_key.read_bytes(), None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:32].translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


# ---- a reader of the test's own (crx3.proto), so a shared mistake cannot pass unseen ----------


def varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        value |= (data[pos] & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if data[pos - 1] < 0x80:
            return value, pos


def fields(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        tag, pos = varint(data, pos)
        assert tag & 7 == 2, f"unexpected wire type in {tag}"
        length, pos = varint(data, pos)
        out.append((tag >> 3, data[pos : pos + length]))
        pos += length
    assert pos == len(data)
    return out


def parse(data: bytes) -> dict:
    assert data[:4] == b"Cr24"
    version, size = struct.unpack_from("<II", data, 4)
    header = data[12 : 12 + size]
    top = fields(header)
    assert [n for n, _ in top] == [2, 10000], "one RSA proof, then the signed header data"
    proof = dict(fields(top[0][1]))
    signed_header = top[1][1]
    [(number, crx_id)] = fields(signed_header)
    assert number == 1
    return {
        "version": version,
        "header size": size,
        "public key": proof[1],
        "signature": proof[2],
        "signed header": signed_header,
        "crx id": crx_id,
        "zip": data[12 + size :],
    }


# ---- the package ---------------------------------------------------------------------------


def test_the_package_parses_back_and_its_signature_verifies(packed):
    data = packed.crx.read_bytes()
    crx = parse(data)
    assert crx["version"] == 3 and 0 < crx["header size"] < 1 << 18
    public = serialization.load_der_public_key(crx["public key"])
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    signed = b"CRX3 SignedData\x00" + struct.pack("<I", len(crx["signed header"])) + crx["signed header"] + crx["zip"]
    public.verify(crx["signature"], signed, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    assert crx["crx id"] == hashlib.sha256(crx["public key"]).digest()[:16]
    # One byte changed anywhere in the zip and the signature no longer holds.
    with pytest.raises(InvalidSignature):
        public.verify(crx["signature"], signed[:-1] + bytes([signed[-1] ^ 1]), padding.PKCS1v15(), hashes.SHA256())


def test_the_id_is_the_keys_and_the_one_in_the_update_manifest(packed, test_key):
    crx = parse(packed.crx.read_bytes())
    expected = key_id(test_key)
    assert packed.extension_id == expected == crx3.extension_id(crx["public key"])
    root = SafeET.fromstring(packed.update_manifest.read_bytes())
    assert root.tag == f"{GUPDATE}gupdate" and root.get("protocol") == "2.0"
    [app] = root.findall(f"{GUPDATE}app")
    [check] = app.findall(f"{GUPDATE}updatecheck")
    assert app.get("appid") == expected
    assert check.get("codebase") == BASE_URL + "postseal-gmail-0.1.0.crx" == packed.codebase
    assert check.get("version") == json.loads((SOURCE / "manifest.json").read_text())["version"]


def test_the_zip_holds_the_manifest_and_the_extension_files_and_nothing_else(packed, test_key):
    with zipfile.ZipFile(io.BytesIO(parse(packed.crx.read_bytes())["zip"])) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert zf.read("src/content.js") == (SOURCE / "src" / "content.js").read_bytes()
    source_files = {p.relative_to(SOURCE).as_posix() for p in (SOURCE / "src").iterdir()}
    assert names == {"manifest.json"} | source_files
    assert not names & {"README.md", "package.json"}
    original = json.loads((SOURCE / "manifest.json").read_text())
    # The packed manifest is the source's, with the signing key's public half and the update URL.
    assert {k: v for k, v in manifest.items() if k not in ("key", "update_url")} == {
        k: v for k, v in original.items() if k != "key"
    }
    assert crx3.extension_id(base64.b64decode(manifest["key"])) == key_id(test_key)
    assert manifest["update_url"] == BASE_URL + "updates.xml" == packed.update_url


def test_packing_twice_gives_the_same_bytes(packed, test_key, tmp_path):
    again = extension.pack(pack.load_key(test_key), BASE_URL, tmp_path, other_key=True)
    assert again.crx.read_bytes() == packed.crx.read_bytes()
    assert again.update_manifest.read_bytes() == packed.update_manifest.read_bytes()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")
def test_the_writer_matches_chromiums_own_packer_byte_for_byte(test_key, tmp_path):
    folder = tmp_path / "ext"
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns("README.md", "package.json"))
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--pack-extension={folder}",
            f"--pack-extension-key={test_key}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    made = tmp_path / "ext.crx"
    assert made.is_file(), result.stderr[-2000:]
    chromium_crx = made.read_bytes()
    # Chromium's zip, signed by our writer with the same key: the same file, header and all
    # (RSA PKCS#1 v1.5 signatures are deterministic).
    package = crx3.read(chromium_crx, "chromium's package")
    assert crx3.pack(package.archive, pack.load_key(test_key)) == chromium_crx
    assert package.extension_id == key_id(test_key)


# ---- what the reader refuses ---------------------------------------------------------------


def test_a_damaged_or_foreign_package_is_refused_with_one_line(packed):
    good = packed.crx.read_bytes()
    header_end = 12 + struct.unpack_from("<I", good, 8)[0]
    cases = {
        "no Cr24 magic": b"PK\x03\x04" + good[4:],
        "only version 3": good[:4] + struct.pack("<I", 2) + good[8:],
        "larger than Chrome accepts": good[:8] + struct.pack("<I", (1 << 18) + 1) + good[12:],
        "does not verify": good[:-10] + bytes([good[-10] ^ 0xFF]) + good[-9:],
        "not a valid protobuf": good[:12] + b"\xff" * (header_end - 12) + good[header_end:],
    }
    for why, data in cases.items():
        with pytest.raises(crx3.CrxError) as caught:
            crx3.read(data, "bad.crx")
        assert why in str(caught.value) and str(caught.value).startswith("bad.crx: "), (why, caught.value)
        assert "\n" not in str(caught.value)


def test_a_package_whose_declared_id_has_no_proof_is_refused(test_key):
    # A valid signature by one key over a header that declares another key's ID: Chrome's
    # verifier answers CRX_REQUIRED_PROOF_MISSING; so must we.
    key = pack.load_key(test_key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = crx3.pack(b"PK\x05\x06" + b"\0" * 18, key)
    forged_id = crx3.crx_id(crx3.public_key_der(other))
    real_id = crx3.crx_id(crx3.public_key_der(key))
    forged = good.replace(real_id, forged_id)
    with pytest.raises(crx3.CrxError, match="does not verify|no proof"):
        crx3.read(forged)


def test_keys_chrome_cannot_use_are_refused(tmp_path):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ecdsa = ec.generate_private_key(ec.SECP256R1())
    for name, key in (("small", small), ("ec", ecdsa)):
        (tmp_path / name).write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    (tmp_path / "junk").write_text("not a key")
    with pytest.raises(crx3.CrxError, match="1024 bits"):
        pack.load_key(tmp_path / "small")
    with pytest.raises(crx3.CrxError, match="not an RSA key"):
        pack.load_key(tmp_path / "ec")
    with pytest.raises(crx3.CrxError, match="cannot be read as a PEM private key"):
        pack.load_key(tmp_path / "junk")


def test_an_encrypted_key_is_read_with_the_password_from_the_environment(tmp_path, monkeypatch):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "encrypted.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    monkeypatch.delenv(pack.PASSWORD_ENV, raising=False)
    with pytest.raises(crx3.CrxError, match=f"encrypted.*{pack.PASSWORD_ENV}"):
        pack.load_key(path)
    monkeypatch.setenv(pack.PASSWORD_ENV, "wrong")
    with pytest.raises(crx3.CrxError, match="cannot be read as a PEM private key"):
        pack.load_key(path)
    monkeypatch.setenv(pack.PASSWORD_ENV, "correct horse")
    assert crx3.public_key_der(pack.load_key(path)) == crx3.public_key_der(key)


# ---- the packer's rules --------------------------------------------------------------------


def test_another_key_than_the_pinned_one_is_refused_unless_asked_for(test_key, tmp_path):
    with pytest.raises(extension.PackError, match="pins npopaobmgdpnkgmgoeplckklppifdhok") as caught:
        extension.pack(pack.load_key(test_key), BASE_URL, tmp_path)
    assert key_id(test_key) in str(caught.value) and "--extension-id" in str(caught.value)
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize(
    "url",
    [
        "http://deploy.valleyclinic.example/postseal/",
        "deploy.valleyclinic.example",
        "https:///nohost/",
        "https://deploy.valleyclinic.example/?a=1",
    ],
)
def test_the_hosting_url_must_be_an_https_folder(test_key, tmp_path, url):
    with pytest.raises(extension.PackError, match="https:// URL|folder URL"):
        extension.pack(pack.load_key(test_key), url, tmp_path, other_key=True)


def test_a_file_the_manifest_names_must_be_in_the_package(test_key, tmp_path):
    folder = tmp_path / "ext"
    shutil.copytree(SOURCE, folder)
    (folder / "src" / "draft.js").unlink()
    with pytest.raises(extension.PackError, match="src/draft.js, not found"):
        extension.pack(pack.load_key(test_key), BASE_URL, tmp_path / "out", folder, other_key=True)


def test_the_command_line_packs_and_says_what_went_wrong_in_one_line(test_key, tmp_path, capsys):
    assert (
        pack.main(["pack", "--key", str(test_key), "--base-url", BASE_URL, "--out", str(tmp_path), "--other-key"]) == 0
    )
    out = capsys.readouterr().out
    assert f"force-install entry: {key_id(test_key)};{BASE_URL}updates.xml" in out
    assert pack.main(["id", "--crx", str(tmp_path / "postseal-gmail-0.1.0.crx")]) == 0
    assert capsys.readouterr().out.strip() == key_id(test_key)
    # IT re-hosting a package signed elsewhere: the update manifest from the package itself.
    assert (
        pack.main(
            [
                "update-manifest",
                str(tmp_path / "postseal-gmail-0.1.0.crx"),
                "--codebase",
                "https://files.valleyclinic.example/p.crx",
            ]
        )
        == 0
    )
    root = SafeET.fromstring(capsys.readouterr().out)
    assert root.find(f"{GUPDATE}app").get("appid") == key_id(test_key)
    for argv, why in (
        (
            ["pack", "--key", str(tmp_path / "missing.pem"), "--base-url", BASE_URL, "--out", str(tmp_path)],
            "cannot be read",
        ),
        (["keygen", str(test_key)], "never overwritten"),
        (["policies", "--id", "xyz", "--update-url", BASE_URL, "--out", str(tmp_path)], "not a Chrome extension ID"),
    ):
        assert pack.main(argv) == 2
        err = capsys.readouterr().err
        assert why in err and err.count("\n") == 1 and "Traceback" not in err


# ---- the production ID and the files IT pushes ------------------------------------------------


def test_the_production_id_follows_from_the_manifests_key_and_is_the_one_everywhere():
    manifest = json.loads((SOURCE / "manifest.json").read_text())
    production = crx3.extension_id(base64.b64decode(manifest["key"]))
    assert production == extension.PRODUCTION_ID == native_manifest.EXTENSION_ID
    host = native_manifest.host_manifest(Path("/opt/postseal/postseal-native-host"))
    assert host["allowed_origins"] == [f"chrome-extension://{production}/"]
    for doc in (REPO / "docs" / "deploy.md", SOURCE / "README.md"):
        assert production in doc.read_text(encoding="utf-8"), doc


def test_the_force_install_examples_are_current_and_well_formed(tmp_path):
    fresh = force_install.write_examples(extension.PRODUCTION_ID, force_install.EXAMPLE_URL, tmp_path)
    for path in fresh:
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes(), (
            f"{path.name} is stale: python -m installers.browser.pack policies --update-url {force_install.EXAMPLE_URL} --out installers/browser/examples"
        )
    value = f"{extension.PRODUCTION_ID};{force_install.EXAMPLE_URL}"
    reg = (EXAMPLES / "postseal-extension.reg").read_bytes().decode("ascii")
    assert reg.startswith("Windows Registry Editor Version 5.00\r\n") and "\n" not in reg.replace("\r\n", "")
    for key in (
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Google\Chrome\ExtensionInstallForcelist]",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Edge\ExtensionInstallForcelist]",
    ):
        assert f'{key}\r\n"1"="{value}"\r\n' in reg
    profile = plistlib.loads((EXAMPLES / "postseal-extension.mobileconfig").read_bytes())
    assert profile["PayloadType"] == "Configuration" and profile["PayloadScope"] == "System"
    payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
    assert set(payloads) == {"com.google.Chrome", "com.microsoft.Edge"}
    uuids = [profile["PayloadUUID"], *(p["PayloadUUID"] for p in payloads.values())]
    assert len(set(uuids)) == 3
    for payload in payloads.values():
        assert payload["ExtensionInstallForcelist"] == [value]
    assert json.loads((EXAMPLES / "postseal.json").read_text()) == {"ExtensionInstallForcelist": [value]}
