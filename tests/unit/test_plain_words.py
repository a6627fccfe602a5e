"""The sentences a clinician reads about each recipient (agent/plain_words.py), made by routing
on every path it has: each is one plain sentence, with no configuration key, no mail-server
jargon and no method code, and no path falls back to routing's technical reason."""

from __future__ import annotations

import pytest

from agent import config as config_mod
from agent import plain_words, readiness
from agent.keys.pgp_store import PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Action, Method, RecipientPlan, Verdict
from agent.plain_words import Why, says
from agent.policy.rules import DETECTOR_TYPES
from agent.routing import route, route_reply
from agent.tls_policy import Requirement
from tests.plain_text import assert_plain, jargon_in

SEND = Verdict(Action.SEND, "default", "")
NO_TLS = Verdict(Action.SEND, "patient-records-end-to-end", "", tls_allowed=False)
PORTAL_ONLY = Verdict(
    Action.SEND,
    "encrypted-archive-portal-only",
    "",
    portal_only=True,
    matched=(("encrypted-archive-portal-only", "portal_only"),),
)
CONFIG = config_mod.from_dict(
    {
        "organization": {"internal_domains": ["valleyclinic.example"]},
        "tls": {"required_domains": ["harborbilling.example"]},
    }
)
ME = "dr.chen@valleyclinic.example"


def one_plain_sentence(text: str) -> None:
    assert_plain(text)
    assert text[:1].isupper() and text.endswith("."), text
    assert ". " not in text.rstrip("."), f"more than one sentence: {text!r}"


@pytest.fixture
def pgp(home):
    store = PgpStore(home)
    yield store
    store.close()


@pytest.fixture
def smime(home, pki):
    return SmimeStore(home, [str(pki.ca_file)], use_system_roots=False)


class Published:
    """Key discovery that finds one published key (the WKD/keyserver lookup is tested in
    tests/integration/test_pgp_discovery.py; here only the words routing gives it)."""

    enabled = True

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint

    def discover(self, address: str) -> tuple[str, list[str]]:
        return self.fingerprint, ["WKD"]


class Policies:
    """A partner whose mail service publishes that it requires verified TLS (MTA-STS)."""

    def requirement(self, domain: str) -> Requirement:
        return Requirement("mta-sts", "MTA-STS policy in enforce mode (id 2026)")


def test_every_sentence_is_one_plain_sentence():
    for method, why in plain_words.pairs():
        one_plain_sentence(says(method, why))
    for method in Method:
        one_plain_sentence(says(method, Why.TLS_FAILED if method is not Method.PORTAL else Why.PLAIN))


def test_every_routing_path_says_its_own_plain_sentence(pgp, smime, pki, partner):
    smime_partner = "lab@northsidelab.example"
    smime.import_certificates(pki.person(smime_partner).pem())
    pgp.import_keys(partner.public_key())
    plans = {
        "internal": route("nurse.kim@valleyclinic.example", SEND, CONFIG, pgp, smime),
        "smime": route(smime_partner, SEND, CONFIG, pgp, smime),
        "pgp": route(partner.address, SEND, CONFIG, pgp, smime),
        "discovered": route("ana@riverside.example", SEND, CONFIG, pgp, smime, Published("AB" * 20)),
        "tls-partner": route("claims@harborbilling.example", SEND, CONFIG, pgp, smime),
        "tls-server": route("desk@mtasts.example", SEND, CONFIG, pgp, smime, tls=Policies()),
        "portal": route("jordan.miles@familymail.example", SEND, CONFIG, pgp, smime),
        "portal-only": route(partner.address, PORTAL_ONLY, CONFIG, pgp, smime),
        "end-to-end": route("claims@harborbilling.example", NO_TLS, CONFIG, pgp, smime),
        "reply-kept": route_reply(ME, ME, CONFIG, smime),
    }
    expected = {
        "internal": "Inside your organization: delivered through your clinic's own mail system.",
        "smime": "Encrypted with their S/MIME certificate, so only they can open it.",
        "pgp": "Encrypted with their OpenPGP key, so only they can open it.",
        "discovered": "Encrypted with the OpenPGP key they publish for their address, so only they can open it.",
        "tls-partner": "Sent over a verified encrypted connection (required for this partner).",
        "tls-server": "Sent over a verified encrypted connection (their mail service requires one).",
        "portal": "Goes to the secure portal: they get a link and a one-time code to read it.",
        "portal-only": "Goes to the secure portal, as your organization requires for this content: they get a "
        "link and a one-time code to read it.",
        "end-to-end": "Goes to the secure portal, because this content must be encrypted all the way to them: "
        "they get a link and a one-time code to read it.",
        "reply-kept": says(Method.KEPT, Why.OWN_REPLY),
    }
    for name, plan in plans.items():
        assert plan is not None and plan.says == expected[name], (name, plan)
        one_plain_sentence(plan.says)
        # The technical reason is still there, for the audit and IT; it is what must not be shown.
        assert plan.reason and plan.reason != plan.says
    assert jargon_in(plans["portal"].reason) and jargon_in(plans["tls-partner"].reason)
    # And it travels in the plan's JSON beside the reason, and back.
    data = plans["tls-partner"].to_json()
    assert data["says"] == expected["tls-partner"] and RecipientPlan.from_json(data) == plans["tls-partner"]


def test_a_reply_to_a_clinician_with_a_certificate_says_their_mail_program_opens_it(smime, pki, home):
    smime.import_identity(pki.person(ME).p12(b"pw", pki.ca), b"pw")
    plan = route_reply(ME, ME, CONFIG, smime)
    assert plan is not None and plan.method is Method.SMIME
    assert plan.says == "Encrypted with your own S/MIME certificate, so your mail program opens it."


def test_the_portal_instead_of_failing_tls_or_at_the_senders_request_says_so():
    one_plain_sentence(says(Method.PORTAL, Why.TLS_FAILED))
    assert "kept failing" in says(Method.PORTAL, Why.TLS_FAILED)
    assert "as you asked" in says(Method.PORTAL, Why.SENDER_ASKED)


def test_every_detector_has_a_name_a_clinician_reads():
    assert set(plain_words.FINDINGS) == set(DETECTOR_TYPES)
    for kind in DETECTOR_TYPES:
        assert_plain(plain_words.finding(kind), kind)
    assert plain_words.found({"us_ssn": 2, "dob": 1}) == ["Social Security number: 2", "Date of birth: 1"]
    assert plain_words.finding("new_detector") == "New detector"


def test_a_rule_without_a_message_is_not_shown_by_its_name():
    assert (
        plain_words.policy_reason("rule no-fax: hold_for_review", "no-fax")
        == "Your organization's rules require a review of this message before it leaves."
    )
    assert "do not allow" in plain_words.policy_reason("", "x", blocks=True)
    own = "This message contains a Social Security number."
    assert plain_words.policy_reason(own, "ssn-leaves-organization") == own


def test_draft_fields_are_named_as_the_compose_window_names_them():
    assert (
        plain_words.draft_problem("draft.to: 'x@' is not an email address")
        == "the To line: 'x@' is not an email address"
    )
    assert plain_words.draft_problem("draft.attachments[2] (a.pdf): too big") == "attachment 3 (a.pdf): too big"
    assert plain_words.draft_problem("draft.body.content: not valid text") == "the message text: not valid text"
    assert_plain(plain_words.draft_problem("draft.from: 'x' is not an email address"))


def test_set_up_problems_that_hold_mail_say_why_in_plain_words():
    broken = config_mod.from_dict(
        {"organization": {"internal_domains": ["valleyclinic.example"]}, "portal": {"url": "http://127.0.0.1:9"}}
    )
    holding = [p for p in readiness.problems(broken) if p.holds is not readiness.Holds.NOTHING]
    assert holding and all(p.says for p in holding)
    for problem in holding:
        assert jargon_in(problem.message)  # IT's line names the key to set ...
        assert_plain(problem.says, problem.code)  # ... the clinician's does not


def test_what_the_agent_does_with_a_message_it_sends_itself_is_said_plainly():
    for methods in (
        [Method.PGP],
        [Method.SMIME, Method.INTERNAL],
        [Method.PORTAL, Method.TLS],
        [Method.PGP, Method.PORTAL, Method.INTERNAL],
    ):
        assert_plain(plain_words.protected(methods), str(methods))
    assert "secure portal" in plain_words.protected([Method.PORTAL])
    assert "encrypted" in plain_words.protected([Method.SMIME]) and "portal" not in plain_words.protected(
        [Method.SMIME]
    )
