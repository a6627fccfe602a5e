import pytest

from agent.intake import BadMessage, parse, without_bcc

GOOD = (
    b"From: Dr. Chen <dr.chen@valleyclinic.example>\r\nTo: a@x.example\r\nCc: b@y.example\r\n"
    b"Bcc: hidden@z.example\r\nSubject: hi\r\n\r\nhello\r\n"
)


def test_recipients_come_from_to_cc_and_bcc_and_ids_are_filled_in():
    intake = parse(GOOD)
    assert intake.sender == "dr.chen@valleyclinic.example"
    assert intake.recipients == ("a@x.example", "b@y.example", "hidden@z.example")
    assert intake.message_id and "Date" in intake.message


def test_bcc_never_leaves_in_the_copy():
    copy = without_bcc(parse(GOOD).message)
    assert "Bcc" not in copy and b"hidden@z.example" not in copy.as_bytes()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty"),
        (b"just some text without headers", "no RFC 822 headers|From header"),
        (b"To: a@x.example\r\n\r\nbody", "From header"),
        (b"From: a@x.example\r\n\r\nbody", "no recipients"),
        (b"From: a@x.example\r\nTo: not-an-address\r\n\r\nbody", "'not-an-address' is not a valid"),
        (b"From: a@x.example\r\nTo: b@x.example\r\nContent-Type: multipart/mixed\r\n\r\nbody", "malformed MIME"),
        (
            b"From: a@x.example\r\nTo: b@x.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here",
            "malformed MIME",
        ),
    ],
)
def test_bad_messages_are_refused_with_a_reason(raw, problem):
    with pytest.raises(BadMessage, match=problem):
        parse(raw)


def test_oversized_message_is_refused(monkeypatch):
    import agent.intake as intake

    monkeypatch.setattr(intake, "MAX_MESSAGE_BYTES", 1000)
    with pytest.raises(BadMessage, match="limit"):
        parse(GOOD + b"x" * 2000)
