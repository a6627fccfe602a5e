"""HL7 v2 and FHIR read by their fields: each field that holds a person's data becomes a line
that says what it is. This module holds the decision and the labels; hl7v2.py reads HL7 v2
by field, fhir.py FHIR JSON and XML by element, extract.py calls them.

An HL7 v2 message or a FHIR resource says by position or element what each value is: PID-7 is
a birth date, `identifier` with the system http://hl7.org/fhir/sid/us-ssn an SSN. Read as
words, those values have no label and were missed (`19610314`) or found with the wrong type.
Here each such field is rendered as a line of the extracted text with the label a person would
write — `Patient name: DOE, JANE Q`, `Date of birth: 19610314`, `SSN: 123-45-6789`,
`MRN: 000123`, `Member ID: …`, `Phone: …`, `Street address: …` — and the detectors read those
lines as they read any labelled value.

Why lines and not typed spans handed from the extractor past the detectors (weighed: they
would need no detector changes and no validator would stand between a field and its
finding): one detection path. The scanner's findings, `postseal policy check`, the
evaluation (agent/policy/evaluate.py, which compares with Presidio on the same texts) and the
offsets a finding carries all refer to the one extracted text, with no second source of
findings to carry through the sandbox, merge, order against overlaps and keep in step. The price is that a field's value must pass its detector's validator: an SSN field
holding `999-99-9999` or a date of birth of `00000000` is a placeholder, not PHI, and is not
reported — which is what a reader would decide too. The labels were chosen so that the
detectors accept every well-formed value (tests/unit/test_fields.py asserts each type); the
detectors gained what these lines needed and ordinary mail has too: `YYYYMMDD` after a
birth-date label, one name word after "Family name:" / "Given name:", roles' names
("Guarantor name:", "Next of kin name:"), a street line after "Street address:" with or
without a suffix, a licence number after "Driver's license:" written out, and ten digits
after "Phone:" are never an NPI (one in ten passes its check digit).

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


def line(label: str, value: str) -> str:
    return f"{label}: {value}"
