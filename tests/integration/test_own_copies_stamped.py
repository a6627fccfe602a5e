"""The agent's own deliveries carry a stamp too: an organization that rejects external mail
without a valid X-Postseal-Verdict (addins/outlook/README.md, addins/gmail/README.md) must
not reject the protected copies the agent sends itself."""

from __future__ import annotations

import re

from tests.conftest import SENDER
from tests.integration.test_compose import post

MESSAGE = (
    f"From: Dr Chen <{SENDER}>\r\nTo: referrals@lakesidecardiology.example, "
    "jordan.miles@familymail.example, claims@harborbilling.example\r\n"
    "Subject: Follow-up for Robert Alvarez\r\nMessage-ID: <own-copies-1@valleyclinic.example>\r\n"
    "X-Postseal-Verdict: v1.carriedover.fromaclient\r\n\r\n"
    "Follow-up visit Friday; INR 3.8 on the last check.\r\n"
).encode()


def verify(running, data: bytes, recipients: tuple[str, ...]) -> dict:
    status, answer = post(running, f"/v1/stamps/verify?recipients={','.join(recipients)}", data, "message/rfc822")
    assert status == 200, answer
    return answer


def test_every_copy_the_agent_delivers_verifies_and_fits_only_itself(start_agent, sink, partner):
    running = start_agent(sink.port)
    running.pipeline.pgp.generate(SENDER)
    running.pipeline.pgp.import_keys(partner.public_key())
    status, answer = post(running, "/v1/messages", MESSAGE, "message/rfc822")
    assert status == 202, answer
    assert sink.wait_for(3, timeout=60)
    copies = {r.recipients: r for r in sink.received}
    methods = {r["address"]: r["method"] for r in answer["plan"]["recipients"]}
    assert sorted(methods.values()) == ["pgp", "portal", "tls"]
    for recipients, received in copies.items():
        stamps = re.findall(rb"(?im)^X-Postseal-Verdict:", received.data.split(b"\r\n\r\n", 1)[0])
        assert len(stamps) == 1, "one stamp per copy; a client's stamp is not carried over"
        # One line when it fits, so a gateway rule matching its shape sees it whole.
        assert re.search(rb"(?m)^X-Postseal-Verdict: v1\.[A-Za-z0-9_.-]+\r\n(?! )", received.data)
        result = verify(running, received.data, recipients)
        assert result["valid"], (methods[recipients[0]], result)
    # A copy's stamp says nothing about another copy: other recipients, other subject.
    pgp = next(r for r in sink.received if methods[r.recipients[0]] == "pgp")
    tls = next(r for r in sink.received if methods[r.recipients[0]] == "tls")
    assert not verify(running, pgp.data, tls.recipients)["valid"]
    delivered = [r for r in running.pipeline.audit.records() if r.get("event") == "delivered"]
    assert len(delivered) == 3 and all(r.get("verdict") for r in delivered)  # the audit names each stamp


def test_a_draft_with_too_many_recipients_for_one_header_line_is_sent_by_the_agent(start_agent, sink):
    from tests.integration.test_compose import draft

    running = start_agent(sink.port)
    crowd = [f"staff{i:02}@valleyclinic.example" for i in range(40)]
    status, answer = post(running, "/v1/compose", draft(to=crowd, subject="All-staff: flu clinic"))
    # The client could not carry a stamp that long on one line (RFC 5322: 998 characters).
    assert status == 200 and answer["decision"] == "sent" and "stamp" not in answer, answer
    assert sink.wait_for(1, timeout=60)
    [received] = sink.received
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    assert verify(running, received.data, received.recipients)["valid"]  # folded, still valid
    few = post(running, "/v1/compose", draft(to=crowd[:5], subject="Rota"))[1]
    assert few["decision"] == "allow" and len(few["stamp"]) < 998
