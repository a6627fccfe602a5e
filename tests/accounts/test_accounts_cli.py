"""`postseal accounts add|list|remove`, the real command in a child process, against the
running agent: the sign-in URL is printed, the "browser" follows it, the command ends signed in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.accounts.conftest import browse
from tests.conftest import SENDER, run_cli


def test_accounts_add_prints_the_sign_in_address_and_ends_signed_in(account_agent, microsoft, ca, home):
    running, client = account_agent(microsoft)
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "accounts", "add", "microsoft", "--no-browser"],
        env={**os.environ, "POSTSEAL_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stderr.readline(), process.stderr.readline()]
        url = lines[1].strip()
        assert "in your browser" in lines[0] and url.startswith("https://127.0.0.1:"), lines
        browse(url, ca)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert f"Signed in as {SENDER}" in out
    listed = run_cli("accounts", "list", "--json", home=home)
    assert listed.returncode == 0 and json.loads(listed.stdout)["accounts"][0]["address"] == SENDER
    assert run_cli("accounts", "remove", SENDER, home=home).returncode == 0
    assert "No account signed in" in run_cli("accounts", "list", home=home).stdout.decode()


def test_accounts_add_for_a_provider_not_set_up_is_bad_input(account_agent, microsoft, home):
    account_agent(microsoft)
    result = run_cli("accounts", "add", "google", "--no-browser", home=home)
    assert result.returncode == 2 and b"accounts.google_client_id" in result.stderr
    assert b"Traceback" not in result.stderr


def test_accounts_without_a_running_agent_exits_4(home):
    result = run_cli("accounts", "list", home=home)
    assert result.returncode == 4 and b"no running agent" in result.stderr
