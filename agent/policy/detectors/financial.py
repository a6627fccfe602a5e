"""Payment cards (Luhn and the issuers' IIN ranges) and ABA routing numbers (labelled, 3-7-1)."""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector, context, labels_except, luhn_ok, other_label_nearer


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# --- Payment cards: Luhn and the issuers' IIN ranges ------------------------------------------
_CARD_WORDS = re.compile(r"(?i)\b(?:card|visa|mastercard|master\s+card|amex|american\s+express|discover|cc|credit)")
_NOT_CARD_LABELS = labels_except("account")  # a card's number is its account number


def _card_issuer(digits: str) -> bool:
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if two in (34, 37):
        return n == 15
    if digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649:
        return n in (16, 19)
    return False


def _card(text: str, m: re.Match[str]) -> float | None:
    raw = m.group(0)
    separators = {c for c in raw if not c.isdigit()}
    digits = _digits(raw)
    if len(separators) > 1 or not _card_issuer(digits) or not luhn_ok(digits):
        return None
    if other_label_nearer(text, m.start(), m.end(), _CARD_WORDS, _NOT_CARD_LABELS):
        return None  # "tracking 4000 1234 5678 9010": Luhn passes one time in ten
    return 0.98 if context(text, m.start(), m.end(), _CARD_WORDS, 50, 10) else 0.9


CREDIT_CARD = Detector(
    "credit_card",
    r"\b(?:\d{4}[ -]?){3}\d{1,7}\b|\b3[47]\d{2}[ -]?\d{6}[ -]?\d{5}\b",
    re.compile(
        r"(?<![\d-])(?:\d{4}(?P<s>[ -]?)\d{4}(?P=s)\d{4}(?P=s)\d{1,7}|3[47]\d{2}(?P<t>[ -]?)\d{6}(?P=t)\d{5})(?![\d-])"
    ),
    _card,
    before=26,
    after=1,
)


# --- ABA routing number: labelled, checksum 3-7-1 --------------------------------------------
def _aba(text: str, m: re.Match[str]) -> float | None:
    d = [int(c) for c in m.group("v")]
    prefix = d[0] * 10 + d[1]
    if not (1 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return None
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]
    return 0.97 if total % 10 == 0 else None


ABA = Detector(
    "aba_routing",
    r"\b(?:routing|aba|rtn|transit)",
    re.compile(r"(?i)\b(?:routing|aba|rtn|transit)[^\d\n]{0,30}(?<!\d)(?P<v>\d{9})(?!\d)"),
    _aba,
    before=10,
    after=50,
    caseless=True,
    group="v",
)
