"""While an agent runs, the commands that touch its state go through its local API (issue 21):
`keys …`, `policy check`, `portal enroll`. Two ways of seeing it:

- against the fake service (tests/fake_service.py) served as a running agent — its discovery
  files in the home — the command answers with what only the fake holds (a key no keyring
  here has, rules from elsewhere) and the fake recorded the call: it went through the API;
- against a real agent, each command says exactly the same (stdout, stderr, exit code) as the
  same command run in-process on the same data directory (the discovery file moved aside)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from agent.demo_world import free_port
from agent.ingress.api import allow_port, create_app
from tests.conftest import run_cli
from tests.fake_service import TOKEN, FakeAgent

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"
REFERRAL = SAMPLES / "02-referral-lab-results.eml"


@contextlib.contextmanager
def serving(agent: FakeAgent, home: Path) -> Iterator[None]:
    """The local API over `agent`, on its own loop in a thread, found through `home`'s discovery
    files as a running agent is."""
    loop = asyncio.new_event_loop()
    port = free_port()
    app = create_app(agent, TOKEN, set())
    allow_port(app, port)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    (home / "agent.json").write_text(json.dumps({"pid": 1, "api_url": f"http://127.0.0.1:{port}", "smtp_port": 0}))
    (home / "api-token").write_text(TOKEN)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def fake(home: Path, tmp_path: Path) -> Iterator[FakeAgent]:
    elsewhere = tmp_path / "agent-home"  # the fake's own stores: nothing of it is in `home`
    elsewhere.mkdir()
    agent = FakeAgent(elsewhere)
    with serving(agent, home):
        yield agent


def test_keys_list_is_the_running_agents(fake, home):
    listed = json.loads(run_cli("keys", "list", "--json", home=home).stdout)["keys"]
    assert [k["fingerprint"] for k in listed] == ["A" * 40]  # only the fake holds it
    assert fake.pgp.calls == [("list_keys",)]
    assert not (home / "gnupg").exists()  # no keyring opened here beside the agent


def test_keys_generate_import_export_and_remove_go_to_the_agent(fake, home, tmp_path):
    made = run_cli("keys", "generate", "dr.chen@valleyclinic.example", "--name", "Dr Chen", home=home)
    assert made.returncode == 0 and made.stdout.decode() == f"generated {'B' * 40} for dr.chen@valleyclinic.example\n"
    key = tmp_path / "partner.asc"
    key.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n")
    imported = run_cli("keys", "import", str(key), home=home)
    assert imported.returncode == 0 and imported.stdout.decode() == f"imported pgp {'C' * 40}\n"
    exported = run_cli("keys", "export", "billing@harborbilling.example", home=home)
    assert exported.stdout.decode().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    removed = run_cli("keys", "remove", "billing@harborbilling.example", home=home)
    assert removed.returncode == 0, removed.stderr
    assert [c[0] for c in fake.pgp.calls if c[0] != "list_keys"] == [
        "generate",
        "import_keys",
        "export_public",
        "delete_public",
    ]


def test_a_refusal_of_the_agent_reads_as_one_made_here(fake, home, tmp_path):
    from agent.keys.pgp_store import PgpError

    fake.pgp.fail["generate"] = PgpError("gpg could not generate a key: no entropy")  # the API's 500 gpg_failed
    result = run_cli("keys", "generate", "dr.chen@valleyclinic.example", "--json", home=home)
    assert result.returncode == 2 and result.stderr.decode() == "postseal: gpg could not generate a key: no entropy\n"
    assert json.loads(result.stdout)["error"] == {
        "code": "bad_input",
        "exit": 2,
        "message": "gpg could not generate a key: no entropy",
    }
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"\x30\x82junk")  # not OpenPGP: refused as the S/MIME store refuses, naming the file
    fake.pgp.fail["import_keys"] = PgpError("no key")
    result = run_cli("keys", "import", str(junk), home=home)
    assert result.returncode == 2 and result.stderr.decode().startswith(f"postseal: {junk}: not a key or certificate")


def test_policy_check_is_the_running_agents_plan_and_rules(fake, home):
    result = run_cli("policy", "check", str(REFERRAL), "--json", home=home)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["rules"] == {"source": "/etc/postseal/rules.toml", "managed": True}
    assert body["verdict"]["rule"] == "default" and fake.called("check")
    text = run_cli("policy", "check", str(REFERRAL), home=home).stdout.decode()
    assert text.startswith("rules: /etc/postseal/rules.toml (managed by your organization)\nverdict: send")


def test_portal_enroll_is_stored_by_the_running_agent(fake, home):
    result = run_cli(
        "portal", "enroll", "--url", "https://portal.clinic.example/", "--code", "K7", "--name", "desk", home=home
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("enrolled with https://portal.clinic.example as agent agent-7;")
    assert fake.called("enrol_portal") == [("enrol_portal", "https://portal.clinic.example/", "K7", "desk")]
    from agent.portal_enrol import EnrolFailed

    fake.fail["enrol_portal"] = EnrolFailed("portal https://p.example refused the enrolment (HTTP 403): used code")
    refused = run_cli("portal", "enroll", "--url", "https://p.example", "--code", "K7", home=home)
    assert refused.returncode == 1
    assert refused.stderr.decode() == (
        "postseal: portal enroll: portal https://p.example refused the enrolment (HTTP 403): used code\n"
    )


def test_a_stale_discovery_file_is_no_agent(home):
    # A crashed agent's agent.json, its port closed: the command works here, in-process.
    (home / "agent.json").write_text(json.dumps({"pid": 1, "api_url": f"http://127.0.0.1:{free_port()}"}))
    (home / "api-token").write_text(TOKEN)
    result = run_cli("keys", "list", "--json", home=home)
    assert result.returncode == 0 and json.loads(result.stdout) == {"keys": []}


def same_here_and_through(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a command through the running agent, then in-process (agent.json moved aside, so the
    command finds no agent) on the same data directory: both must say the same."""
    through = run_cli(*args, home=home)
    (home / "agent.json").rename(home / "agent.json.aside")
    try:
        here = run_cli(*args, home=home)
    finally:
        (home / "agent.json.aside").rename(home / "agent.json")
    assert (through.returncode, through.stdout, through.stderr) == (here.returncode, here.stdout, here.stderr), args
    return through


def test_keys_say_the_same_through_a_real_agent_as_in_process(start_agent, sink, home, partner, tmp_path):
    start_agent(sink.port)
    own = "dr.chen@valleyclinic.example"
    assert run_cli("keys", "generate", own, "--name", "Dr Chen", home=home).returncode == 0
    (tmp_path / "partner.asc").write_text(partner.public_key())
    assert run_cli("keys", "import", str(tmp_path / "partner.asc"), home=home).returncode == 0
    (tmp_path / "junk.cer").write_bytes(b"\x30\x82junk")
    (tmp_path / "junk.asc").write_text(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    assert same_here_and_through(home, "keys", "list").stdout.count(b"\n") == 4  # header, rule, two keys
    assert same_here_and_through(home, "keys", "list", "--json").returncode == 0
    assert same_here_and_through(home, "keys", "export", own).stdout.startswith(b"-----BEGIN PGP PUBLIC KEY")
    for refused in (
        ("keys", "export", "nobody@nowhere.example"),
        ("keys", "export", "Dr Chen"),
        ("keys", "export", "A" * 64),
        ("keys", "import", str(tmp_path / "junk.cer")),
        ("keys", "import", str(tmp_path / "junk.asc"), "--json"),
        ("keys", "renew", partner.address),
        ("keys", "remove", own),
        ("keys", "generate", own),
    ):
        assert same_here_and_through(home, *refused).returncode == 2, refused


def test_policy_check_says_the_same_through_a_real_agent_as_in_process(start_agent, sink, home, tmp_path):
    # No WKD: a lookup's answer is kept (a "not found when looked up at …" the next plan quotes),
    # so the second of two plans would read differently for that reason alone.
    start_agent(sink.port, pgp={"wkd": False})
    (tmp_path / "bad.eml").write_bytes(b"To: someone@partner.example\r\n\r\nno sender\r\n")
    assert same_here_and_through(home, "policy", "check", str(tmp_path / "bad.eml")).returncode == 2
    assert same_here_and_through(home, "policy", "check", str(tmp_path / "bad.eml"), "--json").returncode == 2
    for listed in (("policy", "check", str(REFERRAL)), ("policy", "check", str(REFERRAL), "--json")):
        assert same_here_and_through(home, *listed).returncode in (0, 3), listed
