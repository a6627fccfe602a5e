"""A clinician signed in to Microsoft 365 or Google, without an S/MIME identity: a recipient's
secure portal reply is put in their own Inbox through the provider's API (Graph: a message
created in the Inbox folder; Gmail: users.messages.insert), inside the organization's tenant,
and never sent; it threads under the original and is listed under Secure replies too."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from agent.api.client import AgentClient
from tests.accounts.conftest import sign_in
from tests.conftest import SAMPLES, SENDER, run_cli
from tests.portal_reply import ORIGINAL_ID, ORIGINAL_SUBJECT, PATIENT, provider_inbox, reply_through_portal, wait_until

TEXT = "Thank you, doctor. My readings since the visit are attached."
FILE = "readings.csv"
DATA = b"date,glucose\n2026-11-30,142\n"


@pytest.fixture
def signed_in(start_agent, sink, ca, os_keyring, home):
    def start(fake, provider: str) -> AgentClient:
        accounts = {**fake.settings(), "ca_file": str(ca.ca_file), "sign_in_timeout": 20}
        running = start_agent(sink.port, accounts=accounts, portal={"poll_seconds": 1})
        client = AgentClient(running.api_url, running.token, timeout=60)
        status = sign_in(client, provider, ca)
        assert status["state"] == "signed_in" and status["address"] == SENDER, status.get("error")
        sent = run_cli("send", str(SAMPLES / "03-patient-followup.eml"), "--wait", home=home)
        assert sent.returncode == 0, sent.stderr + sent.stdout
        return client

    return start


def the_reply_as_sent(mime: bytes) -> None:
    message = message_from_bytes(mime, policy=policy.default)
    assert str(message["Subject"]) == f"Re: {ORIGINAL_SUBJECT}" and str(message["Reply-To"]) == PATIENT
    assert str(message["In-Reply-To"]) == ORIGINAL_ID and ORIGINAL_ID in str(message["References"])
    assert TEXT in message.get_body(("plain",)).get_content()
    [file] = list(message.iter_attachments())
    assert file.get_filename() == FILE and file.get_payload(decode=True) == DATA


def listed_in_the_tray(client: AgentClient, where: str) -> None:
    [listed] = wait_until(lambda: [r for r in client.replies() if r["state"] == "delivered"], "never listed")
    assert listed["method"] == "kept" and where in listed["where"], listed


def test_a_reply_is_inserted_in_the_gmail_inbox_and_not_sent(signed_in, google):
    client = signed_in(google, "google")
    reply_through_portal(provider_inbox(google.delivered), TEXT, FILE, DATA, content_type="text/csv")
    [placed] = wait_until(lambda: google.inserted, "the reply never reached the Gmail Inbox")
    assert placed["labelIds"] == ["INBOX", "UNREAD"] and placed["internalDateSource"] == "dateHeader"
    the_reply_as_sent(placed["mime"])
    listed_in_the_tray(client, "placed in your Gmail Inbox")
    assert not [d for d in google.delivered if d["recipients"] == [SENDER]], "placed, not sent"


def test_a_reply_is_created_in_the_microsoft_365_inbox_and_not_sent(signed_in, microsoft):
    client = signed_in(microsoft, "microsoft")
    reply_through_portal(provider_inbox(microsoft.delivered), TEXT, FILE, DATA, content_type="text/csv")
    [placed] = wait_until(lambda: microsoft.folders.get("inbox"), "the reply never reached the Inbox")
    the_reply_as_sent(placed)
    listed_in_the_tray(client, "placed in your Microsoft 365 Inbox")
    assert not [d for d in microsoft.delivered if d["recipients"] == [SENDER]], "placed, not sent"


def test_a_sign_in_without_the_insert_scope_leaves_the_reply_kept_for_the_tray(signed_in, google):
    """A sign-in made before Postseal asked for gmail.insert: Gmail refuses the insert (403
    insufficientPermissions); the reply is kept, listed, and the proof says why."""
    client = signed_in(google, "google")
    for grant in [*google.access_tokens.values(), *google.refresh_tokens.values()]:
        grant.scopes.discard("https://www.googleapis.com/auth/gmail.insert")
    google.expire_access_tokens()  # the refresh asks for no more than was granted: mail still flows
    reply_through_portal(provider_inbox(google.delivered), TEXT, FILE, DATA, content_type="text/csv")
    listed_in_the_tray(client, "your mailbox did not take it")
    assert google.inserted == [] and client.accounts()["accounts"][0]["state"] == "ready"
