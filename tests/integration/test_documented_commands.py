"""Every command line the README, the guides and `--help` show, run as a user would.

What "works" means here, honestly: the real `postseal` accepts the command line (no usage
error), and running it in an empty data directory with no agent, no display and no network
ends with one of the documented exit codes (0 ok, 1 failed, 2 bad input, 3 held, 4 no agent)
and a one-line message — never a traceback, an argparse error or a signal (Qt's abort).
Placeholders stay as written (`ID`, `message.eml`): a missing file or an unknown id is a
documented answer (exit 2), an unknown option is not.

Commands that would keep running (the agent, the demo, the portal server, the browser's
native host) are only parsed, by the same parser `postseal` uses. Each line runs in a
process of its own, forked from one that imported `postseal` once (tests/cli_batch.py).
Inline mentions in prose (`postseal policy check`) name a command rather than spell out a
line: for them the subcommand must exist and every option they name must be in its --help.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import build_parser
from tests.cli_batch import run_many

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Run to completion they would not: parsed only.
LONG_RUNNING = {("agent",), ("demo",), ("portal", "serve"), ("native-host",)}
DOCUMENTED_EXITS = {0, 1, 2, 3, 4}


def subcommands(parser=None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path `postseal --help` leads to: ("keys",), ("keys", "import"), …"""
    import argparse

    parser = parser or build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append((*path, name))
                found += subcommands(child, (*path, name))
    return found


COMMANDS = subcommands()
NAMES = {p[0] for p in COMMANDS}


def command_words(text: str) -> list[str] | None:
    """The arguments after `postseal` on a shell line, or None when the line runs no postseal
    command (`grep -i postseal`, a path like postseal/postseal)."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return None
    for i, word in enumerate(words):
        if word == "postseal" or word.endswith("/postseal"):
            rest = words[i + 1 :]
            if rest and (rest[0] in NAMES or rest[0].startswith("-")):
                return rest
            return None
    return None


def block_lines() -> list[tuple[str, list[str]]]:
    """(where, arguments) of each postseal line in a fenced code block."""
    found = []
    for doc in DOCUMENTS:
        for block in re.findall(r"```[^\n]*\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                words = command_words(line)
                if words is not None:
                    found.append((f"{doc.name}: {line.strip()}", words))
    return found


def mentions(text: str, where: str) -> list[tuple[str, list[str]]]:
    """Inline `postseal …` spans: alternatives (a|b) and optional parts ([--json]) unfolded."""
    found = []
    for span in re.findall(r"`((?:[\w.-]*/)*postseal [^`\n]*)`", text):
        words = command_words(span.replace("[", " ").replace("]", " ").replace("<ID>", "ID"))
        if words is None:
            continue
        widest = max(len(w.split("|")) for w in words) if words else 1
        for n in range(widest):
            variant = [w.split("|")[min(n, len(w.split("|")) - 1)] or w.split("|")[0] for w in words]
            found.append((f"{where}: `{span}`", variant))
    return found


def path_of(words: list[str]) -> tuple[str, ...]:
    path: tuple[str, ...] = ()
    for word in words:
        if (*path, word) in COMMANDS:
            path = (*path, word)
        elif not word.startswith("-") or path:
            break
    return path


def a_user(folder: Path) -> dict:
    """A user with nothing set up: empty data directory and HOME, no agent, no display."""
    folder.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "POSTSEAL_MANAGED_POLICY")
        and not k.startswith("XDG_")
    }
    env.update(
        HOME=str(folder),
        POSTSEAL_HOME=str(folder / "postseal"),
        POSTSEAL_PORTAL_DATABASE="",
        POSTSEAL_MANAGED_POLICY=str(folder / "no-managed-policy.json"),
    )
    return {"env": env, "cwd": folder}


@pytest.fixture
def users(tmp_path: Path) -> Iterator:
    """A fresh user per command line; their gpg-agents stopped after."""
    count = itertools.count()
    yield lambda: a_user(tmp_path / f"user-{next(count)}")
    for gnupg in tmp_path.glob("user-*/postseal/gnupg"):
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "all"], capture_output=True, check=False)


@pytest.fixture
def outside(users) -> dict:
    return users()


def run(args: list[str], outside: dict, parse_only: bool = False) -> subprocess.CompletedProcess:
    program = (
        ["-c", "import sys; from agent.cli import build_parser; build_parser().parse_args(sys.argv[1:])"]
        if parse_only
        else ["-m", "agent.cli"]
    )
    return subprocess.run(
        [sys.executable, *program, *args],
        env=outside["env"],
        cwd=outside["cwd"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=90,
        check=False,
    )


def problem(result) -> str:
    """Why this run is not a documented outcome, or ""."""
    err = result.stderr.decode(errors="replace")
    if "Traceback (most recent call last)" in err:
        return "traceback"
    if re.search(r"^usage: postseal", err, re.M) and "error:" in err:
        return "usage error"
    if "unexpected " in err and "POSTSEAL_DEBUG" in err:
        return "unexpected exception"
    if result.returncode not in DOCUMENTED_EXITS:
        return f"exit {result.returncode} (not a documented code)"
    return ""


def test_the_documents_show_command_lines_at_all():
    # A parser change that made command_words miss every line would pass the tests below.
    lines = block_lines()
    assert len(lines) >= 20 and any(w[:2] == ["keys", "generate"] for _, w in lines), lines


def test_every_command_line_in_the_readme_and_guides_runs(users, tmp_path):
    seen: set[tuple[str, ...]] = set()  # a line shown twice (README and a guide) runs once
    lines = [(where, words) for where, words in block_lines() if not (tuple(words) in seen or seen.add(tuple(words)))]
    jobs = []
    for _, words in lines:
        user = users()
        jobs.append((words, user["env"], user["cwd"], path_of(words) in LONG_RUNNING))
    outcomes = run_many(jobs, tmp_path / "outputs")
    failures = [
        f"{where} -> {problem(o)}: {o.stderr.decode(errors='replace')[-300:]}"
        for (where, _), o in zip(lines, outcomes, strict=True)
        if problem(o)
    ]
    assert not failures, "\n".join(failures)


def test_every_subcommand_help_runs_and_its_mentions_exist(outside, tmp_path):
    paths = [(), *COMMANDS]
    outcomes = run_many(
        [([*path, "--help"], outside["env"], outside["cwd"], False) for path in paths], tmp_path / "outputs"
    )
    helps = list(zip(paths, outcomes, strict=True))
    failures, spans = [], []
    for path, result in helps:
        text = result.stdout.decode(errors="replace")
        if result.returncode != 0 or not text.startswith("usage: postseal"):
            failures.append(f"postseal {' '.join(path)} --help -> exit {result.returncode}: {result.stderr[-200:]!r}")
        spans += mentions(text.replace("\n", " "), f"postseal {' '.join(path)} --help")
    for doc in DOCUMENTS:
        spans += mentions(doc.read_text(encoding="utf-8"), doc.name)
    options = {path: result.stdout.decode(errors="replace") for path, result in helps}
    for where, words in spans:
        path = path_of(words)
        if not path and any(not w.startswith("-") for w in words):
            failures.append(f"{where}: no command {words[0]!r}")
            continue
        named = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        missing = [o for o in named if not re.search(rf"(^|[\s,\[]){re.escape(o)}\b", options[path], re.M)]
        if missing:
            failures.append(f"{where}: {' '.join(missing)} not an option of `postseal {' '.join(path)}`")
    assert not failures, "\n".join(failures)
    assert len(spans) >= 10  # the prose does name commands; a regex that found none would pass


def test_postseal_alone_prints_the_help_and_version_prints_the_version(outside):
    alone = run([], outside)
    assert alone.returncode == 0 and alone.stdout.decode().startswith("usage: postseal")
    assert "COMMAND" in alone.stdout.decode() and not alone.stderr
    version = run(["--version"], outside)
    assert version.returncode == 0 and re.fullmatch(r"postseal \d+\.\d+\.\d+\S*\n", version.stdout.decode())


def test_tray_without_a_display_says_it_needs_a_desktop_session(outside):
    for args in (["tray"], ["tray", "--show"], ["tray", "--show", "--no-start-agent"]):
        result = run(args, outside)
        err = result.stderr.decode()
        assert result.returncode == 1, (args, result.returncode, err)
        assert "needs a desktop session" in err and "Reinstalling" not in err and len(err.splitlines()) == 1
    outside["env"]["DISPLAY"] = ":93"  # set, but no X server behind it
    result = run(["tray"], outside)
    assert result.returncode == 1 and "no desktop session answers here" in result.stderr.decode()


def test_tray_show_and_no_start_agent_start_the_tray_on_a_display(outside):
    """The options `tray --help` names reach the tray app (they were "unrecognized" before)."""
    import time

    outside["env"]["QT_QPA_PLATFORM"] = "offscreen"  # a display Qt needs no server for
    lock = Path(outside["env"]["POSTSEAL_HOME"]) / "tray.lock"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "tray", "--show", "--no-start-agent"],
        env=outside["env"],
        cwd=outside["cwd"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not lock.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None and lock.exists(), process.stderr.read1(4000) if process.poll() else "no lock"
    finally:
        process.terminate()
        process.wait(timeout=30)
