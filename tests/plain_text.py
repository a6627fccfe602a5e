"""What a clinician must never read in the add-ins (issue 19, item 7): configuration keys,
mail-server jargon, method codes and raw error text. One list, used by the unit test of the
agent's sentences (tests/unit/test_plain_words.py) and by the browser tests of the Outlook task
pane and the Gmail banner (tests/addins), which check every text those pages render."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"[^\s<>,;:'\"()]+@[^\s<>,;:'\"()]+")
JARGON: dict[str, re.Pattern[str]] = {
    # tls.required_domains, ingress.addin_port, portal.allow_test_url, draft.to
    "a configuration key": re.compile(
        r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)+\b|\b(?:tls|relay|portal|ingress|"
        r"organization|policy|outbox|secrets|smime|draft|accounts)\.[a-z_]+\b"
    ),
    "a config file section": re.compile(
        r"\[(?:tls|relay|portal|ingress|organization|policy|outbox|secrets|smime|"
        r"accounts)\]"
    ),
    "mail-server jargon": re.compile(
        r"\b(?:MX|STARTTLS|MTA-STS|DANE|TLSA|DNSSEC|WKD|SMTP|HTTPS?|(?<!S/)MIME|"
        r"native messaging|relay)\b",
        re.IGNORECASE,
    ),
    "the portal's old jargon": re.compile(r"key in the link|no key on file", re.IGNORECASE),
    "a bare TLS": re.compile(r"\bTLS\b|verified-TLS", re.IGNORECASE),
    "a method code": re.compile(r"\b(?:smime|pgp|tls|portal_only|hold_for_review)\b"),
    "raw error text": re.compile(
        r"Errno|Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bundefined\b|\bnull\b|"
        r"\[object Object\]|\bNaN\b"
    ),
    "a field of the protocol": re.compile(r"content_base64|content_type|finding_counts|\bunavailable\b"),
}


def jargon_in(text: str) -> list[str]:
    """What is wrong with `text` for a clinician: "a configuration key: 'tls.required_domains'", …
    Email addresses are taken out first (valleyclinic.example is not a key)."""
    text = _ADDRESS.sub("", text)
    return [f"{name}: {match.group(0)!r}" for name, pattern in JARGON.items() for match in pattern.finditer(text)]


def assert_plain(text: str, where: str = "") -> None:
    problems = jargon_in(text)
    assert not problems, f"{where or 'text'} is not plain words ({'; '.join(problems)}): {text!r}"
