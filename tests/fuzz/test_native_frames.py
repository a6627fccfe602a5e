"""The Chrome native-messaging host (agent/ingress/native.py), in process, in front of one real
agent: any stream of 32-bit length-prefixed frames — requests, chunks in and out of order,
bytes that are not UTF-8 or not JSON, a frame cut short — is read to its end without an
exception; what comes back is nothing but frames Chrome accepts (at most 1 MB, JSON, each
an answer or an error with a code and a message); each request gets its one answer; and no
draft content reaches a log."""

from __future__ import annotations

import io
import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.ingress import native
from tests.fuzz.drafts import any_json, drafts
from tests.fuzz.timebox import timeboxed
from tests.fuzz.world import MARKER_NAME, start_world

HEADER = struct.Struct("=I")
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module")


@pytest.fixture(scope="module")
def world(tmp_path_factory, log_tap):
    yield from start_world(tmp_path_factory, log_tap)


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


ids = st.one_of(st.integers(0, 2**31), st.sampled_from((-1, True, 1.5, "7", None)))
# An unknown op may hold anything a page sent, marker PHI included: the host names only its
# own ops in the log (found here: it logged the first 40 characters of any op).
ops = st.one_of(st.sampled_from(("chunk", "compose", "bye", "", f"Patient {MARKER_NAME}")), any_json)
requests = st.one_of(
    st.fixed_dictionaries({"id": ids, "op": st.just("hello")}),
    st.fixed_dictionaries({"id": ids, "op": st.just("compose"), "draft": drafts()}),
    st.fixed_dictionaries(
        {"id": ids, "op": ops}, optional={"draft": any_json, "seq": any_json, "total": any_json, "data": any_json}
    ),
    any_json,  # a JSON text that is no request at all
)


@st.composite
def chunked(draw) -> list[bytes]:
    """One request cut into chunk frames, sometimes out of order, short, or with a wrong total."""
    request = draw(requests)
    text = json.dumps(request)
    ident = draw(st.integers(0, 2**31))
    size = draw(st.integers(1, max(1, len(text))))
    pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    frames = [{"id": ident, "op": "chunk", "seq": n, "total": len(pieces), "data": p} for n, p in enumerate(pieces)]
    trouble = draw(st.integers(0, 5))
    if trouble == 1 and len(frames) > 1:
        frames = draw(st.permutations(frames))
    elif trouble == 2:
        del frames[draw(st.integers(0, len(frames) - 1))]
    elif trouble == 3:
        frames[-1]["total"] = draw(st.integers(0, 5))
    return [frame(json.dumps(f).encode()) for f in frames]


one_frame = st.one_of(
    requests.map(lambda r: [frame(json.dumps(r).encode())]),
    chunked(),
    st.binary(max_size=60).map(lambda b: [frame(b)]),  # not UTF-8, not JSON
    st.sampled_from((b"{", b"\xff\xfe{}", b"", b"[1,", b'{"id": 1, "op": "hello"')).map(lambda b: [frame(b)]),
)


@st.composite
def streams(draw) -> tuple[bytes, int, int]:
    """(the bytes Chrome writes, how many whole non-chunk frames, how many chunk frames)."""
    groups = draw(st.lists(one_frame, max_size=6))
    frames = [f for group in groups for f in group]
    plain = sum(1 for f in frames if b'"op": "chunk"' not in f)
    chunks = len(frames) - plain
    data = b"".join(frames)
    ending = draw(st.integers(0, 4))
    if ending == 1:
        data += draw(st.binary(max_size=3))  # a header cut short
    elif ending == 2:
        size = draw(st.integers(1, 2**20))
        data += HEADER.pack(size) + draw(st.binary(max_size=min(20, size - 1)))  # a body cut short
    elif ending == 3:
        data += HEADER.pack(draw(st.integers(native.MAX_REQUEST + 1, 2**32 - 1)))  # over 64 MB, then EOF
        plain += 1  # answered before it is drained
    return data, plain, chunks


def read_frames(data: bytes) -> list[dict]:
    out, at = [], 0
    while at < len(data):
        (size,) = HEADER.unpack_from(data, at)
        assert size <= native.MAX_FRAME_OUT, f"frame of {size} bytes: Chrome would drop the host"
        body = data[at + 4 : at + 4 + size]
        assert len(body) == size, "a frame cut short on stdout"
        document = json.loads(body.decode("ascii"))
        assert isinstance(document, dict) and "id" in document, document
        out.append(document)
        at += 4 + size
    return out


def responses(frames: list[dict]) -> list[dict]:
    """The host's answers with chunked ones put back together."""
    out, parts = [], {}
    for f in frames:
        if f.get("op") == "chunk":
            parts.setdefault(f["id"], []).append(f["data"])
            if f["seq"] == f["total"] - 1:
                out.append(json.loads("".join(parts.pop(f["id"]))))
            continue
        out.append(f)
    assert not parts, "a chunked answer was never finished"
    return out


@timeboxed(share=1.0)
@given(stream=streams())
def test_any_frame_stream_is_read_to_its_end_and_answered_only_in_frames_chrome_accepts(
    world, log_tap, monkeypatch, stream
):
    monkeypatch.setenv("POSTSEAL_HOME", str(world.home))  # where the host finds the agent
    data, plain, chunks = stream
    stdout = io.BytesIO()
    native.Host(io.BytesIO(data), stdout).run()  # returns at end of input; anything else is a bug
    answers = responses(read_frames(stdout.getvalue()))
    assert plain <= len(answers) <= plain + chunks, (plain, chunks, answers)
    for answer in answers:
        if answer.get("ok") is True:
            assert set(answer) & {"version", "answer"}, answer
            if "answer" in answer:
                assert answer["answer"]["decision"] in ("allow", "sent", "held", "blocked"), answer
        else:
            assert answer["ok"] is False and answer["error"]["code"] and answer["error"]["message"], answer
    assert log_tap.leaks() == []


def test_deeply_nested_json_is_a_bad_request_not_a_crash(world, monkeypatch):
    monkeypatch.setenv("POSTSEAL_HOME", str(world.home))
    stdout = io.BytesIO()
    deep = b'{"id": 1, "op": "hello", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    native.Host(io.BytesIO(frame(deep) + frame(b'{"id": 2, "op": "hello"}')), stdout).run()
    # A frame that cannot be read has no id the host can trust: it is answered with id null,
    # which the extension takes as the answer to its request in flight (addins/gmail/src/native.js).
    refused, hello = read_frames(stdout.getvalue())
    assert (refused["id"], refused["error"]["code"]) == (None, "bad_request") and hello["id"] == 2


def test_an_unknown_op_is_refused_without_its_content_in_the_log(world, log_tap, monkeypatch):
    monkeypatch.setenv("POSTSEAL_HOME", str(world.home))
    request = {"id": 3, "op": f"Patient {MARKER_NAME}"}
    stdout = io.BytesIO()
    start = len(log_tap.lines)
    native.Host(io.BytesIO(frame(json.dumps(request).encode())), stdout).run()
    [answer] = read_frames(stdout.getvalue())
    assert answer["error"]["code"] == "bad_request"
    assert log_tap.leaks(since=start) == []
