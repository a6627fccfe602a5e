"""Mail the agent writes itself, for a person who needs to know something now: the portal's
one-time codes (to a recipient), and the sender's warnings (a portal message about to lapse
unopened). None of it carries message content, a subject or PHI.

Codes go out at once through the sender's transport (their mailbox, or the relay), stamped
like every copy the agent sends; they are not queued: a code that cannot be sent now is
useless later, and the recipient simply asks again.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from agent.delivery import Transport
from agent.delivery.smtp import DeliveryError
from agent.portal.branding import Branding
from agent.stamp import Stamper


def code_mail(sender: str, recipient: str, code: str, org: str, branding: Branding | None = None) -> bytes:
    """The one-time code, saying who asks for it: the clinic's name and how to reach it (the
    portal's branding), so a patient can tell this mail from a phishing one."""
    clinic = (branding.name if branding else "") or org
    out = EmailMessage()
    out["From"] = formataddr((f"{clinic} secure messages", sender))
    out["To"] = recipient
    out["Subject"] = f"Your code for the secure message from {clinic}"
    out["Date"] = formatdate(localtime=True)
    out["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    out["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    contact = branding.contact_line() if branding else ""
    out.set_content(
        f"Your code is {code}\n\n"
        f"{clinic} sent you a secure message. Type this code on the secure message page to open it.\n"
        "It works for 10 minutes, once. Nobody from the clinic will ever ask you for it.\n"
        "If you did not ask for a code, you can ignore this e-mail.\n" + (f"\n{contact}\n" if contact else "")
    )
    return out.as_bytes()


def expiry_warning(sender: str, recipient: str, expires: float, org: str) -> bytes:
    out = EmailMessage()
    out["From"] = formataddr(("Postseal", sender))
    out["To"] = sender
    out["Subject"] = f"Your secure message to {recipient} has not been opened"
    out["Date"] = formatdate(localtime=True)
    out["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    out["Auto-Submitted"] = "auto-generated"
    day = time.strftime("%B %d, %Y", time.localtime(expires))
    out.set_content(
        f"{recipient} has not opened the secure message you sent through {org}'s portal.\n"
        f"It can be opened until {day}; after that the portal deletes it.\n\n"
        "If they still need it, call them, or send it again once it has lapsed.\n"
    )
    return out.as_bytes()


def send_now(stamper: Stamper, transport: Transport, sender: str, recipient: str, raw: bytes) -> None:
    """Deliver at once through the sender's transport, stamped like every copy the agent
    sends; DeliveryError when it did not go."""
    _, data = stamper.stamp_copy(raw, [recipient])
    result = transport.send(sender, [recipient], data, False)
    outcome = result.recipients.get(recipient)
    if outcome is None or not outcome.ok:
        raise DeliveryError(f"not accepted for {recipient}: {outcome.reply if outcome else 'no answer'}")
