"""The rules language (agent/policy/rules.py), in process: any rules file is a rule set or one
RulesError of one line naming the file — never half-applied, never another exception; and a
rule set decides every message the way its documentation says (read top to bottom; block,
hold_for_review and encrypt decide and stop; portal_only, never_tls_only and warn apply and
go on), checked against a model of that paragraph."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agent.model import Action, Finding
from agent.policy.rules import (
    ACTIONS,
    ATTACHMENT_KINDS,
    DECIDING,
    DETECTOR_TYPES,
    RECIPIENT_SCOPES,
    Facts,
    RulesError,
    load_rules,
)
from tests.fuzz.policy_files import DOMAINS, rule_files
from tests.fuzz.timebox import timeboxed

_files = itertools.count()

findings = st.lists(
    st.builds(
        Finding,
        type=st.sampled_from(DETECTOR_TYPES),
        location=st.just("body"),
        start=st.just(0),
        end=st.just(1),
        confidence=st.floats(0, 1),
    ),
    max_size=6,
)
addresses = st.lists(st.builds("{}@{}".format, st.sampled_from(("a", "b")), st.sampled_from(DOMAINS)), max_size=3)
facts = st.builds(
    Facts,
    sender=st.sampled_from(("dr.chen@valleyclinic.example", "billing@valleyclinic.example", "someone@x.example")),
    external=addresses.map(tuple),
    internal=addresses.map(tuple),
    attachment_kinds=st.frozensets(st.sampled_from(ATTACHMENT_KINDS), max_size=3),
)


def expected_decision(rule_set, found, fact) -> tuple[Action, str, bool, bool, int]:
    """The rules.py docstring, as a model: (action, deciding rule, tls allowed, portal only,
    how many warnings)."""
    tls, portal, warnings = True, False, 0
    for rule in rule_set.rules:
        if not rule.matches(found, fact):
            continue
        if rule.action in DECIDING:
            return DECIDING[rule.action], rule.name, tls, portal, warnings
        tls = tls and rule.action != "never_tls_only"
        portal = portal or rule.action == "portal_only"
        warnings += rule.action == "warn"
    return Action.SEND, "default", tls, portal, warnings


@timeboxed(share=0.7)
@given(raw=rule_files(), found=findings, fact=facts)
def test_any_rules_file_is_a_rule_set_or_one_rules_error_and_decides_as_documented(tmp_path, raw, found, fact):
    path = Path(tmp_path) / f"rules-{next(_files)}.toml"
    path.write_bytes(raw)
    try:
        rule_set = load_rules(str(path))
    except RulesError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message and "\r" not in message, repr(message)
        return
    for rule in rule_set.rules:
        assert rule.action in ACTIONS and rule.recipients in RECIPIENT_SCOPES
        assert rule.min_count >= 1 and 0.0 <= rule.min_confidence <= 1.0
        assert rule.action != "block" or rule.message
    verdict = rule_set.evaluate(found, fact)
    action, rule_name, tls, portal, warnings = expected_decision(rule_set, found, fact)
    assert (verdict.action, verdict.rule, verdict.tls_allowed, verdict.portal_only, len(verdict.warnings)) == (
        action,
        rule_name,
        tls,
        portal,
        warnings,
    )
    assert verdict.findings == tuple(found)


def test_the_built_in_rules_are_a_rule_set_the_model_agrees_with():
    rule_set = load_rules("")
    assert rule_set.source == "built-in HIPAA default rules" and rule_set.rules
