"""Every number a setting takes has one range, kept in the managed-policy schema, and config.toml
and managed policy refuse the same values in the same words: the file, the line (config.toml),
the key and the allowed range."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from agent import config as config_mod
from agent import policy_schema
from agent.config import ConfigError
from agent.toml_lines import line_of


def numeric_keys() -> list[tuple[str, str, str]]:
    return [
        (section, f.name, str(f.type))
        for section, cls in config_mod.SECTIONS.items()
        for f in dataclasses.fields(cls)
        if str(f.type) in ("int", "float")
    ]


def defaults() -> dict[str, object]:
    return {
        f"{section}.{name}": getattr(getattr(config_mod.Config(), section), name) for section, name, _ in numeric_keys()
    }


def test_every_numeric_setting_has_a_range_that_holds_its_default():
    assert len(numeric_keys()) >= 14
    for section, name, _ in numeric_keys():
        spec = policy_schema.schema()["properties"][section]["properties"][name]
        allowed = policy_schema.number_range(section, name)
        assert (allowed.least, allowed.most) == (spec["minimum"], spec["maximum"])
        assert defaults()[f"{section}.{name}"] in allowed, f"{section}.{name}"


def outside(section: str, name: str, kind: str) -> list[float]:
    allowed = policy_schema.number_range(section, name)
    step = 1 if kind == "int" else 0.5
    return [allowed.least - step, allowed.most + step]


@pytest.mark.parametrize(("section", "name", "kind"), numeric_keys())
def test_config_toml_and_managed_policy_refuse_the_same_numbers_in_the_same_words(
    home, tmp_path, monkeypatch, section, name, kind
):
    allowed = policy_schema.number_range(section, name)
    path, policy = home / "config.toml", tmp_path / "policy.json"
    for value in outside(section, name, kind):
        path.write_text(f'[organization]\nname = "Valley"\n\n[{section}]  # the one to check\n{name} = {value}\n')
        with pytest.raises(ConfigError) as refused:
            config_mod.load(home)
        words = f"must be from {allowed.least} to {allowed.most}, not {value}"
        assert str(refused.value) == f"{path}, line 5: {section}.{name} {words}"
        path.unlink()
        policy.write_text(json.dumps({section: {name: value}}))
        monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
        assert config_mod.load(home).managed_error == f"{policy} {section}.{name}: {words}"
        monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(tmp_path / "none.json"))
    for value in (allowed.least, allowed.most):  # the bounds themselves are allowed, in both
        path.write_text(f"[{section}]\n{name} = {value}\n")
        assert getattr(getattr(config_mod.load(home), section), name) == value
        policy.write_text(json.dumps({section: {name: value}}))
        monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
        loaded = config_mod.load(home)
        assert not loaded.managed_error and f"{section}.{name}" in loaded.locked
        monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(tmp_path / "none.json"))


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_that_is_not_finite_is_out_of_range(home, value):
    (home / "config.toml").write_text(f"[outbox]\ngive_up_after_hours = {value}\n")
    with pytest.raises(ConfigError, match=rf"line 2: outbox.give_up_after_hours must be from 0 to \d+, not {value}"):
        config_mod.load(home)


def test_the_issues_examples_are_refused_naming_line_key_and_range(home):
    (home / "config.toml").write_text("[portal]\nexpiry_days = -5\n")
    with pytest.raises(ConfigError, match=r"config.toml, line 2: portal.expiry_days must be from 1 to \d+, not -5$"):
        config_mod.load(home)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[outbox]\nconcurrency = 0\n", 2),
        ("# top\n[ outbox ]   # spaced, with a comment\n\nconcurrency=0\n", 4),
        ("[relay]\nport = 25\n[outbox]\nretry_first_seconds = 5\nconcurrency = 0\n", 5),
        ('[outbox]\n"concurrency" = 0\n', 2),
        ("relay.port = 25\noutbox.concurrency = 0\n", 2),
        ('[relay]\nport = 25\n\n["outbox"]\nconcurrency = 0\n', 5),
        ("outbox = { retry_first_seconds = 5, concurrency = 0 }\n", 1),
    ],
)
def test_the_line_is_found_however_the_key_is_written(home, text, line):
    (home / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=rf", line {line}: outbox.concurrency must be from 1 to"):
        config_mod.load(home)


def test_a_key_of_the_same_name_in_another_table_is_not_taken_for_it():
    text = "[relay]\ntimeout = 30\n[accounts]\nsign_in_timeout = 9\n[outbox]\nconcurrency = 1\n"
    assert (line_of(text, "relay", "timeout"), line_of(text, "accounts", "sign_in_timeout")) == (2, 4)
    assert (line_of(text, "outbox"), line_of(text, "outbox", "retry_first_seconds")) == (5, None)


def test_the_config_reference_lists_every_key_with_its_range_default_and_whether_it_can_be_locked():
    text = (Path(__file__).resolve().parents[2] / "docs" / "config-reference.md").read_text(encoding="utf-8")
    tables = {part.split("`", 1)[0]: part for part in text.split("\n## `")[1:]}
    secrets = {
        f"{s}.{k}" for s, body in policy_schema.schema()["properties"].items() for k in body.get("x-not-in-policy", {})
    }
    for section, cls in config_mod.SECTIONS.items():
        for f in dataclasses.fields(cls):
            (row,) = [line for line in tables[f"[{section}]"].splitlines() if line.startswith(f"| `{f.name}` |")]
            name, kind, allowed, default, lock, _ = (cell.strip() for cell in row.strip("| ").split(" | "))
            value = getattr(getattr(config_mod.Config(), section), f.name)
            assert default == ("(empty)" if value in ("", []) else f"`{json.dumps(value)}`"), row
            assert lock == ("no (a secret)" if f"{section}.{f.name}" in secrets else "yes"), row
            if str(f.type) in ("int", "float"):
                bounds = policy_schema.number_range(section, f.name)
                assert allowed.startswith(f"{bounds.least} to {bounds.most}"), row
