"""Bounces that are no RFC 3464 report, read by their wording with flufl.bounce.

Most relays send a delivery-status report (agent/bounces.py reads it). Many do not: qmail,
Exim without DSN, Yahoo, GroupWise, SMTP32, Exchange's and Amazon's text notices name the
failed address in prose; and some reports are malformed (a misspelt field, the returned
headers run into the status part). GNU Mailman's detectors for those, published as
flufl.bounce, are maintained and were measured against the same corpora as our own parser
(docs/conformance.md#bounces): of sisimai's 629 bounces our RFC 3464 parser reads 313, and
flufl.bounce reads 177 of the others, with the number of recipients sisimai expects in all
but one; of flufl's own 117, ours reads 10 and flufl.bounce 102 more. It gives addresses
only (no status, no diagnostic, no envelope id), so it is the second reader, never the
first: an RFC 3464 report is read by our parser, which keeps what flufl.bounce throws away.

flufl.bounce can take a stray address for a failed one (the sender's own, a quoted
Message-ID, an alias beside the address it expanded to): alone, it named more recipients
than sisimai expects in 8 of the 501 sisimai bounces where it found any. We drop the two
kinds that are never a recipient, the bounce's addressee and the quoted Message-ID, which
leaves one (an Exim alias named beside its target); what remains costs little: a bounce is applied only to recipients of the
message it matches (agent/service/actions.py), and any other address is reported back as
unmatched.
"""

from __future__ import annotations

import logging
import re
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses

from flufl.bounce import all_failures

log = logging.getLogger(__name__)
READ_BYTES = 2 * 1024 * 1024
# flufl.bounce logs a detector's exception with its traceback before raising it; we catch it
# and log one line of our own (a traceback in the agent's log is noise, and the bounce's text
# could reach it through the exception's message).
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
_ADDRESS = re.compile(r"[^\s<>@\"]+@[A-Za-z0-9.-]+")


def _addresses(found) -> list[str]:
    text = (a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in found)
    return sorted({a.strip("<>").lower() for a in text if _ADDRESS.fullmatch(a.strip("<>"))})


def failures(raw: bytes) -> tuple[list[str], list[str]]:
    """(permanently failed, delayed) addresses the bounce names; two empty lists when none.

    Only the first READ_BYTES are read: the notice that names the addresses comes first, the
    returned message after it, and the detectors take about half a second per megabyte of
    text (a 50 MB bounce quoting its original inline would hold a worker thread for 25 s)."""
    message = message_from_bytes(raw[:READ_BYTES], policy=policy.compat32)
    try:
        temporary, permanent = all_failures(message)
    except Exception as exc:  # noqa: BLE001 — a detector's bug on hostile input is "not recognized"
        log.info("flufl.bounce could not read a bounce (%s)", type(exc).__name__)
        return [], []
    # Not a recipient that failed: the bounce's addressee (the sender whose mail came back,
    # which flufl.bounce sometimes finds in the quoted From) and the quoted Message-ID.
    not_recipients = {a.lower() for _, a in getaddresses(message.get_all("To", []))} | {quoted_message_id(message)}
    failed = [a for a in _addresses(permanent) if a not in not_recipients]
    return failed, [a for a in _addresses(temporary) if a not in failed and a not in not_recipients]


def quoted_message_id(message: Message) -> str:
    """The Message-ID of the original as a text bounce quotes it ("Message-ID: <…>" at the
    start of a line of a text part), without <>; "" when none is quoted."""
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        body = part.get_payload(decode=True) or b""
        match = re.search(rb"^[ \t>]*Message-ID:[ \t]*<?([^<>\s]+@[^<>\s]+?)>?[ \t]*\r?$", body, re.I | re.M)
        if match:
            return match.group(1).decode("utf-8", "replace")[:300]
    return ""
