"""TOML written from generated data (tomllib only reads), and the values that go in it: the
fuzzers of config.toml and of rules files build documents with this, then break them."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

from hypothesis import strategies as st

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def value(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, str):
        return json.dumps(item)  # JSON's escapes are TOML's (no surrogates are generated)
    if isinstance(item, dt.datetime | dt.date | dt.time):
        return item.isoformat()
    if isinstance(item, list):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + "}"
    raise TypeError(type(item))


def document(tables: dict[str, object]) -> str:
    """Top-level tables as [name] sections (lists of tables as [[name]]), scalars first."""
    lines = [
        f"{key(k)} = {value(v)}"
        for k, v in tables.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and all(isinstance(t, dict) for t in v))
    ]
    for name, body in tables.items():
        if isinstance(body, dict):
            lines.append(f"\n[{key(name)}]")
            lines.extend(f"{key(k)} = {value(v)}" for k, v in body.items())
        elif isinstance(body, list) and body and all(isinstance(t, dict) for t in body):
            for table in body:
                lines.append(f"\n[[{key(name)}]]")
                lines.extend(f"{key(k)} = {value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


names = st.one_of(st.from_regex(r"\A[a-z_]{1,12}\Z"), st.text(min_size=1, max_size=12))
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from((0, -1, 1, 25, 65535, 65536, 2**31)),
    st.floats(),
    st.sampled_from((0.0, -0.0, math.inf, -math.inf, math.nan, 1e308, 0.5)),
    st.text(max_size=30),
    st.sampled_from(
        (
            "",
            " ",
            "off",
            "required",
            "opportunistic",
            "api",
            "smtp",
            "http://127.0.0.1:8025",
            "https://[::1",
            "http://[bad",
            "https://portal.example",
            "ftp://x",
            "127.0.0.1",
            "h:1=a:2",
            "10.0.0.1:53",
            "::1",
            "\u00e9",
            "line\nbreak",
            "tab\there",
            "\x7f",
            "a\x00b",
        )
    ),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def broken(draw, text: str) -> str:
    """The document with a few characters deleted, doubled or inserted."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(chars)))
        op = draw(st.integers(0, 2))
        if op == 0 and chars:
            del chars[at : at + draw(st.integers(1, 10))]
        elif op == 1:
            chars[at:at] = draw(st.sampled_from(list("[]{}=\"'\n#.,\\") + ["\u00e9", "\x00", "\r", "[[", "]]"]))
        elif chars:
            chars[at:at] = chars[max(0, at - 5) : at]
    return "".join(chars)
