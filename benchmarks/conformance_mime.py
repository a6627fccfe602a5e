"""MIME intake and inspection measured on one message file of a peer's corpus.

`check(path)` runs what the agent runs on a submitted message — intake (agent/intake.py),
inspection (agent/policy/inspect.py) and the built-in rules — and answers (outcome, reason):

- "parsed":  accepted, and every part's content was inspected or flagged by a finding the
             default rules act on;
- "ignored": refused as bad input (intake.BadMessage); the reason is intake's one line,
             which names the header or part;
- "wrong":   accepted, and some part's content passed neither inspected nor flagged;
- "crashed": anything else raised; the reason names the exception and where.

"Inspected" is judged by an oracle that does not share the agent's code: transfer encodings
are undone with binascii and quopri, the declared charset with its codec (bad bytes
replaced), HTML rendered by lxml, and every word of three letters or more (after NFKC and
case folding) must be in the text the agent inspected for that part. What the oracle cannot
read itself (an unknown transfer encoding, two Content-Type or Content-Transfer-Encoding
headers that disagree) counts as inspected only when a finding flags the part. Images, PDFs
and other binary attachments are counted inspected when the agent read text from them or
flagged them.
"""

from __future__ import annotations

import binascii
import codecs
import copy
import pathlib
import quopri
import re
import traceback
import unicodedata
from email.message import Message

_WORD = re.compile(r"[^\W_]{3,}")  # "_" splits: tables.py writes it as a space
_BROKEN = re.compile(r"\w*\ufffd[\w\ufffd]*")
_KNOWN_CTE = {"", "7bit", "8bit", "binary", "base64", "quoted-printable"}
_UU_CTE = {"x-uuencode", "uuencode", "uue", "x-uue"}
# Real text mail rarely loses a word for good reasons (a word split by a soft line break at
# a tag, a word only in an attribute); a part counts as uninspected when more than this
# share of its words, or any word holding a digit (where identifiers live), is missing.
_MISSING_SHARE = 0.02
_SHOWN = 6  # missing words named in a reason
ENVELOPE_RECIPIENT = "conformance@recipient.example"


def _words(text: str) -> set[str]:
    return set(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _readable_words(text: str) -> set[str]:
    """Words of a text decoded with bad bytes replaced: a word touching a replacement
    character is not asked for (a reader shows it broken; the agent may read it better)."""
    return _words(_BROKEN.sub(" ", text))


def _raw_values(part: Message, name: str) -> list[str]:
    return [value for key, value in part.raw_items() if key.lower() == name]


def _unfolded(value: str) -> str:
    """A header value without folding, white space and (RFC 822 comments)."""
    return re.sub(r"\s+|\([^()]*\)", "", str(value)).lower()


def _body_bytes(part: Message) -> bytes:
    """The body as it came: the package undoes no transfer encoding when the part has none."""
    clone = copy.copy(part)
    del clone["Content-Transfer-Encoding"]
    payload = clone.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _base64(data: bytes) -> bytes:
    """As lenient readers decode it: what is not in the alphabet skipped, padding mended."""
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    data = data[: len(data) - 1] if len(data) % 4 == 1 else data
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


def _uudecode(data: bytes) -> bytes:
    out = []
    lines = data.splitlines()
    inside = False
    for line in lines:
        if line.startswith(b"begin "):
            inside = True
            continue
        if line.strip() == b"end":
            break
        if inside and line:
            try:
                out.append(binascii.a2b_uu(line))
            except binascii.Error:
                out.append(binascii.a2b_uu(line[: ((line[0] - 32) & 63) * 4 // 3 + 5]))
    return b"".join(out)


def _decoded(part: Message) -> tuple[bytes | None, str]:
    """The part's content by the oracle, or None and why it cannot be known."""
    ctes = {_unfolded(v) for v in _raw_values(part, "content-transfer-encoding")}
    if len(ctes) > 1:
        return None, f"Content-Transfer-Encoding given {len(ctes)} ways ({', '.join(sorted(ctes))})"
    cte = ctes.pop() if ctes else ""
    data = _body_bytes(part)
    if cte == "base64":
        return _base64(data), cte
    if cte == "quoted-printable":
        return quopri.decodestring(data), cte
    if cte in _UU_CTE:
        return _uudecode(data), cte
    if cte in _KNOWN_CTE:
        return data, cte
    return None, f"unknown Content-Transfer-Encoding {cte!r}"


def _charset(part: Message) -> str:
    for value in _raw_values(part, "content-type")[:1]:
        match = re.search(r"charset\s*=\s*\"?([^\s\";]+)", str(value), re.IGNORECASE)
        if match:
            try:
                return codecs.lookup(match.group(1)).name
            except LookupError:
                return "utf-8"
    return "utf-8"


def _html_words(text: str) -> set[str]:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return _readable_words(text)
    for comment in root.xpath("//comment()"):
        if comment.getparent() is not None:
            comment.getparent().remove(comment)  # a comment is shown by no reader
    return _readable_words(" ".join(root.itertext()))


def _expected_words(part: Message, data: bytes, items: list, location: str) -> set[str] | None:
    """Words a reader of this part sees, if it is text; None for other content."""
    own = [item for item in items if item.location == location]  # not an archive's members
    if part.get_content_maintype() != "text":
        if not any(item.kind in ("text", "html") for item in own):
            return None
        # Declared binary but read as text by the agent: which charset a viewer would pick is
        # anyone's guess, so only the ASCII words away from other bytes are asked for (every
        # ASCII-compatible charset agrees on them).
        text = re.sub(rb"\w*[\x80-\xff][\w\x80-\xff]*", b" ", data).decode("ascii")
        return _html_words(text) if any(item.kind == "html" for item in own) and text.strip() else _words(text)
    text = data.decode(_charset(part), errors="replace")
    return _html_words(text) if part.get_content_subtype() == "html" and text.strip() else _readable_words(text)


def _part_problem(part: Message, location: str, items: list, acted_on: set[str]) -> str:
    """Why this part's content passed uninspected and unflagged; "" when it did not."""
    if any(f.type in acted_on for item in items for f in item.findings):
        return ""
    content_types = {_unfolded(v).split(";")[0] for v in _raw_values(part, "content-type")}
    if len(content_types) > 1:
        return f"{location}: {len(content_types)} different Content-Type headers, part not flagged"
    data, why = _decoded(part)
    if data is None:
        return f"{location}: {why}, part not flagged"
    if not data.strip():
        return ""
    if data.startswith((b"PK\x03\x04", b"%PDF-")):  # whatever the label says, a reader's program opens it
        opened = any(
            item.location.startswith(location + "/") or item.kind in ("zip", "docx", "xlsx", "pdf") for item in items
        )
        return "" if opened else f"{location}: a {'ZIP' if data[:1] == b'P' else 'PDF'} read as text, not opened"
    inspected = set().union(*(_words(item.text) for item in items)) if items else set()
    expected = _expected_words(part, data, items, location)
    if expected is None:  # binary: read by a format's parser, or flagged
        return "" if any(item.text.strip() for item in items) else f"{location}: nothing read and not flagged"
    missing = expected - inspected
    if missing and (len(missing) > _MISSING_SHARE * len(expected) or any(c.isdigit() for w in missing for c in w)):
        shown = ", ".join(sorted(missing)[:_SHOWN])
        return f"{location}: {len(missing)} of {len(expected)} words not inspected ({shown})"
    return ""


def _enclosed_subjects(message: Message, items: list) -> str:
    """The Subject of a forwarded message (message/rfc822) is text its reader sees."""
    inspected = set().union(*(_words(item.text) for item in items))
    for part in message.walk():
        if part is message or part.get_content_maintype() != "message" or not part.is_multipart():
            continue
        for child in part.get_payload():
            missing = _words(str(child.get("Subject", ""))) - inspected
            if missing:
                return f"Subject of an enclosed {part.get_content_type()} not inspected ({', '.join(sorted(missing)[:_SHOWN])})"
    return ""


def _acted_on() -> set[str]:
    from agent.policy.rules import load_rules

    return {kind for rule in load_rules().rules for kind in rule.detectors}


def _inspect(raw: bytes) -> tuple[str, str]:
    from agent import intake
    from agent.policy.inspect import extract_all, extract_part, inspect_message, leaves, location
    from agent.policy.rules import load_rules
    from agent.service.planning import facts

    try:  # with an envelope, as the SMTP submission gives one: many samples have no To
        accepted = intake.parse(raw, [ENVELOPE_RECIPIENT])
    except intake.BadMessage as exc:
        return "ignored", str(exc)
    message = accepted.message
    acted_on = _acted_on()
    parts, problems = leaves(message)
    inspection = inspect_message(message)
    load_rules().evaluate(list(inspection.findings), facts(accepted, _Config(), inspection))
    intake.without_bcc(message).as_bytes()  # what the outbox stores and delivery sends
    if problems and any(f.type in acted_on for p in problems for f in p.findings):
        return "parsed", "structure beyond limits, flagged"
    problem = _enclosed_subjects(message, extract_all(message))
    if problem:
        return "wrong", problem
    for index, part in enumerate(parts, 1):
        where, _ = location(part, index)
        problem = _part_problem(part, where, extract_part(part, index), acted_on)
        if problem:
            return "wrong", problem
    return "parsed", f"{len(parts)} part(s) inspected"


class _Config:
    """Facts need to know who is inside; for measuring, everyone is outside."""

    @staticmethod
    def is_internal(address: str) -> bool:
        return False


# Beside their messages, peers' folders keep expected results (.json), attachments on their
# own, their code and their licences: none of that is a message.
_NOT_MAIL = {
    ".json",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".tif",
    ".tiff",
    ".wav",
    ".pdf",
    ".zip",
    ".py",
    ".rb",
    ".go",
    ".rs",
    ".js",
    ".ts",
    ".java",
    ".cs",
    ".md",
    ".rst",
    ".html",
    ".toml",
    ".yml",
    ".yaml",
    ".sh",
}
_NOT_MAIL_NAMES = {"copying", "license", "licence", "readme", "notice", "authors"}


def wants(path: pathlib.Path) -> bool:
    """Whether the runner should hand this file to check()."""
    return path.suffix.lower() not in _NOT_MAIL and path.stem.lower() not in _NOT_MAIL_NAMES


def check(path: pathlib.Path) -> tuple[str, str]:
    try:
        raw = pathlib.Path(path).read_bytes()
    except OSError as exc:
        return "crashed", f"cannot read {path}: {exc.strerror}"
    try:
        return _inspect(raw)
    except Exception as exc:  # noqa: BLE001 - anything but BadMessage is the finding here
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return "crashed", f"{type(exc).__name__} at {pathlib.Path(frame.filename).name}:{frame.lineno}: {exc}"[:300]
