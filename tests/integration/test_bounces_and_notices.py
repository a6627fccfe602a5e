"""Bounces that arrive after the relay's 250 (RFC 3464), and the sender being told."""

import json
import threading
import time

from aiosmtpd.controller import Controller

from agent.api.client import AgentClient, ApiError
from agent.demo_world import SmtpSink, free_port
from tests.conftest import SAMPLES, SENDER, run_cli

CARE_TEAM = SAMPLES / "06-care-team-update.eml"  # partner (portal/PGP), nurse (internal), Dr. Okafor (portal)
INTERNAL = SAMPLES / "01-internal-note.eml"
NURSE = "nurse.patel@valleyclinic.example"


def _notices(sink: SmtpSink, original_message_id: str) -> list:
    return [r for r in sink.to(SENDER) if r.message["In-Reply-To"] == original_message_id]


def _notice_rows(client: AgentClient) -> list[dict]:
    return [m for m in client.outbox() if m["message_id"].startswith("postseal-notice-")]


def _wait_for_notice(client: AgentClient, final: tuple[str, ...] = ("delivered", "failed")) -> dict:
    """The notice is queued by the agent itself, shortly after the failure."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = _notice_rows(client)
        if rows:
            record = client.wait(rows[0]["id"], timeout=1, final=final)
            if record["state"] in final:
                return record
        else:
            time.sleep(0.1)
    raise AssertionError("no failure notice was queued")


def test_a_bounce_fails_that_recipient_only_and_the_sender_gets_a_notice_without_content(start_agent, ca, home):
    with SmtpSink(ca, dsn=True) as sink:
        running = start_agent(sink.port)
        client = AgentClient(running.api_url, running.token, timeout=20)
        ident = client.submit(CARE_TEAM.read_bytes()).id
        assert client.wait(ident)["state"] == "delivered"

        # The relay offers DSN: it was given our outbox id and told to return headers only.
        to_nurse = sink.to(NURSE)[0]
        assert f"ENVID={ident.upper()}" in to_nurse.mail_options and "RET=HDRS" in to_nurse.mail_options
        assert "NOTIFY=FAILURE,DELAY" in to_nurse.rcpt_options

        # A day later the nurse's mailbox turns out to be gone; the relay mails a bounce that
        # quotes the whole message (as some relays do whatever RET says).
        report = sink.bounce(
            to_nurse, NURSE, diagnostic="smtp; 550 5.1.1 <nurse.patel@…>: User unknown", headers_only=False
        )
        result = client.bounce(report)
        assert result["id"] == ident and result["unmatched"] == []
        assert [(r["address"], r["action"], r["status"], r["state"]) for r in result["recipients"]] == [
            (NURSE, "failed", "5.1.1", "failed")
        ]

        record = client.message(ident)
        states = {r["address"]: (r["state"], r["reason"]) for r in record["recipients"]}
        assert states[NURSE][0] == "failed" and "5.1.1" in states[NURSE][1] and "User unknown" in states[NURSE][1]
        assert all(state == "delivered" for address, (state, _) in states.items() if address != NURSE)
        assert record["state"] == "failed"

        # The sender is told in their own mailbox: who, why, when — not what.
        original = to_nurse.message["Message-ID"]
        assert _wait_for_notice(client)["state"] == "delivered"
        notices = _notices(sink, original)
        assert len(notices) == 1
        notice = notices[0].message
        text = notice.get_body(("plain",)).get_content()
        assert notice["Auto-Submitted"] == "auto-replied" and notice["To"] == SENDER
        assert NURSE in text and "User unknown" in text and ident in text
        for secret in ("Alvarez", "apixaban", "VC-0048213", "Care team update"):
            assert secret not in notice.as_string()

        # The bounce's quoted message was not kept: nothing of it is in the outbox files.
        stored = b"".join(p.read_bytes() for p in home.glob("outbox.sqlite3*"))
        assert b"Alvarez" not in stored and b"apixaban" not in stored
        audit = [r for r in client.audit() if r["event"] == "bounced"]
        assert len(audit) == 1 and audit[0]["recipients"] == [NURSE]

        # The same bounce handed over twice changes nothing and sends no second notice.
        again = client.bounce(report)
        assert again["recipients"][0]["state"] == "failed"
        assert len([r for r in client.audit() if r["event"] == "bounced"]) == 1
        assert len(_notice_rows(client)) == 1


def test_without_dsn_support_the_bounce_is_matched_by_message_id(start_agent, sink, home):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    ident = client.submit(INTERNAL.read_bytes()).id
    assert client.wait(ident)["state"] == "delivered"
    received = sink.to(NURSE)[0]
    assert not any(o.startswith("ENVID") for o in received.mail_options)  # the sink offers no DSN
    path = home / "bounce.eml"
    path.write_bytes(sink.bounce(received, NURSE, status="5.2.2", diagnostic="smtp; 552 5.2.2 Mailbox full"))
    result = run_cli("bounce", str(path), "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["recipients"][0]["state"] == "failed"
    assert "5.2.2" in client.message(ident)["reason"]


def test_a_delay_report_is_recorded_but_changes_no_state(start_agent, sink):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    ident = client.submit(INTERNAL.read_bytes()).id
    assert client.wait(ident)["state"] == "delivered"
    report = sink.bounce(
        sink.to(NURSE)[0], NURSE, action="delayed", status="4.4.1", diagnostic="smtp; 451 4.4.1 try again later"
    )
    assert client.bounce(report)["recipients"][0]["state"] == "delivered"
    assert client.message(ident)["state"] == "delivered"
    assert [r["event"] for r in client.audit()].count("dsn") == 1


def test_what_is_not_a_bounce_or_matches_nothing_is_refused_clearly(start_agent, sink, home):
    running = start_agent(sink.port)
    client = AgentClient(running.api_url, running.token, timeout=20)
    for raw, status, code in (
        (INTERNAL.read_bytes(), 400, "not_a_dsn"),
        (
            b"Content-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n--x--\r\n",
            400,
            "not_a_dsn",
        ),
    ):
        try:
            client.bounce(raw)
        except ApiError as exc:
            assert (exc.status, exc.code) == (status, code)
        else:
            raise AssertionError("accepted a message that is not a DSN")
    ident = client.submit(INTERNAL.read_bytes()).id
    client.wait(ident)
    stranger = sink.bounce(sink.to(NURSE)[0], NURSE).replace(
        b"<20261124091200.internal-note@valleyclinic.example>", b"<someone-else@example.org>"
    )
    try:
        client.bounce(stranger)
    except ApiError as exc:
        assert exc.status == 404 and "matches no message" in str(exc)
    else:
        raise AssertionError("a bounce for an unknown message was applied")
    path = home / "not-a-bounce.eml"
    path.write_bytes(INTERNAL.read_bytes())
    result = run_cli("bounce", str(path), home=home)
    assert result.returncode == 2 and b"not a delivery status notification" in result.stderr


class _AlwaysLater:
    async def handle_DATA(self, server, session, envelope):
        return "451 4.3.0 Try again later"


def test_giving_up_fails_the_message_tells_the_tray_and_queues_one_notice(start_agent, home):
    port = free_port()
    controller = Controller(_AlwaysLater(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # Give up after ~2 s instead of 5 days; retry every second meanwhile.
        running = start_agent(
            port,
            relay={"starttls": "off"},
            outbox={"give_up_after_hours": 0.0006, "retry_first_seconds": 1, "retry_max_seconds": 1},
        )
        client = AgentClient(running.api_url, running.token, timeout=30)
        stream = client.events()
        assert next(stream) == {"type": "hello"}
        notices: list[dict] = []

        def listen() -> None:
            for event in stream:
                if event["type"] == "notice":
                    notices.append(event)
                    return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        ident = client.submit(INTERNAL.read_bytes()).id
        record = client.wait(ident, timeout=30)
        assert record["state"] == "failed"
        assert "not delivered after 2 seconds" in record["reason"] and "451 4.3.0" in record["reason"]
        listener.join(10)
        assert notices and notices[0]["id"] == ident and NURSE in notices[0]["text"]

        # The notice itself cannot be delivered either (the relay still says 451) and gives
        # up in turn — without a notice about the notice (Auto-Submitted, RFC 3834).
        notice = _wait_for_notice(client, final=("failed",))
        assert notice["message_id"] == f"postseal-notice-{ident}@valleyclinic.example"
        assert len(_notice_rows(client)) == 1
    finally:
        controller.stop()
