"""The set-up problems the agent reports and acts on (agent/readiness.py): each rule, on a
Config built the way a user or IT would write it."""

import pytest

from agent import config as config_mod
from agent import readiness
from agent.model import Action, Method, RecipientPlan, Verdict
from agent.readiness import Holds

GOOD = {
    "organization": {"internal_domains": ["valleyclinic.example"]},
    "relay": {"host": "smtp.valleyclinic.example", "port": 587, "starttls": "required"},
    "portal": {"url": "https://portal.valleyclinic.example"},
}


def config(**changes):
    data = {section: dict(values) for section, values in GOOD.items()}
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return config_mod.from_dict(data)


def codes(cfg):
    return {p.code: p.holds for p in readiness.problems(cfg)}


def test_a_clinic_set_up_as_it_should_be_has_no_problem():
    assert readiness.problems(config()) == ()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8025",
        "https://localhost/portal",
        "https://[::1]:8443",
        "https://portal.localhost",
        "http://portal.valleyclinic.example",
    ],
)
def test_a_portal_url_no_patient_can_open_holds_portal_mail(url):
    found = readiness.problems(config(portal={"url": url}))
    assert [(p.code, p.holds) for p in found] == [("portal_url_unreachable", Holds.PORTAL)]
    assert url in found[0].message and "held" in found[0].message


def test_a_trial_portal_said_so_is_reported_but_neither_held_nor_a_warning():
    found = readiness.problems(config(portal={"url": "http://127.0.0.1:8025", "allow_test_url": True}))
    assert [(p.code, p.holds, p.warn) for p in found] == [("portal_url_test", Holds.NOTHING, False)]


def test_the_defaults_of_a_fresh_install_hold_portal_mail_and_warn():
    # No config at all: what a clinician who installs by hand gets before `postseal init`.
    assert codes(config_mod.from_dict({})) == {
        "portal_url_unreachable": Holds.PORTAL,
        "no_internal_domains": Holds.NOTHING,
    }


def test_no_internal_domains_and_a_clear_relay_only_warn():
    found = codes(config(organization={"internal_domains": []}, relay={"starttls": "opportunistic"}))
    assert found == {"no_internal_domains": Holds.NOTHING, "relay_unencrypted": Holds.NOTHING}


def test_a_relay_on_this_computer_is_not_called_unencrypted():
    assert codes(config(relay={"host": "127.0.0.1", "starttls": "off"})) == {}


def test_invalid_managed_policy_holds_everything():
    import dataclasses

    cfg = dataclasses.replace(config(), managed_error="/etc/postseal/policy.json: relay.port: must be at most 65535")
    (problem,) = readiness.problems(cfg)
    assert problem.holds is Holds.ALL
    assert problem.message == "managed policy is invalid: /etc/postseal/policy.json: relay.port: must be at most 65535"


def plan(*methods):
    return tuple(RecipientPlan(f"r{i}@x.example", m, "", "") for i, m in enumerate(methods))


def test_hold_reason_follows_what_each_problem_holds():
    portal = readiness.problems(config(portal={"url": "http://127.0.0.1:1"}))
    assert readiness.hold_reason(portal, [Method.TLS, Method.SMIME]) == ""
    assert "portal URL" in readiness.hold_reason(portal, [Method.TLS, Method.PORTAL])
    warnings = readiness.problems(config(organization={"internal_domains": []}))
    assert readiness.hold_reason(warnings, [Method.PORTAL]) == ""


def test_apply_turns_a_send_into_a_hold_and_leaves_blocks_and_policy_holds_alone():
    found = readiness.problems(config(portal={"url": "http://127.0.0.1:1"}))
    send = Verdict(Action.SEND, "default", "no PHI found")
    held = readiness.apply(send, found, plan(Method.PORTAL))
    assert (held.action, held.rule) == (Action.HOLD, "setup") and "portal URL" in held.reason
    assert readiness.apply(send, found, plan(Method.TLS)) == send
    for kept in (Verdict(Action.BLOCK, "ssn-outside", "SSN to outside"), Verdict(Action.HOLD, "ssn", "review")):
        assert readiness.apply(kept, found, plan(Method.PORTAL)) == kept
