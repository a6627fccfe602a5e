"""The figures every benchmark reports, and the table `make bench` writes into docs/benchmarks.md.

A figure is one line of that table: what was measured, Postseal's value, the baseline's value
measured in the same run (or none where no tool does the same work: then the ratio is empty and
the baseline column says why), their ratio, the target, the date and the machine (cores, CPU
model). The table sits between two markers in docs/benchmarks.md; everything outside them is
prose written by hand and left as it is.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path

BEGIN = "<!-- figures:begin (written by `make bench`: python -m benchmarks all --write docs/benchmarks.md) -->"
END = "<!-- figures:end -->"


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of samples, as every latency figure reports it
    (p99 of 200 samples is the 198th smallest); NaN for none."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class Figure:
    name: str  # what was measured, e.g. "acceptance, 8 clients: msg/s"
    postseal: float
    baseline: float | None  # measured in the same run; None: no baseline does the same work
    unit: str  # "msg/s", "ms", "MB", "s"
    baseline_what: str  # the baseline, in words
    target: str  # the target, in words ("≥ 300 msg/s", "≤ 1.5x the time")
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        """Postseal over baseline: > 1 is faster for rates, slower for times and sizes."""
        if self.baseline is None or not self.baseline:
            return None
        return self.postseal / self.baseline

    def line(self) -> str:
        """One line for the terminal."""
        base = "" if self.baseline is None else f"   baseline {_value(self.baseline, self.unit)}"
        ratio = "" if self.ratio is None else f"   ratio {self.ratio:.2f}x"
        return f"{self.name:58} {_value(self.postseal, self.unit):>14}{base}{ratio}   target {self.target}"


def _value(number: float, unit: str) -> str:
    if number != number:  # NaN: not measured
        return "—"
    digits = 2 if abs(number) < 10 else 1
    return f"{number:.{digits}f} {unit}"


def machine() -> str:
    """Cores and CPU model, as /proc/cpuinfo names it (platform's answer elsewhere)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count() or '?'} cores, {model or platform.processor() or platform.machine()}"


def table(figures: list[Figure], when: datetime.date | None = None, where: str | None = None) -> str:
    when = when or datetime.date.today()
    where = where or machine()
    rows = [
        "| figure | Postseal | baseline, same run | ratio | target | date | machine |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        base = f.baseline_what if f.baseline is None else f"{f.baseline_what}: {_value(f.baseline, f.unit)}"
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}x"
        cells = [f.name, _value(f.postseal, f.unit), base, ratio, f.target, when.isoformat(), where]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def write(document: Path, figures: list[Figure], **kwargs) -> None:
    """Replace the table between the markers of `document`; append a section when there are none.

    A document with one marker and not the other is refused (ValueError naming the file) rather
    than guessed at: the hand-written prose around the table must never be overwritten."""
    text = document.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{table(figures, **kwargs)}{END}"
    has_begin, has_end = BEGIN in text, END in text
    if has_begin and has_end:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    elif has_begin or has_end:
        raise ValueError(f"{document}: one figures marker without the other; fix the file by hand")
    else:
        text = text.rstrip("\n") + "\n\n## Figures\n\n" + block + "\n"
    document.write_text(text, encoding="utf-8")
