import subprocess

import pytest

from agent import config as config_mod
from agent.keys.pgp_store import PgpStore
from agent.model import Action, Method, Verdict
from agent.routing import route

SEND = Verdict(Action.SEND, "default", "")
NO_TLS = Verdict(Action.SEND, "phi-never-tls", "", tls_allowed=False)
CONFIG = config_mod.from_dict(
    {
        "organization": {"internal_domains": ["valleyclinic.example"]},
        "tls": {"required_domains": ["harborbilling.example"]},
    }
)


@pytest.fixture
def store(home):
    s = PgpStore(home)
    yield s
    s.close()


def batch_key(store, address, *extra):
    """A key made by plain gpg in the agent's home (as an imported key would be)."""
    subprocess.run(
        [
            "gpg",
            "--homedir",
            str(store.home),
            "--batch",
            "--passphrase",
            "",
            *extra,
            "--quick-gen-key",
            address,
            *(["rsa1024", "default", "1y"] if "weak" in address else ["future-default", "default", "1y"]),
        ],
        check=True,
        capture_output=True,
    )


def test_internal_domain_goes_as_is(store):
    assert route("nurse@valleyclinic.example", SEND, CONFIG, store).method == Method.INTERNAL


def test_a_recipient_with_a_valid_key_gets_pgp(store, partner):
    store.import_keys(partner.public_key())
    plan = route(partner.address, SEND, CONFIG, store)
    assert plan.method == Method.PGP and plan.key_fingerprint == partner.fingerprint


def test_expired_key_falls_back_to_portal_and_says_why(store, people):
    from agent.demo_world import Recipient

    old = Recipient(people, "old.key@mailbox.example", faked_time="20240101T000000", expire="1d")
    store.import_keys(old.public_key())
    plan = route(old.address, SEND, CONFIG, store)
    assert plan.method == Method.PORTAL
    assert any("expired on 2024-01-02" in s for s in plan.skipped)
    old.close()


def test_revoked_key_is_not_used(store):
    address = "revoked@mailbox.example"
    batch_key(store, address)
    [key] = store.list_keys()
    # gpg writes a revocation certificate at key creation, its armor line disarmed with ':'.
    cert = (store.home / "openpgp-revocs.d" / f"{key.fingerprint}.rev").read_text()
    cert = cert.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----")
    store.import_keys(cert)
    plan = route(address, SEND, CONFIG, store)
    assert plan.method == Method.PORTAL
    assert any("revoked" in s for s in plan.skipped)


def test_weak_rsa_key_is_not_used(store):
    address = "weak@mailbox.example"
    batch_key(store, address)
    plan = route(address, SEND, CONFIG, store)
    assert plan.method == Method.PORTAL
    assert any("weak (RSA 1024 bits)" in s for s in plan.skipped)


def test_key_for_another_address_is_not_used(store, partner):
    store.import_keys(partner.public_key())
    assert route("someone.else@lakesidecardiology.example", SEND, CONFIG, store).method == Method.PORTAL


def test_tls_required_domain_gets_tls_unless_policy_forbids(store):
    assert route("claims@harborbilling.example", SEND, CONFIG, store).method == Method.TLS
    plan = route("claims@harborbilling.example", NO_TLS, CONFIG, store)
    assert plan.method == Method.PORTAL and any("forbids TLS-only" in s for s in plan.skipped)


def test_unknown_recipient_goes_to_the_portal(store):
    assert route("patient@mailbox.example", SEND, CONFIG, store).method == Method.PORTAL


@pytest.mark.parametrize(
    ("uid", "address"),
    [
        ("dr.chen@valleyclinic.example <dr.chen@valleyclinic.example>", "dr.chen@valleyclinic.example"),
        ("Emily Chen (work) <Dr.Chen@ValleyClinic.example>", "dr.chen@valleyclinic.example"),
        ("<x@y.example>", "x@y.example"),
        ("x@y.example", "x@y.example"),
        ("Just a name", ""),
    ],
)
def test_user_ids_give_their_address_whatever_the_python_email_parser_does(uid, address):
    from agent.keys.pgp_key import email_of_uid

    assert email_of_uid(uid) == address


def test_the_required_domains_list_says_the_same_with_and_without_lookups(store, home):
    # One home for what tls.required_domains means (tls_policy.required_by_config): the plan
    # `postseal policy check` makes without lookups and the agent's, with them, agree.
    from agent.net import Network
    from agent.tls_policy import TlsPolicies

    config = config_mod.from_dict(
        {
            "organization": {"internal_domains": ["valleyclinic.example"]},
            "tls": {"required_domains": ["HarborBilling.example"], "mta_sts": False, "dane": False},
        }
    )
    looked_up = TlsPolicies(config.tls, Network(config.network), home)
    for address in ("claims@harborbilling.example", "Claims@HARBORBILLING.EXAMPLE"):
        offline, online = route(address, SEND, config, store), route(address, SEND, config, store, tls=looked_up)
        assert offline.method == online.method == Method.TLS and offline.reason == online.reason
