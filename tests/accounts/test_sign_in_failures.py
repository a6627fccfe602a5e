"""Sign-in where things are not as they should be: no keyring, no network, a certificate
that does not verify, a provider IT has not set up — each a clear message, nothing kept."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

from agent.api.client import ApiError
from tests.accounts.conftest import sign_in


def test_without_an_os_keyring_sign_in_is_refused_before_the_browser_opens(account_agent, microsoft):
    running, client = account_agent(microsoft)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(ApiError, match="no OS keyring") as refused:
        client.start_sign_in("microsoft")
    assert refused.value.status == 409 and microsoft.requests == []


def test_no_network_during_sign_in_says_so(account_agent, microsoft, ca):
    from agent.demo_world import free_port

    closed = f"https://127.0.0.1:{free_port()}"
    running, client = account_agent(microsoft, microsoft_authority=closed)
    with pytest.raises(ApiError, match="cannot reach Microsoft sign-in") as refused:
        client.start_sign_in("microsoft")
    assert refused.value.status == 503 and "check the network" in str(refused.value)


def test_a_sign_in_service_whose_certificate_does_not_verify_is_not_used(account_agent, microsoft, tmp_path):
    running, client = account_agent(microsoft, ca_file="")  # the test CA is not trusted now
    with pytest.raises(ApiError, match="cannot reach Microsoft sign-in.*SSLError"):
        client.start_sign_in("microsoft")
    assert microsoft.token_requests == []


def test_a_provider_it_has_not_set_up_names_the_setting(account_agent, microsoft):
    running, client = account_agent(microsoft)
    with pytest.raises(ApiError, match="accounts.google_client_id") as refused:
        client.start_sign_in("google")
    assert refused.value.status == 400


def test_signing_out_removes_the_account_and_its_tokens(account_agent, microsoft, ca, os_keyring):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    assert [k for (service, k) in os_keyring.entries if service == "postseal-accounts"]
    client.remove_account("dr.chen@valleyclinic.example")
    assert client.accounts()["accounts"] == []
    assert not [k for (service, k) in os_keyring.entries if service == "postseal-accounts"]
    assert running.pipeline.transport_for("dr.chen@valleyclinic.example") is running.pipeline.relay


def test_tokens_are_kept_in_the_keyring_and_nowhere_in_the_data_directory(account_agent, microsoft, ca, home):
    running, client = account_agent(microsoft)
    sign_in(client, "microsoft", ca)
    tokens = [t.encode() for t in list(microsoft.refresh_tokens) + list(microsoft.access_tokens)]
    assert tokens
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [t for t in tokens if t in data], f"a token in {path}"
