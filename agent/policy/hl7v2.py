"""HL7 v2 read by field (the labelled lines and why: fields.py).

The separators are the message's own (MSH-1 and MSH-2), and a segment's fields are split by
them as the standard says. python-hl7, which did this before, is not used here: it takes an
MSH-2 of "^^^^" (the same character four times) without complaint, and stops a short MSH with
an `assert`, gone under `python -O`; the split itself is a few lines. Field numbers are the
standard's (v2.5.1): PID-5 is the patient's name.
"""

from __future__ import annotations

import re

from agent.policy.fields import DOB, EMAIL, LICENSE, MBI, MEMBER, MRN, NAME, NPI, PHONE, SSN, STREET, line

# Identifier type codes (HL7 table 0203) and the label each becomes.
_CX_TYPES = {
    "MR": MRN,
    "MRT": MRN,
    "PI": MRN,
    "PT": MRN,
    "PN": MRN,
    "SS": SSN,
    "SSN": SSN,
    "DL": LICENSE,
    "MB": MEMBER,
    "MA": MEMBER,
    "SN": MEMBER,
    "MC": MBI,
    "MCN": MBI,
    "NPI": NPI,
}


class HL7Fields:
    """One segment's fields: (segment, field number) → how to read it. Field numbers as in
    the standard (PID-5 is the patient's name); MSH is not read by field. Not read by field,
    by choice: IN1-2 (the health plan's ID, shared by everyone in the plan, like a group
    number), IN1-8 (group number), PD1-4 and PV1-7/8 (clinicians, XCN: their NPIs are read as
    words, with the "NPI" the component carries), PID-18 (the visit's account number)."""

    NAMES = {
        ("PID", 5): NAME,
        ("PID", 6): "Mother's maiden name",
        ("PID", 9): "Alias name",
        ("NK1", 2): "Next of kin name",
    }
    NAMES |= {("GT1", 3): "Guarantor name", ("GT1", 4): "Spouse name", ("IN1", 16): "Insured name"}
    DATES = {("PID", 7), ("NK1", 16), ("GT1", 8), ("IN1", 18)}
    ADDRESSES = {("PID", 11), ("NK1", 4), ("GT1", 5), ("IN1", 19)}
    PHONES = {("PID", 13), ("PID", 14), ("NK1", 5), ("NK1", 6), ("GT1", 6), ("GT1", 7)}
    SSNS = {("PID", 19), ("GT1", 12), ("NK1", 37)}
    # CX identifiers: by their type code (_CX_TYPES); one of another or no type in PID-2/3/4
    # still identifies the patient and is reported as the record number, our nearest type.
    IDS = {("PID", 2): MRN, ("PID", 3): MRN, ("PID", 4): MRN, ("IN1", 49): MEMBER, ("NK1", 33): None}
    MEMBER_IDS = {("IN1", 36)}
    LICENSES = {("PID", 20)}


# Fields whose value is their first component, each under one label: the street line of an
# address (the city, state and ZIP stay words), an SSN, a policy number.
_FIRST_COMPONENT = ((HL7Fields.ADDRESSES, STREET), (HL7Fields.SSNS, SSN), (HL7Fields.MEMBER_IDS, MEMBER))
_READ = frozenset().union(*(getattr(HL7Fields, kind) for kind in dir(HL7Fields) if kind.isupper()))


def _split(text: str, separator: str) -> list[str]:
    return text.split(separator) if separator else [text]


_PID = re.compile(r"[\ufeff\s]*PID(?![A-Za-z0-9])")


def hl7_text(text: str) -> tuple[str, bool, str]:
    """The message rendered for the detectors, whether it has a PID segment, and why its
    fields were not read ("" when they were)."""
    segments = [s for s in text.split("\r") if s.strip()]
    has_pid = any(_PID.match(s) for s in segments)
    separators = _separators(segments[0] if segments else "")
    if isinstance(separators, str):
        return _words(text, "|^~\\&"), has_pid, separators
    field, component, repetition, escape, sub = separators
    out: list[str] = []
    for segment in segments:
        fields = segment.split(field)
        name = fields[0].strip().lstrip("\ufeff")
        typed: list[str] = []
        if name != "MSH":
            for number in range(1, len(fields)):
                fields[number] = _typed_field(name, number, fields[number], separators, typed)
        out.append(_words(field.join(fields), field + component + repetition + escape + sub))
        out.extend(typed)
    return "\n".join(out), has_pid, ""


def _separators(msh: str) -> tuple[str, str, str, str, str] | str:
    """MSH-1 (field separator) and MSH-2 (component, repetition, escape, subcomponent)."""
    msh = msh.lstrip("\ufeff \t\n")
    if not msh.startswith("MSH") or len(msh) < 8:
        return "MSH segment too short to name its separators"
    field = msh[3]
    encoding = msh[4:].split(field, 1)[0]
    chars = [field, *encoding[:4]]
    if len(encoding) < 2 or len(set(chars)) != len(chars) or any(c.isalnum() or c.isspace() for c in chars):
        return f"MSH-1/MSH-2 separators {msh[3:9]!r} cannot be told apart"
    component, repetition = encoding[0], encoding[1]
    escape = encoding[2] if len(encoding) > 2 else ""
    sub = encoding[3] if len(encoding) > 3 else ""
    return field, component, repetition, escape, sub


def _words(text: str, separators: str) -> str:
    """The generic rendering: separators become spaces, segments lines."""
    return re.sub(f"[{re.escape(separators)}]", " ", text.replace("\r", "\n"))


def _typed_field(segment: str, number: int, value: str, seps: tuple[str, ...], typed: list[str]) -> str:
    """Append the field's typed lines to `typed`; return the field without the values taken."""
    key = (segment, number)
    _, component, repetition, _, sub = seps
    if not value or key not in _READ:
        return value
    kept_reps = []
    for rep in _split(value, repetition):
        parts = [_split(c, sub)[0].strip() for c in _split(rep, component)]
        comps = _split(rep, component)
        taken = _read(key, parts, typed)
        if taken and key not in HL7Fields.ADDRESSES:
            # What else the repetition holds describes the value (type and use codes, an
            # assigning authority: "MR", "SSA", "PRN^PH"), and read as words it was misread
            # ("MR SSA" is a title and a surname): a typed repetition leaves nothing behind.
            comps = [""]
        for index in taken if key in HL7Fields.ADDRESSES else ():
            comps[index] = ""  # the city, state and ZIP stay as words
        kept_reps.append(component.join(comps))
    return repetition.join(kept_reps)


def _read(key: tuple[str, int], parts: list[str], typed: list[str]) -> list[int]:
    """The typed lines of one repetition; the indexes of the components taken."""

    def part(index: int) -> str:
        return parts[index] if index < len(parts) else ""

    if key in HL7Fields.NAMES:
        label = HL7Fields.NAMES[key]
        given = " ".join(p for p in (part(1), part(2), part(3)) if p)  # given, middle, suffix
        if not part(0):
            return []
        typed.append(line(label, f"{part(0)}, {given}" if given else part(0)))
        return [0]
    if key in HL7Fields.DATES:
        if re.fullmatch(r"\d{8}(?:\d{2,6})?(?:\.\d{1,4})?(?:[+-]\d{4})?", part(0)):
            typed.append(line(DOB, part(0)))
            return [0]
        return []
    for fields, label in _FIRST_COMPONENT:  # the value is the first component
        if key in fields:
            if not part(0):
                return []
            typed.append(line(label, part(0)))
            return [0]
    if key in HL7Fields.PHONES:
        return _phone(parts, typed)
    if key in HL7Fields.LICENSES:
        if part(0):
            state = part(1)
            typed.append(line(f"{LICENSE} ({state})" if re.fullmatch(r"[A-Z]{2}", state) else LICENSE, part(0)))
            return [0]
        return []
    default = HL7Fields.IDS.get(key)
    label = _CX_TYPES.get(part(4).upper(), default if not part(4) or key[0] == "PID" else None)
    if label is None or not part(0):
        return []
    if label == LICENSE:
        state = re.sub(r"^US-?", "", part(3).split("&")[0].upper())
        label = f"{LICENSE} ({state})" if re.fullmatch(r"[A-Z]{2}", state) else LICENSE
    typed.append(line(label, part(0)))
    return [0]


def _phone(parts: list[str], typed: list[str]) -> list[int]:
    """XTN: the number as written (XTN-1), else area code and local number (XTN-6, XTN-7);
    an e-mail address in XTN-4."""
    taken = []
    number = parts[0] if parts else ""
    if len(parts) > 6 and not re.search(r"\d{3}", number) and parts[6]:
        area, local = parts[5], parts[6]
        number = f"({area}) {local[:3]}-{local[3:]}" if area and len(local) == 7 else f"{area} {local}".strip()
        taken += [5, 6]
    elif number:
        taken.append(0)
    if re.search(r"\d", number):
        typed.append(line(PHONE, number))
    else:
        taken = []
    if len(parts) > 3 and "@" in parts[3]:
        typed.append(line(EMAIL, parts[3]))
        taken.append(3)
    return taken
