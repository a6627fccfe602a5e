"""JSON from clients, nesting bounded without recursion (agent/client_json.py)."""

from __future__ import annotations

import json

import pytest

from agent.client_json import MAX_DEPTH, BadJson, depth, loads


def test_depth_counts_arrays_and_objects_but_not_brackets_in_strings():
    assert depth(b'{"a": [1, {"b": "[[[[{{{{"}], "c": "\\"[["}') == 3
    assert depth(b"[]") == 1 and depth(b"42") == 0


def test_exactly_the_limit_parses_and_one_more_is_refused_without_recursion():
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(BadJson, match="deeper than 64 levels") as refused:
        loads(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert refused.value.too_deep
    with pytest.raises(BadJson, match="deeper than 64 levels"):
        loads("[" * 1_000_000)  # never reaches the decoder: no RecursionError, no MemoryError


def test_what_is_not_json_or_not_utf8_says_so_and_names_what_it_was():
    with pytest.raises(BadJson, match="the draft is not valid JSON") as refused:
        loads(b'{"a": ', "the draft")
    assert not refused.value.too_deep
    with pytest.raises(BadJson, match="the draft is not UTF-8"):
        loads(b'{"a": "\xff"}', "the draft")


def test_a_large_string_is_cheap_and_its_content_does_not_count():
    data = json.dumps({"content_base64": "[" * 5_000_000}).encode()
    assert loads(data)["content_base64"].startswith("[[")
