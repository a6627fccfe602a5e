"""Where the agent's keys live, and that none is ever made again over the data it protects.

The OS keyring is the one system boundary that cannot exist here: the tests stand it in with
the in-memory backend of tests/accounts (same `keyring` API), or with keyring's own "fail"
backend for a computer that has none."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
import pytest

from agent import secret_store
from agent.secret_store import SecretsUnavailable
from tests.accounts.conftest import MemoryKeyring


@pytest.fixture(autouse=True)
def _keyring_restored() -> Iterator[None]:
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


@pytest.fixture
def os_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    monkeypatch.delenv("POSTSEAL_KEYRING")  # this test is about the keyring: do not force files
    store = MemoryKeyring()
    keyring.set_keyring(store)
    return store


class LockedKeyring(MemoryKeyring):
    """Secret Service with its collection locked: present, but every read is refused."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def manifest(home: Path) -> dict:
    return json.loads((home / secret_store.MANIFEST).read_text())


def test_the_manifest_names_the_backend_and_a_check_value_never_the_key(home, os_keyring):
    assert secret_store.open_store(home, "keyring") == secret_store.SecretsStatus("keyring")
    key = secret_store.get_or_create(home, "outbox-key")
    entry = manifest(home)["keys"]["outbox-key"]
    assert entry["backend"] == "keyring" and len(entry["check"]) == 64
    text = (home / secret_store.MANIFEST).read_text()
    assert key.hex() not in text and base64.b64encode(key).decode() not in text
    assert stat.S_IMODE((home / secret_store.MANIFEST).stat().st_mode) == 0o600
    assert not (home / "secrets").exists()  # nothing beside the data
    assert secret_store.get_or_create(home, "outbox-key") == key


def test_no_keyring_on_a_new_data_directory_refuses_instead_of_writing_files(home, monkeypatch):
    monkeypatch.delenv("POSTSEAL_KEYRING")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(SecretsUnavailable, match=r'no usable OS keyring.*set secrets.backend = "file"'):
        secret_store.open_store(home, "keyring")
    assert not (home / "secrets").exists()


def test_the_file_backend_is_reported_with_a_warning(home):
    status = secret_store.open_store(home, "file")
    secret_store.get_or_create(home, "outbox-key")
    assert status.backend == "file" and "beside the data" in status.warning
    assert stat.S_IMODE((home / "secrets" / "outbox-key").stat().st_mode) == 0o600


def test_a_keyring_that_is_locked_or_gone_refuses_and_names_the_key(home, os_keyring):
    secret_store.open_store(home, "keyring")
    for name in ("outbox-key", "audit-key", "stamp-key"):
        secret_store.get_or_create(home, name)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(SecretsUnavailable) as gone:
        secret_store.open_store(home, "keyring")
    text = str(gone.value)
    assert "the outbox key (and 2 other keys) is in the OS keyring, which cannot be reached now" in text
    assert "unlock" in text and "never creates a new key over existing data" in text and "\n" not in text
    with pytest.raises(SecretsUnavailable, match="cannot be reached now"):
        secret_store.get_or_create(home, "outbox-key")  # nor does any later use make a new one

    keyring.set_keyring(LockedKeyring())
    with pytest.raises(SecretsUnavailable, match="locked.*unlock or start the keyring"):
        secret_store.open_store(home, "keyring")

    keyring.set_keyring(os_keyring)  # unlocked again: the same keys
    secret_store.open_store(home, "keyring")


def test_a_key_removed_from_the_keyring_or_replaced_is_refused(home, os_keyring):
    secret_store.open_store(home, "keyring")
    key = secret_store.get_or_create(home, "outbox-key")
    [(entry, stored)] = list(os_keyring.entries.items())
    os_keyring.entries[entry] = base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(SecretsUnavailable, match="outbox key in the OS keyring entry .* is not the key this data"):
        secret_store.open_store(home, "keyring")
    del os_keyring.entries[entry]
    with pytest.raises(SecretsUnavailable, match="outbox key is no longer in the OS keyring"):
        secret_store.get_or_create(home, "outbox-key")
    os_keyring.entries[entry] = stored
    assert secret_store.get_or_create(home, "outbox-key") == key


def test_a_key_file_changed_or_deleted_is_refused(home):
    secret_store.open_store(home, "file")
    secret_store.get_or_create(home, "audit-key")
    path = home / "secrets" / "audit-key"
    path.write_bytes(base64.b64encode(b"\x02" * 32))
    with pytest.raises(SecretsUnavailable, match=r"audit log key in .*audit-key is not the key this data was written"):
        secret_store.open_store(home, "file")
    path.unlink()
    with pytest.raises(SecretsUnavailable, match=r"audit log key file .*audit-key is missing"):
        secret_store.open_store(home, "file")
    assert not path.exists()  # and none was made in its place


def test_keys_stay_in_files_when_a_keyring_appears(home, monkeypatch):
    monkeypatch.delenv("POSTSEAL_KEYRING")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secret_store.open_store(home, "file")
    key = secret_store.get_or_create(home, "outbox-key")
    store = MemoryKeyring()
    keyring.set_keyring(store)
    status = secret_store.open_store(home, "keyring")  # the default again, now that one exists
    assert status.backend == "file" and "an OS keyring is available now" in status.warning
    assert secret_store.get_or_create(home, "outbox-key") == key
    secret_store.get_or_create(home, "smtp-password", 18)  # a new key joins the others
    assert store.entries == {} and (home / "secrets" / "smtp-password").exists()


def test_a_data_directory_from_before_the_manifest_keeps_its_keys(home, os_keyring):
    # As the earlier version left it: one key in a file (no keyring then), one in the keyring.
    (home / "secrets").mkdir()
    (home / "secrets" / "outbox-key").write_bytes(base64.b64encode(b"\x03" * 32))
    account = "audit-key:" + hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]  # its entry name
    os_keyring.entries[("postseal", account)] = base64.b64encode(b"\x04" * 32).decode()
    status = secret_store.open_store(home, "keyring")
    assert {n: e["backend"] for n, e in manifest(home)["keys"].items()} == {
        "outbox-key": "file",
        "audit-key": "keyring",
    }
    assert status.backend == "file"  # one key is beside the data: that is said
    assert secret_store.get_or_create(home, "outbox-key") == b"\x03" * 32
    assert secret_store.get_or_create(home, "audit-key") == b"\x04" * 32


def test_the_manifest_carries_the_key_stores_version_and_one_from_before_versions_is_completed(home):
    secret_store.open_store(home, "file")
    key = secret_store.get_or_create(home, "outbox-key")
    assert manifest(home)["version"] == 2  # 1 is release 0.1.0's keys without a manifest
    # A manifest of a build between 0.1.0 and versions says 1: its entries stay, keys it
    # missed are adopted, and it is marked 2.
    (home / "secrets" / "audit-key").write_bytes(base64.b64encode(b"\x05" * 32))
    (home / secret_store.MANIFEST).write_text(json.dumps({**manifest(home), "version": 1}))
    secret_store.open_store(home, "file")
    assert manifest(home)["version"] == 2 and set(manifest(home)["keys"]) == {"outbox-key", "audit-key"}
    assert secret_store.get_or_create(home, "outbox-key") == key
    assert secret_store.get_or_create(home, "audit-key") == b"\x05" * 32


def test_no_key_is_made_for_data_that_already_depends_on_one(home):
    secret_store.open_store(home, "file")
    with pytest.raises(SecretsUnavailable, match="although outbox.sqlite3 holds 2 messages.*never creates a new key"):
        secret_store.get_or_create(home, "outbox-key", in_use=lambda: "outbox.sqlite3 holds 2 messages")
    assert not (home / "secrets" / "outbox-key").exists()


def test_posteal_keyring_file_does_not_override_a_managed_keyring(monkeypatch):
    monkeypatch.setenv("POSTSEAL_KEYRING", "file")
    assert secret_store.configured_backend("keyring") == "file"
    assert secret_store.configured_backend("keyring", frozenset({"secrets.backend"})) == "keyring"
