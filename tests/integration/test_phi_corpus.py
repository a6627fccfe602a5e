"""The labelled corpora shipped in tests/data/, scored as `policy test` scores them: the issue's
accuracy floor holds for every structured identifier (a regression guard: a holdout set that
is not in the repo is the real test)."""

import subprocess
import sys
from pathlib import Path

import pytest

from agent.policy import evaluate
from agent.policy.scanner import normalize, scanner
from benchmarks.dlp import STRUCTURED

CORPUS = Path(__file__).resolve().parent.parent / "data" / "phi-corpus"
SECOND = CORPUS.with_name("phi-corpus-b")  # written by another hand (its README)
THIRD = CORPUS.with_name("phi-corpus-c")  # and a third
FOURTH = CORPUS.with_name("phi-corpus-d")  # and a fourth
FIFTH = CORPUS.with_name("phi-corpus-e")  # and a fifth, labelling every mention of a patient's name


def test_every_structured_detector_keeps_precision_095_and_recall_098_on_the_corpus():
    samples = evaluate.load_corpus(CORPUS)
    assert len(samples) >= 300
    report = evaluate.score(samples, evaluate.ours())
    for kind in STRUCTURED:
        score = report.scores[kind]
        assert score.expected >= 10, kind  # the corpus really exercises it
        assert score.precision >= 0.95 and score.recall >= 0.98, (kind, score, report.misses[:10])


@pytest.mark.parametrize("corpus", [SECOND, THIRD, FOURTH], ids=["second", "third", "fourth"])
def test_the_corpora_written_by_other_hands_keep_the_floor_too(corpus):
    report = evaluate.score(evaluate.load_corpus(corpus), evaluate.ours())
    for kind in (*STRUCTURED, "us_address", "patient_name"):
        score = report.scores[kind]
        # These corpora label a name only after a cue that says "patient" (their READMEs); the
        # name detectors now also find relatives, "Ms. Doe", a patient's greeting and sign-off,
        # which they count as extra. So names keep a recall floor, and a precision floor that
        # those correct finds cannot break (the broader labelling is in phi-corpus-e).
        recall, precision = (0.9, 0.7) if kind == "patient_name" else (0.95, 0.95)
        if score.expected >= 20:  # fewer, and one miss is a tenth
            assert score.precision >= precision and score.recall >= recall, (kind, score, report.misses[:10])
    total = report.micro(STRUCTURED)
    assert total.precision >= 0.98 and total.recall >= 0.98, total


def test_scanning_the_raw_extracted_text_finds_what_scanning_the_normalized_text_finds():
    # The benchmark's prose figure scans text before normalize(); offsets refer to the
    # normalized text either way.
    engine = scanner()
    for sample in evaluate.load_corpus(CORPUS):
        for raw in sample.raw_texts:
            text = normalize(raw)
            assert [(f.type, text[f.start : f.end]) for f in engine.scan(raw, "")] == [
                (f.type, text[f.start : f.end]) for f in engine.scan(text, "")
            ], sample.name


@pytest.mark.parametrize(
    "corpus, extra",
    [(SECOND, []), (THIRD, ["--no-determinism-check"]), (FOURTH, []), (FIFTH, [])],
    ids=["second", "third", "fourth", "fifth"],
)
def test_the_other_corpora_are_what_their_generators_write(tmp_path, corpus, extra):
    done = subprocess.run(
        [sys.executable, str(corpus / "generate.py"), "--out", str(tmp_path), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.rstrip().endswith("OK"), done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "labels.json").read_bytes() == (corpus / "labels.json").read_bytes()
    written = sorted(p.name for p in (tmp_path / "messages").iterdir())
    assert written == sorted(p.name for p in (corpus / "messages").iterdir())
    for name in written:
        assert (tmp_path / "messages" / name).read_bytes() == (corpus / "messages" / name).read_bytes(), name


def test_the_fifth_corpus_names_every_mention_and_keeps_a_floor():
    """Corpus e labels a name wherever it stands (its README): the floor of the broad rule. Its
    first-seen scores were far lower (names recall 0.094, then 0.366): this guards what was
    learned from it, not what an unseen corpus will show."""
    report = evaluate.score(evaluate.load_corpus(FIFTH), evaluate.ours())
    names = report.scores["patient_name"]
    assert names.expected >= 800 and names.precision >= 0.9 and names.recall >= 0.8, names
    total = report.micro(STRUCTURED)
    assert total.precision >= 0.97 and total.recall >= 0.85, total
