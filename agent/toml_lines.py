"""Where a setting is written in a TOML text: tomllib gives values, not positions, and an
error or `postseal config check` must name the line a user opens their editor at.

Each table header and each `key =` line is read with tomllib itself (so quoting and escapes
in names are TOML's, not ours) and resolved to a full dotted path, which covers the ways a
setting can be written: under `[relay]`, as a dotted key (`relay.port = 25`, at the top or
inside a table), and in an inline table (`relay = { port = 25 }`, which names the line that
holds it). A line inside a multi-line string that looks like a key could mislead the search;
the worst it does is name a wrong line, never hide an error (the file was parsed already).
"""

from __future__ import annotations

import functools
import re
import tomllib

_NAME = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
_HEADER = re.compile(rf"\[\s*({_DOTTED})\s*\]\s*(?:#.*)?")
_KEY = re.compile(rf"({_DOTTED})\s*=")


def _path(dotted: str) -> tuple[str, ...]:
    """`relay."port"` as ("relay", "port"), by asking tomllib what the name means."""
    try:
        data: object = tomllib.loads(f"{dotted} = 0")
    except (tomllib.TOMLDecodeError, RecursionError):
        return ()
    path: list[str] = []
    while isinstance(data, dict) and len(data) == 1:
        name, data = next(iter(data.items()))
        path.append(name)
    return tuple(path)


@functools.lru_cache(maxsize=4)
def _index(text: str) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
    """Each table and key path and the first line it is set on; and the inline tables' lines.
    Built once per text: a config error looks up one key, `config check` every one."""
    lines: dict[tuple[str, ...], int] = {}
    inline: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = _HEADER.fullmatch(stripped)
        if header:
            table = _path(header.group(1))
            lines.setdefault(table, number)
            lines.setdefault(table[:1], number)
            continue
        found = _KEY.match(stripped)
        if not found:
            continue
        path = table + _path(found.group(1))
        lines.setdefault(path, number)
        lines.setdefault(path[:1], number)  # `relay.port = 25` at the top also starts [relay]
        if stripped[found.end() :].lstrip().startswith("{"):
            inline.setdefault(path, number)  # `relay = { port = 25 }`: the keys inside are on this line
    return lines, inline


def line_of(text: str, section: str, key: str | None = None) -> int | None:
    """The 1-based line where `[section]` (key None) or `section.key` is set, None if not found."""
    lines, inline = _index(text)
    if key is None:
        return lines.get((section,))
    return lines.get((section, key)) or inline.get((section,))
