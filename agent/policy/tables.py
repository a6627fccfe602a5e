"""Tables as text the detectors can read: each cell carries its column's header.

In a spreadsheet, a CSV export or an HTML table the label of a value is the column header,
often rows away ("DOB" on top, "03/14/1961" twenty rows down). Label-anchored detectors
need the label next to the value, so a row under a header `Patient | DOB | MRN` is written
`Patient: Jane Doe<TAB>DOB: 03/14/1961<TAB>MRN: VC-0048213`. A two-column table whose left
column holds labels ("DOB" | "03/14/1961") becomes "DOB: 03/14/1961". Anything else is
written as tab-separated rows. Values are never changed, only labelled.

Plain text holds tables too: a claims batch pasted tab-separated, a Markdown table of
denied lines (`| Line | CPT | Dx |`), a reschedule list with pipes, a unit census printed in
space-aligned columns, an export's `PATIENT_NAME=…|MRN=…` lines. `label_text_tables` finds
runs of such lines under a header row (and each KEY=VALUE line) and labels them the same
way; everything else in the text stays as it was.
"""

from __future__ import annotations

import csv
import io
import re

_LABEL_WORDS = re.compile(
    r"(?i)\b(?:patient|name|dob|birth|mrn|record|chart|member|subscriber|policy|group|insurance|ssn|social|"
    r"npi|dea|mbi|medicare|medicaid|phone|tel|mobile|cell|fax|e-?mail|address|street|cpt|hcpcs|procedure|"
    r"icd|diagnosis|dx|code|ndc|routing|aba|account|card|licen[cs]e|dl|id)\b"
)
_NUMBERISH = re.compile(r"^[\d\s.,:/$%()+-]+$")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)*")  # "> " of a quoted reply
_RULE = re.compile(r"^[ \t|:+-]*-{3}[ \t|:+-]*$")  # a Markdown or ASCII rule row: |---|:--:|


def _cells(row: list[str]) -> list[str]:
    # "PATIENT_NAME" is a header's "PATIENT NAME"; "ana_ruiz@mail.example" stays an address.
    return [" ".join((cell if "@" in cell else cell.replace("_", " ")).split()) for cell in map(str, row)]


def _is_header(row: list[str]) -> bool:
    filled = [c for c in row if c]
    if len(filled) < 2 or any(_NUMBERISH.match(c) for c in filled):
        return False
    return any(_LABEL_WORDS.search(c) for c in filled)


def render(rows: list[list[str]]) -> str:
    rows = [_cells(r) for r in rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        return ""
    pairs = [r for r in rows if len([c for c in r if c]) == 2]
    if len(pairs) == len(rows) and sum(bool(_LABEL_WORDS.search(r[0])) for r in rows) * 2 > len(rows):
        return "\n".join(f"{r[0]}: {' '.join(c for c in r[1:] if c)}" for r in rows)  # label | value
    if len(rows) >= 2 and _is_header(rows[0]):
        header = rows[0]
        lines = ["\t".join(header)]
        for row in rows[1:]:
            lines.append(
                "\t".join(
                    f"{header[i]}: {cell}" if i < len(header) and header[i] and cell else cell
                    for i, cell in enumerate(row)
                )
            )
        return "\n".join(lines)
    if all(len([c for c in r if c]) <= 2 for r in rows) and any(_LABEL_WORDS.search(r[0]) for r in rows if r):
        return "\n".join(
            f"{r[0]}: {' '.join(c for c in r[1:] if c)}" if len(r) > 1 and _LABEL_WORDS.search(r[0]) else "\t".join(r)
            for r in rows
        )
    return "\n".join("\t".join(r) for r in rows)


def csv_to_text(text: str) -> str:
    """A CSV or TSV file, labelled by its header row when it has one."""
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error:
        return text  # not CSV after all: read it as text
    if not rows or max(len(r) for r in rows) < 2:
        return text
    return render(rows)


_ALIGNED_CELL = re.compile(r"\S+(?: \S+)*")  # words one space apart; two or more spaces part cells
_SENTENCE = re.compile(r"[.!?,;]$|[.!?;] |:")  # prose or "LABEL: value", not a column name
_RECORD_PAIR = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9_]{0,40})=(.*)$", re.S)
_RECORD_SPLIT = re.compile(r"[|\t&]")


def _row(line: str) -> tuple[str, list[str], list[int]] | None:
    """A line's delimiter, cells and (for a space-aligned row) where each cell starts; None
    when it is not a table row."""
    line = line[_QUOTE.match(line).end() :].rstrip()
    if line.count("|") >= 2 or (line.startswith("|") and line.count("|") >= 1):
        return "|", line.strip("|").split("|"), []
    if "\t" in line.strip():
        return "\t", line.strip().split("\t"), []
    if "  " in line.strip():
        cells = list(_ALIGNED_CELL.finditer(line))
        if len(cells) >= 2:
            return "  ", [c.group(0) for c in cells], [c.start() for c in cells]
    return None


def _aligned_header(row: tuple[str, list[str], list[int]]) -> bool:
    """A report's column header ("ROOM    PATIENT NAME    DOB    MRN"): three or more short
    cells, so that two spaces after a sentence's full stop do not make a table."""
    cells = row[1]
    return (
        len(cells) >= 3
        and all(len(c) <= 30 and len(c.split()) <= 4 and not _SENTENCE.search(c) for c in cells)
        and _is_header(_cells(cells))
    )


def _under(header: tuple[str, list[str], list[int]], row: tuple[str, list[str], list[int]]) -> list[str]:
    """A space-aligned row's cells: in order when there are as many as columns, else each
    under the header column it starts in (an empty cell leaves a gap)."""
    if len(row[1]) == len(header[1]):
        return row[1]
    out = [""] * len(header[1])
    for cell, start in zip(row[1], row[2], strict=True):
        column = max((i for i, at in enumerate(header[2]) if at <= start + 2), default=0)
        out[column] = f"{out[column]} {cell}".strip()
    return out


def _record(line: str) -> str | None:
    """An export's KEY=VALUE line ("PATIENT_NAME=DOE, JANE|DATE_OF_BIRTH=1971-12-02|MRN=…") as
    "PATIENT NAME: DOE, JANE<TAB>DATE OF BIRTH: …", or None when it is not one."""
    if line.count("=") < 2:
        return None
    pieces = _RECORD_SPLIT.split(line) if _RECORD_SPLIT.search(line) else line.split()
    out, pairs = [], 0
    for piece in pieces:
        pair = _RECORD_PAIR.match(piece)
        if pair:
            pairs += 1
            out.append(f"{pair.group(1).replace('_', ' ')}: {pair.group(2)}")
        else:
            out.append(piece)
    return "\t".join(out) if pairs >= 2 else None


def label_text_tables(text: str) -> str:
    """Plain text with every delimited or space-aligned table under a header row, and every
    KEY=VALUE record line, labelled (see above). Each line is looked at once, so a megabyte
    of pipes costs linear time."""
    if "\t" not in text and "|" not in text and "  " not in text and "=" not in text:
        return text  # most mail: nothing to do
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        record = _record(lines[i]) if "=" in lines[i] else None
        if record is not None:
            out.append(record)
            i += 1
            continue
        first = _row(lines[i])
        if first is None or not (_aligned_header(first) if first[0] == "  " else _is_header(_cells(first[1]))):
            out.append(lines[i])
            i += 1
            continue
        rows, j = [first[1]], i + 1
        while j < len(lines):
            if first[0] != "\t" and _RULE.match(lines[j]):
                j += 1
                continue
            row = _row(lines[j])
            if row is None or row[0] != first[0]:
                break
            rows.append(_under(first, row) if first[0] == "  " else row[1])
            j += 1
        if len(rows) >= 2:
            out.append(render(rows))
        else:  # a header with nothing under it: as it was
            out.extend(lines[i:j])
        i = j
    return "\n".join(out)
