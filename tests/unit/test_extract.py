"""PHI hidden in attachments is found; what cannot be read is a finding, never a pass.
Past 400 lines: one case per file format and per way of hiding text in it."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from email.message import EmailMessage

import docx
import openpyxl
import pytest

from agent.policy import sandbox
from agent.policy.extract import decode_text, extract
from agent.policy.inspect import inspect
from agent.policy.scanner import Scanner

SSN = "512-44-8721"


def pdf_with(text: str) -> bytes:
    """A minimal valid PDF 1.4 with one page of Helvetica text."""
    stream = f"BT /F1 11 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_with(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph("Disability form")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Social Security number"
    table.rows[0].cells[1].text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_with(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def encrypted_zip(name: str, data: bytes) -> bytes:
    """A one-member ZIP marked encrypted (bit 0 of the flags, in the local and the central
    header) as a password-protected archive is; the stdlib cannot write real ZipCrypto."""
    raw = bytearray(zip_of({name: data}))
    raw[6] |= 0x1
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    return bytes(raw)


HL7 = (
    b"MSH|^~\\&|LAB|VALLEY|EHR|VALLEY|202611250830||ORU^R01|MSG00001|P|2.5\r"
    b"PID|1||VC-0048213^^^VALLEY^MR||Alvarez^Robert||19610314|M|||1420 Maple Avenue^^Springfield^MA^01101\r"
    b"OBX|1|NM|INR||3.8|||H|||F\r"
)
FHIR_JSON = json.dumps(
    {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": SSN}],
                    "name": [{"family": "Alvarez", "given": ["Robert"]}],
                    "birthDate": "1961-03-14",
                }
            }
        ],
    }
).encode()
FHIR_XML = (
    b'<Patient xmlns="http://hl7.org/fhir"><identifier><system value="http://hl7.org/fhir/sid/us-ssn"/>'
    b'<value value="512-44-8721"/></identifier><birthDate value="1961-03-14"/></Patient>'
)


def message(*attachments: tuple[bytes, str, str], body: str = "Please see the attached.") -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "dr.chen@valleyclinic.example", "x@partner.example", "Forms"
    m.set_content(body)
    for data, maintype_subtype, filename in attachments:
        maintype, subtype = maintype_subtype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return m


def found(m: EmailMessage) -> set[tuple[str, str]]:
    return {(f.type, f.location) for f in inspect(m)}


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox():
    yield
    sandbox.close()


@pytest.mark.parametrize(
    "data, kind, name",
    [
        (pdf_with(f"Patient SSN {SSN}"), "application/pdf", "form.pdf"),
        (docx_with(SSN), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "form.docx"),
        (
            xlsx_with([["Name", "SSN"], ["Robert Alvarez", SSN]]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "claims.xlsx",
        ),
        (f"name,ssn\nRobert Alvarez,{SSN}\n".encode(), "text/csv", "claims.csv"),
        (b"<html><body><p>SSN: 5&#49;2-44-8721</p></body></html>", "text/html", "page.html"),
    ],
)
def test_an_ssn_inside_each_attachment_format_is_found(data, kind, name):
    assert ("us_ssn", f"attachment:{name}") in found(message((data, kind, name)))


def test_hl7_and_fhir_are_patient_data_by_nature_and_their_fields_are_read():
    result = found(
        message(
            (HL7, "application/octet-stream", "result.hl7"),
            (FHIR_JSON, "application/fhir+json", "patient.json"),
            (FHIR_XML, "application/fhir+xml", "patient.xml"),
        )
    )
    assert ("hl7_patient_data", "attachment:result.hl7") in result
    assert ("us_address", "attachment:result.hl7") in result
    assert {
        ("fhir_patient_data", "attachment:patient.json"),
        ("us_ssn", "attachment:patient.json"),
        ("fhir_patient_data", "attachment:patient.xml"),
        ("us_ssn", "attachment:patient.xml"),
    } <= result


def test_a_mislabelled_pdf_is_read_as_a_pdf():
    assert ("us_ssn", "attachment:notes.txt") in found(message((pdf_with(f"SSN {SSN}"), "text/plain", "notes.txt")))


def test_zip_members_are_read_nested_and_named():
    inner = zip_of({"claims.csv": f"ssn\n{SSN}\n".encode()})
    outer = zip_of({"batch/inner.zip": inner, "form.docx": docx_with(SSN)})
    result = found(message((outer, "application/zip", "batch.zip")))
    assert ("us_ssn", "attachment:batch.zip/batch/inner.zip/claims.csv") in result
    assert ("us_ssn", "attachment:batch.zip/form.docx") in result


def test_encrypted_and_oversized_archives_are_findings_of_their_own():
    encrypted = encrypted_zip("secret.csv", b"x" * 100)
    bomb = zip_of({"bomb.txt": b"0" * (50 * 1024 * 1024)})  # 50 MB of zeros: ~50 KB compressed
    assert len(bomb) < 200_000
    result = found(message((encrypted, "application/zip", "a.zip"), (bomb, "application/zip", "b.zip")))
    assert ("encrypted_archive", "attachment:a.zip/secret.csv") in result
    assert ("oversized_archive", "attachment:b.zip/bomb.txt") in result


def test_an_archive_nested_too_deep_is_not_read_and_says_so():
    data = f"SSN {SSN}".encode()
    for level in range(6):
        data = zip_of({f"level{level}.zip" if level else "ssn.txt": data})
    findings = inspect(message((data, "application/zip", "deep.zip")))
    assert any(f.type == "uninspectable_attachment" and "nested deeper" in f.detail for f in findings)


@pytest.mark.parametrize(
    "data, kind, why",
    [
        (pdf_with("x")[:200], "application/pdf", "PDF "),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "image/png", "PNG could not be read by OCR: the image cannot"),
        (b"GIF89a" + bytes(range(256)) * 20, "image/gif", "binary content"),
        (b"PK\x03\x04" + b"\x00" * 100, "application/zip", "ZIP cannot be read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "application/msword", "legacy Office"),
    ],
)
def test_what_cannot_be_read_is_an_uninspectable_finding_with_a_reason(data, kind, why):
    [finding] = [f for f in inspect(message((data, kind, "file.bin"))) if f.location == "attachment:file.bin"]
    assert finding.type == "uninspectable_attachment" and why in finding.detail


def test_an_xml_entity_bomb_is_refused_not_expanded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><r>&lol3;</r>'
    )
    [finding] = inspect(message((bomb, "application/xml", "bomb.xml")))
    assert finding.type == "uninspectable_attachment" and "entity" in finding.detail


def test_a_parser_that_takes_too_long_is_killed_and_reported(monkeypatch):
    monkeypatch.setattr(sandbox, "TIMEOUT", 0.001)
    big = docx.Document()
    for _ in range(3000):  # a document that takes a real parser far longer than a millisecond
        big.add_paragraph(f"SSN {SSN} " * 20)
    data = io.BytesIO()
    big.save(data)
    started = time.monotonic()
    result = sandbox.extract_rich("docx", data.getvalue(), "attachment:slow.docx")
    assert time.monotonic() - started < 10
    assert result.findings[0].type == "uninspectable_attachment" and "longer than" in result.findings[0].detail
    monkeypatch.undo()
    assert SSN in sandbox.extract_rich("pdf", pdf_with(f"SSN {SSN}"), "attachment:ok.pdf").text  # a fresh worker


def test_a_worker_that_dies_is_reported_and_replaced():
    sandbox.extract_rich("pdf", pdf_with("warm up"), "attachment:a.pdf")
    sandbox._worker.process.kill()  # e.g. the kernel's OOM killer
    sandbox._worker.process.wait()
    assert SSN in sandbox.extract_rich("pdf", pdf_with(f"SSN {SSN}"), "attachment:b.pdf").text


def test_deep_mime_nesting_and_too_many_parts_are_findings_not_crashes():
    deep = EmailMessage()
    deep.set_content(f"SSN {SSN}")
    for _ in range(40):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(deep)
        deep = outer
    assert any(f.type == "mime_beyond_limits" and "nested deeper" in f.detail for f in inspect(deep))
    wide = EmailMessage()
    wide.set_content("hello")
    for index in range(600):
        wide.add_attachment(b"x", maintype="text", subtype="plain", filename=f"{index}.txt")
    assert any(f.type == "mime_beyond_limits" and "more than 500 MIME parts" in f.detail for f in inspect(wide))


@pytest.mark.parametrize(
    "adversary",
    [
        "1" * 1_000_000,  # one endless digit run
        "1-" * 500_000,  # separators everywhere
        "a@" * 500_000,  # an e-mail prefilter hit at every other character
        ("Patient: " + "Aa " * 20) * 20_000,  # labels everywhere
        ("MRN: " + "A-" * 40) * 10_000,
        "DOB: " + "1/" * 500_000,
        ("PO Box 1 " + "Aa " * 10) * 20_000,
        ("phone " * 3 + "2" * 9) * 30_000,
        ("DL " + "1" * 8 + " " * 3 + "(") * 50_000,
        "\u2013\u201c" * 500_000,  # typographic punctuation everywhere
        ("Re: " + "Aa " * 20) * 20_000,  # a "Re:" name cue everywhere
        "E11.9, " * 150_000,  # dotted diagnosis codes everywhere, no clinical word
        ("pain " + "E11.9/I10 " * 10) * 10_000,  # ... and with one
        ("Patient / a b: Mr. " + "Aa " * 10) * 20_000,
        "Anna Smith 1/2/1950 " * 50_000,  # a name before a birth date, everywhere
        "(99213) + 99214 x2, " * 50_000,  # CPT codes written into prose, everywhere
        ("Subject: " + "Anna Smith - " * 15 + "\n") * 5_000,  # quoted subject lines full of names
    ],
)
@pytest.mark.parametrize("hyperscan", [True, False])
def test_adversarial_inputs_scan_in_bounded_time(adversary, hyperscan):
    # A quarter of each megabyte pattern: linear work scans it in about a second, while the
    # blow-up this guards against (backtracking, quadratic in the length) would still take
    # minutes at 250 KB. Throughput is a benchmark's figure (benchmarks/dlp.py), not the suite's.
    text = adversary[:250_000]
    scanner = Scanner(prefer_hyperscan=hyperscan)
    started = time.process_time()
    scanner.scan(text, "body")
    assert time.process_time() - started < 20  # generous: linear work, never backtracking blow-up


def test_both_engines_find_the_same(tmp_path):
    text = (
        f"Patient: Jane Doe DOB 03/14/1961 SSN {SSN} NPI 1467500009 card 4111 1111 1111 1111 "
        "(617) 555-0142 jane@mail.example 1420 Maple Avenue Dx: I48.91 CPT 99213 routing 021000021 "
        "MR# 7654321 phone: 6175550142 PO Box 4410 NY DL 123 456 789 "
    ) * 50
    fast, slow = Scanner(prefer_hyperscan=True), Scanner(prefer_hyperscan=False)
    assert fast.engine_name == "hyperscan"
    assert fast.scan(text, "body") == slow.scan(text, "body")


@pytest.mark.parametrize(
    "table",
    [
        "| Patient | DOB |\n" + "|---|---|\n" * 200_000,  # a header and endless rule rows
        "Patient\tMRN\n" + "a\t" * 500_000,  # one row a megabyte wide
        "| a | b |\n" * 100_000,  # a table without a header
        "|" * 1_000_000,
    ],
)
def test_tables_in_plain_text_cost_linear_time(table):
    started = time.process_time()
    inspect(message(body=table))
    assert time.process_time() - started < 20


def test_a_table_pasted_into_plain_text_is_read_by_its_header():
    body = (
        "Held claims, tab-delimited:\n\nPatient\tMember ID\tCPT\tICD-10\n"
        "NOWAK, IRENA\tQX4412098\t99213\tE11.9\n\n"
        "| Line | CPT | Dx |\n|---|---|---|\n| 1 | 80053 | R79.89 |\n"
    )
    found = sorted(f.type for f in inspect(message(body=body)))
    assert found == ["cpt", "cpt", "icd10", "icd10", "member_id", "patient_name"]


def test_a_25_mb_body_is_read_to_its_end():
    body = ("Routine follow-up, nothing to report. " * 700_000)[:25_000_000] + f"\nSSN {SSN}\n"
    findings = inspect(message(body=body))
    assert [f.type for f in findings] == ["us_ssn"]


def test_scans_from_many_threads_at_once_do_not_collide():
    from concurrent.futures import ThreadPoolExecutor

    scanner = Scanner()
    text = f"Patient SSN {SSN}, call (617) 555-0142. " * 2000
    expected = scanner.scan(text, "body")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: scanner.scan(text, "body"), range(32)))
    assert all(r == expected for r in results)


@pytest.mark.parametrize("charset", ["undefined", "utf-8\x00", "idna"])
def test_a_charset_that_cannot_decode_falls_back_instead_of_raising(charset):
    assert "512-44-8721" in decode_text("SSN 512-44-8721 \u00e9".encode(), charset)


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_text_with_a_bom_is_read_as_utf32_not_utf16(encoding):
    data = ("\ufeff" if encoding.endswith("be") else "") + "SSN 512-44-8721"
    raw = data.encode(encoding)
    assert "512-44-8721" in decode_text(raw)
    [item] = extract(raw, "notes.txt", "text/plain", "attachment:notes.txt")
    assert "512-44-8721" in item.text


FHIR_PATIENT = {"resourceType": "Patient", "identifier": [{"value": SSN}], "name": [{"family": "Gonzalez"}]}


def wide_parts(encoding: str) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of one JSON, XML, HL7 and text attachment in `encoding`."""
    xml = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
        f'<Patient xmlns="http://hl7.org/fhir"><identifier><value value="{SSN}"/></identifier></Patient>'
    )
    return [
        ("note.json", "application/json", json.dumps({"note": f" SSN {SSN} "}).encode(encoding)),
        ("patient.json", "application/fhir+json", json.dumps(FHIR_PATIENT).encode(encoding)),
        ("patient.xml", "application/fhir+xml", xml.encode(encoding)),
        (
            "adt.hl7",
            "x-application/hl7-v2+er7",
            f"MSH|^~\\&|EPIC|VALLEY|||202612070800||ADT^A01|1|P|2.5\rPID|1||{SSN}^^^SSA||GONZALEZ^MARIA\r".encode(
                encoding
            ),
        ),
        ("notes.txt", "text/plain", f"Patient SSN {SSN}, seen today.".encode(encoding)),
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize("declared", [True, False], ids=["charset declared", "no charset"])
def test_wide_text_without_a_bom_is_read_as_characters_in_every_format(encoding, declared):
    # Read as bytes, UTF-16 "512-44-8721" is "5\x001\x002…" and no detector sees it (the
    # fuzzer found a UTF-16-LE JSON body passing unseen).
    for filename, content_type, data in wide_parts(encoding):
        items = extract(data, filename, content_type, f"attachment:{filename}", charset=encoding if declared else None)
        text = "\n".join(item.text for item in items)
        assert SSN in text, (filename, text[:80])
        if filename.startswith(("patient", "adt")):
            assert {f.type for item in items for f in item.findings} & {"fhir_patient_data", "hl7_patient_data"}


@pytest.mark.parametrize("charset", [None, "utf-16-le", "us-ascii"])
def test_a_utf16_message_body_is_inspected_whatever_its_charset_label_says(charset):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@valleyclinic.example", "b@example.org", "labs"
    message["Content-Type"] = "text/plain" + (f'; charset="{charset}"' if charset else "")
    message["Content-Transfer-Encoding"] = "base64"
    message.set_payload(base64.encodebytes(f"Patient SSN {SSN}".encode("utf-16-le")).decode())
    assert "us_ssn" in {f.type for f in inspect(message)}


def test_binary_with_nul_bytes_is_still_binary_not_wide_text():
    data = bytes(range(256)) * 8
    [item] = extract(data, "blob.bin", "application/octet-stream", "attachment:blob.bin")
    assert any(f.type == "uninspectable_attachment" for f in item.findings)
