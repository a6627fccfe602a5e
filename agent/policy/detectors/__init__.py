"""PHI/PII detectors: a fast prefilter, a precise pattern, a validator and context words each.

How a detector works (see scanner.py): every prefilter runs at once over the whole text
(one Hyperscan database, linear time); only where a prefilter hits does the precise pattern
run, on a small window around the hit, and the validator decide — by the issuing rules
(SSA for SSNs, CMS for NPIs and MBIs, the DEA's check digit, ABA's checksum, Luhn and IIN
ranges for cards) or by the label the identifier needs. Values never leave this package: a
Finding says where an identifier is and how sure we are, not what it is.

Prefilters use the syntax common to Hyperscan and Python's `re` (no look-around, no
back-references, bounded repeats) and must match a superset of what `pattern` accepts.
Precise patterns run only on windows of at most `before + after` characters, so even a
pathological input cannot make them slow.

The detectors live by family, one module each:

- base           what a detector is; context words and Luhn, shared by the validators
- identifiers    SSN, NPI, DEA, MBI: numbers issued by rule, checked by that rule
- financial      payment cards, ABA routing numbers
- records        MRN, member id, driver's licence: known by their label
- payers         health plans by name ("Aetna ID", "TRICARE DBN"): a member id's label
- states         US states (a licence's issuer, what comes before a ZIP code)
- dates          dates of birth
- codes          ICD-10, CPT, NDC: only in clinical context or labelled
- contact        phone, email, street line, PO box
- name_words     what a name looks like, the given names we know (no detector)
- cued_names     a patient's name after a cue ("Patient:", "Re:", "my son", " - "), a name label's value
- dated_names    a name next to a birth date (and that date)
- subject_names  a name in a subject line
- name_context   what tells a patient's name from a clinician's, a place's, an organisation's
                 (no detector): the judgement the three below share
- prose_names    names with no cue: in prose, after a title or a family word, last name first
                 in a list's rows, a table's name cells
- letter_names   a first name greeting or signing a patient's mail, a name ending a subject
- name_mentions  later mentions of a name found once (runs after the detectors: AFTERWARDS)

What other modules use is this package's surface: `DETECTORS` (in priority order), `TYPES`,
`Detector`, `Validator`, `context` and `luhn_ok`.
"""

from __future__ import annotations

from agent.policy.detectors.base import Detector, Validator, context, luhn_ok
from agent.policy.detectors.codes import (
    CPT,
    CPT_DESCRIBED,
    CPT_IN_PROSE,
    ICD10,
    ICD10_DOTLESS,
    ICD10_LISTED,
    NDC,
    NDC_BARE,
)
from agent.policy.detectors.contact import (
    EMAIL,
    PHONE,
    PHONE_LABELLED,
    PO_BOX,
    STREET_LABELLED,
    US_ADDRESS,
    US_ADDRESS_SPANISH,
)
from agent.policy.detectors.cued_names import NAME_LABELLED, PATIENT_AFTER_DASH, PATIENT_NAME
from agent.policy.detectors.dated_names import DOB_AFTER_NAME, NAME_BEFORE_DATE, PATIENT_BEFORE_BIRTH
from agent.policy.detectors.dates import DOB, DOB_SECOND
from agent.policy.detectors.financial import ABA, CREDIT_CARD
from agent.policy.detectors.identifiers import DEA, MBI, NPI, SSN_FORMATTED, SSN_LABELLED
from agent.policy.detectors.letter_names import CLOSING_NAME, GREETED_NAME, SIGNED_NAME, SUBJECT_END_NAME
from agent.policy.detectors.name_mentions import later_mentions
from agent.policy.detectors.prose_names import COLUMN_NAME, FAMILY_NAME, LISTED_NAME, PROSE_NAME, TITLED_NAME
from agent.policy.detectors.records import DRIVERS_LICENSE, MEMBER_ID, MEMBER_ID_PAYER, MRN, MRN_BEFORE_BIRTH
from agent.policy.detectors.subject_names import SUBJECT_NAME

__all__ = ["AFTERWARDS", "DETECTORS", "TYPES", "Detector", "Validator", "context", "luhn_ok"]

# Priority when two findings of different types overlap: the more specific one stays.
DETECTORS: tuple[Detector, ...] = (
    SSN_LABELLED,
    SSN_FORMATTED,
    CREDIT_CARD,
    MBI,
    DEA,
    ABA,
    NDC,
    NDC_BARE,
    DOB,
    DOB_SECOND,
    DRIVERS_LICENSE,
    MRN,
    MRN_BEFORE_BIRTH,
    MEMBER_ID,
    MEMBER_ID_PAYER,
    NPI,
    ICD10,
    ICD10_LISTED,
    ICD10_DOTLESS,
    CPT,
    CPT_DESCRIBED,
    CPT_IN_PROSE,
    PHONE,
    PHONE_LABELLED,
    EMAIL,
    US_ADDRESS,
    US_ADDRESS_SPANISH,
    STREET_LABELLED,
    PO_BOX,
    PATIENT_NAME,
    NAME_LABELLED,
    PATIENT_AFTER_DASH,
    PATIENT_BEFORE_BIRTH,
    NAME_BEFORE_DATE,
    DOB_AFTER_NAME,
    SUBJECT_NAME,
    COLUMN_NAME,
    TITLED_NAME,
    FAMILY_NAME,
    LISTED_NAME,
    PROSE_NAME,
    GREETED_NAME,
    SIGNED_NAME,
    CLOSING_NAME,
    SUBJECT_END_NAME,
)
TYPES: tuple[str, ...] = tuple(dict.fromkeys(d.type for d in DETECTORS))
# Run on a text's findings once every detector has: what only the whole text can tell.
AFTERWARDS = (later_mentions,)
