"""Generated config.toml files and rules files, typed mostly right and then broken: shared by
the fuzzers of config.py, of the rules language and of the CLI that reads both."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from agent.config import SECTIONS
from agent.policy.rules import ACTIONS, ALIASES, ATTACHMENT_KINDS, DETECTOR_TYPES, RECIPIENT_SCOPES
from tests.fuzz import toml_text

FIELDS = {name: {f.name: str(f.type) for f in dataclasses.fields(cls)} for name, cls in SECTIONS.items()}


def typed(kind: str) -> st.SearchStrategy:
    """Values of a field's declared type, boundary cases included."""
    return {
        "str": toml_text.scalars.filter(lambda v: isinstance(v, str)),
        "int": st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from((0, -1, 1, 25, 587, 65535, 65536))),
        "float": st.one_of(st.floats(), st.integers(-(10**6), 10**6)),
        "bool": st.booleans(),
        "list[str]": st.lists(toml_text.scalars.filter(lambda v: isinstance(v, str)), max_size=3),
    }[kind]


@st.composite
def sections(draw) -> dict:
    """Known sections and keys with values mostly of the right type; sometimes anything."""
    out: dict = {}
    for section in draw(
        st.lists(st.one_of(st.sampled_from(sorted(SECTIONS)), toml_text.names), max_size=5, unique=True)
    ):
        if section not in SECTIONS or draw(st.integers(0, 20)) == 0:
            out[section] = draw(toml_text.toml_values)
            continue
        body = {}
        for name in draw(
            st.lists(st.one_of(st.sampled_from(sorted(FIELDS[section])), toml_text.names), max_size=4, unique=True)
        ):
            kind = FIELDS[section].get(name)
            body[name] = draw(typed(kind) if kind and draw(st.integers(0, 5)) else toml_text.toml_values)
        out[section] = body
    return out


def as_file(draw, text: str, not_utf8: bytes, deep_key: bytes = b"") -> bytes:
    """`text` as a file on disk: usually as written, else broken TOML, noise, not UTF-8, or
    (with `deep_key`) an array nested thousands deep."""
    how = draw(st.integers(0, 6 if deep_key else 5))
    if how == 1:
        text = draw(toml_text.broken(text))
    elif how == 2:
        return draw(st.binary(max_size=200))
    elif how == 3:
        return text.encode() + not_utf8
    elif how == 4 and deep_key:
        return deep_key + b"[" * draw(st.integers(1, 3000)) + b"]" * 3000
    return text.encode()


@st.composite
def config_texts(draw) -> bytes:
    return as_file(draw, toml_text.document(draw(sections())), b"\xff\xfe")


KEYS = (
    "name",
    "detectors",
    "min_count",
    "min_confidence",
    "recipients",
    "recipient_domains",
    "attachment_types",
    "sender_groups",
    "action",
    "message",
)
DOMAINS = ("partner.example", "valleyclinic.example", "example.org", "sub.partner.example")


def right_value(key: str, groups: list[str]) -> st.SearchStrategy:
    return {
        "name": st.text(max_size=20),
        "detectors": st.lists(st.sampled_from(DETECTOR_TYPES), max_size=3),
        "min_count": st.integers(-1, 4),
        "min_confidence": st.one_of(st.floats(-0.5, 1.5), st.sampled_from((0.0, 1.0, 0.8))),
        "recipients": st.sampled_from(RECIPIENT_SCOPES),
        "recipient_domains": st.lists(st.sampled_from(DOMAINS + ("@partner.example", "PARTNER.EXAMPLE")), max_size=2),
        "attachment_types": st.lists(st.sampled_from(ATTACHMENT_KINDS), max_size=2),
        "sender_groups": st.lists(st.sampled_from(groups or ["none"]), max_size=2),
        "action": st.sampled_from((*ACTIONS, *ALIASES)),
        "message": st.text(max_size=30),
    }[key]


@st.composite
def rule_documents(draw) -> dict:
    groups = draw(
        st.dictionaries(
            st.from_regex(r"\A[a-z]{1,8}\Z"),
            st.lists(
                st.sampled_from(
                    (
                        "@valleyclinic.example",
                        "billing@valleyclinic.example",
                        "dr.chen@valleyclinic.example",
                        "@x.example",
                    )
                ),
                max_size=3,
            ),
            max_size=3,
        )
    )
    rules = []
    for _ in range(draw(st.integers(0, 6))):
        rule = {}
        for key in draw(st.lists(st.one_of(st.sampled_from(KEYS), toml_text.names), max_size=6, unique=True)):
            rule[key] = draw(
                right_value(key, list(groups)) if key in KEYS and draw(st.integers(0, 6)) else toml_text.toml_values
            )
        rules.append(rule)
    document: dict = {"rule": rules} if rules else {}
    if groups or draw(st.booleans()):
        document["groups"] = groups if draw(st.integers(0, 8)) else draw(toml_text.toml_values)
    if draw(st.integers(0, 10)) == 0:
        document[draw(toml_text.names)] = draw(toml_text.toml_values)
    return document


@st.composite
def rule_files(draw) -> bytes:
    return as_file(draw, toml_text.document(draw(rule_documents())), b"\n# caf\xe9\n", deep_key=b"rule = ")
