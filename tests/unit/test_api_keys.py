"""The local API's keys (agent/ingress/api/keys.py): a fake OpenPGP store that raises the real
errors, and a real S/MIME store in a temporary home with a certificate made here."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.keys.cert_check import fingerprint
from agent.keys.pgp_store import NeedsPassphrase, NotYourKey, PgpError, RevokedKey
from tests.fake_service import PARTNER, Api, FakeAgent, conforms, covers, refused

ARMORED = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"
FPR = "a" * 40


@pytest.fixture
def agent(home) -> FakeAgent:
    return FakeAgent(home)


@pytest.fixture(scope="module")
def cert_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ana Lakeside")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("ana@lakeside.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_fpr(pem: bytes) -> str:
    return fingerprint(x509.load_pem_x509_certificate(pem))


@covers(("GET", "/v1/keys"))
def test_keys_lists_openpgp_keys_and_certificates_alike(agent, cert_pem):
    agent.smime.import_certificates(cert_pem)
    body = conforms(Api(agent).call("GET", "/v1/keys"), "GET", "/v1/keys")
    pgp, smime = body["keys"]
    assert pgp == {"type": "pgp", **agent.pgp.listed[0].to_json()}
    assert smime["type"] == "smime" and smime["fingerprint"] == cert_fpr(cert_pem)
    assert smime["emails"] == ["ana@lakeside.example"]


@covers(("POST", "/v1/keys"))
def test_import_an_openpgp_key_with_its_passphrase(agent):
    reply = Api(agent).call("POST", "/v1/keys", body=ARMORED, headers={"X-Postseal-Password": "horse"})
    assert reply.status == 201
    assert conforms(reply, "POST", "/v1/keys") == {"imported": ["C" * 40], "kind": "pgp"}
    assert agent.pgp.calls == [("import_keys", "horse")]


@covers(("POST", "/v1/keys"))
def test_import_a_certificate_into_the_smime_store(agent, cert_pem):
    reply = Api(agent).call("POST", "/v1/keys", body=cert_pem)
    assert conforms(reply, "POST", "/v1/keys") == {"imported": [cert_fpr(cert_pem)], "kind": "smime"}
    assert (agent.smime.folder / "certs" / f"{cert_fpr(cert_pem)}.pem").is_file()


@covers(("POST", "/v1/keys"))
@pytest.mark.parametrize(
    ("data", "raised", "code"),
    [
        (ARMORED, NeedsPassphrase("the secret key needs its passphrase"), "needs_passphrase"),
        (ARMORED, PgpError("gpg imported nothing"), "bad_key"),
        (b"just some text", PgpError("no key"), "bad_key"),  # neither a certificate nor a key: SmimeError
    ],
)
def test_import_refusals(agent, data, raised, code):
    agent.pgp.fail["import_keys"] = raised
    reply = Api(agent).call("POST", "/v1/keys", body=data)
    conforms(reply, "POST", "/v1/keys")
    refused(reply, 400, code)


@covers(("POST", "/v1/keys/generate"))
def test_generate_a_key(agent):
    reply = Api(agent).call(
        "POST", "/v1/keys/generate", body={"email": "dr.chen@valleyclinic.example", "name": "Dr Chen"}
    )
    assert reply.status == 201 and conforms(reply, "POST", "/v1/keys/generate") == {"fingerprint": "B" * 40}
    assert agent.pgp.calls == [("generate", "dr.chen@valleyclinic.example", "Dr Chen")]


@covers(("POST", "/v1/keys/generate"))
@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{nope", "JSON"),
        ({"name": "Dr Chen"}, '"email"'),
        (["dr.chen@valleyclinic.example"], '"email"'),
        ({"email": "not an address"}, "not an e-mail address"),
        ({"email": PARTNER, "name": "Dr\nKey-Type: RSA"}, "one line"),
    ],
)
def test_generate_refuses_a_bad_request_before_gpg(agent, body, why):
    reply = Api(agent).call("POST", "/v1/keys/generate", body=body, content_type="application/json")
    assert why in refused(reply, 400, "bad_request")["error"]["message"]
    assert not agent.pgp.calls


@covers(("POST", "/v1/keys/generate"))
def test_generate_when_gpg_fails_is_500_gpg_failed(agent):
    agent.pgp.fail["generate"] = PgpError("gpg could not generate a key")
    refused(Api(agent).call("POST", "/v1/keys/generate", body={"email": PARTNER}), 500, "gpg_failed")


@covers(("POST", "/v1/keys/{fingerprint}/renew"))
def test_renew_answers_the_new_expiry(agent):
    reply = Api(agent).call("POST", f"/v1/keys/{FPR}/renew")
    assert conforms(reply, "POST", "/v1/keys/{fingerprint}/renew") == {
        "fingerprint": FPR.upper(),
        "expires": 1_900_000_000,
    }
    assert agent.pgp.calls == [("renew", FPR.upper())]


@covers(("POST", "/v1/keys/{fingerprint}/renew"))
@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (NotYourKey("not one of your keys"), 404, "not_found"),
        (RevokedKey("revoked"), 409, "revoked"),
        (PgpError("gpg said no"), 500, "gpg_failed"),
    ],
)
def test_renew_refusals(agent, raised, status, code):
    agent.pgp.fail["renew"] = raised
    reply = Api(agent).call("POST", f"/v1/keys/{FPR}/renew")
    if status < 500:
        conforms(reply, "POST", "/v1/keys/{fingerprint}/renew")
    refused(reply, status, code)


@covers(("GET", "/v1/keys/{who}/public"))
@pytest.mark.parametrize("who", [FPR, "A" * 16, PARTNER])
def test_public_key_of_an_address_or_a_fingerprint(agent, who):
    reply = Api(agent).call("GET", f"/v1/keys/{who}/public")
    assert reply.status == 200 and reply.text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert agent.pgp.calls == [("export_public", who)]


@covers(("GET", "/v1/keys/{who}/public"))
@pytest.mark.parametrize("who", ["--version", "A" * 39, "ZZZZZZZZZZZZZZZZ", "x;rm"])
def test_public_key_refuses_what_is_neither(agent, who):
    reply = Api(agent).call("GET", f"/v1/keys/{who}/public")
    conforms(reply, "GET", "/v1/keys/{who}/public")
    refused(reply, 400, "bad_request")
    assert not agent.pgp.calls


@covers(("GET", "/v1/keys/{who}/public"))
def test_public_key_of_a_certificate_and_of_nothing(agent, cert_pem):
    agent.smime.import_certificates(cert_pem)
    reply = Api(agent).call("GET", f"/v1/keys/{cert_fpr(cert_pem).lower()}/public")
    assert reply.status == 200 and reply.text.encode() == cert_pem
    refused(Api(agent).call("GET", f"/v1/keys/{'0' * 64}/public"), 404, "not_found")
    agent.pgp.fail["export_public"] = PgpError("no public key")
    reply = Api(agent).call("GET", f"/v1/keys/{PARTNER}/public")
    conforms(reply, "GET", "/v1/keys/{who}/public")
    refused(reply, 404, "not_found")


@covers(("DELETE", "/v1/keys/{fingerprint}"))
def test_delete_a_partners_key_and_a_certificate(agent, cert_pem):
    reply = Api(agent).call("DELETE", f"/v1/keys/{FPR}")
    assert conforms(reply, "DELETE", "/v1/keys/{fingerprint}") == {"deleted": FPR.upper()}
    assert agent.pgp.calls == [("delete_public", FPR.upper())]
    agent.smime.import_certificates(cert_pem)
    fpr = cert_fpr(cert_pem)
    assert Api(agent).call("DELETE", f"/v1/keys/{fpr.lower()}").json() == {"deleted": fpr}
    assert not (agent.smime.folder / "certs" / f"{fpr}.pem").exists()
    reply = Api(agent).call("DELETE", f"/v1/keys/{fpr}")
    conforms(reply, "DELETE", "/v1/keys/{fingerprint}")
    refused(reply, 404, "not_found")


@covers(("DELETE", "/v1/keys/{fingerprint}"))
@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (PgpError(f"{FPR} is your own key (it has a secret key); it is not deleted from here"), 409, "own_key"),
        (PgpError(f"no key {FPR}"), 404, "not_found"),
    ],
)
def test_delete_refusals(agent, raised, status, code):
    agent.pgp.fail["delete_public"] = raised
    reply = Api(agent).call("DELETE", f"/v1/keys/{FPR}")
    conforms(reply, "DELETE", "/v1/keys/{fingerprint}")
    refused(reply, status, code)
