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
    ALIASES,
    ATTACHMENT_KINDS,
    DECIDING,
    DETECTOR_TYPES,
    RECIPIENT_SCOPES,
    Facts,
    RulesError,
    load_rules,
)
from tests.fuzz import toml_text
from tests.fuzz.timebox import timeboxed

KEYS = ("name", "detectors", "min_count", "min_confidence", "recipients", "recipient_domains",
        "attachment_types", "sender_groups", "action", "message")
DOMAINS = ("partner.example", "valleyclinic.example", "example.org", "sub.partner.example")
_files = itertools.count()


def right_value(key: str, groups: list[str]) -> st.SearchStrategy:
    return {
        "name": st.text(max_size=20),
        "detectors": st.lists(st.sampled_from(DETECTOR_TYPES), max_size=3),
        "min_count": st.integers(-1, 4),
        "min_confidence": st.one_of(st.floats(-0.5, 1.5), st.sampled_from((0.0, 1.0, 0.8))),
        "recipients": st.sampled_from(RECIPIENT_SCOPES),
        "recipient_domains": st.lists(st.sampled_from(DOMAINS + ("@partner.example", "PARTNER.EXAMPLE")), max_size=2),
        "attachment_types": st.lists(st.sampled_from(ATTACHMENT_KINDS), max_size=2),
        "sender_groups": st.lists(st.sampled_from(groups or ["none"]), max_size=2),
        "action": st.sampled_from((*ACTIONS, *ALIASES)),
        "message": st.text(max_size=30),
    }[key]


@st.composite
def rule_documents(draw) -> dict:
    groups = draw(st.dictionaries(st.from_regex(r"\A[a-z]{1,8}\Z"), st.lists(st.sampled_from(
        ("@valleyclinic.example", "billing@valleyclinic.example", "dr.chen@valleyclinic.example", "@x.example")),
        max_size=3), max_size=3))
    rules = []
    for _ in range(draw(st.integers(0, 6))):
        rule = {}
        for key in draw(st.lists(st.one_of(st.sampled_from(KEYS), toml_text.names), max_size=6, unique=True)):
            rule[key] = draw(right_value(key, list(groups)) if key in KEYS and draw(st.integers(0, 6))
                             else toml_text.toml_values)
        rules.append(rule)
    document: dict = {"rule": rules} if rules else {}
    if groups or draw(st.booleans()):
        document["groups"] = groups if draw(st.integers(0, 8)) else draw(toml_text.toml_values)
    if draw(st.integers(0, 10)) == 0:
        document[draw(toml_text.names)] = draw(toml_text.toml_values)
    return document


@st.composite
def rule_files(draw) -> bytes:
    text = toml_text.document(draw(rule_documents()))
    how = draw(st.integers(0, 6))
    if how == 1:
        text = draw(toml_text.broken(text))
    elif how == 2:
        return draw(st.binary(max_size=200))
    elif how == 3:
        return b"rule = " + b"[" * draw(st.integers(1, 3000)) + b"]" * 3000
    elif how == 4:
        return text.encode() + b"\n# caf\xe9\n"  # not UTF-8
    return text.encode()


findings = st.lists(st.builds(Finding, type=st.sampled_from(DETECTOR_TYPES), location=st.just("body"),
                              start=st.just(0), end=st.just(1), confidence=st.floats(0, 1)), max_size=6)
addresses = st.lists(st.builds("{}@{}".format, st.sampled_from(("a", "b")), st.sampled_from(DOMAINS)), max_size=3)
facts = st.builds(Facts, sender=st.sampled_from(("dr.chen@valleyclinic.example", "billing@valleyclinic.example",
                                                 "someone@x.example")),
                  external=addresses.map(tuple), internal=addresses.map(tuple),
                  attachment_kinds=st.frozensets(st.sampled_from(ATTACHMENT_KINDS), max_size=3))


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


@timeboxed(share=1.0)
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
        action, rule_name, tls, portal, warnings)
    assert verdict.findings == tuple(found)


def test_the_built_in_rules_are_a_rule_set_the_model_agrees_with():
    rule_set = load_rules("")
    assert rule_set.source == "built-in HIPAA default rules" and rule_set.rules
