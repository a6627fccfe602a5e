import json

import pytest

from agent import config as config_mod
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


def test_unreadable_managed_policy_stops_the_agent(home, tmp_path, monkeypatch):
    managed = tmp_path / "policy.json"
    managed.write_text("{not json")
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    with pytest.raises(ConfigError, match="managed policy cannot be read"):
        config_mod.load(home)


def test_config_round_trips_through_toml(home):
    cfg = config_mod.from_dict({"tls": {"required_domains": ["a.example"]}, "relay": {"port": 26}})
    write(home, config_mod.to_toml(cfg))
    assert config_mod.load(home) == cfg


@pytest.mark.parametrize(("changes", "named"), [
    ({"relay": {"host": "\ud800"}}, "relay.host is not valid text"),
    ({"relay": {"host": "smtp.clinic.example\r\n[policy]"}}, "relay.host must not hold control characters"),
    ({"portal": {"url": "https://x.example/\x00"}}, "portal.url must not hold control characters"),
])
def test_a_change_that_would_stop_the_agent_is_refused_before_anything_is_written(home, changes, named):
    write(home, config_mod.to_toml(config_mod.from_dict({"relay": {"port": 26}})))
    before = (home / "config.toml").read_bytes()
    with pytest.raises(ConfigError, match=named):
        config_mod.update_user_config(home, changes, frozenset())
    assert (home / "config.toml").read_bytes() == before and not list(home.iterdir())[1:]


def test_a_config_toml_that_is_not_toml_is_an_error_not_a_crash_when_changing_settings(home):
    write(home, "[relay\nhost =")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_mod.update_user_config(home, {"relay": {"port": 25}}, frozenset())


def test_the_relay_password_goes_to_the_secret_store_not_the_file(home):
    write(home, "")
    config = config_mod.update_user_config(home, {"relay": {"username": "u", "password": "pw-81f2"}}, frozenset())
    assert config.relay.password == "pw-81f2"
    assert "pw-81f2" not in (home / "config.toml").read_text() and "password" not in (home / "config.toml").read_text()
    assert (home / "config.toml").stat().st_mode & 0o777 == 0o600
    loaded = config_mod.load(home)
    assert loaded.relay.password == "" and config_mod.with_relay_password(home, loaded).relay.password == "pw-81f2"


def test_a_password_from_managed_policy_or_the_file_wins_over_the_store(home):
    write(home, "")
    config_mod.update_user_config(home, {"relay": {"username": "u", "password": "stored"}}, frozenset())
    given = config_mod.from_dict({"relay": {"username": "u", "password": "given"}})
    assert config_mod.with_relay_password(home, given).relay.password == "given"
