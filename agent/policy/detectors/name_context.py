"""What tells a reader that capitalised words are a patient's name and not a clinician's, a
place's or an organisation's: the judgement the name detectors share (prose_names, letter_names,
name_mentions); no detector of its own.

- a name begins with a given name we know (agent/policy/first_names.txt, 21,500 in Latin
  script) — or, after a title, a family word or a name label, with any capitalised word;
- given names that are also everyday words ("Will", "May", "Grace", "Mark") need a surname we
  know (agent/policy/surnames.txt, 18,500) after them;
- clinicians and staff are not patients: "Dr." or "Nurse" before, "MD", "RN", "NP" after, a
  provider's or contact's label before, a job title after the comma or on the next line (a
  signature block), an extension;
- places and organisations are not people: "Grove City", "Lincoln Street", "Jackson Memorial
  Hospital", "Austin, TX" — a place or organisation word in or after the name, or a state;
- a first name alone counts only in mail that speaks with a patient or a relative ("your
  appointment", "my prescription"), not between colleagues (`with_patient`).
"""

from __future__ import annotations

import re

from agent.policy.detectors.name_words import NOT_NAMES, SUBJECT_WORDS, first_names, surnames
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
CLINICIAN_BEFORE = re.compile(
    r"(?i)\b(?:dr|doctor|drs|nurse|np|pa|rn|md|provider|physician|dra|doctora|enfermer[oa]|practicante|"
    r"m[eé]dic[oa]|terapeuta|therapist|surgeon|cirujan[oa])\.?[ \t]*$"
)
CLINICIAN_AFTER = re.compile(
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
NAME_PARTICLES = (
    r"(?:(?:de|del|de[ ]+la|de[ ]+los|de[ ]+las|la|van|von|der|den|da|di|du|dos|das|le|y|bin|ibn|al|el)[ ]+)"
)
# Words of headers and forms, never a name: "Last Name", "Patient First", "Nombre".
FORM_WORDS = frozenset(
    "first last middle full given family maiden preferred legal nombre apellido apellidos baby yo separately "
    "hi hello dear thanks hola gracias yes no ok okay "
    "mon tue tues wed thu thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "jan feb mar apr jun jul aug sep sept oct nov dec january february march july september october november "
    "december lun mar mié mie jue vie sáb sab dom lunes martes miércoles miercoles jueves viernes sábado domingo "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
)
NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\.?")
PARTICLE_WORDS = frozenset("de del la los las van von der den da di du dos das le y bin ibn al el".split())


def bare_word(word: str) -> str:
    word = word.rstrip(".")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    return word.casefold()


def known_surname(word: str) -> bool:
    bare = bare_word(word)
    return bare in surnames() or any(part in surnames() for part in bare.split("-") if len(part) > 2)


def known_given(word: str) -> bool:
    bare = bare_word(word)
    return bare in first_names() or bare.split("-")[0] in first_names()


def not_a_name_word(word: str) -> bool:
    bare = bare_word(word)
    return bare in NOT_NAMES or bare in SUBJECT_WORDS or bare in FORM_WORDS or len(bare) < 2


def staff(text: str, start: int, end: int) -> bool:
    """A clinician, staff member or contact: a title or credential around the name, a cue such
    as "Rendering provider:" before it, an extension or a job title after it ("Pat Lamb,
    Practice Manager"), or a job title on the next line (a signature block)."""
    if CLINICIAN_BEFORE.search(text, max(0, start - 12), start) or CLINICIAN_AFTER.match(text, end):
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


def word_end(word: re.Match[str]) -> int:
    """Where a name's last word ends: without a sentence's full stop or a possessive ("Omar
    Okafor's methylphenidate" → "Omar Okafor")."""
    value = word.group(0).rstrip(".")
    for suffix in ("'s", "’s"):
        if value.endswith(suffix) and len(value) > 3:
            return word.start() + len(value) - 2
    return word.start() + len(value) if value.lower() not in ("st", "ste") else word.end()


def alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return not text[line_start:start].strip(" \t>") and not text[end : line_end if line_end >= 0 else None].strip()


_STATE_AFTER = re.compile(r",?[ \t]+(?P<s>[A-Z]{2})(?:[ \t]+\d{5}|[ \t]*(?:$|\n|[,.;)]))")


def place(text: str, end: int) -> bool:
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


def organisation(words: list[re.Match[str]]) -> bool:
    """Words that make a place or an organisation: "Aspen Ridge Pediatrics", "Lincoln Park",
    "Austin TX" — but "Yuki Park" and "Hye-jin Hill" are people (a known surname last)."""
    bare = [bare_word(w.group(0)) for w in words]
    if any(b in ORG_WORDS for b in bare[:-1]) or any(STATE.fullmatch(w.group(0)) for w in words[1:]):
        return True
    last = bare[-1]
    return last in ORG_WORDS and (last not in surnames() or bare[0] in PLACE_GIVEN)


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


def with_patient(text: str) -> bool:
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
