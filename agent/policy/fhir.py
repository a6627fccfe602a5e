"""FHIR R4 read by element, in JSON and in XML (the labelled lines and why: fields.py).

FHIR XML is first turned into the tree FHIR JSON is (`<family value="Doe"/>` → "family":
"Doe"), so both are read by one renderer. Person resources (Patient, RelatedPerson, Person)
give names, birth date, phones, e-mail, street lines and identifiers; Coverage its member
identifiers; an NPI identifier is an NPI in any resource. Everything else is read as
`key: value` lines, as before.
"""

from __future__ import annotations

import re

from agent.policy.fields import (
    DOB,
    EMAIL,
    FAMILY,
    GIVEN,
    LICENSE,
    MBI,
    MEMBER,
    MRN,
    NAME,
    NPI,
    PATIENT_ID,
    PERSON_RESOURCES,
    PHONE,
    SSN,
    STREET,
    line,
)

MAX_DEPTH = 64  # FHIR resources nest a dozen levels; deeper subtrees are read as key: value lines

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
            self.lines.append(line(MEMBER, _text(value)))
            return True
        if name == "identifier" and isinstance(resource, str):
            self._identifiers(value, resource, depth)
            return True
        if resource not in PERSON_RESOURCES:
            return False
        if name == "birthDate" and _text(value):
            self.lines.append(line(DOB, _text(value)))
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
                        self.lines.append(line(PHONE, _text(point["value"])))
                    elif system == "email" or "@" in point["value"]:
                        self.lines.append(line(EMAIL, _text(point["value"]).removeprefix("mailto:")))
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
                    self.lines.append(line(STREET, lines[0]))
                    self.lines.extend(x for x in lines[1:] if x)
                self.node({k: v for k, v in address.items() if k != "line"}, depth + 2)
            return True
        return False

    def _human_name(self, human: dict, depth: int) -> None:
        for family in _as_list(human.get("family", [])):  # a list in DSTU2, a string in R4
            if _text(family):
                self.lines.append(line(FAMILY, _text(family)))
        for given in _as_list(human.get("given", [])):
            if _text(given):
                self.lines.append(line(GIVEN, _text(given)))
        if _text(human.get("text")):
            self.lines.append(line(NAME, _text(human["text"])))
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
            self.lines.append(line(label, _text(identifier["value"])))
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
