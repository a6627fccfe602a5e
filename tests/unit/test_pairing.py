"""Pairing tokens of the Outlook add-in origin (agent/ingress/pairing.py)."""

from __future__ import annotations

from agent.ingress.pairing import TTL, Pairing


def test_a_token_is_valid_for_its_caller_until_it_lapses():
    now = [1_000_000.0]
    pairing = Pairing(clock=lambda: now[0])
    token = pairing.issue("4242:99")
    assert pairing.valid(token, "4242:99")
    assert not pairing.valid(token, "4243:99") and not pairing.valid(token, "")  # another program
    now[0] += TTL + 1
    assert not pairing.valid(token, "4242:99")


def test_tokens_of_another_run_and_forgeries_are_refused():
    token = Pairing().issue()
    assert not Pairing().valid(token)  # the key is new at each start
    pairing = Pairing()
    good = pairing.issue()
    version, expiry, nonce, mac = good.split(".")
    for forged in (
        f"{version}.{int(expiry) + 3600}.{nonce}.{mac}",
        f"{version}.{expiry}.other.{mac}",
        "",
        "v1...",
        "0" * 48,
        good + ".x",
        good.replace("v1", "v2"),
        "v1.1.é.x",
    ):
        assert not pairing.valid(forged), forged
