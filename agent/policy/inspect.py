"""Walk a message, get the text out of every part, and run the detectors over it.

Transfer encodings are undone by transfer_encoding.py (an unknown or malformed one is a
finding, `uninspectable_attachment`, and the part is still read as it came); text is decoded
by charsets.py; HTML is rendered to text with entities decoded, text between table cells
kept; attachments go through extract.py, which decides their format by their bytes. The
Subject of a forwarded message, the fields of a delivery report and a multipart's preamble
and epilogue are read too. The walk is iterative and bounded — MIME nested deeper than
MAX_DEPTH or with more than MAX_PARTS parts is a finding (`mime_beyond_limits`), not a stack
overflow — and every part that cannot be read is a finding naming where and why.

No mail client writes such a structure: it is either broken or built to hide content from
inspection (an SSN 25 levels deep was sent where the same SSN at the top was held), so the
default rules hold it for review when it goes outside, instead of only keeping it off TLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from agent import transfer_encoding
from agent.model import Finding
from agent.policy.extract import Extracted, decode_text, extract, sniff, structure_beyond_limits, uninspectable
from agent.policy.normalize import html_to_text
from agent.policy.ocr import OcrBudget
from agent.policy.scanner import scan
from agent.policy.tables import label_text_tables

MAX_DEPTH = 20
MAX_PARTS = 500


def _parts(message: Message) -> tuple[list[tuple[Message, int]], list[Extracted]]:
    """Leaf parts with their depth; problems with the structure itself and the text of
    enclosed header blocks."""
    leaves: list[tuple[Message, int]] = []
    problems: list[Extracted] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            problems.append(structure_beyond_limits(f"more than {MAX_PARTS} MIME parts; the rest was not read"))
            break
        if depth > MAX_DEPTH:
            problems.append(
                structure_beyond_limits(f"MIME nested deeper than {MAX_DEPTH} levels; that part was not read")
            )
            continue
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                children = [child for child in children if isinstance(child, Message)]
                problems.extend(_enclosed_headers(part, children))
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        leaves.append((part, depth))
    return leaves, problems


def _enclosed_headers(part: Message, children: list[Message]) -> list[Extracted]:
    """Text outside the parts of a multipart, and text that lives in the headers of enclosed
    parts: the package parses a message/rfc822
    attachment (a forwarded e-mail) and a message/delivery-status report into header blocks,
    and only their bodies would be read. A forwarded message's Subject is read as the
    message's own is; a delivery report is nothing but fields, so all of them are read."""
    kind = part.get_content_type()
    if part.get_content_maintype() == "multipart":
        # Preamble and epilogue: hidden by MIME readers, shown by any reader that is not one
        # (and by a MIME reader that does not find the boundary the package found).
        text = "\n".join(t for t in (part.preamble, part.epilogue) if t and t.strip())
        return [Extracted("body", text)] if text else []
    if part.get_content_maintype() != "message":
        return []
    # "body": mail programs show an enclosed message inline, and its own text parts are body
    # parts too; an attachment entry would also change the attachment kinds rules see.
    where = "body"
    if kind in ("message/delivery-status", "message/global-delivery-status"):
        text = "\n".join(f"{name}: {value}" for child in children for name, value in child.items())
    else:
        text = "\n".join(f"Subject: {child.get('Subject', '')}" for child in children if child.get("Subject"))
    return [Extracted(where, text)] if text else []


def location(part: Message, index: int) -> tuple[str, bool]:
    """Where a part is, and whether it is the message body (inline text without a name)."""
    filename = part.get_filename()
    disposition = (part.get_content_disposition() or "").lower()
    is_body = not filename and disposition != "attachment" and part.get_content_maintype() == "text"
    if is_body:
        return "body", True
    return f"attachment:{filename or f'part-{index}'}", False


def leaves(message: Message) -> tuple[list[Message], list[Extracted]]:
    """The parts that hold content, in order; findings about the structure itself and the
    text of enclosed headers (see _enclosed_headers)."""
    parts, problems = _parts(message)
    return [part for part, _depth in parts], problems


def extract_part(part: Message, index: int, ocr: OcrBudget | None = None) -> list[Extracted]:
    """Everything readable in one leaf part (the index-th), or findings saying why not; OCR
    of scanned pages spends from `ocr`, the message's budget."""
    where, is_body = location(part, index)
    decoded = transfer_encoding.decode(part)
    # An unknown or malformed transfer encoding: the recipient's program may decode what we
    # can only read as it came. It is read as it came and flagged, never passed as read.
    flagged = [uninspectable(where, f"{decoded.problem}; read as it came")] if decoded.problem else []
    payload = decoded.data
    charset = part.get_content_charset()
    # A "text/plain" body whose bytes are a ZIP, a PDF or an Office file (a second
    # Content-Type line, a mislabelling client) goes to that format's parser, not to the
    # text decoder. Only magic numbers decide: text in a legacy charset may look binary.
    if is_body and sniff(payload, part.get_content_type(), "") in ("zip", "pdf", "ole"):
        is_body = False
    if is_body:
        text = decode_text(payload, charset)
        if part.get_content_subtype() == "html":
            text = html_to_text(text, hidden=True)
        else:
            text = label_text_tables(text)
        return [*flagged, Extracted(where, text)]
    filename = part.get_filename() or ""
    return [*flagged, *extract(payload, filename, part.get_content_type(), where, charset=charset, ocr=ocr)]


def extract_all(message: Message) -> list[Extracted]:
    """Every readable piece of the message (subject, bodies, attachments, archive members)."""
    items = [Extracted("subject", str(message.get("Subject", "")))]
    parts, problems = leaves(message)
    items.extend(problems)
    ocr = OcrBudget()  # one OCR time budget for all the message's scanned pages
    for index, part in enumerate(parts, 1):
        items.extend(extract_part(part, index, ocr))
    return items


@dataclass(frozen=True)
class Inspection:
    findings: tuple[Finding, ...]
    attachments: tuple[tuple[str, str], ...]  # (location, kind) of every attachment and archive member


def inspect_message(message: Message) -> Inspection:
    findings: list[Finding] = []
    attachments: list[tuple[str, str]] = []
    bodies: set[str] = set()
    for item in extract_all(message):
        findings.extend(item.findings)
        if item.text and item.location == "body":
            # The text and HTML alternatives of one body usually say the same thing: the
            # same text cannot give other findings, and counting it twice would tell the
            # clinician of two SSNs where there is one. Alternatives that differ are each read.
            same = " ".join(item.text.split())
            if same in bodies:
                continue
            bodies.add(same)
        if item.text:
            findings.extend(scan(item.text, item.location))
        if item.location.startswith("attachment:"):
            attachments.append((item.location, item.kind or "binary"))
    return Inspection(tuple(findings), tuple(attachments))


def inspect(message: Message) -> list[Finding]:
    return list(inspect_message(message).findings)
