"""Text out of every attachment the detectors should read — or a finding saying why not.

The format is decided by the bytes (magic numbers, ZIP member names), not by the declared
Content-Type or file name: a PDF labelled text/plain is still read as a PDF, and a
spreadsheet renamed .txt still as a spreadsheet. Each format uses its well-kept library:
pypdf (PDF), python-docx (DOCX), openpyxl (XLSX), json and defusedxml (FHIR; defusedxml
refuses entity bombs and external entities), zipfile (ZIP). HL7 v2 and FHIR are read by their
fields (fields.py, hl7v2.py, fhir.py), so a birth date in PID-7 is read as a birth date.
Scanned pages — PDF pages without a text layer, PNG, JPEG and TIFF attachments — are OCR'd
(ocr.py) within one time budget per message, shared by its attachments and archive members;
an image keeps the kind "binary" for the rules' attachment_types, as before OCR.

The parsers of complex formats run in a separate process (sandbox.py) with a time and a
memory limit: a PDF that loops or explodes costs that process, not the agent. What cannot
be read — corrupt, encrypted, too big, too deep, unknown binary — becomes a finding
(`uninspectable_attachment`, `encrypted_archive`, `oversized_archive`, and for the MIME
structure itself `mime_beyond_limits`), never a pass.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from agent.model import Finding
from agent.policy import fhir, hl7v2, tables
from agent.policy.charsets import UTF32_BOMS, as_ascii_compatible, decode_text
from agent.policy.normalize import html_to_text
from agent.policy.ocr import OcrBudget, image_format

MAX_TEXT_CHARS = 60_000_000  # per part; above the largest message the agent accepts
MAX_ARCHIVE_DEPTH = 3  # a ZIP in a ZIP in a ZIP is read; one more level is a finding
MAX_ARCHIVE_MEMBERS = 1000
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024  # total decompressed per attachment (zip bombs)
MAX_RATIO = 200  # decompressed / compressed per member; 42.zip is ~10^6
_CSV_TYPES = {"text/csv", "application/csv", "text/tab-separated-values", "text/comma-separated-values"}


@dataclass
class Extracted:
    location: str
    text: str = ""
    findings: list[Finding] = field(default_factory=list)
    kind: str = ""  # the attachment's format as sniffed (see ATTACHMENT_KINDS in rules.py)


def finding(kind: str, location: str, detail: str) -> Finding:
    return Finding(kind, location, 0, 0, 1.0, detail)


def uninspectable(location: str, detail: str) -> Extracted:
    return Extracted(location, "", [finding("uninspectable_attachment", location, detail)])


def structure_beyond_limits(detail: str) -> Extracted:
    """The message's MIME structure itself is past what is inspected (see inspect.py)."""
    return Extracted("message", "", [finding("mime_beyond_limits", "message", detail)])


# --- telling formats apart by their bytes ----------------------------------------------------
def sniff(data: bytes, content_type: str, filename: str) -> str:
    head = data[:8]
    if head.startswith(b"%PDF-") or data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"  # DOCX/XLSX are told apart by their members (see _zip_kind)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # legacy .doc/.xls or an encrypted OOXML file
    stripped = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"MSH|"):
        return "hl7"
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        lower = stripped[:512].lower()
        return "html" if b"<html" in lower or b"<!doctype html" in lower or content_type == "text/html" else "xml"
    if content_type == "text/html":
        return "html"
    if _looks_like_text(data):
        return "text"
    return "binary"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        # UTF-16 and UTF-32 text has a BOM; else binary
        return sample[:2] in (b"\xff\xfe", b"\xfe\xff") or sample[:4] in UTF32_BOMS
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 160 for b in sample)
            return printable / len(sample) > 0.95  # latin-1 / cp1252 text
    return True


# --- simple formats, read here (HL7 v2 and FHIR by field: hl7v2.py, fhir.py) ---------------------
def _hl7(data: bytes, location: str, charset: str | None) -> Extracted:
    text = decode_text(data, charset).replace("\r\n", "\r").replace("\n", "\r")
    readable, has_pid, unread = hl7v2.hl7_text(text)
    findings = []
    if has_pid:
        detail = "HL7 v2 message with a PID (patient) segment"
        findings.append(finding("hl7_patient_data", location, f"{detail}; {unread}" if unread else detail))
    return Extracted(location, readable, findings)


def _fhir(location: str, rendered: tuple[str, bool]) -> Extracted:
    text, patient = rendered
    findings = [finding("fhir_patient_data", location, "FHIR resource describing a patient")] if patient else []
    return Extracted(location, text, findings)


def _json(data: bytes, location: str, charset: str | None) -> Extracted:
    text = decode_text(data, charset)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return Extracted(location, text)  # not JSON after all (or nested past Python's limit): read it as text
    return _fhir(location, fhir.fhir_text(document))


def _xml(data: bytes, location: str, charset: str | None) -> Extracted:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    root = None
    # As bytes first (the XML declaration names the encoding); then as the text the MIME
    # charset gives, e.g. UTF-16 XML re-encoded as UTF-8 whose declaration still says UTF-16.
    for document in (data, decode_text(data, charset)):
        try:
            root = ElementTree.fromstring(document)
            break
        except DefusedXmlException as exc:
            return uninspectable(location, f"XML refused: {type(exc).__name__} (entity expansion or external entity)")
        except (ElementTree.ParseError, ValueError):
            continue
    if root is None:
        return Extracted(location, decode_text(data, charset))  # not well-formed: read the bytes as text
    return _fhir(location, fhir.xml_text(root))


# --- archives -----------------------------------------------------------------------------------
def _zip_kind(names: set[str]) -> str:
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _zip(data: bytes, location: str, depth: int, budget: list[int], ocr: OcrBudget) -> list[Extracted]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return [uninspectable(location, f"ZIP cannot be read ({type(exc).__name__})")]
    names = {m.filename for m in members}
    kind = _zip_kind(names)
    if kind != "zip":
        from agent.policy import sandbox

        if any(m.flag_bits & 1 for m in members):
            return [Extracted(location, "", [finding("encrypted_archive", location, "encrypted document")], kind)]
        item = sandbox.extract_rich(kind, data, location)
        item.kind = kind
        return [item]
    if depth >= MAX_ARCHIVE_DEPTH:
        return [uninspectable(location, f"archive nested deeper than {MAX_ARCHIVE_DEPTH} levels")]
    if len(members) > MAX_ARCHIVE_MEMBERS:
        return [
            Extracted(location, "", [finding("oversized_archive", location, f"more than {MAX_ARCHIVE_MEMBERS} files")])
        ]
    out: list[Extracted] = []
    for member in members:
        if member.is_dir():
            continue
        inner = f"{location}/{member.filename}"
        if member.flag_bits & 1:
            out.append(Extracted(inner, "", [finding("encrypted_archive", inner, "password-protected file in a ZIP")]))
            continue
        allowed = min(budget[0], max(member.compress_size, 1) * MAX_RATIO)
        try:
            with archive.open(member) as handle:
                content = handle.read(allowed + 1)  # the real size, whatever the header says
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError) as exc:
            out.append(uninspectable(inner, f"ZIP member cannot be read ({type(exc).__name__})"))
            continue
        if len(content) > allowed:
            why = (
                "decompresses beyond the size limit"
                if allowed == budget[0]
                else f"compression ratio above {MAX_RATIO}:1 (zip bomb)"
            )
            out.append(Extracted(inner, "", [finding("oversized_archive", inner, why)]))
            continue
        budget[0] -= len(content)
        out.extend(extract(content, member.filename, "", inner, depth + 1, budget, ocr=ocr))
    return out


# --- the entry point ------------------------------------------------------------------------------
def extract(
    data: bytes,
    filename: str,
    content_type: str,
    location: str,
    depth: int = 0,
    budget: list[int] | None = None,
    charset: str | None = None,
    ocr: OcrBudget | None = None,
) -> list[Extracted]:
    """Everything readable in one attachment (ZIPs give one item per member). `ocr` is the
    message's OCR budget (inspect.py passes one per message; a fresh one when not given)."""
    budget = budget if budget is not None else [MAX_ARCHIVE_BYTES]
    ocr = ocr if ocr is not None else OcrBudget()
    data, charset = as_ascii_compatible(data, charset)
    kind = sniff(data, content_type, filename)
    items = _extract(kind, data, filename, content_type, location, depth, budget, charset, ocr)
    for item in items:
        item.kind = item.kind or kind
    return items


def _extract(
    kind: str,
    data: bytes,
    filename: str,
    content_type: str,
    location: str,
    depth: int,
    budget: list[int],
    charset: str | None,
    ocr: OcrBudget,
) -> list[Extracted]:
    if kind == "zip":
        return _zip(data, location, depth, budget, ocr)
    if kind == "pdf" or (kind == "binary" and image_format(data)):
        from agent.policy import sandbox

        return [sandbox.extract_rich("pdf" if kind == "pdf" else "image", data, location, ocr)]
    if kind == "hl7":
        return [_hl7(data, location, charset)]
    if kind == "json":
        return [_json(data, location, charset)]
    if kind == "xml":
        return [_xml(data, location, charset)]
    if kind == "html":
        return [Extracted(location, html_to_text(decode_text(data, charset)[:MAX_TEXT_CHARS], hidden=True))]
    if kind == "text":
        text = decode_text(data, charset)[:MAX_TEXT_CHARS]
        if content_type in _CSV_TYPES or filename.lower().endswith((".csv", ".tsv")):
            text = tables.csv_to_text(text)
        else:
            text = tables.label_text_tables(text)
        return [Extracted(location, text)]
    if kind == "ole":
        return [uninspectable(location, "legacy Office or encrypted Office file (not read)")]
    return [uninspectable(location, f"binary content ({content_type or 'unknown type'}) that cannot be read as text")]
