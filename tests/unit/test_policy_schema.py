"""The managed-policy schema: one source of truth that matches config.py, and validation that
refuses a bad policy with one line naming the source, the key and why."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from agent import config as config_mod
from agent import policy_schema
from agent.policy_schema import PolicyError, coerce_registry, validate

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "installers" / "policy.schema.json"
SOURCE = "/etc/postseal/policy.json"
# In the schema ahead of config.py: the lead adds these to the dataclasses when merging; then
# this set must become empty (the test below fails once a key is in both, as a reminder).
PENDING_IN_CONFIG: set[str] = set()


def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def config_keys() -> dict[str, object]:
    out = {}
    for section, cls in config_mod.SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            out[f"{section}.{f.name}"] = default
    return out


def schema_keys() -> dict[str, dict]:
    return {
        f"{section}.{name}": spec
        for section, body in schema()["properties"].items()
        for name, spec in body["properties"].items()
    }


def left_out() -> dict[str, str]:
    return {
        f"{section}.{name}": why
        for section, body in schema()["properties"].items()
        for name, why in body.get("x-not-in-policy", {}).items()
    }


def test_the_schema_is_valid_json_schema_2020_12():
    document = schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_every_level_refuses_unknown_keys():
    document = schema()
    assert document["additionalProperties"] is False
    for section, body in document["properties"].items():
        assert body["additionalProperties"] is False, section
        assert body["title"] and body["description"], section
        for name, spec in body["properties"].items():
            assert spec["title"] and spec["description"], f"{section}.{name}"


def test_every_config_key_is_in_the_schema_or_left_out_with_a_reason_and_nothing_else_is():
    in_config, in_schema, excluded = set(config_keys()), set(schema_keys()), left_out()
    assert in_config - in_schema == set(excluded), "a config key is neither in the schema nor left out"
    assert all(len(why) > 40 for why in excluded.values())
    assert in_schema - in_config <= PENDING_IN_CONFIG, "a schema key config.py does not know"
    assert not PENDING_IN_CONFIG & in_config, "now in config.py: remove it from PENDING_IN_CONFIG"


def test_secrets_are_left_out_of_policy():
    assert set(left_out()) == {"relay.password", "portal.upload_token"}


def test_schema_defaults_are_the_dataclass_defaults():
    defaults = config_keys()
    for dotted, spec in schema_keys().items():
        if dotted in PENDING_IN_CONFIG:
            continue
        assert spec["default"] == defaults[dotted], dotted
        assert type(spec["default"]) is type(defaults[dotted]), dotted


def test_choices_are_the_ones_config_py_accepts():
    for dotted, spec in schema_keys().items():
        if "enum" not in spec:
            continue
        section, key = dotted.split(".")
        for value in spec["enum"]:
            config_mod.from_dict({section: {key: value}})
        with pytest.raises(config_mod.ConfigError, match=f"{section}.{key} must be one of"):
            config_mod.from_dict({section: {key: "bogus"}})


def test_config_py_accepts_every_number_the_schema_allows():
    for dotted, spec in schema_keys().items():
        if spec["type"] not in ("integer", "number"):
            continue
        section, key = dotted.split(".")
        for value in (spec["minimum"], spec["maximum"]):
            validate({section: {key: value}}, SOURCE)
            config_mod.from_dict({section: {key: value}})


def test_the_runtime_copy_is_the_schema():
    assert policy_schema.schema() == schema()


def test_the_example_policy_is_valid_and_config_py_loads_it():
    example = schema()["examples"][0]
    validate(example, SOURCE)
    config = config_mod.from_dict(example)
    assert config.relay.starttls == "required" and config.portal.url.startswith("https://")


def test_every_default_is_a_valid_policy_value_except_the_trial_portal_address():
    policy: dict[str, dict] = {}
    for dotted, spec in schema_keys().items():
        section, key = dotted.split(".")
        policy.setdefault(section, {})[key] = spec["default"]
    with pytest.raises(PolicyError, match=r"portal\.url: must be an https:// address"):
        validate(policy, SOURCE)
    policy["portal"]["allow_test_url"] = True  # a trial on one computer
    validate(policy, SOURCE)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"relay": {"hots": "mail.example"}},
            "relay.hots: unknown key, known: ca_file, host, port, starttls, timeout, username",
        ),
        (
            {"relai": {}},
            "relai: unknown section, known: accounts, ingress, network, organization, outbox, pgp, "
            "policy, portal, relay, secrets, smime, tls",
        ),
        ({"relay": {"port": "587"}}, "relay.port: must be an integer, not a string"),
        ({"relay": {"port": 587.0}}, "relay.port: must be an integer, not a decimal number (587.0)"),
        ({"relay": {"port": True}}, "relay.port: must be an integer, not a boolean"),
        ({"tls": {"dane": "yes"}}, "tls.dane: must be true or false, not a string"),
        ({"relay": {"port": 70000}}, "relay.port: must be from 1 to 65535, not 70000"),
        ({"outbox": {"concurrency": 0}}, "outbox.concurrency: must be from 1 to 64, not 0"),
        ({"tls": {"fallback_after_hours": math.nan}}, "tls.fallback_after_hours: must be a number, not nan"),
        ({"tls": {"fallback_after_hours": math.inf}}, "tls.fallback_after_hours: must be a number, not inf"),
        (
            {"relay": {"starttls": "requird"}},
            "relay.starttls: must be one of off, opportunistic, required, not 'requird'",
        ),
        ({"relay": {"host": ""}}, "relay.host: must not be empty"),
        ({"tls": {"required_domains": "lab.example"}}, "tls.required_domains: must be a list of strings, not a string"),
        ({"network": {"dns_servers": ["9.9.9.9", 53]}}, "network.dns_servers[1]: must be a string, not an integer"),
        (
            {"organization": {"internal_domains": ["@clinic.example"]}},
            "organization.internal_domains[0]: must be a domain name such as clinic.example (no @, spaces, slashes "
            "or port), not '@clinic.example'",
        ),
        (
            {"portal": {"url": "http://127.0.0.1:8025"}},
            "portal.url: must be an https:// address patients can reach (set portal.allow_test_url only for a trial "
            "on one computer), not 'http://127.0.0.1:8025'",
        ),
        (
            {"accounts": {"graph_url": "http://graph.example"}},
            "accounts.graph_url: must be an https:// URL, not 'http://graph.example'",
        ),
        ({"relay": "mail.example"}, "relay: must be a dictionary, not a string"),
        (["relay"], ": must be a dictionary, not a list"),
    ],
)
def test_a_bad_policy_is_refused_with_one_line_naming_source_key_and_why(policy, message):
    with pytest.raises(PolicyError) as refused:
        validate(policy, SOURCE)
    text = str(refused.value)
    assert text == (f"{SOURCE} {message}" if not message.startswith(":") else f"{SOURCE}{message}")
    assert "\n" not in text


def test_a_secret_in_policy_is_refused_saying_why_and_where_it_belongs():
    with pytest.raises(
        PolicyError,
        match=r"^/etc/postseal/policy.json relay.password: not accepted in managed "
        r"policy: it is a secret.*tray",
    ):
        validate({"relay": {"host": "mail.example", "password": "hunter2"}}, SOURCE)


def test_the_first_problem_in_key_order_is_named_so_the_message_is_stable():
    policy = {"tls": {"dane": 1}, "relay": {"timeout": 0, "port": 0}}
    messages = set()
    for _ in range(3):
        with pytest.raises(PolicyError) as refused:
            validate(policy, SOURCE)
        messages.add(str(refused.value))
    assert messages == {f"{SOURCE} relay.port: must be from 1 to 65535, not 0"}


def test_a_key_name_with_a_line_break_stays_on_one_line():
    with pytest.raises(PolicyError) as refused:
        validate({"relay": {"ho\nst": 1}}, SOURCE)
    assert "\n" not in str(refused.value) and "ho\\nst" in str(refused.value)


def test_a_plist_date_or_data_value_is_named_as_such():
    import datetime

    with pytest.raises(PolicyError, match="relay.host: must be a string, not a date"):
        validate({"relay": {"host": datetime.datetime(2026, 1, 1)}}, SOURCE)
    with pytest.raises(PolicyError, match="relay.host: must be a string, not binary data"):
        validate({"relay": {"host": b"mail"}}, SOURCE)


# --- registry values ----------------------------------------------------------------------------

HKLM = r"HKLM\SOFTWARE\Policies\Postseal"


def test_registry_values_become_the_schema_types():
    raw = {
        "tls": {"dane": 0, "mta_sts": 1, "required_domains": ["lab.example"], "fallback_after_hours": 48},
        "relay": {"port": 587, "starttls": "required", "host": "smtp.clinic.example"},
    }
    policy = coerce_registry(raw, HKLM)
    assert policy == {
        "tls": {"dane": False, "mta_sts": True, "required_domains": ["lab.example"], "fallback_after_hours": 48},
        "relay": {"port": 587, "starttls": "required", "host": "smtp.clinic.example"},
    }
    assert policy["tls"]["dane"] is False
    validate(policy, HKLM)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"relay": {"port": "587"}}, "relay.port: must be a number as REG_DWORD, not text (REG_SZ '587')"),
        ({"tls": {"dane": 2}}, "tls.dane: must be 0 (off) or 1 (on) as REG_DWORD, not 2"),
        ({"tls": {"dane": "1"}}, "tls.dane: must be 0 (off) or 1 (on) as REG_DWORD, not text (REG_SZ '1')"),
        ({"relay": {"host": 10}}, "relay.host: must be text as REG_SZ, not a number (REG_DWORD 10)"),
        (
            {"tls": {"required_domains": "lab.example"}},
            "tls.required_domains: must be a list (a subkey of that name holding values 1, 2, …), not text "
            "(REG_SZ 'lab.example')",
        ),
    ],
)
def test_a_registry_value_of_the_wrong_type_is_refused_not_converted(raw, message):
    with pytest.raises(PolicyError) as refused:
        coerce_registry(raw, HKLM)
    assert str(refused.value) == f"{HKLM} {message}"


def test_unknown_registry_names_pass_through_for_validate_to_name():
    policy = coerce_registry({"relay": {"hots": "x"}, "relai": {"port": 1}}, HKLM)
    assert policy == {"relay": {"hots": "x"}, "relai": {"port": 1}}
    with pytest.raises(PolicyError, match=r"relai: unknown section"):
        validate(policy, HKLM)
