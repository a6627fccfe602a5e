import pytest

from agent.model import Action, Finding
from agent.policy.rules import Facts, RulesError, load_rules, parse_rules

SSN = Finding("us_ssn", "body", 0, 11, 0.98)
OUT = Facts("dr.chen@valleyclinic.example", ("x@partner.example",), ())
IN = Facts("dr.chen@valleyclinic.example", (), ("nurse@valleyclinic.example",))


def test_default_rules_hold_an_ssn_going_outside():
    verdict = load_rules().evaluate([SSN], OUT)
    assert verdict.action == Action.HOLD and verdict.rule == "ssn-leaves-organization"
    assert verdict.matched == (("ssn-leaves-organization", "hold_for_review"),)


def test_default_rules_send_an_ssn_kept_inside():
    assert load_rules().evaluate([SSN], IN).action == Action.SEND


def test_low_confidence_findings_do_not_trigger_rules():
    weak = Finding("us_ssn", "body", 0, 9, 0.5)
    assert load_rules().evaluate([weak], OUT).action == Action.SEND


def test_patient_records_never_travel_on_tls_alone_by_default():
    verdict = load_rules().evaluate([Finding("hl7_patient_data", "attachment:a.hl7", 0, 0, 1.0)], OUT)
    assert verdict.action == Action.SEND and not verdict.tls_allowed


def test_mime_beyond_the_inspection_limits_is_held_going_outside_and_sent_inside():
    deep = Finding("mime_beyond_limits", "message", 0, 0, 1.0, "MIME nested deeper than 20 levels")
    verdict = load_rules().evaluate([deep], OUT)
    assert verdict.action == Action.HOLD and verdict.rule == "message-structure-beyond-inspection"
    assert load_rules().evaluate([deep], IN).action == Action.SEND


def test_an_encrypted_archive_goes_through_the_portal_with_a_warning_by_default():
    verdict = load_rules().evaluate([Finding("encrypted_archive", "attachment:a.zip", 0, 0, 1.0, "encrypted ZIP")], OUT)
    assert verdict.action == Action.SEND and verdict.portal_only
    assert len(verdict.warnings) == 1 and "encrypted" in verdict.warnings[0]


def test_flags_accumulate_and_a_deciding_rule_stops(tmp_path):
    rules = parse_rules(
        '[[rule]]\nname = "phi-no-tls"\ndetectors = ["mrn"]\naction = "never_tls_only"\n'
        '[[rule]]\nname = "portal"\ndetectors = ["mrn"]\naction = "portal_only"\n'
        '[[rule]]\nname = "careful"\ndetectors = ["mrn"]\naction = "warn"\nmessage = "check the recipients"\n'
        '[[rule]]\nname = "allow"\naction = "encrypt"\n'
        '[[rule]]\nname = "never-reached"\naction = "block"\nmessage = "no"\n',
        "test",
    )
    verdict = rules.evaluate([Finding("mrn", "body", 0, 5, 0.95)], OUT)
    assert verdict.action == Action.SEND and verdict.rule == "allow"
    assert not verdict.tls_allowed and verdict.portal_only and verdict.warnings == ("check the recipients",)
    assert [name for name, _ in verdict.matched] == ["phi-no-tls", "portal", "careful", "allow"]


def test_conditions_on_domains_attachments_groups_and_counts_all_must_hold():
    rules = parse_rules(
        '[groups]\nbilling = ["@billing.valleyclinic.example", "claims@valleyclinic.example"]\n'
        '[[rule]]\nname = "billing-xlsx-to-payer"\nsender_groups = ["billing"]\nattachment_types = ["xlsx"]\n'
        'recipient_domains = ["payer.example"]\ndetectors = ["member_id"]\nmin_count = 2\n'
        'action = "block"\nmessage = "Use the payer portal for claim spreadsheets."\n',
        "test",
    )
    two_ids = [
        Finding("member_id", "attachment:c.xlsx", 0, 5, 0.9),
        Finding("member_id", "attachment:c.xlsx", 9, 14, 0.9),
    ]
    facts = Facts("ann@billing.valleyclinic.example", ("edi@claims.payer.example",), (), frozenset({"xlsx"}))
    assert rules.evaluate(two_ids, facts).action == Action.BLOCK
    assert rules.evaluate(two_ids[:1], facts).action == Action.SEND  # min_count
    assert (
        rules.evaluate(
            two_ids, Facts("dr.chen@valleyclinic.example", facts.external, (), facts.attachment_kinds)
        ).action
        == Action.SEND
    )
    assert (
        rules.evaluate(two_ids, Facts(facts.sender, ("x@other.example",), (), facts.attachment_kinds)).action
        == Action.SEND
    )
    assert rules.evaluate(two_ids, Facts(facts.sender, facts.external, (), frozenset({"pdf"}))).action == Action.SEND


def test_first_version_words_still_work():
    verdict = parse_rules('[[rule]]\nname = "h"\ndetectors = ["npi"]\naction = "hold"\n', "t").evaluate(
        [Finding("npi", "body", 0, 10, 0.97)], OUT
    )
    assert verdict.action == Action.HOLD


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nname = "x"\naction = "explode"\n', "action must be one of"),
        ('[[rule]]\nname = "x"\naction = "hold"\ndetectors = ["ssn"]\n', "unknown detector 'ssn'"),
        ('[[rule]]\nname = "x"\naction = "hold"\nwhen = 1\n', "unknown key"),
        ('[[rule]]\nname = "x"\naction = "block"\n', "block rule needs a message"),
        ('[[rule]]\nname = "x"\naction = "warn"\nsender_groups = ["nobody"]\n', "unknown sender group 'nobody'"),
        ('[[rule]]\nname = "x"\naction = "warn"\nattachment_types = ["exe"]\n', "unknown attachment type 'exe'"),
        ('[[rule]]\nname = "x"\naction = "warn"\nmin_confidence = 3\n', "between 0 and 1"),
        ('[[rule]]\nname = "x"\naction = "warn"\ndetectors = "us_ssn"\n', "must be a list of strings"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_bad_rules_files_are_refused_with_their_place(tmp_path, text, problem):
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    with pytest.raises(RulesError, match=problem):
        load_rules(str(rules))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'[[rule]]\nname = "caf\xe9"\naction = "warn"\n', "not UTF-8"),
        (b"rule = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
        (b"rule = [1, 2]\n", "written as \\[\\[rule\\]\\] tables"),
        (b'[[rule]]\nname = "x"\naction = []\n', "action must be one of"),
        (b'[[rule]]\nname = "x"\naction = "warn"\nmin_count = inf\n', "whole number"),
        (b'[[rule]]\nname = "x"\naction = "warn"\nmin_count = "3"\n', "whole number"),
        (b'[[rule]]\nname = "x"\naction = "warn"\nmin_confidence = true\n', "whole number"),
    ],
)
def test_rules_files_that_raised_other_errors_are_rules_errors(tmp_path, content, problem):
    rules = tmp_path / "rules.toml"
    rules.write_bytes(content)
    with pytest.raises(RulesError, match=problem):
        load_rules(str(rules))


def test_a_rule_name_with_a_line_break_is_reported_on_one_line():
    with pytest.raises(RulesError) as refused:
        parse_rules('[[rule]]\nname = "a\\nb"\naction = "explode"\n', "rules.toml")
    assert "\n" not in str(refused.value) and "a\\nb" in str(refused.value)
