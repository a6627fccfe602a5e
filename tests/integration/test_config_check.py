"""`postseal config check` as an admin runs it: the real command in a child process, on a
config.toml in a temporary POSTSEAL_HOME and a managed policy file (POSTSEAL_MANAGED_POLICY)."""

from __future__ import annotations

import json

from tests.conftest import run_cli

CONFIG = """\
[organization]
name = "Valley Family Clinic"
internal_domains = ["valleyclinic.example"]

[relay]
host = "smtp.valleyclinic.example"
port = 25  # IT's policy says 587
starttls = "required"
password = "hunter2-8c1f"

[outbox]
concurrency = 8
"""


def checked(home, *args):
    result = run_cli("config", "check", *args, home=home, timeout=60)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_each_setting_is_shown_with_where_it_comes_from(home, tmp_path, monkeypatch):
    (home / "config.toml").write_text(CONFIG)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"relay": {"port": 587}, "portal": {"expiry_days": 14}}))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))

    code, out, err = checked(home, "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["ok"] and report["managed_policy"] == str(policy) and report["errors"] == []
    settings = report["settings"]
    assert settings["outbox.concurrency"] == {
        "value": 8,
        "source": "config.toml",
        "where": "config.toml line 12",
        "line": 12,
        "overrides": None,
    }
    assert settings["relay.port"] == {
        "value": 587,
        "source": "managed policy",
        "where": f"managed policy {policy}",
        "line": None,
        "overrides": "config.toml line 7",
    }
    assert (
        settings["portal.expiry_days"]["value"] == 14 and settings["portal.expiry_days"]["source"] == "managed policy"
    )
    assert settings["outbox.retry_first_seconds"] == {
        "value": 30,
        "source": "default",
        "where": "default",
        "line": None,
        "overrides": None,
    }
    assert settings["relay.password"]["value"] == "***" and "hunter2" not in out  # a secret is never printed

    code, out, err = checked(home)
    assert (code, err) == (0, "")
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(("relay.", "outbox.", "portal."))}
    assert rows["relay.host"].split()[1:] == ['"smtp.valleyclinic.example"', "config.toml", "line", "6"]
    assert rows["relay.port"].endswith(f"managed policy {policy} (over config.toml line 7)")
    assert rows["outbox.give_up_after_hours"].split()[1:] == ["120.0", "default"]
    assert "hunter2" not in out and "valid" in out


def test_a_number_out_of_range_is_one_line_naming_file_line_key_and_range(home):
    (home / "config.toml").write_text(CONFIG.replace("concurrency = 8", "concurrency = 0"))
    code, out, err = checked(home)
    assert code == 2
    assert err == f"postseal: {home / 'config.toml'}, line 12: outbox.concurrency must be from 1 to 64, not 0\n"
    assert "outbox.concurrency" not in out  # no settings table for a configuration the agent would refuse

    (home / "config.toml").write_text("[portal]\nexpiry_days = -5\n")
    code, out, err = checked(home, "--json")
    assert code == 2 and json.loads(out)["ok"] is False
    assert json.loads(out)["errors"] == [
        f"{home / 'config.toml'}, line 2: portal.expiry_days must be from 1 to 3650, not -5"
    ]


def test_a_bad_policy_and_a_bad_file_are_both_named_and_nothing_is_shown_as_effective(home, tmp_path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"relay": {"timeout": 0}}))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(policy))
    (home / "config.toml").write_text('[relay]\nstarttl = "required"\n')

    code, out, err = checked(home, "--json")
    assert code == 2
    report = json.loads(out)
    assert report["settings"] == {} and report["managed_policy"] is None
    assert report["errors"] == [
        f"{home / 'config.toml'}, line 2: unknown key 'starttl' in [relay] (known: ca_file, host, password, port, "
        "starttls, timeout, username)",
        f"managed policy is invalid: {policy} relay.timeout: must be from 1 to 3600, not 0",
    ]
    assert err.splitlines() == [f"postseal: {e}" for e in report["errors"]]

    (home / "config.toml").unlink()  # a valid (absent) file: the policy alone still fails the check
    code, out, err = checked(home)
    assert (
        code == 2
        and err == f"postseal: managed policy is invalid: {policy} relay.timeout: must be from 1 to 3600, not 0\n"
    )
    assert "not valid" in out


def test_no_config_file_and_no_policy_is_valid_with_every_setting_a_default(home):
    code, out, err = checked(home, "--json")
    report = json.loads(out)
    assert (code, err, report["config_file_found"], report["managed_policy"]) == (0, "", False, None)
    assert {s["source"] for s in report["settings"].values()} == {"default"}
    assert report["settings"]["ingress.smtp_port"]["value"] == 1025
    assert "portal_url_unreachable" in {p["code"] for p in report["problems"]}  # set-up checks, not errors
