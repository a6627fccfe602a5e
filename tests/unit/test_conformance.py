"""The conformance runner (benchmarks/conformance.py) on small corpora of our own: what it
counts, what it expects, and that a wrong or crashing case fails the run."""

import json
import textwrap

import pytest

from benchmarks import conformance, conformance_bounce, conformance_mta_sts
from tests.unit.test_bounces import POSTFIX, QMAIL


@pytest.fixture(autouse=True)
def _no_expectations():
    conformance_bounce.forget()


def _corpus(tmp_path, files: dict[str, bytes]):
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def test_bounces_are_counted_with_the_reasons_and_peers_code_is_skipped(tmp_path, capsys):
    corpus = _corpus(
        tmp_path,
        {
            "a/postfix-01.eml": POSTFIX,
            "a/qmail-01.eml": QMAIL,
            "b/note.eml": b"Subject: hi\r\n\r\nhi\r\n",
            "b/test_parser.py": b"import os\n",
            ".git/HEAD": b"ref: x\n",
        },
    )
    assert conformance.main(["--kind", "bounce", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "bounce: 3 case(s)  parsed 2  ignored 1  wrong 0  crashed 0" in out
    assert "read by its wording (flufl.bounce): no RFC 3464 report, or a malformed one  (e.g. qmail-01.eml)" in out
    assert "names no failed recipient  (e.g. note.eml)" in out


def test_sisimai_and_flufl_expectations_turn_a_different_reading_into_wrong(tmp_path, capsys):
    corpus = _corpus(tmp_path, {"lhost-postfix-01.eml": POSTFIX, "qmail_01.txt": QMAIL})
    expected = _corpus(
        tmp_path / "expected",
        {
            "lhost-postfix.rb": textwrap.dedent("""\
            module LhostEngineTest::Public
              module Postfix
                IsExpected = {
                  # INDEX => [['D.S.N.', 'replycode', 'REASON', 'hardbounce'], [...]]
                  '01' => [['5.1.1',   '550', 'userunknown',     true]],
                }
              end
            end
            """).encode(),
            "test_detectors.py": b"DETECTORS = [('qmail', 'qmail_01.txt', [b'someone.else@partner.test'], False)]\n",
        },
    )
    assert conformance.main(["--kind", "bounce", "--expect", str(expected), str(corpus)]) == 1
    out = capsys.readouterr().out
    assert "2 expected result(s) loaded" in out
    assert "2 recipient(s) where sisimai expects 1  (e.g. lhost-postfix-01.eml)" in out
    assert "failed: ['someone.else@partner.test'] missing (flufl.bounce expects them)" in out


VECTORS = {
    "mta_sts_vectors": [
        {"txt": ["v=STSv1; id=a1", "v=STSv10; id=zz"], "expect": "a1"},
        {"txt": ["v=STSv1"], "expect": None},
        {"policy": "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: +5\n", "expect": False},
        {
            "policy": "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 5\n",
            "content_type": "TEXT/PLAIN",
            "expect": True,
        },
        {"policy": "version: STSv1\nmode: none\nmax_age: 5\n", "status": 301, "expect": False},
        {"content_type": "text/plain+", "expect": False},
        {"mx": ["*.example.com"], "host": "example.com", "expect": False},
        {"name": "a vector that is itself wrong", "mx": ["*.example.com"], "host": "a.example.com", "expect": False},
    ]
}


def test_mta_sts_vectors_give_one_outcome_each_and_a_disagreement_fails_the_run(tmp_path, capsys):
    corpus = _corpus(
        tmp_path,
        {
            "vectors.json": json.dumps(VECTORS).encode(),
            "other.json": b"[1, 2]",
            "broken.json": b"{",
            "notes.txt": b"v=STSv1; id=1",
        },
    )
    assert conformance.main(["--kind", "mta-sts", str(corpus)]) == 1
    out = capsys.readouterr().out
    assert "mta-sts: 8 case(s)  parsed 7  ignored 0  wrong 1  crashed 0" in out
    assert "a vector that is itself wrong: ours True, the vector's False" in out


def test_a_peer_that_is_stricter_than_the_rfc_is_set_aside_with_its_reason(tmp_path):
    (tmp_path / "mtasts").mkdir()
    test = tmp_path / "mtasts" / "parse_test.go"
    test.write_text(
        'func TestRecord(t *testing.T) {\n\tgood("v=STSv1; id=a", Record{})\n\tbad("v=STSv1; id=a;;")\n'
        '\tbad(`v=STSv10`)\n}\n\nfunc TestParsePolicy(t *testing.T) {\n\tbad("version:STSv1\\nmode:none\\n'
        'max_age:+5")\n}\n'
    )
    assert conformance_mta_sts.check(test) == [
        ("parsed", ""),
        ("ignored", "'v=STSv1; id=a;;': " + conformance_mta_sts.DELIBERATE["v=STSv1; id=a;;"]),
        ("parsed", ""),
        ("parsed", ""),
    ]


def test_a_checker_that_raises_is_counted_as_crashed_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    corpus = _corpus(tmp_path, {"one.eml": POSTFIX, "two.eml": b"\x00"})

    def fragile(path):
        if path.name == "two.eml":
            raise KeyError("boom")
        return "parsed", ""

    monkeypatch.setattr(conformance_bounce, "check", fragile)
    assert conformance.main(["--kind", "bounce", str(corpus)]) == 1
    out = capsys.readouterr().out
    assert "parsed 1  ignored 0  wrong 0  crashed 1" in out and "KeyError at test_conformance.py" in out


def test_a_missing_path_is_one_line(tmp_path, capsys):
    assert conformance.main(["--kind", "bounce", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == f"conformance: {tmp_path / 'nowhere'} does not exist"
