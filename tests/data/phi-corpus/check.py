#!/usr/bin/env python3
"""Check the PHI corpus against its labels.

    python tests/data/phi-corpus/check.py              # check messages/ and labels.json next to this file
    python tests/data/phi-corpus/check.py --no-regen   # skip the byte-for-byte regeneration check

Every message is re-parsed with the stdlib email parser (policy.default). Text comes from the
Subject, the text/plain and text/html parts (tags stripped, entities unescaped) and from
attachments: DOCX (python-docx), XLSX (openpyxl), PDF (pypdf), CSV/text, HL7 v2, FHIR JSON/XML,
and ZIP archives (recursively). Zero-width and other invisible format characters are removed
and NFKC applied. Then, per message:

  * every labelled value passes its type's validator (generate.VALIDATORS) and occurs in the
    extracted text as often as it is labelled — exactly as often for the structured types,
    at least as often for patient_name (a name is labelled only after a patient cue);
  * attachment-level labels (hl7_patient_data, fhir_patient_data, encrypted_archive,
    uninspectable_attachment) match exactly what extraction finds, by file name;
  * hard negatives have no labels and no attachment-level findings.

It also regenerates the corpus into a temporary folder and compares every byte.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the corpus folder
import generate  # noqa: E402  (validators and entity names)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # the truncated PDF is expected to be unreadable

INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
BLOCK_TAGS = {
    "br",
    "p",
    "div",
    "tr",
    "td",
    "th",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
}
PATIENT_FHIR = {"Patient", "RelatedPerson", "Person"}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", INVISIBLE.sub("", text))


class _Html(HTMLParser):
    """Rendered text: block elements break lines, inline tags vanish, entities are decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(source: str) -> str:
    parser = _Html()
    parser.feed(source)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Extracted:
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    structured: list[str] = field(default_factory=list)  # text of HL7 v2 and FHIR pieces
    attachments: list[str] = field(default_factory=list)  # names, archive members as "a.zip/b.csv"
    findings: list[tuple[str, str]] = field(default_factory=list)  # (attachment-level type, name)


# --- attachments ----------------------------------------------------------------------------------
def _pdf(data: bytes) -> str | None:
    from pypdf import PdfReader

    try:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    except Exception:  # noqa: BLE001 - a corrupt PDF raises many kinds of errors
        return None
    return "\n".join(pages) if pages and all(p.strip() for p in pages) else None


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += ["\t".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows]
    for section in document.sections:
        parts += [p.text for area in (section.header, section.footer) for p in area.paragraphs]
    return "\n".join(parts)


def _xlsx(data: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"sheet {sheet.title}")
        lines += ["\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)]
    return "\n".join(lines)


def _json_lines(node: object, out: list[str]) -> bool:
    """Flatten to "key: value" lines; True if a FHIR Patient is inside."""
    patient = False
    if isinstance(node, dict):
        patient = node.get("resourceType") in PATIENT_FHIR
        for key, value in node.items():
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out.append(f"{key}: {value}")
            else:
                patient |= _json_lines(value, out)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):
                out.append(value)
            else:
                patient |= _json_lines(value, out)
    return patient


def _xml(data: bytes) -> tuple[str, bool]:
    root = ElementTree.fromstring(data)
    parts, patient = [], False
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        patient |= tag in PATIENT_FHIR and "hl7.org/fhir" in element.tag
        parts += [f"{tag} {k}: {v}" for k, v in element.attrib.items()]
        if element.text and element.text.strip():
            parts.append(f"{tag}: {element.text.strip()}")
    return "\n".join(parts), patient


def extract_attachment(data: bytes, name: str, out: Extracted, depth: int = 0) -> None:
    out.attachments.append(name)
    head = data[:8]
    if head.startswith(b"%PDF-"):
        text = _pdf(data)
        if text is None:
            out.findings.append(("uninspectable_attachment", name))
        else:
            out.texts.append((name, text))
    elif head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.infolist()
        except zipfile.BadZipFile:
            out.findings.append(("uninspectable_attachment", name))
            return
        names = {m.filename for m in members}
        if "word/document.xml" in names:
            out.texts.append((name, _docx(data)))
        elif "xl/workbook.xml" in names:
            out.texts.append((name, _xlsx(data)))
        else:
            for member in members:
                if member.is_dir():
                    continue
                if member.flag_bits & 1:  # encrypted: unreadable without the password
                    out.findings.append(("encrypted_archive", name))
                    continue
                extract_attachment(archive.read(member), f"{name}/{member.filename}", out, depth + 1)
    elif data.lstrip(b"\xef\xbb\xbf \r\n").startswith(b"MSH|"):
        text = data.decode("utf-8").replace("\r\n", "\r").replace("\n", "\r")
        if any(segment.startswith("PID|") for segment in text.split("\r")):
            out.findings.append(("hl7_patient_data", name))
        out.texts.append((name, re.sub(r"[|^~\\&]", " ", text.replace("\r", "\n"))))
        out.structured.append(out.texts[-1][1])
    elif data.lstrip()[:1] in (b"{", b"["):
        lines: list[str] = []
        if _json_lines(json.loads(data), lines):
            out.findings.append(("fhir_patient_data", name))
        out.texts.append((name, "\n".join(lines)))
        out.structured.append(out.texts[-1][1])
    elif data.lstrip()[:1] == b"<" and b"<html" not in data[:512].lower():
        text, patient = _xml(data)
        if patient:
            out.findings.append(("fhir_patient_data", name))
        out.texts.append((name, text))
        out.structured.append(text)
    else:
        try:
            out.texts.append((name, data.decode("utf-8")))
        except UnicodeDecodeError:
            out.findings.append(("uninspectable_attachment", name))


def extract_message(msg: EmailMessage) -> Extracted:
    out = Extracted()
    out.texts.append(("subject", str(msg.get("Subject", ""))))
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        filename = part.get_filename()
        is_body = (
            not filename and part.get_content_disposition() != "attachment" and part.get_content_maintype() == "text"
        )
        if is_body:
            text = part.get_content()
            out.texts.append(("body", html_text(text) if part.get_content_subtype() == "html" else text))
        else:
            extract_attachment(part.get_payload(decode=True), filename or f"part-{index}", out)
    return out


# --- checks -------------------------------------------------------------------------------------------
def occurrences(text: str, value: str) -> int:
    """Occurrences of `value` not inside a longer run of letters and digits."""
    return len(re.findall(r"(?<![0-9A-Za-z])" + re.escape(value) + r"(?![0-9A-Za-z])", text))


def check_message(name: str, raw: bytes, labels: dict[str, list[str]]) -> tuple[list[str], int]:
    problems = []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    found = extract_message(msg)
    pieces = [normalize(text) for _, text in found.texts]
    text = "\n\x00\n".join(pieces)  # no value can span two pieces
    structured = "\n\x00\n".join(normalize(t) for t in found.structured)
    if "\x01" in text or re.search(r"\{(name|dob|c|dl)\}|TEXT", text):
        problems.append("template residue in the text")
    for kind, values in labels.items():
        if kind not in generate.ENTITY_TYPES:
            problems.append(f"unknown entity type {kind}")
            continue
        if kind in generate.ATTACHMENT_TYPES:
            continue
        for value in values:
            if not generate.VALIDATORS[kind](value):
                problems.append(f"{kind} {value!r} fails its validator")
        for value, wanted in Counter(values).items():
            seen = occurrences(text, value)
            # Exactly as often as labelled, except: a name is labelled only after a patient cue, and
            # HL7/FHIR fields without a label in the text (PID-3, FHIR identifier.value)
            # may repeat a value labelled elsewhere in the message.
            loose = kind == "patient_name" or (kind == "mrn" and occurrences(structured, value) > 0)
            if seen < wanted or (seen != wanted and not loose):
                problems.append(f"{kind} {value!r}: labelled {wanted}x, found {seen}x in the extracted text")
    wanted_findings = Counter((k, v) for k, vs in labels.items() if k in generate.ATTACHMENT_TYPES for v in vs)
    got_findings = Counter(found.findings)
    if wanted_findings != got_findings:
        problems.append(f"attachment-level labels {dict(wanted_findings)} but extraction finds {dict(got_findings)}")
    for kind, filename in wanted_findings:
        if filename not in found.attachments:
            problems.append(f"{kind}: no attachment named {filename}")
    if name.endswith("-negative.eml") and labels:
        problems.append("a hard negative has labels")
    return problems, sum(len(p) for p in pieces)


def regenerate_matches(corpus: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--out", tmp], check=True, capture_output=True)
        fresh = Path(tmp)
        problems = []
        old = {p.name: p.read_bytes() for p in (corpus / "messages").glob("*.eml")}
        new = {p.name: p.read_bytes() for p in (fresh / "messages").glob("*.eml")}
        if set(old) != set(new):
            problems.append(f"regenerated file set differs: {sorted(set(old) ^ set(new))[:5]}")
        problems += [f"{n}: regenerated bytes differ" for n in sorted(set(old) & set(new)) if old[n] != new[n]]
        if (corpus / "labels.json").read_bytes() != (fresh / "labels.json").read_bytes():
            problems.append("labels.json: regenerated bytes differ")
        return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="Check the PHI corpus against its labels.")
    parser.add_argument("--corpus", type=Path, default=HERE)
    parser.add_argument("--no-regen", action="store_true", help="skip the regeneration (determinism) check")
    args = parser.parse_args()
    corpus: Path = args.corpus
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    files = {p.name: p for p in sorted((corpus / "messages").glob("*.eml"))}
    problems: list[str] = []
    if set(files) != set(labels):
        problems.append(f"messages without labels or labels without messages: {sorted(set(files) ^ set(labels))[:5]}")
    per_type: Counter[str] = Counter()
    messages_per_type: Counter[str] = Counter()
    per_category: Counter[str] = Counter()
    bytes_per_category: Counter[str] = Counter()
    characters = 0
    for name, path in files.items():
        raw = path.read_bytes()
        category = name.split("-", 1)[1].removesuffix(".eml")
        per_category[category] += 1
        bytes_per_category[category] += len(raw)
        found, chars = check_message(name, raw, labels.get(name, {}))
        characters += chars
        problems += [f"{name}: {p}" for p in found]
        for kind, values in labels.get(name, {}).items():
            per_type[kind] += len(values)
            messages_per_type[kind] += 1
    if not args.no_regen:
        problems += regenerate_matches(corpus)

    total = sum(p.stat().st_size for p in files.values())
    print(
        f"{len(files)} messages, {total:,} bytes of .eml ({(corpus / 'labels.json').stat().st_size:,} bytes of labels.json), "
        f"{characters:,} characters of extracted text"
    )
    print(f"\n{'category':14} {'messages':>8} {'bytes':>11}")
    for category in dict.fromkeys(n.split("-", 1)[1].removesuffix(".eml") for n in files):
        print(f"{category:14} {per_category[category]:8d} {bytes_per_category[category]:11,}")
    print(f"\n{'entity type':26} {'values':>7} {'messages':>8}")
    for kind in generate.ENTITY_TYPES:
        print(f"{kind:26} {per_type[kind]:7d} {messages_per_type[kind]:8d}")
    print(f"{'total':26} {sum(per_type.values()):7d}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print("  " + problem)
        return 1
    print(
        "\nOK: every label found in its message, attachment-level labels match, hard negatives clean"
        + ("" if args.no_regen else ", regeneration byte-identical")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
