"""The documentation a newcomer reads works offline, in the repository they cloned: every
relative link and image resolves (a heading too, for `page.md#heading`), no link leaves the
repository, and every `postseal …` command the pages show names a real subcommand of the
command line (agent.cli.build_parser, the parser `postseal` itself runs)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from agent.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "node_modules", "dist", "build", ".pytest_cache", ".hypothesis", ".ruff_cache"}

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.M)
HTML = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=[\"']([^\"']+)[\"']", re.I)
BARE_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://([^\s<>)/:\"']+)[^\s<>)]*", re.I)
# Names reserved for examples (RFC 2606, RFC 6761) are illustrations in prose, not links anyone follows.
EXAMPLE_HOST = re.compile(r"(?:^|\.)(?:example|test|invalid|localhost)$|^example\.(?:com|org|net)$|^127\.|^[^.]*$")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
COMMAND = re.compile(r"(?:^|[\s/(`\"'$])postseal((?: [^\s`|)\"';]+)+)")


def pages() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md") if not SKIP & set(p.relative_to(ROOT).parts))


def prose(text: str) -> str:
    """The page without its code: a link inside code is an example, not a link."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def code(text: str) -> list[str]:
    blocks = [m.group(0) for m in FENCE.finditer(text)]
    return blocks + INLINE_CODE.findall(FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base, n = slug(heading), 0
        while (name := base if n == 0 else f"{base}-{n}") in found:
            n += 1
        found.add(name)
    return found


def link_problems(page: Path, markdown: str | None = None) -> list[str]:
    text = prose(page.read_text(encoding="utf-8") if markdown is None else markdown)
    where = page.relative_to(ROOT)
    problems: list[str] = []
    targets = LINK.findall(text) + REFERENCE.findall(text) + HTML.findall(text)
    for target in targets:
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
            problems.append(f"{where}: {target} leaves the repository")
            continue
        path_part, _, anchor = target.partition("#")
        file = (page.parent / path_part).resolve() if path_part else page
        if not file.is_relative_to(ROOT):
            problems.append(f"{where}: {target} points outside the repository")
        elif not file.exists():
            problems.append(f"{where}: {target} does not exist")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            problems.append(f"{where}: {target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    stripped = LINK.sub("", REFERENCE.sub("", HTML.sub("", text)))
    problems += [
        f"{where}: {url.group(0)} leaves the repository (a bare address is a link too)"
        for url in BARE_URL.finditer(stripped)
        if not EXAMPLE_HOST.search(url.group(1).lower())
    ]
    return problems


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_problem(words: list[str], parser: argparse.ArgumentParser) -> str:
    """'' when the words name a real command path; else what is wrong. Words after the command
    path (arguments, options, placeholders) are not judged here."""
    path: list[str] = []
    if words[0] in ("-h", "--help", "--version"):
        return ""
    for word in words:
        choices = subcommands(parser)
        if not choices or word.startswith("-") or not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            return ""
        if word not in choices:
            return (
                f"`postseal {' '.join([*path, word])}`: no such command (postseal {' '.join(path)} has: "
                f"{', '.join(sorted(choices))})"
            )
        path.append(word)
        parser = choices[word]
    return ""


def documented_commands(page: Path) -> list[list[str]]:
    found = []
    for snippet in code(page.read_text(encoding="utf-8")):
        for line in snippet.splitlines():
            for match in COMMAND.finditer(line):
                if match.group(1).startswith("  "):  # a listing's columns ("postseal/postseal   the one program")
                    continue
                words = match.group(1).split()
                if words and (words[0].startswith("-") or re.fullmatch(r"[a-z][a-z0-9-]*", words[0])):
                    found.append(words)
    return found


def test_every_relative_link_and_image_resolves_and_none_leaves_the_repository():
    problems = [problem for page in pages() for problem in link_problems(page)]
    assert problems == [], "\n".join(problems)


def test_every_documented_postseal_command_is_a_real_subcommand():
    parser = build_parser()
    seen = [(page, words) for page in pages() for words in documented_commands(page)]
    assert len(seen) > 30  # the pages do show commands: the scan is not looking at nothing
    problems = [
        f"{page.relative_to(ROOT)}: {problem}" for page, words in seen if (problem := command_problem(words, parser))
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[guide](docs/nowhere.md)", "docs/nowhere.md does not exist"),
        ("![shot](docs/screenshots/missing.png)", "missing.png does not exist"),
        ("[up](../../outside.md)", "points outside the repository"),
        ("[web](https://example.org/page)", "leaves the repository"),
        ("see https://docs.python.org/3/ for more", "a bare address is a link too"),
        ("[bad anchor](docs/architecture.md#no-such-heading)", "no heading #no-such-heading"),
        ('<img src="docs/screenshots/none.png">', "none.png does not exist"),
    ],
)
def test_the_link_check_catches_each_kind_of_broken_link(markdown, expected):
    problems = link_problems(ROOT / "README.md", markdown)
    assert any(expected in problem for problem in problems), problems
    assert (
        link_problems(
            ROOT / "README.md",
            "`see https://docs.python.org` [ok](docs/architecture.md#layers), https://portal.clinic.example",
        )
        == []
    )


def test_the_command_check_catches_a_command_that_does_not_exist():
    parser = build_parser()
    assert "no such command" in command_problem(["keys", "delete-all"], parser)
    assert "no such command" in command_problem(["frobnicate"], parser)
    assert command_problem(["portal", "agents", "revoke", "ID"], parser) == ""
    assert command_problem(["send", "message.eml", "--wait"], parser) == ""


def test_the_readme_opens_with_the_two_commands_and_ci_runs_its_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = FENCE.search(readme).group(0).splitlines()[1:-1]
    commands = [line.split("#")[0].strip() for line in first_block]
    assert commands == ["make demo", "make test"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci[-1] == "make test"  # CI runs exactly what a newcomer runs
