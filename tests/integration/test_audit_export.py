"""An audit export is evidence an auditor checks away from the agent: `postseal audit verify
--file EXPORT` in a folder with no Postseal data at all verifies an untouched export, and names
the record or the part of the head that was changed in a tampered one (agent/audit_evidence.py)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent.audit import AuditLog
from agent.audit_evidence import CONTEXT
from agent.stamp import key_id
from tests.conftest import run_cli


@pytest.fixture
def export(home, tmp_path) -> Path:
    """An export made by `postseal audit export` of a log of five records."""
    log = AuditLog(home)
    for i in range(5):
        log.append("delivered", message=f"m{i}", recipients=[f"r{i}@partner.example"], method="pgp")
    log.close()
    result = run_cli("audit", "export", "--format", "json", home=home)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "audit-export.json"
    path.write_bytes(result.stdout)
    return path


@pytest.fixture
def auditor(tmp_path) -> Path:
    """The auditor's computer: an empty folder as POSTSEAL_HOME, no agent, no keys."""
    folder = tmp_path / "auditor"
    folder.mkdir()
    return folder


def chain_hash(record: dict) -> str:
    """A record's hash as the format defines it (agent/audit.py): SHA-256 over its canonical JSON without `hash`."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def verify(path: Path, auditor: Path, *more: str):
    return run_cli("audit", "verify", "--file", str(path), *more, home=auditor)


def edit(path: Path, change) -> dict:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))
    return document


def test_an_export_verifies_on_a_computer_with_no_postseal_data(export, auditor):
    document = json.loads(export.read_text())
    assert document["head"]["records"] == 5 and len(document["records"]) == 5
    assert "BEGIN PUBLIC KEY" in document["public_key"]["pem"]  # the key travels with the export
    result = verify(export, auditor)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "audit export intact: 5 records" in out and document["public_key"]["key_id"] in out
    assert list(auditor.iterdir()) == []  # nothing created: no data directory, no key


def test_a_changed_record_fails_naming_it(export, auditor):
    edit(export, lambda d: d["records"][2].update(method="tls"))
    result = verify(export, auditor)
    assert result.returncode == 1
    assert "record 3 (entry 3 of the export) was changed" in result.stderr.decode()


def test_a_removed_record_fails_naming_where(export, auditor):
    edit(export, lambda d: d["records"].pop(1))
    result = verify(export, auditor)
    assert result.returncode == 1 and "entry 2 of the export has seq 3, expected 2" in result.stderr.decode()


def test_records_cut_from_the_end_fail_on_the_signed_head(export, auditor):
    edit(export, lambda d: d.update(records=d["records"][:3]))
    result = verify(export, auditor)
    assert result.returncode == 1 and "records were removed from the end" in result.stderr.decode()


def test_a_rebuilt_chain_fails_on_the_signed_head(export, auditor):
    def rebuild(document):  # the forger changes a record and re-hashes every record after it
        previous = document["records"][1]["hash"]
        for record in document["records"][2:]:
            record["method"], record["prev"] = "tls", previous
            record["hash"] = previous = chain_hash(record)

    edit(export, rebuild)
    result = verify(export, auditor)
    assert result.returncode == 1 and "record 5 does not match the signed head" in result.stderr.decode()


def test_a_changed_head_fails_its_signature(export, auditor):
    edit(export, lambda d: d["head"].update(exported="2020-01-01T00:00:00+00:00"))
    result = verify(export, auditor)
    assert result.returncode == 1 and "signature is not valid" in result.stderr.decode()


def test_an_export_re_signed_with_another_key_fails_when_the_key_is_pinned(export, auditor):
    genuine = json.loads(export.read_text())["public_key"]["key_id"]
    forger = Ed25519PrivateKey.generate()

    def resign(document):
        document["records"][0]["method"] = "tls"
        previous = "0" * 64
        for record in document["records"]:
            record["prev"] = previous
            record["hash"] = previous = chain_hash(record)
        ident = key_id(forger.public_key())
        document["head"].update(hash=previous, key_id=ident)
        canonical = json.dumps(document["head"], sort_keys=True, separators=(",", ":")).encode()
        document["signature"] = base64.urlsafe_b64encode(forger.sign(CONTEXT + canonical)).decode()
        document["public_key"] = {
            "algorithm": "Ed25519",
            "key_id": ident,
            "pem": forger.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        }

    edit(export, resign)
    unpinned = verify(export, auditor)
    assert unpinned.returncode == 0 and genuine not in unpinned.stdout.decode()  # the printed id gives it away
    pinned = verify(export, auditor, "--key-id", genuine)
    assert pinned.returncode == 1 and f"not by the key {genuine} you expected" in pinned.stderr.decode()
    assert verify(export, auditor, "--key-id", key_id(forger.public_key())).returncode == 0


def test_a_file_that_is_not_an_export_is_bad_input_in_one_line(home, auditor, tmp_path):
    AuditLog(home).close()
    csv_export = tmp_path / "audit.csv"
    csv_export.write_bytes(run_cli("audit", "export", "--format", "csv", home=home).stdout)
    result = verify(csv_export, auditor)
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()
    assert "not JSON" in line and str(csv_export) in line
    missing = verify(tmp_path / "nowhere.json", auditor, "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"]["message"].endswith("no such file")


def test_json_output_names_the_problem(export, auditor):
    edit(export, lambda d: d["records"][4].update(reply="250 forged"))
    result = verify(export, auditor, "--json")
    answer = json.loads(result.stdout)
    assert result.returncode == 1 and answer["ok"] is False and "record 5" in answer["problem"]


def test_a_log_that_does_not_verify_is_not_exported(home):
    log = AuditLog(home)
    log.append("delivered", message="m1", method="pgp")
    log.close()
    log.path.write_text(log.path.read_text().replace('"pgp"', '"tls"'))
    result = run_cli("audit", "export", "--format", "json", home=home)
    assert result.returncode == 1 and result.stdout == b""
    assert "audit log NOT intact: record 1 (line 1) was changed" in result.stderr.decode()
