"""MIME intake and inspection, in process: any bytes are either a message the agent
understands or a BadMessage saying why; whatever it understands is inspected without an
exception; and a Social Security number in any readable part is found — or the part is
reported as not inspectable. Never a pass by accident."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent import intake
from agent.policy.inspect import MAX_DEPTH, MAX_PARTS, inspect_message
from agent.policy.rules import DETECTOR_TYPES
from tests.fuzz.messages import any_message, chain, well_formed, wide
from tests.fuzz.timebox import timeboxed


def parse_or_refuse(raw: bytes) -> intake.Intake | None:
    try:
        return intake.parse(raw)
    except intake.BadMessage as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None


@timeboxed(share=0.25)
@given(raw=any_message())
def test_any_bytes_are_a_message_or_a_one_line_refusal_and_inspect_without_error(raw):
    parsed = parse_or_refuse(raw)
    if parsed is None:
        return
    assert intake.valid_address(parsed.sender) and parsed.recipients
    inspection = inspect_message(parsed.message)
    assert {f.type for f in inspection.findings} <= set(DETECTOR_TYPES)
    # What the agent stores is what it parsed: written out and read again, it still parses.
    assert intake.parse(parsed.message.as_bytes()).sender == parsed.sender


@timeboxed(share=0.25)
@given(built=well_formed(max_depth=8))
def test_an_ssn_in_any_readable_part_is_found_or_the_part_is_reported(built):
    parsed = intake.parse(built.raw)  # well formed: always accepted
    found = {f.type for f in inspect_message(parsed.message).findings}
    if built.ssn_in:
        assert found & {"us_ssn", "uninspectable_attachment", "mime_beyond_limits"}, (built.ssn_in, found)
    if built.depth > MAX_DEPTH or built.parts > MAX_PARTS:
        assert "mime_beyond_limits" in found


@given(depth=st.integers(MAX_DEPTH + 1, 60))
def test_nesting_past_the_limit_is_a_finding_or_refused_not_a_crash(depth):
    # Past what is inspected the structure is a finding (held going outside); past what any
    # mail program writes, intake refuses the message as malformed.
    raw = b"From: a@valleyclinic.example\r\nTo: b@example.org\r\n" + chain(depth)
    if depth >= intake.MAX_MIME_DEPTH:
        with pytest.raises(intake.BadMessage, match="nested deeper"):
            intake.parse(raw)
        return
    findings = inspect_message(intake.parse(raw).message).findings
    assert any(f.type == "mime_beyond_limits" and "nested" in f.detail for f in findings)


def test_more_parts_than_the_limit_is_a_finding_not_a_pass():
    raw = b"From: a@valleyclinic.example\r\nTo: b@example.org\r\n" + wide(MAX_PARTS + 5)
    findings = inspect_message(intake.parse(raw).message).findings
    assert any(f.type == "mime_beyond_limits" and "parts" in f.detail for f in findings)
