import pytest

from agent.model import Action, Finding
from agent.policy.rules import RulesError, load_rules

SSN = Finding("us_ssn", "body", 0, 11, 0.98)


def test_default_rules_hold_an_ssn_going_outside():
    verdict = load_rules().evaluate([SSN], has_external=True, has_internal=False)
    assert verdict.action == Action.HOLD and verdict.rule == "ssn-leaves-organization"


def test_default_rules_send_an_ssn_kept_inside():
    assert load_rules().evaluate([SSN], has_external=False, has_internal=True).action == Action.SEND


def test_low_confidence_findings_do_not_trigger_rules():
    weak = Finding("us_ssn", "body", 0, 9, 0.5)
    assert load_rules().evaluate([weak], True, False).action == Action.SEND


def test_never_tls_only_is_a_flag_and_evaluation_goes_on(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "phi-no-tls"\ndetectors = ["mrn"]\naction = "never_tls_only"\n'
        '[[rule]]\nname = "block-npi"\ndetectors = ["npi"]\naction = "block"\nmessage = "no"\n'
    )
    verdict = load_rules(str(rules)).evaluate([Finding("mrn", "body", 0, 5, 0.95)], True, False)
    assert verdict.action == Action.SEND and not verdict.tls_allowed


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nname = "x"\naction = "explode"\n', "action must be one of"),
        ('[[rule]]\nname = "x"\naction = "hold"\ndetectors = ["ssn"]\n', "unknown detector 'ssn'"),
        ('[[rule]]\nname = "x"\naction = "hold"\nwhen = 1\n', "unknown key"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_bad_rules_files_are_refused_with_their_place(tmp_path, text, problem):
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    with pytest.raises(RulesError, match=problem):
        load_rules(str(rules))
