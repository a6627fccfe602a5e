#!/usr/bin/env python3
"""Generate Postseal's synthetic, labelled PHI/PII test corpus.

    python tests/data/phi-corpus/generate.py            # writes messages/*.eml and labels.json here
    python tests/data/phi-corpus/generate.py --out DIR  # writes DIR/messages/*.eml and DIR/labels.json

Everything is invented: people come from small built-in name lists, clinics and every
domain end in `.example`, and every identifier is random but valid by its issuing rules
(validators below). The output is deterministic: a fixed seed, fixed MIME boundaries,
Message-IDs and dates, and ZIP containers (DOCX, XLSX, ZIP) written with fixed timestamps,
so running this twice gives byte-identical files.

How labels are made: every identifier is inserted through `Labels.__call__`, which
validates it and records (type, value) at the moment it is written into the message —
so a value shown twice is labelled twice, and a value that is not inserted is not labelled.
See README.md for what each entity type covers.

Only the standard library plus python-docx and openpyxl (DOCX/XLSX attachments) are used;
PDFs are written by hand.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import quopri
import random
import re
import struct
import textwrap
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

SEED = 20241125
HERE = Path(__file__).resolve().parent
FIXED_ZIP_TIME = (2024, 6, 1, 12, 0, 0)  # every ZIP member's timestamp (DOS time: even seconds)

# ============================================================================================
# Validators: each identifier type by its issuing rules. generate.py asserts every labelled
# value passes, and every look-alike in the hard negatives fails; check.py reuses them.
# ============================================================================================

SSN_PUBLISHED = {"078051120", "219099999", "457555462"}  # advertising/wallet-card numbers


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` Luhn-valid."""
    return next(d for d in "0123456789" if luhn_valid(partial + d))


def ssn_valid(value: str) -> bool:
    """ddd-dd-dddd, ddd dd dddd or 9 bare digits; SSA never issues area 000, 666, 900-999,
    group 00 or serial 0000; the published specimen numbers are nobody's."""
    m = re.fullmatch(r"(\d{3})([- ]?)(\d{2})\2(\d{4})", value)
    if not m:
        return False
    area, group, serial = m.group(1), m.group(3), m.group(4)
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in SSN_PUBLISHED


def npi_valid(value: str) -> bool:
    """10 digits starting 1 or 2; Luhn over the prefix 80840 plus all ten digits (CMS)."""
    return bool(re.fullmatch(r"[12]\d{9}", value)) and luhn_valid("80840" + value)


DEA_FIRST_LETTERS = "ABCDEFGHJKLMPRSTUX"


def dea_check_digit(six: str) -> str:
    d = [int(c) for c in six]
    return str(((d[0] + d[2] + d[4]) + 2 * (d[1] + d[3] + d[5])) % 10)


def dea_valid(value: str, last_name: str | None = None) -> bool:
    m = re.fullmatch(r"([A-Z])([A-Z9])(\d{6})(\d)", value)
    if not m or m.group(1) not in DEA_FIRST_LETTERS or dea_check_digit(m.group(3)) != m.group(4):
        return False
    if last_name is not None:
        return m.group(2) in ("9", ascii_fold(last_name)[0].upper())
    return True


MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # A-Z without S, L, O, I, B, Z
_MBI_SLOTS = (
    "123456789",
    MBI_LETTERS,
    MBI_LETTERS + "0123456789",
    "0123456789",
    MBI_LETTERS,
    MBI_LETTERS + "0123456789",
    "0123456789",
    MBI_LETTERS,
    MBI_LETTERS,
    "0123456789",
    "0123456789",
)


def mbi_valid(value: str) -> bool:
    if re.fullmatch(r"\w{4}-\w{3}-\w{4}", value):
        value = value.replace("-", "")
    return len(value) == 11 and all(c in slot for c, slot in zip(value, _MBI_SLOTS, strict=True))


def card_brand(digits: str) -> str | None:
    if len(digits) == 16 and digits[0] == "4":
        return "visa"
    if len(digits) == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720):
        return "mastercard"
    if len(digits) == 15 and digits[:2] in ("34", "37"):
        return "amex"
    if len(digits) == 16 and (digits[:4] == "6011" or digits[:2] == "65"):
        return "discover"
    return None


def credit_card_valid(value: str) -> bool:
    if not re.fullmatch(r"\d[\d -]*\d", value):
        return False
    digits = re.sub(r"[ -]", "", value)
    return card_brand(digits) is not None and luhn_valid(digits)


ABA_PREFIXES = [*range(1, 13), *range(21, 33), *range(61, 73), 80]


def aba_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{9}", value) or int(value[:2]) not in ABA_PREFIXES:
        return False
    d = [int(c) for c in value]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def ndc_valid(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d", value))


def icd10_valid(value: str) -> bool:
    return bool(re.fullmatch(r"[A-TV-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?", value))


def cpt_valid(value: str) -> bool:
    return bool(re.fullmatch(r"\d{5}", value))


DOB_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y%m%d")


def dob_valid(value: str) -> bool:
    for fmt in DOB_FORMATS:
        try:
            when = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return date(1900, 1, 1) <= when <= date(2024, 12, 31)
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)  # 3/4/1961 (no leading zeros)
    return bool(m) and dob_valid(f"{int(m.group(1)):02d}/{int(m.group(2)):02d}/{m.group(3)}")


PHONE_FORMATS = (r"\(\d{3}\) \d{3}-\d{4}", r"\d{3}-\d{3}-\d{4}", r"\d{3}\.\d{3}\.\d{4}", r"\+1 \d{3} \d{3} \d{4}")


def phone_valid(value: str) -> bool:
    if not any(re.fullmatch(f, value) for f in PHONE_FORMATS):
        return False
    digits = re.sub(r"\D", "", value)[-10:]
    return digits[0] not in "01" and digits[3] not in "01"


def email_valid(value: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.example", value))


STREET_SUFFIXES = (
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Lane",
    "Ln",
    "Drive",
    "Dr",
    "Court",
    "Ct",
    "Boulevard",
    "Blvd",
    "Way",
    "Place",
    "Pl",
    "Terrace",
    "Parkway",
    "Pkwy",
    "Circle",
)


def us_address_valid(value: str) -> bool:
    suffixes = "|".join(STREET_SUFFIXES)
    return bool(
        re.fullmatch(
            rf"\d{{1,5}} (?:[NSEW]\.? |North |South |East |West )?[A-Z][A-Za-z']+(?: [A-Z][A-Za-z']+)* (?:{suffixes})",
            value,
        )
    )


def label_id_valid(value: str) -> bool:  # mrn, member_id, drivers_license: the ID without its label
    return bool(re.fullmatch(r"[A-Z0-9][A-Z0-9-]{3,19}", value)) and any(c.isdigit() for c in value)


def name_valid(value: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_][\w' .,-]*[^\W\d_]", value))


VALIDATORS = {
    "us_ssn": ssn_valid,
    "npi": npi_valid,
    "dea": dea_valid,
    "mbi": mbi_valid,
    "credit_card": credit_card_valid,
    "aba_routing": aba_valid,
    "ndc": ndc_valid,
    "icd10": icd10_valid,
    "cpt": cpt_valid,
    "dob": dob_valid,
    "phone": phone_valid,
    "email": email_valid,
    "us_address": us_address_valid,
    "mrn": label_id_valid,
    "member_id": label_id_valid,
    "drivers_license": label_id_valid,
    "patient_name": name_valid,
}
ATTACHMENT_TYPES = ("hl7_patient_data", "fhir_patient_data", "encrypted_archive", "uninspectable_attachment")
ENTITY_TYPES = (*VALIDATORS, *ATTACHMENT_TYPES)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


# ============================================================================================
# Labels: every identifier goes into a message through here.
# ============================================================================================

KEEP = "\x01"  # stands for a space inside a labelled value until the text is wrapped


def fin(text: str) -> str:
    """Final form of a text: the spaces inside labelled values come back."""
    return text.replace(KEEP, " ")


class Labels:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def __call__(self, kind: str, value: str, shown: str | None = None) -> str:
        """Record `value` (what a reader sees after de-obfuscation) and return the text to
        insert (`shown`, e.g. with zero-width characters; default the value itself)."""
        check = VALIDATORS[kind]
        if not check(value):
            raise ValueError(f"invalid {kind}: {value!r}")
        self.items.append((kind, value))
        return (value if shown is None else shown).replace(" ", KEEP)

    def attachment(self, kind: str, filename: str) -> None:
        assert kind in ATTACHMENT_TYPES
        self.items.append((kind, filename))

    def mark(self) -> int:
        return len(self.items)

    def repeat(self, start: int, end: int | None = None) -> None:
        """The text between two marks is shown once more (e.g. a text/html alternative)."""
        self.items.extend(self.items[start:end])

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for kind, value in self.items:
            out.setdefault(kind, []).append(value)
        return dict(sorted(out.items()))


def fill(L: Labels, template: str, **values: tuple[str, str]) -> str:
    """Fill the {placeholders} that `template` contains; only those values are labelled.
    (Never build alternatives as f-strings that call L: every alternative would be labelled.)"""
    out = template
    for key, (kind, value) in values.items():
        token = "{" + key + "}"
        while token in out:
            out = out.replace(token, L(kind, value), 1)
    return out


# ============================================================================================
# The invented world: names, places, clinics, providers.
# ============================================================================================

FIRST_F = [
    "Jane",
    "Maria",
    "Emily",
    "Aisha",
    "Grace",
    "Linda",
    "Sofia",
    "Hannah",
    "Renée",
    "Priya",
    "Olivia",
    "Mei",
    "Chloe",
    "Fatima",
    "Nora",
    "Ruth",
    "Zoë",
    "Isabel",
    "Dana",
    "Carmen",
    "Beatrice",
    "Yuki",
]
FIRST_M = [
    "John",
    "David",
    "Michael",
    "Luis",
    "Omar",
    "Samuel",
    "Kevin",
    "Ethan",
    "José",
    "Marcus",
    "Daniel",
    "Hiro",
    "Patrick",
    "Andre",
    "Tomás",
    "Victor",
    "Noah",
    "Ravi",
    "Peter",
    "Isaac",
    "Walter",
    "Felix",
]
LAST = [
    "Doe",
    "Roe",
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Patel",
    "Kowalski",
    "Jensen",
    "Haddad",
    "Moreau",
    "O'Brien",
    "Fischer",
    "Tanaka",
    "Alvarez",
    "Lindqvist",
    "Mensah",
    "Rossi",
    "Ibrahim",
    "Novak",
    "Brennan",
    "Castillo",
    "Whitfield",
    "Abernathy",
    "Delacroix",
    "Yilmaz",
    "Quinlan",
    "Osei",
    "Varga",
    "Holloway",
    "Müller",
    "Ferreira",
    "Kaplan",
    "Sato",
    "Eriksen",
    "Dubois",
]
STREETS = [
    "Maple",
    "Cedar",
    "Harbor",
    "Lakeview",
    "Willow",
    "Orchard",
    "Juniper",
    "Meadowbrook",
    "Pine Ridge",
    "Elm",
    "Sycamore",
    "Bayberry",
    "Foxglove",
    "Granite",
    "Kestrel",
    "Larkspur",
    "Quarry",
    "Hawthorn",
    "Old Mill",
    "Riverside",
    "Chestnut",
    "Briar Hill",
    "Sandpiper",
    "Aspen",
]
CITIES = [
    ("Springfield", "IL", "627", "217"),
    ("Riverton", "WY", "825", "307"),
    ("Fairview", "OR", "970", "503"),
    ("Lakewood", "CO", "802", "303"),
    ("Greenville", "SC", "296", "864"),
    ("Madison", "WI", "537", "608"),
    ("Clinton", "IA", "527", "563"),
    ("Franklin", "TN", "370", "615"),
    ("Georgetown", "TX", "786", "512"),
    ("Salem", "MA", "019", "978"),
    ("Arlington", "VA", "222", "703"),
    ("Bristol", "CT", "060", "860"),
]
MAIL_DOMAINS = ["mail.example", "inbox.example", "webmail.example", "post.example"]


@dataclass
class Place:
    street: str  # "1420 Maple Avenue" — the us_address value
    city: str
    state: str
    zip: str
    area: str  # the area code used for phones around here


@dataclass
class Person:
    first: str
    last: str
    sex: str
    dob: date
    home: Place
    phone: str
    email: str
    mrn: str
    member_id: str
    ssn: str
    mbi: str
    middle: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def title(self) -> str:
        return "Ms." if self.sex == "F" else "Mr."

    @property
    def they(self) -> str:
        return "she" if self.sex == "F" else "he"

    @property
    def their(self) -> str:
        return "her" if self.sex == "F" else "his"

    def age_on(self, day: date) -> int:
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


@dataclass
class Clinic:
    name: str
    domain: str
    site: Place
    phone: str
    fax: str
    short: str  # assigning-authority code in HL7, MRN prefix


@dataclass
class Provider:
    first: str
    last: str
    credential: str
    specialty: str
    clinic: Clinic
    npi: str
    dea: str
    email: str

    @property
    def name(self) -> str:
        return (
            f"Dr. {self.first} {self.last}"
            if self.credential in ("MD", "DO")
            else f"{self.first} {self.last}, {self.credential}"
        )

    @property
    def salutation(self) -> str:
        return f"Dr. {self.last}" if self.credential in ("MD", "DO") else f"{self.first} {self.last}"

    @property
    def signature_name(self) -> str:
        return f"{self.first} {self.last}, {self.credential}"


# ============================================================================================
# Random but valid identifiers.
# ============================================================================================


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clinics: dict[str, Clinic] = {}
        self.providers: list[Provider] = []
        self._build_world()

    # --- primitives -----------------------------------------------------------------------
    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def digits(self, n: int, first: str = "0123456789") -> str:
        return self.rng.choice(first) + "".join(self.rng.choice("0123456789") for _ in range(n - 1))

    def token(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    # --- identifiers ------------------------------------------------------------------------
    def ssn(self, style: str = "dash") -> str:
        while True:
            area, group, serial = self.rng.randint(1, 899), self.rng.randint(1, 99), self.rng.randint(1, 9999)
            sep = {"dash": "-", "space": " ", "bare": ""}[style]
            value = f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"
            if ssn_valid(value):
                return value

    def npi(self) -> str:
        partial = self.digits(9, "12")
        return partial + luhn_check_digit("80840" + partial)

    def dea(self, last_name: str, business: bool = False) -> str:
        first = self.pick(DEA_FIRST_LETTERS)
        second = "9" if business else ascii_fold(last_name)[0].upper()
        six = self.digits(6)
        return f"{first}{second}{six}{dea_check_digit(six)}"

    def mbi(self, dashed: bool = False) -> str:
        value = "".join(self.pick(slot) for slot in _MBI_SLOTS)
        return f"{value[:4]}-{value[4:7]}-{value[7:]}" if dashed else value

    def card(self, brand: str | None = None, sep: str | None = None) -> str:
        brand = brand or self.pick(["visa", "visa", "mastercard", "mastercard", "amex", "discover"])
        prefix = {
            "visa": "4",
            "amex": self.pick(["34", "37"]),
            "discover": self.pick(["6011", "65"]),
            "mastercard": self.pick([str(self.rng.randint(51, 55)), str(self.rng.randint(2221, 2720))]),
        }[brand]
        length = 15 if brand == "amex" else 16
        partial = prefix + self.digits(length - 1 - len(prefix))
        number = partial + luhn_check_digit(partial)
        sep = self.pick([" ", "-", ""]) if sep is None else sep
        groups = (4, 6, 5) if brand == "amex" else (4, 4, 4, 4)
        parts, at = [], 0
        for size in groups:
            parts.append(number[at : at + size])
            at += size
        return sep.join(parts)

    def aba(self) -> str:
        d = [int(c) for c in f"{self.pick(ABA_PREFIXES):02d}" + self.digits(6)]
        check = (-(3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5]))) % 10
        return "".join(map(str, d)) + str(check)

    def ndc(self) -> str:
        shape = self.pick([(4, 4, 2), (5, 3, 2), (5, 4, 1)])
        return "-".join(self.digits(n) for n in shape)

    def phone(self, area: str | None = None, style: str | None = None) -> str:
        area = area or self.digits(3, "23456789")
        exchange = self.digits(3, "23456789")
        line = self.digits(4)
        style = style or self.pick(["paren", "paren", "dash", "dot", "intl"])
        return {
            "paren": f"({area}) {exchange}-{line}",
            "dash": f"{area}-{exchange}-{line}",
            "dot": f"{area}.{exchange}.{line}",
            "intl": f"+1 {area} {exchange} {line}",
        }[style]

    def mrn(self, clinic_prefix: str = "VC") -> str:
        style = self.rng.randint(0, 4)
        if style == 0:
            return f"{clinic_prefix}-{self.digits(7)}"
        if style == 1:
            return f"{self.digits(2, '123456789')}-{self.digits(5)}"
        if style == 2:
            return f"{self.pick('ABCDEFGHKMT')}{self.digits(6)}"
        if style == 3:
            return self.digits(8, "123456789")
        return f"{clinic_prefix}{self.digits(9)}"

    def member_id(self) -> str:
        style = self.rng.randint(0, 3)
        if style == 0:
            return "".join(self.pick("ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(3)) + self.digits(9)
        if style == 1:
            return self.pick("WHMZ") + self.digits(9)
        if style == 2:
            return f"{self.digits(5, '123456789')}-{self.digits(2)}"
        return f"{self.pick(['EVG', 'NSM', 'BCX'])}{self.digits(8)}-{self.digits(2)}"

    def group_number(self) -> str:
        return self.pick(
            [f"{self.digits(6)}", f"GRP-{self.digits(5)}", f"{self.digits(5, '123456789')}-{self.digits(3)}"]
        )

    def drivers_license(self) -> tuple[str, str]:
        state = self.pick(["CA", "TX", "NY", "FL", "IL", "WA", "PA", "OR"])
        letter = self.pick("ABCDEFGHJKLMNPRSTW")
        number = {
            "CA": f"{letter}{self.digits(7)}",
            "TX": self.digits(8, "123456789"),
            "NY": self.digits(9, "123456789"),
            "FL": f"{letter}{self.digits(3)}-{self.digits(3)}-{self.digits(2)}-{self.digits(3)}-{self.digits(1)}",
            "IL": f"{letter}{self.digits(3)}-{self.digits(4)}-{self.digits(4)}",
            "WA": "WDL" + "".join(self.pick("ABCDEFGHJKLMNPQRSTVWXYZ0123456789") for _ in range(6)) + self.digits(3),
            "PA": self.digits(8, "123456789"),
            "OR": self.digits(7, "123456789"),
        }[state]
        return state, number

    # --- people and places -------------------------------------------------------------------
    def place(self, city: tuple | None = None) -> Place:
        name, state, zip3, area = city or self.pick(CITIES)
        street = self.pick(STREETS)
        prefix = self.pick(["", "", "", "N ", "S ", "East ", "West "])
        return Place(
            f"{self.rng.randint(2, 9899)} {prefix}{street} {self.pick(STREET_SUFFIXES)}",
            name,
            state,
            zip3 + self.digits(2),
            area,
        )

    def dob(self, min_age: int = 0, max_age: int = 95) -> date:
        year = 2024 - self.rng.randint(max(min_age, 1), max_age)
        return date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))

    def person(self, min_age: int = 18, max_age: int = 92, ascii_only: bool = False, sex: str | None = None) -> Person:
        while True:
            sex_ = sex or self.pick("FM")
            first = self.pick(FIRST_F if sex_ == "F" else FIRST_M)
            last = self.pick(LAST)
            if not ascii_only or (first + last).isascii():
                break
        home = self.place()
        user = ascii_fold(f"{first}.{last}").lower().replace("'", "")
        email = f"{user}{self.pick(['', '', str(self.rng.randint(1, 99))])}@{self.pick(MAIL_DOMAINS)}"
        return Person(
            first,
            last,
            sex_,
            self.dob(min_age, max_age),
            home,
            self.phone(home.area),
            email,
            self.mrn(),
            self.member_id(),
            self.ssn(),
            self.mbi(),
            middle=self.pick("ABCDEJKLMRST"),
        )

    def _build_world(self) -> None:
        specs = [
            ("home-main", "Valley Cedar Clinics — Main Campus", "clinics.example", "VC"),
            ("home-east", "Valley Cedar Clinics — Eastside", "clinics.example", "VC"),
            ("cardio", "Northshore Cardiology Associates", "northshore-cardiology.example", "NSC"),
            ("endo", "Harborview Endocrine Center", "harborview-endo.example", "HEC"),
            ("ortho", "Summit Orthopedics and Sports Medicine", "summit-ortho.example", "SOS"),
            ("peds", "Riverbend Pediatrics", "riverbend-peds.example", "RBP"),
            ("derm", "Clearwater Dermatology", "clearwater-derm.example", "CWD"),
            ("bh", "Pinecrest Behavioral Health", "pinecrest-bh.example", "PBH"),
            ("lab", "Meridian Reference Laboratory", "meridian-lab.example", "MRL"),
            ("rx", "Bluebird Community Pharmacy", "bluebird-rx.example", "BBR"),
            ("payer", "Evergreen Health Plan", "evergreen-health.example", "EVG"),
            ("payer2", "Northstar Mutual Insurance", "northstar-mutual.example", "NSM"),
        ]
        home_city = CITIES[0]
        for key, name, domain, short in specs:
            site = self.place(home_city if key.startswith("home") or self.chance(0.5) else None)
            self.clinics[key] = Clinic(name, domain, site, self.phone(site.area), self.phone(site.area), short)
        roster = [
            ("Maria", "Lopez", "MD", "family medicine", "home-main"),
            ("Samuel", "Okafor", "MD", "internal medicine", "home-main"),
            ("Emily", "Chen", "DO", "family medicine", "home-east"),
            ("Ravi", "Sundaram", "MD", "internal medicine", "home-east"),
            ("Helen", "Marsh", "NP", "family medicine", "home-main"),
            ("Thomas", "Becker", "MD", "geriatrics", "home-main"),
            ("Laura", "Whitcombe", "MD", "cardiology", "cardio"),
            ("Adebayo", "Nwosu", "MD", "cardiology", "cardio"),
            ("Ingrid", "Halvorsen", "MD", "endocrinology", "endo"),
            ("Carlos", "Mendes", "MD", "orthopedic surgery", "ortho"),
            ("Naomi", "Feldman", "MD", "pediatrics", "peds"),
            ("Grace", "Achebe", "MD", "dermatology", "derm"),
            ("Owen", "Tremblay", "MD", "psychiatry", "bh"),
            ("Julia", "Park", "PharmD", "pharmacy", "rx"),
        ]
        for first, last, cred, specialty, key in roster:
            clinic = self.clinics[key]
            email = (
                f"dr.{last.lower()}@{clinic.domain}"
                if cred in ("MD", "DO")
                else f"{first[0].lower()}.{last.lower()}@{clinic.domain}"
            )
            self.providers.append(Provider(first, last, cred, specialty, clinic, self.npi(), self.dea(last), email))

    def provider(self, where: str = "any") -> Provider:
        pool = [p for p in self.providers if p.credential != "PharmD" and p.specialty != "pediatrics"]  # adults only
        if where == "home":
            pool = [p for p in pool if p.clinic.domain == "clinics.example"]
        elif where == "external":
            pool = [p for p in pool if p.clinic.domain != "clinics.example"]
        return self.pick(pool)

    def when(self) -> datetime:
        start = datetime(2024, 1, 2, 7, 0, tzinfo=timezone(timedelta(hours=-6)))
        tz = timezone(timedelta(hours=self.pick([-5, -6, -6, -7])))
        moment = start + timedelta(days=self.rng.randint(0, 340), minutes=self.rng.randint(0, 11 * 60))
        return moment.astimezone(tz)


# ============================================================================================
# Text: formats of dates and names, clinical prose, paragraphs, signatures.
# ============================================================================================

ICD10 = [
    ("I48.91", "unspecified atrial fibrillation"),
    ("E11.9", "type 2 diabetes mellitus without complications"),
    ("Z79.01", "long-term (current) use of anticoagulants"),
    ("I10", "essential (primary) hypertension"),
    ("J45.909", "unspecified asthma, uncomplicated"),
    ("M54.50", "low back pain, unspecified"),
    ("E78.5", "hyperlipidemia, unspecified"),
    ("N18.30", "chronic kidney disease, stage 3 unspecified"),
    ("F41.1", "generalized anxiety disorder"),
    ("K21.9", "gastro-esophageal reflux disease without esophagitis"),
    ("G43.909", "migraine, unspecified, not intractable"),
    ("R07.9", "chest pain, unspecified"),
    ("E03.9", "hypothyroidism, unspecified"),
    ("M17.11", "unilateral primary osteoarthritis, right knee"),
    ("I25.10", "atherosclerotic heart disease of native coronary artery"),
    ("E66.9", "obesity, unspecified"),
    ("F32.A", "depression, unspecified"),
    ("N39.0", "urinary tract infection, site not specified"),
    ("J18.9", "pneumonia, unspecified organism"),
    ("I50.9", "heart failure, unspecified"),
    ("L40.0", "psoriasis vulgaris"),
    ("S52.501A", "fracture of lower end of right radius, initial encounter"),
    ("Z00.00", "general adult medical examination without abnormal findings"),
    ("R73.03", "prediabetes"),
    ("E55.9", "vitamin D deficiency, unspecified"),
    ("D50.9", "iron deficiency anemia, unspecified"),
    ("L70.0", "acne vulgaris"),
    ("H52.4", "presbyopia"),
    ("Z23", "encounter for immunization"),
]
CPT = [
    ("99213", "office visit, established patient, low complexity"),
    ("99214", "office visit, established, moderate"),
    ("99203", "office visit, new patient, low complexity"),
    ("93000", "electrocardiogram with interpretation"),
    ("80053", "comprehensive metabolic panel"),
    ("85025", "complete blood count with differential"),
    ("36415", "routine venipuncture"),
    ("90471", "immunization administration"),
    ("90686", "influenza vaccine"),
    ("71046", "chest X-ray, 2 views"),
    ("99395", "preventive visit, 18-39 years"),
    ("97110", "therapeutic exercise"),
    ("20610", "arthrocentesis, major joint"),
    ("83036", "hemoglobin A1c"),
    ("80061", "lipid panel"),
    ("93306", "transthoracic echocardiogram"),
    ("11721", "nail debridement, 6 or more"),
]
DRUGS = [
    ("apixaban", "5 mg", "twice daily"),
    ("metformin", "1000 mg", "twice daily"),
    ("lisinopril", "20 mg", "daily"),
    ("atorvastatin", "40 mg", "at bedtime"),
    ("levothyroxine", "75 mcg", "every morning"),
    ("sertraline", "50 mg", "daily"),
    ("albuterol HFA", "2 puffs", "every 4-6 hours as needed"),
    ("metoprolol succinate", "50 mg", "daily"),
    ("omeprazole", "20 mg", "before breakfast"),
    ("amlodipine", "5 mg", "daily"),
    ("oxycodone", "5 mg", "every 6 hours as needed"),
    ("methylphenidate ER", "18 mg", "every morning"),
    ("gabapentin", "300 mg", "three times daily"),
    ("empagliflozin", "10 mg", "daily"),
    ("hydrocodone/acetaminophen", "5/325 mg", "every 6 hours as needed"),
]
CONTROLLED = {"oxycodone": "II", "methylphenidate ER": "II", "hydrocodone/acetaminophen": "II", "gabapentin": "V"}

NARRATIVE = {
    "history": [
        "The patient reports intermittent palpitations over the past several weeks, usually in the evening and lasting a few minutes at a time.",
        "There has been no syncope, no chest pressure with exertion and no orthopnea, although stair climbing now causes mild breathlessness.",
        "Home blood pressure readings have ranged from the high 120s to the low 140s systolic according to the log brought to the visit.",
        "Appetite is preserved and weight has been stable; sleep is fragmented because of nocturia two to three times a night.",
        "The patient stopped the evening dose of the previous medication because of dizziness and did not report this until today.",
        "Symptoms began gradually after a viral illness in the winter and have not fully resolved despite rest and fluids.",
        "Exercise tolerance has improved since the last adjustment, and the patient now walks about twenty minutes most days.",
        "The patient lives with a spouse, does not smoke, drinks alcohol rarely and works part time in a school library.",
        "Family history is notable for early coronary disease in a parent and type 2 diabetes in two siblings.",
        "Medication adherence is good by self-report and by pharmacy fill history, with a pill organizer used each week.",
        "There is occasional heartburn after large meals, improved by avoiding late dinners and elevating the head of the bed.",
        "Knee pain is worse after prolonged standing and going down stairs, with morning stiffness lasting under half an hour.",
        "Mood has been lower since the winter, with reduced interest in hobbies, but there are no thoughts of self-harm.",
        "The patient asks whether the new symptoms could be related to the recent change in thyroid dosing.",
    ],
    "exam": [
        "On examination the patient is alert, well appearing and in no acute distress.",
        "Blood pressure 134/82, heart rate 78 and irregular, respiratory rate 16, oxygen saturation 97% on room air.",
        "Heart sounds are irregularly irregular without murmur; lungs are clear to auscultation bilaterally.",
        "There is trace bilateral ankle edema; distal pulses are intact and capillary refill is brisk.",
        "The right knee shows a small effusion with medial joint line tenderness and crepitus on flexion.",
        "Thyroid is not enlarged and there is no cervical lymphadenopathy.",
        "Skin shows well demarcated erythematous plaques with silvery scale over both elbows.",
        "Abdomen is soft and non-tender with normal bowel sounds; no hepatosplenomegaly is appreciated.",
        "Neurological examination is non-focal; gait is steady and Romberg is negative.",
        "Body mass index today is 31.4, down slightly from the previous visit.",
    ],
    "results": [
        "The electrocardiogram shows atrial fibrillation with a controlled ventricular rate and no acute ST changes.",
        "HbA1c is 7.8%, up from 7.1% six months ago; fasting glucose on the home meter averages in the 140s.",
        "The lipid panel shows LDL 112 mg/dL, HDL 44 mg/dL and triglycerides 186 mg/dL.",
        "Creatinine is 1.3 mg/dL with an estimated GFR of 54, stable compared with last year.",
        "TSH is 6.2 and free T4 is at the lower end of the reference range.",
        "The echocardiogram shows preserved left ventricular function with an ejection fraction of 55-60% and a mildly dilated left atrium.",
        "Plain films of the knee show medial joint space narrowing and small osteophytes without fracture.",
        "The complete blood count is unremarkable apart from a mild normocytic anemia, hemoglobin 11.6 g/dL.",
        "Urinalysis shows trace protein and no blood; the urine albumin to creatinine ratio is mildly elevated.",
    ],
    "plan": [
        "We discussed the risks and benefits of anticoagulation, and the patient prefers to continue the current regimen.",
        "I have asked the patient to keep a symptom diary and to bring the home blood pressure log to the next visit.",
        "Please evaluate for rhythm control options; rate control has been adequate but symptoms persist.",
        "We will repeat the basic metabolic panel in four weeks after the dose change and review the results by phone.",
        "Physical therapy was recommended, with a home exercise program focusing on quadriceps strengthening.",
        "Dietary counseling was provided, and a referral to the diabetes education program has been placed.",
        "The patient was advised to seek urgent care for chest pain, fainting or shortness of breath at rest.",
        "Vaccinations were reviewed; the seasonal influenza vaccine was offered and accepted today.",
        "Follow-up is planned in three months, sooner if symptoms change.",
        "We would appreciate your assessment and recommendations regarding further management.",
        "I have reviewed the medication list with the patient and reconciled it against the pharmacy records.",
        "Thank you for seeing this patient; please do not hesitate to contact our office with any questions.",
    ],
}


def fmt_date(day: date, style: str) -> str:
    return {
        "us": day.strftime("%m/%d/%Y"),
        "us_short": f"{day.month}/{day.day}/{day.year}",
        "iso": day.isoformat(),
        "long": day.strftime("%B %d, %Y").replace(" 0", " "),
        "abbr": day.strftime("%b %d, %Y"),
        "dash": day.strftime("%m-%d-%Y"),
        "euro": day.strftime("%d %B %Y"),
    }[style]


DATE_STYLES = ["us", "us", "us", "us_short", "iso", "long", "abbr", "dash", "euro"]


def name_as(p: Person, style: str) -> str:
    return {
        "first_last": p.full,
        "last_first": f"{p.last}, {p.first}",
        "upper": f"{p.last.upper()}, {p.first.upper()}",
        "middle": f"{p.first} {p.middle}. {p.last}",
    }[style]


def narrative(g: Gen, sentences: int) -> list[str]:
    """Paragraphs of clinical prose (no identifiers in it)."""
    paras, sections = [], ["history", "exam", "results", "plan"]
    per = max(2, sentences // 4)
    while sentences > 0:
        for section in sections:
            pool = NARRATIVE[section]
            take = min(per, sentences, len(pool))
            if take <= 0:
                break
            paras.append(" ".join(g.rng.sample(pool, take)))
            sentences -= take
    return paras


def long_narrative(g: Gen, target_chars: int) -> list[str]:
    paras: list[str] = []
    while sum(len(p) for p in paras) < target_chars:
        section = g.pick(["history", "exam", "results", "plan"])
        heading = {
            "history": "Interval history",
            "exam": "Examination",
            "results": "Results reviewed",
            "plan": "Assessment and plan (narrative)",
        }[section]
        paras.append(f"{heading}:")
        paras.append(" ".join(g.rng.sample(NARRATIVE[section], g.rng.randint(3, len(NARRATIVE[section]) - 2))))
    return paras


def wrap(paras: list[str], width: int = 76) -> str:
    """Plain-text body: prose paragraphs wrapped; blocks with line breaks kept as they are."""
    out = []
    for para in paras:
        if "\n" in para or para.startswith(" ") or len(para) <= width:
            out.append(para)
        else:
            out.append(textwrap.fill(para, width, break_long_words=False, break_on_hyphens=False))
    return fin("\n\n".join(out)) + "\n"


def to_html(paras: list[str], title: str = "") -> str:
    body = "".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paras)
    head = f'<head><meta charset="utf-8"><title>{html.escape(title)}</title></head>' if title else ""
    return fin(f'<!DOCTYPE html>\n<html>{head}<body style="font-family: Arial, sans-serif">\n{body}</body></html>\n')


def signature(
    L: Labels,
    g: Gen,
    who: Provider | None = None,
    *,
    clinic: Clinic | None = None,
    role: str = "",
    phone: bool = True,
    fax: bool = False,
    email: bool = False,
    address: bool = False,
) -> str:
    clinic = clinic or (who.clinic if who else None)
    lines = [who.signature_name if who else role]
    if who and who.specialty not in ("pharmacy",):
        lines.append(who.specialty.capitalize())
    lines.append(clinic.name)
    if address:
        lines.append(L("us_address", clinic.site.street))
        lines.append(f"{clinic.site.city}, {clinic.site.state} {clinic.site.zip}")
    if phone:
        lines.append(f"{g.pick(['Tel', 'Phone', 'Office', 'T'])}: {L('phone', clinic.phone)}")
    if fax:
        lines.append(f"Fax: {L('phone', clinic.fax)}")
    if email and who:
        lines.append(L("email", who.email))
    return "\n".join(lines)


CONFIDENTIALITY = (
    "CONFIDENTIALITY NOTICE: This message and any attachments may contain protected health "
    "information. If you received it in error, please notify the sender and delete it."
)


def patient_line(L: Labels, g: Gen, p: Person, cue: str | None = None, style: str | None = None) -> str:
    cue = cue or g.pick(["Patient: ", "Patient name: ", "Patient Name: ", "PATIENT: "])
    style = style or g.pick(["first_last", "first_last", "last_first", "upper", "middle"])
    return cue + L("patient_name", name_as(p, style))


def dob_line(L: Labels, g: Gen, p: Person, cue: str | None = None, style: str | None = None) -> str:
    cue = cue or g.pick(["DOB: ", "DOB ", "D.O.B.: ", "Date of birth: ", "Date of Birth: ", "Birth date: "])
    return cue + L("dob", fmt_date(p.dob, style or g.pick(DATE_STYLES)))


def mrn_line(L: Labels, g: Gen, p: Person, cue: str | None = None) -> str:
    cue = cue or g.pick(
        [
            "MRN: ",
            "MRN ",
            "MRN#: ",
            "Medical Record #: ",
            "Medical record number: ",
            "Chart No. ",
            "Chart #: ",
            "Med Rec No: ",
        ]
    )
    return cue + L("mrn", p.mrn)


def member_line(L: Labels, g: Gen, p: Person, cue: str | None = None) -> str:
    cue = cue or g.pick(
        [
            "Member ID: ",
            "Member ID ",
            "Subscriber ID: ",
            "Subscriber ID ",
            "Policy #: ",
            "Policy number: ",
            "Insurance ID: ",
            "Member #: ",
        ]
    )
    return cue + L("member_id", p.member_id)


def address_lines(L: Labels, p: Person, one_line: bool = False, cue: str = "Address: ") -> list[str]:
    street = L("us_address", p.home.street)
    rest = f"{p.home.city}, {p.home.state} {p.home.zip}"
    return [f"{cue}{street}, {rest}"] if one_line else [f"{cue}{street}", " " * len(cue) + rest]


def dx_line(L: Labels, g: Gen, code: str, text: str) -> str:
    template = g.pick(
        [
            "Diagnosis: {c} – TEXT",
            "Dx: {c} (TEXT)",
            "ICD-10: {c} TEXT",
            "Assessment: TEXT ({c})",
            "Diagnosis code {c}, TEXT",
        ]
    )
    return fill(L, template, c=("icd10", code)).replace("TEXT", text)


# ============================================================================================
# MIME assembly.
# ============================================================================================


def new_message(
    g: Gen,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    subject: str,
    when: datetime,
    cc: list[tuple[str, str]] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(sender)
    msg["To"] = ", ".join(formataddr(a) for a in to)
    if cc:
        msg["Cc"] = ", ".join(formataddr(a) for a in cc)
    msg["Subject"] = fin(subject)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{when.strftime('%Y%m%d%H%M')}.{g.token(16)}@{sender[1].split('@')[1]}>"
    return msg


def set_body(msg: EmailMessage, L: Labels, paras: list[str], mode: str, body_mark: int, title: str = "") -> None:
    """mode: plain | html | alt (text/plain and text/html alternatives: every value shown twice)."""
    if mode == "plain":
        msg.set_content(wrap(paras))
    elif mode == "html":
        msg.set_content(to_html(paras, title), subtype="html")
    else:
        msg.set_content(wrap(paras))
        msg.add_alternative(to_html(paras, title), subtype="html")
        L.repeat(body_mark)


def finish(msg: EmailMessage, number: int) -> bytes:
    """Fixed MIME boundaries (the email package would draw random ones), then the bytes."""
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_postseal_corpus_{number:03d}_{index}")
    return msg.as_bytes(policy=policy.default)


def person_addr(p: Person) -> tuple[str, str]:
    return (p.full, p.email)


def provider_addr(p: Provider) -> tuple[str, str]:
    return (p.name, p.email)


def dept(g: Gen, clinic: Clinic, box: str, label: str | None = None) -> tuple[str, str]:
    return (label or f"{clinic.name.split(' —')[0]} {box.capitalize()}", f"{box}@{clinic.domain}")


# ============================================================================================
# Attachments: DOCX, XLSX, PDF, CSV, HL7 v2, FHIR, ZIP (plain, nested, encrypted), corrupt.
# ============================================================================================


def normalized_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with fixed timestamps so the output is reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-06-01T12:00:00Z", content)
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, content)
    return out.getvalue()


def make_docx(title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "Postseal test corpus"
    props.title = fin(title)
    props.revision = 1
    document.add_heading(fin(title), level=1)
    for para in paragraphs:
        document.add_paragraph(fin(para))
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = fin(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalized_zip(buffer.getvalue())


def make_xlsx(sheets: list[tuple[str, list[list[str]]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.creator = "Postseal test corpus"
    book.properties.created = book.properties.modified = datetime(2024, 6, 1, 12, 0, 0)
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([fin(v) for v in row])  # strings: "0048213" keeps its zeros
    buffer = io.BytesIO()
    book.save(buffer)
    return normalized_zip(buffer.getvalue())


def _pdf_string(text: str) -> bytes:
    raw = fin(text).encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str], lines_per_page: int = 46) -> bytes:
    """A minimal PDF 1.4: Helvetica, one BT/ET text object per page, exact xref offsets."""
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[""]]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages)))
        + b"] /Count %d >>" % len(pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, page in enumerate(pages):
        stream = (
            b"BT /F1 10 Tf 72 720 Td 14 TL\n" + b"".join(_pdf_string(line) + b" Tj T*\n" for line in page) + b"ET\n"
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[fin(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return out.getvalue()


class _ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1), enough to write a password-protected ZIP
    that zipfile (and any unzip) opens with the password."""

    TABLE = []
    for _n in range(256):
        _c = _n
        for _ in range(8):
            _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
        TABLE.append(_c)

    def __init__(self, password: bytes) -> None:
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self._update(byte)

    def _crc(self, crc: int, byte: int) -> int:
        return (crc >> 8) ^ self.TABLE[(crc ^ byte) & 0xFF]

    def _update(self, byte: int) -> None:
        k0, k1, k2 = self.keys
        k0 = self._crc(k0, byte)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = self._crc(k2, (k1 >> 24) & 0xFF)
        self.keys = [k0, k1, k2]

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            t = (self.keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(byte)
        return bytes(out)


def make_encrypted_zip(name: str, content: bytes, password: bytes, salt: bytes) -> bytes:
    """One stored member, general-purpose flag bit 0 set (encrypted), written by hand."""
    y, mo, d, h, mi, s = FIXED_ZIP_TIME
    dos_time, dos_date = (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
    crc = zlib.crc32(content) & 0xFFFFFFFF
    header = salt[:11] + bytes([crc >> 24])  # 12-byte encryption header; last byte checks the password
    data = _ZipCrypto(password).encrypt(header + content)
    raw_name = name.encode()
    local = (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0x0001,
            0,
            dos_time,
            dos_date,
            crc,
            len(data),
            len(content),
            len(raw_name),
            0,
        )
        + raw_name
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            0x0314,
            20,
            0x0001,
            0,
            dos_time,
            dos_date,
            crc,
            len(data),
            len(content),
            len(raw_name),
            0,
            0,
            0,
            0,
            0o644 << 16,
            0,
        )
        + raw_name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


def hl7_message(
    L: Labels,
    g: Gen,
    p: Person,
    doctor: Provider,
    kind: str,
    when: datetime,
    results: list[tuple[str, str, str, str, str]] | None = None,
    control: str = "",
) -> str:
    """One HL7 v2.5.1 message (segments separated by \\r). Labelled inside, each by its field
    (the agent reads HL7 by field): MRN (PID-3), patient name (PID-5, its components as words:
    what the HL7 text shows with separators read as spaces), birth date (PID-7, YYYYMMDD),
    street (PID-11), phone (PID-13), SSN (PID-19), provider NPIs. The clinician's name in PV1 /
    OBR is not a patient's and is not labelled."""
    stamp = when.strftime("%Y%m%d%H%M")
    trigger = {"ORU": "ORU^R01^ORU_R01", "ADT": "ADT^A04^ADT_A01"}[kind]
    segments = [
        f"MSH|^~\\&|{'MERIDIANLIS' if kind == 'ORU' else 'VCCEHR'}|{'MRL' if kind == 'ORU' else 'VCC'}"
        f"|POSTSEAL|VCC|{stamp}||{trigger}|{control or g.digits(8)}|P|2.5.1"
    ]
    if kind == "ADT":
        segments.append(f"EVN|A04|{stamp}")
    pid = [""] * 20
    pid[0], pid[1] = "PID", "1"
    pid[3] = f"{L('mrn', p.mrn)}^^^{doctor.clinic.short}^MR"
    name = (p.last.upper(), p.first.upper(), p.middle)
    pid[5] = L("patient_name", " ".join(name), shown="^".join(name))
    pid[7] = L("dob", p.dob.strftime("%Y%m%d"))
    pid[8] = p.sex
    street = L("us_address", p.home.street)
    pid[11] = f"{street}^^{p.home.city}^{p.home.state}^{p.home.zip}^USA^H"
    pid[13] = f"{L('phone', p.phone)}^PRN^PH"
    pid[18] = g.digits(9, "3456789")  # patient account number (no label in the text: not an SSN)
    pid[19] = L("us_ssn", p.ssn)
    segments.append("|".join(pid))
    segments.append(
        f"PV1|1|O|{doctor.clinic.short}^EXAM^3||||{L('npi', doctor.npi)}^{doctor.last.upper()}"
        f"^{doctor.first.upper()}^^^DR^^^NPI"
    )
    for index, (code, name, value, units, ref) in enumerate(results or [], 1):
        if index == 1:
            segments.append(
                f"OBR|1|{g.digits(7, '3456789')}|{g.digits(8, '3456789')}|{code}^{name}^LN|||{stamp}"
                f"|||||||||{L('npi', doctor.npi)}^{doctor.last.upper()}^{doctor.first.upper()}"
            )
        segments.append(f"OBX|{index}|NM|{code}^{name}^LN||{value}|{units}|{ref}|N|||F")
    return "\r".join(fin(s) for s in segments) + "\r"


def fhir_patient(L: Labels, p: Person, clinic: Clinic, with_ssn: bool = True) -> dict:
    """A FHIR R4 Patient. Labelled inside, each by its element (the agent reads FHIR by
    element): the MRN identifier, SSN, family name and first given name (each a value of its
    own; the middle initial alone names nobody and is not labelled), phone, e-mail, street
    line, birthDate."""
    identifiers = [
        {
            "use": "usual",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
            "system": f"urn:oid:2.16.840.1.113883.3.{clinic.short.lower()}",
            "value": L("mrn", p.mrn),
        }
    ]
    if with_ssn:
        identifiers.append({"system": "http://hl7.org/fhir/sid/us-ssn", "value": fin(L("us_ssn", p.ssn))})
    return {
        "resourceType": "Patient",
        "id": f"pat-{p.mrn.lower().replace('-', '')}",
        "identifier": identifiers,
        "active": True,
        "name": [
            {
                "use": "official",
                "family": fin(L("patient_name", p.last)),
                "given": [fin(L("patient_name", p.first)), p.middle],
            }
        ],
        "telecom": [
            {"system": "phone", "value": fin(L("phone", p.phone)), "use": "home"},
            {"system": "email", "value": fin(L("email", p.email))},
        ],
        "gender": "female" if p.sex == "F" else "male",
        "birthDate": fin(L("dob", p.dob.isoformat())),
        "address": [
            {
                "use": "home",
                "line": [fin(L("us_address", p.home.street))],
                "city": p.home.city,
                "state": p.home.state,
                "postalCode": p.home.zip,
                "country": "US",
            }
        ],
        "managingOrganization": {"display": clinic.name},
    }


def fhir_patient_xml(patient: dict) -> bytes:
    """The same Patient as FHIR XML (values in value="…" attributes)."""

    def el(tag: str, value: str) -> str:
        return f'<{tag} value="{html.escape(str(value), quote=True)}"/>'

    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<Patient xmlns="http://hl7.org/fhir">', el("id", patient["id"])]
    for ident in patient["identifier"]:
        parts.append("<identifier>" + el("system", ident["system"]) + el("value", ident["value"]) + "</identifier>")
    parts.append(el("active", "true"))
    name = patient["name"][0]
    parts.append(
        "<name>"
        + el("use", "official")
        + el("family", name["family"])
        + "".join(el("given", g) for g in name["given"])
        + "</name>"
    )
    for telecom in patient["telecom"]:
        parts.append("<telecom>" + el("system", telecom["system"]) + el("value", telecom["value"]) + "</telecom>")
    parts.append(el("gender", patient["gender"]))
    parts.append(el("birthDate", patient["birthDate"]))
    addr = patient["address"][0]
    parts.append(
        "<address>"
        + el("use", "home")
        + "".join(el("line", x) for x in addr["line"])
        + el("city", addr["city"])
        + el("state", addr["state"])
        + el("postalCode", addr["postalCode"])
        + "</address>"
    )
    parts.append("</Patient>")
    return ("\n".join(parts) + "\n").encode("utf-8")


def to_json(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


LAB_PANELS = {
    "Basic metabolic panel": [
        ("2345-7", "Glucose", "mg/dL", "70-99", (72, 160)),
        ("2160-0", "Creatinine", "mg/dL", "0.60-1.20", (0.6, 1.8)),
        ("2951-2", "Sodium", "mmol/L", "135-145", (133, 146)),
        ("2823-3", "Potassium", "mmol/L", "3.5-5.1", (3.4, 5.4)),
        ("3094-0", "Urea nitrogen", "mg/dL", "7-20", (6, 32)),
    ],
    "Lipid panel": [
        ("2093-3", "Cholesterol", "mg/dL", "<200", (140, 260)),
        ("2085-9", "HDL cholesterol", "mg/dL", ">40", (32, 80)),
        ("13457-7", "LDL cholesterol (calc)", "mg/dL", "<100", (60, 180)),
        ("2571-8", "Triglycerides", "mg/dL", "<150", (70, 320)),
    ],
    "Complete blood count": [
        ("6690-2", "WBC", "10*3/uL", "4.0-11.0", (3.5, 12.5)),
        ("718-7", "Hemoglobin", "g/dL", "12.0-16.0", (10.5, 16.5)),
        ("777-3", "Platelets", "10*3/uL", "150-400", (140, 420)),
    ],
    "Thyroid panel": [
        ("3016-3", "TSH", "mIU/L", "0.40-4.50", (0.2, 8.5)),
        ("3024-7", "Free T4", "ng/dL", "0.8-1.8", (0.7, 1.9)),
    ],
    "Hemoglobin A1c": [("4548-4", "Hemoglobin A1c", "%", "<5.7", (5.2, 9.8))],
}


PANEL_CPT = {
    "Basic metabolic panel": "80048",
    "Lipid panel": "80061",
    "Complete blood count": "85025",
    "Thyroid panel": "84443",
    "Hemoglobin A1c": "83036",
}


def lab_results(g: Gen, panel: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for code, name, units, ref, (low, high) in LAB_PANELS[panel]:
        value = g.rng.uniform(low, high)
        shown = f"{value:.0f}" if high > 30 else f"{value:.1f}" if high > 3 else f"{value:.2f}"
        rows.append((code, name, shown, units, ref))
    return rows


# ============================================================================================
# Categories. Each function makes one message: (EmailMessage, Labels).
# ============================================================================================


def clinical_letter(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    """Referrals, consult replies and discharge letters between providers."""
    L = Labels()
    p = g.person(min_age=20)
    when = g.when()
    kind = ["referral", "consult", "discharge", "referral", "transfer"][k % 5]
    src = g.provider("home") if kind != "consult" else g.provider("external")
    dst = g.provider("external") if kind != "consult" else g.provider("home")
    code, code_text = g.pick(ICD10)
    second = g.pick([c for c in ICD10 if c[0] != code])
    subject = fill(
        L,
        g.pick(
            {
                "referral": [
                    "Referral: patient {name}",
                    "New referral — please schedule",
                    f"Referral for {dst.specialty} evaluation",
                ],
                "consult": ["Consult note: patient {name}", "Consultation summary", "Re: your referral"],
                "discharge": ["Discharge summary", "Discharge letter — patient {name}"],
                "transfer": ["Transfer of care", "Records for transfer of care", "Re: patient {name}"],
            }[kind]
        ),
        name=("patient_name", p.full),
    )
    mark = L.mark()
    age = p.age_on(when.date())
    header = [patient_line(L, g, p), dob_line(L, g, p), mrn_line(L, g, p)]
    if g.chance(0.7):
        header.append(f"{g.pick(['Phone', 'Home phone', 'Tel', 'Cell'])}: {L('phone', p.phone)}")
    if g.chance(0.6):
        header.extend(address_lines(L, p, one_line=g.chance(0.5)))
    if g.chance(0.3):
        header.append(member_line(L, g, p))
    if g.chance(0.15):
        header.append(f"{g.pick(['SSN: ', 'Social Security No.: ', 'SS#: '])}{L('us_ssn', p.ssn)}")
    if g.chance(0.2):
        header.append(f"Email: {L('email', p.email)}")
    greeting = f"Dear {dst.salutation},"
    intro = fill(
        L,
        {
            "referral": f"I am referring {p.title} {p.last}, a {age}-year-old {'woman' if p.sex == 'F' else 'man'} "
            f"born {{dob}}, for {dst.specialty} evaluation.",
            "consult": f"Thank you for asking me to see {p.title} {p.last} in consultation. I saw the patient today in "
            f"our {src.specialty} clinic.",
            "discharge": f"{p.title} {p.last} was discharged home today after an observation stay. A summary follows for your records.",
            "transfer": f"{p.title} {p.last} is moving to your area and has asked us to transfer care to your practice.",
        }[kind],
        dob=("dob", fmt_date(p.dob, g.pick(["long", "us", "iso"]))),
    )
    paras = [greeting, intro, "\n".join(header)]
    long_one = k % 6 == 5
    paras += long_narrative(g, g.rng.randint(15000, 21000)) if long_one else narrative(g, g.rng.randint(4, 10))
    dx = [dx_line(L, g, code, code_text)]
    if g.chance(0.5):
        dx.append(dx_line(L, g, *second))
    if g.chance(0.3):
        c, t = g.pick(CPT)
        dx.append(
            fill(
                L,
                g.pick(["Procedure today: TEXT (CPT {c})", "Procedure code {c} – TEXT", "Billed as CPT {c} (TEXT)"]),
                c=("cpt", c),
            ).replace("TEXT", t)
        )
    paras.append("\n".join(dx))
    meds = g.rng.sample(DRUGS, g.rng.randint(2, 5))
    paras.append("Current medications:\n" + "\n".join(f"- {d} {s} {f}" for d, s, f in meds))
    if g.chance(0.5):
        paras.append(f"The patient can be reached at {L('phone', p.phone)}; please call to arrange the appointment.")
    paras.append(g.pick(NARRATIVE["plan"]))
    paras.append(
        "Sincerely,\n\n"
        + signature(L, g, src, phone=True, fax=g.chance(0.6), email=g.chance(0.3), address=g.chance(0.5))
    )
    if g.chance(0.5):
        paras.append(CONFIDENTIALITY)
    mode = "alt" if k % 3 == 1 else "html" if k % 10 == 7 else "plain"
    msg = new_message(
        g,
        provider_addr(src),
        [provider_addr(dst)],
        subject,
        when,
        cc=[dept(g, src.clinic, "records")] if g.chance(0.2) else None,
    )
    set_body(msg, L, paras, mode, mark, title="Clinical correspondence" if g.chance(0.3) else "")
    if k % 6 == 2:  # the letter itself as a DOCX
        doc_paras = [
            patient_line(L, g, p, "Patient: ", "first_last"),
            dob_line(L, g, p, "Date of birth: ", "long"),
            mrn_line(L, g, p, "MRN: "),
            dx_line(L, g, code, code_text),
        ] + narrative(g, 6)
        name = f"{kind}-letter-{p.last.lower().replace(chr(39), '')}.docx"
        msg.add_attachment(
            make_docx(f"{kind.capitalize()} letter", doc_paras),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=name,
        )
    return msg, L


def lab_result(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=1, ascii_only=k % 3 == 0)
    when = g.when()
    doctor = g.provider("home")
    lab = g.clinics["lab"]
    panel = g.pick(list(LAB_PANELS))
    rows = lab_results(g, panel)
    collected = when - timedelta(days=g.rng.randint(1, 3), hours=g.rng.randint(0, 8))
    to_patient = k % 5 == 4
    if to_patient:
        subject = g.pick(["Your lab results are ready", "Lab results from your recent visit"])
        sender, to = provider_addr(doctor), [person_addr(p)]
    else:
        subject = fill(
            L,
            g.pick(
                [f"Results: {panel}", "Lab report for patient {name}", "Final result available", f"{panel} — final"]
            ),
            name=("patient_name", p.full),
        )
        sender, to = dept(g, lab, "results", "Meridian Lab Results"), [provider_addr(doctor)]
    mark = L.mark()
    paras = []
    if to_patient:
        paras.append(f"Dear {p.first},")
        paras.append(
            f"Your {panel.lower()} from {collected.strftime('%B %d')} is back. Most values are within the "
            "expected range; I have added a short note below. Please reply here or call the office if you have questions."
        )
        paras.append("\n".join([patient_line(L, g, p), dob_line(L, g, p), mrn_line(L, g, p)]))
    else:
        paras.append(
            g.pick(
                [
                    "A final result is available for the order below.",
                    "Please find the laboratory report below.",
                    "The following results were released to the ordering provider.",
                ]
            )
        )
        block = [
            patient_line(L, g, p),
            dob_line(L, g, p),
            mrn_line(L, g, p),
            f"Collected: {collected.strftime('%m/%d/%Y %H:%M')}   Reported: {when.strftime('%m/%d/%Y')}",
            f"Ordering provider: {doctor.name} (NPI {L('npi', doctor.npi)})",
            f"Accession: {lab.short}-{g.digits(8, '3456789')}",
        ]
        if g.chance(0.4):
            code, text = g.pick(ICD10)
            block.append(f"Order diagnosis code: {L('icd10', code)} ({text})")
        if g.chance(0.6):
            block.append(
                f"Billed: CPT {L('cpt', PANEL_CPT[panel])}"
                + (f", {L('cpt', '36415')} (venipuncture)" if g.chance(0.5) else "")
            )
        if g.chance(0.4):
            block.append(member_line(L, g, p))
        paras.append("\n".join(block))
    table = [f"{'Test':28} {'Result':>8} {'Units':10} Reference"] + [
        f"{n:28} {v:>8} {u:10} {r}" for _, n, v, u, r in rows
    ]
    paras.append(f"{panel}\n" + "\n".join(table))
    paras += narrative(g, g.rng.randint(2, 4)) if g.chance(0.5) else []
    if k % 10 == 9:
        paras += long_narrative(g, 16000)
    if to_patient:
        paras.append(signature(L, g, doctor, phone=True, address=g.chance(0.5)))
    else:
        paras.append(
            "Meridian Reference Laboratory — Client Services\n"
            f"Tel: {L('phone', lab.phone)}   Fax: {L('phone', lab.fax)}"
        )
    msg = new_message(g, sender, to, subject, when)
    set_body(msg, L, paras, "alt" if k % 4 == 1 else "plain", mark)
    if k % 3 == 0:  # a PDF of the report
        lines = [
            "MERIDIAN REFERENCE LABORATORY",
            f"Patient: {L('patient_name', f'{p.last.upper()}, {p.first.upper()}')}",
            f"DOB: {L('dob', fmt_date(p.dob, 'us'))}    MRN: {L('mrn', p.mrn)}",
            f"Ordering: {doctor.name}   NPI: {L('npi', doctor.npi)}",
            f"Collected: {collected.strftime('%m/%d/%Y %H:%M')}",
            "",
            panel,
        ]
        lines += [f"{n}   {v} {u}   (ref {r})   LOINC {c}" for c, n, v, u, r in rows]
        lines += ["", "Results verified by the laboratory director. Critical values were called to the provider."]
        msg.add_attachment(
            make_pdf(lines), maintype="application", subtype="pdf", filename=f"lab-report-{g.digits(6, '3456789')}.pdf"
        )
    elif k % 3 == 1 and g.chance(0.6):  # a CSV export
        header = ["patient_name", "dob", "mrn", "collected"] + [f"{n} ({u})" for _, n, _, u, _ in rows]
        data = [
            L("patient_name", f"{p.last}, {p.first}"),
            L("dob", fmt_date(p.dob, "iso")),
            L("mrn", p.mrn),
            collected.strftime("%Y-%m-%d %H:%M"),
        ] + [v for _, _, v, _, _ in rows]
        msg.add_attachment(
            make_csv([header, data]), maintype="text", subtype="csv", filename=f"results-{when.strftime('%Y%m%d')}.csv"
        )
    return msg, L


def billing(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=18)
    when = g.when()
    home = g.clinics[g.pick(["home-main", "home-east"])]
    payer = g.clinics[g.pick(["payer", "payer2"])]
    doctor = g.provider("home")
    kind = ["denial", "statement", "eft", "claim", "card", "prior_auth", "appeal", "reply"][k % 8]
    dos = (when - timedelta(days=g.rng.randint(10, 60))).date()
    services = g.rng.sample(CPT, g.rng.randint(1, 4))
    code, code_text = g.pick(ICD10)
    claim_no = f"{g.pick(['CLM', 'C'])}{g.digits(10, '3456789')}"
    mark = 0
    paras: list[str] = []
    if kind == "denial":
        subject = g.pick(
            ["Claim denial notice", f"Claim {claim_no}: denied", "Explanation of benefits — action required"]
        )
        sender, to = dept(g, payer, "claims", f"{payer.name} Claims"), [dept(g, home, "billing")]
        mark = L.mark()
        paras.append(f"Claim {claim_no} for date of service {dos.strftime('%m/%d/%Y')} was denied in part.")
        paras.append(
            "\n".join(
                [
                    patient_line(L, g, p),
                    member_line(L, g, p),
                    f"Group #: {g.group_number()}",
                    f"Billing provider NPI: {L('npi', doctor.npi)}",
                ]
            )
        )
        paras.append(
            "\n".join(
                f"CPT {L('cpt', c)} ({t}) — billed ${g.rng.randint(45, 480)}.00 — "
                f"{g.pick(['denied: CO-97', 'paid', 'denied: CO-16 missing information', 'reduced: CO-45'])}"
                for c, t in services
            )
        )
        paras.append(f"Primary diagnosis code on the claim: {L('icd10', code)} ({code_text}).")
        paras.append(
            "You may resubmit a corrected claim within 90 days or request a reconsideration through the provider portal."
        )
    elif kind == "statement":
        subject = g.pick(["Your statement from Valley Cedar Clinics", "Balance due on your account"])
        sender, to = dept(g, home, "billing"), [person_addr(p)]
        mark = L.mark()
        paras.append(f"Dear {p.first} {p.last},")
        paras.append(
            f"This is a statement for services on {dos.strftime('%B %d, %Y')}. Your plan has processed the claim and the "
            f"remaining balance is ${g.rng.randint(20, 350)}.{g.rng.randint(0, 99):02d}."
        )
        paras.append(
            "\n".join([patient_line(L, g, p, "Patient: "), f"Account: {g.digits(7, '3456789')}", member_line(L, g, p)])
        )
        paras.append(
            "\n".join(
                f"{dos.strftime('%m/%d/%Y')}  {t} (CPT {L('cpt', c)})  ${g.rng.randint(40, 300)}.00"
                for c, t in services
            )
        )
        paras.append(f"Pay online, or call our billing office at {L('phone', home.phone)}.")
    elif kind == "reply":  # a patient answers a statement with card or bank details (it happens)
        subject = "Re: " + g.pick(["Your statement from Valley Cedar Clinics", "Balance due on your account"])
        sender, to = person_addr(p), [dept(g, home, "billing")]
        mark = L.mark()
        if k % 16 == 7:
            paras.append(
                f"Hi, you can charge the balance to my {g.pick(['Visa', 'card', 'credit card'])} "
                f"{L('credit_card', g.card())}, expiration {g.rng.randint(1, 12):02d}/{g.rng.randint(25, 30)}."
            )
        else:
            paras.append(
                "Hi, I overpaid last time. Please send the refund by direct deposit to routing number "
                f"{L('aba_routing', g.aba())}, account {g.digits(10, '3456789')}."
            )
        if g.chance(0.5):
            state, number = g.drivers_license()
            paras.append(
                f"If you need to verify who I am, my date of birth is {L('dob', fmt_date(p.dob, 'long'))} and my "
                f"{state} driver's license is {L('drivers_license', number)}."
            )
        paras.append(f"Thanks,\n{p.first}")
        paras.append(
            "> "
            + patient_line(L, g, p, "Patient: ")
            + "\n> "
            + member_line(L, g, p, "Member ID: ")
            + f"\n> Balance due: ${g.rng.randint(20, 350)}.00\n> Questions? Call {L('phone', home.phone)}."
        )
    elif kind == "eft":
        subject = g.pick(
            ["EFT enrollment — bank details", "Updated remittance account", "Direct deposit form for claim payments"]
        )
        sender, to = dept(g, home, "billing"), [dept(g, payer, "provider-enrollment", "Provider Enrollment")]
        mark = L.mark()
        account = g.digits(g.rng.randint(10, 12), "3456789")
        paras.append(
            "Please update our electronic funds transfer enrollment with the account below, effective next month."
        )
        paras.append(
            "\n".join(
                [
                    f"Payee: {home.name.split(' —')[0]}",
                    f"Group NPI: {L('npi', g.npi())}",
                    f"Bank routing number (ABA): {L('aba_routing', g.aba())}",
                    f"Account number: {account}",
                    f"Tax ID: {g.digits(2, '123456789')}-{g.digits(7)}",
                ]
            )
        )
        if g.chance(0.5):
            paras.append(f"Our previous RTN {L('aba_routing', g.aba())} should be closed after the change.")
        paras.append("The voided check is attached to the enrollment form in the portal.")
    elif kind == "card":
        subject = g.pick(["Payment by phone — please post", "Card payment for patient balance"])
        sender, to = dept(g, home, "frontdesk"), [dept(g, home, "billing")]
        mark = L.mark()
        card = g.card()
        paras.append("Please post the following payment taken over the phone this morning.")
        paras.append(
            "\n".join(
                [
                    patient_line(L, g, p),
                    dob_line(L, g, p),
                    f"Card: {L('credit_card', card)}  exp {g.rng.randint(1, 12):02d}/{g.rng.randint(25, 30)}",
                    f"Amount: ${g.rng.randint(25, 400)}.00",
                    f"Callback: {L('phone', p.phone)}",
                ]
            )
        )
        paras.append("The patient asked for a receipt by mail.")
    elif kind == "prior_auth":
        subject = fill(
            L, g.pick(["Prior authorization request", "PA request — patient {name}"]), name=("patient_name", p.full)
        )
        sender, to = provider_addr(doctor), [dept(g, payer, "priorauth", "Utilization Management")]
        mark = L.mark()
        c, t = g.pick(CPT)
        paras.append("We request prior authorization for the procedure below.")
        paras.append(
            "\n".join(
                [
                    patient_line(L, g, p),
                    dob_line(L, g, p),
                    member_line(L, g, p),
                    f"Requested procedure code: {L('cpt', c)} ({t})",
                    dx_line(L, g, code, code_text),
                    f"Ordering provider: {doctor.name}, NPI {L('npi', doctor.npi)}",
                ]
            )
        )
        paras += narrative(g, 4)
    elif kind == "appeal":
        subject = g.pick(["Appeal of denied claim", f"Reconsideration: claim {claim_no}"])
        sender, to = dept(g, home, "billing"), [dept(g, payer, "appeals", "Appeals Unit")]
        mark = L.mark()
        paras.append(f"We are appealing the denial of claim {claim_no}.")
        paras.append(
            "\n".join(
                [
                    patient_line(L, g, p),
                    member_line(L, g, p),
                    dob_line(L, g, p),
                    f"Rendering NPI: {L('npi', doctor.npi)}",
                ]
            )
        )
        paras.append(
            f"The service was billed under CPT {L('cpt', services[0][0])} with diagnosis {L('icd10', code)} "
            f"({code_text}). The enclosed notes document medical necessity."
        )
        paras += narrative(g, 6)
    else:  # internal claim summary, often with an XLSX
        subject = g.pick(["Claims batch for review", "Unbilled encounters", "Superbill corrections"])
        sender, to = dept(g, home, "coding"), [dept(g, home, "billing")]
        mark = L.mark()
        paras.append("Attached and below are the encounters that need review before submission.")
        paras.append(
            "\n".join(
                [
                    patient_line(L, g, p),
                    mrn_line(L, g, p),
                    member_line(L, g, p),
                    f"Date of service: {dos.strftime('%m/%d/%Y')}",
                    "Procedure codes billed: " + ", ".join(L("cpt", c) for c, _ in services),
                    f"ICD-10: {L('icd10', code)}",
                ]
            )
        )
    if kind != "reply":
        paras.append(
            signature(
                L,
                g,
                role=g.pick(["Billing Office", "Revenue Cycle Team", "Claims Department"]),
                clinic=payer if kind == "denial" else home,
                phone=g.chance(0.5),
            )
        )
    msg = new_message(g, sender, to, subject, when)
    set_body(msg, L, paras, "alt" if k % 7 == 3 else "plain", mark)
    if kind == "claim" or (kind == "denial" and k % 3 == 0):
        patients = [p] + [g.person() for _ in range(g.rng.randint(2, 5))]
        rows = [["Patient", "DOB", "Member ID", "DOS", "CPT", "ICD-10", "Billed", "Rendering NPI"]]
        for q in patients:
            c, _ = g.pick(CPT)
            rows.append(
                [
                    L("patient_name", f"{q.last}, {q.first}"),
                    L("dob", fmt_date(q.dob, "us")),
                    L("member_id", q.member_id),
                    dos.strftime("%m/%d/%Y"),
                    L("cpt", c),
                    L("icd10", g.pick(ICD10)[0]),
                    f"{g.rng.randint(60, 500)}.00",
                    L("npi", doctor.npi),
                ]
            )
        msg.add_attachment(
            make_xlsx([("Claims", rows)]),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"claims-{when.strftime('%Y%m%d')}.xlsx",
        )
    return msg, L


def scheduling(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=2)
    when = g.when()
    site = g.clinics[g.pick(["home-main", "home-east"])]
    doctor = g.pick([d for d in g.providers if d.clinic is site] or g.providers)
    appt = when + timedelta(days=g.rng.randint(1, 30))
    appt = appt.replace(hour=g.rng.randint(8, 16), minute=g.pick([0, 15, 30, 45]))
    appt_text = g.pick(
        [
            appt.strftime("%m/%d/%Y at %I:%M %p"),
            appt.strftime("%A, %B %d, %Y, %I:%M %p"),
            appt.strftime("%Y-%m-%d %H:%M"),
        ]
    )
    kind = ["reminder", "callback", "reschedule", "reminder", "waitlist"][k % 5]
    mark = 0
    if kind == "reminder":
        subject = g.pick(["Appointment reminder", "Your upcoming visit", "Reminder: appointment tomorrow"])
        sender, to = dept(g, site, "scheduling", "Valley Cedar Scheduling"), [person_addr(p)]
        mark = L.mark()
        paras = [
            f"Hello {p.first},",
            f"This is a reminder of your appointment with {doctor.name} on {appt_text}.",
            "\n".join(
                [
                    patient_line(L, g, p),
                    f"Appointment: {appt_text}",
                    f"Provider: {doctor.name}",
                    f"Location: {L('us_address', site.site.street)}, {site.site.city}, {site.site.state} {site.site.zip}",
                ]
            ),
            "Please arrive 15 minutes early and bring your insurance card and a list of your medications.",
            f"To cancel or reschedule, call {L('phone', site.phone)} at least 24 hours in advance.",
        ]
        if g.chance(0.3):
            paras.append(f"For verification, we have your date of birth as {L('dob', fmt_date(p.dob, 'us'))}.")
        if g.chance(0.35):
            paras.append(
                f"Insurance on file: {g.pick(['Evergreen Health Plan', 'Northstar Mutual'])}, "
                + member_line(L, g, p, g.pick(["member ID ", "subscriber ID ", "policy # "]))
                + "."
            )
    elif kind == "callback":
        subject = fill(
            L,
            g.pick(["Please call patient back", "Call-back request", "Phone message: patient {name}"]),
            name=("patient_name", p.full),
        )
        sender, to = dept(g, site, "frontdesk"), [provider_addr(doctor)]
        mark = L.mark()
        paras = [
            f"Patient {L('patient_name', p.full)} called at {when.strftime('%I:%M %p')} asking to move the "
            f"follow-up currently booked for {appt_text}.",
            f"Best number: {L('phone', p.phone)}"
            + (f" (alt {L('phone', g.phone(p.home.area))})" if g.chance(0.4) else ""),
            dob_line(L, g, p, "DOB for verification: ")
            if g.chance(0.5)
            else "Identity verified with name and date of birth.",
            "Please advise which slot works; the patient prefers mornings.",
        ]
    elif kind == "reschedule":
        subject = g.pick(["Schedule change", "Provider out — patients to rebook"])
        sender, to = dept(g, site, "scheduling"), [dept(g, site, "frontdesk")]
        mark = L.mark()
        others = [p] + [g.person() for _ in range(g.rng.randint(1, 4))]
        lines = []
        for q in others:
            slot = (appt + timedelta(minutes=30 * g.rng.randint(0, 12))).strftime("%m/%d %I:%M %p")
            lines.append(f"{slot} — Patient: {L('patient_name', q.full)} — {L('phone', q.phone)}")
        paras = [
            f"{doctor.name} will be out on {appt.strftime('%m/%d/%Y')}. Please call these patients to rebook:",
            "\n".join(lines),
            "Offer the first available slot in the following two weeks.",
        ]
    elif kind == "waitlist":
        subject = g.pick(["Waitlist opening", "Earlier appointment available"])
        sender, to = dept(g, site, "scheduling"), [person_addr(p)]
        mark = L.mark()
        paras = [
            f"Dear {p.title} {p.last},",
            f"An earlier appointment opened with {doctor.name} on {appt_text}. Reply to this message within 24 hours to claim it.",
            patient_line(L, g, p, "Patient on waitlist: "),
            f"Questions? Call us at {L('phone', site.phone)}.",
        ]
    paras.append(signature(L, g, role="Scheduling Team", clinic=site, phone=g.chance(0.6), address=g.chance(0.3)))
    mode = "alt" if k % 2 == 0 else "html" if k % 8 == 3 else "plain"
    msg = new_message(g, sender, to, subject, when)
    set_body(msg, L, paras, mode, mark, title="Appointment information")
    if k % 8 == 5:  # calendar invite: times, no identifiers
        stamp = appt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        ics = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Valley Cedar Clinics//Scheduling//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{g.token(8)}-{g.token(4)}-{g.token(4)}-{g.token(12)}\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDURATION:PT30M\r\n"
            f"SUMMARY:Appointment with {doctor.name}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        msg.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename="appointment.ics")
    return msg, L


def pharmacy(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=66 if k % 3 == 0 else 18)
    when = g.when()
    rx = g.clinics["rx"]
    pharmacist = next(d for d in g.providers if d.credential == "PharmD")
    doctor = g.provider("home")
    drug, strength, freq = g.pick(DRUGS)
    if k % 4 == 0:
        drug, strength, freq = g.pick([d for d in DRUGS if d[0] in CONTROLLED])
    kind = ["new_rx", "refill", "clarify", "pa", "transfer"][k % 5]
    subject = fill(
        L,
        g.pick(
            {
                "new_rx": ["New prescription", "Rx for patient {name}"],
                "refill": ["Refill request", "Refill authorization needed"],
                "clarify": ["Prescription clarification", "Question about a prescription"],
                "pa": ["Prior authorization for medication", "Coverage review — medication"],
                "transfer": ["Prescription transfer", "Transfer of prescriptions"],
            }[kind]
        ),
        name=("patient_name", p.full),
    )
    to_pharmacy = kind in ("new_rx", "transfer")
    sender = provider_addr(doctor) if to_pharmacy else (pharmacist.name, pharmacist.email)
    to = [dept(g, rx, "orders", "Bluebird Pharmacy Orders")] if to_pharmacy else [provider_addr(doctor)]
    mark = L.mark()
    qty = g.pick([30, 60, 90, 28, 14])
    block = [patient_line(L, g, p), dob_line(L, g, p)]
    mbi_as_written = f"{p.mbi[:4]}-{p.mbi[4:7]}-{p.mbi[7:]}" if g.chance(0.3) else p.mbi
    if p.age_on(when.date()) >= 65 or g.chance(0.2):
        block.append(
            g.pick(["MBI: ", "Medicare ID (MBI): ", "Medicare Beneficiary Identifier: "]) + L("mbi", mbi_as_written)
        )
    block.append(f"Drug: {drug} {strength}, {freq}, quantity {qty}, refills {g.rng.randint(0, 5)}")
    block.append(f"NDC {L('ndc', g.ndc())}")
    block.append(f"Prescriber: {doctor.name}  NPI: {L('npi', doctor.npi)}")
    if drug in CONTROLLED or g.chance(0.3):
        block.append(
            f"DEA#: {L('dea', doctor.dea)}" + (f"   (Schedule {CONTROLLED[drug]})" if drug in CONTROLLED else "")
        )
    if g.chance(0.4):
        block.append(member_line(L, g, p, g.pick(["Member ID: ", "Rx member ID: "])))
    if g.chance(0.4):
        block.append(f"Patient phone: {L('phone', p.phone)}")
    if g.chance(0.2):
        block.extend(address_lines(L, p, one_line=True, cue="Patient address: "))
    if drug in CONTROLLED or g.chance(0.2):
        state, number = g.drivers_license()
        block.append(
            fill(
                L,
                g.pick(
                    [
                        f"ID checked: {state} DL: {{dl}}",
                        f"Driver's License ({state}): {{dl}}",
                        f"{state} driver license no. {{dl}}",
                    ]
                ),
                dl=("drivers_license", number),
            )
        )
    intro = {
        "new_rx": "Please fill the prescription below.",
        "refill": f"We received a refill request for the medication below. The last fill was {g.rng.randint(20, 40)} days ago.",
        "clarify": "We need a clarification before dispensing: the directions and quantity on the order do not match.",
        "pa": "The plan requires prior authorization for this medication. Please complete the form in the portal; "
        "the patient has been told to expect a delay.",
        "transfer": "The patient has asked to move all active prescriptions to your pharmacy.",
    }[kind]
    paras = [intro, "\n".join(block)]
    if kind == "pa":
        code, text = g.pick(ICD10)
        paras.append(f"Diagnosis for the request: {L('icd10', code)} ({text}).")
    if kind == "new_rx" and drug in CONTROLLED:
        paras.append("This is a controlled substance; the prescription was also transmitted through the EPCS system.")
    paras += narrative(g, 2) if g.chance(0.3) else []
    if to_pharmacy:
        paras.append(signature(L, g, doctor, phone=True, fax=g.chance(0.5)))
    else:
        paras.append(
            f"{pharmacist.first} {pharmacist.last}, PharmD\n{rx.name}\n"
            f"Phone: {L('phone', rx.phone)}  Fax: {L('phone', rx.fax)}\n"
            f"Pharmacy NPI: {L('npi', g.npi())}  DEA: {L('dea', g.dea('', business=True))}"
        )
    msg = new_message(g, sender, to, subject, when)
    set_body(msg, L, paras, "plain" if k % 4 else "alt", mark)
    return msg, L


# --- attachments-heavy --------------------------------------------------------------------------


def attachments_heavy(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=18, ascii_only=True)
    when = g.when()
    doctor = g.provider("home")
    clinic = doctor.clinic
    code, code_text = g.pick(ICD10)
    cases = [
        "docx_letter",
        "docx_table",
        "xlsx_roster",
        "xlsx_claims",
        "pdf_lab",
        "pdf_discharge",
        "hl7_oru",
        "hl7_adt",
        "fhir_json",
        "fhir_xml",
        "fhir_bundle",
        "zip_csv",
        "zip_docx",
        "zip_in_zip",
        "encrypted_zip",
        "corrupt_binary",
        "truncated_pdf",
        "pdf_csv_hl7",
        "zip_hl7",
        "docx_xlsx",
    ]
    case = cases[k % len(cases)]
    subject = {
        "docx_letter": "Referral letter attached",
        "docx_table": "Patient list for outreach",
        "xlsx_roster": "Panel roster",
        "xlsx_claims": "Claims export",
        "pdf_lab": "Lab report (PDF)",
        "pdf_discharge": "Discharge summary attached",
        "hl7_oru": "HL7 result feed sample",
        "hl7_adt": "ADT message for interface testing",
        "fhir_json": "FHIR Patient resource",
        "fhir_xml": "FHIR Patient (XML)",
        "fhir_bundle": "FHIR bundle export",
        "zip_csv": "Zipped results export",
        "zip_docx": "Letters (zip)",
        "zip_in_zip": "Archive of archives",
        "encrypted_zip": "Records — password sent separately",
        "corrupt_binary": "Scanned document",
        "truncated_pdf": "Fax received",
        "pdf_csv_hl7": "Complete results package",
        "zip_hl7": "Interface batch (zip)",
        "docx_xlsx": "Care coordination packet",
    }[case]
    to = [provider_addr(g.provider("external"))] if k % 2 else [dept(g, clinic, "records")]
    msg = new_message(g, provider_addr(doctor), to, subject, when)
    mark = L.mark()
    paras = [
        g.pick(
            ["Please see the attached.", "Attached as discussed.", "Sending the files we talked about this morning."]
        )
    ]
    if k % 3 == 0:
        paras.append("\n".join([patient_line(L, g, p), mrn_line(L, g, p)]))
    paras.append(signature(L, g, doctor, phone=True))
    set_body(msg, L, paras, "plain", mark)

    def attach(data: bytes, filename: str, ctype: str) -> None:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)

    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def letter_docx() -> bytes:
        paragraphs = [
            f"Dear {g.provider('external').salutation},",
            patient_line(L, g, p, "Patient: ", "first_last"),
            dob_line(L, g, p, "Date of birth: ", "long"),
            mrn_line(L, g, p, "MRN: "),
            f"Home phone: {L('phone', p.phone)}",
            f"Address: {L('us_address', p.home.street)}, {p.home.city}, {p.home.state} {p.home.zip}",
            dx_line(L, g, code, code_text),
        ] + narrative(g, 8)
        paragraphs.append(f"{doctor.signature_name}, NPI {L('npi', doctor.npi)}")
        return make_docx("Referral letter", paragraphs)

    def roster_rows(n: int) -> list[list[str]]:
        rows = [["Patient name", "DOB", "MRN", "Phone", "Member ID"]]
        for q in [p] + [g.person(ascii_only=True) for _ in range(n - 1)]:
            rows.append(
                [
                    L("patient_name", f"{q.last}, {q.first}"),
                    L("dob", fmt_date(q.dob, "us")),
                    L("mrn", q.mrn),
                    L("phone", q.phone),
                    L("member_id", q.member_id),
                ]
            )
        return rows

    def results_csv() -> bytes:
        results = lab_results(g, "Basic metabolic panel")
        header = ["patient_name", "dob", "mrn", "ssn"] + [f"{n} ({u})" for _, n, _, u, _ in results]
        row = [L("patient_name", p.full), L("dob", fmt_date(p.dob, "iso")), L("mrn", p.mrn), L("us_ssn", p.ssn)]
        return make_csv([header, row + [v for _, _, v, _, _ in results]])

    def lab_pdf() -> bytes:
        lines = [
            "MERIDIAN REFERENCE LABORATORY - FINAL REPORT",
            f"Patient: {L('patient_name', p.full)}",
            f"Date of birth: {L('dob', fmt_date(p.dob, 'us'))}",
            f"MRN: {L('mrn', p.mrn)}",
            f"Ordering provider: {doctor.name}, NPI {L('npi', doctor.npi)}",
            f"Dx: {L('icd10', code)} {code_text}",
            "",
        ]
        lines += [f"{n:24} {v:>8} {u:8} ref {r}" for _, n, v, u, r in lab_results(g, "Lipid panel")]
        return make_pdf(lines)

    def hl7(kind: str) -> bytes:
        return hl7_message(
            L,
            g,
            p,
            doctor,
            kind,
            when,
            lab_results(g, "Basic metabolic panel") if kind == "ORU" else None,
            control=g.digits(8),
        ).encode("utf-8")

    if case == "docx_letter":
        attach(letter_docx(), f"referral-{p.last.lower()}.docx", docx_type)
    elif case == "docx_table":
        attach(
            make_docx("Outreach list", ["Patients due for diabetic eye exam (internal use only)."], roster_rows(5)),
            "outreach-list.docx",
            docx_type,
        )
    elif case == "xlsx_roster":
        attach(
            make_xlsx([("Panel", roster_rows(10)), ("Notes", [["Generated for care management review"]])]),
            "panel-roster.xlsx",
            xlsx_type,
        )
    elif case == "xlsx_claims":
        rows = [["Patient", "Member ID", "CPT", "ICD-10", "Rendering NPI", "Card on file"]]
        for q in [p] + [g.person(ascii_only=True) for _ in range(5)]:
            rows.append(
                [
                    L("patient_name", q.full),
                    L("member_id", q.member_id),
                    L("cpt", g.pick(CPT)[0]),
                    L("icd10", g.pick(ICD10)[0]),
                    L("npi", doctor.npi),
                    L("credit_card", g.card(sep=" ")),
                ]
            )
        attach(make_xlsx([("Claims", rows)]), "claims-export.xlsx", xlsx_type)
    elif case == "pdf_lab":
        attach(lab_pdf(), "final-report.pdf", "application/pdf")
    elif case == "pdf_discharge":
        lines = [
            "DISCHARGE SUMMARY",
            f"Patient: {L('patient_name', p.full)}",
            f"DOB: {L('dob', fmt_date(p.dob, 'long'))}",
            f"MRN: {L('mrn', p.mrn)}",
            f"Primary diagnosis: {L('icd10', code)} {code_text}",
            "",
        ]
        for para in long_narrative(g, 9000):
            lines += textwrap.wrap(para, 95) or [""]
        lines += ["", f"Attending: {doctor.name}   Phone: {L('phone', clinic.phone)}"]
        attach(make_pdf(lines), "discharge-summary.pdf", "application/pdf")
    elif case == "hl7_oru":
        attach(hl7("ORU"), f"oru_{g.digits(6)}.hl7", "application/hl7-v2")
        L.attachment("hl7_patient_data", msg.get_payload()[-1].get_filename())
    elif case == "hl7_adt":
        attach(hl7("ADT"), "adt_a04.hl7", "application/hl7-v2")
        L.attachment("hl7_patient_data", "adt_a04.hl7")
    elif case == "fhir_json":
        attach(to_json(fhir_patient(L, p, clinic)), "patient.json", "application/fhir+json")
        L.attachment("fhir_patient_data", "patient.json")
    elif case == "fhir_xml":
        attach(fhir_patient_xml(fhir_patient(L, p, clinic)), "patient.xml", "application/fhir+xml")
        L.attachment("fhir_patient_data", "patient.xml")
    elif case == "fhir_bundle":
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{g.token(8)}-{g.token(4)}-4{g.token(3)}-a{g.token(3)}-{g.token(12)}",
                    "resource": fhir_patient(L, p, clinic, with_ssn=False),
                },
                {
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                        "valueQuantity": {"value": 7.2, "unit": "%"},
                    }
                },
            ],
        }
        attach(to_json(bundle), "bundle.json", "application/fhir+json")
        L.attachment("fhir_patient_data", "bundle.json")
    elif case == "zip_csv":
        attach(make_zip([("results.csv", results_csv())]), "results-export.zip", "application/zip")
    elif case == "zip_docx":
        attach(
            make_zip(
                [
                    (f"letters/referral-{p.last.lower()}.docx", letter_docx()),
                    ("letters/README.txt", b"Letters generated by the referral workflow.\r\n"),
                ]
            ),
            "letters.zip",
            "application/zip",
        )
    elif case == "zip_in_zip":
        inner = make_zip([("export/results.csv", results_csv())])
        attach(make_zip([("inner.zip", inner), ("manifest.txt", b"1 archive\r\n")]), "outer.zip", "application/zip")
    elif case == "encrypted_zip":
        secret = make_csv([["patient_name", "ssn"], [p.full, p.ssn]])  # unreadable without the password: not labelled
        attach(
            make_encrypted_zip("records.csv", secret, b"Cedar-2024!", bytes(g.rng.randrange(256) for _ in range(11))),
            "records-protected.zip",
            "application/zip",
        )
        L.attachment("encrypted_archive", "records-protected.zip")
    elif case == "corrupt_binary":
        blob = bytes([0x00, 0x07, 0xFE, 0x13]) + bytes(g.rng.randrange(256) for _ in range(4096))
        attach(blob, "scan_0042.dat", "application/octet-stream")
        L.attachment("uninspectable_attachment", "scan_0042.dat")
    elif case == "truncated_pdf":
        lines = ["FAX COVER", "To: Valley Cedar Clinics records", "Pages: 3"] + [
            f"line {i} of the faxed record" for i in range(40)
        ]
        whole = make_pdf(lines)
        attach(whole[: whole.index(b"line 12")], "fax-20240311.pdf", "application/pdf")  # cut inside the content stream
        L.attachment("uninspectable_attachment", "fax-20240311.pdf")
    elif case == "pdf_csv_hl7":
        attach(lab_pdf(), "report.pdf", "application/pdf")
        attach(results_csv(), "results.csv", "text/csv")
        attach(hl7("ORU"), "result.hl7", "application/hl7-v2")
        L.attachment("hl7_patient_data", "result.hl7")
    elif case == "zip_hl7":
        adt = hl7("ADT")
        attach(make_zip([("batch/adt_0001.hl7", adt)]), "interface-batch.zip", "application/zip")
        L.attachment("hl7_patient_data", "interface-batch.zip/batch/adt_0001.hl7")
    elif case == "docx_xlsx":
        attach(letter_docx(), "care-plan.docx", docx_type)
        attach(make_xlsx([("Contacts", roster_rows(4))]), "contacts.xlsx", xlsx_type)
    return msg, L


# --- obfuscation ------------------------------------------------------------------------------------

ZWSP, ZWNJ, ZWJ, WJ, BOM, SHY, NBSP, NNBSP = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u00a0",
    "\u202f",
)


def fullwidth(text: str) -> str:
    """Digits, ASCII letters and '-' as their fullwidth forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and (c.isalnum()) else "\uff0d" if c == "-" else c for c in text)


def interleave(text: str, char: str, every_digit: bool = True) -> str:
    return char.join(text) if every_digit else text.replace("-", f"{char}-{char}")


def entities(text: str, g: Gen) -> str:
    """Some characters as numeric character references (&#52; or &#x34;)."""
    out = []
    for c in text:
        if c.isdigit() and g.chance(0.5):
            out.append(f"&#{ord(c)};" if g.chance(0.5) else f"&#x{ord(c):x};")
        else:
            out.append(html.escape(c))
    return "".join(out)


def split_tags(text: str, g: Gen) -> str:
    """Inline tags between the groups of an identifier (a browser shows it unbroken)."""
    parts = re.split(r"(-| )", text)
    tags = ["b", "i", "em", "strong", "u", 'font color="#333"']
    out = []
    for part in parts:
        if part in ("-", " ", ""):
            out.append(part)
        else:
            tag = g.pick(tags)
            out.append(f"<{tag}>{part}</{tag.split()[0]}>")
    return "".join(out)


def qp_with_soft_break(text: str, value: str) -> str:
    """Quoted-printable of `text` with a soft line break (=\\n) in the middle of `value`."""
    encoded = quopri.encodestring(text.encode("utf-8")).decode("ascii")
    target = quopri.encodestring(value.encode("utf-8")).decode("ascii")
    at = encoded.index(target) + len(target) // 2
    if encoded[at - 1] == "=" or encoded[at - 2] == "=":  # never split an =XX escape
        at += 2
    return encoded[:at] + "=\n" + encoded[at:]


def qp_hex_digits(text: str, value: str) -> str:
    """Quoted-printable where the digits of `value` are written as =3X escapes."""
    encoded = quopri.encodestring(text.encode("utf-8")).decode("ascii")
    target = quopri.encodestring(value.encode("utf-8")).decode("ascii")
    shown = "".join(f"={ord(c):02X}" if c.isdigit() else c for c in value)
    lines = encoded.replace(target, shown, 1).split("\n")
    out = []
    for line in lines:  # keep the 76-character limit after the replacement
        while len(line) > 76:
            cut = 75
            while "=" in line[cut - 2 : cut]:
                cut -= 1
            out.append(line[:cut] + "=")
            line = line[cut:]
        out.append(line)
    return "\n".join(out)


def raw_text_part(msg: EmailMessage, payload: str, subtype: str = "plain", cte: str = "quoted-printable") -> None:
    """A body whose encoded form we wrote ourselves (soft line breaks placed on purpose)."""
    del msg["Content-Type"], msg["Content-Transfer-Encoding"], msg["MIME-Version"]
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    msg["Content-Transfer-Encoding"] = cte
    msg.set_payload(payload)


def obfuscation(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    L = Labels()
    p = g.person(min_age=18)
    when = g.when()
    doctor = g.provider("home")
    site = doctor.clinic
    to = [dept(g, site, "billing")] if k % 2 else [provider_addr(g.provider("external"))]
    sender = provider_addr(doctor)
    case = k % 20
    intro = g.pick(
        [
            "Forwarding the details you asked for.",
            "Here is the information for the chart update.",
            "Details for the insurance verification below.",
        ]
    )
    ssn = p.ssn
    subject = g.pick(["Chart update", "Insurance verification", "Requested details", "Patient information"])
    msg = new_message(g, sender, to, subject, when)

    def plain(lines: list[str], cte: str | None = None) -> None:
        text = wrap(lines)
        if cte:
            msg.set_content(text, cte=cte)
        else:
            msg.set_content(text)

    closing = signature(L, g, doctor, phone=False)
    if case == 0:  # zero-width spaces between every digit of an SSN
        plain([intro, patient_line(L, g, p), f"SSN: {L('us_ssn', ssn, interleave(ssn, ZWSP))}", closing])
    elif case == 1:  # zero-width (non-)joiners around the dashes, ZWSP in a phone
        ph = p.phone
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"Social Security: {L('us_ssn', ssn, interleave(ssn, g.pick([ZWNJ, ZWJ]), False))}",
                f"Phone: {L('phone', ph, ph[:5] + ZWSP + ph[5:])}",
                closing,
            ]
        )
    elif case == 2:  # fullwidth digits and hyphens
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"SSN: {L('us_ssn', ssn, fullwidth(ssn))}",
                f"DOB: {L('dob', fmt_date(p.dob, 'us'), fullwidth(fmt_date(p.dob, 'us')))}",
                closing,
            ]
        )
    elif case == 3:  # fullwidth NPI and phone
        ph = g.phone(style="dash")
        plain(
            [
                intro,
                f"Rendering provider NPI: {L('npi', doctor.npi, fullwidth(doctor.npi))}",
                f"Patient phone: {L('phone', ph, fullwidth(ph))}",
                patient_line(L, g, p),
                closing,
            ]
        )
    elif case in (4, 5, 6, 7):  # HTML: tags splitting identifiers, numeric entities, tables
        card = g.card(sep=" ")
        born = fmt_date(p.dob, "us")
        if case == 4:
            rows = [("Patient", L("patient_name", p.full)), ("SSN", L("us_ssn", ssn, split_tags(ssn, g)))]
        elif case == 5:
            rows = [
                ("Provider NPI", L("npi", doctor.npi, entities(doctor.npi, g))),
                ("Patient", L("patient_name", p.full)),
            ]
        elif case == 6:
            rows = [
                ("Card", L("credit_card", card, split_tags(entities(card, g), g))),
                ("Patient", L("patient_name", p.full)),
            ]
        else:
            rows = [
                ("MRN", L("mrn", p.mrn, entities(p.mrn, g))),
                ("DOB", L("dob", born, entities(born, g))),
                ("Patient", L("patient_name", p.full)),
            ]
        # The second column holds HTML already (the value may be spelled with entities or tags)
        table = "".join(f"<tr><td>{html.escape(label)}</td><td>{fin(value)}</td></tr>\n" for label, value in rows)
        page = (
            f'<!DOCTYPE html>\n<html><body>\n<p>{html.escape(intro)}</p>\n<table border="1">\n{table}</table>\n'
            f"<p>{fin(closing).replace(chr(10), '<br>')}</p>\n</body></html>\n"
        )
        msg.set_content(page, subtype="html")
    elif case == 8:  # quoted-printable with a soft line break inside the SSN
        text = wrap(
            [
                intro,
                patient_line(L, g, p),
                "The form was completed at the front desk and checked against the insurance card on file today.",
                f"SSN {L('us_ssn', ssn)} on file.",
                closing,
            ]
        )
        raw_text_part(msg, qp_with_soft_break(text, ssn))
    elif case == 9:  # quoted-printable with the card digits written as =3X escapes
        card = g.card(sep="-")
        text = wrap([intro, patient_line(L, g, p), f"Card number: {L('credit_card', card)}", closing])
        raw_text_part(msg, qp_hex_digits(text, card))
    elif case == 10:  # QP: soft line break inside an NPI; MBI with dashes
        mbi = g.mbi(dashed=True)
        text = wrap(
            [
                intro,
                patient_line(L, g, p),
                f"MBI: {L('mbi', mbi)}",
                "Please update the Medicare enrollment for "
                f"the visit; the rendering provider's NPI is {L('npi', doctor.npi)}.",
                closing,
            ]
        )
        raw_text_part(msg, qp_with_soft_break(text, doctor.npi))
    elif case == 11:  # base64 text/plain
        plain(
            [intro, patient_line(L, g, p), dob_line(L, g, p), mrn_line(L, g, p), f"SSN: {L('us_ssn', ssn)}", closing],
            cte="base64",
        )
    elif case == 12:  # base64 text/html with entity-encoded digits
        phone = p.phone
        page = (
            f"<html><body><p>{html.escape(intro)}</p><p>Patient: <b>{html.escape(fin(L('patient_name', p.full)))}</b><br>"
            f"Member ID: {fin(L('member_id', p.member_id, entities(p.member_id, g)))}<br>"
            f"Phone: {fin(L('phone', phone, entities(phone, g)))}</p><p>{fin(closing).replace(chr(10), '<br>')}</p></body></html>\n"
        )
        msg.set_content(page, subtype="html", cte="base64")
    elif case == 13:  # QP HTML: a soft line break inside a numeric entity
        shown = entities(ssn, g)
        if "&#" not in shown:
            shown = "&#" + str(ord(ssn[0])) + ";" + shown[1:]
        page = (
            f"<html><body><p>{html.escape(intro)} The verification form was completed and checked.</p>\n"
            f"<p>Patient: {html.escape(fin(L('patient_name', p.full)))}<br>SSN: {fin(L('us_ssn', ssn, shown))}</p>\n"
            f"<p>{fin(closing).replace(chr(10), '<br>')}</p></body></html>\n"
        )
        encoded = quopri.encodestring(page.encode()).decode("ascii")
        at = encoded.index("&#") + 3
        raw_text_part(msg, encoded[:at] + "=\n" + encoded[at:], subtype="html")
    elif case == 14:  # word joiner and BOM inside a DEA number and an NDC
        ndc = g.ndc()
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"Prescriber DEA: {L('dea', doctor.dea, doctor.dea[:2] + WJ + doctor.dea[2:])}",
                f"NDC {L('ndc', ndc, ndc.replace('-', BOM + '-'))}",
                closing,
            ]
        )
    elif case == 15:  # soft hyphens inside a phone number and a member ID
        ph = g.phone(p.home.area, style="dash")
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"Cell: {L('phone', ph, ph.replace('-', SHY + '-'))}",
                f"Member ID: {L('member_id', p.member_id, p.member_id[:3] + SHY + p.member_id[3:])}",
                closing,
            ]
        )
    elif case == 16:  # RFC 2047 subject with the patient's name; fullwidth MRN
        del msg["Subject"]
        q = g.person(min_age=18)
        q.first, q.last = g.pick(["Renée", "Zoë", "José", "Tomás"]), g.pick(["Müller", "Dubois", "Ferreira"])
        msg["Subject"] = f"Re: patient {fin(L('patient_name', q.full))}"
        plain([intro, f"MRN: {L('mrn', q.mrn, fullwidth(q.mrn))}", dob_line(L, g, q), closing])
    elif case == 17:  # fullwidth letters and digits in an MBI
        mbi = g.mbi(dashed=True)
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"Medicare ID: {L('mbi', mbi, fullwidth(mbi))}",
                dob_line(L, g, p, "DOB: ", "us"),
                closing,
            ]
        )
    elif case == 18:  # zero-width space inside an e-mail address and a street number
        street = p.home.street
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"Email: {L('email', p.email, p.email.replace('@', ZWSP + '@'))}",
                f"Address: {L('us_address', street, street[:1] + ZWSP + street[1:])}, {p.home.city}, {p.home.state} {p.home.zip}",
                closing,
            ]
        )
    elif case == 19:  # no-break spaces in an SSN, narrow no-break space in a phone (NFKC: plain spaces)
        spaced = g.ssn("space")
        ph = g.phone(p.home.area, style="paren")
        plain(
            [
                intro,
                patient_line(L, g, p),
                f"SSN {L('us_ssn', spaced, spaced.replace(' ', NBSP))}",
                f"Phone: {L('phone', ph, ph.replace(' ', NNBSP))}",
                closing,
            ]
        )
    return msg, L


# --- hard negatives -------------------------------------------------------------------------------


class LookAlike:
    """Numbers that look like identifiers but fail their rules (asserted)."""

    def __init__(self, g: Gen) -> None:
        self.g = g

    def bad_ssn(self) -> str:
        g = self.g
        area, group, serial = g.rng.randint(1, 899), g.rng.randint(1, 99), g.rng.randint(1, 9999)
        broken = g.pick(["area0", "area666", "area9", "group", "serial", "published"])
        if broken == "published":
            value = g.pick(["078-05-1120", "219-09-9999"])
        else:
            area = {"area0": 0, "area666": 666, "area9": g.rng.randint(900, 999)}.get(broken, area)
            group = 0 if broken == "group" else group
            serial = 0 if broken == "serial" else serial
            value = f"{area:03d}-{group:02d}-{serial:04d}"
        assert not ssn_valid(value), value
        return value

    def bad_npi(self) -> str:
        good = self.g.npi()
        value = good[:9] + str((int(good[9]) + self.g.rng.randint(1, 9)) % 10)
        assert not npi_valid(value)
        return value

    def bad_card(self, sep: str = " ") -> str:
        good = self.g.card(self.g.pick(["visa", "mastercard", "discover"]), sep="")
        value = good[:15] + str((int(good[15]) + self.g.rng.randint(1, 9)) % 10)
        assert not credit_card_valid(value)
        return sep.join(value[i : i + 4] for i in range(0, 16, 4))

    def luhn_ok_bad_iin(self) -> str:  # Luhn-valid but no card network's prefix (e.g. a loyalty number)
        partial = self.g.pick(["9", "8", "1"]) + self.g.digits(14)
        value = partial + luhn_check_digit(partial)
        assert not credit_card_valid(value)
        return " ".join(value[i : i + 4] for i in range(0, 16, 4))

    def bad_aba(self) -> str:
        while True:
            value = f"{self.g.pick(ABA_PREFIXES):02d}" + self.g.digits(7)
            if not aba_valid(value):
                return value

    def bad_phone(self) -> str:
        g = self.g
        value = g.pick(
            [
                f"{g.digits(3, '01')}-{g.digits(3, '23456789')}-{g.digits(4)}",
                f"({g.digits(3, '23456789')}) {g.digits(3, '01')}-{g.digits(4)}",
                f"{g.digits(3, '01')}.{g.digits(3)}.{g.digits(4)}",
            ]
        )
        assert not phone_valid(value)
        return value

    def bad_dea(self) -> str:
        good = self.g.dea("Smith")
        value = good[:8] + str((int(good[8]) + self.g.rng.randint(1, 9)) % 10)
        assert not dea_valid(value)
        return value

    def bad_mbi(self) -> str:
        good = list(self.g.mbi())
        good[self.g.pick([1, 4, 7, 8])] = self.g.pick("SLOIBZ")
        value = "".join(good)
        assert not mbi_valid(value)
        return value

    def ups(self) -> str:
        g = self.g
        return "1Z" + "".join(g.pick("0123456789ABCDEFGHJKLMNPRSTVWXY") for _ in range(6)) + g.digits(10)

    def fedex(self, spaced: bool = False) -> str:
        value = self.g.digits(12, "3456789")
        return " ".join(value[i : i + 4] for i in range(0, 12, 4)) if spaced else value

    def usps(self) -> str:
        value = self.g.pick(["9400", "9205", "9361"]) + self.g.digits(18)
        return " ".join(value[i : i + 4] for i in range(0, 22, 4))

    def isbn13(self) -> str:
        body = "978" + self.g.digits(9)
        check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
        return f"{body[:3]}-{body[3]}-{body[4:8]}-{body[8:]}-{check}"

    def ip(self) -> str:
        g = self.g
        return g.pick(
            [
                f"10.{g.rng.randint(0, 255)}.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}",
                f"192.168.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}",
                f"172.{g.rng.randint(16, 31)}.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}",
            ]
        )

    def version(self) -> str:
        g = self.g
        return g.pick(
            [
                f"{g.rng.randint(1, 24)}.{g.rng.randint(0, 20)}.{g.rng.randint(0, 40)}",
                f"v{g.rng.randint(1, 12)}.{g.rng.randint(0, 9)}.{g.rng.randint(0, 99)}.{g.rng.randint(1000, 9999)}",
            ]
        )

    def icd_like(self) -> str:  # an ICD-10 shape used for a part, room or model
        g = self.g
        return g.pick(
            [
                f"part {g.pick('ABCDEGHKMR')}{g.rng.randint(10, 99)}.{g.rng.randint(1, 9)}{g.pick('ABCX')}",
                f"room {g.pick('ABCDE')}{g.rng.randint(10, 40)}",
                f"model {g.pick('KMRT')}{g.rng.randint(10, 99)}.{g.rng.randint(1, 9)}",
                f"gate {g.pick('BCDE')}{g.rng.randint(10, 39)}",
                f"bin {g.pick('FGHJ')}{g.rng.randint(10, 99)}.{g.rng.randint(10, 99)}",
                f"filter model {g.pick(ICD10)[0]}",
                f"shelf {g.pick(ICD10)[0]}",
            ]
        )

    def lot(self) -> str:
        g = self.g
        return g.pick(
            [
                f"{g.rng.randint(20, 24)}{g.pick('ABCDEFGHJK')}{g.digits(4)}",
                f"L{g.digits(7)}",
                f"{g.digits(6)}-{g.digits(2)}",
            ]
        )

    def part_number(self) -> str:
        g = self.g
        return g.pick(
            [
                f"PN {g.digits(4, '0')}-{g.digits(3)}-{g.digits(2)}",
                f"P/N {g.digits(3, '01')}-{g.digits(3)}-{g.digits(4)}",
                f"REF {g.digits(5)}-{g.digits(2)}",
            ]
        )


NEGATIVE_PROSE = [
    "Please review the details below and let us know if anything needs to change before the end of the week.",
    "No action is needed if the information is correct; the system will update automatically overnight.",
    "Thanks to everyone who helped with the move to the new storage room last month.",
    "The change affects the front desk workstations and the two printers on the second floor.",
    "If you have questions, reply to this message and someone from the team will get back to you.",
    "Items on backorder will ship separately as soon as they arrive at the distribution center.",
    "We apologize for the inconvenience and appreciate your patience while the work is completed.",
    "This message was sent automatically; replies go to a monitored shared mailbox.",
    "The quarterly inventory count will take place on the first Saturday of next month.",
    "Remember to badge in at the loading dock entrance while the main doors are being replaced.",
]


def negative(g: Gen, k: int) -> tuple[EmailMessage, Labels]:
    """Hard negatives: no PHI, no identifiers — only look-alikes that fail the rules or lack context."""
    L = Labels()  # stays empty
    x = LookAlike(g)
    when = g.when()
    home = g.clinics["home-main"]
    kinds = [
        "supply_order",
        "shipping",
        "it_maintenance",
        "vendor_invoice",
        "meeting",
        "library",
        "work_order",
        "asset_audit",
        "recall",
        "travel",
        "release_notes",
        "inventory_xlsx",
    ]
    kind = kinds[k % len(kinds)]
    ship_day = (when + timedelta(days=g.rng.randint(1, 6))).date()
    order = g.digits(7, "3456789")
    zipcode = home.site.zip
    paras: list[str]
    attachments: list[tuple[bytes, str, str]] = []
    if kind == "supply_order":
        subject = g.pick([f"Order {order} confirmation", "Your supply order has been received"])
        sender = ("MedSupply Direct", "orders@medsupply.example")
        items = [
            (
                x.part_number(),
                g.pick(
                    [
                        "Nitrile gloves, M, box of 100",
                        "Exam table paper 21in",
                        "Alcohol prep pads",
                        "Sharps container 2 gal",
                        "Tongue depressors, sterile",
                        "Gauze 4x4, 200 ct",
                    ]
                ),
                g.rng.randint(1, 40),
                x.lot(),
            )
            for _ in range(g.rng.randint(3, 7))
        ]
        paras = [
            f"Thank you for your order {order} placed on {when.strftime('%m/%d/%Y')}.",
            "\n".join(f"{pn}  {desc}  qty {q}  lot {lot}" for pn, desc, q, lot in items),
            f"Ship to: Receiving, Building 2, dock 4, ZIP {zipcode}. Expected delivery {ship_day.strftime('%m/%d/%Y')}.",
            f"UPS tracking: {x.ups()}\nCustomer PO {g.pick(CPT)[0]}, vendor account {g.digits(5, '3456789')}",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "shipping":
        subject = g.pick(["Shipment notification", f"Your package is on the way ({order})"])
        sender = ("Shipping Notifications", "noreply@medsupply.example")
        paras = [
            f"Order {order} shipped on {when.strftime('%B %d, %Y')} in {g.rng.randint(2, 5)} packages.",
            f"FedEx tracking: {x.fedex()}\nFedEx tracking: {x.fedex(spaced=True)}\nUSPS tracking: {x.usps()}",
            f"Reference: PO {g.digits(9, '3456789')}   Destination ZIP {zipcode}",
            "Packages left at the loading dock are signed for by the receiving clerk.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "it_maintenance":
        subject = g.pick(["Planned maintenance this weekend", "EHR upgrade window", "Network change notice"])
        sender = ("IT Service Desk", "servicedesk@it.clinics.example")
        paras = [
            f"The EHR application servers will be upgraded to version {x.version()} on "
            f"{ship_day.strftime('%A, %B %d')} from 22:00 to 02:00.",
            f"Affected hosts: app01 ({x.ip()}), app02 ({x.ip()}), print server ({x.ip()}).\n"
            f"Change ticket: CHG{g.digits(7)}   Build: {x.bad_npi()}",
            f"The switch in {x.icd_like()} will be replaced; port labels follow the scheme {x.icd_like()}.",
            "The patient portal will show a maintenance banner during the window.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "vendor_invoice":
        subject = g.pick([f"Invoice INV-{order}", "Invoice available for your account"])
        sender = ("Accounts Receivable", "ar@medsupply.example")
        paras = [
            f"Invoice INV-{order} dated {when.strftime('%m/%d/%Y')} is now available; payment is due within 30 days.",
            f"Invoice date: {when.strftime('%m/%d/%Y')}\nDue date: {(when + timedelta(days=30)).strftime('%m/%d/%Y')}\n"
            f"Amount: ${g.rng.randint(200, 9000)}.{g.rng.randint(0, 99):02d}\n"
            f"Remittance reference: {x.bad_card(' ')}\nRouting slip: {x.bad_aba()}",
            f"Customer number {g.digits(6, '3456789')}, ship-to ZIP {zipcode}.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "meeting":
        subject = g.pick(["Staff meeting agenda", "All-hands moved to Thursday", "Quality committee agenda"])
        sender = ("Practice Manager", "manager@clinics.example")
        day = ship_day
        paras = [
            f"The staff meeting is on {day.strftime('%m/%d/%Y')} at 12:15 in {x.icd_like()} (lunch provided).",
            "Agenda:\n1. Flu clinic staffing for the first two Saturdays\n2. New badge readers\n"
            "3. Patient satisfaction survey results\n4. Holiday schedule",
            f"Dial-in for remote staff: conference bridge, meeting number {g.digits(3, '0')} {g.digits(3)} {g.digits(4)}.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "library":
        subject = g.pick(["New titles in the staff library", "CME course reminder"])
        sender = ("Staff Library", "library@clinics.example")
        paras = [
            "The following titles are now available on the shelf next to the break room:",
            "\n".join(f"- ISBN {x.isbn13()}" for _ in range(g.rng.randint(2, 5))),
            f"The online CME module (course {g.pick(['NUR', 'MED', 'QI'])} {g.rng.randint(100, 499)}, version {x.version()}) "
            f"closes on {ship_day.strftime('%B %d, %Y')}.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "work_order":
        subject = g.pick(["Work order completed", "Facilities request update"])
        sender = ("Facilities", "facilities@clinics.example")
        paras = [
            f"Work order WO-{order} is complete: HVAC filter replaced in {x.icd_like()}.",
            f"Replacement {x.icd_like()}, {x.part_number()}, serial SN{g.digits(10, '3456789')}.\n"
            f"Old unit asset tag: {x.bad_ssn()}",
            f"Next service date: {(ship_day + timedelta(days=180)).strftime('%m/%d/%Y')}.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "asset_audit":
        subject = g.pick(["Asset audit results", "Equipment inventory reconciliation"])
        sender = ("Biomedical Engineering", "biomed@clinics.example")
        rows = [
            f"{g.pick(['Infusion pump', 'ECG cart', 'Vitals monitor', 'Label printer', 'Exam light'])}  "
            f"tag {g.pick([x.bad_ssn(), x.bad_npi(), x.bad_mbi(), x.bad_dea()])}  {x.icd_like()}"
            for _ in range(g.rng.randint(4, 8))
        ]
        paras = [
            "Below are the items whose tags could not be matched during the audit:",
            "\n".join(rows),
            f"Contact line for the biomed shop: {x.bad_phone()} (an internal extension, not dialable).",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "recall":
        subject = g.pick(["Product recall notice", "Urgent: field safety notice"])
        sender = ("Vendor Quality", "quality@medsupply.example")
        paras = [
            f"The manufacturer has issued a voluntary recall of test strips, catalog {x.part_number()}.",
            "Affected lots:\n"
            + "\n".join(
                f"Lot {x.lot()}  exp {g.rng.randint(1, 12):02d}/{g.rng.randint(2025, 2027)}"
                for _ in range(g.rng.randint(2, 5))
            ),
            f"UDI (01){g.digits(14, '0')}(17){g.rng.randint(25, 27)}{g.rng.randint(1, 12):02d}{g.rng.randint(10, 28)}",
            "Please quarantine affected stock and return it using the prepaid label.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "travel":
        subject = g.pick(["Conference travel confirmation", "Itinerary for the regional meeting"])
        sender = ("Travel Desk", "travel@clinics.example")
        paras = [
            f"Flight {g.pick(['UA', 'DL', 'AA', 'WN'])} {g.rng.randint(100, 2999)} departs {ship_day.strftime('%m/%d/%Y')} "
            f"at {g.rng.randint(6, 20):02d}:{g.pick(['05', '20', '45'])} from Gate {g.pick('ABCDE')}{g.rng.randint(10, 39)}.",
            f"Booking reference {''.join(g.pick('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(6))}; hotel room block "
            f"{g.rng.randint(1000, 1499)}; loyalty card {x.luhn_ok_bad_iin()}.",
            f"Registration number {x.bad_card('-')}; the reimbursement form is due within 14 days of return.",
            g.pick(NEGATIVE_PROSE),
        ]
    elif kind == "release_notes":
        subject = g.pick(["Release notes: scheduling module", "What's new in the portal"])
        sender = ("EHR Vendor Updates", "updates@ehrvendor.example")
        paras = [
            f"Release {x.version()} (build {x.version()}) is available in the test environment.",
            "Fixes:\n"
            + "\n".join(
                f"- Issue {g.pick(['SCH', 'PRT', 'RX'])}-{g.rng.randint(1000, 99999)}: "
                f"{g.pick(['calendar view scrolls to wrong week', 'print preview truncates footer', 'slow search on large panels', 'button misaligned in dark mode'])}"
                for _ in range(g.rng.randint(3, 6))
            ),
            f"Known issue: the installer checks for runtime {x.version()} at {x.ip()}.",
            g.pick(NEGATIVE_PROSE),
        ]
    else:  # inventory spreadsheet or supply PDF attached, no PHI
        subject = g.pick(["Monthly inventory", "Stock levels for review"])
        sender = ("Supply Chain", "supply@clinics.example")
        rows = [["SKU", "Description", "Lot", "Qty", "Bin", "Order #"]]
        for _ in range(g.rng.randint(8, 20)):
            rows.append(
                [
                    x.part_number().split(" ", 1)[1],
                    g.pick(["Gloves M", "Gauze 4x4", "Syringe 3 mL", "Alcohol pads", "Specimen cups"]),
                    x.lot(),
                    str(g.rng.randint(0, 500)),
                    x.icd_like().split(" ", 1)[1],
                    g.digits(5, "3456789"),
                ]
            )
        paras = [
            "Attached is this month's inventory count. Items below par are highlighted in the sheet.",
            g.pick(NEGATIVE_PROSE),
        ]
        if k % 2:
            attachments.append(
                (
                    make_xlsx([("Inventory", rows)]),
                    "inventory.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            )
        else:
            attachments.append(
                (make_pdf(["INVENTORY COUNT"] + ["  ".join(r) for r in rows]), "inventory.pdf", "application/pdf")
            )
    if k >= 36:
        paras += [g.pick(NEGATIVE_PROSE) for _ in range(g.rng.randint(1, 3))]
    to = [dept(g, home, g.pick(["frontdesk", "supply", "allstaff", "managers"]))]
    msg = new_message(g, sender, to, subject, when)
    if k % 5:
        msg.set_content(wrap(paras))
    else:
        msg.set_content(to_html(paras), subtype="html")
    for data, filename, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg, L


# ============================================================================================
# The corpus.
# ============================================================================================

CATEGORIES = [  # (slug, count, maker)
    ("letter", 60, clinical_letter),
    ("lab", 50, lab_result),
    ("billing", 50, billing),
    ("scheduling", 40, scheduling),
    ("pharmacy", 30, pharmacy),
    ("attachments", 20, attachments_heavy),
    ("obfuscation", 20, obfuscation),
    ("negative", 60, negative),
]


def build() -> tuple[dict[str, bytes], dict[str, dict[str, list[str]]]]:
    g = Gen(SEED)
    files: dict[str, bytes] = {}
    labels: dict[str, dict[str, list[str]]] = {}
    number = 0
    for slug, count, maker in CATEGORIES:
        for k in range(count):
            number += 1
            msg, L = maker(g, k)
            name = f"{number:03d}-{slug}.eml"
            files[name] = finish(msg, number)
            labels[name] = L.as_dict()
            if slug == "negative":
                assert not labels[name], (name, labels[name])
    return files, labels


def write(out: Path) -> None:
    files, labels = build()
    folder = out / "messages"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.eml"):
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (out / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files)} messages ({total:,} bytes) and labels.json to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="corpus folder (messages/ and labels.json go here)")
    write(parser.parse_args().out)


if __name__ == "__main__":
    main()
