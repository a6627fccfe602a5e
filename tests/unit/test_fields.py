"""HL7 v2 and FHIR attachments are read by field: each finding in them says what the field is
(a birth date, an SSN, a name), not only that the attachment holds patient data."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest

from agent.policy import fhir, hl7v2
from agent.policy.inspect import extract_all, inspect
from agent.policy.scanner import normalize, scan

# An ADT^A04 (register a patient) as an EHR sends it: next of kin, guarantor, insurance.
ADT_A04 = "\r".join(
    [
        "MSH|^~\\&|EPICADT|VALLEYCLINIC|POSTSEAL|VCC|202403141205||ADT^A04^ADT_A01|MSG00042|P|2.5.1",
        "EVN|A04|202403141205",
        "PID|1||000123456^^^VCC^MR~512-44-8721^^^SSA^SS||O'BRIEN-SMITH^MARY ANN^Q^JR||19610314|F|||"
        "1080 Old Mill Blvd^Apt 2^Springfield^IL^62704^USA^H||(217)448-6581^PRN^PH~^NET^Internet^"
        "mary.obrien@mail.example|^WPN^PH^^1^217^5550142||||||S9912345^IL",
        "PD1|||VALLEY CLINIC^^1234|1588667638^CHEN^EMILY",
        "NK1|1|O'BRIEN^THOMAS^J|SPO^Spouse|12 Elm Street^^Springfield^IL^62704|217-555-0143",
        "PV1|1|O|VCC^EXAM^3||||1588667638^CHEN^EMILY^^^DR^^^NPI",
        "GT1|1||DELGADO^ROSA||44 Maple Lane^^Springfield^IL^62704|2175550187|||||SE|321-54-9876",
        "IN1|1|BCBS-PPO|BCBSIL|Blue Cross Blue Shield of Illinois||||GRP991||||||||O'BRIEN^THOMAS^J|SPO|19590101|"
        "12 Elm Street^^Springfield^IL^62704|||||||||||||||||XGB123456789|||||||||||||W123456789^^^BCBS^MB",
    ]
)
ADT_FIELDS = {
    ("mrn", "000123456"),
    ("us_ssn", "512-44-8721"),
    ("patient_name", "O'BRIEN-SMITH, MARY ANN Q JR"),
    ("dob", "19610314"),
    ("us_address", "1080 Old Mill Blvd"),
    ("phone", "(217)448-6581"),
    ("email", "mary.obrien@mail.example"),
    ("phone", "(217) 555-0142"),  # XTN-6/7: area code and local number
    ("drivers_license", "S9912345"),  # PID-20, issued by IL
    ("patient_name", "O'BRIEN, THOMAS J"),  # NK1-2
    ("us_address", "12 Elm Street"),  # NK1-4, IN1-19
    ("phone", "217-555-0143"),  # NK1-5
    ("npi", "1588667638"),  # PV1-7, labelled NPI in its component
    ("patient_name", "DELGADO, ROSA"),  # GT1-3
    ("us_address", "44 Maple Lane"),  # GT1-5
    ("phone", "2175550187"),  # GT1-6
    ("us_ssn", "321-54-9876"),  # GT1-12
    ("dob", "19590101"),  # IN1-18
    ("member_id", "XGB123456789"),  # IN1-36
    ("member_id", "W123456789"),  # IN1-49
}

# An ORU^R01 (a lab result) with a note in free text: the note is still read as words.
ORU_R01 = "\r".join(
    [
        "MSH|^~\\&|MERIDIANLIS|MRL|POSTSEAL|VCC|202403150830||ORU^R01^ORU_R01|LAB778|P|2.5.1",
        "PID|1||VC680169865^^^VCC^MR||PATEL^SOFIA^R||19840520|F|||5181 Orchard Place^^Peoria^IL^61602||309-555-0166",
        "OBR|1|4455661|88776655|24323-8^Comprehensive metabolic panel^LN|||202403150700",
        "OBX|1|NM|2345-7^Glucose^LN||98|mg/dL|70-99|N|||F",
        "NTE|1||Patient called back at 309-555-0199; SSN on the requisition 303-40-5965.",
    ]
)
ORU_FIELDS = {
    ("mrn", "VC680169865"),
    ("patient_name", "PATEL, SOFIA R"),
    ("dob", "19840520"),
    ("us_address", "5181 Orchard Place"),
    ("phone", "309-555-0166"),
    ("phone", "309-555-0199"),  # in the NTE note's words
    ("us_ssn", "303-40-5965"),
}

PATIENT = {
    "resourceType": "Patient",
    "id": "pat-922457728",
    "identifier": [
        {
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
            "system": "urn:oid:2.16.840.1.113883.3.vcc",
            "value": "VC922457728",
        },
        {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "478-54-9427"},
        {"system": "http://hl7.org/fhir/sid/us-mbi", "value": "1EG4-TE5-MK73"},
        {"type": {"coding": [{"code": "DL"}]}, "system": "urn:oid:2.16.840.1.113883.4.3.17", "value": "C1234567890"},
    ],
    "name": [{"use": "official", "family": "Castillo", "given": ["Daniel", "R"]}],
    "telecom": [
        {"system": "phone", "value": "+1 615 397 1813", "use": "home"},
        {"system": "email", "value": "daniel.castillo@inbox.example"},
    ],
    "gender": "male",
    "birthDate": "1966-03-15",
    "address": [{"line": ["9136 Lakeview Boulevard", "Apt 3"], "city": "Nashville", "state": "TN"}],
    "contact": [
        {"name": {"family": "Castillo", "given": ["Ana"]}, "telecom": [{"system": "phone", "value": "615-555-0199"}]}
    ],
}
PATIENT_FIELDS = {
    ("mrn", "VC922457728"),
    ("us_ssn", "478-54-9427"),
    ("mbi", "1EG4-TE5-MK73"),
    ("drivers_license", "C1234567890"),
    ("patient_name", "Castillo"),
    ("patient_name", "Daniel"),  # the initial "R" alone names nobody
    ("phone", "+1 615 397 1813"),
    ("email", "daniel.castillo@inbox.example"),
    ("dob", "1966-03-15"),
    ("us_address", "9136 Lakeview Boulevard"),
    ("patient_name", "Ana"),  # a contact's name
    ("phone", "615-555-0199"),
}
RELATED = {
    "resourceType": "RelatedPerson",
    "patient": {"reference": "Patient/pat-922457728"},
    "relationship": [{"coding": [{"code": "DAU"}]}],
    "name": [{"family": "Okafor", "given": ["Grace"]}],
    "telecom": [{"system": "phone", "value": "(615) 555-0123"}],
    "birthDate": "1991-07-02",
    "address": [{"line": ["77 Birch Road"], "city": "Nashville"}],
}
RELATED_FIELDS = {
    ("patient_name", "Okafor"),
    ("patient_name", "Grace"),
    ("phone", "(615) 555-0123"),
    ("dob", "1991-07-02"),
    ("us_address", "77 Birch Road"),
}
COVERAGE = {
    "resourceType": "Coverage",
    "status": "active",
    "identifier": [
        {"type": {"coding": [{"code": "MB"}]}, "system": "http://bcbsil.example/member", "value": "XGB55501234"}
    ],
    "subscriberId": "XGB55501200",
    "beneficiary": {"reference": "Patient/pat-922457728"},
    "payor": [{"display": "Blue Cross Blue Shield of Illinois"}],
}
COVERAGE_FIELDS = {("member_id", "XGB55501234"), ("member_id", "XGB55501200")}


def xml_of(resource: dict, root: bool = True) -> str:
    """A FHIR resource as FHIR XML: primitives in value="…" attributes."""

    def element(name: str, value: object) -> str:
        if isinstance(value, list):
            return "".join(element(name, item) for item in value)
        if isinstance(value, dict):
            return f"<{name}>" + "".join(element(k, v) for k, v in value.items()) + f"</{name}>"
        return f'<{name} value="{value}"/>'

    body = "".join(element(k, v) for k, v in resource.items() if k != "resourceType")
    namespace = ' xmlns="http://hl7.org/fhir"' if root else ""
    return f"<{resource['resourceType']}{namespace}>{body}</{resource['resourceType']}>"


def message(*attachments: tuple[bytes, str, str]) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "lab@valleyclinic.example"
    m["To"] = "records@lakeside.example"
    m["Subject"] = "Interface sample"
    m.set_content("Attached.")
    for data, kind, name in attachments:
        maintype, subtype = kind.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def typed(data: bytes, kind: str, name: str) -> set[tuple[str, str]]:
    """(type, value) of every finding in the attachment's text, and its attachment-level types."""
    found = set()
    for item in extract_all(message((data, kind, name))):
        if item.location == f"attachment:{name}":
            text = normalize(item.text)
            found |= {(f.type, text[f.start : f.end]) for f in scan(item.text, item.location)}
            found |= {(f.type, "") for f in item.findings}
    return found


@pytest.mark.parametrize(
    "data, kind, expected",
    [(ADT_A04, "hl7_patient_data", ADT_FIELDS), (ORU_R01, "hl7_patient_data", ORU_FIELDS)],
    ids=["ADT^A04", "ORU^R01"],
)
def test_every_hl7_field_is_found_with_its_type(data, kind, expected):
    assert typed(data.encode(), "application/hl7-v2", "message.hl7") == expected | {(kind, "")}


@pytest.mark.parametrize(
    "resource, expected, patient",
    [(PATIENT, PATIENT_FIELDS, True), (RELATED, RELATED_FIELDS, True), (COVERAGE, COVERAGE_FIELDS, False)],
    ids=["Patient", "RelatedPerson", "Coverage"],
)
@pytest.mark.parametrize("syntax", ["json", "xml"])
def test_every_fhir_element_is_found_with_its_type(resource, expected, patient, syntax):
    if syntax == "json":
        data, kind = json.dumps(resource, indent=2).encode(), "application/fhir+json"
    else:
        data, kind = xml_of(resource).encode(), "application/fhir+xml"
    attachment = {("fhir_patient_data", "")} if patient else set()
    assert typed(data, kind, f"resource.{syntax}") == expected | attachment


def test_a_bundle_in_either_syntax_is_read_resource_by_resource():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in (PATIENT, COVERAGE)]}
    expected = PATIENT_FIELDS | COVERAGE_FIELDS | {("fhir_patient_data", "")}
    assert typed(json.dumps(bundle).encode(), "application/fhir+json", "bundle.json") == expected
    entries = "".join(f"<entry><resource>{xml_of(r, root=False)}</resource></entry>" for r in (PATIENT, COVERAGE))
    xml = f'<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>{entries}</Bundle>'
    assert typed(xml.encode(), "application/fhir+xml", "bundle.xml") == expected


def test_a_finding_says_the_fields_type_and_where_never_its_value():
    findings = inspect(message((ADT_A04.encode(), "application/hl7-v2", "adt.hl7")))
    kinds = {f.type for f in findings if f.location == "attachment:adt.hl7"}
    assert {"dob", "us_ssn", "mrn", "patient_name", "member_id", "drivers_license", "us_address", "phone"} <= kinds
    assert not any("19610314" in f.detail or "O'BRIEN" in f.detail for f in findings)


def test_the_narrative_and_unknown_elements_are_still_read_as_words():
    resource = dict(PATIENT, text={"status": "generated", "div": "<div>Seen with her son, SSN 303-40-5965</div>"})
    resource["note"] = "callback 309-555-0199"
    found = typed(json.dumps(resource).encode(), "application/fhir+json", "p.json")
    assert {("us_ssn", "303-40-5965"), ("phone", "309-555-0199")} <= found
    xml = xml_of(PATIENT).replace(
        "<id ", '<text><div xmlns="http://www.w3.org/1999/xhtml"><p>SSN 303-40-5965</p></div></text><id '
    )
    assert ("us_ssn", "303-40-5965") in typed(xml.encode(), "application/fhir+xml", "p.xml")


# --- hostile input: an outcome, never a traceback ---------------------------------------------
def test_truncated_segments_are_read_as_far_as_they_go():
    text = "MSH|^~\\&|A|B\rPID|1||000777^^^X^MR||DOE^JA\rPID|1||\rNK1\rIN1|1|"
    found = typed(text.encode(), "application/hl7-v2", "cut.hl7")
    assert found == {("hl7_patient_data", ""), ("mrn", "000777"), ("patient_name", "DOE, JA")}


@pytest.mark.parametrize(
    "msh",
    ["MSH|||||A|B", "MSH|^^^^|A", "MSH|^", "MSH|a~\\&|A", "MSH| ~\\&|A"],
    ids=["separators-all-bars", "one-character-four-times", "too-short", "letter", "space"],
)
def test_separators_that_cannot_be_told_apart_fall_back_to_words_and_say_so(msh):
    text = f"{msh}\rPID|1||000777^^^X^MR||DOE^JANE||19610314|||||||||||SSN 512-44-8721"
    readable, has_pid, unread = hl7v2.hl7_text(text)
    assert has_pid and "cannot be told apart" in unread or "too short" in unread
    items = [i for i in extract_all(message((text.encode(), "application/hl7-v2", "odd.hl7"))) if "odd" in i.location]
    assert items and any(f.type == "hl7_patient_data" and unread in f.detail for f in items[0].findings)
    assert ("us_ssn", "512-44-8721") in typed(text.encode(), "application/hl7-v2", "odd.hl7")  # its words still read


def test_a_field_repeated_a_hundred_thousand_times_is_read_once_each():
    text = "MSH|^~\\&|A|B\rPID|1||" + "~" * 100_000 + "000777^^^X^MR" + "~" * 100_000 + "||DOE^JANE||19610314\r"
    readable, has_pid, unread = hl7v2.hl7_text(text)
    assert has_pid and not unread and readable.count("MRN: 000777") == 1
    assert len(readable) <= len(text) + 100  # one space per empty repetition, no more


def test_json_nested_past_the_depth_read_by_field_is_read_as_text_and_nothing_is_lost():
    deep: object = {"ssn": "512-44-8721"}
    for _ in range(fhir.MAX_DEPTH + 10):
        deep = {"a": deep}
    data = json.dumps({"resourceType": "Patient", "birthDate": "1961-03-14", "extension": deep}).encode()
    found = typed(data, "application/fhir+json", "deep.json")
    assert {("dob", "1961-03-14"), ("us_ssn", "512-44-8721"), ("fhir_patient_data", "")} <= found
    beyond_python = b'{"a":' * 200_000 + b"1" + b"}" * 200_000  # past json's recursion limit
    assert typed(beyond_python, "application/json", "bomb.json") == set()


def test_xml_nested_past_the_depth_read_by_field_is_read_as_text():
    inner = '<extension url="x"><valueString value="SSN 512-44-8721"/></extension>'
    for _ in range(fhir.MAX_DEPTH + 10):
        inner = f'<extension url="x">{inner}</extension>'
    xml = f'<Patient xmlns="http://hl7.org/fhir"><birthDate value="1961-03-14"/>{inner}</Patient>'
    found = typed(xml.encode(), "application/fhir+xml", "deep.xml")
    assert {("dob", "1961-03-14"), ("us_ssn", "512-44-8721"), ("fhir_patient_data", "")} <= found


def test_fhir_with_values_of_the_wrong_shape_is_read_without_error():
    odd = {
        "resourceType": "Patient",
        "name": ["Castillo", {"family": ["Castillo"], "given": "Daniel"}, 7],
        "identifier": ["x", {"value": 5}, {"system": None, "value": "VC922457728"}],
        "telecom": [None, {"system": "phone"}, "555"],
        "address": ["9136 Lakeview Boulevard", {"line": "77 Birch Road"}],
        "birthDate": 19610314,
        "contact": [None, {"name": [{"family": "Okafor"}]}],
    }
    found = typed(json.dumps(odd).encode(), "application/fhir+json", "odd.json")
    assert {("patient_name", "Castillo"), ("patient_name", "Daniel"), ("mrn", "VC922457728")} <= found
    assert {("us_address", "77 Birch Road"), ("patient_name", "Okafor"), ("fhir_patient_data", "")} <= found


def test_a_fhir_patient_wrapped_in_other_xml_is_still_patient_data():
    envelope = f'<Envelope xmlns="urn:example:soap"><Body>{xml_of(PATIENT)}</Body></Envelope>'
    found = typed(envelope.encode(), "application/xml", "envelope.xml")
    assert ("fhir_patient_data", "") in found and ("us_ssn", "478-54-9427") in found
