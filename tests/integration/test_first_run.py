"""`postseal init`, as IT or a clinician runs it on a new computer: flags or prompts, what
managed policy sets shown and never asked, answers checked before anything is written, and
the set-up checks said at the end (agent/cli/first_run.py)."""

from __future__ import annotations

import json
import tomllib

import pytest

from agent import config as config_mod
from agent import secret_store, settings
from tests.conftest import run_cli

FLAGS = (
    "init",
    "--no-input",
    "--name",
    "Valley Family Clinic",
    "--domain",
    "valleyclinic.example",
    "--domain",
    "lab.valleyclinic.example",
    "--relay",
    "smtp.valleyclinic.example",
    "--portal-url",
    "https://secure.valleyclinic.example/",
)


def written(home) -> dict:
    return tomllib.loads((home / "config.toml").read_text())


def test_flags_set_up_a_computer_that_holds_nothing(home):
    result = run_cli(*FLAGS, home=home)
    assert result.returncode == 0, result.stderr
    assert b"Ready: nothing in this set-up holds mail" in result.stdout
    data = written(home)
    assert data["organization"] == {
        "name": "Valley Family Clinic",
        "internal_domains": ["valleyclinic.example", "lab.valleyclinic.example"],
    }
    assert (data["relay"]["host"], data["relay"]["port"], data["relay"]["starttls"]) == (
        "smtp.valleyclinic.example",
        587,
        "required",
    )
    assert data["portal"]["url"] == "https://secure.valleyclinic.example" and data["portal"]["allow_test_url"] is False
    assert data["portal"]["embedded"] is False  # the clinic's portal: the agent uploads, serves none itself
    assert (home / "config.toml").stat().st_mode & 0o077 == 0


def test_prompts_ask_again_after_a_wrong_answer(home):
    answers = (
        "Oak Clinic\noak.example, oak-lab.example\nhttp://127.0.0.1:8025\nhttps://portal.oak.example\n"
        "smtp\nrelay\nsmtp.oak.example:2525\n"
    )
    result = run_cli("init", home=home, input=answers.encode())
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "is not an https address patients can open" in out and "answer relay, microsoft or google" in out
    data = written(home)
    assert data["organization"]["internal_domains"] == ["oak.example", "oak-lab.example"]
    assert (data["relay"]["host"], data["relay"]["port"]) == ("smtp.oak.example", 2525)
    assert data["portal"]["url"] == "https://portal.oak.example"


def test_what_managed_policy_sets_is_shown_not_asked(home, tmp_path):
    (tmp_path / "no-managed-policy.json").write_text(
        json.dumps(
            {  # where the test environment points
                "organization": {"internal_domains": ["valleyclinic.example"]},
                "relay": {"host": "smtp.valleyclinic.example", "port": 587, "starttls": "required"},
                "portal": {"url": "https://secure.valleyclinic.example"},
            }
        )
    )
    result = run_cli("init", home=home, input=b"Valley Family Clinic\n")  # only the name is asked
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "organization.internal_domains is set by your organization: ['valleyclinic.example']" in out
    assert "portal.url is set by your organization" in out and "The relay is set by your organization" in out
    assert written(home)["organization"]["name"] == "Valley Family Clinic"
    cfg = config_mod.load(home)
    assert cfg.organization.name == "Valley Family Clinic" and "organization.name" not in cfg.locked


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--domain", "dr.chen@valleyclinic.example"), "--domain: 'dr.chen@valleyclinic.example' is not a domain name"),
        (
            ("--portal-url", "http://secure.valleyclinic.example"),
            "--portal-url: http://secure.valleyclinic.example is not an https address",
        ),
        (("--relay", "smtp.valleyclinic.example:99999"), "--relay: '99999' is not a port number"),
        (("--send-with", "microsoft"), "--send-with microsoft: your IT team has not set up sign-in with Microsoft 365"),
    ],
)
def test_a_bad_answer_is_one_line_and_nothing_is_written(home, change, message):
    flags = list(FLAGS)
    if change[0] in flags:
        flags[flags.index(change[0]) + 1] = change[1]
    else:
        flags += change
    result = run_cli(*flags, home=home)
    assert result.returncode == 2 and result.stderr.decode().count("\n") == 1
    assert message in result.stderr.decode() and b"Traceback" not in result.stderr
    assert not (home / "config.toml").exists()


def test_a_missing_answer_with_no_input_names_the_flag(home):
    result = run_cli("init", "--no-input", "--name", "Oak", home=home)
    assert result.returncode == 2 and result.stderr.startswith(b"postseal: --domain is needed")


def test_a_trial_portal_is_reported_and_a_loopback_one_is_not_accepted_without_saying_so(home):
    result = run_cli(*FLAGS[:-2], "--portal-url", "http://127.0.0.1:8025", "--allow-test-url", home=home)
    assert result.returncode == 0, result.stderr
    assert b"note: portal URL http://127.0.0.1:8025 is on this computer" in result.stdout
    assert written(home)["portal"]["allow_test_url"] is True


def test_an_unencrypted_relay_is_written_but_warned_about(home):
    result = run_cli(*FLAGS, "--starttls", "opportunistic", home=home)
    assert result.returncode == 0 and b"warning: the relay smtp.valleyclinic.example is reached" in result.stdout


def test_the_relay_password_goes_to_the_secret_store_not_the_file(home, tmp_path):
    secret = tmp_path / "relay-password"
    secret.write_text("s3cret-relay-pw\n")
    result = run_cli(*FLAGS, "--relay-user", "frontdesk", "--relay-password-file", str(secret), home=home)
    assert result.returncode == 0, result.stderr
    assert written(home)["relay"]["username"] == "frontdesk"
    assert b"s3cret-relay-pw" not in (home / "config.toml").read_bytes()
    assert secret_store.get(home, settings.RELAY_PASSWORD) == b"s3cret-relay-pw"


def test_an_invalid_managed_policy_stops_the_first_run(home, tmp_path):
    (tmp_path / "no-managed-policy.json").write_text('{"relay": {"port": "587"}}')
    result = run_cli(*FLAGS, home=home)
    assert result.returncode == 1 and b"managed policy is invalid" in result.stderr and b"relay.port" in result.stderr
    assert not (home / "config.toml").exists()


def test_check_reports_without_writing_for_it_detection_scripts(home, tmp_path):
    result = run_cli("init", "--check", home=home)
    assert result.returncode == 1 and not (home / "config.toml").exists()
    assert b"HOLDS MAIL: portal URL http://127.0.0.1:8025 is on this computer" in result.stdout
    assert b"warning: no internal domains are set" in result.stdout
    assert run_cli(*FLAGS, home=home).returncode == 0
    result = run_cli("init", "--check", home=home)
    assert result.returncode == 0 and b"Ready" in result.stdout
    (tmp_path / "no-managed-policy.json").write_text('{"relay": {"hots": "x"}}')
    result = run_cli("init", "--check", home=home)
    assert result.returncode == 1 and b"HOLDS MAIL: managed policy is invalid: " in result.stdout
    assert b"relay.hots: unknown key" in result.stdout
