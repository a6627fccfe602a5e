"""The failure notice a sender finds in their own mailbox when a message could not be delivered.

The tray shows the failure at once; the notice is for the clinician who is not looking at
the tray (or whose laptop was closed). It names the recipients, the reasons and the time of
the original, and threads with it (In-Reply-To) so the mail client shows which message it
was — but it repeats neither the subject nor the body: subjects carry PHI often enough
("Labs for J. Smith") that a notice must not copy them into another message.

It is marked `Auto-Submitted: auto-replied` (RFC 3834), so a notice that fails is never
answered with another notice, and an automated sender (an EHR marking its mail
auto-generated) gets webhook events instead of mail.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime

from agent.model import State
from agent.outbox import MessageRow


def notice_message_id(row: MessageRow) -> str:
    """Fixed per failed message: submitting the notice twice queues it once (Duplicate)."""
    domain = row.sender.rpartition("@")[2] or "localhost"
    return f"postseal-notice-{row.id}@{domain}"  # stored without <>, like every Message-ID


def is_automatic(raw_headers: bytes) -> bool:
    value = BytesHeaderParser().parsebytes(raw_headers).get("Auto-Submitted", "no")
    return value.strip().lower() != "no"


def failure_notice(row: MessageRow) -> bytes:
    failed = [r for r in row.recipients if r.state == State.FAILED]
    delivered = [r for r in row.recipients if r.state == State.DELIVERED]
    sent = datetime.fromtimestamp(row.created).astimezone()
    lines = [
        f"Postseal could not deliver your message of {sent:%A %d %B %Y at %H:%M} "
        f"to {'this recipient' if len(failed) == 1 else 'these recipients'}:",
        "",
        *(f"  {r.address}\n      {r.reason}" for r in failed),
        "",
    ]
    if delivered:
        lines += ["It was delivered, protected, to:", "", *(f"  {r.address}" for r in delivered), ""]
    lines += [
        "The message itself is not repeated here. Open Postseal (tray icon > Outbox) to see it,",
        "check the address, and send it again.",
        "",
        f"Message-ID of your message: {row.message_id}",
        f"Postseal outbox id: {row.id}",
    ]
    notice = EmailMessage()
    notice["From"] = f"Postseal <{row.sender}>"
    notice["To"] = row.sender
    notice["Subject"] = "Not delivered: your message of " + f"{sent:%d %b %Y %H:%M}"
    notice["Date"] = format_datetime(datetime.now().astimezone())
    notice["Message-ID"] = f"<{notice_message_id(row)}>"
    notice["In-Reply-To"] = f"<{row.message_id}>"
    notice["References"] = f"<{row.message_id}>"
    notice["Auto-Submitted"] = "auto-replied"
    notice.set_content("\n".join(lines) + "\n")
    return notice.as_bytes()
