"""Extract inspectable text from every part of a message and run the detectors on it.

A part whose text cannot be extracted is itself a finding (``uninspectable_attachment``):
content we could not look at is treated as sensitive, never waved through.
"""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser

from agent.model import Finding
from agent.policy.detectors import scan

# Attachment types whose bytes are text we can read directly; richer formats (PDF, DOCX,
# XLSX, HL7, FHIR, ZIP) get their own extractors in the detection work.
_TEXT_TYPES = {"application/json", "application/xml", "application/csv", "text/csv"}
MAX_TEXT_CHARS = 5_000_000  # per part: bounds memory and time on a hostile message


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _part_text(part: EmailMessage) -> str | None:
    ctype = part.get_content_type()
    if ctype.startswith("text/") or ctype in _TEXT_TYPES:
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name: still read it rather than skip it
            text = payload.decode("utf-8", errors="replace")
        text = text[:MAX_TEXT_CHARS]
        return html_to_text(text) if ctype == "text/html" else text
    return None


def inspect(message: EmailMessage) -> list[Finding]:
    findings: list[Finding] = []
    subject = str(message.get("Subject", ""))
    findings.extend(scan(subject, "subject"))
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        location = f"attachment:{filename}" if filename else "body"
        text = _part_text(part)
        if text is None:
            findings.append(Finding("uninspectable_attachment", location, 0, 0, 1.0))
            continue
        findings.extend(scan(text, location))
    return findings
