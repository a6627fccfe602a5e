"""Headless Chromium loads the extension exactly as packed (the zip from inside the CRX, with
the manifest "key" the packer wrote) and gives it the ID the packer printed and wrote into the
update manifest. A key made for the test stands in for the release key."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from installers.browser import crx3, extension, pack

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e .[test] brings playwright")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BASE_URL = "https://deploy.valleyclinic.example/postseal/"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`")


def loaded_extension_ids(folder: Path, profile: Path) -> set[str]:
    """The IDs of the extensions whose service workers Chromium started."""
    with playwright_sync.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            ignore_default_args=["--disable-extensions"],
            args=[
                f"--disable-extensions-except={folder}",
                f"--load-extension={folder}",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        try:
            context.set_default_timeout(30_000)
            workers = context.service_workers or [context.wait_for_event("serviceworker")]
            return {w.url.split("/")[2] for w in workers if w.url.startswith("chrome-extension://")}
        finally:
            context.close()


def test_chromium_gives_the_packed_extension_the_documented_id(tmp_path):
    key_file = tmp_path / "TEST-ONLY-extension-key.pem"
    pack.keygen(key_file)
    done = extension.pack(pack.load_key(key_file), BASE_URL, tmp_path / "hosted", other_key=True)
    unpacked = tmp_path / "unpacked"
    package = crx3.read(done.crx.read_bytes(), str(done.crx))
    with zipfile.ZipFile(io.BytesIO(package.archive)) as zf:
        zf.extractall(unpacked)
    appid = (
        SafeET.fromstring(done.update_manifest.read_bytes())
        .find("{http://www.google.com/update2/response}app")
        .get("appid")
    )

    assert loaded_extension_ids(unpacked, tmp_path / "profile") == {done.extension_id}
    assert done.extension_id == appid == package.extension_id
    assert done.extension_id != extension.PRODUCTION_ID  # the test key is not the release key
