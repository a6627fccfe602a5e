"""Which S/MIME certificates may be used for whom, and the reason when one may not."""

from __future__ import annotations

import pytest

from agent.keys.smime_store import SmimeError, SmimeStore
from tests.smime_pki import Pki

PARTNER = "referrals@lakesidecardiology.example"


@pytest.fixture
def store(home, pki):
    return SmimeStore(home, [str(pki.ca_file)], use_system_roots=False)


def test_a_good_certificate_is_used_and_its_crl_was_checked(store, pki):
    person = pki.person(PARTNER)
    store.import_certificates(person.pem())
    chosen, problems = store.find(PARTNER)
    assert chosen is not None and problems == [] and "CRL checked" in chosen.note


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"days": -1, "start_days": -30}, "expired on"),
        ({"start_days": 5}, "not valid before"),
        ({"ec_key": True}, "no RSA key"),
        ({"bits": 1024}, "1024-bit RSA key: too weak"),
        (
            {"eku": (__import__("cryptography.x509.oid", fromlist=["x"]).ExtendedKeyUsageOID.CLIENT_AUTH,)},
            "not issued for e-mail",
        ),
        ({"key_encipherment": False}, "does not allow encryption"),
        ({"named": "someone.else@lakesidecardiology.example"}, f"not {PARTNER}"),
    ],
)
def test_a_certificate_unfit_for_encryption_is_refused_with_the_reason(store, pki, kwargs, reason):
    person = pki.person(PARTNER, **kwargs)
    store.add([person.cert])
    chosen, problems = store.find(PARTNER)
    if "named" in kwargs:
        assert chosen is None and problems == []  # it is not a certificate for this address at all
        return
    assert chosen is None and len(problems) == 1 and reason in problems[0], problems


def test_a_revoked_certificate_is_refused_once_the_crl_says_so(store, pki):
    person = pki.person(PARTNER)
    pki.revoked.append(person.cert.serial_number)
    store.import_certificates(person.pem())
    chosen, problems = store.find(PARTNER)
    assert chosen is None and "revoked on" in problems[0] and pki.crl_url in problems[0]


def test_an_unreachable_crl_leaves_revocation_unchecked_and_says_so(store, pki):
    person = pki.person(PARTNER)
    pki.close()  # the CRL server is gone
    store.import_certificates(person.pem())
    chosen, _ = store.find(PARTNER)
    assert chosen is not None and "not reachable: revocation not checked" in chosen.note


def test_a_certificate_from_an_untrusted_ca_is_refused(home, pki, tmp_path):
    other = Pki(tmp_path / "other")
    try:
        store = SmimeStore(home, [str(pki.ca_file)], use_system_roots=False)
        store.import_certificates(other.person(PARTNER).pem())
        chosen, problems = store.find(PARTNER)
        assert chosen is None and "is not trusted" in problems[0] and "smime.trusted_ca_files" in problems[0]
    finally:
        other.close()


def test_the_newest_usable_certificate_wins_over_an_expired_one(store, pki):
    old = pki.person(PARTNER, days=-1, start_days=-400)
    new = pki.person(PARTNER, days=700)
    store.add([old.cert, new.cert])
    chosen, _ = store.find(PARTNER)
    from agent.keys.cert_check import fingerprint

    assert chosen.fingerprint == fingerprint(new.cert)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"garbage",
        b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        b"\x30\x82\x01\x00" + b"\x00" * 20,
    ],
)
def test_garbage_is_not_a_certificate(store, blob):
    with pytest.raises(SmimeError, match="not a certificate"):
        store.import_certificates(blob)


def test_a_ca_certificate_alone_is_refused_as_a_recipient_certificate(store, pki):
    with pytest.raises(SmimeError, match="no certificate for an e-mail address"):
        store.import_certificates(pki.ca_file.read_bytes())


def test_a_pkcs12_identity_needs_its_password_and_its_key_is_kept_encrypted(store, pki, home):
    me = pki.person("dr.chen@valleyclinic.example")
    with pytest.raises(SmimeError, match="wrong password"):
        store.import_identity(me.p12(b"right", pki.ca), b"wrong")
    fp = store.import_identity(me.p12(b"right", pki.ca), b"right")
    identity = store.identity("dr.chen@valleyclinic.example")
    assert identity is not None and identity.cert == me.cert
    key_file = home / "smime" / "identity" / f"{fp}.key"
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes() and oct(key_file.stat().st_mode)[-3:] == "600"
