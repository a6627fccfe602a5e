"""Planning (agent/service/planning.py) on the sample messages with the real built-in rules:
what the rules see (Facts, Bcc included) and the plan each sample gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import intake
from agent.keys.pgp_store import PgpStore
from agent.model import Action, Method
from agent.policy.inspect import inspect_message
from agent.policy.rules import RuleSet, load_rules
from agent.service.planning import facts, make_plan
from tests.fakes import COLLEAGUE, config

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"
OUTSIDER = "records@statedisability.example"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def pgp(home: Path) -> PgpStore:
    return PgpStore(home)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def ssn_form_kept_inside(bcc: str = "") -> bytes:
    """Sample 05 (an SSN) addressed to a colleague instead of the disability office."""
    raw = sample("05-disability-form-ssn.eml").replace(
        b"To: State Disability Office <records@statedisability.example>", f"To: {COLLEAGUE}".encode()
    )
    assert OUTSIDER.encode() not in raw
    return raw.replace(b"\nSubject:", f"\nBcc: {bcc}\nSubject:".encode(), 1) if bcc else raw


def test_facts_count_a_bcc_recipient_outside_the_organization():
    cfg = config()
    message = intake.parse(ssn_form_kept_inside(bcc=OUTSIDER))
    seen = facts(message, cfg, inspect_message(message.message))
    assert seen.sender == "dr.chen@valleyclinic.example"
    assert (seen.external, seen.internal) == ((OUTSIDER,), (COLLEAGUE,))


def test_an_ssn_kept_inside_is_sent_and_a_bcc_outside_holds_it(rules: RuleSet, pgp: PgpStore):
    cfg = config()
    _, inside = make_plan(ssn_form_kept_inside(), cfg, rules, pgp)
    assert inside.verdict.action is Action.SEND
    assert [(r.address, r.method) for r in inside.recipients] == [(COLLEAGUE, Method.INTERNAL)]

    _, with_bcc = make_plan(ssn_form_kept_inside(bcc=OUTSIDER), cfg, rules, pgp)
    assert (with_bcc.verdict.action, with_bcc.verdict.rule) == (Action.HOLD, "ssn-leaves-organization")
    assert [r.address for r in with_bcc.recipients] == [COLLEAGUE, OUTSIDER]


def test_the_samples_are_routed_and_ruled_on(rules: RuleSet, pgp: PgpStore):
    cfg = config(tls={"required_domains": ["harborbilling.example"]})
    plans = {
        name: make_plan(sample(name), cfg, rules, pgp)[1]
        for name in ("01-internal-note.eml", "04-billing-claim-tls.eml", "05-disability-form-ssn.eml")
    }

    internal = plans["01-internal-note.eml"]
    assert internal.verdict.action is Action.SEND and internal.verdict.findings  # the MRN is found, it stays inside
    assert [r.method for r in internal.recipients] == [Method.INTERNAL]
    (billing,) = plans["04-billing-claim-tls.eml"].recipients
    assert (billing.address, billing.method) == ("claims@harborbilling.example", Method.TLS)
    assert "tls.required_domains" in billing.reason
    ssn = plans["05-disability-form-ssn.eml"].verdict
    assert (ssn.action, ssn.rule) == (Action.HOLD, "ssn-leaves-organization")
    assert {f.type for f in ssn.findings} >= {"us_ssn"}


def test_a_portal_no_one_can_open_holds_the_plans_that_need_it(rules: RuleSet, pgp: PgpStore):
    ready = config()
    _, plan = make_plan(sample("03-patient-followup.eml"), ready, rules, pgp)
    (patient,) = plan.recipients
    assert patient.method is Method.PORTAL and plan.verdict.action is Action.SEND

    unready = config(portal={"url": "http://127.0.0.1:8025"})
    _, plan = make_plan(sample("03-patient-followup.eml"), unready, rules, pgp)
    assert (plan.verdict.action, plan.verdict.rule) == (Action.HOLD, "setup")
    assert "portal URL http://127.0.0.1:8025" in plan.verdict.reason
    _, inside = make_plan(sample("01-internal-note.eml"), unready, rules, pgp)
    assert inside.verdict.action is Action.SEND  # the set-up holds portal mail only
