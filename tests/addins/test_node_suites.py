"""The add-ins' own tests, in node's built-in test runner: the Outlook handler against a
mocked Office.js with the documented shapes, the classic-Windows bundle, and the Gmail
extension's native messaging and answer handling."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is installed by `make test`")


def run_node(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("suite", ["outlook", "gmail"])
def test_the_node_suite_passes(suite: str) -> None:
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "tests" / "addins" / suite).glob("*.test.mjs"))
    assert files, f"no node tests for {suite}"
    result = run_node("--test", *files)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # A suite that ran nothing is not a pass.
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout


def test_the_classic_outlook_script_is_built_from_the_current_modules() -> None:
    result = run_node("addins/outlook/tools/bundle-classic.mjs", "--check")
    assert result.returncode == 0, result.stderr
