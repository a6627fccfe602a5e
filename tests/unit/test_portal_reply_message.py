"""The message a secure portal reply becomes (agent/portal_sync.py): threading headers with
their angle brackets (RFC 5322 §3.6.4), and what the outside of its encrypted copy says."""

from email import message_from_bytes, policy

from agent.portal_sync import REPLY_HEADER, reply_message, thread_ids
from agent.protect.entity import REPLY_OUTER_SUBJECT, as_accepted, outer_headers

CLINICIAN = "dr.chen@valleyclinic.example"
PATIENT = "maria.gonzalez@mailbox.example"


def test_in_reply_to_carries_angle_brackets_and_references_keep_the_thread():
    assert thread_ids("a1@clinic.example", "") == ("<a1@clinic.example>", "<a1@clinic.example>")
    assert thread_ids("<a1@clinic.example>", "") == ("<a1@clinic.example>", "<a1@clinic.example>")
    assert thread_ids("a2@clinic.example", "<a0@x.example>\r\n <a1@clinic.example>") == (
        "<a2@clinic.example>",
        "<a0@x.example> <a1@clinic.example> <a2@clinic.example>",
    )
    assert thread_ids("", "<a0@x.example>") == ("", "")


def test_the_reply_threads_under_the_original_and_its_encrypted_copy_says_only_what_it_is():
    raw = reply_message(
        CLINICIAN,
        PATIENT,
        "Your visit on November 23",
        "visit-1@valleyclinic.example",
        {"text": "Thank you", "attachments": []},
        "<earlier@valleyclinic.example>",
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert message["In-Reply-To"] == "<visit-1@valleyclinic.example>"
    assert message["References"] == "<earlier@valleyclinic.example> <visit-1@valleyclinic.example>"
    assert message["Subject"] == "Re: Your visit on November 23" and message[REPLY_HEADER] == PATIENT
    outside = outer_headers(as_accepted(message))
    assert f"Subject: {REPLY_OUTER_SUBJECT}" in outside and "In-Reply-To: <visit-1@valleyclinic.example>" in outside
    assert not [h for h in outside if "November" in h or h.startswith(REPLY_HEADER)]
    assert "Subject: ..." in outer_headers(as_accepted(message_from_bytes(b"Subject: Lab\r\n\r\nx\r\n")))
