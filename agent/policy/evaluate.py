"""Precision and recall of a detector engine on a labelled corpus (`postseal policy test`,
benchmarks/dlp.py).

A corpus is a folder of `.eml` files (any depth; a `messages/` folder is fine) and a
`labels.json` next to them:

    {"001-letter.eml": {"us_ssn": ["512-44-8721"], "dob": ["03/14/1961"]},
     "002-negative.eml": {}}

Each value is an identifier as it appears in the message's text once MIME is decoded and
the text extracted. A finding counts as a true positive when its text equals a labelled
value of the same type (compared without punctuation and case); attachment-level types
(`hl7_patient_data`, …) are compared by count. A value may also be given as a number: the
count of that type. Messages not in labels.json are not scored.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

from agent.policy.inspect import extract_all
from agent.policy.rules import ATTACHMENT_FINDINGS
from agent.policy.scanner import normalize

Analyzer = Callable[[str], list[tuple[str, int, int]]]  # normalized text → (type, start, end)


class CorpusError(ValueError):
    pass


@dataclass
class Sample:
    name: str
    texts: list[str]  # normalized text of every readable piece (subject, bodies, attachments)
    attachment_findings: Counter  # type → count, from extraction itself
    expected: dict[str, list[str] | int]
    raw_texts: list[str] = field(default_factory=list)  # the same pieces as extracted, before normalize()


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    true_positives: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "expected": self.expected,
            "found": self.found,
            "true_positives": self.true_positives,
            "false_positives": self.found - self.true_positives,
            "false_negatives": self.expected - self.true_positives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Report:
    scores: dict[str, Score] = field(default_factory=dict)
    characters: int = 0
    seconds: float = 0.0
    messages: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (message, type, "missed"/"extra")

    @property
    def mb_per_second(self) -> float:
        return self.characters / self.seconds / 1e6 if self.seconds else 0.0

    def micro(self, kinds: tuple[str, ...]) -> Score:
        """The scores of `kinds` added up: one precision and recall for a family of types."""
        total = Score()
        for kind in kinds:
            score = self.scores.get(kind)
            if score:
                total.expected += score.expected
                total.found += score.found
                total.true_positives += score.true_positives
        return total


def canonical(kind: str, value: str) -> str:
    if kind in ("patient_name", "us_address", "email"):
        return " ".join(re.sub(r"[^\w@.]+", " ", value).casefold().split())
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def load_corpus(folder: Path) -> list[Sample]:
    labels_file = folder / "labels.json"
    try:
        labels = json.loads(labels_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"{labels_file}: no labels.json in the corpus folder") from None
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{labels_file}: cannot be read as JSON: {exc}") from None
    if not isinstance(labels, dict):
        raise CorpusError(f"{labels_file}: expected an object of file name → labels")
    files = {p.name: p for p in folder.rglob("*.eml")}
    missing = sorted(set(labels) - set(files))
    if missing:
        raise CorpusError(f"{labels_file}: labelled but not found: {', '.join(missing[:5])}")
    samples = []
    for name in sorted(labels):
        message = BytesParser(policy=policy.default).parsebytes(files[name].read_bytes())
        texts, raw, attached = [], [], Counter()
        for item in extract_all(message):
            attached.update(f.type for f in item.findings)
            if item.text:
                raw.append(item.text)
                texts.append(normalize(item.text))
        samples.append(Sample(name, texts, attached, labels[name], raw))
    return samples


def score(samples: list[Sample], analyzer: Analyzer, types: tuple[str, ...] | None = None) -> Report:
    """Run `analyzer` over every text (timed) and compare with the labels."""
    report = Report(messages=len(samples))
    found_by_sample: list[list[tuple[str, str]]] = []
    started = time.perf_counter()
    for sample in samples:
        found = []
        for text in sample.texts:
            found.extend((kind, text[start:end]) for kind, start, end in analyzer(text))
        found_by_sample.append(found)
    report.seconds = time.perf_counter() - started
    report.characters = sum(len(t) for s in samples for t in s.texts)
    for sample, found in zip(samples, found_by_sample, strict=True):
        _compare(sample, found, report, types)
    return report


def _compare(sample: Sample, found: list[tuple[str, str]], report: Report, types: tuple[str, ...] | None) -> None:
    kinds = set(sample.expected) | {k for k, _ in found} | set(sample.attachment_findings)
    for kind in kinds:
        if types is not None and kind not in types:
            continue
        s = report.scores.setdefault(kind, Score())
        expected = sample.expected.get(kind, [])
        if kind in ATTACHMENT_FINDINGS:
            want = expected if isinstance(expected, int) else len(expected)
            got = sample.attachment_findings.get(kind, 0) + sum(1 for k, _ in found if k == kind)
            s.expected, s.found, s.true_positives = s.expected + want, s.found + got, s.true_positives + min(want, got)
            continue
        values = [v for k, v in found if k == kind]
        if isinstance(expected, int):
            hits = min(expected, len(values))
            s.expected, s.found, s.true_positives = (
                s.expected + expected,
                s.found + len(values),
                s.true_positives + hits,
            )
            continue
        remaining = Counter(canonical(kind, v) for v in expected)
        hits = 0
        for value in values:
            key = canonical(kind, value)
            if remaining[key] > 0:
                remaining[key] -= 1
                hits += 1
            else:
                report.misses.append((sample.name, kind, "extra"))
        report.misses.extend((sample.name, kind, "missed") for _ in range(sum(remaining.values())))
        s.expected += len(expected)
        s.found += len(values)
        s.true_positives += hits


def ours(scanner=None) -> Analyzer:
    from agent.policy.scanner import scanner as default

    engine = scanner or default()
    return lambda text: [(f.type, f.start, f.end) for f in engine.scan(text, "")]


def table(report: Report) -> Iterator[list[str]]:
    for kind in sorted(report.scores):
        s = report.scores[kind]
        yield [
            kind,
            str(s.expected),
            str(s.found),
            str(s.true_positives),
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
        ]
