"""What the tray says in each state, and which state wins: pure data, no agent needed."""

import time

from agent.api.keyring import KeyEntry
from agent.api.messages import OutboxMessage
from gui.status import Tone, tray_status


def message(state: str, *recipients: str, waiting: bool = False) -> OutboxMessage:
    return OutboxMessage.from_json(
        {
            "id": f"id-{state}-{len(recipients)}",
            "subject": "s",
            "sender": "dr.chen@valleyclinic.example",
            "created": 1.0,
            "updated": 1.0,
            "state": state,
            "reason": "",
            "recipients": [
                {"address": a, "method": "pgp", "state": state, "waiting_for_network": waiting}
                for a in recipients or ("a@partner.example",)
            ],
        }
    )


def own_key(days: float, revoked: bool = False) -> KeyEntry:
    return KeyEntry.from_json(
        {
            "fingerprint": "AB" * 20,
            "emails": ["dr.chen@valleyclinic.example"],
            "expires": int(time.time() + days * 86400),
            "secret": True,
            "usable": days > 0 and not revoked,
            "revoked": revoked,
        }
    )


def test_no_agent_says_mail_cannot_be_sent_until_it_runs():
    # The add-ins fail closed: nothing leaves unprotected, it waits; so the tray says that.
    status = tray_status(False, "", [], None, [])
    assert status.tone == Tone.STOPPED and status.title == "Agent not running"
    assert status.tooltip == "Postseal: Agent not running\nMail cannot be sent until the agent runs."


def test_held_mail_inside_the_outbox_says_select_it_not_open_the_outbox():
    status = tray_status(True, "", [message("held")], None, [])
    assert status.detail_in("keys") == status.detail == "Open the outbox to see why, and what you can do about it."
    assert status.detail_in("outbox").startswith("Select a message marked “Held for review”")
    assert "Open the outbox" not in status.detail_in("outbox")


def test_all_delivered_reads_protected():
    status = tray_status(True, "", [message("delivered")], None, [])
    assert (status.tone, status.title, status.count) == (Tone.PROTECTED, "Protected", 0)


def test_messages_on_their_way_are_counted():
    status = tray_status(True, "", [message("sending"), message("queued"), message("delivered")], None, [])
    assert (status.tone, status.title, status.count) == (Tone.SENDING, "Sending 2", 2)


def test_offline_says_how_many_wait_and_that_they_go_later():
    status = tray_status(True, "", [message("deferred", waiting=True)], time.time(), [])
    assert (status.tone, status.count) == (Tone.OFFLINE, 1)
    assert "when the connection is back" in status.detail


def test_a_held_message_wins_over_offline_and_sending():
    status = tray_status(True, "", [message("held"), message("sending")], time.time(), [])
    assert (status.tone, status.title) == (Tone.ATTENTION, "1 message held")


def test_an_own_key_expiring_soon_needs_attention_and_says_what_to_do():
    status = tray_status(True, "", [], None, [own_key(10)])
    assert status.tone == Tone.ATTENTION
    assert "expires in 9 days" in status.detail or "expires in 10 days" in status.detail
    assert "Renew it (Renew key)" in status.detail
    assert tray_status(True, "", [], None, [own_key(400)]).tone == Tone.PROTECTED


def test_an_expired_own_key_says_partners_cannot_encrypt():
    assert "can no longer encrypt to you" in tray_status(True, "", [], None, [own_key(-1)]).detail


def test_a_revoked_own_key_says_to_create_a_new_one():
    assert "Create a new key" in tray_status(True, "", [], None, [own_key(400, revoked=True)]).detail


def test_keys_kept_in_files_ask_for_attention_after_held_mail_and_key_warnings():
    warning = "keys are kept in files in /home/c/.local/share/postseal/secrets, beside the data they protect"
    status = tray_status(True, "", [], None, [], keys_in_files=warning)
    assert (status.tone, status.title) == (Tone.ATTENTION, "Keys kept in files")
    assert status.detail == "Keys are stored beside your mail data, not in a keyring. Tell your IT team."
    assert tray_status(True, "", [message("held")], None, [], keys_in_files=warning).title == "1 message held"
    assert tray_status(True, "", [], None, [own_key(5)], keys_in_files=warning).title == "Your key needs attention"
    assert tray_status(True, "", [], None, []).tone == Tone.PROTECTED


def problem(code: str, holds: str = "nothing", warn: bool = True) -> dict:
    return {"code": code, "message": f"agent's line for {code}", "holds": holds, "warn": warn}


def test_a_broken_managed_policy_wins_over_everything_the_agent_reports():
    status = tray_status(
        True,
        "",
        [message("held"), message("sending")],
        None,
        [own_key(5)],
        setup=[problem("no_internal_domains"), problem("managed_policy_invalid", "all")],
    )
    assert (status.tone, status.title) == (Tone.ATTENTION, "Mail held: policy problem")
    assert "no mail is sent" in status.detail and "IT" in status.detail


def test_a_portal_no_patient_can_open_asks_for_it_after_held_mail():
    unreachable = [problem("portal_url_unreachable", "portal")]
    status = tray_status(True, "", [], None, [], setup=unreachable)
    assert (status.tone, status.title) == (Tone.ATTENTION, "Portal not set up")
    assert tray_status(True, "", [message("held")], None, [], setup=unreachable).title == "1 message held"
    assert "Tell your IT team" in status.detail_in("outbox")
    assert status.detail_in("settings").endswith("(Portal address, on this page) is one patients can open.")


def test_set_up_warnings_read_as_incomplete_and_a_chosen_trial_is_not_one():
    status = tray_status(True, "", [], None, [], setup=[problem("relay_unencrypted")])
    assert (status.title, status.detail) == (
        "Set-up incomplete",
        "Mail to the clinic's relay may travel unencrypted. Tell your IT team.",
    )
    assert tray_status(True, "", [], None, [], setup=[problem("some_future_code")]).title == "Set-up incomplete"
    assert tray_status(True, "", [], None, [], setup=[problem("portal_url_test", warn=False)]).tone == Tone.PROTECTED
