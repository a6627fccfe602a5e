import json

import pytest

from agent import config as config_mod
from agent import settings
from agent.config import ConfigError


def write(home, text):
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)


def test_missing_config_gives_the_documented_defaults(home):
    cfg = config_mod.load(home)
    assert cfg.relay.port == 2525 and cfg.relay.starttls == "off"
    assert cfg.ingress.smtp_port == 1025
    assert cfg.portal.url == "http://127.0.0.1:8025"


def test_unknown_key_names_the_key_and_the_line(home):
    write(home, '[relay]\nhost = "mail.example"\nstarttl = "required"\n')
    with pytest.raises(ConfigError, match=r"line 3: unknown key 'starttl' in \[relay\]"):
        config_mod.load(home)


def test_unknown_section_is_an_error(home):
    write(home, "[relai]\nhost = 1\n")
    with pytest.raises(ConfigError, match=r"line 1: unknown section \[relai\]"):
        config_mod.load(home)


def test_wrong_type_is_an_error_not_a_default(home):
    write(home, '[relay]\nport = "25"\n')
    with pytest.raises(ConfigError, match="relay.port must be int, not str"):
        config_mod.load(home)


def test_a_misspelt_starttls_mode_is_refused(home):
    write(home, '[relay]\nstarttls = "requird"\n')
    with pytest.raises(ConfigError, match="must be one of off, opportunistic, required"):
        config_mod.load(home)


def test_invalid_toml_says_where(home):
    write(home, "[relay\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_mod.load(home)


def test_managed_policy_wins_and_is_reported_locked(home, tmp_path, monkeypatch):
    write(home, '[relay]\nstarttls = "off"\nport = 2600\n')
    managed = tmp_path / "policy.json"
    managed.write_text(json.dumps({"relay": {"starttls": "required"}}))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    cfg = config_mod.load(home)
    assert cfg.relay.starttls == "required"
    assert cfg.relay.port == 2600
    assert "relay.starttls" in cfg.locked


def refused_policy(home) -> str:
    """Managed policy the agent cannot use: it starts, with every message to be held and one
    line saying why (readiness.py); nothing of the policy is applied half-way."""
    cfg = config_mod.load(home)
    assert cfg.managed_error and "\n" not in cfg.managed_error and not cfg.locked
    return cfg.managed_error


def test_unreadable_managed_policy_holds_all_mail_naming_it(home, tmp_path, monkeypatch):
    managed = tmp_path / "policy.json"
    managed.write_text("{not json")
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    write(home, '[relay]\nstarttls = "off"\n')
    assert "managed policy cannot be read" in refused_policy(home)


@pytest.mark.parametrize("fmt", ["xml", "binary"])
def test_a_macos_managed_preferences_plist_is_honoured_and_locked(home, tmp_path, monkeypatch, fmt):
    import plistlib

    managed = tmp_path / "org.postseal.agent.plist"  # what a configuration profile leaves on a Mac
    policy = {"relay": {"starttls": "required", "port": 587}, "organization": {"internal_domains": ["clinic.example"]}}
    managed.write_bytes(plistlib.dumps(policy, fmt=plistlib.FMT_XML if fmt == "xml" else plistlib.FMT_BINARY))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    write(home, '[relay]\nstarttls = "off"\n')  # the user's weaker setting
    cfg = config_mod.load(home)
    assert (cfg.relay.starttls, cfg.relay.port, cfg.organization.internal_domains) == (
        "required",
        587,
        ["clinic.example"],
    )
    assert {"relay.starttls", "relay.port", "organization.internal_domains"} <= cfg.locked


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<?xml version='1.0'?><plist><dict><key>relay</key>", "managed policy cannot be read"),
        (
            b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]><plist><dict/></plist>',
            "managed policy cannot be read",
        ),
        (b"<plist><array><string>x</string></array></plist>", "must be a dictionary of sections"),
        (b"<plist><dict><key>relay</key><dict><key>hots</key><string>x</string></dict></dict></plist>", "hots"),
        (b"<plist><dict><key>relay</key><dict><key>port</key><string>25</string></dict></dict></plist>", "relay.port"),
    ],
)
def test_a_broken_or_wrong_plist_policy_holds_all_mail_naming_why(home, tmp_path, monkeypatch, content, problem):
    managed = tmp_path / "org.postseal.agent.plist"
    managed.write_bytes(content)
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    why = refused_policy(home)
    assert problem in why and str(managed) in why


def test_config_round_trips_through_toml(home):
    cfg = config_mod.from_dict({"tls": {"required_domains": ["a.example"]}, "relay": {"port": 26}})
    write(home, config_mod.to_toml(cfg))
    assert config_mod.load(home) == cfg


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"relay": {"host": "\ud800"}}, "relay.host is not valid text"),
        ({"relay": {"host": "smtp.clinic.example\r\n[policy]"}}, "relay.host must not hold control characters"),
        ({"portal": {"url": "https://x.example/\x00"}}, "portal.url must not hold control characters"),
    ],
)
def test_a_change_that_would_stop_the_agent_is_refused_before_anything_is_written(home, changes, named):
    write(home, config_mod.to_toml(config_mod.from_dict({"relay": {"port": 26}})))
    before = (home / "config.toml").read_bytes()
    with pytest.raises(ConfigError, match=named):
        settings.update_user_config(home, changes, frozenset())
    assert (home / "config.toml").read_bytes() == before and not list(home.iterdir())[1:]


def test_a_config_toml_that_is_not_toml_is_an_error_not_a_crash_when_changing_settings(home):
    write(home, "[relay\nhost =")
    with pytest.raises(ConfigError, match="not valid TOML"):
        settings.update_user_config(home, {"relay": {"port": 25}}, frozenset())


def test_the_relay_password_goes_to_the_secret_store_not_the_file(home):
    write(home, "")
    config = settings.update_user_config(home, {"relay": {"username": "u", "password": "pw-81f2"}}, frozenset())
    assert config.relay.password == "pw-81f2"
    assert "pw-81f2" not in (home / "config.toml").read_text() and "password" not in (home / "config.toml").read_text()
    assert (home / "config.toml").stat().st_mode & 0o777 == 0o600
    loaded = config_mod.load(home)
    assert loaded.relay.password == "" and settings.with_relay_password(home, loaded).relay.password == "pw-81f2"


def test_a_password_from_managed_policy_or_the_file_wins_over_the_store(home):
    write(home, "")
    settings.update_user_config(home, {"relay": {"username": "u", "password": "stored"}}, frozenset())
    given = config_mod.from_dict({"relay": {"username": "u", "password": "given"}})
    assert settings.with_relay_password(home, given).relay.password == "given"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'[relay]\nhost = "caf\xe9"\n', "not UTF-8 text"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    ],
)
def test_a_config_file_that_cannot_be_read_is_a_config_error_not_a_crash(home, content, problem):
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_bytes(content)
    with pytest.raises(ConfigError, match=problem):
        config_mod.load(home)


@pytest.mark.parametrize("content", [b'{"relay": {"host": "caf\xe9"}}', b"[" * 100_000 + b"]" * 100_000])
def test_a_managed_policy_that_is_not_utf8_or_nested_too_deep_holds_all_mail(home, tmp_path, monkeypatch, content):
    managed = tmp_path / "policy.json"
    managed.write_bytes(content)
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    assert "managed policy cannot be read" in refused_policy(home)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("portal", "url", "http://[::1"),
        ("accounts", "graph_url", "https://[bad"),
        ("tls", "fallback_after_hours", float("nan")),
        ("outbox", "give_up_after_hours", float("inf")),
        ("relay", "timeout", -5),
        ("relay", "timeout", 0),
        ("outbox", "concurrency", 0),
        ("outbox", "retry_max_seconds", 2**63 - 1),
    ],
)
def test_values_the_agent_could_not_run_with_are_refused_by_name(section, key, value):
    with pytest.raises(ConfigError, match=rf"{section}\.{key}"):
        config_mod.from_dict({section: {key: value}})


def test_a_name_with_a_line_break_is_reported_on_one_line(home):
    write(home, '[relay]\n"po\\nrt" = 1\n')
    with pytest.raises(ConfigError) as refused:
        config_mod.load(home)
    assert "\n" not in str(refused.value) and "po\\nrt" in str(refused.value)


def test_a_setting_with_an_emoji_is_written_as_toml_the_agent_reads_back(home):
    home.mkdir(exist_ok=True)
    written = settings.update_user_config(
        home, {"relay": {"username": "s\u00e9same \U0001f511", "password": "p\u00e4ss \U0001f511"}}, frozenset()
    )
    assert settings.with_relay_password(home, config_mod.load(home)) == written
    assert config_mod.load(home).relay.username == "s\u00e9same \U0001f511"
    assert settings.with_relay_password(home, config_mod.load(home)).relay.password == "p\u00e4ss \U0001f511"


def test_a_settings_change_over_a_broken_config_file_is_a_config_error(home):
    write(home, "[relay\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        settings.update_user_config(home, {"relay": {"port": 26}}, frozenset())
