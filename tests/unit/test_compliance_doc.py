"""docs/compliance.md is evidence only while its test ids point at tests that exist: each
safeguard of §164.312 has its section and a command, every command is a pytest run of named
tests, every id named on the page exists (read from the test files with `ast`, nothing
imported), and each section's command re-runs exactly the tests its table names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "compliance.md"
SAFEGUARDS = {
    "a": "Access control",
    "b": "Audit controls",
    "c": "Integrity",
    "d": "Person or entity authentication",
    "e": "Transmission security",
}
TEST_ID = re.compile(r"tests/[\w/]+\.py::[\w:]+")
COMMAND = ".venv/bin/python -m pytest -q "


def sections() -> dict[str, str]:
    text = PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^## \(([a-e])\) (.+)$", text, flags=re.M)
    found = {}
    for letter, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        assert title.strip() == SAFEGUARDS[letter], f"({letter}) is titled {title!r}"
        found[letter] = body
    return found


def defined(test_id: str) -> bool:
    """The file exists and defines the test (a function, or a method of a class, at that name)."""
    file, *names = test_id.split("::")
    path = ROOT / file
    if not path.is_file():
        return False
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    for name in names:
        node = next(
            (
                n
                for n in scope
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name
            ),
            None,
        )
        if node is None:
            return False
        scope = node.body if isinstance(node, ast.ClassDef) else []
    return True


def commands(body: str) -> list[str]:
    return [line for block in re.findall(r"```sh\n(.*?)```", body, re.S) for line in block.splitlines() if line]


def test_every_safeguard_of_164_312_has_its_section():
    assert set(sections()) == set(SAFEGUARDS)


def test_every_test_named_on_the_page_exists():
    named = set(TEST_ID.findall(PAGE.read_text(encoding="utf-8")))
    assert len(named) > 30
    missing = sorted(test_id for test_id in named if not defined(test_id))
    assert missing == [], "docs/compliance.md names tests that do not exist:\n" + "\n".join(missing)


def test_each_sections_command_re_runs_exactly_the_tests_it_names():
    for letter, body in sections().items():
        [command] = commands(body)
        assert command.startswith(COMMAND), f"({letter}): {command[:60]}…"
        run = command.removeprefix(COMMAND).split()
        assert all(TEST_ID.fullmatch(arg) for arg in run), f"({letter}) runs something other than test ids"
        table = body.split("```sh")[0]
        assert set(run) == set(TEST_ID.findall(table)), f"({letter}): the command and the table name different tests"


def test_a_test_that_does_not_exist_is_caught():
    assert defined("tests/unit/test_audit.py::test_a_changed_record_is_named")
    assert not defined("tests/unit/test_audit.py::test_nothing_by_this_name")
    assert not defined("tests/unit/no_such_file.py::test_a_changed_record_is_named")
