"""How the tray words a secure reply (agent/api/replies.py): where else the clinician finds it,
and the date on an older one."""

import base64
import time

from agent.api.replies import SecureReply


def reply(**fields) -> SecureReply:
    return SecureReply.from_json(
        {
            "id": "r1",
            "from": "maria.gonzalez@mailbox.example",
            "subject": "Re: Visit",
            "received": 1_700_000_000.0,
            "state": "delivered",
            "attachments": 2,
            **fields,
        }
    )


def test_the_tray_says_where_else_a_reply_is():
    assert reply(method="smime").how() == "Yes, encrypted (S/MIME)"
    assert (
        reply(
            method="kept", where="201 placed in your Gmail Inbox (message 1a); also under Secure replies in the tray"
        ).how()
        == "Yes, in your Inbox"
    )
    assert reply(method="kept", where="kept in Postseal: Secure replies in the tray").how() == "No: read it here"
    assert reply(method="kept", state="queued").how() == "Not yet: being delivered"
    assert reply(method="pgp").how() == "Yes, encrypted (OpenPGP)"


def test_a_listed_reply_counts_its_files_and_a_read_one_carries_them():
    assert reply(method="kept").attachment_count == 2 and reply(method="kept").files == ()
    read = reply(
        method="kept",
        text="Thanks",
        attachments=[
            {
                "filename": "a.jpg",
                "content_type": "image/jpeg",
                "size": 3,
                "data": base64.b64encode(b"\xff\xd8x").decode(),
            }
        ],
    )
    assert read.attachment_count == 1 and read.files[0].data == b"\xff\xd8x" and read.text == "Thanks"


def test_an_older_reply_shows_its_date():
    received = reply(method="kept").received
    assert reply(method="kept").when(now=received) == time.strftime("%H:%M", time.localtime(received))
    assert (
        reply(method="kept")
        .when(now=received + 3 * 86400)
        .startswith(time.strftime("%Y-%m-%d", time.localtime(received)))
    )
