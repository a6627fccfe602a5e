#!/usr/bin/env python3
"""Holdout PHI/PII e-mail corpus generator (independent of the main corpus).

Standard library only, Python 3.11, deterministic (fixed SEED, fixed MIME
boundaries, Message-IDs and Dates drawn from the seeded generator).

    python3 generate.py            # writes messages/*.eml and labels.json next to this file
    python3 generate.py --out DIR  # writes DIR/messages and DIR/labels.json

Every labelled value is validated when it is inserted (VALIDATORS) and, after
writing, every message is re-parsed, its text extracted (Subject + text parts +
rendered HTML + text attachments) and each labelled value is counted in that
text: the number of occurrences must equal the number of labels.  A second
scan looks for rule-valid identifiers that were *not* labelled.

Everything is invented.  Domains end in .example; phone numbers mostly use the
555-01xx fictional range.
"""
import argparse
import datetime
import html
import json
import os
import re
import shutil
import sys
import unicodedata
from collections import Counter, defaultdict
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from html.parser import HTMLParser
import random

SEED = 5150917
r = random.Random(SEED)
DIG = '0123456789'

# --------------------------------------------------------------------------
# validators
# --------------------------------------------------------------------------

def luhn_ok(s):
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_digit(payload):
    for d in DIG:
        if luhn_ok(payload + d):
            return d
    raise AssertionError


SSN_SPECIMEN = {'078051120', '219099999', '457555462'}


def v_ssn(v):
    if not re.fullmatch(r'\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9}', v):
        return False
    d = re.sub(r'\D', '', v)
    a, g, s = int(d[:3]), int(d[3:5]), int(d[5:])
    if a == 0 or a == 666 or a >= 900 or g == 0 or s == 0:
        return False
    return d not in SSN_SPECIMEN


def v_npi(v):
    return bool(re.fullmatch(r'[12]\d{9}', v)) and luhn_ok('80840' + v)


DEA_FIRST = 'ABCDEFGHJKLMPRSTUX'


def dea_check(d6):
    return (d6[0] + d6[2] + d6[4] + 2 * (d6[1] + d6[3] + d6[5])) % 10


def v_dea(v):
    m = re.fullmatch(r'([A-Z])([A-Z9])(\d{7})', v)
    if not m or m.group(1) not in DEA_FIRST:
        return False
    ds = [int(c) for c in m.group(3)]
    return dea_check(ds[:6]) == ds[6]


MBI_LET = 'ACDEFGHJKMNPQRTUVWXY'          # no S L O I B Z
MBI_ALN = MBI_LET + DIG
MBI_PAT = ['123456789', MBI_LET, MBI_ALN, DIG, MBI_LET, MBI_ALN, DIG,
           MBI_LET, MBI_LET, DIG, DIG]


def v_mbi(v):
    if '-' in v and not re.fullmatch(r'[0-9A-Z]{4}-[0-9A-Z]{3}-[0-9A-Z]{4}', v):
        return False
    s = v.replace('-', '')
    return len(s) == 11 and all(c in p for c, p in zip(s, MBI_PAT))


def v_ident(v):
    return bool(re.fullmatch(r'[A-Z0-9]{6,12}', v)) and any(c.isdigit() for c in v)


ICD = {
    'E11.9': 'Type 2 diabetes mellitus without complications',
    'E11.65': 'Type 2 diabetes mellitus with hyperglycemia',
    'E11.42': 'Type 2 diabetes mellitus with diabetic polyneuropathy',
    'I10': 'Essential (primary) hypertension',
    'E78.5': 'Hyperlipidemia, unspecified',
    'K21.9': 'Gastro-esophageal reflux disease without esophagitis',
    'J45.909': 'Unspecified asthma, uncomplicated',
    'I48.91': 'Unspecified atrial fibrillation',
    'Z79.01': 'Long term (current) use of anticoagulants',
    'Z79.4': 'Long term (current) use of insulin',
    'F32.A': 'Depression, unspecified',
    'F41.1': 'Generalized anxiety disorder',
    'G47.33': 'Obstructive sleep apnea (adult)',
    'M17.11': 'Unilateral primary osteoarthritis, right knee',
    'M54.50': 'Low back pain, unspecified',
    'R07.9': 'Chest pain, unspecified',
    'J44.9': 'Chronic obstructive pulmonary disease, unspecified',
    'E03.9': 'Hypothyroidism, unspecified',
    'I25.10': 'Atherosclerotic heart disease of native coronary artery without angina pectoris',
    'N39.0': 'Urinary tract infection, site not specified',
    'R51.9': 'Headache, unspecified',
    'M81.0': 'Age-related osteoporosis without current pathological fracture',
    'Z12.31': 'Encounter for screening mammogram for malignant neoplasm of breast',
    'S72.001A': 'Fracture of unspecified part of neck of right femur, initial encounter',
    'E66.9': 'Obesity, unspecified',
    'N18.30': 'Chronic kidney disease, stage 3 unspecified',
    'D64.9': 'Anemia, unspecified',
    'R10.9': 'Unspecified abdominal pain',
    'J06.9': 'Acute upper respiratory infection, unspecified',
    'L40.0': 'Psoriasis vulgaris',
    'G43.909': 'Migraine, unspecified, not intractable, without status migrainosus',
    'F90.0': 'ADHD, predominantly inattentive type',
    'E55.9': 'Vitamin D deficiency, unspecified',
    'R73.03': 'Prediabetes',
    'Z00.00': 'Encounter for general adult medical examination without abnormal findings',
    'M25.561': 'Pain in right knee',
    'I50.9': 'Heart failure, unspecified',
    'K58.9': 'Irritable bowel syndrome without diarrhea',
    'Z23': 'Encounter for immunization',
    'G89.29': 'Other chronic pain',
    'F11.20': 'Opioid dependence, uncomplicated',
    'R00.2': 'Palpitations',
    'R42': 'Dizziness and giddiness',
    'M79.7': 'Fibromyalgia',
    'S83.511A': 'Sprain of anterior cruciate ligament of right knee, initial encounter',
    'H40.9': 'Unspecified glaucoma',
}
ICD_RE = re.compile(r'[A-TV-Z]\d[A-Z0-9](?:\.[A-Z0-9]{1,4})?')


def v_icd(v):
    return v in ICD and bool(ICD_RE.fullmatch(v))


CPT = {
    '99202': 'New pt office visit, straightforward', '99203': 'New pt office visit, low MDM',
    '99204': 'New pt office visit, moderate MDM', '99205': 'New pt office visit, high MDM',
    '99212': 'Est pt office visit, straightforward', '99213': 'Est pt office visit, low MDM',
    '99214': 'Est pt office visit, moderate MDM', '99215': 'Est pt office visit, high MDM',
    '80053': 'Comprehensive metabolic panel', '80061': 'Lipid panel', '85025': 'CBC w/ auto diff',
    '83036': 'Hemoglobin A1c', '84443': 'TSH', '81001': 'Urinalysis, auto w/ microscopy',
    '36415': 'Routine venipuncture', '93000': 'ECG, 12-lead w/ interpretation',
    '93306': 'TTE complete w/ Doppler', '71046': 'Chest X-ray, 2 views',
    '77067': 'Screening mammography, bilateral', '45378': 'Colonoscopy, diagnostic',
    '97110': 'Therapeutic exercise, each 15 min', '97140': 'Manual therapy, each 15 min',
    '90686': 'Influenza vaccine, quadrivalent, preservative free', '90471': 'Immunization admin',
    '20610': 'Arthrocentesis/injection, major joint', '99396': 'Preventive visit, est, 40-64',
    '95810': 'Polysomnography, attended', '73721': 'MRI lower extremity joint w/o contrast',
    '72148': 'MRI lumbar spine w/o contrast', '82306': 'Vitamin D, 25-hydroxy',
    '80048': 'Basic metabolic panel', '87086': 'Urine culture, colony count',
    '27236': 'Open treatment femoral neck fracture, prosthetic replacement',
    '93224': 'Holter monitor, up to 48 h', '29881': 'Knee arthroscopy w/ meniscectomy',
    '3044F': 'Most recent HbA1c < 7.0%', '3074F': 'Most recent systolic BP < 130',
    '1036F': 'Current tobacco non-user', '4004F': 'Tobacco use screening and cessation intervention',
}


def v_cpt(v):
    return v in CPT and bool(re.fullmatch(r'\d{5}|\d{4}[FT]', v))


DOB_FORMATS = ['%m/%d/%Y', '%m-%d-%y', '%m-%d-%Y', '%B %d, %Y', '%b %d, %Y', '%d %b %Y',
               '%d %B %Y', '%Y-%m-%d', '%m/%d/%y', '%b. %d, %Y', '%d-%b-%Y', '%Y%m%d']


def v_dob(v):
    for f in DOB_FORMATS:
        try:
            datetime.datetime.strptime(v, f)
            return True
        except ValueError:
            pass
    return False


PHONE_RE = re.compile(r'(?:\+1[ .-]?|1-)?\(?([2-9]\d\d)\)?[ .-]?([2-9]\d\d)[ .-]?(\d{4})')


def v_phone(v):
    return bool(PHONE_RE.fullmatch(v))


def v_email(v):
    return bool(re.fullmatch(r'[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.example', v))


SUFFIXES = ['Ave', 'Avenue', 'St', 'Street', 'Rd', 'Road', 'Blvd', 'Dr', 'Drive', 'Ln', 'Lane',
            'Ct', 'Court', 'Way', 'Pl', 'Place', 'Pkwy', 'Ter', 'Cir', 'Hwy']
ADDR_RE = re.compile(
    r"(?:P\.?\s?O\.? Box \d{2,6})|(?:PO BOX \d{2,6})|"
    r"(?:\d{1,6} (?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|NORTH|SOUTH|EAST|WEST)\.? )?"
    r"[A-Z0-9][A-Za-z0-9'.]*(?: [A-Z][A-Za-z']*)* (?:" + '|'.join(SUFFIXES) + r")\.?)", re.I)


def v_addr(v):
    return bool(ADDR_RE.fullmatch(v))


def v_card(v):
    if not re.fullmatch(r'\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}|\d{4}([ -]?)\d{6}\2\d{5}', v):
        return False
    d = re.sub(r'\D', '', v)
    if not luhn_ok(d):
        return False
    if len(d) == 16:
        return d[0] == '4' or 51 <= int(d[:2]) <= 55
    return len(d) == 15 and d[:2] in ('34', '37')


def aba_ok(d):
    if not re.fullmatch(r'\d{9}', d):
        return False
    n = [int(c) for c in d]
    return (3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])) % 10 == 0


def aba_prefix_ok(d):
    p = int(d[:2])
    return 1 <= p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80


def v_aba(v):
    return aba_ok(v) and aba_prefix_ok(v)


def v_dl(v):
    return bool(re.fullmatch(r'[A-Z0-9][A-Z0-9 -]{4,18}[0-9]', v))


def v_ndc(v):
    return bool(re.fullmatch(r'\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d', v))


def v_name(v):
    return (bool(re.fullmatch(r"[^\W\d_][\w'.,\- ]*[\w.]", v))
            and not re.match(r'(?i)(mr|mrs|ms|miss|dr)\.?\s', v))


VALIDATORS = {
    'us_ssn': v_ssn, 'npi': v_npi, 'dea': v_dea, 'mbi': v_mbi, 'mrn': v_ident,
    'member_id': v_ident, 'icd10': v_icd, 'cpt': v_cpt, 'dob': v_dob, 'phone': v_phone,
    'email': v_email, 'us_address': v_addr, 'credit_card': v_card, 'aba_routing': v_aba,
    'drivers_license': v_dl, 'ndc': v_ndc, 'patient_name': v_name,
}

# --------------------------------------------------------------------------
# labelled insertion
# --------------------------------------------------------------------------

def L(t, v):
    """Insert value v, labelled as type t."""
    assert t in VALIDATORS, t
    assert VALIDATORS[t](v), (t, v)
    return f'\x01{t}\x02{v}\x03'


MARK_RE = re.compile(r'\x01(\w+)\x02(.*?)\x03', re.S)


def strip_marks(s):
    labels = []

    def rep(m):
        labels.append((m.group(1), m.group(2)))
        return m.group(2)
    return MARK_RE.sub(rep, s), labels


# --------------------------------------------------------------------------
# value generators
# --------------------------------------------------------------------------

_CYC = Counter()


def cyc(key, options):
    """Round-robin choice (guarantees every variant shows up)."""
    v = options[_CYC[key] % len(options)]
    _CYC[key] += 1
    return v


def digits(n):
    return ''.join(r.choice(DIG) for _ in range(n))


def nd(n):
    """Random digits for an UNLABELLED number: never a valid ABA (9), NPI (10) or Luhn card (15/16)."""
    while True:
        s = digits(n)
        if n == 9 and aba_ok(s):
            continue
        if n == 10 and s[0] in '12' and luhn_ok('80840' + s):
            continue
        if n in (15, 16) and luhn_ok(s):
            continue
        return s


def gen_ssn(style=None):
    style = style or r.choice(['dash'] * 6 + ['space', 'bare'])
    while True:
        a = r.randint(1, 899)
        if a == 666:
            continue
        d = f'{a:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}'
        if d not in SSN_SPECIMEN:
            break
    return {'dash': f'{d[:3]}-{d[3:5]}-{d[5:]}', 'space': f'{d[:3]} {d[3:5]} {d[5:]}',
            'bare': d}[style]


def gen_npi():
    p = r.choice('12') + digits(8)
    return p + luhn_digit('80840' + p)


def fake_npi_shape():
    """10 digits starting 1/2 that FAIL the NPI check (build numbers, asset tags)."""
    while True:
        p = r.choice('12') + digits(9)
        if not luhn_ok('80840' + p):
            return p


def gen_dea(surname, first=None):
    first = first or r.choice('ABFG')
    d6 = [r.randint(0, 9) for _ in range(6)]
    return first + surname[0].upper() + ''.join(map(str, d6)) + str(dea_check(d6))


def gen_mbi(dashed=None):
    s = ''.join(r.choice(p) for p in MBI_PAT)
    if dashed is None:
        dashed = r.random() < 0.35
    return f'{s[:4]}-{s[4:7]}-{s[7:]}' if dashed else s


def gen_card(kind=None):
    kind = kind or cyc('card', ['visa', 'amex', 'mc', 'visa', 'mc', 'amex'])
    if kind == 'visa':
        p = '4' + digits(14)
    elif kind == 'mc':
        p = str(r.randint(51, 55)) + digits(13)
    else:
        p = r.choice(['34', '37']) + digits(12)
    d = p + luhn_digit(p)
    sep = r.choice([' ', '-', '', ' '])
    if kind == 'amex':
        return kind, sep.join([d[:4], d[4:10], d[10:]])
    return kind, sep.join([d[i:i + 4] for i in range(0, 16, 4)])


def fake_card_shape():
    while True:
        d = r.choice(['8800', '6035', '9012']) + digits(12)
        if not luhn_ok(d):
            return ' '.join(d[i:i + 4] for i in range(0, 16, 4))


def gen_aba():
    while True:
        pre = r.choice([r.randint(1, 12), r.randint(21, 32), r.randint(61, 72), 80])
        p = f'{pre:02d}' + digits(6)
        for c in DIG:
            if aba_ok(p + c):
                return p + c


def _mrn10():
    while True:
        m = '10' + digits(8)
        if not luhn_ok('80840' + m):
            return m


def gen_mrn():
    style = r.choice(['A7', 'D8', 'MR7', 'K6', 'HV8', 'D6', 'D10'])
    return {'A7': lambda: r.choice('ABCEHKMT') + digits(7), 'D8': lambda: '0' + digits(7),
            'MR7': lambda: 'MR' + digits(7), 'K6': lambda: 'K00' + digits(6),
            'HV8': lambda: 'HV' + digits(8), 'D6': lambda: str(r.randint(1, 9)) + digits(5),
            'D10': _mrn10}[style]()


def gen_member():
    style = r.choice(['XHB', 'W', 'PMH', 'SLV', 'M01', 'GPK'])
    return {'XHB': lambda: 'XHB' + digits(9), 'W': lambda: 'W' + digits(9),
            'PMH': lambda: 'PMH' + digits(8), 'SLV': lambda: 'SLV' + digits(6) + 'A',
            'M01': lambda: 'M' + digits(8) + '01', 'GPK': lambda: 'GPK' + digits(7)}[style]()


def gen_group():
    return r.choice([lambda: digits(5), lambda: 'GRP-' + digits(6), lambda: digits(7) + '-0001',
                     lambda: 'G' + digits(5) + '-' + digits(3)])()


DL_ALPHA = 'ABCDEFGHJKLMNPRSTWY'


def gen_dl(state):
    A = lambda: r.choice(DL_ALPHA)
    if state == 'CA':
        return A() + digits(7)
    if state == 'NY':
        d = digits(9)
        return r.choice([d, f'{d[:3]} {d[3:6]} {d[6:]}'])
    if state == 'TX':
        return digits(8)
    if state == 'FL':
        d = digits(12)
        return f'{A()}{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:11]}-{d[11]}'
    if state == 'IL':
        d = digits(11)
        return f'{A()}{d[:3]}-{d[3:7]}-{d[7:]}'
    if state == 'CO':
        d = digits(9)
        return f'{d[:2]}-{d[2:5]}-{d[5:]}'
    if state == 'AZ':
        return r.choice('ABDY') + digits(8)
    if state == 'PA':
        d = digits(8)
        return f'{d[:2]} {d[2:5]} {d[5:]}'
    if state == 'MI':
        d = digits(12)
        return f'{A()} {d[:3]} {d[3:6]} {d[6:9]} {d[9:]}'
    if state in ('OR', 'WA'):
        return digits(7) if state == 'OR' else 'WDL' + ''.join(r.choice(DL_ALPHA + DIG) for _ in range(8)) + digits(1)
    if state == 'OH':
        return A() + A() + digits(6)
    if state == 'WI':
        d = digits(13)
        return f'{A()}{d[:3]}-{d[3:7]}-{d[7:11]}-{d[11:]}'
    return A() + digits(8)


CITIES = [
    ('Denver', 'CO', '80218', ['303', '720']), ('Aurora', 'CO', '80012', ['303', '720']),
    ('Boulder', 'CO', '80302', ['303']), ('Fort Collins', 'CO', '80525', ['970']),
    ('Cheyenne', 'WY', '82001', ['307']), ('Laramie', 'WY', '82070', ['307']),
    ('Lincoln', 'NE', '68508', ['402']), ('Omaha', 'NE', '68105', ['402', '531']),
    ('Wichita', 'KS', '67203', ['316']), ('Tulsa', 'OK', '74105', ['918']),
    ('Albuquerque', 'NM', '87106', ['505']), ('Salt Lake City', 'UT', '84105', ['801', '385']),
    ('Boise', 'ID', '83702', ['208']), ('Des Moines', 'IA', '50312', ['515']),
    ('Madison', 'WI', '53703', ['608']), ('Columbus', 'OH', '43215', ['614']),
    ('Raleigh', 'NC', '27603', ['919']), ('Portland', 'OR', '97214', ['503', '971']),
    ('Spokane', 'WA', '99201', ['509']), ('Tucson', 'AZ', '85719', ['520']),
    ('Austin', 'TX', '78704', ['512', '737']), ('Sacramento', 'CA', '95816', ['916']),
    ('Albany', 'NY', '12208', ['518']), ('Tampa', 'FL', '33606', ['813']),
    ('Springfield', 'IL', '62704', ['217']), ('Lansing', 'MI', '48912', ['517']),
    ('Harrisburg', 'PA', '17102', ['717']),
]

STREET_NAMES = ['Maple', 'Birch', 'Larkspur', 'Juniper', 'Cedar Ridge', 'Old Mill', 'Quail Run',
                'Sunflower', 'Cottonwood', 'Highland', 'Prairie View', 'Elm', 'Aspen Glen',
                'Wadsworth', 'Harvest', 'Kingfisher', 'Mesa Verde', 'Bluestem', 'Orchard',
                'Lantern', 'Sagebrush', 'Willow Bend', 'Foxtail', 'Granite', 'Marigold',
                'Heron', 'Copper Hill', 'Linden', 'Tamarack', 'Oxbow', 'Thistle', 'Redbud',
                'Windmill', 'Pioneer', 'Stonegate', 'Buckthorn', 'Meadowlark', 'Hollyhock']
DIRS = ['N', 'S', 'E', 'W', 'North', 'South', 'East', 'West', 'NE', 'SW']
UNITS = ['Apt 4B', 'Apt 12', 'Unit 3', '#210', 'Apt. 7C', 'Unit B', 'Lot 14', 'Apt 301']


def gen_street():
    if r.random() < 0.06:
        return r.choice(['PO Box ', 'P.O. Box ']) + str(r.randint(100, 98000))
    num = str(r.randint(1, 19999)) if r.random() < 0.5 else str(r.randint(10, 999))
    parts = [num]
    if r.random() < 0.35:
        parts.append(r.choice(DIRS))
    parts.append(r.choice(STREET_NAMES))
    parts.append(r.choice(SUFFIXES))
    return ' '.join(parts)


def gen_address():
    city, st, z, _ = r.choice(CITIES)
    street = gen_street()
    unit = r.choice(UNITS) if (r.random() < 0.3 and 'Box' not in street) else ''
    return dict(street=street, unit=unit, city=city, state=st, zip=z)


def gen_phone(area_codes=None):
    area = r.choice(area_codes) if area_codes else r.choice(
        ['303', '720', '402', '505', '801', '208', '515', '614', '919', '503', '512', '217'])
    if r.random() < 0.78:
        exch, line = '555', f'01{r.randint(0, 99):02d}'
    else:
        while True:
            exch = f'{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}'
            if exch[1:] != '11' and exch != '555':
                break
        line = digits(4)
    return (area, exch, line)


def fmt_phone(p, style=None):
    a, e, l = p
    style = style or r.choice(['dash', 'dash', 'paren', 'paren', 'dot', 'intl', 'paren2'])
    return {'dash': f'{a}-{e}-{l}', 'paren': f'({a}) {e}-{l}', 'paren2': f'({a}){e}-{l}',
            'dot': f'{a}.{e}.{l}', 'intl': f'+1 {a} {e} {l}', 'intl-dash': f'+1-{a}-{e}-{l}',
            'bare': f'{a}{e}{l}', 'one': f'1-{a}-{e}-{l}'}[style]


FIRST_F = ['Maria', 'Jane', 'Renée', 'Aaliyah', 'Priya', 'Margaret', 'Linh', 'Fatima', 'Rosa',
           'Eleanor', 'Keiko', 'Dolores', 'Shonda', 'Ingrid', 'Zoë', 'Beatriz', 'Hannah', 'Imani',
           'Yesenia', 'Gwendolyn', 'Mei', 'Olga', 'Tamsin', 'Nadia', 'Corinne', 'Lorraine',
           'Bernadette', 'Sunita', 'Althea', 'Marisol', 'Agnieszka', 'Cheyenne', 'Wilhelmina']
FIRST_M = ['Raymond', 'José', 'Darnell', 'Wei', 'Tobias', 'Harold', 'Mateo', 'Samir', 'Dmitri',
           'Elijah', 'Kwame', 'Gordon', 'Björn', 'Luis', 'Tyrone', 'Anders', 'Omar', 'Calvin',
           'Rafael', 'Desmond', 'Hiroshi', 'Emmett', 'Nikolai', 'Wendell', 'Arjun', 'Curtis',
           'Thaddeus', 'Ignacio', 'Reginald', 'Bao', 'Lucas', 'Everett']
LAST_P = ['Okafor', 'Delgado', 'Whitcombe', 'Nakamura', 'Brandvold', 'Castellanos', 'Pettibone',
          'Abernathy', 'Nguyen', 'Haddad', 'Kowalczyk', 'Thibodeaux', 'Osei', 'Lindqvist',
          'Marchetti', 'Quintero', 'Fairweather', 'Vasquez-Ruiz', 'Oyelaran', 'Ashdown', 'Müller',
          'Dabrowski', 'Nuñez', 'Halvorsen', 'Ibarra', 'McAllister', "O'Rourke", 'Szabo',
          'Treadwell', 'Yilmaz', 'Achterberg', 'Ferreira', 'Gallagher', 'Holloway', 'Jankowski',
          'Kettering', 'Lachance', 'Mwangi', 'Rasmussen', 'Sandoval', 'Tran', 'Underhill', 'Varga',
          'Winslow', 'Zielinski', 'Bergstrom', 'Coughlin', 'Esposito', 'Farouk', 'Dunleavy',
          'Pham', 'Greenleaf', 'Hartsock', 'Ocampo', 'Rutledge', 'Silversmith', 'Torvik']
DOC_FIRST = ['Anika', 'Marcus', 'Helen', 'Sanjay', 'Claire', 'Victor', 'Naomi', 'Trevor', 'Leah',
             'Gabriel', 'Ruth', 'Daniel', 'Ifeoma', 'Paul', 'Sofia', 'Kenji', 'Alicia', 'Martin']
DOC_LAST = ['Sorensen', 'Adeyemi', 'Kaplan', 'Lindgren', 'Moreau', 'Pemberton', 'Ruiz',
            'Takahashi', 'Voss', 'Whitaker', 'Chaudhry', 'Ellison', 'Fong', 'Garrity', 'Hollis',
            'Iverson', 'Jaramillo', 'Kessler', 'Langford', 'Mehta', 'Novak', 'Ortega', 'Prescott',
            'Quaid', 'Rinaldi', 'Stroud', 'Tolliver', 'Upton', 'Vance', 'Weatherby', 'Yoder',
            'Abbott', 'Brennan', 'Carver', 'Delacroix', 'Eastwood']
STAFF = ['Tasha', 'Lori', 'Brent', 'Kim', 'Jolene', 'Marco', 'Deb', 'Hector', 'Shauna', 'Pat',
         'Ravi', 'Carmen', 'Trish', 'Gina', 'Wes', 'Annette']
STAFF_LAST = ['Pruitt', 'Colby', 'Mercer', 'Dodd', 'Skaggs', 'Ferrell', 'Lamb', 'Beaumont']

EMAIL_DOMAINS = ['mail.example', 'postbox.example', 'inbox.example', 'webmail.example',
                 'prairienet.example']


def ascii_fold(s):
    s = unicodedata.normalize('NFKD', s)
    return ''.join(c for c in s if not unicodedata.combining(c)).replace("'", '')


class Patient:
    def __init__(self, sex=None, age_range=(18, 92)):
        self.sex = sex or r.choice('FM')
        self.first = r.choice(FIRST_F if self.sex == 'F' else FIRST_M)
        self.last = r.choice(LAST_P)
        self.mi = r.choice('ABCDEFGHJKLMNPRSTW')
        age = r.randint(*age_range)
        self.dob = datetime.date(2024 - age, r.randint(1, 12), r.randint(1, 28))
        self.age = age - (1 if (self.dob.month, self.dob.day) > (9, 1) else 0)
        self.addr = gen_address()
        _, _, _, acs = [c for c in CITIES if c[0] == self.addr['city']][0]
        self.phone = gen_phone(acs)
        self.phone2 = gen_phone(acs)
        f, l = ascii_fold(self.first).lower(), ascii_fold(self.last).lower()
        local = r.choice([f'{f}.{l}', f'{f[0]}{l}', f'{f}{l}{r.randint(1, 99)}', f'{l}.{f[0]}',
                          f'{f}_{l}', f'{f}{self.dob.year % 100:02d}'])
        self.email = f'{local}@{r.choice(EMAIL_DOMAINS)}'
        self.mrn = gen_mrn()
        self.member = gen_member()
        self.group = gen_group()
        self.ssn = gen_ssn()
        self.mbi = gen_mbi()
        self.dl_state = self.addr['state']
        self.dl = gen_dl(self.dl_state)
        self.title = 'Ms.' if self.sex == 'F' else 'Mr.'
        self.pron = ('she', 'her') if self.sex == 'F' else ('he', 'his')

    def name(self, style=None):
        style = style or r.choice(['fl', 'fl', 'lf', 'LF', 'fml'])
        f, l, mi = self.first, self.last, self.mi
        return {'fl': f'{f} {l}', 'lf': f'{l}, {f}', 'LF': f'{l.upper()}, {f.upper()}',
                'fml': f'{f} {mi}. {l}', 'FL': f'{f.upper()} {l.upper()}', 'il': f'{f[0]}. {l}',
                'lfm': f'{l}, {f} {mi}.', 'LFM': f'{l.upper()}, {f.upper()} {mi}'}[style]


def fmt_date(d, style=None):
    style = style or r.choice(['mdY', 'mmddY', 'md-y', 'long', 'dMonY', 'iso', 'mon', 'mmddY'])
    m = {'mdY': f'{d.month}/{d.day}/{d.year}', 'mmddY': d.strftime('%m/%d/%Y'),
         'md-y': d.strftime('%m-%d-%y'), 'mmdd-Y': d.strftime('%m-%d-%Y'),
         'long': f'{d.strftime("%B")} {d.day}, {d.year}', 'dMonY': f'{d.day} {d.strftime("%b %Y")}',
         'iso': d.isoformat(), 'mon': f'{d.strftime("%b")} {d.day}, {d.year}',
         'dLong': f'{d.day} {d.strftime("%B %Y")}', 'dmonY-': d.strftime('%d-%b-%Y').upper(),
         'mdy': f'{d.month}/{d.day}/{d.strftime("%y")}'}
    return m[style]


def dob(p, style=None):
    return L('dob', fmt_date(p.dob, style))


def vdate(style=None, start=datetime.date(2024, 6, 3), span=170):
    """A visit/service/ship date (never a DOB)."""
    return fmt_date(start + datetime.timedelta(days=r.randint(0, span)), style)


def ph(p, style=None):
    return L('phone', fmt_phone(p, style))


def pname(p, style=None):
    return L('patient_name', p.name(style))


def street(a):
    return L('us_address', a['street'])


def addr_block(a, oneline=False):
    unit = (' ' + a['unit']) if a['unit'] else ''
    if oneline:
        return f"{street(a)}{unit}, {a['city']}, {a['state']} {a['zip']}"
    return f"{street(a)}{unit}\n{a['city']}, {a['state']} {a['zip']}"


def icd(code):
    return L('icd10', code)


def cpt(code):
    return L('cpt', code)


def pick_icd(n, pool=None):
    return r.sample(pool or list(ICD), n)


# --------------------------------------------------------------------------
# clinics and clinicians
# --------------------------------------------------------------------------

CLINIC_DEFS = [
    ('Larkspur Family Medicine', 'larkspurfm.example', 'Denver'),
    ('Pinecrest Cardiology Associates', 'pinecrest-cardio.example', 'Aurora'),
    ('Tallgrass Reference Laboratory', 'tallgrasslab.example', 'Lincoln'),
    ('Redfern Pharmacy #112', 'redfernrx.example', 'Denver'),
    ('Blue Mesa Orthopedics', 'bluemesa-ortho.example', 'Albuquerque'),
    ('Willowbend Behavioral Health', 'willowbend-bh.example', 'Boulder'),
    ('Cottonwood Endocrinology', 'cottonwood-endo.example', 'Fort Collins'),
    ('Harrow Valley Hospital', 'harrowvalley.example', 'Omaha'),
    ('Aspen Ridge Pediatrics', 'aspenridgepeds.example', 'Salt Lake City'),
    ('Northgate Imaging Center', 'northgate-imaging.example', 'Boise'),
    ('Sandhill Pulmonary & Sleep', 'sandhill-pulm.example', 'Wichita'),
    ('Riverbend Internal Medicine', 'riverbend-im.example', 'Des Moines'),
    ('Kestrel Gastroenterology', 'kestrel-gi.example', 'Tulsa'),
    ('Prairie Rose Women\'s Health', 'prairierose.example', 'Madison'),
]


class Clinic:
    def __init__(self, name, dom, city):
        self.name, self.dom = name, dom
        c = [x for x in CITIES if x[0] == city][0]
        self.city, self.state, self.zip, acs = c
        while True:
            s = gen_street()
            if 'Box' not in s:
                break
        self.addr = dict(street=s, unit=r.choice(['Suite 200', 'Suite 410', 'Ste 1B', 'Floor 3',
                                                  'Suite 120', 'Bldg C', '']),
                         city=self.city, state=self.state, zip=self.zip)
        self.phone = gen_phone(acs)
        self.fax = gen_phone(acs)
        self.billing = gen_phone(acs)
        self.npi = gen_npi()     # type 2 (organisation) NPI


CLINICS = [Clinic(*d) for d in CLINIC_DEFS]
CL = {c.name.split()[0].lower(): c for c in CLINICS}
INTERNAL = CL['larkspur']
PAYERS = [('Plains Mutual Health', 'plainsmutual.example'),
          ('Silverline Health Plan', 'silverline-hp.example'),
          ('Granite Peak Medicare Advantage', 'granitepeak-ma.example'),
          ('Keystone Benefit Administrators', 'keystone-tpa.example'),
          ('Front Range Community Health Plan', 'frchp.example')]


class Doc:
    def __init__(self, clinic, cred=None):
        self.first = r.choice(DOC_FIRST)
        self.last = r.choice(DOC_LAST)
        self.cred = cred or r.choice(['MD', 'MD', 'MD', 'DO', 'NP', 'PA-C'])
        self.clinic = clinic
        self.npi = gen_npi()
        self.dea = gen_dea(self.last, 'M' if self.cred in ('NP', 'PA-C') else None)
        self.email = f'{self.first[0].lower()}{self.last.lower()}@{clinic.dom}'
        self.direct = gen_phone([clinic.phone[0]])

    @property
    def full(self):
        return f'{self.first} {self.last}, {self.cred}'

    @property
    def dr(self):
        return f'Dr. {self.last}' if self.cred in ('MD', 'DO') else f'{self.first} {self.last}, {self.cred}'


def doc_at(key, cred=None):
    return Doc(CL[key], cred)


def signature(d, style=None, email=True):
    c = d.clinic
    style = style or r.choice(['full', 'full', 'short', 'line', 'fax'])
    if style == 'full':
        s = f'\n--\n{d.full}\n{c.name}\n{addr_block(c.addr)}\nTel {ph(c.phone)} | Fax {ph(c.fax)}'
        if email:
            s += f'\n{L("email", d.email)}'
        return s
    if style == 'short':
        return f'\n{d.first} {d.last}, {d.cred}\n{c.name} | {ph(c.phone)}'
    if style == 'line':
        return f'\n-- {d.first} ({c.name}) · ph {ph(c.phone, "dot")} · fax {ph(c.fax, "dot")}'
    return (f'\n\n{d.full}\n{c.name}\nP: {ph(c.phone)}\nF: {ph(c.fax)}\n'
            f'{street(c.addr)}, {c.city}, {c.state} {c.zip}')


CONF_NOTICE = [
    'CONFIDENTIALITY NOTICE: This message and any attachments may contain protected health '
    'information. If you are not the intended recipient, please notify the sender and delete '
    'it. Unauthorized review, use or disclosure is prohibited.',
    'This e-mail is intended only for the addressee. It may contain information that is '
    'privileged and confidential under HIPAA. If you received it in error, reply to the sender '
    'and destroy all copies.',
    '*** Please do not reply-all. PHI should only be sent via secure mail. ***',
]

DRUGS = [  # name, strength/form, ndc, controlled
    ('lisinopril', '10 mg tablet', '68180-513-01', False),
    ('metformin ER', '500 mg tablet', '0093-7267-01', False),
    ('atorvastatin', '40 mg tablet', '0093-5057-98', False),
    ('semaglutide (Ozempic)', '0.5 mg/dose pen', '0169-4132-12', False),
    ('apixaban (Eliquis)', '5 mg tablet', '0003-0894-21', False),
    ('empagliflozin (Jardiance)', '10 mg tablet', '0597-0152-30', False),
    ('levothyroxine', '75 mcg tablet', '00378-1805-1', False),
    ('insulin glargine', '100 units/mL pen', '00088-5021-5', False),
    ('adalimumab', '40 mg/0.4 mL pen', '0074-0554-02', False),
    ('fluticasone/salmeterol', '250/50 diskus', '0173-0696-00', False),
    ('sertraline', '50 mg tablet', '16729-213-01', False),
    ('oxycodone/acetaminophen', '5/325 mg tablet', '0406-0512-01', True),
    ('hydrocodone/acetaminophen', '10/325 mg tablet', '00591-385-05', True),
    ('amphetamine/dextroamphetamine', '20 mg tablet', '0555-0787-02', True),
    ('buprenorphine/naloxone', '8/2 mg film', '12496-1208-3', True),
    ('alprazolam', '0.5 mg tablet', '59762-3720-1', True),
    ('methylphenidate ER', '36 mg tablet', '50458-586-01', True),
    ('tramadol', '50 mg tablet', '57664-377-88', True),
]
for _d in DRUGS:
    assert v_ndc(_d[2]), _d

# --------------------------------------------------------------------------
# message templates.  Each returns a dict:
#   kind, subject, body, frm, to, [cc], [attachments=[(filename, subtype, text)]],
#   [html=True/False hint], [qp hint]
# --------------------------------------------------------------------------

def mbox(name, addr):
    return f'{name} <{addr}>'


def staff_addr(clinic=None):
    clinic = clinic or INTERNAL
    n = r.choice(STAFF)
    return n, mbox(f'{n} {r.choice(STAFF_LAST)}', f'{n.lower()}@{clinic.dom}')


def role_addr(role, clinic=None):
    clinic = clinic or INTERNAL
    return mbox(role.title().replace('-', ' '), f'{role}@{clinic.dom}')


def doc_addr(d):
    return mbox(f'{d.first} {d.last}', d.email)


def pt_addr(p):
    return mbox(f'{p.first} {p.last}', p.email)


def pick(*xs):
    return r.choice(xs)


TOPICS = ['her lab results', 'a refill', 'MRI results', 'side effects from the new inhaler',
          'status of the cardiology referral', 'prior auth for the Ozempic', 'a work note',
          'swelling in the left ankle', 'BP readings from home', 'the bill from August']


# ---------------------------------------------------------------- few (1-3 ids)

def t_callback():
    p = Patient()
    d = doc_at('larkspur')
    n, frm = staff_addr()
    topic = r.choice(TOPICS).replace('her ', p.pron[1] + ' ')
    v = r.randint(0, 3)
    if v == 0:
        body = (f'{d.dr} -\n\nPatient {pname(p)} called at {r.randint(8, 11)}:{r.randint(10, 59)} '
                f're: {topic}. Wants a call back today, best # {ph(p.phone)} (cell). '
                f'OK to leave detailed VM per HIPAA form.\n\n{n}\nfront desk x{r.randint(4100, 4499)}')
        subj = 'Phone msg'
    elif v == 1:
        body = (f'pt name: {pname(p)}\ncb#: {ph(p.phone, pick("bare", "dash", "dot"))}\n'
                f're: {topic}\npls advise - {n}')
        subj = pick('CB request', 'call back pls', 'callback')
    elif v == 2:
        body = (f'Pt {pname(p, "fl")} called, asking about {topic}. {p.pron[0].capitalize()} can be reached at '
                f'{ph(p.phone)} after 3 pm or {ph(p.phone2)} (work).\n\nThanks,\n{n}')
        subj = f'Callback – pt {pname(p, "il")}'
    else:
        body = (f'PATIENT: {pname(p, "LF")}\nCALLBACK: {ph(p.phone, "paren")}\nMSG: {topic}, '
                f'states it is not urgent.\nTaken by: {n} {vdate("mdY")} 14:05')
        subj = 'Message for ' + d.dr
    return dict(kind='callback', subject=subj, body=body, frm=frm, to=doc_addr(d))


def t_chart_check():
    n, frm = staff_addr()
    lab = r.choice(['MRN', 'Chart #', 'chart#', 'Med Rec #', 'MRN#', 'mrn:', 'Med Rec No.'])
    m1, m2 = gen_mrn(), gen_mrn()
    it = r.choice(['Marcus', 'Ravi', 'Jolene'])
    body = (f'Hi {it},\n\nResults for {lab} {L("mrn", m1)} (and probably others) are not crossing '
            f'over from Tallgrass since the interface update Tuesday night. I opened INC00{nd(5)} '
            f'with the service desk but nothing yet.\n\n')
    if r.random() < 0.5:
        body += f'Same thing on {lab} {L("mrn", m2)} this morning.\n\n'
    body += f'thx\n{n}\n'
    return dict(kind='itq', subject=pick('results not crossing', 'interface issue again?', 'HL7 feed'),
                body=body, frm=frm, to=role_addr('helpdesk'))


def t_coding_q():
    d = doc_at('larkspur')
    n, frm = staff_addr()
    a, b = r.sample(['E11.65', 'I10', 'E78.5', 'N18.30', 'Z79.4', 'E66.9'], 2)
    mlab = r.choice(['MRN', 'Acct/MRN', 'Chart #', 'MRN #'])
    body = (f'{d.first} - quick coding q for DOS {vdate()}: est pt, 32 min total time, '
            f'{ICD[a].lower()} + {ICD[b].lower()}.\n\nYou billed {cpt("99214")} w/ {icd(a)} / {icd(b)}. '
            f'Does the time support {cpt("99215")}? If so I can correct before the batch goes out '
            f'Fri.\n\n{mlab} {L("mrn", gen_mrn())}\n\n{n}\nCoding & Compliance')
    return dict(kind='coding', subject='coding q', body=body, frm=frm, to=doc_addr(d))


def t_portal_update():
    p = Patient()
    a = p.addr
    unit = (' ' + a['unit']) if a['unit'] else ''
    v = cyc('portal', [1, 0, 2])
    if v == 0:
        body = (f'Hi,\n\nI moved last month. My new address is {street(a)}{unit}, {a["city"]}, '
                f'{a["state"]} {a["zip"]}. Cell is the same but my work number changed to '
                f'{ph(p.phone2)}.\n\nThanks,\n{p.first}')
    elif v == 1:
        body = (f'hello can you update my info\nnew adress: {street(a)}{unit}\n{a["city"]} {a["state"]} '
                f'{a["zip"]}\nphone {ph(p.phone, "bare")}\nthank you')
    else:
        body = (f'Good morning,\n\nPlease note my new mailing address for statements:\n\n    {street(a)}'
                f'{unit}\n    {a["city"]}, {a["state"]} {a["zip"]}\n\nBest regards,\n{p.first}')
    return dict(kind='portal', subject=pick('Address change', 'update my info', 'New address'),
                body=body, frm=pt_addr(p), to=role_addr('frontdesk'))


def t_email_update():
    p = Patient()
    alt = f'{ascii_fold(p.first).lower()}.{ascii_fold(p.last).lower()[:4]}{r.randint(10, 99)}@{r.choice(EMAIL_DOMAINS)}'
    body = pick(
        f'Please send my statements to {L("email", alt)} from now on — the paper ones keep going to my old place.\n\n{p.first}',
        f'Hi! My daughter manages my appointments now. Can you add her e-mail, {L("email", alt)}, to my account?\n'
        f'She is on my HIPAA release already.\n\nThank you\n{p.first}',
        f'new email is {L("email", alt)} (old one got hacked)\n- {p.first}')
    return dict(kind='portal', subject=pick('email change', 'Contact info', 'Re: your statement'),
                body=body, frm=pt_addr(p), to=role_addr('billing'))


def t_insurance_card():
    p = Patient()
    n, frm = staff_addr()
    payer = r.choice(PAYERS)[0]
    mlab = cyc('inslab', ['Memebr ID', 'Policy No.', 'Subscriber #', 'Member ID', 'Member #', 'ID#'])
    cue = r.choice(['pt', 'patient', 'pt.'])
    body = (f'Scanned new card for {cue} {pname(p)} (front + back in media tab).\n\n'
            f'Plan: {payer}\n{mlab}: {L("member_id", p.member)}\nGroup #: {p.group}\n'
            f'RxBIN {r.choice(["610279", "004336", "015581"])}  PCN {r.choice(["9999", "ADV", "MCAIDADV"])}\n'
            f'Copay ${r.choice([25, 30, 35, 40])} PCP / ${r.choice([60, 70, 80])} specialist\n'
            f'Eff {vdate("mmddY")}\n\nPlease re-run eligibility before {p.pron[1]} visit Thursday.\n{n}')
    return dict(kind='insurance', subject='new ins card', body=body, frm=frm, to=role_addr('billing'))


def t_ssn_form():
    p = Patient()
    n, _ = staff_addr()
    ssn = gen_ssn(r.choice(['dash', 'dash', 'space', 'bare']))
    last4 = re.sub(r'\D', '', ssn)[-4:]
    masked = r.choice([f'XXX-XX-{last4}', f'***-**-{last4}', f'xxx-xx-{last4}'])
    if ssn.isdigit():
        first = f'my SSN is {L("us_ssn", ssn)}'
    else:
        first = pick(f"It's {L('us_ssn', ssn)}", f"SSN: {L('us_ssn', ssn)}",
                     f"the correct social is {L('us_ssn', ssn)}")
    wrong4 = f'{(int(last4) + 1111) % 10000:04d}'
    body = f'Hi {n},\n\n{first}'
    body += (f' — sorry, I must have typed it wrong on the intake form.\n\n{p.first}\n\n'
             f'On {vdate("long")}, Larkspur Family Medicine wrote:\n'
             f'> Hi {p.first}, for your short-term disability paperwork the form asks for your SSN. What\n'
             f'> we have on file is {masked}, which does not match what your employer sent\n'
             f'> (ending {wrong4}). Can you confirm the full number by reply to this secure message?\n')
    return dict(kind='ssn', subject='Re: disability paperwork', body=body, frm=pt_addr(p),
                to=role_addr('forms'))


def t_npi_q():
    d = doc_at(r.choice(['pinecrest', 'cottonwood', 'kestrel', 'sandhill']))
    n, frm = staff_addr()
    dea = f" DEA is {L('dea', d.dea)}." if r.random() < 0.5 else ''
    body = (f"It's {L('npi', d.npi)}.{dea} Group NPI for {d.clinic.name} is {L('npi', d.clinic.npi)} if "
            f"they want the billing one too.\n\n{d.first}'s office\n\n"
            f"-----Original Message-----\nFrom: {n}\nSent: {vdate('long')} 9:12 AM\n"
            f"Subject: NPI?\n\nNeed {d.dr}'s NPI for the {r.choice(PAYERS)[0]} referral form, the "
            f"one in our directory is being rejected (10 digits, starts with 3?? must be a typo).\n")
    return dict(kind='npi', subject='RE: NPI?', body=body, frm=doc_addr(d), to=frm)


def t_po_box():
    p = Patient()
    n, frm = staff_addr()
    box = r.choice(['P.O. Box', 'PO Box', 'P.O. Box']) + f' {r.randint(40, 9900)}'
    body = (f'Statement for {r.choice(["pt", "patient"])} {pname(p)} came back undeliverable '
            f'(USPS yellow sticker). {p.pron[0].capitalize()} called today — uses {L("us_address", box)}, '
            f'{p.addr["city"]} {p.addr["state"]} {p.addr["zip"]} for all mail now. Updated in the '
            f'system, resending stmt #{nd(6)}.\n\n{n}')
    return dict(kind='billing', subject='returned mail', body=body, frm=frm, to=role_addr('billing'))


def t_card_pay():
    p = Patient()
    kind, cc = gen_card()
    brand = {'visa': 'Visa', 'mc': 'MasterCard', 'amex': 'Amex'}[kind]
    cvv = nd(4 if kind == 'amex' else 3)
    body = pick(
        f'Hi billing,\n\nYou can put the ${r.randint(40, 400)}.{nd(2)} balance on my {brand}: '
        f'{L("credit_card", cc)}, exp {r.randint(1, 12):02d}/{r.randint(25, 29)}, CVV {cvv}. Billing zip '
        f'{p.addr["zip"]}.\n\nThanks,\n{p.first}',
        f'card # {L("credit_card", cc)} exp {r.randint(1, 12)}/{r.randint(25, 29)} sec code {cvv}\n'
        f'pls run for stmt {nd(7)}. thx {p.first}')
    return dict(kind='payment', subject=pick('payment', 'Pay my bill', 'Re: Statement'), body=body,
                frm=pt_addr(p), to=role_addr('billing'))


def t_triage():
    p = Patient()
    n = r.choice(STAFF)
    dl = r.choice(['DOB', 'D.O.B.', 'Dob:', 'born', 'DOB:'])
    a, b = r.choice([('R51.9', 'G43.909'), ('R42', 'R00.2'), ('J06.9', 'J45.909'), ('N39.0', 'R10.9'),
                     ('M54.50', 'G89.29')])
    body = (f'Pt: {pname(p, pick("LF", "lf"))} | {dl} {dob(p)} | c/o sx x3d, afebrile, BP '
            f'{r.randint(118, 152)}/{r.randint(70, 96)}.\nAssessment: {icd(a)} vs {icd(b)}\n'
            f'Plan: supportive care, naproxen 500 mg BID x5d, RTC/ED prn. f/u {vdate("mdy")}.\n-RN {n}')
    return dict(kind='triage', subject=pick('triage note', 'nurse line', 'TC'), body=body,
                frm=staff_addr()[1], to=role_addr('nurses'))


def t_refill():
    p = Patient()
    drug = r.choice([x for x in DRUGS if not x[3]])
    body = (f'Refill request — {drug[0]} {drug[1]} #90, RF x3.\nNDC {L("ndc", drug[2])}\n'
            f'Pt DOB {dob(p)}. Last OV {vdate("mmddY")}, next appt {vdate("mmddY", datetime.date(2024, 12, 2), 60)}.\n'
            f'Pharmacy on file (Redfern #112).')
    return dict(kind='refill', subject=f'refill: {drug[0].split()[0]}', body=body,
                frm=role_addr('refills'), to=role_addr('nurses'))


def t_dl_check():
    p = Patient()
    n = r.choice(STAFF)
    drug = r.choice([x for x in DRUGS if x[3]])
    st = p.dl_state
    form = r.choice([f'{st} DL {{v}}', f"Driver's license: {st} {{v}}", f'{st} DL# {{v}}',
                     f'DL ({st}): {{v}}', f'{st} driver license no. {{v}}'])
    body = (f'FYI - {drug[0]} {drug[1]} picked up by {r.choice(["pt", "patient"])} '
            f'{pname(p)} today {r.randint(1, 5)}:{r.randint(10, 59)} pm. ID checked: '
            f'{form.format(v=L("drivers_license", p.dl))}, exp {r.randint(2025, 2031)}. Logged in PMP.\n\n'
            f'{n}\nRedfern Pharmacy #112')
    return dict(kind='pharmacy', subject='C-II pickup log', body=body,
                frm=role_addr('rx112', CL['redfern']), to=role_addr('nurses'))


def t_dob_verify():
    p = Patient()
    n, frm = staff_addr()
    wrong = p.dob.replace(day=min(28, p.dob.day + 1 if p.dob.day < 28 else 1))
    st = r.choice(['mmddY', 'mdY', 'iso'])
    body = (f'Possible duplicate chart for patient {pname(p)} — one has DOB {dob(p, st)}, the other '
            f'{L("dob", fmt_date(wrong, st))}. Pt says correct date of birth is {dob(p, "long")}. '
            f'Can HIM merge?\n\n{n}')
    return dict(kind='him', subject='dup chart?', body=body, frm=frm, to=role_addr('him'))


def t_mbi():
    p = Patient(age_range=(65, 90))
    n, frm = staff_addr()
    body = (f'New Medicare card for {r.choice(["patient", "pt"])} {pname(p)}:\nMBI {L("mbi", p.mbi)}\n'
            f'Eff {vdate("mmddY")}. Please remove the old HICN from registration and re-bill the '
            f'{r.randint(2, 5)} held claims.\n{n}')
    return dict(kind='medicare', subject='MBI update', body=body, frm=frm, to=role_addr('billing'))


def t_results_ready():
    p = Patient()
    c = r.choice([INTERNAL, CL['riverbend'], CL['pinecrest']])
    body = (f'Dear {p.title} {p.last},\n\nYour recent test results are now available in the '
            f'Patient portal. Your provider has reviewed them; no action is needed at this time.\n\n'
            f'If you have questions, please call our nurse line at {ph(c.phone)}.\n\n{c.name}\n\n'
            f'Please do not reply to this automated message.')
    return dict(kind='notice', subject='Your results are ready', body=body,
                frm=role_addr('no-reply', c), to=pt_addr(p))


def t_fax_change():
    c = r.choice(CLINICS)
    n, _ = staff_addr(c)
    body = (f'All —\n\nEffective {vdate("long")} our referral fax is changing to {ph(c.fax)}. The '
            f'main line {ph(c.phone)} stays the same. Please update your templates / directories.\n\n'
            f'{n}\n{c.name}\n\n{r.choice(CONF_NOTICE)}')
    return dict(kind='notice', subject='New fax number', body=body, frm=role_addr('office', c),
                to=role_addr('referrals'))


def t_appt_confirm():
    p = Patient()
    d = doc_at('larkspur')
    c = d.clinic
    unit = (' ' + c.addr['unit']) if c.addr['unit'] else ''
    ad = datetime.date(2024, 6, 3) + datetime.timedelta(days=r.randint(0, 150))
    body = (f'Patient: {pname(p, "fl")}\nAppointment: {ad.strftime("%a")} '
            f'{fmt_date(ad, "mon")} at 9:40 AM with {d.dr}\nLocation: {street(c.addr)}{unit}, {c.city}\n\n'
            f'Please arrive 15 minutes early and bring your insurance card and medication list. '
            f'Check-in kiosk is at the Room 214 entrance.\n\nTo cancel reply C or call '
            f'{ph(c.phone)}.')
    return dict(kind='sched', subject='Appointment confirmation', body=body,
                frm=role_addr('scheduling'), to=pt_addr(p), html=True)


def t_dea_verify():
    d = doc_at(r.choice(['larkspur', 'willowbend', 'blue']))
    rx = CL['redfern']
    drug = r.choice([x for x in DRUGS if x[3]])
    pharm = r.choice(['Gina', 'Wes', 'Annette'])
    body = (f'Hi, this is {pharm} (RPh) at Redfern Pharmacy #112. An e-Rx for {drug[0]} {drug[1]} '
            f'came through with DEA {L("dea", d.dea)} for {d.full}. Can someone confirm that '
            f'registration is current and covers schedule II? Callback {ph(rx.phone)}.\n\nThanks!')
    return dict(kind='pharmacy', subject='DEA verification', body=body,
                frm=role_addr('rx112', rx), to=role_addr('office', d.clinic))


def t_autopay():
    p = Patient()
    aba = gen_aba()
    lab = r.choice(['Routing', 'routing #', 'ABA', 'RTN', 'Routing number:'])
    body = (f'Hi,\nplease set up the autopay for my payment plan (${r.randint(25, 150)}/mo). '
            f'{lab} {L("aba_routing", aba)}, checking acct {nd(10)}.\n'
            f'First draft on the 15th is fine.\n\n{p.first}')
    return dict(kind='payment', subject='autopay', body=body, frm=pt_addr(p), to=role_addr('billing'))


def t_refund():
    p = Patient()
    aba = gen_aba()
    body = (f'Hello,\n\nYour letter says I have a credit of ${r.randint(20, 300)}.{nd(2)} from my '
            f'{vdate("long")} visit. Rather than a paper check, can you send it by direct deposit?\n\n'
            f'{pick("Bank routing no.", "Routing #", "ABA number")}: {L("aba_routing", aba)}\n'
            f'Account: {nd(11)} (savings)\n\nThanks,\n{p.first}')
    return dict(kind='billing', subject='Re: credit balance refund', body=body, frm=pt_addr(p),
                to=role_addr('billing'))


def t_cpt_cost():
    p = Patient()
    payer = r.choice(PAYERS)[0]
    body = (f'Hi — Dr. ordered a colonoscopy and {payer} says they need the procedure code and '
            f'diagnosis code to quote my cost. Is it CPT {cpt("45378")} with {icd("K58.9")}? '
            f'My Member ID is {L("member_id", p.member)}.\n\nThank you,\n{p.first}')
    return dict(kind='billing', subject='cost estimate', body=body, frm=pt_addr(p),
                to=role_addr('billing'))


def t_add_dx():
    d = doc_at('larkspur')
    n, frm = staff_addr()
    body = (f'{d.first},\nTallgrass kicked back yesterday\'s lipid order for medical necessity. '
            f'Pls add Dx {icd("E78.5")} (and {icd("R73.03")} for the A1c) and re-sign. Order # '
            f'{nd(8)}, collected {vdate("mdY")}.\n{n}')
    return dict(kind='lab', subject='order needs dx', body=body, frm=frm, to=doc_addr(d))


def t_re_subject():
    p = Patient()
    d = doc_at('larkspur')
    c = CL['pinecrest']
    n, frm = staff_addr()
    body = (f'{d.dr},\n\n{p.pron[1].capitalize()} cardiologist\'s office called — they want the echo '
            f'report faxed to {ph(c.fax)} before the {vdate("mdY")} visit. Nurse line there is '
            f'{ph(c.phone)}.\n\n{n}')
    return dict(kind='note', subject=f'Re: {pname(p, pick("il", "fml", "fl"))}', body=body,
                frm=frm, to=doc_addr(d))

# ---------------------------------------------------------------- many ids

SPECIALTY = {
    'pinecrest': (['R07.9', 'I48.91', 'R00.2', 'I25.10', 'I10', 'E78.5'],
                  'exertional chest pressure and intermittent palpitations'),
    'cottonwood': (['E11.65', 'E03.9', 'E66.9', 'Z79.4', 'E55.9', 'E11.42'],
                   'poorly controlled diabetes despite metformin and basal insulin'),
    'kestrel': (['K21.9', 'K58.9', 'R10.9', 'D64.9'],
                'iron-deficiency picture and six months of intermittent abdominal pain'),
    'sandhill': (['G47.33', 'J44.9', 'J45.909', 'E66.9'],
                 'loud snoring, witnessed apneas and daytime somnolence (Epworth 15)'),
    'blue': (['M17.11', 'M25.561', 'S83.511A', 'M54.50'],
             'right knee pain with mechanical symptoms after a fall in July'),
    'willowbend': (['F32.A', 'F41.1', 'F90.0'],
                   'worsening mood and anxiety, partial response to sertraline 100 mg'),
}
MEDS = ['metformin 1000 mg PO BID', 'lisinopril 20 mg daily', 'atorvastatin 40 mg qHS',
        'levothyroxine 75 mcg daily', 'omeprazole 20 mg daily', 'sertraline 100 mg daily',
        'amlodipine 5 mg daily', 'insulin glargine 24 units qHS', 'albuterol HFA 2 puffs q4h prn',
        'apixaban 5 mg BID', 'vitamin D3 2000 IU daily', 'metoprolol succinate 50 mg daily']


def t_referral():
    p = Patient(age_range=(24, 88))
    d = doc_at('larkspur', 'MD')
    key = r.choice(list(SPECIALTY))
    rd = doc_at(key, 'MD')
    c, rc = d.clinic, rd.clinic
    pool, reason = SPECIALTY[key]
    codes = r.sample(pool, r.randint(2, 3))
    mlab = r.choice(['MRN', 'Chart #', 'Med Rec #', 'MRN#'])
    dlab = r.choice(['DOB', 'D.O.B.', 'Date of birth', 'Birth date'])
    payer = r.choice(PAYERS)[0]
    memlab = r.choice(['Member ID', 'Subscriber #', 'Policy No.', 'Member ID#'])
    a = p.addr
    unit = (' ' + a['unit']) if a['unit'] else ''
    probs = '\n'.join(f'  {i + 1}. {ICD[x]} — {icd(x)}' for i, x in enumerate(codes))
    meds = '\n'.join('  - ' + m for m in r.sample(MEDS, r.randint(3, 5)))
    body = (f'{c.name}\n{addr_block(c.addr)}\nPhone {ph(c.phone)} · Fax {ph(c.fax)}\n\n'
            f'{vdate("long")}\n\n{rd.full}\n{rc.name}\n{addr_block(rc.addr)}\n\n'
            f'RE: {pname(p, pick("fl", "fml", "LF"))}\n{dlab}: {dob(p)}\n{mlab}: {L("mrn", p.mrn)}\n\n'
            f'Dear Dr. {rd.last},\n\nThank you for seeing my patient, {p.title} {pname(p, "fl")}, a '
            f'{p.age}-year-old {"woman" if p.sex == "F" else "man"} with {reason}. I would appreciate '
            f'your evaluation and recommendations.\n\nActive problems:\n{probs}\n\n'
            f'Current medications:\n{meds}\nAllergies: {r.choice(["NKDA", "PCN (rash)", "sulfa (hives)", "codeine (nausea)"])}\n\n'
            f'Insurance: {payer}; {memlab} {L("member_id", p.member)}; Group # {p.group}\n'
            f'Patient contact: {ph(p.phone)}; home {street(a)}{unit}, {a["city"]}, {a["state"]} {a["zip"]}\n\n'
            f'Recent results ({vdate("mmddY")}): A1c {r.randint(60, 99) / 10}%, LDL {r.randint(70, 180)}, '
            f'eGFR {r.randint(40, 95)}. Records are attached to the e-fax.\n\n'
            f'Please call me directly with questions at {ph(d.direct)}.\n\nSincerely,\n\n{d.full}\n'
            f'NPI {L("npi", d.npi)}\n\n{CONF_NOTICE[0]}')
    att = []
    if r.random() < 0.4:
        att = [('referral_letter.txt', 'plain', body)]
        body = (f'{rd.dr} — referral letter attached for pt {pname(p, "fl")} (text copy; the signed '
                f'PDF went by fax to {ph(rc.fax)}).\n\n{d.first}')
    return dict(kind='referral', subject=pick('Referral', f'Referral re: {pname(p, "il")}', 'New referral'),
                body=body, frm=doc_addr(d), to=doc_addr(rd), attachments=att)


def t_consult_reply():
    p = Patient(age_range=(30, 85))
    key = r.choice(['pinecrest', 'cottonwood', 'sandhill', 'blue'])
    sd = doc_at(key, 'MD')
    pcp = doc_at(r.choice(['larkspur', 'riverbend']), 'MD')
    pool, reason = SPECIALTY[key]
    codes = r.sample(pool, 2)
    procs = {'pinecrest': ['93000', '93224', '93306'], 'cottonwood': ['83036', '80053', '99204'],
             'sandhill': ['95810', '99204'], 'blue': ['20610', '73721', '99204']}[key]
    ap = '\n'.join(f' # {ICD[x]} ({icd(x)}) – {pick("continue current therapy", "will titrate", "see plan below", "workup as below")}'
                   for x in codes)
    pr = ', '.join(f'{CPT[x]} ({cpt(x)})' for x in r.sample(procs, 2))
    body = (f'Dear {pcp.dr},\n\nI saw your patient, {p.title} {pname(p, "fl")} '
            f'({r.choice(["DOB", "born"])} {dob(p)}), in consultation on {vdate("long")} for {reason}.\n\n'
            f'HPI: {p.age} y/o, symptoms x{r.randint(2, 11)} mo. No syncope. Non-smoker. '
            f'Family hx notable for early CAD in father.\n\nAssessment and plan:\n{ap}\n\n'
            f'Procedures/orders today: {pr}.\n\nFollow-up in {r.randint(4, 12)} weeks; I will send '
            f'results as they return. {p.pron[0].capitalize()} can be reached at {ph(p.phone)}.\n\n'
            f'Thank you for involving me in {p.pron[1]} care.\n{signature(sd, "full")}\nNPI: {L("npi", sd.npi)}')
    return dict(kind='consult', subject=pick(f'Consult note – pt {pname(p, "LF")}', f'Re: {pname(p, "fl")} – consult', f'consult re: {pname(p, "lf")}'), body=body,
                frm=doc_addr(sd), to=doc_addr(pcp), html=r.random() < 0.4)


CARC = [('CO-50', 'These are non-covered services because this is not deemed a "medical necessity" by the payer.'),
        ('CO-197', 'Precertification/authorization/notification absent.'),
        ('CO-16', 'Claim/service lacks information or has submission/billing error(s).'),
        ('CO-97', 'The benefit for this service is included in the payment/allowance for another service.'),
        ('PR-204', 'This service/equipment/drug is not covered under the patient\'s current benefit plan.')]


def t_denial():
    p = Patient()
    payer, pdom = r.choice(PAYERS)
    d = doc_at(r.choice(['larkspur', 'riverbend', 'kestrel']))
    prov = gen_phone(['800', '888', '866'][:1] + ['303'])
    carc = r.choice(CARC)
    lines = r.sample([('99214', 'I10'), ('93000', 'R07.9'), ('80053', 'E11.9'), ('83036', 'E11.65'),
                      ('71046', 'J44.9'), ('99396', 'Z00.00'), ('82306', 'E55.9'), ('85025', 'D64.9'),
                      ('20610', 'M17.11'), ('97110', 'M54.50')], r.randint(2, 4))
    rows = []
    for i, (c_, dx) in enumerate(lines, 1):
        billed = r.randint(40, 420)
        rows.append(f'| {i} | {cpt(c_)} | {icd(dx)} | ${billed}.00 | $0.00 | {carc[0]} |')
    table = ('| Line | CPT | Dx | Billed | Allowed | Adj |\n|---|---|---|---|---|---|\n' + '\n'.join(rows))
    memlab = r.choice(['Member ID', 'Subscriber ID', 'Member #'])
    dos = datetime.date(2024, 6, 1) + datetime.timedelta(days=r.randint(0, 120))
    dlab = r.choice(['DOB', 'Patient DOB', 'Date of Birth'])
    body = (f'{payer.upper()}\nCLAIM DETERMINATION NOTICE\n\nClaim number: {nd(4)}-{nd(4)}-{nd(6)}\n'
            f'Patient: {pname(p, pick("LF", "lf"))}\n{dlab}: {dob(p, pick("mmddY", "mdY"))}\n'
            f'{memlab}: {L("member_id", p.member)}      Group #: {p.group}\n'
            f'Rendering provider: {d.first} {d.last}, NPI {L("npi", d.npi)}\n'
            f'Date(s) of service: {fmt_date(dos, "mmddY")}\nReceived: {fmt_date(dos + datetime.timedelta(days=r.randint(6, 30)), "mmddY")}\n\n{table}\n\n'
            f'{carc[0]}: {carc[1]}\n\nYou may request reconsideration within 180 days of this notice. '
            f'Call Provider Services at {ph(prov, pick("one", "paren", "dash"))} (M–F 8–6 CT) or fax the '
            f'appeal form to {ph(gen_phone(["303"]), "dash")}.\n\nThis notice is not a bill.')
    return dict(kind='denial', subject=pick('Claim denied', 'Claim determination notice',
                                            f'Denial – patient {pname(p, "LF")}'), body=body,
                frm=role_addr('claims', type('C', (), {'dom': pdom})), to=role_addr('billing'),
                html=r.random() < 0.35)


LAB_TESTS = [
    ('HEMOGLOBIN A1C', '83036', lambda: f'{r.randint(52, 110) / 10}', '4.0-5.6', '%', lambda v: 'H' if float(v) > 5.6 else ''),
    ('GLUCOSE, FASTING', '80053', lambda: str(r.randint(72, 240)), '70-99', 'mg/dL', lambda v: 'H' if int(v) > 99 else ''),
    ('TSH', '84443', lambda: f'{r.randint(3, 90) / 10}', '0.45-4.50', 'uIU/mL', lambda v: 'H' if float(v) > 4.5 else ''),
    ('LDL CHOL CALC', '80061', lambda: str(r.randint(60, 190)), '0-99', 'mg/dL', lambda v: 'H' if int(v) > 99 else ''),
    ('HEMOGLOBIN', '85025', lambda: f'{r.randint(95, 165) / 10}', '11.1-15.9', 'g/dL', lambda v: 'L' if float(v) < 11.1 else ''),
    ('VITAMIN D, 25-OH', '82306', lambda: f'{r.randint(90, 600) / 10}', '30.0-100.0', 'ng/mL', lambda v: 'L' if float(v) < 30 else ''),
    ('CREATININE', '80048', lambda: f'{r.randint(60, 190) / 100}', '0.57-1.00', 'mg/dL', lambda v: 'H' if float(v) > 1.0 else ''),
]


def t_lab():
    p = Patient()
    d = doc_at(r.choice(['larkspur', 'riverbend', 'cottonwood']))
    lab = CL['tallgrass']
    tests = r.sample(LAB_TESTS, r.randint(3, 5))
    coll = vdate('mmddY')
    acc = f'TG{nd(2)}-{nd(4)}-{nd(5)}'
    rows = []
    for name, _, gv, rng, units, flag in tests:
        v = gv()
        rows.append(f'{name:<22}{v:<9}{flag(v):<6}{rng:<14}{units}')
    codes = sorted({t[1] for t in tests})
    dx = r.sample(['E11.9', 'E11.65', 'E78.5', 'E03.9', 'D64.9', 'E55.9', 'N18.30', 'Z00.00'], 2)
    nlab = r.choice(['Patient Name:', 'PATIENT:', 'Patient:', 'Pt Name:'])
    mlab = r.choice(['MRN:', 'Med Rec #:', 'Chart #:', 'MRN#'])
    body = (f'TALLGRASS REFERENCE LABORATORY — FINAL REPORT\n{"=" * 46}\n'
            f'{nlab} {pname(p, pick("LF", "LFM", "lf"))}     Sex: {p.sex}\n'
            f'DOB: {dob(p, pick("mmddY", "mdY", "iso"))}     {mlab} {L("mrn", p.mrn)}\n'
            f'Ordering: {d.first} {d.last}, {d.cred} (NPI {L("npi", d.npi)})\n'
            f'Accession: {acc}   Collected: {coll} 07:{r.randint(10, 59)}   Reported: {vdate("mmddY")} 14:05\n'
            f'Order Dx: {icd(dx[0])}, {icd(dx[1])}\n\n'
            f'{"TEST":<22}{"RESULT":<9}{"FLAG":<6}{"REF RANGE":<14}UNITS\n' + '\n'.join(rows) +
            f'\n\nCPT billed: {", ".join(cpt(c_) for c_ in codes)}\n\n'
            f'Client services: {ph(lab.phone)}  |  {lab.name}, {street(lab.addr)}, {lab.city}, {lab.state}\n'
            f'Lab director: M. Abernethy-Cole, MD, PhD   CLIA 28D{nd(7)}\n')
    att = []
    if r.random() < 0.5:
        csvrows = ['patient_name,dob,mrn,test,result,units,collected,cpt']
        for name, code, gv, rng, units, flag in tests:
            csvrows.append(f'"{L("patient_name", p.name("LF"))}",{L("dob", fmt_date(p.dob, "mmddY"))},'
                           f'{L("mrn", p.mrn)},{name},{gv()},{units},{coll},{L("cpt", code)}')
        att = [(f'results_{acc}.csv', 'csv', '\n'.join(csvrows) + '\n')]
    return dict(kind='lab', subject=pick('Final result', f'Lab result {acc}', 'FINAL REPORT'), body=body,
                frm=role_addr('results', lab), to=doc_addr(d), attachments=att, html=r.random() < 0.15)


def t_prior_auth():
    medicare = r.random() < 0.5
    p = Patient(age_range=(66, 88) if medicare else (25, 64))
    d = doc_at(r.choice(['cottonwood', 'larkspur', 'willowbend', 'riverbend']))
    rx = CL['redfern']
    drug = r.choice(DRUGS)
    dx = r.sample({'Ozempic': ['E11.65', 'E66.9'], 'Eliquis': ['I48.91', 'Z79.01']}.get(
        drug[0].split('(')[-1].rstrip(')'), ['E11.9', 'I10', 'F32.A', 'M54.50', 'J45.909', 'L40.0', 'F90.0']), 2)
    plan = 'Granite Peak Medicare Advantage' if medicare else r.choice(PAYERS[:2] + PAYERS[3:])[0]
    idline = (f'Medicare MBI: {L("mbi", p.mbi)}' if medicare else
              f'{r.choice(["Member ID", "Rx Member ID", "Subscriber #"])}: {L("member_id", p.member)}')
    dea_line = f'  DEA: {L("dea", d.dea)}\n' if drug[3] else ''
    body = (f'PRIOR AUTHORIZATION REQUEST\nPlan: {plan}\nPA case #: PA-{nd(2)}-{nd(4)}-{nd(4)}\n\n'
            f'Patient name: {pname(p, pick("fl", "LF", "fml"))}\nDate of birth: {dob(p)}\n{idline}\n'
            f'Patient phone: {ph(p.phone)}\n\n'
            f'Medication: {drug[0]} {drug[1]}\n  NDC {L("ndc", drug[2])}   Qty: 30 / 30 days   Refills: 5\n'
            f'Diagnosis (ICD-10): {icd(dx[0])}, {icd(dx[1])}\n'
            f'Tried/failed: {r.choice(["metformin (GI intolerance)", "2 generic SSRIs", "formulary alternative x 90 days", "NSAIDs + PT x 6 wk"])}\n\n'
            f'Prescriber: {d.full}\n  NPI: {L("npi", d.npi)}\n{dea_line}'
            f'  Phone: {ph(d.clinic.phone)}   Fax: {ph(d.clinic.fax)}\n\n'
            f'Dispensing pharmacy: {rx.name}, {street(rx.addr)}, {rx.city} {rx.state}\n'
            f'  Pharmacy NPI {L("npi", rx.npi)}  ph {ph(rx.phone, "dot")}\n\n'
            f'Urgent? {r.choice(["No", "Yes – patient out of medication"])}. Decision within 72 h per CMS rules.')
    return dict(kind='priorauth', subject=pick('PA request', f'Prior auth – {drug[0].split()[0]}', 'PA needed'),
                body=body, frm=role_addr('rx112', rx), to=role_addr('priorauth', d.clinic),
                html=r.random() < 0.3)


def t_discharge():
    p = Patient(age_range=(55, 92))
    hosp = CL['harrow']
    att_doc = doc_at('harrow', 'MD')
    pcp = doc_at('larkspur', 'MD')
    ortho = CL['blue']
    scen = r.choice(['hip', 'chf', 'copd'])
    if scen == 'hip':
        prin, sec, proc = 'S72.001A', ['I10', 'M81.0'], ['27236']
        course = 'mechanical fall at home; underwent hemiarthroplasty on hospital day 1 without complication'
        fu = ortho
    elif scen == 'chf':
        prin, sec, proc = 'I50.9', ['I48.91', 'N18.30'], ['93306']
        course = 'diuresed 4.1 L with IV furosemide; TTE showed EF 35%'
        fu = CL['pinecrest']
    else:
        prin, sec, proc = 'J44.9', ['J06.9', 'I10'], ['71046']
        course = 'treated with nebulizers, prednisone 40 mg x5 days and doxycycline'
        fu = CL['sandhill']
    admit_d = datetime.date(2024, 6, 3) + datetime.timedelta(days=r.randint(0, 140))
    admit = fmt_date(admit_d, 'mdY')
    disch = fmt_date(admit_d + datetime.timedelta(days=r.randint(2, 9)), 'mdY')
    body = (f'DISCHARGE SUMMARY — {hosp.name}\n\nPatient: {pname(p, pick("LF", "fl"))}\n'
            f'{r.choice(["Med Rec #", "MRN", "Acct/MRN"])}: {L("mrn", p.mrn)}\n'
            f'D.O.B.: {dob(p, pick("mmddY", "mon", "dMonY"))}   Age: {p.age}\n'
            + (f'Payer: Medicare Part A/B   MBI: {L("mbi", p.mbi)}\n' if p.age >= 65 and r.random() < 0.6 else '') +
            f''
            f'Admit: {admit}   Discharge: {disch}   Unit/Room: {r.choice(["4 West", "5 East", "Tele"])}-{r.randint(401, 460)}\n'
            f'Attending: {att_doc.full} (NPI {L("npi", att_doc.npi)})\nPCP: {pcp.full}\n\n'
            f'Principal diagnosis: {ICD[prin]} ({icd(prin)})\n'
            f'Secondary: {", ".join(icd(x) for x in sec)}\n'
            f'Procedures: {", ".join(CPT[x] + " – CPT " + cpt(x) for x in proc)}\n\n'
            f'Hospital course: {course}. Ambulating with walker at discharge.\n\n'
            f'Discharge meds: see reconciled list (metoprolol succinate 25 mg daily, '
            f'acetaminophen 650 mg q6h prn, enoxaparin 40 mg SQ daily x 28 d).\n\n'
            f'Follow-up: {fu.name}, {street(fu.addr)}, {fu.city} — {ph(fu.phone)} in 1–2 weeks; '
            f'PCP within 7 days.\nHome: {street(p.addr)}, {p.addr["city"]}; contact {ph(p.phone)}\n'
            f'Home health: Bluebonnet HH, referral #{nd(7)}\n\n— {att_doc.full}')
    return dict(kind='discharge', subject=pick(f'Discharge summary – patient {pname(p, "LF")}', 'Discharge summary', f'DC summary re: {pname(p, "fl")}'), body=body,
                frm=doc_addr(att_doc), to=doc_addr(pcp), html=r.random() < 0.3)


EFT_CLINICS = [CL['riverbend'], CL['aspen'], INTERNAL, CL['kestrel'], CL['prairie'], CL['sandhill']]


def t_eft():
    c = EFT_CLINICS.pop(0)
    payer, pdom = r.choice(PAYERS)
    mgr = f'{r.choice(STAFF)} {r.choice(STAFF_LAST)}'
    aba = gen_aba()
    body = (f'Hello {payer} EDI team,\n\nPlease find our EFT/ERA enrollment details below.\n\n'
            f'Practice: {c.name}\nBilling NPI (Type 2): {L("npi", c.npi)}\nTIN: {nd(2)}-{nd(7)}\n'
            f'Practice address: {street(c.addr)}{(" " + c.addr["unit"]) if c.addr["unit"] else ""}, {c.city}, {c.state} {c.zip}\n\n'
            f'Bank: {r.choice(["First Plains Community Bank", "Cottonwood Credit Union", "High Desert Savings Bank", "Tri-River National Bank"])}\n{r.choice(["ABA routing #", "Routing number", "RTN", "ABA/Routing"])}: {L("aba_routing", aba)}\n'
            f'Account #: {nd(r.randint(9, 12))} (checking)\nAccount holder: {c.name}, PLLC\n\n'
            f'Contact: {mgr}, Practice Manager — {ph(c.billing)} / {L("email", "billing@" + c.dom)}\n\n'
            f'A voided check is attached to the portal submission (confirmation CNF-{nd(8)}).\n\nThanks,\n{mgr}')
    return dict(kind='eft', subject='EFT/ERA enrollment', body=body, frm=role_addr('billing', c),
                to=role_addr('edi', type('C', (), {'dom': pdom})))


def t_intake():
    p = Patient()
    spouse = f'{r.choice(FIRST_M if p.sex == "F" else FIRST_F)} {p.last}'
    a = p.addr
    payer = r.choice(PAYERS)[0]
    ssn = gen_ssn(r.choice(['dash', 'dash', 'space']))
    slab = r.choice(['SSN', 'Social Security #', 'SS#'])
    memlab = cyc('intakelab', ['Subscriber #', 'Policy No.', 'Memebr ID', 'Member ID'])
    body = (f'New Patient Registration — submitted via web form {vdate("iso")} 21:14\n\n'
            f'Patient name: {pname(p, pick("fml", "fl"))}\nDate of birth: {dob(p, pick("mmddY", "iso", "long"))}\n'
            f'Sex: {p.sex}\n{slab}: {L("us_ssn", ssn)}\n'
            f"Driver's license: {p.dl_state} {L('drivers_license', p.dl)}\n"
            f'Home address: {street(a)}{(" " + a["unit"]) if a["unit"] else ""}\n'
            f'City/State/ZIP: {a["city"]}, {a["state"]} {a["zip"]}\n'
            f'Cell: {ph(p.phone, pick("dash", "paren", "bare"))}\nEmail: {L("email", p.email)}\n\n'
            f'Primary insurance: {payer}\n  {memlab}: {L("member_id", p.member)}\n  Group #: {p.group}\n'
            f'  Subscriber: self\n\nEmergency contact: {spouse} (spouse) {ph(p.phone2)}\n'
            f'Preferred pharmacy: Redfern Pharmacy #112\nReason for visit: establish care\n'
            f'Requested appt: {vdate("mmddY")} AM\n')
    att = []
    if r.random() < 0.45:
        att = [('registration.txt', 'plain', body)]
        body = 'New web registration attached for review. Please verify insurance before scheduling.\n'
    return dict(kind='intake', subject='New patient registration', body=body,
                frm=role_addr('webforms'), to=role_addr('registration'), attachments=att,
                html=(not att) and r.random() < 0.3)


def t_phone_payment():
    p = Patient()
    n, frm = staff_addr()
    kind, cc = gen_card()
    a = p.addr
    body = (f'Phone payment taken {vdate("mdY")} {r.randint(9, 16)}:{r.randint(10, 59)}\n\n'
            f'Patient: {pname(p, pick("lf", "fl"))}\n{r.choice(["Acct/MRN", "MRN", "Chart #"])}: {L("mrn", p.mrn)}\n'
            f'Guarantor acct #: {nd(8)}\nStatement #: {nd(6)}\nAmount: ${r.randint(30, 900)}.{nd(2)}\n'
            f'Card: {L("credit_card", cc)} ({kind.upper()}) exp {r.randint(1, 12):02d}/{r.randint(25, 30)}\n'
            f'Billing address: {street(a)}, {a["city"]}, {a["state"]} {a["zip"]}\n'
            f'Callback: {ph(p.phone)}\nAuth code: {nd(6)}  Batch {nd(4)}\n\n'
            f'Pt asked for receipt by mail. — {n}\n\n'
            f'(I know, card #s shouldn\'t go by e-mail — terminal was down. Please key and delete.)')
    return dict(kind='payment', subject='phone pmt', body=body, frm=frm, to=role_addr('billing'),
                qp=True)


def t_controlled_rx():
    p = Patient(age_range=(19, 80))
    d = doc_at(r.choice(['larkspur', 'willowbend', 'blue']))
    drug = r.choice([x for x in DRUGS if x[3]])
    rx = CL['redfern']
    dx = {'oxycodone/acetaminophen': 'S83.511A', 'hydrocodone/acetaminophen': 'M17.11',
          'amphetamine/dextroamphetamine': 'F90.0', 'buprenorphine/naloxone': 'F11.20',
          'alprazolam': 'F41.1', 'methylphenidate ER': 'F90.0', 'tramadol': 'M54.50'}[drug[0]]
    body = (f'EPCS is down — faxing hard copy, details here for your records.\n\n'
            f'Pt: {pname(p, pick("LF", "fl"))}   DOB {dob(p)}\nAddr: {street(p.addr)}, {p.addr["city"]} {p.addr["state"]}\n\n'
            f'Rx: {drug[0]} {drug[1]}, #{r.choice([20, 30, 60])}, no refills, DAW 0\n'
            f'NDC: {L("ndc", drug[2])}\nDx: {icd(dx)}\nPDMP checked {vdate("mdY")}\n\n'
            f'Prescriber: {d.full}\nDEA {L("dea", d.dea)}   NPI {L("npi", d.npi)}\n'
            f'Office {ph(d.clinic.phone)}')
    return dict(kind='controlled', subject='C-II script – EPCS down', body=body, frm=doc_addr(d),
                to=role_addr('rx112', rx))


def t_appeal():
    p = Patient()
    d = doc_at(r.choice(['blue', 'sandhill', 'kestrel']), 'MD')
    payer, pdom = r.choice(PAYERS)
    key = {'blue': 'blue', 'sandhill': 'sandhill', 'kestrel': 'kestrel'}[d.clinic.name.split()[0].lower()]
    pool, reason = SPECIALTY[key]
    codes = r.sample(pool, 2)
    proc = {'blue': '29881', 'sandhill': '95810', 'kestrel': '45378'}[key]
    body = (f'{vdate("long")}\n\n{payer}\nAttn: Appeals Unit\n{L("us_address", "PO Box " + str(r.randint(1000, 99999)))}\n\n'
            f'RE: Level 1 appeal — Claim {nd(11)}\nPatient: {pname(p, pick("fl", "LF"))}\n'
            f'{r.choice(["Member ID", "Member #", "Policy number"])}: {L("member_id", p.member)}\n'
            f'DOB: {dob(p, "mmddY")}\nDate of service: {vdate("mmddY")}\n'
            f'Procedure code: {cpt(proc)} ({CPT[proc]})\nDiagnosis codes: {icd(codes[0])}, {icd(codes[1])}\n\n'
            f'To whom it may concern,\n\nI am writing to appeal the denial of the above service for my '
            f'patient, who presented with {reason}. Conservative management over 12 weeks failed, as '
            f'documented in the enclosed notes. The service meets your published criteria.\n\n'
            f'Sincerely,\n{d.full}\nNPI {L("npi", d.npi)}\n{d.clinic.name} · {ph(d.clinic.phone)}')
    return dict(kind='appeal', subject='Appeal letter for signature', body=body,
                frm=role_addr('billing', d.clinic), to=doc_addr(d), html=r.random() < 0.3)


def t_records_request():
    p = Patient()
    a = p.addr
    hosp = r.choice([CL['harrow'], CL['northgate'], CL['blue']])
    full_ssn = r.random() < 0.6
    ssn_line = (f'SSN: {L("us_ssn", gen_ssn())}' if full_ssn else
                f'Last 4 of SSN: {nd(4)}')
    fee = ''
    if r.random() < 0.4:
        kind, cc = gen_card()
        fee = (f'\nCopy fee ($6.50): please charge card {L("credit_card", cc)}, exp '
               f'{r.randint(1, 12):02d}/{r.randint(26, 30)}\n')
    body = (f'AUTHORIZATION FOR RELEASE OF HEALTH INFORMATION (submitted online)\n\n'
            f'Patient name: {pname(p, pick("fml", "fl", "lf"))}\nDate of birth: {dob(p, pick("mmddY", "long", "dMonY", "iso"))}\n'
            f'{ssn_line}\nPhoto ID: {p.dl_state} DL {L("drivers_license", p.dl)}\n'
            f'Address: {street(a)}{(" " + a["unit"]) if a["unit"] else ""}, {a["city"]}, {a["state"]} {a["zip"]}\n'
            f'Phone: {ph(p.phone)}    Email: {L("email", p.email)}\n\n'
            f'Release records FROM: {hosp.name}\nRelease records TO: myself (secure e-mail)\n'
            f'Dates of service: 01/01/2022 – present\n'
            f'Information: discharge summaries, imaging reports, lab results\n'
            f'Purpose: continuity of care / personal use\n{fee}\n'
            f'Signature: (e-signed)   Date: {vdate("mmddY")}\n'
            f'Request #: ROI-{nd(6)}')
    return dict(kind='roi', subject='Records request', body=body, frm=role_addr('webforms', hosp),
                to=role_addr('him', hosp), html=r.random() < 0.25)


def t_workcomp():
    p = Patient(age_range=(20, 63))
    d = doc_at('blue', 'MD')
    adj_first, adj_last = r.choice(['Brenda', 'Carl', 'Yvonne']), r.choice(['Maddox', 'Huang', 'Pruett'])
    adj_email = f'{adj_first.lower()}.{adj_last.lower()}@tricounty-comp.example'
    dx, proc = r.choice([('S83.511A', ['99203', '73721', '29881']), ('M54.50', ['99203', '72148', '97110']),
                         ('M25.561', ['99203', '73721', '20610'])])
    body = (f'{d.dr},\n\nAuthorization for the work-related injury below. Please send notes after each '
            f'visit.\n\nClaim #: WC-{nd(2)}-{nd(6)}\nEmployer: Tri-County Grain Cooperative\n'
            f'Patient / injured worker: {pname(p, pick("fl", "LF"))}\n'
            f'{r.choice(["SSN", "Social Security No.", "SSN#"])}: {L("us_ssn", gen_ssn(pick("dash", "space")))}\n'
            f'DOB: {dob(p, pick("mmddY", "md-y", "mdY"))}\nDate of injury: {vdate("mmddY")}\n'
            f'Diagnosis: {icd(dx)} ({ICD[dx]})\n'
            f'Authorized CPT: {", ".join(cpt(x) for x in proc)}\nAuth valid 60 days.\n\n'
            f'{adj_first} {adj_last}\nClaims Adjuster, Tri-County Comp Mutual\n'
            f'{ph(gen_phone(["402"]))} ext. {r.randint(200, 299)} | {L("email", adj_email)}')
    return dict(kind='workcomp', subject=pick(f'WC authorization – patient {pname(p, "LF")}', 'WC authorization'), body=body,
                frm=mbox(f'{adj_first} {adj_last}', adj_email), to=doc_addr(d))


def t_rx_transfer():
    p = Patient(age_range=(66, 90))
    d = doc_at(r.choice(['larkspur', 'riverbend', 'willowbend']))
    rx = CL['redfern']
    drug = r.choice([x for x in DRUGS if x[0] in ('buprenorphine/naloxone', 'alprazolam', 'tramadol')] +
                    [x for x in DRUGS if not x[3]])
    dea = f'\nPrescriber DEA: {L("dea", d.dea)} (C-{"III" if "bupren" in drug[0] else "IV"}, one-time transfer)' if drug[3] else ''
    body = (f'Rx transfer request — please transfer to Cedar Hollow Pharmacy\n\n'
            f'Patient: {pname(p, pick("fl", "LF", "fml"))}\nDOB: {dob(p)}\n'
            f'Medicare Part D, MBI {L("mbi", p.mbi)}\n\n'
            f'Drug: {drug[0]} {drug[1]}\nNDC: {L("ndc", drug[2])}\n'
            f'Original Rx #: {nd(7)}   Last filled: {vdate("mmddY")}   Refills remaining: {r.randint(1, 5)}\n'
            f'Prescriber: {d.full}, NPI {L("npi", d.npi)}{dea}\n\n'
            f'Transferring from: {rx.name}, ph {ph(rx.phone)}, fax {ph(rx.fax)}\n'
            f'Receiving RPh: {r.choice(["J. Okonjo", "L. Baptiste", "T. Meyers"])}, Cedar Hollow Pharmacy, '
            f'{ph(gen_phone(["303", "720"]))}')
    return dict(kind='pharmacy', subject='Rx transfer', body=body,
                frm=mbox('Cedar Hollow Pharmacy', 'rx@cedarhollowrx.example'), to=role_addr('rx112', rx),
                html=r.random() < 0.2)

# ---------------------------------------------------------------- odd formats

def t_fwd_chain():
    p = Patient(sex='F', age_range=(60, 90))
    pcp = doc_at('larkspur', 'MD')
    hh_first, hh_last = r.choice(['Dana', 'Corey', 'Lynette']), r.choice(['Whitfield', 'Baird', 'Sato'])
    hh_email = f'{hh_first[0].lower()}{hh_last.lower()}@bluebonnet-hh.example'
    nurse_email = f'nurseline@{INTERNAL.dom}'
    nurse = r.choice(STAFF)
    d1 = datetime.date(2024, 6, 3) + datetime.timedelta(days=r.randint(0, 150))
    d2 = d1 + datetime.timedelta(days=r.randint(2, 8))
    body = (f'{pcp.first} - FYI see below, can you call her back today? I am in procedures all '
            f'afternoon.\n\n{nurse}\n\n-----Original Message-----\n'
            f'From: {hh_first} {hh_last} <{L("email", hh_email)}>\nSent: {fmt_date(d2, "long")} 4:12 PM\n'
            f'To: Nurse Line <{L("email", nurse_email)}>\n'
            f'Subject: RE: pt {pname(p, "fl")} - BP readings\n\n'
            f'> Patient: {pname(p, "fl")}\n> DOB {dob(p, pick("mdY", "md-y"))}\n'
            f'> Home BP avg {r.randint(150, 178)}/{r.randint(88, 102)} this week on lisinopril 20 mg. Dx {icd("I10")}.\n'
            f'> She reports mild HA, no CP/SOB. Pls call her at {ph(p.phone)} or me at {ph(gen_phone(["303"]))}.\n'
            f'>\n> {hh_first} {hh_last}, RN\n> Bluebonnet Home Health\n>\n'
            f'> > -----Original Message-----\n> > From: Nurse Line\n> > Sent: {fmt_date(d1, "long")} 10:02 AM\n'
            f'> > Subject: pt {pname(p, "fl")} - BP readings\n> >\n'
            f'> > Please send the readings for the week when you have them. Order # {nd(7)}.\n')
    return dict(kind='fwd', subject=f'FW: RE: pt {pname(p, "fl")} - BP readings', body=body,
                frm=mbox('Nurse Line', nurse_email), to=doc_addr(pcp))


def t_table_pipes():
    d = doc_at('larkspur', 'MD')
    n, frm = staff_addr()
    pts = [Patient() for _ in range(r.randint(3, 6))]
    hdr = pick(('Patient', 'DOB', 'Phone', 'Orig appt'), ('Pt name', 'D.O.B.', 'Cell', 'Was'))
    rows = []
    for p in pts:
        rows.append(f'| {pname(p, pick("lf", "LF"))} | {dob(p, "mmddY")} | {ph(p.phone, pick("paren", "dash", "dot"))} | '
                    f'{vdate("mdy")} {r.randint(8, 16)}:{pick("00", "20", "40")} |')
    table = (f'| {hdr[0]} | {hdr[1]} | {hdr[2]} | {hdr[3]} |\n|---|---|---|---|\n' + '\n'.join(rows))
    body = (f'{d.dr} is out {vdate("long")} (conference) — these need to be rescheduled:\n\n{table}\n\n'
            f'Please offer the Tuesday afternoon slots first. Room 3 is free for nurse visits.\n\n{n}')
    att = []
    if r.random() < 0.6:
        lines = ['Patient,DOB,Phone']
        for p in pts:
            lines.append(f'"{L("patient_name", p.name("lf"))}",{L("dob", fmt_date(p.dob, "mmddY"))},'
                         f'{L("phone", fmt_phone(p.phone, "dash"))}')
        att = [('reschedule.csv', 'csv', '\n'.join(lines) + '\n')]
    return dict(kind='table', subject='reschedule list', body=body, frm=frm, to=role_addr('scheduling'),
                attachments=att, html=r.random() < 0.5)


def t_tab_table():
    n, frm = staff_addr()
    payer = r.choice(PAYERS)[0]
    rows = []
    for _ in range(r.randint(3, 6)):
        p = Patient()
        c_, dx = r.choice([('99214', 'I10'), ('99213', 'J06.9'), ('93000', 'R00.2'), ('20610', 'M17.11'),
                           ('99204', 'E11.65'), ('97110', 'M54.50'), ('95810', 'G47.33')])
        rows.append('\t'.join([pname(p, 'LF'), L('member_id', p.member), vdate('mmddY'), cpt(c_), icd(dx),
                               f'${r.randint(90, 900)}.00']))
    body = (f'Batch {nd(5)} — {len(rows)} {payer} claims held for missing auth. Tab-delimited, paste '
            f'into the tracker:\n\nPatient\tMember ID\tDOS\tCPT\tICD-10\tCharge\n' + '\n'.join(rows) +
            f'\n\nGroup # for all of these is the same employer plan ({gen_group()}).\n{n}')
    return dict(kind='table', subject='held claims', body=body, frm=frm, to=role_addr('billing'))


def t_allcaps():
    p = Patient(age_range=(40, 90))
    hosp = CL['harrow']
    d = doc_at('harrow', 'MD')
    a = p.addr
    dx = r.choice(['J44.9', 'I50.9', 'N39.0', 'R07.9', 'S72.001A'])
    st_up = a['street'].upper()
    body = (f'*** AUTO-GENERATED BY ADT INTERFACE - DO NOT REPLY ***\n'
            f'EVENT: A01 ADMIT   FACILITY: {hosp.name.upper()}\n'
            f'PT NAME: {pname(p, pick("LF", "FL"))}   DOB: {dob(p, pick("md-y", "mmddY", "dmonY-"))}   '
            f'MRN: {L("mrn", p.mrn)}   SEX: {p.sex}\n'
            f'ADDRESS: {L("us_address", st_up)}  {a["city"].upper()} {a["state"]} {a["zip"]}\n'
            f'PHONE: {ph(p.phone, pick("paren", "dash"))}\n'
            + (f'SSN: {L("us_ssn", gen_ssn("dash"))}\n' if r.random() < 0.5 else '')
            + (f'MEDICARE MBI: {L("mbi", p.mbi)}\n' if p.age >= 65 else '') +
            f''
            f'ADMIT DX: {icd(dx)} {ICD[dx].upper()}\n'
            f'ATTENDING: {d.last.upper()}, {d.first.upper()} MD  NPI {L("npi", d.npi)}\n'
            f'BED: 5E-{r.randint(501, 540)}   ADMIT TIME: {vdate("mmddY")} 23:41\n'
            f'INS: {r.choice(PAYERS)[0].upper()}  MEMBER ID: {L("member_id", p.member)}  GRP: {p.group}\n'
            f'*** END OF MESSAGE ***')
    return dict(kind='allcaps', subject=f'ADT A01 {hosp.name.upper()}', body=body,
                frm=role_addr('adt-noreply', hosp), to=role_addr('pcp-notify'))


def t_handoff_bullets():
    n = r.choice(STAFF)
    unit = r.choice(['4 West', '5 East', 'Tele'])
    items = []
    for _ in range(r.randint(3, 5)):
        p = Patient(age_range=(45, 95))
        dx = r.choice(['I50.9', 'J44.9', 'S72.001A', 'N39.0', 'I48.91', 'D64.9'])
        bullet = r.choice(['•', '-', '*'])
        items.append(f'{bullet} Rm {r.randint(401, 460)} – pt: {pname(p, "LF")} '
                     f'({pick("MRN", "MRN#", "mrn")} {L("mrn", p.mrn)}) – Dx {icd(dx)}, '
                     f'{r.choice(["on IV lasix, K 3.4 repleted", "2L NC, sats 93%", "POD1, pain controlled", "abx day 2, afebrile", "rate controlled on dilt gtt", "s/p 1u PRBC"])}')
    body = (f'Night handoff {vdate("mdY")} — {unit}\n\n' + '\n'.join(items) +
            f'\n\nPending: AM labs, PT evals. Call light in 412 is broken — work order in.\n— {n}, RN')
    return dict(kind='handoff', subject=f'handoff {unit}', body=body, frm=staff_addr(CL['harrow'])[1],
                to=role_addr('charge-rn', CL['harrow']), html=r.random() < 0.5)


def t_gmail_reply():
    p = Patient()
    d = doc_at('larkspur')
    c = d.clinic
    sched = f'scheduling@{c.dom}'
    body = (f'Thanks, that works. I will bring the forms.\n\n{p.first}\n\n'
            f'On {vdate("mon")}, at 9:03 AM, Larkspur Scheduling <{L("email", sched)}> wrote:\n'
            f'> Hi {p.first},\n>\n> We have you (patient {pname(p, "fl")}, DOB {dob(p, pick("mmddY", "dMonY"))}) '
            f'scheduled\n> Thursday at 10:20 with {d.dr} at {street(c.addr)}.\n'
            f'> Please bring a photo ID and your insurance card.\n>\n> Questions? Call {ph(c.phone)}.\n')
    return dict(kind='reply', subject='Re: your appointment', body=body, frm=pt_addr(p), to=mbox('Larkspur Scheduling', sched),
                html=r.random() < 0.3)


def t_csv_roster():
    n, frm = staff_addr()
    pts = [Patient() for _ in range(r.randint(4, 7))]
    lines = ['Patient,DOB,MRN,CPT,Lot,Given']
    for p in pts:
        lines.append(f'"{L("patient_name", p.name("lf"))}",{L("dob", fmt_date(p.dob, "iso"))},{L("mrn", p.mrn)},'
                     f'{L("cpt", "90686")},FL{nd(4)}A,{vdate("mmddY")}')
    body = (f'Flu clinic roster from Saturday attached ({len(pts)} pts). VIS dates all current. '
            f'Admin code {cpt("90471")} goes on each line as well.\n\n{n}')
    return dict(kind='roster', subject='flu clinic roster', body=body, frm=frm, to=role_addr('billing'),
                attachments=[('flu_clinic_roster.csv', 'csv', '\n'.join(lines) + '\n')])


# ---------------------------------------------------------------- hard negatives

def neg_order():
    po = '45000' + nd(5)
    it = r.sample([('Exam table paper 21" x 225\'', 'TP-21225-W'), ('Nitrile gloves M 200/bx', 'NG-200M-BL'),
                   ('Sharps container 2 gal', 'SC-2G-RD'), ('Alcohol prep pads 200/bx', 'AP-200-STR'),
                   ('Specimen cups 4 oz sterile', 'SCP-4OZ-100'), ('Tongue depressors 500/bx', 'TD-6IN-500'),
                   ('Disposable speculum M', 'VS-MED-24')], 3)
    lines = '\n'.join(f'  - {a}  P/N {b}  qty {r.randint(2, 30)}' for a, b in it)
    body = (f'Hi team,\n\nOrder #: SO-{nd(7)}\nPO: {po} (PO date {vdate("mmddY")})\nItems:\n{lines}\n\n'
            f'Backordered: {it[0][1]}, ETA {vdate("mmddY")}.\nShip-to: Building 2, Receiving Dock 4\n'
            f'Tracking to follow.\n\n-- Purchasing')
    return dict(kind='negative', subject=f'PO {po} – backorder', body=body,
                frm=role_addr('purchasing'), to=role_addr('clinic-managers'))


def neg_ups():
    d0 = datetime.date(2024, 6, 3) + datetime.timedelta(days=r.randint(0, 150))
    t = '1Z' + ''.join(r.choice('0123456789ABCDEFGHJKLMNPRSTUVWXY') for _ in range(6)) + nd(10)
    fx = nd(12)
    body = (f'Your shipment is on the way.\n\nUPS tracking: {t}\nService: Ground\nWeight: {r.randint(2, 40)} lb\n'
            f'Ship date: {fmt_date(d0, "mmddY")}   Scheduled delivery: {fmt_date(d0 + datetime.timedelta(days=r.randint(1, 5)), "mmddY")} by end of day\n\n'
            f'Second package sent FedEx Express, tracking {fx[:4]} {fx[4:8]} {fx[8:]}.\n'
            f'Reference: INV-{nd(6)} / PO {nd(6)}\n\nDo not reply to this automated notice.')
    return dict(kind='negative', subject='Shipment notification', body=body,
                frm=mbox('Summit Clinical Supply', 'noreply@summitsupply.example'), to=role_addr('purchasing'))


def neg_it():
    body = (f'Maintenance window: Sat {vdate("mdY")} 22:00 – Sun 02:00\n\n'
            f'- Citrix Workspace upgrade to {r.randint(2305, 2409)}.{r.randint(1, 9)}\n'
            f'- EHR client {r.randint(20, 24)}.{r.randint(1, 4)}.{r.randint(100, 400)} (build {fake_npi_shape()})\n'
            f'- Print servers 10.{r.randint(10, 99)}.{r.randint(1, 254)}.{r.randint(1, 254)} and '
            f'10.{r.randint(10, 99)}.{r.randint(1, 254)}.{r.randint(1, 254)} rebooted\n\n'
            f'Change ticket: CHG00{nd(5)}. Related incident INC00{nd(5)}.\n'
            f'If something is broken Monday, open a ticket in the portal with your asset tag '
            f'(e.g. LFM-{nd(5)}) and room number.\n\nIT Service Desk')
    return dict(kind='negative', subject='Planned maintenance this weekend', body=body,
                frm=role_addr('itsd'), to=role_addr('all-staff'))


def neg_invoice():
    inv = nd(9)
    body = (f'Invoice {inv}\nInvoice date: {vdate("mmddY")}\nPO: {nd(4)}\nTerms: Net 30\n\n'
            f'  Qty  Description                         Amount\n'
            f'  12   Autoclave pouches 3.5x9 (box/200)   $214.20\n'
            f'   4   Thermal paper rolls, ECG            $96.00\n'
            f'   1   Freight                             $38.50\n\n'
            f'Total due: ${r.randint(300, 5000)}.{nd(2)}\nRemittance ref: {fake_card_shape()}\n\n'
            f'Please reference invoice {inv} on your payment. Thank you for your business!')
    return dict(kind='negative', subject=f'Invoice {inv}', body=body,
                frm=mbox('Accounts Receivable', 'ar@summitsupply.example'), to=role_addr('ap'))


def neg_meeting():
    bridge = cyc('bridge', [True, False])
    room = r.choice(['B12', 'C4', 'A210', 'Board Room 2'])
    dial = (f'Dial-in: {fmt_phone(gen_phone(["720", "888"]), pick("dash", "one"))}, conference PIN {nd(6)}#'
            if bridge else f'Teams meeting ID: {nd(3)} {nd(3)} {nd(3)} {nd(3)}   Passcode: '
                           f'{r.choice(["x7Qp2a", "Hk39tm", "4rTz8w"])}')
    body = (f'Quality & Safety Committee\n{vdate("long")}, 12:00–13:00\nConf Room {room} (2nd floor)\n{dial}\n\n'
            f'Agenda\n  1. Minutes from last meeting\n  2. Hand hygiene audit — Q3 results (94%)\n'
            f'  3. Patient satisfaction survey trends\n  4. Falls with injury: RCA update\n'
            f'  5. Sepsis bundle compliance\n\nLunch provided. Please RSVP by Tuesday.')
    return dict(kind='negative', subject='Agenda: Quality & Safety Committee', body=body,
                frm=role_addr('quality'), to=role_addr('qsc-members'), html=r.random() < 0.3)


def neg_workorder():
    model = r.choice(['E11.9', 'K21.9', 'J45.909'])
    body = (f'Work order WO-{nd(2)}-{nd(4)}-{nd(3)}\n\nLocation: 3rd floor copy room, Room {r.randint(301, 340)}\n'
            f'Issue: toner low / paper jam on the printer model {model} (asset tag LFM-{nd(5)}).\n'
            f'Also: replace air handler filters in Rooms 214 and 216 (MERV 13, 20x25x1, qty 8).\n'
            f'Priority: routine. Requested by front office.\n\nFacilities')
    return dict(kind='negative', subject='Work order submitted', body=body, frm=role_addr('facilities'),
                to=role_addr('office'))


def neg_cme():
    body = (f'Grand Rounds — {vdate("long")}, 7:30 AM, Auditorium A\n\n'
            f'"Updates in heart failure management: what changed in the guidelines"\n\n'
            f'Objectives: review new diagnostic criteria, compare SGLT2 and ARNI data, discuss '
            f'titration of beta-blockers (start 12.5 mg BID, double q2 weeks).\n\n'
            f'This activity has been approved for 1.0 AMA PRA Category 1 Credit™. Activity ID '
            f'{nd(2)}-GR-{nd(4)}. Sign in at the door; certificates are e-mailed within 30 days.')
    return dict(kind='negative', subject='Grand Rounds this Friday', body=body, frm=role_addr('cme'),
                to=role_addr('medical-staff'), html=r.random() < 0.4)


def neg_recall():
    body = (f'FIELD SAFETY NOTICE\n\nProduct: VitaFlow volumetric infusion pump, model VF-{r.randint(200, 900)}\n'
            f'Affected lot numbers: {nd(2)}B{nd(4)}, {nd(2)}B{nd(4)}, {nd(2)}C{nd(4)}\n'
            f'Software version: {r.randint(3, 5)}.{r.randint(0, 9)}.{r.randint(0, 20)}\n'
            f'UDI-DI: (01){nd(14)}\n\nIssue: occlusion alarm may be delayed at rates below 1 mL/h.\n'
            f'Action: quarantine affected units and contact biomed (ext. {r.randint(4000, 4999)}). '
            f'Firmware {r.randint(5, 6)}.{r.randint(0, 3)}.0 will be installed by the vendor.\n\nRisk Management')
    return dict(kind='negative', subject='FSN – infusion pumps', body=body, frm=role_addr('risk'),
                to=role_addr('all-nursing'))


def neg_travel():
    code = ''.join(r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(6))
    body = (f'Your trip is confirmed.\n\nConfirmation code: {code}\nFlight UA {r.randint(100, 2999)} '
            f'DEN → ORD, departs {vdate("mon")} 07:10, seat 14C\nHotel confirmation #: {nd(8)}\n'
            f'Rental car: reservation {nd(10)}X\n\nPer diem: $69/day. Submit receipts within 30 '
            f'days of return via the expense portal.')
    return dict(kind='negative', subject='Travel itinerary – ACC conference', body=body,
                frm=mbox('Travel Desk', 'travel@corptravel.example'), to=role_addr('office'))


def neg_newsletter():
    body = (f'Larkspur Family Medicine — staff newsletter\n\n'
            f'* Patient satisfaction survey: Q3 overall score 4.7/5 (up from 4.5).\n'
            f'* Patient portal sign-ups passed {r.randint(11, 19)},000 this month.\n'
            f'* Flu clinics every Saturday in October, 9–1, Room 104. Bring your badge.\n'
            f'* Welcome to our new MA, {r.choice(STAFF)}!\n'
            f'* Reminder: annual HIPAA training due {vdate("long")}.\n\n'
            f'Have news to share? Drop it in the box by the break room.')
    return dict(kind='negative', subject='Staff newsletter – October', body=body, frm=role_addr('comms'),
                to=role_addr('all-staff'), html=True)


def neg_parking():
    d0 = datetime.date(2024, 6, 3) + datetime.timedelta(days=r.randint(0, 150))
    body = (f'Heads up: Lot C is closed {fmt_date(d0, "mdY")}–{fmt_date(d0 + datetime.timedelta(days=4), "mdY")} for resurfacing. Please use garage '
            f'level 3. Permit numbers P-{nd(5)} through P-{nd(5)} are valid in the garage.\n'
            f'Shuttle runs every 10 minutes from stop 4.\n\nSecurity & Parking')
    return dict(kind='negative', subject='Lot C closure', body=body, frm=role_addr('security'),
                to=role_addr('all-staff'))


def neg_fax_cover():
    body = (f'FAX COVER SHEET\n\nDate: {vdate("mmddY")}\nPages: {r.randint(2, 12)} (including cover)\nRouting slip: HIM-{nd(9)}\n'
            f'Re: records request\n\nCONFIDENTIALITY NOTICE: The documents accompanying this '
            f'facsimile transmission contain confidential health information that is legally '
            f'privileged. This information is intended only for the use of the individual or entity '
            f'named above. If you have received this fax in error, please notify the sender '
            f'immediately and destroy the documents.')
    return dict(kind='negative', subject='fax cover template (updated)', body=body, frm=role_addr('him'),
                to=role_addr('all-staff'))


def neg_downtime():
    body = (f'EHR DOWNTIME: {vdate("long")} 01:00–05:00\n\nDuring downtime:\n'
            f'  - use paper downtime forms (blue binder at each nurse station)\n'
            f'  - BCA workstations print the 0000 census at 00:45\n'
            f'  - lab results will be phoned to units; read back and document\n\n'
            f'Upgrade to version {r.randint(2023, 2024)}.{r.randint(1, 3)}.{r.randint(1, 9)}.{r.randint(100, 300)}. '
            f'Request ID RITM00{nd(5)}.')
    return dict(kind='negative', subject='Scheduled EHR downtime', body=body, frm=role_addr('clinical-informatics'),
                to=role_addr('all-staff'))


def neg_inventory():
    lines = ['Item,Part number,Lot,Expiry,Qty,Bin']
    for name in r.sample(['Lidocaine 1% 20 mL vial', 'Suture 4-0 nylon', 'Gauze 4x4 sterile',
                          'Tdap syringes', 'Urine dip strips', 'Hemoccult cards', 'Ear curettes'], 5):
        lines.append(f'{name},{r.choice(["ML", "SU", "GZ", "RX"])}-{nd(5)}-{r.choice("ABCD")},'
                     f'{nd(2)}K{nd(3)},{vdate("iso", datetime.date(2025, 3, 1), 500)},{r.randint(1, 80)},'
                     f'{r.choice("ABCDEF")}{r.randint(1, 9)}')
    body = (f'Monthly inventory count attached. Two items are below par; reorder placed '
            f'(order {nd(8)}). Expiring items pulled to the red bin.\n\nSupply room')
    return dict(kind='negative', subject='Inventory count', body=body, frm=role_addr('supply'),
                to=role_addr('clinic-managers'),
                attachments=[('inventory.csv', 'csv', '\n'.join(lines) + '\n')])


def neg_order_lookalike():
    o = r.choice(['80053', '99214', '93000', '85025'])
    body = (f'Thanks for your order!\n\nOrder {o} has shipped.\nItems: 2 x ergonomic chair mats, '
            f'1 x label printer (SKU {nd(3)}-{nd(4)}-{nd(2)}K)\nCustomer number: {nd(6)}\n'
            f'Expected delivery: {vdate("long")}\n\nSee you next time.')
    return dict(kind='negative', subject=f'Order {o} shipped', body=body,
                frm=mbox('OfficeDepot-ish', 'orders@officestuff.example'), to=role_addr('office'))


def neg_hr():
    body = (f'Open enrollment runs November 1 through November 15.\n\n'
            f'Our employee medical plan stays with the same carrier; Group # {gen_group()} is unchanged, '
            f'so you will not get new cards unless you change tiers.\n\n'
            f'  - Employee only: $86/paycheck\n  - Employee + family: $312/paycheck\n'
            f'  - HSA employer seed: $750\n\nBenefits fair: Room 104, 11–2. Questions to HR.')
    return dict(kind='negative', subject='Open enrollment', body=body, frm=role_addr('hr'),
                to=role_addr('all-staff'), html=r.random() < 0.5)


def neg_courier():
    body = (f'Specimen courier schedule starting {vdate("long")}:\n\n'
            f'Route 7: pickup 10:30 and 15:00 (cooler ID CL-{nd(4)})\n'
            f'Route 9: pickup 11:15 only\n\nTemperature logs must be signed at handoff. Ambient '
            f'specimens 15–25 °C, refrigerated 2–8 °C. Zip ties: yellow for STAT.\n\n'
            f'Mail room reminder: use ZIP+4 {r.choice(CITIES)[2]}-{nd(4)} on outgoing bulk mail.')
    return dict(kind='negative', subject='Courier schedule change', body=body, frm=role_addr('lab-ops'),
                to=role_addr('clinic-managers'))


def neg_formulary():
    body = (f'P&T update, effective {vdate("long")}:\n\n'
            f'  • atorvastatin 10/20/40 mg: preferred; rosuvastatin now tier 2\n'
            f'  • lisinopril 40 mg tabs on short supply — use 2 x 20 mg\n'
            f'  • metformin ER 500 mg: max 2000 mg/day, take with evening meal\n'
            f'  • insulin pens: 28-day in-use dating once opened\n\n'
            f'Questions to the pharmacy clinical team (ext. {r.randint(5000, 5999)}).')
    return dict(kind='negative', subject='Formulary changes', body=body, frm=role_addr('pharmacy-pt'),
                to=role_addr('medical-staff'))

# --------------------------------------------------------------------------
# plain text -> HTML alternative (markers survive; they are stripped afterwards)
# --------------------------------------------------------------------------

def _esc(s):
    return html.escape(s, quote=False)


def to_html(text):
    out = []
    blocks = re.split(r'\n\s*\n', text.strip('\n'))
    for b in blocks:
        lines = b.split('\n')
        if all(l.startswith('|') for l in lines):
            rows = [l for l in lines if not re.fullmatch(r'\|[\s\-:|]+\|', l)]
            t = ['<table border="1" cellpadding="3" cellspacing="0">']
            for i, l in enumerate(rows):
                cells = [c.strip() for c in l.strip().strip('|').split('|')]
                tag = 'th' if i == 0 else 'td'
                t.append('<tr>' + ''.join(f'<{tag}>{_esc(c)}</{tag}>' for c in cells) + '</tr>')
            t.append('</table>')
            out.append('\n'.join(t))
        elif sum('\t' in l for l in lines) >= 2 and all('\t' in l for l in lines[1:]):
            t = ['<table border="1">']
            for i, l in enumerate(lines):
                tag = 'th' if i == 0 else 'td'
                t.append('<tr>' + ''.join(f'<{tag}>{_esc(c)}</{tag}>' for c in l.split('\t')) + '</tr>')
            t.append('</table>')
            out.append('\n'.join(t))
        elif all(l.startswith('>') for l in lines):
            inner = '<br>\n'.join(_esc(l.lstrip('>').lstrip(' ')) for l in lines)
            out.append(f'<blockquote style="border-left:2px solid #ccc;padding-left:8px">{inner}</blockquote>')
        elif all(re.match(r'\s*(?:[•*-]|\d+\.)\s', l) for l in lines):
            items = [_esc(re.sub(r'^\s*(?:[•*-]|\d+\.)\s+', '', l)) for l in lines]
            out.append('<ul>\n' + '\n'.join(f'<li>{x}</li>' for x in items) + '\n</ul>')
        else:
            out.append('<p>' + '<br>\n'.join(_esc(l) for l in lines) + '</p>')
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Message</title>\n'
            '<style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt}</style></head>\n'
            '<body>\n' + '\n'.join(out) + '\n</body></html>\n')


# --------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------

POLICY = email_policy.default.clone(linesep='\n', max_line_length=78)


def build_message(idx, spec, want_html, want_qp):
    subj, subj_l = strip_marks(spec['subject'])
    body, body_l = strip_marks(spec['body'])
    labels = list(subj_l) + list(body_l)
    msg = EmailMessage(policy=POLICY)
    msg['From'] = spec['frm']
    msg['To'] = spec['to']
    if spec.get('cc'):
        msg['Cc'] = spec['cc']
    dt = datetime.datetime(2024, 8, 1, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-6))) + \
        datetime.timedelta(minutes=r.randint(0, 60 * 24 * 110))
    msg['Date'] = format_datetime(dt)
    msg['Message-ID'] = f'<ho{idx:03d}.{r.getrandbits(40):010x}@mx.larkspurfm.example>'
    msg['Subject'] = subj
    ascii_only = all(ord(c) < 128 for c in body)
    cte = 'quoted-printable' if want_qp else ('7bit' if ascii_only else '8bit')
    msg.set_content(body, subtype='plain', charset='utf-8', cte=cte)
    if want_html:
        h, h_l = strip_marks(to_html(spec['body']))
        msg.add_alternative(h, subtype='html', charset='utf-8',
                            cte='quoted-printable' if (want_qp or r.random() < 0.5) else '8bit')
        labels += h_l
    for fname, sub, text in spec.get('attachments', []):
        t, t_l = strip_marks(text)
        msg.add_attachment(t.encode('utf-8'), maintype='text', subtype=sub, filename=fname,
                           params={'charset': 'utf-8'})
        labels += t_l
    k = 0
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f'=_holdout_{idx:03d}_{k}')
            k += 1
        if part is not msg and 'MIME-Version' in part:
            del part['MIME-Version']
    return msg.as_bytes(policy=POLICY), labels


# --------------------------------------------------------------------------
# text extraction and self-check (independent of the builder)
# --------------------------------------------------------------------------

class _HTMLText(HTMLParser):
    BLOCK = {'p', 'br', 'div', 'tr', 'li', 'blockquote', 'table', 'ul', 'h1', 'h2', 'h3'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ('title', 'style', 'script'):
            self.skip += 1
        if tag in self.BLOCK:
            self.out.append('\n')
        if tag in ('td', 'th'):
            self.out.append(' \t ')

    def handle_endtag(self, tag):
        if tag in ('title', 'style', 'script'):
            self.skip -= 1
        if tag in self.BLOCK:
            self.out.append('\n')

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def extract_text(raw):
    msg = BytesParser(policy=email_policy.default).parsebytes(raw)
    chunks = [str(msg['Subject'] or '')]
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        if ct == 'text/html':
            p = _HTMLText()
            p.feed(part.get_content())
            chunks.append(''.join(p.out))
        elif ct.startswith('text/'):
            chunks.append(part.get_content())
    return unicodedata.normalize('NFKC', '\n'.join(chunks))


def _spans(text, v):
    return [m.span() for m in re.finditer(r'(?<![A-Za-z0-9])' + re.escape(v) + r'(?![A-Za-z0-9])', text)]


def count_value(text, v, longer=()):
    """Occurrences of v in text, not counting those inside a longer labelled value."""
    outer = [sp for w in longer for sp in _spans(text, w)]
    return sum(1 for a, b in _spans(text, v) if not any(x <= a and b <= y for x, y in outer))


# candidate scanners for unlabelled-but-valid identifiers
SCAN = {
    'us_ssn': re.compile(r'(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])'),
    'npi': re.compile(r'(?<!\d)[12]\d{9}(?!\d)'),
    'phone': re.compile(r'(?<![\d\w])(?:\+1[ .-]?|1-)?\(?[2-9]\d\d\)?[ .-]?[2-9]\d\d[ .-]\d{4}(?!\d)'),
    'email': re.compile(r'[\w.+-]+@[\w-]+(?:\.[\w-]+)+'),
    'credit_card': re.compile(r'(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)|(?<!\d)\d{4}[ -]?\d{6}[ -]?\d{5}(?!\d)'),
    'dea': re.compile(r'\b[A-Z][A-Z9]\d{7}\b'),
    'mbi': re.compile(r'\b\d[A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}\b'),
    'ndc': re.compile(r'(?<![\d-])(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d)(?![\d-])'),
    'aba_routing': re.compile(r'(?i)(?:rout\w*|ABA|RTN)\W{0,12}(?:\w+\W{1,3}){0,3}?(\d{9})(?!\d)'),
    'us_address': re.compile(r'\b\d{1,6} (?:[A-Z][A-Za-z]+ ){1,3}(?:' + '|'.join(SUFFIXES) + r')\b'),
}


def self_check(out, labels_all):
    problems = []
    for fname, labels in labels_all.items():
        raw = open(os.path.join(out, 'messages', fname), 'rb').read()
        text = extract_text(raw)
        cnt = Counter((t, v) for t, vs in labels.items() for v in vs)
        for (t, v), n in cnt.items():
            if not VALIDATORS[t](v):
                problems.append(f'{fname}: invalid {t} {v!r}')
            longer = [w for (t2, w) in cnt if w != v and v in w]
            seen = count_value(text, v, longer)
            if seen != n:
                problems.append(f'{fname}: {t} {v!r} labelled {n}x, found {seen}x in text')
        labelled = {re.sub(r'\W', '', v).lower() for vs in labels.values() for v in vs}
        for t, rx in SCAN.items():
            for m in rx.finditer(text):
                s = m.group(m.lastindex or 0)
                key = re.sub(r'\W', '', s).lower()
                if key in labelled:
                    continue
                if any(key in l for l in labelled):
                    continue
                if re.search(r'Dial-in: \S*$', text[max(0, m.start() - 12):m.start()]):
                    continue   # conference bridge: deliberately unlabelled
                if VALIDATORS[t](s.strip()) or t in ('us_address', 'email'):
                    problems.append(f'{fname}: UNLABELLED {t}-like {s!r}')
    return problems


# --------------------------------------------------------------------------
# corpus plan
# --------------------------------------------------------------------------

FEW = [t_callback, t_chart_check, t_coding_q, t_portal_update, t_email_update, t_insurance_card,
       t_ssn_form, t_npi_q, t_po_box, t_card_pay, t_triage, t_refill, t_dl_check, t_dob_verify,
       t_mbi, t_results_ready, t_fax_change, t_appt_confirm, t_dea_verify, t_autopay, t_cpt_cost,
       t_add_dx, t_re_subject, t_refund]
MANY = [t_referral, t_consult_reply, t_denial, t_lab, t_prior_auth, t_discharge, t_eft, t_intake,
        t_phone_payment, t_controlled_rx, t_appeal, t_records_request, t_workcomp, t_rx_transfer]
ODD = [t_fwd_chain, t_table_pipes, t_tab_table, t_allcaps, t_handoff_bullets, t_gmail_reply,
       t_csv_roster]
NEG = [neg_order, neg_ups, neg_it, neg_invoice, neg_meeting, neg_workorder, neg_cme, neg_recall,
       neg_travel, neg_newsletter, neg_parking, neg_fax_cover, neg_downtime, neg_inventory,
       neg_order_lookalike, neg_hr, neg_courier, neg_formulary]


def plan():
    seq = []
    seq += [FEW[i % len(FEW)] for i in range(60)]
    seq += [MANY[i % len(MANY)] for i in range(45)]
    seq += [ODD[i % len(ODD)] for i in range(15)]
    seq += [NEG[i % len(NEG)] for i in range(30)]
    r.shuffle(seq)
    return seq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    out = args.out
    if os.path.isdir(os.path.join(out, 'messages')):
        shutil.rmtree(os.path.join(out, 'messages'))
    os.makedirs(os.path.join(out, 'messages'))
    seq = plan()
    specs = [f() for f in seq]
    # HTML alternatives: honour template hints, then top up to 20 (never for attachment messages)
    html_idx = [i for i, s in enumerate(specs) if s.get('html') and not s.get('attachments')]
    others = [i for i, s in enumerate(specs) if not s.get('html') and not s.get('attachments')]
    r.shuffle(others)
    html_idx = set(html_idx[:20] + others[:max(0, 20 - len(html_idx))])
    labels_all = {}
    for i, spec in enumerate(specs):
        idx = i + 1
        fname = f'{idx:03d}-{spec["kind"]}.eml'
        want_qp = spec.get('qp') or r.random() < 0.22
        raw, labels = build_message(idx, spec, i in html_idx, want_qp)
        with open(os.path.join(out, 'messages', fname), 'wb') as fh:
            fh.write(raw)
        d = defaultdict(list)
        for t, v in labels:
            d[t].append(v)
        labels_all[fname] = {k: d[k] for k in sorted(d)}
    with open(os.path.join(out, 'labels.json'), 'w', encoding='utf-8') as fh:
        json.dump(labels_all, fh, indent=1, ensure_ascii=False, sort_keys=True)
        fh.write('\n')

    problems = self_check(out, labels_all)
    for pr in problems:
        print('CHECK:', pr)

    # summary
    n_html = len(html_idx)
    n_att = sum(1 for s in specs if s.get('attachments'))
    n_neg = sum(1 for v in labels_all.values() if not v)
    tot = Counter()
    msgs = Counter()
    for v in labels_all.values():
        for t, vs in v.items():
            tot[t] += len(vs)
            msgs[t] += 1
    print(f'messages: {len(labels_all)}  (negatives {{}}: {n_neg}, with html alternative: {n_html}, '
          f'with attachments: {n_att})')
    for t in VALIDATORS:
        print(f'  {t:<16} {tot[t]:>4} values in {msgs[t]:>3} messages')
    print(f'  {"TOTAL":<16} {sum(tot.values()):>4}')
    print('self-check:', 'OK' if not problems else f'{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
