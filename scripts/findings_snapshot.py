"""Whether a change to the scanner or a validator leaves every finding as it was: this script
records the findings on the labelled corpora before the change and compares after it.

    PYTHONPATH=OLD python scripts/findings_snapshot.py save FILE [CORPUS...]     # before: the old code
    PYTHONPATH=NEW python scripts/findings_snapshot.py compare FILE [CORPUS...]  # after: exit 1 naming differences

A finding is recorded as (type, start, end, confidence) for every text of every message
(subject, bodies, attachments) as `policy test` scans it (normalized), and again for the text as
extracted (the benchmark's prose figure scans it before normalization). The code scanned is the
`agent` package on PYTHONPATH (a checkout of the old commit, then the new). Without CORPUS, the
corpora in tests/data/phi-corpus*. A speed-up meant to change nothing is checked this way: the
counts alone would hide a finding that moved. FILE holds no values, only types and offsets, but
keep it outside the tree all the same.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from agent.policy import evaluate
from agent.policy.scanner import Scanner

ROOT = Path(__file__).resolve().parents[1]


def findings(corpus: Path) -> list[list[object]]:
    engine = Scanner()
    rows: list[list[object]] = []
    for sample in evaluate.load_corpus(corpus):
        for form, texts in (("normalized", sample.texts), ("extracted", sample.raw_texts)):
            for index, text in enumerate(texts):
                for f in engine.scan(text, ""):
                    rows.append([sample.name, form, index, f.type, f.start, f.end, f.confidence])
    return rows


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("save", "compare"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command, file = argv[0], Path(argv[1])
    corpora = [Path(c) for c in argv[2:]] or sorted((ROOT / "tests" / "data").glob("phi-corpus*"))
    now = {corpus.name: findings(corpus) for corpus in corpora}
    for name, rows in now.items():
        digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]
        print(f"{name}: {len(rows)} findings, digest {digest}")
    if command == "save":
        file.write_text(json.dumps(now), encoding="utf-8")
        return 0
    try:
        before = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{file}: cannot be read as a saved snapshot: {exc}", file=sys.stderr)
        return 2
    differ = False
    for name, rows in now.items():
        if name not in before:
            print(f"{name}: not in {file}", file=sys.stderr)
            differ = True
            continue
        old = {tuple(r) for r in before[name]}
        new = {tuple(r) for r in rows}
        if old != new or len(rows) != len(before[name]):
            differ = True
            print(f"{name}: {len(old - new)} findings gone, {len(new - old)} new", file=sys.stderr)
            for row in sorted(old - new, key=str)[:5]:
                print(f"  gone: {row}", file=sys.stderr)
            for row in sorted(new - old, key=str)[:5]:
                print(f"  new:  {row}", file=sys.stderr)
    print("different" if differ else "identical: every finding, type, offsets and confidence")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
