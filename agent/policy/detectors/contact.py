"""Contact details: phones (not a conference bridge), email addresses, street lines, PO boxes."""

from __future__ import annotations

import re

from agent.policy.detectors.base import Detector, context

# --- Contact details -------------------------------------------------------------------------
_PHONE_WORDS = re.compile(r"(?i)\b(?:phone|tel|telephone|cell|mobile|call|fax|contact|reach|text|ph)\b")
_BRIDGE = re.compile(
    r"(?i)\b(?:dial[- ]?in|conference\s+(?:line|bridge|number)|bridge(?:\s+(?:line|number))?|toll[- ]free\s+dial)"
    r"[^\n\d]{0,12}$"
)
_BRIDGE_AFTER = re.compile(r"(?i)[^\n\d]{0,6}\b(?:(?:meeting|conference|access|participant)\s*(?:id|code|pin)|pin)\b")


def _phone(text: str, m: re.Match[str]) -> float | None:
    if _BRIDGE.search(text, max(0, m.start() - 30), m.start()) or _BRIDGE_AFTER.match(text, m.end()):
        return None  # a conference bridge's dial-in number is nobody's phone
    return 0.95 if context(text, m.start(), m.end(), _PHONE_WORDS, 40, 5) else 0.85


PHONE = Detector(
    "phone",
    r"(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}",
    re.compile(
        r"(?<![\d.-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}(?P<s>[ .-]))[2-9]\d{2}[ .-]\d{4}(?![\d-]|\.\d)"
    ),
    _phone,
    before=17,
    after=1,
)
PHONE_LABELLED = Detector(  # ten bare digits are a phone number only when labelled as one
    # The whole shape in the prefilter: "cell" and "ph" are everywhere in clinical prose.
    "phone",
    # English and Spanish ("Teléfono", "celular", "cel.")
    r"\b(?:phone|tel|telephone|cell|mobile|fax|ph|tel.fono|celular|cel|m.vil)\b(?:\s*(?:number|no\.?|#))?[ \t]*[:#.]?[ \t]*(?:\+?1)?\d{10}",
    re.compile(
        r"(?i:\b(?:phone|tel|telephone|cell|mobile|fax|ph|tel[eé]fono|celular|cel|m[oó]vil)\b)(?:\s*(?i:number|no\.?|#))?[ \t]*[:#]?[ \t]*"
        r"\.?[ \t]*(?:\+?1)?(?P<v>[2-9]\d{2}[2-9]\d{6})(?![\d-]|\.\d)"
    ),
    lambda text, m: 0.9,
    before=40,
    after=0,
    caseless=True,
    group="v",
)
EMAIL = Detector(
    "email",
    r"@",
    re.compile(
        r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
    ),
    lambda text, m: 0.9,
    before=65,
    after=200,
)
_SUFFIX_WORDS = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter"
    "|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Pike|Loop|Row|Alley|Crescent|Plaza"
    "|Run|Path|Pass|Ridge|Bend|Crossing|Cove|Glen|Heights|Hollow|Landing|Meadows?|Point|Walk|Vista|Trace"
)
_SUFFIX = rf"(?:{_SUFFIX_WORDS}|{_SUFFIX_WORDS.upper()})"  # "AVE" in a feed
# The street line only, for a PO box as for a street: "PO Box 1754" of "PO Box 1754, Madison WI".
PO_BOX = Detector(
    "us_address",
    r"\bP\.?\s?O\.?\s*Box\s+\d",
    re.compile(r"(?i:\bP\.?[ \t]?O\.?[ \t]*Box)[ \t]+\d{1,6}\b"),
    lambda text, m: 0.85,
    before=12,
    after=10,
    caseless=True,
)
US_ADDRESS = Detector(
    "us_address",
    r"\d{1,6}[ \t]+(?:[NSEW]\.?[ \t]+)?(?:[A-Z][A-Za-z'-]*[ \t]+){1,4}" + _SUFFIX + r"\b",
    re.compile(
        r"(?<![\d.,/$#:-])\d{1,6}[ \t]+(?:(?:N|S|E|W|North|South|East|West)\.?[ \t]+)?"  # on one line
        # words one or two spaces apart: a report's columns ("4 WEST       RUN") are not a street
        r"(?:(?:\d{1,3}(?:st|nd|rd|th)|(?!AM\b|PM\b)[A-Z][A-Za-z'-]*)[ \t]{1,2}){1,4}"
        + _SUFFIX
        + r"\b"
        + r"(?:[ \t]+(?:NE|NW|SE|SW)\b)?"  # a city's quadrant: "281 Mesa Verde Ave SE"
    ),  # the street line without a trailing period: "237 Foxtail Way."
    lambda text, m: 0.85,
    before=80,
    after=6,
)
# Spanish street names put the street's kind first: "922 Calle de Alegria", "5380 Camino del Sol",
# "440 Avenida Cesar Chavez", "3836 Paseo de Onate" — up to three capitalized words after it,
# with "de", "del", "la", "los" between.
_STREET_KIND = (
    r"(?:El[ \t]+)?Camino|Calle|Avenida|Paseo|V[ií]a|Callej[oó]n|Calzada|Carretera|Placita|Vereda|Sendero"
    r"|Entrada|Circulo|C[ií]rculo|Privada|Cerrada|Prolongaci[oó]n"
)
US_ADDRESS_SPANISH = Detector(
    "us_address",
    r"\d{1,6}[ \t]+(?:El[ \t]+)?(?:Camino|Calle|Avenida|Paseo|V.a|Callej.n|Calzada|Carretera|Placita|Vereda|Sendero"
    r"|Entrada|C.rculo|Privada|Cerrada|Prolongaci.n)[ \t]+",
    re.compile(
        rf"(?<![\d.,/$#:-])\d{{1,6}}[ \t]+(?:{_STREET_KIND})"
        r"(?:[ \t]+(?:(?:de|del|la|las|los|el|y)[ \t]+){0,2}(?!AM\b|PM\b)(?:[A-Z][A-Za-z'-]*|\d{1,3}))"
        r"(?:[ \t]+(?:(?:de|del|la|las|los|el|y)[ \t]+){0,2}[A-Z][A-Za-z'-]*){0,2}"
    ),
    lambda text, m: 0.85,
    before=12,
    after=80,
)
# A street line after its label, whole: "Street address: 1080 Old Mill Blvd" (PID-11 and FHIR
# address.line as fields.py renders them), also when it has no street suffix ("4 Broadway").
STREET_LABELLED = Detector(
    "us_address",
    r"\bstreet[ \t]+address[ \t]*:",
    re.compile(
        r"(?i:\bstreet[ \t]+address)[ \t]*:[ \t]*(?P<v>(?:\d|(?i:p\.?[ \t]?o\.?[ \t]*box))[^\n:,;@]{1,80}?)[ \t]*(?=\n|,|$)"
    ),
    lambda text, m: 0.9 if re.search(r"[A-Za-z]{2}", m.group("v")) else None,
    before=20,
    after=90,
    caseless=True,
    group="v",
)
