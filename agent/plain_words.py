"""What Postseal tells a clinician about a message, in words they understand, made here once.

Routing, policy and the set-up checks keep their technical reasons ("domain requires verified
TLS (tls.required_domains)", "no key on file: secure portal link with the key in the link",
"portal URL … ([portal] url)") for the audit log, `postseal policy check` and IT. The Outlook
task pane, the Gmail banner and note (and any other screen a clinician reads, the tray's too)
show the sentence made here instead: one per recipient, with no configuration keys and no
mail-server jargon. The
local API carries both — `reason` for admins and auditors, `says` for people
(docs/user-guide.md "In Outlook and Gmail").

Pure words in, words out (no I/O, no imports above agent.model), so each sentence is checked
by a unit test (tests/unit/test_plain_words.py) without an agent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from agent.model import Method


class Why(enum.StrEnum):
    """Why routing chose a recipient's method, as far as the sentence needs to know."""

    PLAIN = ""  # the method's usual reason (internal domain, a key or certificate on file)
    DISCOVERED = "discovered"  # an OpenPGP key published for the address (WKD, keyserver)
    REQUIRED_PARTNER = "required_partner"  # IT lists the partner's domain as requiring verified TLS
    SERVER_REQUIRES = "server_requires"  # the partner's mail service publishes that it requires it
    PORTAL_ONLY = "portal_only"  # a policy rule sends this content through the portal only
    END_TO_END = "end_to_end"  # verified TLS was possible, but the content must be end-to-end encrypted
    TLS_FAILED = "tls_failed"  # the partner's verified connection failed for hours: portal instead
    SENDER_ASKED = "sender_asked"  # the sender chose "send via the portal instead"
    OWN_REPLY = "own_reply"  # a secure portal reply coming back to the clinician who wrote


_PORTAL_TAIL = "they get a link and a one-time code to read it."

# (method, why) → the sentence. Every pair routing can produce is here; tests walk them all.
_SAYS: dict[tuple[Method, Why], str] = {
    (Method.INTERNAL, Why.PLAIN): "Inside your organization: delivered through your clinic's own mail system.",
    (Method.SMIME, Why.PLAIN): "Encrypted with their S/MIME certificate, so only they can open it.",
    (Method.SMIME, Why.OWN_REPLY): "Encrypted with your own S/MIME certificate, so your mail program opens it.",
    (Method.PGP, Why.PLAIN): "Encrypted with their OpenPGP key, so only they can open it.",
    (Method.PGP, Why.DISCOVERED): "Encrypted with the OpenPGP key they publish for their address, "
    "so only they can open it.",
    (Method.TLS, Why.REQUIRED_PARTNER): "Sent over a verified encrypted connection (required for this partner).",
    (Method.TLS, Why.SERVER_REQUIRES): "Sent over a verified encrypted connection (their mail service requires one).",
    (Method.PORTAL, Why.PLAIN): f"Goes to the secure portal: {_PORTAL_TAIL}",
    (Method.PORTAL, Why.PORTAL_ONLY): f"Goes to the secure portal, as your organization requires for this "
    f"content: {_PORTAL_TAIL}",
    (Method.PORTAL, Why.END_TO_END): f"Goes to the secure portal, because this content must be encrypted all "
    f"the way to them: {_PORTAL_TAIL}",
    (Method.PORTAL, Why.TLS_FAILED): f"Goes to the secure portal, because their encrypted connection kept "
    f"failing: {_PORTAL_TAIL}",
    (Method.PORTAL, Why.SENDER_ASKED): f"Goes to the secure portal, as you asked: {_PORTAL_TAIL}",
    (Method.KEPT, Why.OWN_REPLY): "Kept for you in Postseal under Secure replies, and put in your Inbox when "
    "you are signed in to Microsoft 365 or Google.",
}

# One sentence per method for a pair not in the table (a plan stored by an older agent).
_FALLBACK: dict[Method, str] = {
    Method.INTERNAL: _SAYS[(Method.INTERNAL, Why.PLAIN)],
    Method.SMIME: _SAYS[(Method.SMIME, Why.PLAIN)],
    Method.PGP: _SAYS[(Method.PGP, Why.PLAIN)],
    Method.TLS: "Sent over a verified encrypted connection.",
    Method.PORTAL: _SAYS[(Method.PORTAL, Why.PLAIN)],
    Method.KEPT: _SAYS[(Method.KEPT, Why.OWN_REPLY)],
}


def says(method: Method, why: Why = Why.PLAIN) -> str:
    """The one sentence a clinician reads about how this recipient gets the message."""
    return _SAYS.get((method, why)) or _FALLBACK[method]


def pairs() -> tuple[tuple[Method, Why], ...]:
    """Every (method, why) with a sentence of its own, for the tests."""
    return tuple(_SAYS)


# agent/policy/rules.py DETECTOR_TYPES, in a clinician's words (what was found, never the value).
FINDINGS: dict[str, str] = {
    "us_ssn": "Social Security number",
    "credit_card": "Credit card number",
    "mbi": "Medicare number (MBI)",
    "dea": "DEA number",
    "aba_routing": "Bank routing number",
    "ndc": "Drug code (NDC)",
    "dob": "Date of birth",
    "drivers_license": "Driver's licence number",
    "mrn": "Medical record number",
    "member_id": "Member or policy ID",
    "npi": "Provider number (NPI)",
    "icd10": "Diagnosis code (ICD-10)",
    "cpt": "Procedure code (CPT)",
    "phone": "Phone number",
    "email": "Email address",
    "us_address": "Street address",
    "patient_name": "Patient name",
    "hl7_patient_data": "Patient record (HL7)",
    "fhir_patient_data": "Patient record (FHIR)",
    "encrypted_archive": "Encrypted archive that could not be opened",
    "oversized_archive": "Archive too big to inspect",
    "uninspectable_attachment": "Attachment Postseal could not read",
    "mime_beyond_limits": "Message nested deeper than Postseal inspects",
}


def finding(kind: str) -> str:
    """A finding type in words; an unknown type (a newer detector) still reads as words."""
    return FINDINGS.get(kind) or kind.replace("_", " ").capitalize()


def found(counts: dict[str, int]) -> list[str]:
    """ "Social Security number: 1" per finding type, in the order they were found."""
    return [f"{finding(kind)}: {count}" for kind, count in counts.items()]


def policy_reason(reason: str, rule: str, blocks: bool = False) -> str:
    """A policy decision's reason for the sender. A rule's own `message` is written for them
    (agent/policy/hipaa_default.toml); a rule without one has only "rule NAME: ACTION"."""
    text = reason.strip()
    if not text or text.startswith(f"rule {rule}:"):
        return (
            "Your organization's rules do not allow this message to be sent."
            if blocks
            else "Your organization's rules require a review of this message before it leaves."
        )
    return text


def protected(methods: Iterable[Method]) -> str:
    """How the agent protects a message it sends itself, as the end of a sentence."""
    found = set(methods)
    encrypted = bool(found & {Method.SMIME, Method.PGP})
    # Colleagues and verified-connection partners on the same message get it as they always do;
    # the sentence speaks of the others (the pane lists each recipient's own line).
    if encrypted and Method.PORTAL in found:
        return "encrypted or through the secure portal, as each recipient needs"
    if Method.PORTAL in found:
        return "through the secure portal for the recipients who need it (they get a link and a one-time code)"
    return "encrypted for the recipients who need it, so only they can open it"


# The draft's fields (addins/PROTOCOL.md) as a clinician sees them in the compose window.
_FIELDS = {
    "to": "the To line",
    "cc": "the Cc line",
    "bcc": "the Bcc line",
    "from": "the sender (From)",
    "subject": "the subject",
    "body": "the message text",
    "body.content": "the message text",
    "client": "the add-in",
    "draft_id": "the draft",
    "attachments": "the attachments",
}
_FIELD = re.compile(r"\bdraft\.(body\.content|[a-z_]+)(?:\[(\d+)\])?(?:\.[a-z_]+)?")


def draft_problem(text: str) -> str:
    """A BadDraft's text ("draft.to: 'x' is not an email address") with the draft's field
    paths in compose-window words ("the To line: …")."""

    def word(match: re.Match[str]) -> str:
        name, number = match.group(1), match.group(2)
        if name == "attachments" and number is not None:
            return f"attachment {int(number) + 1}"
        return _FIELDS.get(name, "the draft")

    return _FIELD.sub(word, text)
