"""`postseal policy check` and `policy test` as an admin runs them."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest

from tests.conftest import run_cli
from tests.unit.test_extract import HL7, SSN, pdf_with, xlsx_with


def eml(tmp_path, name: str, body: str, *attachments: tuple[bytes, str, str]) -> str:
    m = EmailMessage()
    m["From"] = "Dr. Emily Chen <dr.chen@valleyclinic.example>"
    m["To"] = "referrals@lakesidecardiology.example"
    m["Subject"] = "Paperwork"
    m["Message-ID"] = f"<{name}@valleyclinic.example>"
    m.set_content(body)
    for data, kind, filename in attachments:
        maintype, subtype = kind.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    path = tmp_path / f"{name}.eml"
    path.write_bytes(m.as_bytes())
    return str(path)


@pytest.mark.parametrize(
    "name, body, attachment, where",
    [
        (
            "pdf",
            "Form attached.",
            (pdf_with(f"Social Security number {SSN}"), "application/pdf", "form.pdf"),
            "attachment:form.pdf",
        ),
        (
            "xlsx",
            "Claims attached.",
            (xlsx_with([["patient", "ssn"], ["R. Alvarez", SSN]]), "application/octet-stream", "claims.xlsx"),
            "attachment:claims.xlsx",
        ),
        ("zero-width", "SSN 5\u200b1\u200b2-44-87\u200b21 for the form.", None, "body"),
    ],
)
def test_policy_check_finds_ssns_hidden_in_attachments_and_obfuscation(home, tmp_path, name, body, attachment, where):
    path = eml(tmp_path, name, body, *([attachment] if attachment else []))
    result = run_cli("policy", "check", path, "--json", home=home)
    assert result.returncode == 3, result.stderr  # held: an SSN going outside
    plan = json.loads(result.stdout)
    findings = plan["verdict"]["findings"]
    assert any(f["type"] == "us_ssn" and f["location"] == where for f in findings)
    assert plan["verdict"]["rule"] == "ssn-leaves-organization"
    assert SSN.encode() not in result.stdout and b"8721" not in result.stdout  # never the value


def test_policy_check_names_hl7_patient_data_and_keeps_it_off_tls_only(home, tmp_path):
    (home / "config.toml").write_text(
        '[tls]\nrequired_domains = ["lakesidecardiology.example"]\n'
        '[portal]\nurl = "https://portal.valleyclinic.example"\n'
    )
    path = eml(tmp_path, "hl7", "Result attached.", (HL7, "application/octet-stream", "result.hl7"))
    result = run_cli("policy", "check", path, home=home)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "finding hl7_patient_data in attachment:result.hl7" in text
    assert "rule patient-records-end-to-end applied: never_tls_only" in text
    assert "portal" in text and "policy rule forbids TLS-only" in text


def test_policy_check_shows_a_managed_rules_file_as_locked(home, tmp_path):
    rules = tmp_path / "org-rules.toml"
    rules.write_text(
        '[[rule]]\nname = "no-ndc-out"\ndetectors = ["ndc"]\nrecipients = "external"\n'
        'action = "block"\nmessage = "Send prescriptions through the e-prescribing system."\n'
    )
    managed = tmp_path / "no-managed-policy.json"  # the path the test environment points at
    managed.write_text(json.dumps({"policy": {"rules_file": str(rules)}}))
    path = eml(tmp_path, "ndc", "Refill: NDC 0002-7510-01, 30 tablets.")
    result = run_cli("policy", "check", path, home=home)
    assert result.returncode == 3
    text = result.stdout.decode()
    assert f"rules: {rules} (managed by your organization)" in text
    assert "verdict: block (rule no-ndc-out): Send prescriptions through the e-prescribing system." in text


def test_policy_test_prints_precision_and_recall_per_detector(home, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    eml(corpus, "one", f"Patient SSN {SSN}, DOB: 03/14/1961, call (617) 555-0142.")
    eml(corpus, "two", "Order 512448721 shipped to 02139; invoice date 11/02/2026.")
    (corpus / "labels.json").write_text(
        json.dumps({"one.eml": {"us_ssn": [SSN], "dob": ["03/14/1961"], "phone": ["(617) 555-0142"]}, "two.eml": {}})
    )
    result = run_cli("policy", "test", "default", str(corpus), "--json", home=home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["messages"] == 2
    for kind in ("us_ssn", "dob", "phone"):
        assert report["detectors"][kind]["precision"] == 1.0 and report["detectors"][kind]["recall"] == 1.0
    assert report["decisions"] == {"hold": 1, "send": 1}
    bad = run_cli("policy", "test", "default", str(tmp_path / "nowhere"), home=home)
    assert bad.returncode == 2 and b"no labels.json" in bad.stderr


def test_policy_check_names_each_hl7_field_by_its_type_and_never_its_value(home, tmp_path):
    from tests.unit.test_fields import ADT_A04

    path = eml(tmp_path, "adt", "Registration attached.", (ADT_A04.encode(), "application/hl7-v2", "adt.hl7"))
    result = run_cli("policy", "check", path, home=home)
    assert result.returncode == 3 and not result.stderr  # 3: the rules hold it (an SSN outside)
    text = result.stdout.decode()
    for kind in ("hl7_patient_data", "patient_name", "dob", "us_ssn", "mrn", "member_id", "drivers_license"):
        assert f"finding {kind} in attachment:adt.hl7" in text, kind
    assert b"19610314" not in result.stdout and b"512-44-8721" not in result.stdout
