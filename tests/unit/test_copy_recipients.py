"""Before an API transport sends a copy, its headers name that copy's recipients only."""

from agent.delivery.recipients import addresses_in, for_recipients

COPY = (
    b"From: Dr Chen <dr.chen@valleyclinic.example>\r\n"
    b'To: "Jordan Miles" <jordan.miles@familymail.example>, claims@harborbilling.example,\r\n'
    b" referrals@lakesidecardiology.example\r\n"
    b"Cc: Dr =?utf-8?q?L=C3=A9e?= <lee@valleyclinic.example>\r\n"
    b"Bcc: archive@valleyclinic.example\r\n"
    b"Subject: Lab results\r\n"
    b"Content-Type: multipart/encrypted; boundary=x\r\n\r\n--x\r\nsigned bytes: To: someone@else.example\r\n--x--\r\n"
)


def test_a_tls_copy_names_only_its_recipient_and_never_the_portal_one():
    out = for_recipients(COPY, ["claims@harborbilling.example"])
    assert addresses_in(out, "To") == ["claims@harborbilling.example"]
    assert addresses_in(out, "Cc") == [] and addresses_in(out, "Bcc") == []
    assert b"jordan.miles" not in out.split(b"\r\n\r\n")[0] and b"lee@" not in out


def test_display_names_survive_and_a_bcc_recipient_stays_hidden_in_bcc():
    out = for_recipients(
        COPY, ["lee@valleyclinic.example", "archive@valleyclinic.example", "jordan.miles@familymail.example"]
    )
    assert addresses_in(out, "To") == ["jordan.miles@familymail.example"]
    assert b"To: Jordan Miles <jordan.miles@familymail.example>" in out
    assert addresses_in(out, "Cc") == ["lee@valleyclinic.example"]
    assert addresses_in(out, "Bcc") == ["archive@valleyclinic.example"]


def test_the_body_is_not_touched():
    out = for_recipients(COPY, ["claims@harborbilling.example"])
    assert out.split(b"\r\n\r\n", 1)[1] == COPY.split(b"\r\n\r\n", 1)[1]
    assert out.startswith(b"From: Dr Chen") and b"Subject: Lab results" in out


def test_a_recipient_named_in_no_header_is_added_as_bcc():
    out = for_recipients(COPY, ["notice-only@portal.example"])
    assert addresses_in(out, "To") == [] and addresses_in(out, "Bcc") == ["notice-only@portal.example"]
