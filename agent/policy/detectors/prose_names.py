"""Names where no cue says "patient": in prose ("I saw Dolores Whitfield today"), after a title
("Mrs. Kowalczyk's sugars are up", "Sra. Beltrán llamó"), after a family word ("his daughter
Amara called"), in lists ("Esposito, Giovanni"), and the first name alone that greets a patient
or signs a patient's mail ("Hi Marisol," … "Thanks, Tom").

How a reader tells a person from a place or a clinic, written as rules (no statistical model:
measured, the rules with the name lists reached the recall a small model would, at a hundredth
of its cost and with no 50 MB download in the agent):
- a name begins with a given name we know (agent/policy/first_names.txt, 21,000 in Latin
  script) — or, after a title or a family word, with any capitalised word;
- given names that are also everyday words ("Will", "May", "Grace", "Mark") need a surname we
  know (agent/policy/surnames.txt, 18,000) after them;
- clinicians and staff are not patients: "Dr." or "Nurse" before, "MD", "RN", "NP" after, a
  job title on the next line (a signature block);
- places and organisations are not people: "Grove City", "Lincoln Street", "Jackson Memorial
  Hospital", "Austin, TX" — a place or organisation word after the name, or a state;
- a first name alone counts only in a greeting or sign-off of mail that speaks with a patient
  or a relative ("your appointment", "my prescription"), not between colleagues.

Gating keeps the prose scan fast: the prefilter fires only on two capitalised words in a row
(about one hit per 2 KB of clinical prose), a title, a family word or a greeting.
"""

from __future__ import annotations

import bisect
import re
from functools import cache

from agent.policy.detectors.base import Detector
from agent.policy.detectors.name_words import CAPITALISED, NAME_START, NOT_NAMES, SUBJECT_WORDS, first_names
from agent.policy.detectors.states import STATE

# --- what a name is not -----------------------------------------------------------------------
# Everyday words that the given-name list holds too (from the locales of many countries). Never
# the start of a name on their own: they need a known surname after them.
EVERYDAY_GIVEN = frozenset(
    "will may grace mark bill ray pat don robin max page price walker winter marsh green major patience early "
    "echo hope faith joy art rose june april august grant guy dean gene chase hunter drew penny summer autumn "
    "dawn king miles jack sunday christian chance star sky river lake stone pearl ivy holly iris jade lily "
    "daisy violet ginger angel prince duke earl royal sterling cash rich sage storm kit trace dot red long "
    "little case link park fleet press media server beta tab tea sole nail harm peer roll reason line lot "
    "job dock floor edit add carry van general doctor man male unknown valid true said made less else ever "
    "my us an per can son gal nadir so all new good best happy young white black brown gray grey north "
    "south east west central saint san santa mercy trinity providence bay valley hill mount fort silver tri "
    "aspen maple cedar pine oak willow sierra".split()
)
# Words that make capitalised words a place, an organisation or a thing, not a person.
ORG_WORDS = frozenset(
    "medical health healthcare clinic clinics center centre hospital hospitals pharmacy group associates partners "
    "llc inc corp university college school institute foundation county city township street avenue ave road "
    "boulevard blvd drive lane way court place parkway plaza square building hall tower campus memorial regional "
    "community valley lake river beach springs heights falls park bank insurance plan lab labs laboratory "
    "imaging radiology surgical surgery therapy orthopedics pediatrics cardiology oncology dermatology ventures "
    "systems solutions software services network mutual trust fund cooperative unified elementary district "
    "clerk courthouse reference harbor department dept office offices academy church ministries family "
    "dental vision care rehab rehabilitation wellness urgent emergency women children kids internal medicine "
    "practice physicians specialists orthopaedics neurology urology obgyn gynecology pulmonology nephrology "
    "gastroenterology endocrinology ophthalmology optometry podiatry chiropractic hospice home homes nursing "
    "senior living village villa estates apartments manor gardens garden farm farms grain county's blue cross shield "
    "calle paseo camino avenida hoja carretera law firm room conference suite floor wing unit".split()
)
_NOT_PERSON_AFTER = re.compile(r"[ \t]*(?:'s[ \t]+)?(?P<w>[A-Za-z]+)\b")
_STREET_ABBREVIATIONS = frozenset("st rd dr ln ct blvd ave pkwy hwy".split())
_CLINICIAN_BEFORE = re.compile(
    r"(?i)\b(?:dr|doctor|drs|nurse|np|pa|rn|md|provider|physician|dra|doctora|enfermer[oa]|practicante|"
    r"m[eé]dic[oa]|terapeuta|therapist|surgeon|cirujan[oa])\.?[ \t]*$"
)
_CLINICIAN_AFTER = re.compile(
    r",?[ \t]*(?:MD|M\.D\.|DO|D\.O\.|RN|NPI|Esq|PMHNP(?:-BC)?|MLS|MSN|CCDS|CHC|CRC|CPhT|RRA|RHIA|RHIT|BSN|NP|FNP|FNP-C|APRN|PA|PA-C|LPN|LVN|CMA|MA|DDS|DMD|PhD|PharmD|"
    r"RPh|LCSW|LMFT|LPC|PsyD|CNM|CRNA|RD|CDE|CDCES|DPT|PT|OT|OTR|CPC|CCS|FACC|FACP|FACOG|FAAP|MSW)\b"
)
# Before a name on its line: the name is a clinician's, a contact's or a sender's.
_STAFF_CUE = re.compile(
    r"(?i)(?:(?:(?<!emergency[ \t])contact|provider|physician|assigned[ \t]+by|attn|attention|requester|attending|"
    r"ordering|referring|pcp|signed[ \t]+by|approved[ \t]+by|prepared[ \t]+by|reviewed[ \t]+by|author|adjuster|"
    r"representative|agent|manager|surgeon|therapist|counselor|paralegal[ \t]+to)[ \t]*:?|(?:for|cc)[ \t]*:"
    r"|\d[ \t]*min\.?\)?[ \t]*[-–])[ \t]*$"  # an agenda's presenter: "(10 min) - Lorraine Ashdown"
)
_EXTENSION_AFTER = re.compile(r"[ \t,]*(?:ext|x)\.?[ \t]*\d")
# A job title: after a name's comma ("Pat Lamb, Practice Manager") or on the line after it (a
# signature block of staff).
_JOB = (
    r"(?i)\b(?:adjuster|paralegal|attorney|counsel|law|claims|acquisition|recruiter|management|education|"
    r"compliance|facilities|engineer|consultant|executive|sales|account|helpdesk|desk|scheduler|coordinator|"
    r"manager|nurse|specialist|scheduling|billing|department|dept|office|clinic|director|assistant|"
    r"representative|rep|technician|tech|supervisor|analyst|administrator|admin|medical|health|hospital|"
    r"practice|front\s+desk|reception|navigator|liaison|counselor|therapist|pharmacist|physician|provider|team|"
    r"services|center|support|intake|registrar|clerk|officer|associate|lead|md|rn|ma|np)\b"
)
_JOB_AFTER_COMMA = re.compile(_JOB)
_JOB_LINE = re.compile(_JOB + r"|(?i:\b(?:ext\.?|phone|tel|fax|direct)\b)|\(\d{3}\)|\d{3}[-.]\d{3}[-.]\d{4}")
_PARTICLES = r"(?:(?:de|del|de[ ]+la|de[ ]+los|de[ ]+las|la|van|von|der|den|da|di|du|dos|das|le|y|bin|ibn|al|el)[ ]+)"
# Words of headers and forms, never a name: "Last Name", "Patient First", "Nombre".
_FORM_WORDS = frozenset(
    "first last middle full given family maiden preferred legal nombre apellido apellidos baby yo separately "
    "hi hello dear thanks hola gracias yes no ok okay "
    "mon tue tues wed thu thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "jan feb mar apr jun jul aug sep sept oct nov dec january february march july september october november "
    "december lun mar mié mie jue vie sáb sab dom lunes martes miércoles miercoles jueves viernes sábado domingo "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
)
_WORDS = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\.?")
_PARTICLE_WORDS = frozenset("de del la los las van von der den da di du dos das le y bin ibn al el".split())


@cache
def surnames() -> frozenset[str]:
    """Surnames in Latin script (agent/policy/surnames.txt, from Faker's lists)."""
    from importlib import resources

    lines = resources.files("agent.policy").joinpath("surnames.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _bare(word: str) -> str:
    word = word.rstrip(".")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    return word.casefold()


def _known_surname(word: str) -> bool:
    bare = _bare(word)
    return bare in surnames() or any(part in surnames() for part in bare.split("-") if len(part) > 2)


def _known_given(word: str) -> bool:
    bare = _bare(word)
    return bare in first_names() or bare.split("-")[0] in first_names()


def _not_a_name_word(word: str) -> bool:
    bare = _bare(word)
    return bare in NOT_NAMES or bare in SUBJECT_WORDS or bare in _FORM_WORDS or len(bare) < 2


def _staff(text: str, start: int, end: int) -> bool:
    """A clinician, staff member or contact: a title or credential around the name, a cue such
    as "Rendering provider:" before it, an extension or a job title after it ("Pat Lamb,
    Practice Manager"), or a job title on the next line (a signature block)."""
    if _CLINICIAN_BEFORE.search(text, max(0, start - 12), start) or _CLINICIAN_AFTER.match(text, end):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if _STAFF_CUE.search(text, max(line_start, start - 40), start) or _EXTENSION_AFTER.match(text, end):
        return True
    line_end = text.find("\n", end)
    rest_of_line = text[end : line_end if line_end >= 0 else len(text)]
    if rest_of_line.startswith(",") and _JOB_AFTER_COMMA.search(rest_of_line[:60]):
        return True
    if rest_of_line.strip(" \t,") or text[line_start:start].strip(" \t>"):
        return False  # the name does not stand alone on its line: no signature block
    following = text[line_end:].lstrip()[:120].split("\n", 1)[0] if line_end >= 0 else ""
    return bool(_JOB_LINE.search(following))


def _word_end(word: re.Match[str]) -> int:
    """Where a name's last word ends: without a sentence's full stop or a possessive ("Omar
    Okafor's methylphenidate" → "Omar Okafor")."""
    value = word.group(0).rstrip(".")
    for suffix in ("'s", "’s"):
        if value.endswith(suffix) and len(value) > 3:
            return word.start() + len(value) - 2
    return word.start() + len(value) if value.lower() not in ("st", "ste") else word.end()


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return not text[line_start:start].strip(" \t>") and not text[end : line_end if line_end >= 0 else None].strip()


_STATE_AFTER = re.compile(r",?[ \t]+(?P<s>[A-Z]{2})(?:[ \t]+\d{5}|[ \t]*(?:$|\n|[,.;)]))")


def _place(text: str, end: int) -> bool:
    """A place or an organisation: "Grove City", "Austin, TX", "Lincoln NE", "Jackson Memorial
    Hospital"."""
    after = _NOT_PERSON_AFTER.match(text, end)
    if after and (after.group("w").casefold() in ORG_WORDS or after.group("w") in ("St", "Rd", "Dr", "Ln", "Ct")):
        return True
    state = _STATE_AFTER.match(text, end)
    if state and STATE.fullmatch(state.group("s")):
        return True
    comma = re.compile(r",[ \t]+").match(text, end)
    return comma is not None and STATE.match(text, comma.end()) is not None


# Given names that are also the names of towns: before "Park" or "Hill" they make a place.
PLACE_GIVEN = frozenset(
    "las los lincoln jackson madison austin denver dallas houston washington jefferson franklin clinton orlando chester "
    "florence savannah phoenix jordan sydney paris brooklyn cleveland grove forest glen kent warren marion "
    "salem troy camden dayton eugene sherman lafayette hamilton monroe carroll tyler".split()
)


def _organisation(words: list[re.Match[str]]) -> bool:
    """Words that make a place or an organisation: "Aspen Ridge Pediatrics", "Lincoln Park",
    "Austin TX" — but "Yuki Park" and "Hye-jin Hill" are people (a known surname last)."""
    bare = [_bare(w.group(0)) for w in words]
    if any(b in ORG_WORDS for b in bare[:-1]) or any(STATE.fullmatch(w.group(0)) for w in words[1:]):
        return True
    last = bare[-1]
    return last in ORG_WORDS and (last not in surnames() or bare[0] in PLACE_GIVEN)


# --- names in prose ---------------------------------------------------------------------------
def _prose_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """Capitalised words in a row: the name runs from the first known given name to the last
    name word ("Yesterday Maria Lopez called" → "Maria Lopez"). Cheap set lookups come first:
    most hits are headings and sentence starts, dropped before any regex runs."""
    given_names, known_surnames = first_names(), surnames()
    if not any(_bare(part) in given_names or _bare(part) in known_surnames for part in m.group("v").split()):
        return None  # a str.split first: most hits end here, before any match object is made
    words = list(_WORDS.finditer(text, m.start("v"), m.end("v")))
    bare = [_bare(w.group(0)) for w in words]
    for i, b in enumerate(bare):
        if (b not in given_names and b.split("-", 1)[0] not in given_names) or b in NOT_NAMES or b in _FORM_WORDS:
            continue
        if not words[i].group(0)[:1].isupper():
            continue
        last = i
        for k in range(i + 1, len(words)):
            if bare[k] in _PARTICLE_WORDS:
                continue
            if not words[k].group(0)[:1].isupper() or _not_a_name_word(words[k].group(0)):
                break
            last = k
        if last == i:
            continue  # "… for Vikram Reddy": "Reddy" alone is no name; an unknown given name may be
        start, end = words[i].start(), _word_end(words[last])
        if b in EVERYDAY_GIVEN and not _known_surname(words[last].group(0)):
            return None  # "Will Radiology", "Grace Period"
        if last - i > 3 or _organisation(words[i : last + 1]) or _staff(text, start, end) or _place(text, end):
            return None
        if _alone_on_line(text, start, end) and not _with_patient(text):
            return None  # a signature, most likely staff's: a patient's only in mail with a patient
        return (0.75 if bare[last] in known_surnames else 0.6), start, end
    return _unknown_given(text, words, bare)


_SENTENCE_END = frozenset(".!?\n")


def _unknown_given(text: str, words: list[re.Match[str]], bare: list[str]) -> tuple[float, int, int] | None:
    """A given name not on our list before a surname that is ("for Vikram Reddy after"): taken
    inside a sentence or after a label, never as a sentence's first word ("Tell Young …")."""
    known_surnames = surnames()
    for k in range(1, len(words)):
        if bare[k] not in known_surnames or bare[k] in EVERYDAY_GIVEN or bare[k] in ORG_WORDS:
            continue
        first, last = words[k - 1], words[k]
        given, surname = first.group(0), last.group(0)
        if len(bare[k - 1]) < 3 or not given[:1].isupper() or given.isupper() != surname.isupper():
            continue  # "MRI Smith"
        if bare[k - 1] in EVERYDAY_GIVEN or bare[k - 1] in ORG_WORDS or _not_a_name_word(given):
            continue
        if text[first.end() : last.start()].strip():
            continue  # a comma between
        before = text[max(0, first.start() - 3) : first.start()].rstrip(" \t")
        if not before or before[-1] in _SENTENCE_END:
            continue
        start, end = first.start(), _word_end(last)
        if _staff(text, start, end) or _place(text, end):
            continue
        return 0.6, start, end
    return None


PROSE_NAME = Detector(
    "patient_name",
    # Two capitalised words in a row (a middle initial or a particle between); "?" stands for a
    # letter outside ASCII in the prefilter's view ("Héctor").
    r"\b[A-Z][a-z?]+[ ]+(?:[A-Z]\.?[ ]+)?(?:(?:de|del|la|los|van|von|der|da|di|du|dos|le|y)[ ]+){0,2}[A-Z?][a-z?]",
    re.compile(
        # spaces only: a tab is a table's next cell
        rf"{NAME_START}(?<![\w'’.-])(?P<v>{CAPITALISED}(?:[ ]+[A-Z]\.?)?(?:[ ]+{_PARTICLES}{{0,2}}{CAPITALISED}){{1,3}})"
    ),
    _prose_name,
    before=45,  # the prefilter ends in the name's last word: its start is at most three words back
    after=40,
    group="v",
)


# --- last name first, in lists and tables -----------------------------------------------------
def _listed_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Esposito, Giovanni, DOB …", "Park, Hye-jin (3/19/1969)", "WASHINGTON, IMANI": a known
    surname or capitals, then a known given name."""
    last, given = m.group("last"), m.group("given")
    if _not_a_name_word(last) or _not_a_name_word(given) or not _known_given(given) or last.endswith("ly"):
        return None  # "Separately, Emeka Park" is a sentence
    start, end = m.start("v"), m.end("v")
    row = not text[text.rfind("\n", 0, start) + 1 : start].strip(" \t>*-•0123456789.)")  # a list's row
    if not (_known_surname(last) or (last.isupper() and given.isupper()) or row):
        return None
    if _staff(text, start, end) or _place(text, end) or {_bare(last), _bare(given)} & ORG_WORDS:
        return None
    if STATE.fullmatch(given) or STATE.fullmatch(last):
        return None  # "Austin, Texas"
    return 0.7, start, end


LISTED_NAME = Detector(
    "patient_name",
    r"\b[A-Z][A-Za-z?'-]+,[ ]*[A-Z][A-Za-z?]",
    re.compile(
        rf"{NAME_START}(?<![\w'’.-])(?P<v>(?:{_PARTICLES}{{0,2}})(?P<last>{CAPITALISED}),[ \t]*(?P<given>{CAPITALISED})"
        rf"(?:[ ]+(?:[A-Z](?:\.|(?![\w'’]))|{CAPITALISED}(?=[ \t]*(?:$|\n|[,(;\t]|[ \t]-[ \t]))))?)"
    ),
    _listed_name,
    before=40,
    after=40,
    group="v",
)


# --- after a title or a family word -----------------------------------------------------------
def _titled_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Mrs. Kowalczyk's sugars", "Sra. Beltrán llamó", "Mr. Okafor": the name without its
    title; two words when a given name comes first ("Ms. Linh Castellanos")."""
    words = list(_WORDS.finditer(text, m.start("v"), m.end("v")))
    kept = []
    for w in words:
        if _bare(w.group(0)) in _PARTICLE_WORDS and kept:
            kept.append(w)
            continue
        if not w.group(0)[:1].isupper() or _not_a_name_word(w.group(0)):
            break
        kept.append(w)
    while kept and _bare(kept[-1].group(0)) in _PARTICLE_WORDS:
        kept.pop()
    if not kept or len(kept) > 3:
        return None
    if len(kept) > 1 and not _known_given(kept[0].group(0)):
        kept = kept[:1]  # "Mr. Okafor Tuesday": the surname
    start, end = kept[0].start(), _word_end(kept[-1])
    if _place(text, end) or _CLINICIAN_AFTER.match(text, end):
        return None
    return 0.7, start, end


TITLED_NAME = Detector(
    "patient_name",
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Sra|Sr|Srta|MR|MRS|MS)\.?[ ]+[A-Z?]",
    re.compile(
        rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Sra|Sr|Srta|MR|MRS|MS)\.?[ \t]+(?P<v>{CAPITALISED}(?:[ \t]+{CAPITALISED}){{0,3}})"
    ),
    _titled_name,
    before=12,
    after=60,
    group="v",
)

_FAMILY = (
    r"son|daughter|wife|husband|mother|father|mom|mum|dad|brother|sister|grandson|granddaughter|grandmother|"
    r"grandfather|grandma|grandpa|aunt|uncle|niece|nephew|partner|fiancée?|caregiver|guardian|stepson|"
    r"stepdaughter|child|baby|infant|toddler|hijo|hija|esposa|esposo|madre|padre|mamá|papá|abuela|abuelo|nieto|nieta"
)


def _family_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "his daughter Amara called", "my mother, Yuki Park": one known given name is enough."""
    words = []
    for w in _WORDS.finditer(text, m.start("v"), m.end("v")):
        if not w.group(0)[:1].isupper() or _not_a_name_word(w.group(0)):
            break
        words.append(w)
    if not words or len(words) > 3 or not _known_given(words[0].group(0)):
        return None
    if _bare(words[0].group(0)) in EVERYDAY_GIVEN and len(words) == 1:
        return None
    start, end = words[0].start(), words[-1].end() - words[-1].group(0).endswith(".")
    if _organisation(words) or _place(text, end) or _staff(text, start, end):
        return None
    return 0.7, start, end


FAMILY_NAME = Detector(
    "patient_name",
    rf"\b(?i:{_FAMILY})[ ]*,?[ ]+(?:is[ ]+)?[A-Z?]",  # the family word first: rarer than "my" or "her"
    re.compile(
        rf"\b(?i:my|his|her|their|your|our|the[ \t]+patient's|mi|su)[ \t]+(?i:{_FAMILY}),?[ \t]+(?:is[ \t]+)?"
        rf"(?P<v>{CAPITALISED}(?:[ \t]+{_PARTICLES}{{0,2}}{CAPITALISED}){{0,2}})"
    ),
    _family_name,
    before=45,
    after=60,
    group="v",
)


# --- a first name greeting a patient, or signing a patient's mail -------------------------------


_last_asked: tuple[str, bool] = ("", False)


_PATIENT_THINGS = frozenset(
    "appointment appt result results lab labs prescription medication medications refill insurance bill balance "
    "account statement visit surgery procedure son daughter child mother father wife husband doctor test tests "
    "biopsy mri scan referral records pharmacy dose copay claim pain symptoms condition diagnosis treatment therapy "
    "cita receta resultados seguro médico medicamento chequeo vacunas hijo hija mamá papá".split()
)
_POSSESSIVES = ("your ", "my ", "tu ", "su ", "mi ")
_COLLEAGUE_WORDS = ("your patient", "your pt", "the patient", " pt ", " pt.", "pt:")


def _with_patient(text: str) -> bool:
    """Whether the mail speaks with a patient or a relative ("your results", "my prescription",
    "su cita") and not about one between colleagues ("your patient", "pt"); asked once per text
    (the last answer is kept: a text's names are validated one after another). Plain substring
    searches: a case-blind regex over the text cost a tenth of the prose scan."""
    global _last_asked
    asked, answer = _last_asked
    if asked is text:
        return answer
    head = text[:4000].casefold()
    answer = False
    if not any(word in head for word in _COLLEAGUE_WORDS):
        for possessive in _POSSESSIVES:
            at = head.find(possessive)
            while at >= 0 and not answer:
                if at == 0 or not head[at - 1].isalpha():
                    following = head[at + len(possessive) : at + len(possessive) + 16].split(" ", 1)[0]
                    answer = following.strip(".,;:!?") in _PATIENT_THINGS
                at = head.find(possessive, at + 1)
            if answer:
                break
    _last_asked = (text, answer)
    return answer


def _greeted_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Hi Marisol," at the start of a line, in mail to or from a patient."""
    start, end = m.start("v"), m.end("v")
    if not _known_given(m.group("v")) or _bare(m.group("v")) in EVERYDAY_GIVEN or not _with_patient(text):
        return None
    if _bare(m.group("v")) in NOT_NAMES:
        return None
    return 0.6, start, end


GREETED_NAME = Detector(
    "patient_name",
    # At a line's start: "hi" inside "this" and "which" would cost a Hyperscan pass of its own.
    r"(?:^|\n)[ \t>]*(?i:hi|hello|dear|hey|good\s+morning|good\s+afternoon|hola|estimad[oa]|buenos\s+d[i?]as)"
    r"[ ]+[A-Z?][a-z?]+[ ]*[,!:\n]",
    re.compile(
        r"(?m)^[ \t>]*(?i:hi|hello|dear|hey|good[ \t]+morning|good[ \t]+afternoon|hola|estimad[oa]|"
        rf"buenos[ \t]+d[ií]as)[ \t]+(?P<v>{CAPITALISED})[ \t]*[,!:]?[ \t]*$"
    ),
    _greeted_name,
    before=40,
    after=20,
    group="v",
)


def _signed_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Thanks,\nTom" at the end of mail from a patient or a relative."""
    start, end = m.start("v"), m.end("v")
    words = m.group("v").split()
    if not _known_given(words[0]) or (_bare(words[0]) in EVERYDAY_GIVEN and len(words) == 1):
        return None
    if _staff(text, start, end) or not _with_patient(text):
        return None
    return 0.6, start, end


SIGNED_NAME = Detector(
    "patient_name",
    r"\b(?i:thanks|thank\s+you|thank\s+you\s+so\s+much|best|regards|best\s+regards|sincerely|cheers|gracias|"
    r"saludos|atentamente|respectfully|warmly|take\s+care)(?:[ ]+[A-Z?][a-z?]+)?[ ]*[,!.]?[ ]*\n[ >]*[A-Z?]",
    re.compile(
        r"(?i:thanks|thank[ \t]+you(?:[ \t]+so[ \t]+much)?|best|regards|best[ \t]+regards|sincerely|cheers|"
        rf"gracias|saludos|atentamente|respectfully|warmly|take[ \t]+care)(?:[ \t]+{CAPITALISED})?[ \t]*[,!.]?[ \t]*"
        rf"\n[ \t>]*(?P<v>{CAPITALISED}(?:[ \t]+{CAPITALISED}){{0,2}})[ \t]*(?=\n|$)"
    ),
    _signed_name,
    before=55,
    after=50,
    group="v",
)

# A name alone on its line closing a reply, before the quoted mail: "…vacunas.\n\nLatoya\n\nEl
# jue, 3 dic 2026 … escribió:", "…\n\nBrittany\n\nOn Mon, Nov 16 … wrote:".
_QUOTE_STARTS = re.compile(
    r"\n*[ \t]*(?:on[ \t]|el[ \t]|le[ \t]|am[ \t]|-{3,}|_{5,}|from:|de:|sent from|enviado desde|>)", re.IGNORECASE
)


def _closing_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    start, end = m.start("v"), m.end("v")
    words = m.group("v").split()
    if not _known_given(words[0]) or _bare(words[0]) in EVERYDAY_GIVEN or _not_a_name_word(words[0]):
        return None
    rest = text[end:].lstrip(" \t")
    if rest and not _QUOTE_STARTS.match(rest):
        return None  # the text goes on: a heading, not a signature
    if _staff(text, start, end) or not _with_patient(text):
        return None
    return 0.6, start, end


CLOSING_NAME = Detector(
    "patient_name",
    r"[.!?)]\n\n[ >]*[A-Z?][a-z?]+(?:[ ][A-Z?][a-z?]+)?[ ]*\n",
    re.compile(rf"[.!?)]\n\n[ \t>]*(?P<v>{CAPITALISED}(?:[ ]+{CAPITALISED})?)[ \t]*(?=\n)"),
    _closing_name,
    before=40,
    after=5,
    group="v",
)


# --- a name ending a subject line -----------------------------------------------------------------
def _subject_end_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Fwd: bill for Amadou", "Reconsideration request - claim 2026 - Al-Masri", "PA request:
    semaglutide for Dmitri Zamora": only in a text that is one short line (a subject)."""
    if "\n" in text or len(text) > 200:
        return None
    if text.lstrip().casefold().startswith(("thanks", "thank you", "gracias")):
        return None  # "Thanks for Mary's help - Jolene": the writer signs
    words = m.group("v").split()
    if any(_not_a_name_word(w) or _bare(w) in ORG_WORDS for w in words):
        return None
    known = _known_given(words[0]) or _known_surname(words[-1])
    after_for = m.group(0).lstrip(" -").casefold().startswith(("for", "para"))  # "Fwd: bill for Amadou"
    if not (known or after_for) or (_bare(words[0]) in EVERYDAY_GIVEN and not _known_surname(words[-1])):
        return None
    return 0.6, m.start("v"), _word_end(list(_WORDS.finditer(text, m.start("v"), m.end("v")))[-1])


SUBJECT_END_NAME = Detector(
    "patient_name",
    r"(?:[ ]-[ ]+|\b(?i:for|para|de)[ ]+)[A-Z?][A-Za-z?'-]+(?:[ ][A-Z?][A-Za-z?'-]+)?[ ]*$",
    re.compile(rf"(?:[ ]-[ ]+|\b(?i:for|para|de)[ ]+)(?P<v>{CAPITALISED}(?:[ ]+{CAPITALISED})?)[ \t]*$"),
    _subject_end_name,
    before=60,
    after=5,
    group="v",
)


# --- a name in a table's cell, read as "Header: value" -------------------------------------------
_COLUMN_CUES = (
    r"(?:patient[ \t]+|pt[ \t]+|member[ \t]+|child'?s?[ \t]+|student[ \t]+)?(?:last|first|middle|given|family|sur)"
    r"(?:[ \t_]*name)?|apellidos?|nombres?|primer[ \t]+nombre|guarantor|parent(?:[ \t]*/[ \t]*guardian)?|"
    r"guardian|responsible[ \t]+party|subscriber(?:[ \t]+name)?|insured(?:[ \t]+name)?|policy[ \t]*holder|"
    r"account[ \t]+holder|beneficiary|name[ \t]+on[ \t]+card|cardholder|card[ \t]+holder|emergency[ \t]+contact|"
    r"next[ \t]+of[ \t]+kin|mother|father|spouse|tutor|madre|padre|acudiente|titular"
)


def _column_name(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """ "Last Name: Zamora\tFirst Name: Refugio", "Apellido / Last name: Flores", "guarantor:
    Emeka Zamora", "Account holder: Dakota Archuleta": the words of the cell."""
    words = []
    for w in _WORDS.finditer(text, m.start("v"), m.end("v")):
        if not w.group(0)[:1].isupper() or _not_a_name_word(w.group(0)) or _bare(w.group(0)) in ORG_WORDS:
            break
        words.append(w)
    if not words or len(words) > 4:
        return None
    start, end = words[0].start(), _word_end(words[-1])
    if len(words) == 1:
        if not _CELL_END.match(text, end):
            return None  # "First: call the pharmacy"
        header = text[max(0, m.start() - 1) : m.start("v")].casefold()
        strong = "name" in header or "nombre" in header or "apellido" in header  # "First Name:", not "First:"
        if not (strong or _known_given(words[0].group(0)) or _known_surname(words[0].group(0))):
            return None
    elif _organisation(words) or _staff(text, start, end):
        return None
    if _place(text, end):
        return None
    return 0.75, start, end


_CELL_END = re.compile(r"[ \t]*(?:$|\n|\t|[,;|(]|[ ]{2,})")

COLUMN_NAME = Detector(
    "patient_name",
    rf"\b(?i:{_COLUMN_CUES})(?:[ \t]*/[ \t]*[A-Za-z?]{{1,12}}(?:[ \t][A-Za-z?]{{1,12}})?)?[ \t]*:[ \t]*[A-Z?]",
    re.compile(
        rf"\b(?i:{_COLUMN_CUES})(?:[ \t]*/[ \t]*[^\W\d_]{{1,12}}(?:[ \t][^\W\d_]{{1,12}})?)?[ \t]*:[ \t]*"
        rf"(?P<v>{CAPITALISED}(?:[ ]+{_PARTICLES}{{0,2}}{CAPITALISED}){{0,3}})"  # spaces: a tab is the next cell
    ),
    _column_name,
    before=60,
    after=60,
    group="v",
)


# --- later mentions of a name found once --------------------------------------------------------
_NEXT_WORD = re.compile(rf"[ ]+{CAPITALISED}")


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Where `word` stands as a word of its own (str.find: memory speed, not a regex pass)."""
    found, at = [], text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "'’-_") and not (after.isalnum() or after in "-_"):
            found.append((at, end))
        at = text.find(word, end)
    return found


def _as_staff(text: str, start: int, end: int) -> bool:
    """A clinician's title before this word, or credentials after it or after the next word:
    "Dr. Marsh", "Yesenia Holguín, MA", "enfermera practicante Keisha Broussard"."""
    if _CLINICIAN_BEFORE.search(text, max(0, start - 14), start) or _CLINICIAN_AFTER.match(text, end):
        return True
    following = _NEXT_WORD.match(text, end)
    if following is not None and _CLINICIAN_AFTER.match(text, following.end()):
        return True
    # a signature block: "Trina\n> Trina Castañeda\n> Billing Office" — only a name alone on its line can be one
    stop = following.end() if following else end
    line_end = text.find("\n", stop)
    if text[stop : line_end if line_end >= 0 else len(text)].strip():
        return False
    return _staff(text, start, stop)


def later_mentions(text: str, found: dict[tuple[str, int, int], float]) -> None:
    """Once a text names a patient in full, its given name or surname alone elsewhere in that
    text is the same person, as a reader takes it: "Folasade Paz … Folasade's A1c", "Latoya
    Villalobos … Ms. Villalobos's daughter … Latoya". And a name the text gives a clinician's
    title or credentials anywhere ("Yesenia Holguín, MA") is staff everywhere in it: "Muchas
    gracias Yesenia" is no patient. Runs on `found` after the detectors."""
    names = [(start, end) for (kind, start, end) in found if kind == "patient_name"]
    if not names:
        return
    words: dict[str, list[tuple[int, int]]] = {}
    for start, end in names:
        for w in _WORDS.finditer(text, start, end):
            value = w.group(0).rstrip(".").removesuffix("'s").removesuffix("’s")
            if len(value) > 2 and value[:1].isupper() and not _not_a_name_word(value) and value not in words:
                words[value] = _occurrences(text, value)
    staff = {word for word, places in words.items() if any(_as_staff(text, s, e) for s, e in places)}
    for start, end in names:
        parts = [
            w.group(0).rstrip(".").removesuffix("'s").removesuffix("’s") for w in _WORDS.finditer(text, start, end)
        ]
        if staff and parts and all(p in staff or len(p) < 3 for p in parts):
            del found[("patient_name", start, end)]
    taken = sorted((start, end) for (kind, start, end), sure in found.items() if kind == "patient_name" and sure >= 0.6)
    if not taken:
        return
    starts = [start for start, _ in taken]
    for word, places in words.items():
        if word in staff or _bare(word) in EVERYDAY_GIVEN:
            continue
        for start, end in places:
            at = bisect.bisect_right(starts, start)  # the kept span starting at or before: inside it?
            if at and taken[at - 1][1] > start or at < len(taken) and taken[at][0] < end:
                continue
            if not _staff(text, start, end) and not _place(text, end):
                found.setdefault(("patient_name", start, end), 0.6)
