from email import policy
from email.parser import BytesParser

from agent.intake import parse
from agent.protect.entity import as_accepted, inner_entity
from agent.protect.pgp import pgp_mime

RAW = (
    b"From: =?utf-8?q?Dr=2E_=C3=89milie_Chen?= <e.chen@valleyclinic.example>\r\n"
    b"To: Partner <p@lakeside.example>\r\nBcc: secret@valleyclinic.example\r\n"
    b"Subject: Lab results for Jane Doe\r\nX-Mailer: Outlook\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nMRN: VC-0048213\r\n"
)
ARMOR = b"-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n"


def test_outer_message_is_rfc3156_and_hides_subject_and_bcc():
    source = as_accepted(parse(RAW).message)
    out = pgp_mime(source, ARMOR)
    message = BytesParser(policy=policy.default).parsebytes(out)
    assert message.get_content_type() == "multipart/encrypted"
    assert message.get_param("protocol") == "application/pgp-encrypted"
    control, body = message.iter_parts()
    assert control.get_content_type() == "application/pgp-encrypted" and b"Version: 1" in control.get_content()
    assert body.get_content_type() == "application/octet-stream"
    assert body.get_content().replace(b"\r\n", b"\n").strip() == ARMOR.strip()
    assert message["Subject"] == "..."
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Dr. Émilie Chen", "e.chen@valleyclinic.example")
    assert b"Bcc" not in out and b"secret@" not in out and b"X-Mailer" not in out
    assert message.defects == [] and all(p.defects == [] for p in message.walk())
    assert b"\n" not in out.replace(b"\r\n", b"")  # CRLF only


def test_inner_entity_carries_protected_headers_but_never_bcc():
    inner = inner_entity(as_accepted(parse(RAW).message))
    message = BytesParser(policy=policy.default).parsebytes(inner)
    assert message.get_param("protected-headers") == "v1"
    assert message["Subject"] == "Lab results for Jane Doe"
    assert "Bcc" not in message and "X-Mailer" not in message
    assert message.get_content().strip() == "MRN: VC-0048213"
