"""HL7 v2 and FHIR read by their fields: each field that holds a person's data becomes a line
that says what it is.

An HL7 v2 message or a FHIR resource says by position or element what each value is: PID-7 is
a birth date, `identifier` with the system http://hl7.org/fhir/sid/us-ssn an SSN. Read as
words, those values have no label and were missed (`19610314`) or found with the wrong type.
Here each such field is rendered as a line of the extracted text with the label a person would
write — `Patient name: DOE, JANE Q`, `Date of birth: 19610314`, `SSN: 123-45-6789`,
`MRN: 000123`, `Member ID: …`, `Phone: …`, `Street address: …` — and the detectors read those
lines as they read any labelled value.

Why lines and not typed spans handed past the detectors: one detection path. The scanner's
findings, `postseal policy check`, the evaluation (agent/policy/evaluate.py, which compares
with Presidio on the same texts) and the offsets a finding carries all refer to the one
extracted text, with no second source of findings to merge, order against overlaps, or keep
in step. The price is that a field's value must pass its detector's validator: an SSN field
holding `999-99-9999` or a date of birth of `00000000` is a placeholder, not PHI, and is not
reported — which is what a reader would decide too. The labels were chosen so that the
detectors accept every well-formed value (tests/unit/test_fields.py asserts each type); the
detectors gained what these lines needed and ordinary mail has too: `YYYYMMDD` after a
birth-date label, one name word after "Family name:" / "Given name:", roles' names
("Guarantor name:", "Next of kin name:"), a street line after "Street address:", a licence
number after "Driver's license:" with its state in brackets.

Values keep their characters (an HL7 name's components are joined as `FAMILY, GIVEN MIDDLE`),
so a finding compares equal to the field as written. What is not a typed field stays in the
text as before (HL7 separators as spaces, FHIR `key: value` lines), so free text in OBX, NTE
or a narrative `div` is still read. A typed value is taken out of that generic rendering, so
it is found once.

Hostile input gets an outcome, never a traceback: MSH encoding characters that cannot be told
apart fall back to the generic rendering (the message's words, separators as spaces); nesting
beyond MAX_DEPTH is read as `key: value` lines without recursion, so nothing is skipped unread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_DEPTH = 64  # FHIR resources nest a dozen levels; beyond this the raw text is read instead
PERSON_RESOURCES = {"Patient", "RelatedPerson", "Person"}

# --- labels of the rendered lines (read by agent/policy/detectors) ------------------------------
NAME, FAMILY, GIVEN, DOB, SSN, MRN, PATIENT_ID = (
    "Patient name",
    "Family name",
    "Given name",
    "Date of birth",
    "SSN",
    "MRN",
    "Patient ID",
)
MEMBER, MBI, NPI, LICENSE, PHONE, EMAIL, STREET = (
    "Member ID",
    "MBI",
    "NPI",
    "Driver's license",
    "Phone",
    "Email",
    "Street address",
)


def _line(label: str, value: str) -> str:
    return f"{label}: {value}"


# --- HL7 v2 -------------------------------------------------------------------------------------
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
    the standard (PID-5 is the patient's name); MSH is not read by field."""

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
    IDS = {("PID", 2): MRN, ("PID", 3): MRN, ("PID", 4): MRN, ("IN1", 49): MEMBER, ("NK1", 33): None}
    MEMBER_IDS = {("IN1", 36)}
    LICENSES = {("PID", 20)}


def _split(text: str, separator: str) -> list[str]:
    return text.split(separator) if separator else [text]


def hl7_text(text: str) -> tuple[str, bool, str]:
    """The message rendered for the detectors, whether it has a PID segment, and why its
    fields were not read ("" when they were)."""
    segments = [s for s in text.split("\r") if s.strip()]
    has_pid = any(s.lstrip("\n").startswith(("PID", "\ufeffPID")) for s in segments)
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
    if not value or not (
        key in HL7Fields.NAMES
        or key in HL7Fields.DATES
        or key in HL7Fields.ADDRESSES
        or key in HL7Fields.PHONES
        or key in HL7Fields.SSNS
        or key in HL7Fields.IDS
        or key in HL7Fields.MEMBER_IDS
        or key in HL7Fields.LICENSES
    ):
        return value
    kept_reps = []
    for rep in _split(value, repetition):
        parts = [_split(c, sub)[0].strip() for c in _split(rep, component)]
        comps = _split(rep, component)
        taken = _read(key, parts, typed)
        for index in taken:
            comps[index] = ""
        kept_reps.append(component.join(comps))
    return repetition.join(kept_reps)


def _read(key: tuple[str, int], parts: list[str], typed: list[str]) -> Iterator[int] | list[int]:
    """The typed lines of one repetition; the indexes of the components taken."""

    def part(index: int) -> str:
        return parts[index] if index < len(parts) else ""

    if key in HL7Fields.NAMES:
        label = HL7Fields.NAMES[key]
        given = " ".join(p for p in (part(1), part(2)) if p)
        if not part(0):
            return []
        typed.append(_line(label, f"{part(0)}, {given}" if given else part(0)))
        return [i for i in (0, 1, 2) if i < len(parts)]
    if key in HL7Fields.DATES:
        if re.fullmatch(r"\d{8}(?:\d{2,6})?(?:\.\d{1,4})?(?:[+-]\d{4})?", part(0)):
            typed.append(_line(DOB, part(0)))
            return [0]
        return []
    if key in HL7Fields.ADDRESSES:
        if part(0):
            typed.append(_line(STREET, part(0)))
            return [0]
        return []
    if key in HL7Fields.PHONES:
        return _phone(parts, typed)
    if key in HL7Fields.SSNS:
        if part(0):
            typed.append(_line(SSN, part(0)))
            return [0]
        return []
    if key in HL7Fields.LICENSES:
        if part(0):
            state = part(1)
            typed.append(_line(f"{LICENSE} ({state})" if re.fullmatch(r"[A-Z]{2}", state) else LICENSE, part(0)))
            return [0]
        return []
    if key in HL7Fields.MEMBER_IDS:
        if part(0):
            typed.append(_line(MEMBER, part(0)))
            return [0]
        return []
    default = HL7Fields.IDS.get(key)
    label = _CX_TYPES.get(part(4).upper(), default if not part(4) or key[0] == "PID" else None)
    if label is None or not part(0):
        return []
    if label == LICENSE:
        state = re.sub(r"^US-?", "", part(3).split("&")[0].upper())
        label = f"{LICENSE} ({state})" if re.fullmatch(r"[A-Z]{2}", state) else LICENSE
    typed.append(_line(label, part(0)))
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
        typed.append(_line(PHONE, number))
    else:
        taken = []
    if len(parts) > 3 and "@" in parts[3]:
        typed.append(_line(EMAIL, parts[3]))
        taken.append(3)
    return taken


# --- FHIR (JSON, and XML turned into the same tree) ---------------------------------------------
_SSN_SYSTEMS = ("http://hl7.org/fhir/sid/us-ssn", "urn:oid:2.16.840.1.113883.4.1")
_NPI_SYSTEMS = ("http://hl7.org/fhir/sid/us-npi", "urn:oid:2.16.840.1.113883.4.6")
_MBI_SYSTEMS = ("http://hl7.org/fhir/sid/us-mbi",)
_DL_SYSTEM = re.compile(r"(?i)us-dl|driver|urn:oid:2\.16\.840\.1\.113883\.4\.3\.")
_MEMBER_SYSTEM = re.compile(r"(?i)member|subscriber")


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _codes(identifier: dict) -> set[str]:
    kind = identifier.get("type")
    codes = set()
    for coding in _as_list(kind.get("coding", [])) if isinstance(kind, dict) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            codes.add(coding["code"].upper())
    return codes


def _identifier_label(identifier: dict, resource: str) -> str | None:
    system = _text(identifier.get("system"))
    codes = _codes(identifier)
    if system in _SSN_SYSTEMS or codes & {"SS", "SSN"}:
        return SSN
    if system in _NPI_SYSTEMS or "NPI" in codes:
        return NPI
    if system in _MBI_SYSTEMS or codes & {"MC", "MCN"}:
        return MBI
    if _DL_SYSTEM.search(system) or "DL" in codes:
        return LICENSE
    if codes & {"MB", "SN", "MA"} or _MEMBER_SYSTEM.search(system):
        return MEMBER
    if codes & {"MR", "MRT", "PI", "PT"}:
        return MRN
    if resource == "Patient":
        return PATIENT_ID  # a patient's own identifier of no stated kind: its record number
    if resource == "Coverage":
        return MEMBER
    return None


class FhirRenderer:
    """FHIR as lines: typed lines for a person's fields, `key: value` for everything else."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.patient = False

    def node(self, node: object, depth: int = 0, key: str = "") -> None:
        if depth > MAX_DEPTH:
            self.lines.extend(flat_lines(key, node))  # read as words, without recursion
            return
        if isinstance(node, dict):
            kind = node.get("resourceType")
            if kind in PERSON_RESOURCES:
                self.patient = True
            for name, value in node.items():
                if not self._typed(kind, name, value, depth):
                    self._generic(name, value, depth)
        elif isinstance(node, list):
            for value in node:
                if isinstance(value, (dict, list)):
                    self.node(value, depth + 1)
                elif _primitive(value):
                    self.lines.append(str(value))
        elif _primitive(node):
            self.lines.append(str(node))

    def _generic(self, name: str, value: object, depth: int) -> None:
        if _primitive(value):
            self.lines.append(f"{name}: {value}")  # keep the key: it is the label detectors need
        else:
            self.node(value, depth + 1, name)

    def _typed(self, resource: object, name: str, value: object, depth: int) -> bool:
        if resource == "Coverage" and name == "subscriberId" and _text(value):
            self.lines.append(_line(MEMBER, _text(value)))
            return True
        if name == "identifier" and isinstance(resource, str):
            self._identifiers(value, resource, depth)
            return True
        if resource not in PERSON_RESOURCES:
            return False
        if name == "birthDate" and _text(value):
            self.lines.append(_line(DOB, _text(value)))
            return True
        if name == "contact":  # a patient's contacts: a name, phones, an address each
            for contact in _as_list(value):
                if isinstance(contact, dict):
                    for key, item in contact.items():
                        if not self._person_part(key, item, depth + 2):
                            self._generic(key, item, depth + 2)
            return True
        return self._person_part(name, value, depth)

    def _person_part(self, name: str, value: object, depth: int) -> bool:
        if name == "name":
            for human in _as_list(value):
                if isinstance(human, dict):
                    self._human_name(human, depth + 1)
                else:
                    self._generic(name, human, depth + 1)
            return True
        if name == "telecom":
            for point in _as_list(value):
                if isinstance(point, dict) and _text(point.get("value")):
                    system = _text(point.get("system"))
                    if system in ("phone", "fax", "sms", "pager"):
                        self.lines.append(_line(PHONE, _text(point["value"])))
                    elif system == "email" or "@" in point["value"]:
                        self.lines.append(_line(EMAIL, _text(point["value"]).removeprefix("mailto:")))
                    else:
                        self.node(point, depth + 2)
                        continue
                    self.node({k: v for k, v in point.items() if k not in ("value", "system")}, depth + 2)
                else:
                    self.node(point, depth + 2)
            return True
        if name == "address":
            for address in _as_list(value):
                if not isinstance(address, dict):
                    self.node(address, depth + 2)
                    continue
                lines = [_text(x) for x in _as_list(address.get("line", []))]
                if lines and lines[0]:
                    self.lines.append(_line(STREET, lines[0]))
                    self.lines.extend(x for x in lines[1:] if x)
                self.node({k: v for k, v in address.items() if k != "line"}, depth + 2)
            return True
        return False

    def _human_name(self, human: dict, depth: int) -> None:
        for family in _as_list(human.get("family", [])):  # a list in DSTU2, a string in R4
            if _text(family):
                self.lines.append(_line(FAMILY, _text(family)))
        for given in _as_list(human.get("given", [])):
            if _text(given):
                self.lines.append(_line(GIVEN, _text(given)))
        if _text(human.get("text")):
            self.lines.append(_line(NAME, _text(human["text"])))
        self.node({k: v for k, v in human.items() if k not in ("family", "given", "text")}, depth + 1)

    def _identifiers(self, value: object, resource: str, depth: int) -> None:
        for identifier in _as_list(value):
            if not isinstance(identifier, dict) or not _text(identifier.get("value")):
                self.node(identifier, depth + 2)
                continue
            label = _identifier_label(identifier, resource)
            if label is None:
                self.node(identifier, depth + 2)
                continue
            if label == LICENSE:
                state = re.search(r"(?i)us-dl-([a-z]{2})\b", _text(identifier.get("system")))
                label = f"{LICENSE} ({state.group(1).upper()})" if state else label
            self.lines.append(_line(label, _text(identifier["value"])))
            self.node({k: v for k, v in identifier.items() if k != "value"}, depth + 2)


def _primitive(value: object) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def flat_lines(key: str, node: object) -> list[str]:
    """`key: value` lines of a JSON tree of any depth, with a stack instead of recursion."""
    out: list[str] = []
    stack = [(key, node)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((name, x) for x in reversed(item))
        elif _primitive(item):
            out.append(f"{name}: {item}" if name else str(item))
    return out


def fhir_text(document: object) -> tuple[str, bool]:
    """JSON (or XML turned into the same tree) rendered for the detectors, and whether a
    person resource is in it. Past MAX_DEPTH a subtree is read as `key: value` lines."""
    renderer = FhirRenderer()
    renderer.node(document)
    return "\n".join(renderer.lines), renderer.patient


_FHIR_NS = "{http://hl7.org/fhir}"
_XHTML_NS = "{http://www.w3.org/1999/xhtml}"


def xml_lines(root: object) -> list[str]:
    """XML that is not read by element: values in attributes and in text, one line each."""
    parts: list[str] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        for name, value in element.attrib.items():
            parts.append(f"{tag} {name.rsplit('}', 1)[-1]}: {value}")
        if element.text and element.text.strip():
            parts.append(f"{tag}: {element.text.strip()}")
    return parts


def xml_text(root: object) -> tuple[str, bool]:
    """XML rendered for the detectors, and whether a FHIR person resource is in it. A FHIR
    document is read by element (as FHIR JSON is, subtrees past MAX_DEPTH as xml_lines);
    other XML (a FHIR resource wrapped in an envelope too) by xml_lines."""
    if not is_fhir_xml(root):
        patient = any(
            isinstance(e.tag, str) and e.tag.startswith(_FHIR_NS) and e.tag[len(_FHIR_NS) :] in PERSON_RESOURCES
            for e in root.iter()
        )
        return "\n".join(xml_lines(root)), patient
    beyond: list[object] = []
    text, patient = fhir_text(fhir_xml_tree(root, 0, beyond))
    return "\n".join([text, *(line for element in beyond for line in xml_lines(element))]), patient


def fhir_xml_tree(element: object, depth: int, beyond: list[object]) -> object:
    """FHIR XML as the JSON tree: `<family value="Doe"/>` → "family": "Doe", a resource
    element (`<Patient>`) → a dict with its resourceType, repeated elements → lists, the
    narrative's XHTML → its text. Elements past MAX_DEPTH go to `beyond`, unconverted."""
    if depth > MAX_DEPTH:
        beyond.append(element)
        return ""
    tag = element.tag if isinstance(element.tag, str) else ""
    children = [c for c in element if isinstance(c.tag, str)]
    if tag.startswith(_XHTML_NS):
        return " ".join(" ".join(element.itertext()).split())
    if not children and set(element.attrib) <= {"value", "id"} and "value" in element.attrib:
        return element.attrib["value"]
    node: dict[str, object] = {}
    local = tag.rsplit("}", 1)[-1]
    if local[:1].isupper():
        node["resourceType"] = local
    for name, value in element.attrib.items():
        node[name.rsplit("}", 1)[-1]] = value
    if len(children) == 1 and children[0].tag.rsplit("}", 1)[-1][:1].isupper() and not node:
        return fhir_xml_tree(children[0], depth + 1, beyond)  # <resource><Patient>…</Patient></resource>
    for child in children:
        name = "div" if child.tag.startswith(_XHTML_NS) else child.tag.rsplit("}", 1)[-1]
        value = fhir_xml_tree(child, depth + 1, beyond)
        if name in node:
            previous = node[name]
            node[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            node[name] = value
    return node


def is_fhir_xml(root: object) -> bool:
    return isinstance(root.tag, str) and root.tag.startswith(_FHIR_NS)
