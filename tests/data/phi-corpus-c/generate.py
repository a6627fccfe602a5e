#!/usr/bin/env python3
"""Holdout PHI/PII e-mail corpus, second author.

Standard library only, deterministic (fixed SEED, fixed boundaries, Message-IDs
and Dates drawn from the seeded generator).  Everything is invented; every
domain ends in .example.

    python3 generate.py                 # writes messages/*.eml + labels.json next to this file, then self-checks
    python3 generate.py --out DIR       # writes DIR/messages + DIR/labels.json
    python3 generate.py --check-only    # only re-parses and checks an existing corpus

Label format: {"NNN-kind.eml": {type: [value, ...]}} -- every occurrence of a
value in the extracted text (Subject + text/plain + text/html rendered to text
+ text attachments) is listed once.
"""
import argparse
import html
import json
import os
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from html.parser import HTMLParser

SEED = 5322_0417
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = HERE

TYPES = ['us_ssn', 'npi', 'dea', 'mbi', 'mrn', 'member_id', 'icd10', 'cpt', 'dob', 'phone',
         'email', 'us_address', 'credit_card', 'aba_routing', 'drivers_license', 'ndc',
         'patient_name']

# ---------------------------------------------------------------------------
# Code sets (real codes only)
# ---------------------------------------------------------------------------
ICD10 = {
    'E11.9': 'type 2 diabetes mellitus without complications',
    'I10': 'essential (primary) hypertension',
    'F41.1': 'generalized anxiety disorder',
    'M54.50': 'low back pain, unspecified',
    'Z00.00': 'general adult medical exam without abnormal findings',
    'S93.401A': 'sprain of unspecified ligament of right ankle, initial encounter',
    'K21.9': 'GERD without esophagitis',
    'F90.2': 'ADHD, combined type',
    'J02.9': 'acute pharyngitis, unspecified',
    'F32.1': 'major depressive disorder, single episode, moderate',
    'F33.1': 'major depressive disorder, recurrent, moderate',
    'F43.10': 'post-traumatic stress disorder, unspecified',
    'J06.9': 'acute upper respiratory infection, unspecified',
    'S61.411A': 'laceration without foreign body of right hand, initial encounter',
    'M17.11': 'unilateral primary osteoarthritis, right knee',
    'Z47.1': 'aftercare following joint replacement surgery',
    'Z96.651': 'presence of right artificial knee joint',
    'I50.9': 'heart failure, unspecified',
    'J44.1': 'COPD with (acute) exacerbation',
    'E78.5': 'hyperlipidemia, unspecified',
    'N39.0': 'urinary tract infection, site not specified',
    'R07.9': 'chest pain, unspecified',
    'M25.561': 'pain in right knee',
    'S83.511A': 'sprain of ACL of right knee, initial encounter',
    'G43.909': 'migraine, unspecified, not intractable',
    'J45.909': 'unspecified asthma, uncomplicated',
    'R10.9': 'unspecified abdominal pain',
    'K02.52': 'dental caries on pit and fissure surface penetrating into dentin',
    'K05.10': 'chronic gingivitis, plaque induced',
    'H66.90': 'otitis media, unspecified, unspecified ear',
    'F84.0': 'autistic disorder',
    'E66.9': 'obesity, unspecified',
    'Z23': 'encounter for immunization',
    'I48.91': 'unspecified atrial fibrillation',
    'R50.9': 'fever, unspecified',
    'Z00.129': 'routine child health exam without abnormal findings',
    'F41.9': 'anxiety disorder, unspecified',
    'L03.115': 'cellulitis of right lower limb',
    'M79.604': 'pain in right leg',
    'R51.9': 'headache, unspecified',
    'Z91.010': 'allergy to peanuts',
    'M06.9': 'rheumatoid arthritis, unspecified',
    'K50.90': "Crohn's disease, unspecified, without complications",
    'L20.9': 'atopic dermatitis, unspecified',
}
CPT = {
    '99202': 'new patient office visit, 15-29 min', '99203': 'new patient office visit, 30-44 min',
    '99204': 'new patient office visit, 45-59 min', '99212': 'established patient visit, 10-19 min',
    '99213': 'established patient visit, 20-29 min', '99214': 'established patient visit, 30-39 min',
    '99215': 'established patient visit, 40-54 min', '99283': 'ED visit, moderate',
    '99385': 'preventive visit, 18-39', '99395': 'preventive visit, established, 18-39',
    '99396': 'preventive visit, established, 40-64', '90791': 'psychiatric diagnostic evaluation',
    '90834': 'psychotherapy, 45 min', '90837': 'psychotherapy, 60 min',
    '90847': 'family psychotherapy with patient', '96127': 'brief emotional/behavioral assessment',
    '97161': 'PT evaluation, low complexity', '97162': 'PT evaluation, moderate complexity',
    '97110': 'therapeutic exercise', '97112': 'neuromuscular re-education',
    '97140': 'manual therapy', '97530': 'therapeutic activities',
    '70450': 'CT head without contrast', '71046': 'chest X-ray, 2 views',
    '72148': 'MRI lumbar spine without contrast', '73721': 'MRI lower extremity joint without contrast',
    '74177': 'CT abdomen and pelvis with contrast', '76700': 'ultrasound, abdominal, complete',
    '77067': 'screening mammography, bilateral', '93000': 'electrocardiogram, complete',
    '87880': 'rapid strep antigen test', '81002': 'urinalysis, non-automated',
    '36415': 'venipuncture', '85025': 'CBC with differential', '80053': 'comprehensive metabolic panel',
    '12001': 'simple repair of superficial wound, 2.5 cm or less', '29515': 'short leg splint',
    '99349': 'home visit, established patient', '90686': 'influenza vaccine, quadrivalent',
    '90471': 'immunization administration',
}
CDT = {'D0120': 'periodic oral evaluation', 'D0150': 'comprehensive oral evaluation',
       'D1110': 'prophylaxis - adult', 'D1120': 'prophylaxis - child', 'D0274': 'bitewings - four films',
       'D0330': 'panoramic radiographic image', 'D2391': 'resin composite, one surface, posterior',
       'D2740': 'crown - porcelain/ceramic', 'D4341': 'periodontal scaling and root planing, 4+ teeth',
       'D7140': 'extraction, erupted tooth', 'D1206': 'topical fluoride varnish',
       'D7240': 'removal of impacted tooth - completely bony'}
CDT_FEES = {'D0120': 62, 'D0150': 108, 'D1110': 118, 'D1120': 84, 'D0274': 78, 'D0330': 135, 'D2391': 215,
            'D2740': 1385, 'D4341': 295, 'D7140': 210, 'D1206': 48, 'D7240': 495}

# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------

def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ssn_ok(v):
    mo = re.fullmatch(r'(\d{3})([- ]?)(\d{2})\2(\d{4})', v)
    if not mo:
        return False
    a, g, s = mo.group(1), mo.group(3), mo.group(4)
    if a in ('000', '666') or a[0] == '9' or g == '00' or s == '0000':
        return False
    return a + g + s not in ('078051120', '219099999', '457555462')


def npi_ok(v):
    return re.fullmatch(r'[12]\d{9}', v) is not None and luhn_ok('80840' + v)


DEA_FIRST = 'ABCDEFGHJKLMPRSTUX'


def dea_ok(v):
    mo = re.fullmatch(r'([A-Z])([A-Z9])(\d{7})', v)
    if not mo or mo.group(1) not in DEA_FIRST:
        return False
    d = [int(c) for c in mo.group(3)]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


MBI_L = 'ACDEFGHJKMNPQRTUVWXY'
_L, _A = f'[{MBI_L}]', f'[{MBI_L}0-9]'
MBI_RE = f'[1-9]{_L}{_A}[0-9]{_L}{_A}[0-9]{_L}{_L}[0-9][0-9]'


def mbi_ok(v):
    if '-' in v:
        if not re.fullmatch(r'[0-9A-Z]{4}-[0-9A-Z]{3}-[0-9A-Z]{4}', v):
            return False
        v = v.replace('-', '')
    return re.fullmatch(MBI_RE, v) is not None


def aba_ok(v):
    if not re.fullmatch(r'\d{9}', v):
        return False
    p = int(v[:2])
    if not (1 <= p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    d = [int(c) for c in v]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def cc_ok(v):
    if not re.fullmatch(r'\d[\d -]+\d', v):
        return False
    d = re.sub(r'[ -]', '', v)
    if not luhn_ok(d):
        return False
    if len(d) == 16 and d[0] == '4':
        return True
    if len(d) == 16 and (51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720):
        return True
    return len(d) == 15 and d[:2] in ('34', '37')


PHONE_RES = [r'\((\d{3})\) (\d{3})-(\d{4})', r'(\d{3})-(\d{3})-(\d{4})', r'(\d{3})\.(\d{3})\.(\d{4})',
             r'\+1 (\d{3}) (\d{3}) (\d{4})', r'\+1 (\d{3})-(\d{3})-(\d{4})', r'(\d{3}) (\d{3}) (\d{4})',
             r'\+1 \((\d{3})\) (\d{3})-(\d{4})']


def phone_ok(v):
    for p in PHONE_RES:
        mo = re.fullmatch(p, v)
        if mo:
            a, e = mo.group(1), mo.group(2)
            return a[0] not in '01' and e[0] not in '01' and a[1:] != '11' and e[1:] != '11'
    return False


def ndc_ok(v):
    return re.fullmatch(r'\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d', v) is not None


def id_ok(v):
    return re.fullmatch(r'[A-Za-z0-9]{6,12}', v) is not None and re.search(r'\d', v) is not None


MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
          'October', 'November', 'December']
MON3 = [m[:3] for m in MONTHS]


def parse_dob(v):
    try:
        mo = re.fullmatch(r'(\d{1,2})/(\d{1,2})/(\d{4})', v) or re.fullmatch(r'(\d{2})-(\d{2})-(\d{4})', v)
        if mo:
            return date(int(mo.group(3)), int(mo.group(1)), int(mo.group(2)))
        mo = re.fullmatch(r'(\d{4})-(\d{2})-(\d{2})', v)
        if mo:
            return date(int(mo.group(1)), int(mo.group(2)), int(mo.group(3)))
        mo = re.fullmatch(r'([A-Z][a-z]+)\.? (\d{1,2}), (\d{4})', v)
        if mo:
            mname = mo.group(1)
            mi = MONTHS.index(mname) if mname in MONTHS else MON3.index(mname)
            return date(int(mo.group(3)), mi + 1, int(mo.group(2)))
        mo = re.fullmatch(r'(\d{1,2}) ([A-Z][a-z]+) (\d{4})', v)
        if mo:
            mname = mo.group(2)
            mi = MONTHS.index(mname) if mname in MONTHS else MON3.index(mname)
            return date(int(mo.group(3)), mi + 1, int(mo.group(1)))
    except ValueError:
        return None
    return None


def dob_ok(v):
    d = parse_dob(v)
    return d is not None and 1920 <= d.year <= 2020


SUFFIXES = ['St', 'Street', 'Ave', 'Avenue', 'Rd', 'Road', 'Ln', 'Lane', 'Dr', 'Drive', 'Ct', 'Court',
            'Blvd', 'Boulevard', 'Way', 'Pl', 'Place', 'Ter', 'Terrace', 'Cir', 'Circle', 'Pkwy',
            'Parkway', 'Hwy', 'Trail', 'Loop', 'Row']
DIRS = ['N', 'S', 'E', 'W', 'NE', 'NW', 'SE', 'SW', 'North', 'South', 'East', 'West']
ADDR_PAT = (r"\d{1,5}(?: (?:%s))?(?: [A-Z0-9][A-Za-z0-9']*)+ (?:%s)" % ('|'.join(DIRS), '|'.join(SUFFIXES)))
PO_PAT = r'(?:PO|P\.O\.|P\. O\.|Post Office) Box \d{1,6}'


def addr_ok(v):
    return re.fullmatch(ADDR_PAT, v) is not None or re.fullmatch(PO_PAT, v) is not None


DL_FORMATS = {'CA': r'[A-Z]\d{7}', 'TX': r'\d{8}', 'NY': r'\d{9}', 'FL': r'[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d',
              'IL': r'[A-Z]\d{3}-\d{4}-\d{4}', 'OH': r'[A-Z]{2}\d{6}', 'PA': r'\d{8}', 'AZ': r'[A-Z]\d{8}',
              'WA': r'WDL[A-Z0-9]{9}'}


def dl_ok(v):
    return any(re.fullmatch(p, v) for p in DL_FORMATS.values())


def email_ok(v):
    return re.fullmatch(r'[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.example', v) is not None


def name_ok(v):
    return len(v) >= 4 and all(c.isalpha() or c in " '\u2019.,-" for c in v) and v[0].isalpha()


VALIDATORS = {
    'us_ssn': ssn_ok, 'npi': npi_ok, 'dea': dea_ok, 'mbi': mbi_ok, 'mrn': id_ok, 'member_id': id_ok,
    'icd10': lambda v: v in ICD10 and re.fullmatch(r'[A-TV-Z]\d[A-Z0-9](?:\.[A-Z0-9]{1,4})?', v) is not None,
    'cpt': lambda v: v in CPT, 'dob': dob_ok, 'phone': phone_ok, 'email': email_ok,
    'us_address': addr_ok, 'credit_card': cc_ok, 'aba_routing': aba_ok, 'drivers_license': dl_ok,
    'ndc': ndc_ok, 'patient_name': name_ok,
}

# ---------------------------------------------------------------------------
# Seeded generators
# ---------------------------------------------------------------------------
R = random.Random(SEED)
USED = set()


def pick(seq):
    return R.choice(seq)


def chance(p):
    return R.random() < p


def uniq(fn):
    for _ in range(1000):
        v = fn()
        if v not in USED:
            USED.add(v)
            return v
    raise RuntimeError('could not find a unique value')


def digits(n):
    return ''.join(str(R.randrange(10)) for _ in range(n))


def gen_ssn(style='-'):
    def f():
        while True:
            a = R.randrange(1, 900)
            if a != 666:
                break
        v = f'{a:03d}{style}{R.randrange(1, 100):02d}{style}{R.randrange(1, 10000):04d}'
        return v if ssn_ok(v) else f()
    return uniq(f)


def bad_ssn():
    a = pick(['000', '666', str(R.randrange(900, 1000))])
    g, s = f'{R.randrange(1, 100):02d}', f'{R.randrange(1, 10000):04d}'
    if chance(0.2):
        a, g = f'{R.randrange(100, 600)}', '00'
    v = f'{a}-{g}-{s}'
    assert not ssn_ok(v)
    return v


def _npi_check(base9):
    for d in range(10):
        if luhn_ok('80840' + base9 + str(d)):
            return str(d)


def gen_npi(first=None):
    def f():
        base = (first or pick('12')) + digits(8)
        return base + _npi_check(base)
    return uniq(f)


def bad_npi(first=None):
    base = (first or pick('12')) + digits(8)
    good = _npi_check(base)
    v = base + pick([d for d in '0123456789' if d != good])
    assert not npi_ok(v)
    return v


def gen_dea(second, first=None):
    def f():
        d = [R.randrange(10) for _ in range(6)]
        chk = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
        return (first or pick('ABFGM')) + second + ''.join(map(str, d)) + str(chk)
    v = uniq(f)
    assert dea_ok(v)
    return v


def bad_dea(second):
    d = [R.randrange(10) for _ in range(6)]
    chk = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]) + R.randrange(1, 10)) % 10
    v = pick('ABF') + second + ''.join(map(str, d)) + str(chk)
    assert not dea_ok(v)
    return v


def gen_mbi(dashed=False):
    L, N = MBI_L, '0123456789'

    def f():
        s = (pick('123456789') + pick(L) + pick(L + N) + pick(N) + pick(L) + pick(L + N) + pick(N)
             + pick(L) + pick(L) + pick(N) + pick(N))
        return f'{s[:4]}-{s[4:7]}-{s[7:]}' if dashed else s
    v = uniq(f)
    assert mbi_ok(v), v
    return v


def bad_mbi():
    # right shape, but contains a forbidden letter (S L O I B Z)
    s = list(gen_mbi().replace('-', ''))
    USED.discard(''.join(s))
    s[1] = pick('SLOIBZ')
    v = ''.join(s)
    assert not mbi_ok(v)
    return v


def gen_aba():
    def f():
        p = pick(list(range(1, 13)) + list(range(21, 33)) + list(range(61, 73)) + [80])
        d = [int(c) for c in f'{p:02d}'] + [R.randrange(10) for _ in range(6)]
        s = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
        d.append((-s) % 10)
        return ''.join(map(str, d))
    v = uniq(f)
    assert aba_ok(v)
    return v


def bad_aba():
    v = gen_aba()
    v = v[:8] + str((int(v[8]) + R.randrange(1, 10)) % 10)
    assert not aba_ok(v)
    return v


def _luhn_complete(prefix, length):
    body = prefix + digits(length - len(prefix) - 1)
    for d in '0123456789':
        if luhn_ok(body + d):
            return body + d


def gen_card(kind=None, sep=None):
    kind = kind or pick(['visa', 'visa', 'mc', 'mc', 'amex'])
    sep = pick([' ', '-', '']) if sep is None else sep

    def f():
        if kind == 'visa':
            d = _luhn_complete('4', 16)
        elif kind == 'mc':
            d = _luhn_complete(pick(['51', '52', '53', '54', '55', '2221', '2368', '2720']), 16)
        else:
            d = _luhn_complete(pick(['34', '37']), 15)
        if len(d) == 15:
            return sep.join([d[:4], d[4:10], d[10:]])
        return sep.join([d[i:i + 4] for i in range(0, 16, 4)])
    v = uniq(f)
    assert cc_ok(v)
    return v


def bad_card16(sep=' '):
    while True:
        d = pick('45') + digits(15)
        if not luhn_ok(d):
            break
    v = sep.join([d[i:i + 4] for i in range(0, 16, 4)])
    assert not cc_ok(v)
    return v


def gen_ndc():
    shape = pick([(4, 4, 2), (5, 3, 2), (5, 4, 1)])
    return uniq(lambda: '-'.join(digits(n) for n in shape))


def gen_id(prefix='', n=8):
    return uniq(lambda: prefix + digits(n))


def gen_mrn():
    style = R.randrange(6)
    if style == 0:
        return gen_id('', 8)
    if style == 1:
        return gen_id(pick(['A', 'M', 'E', 'K']), 7)
    if style == 2:
        return gen_id(pick(['HH', 'BH', 'QC', 'SB', 'FW']), 7)
    if style == 3:
        return gen_id('', 7)
    if style == 4:
        return gen_id('00', 6)
    return gen_id(pick(['MR', 'CB']), 8)


def gen_member(prefix=None):
    style = R.randrange(5)
    if prefix:
        return gen_id(prefix, 12 - len(prefix) if len(prefix) > 2 else 9)
    if style == 0:
        return gen_id(pick(['XHB', 'KMH', 'PSM', 'YRE']), 9)
    if style == 1:
        return gen_id(pick(['W', 'H', 'U']), 9)
    if style == 2:
        return gen_id('', 11)
    if style == 3:
        return uniq(lambda: pick(['ZGP', 'KYM', 'SHA']) + digits(6) + pick(['01', '02', '03']))
    return gen_id(pick(['MCD', 'PSH']), 8)


def gen_dl(state):
    pat = DL_FORMATS[state]

    def f():
        if state == 'CA':
            return pick('ABCDEFGNSY') + digits(7)
        if state in ('TX', 'PA'):
            return pick('123456789') + digits(7)
        if state == 'NY':
            return pick('123456789') + digits(8)
        if state == 'FL':
            return f'{pick("BGMRSTW")}{digits(3)}-{digits(3)}-{digits(2)}-{digits(3)}-{digits(1)}'
        if state == 'IL':
            return f'{pick("BGMRSTW")}{digits(3)}-{digits(4)}-{digits(4)}'
        if state == 'OH':
            return pick(['RT', 'SB', 'TK', 'PV']) + digits(6)
        if state == 'AZ':
            return pick('ABDJ') + digits(8)
        if state == 'WA':
            return 'WDL' + ''.join(pick('ABCDEFGHJKMNPQRSTVWXYZ0123456789') for _ in range(9))
    v = uniq(f)
    assert re.fullmatch(pat, v)
    return v


def new_phone(area):
    def f():
        while True:
            e = f'{R.randrange(200, 1000)}'
            if e[1:] != '11' and e != '555':
                break
        return (area, e, digits(4))
    return uniq(f)


def bad_phone():
    """Phone-shaped, but exchange or area code starts with 0/1."""
    if chance(0.5):
        return (f'{R.randrange(200, 990)}', f'{pick("01")}{digits(2)}', digits(4))
    return (f'{pick("01")}{digits(2)}', f'{R.randrange(200, 990)}', digits(4))


PHONE_STYLES = ['({0}) {1}-{2}', '{0}-{1}-{2}', '{0}.{1}.{2}', '+1 {0} {1} {2}', '{0}-{1}-{2}',
                '({0}) {1}-{2}', '{0} {1} {2}', '+1 ({0}) {1}-{2}']


def fmt_phone(t, style=None):
    if style is None:
        style = R.choice([0, 0, 1, 1, 2, 3, 5, 6, 7])
    return PHONE_STYLES[style].format(*t)


STREET_NAMES = ['Juniper Ridge', 'Elm', 'Oak Hollow', 'Cedar Crest', 'Willow Bend', 'Magnolia',
                'Harbor View', 'Sycamore', 'Prairie Wind', 'Old Mill', 'Bluebonnet', 'Foxglove',
                'Quarry', 'Aspen Glen', 'Riverside', 'Chestnut', 'Hawthorn', 'Larkspur', 'Briarwood',
                'Copper Canyon', 'Meadowlark', 'Sandpiper', 'Kingfisher', 'Stonegate', 'Tamarack',
                'Orchard', 'Lincoln', 'Fairview', 'Mockingbird', '3rd', 'Pecan Grove', 'Saint Clair',
                'Wildflower', 'Hillcrest', 'Bramble', 'Dogwood', 'Heron Bay', 'Lakeview', 'Granite']
STREET_SUFFIXES = ['St', 'Street', 'Ave', 'Avenue', 'Rd', 'Road', 'Ln', 'Lane', 'Dr', 'Drive', 'Ct',
                   'Blvd', 'Way', 'Pl', 'Terrace', 'Cir', 'Pkwy', 'Trail', 'Loop', 'Court']


def gen_street(po=0.0):
    if chance(po):
        return uniq(lambda: pick(['PO Box', 'P.O. Box']) + ' ' + str(R.randrange(10, 9999)))

    def f():
        num = str(pick([R.randrange(1, 100), R.randrange(100, 1000), R.randrange(1000, 10000),
                        R.randrange(1000, 30000)]))
        d = pick(DIRS) + ' ' if chance(0.25) else ''
        return f'{num} {d}{pick(STREET_NAMES)} {pick(STREET_SUFFIXES)}'
    v = uniq(f)
    assert addr_ok(v), v
    return v


CITIES = [('Springfield', 'IL', '62704', '217'), ('Dayton', 'OH', '45409', '937'),
          ('Fresno', 'CA', '93721', '559'), ('Tacoma', 'WA', '98402', '253'),
          ('Albany', 'NY', '12208', '518'), ('Tucson', 'AZ', '85719', '520'),
          ('Austin', 'TX', '78704', '512'), ('Erie', 'PA', '16501', '814'),
          ('Gainesville', 'FL', '32601', '352'), ('Peoria', 'IL', '61602', '309'),
          ('Akron', 'OH', '44308', '330'), ('Modesto', 'CA', '95354', '209'),
          ('Spokane', 'WA', '99201', '509'), ('Utica', 'NY', '13501', '315'),
          ('Flagstaff', 'AZ', '86001', '928'), ('Waco', 'TX', '76701', '254'),
          ('Scranton', 'PA', '18503', '570'), ('Ocala', 'FL', '34471', '352')]

FIRST_NAMES = [('José', 'm'), ('Zoë', 'f'), ('Liam', 'm'), ('María', 'f'), ('Siobhan', 'f'), ('Aarav', 'm'),
               ('Chloé', 'f'), ('Dmitri', 'm'), ('Fatima', 'f'), ('Kenji', 'm'), ('Amara', 'f'),
               ('Björn', 'm'), ('Renée', 'f'), ('Thanh', 'm'), ('Lucía', 'f'), ('Declan', 'm'),
               ('Ngozi', 'f'), ('Mateo', 'm'), ('Ingrid', 'f'), ('Yusuf', 'm'), ('Priya', 'f'),
               ('Tomás', 'm'), ('Aoife', 'f'), ('Hiroshi', 'm'), ('Beatriz', 'f'), ('Malik', 'm'),
               ('Søren', 'm'), ('Imani', 'f'), ('Rafael', 'm'), ('Ximena', 'f'), ('Elif', 'f'),
               ('Otis', 'm'), ('Camila', 'f'), ('Anh', 'f'), ('Joaquín', 'm'), ('Wren', 'f'),
               ('Dolores', 'f'), ('Kwame', 'm'), ('Esperanza', 'f'), ('Niamh', 'f'), ('Raúl', 'm'),
               ('Hana', 'f'), ('Gideon', 'm'), ('Leilani', 'f'), ('Inês', 'f'), ('Callum', 'm'),
               ('Marisol', 'f'), ('Teodora', 'f'), ('Ravi', 'm'), ('Eamon', 'm'), ('Mei-Ling', 'f'),
               ('Jean-Luc', 'm'), ('Oluwaseun', 'm'), ('Consuelo', 'f'), ('Ezra', 'm')]
LAST_NAMES = ['Nguyễn', "O'Brien", 'de la Cruz', 'Van Buren', 'García-López', 'Smith-Whitaker',
              'Okafor', 'Kowalski', 'Ramírez', 'Haddad', 'Fitzgerald', 'Lindqvist', 'Thornbury',
              'Patel', 'Müller', 'Castillo-Reyes', "D'Angelo", 'MacAllister', 'Ortega', 'Trần',
              'Abernathy', 'Delacroix', 'Yamamoto', 'Oyelaran', 'Brennan-Hughes', 'Szymańska',
              'Peña', 'van der Berg', 'Achterberg', 'Kaur', 'Moreau', 'Dubois-Lambert', 'Ferreira',
              'Novak', 'Quintanilla', 'Halvorsen', 'Rosales', 'Alvarado', 'Papadopoulos', 'Ibáñez',
              'Sørensen', 'Whitfield', 'Zamora', 'Lévesque', 'Osei-Bonsu', 'Villanueva', 'Chávez',
              'Iwu', 'St. Germain', "O'Keefe", 'Del Rosario', 'Nakamura-Lee', 'Van Dyke', 'Łukasik']
STAFF_FIRST = ['Karen', 'Doug', 'Melissa', 'Trevor', 'Alicia', 'Howard', 'Janine', 'Marcus', 'Denise',
               'Phil', 'Rhonda', 'Stuart', 'Gwen', 'Lorraine', 'Neil', 'Tamsin', 'Bernard', 'Colette',
               'Vikram', 'Shauna', 'Russell', 'Bethany', 'Curtis', 'Daphne']
STAFF_LAST = ['Pruitt', 'Hollis', 'Garrity', 'Blevins', 'Somers', 'Kettering', 'Ashdown', 'Fairbanks',
              'Lowry', 'Mendenhall', 'Strickland', 'Yates', 'Crowder', 'Pennington', 'Radcliffe',
              'Whitlock', 'Eldridge', 'Tolliver', 'Hargrove', 'Beaumont', 'Crane', 'Dunmore',
              'Langley', 'Sutter']
PT_DOMAINS = ['mail.example', 'inbox.example', 'postbox.example', 'webmail.example', 'fastmail.example']
AGES = {'school': (2013, 2019), 'child': (2008, 2020), 'teen': (2006, 2012), 'adult': (1950, 2004), 'senior': (1932, 1959),
        'any': (1940, 2006), 'young': (1985, 2004)}
DOB_FMTS = ['mdy0', 'mdy0', 'mdy', 'mdy', 'mdy-', 'iso', 'long', 'short', 'dmy']


def fmt_date(d, fmt):
    if fmt == 'mdy0':
        return f'{d.month:02d}/{d.day:02d}/{d.year}'
    if fmt == 'mdy':
        return f'{d.month}/{d.day}/{d.year}'
    if fmt == 'mdy-':
        return f'{d.month:02d}-{d.day:02d}-{d.year}'
    if fmt == 'iso':
        return d.isoformat()
    if fmt == 'long':
        return f'{MONTHS[d.month - 1]} {d.day}, {d.year}'
    if fmt == 'short':
        return f'{MON3[d.month - 1]} {d.day}, {d.year}'
    if fmt == 'dmy':
        return f'{d.day} {MONTHS[d.month - 1]} {d.year}'
    raise ValueError(fmt)


def ascii_fold(s):
    return ''.join(c for c in unicodedata.normalize('NFKD', s) if not unicodedata.combining(c)).replace('Ł', 'L').replace('ł', 'l').replace('ø', 'o').replace('Ø', 'O').replace('\u2019', '')


class Person:
    def __init__(self, m, age='adult', gender=None):
        for _ in range(2000):
            first, g = pick(FIRST_NAMES)
            last = pick(LAST_NAMES)
            if (gender is None or g == gender) and first not in m.used_first and last not in m.used_last:
                break
        m.used_first.add(first)
        m.used_last.add(last)
        self.first, self.last, self.g = first, last, g
        self.mi = pick('ABCDEFGHJKLMNPRTW')
        lo, hi = AGES[age]
        span = (date(hi, 12, 31) - date(lo, 1, 1)).days
        self.dob_d = date(lo, 1, 1) + timedelta(days=R.randrange(span))
        self.city = pick(CITIES)
        self._phone = new_phone(self.city[3])
        self._cache = {}

    def _c(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    # names
    def full(self):
        return f'{self.first} {self.last}'

    def full_mi(self):
        return f'{self.first} {self.mi}. {self.last}'

    def lf(self):
        return f'{self.last}, {self.first}'

    def LF(self):
        return self.lf().upper()

    def FULL(self):
        return self.full().upper()

    def mr(self):
        return ('Ms. ' if self.g == 'f' else 'Mr. ') + self.last

    @property
    def he(self):
        return 'she' if self.g == 'f' else 'he'

    @property
    def his(self):
        return 'her' if self.g == 'f' else 'his'

    @property
    def him(self):
        return 'her' if self.g == 'f' else 'him'

    @property
    def son(self):
        return 'daughter' if self.g == 'f' else 'son'

    # identifiers
    def dob(self, fmt=None):
        return fmt_date(self.dob_d, fmt or pick(DOB_FMTS))

    def phone(self, style=None):
        return fmt_phone(self._phone, style)

    def cell(self, style=None):
        return fmt_phone(self._c('cell', lambda: new_phone(self.city[3])), style)

    def email(self):
        def f():
            a = ascii_fold(self.first).lower().replace('-', '')
            b = ascii_fold(self.last).lower().replace(' ', '').replace("'", '').replace('.', '')
            style = R.randrange(4)
            local = [f'{a}.{b}', f'{a[0]}{b}{R.randrange(10, 99)}', f'{b}.{a}', f'{a}{b[0]}{R.randrange(1960, 2005)}'][style]
            return f'{local}@{pick(PT_DOMAINS)}'
        return self._c('email', f)

    def street(self, po=0.0):
        return self._c('street', lambda: gen_street(po))

    def city_line(self, plus4=False):
        c, st, z, _ = self.city
        if plus4:
            z = self._c('zip4', lambda: f'{z}-{digits(4)}')
        return f'{c}, {st} {z}'

    def mrn(self):
        return self._c('mrn', gen_mrn)

    def member(self, prefix=None):
        return self._c('member', lambda: gen_member(prefix))

    def ssn(self, style='-'):
        return self._c('ssn' + style, lambda: gen_ssn(style))

    def ssn_last4(self):
        return self.ssn()[-4:]

    def mbi(self, dashed=False):
        raw = self._c('mbi', gen_mbi)
        return f'{raw[:4]}-{raw[4:7]}-{raw[7:]}' if dashed else raw

    def dl(self, state=None):
        return self._c('dl', lambda: gen_dl(state or (self.city[1] if self.city[1] in DL_FORMATS else 'CA')))

    @property
    def state(self):
        return self.city[1]


class Practice:
    def __init__(self, name, domain, city_idx, suite=None, po=False):
        self.name, self.domain = name, domain
        self.city = CITIES[city_idx]
        self._phone = new_phone(self.city[3])
        self._fax = new_phone(self.city[3])
        self.street = gen_street(1.0 if po else 0.0)
        self.suite = suite
        self.npi = gen_npi('1')
        self.zip4 = f'{self.city[2]}-{digits(4)}'

    def phone(self, style=None):
        return fmt_phone(self._phone, style)

    def fax(self, style=None):
        return fmt_phone(self._fax, style)

    def city_line(self, plus4=False):
        c, st, z, _ = self.city
        return f'{c}, {st} {self.zip4 if plus4 else z}'


class Staff:
    def __init__(self, m, pr=None, cred='', title=''):
        for _ in range(1000):
            first, last = pick(STAFF_FIRST), pick(STAFF_LAST)
            if first not in m.used_first and last not in m.used_last:
                break
        m.used_first.add(first)
        m.used_last.add(last)
        self.first, self.last, self.cred, self.title = first, last, cred, title
        self.pr = pr
        self.ext = str(R.randrange(201, 899))
        self._npi = self._dea = None
        self.mail = f'{first[0].lower()}{last.lower()}@{pr.domain}' if pr else None

    @property
    def name(self):
        return f'{self.first} {self.last}'

    def dr(self):
        return f'Dr. {self.last}'

    def signed(self):
        return f'{self.first} {self.last}, {self.cred}' if self.cred else self.name

    def npi(self):
        if not self._npi:
            self._npi = gen_npi()
        return self._npi

    def dea(self):
        if not self._dea:
            self._dea = gen_dea(self.last[0].upper())
        return self._dea


# ---------------------------------------------------------------------------
# Labelled values: V() embeds a marker that build() records and strips.
# ---------------------------------------------------------------------------

def V(t, val):
    assert t in VALIDATORS, t
    assert VALIDATORS[t](val), (t, val)
    assert unicodedata.normalize('NFKC', val) == val, val
    return f'\x00{t}\x01{val}\x02'


MARK = re.compile('\x00([a-z_0-9]+)\x01(.*?)\x02', re.S)


def strip_marks(text, labels, is_html=False):
    def rep(mo):
        t, val = mo.group(1), mo.group(2)
        labels[t].append(html.unescape(re.sub(r'<[^>]*>', '', val)) if is_html else val)
        return val
    return MARK.sub(rep, text)


def esc(s):
    return html.escape(s, quote=True)


def render_plain(blocks):
    out = []
    for b in blocks:
        k = b[0]
        if k == 'p':
            out += [b[1], '']
        elif k == 'kv':
            sep = b[2] if len(b) > 2 else ': '
            out += [f'{lab}{sep}{val}' for lab, val in b[1]] + ['']
        elif k == 'h':
            out += [b[1], '-' * len(MARK.sub(lambda mo: mo.group(2), b[1]))]
        elif k == 'ul':
            out += [f'  * {it}' for it in b[1]] + ['']
        elif k == 'ol':
            out += [f'  {i}. {it}' for i, it in enumerate(b[1], 1)] + ['']
        elif k == 'table':
            heads, rows = b[1], b[2]
            style = b[3] if len(b) > 3 else 'pipe'
            if style == 'pipe':
                out.append(' | '.join(heads))
                out.append('-' * 60)
                out += [' | '.join(r) for r in rows]
            else:  # records
                for i, r in enumerate(rows, 1):
                    out.append(f'{i})  ' + '; '.join(f'{h}: {c}' for h, c in zip(heads, r)))
            out.append('')
        elif k == 'sig':
            out += ['--'] + b[1]
        elif k == 'raw':
            out.append(b[1])
    return '\n'.join(out).rstrip() + '\n'


def render_html(blocks, title=None):
    out = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">']
    if title:
        out.append(f'<title>{esc(title)}</title>')
    out.append('<style>th{background:#e8eef4;text-align:left} td,th{padding:3px 8px}</style>')
    out.append('</head><body style="font-family:Segoe UI,Arial,sans-serif;font-size:13px">')
    for b in blocks:
        k = b[0]
        if k == 'p':
            out.append('<p>' + esc(b[1]).replace('\n', '<br>\n') + '</p>')
        elif k == 'kv':
            out.append('<p>' + '<br>\n'.join(f'<b>{esc(lab)}:</b> {esc(val)}' for lab, val in b[1]) + '</p>')
        elif k == 'h':
            out.append(f'<h3>{esc(b[1])}</h3>')
        elif k in ('ul', 'ol'):
            out.append(f'<{k}>' + ''.join(f'<li>{esc(it)}</li>' for it in b[1]) + f'</{k}>')
        elif k == 'table':
            heads, rows = b[1], b[2]
            t = ['<table border="1" cellspacing="0">', '<tr>' + ''.join(f'<th>{esc(h)}</th>' for h in heads) + '</tr>']
            t += ['<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in r) + '</tr>' for r in rows]
            out.append('\n'.join(t) + '\n</table>')
        elif k == 'sig':
            out.append('<p style="color:#555;font-size:12px">' + '<br>\n'.join(esc(x) for x in b[1]) + '</p>')
        elif k == 'raw':
            out.append('<pre>' + esc(b[1]) + '</pre>')
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


class Msg:
    def __init__(self, idx, kind):
        self.idx, self.kind = idx, kind
        self.subject = ''
        self.plain = None
        self.html = None
        self.attachments = []   # (filename, subtype, text)
        self.inner = None       # (from, to, subject, date, body) forwarded as message/rfc822
        self.frm = self.to = self.cc = None
        self.cte = None
        self.html_cte = None
        self.charset = 'utf-8'
        self.allow = set()      # intentional look-alikes the lint must not flag
        self.used_first, self.used_last = set(), set()
        self.reply = False
        self.people = []        # patients: every full-name occurrence must be labelled

    def patient(self, age='adult', gender=None):
        p = Person(self, age, gender)
        self.people.append(p)
        return p

    def relative(self, age='adult', gender=None):
        return Person(self, age, gender)

    def staff(self, pr=None, cred='', title=''):
        return Staff(self, pr, cred, title)

    def both(self, blocks, title=None):
        self.plain = render_plain(blocks)
        self.html = render_html(blocks, title)


def appt_dt(year=None):
    base = datetime(year or pick([2024, 2025, 2025]), 1, 1)
    d = base + timedelta(days=R.randrange(0, 360))
    return d.replace(hour=pick([7, 8, 9, 10, 11, 13, 14, 15, 16]), minute=pick([0, 15, 20, 30, 40, 45]))


def fmt_appt(d, style=None):
    style = R.randrange(5) if style is None else style
    h12 = d.strftime('%I:%M').lstrip('0') + (' AM' if d.hour < 12 else ' PM')
    if style == 0:
        return f"{d.strftime('%A')}, {MONTHS[d.month - 1]} {d.day}, {d.year} at {h12}"
    if style == 1:
        return f'{d.month}/{d.day}/{d.year} {h12}'
    if style == 2:
        return f"{d.strftime('%a')} {MON3[d.month - 1]} {d.day} @ {h12}"
    if style == 3:
        return f"{d.strftime('%Y-%m-%d %H:%M')}"
    return f'{d.month:02d}/{d.day:02d}/{d.year} at {h12}'


def svc_date(style=None):
    d = datetime(2024, 1, 1) + timedelta(days=R.randrange(0, 516))
    style = R.randrange(3) if style is None else style
    return [f'{d.month:02d}/{d.day:02d}/{d.year}', f'{d.month}/{d.day}/{d.year}', d.strftime('%Y-%m-%d')][style]

# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------
PR = {
    'dental': [Practice('Brightwater Family Dentistry', 'brightwater-dental.example', 0, 'Suite 204'),
               Practice('Cedar Lane Pediatric Dental', 'cedarlane-kidsdental.example', 6)],
    'oms': [Practice('Tri-County Oral & Maxillofacial Surgery', 'tricounty-oms.example', 0, 'Suite 300')],
    'bh': [Practice('Lakeshore Counseling Collective', 'lakeshore-counseling.example', 3, 'Suite 3B'),
           Practice('Pinecrest Behavioral Health', 'pinecrest-bh.example', 1)],
    'hosp': [Practice('St. Brigid Regional Medical Center', 'stbrigid-health.example', 9)],
    'hh': [Practice('Evening Star Home Health', 'eveningstar-hh.example', 10),
           Practice('Caring Hands Home Care', 'caringhands-hc.example', 7)],
    'rx': [Practice('Cornerstone Pharmacy #118', 'cornerstone-rx.example', 11),
           Practice('Parkway Apothecary', 'parkway-apothecary.example', 4)],
    'school': [Practice('Maple Grove Unified School District', 'maplegrove-usd.example', 12)],
    'pt': [Practice('Kinetic Path Physical Therapy', 'kineticpath-pt.example', 5, 'Suite 110'),
           Practice('Riverbend Sports & Spine PT', 'riverbend-pt.example', 14)],
    'uc': [Practice('QuickCare Urgent Care – Eastgate', 'quickcare-uc.example', 2),
           Practice('NorthPoint Walk-In Clinic', 'northpoint-walkin.example', 15)],
    'rad': [Practice('Summit Imaging Associates', 'summit-imaging.example', 8, 'Suite 150')],
    'pcp': [Practice('Fernwood Internal Medicine', 'fernwood-im.example', 13),
            Practice('Little Sprouts Pediatrics', 'littlesprouts-peds.example', 15),
            Practice('Harborside Family Medicine', 'harborside-fm.example', 16, 'Suite 2')],
    'payer': [Practice('Keystone Mutual Health Plan', 'keystonemutual.example', 7, po=True),
              Practice('Prairie Shield Medicaid', 'prairieshield.example', 0, po=True),
              Practice('Silver Harbor Medicare Advantage', 'silverharbor-ma.example', 17, po=True)],
    'law': [Practice('Pemberton Kline Law Group', 'pemberton-kline.example', 6, 'Suite 1200')],
    'roi': [Practice('VeriCopy Health Information Services', 'vericopy-his.example', 2, po=True)],
    'ehr': [Practice('ChartBridge EHR', 'chartbridge.example', 3)],
    'ch': [Practice('ClaimStream Clearinghouse', 'claimstream.example', 6)],
}

DRUGS = [  # name, strength/form, controlled schedule or ''
    ('lisinopril', '10 mg tablet', ''), ('atorvastatin', '40 mg tablet', ''), ('metformin ER', '500 mg tablet', ''),
    ('sertraline', '50 mg tablet', ''), ('levothyroxine', '75 mcg tablet', ''), ('amlodipine', '5 mg tablet', ''),
    ('omeprazole', '20 mg capsule', ''), ('albuterol HFA', '90 mcg/actuation inhaler', ''),
    ('escitalopram', '10 mg tablet', ''), ('montelukast', '10 mg tablet', ''),
]
CONTROLLED = [('methylphenidate ER', '36 mg tablet', 'CII'), ('oxycodone', '5 mg tablet', 'CII'),
              ('alprazolam', '0.5 mg tablet', 'CIV'), ('lorazepam', '1 mg tablet', 'CIV'),
              ('buprenorphine/naloxone', '8 mg/2 mg film', 'CIII'), ('lisdexamfetamine', '30 mg capsule', 'CII'),
              ('tramadol', '50 mg tablet', 'CIV')]
SPECIALTY = [('semaglutide (Ozempic)', '0.5 mg/dose pen', ''), ('adalimumab (Humira)', '40 mg/0.4 mL pen', ''),
             ('dupilumab (Dupixent)', '300 mg/2 mL syringe', ''), ('tirzepatide (Mounjaro)', '5 mg/0.5 mL pen', ''),
             ('apixaban (Eliquis)', '5 mg tablet', '')]


def sig(st, pr, style=None, addr=False, fax=True, mail=None, npi=False):
    """Signature lines (with markers). Staff names are never labelled."""
    style = R.randrange(5) if style is None else style
    lines = []
    if style == 0:
        lines += [st.signed(), st.title or pr.name]
        if st.title:
            lines.append(pr.name)
        if addr:
            lines += [V('us_address', pr.street) + (f', {pr.suite}' if pr.suite else ''), pr.city_line(chance(0.4))]
        ph = f"P {V('phone', pr.phone(0))}"
        if fax:
            ph += f" | F {V('phone', pr.fax(0))}"
        lines.append(ph)
    elif style == 1:
        lines += [st.name + (f', {st.cred}' if st.cred else ''), f'{st.title + " | " if st.title else ""}{pr.name}']
        lines.append(f"Tel: {V('phone', pr.phone(1))} ext. {st.ext}" + (f"   Fax: {V('phone', pr.fax(1))}" if fax else ''))
        if addr:
            lines.append(f"{V('us_address', pr.street)}, {pr.city_line()}")
    elif style == 2:
        lines += [f'{st.first} {st.last[0]}.', f"{pr.name} · {V('phone', pr.phone(2))}"]
        if fax:
            lines.append(f"fax {V('phone', pr.fax(2))}")
        if addr:
            lines.append(f"{V('us_address', pr.street)} · {pr.city_line()}")
    elif style == 3:
        lines += [st.signed(), pr.name, f"main  {V('phone', pr.phone(3))}"]
        if fax:
            lines.append(f"fax   {V('phone', pr.fax(3))}")
        if addr:
            lines.append(f"{V('us_address', pr.street)}" + (f', {pr.suite}' if pr.suite else '') + f', {pr.city_line(True)}')
    else:
        lines += [f'{st.name.upper()}' + (f' {st.cred}' if st.cred else ''), pr.name.upper()]
        lines.append(f"PH {V('phone', pr.phone(1))}" + (f" / FAX {V('phone', pr.fax(1))}" if fax else ''))
        if addr:
            lines.append(f"{V('us_address', pr.street)}, {pr.city_line()}")
    if npi:
        lines.append(f"NPI {V('npi', st.npi())}")
    if mail is None:
        mail = chance(0.35)
    if mail and st.mail:
        lines.append(V('email', st.mail))
    return lines


def quote(text, depth=1):
    pre = '>' * depth + ' '
    return '\n'.join((pre + ln) if ln else '>' * depth for ln in text.rstrip('\n').split('\n'))


def hdr_date(d):
    return f"{d.strftime('%a')}, {MON3[d.month - 1]} {d.day}, {d.year} at {d.strftime('%I:%M').lstrip('0')} {'AM' if d.hour < 12 else 'PM'}"


# ===========================================================================
# Positive templates: one to three identifiers
# ===========================================================================

def t_dental_reminder(m):
    pr = PR['dental'][0]
    p = m.patient('any')
    hyg = m.staff(pr, 'RDH')
    a = appt_dt(2025)
    m.frm = (pr.name, f'reminders@{pr.domain}')
    m.to = (p.full(), p.email())
    var = R.randrange(3)
    if var == 0:
        m.subject = f'Appointment reminder - {pr.name}'
        m.plain = f"""Hello {p.first},

This is a reminder of your upcoming visit.

    Patient:     {V('patient_name', p.full())}
    When:        {fmt_appt(a, 0)}
    Provider:    {hyg.name}, {hyg.cred}
    Scheduled:   periodic exam (D0120), adult prophylaxis (D1110), bitewings (D0274)

Please arrive 10 minutes early to update your health history. To reschedule,
call {V('phone', pr.phone(0))} at least 24 hours ahead; late cancellations are
charged a $45.00 fee.

{pr.name}
{V('us_address', pr.street)}, {pr.suite}
{pr.city_line(True)}
"""
    elif var == 1:
        m.subject = f"Recall: {V('patient_name', p.full())} is due for a cleaning"
        m.plain = f"""Hi there,

Our records show it has been more than 12 months since {p.first}'s last
cleaning and exam (last visit 02/14/2024). Insurance plans usually cover two
preventive visits per calendar year, so now is a good time to book.

Online booking: https://{pr.domain}/book   (code RECALL-25)
Or call us: {V('phone', pr.phone(2))}, Mon-Thu 7:30 AM - 5:00 PM

Thank you!
{hyg.first}, front office
"""
    else:
        m.subject = 'Please confirm your appointment'
        m.plain = f"""{pr.name.upper()} - APPOINTMENT CONFIRMATION

Patient: {V('patient_name', p.LF())}
Date/Time: {fmt_appt(a, 1)}
Operatory: 4   Est. length: 60 min
Procedure codes on file: D0150, D0330

Reply C to confirm or R to reschedule. Questions? {V('phone', pr.phone(1))}
This mailbox is not monitored for clinical questions.
"""


def t_dental_estimate(m):
    pr = PR['dental'][0]
    payer = pick(PR['payer'][:1])
    p = m.patient('any')
    mgr = m.staff(pr, '', 'Office Manager')
    codes = R.sample(['D2391', 'D2740', 'D4341', 'D7140', 'D0330', 'D1206'], 3)
    fees = [CDT_FEES[c] + R.randrange(0, 40) for c in codes]
    ins = [round(f * pick([0.5, 0.8, 0.6]), 2) for f in fees]
    lines = '\n'.join(f'  {c:<7}{CDT[c]:<50}${f:>8,.2f}   est. ins ${i:>8,.2f}' for c, f, i in zip(codes, fees, ins))
    mem_lab = pick(['Member ID', 'Subscriber ID', 'member #', 'Insurance ID'])
    m.frm = (mgr.name, mgr.mail)
    m.to = (p.full(), p.email())
    m.subject = pick(['Your treatment estimate', 'Pre-determination results', 'Treatment plan & estimate'])
    m.plain = f"""Hi {p.first},

As promised, here is the estimate for the treatment Dr. {pick(STAFF_LAST)} discussed at
your visit. We sent a pre-determination to {payer.name} (pre-D reference
PD-{digits(9)}) and this reflects their response.

Patient: {V('patient_name', p.full())}
Plan: {payer.name} PPO Dental
{mem_lab}: {V('member_id', p.member())}
Group #: {digits(6)}

{lines}

Estimated patient portion: ${sum(fees) - sum(ins):,.2f}
This is an estimate only; your plan's annual maximum ($1,500.00) and
frequency limits still apply.

Let me know if you'd like to split treatment over two visits.

{mgr.first}
{mgr.title}, {pr.name}
"""


def t_bh_reschedule(m):
    pr = pick(PR['bh'])
    p = m.patient('adult')
    th = m.staff(pr, pick(['LCSW', 'LPC', 'PsyD', 'LMFT']))
    a = appt_dt(2025)
    m.frm = (th.name, th.mail)
    m.to = (p.full(), p.email())
    m.subject = pick(['Session moved to telehealth', 'Change to next week', 'Your session time'])
    mid = f'{R.randrange(810, 899)} {digits(4)} {digits(4)}'
    m.allow.add(mid)
    m.plain = f"""Hi {p.first},

I need to move our in-person session to telehealth this week. Same time:
{fmt_appt(a, 2)}.

Client: {V('patient_name', p.full())}
Video link: https://telehealth.{pr.domain}/j/{digits(10)}
Meeting ID: {mid}   Passcode: {digits(6)}

If the link gives you trouble, call the office at {V('phone', pr.phone())} and
we'll switch to phone. If you are in crisis, call or text 988 any time.

Take care,
{th.signed()}
"""


def t_billing_statement(m):
    pr = PR['hosp'][0]
    p = m.patient('adult')
    rep = m.staff(pr, '', 'Patient Account Representative')
    acct = digits(9)
    dos = svc_date(0)
    orig = f"""Hello,

I received a statement dated {svc_date(1)} for ${R.randrange(40, 900)}.{digits(2)} for my ER visit on {dos}.
My insurance should have paid this. Account number {acct}.
My name is {V('patient_name', p.full())} and my date of birth is {V('dob', p.dob('mdy'))}.
Please call me at {V('phone', p.phone(1))}, I work nights so after 2pm is best.

Thanks
{p.first}
"""
    m.frm = (rep.name, f'pfs@{pr.domain}')
    m.to = (p.full(), p.email())
    m.subject = 'RE: question about my bill'
    m.plain = f"""Hi {p.mr()},

Thanks for reaching out. I see the claim for {dos} was denied by your plan
for coordination of benefits (claim {digits(4)}{digits(9)}). Once you update your
other-coverage questionnaire with the insurer, we will rebill. I have put a
60-day hold on the account so no further statements go out.

{rep.name}
{rep.title}
{pr.name} - Patient Financial Services
{V('phone', pr.phone(0))}, option 3

On {hdr_date(appt_dt(2025))}, {p.first} {p.last[0]}. wrote:
{quote(orig)}
"""


def t_hh_visit_change(m):
    pr = pick(PR['hh'])
    p = m.patient('senior')
    coord = m.staff(pr, '', 'Scheduling Coordinator')
    rn = m.staff(pr, 'RN')
    dtr = pick(['daughter', 'son', 'niece'])
    other = new_phone(p.city[3])
    m.frm = (coord.name, coord.mail)
    m.to = (rn.name, rn.mail)
    m.subject = pick(['visit change Thursday', 'Thurs SN visit moved', 'schedule change'])
    m.plain = f"""{rn.first} -

pt {V('patient_name', p.full())} asked to move Thursday's skilled nursing visit from
9:00 to 1:30 PM because of a cardiology appt in the morning. Address is the same,
{V('us_address', p.street())}; gate code is 4471#, park on the street.

Her {dtr} will be there and asked that you call her cell first:
{V('phone', fmt_phone(other, 1))}

OASIS recert is due 2/3, so please bring the tablet charged.

{coord.first}
"""


def t_rx_refill_patient(m):
    pr = pick(PR['rx'])
    p = m.patient('adult')
    drug = pick(DRUGS)
    rx = digits(7)
    var = R.randrange(3)
    m.frm = (p.full(), p.email())
    m.to = (pr.name, f'refills@{pr.domain}')
    if var == 0:
        m.subject = 'refill request'
        m.plain = f"""Hi, I need a refill on my {drug[0]} {drug[1].split()[0]} {drug[1].split()[1]}, Rx #{rx}.
My date of birth is {V('dob', p.dob('mdy'))}. I'm down to 3 pills.
Can you text or call me at {V('phone', p.phone(2))} when it's ready? I can
pick up after 5:30.

thank you,
{p.first}
"""
    elif var == 1:
        m.subject = f"Refill for {V('patient_name', p.full())}"
        m.plain = f"""Hello pharmacy team,

Please refill Rx {rx} ({drug[0]} {drug[1]}) for {V('patient_name', p.full())}.
DOB {V('dob', p.dob('mdy0'))}. Insurance hasn't changed.

If there are no refills left please fax Dr. {pick(STAFF_LAST)}'s office. I'd
like it mailed to the home address on file if possible.

{p.first}
"""
    else:
        mom = m.relative('adult', 'f')
        kid = p
        m.subject = 'Refill - my mother'
        m.plain = f"""Good morning,

I'm calling on behalf of my mother, she can't use email. Could you refill her
{drug[0]}? Rx number {rx}. Her name is {V('patient_name', kid.full())}, her date of birth
is {V('dob', kid.dob('mdy'))}. Last fill was about 30 days ago.

She is at home all day, the number there is {V('phone', kid.phone(0))}.

Thank you,
{mom.first}
"""
        m.to = (pr.name, f'refills@{pr.domain}')
        m.frm = (mom.full(), mom.email())


def grade(s):
    g = 2019 - s.dob_d.year
    return 'K' if g <= 0 else str(min(g, 6))


def t_school_injury(m):
    pr = PR['school'][0]
    s = m.patient('school')
    nurse = m.staff(pr, 'RN', 'School Nurse')
    teacher = m.staff(pr)
    m.frm = (nurse.name, nurse.mail)
    m.to = ('Parent/Guardian', s.email())
    m.subject = pick(['Health office visit today', 'Nurse note - playground injury', 'Note from the school nurse'])
    room = f'Room {pick("ABC")}{R.randrange(100, 240)}'
    m.plain = f"""Dear parent/guardian,

Student: {V('patient_name', s.full())}
Grade: {grade(s)}   Teacher: {pick(['Mr.', 'Ms.', 'Mrs.'])} {teacher.last} ({room})
Time seen: {pick(['10:42', '12:15', '1:05', '2:20'])}

{s.first} came to the health office after a fall on the playground and has a
scraped left knee. I cleaned the area, applied a bandage and an ice pack for 10
minutes. {s.he.capitalize()} returned to class. No head injury was reported.

Please watch for redness or swelling. You can reach me at {V('phone', pr.phone())}
ext. {nurse.ext} until 3:30 PM.

{nurse.name}, {nurse.cred}
{nurse.title}, {pick(['Lincoln', 'Hawthorne', 'Rosewood'])} Elementary
"""


def t_pt_cancel(m):
    pr = pick(PR['pt'])
    p = m.patient('adult')
    fd = m.staff(pr, '', 'Front Desk')
    pt = m.staff(pr, 'PT, DPT')
    t = pick(['3:30', '8:15', '11:00', '4:45'])
    m.frm = (fd.name, fd.mail)
    m.to = (pt.name, pt.mail)
    m.subject = pick(['cancel today', 'FYI - cancellation', 'your 3:30'])
    var = R.randrange(2)
    if var == 0:
        m.plain = f"""Hey {pt.first},

Pt {V('patient_name', p.full())} called to cancel today at {t} - sick kid at home. {p.he.capitalize()} wants
to keep Thursday. I told {p.him} the 24-hr policy but waived it this once since
it's the first time.

If you want to call {p.him} back: {V('phone', p.phone())}

{fd.first}
"""
    else:
        m.plain = f"""{pt.first} - your {t} cancelled ({V('patient_name', p.lf())}), so you have an
opening. I offered it to the waitlist, no takers yet. Visit 7 of 12 authorized.

{fd.first}
"""


def t_uc_work_note(m):
    pr = pick(PR['uc'])
    p = m.patient('young')
    doc = m.staff(pr, pick(['PA-C', 'MD', 'FNP-C']))
    vdd = datetime(2024, 1, 1) + timedelta(days=R.randrange(0, 500))
    vd = f'{vdd.month:02d}/{vdd.day:02d}/{vdd.year}'
    rd = vdd + timedelta(days=pick([1, 2, 3, 7]))
    m.frm = (pr.name, f'noreply@{pr.domain}')
    m.to = (p.full(), p.email())
    m.subject = pick(['Your work/school excuse', 'Work note from your visit'])
    m.plain = f"""WORK / SCHOOL EXCUSE

Patient: {V('patient_name', p.full())}
Date of visit: {vd}

The above patient was evaluated at {pr.name} on {vd} and may return to
work/school on {rd.month:02d}/{rd.day:02d}/{rd.year} without restrictions.

{doc.signed()}
{pr.name}
{V('us_address', pr.street)}, {pr.city_line()}
Questions: {V('phone', pr.phone())}
"""


def t_rad_prep(m):
    pr = PR['rad'][0]
    p = m.patient('adult')
    sch = m.staff(pr, '', 'Scheduling')
    a = appt_dt(2025)
    exams = [('CT abdomen/pelvis with contrast', '74177'), ('MRI lumbar spine without contrast', '72148'),
             ('abdominal ultrasound, complete', '76700')] + ([('screening mammogram', '77067')] if p.g == 'f' else [])
    exam, cpt = pick(exams)
    prep = {'74177': 'Nothing to eat 4 hours before. Drink the oral contrast starting 90 minutes before your arrival. Recent creatinine 0.9 mg/dL is on file.',
            '72148': 'Remove all metal. Tell us about pacemakers, implants or shrapnel. Exam takes about 45 minutes.',
            '76700': 'Nothing to eat or drink for 8 hours before the exam (small sips of water with pills are fine).',
            '77067': 'Please do not wear deodorant, powder or lotion under your arms or on your chest.'}[cpt]
    m.frm = (f'{pr.name} Scheduling', f'scheduling@{pr.domain}')
    m.to = (p.full(), p.email())
    m.subject = f'Your {exam.split(",")[0]} appointment'
    m.plain = f"""Hello {p.first},

You are scheduled for an imaging exam:

Patient ... {V('patient_name', p.full())}
Exam ...... {exam} (CPT {V('cpt', cpt)})
Arrive .... {fmt_appt(a, 0)}  (15 min before the exam)
Where ..... {V('us_address', pr.street)}, {pr.suite}, {pr.city_line()}

Prep: {prep}

Bring your photo ID and insurance card. If you need to reschedule call
{V('phone', pr.phone())}.

{sch.first}, Summit Imaging scheduling
"""


def t_patient_son(m):
    pr = PR['pcp'][1]
    kid = m.patient('child')
    mom = m.relative('adult')
    doc = m.staff(pr, 'MD')
    temp = pick(['102.4', '101.8', '103.1'])
    m.frm = (mom.full(), mom.email())
    m.to = (f'{pr.name} Nurse Line', f'nurse@{pr.domain}')
    var = R.randrange(3)
    cue = [f"my {kid.son} {V('patient_name', kid.full())}", f"my {kid.son}, {V('patient_name', kid.full())}",
           f"{V('patient_name', kid.full())} (my {kid.son})"][var]
    dob = [f"{kid.his} date of birth is {V('dob', kid.dob('mdy'))}", f"born {V('dob', kid.dob('long'))}",
           f"DOB {V('dob', kid.dob('mdy0'))}"][R.randrange(3)]
    m.subject = pick(['fever since last night', 'question for Dr. ' + doc.last, 'ear pain?'])
    m.plain = f"""Hello,

I'm writing about {cue} - {dob}. {kid.he.capitalize()} has had a fever of {temp} since last
night and is pulling at {kid.his} left ear. I gave children's ibuprofen 7.5 mL at 6 am.
{kid.he.capitalize()} is drinking but not eating much.

Should we bring {kid.him} in today or wait? Best number is my cell
{V('phone', mom.cell())}.

Thank you,
{mom.full()}
"""


def t_frontdesk_callback(m):
    pr = pick(PR['pcp'] + PR['pt'] + PR['bh'])
    p = m.patient('adult')
    fd = m.staff(pr, '', 'Front Desk')
    rn = m.staff(pr, 'RN')
    var = R.randrange(4)
    m.frm = (fd.name, fd.mail)
    m.to = (rn.name, rn.mail)
    if var == 0:
        m.subject = 'call back please'
        m.plain = f"""{rn.first}, can you call back {p.mr()}? Patient: {V('patient_name', p.full())},
DOB {V('dob', p.dob('mdy0'))}. {p.he.capitalize()}'s asking about the MRI results from Tuesday.
Callback {V('phone', p.phone())} - ok to leave a detailed message per HIPAA form.

thx
{fd.first}
"""
    elif var == 1:
        m.subject = f"Phone msg: {V('patient_name', p.lf())}"
        m.plain = f"""PHONE MESSAGE  {pick(['09:12', '10:47', '14:03', '16:30'])}
For: {rn.name}
Re: {V('patient_name', p.full())}
Call back #: {V('phone', p.phone(1))}
Message: wants to know if {p.he} can take Sudafed with {p.his} blood pressure pills.
Pharmacy on file is fine.
Taken by: {fd.first}
"""
    elif var == 2:
        m.subject = 'pt called re: forms'
        m.plain = f"""hi -
{V('patient_name', p.full())} called, needs FMLA paperwork completed by Friday. I put the
forms in your box. {p.he.capitalize()} said best # is {V('phone', p.phone(2))}.
-{fd.first.lower()}
"""
    else:
        m.subject = 'walk-in wants to be seen'
        m.plain = f"""{rn.first},

Patient {V('patient_name', p.full())} is in the lobby asking to be seen today for a rash.
{p.he.capitalize()}'s established with Dr. {pick(STAFF_LAST)}. Chart # {V('mrn', p.mrn())}.
Can you triage? I told {p.him} it might be a wait.

{fd.first} (front desk, ext. {fd.ext})
"""


def t_ehr_task(m):
    ehr = PR['ehr'][0]
    pr = pick(PR['pcp'])
    p = m.patient('adult')
    st = m.staff(pr, 'RN')
    task = f'TSK-{digits(7)}'
    due = svc_date(0)
    m.frm = ('ChartBridge Notifications', f'no-reply@{ehr.domain}')
    m.to = (st.name, st.mail)
    m.subject = pick([f'[ChartBridge] New task assigned: {task}', '[ChartBridge] Task due today'])
    kind = pick(['Call patient with normal lab results', 'Prior auth follow-up', 'Refill request needs review',
                 'Schedule 3-month follow-up'])
    if chance(0.5):
        m.plain = f"""You have a new task in ChartBridge.

Task: {task}
Type: {kind}
Patient: {V('patient_name', p.LF())}   MRN: {V('mrn', p.mrn())}
Due: {due}
Priority: Routine
Assigned by: {pick(STAFF_FIRST)} {pick(STAFF_LAST)}

Open ChartBridge to view details. Do not reply to this message.
ChartBridge build 24.11.3 (r{digits(6)})
"""
    else:
        m.plain = f"""CHARTBRIDGE TASK NOTIFICATION
TASK ID........ {task}
TYPE........... {kind.upper()}
PATIENT........ {V('patient_name', p.LF())}
MRN............ {V('mrn', p.mrn())}
DUE............ {due}
STATUS......... OPEN
*** AUTOMATED MESSAGE - DO NOT REPLY ***
"""


def t_ins_idcard(m):
    payer = pick(PR['payer'][:2])
    p = m.patient('adult')
    m.frm = (payer.name, f'member-services@{payer.domain}')
    m.to = (p.full(), p.email())
    m.subject = pick(['Your new member ID card is ready', 'Welcome to ' + payer.name])
    lab = pick(['Member ID', 'Member ID #', 'Subscriber ID', 'Medicaid ID'])
    m.plain = f"""Welcome, {p.first}!

Your digital ID card is now available in the member app. Your physical card
will arrive in 7-10 business days.

  {lab}: {V('member_id', p.member())}
  Group: {pick(['GRP', 'G'])}{digits(6)}
  Rx BIN: 610{digits(3)}   Rx PCN: {pick(['KMHRX', 'PSRX', 'MCAID'])}
  Effective: 01/01/2025

Questions? Call the number on the back of your card, 8 AM - 8 PM, 7 days a week
(TTY 711).

{payer.name}
"""


def t_roi_status(m):
    roi = PR['roi'][0]
    hosp = PR['hosp'][0]
    p = m.patient('adult')
    req = f'ROI-{pick(["24", "25"])}-{digits(6)}'
    inv = f'INV-{digits(5)}'
    m.frm = ('VeriCopy Request Status', f'status@{roi.domain}')
    m.to = ('Records Department', f'him@{hosp.domain}')
    m.subject = f'Request {req} fulfilled'
    m.plain = f"""Request {req} has been fulfilled on behalf of {hosp.name}.

Patient: {V('patient_name', p.full())}
Requester type: {pick(['Attorney', 'Insurance', 'Patient', 'Disability (SSA)'])}
Pages released: {R.randrange(12, 480)}
Delivery: secure portal, expires in 30 days
Invoice {inv}: ${R.randrange(6, 90)}.{digits(2)} (due net 30, dated {svc_date(0)})

Questions: reply with the request number in the subject line.
"""


def t_rx_refill_fax(m):
    pr = pick(PR['rx'])
    clinic = pick(PR['pcp'])
    p = m.patient('adult')
    drug = pick(DRUGS)
    m.frm = (pr.name, f'erx@{pr.domain}')
    m.to = (clinic.name, f'rx@{clinic.domain}')
    m.subject = 'REFILL AUTHORIZATION REQUEST'
    ndc_line = f"\nNDC: {V('ndc', gen_ndc())}" if chance(0.6) else ''
    m.plain = f"""REFILL AUTHORIZATION REQUEST   {svc_date(0)} {pick(['09:14', '13:52', '16:05'])}

PATIENT: {V('patient_name', p.LF())}
DOB: {V('dob', p.dob('mdy0'))}
MEDICATION: {drug[0].upper()} {drug[1].upper()}
SIG: TAKE 1 TABLET BY MOUTH DAILY
QTY: 90   LAST FILL: {svc_date(0)}   RX#: {digits(7)}{ndc_line}
PRESCRIBER: DR. {pick(STAFF_LAST).upper()}

[ ] APPROVED  REFILLS: ____     [ ] DENIED     [ ] NEEDS APPT

PHARMACY: {pr.name.upper()}
PHONE {V('phone', pr.phone(1))}  FAX {V('phone', pr.fax(1))}
"""


def t_patient_portal(m):
    pr = pick(PR['pcp'])
    p = m.patient('adult')
    doc = m.staff(pr, 'MD')
    var = R.randrange(3)
    m.frm = (p.full(), p.email())
    m.to = (f'Dr. {doc.last}', doc.mail)
    if var == 0:
        m.subject = 'lab results question'
        m.plain = f"""Dr. {doc.last},

It's {V('patient_name', p.full())}, born on {V('dob', p.dob('long'))}. I saw my results posted
and my A1c was 6.9%. The range says 4.0-5.6. Does this mean I need to change the
metformin? I'm taking 500 mg twice a day.

Also the portal says my next visit is 03/18/2025 at 10:20 - can I move it to the afternoon?

{p.first}
"""
    elif var == 1:
        m.subject = 'new phone number'
        m.plain = f"""Hi,

Please update my contact info. Patient name: {V('patient_name', p.full())}
New cell: {V('phone', p.cell(0))}
Old number ending in {p._phone[2]} no longer works.

Thank you
"""
    else:
        m.subject = 'side effects'
        m.plain = f"""Hello Dr. {doc.last},

This is {p.first} (patient {V('patient_name', p.lf())}). Since starting the sertraline
50 mg I've had headaches most afternoons, maybe 2 hours after the dose. Is that
normal? I take it at 8 am.

Thanks,
{p.first}
"""


def t_uc_followup(m):
    pr = pick(PR['uc'])
    p = m.patient('young')
    rn = m.staff(pr, 'RN')
    dx = pick(['J02.9', 'J06.9', 'S93.401A', 'N39.0'])
    m.frm = (rn.name, rn.mail)
    m.to = (f'{pr.name} Charts', f'charts@{pr.domain}')
    m.subject = 'follow-up call documented'
    m.plain = f"""48-hour follow-up call completed {pick(['11:05', '15:40', '09:30'])}.

Pt: {V('patient_name', p.full())}
Dx from visit: {V('icd10', dx)} ({ICD10[dx]})
Reports symptoms improving, tolerating medication, no fever x 24 h.
Advised to return or see PCP if worse. No further action.

{rn.first} {rn.last[0]}, {rn.cred}
"""

# ===========================================================================
# Positive templates: many identifiers
# ===========================================================================

def t_dental_referral(m):
    pr = PR['dental'][0]
    oms = PR['oms'][0]
    p = m.patient('young')
    dds = m.staff(pr, 'DDS')
    surgeon = m.staff(oms, 'DMD, MD')
    payer = PR['payer'][0]
    dob = p.dob()
    blocks = [
        ('p', f'Dr. {surgeon.last},'),
        ('p', 'Thank you for seeing the patient below for evaluation and removal of #17 and #32 '
              '(horizontally impacted, completely bony on the pano). Please schedule a consult at your '
              'earliest opening; the patient prefers IV sedation.'),
        ('kv', [('Patient', V('patient_name', p.full())), ('DOB', V('dob', dob)),
                ('Phone', V('phone', p.phone(0))), ('Address', f"{V('us_address', p.street())}, {p.city_line()}"),
                ('Insurance', f'{payer.name} Dental PPO'), ('Member ID', V('member_id', p.member())),
                ('Group No.', f'{digits(5)}-{digits(3)}')]),
        ('p', f"Diagnosis: {V('icd10', 'K02.52')} on #18 (will restore after extractions). "
              f"Requested: D7240 x2, D0330 taken here on {svc_date(0)} (image attached to our referral portal). "
              'Medical history: penicillin allergy (hives), no anticoagulants.'),
        ('sig', sig(dds, pr, style=pick([0, 1, 3]), addr=True, npi=True)),
    ]
    m.frm = (dds.signed(), dds.mail)
    m.to = (surgeon.name, f'referrals@{oms.domain}')
    m.subject = f"Referral: {V('patient_name', p.full())} - third molars"
    m.both(blocks, 'Referral')


def t_bh_handoff(m):
    pr = pick(PR['bh'])
    p = m.patient('adult')
    sib = m.relative('adult')
    me = m.staff(pr, pick(['LCSW', 'LPC', 'PhD']))
    cov = m.staff(pr, pick(['LMFT', 'PsyD', 'LCSW']))
    dx = R.sample(['F41.1', 'F33.1', 'F43.10', 'F32.1', 'F41.9'], 2)
    low = chance(0.5)
    k = (lambda s: s.lower()) if low else (lambda s: s)
    ec = new_phone(p.city[3])
    m.frm = (me.name, me.mail)
    m.to = (cov.name, cov.mail)
    m.subject = pick(['coverage while I am out', 'handoff - clients for next two weeks', 'covering for me 2/10-2/21'])
    m.plain = f"""{cov.first},

Thanks again for covering. The one I'd keep an eye on:

{k('Client')}: {V('patient_name', p.full())}
{k('DOB')}: {V('dob', p.dob())}
{k('Chart #')}: {V('mrn', p.mrn())}
{k('Dx')}: {V('icd10', dx[0])}, {V('icd10', dx[1])}
{k('Seen')}: weekly, Tuesdays 4 PM, billed as {V('cpt', '90837')}; GAD-7 today was 14 (down from 17),
PHQ-9 11. {V('cpt', '96127')} billed x2 at each monthly check-in.
{k('Phone')}: {V('phone', p.phone())} (ok to leave voicemail)

No current SI/HI. Safety plan is in the chart (last updated 01/07). If you can't
reach {p.him}, the emergency contact is {p.his} sibling {sib.first} at {V('phone', fmt_phone(ec, 1))}.
Psychiatry med management is with Dr. {pick(STAFF_LAST)} - escitalopram 10 mg.

Everyone else is stable and can wait until I'm back.

{me.signed()}
"""


def t_bh_superbill(m):
    pr = pick(PR['bh'])
    p = m.patient('adult')
    th = m.staff(pr, pick(['LCSW', 'PsyD', 'LPC']))
    dx = pick(['F41.1', 'F43.10', 'F33.1'])
    d0 = datetime(2024, 9, 30) + timedelta(days=R.randrange(0, 10))
    fee = pick([150, 175, 185, 200])
    rows = [[f'{d0.month:02d}/{d0.day:02d}/{d0.year}', V('cpt', '90791'), V('icd10', dx), '$225.00', 'Paid']]
    for i in range(1, R.randrange(4, 7)):
        d = d0 + timedelta(days=7 * i)
        cpt = pick(['90837', '90834', '90837', '90847'])
        rows.append([f'{d.month:02d}/{d.day:02d}/{d.year}', V('cpt', cpt), V('icd10', dx), f'${fee}.00', 'Paid'])
    blocks = [
        ('p', f'Hi {p.first},'),
        ('p', 'As requested, below is a superbill for the sessions this quarter. You can submit it to your '
              'insurer for out-of-network reimbursement.'),
        ('h', 'Statement for Services'),
        ('kv', [('Client', V('patient_name', p.full())), ('Date of birth', V('dob', p.dob('mdy0'))),
                ('Client address', f"{V('us_address', p.street())}, {p.city_line()}"),
                ('Provider', f'{th.name}, {th.cred}'), ('Provider NPI', V('npi', th.npi())),
                ('Tax ID', f'{R.randrange(10, 99)}-{digits(7)}'), ('License', f'{th.cred} #{digits(6)}'),
                ('Place of service', '02 / 10 (telehealth)')]),
        ('table', ['Date of service', 'CPT', 'Diagnosis (ICD-10)', 'Fee', 'Status'], rows),
        ('p', f"Total paid: ${225 + fee * (len(rows) - 1)}.00. Practice phone {V('phone', pr.phone())}."),
        ('sig', [th.signed(), pr.name]),
    ]
    m.frm = (th.name, th.mail)
    m.to = (p.full(), p.email())
    m.subject = 'Superbill for Q4 sessions'
    m.both(blocks, 'Superbill')


def t_billing_card(m):
    pr = pick(PR['hosp'] + PR['pcp'] + PR['uc'])
    p = m.patient('adult')
    rep = m.staff(pr, '', 'Billing Specialist')
    card = gen_card()
    last4 = re.sub(r'\D', '', card)[-4:]
    amt = f'{R.randrange(25, 600)}.{digits(2)}'
    acct = digits(8)
    exp = f'{R.randrange(1, 13):02d}/{R.randrange(26, 31)}'
    brand = 'Amex' if re.sub(r'\D', '', card)[0] == '3' else ('Visa' if card[0] == '4' else 'Mastercard')
    zipc = p.city[2]
    lab = pick(['card number', 'Card #', 'card no.', 'CC'])
    orig = f"""Hi,

I'd like to pay my balance of ${amt}.
Patient: {V('patient_name', p.full())}   account {acct}

{brand} {lab}: {V('credit_card', card)}
exp {exp}  security code {digits(4 if brand == 'Amex' else 3)}
billing zip {zipc}

Phone if you need me: {V('phone', p.phone())}

{p.first}
"""
    m.frm = (rep.name, f'billing@{pr.domain}')
    m.to = (p.full(), p.email())
    m.subject = 'RE: paying my bill'
    quoted = quote(orig)
    m.plain = f"""Hello {p.first},

Your payment of ${amt} was posted today to account {acct} using the {brand} ending
in {last4}. Confirmation number {pick(['PMT', 'CNF'])}-{digits(8)}.

For your protection, please don't send card numbers by e-mail in the future -
you can pay online at https://pay.{pr.domain} or call us at {V('phone', pr.phone(1))}.
I have deleted your original message from our shared mailbox.

{rep.name}
{rep.title}, {pr.name}

-----Original Message-----
From: {p.first} {p.last[0]}.
Sent: {hdr_date(appt_dt(2025))}
Subject: paying my bill

{quoted}
"""


def t_billing_autopay(m):
    pr = pick(PR['hosp'] + PR['pt'])
    p = m.patient('adult')
    rep = m.staff(pr, '', 'Patient Accounts')
    aba = gen_aba()
    acct = digits(R.randrange(9, 13))
    rlab = pick(['routing number', 'Routing #', 'ABA', 'bank routing no.', 'RTN'])
    plan = pick(['$75/month', '$120 a month', '$50 per month'])
    dl = p.dl()
    m.frm = (p.full(), p.email())
    m.to = (f'{pr.name} Billing', f'billing@{pr.domain}')
    m.subject = 'payment plan - autopay setup'
    body_dl = (f"\nYour form asked for ID, my {p.state} driver's license is {V('drivers_license', dl)}."
               if chance(0.6) else '')
    m.plain = f"""Hello,

Per my call with {rep.first} yesterday I'd like to set up the payment plan ({plan}) with
automatic withdrawal from my checking account on the 15th.

Patient: {V('patient_name', p.full())}
Date of birth: {V('dob', p.dob('mdy0'))}
Bank: {pick(['First Prairie Bank', 'Heartland Credit Union', 'Lakeshore Savings'])}
{rlab} {V('aba_routing', aba)}
account {acct} (checking){body_dl}

Mailing address: {V('us_address', p.street())}, {p.city_line(True)}
Please confirm by email or at {V('phone', p.phone())}.

Thank you,
{p.first}
"""


def t_billing_denials_html(m):
    pr = PR['hosp'][0]
    lead = m.staff(pr, '', 'Denials Management Lead')
    team = m.staff(pr)
    payer = pick(PR['payer'][:2])
    rows = []
    codes = ['CO-16', 'CO-197', 'CO-50', 'CO-29', 'PR-204', 'CO-11']
    n = R.randrange(4, 8)
    for _ in range(n):
        p = m.patient('any')
        cpt = pick(['99214', '99213', '71046', '93000', '80053', '99283', '85025', '36415'])
        icd = pick(['I10', 'E11.9', 'R07.9', 'J44.1', 'N39.0', 'R10.9', 'E78.5'])
        rows.append([V('patient_name', pick([p.lf(), p.full()])), V('dob', p.dob('mdy0')),
                     V('member_id', p.member()), svc_date(0), V('cpt', cpt), V('icd10', icd),
                     digits(4) + digits(8), pick(codes)])
    blocks = [
        ('p', f'Team,'),
        ('p', f'Below are this week\'s {payer.name} denials that need rework before the timely-filing window '
              'closes. CO-16 = missing info, CO-197 = no precert. Please claim your rows in the tracker by Wednesday noon.'),
        ('table', ['Patient', 'DOB', 'Member ID', 'DOS', 'CPT', 'ICD-10', 'Claim #', 'CARC'], rows,
         pick(['pipe', 'records'])),
        ('p', 'Reminder: do not forward this list outside the department. Group numbers are on the payer portal.'),
        ('sig', [lead.name, lead.title, pr.name, f'ext. {lead.ext}']),
    ]
    m.frm = (lead.name, f'{lead.first.lower()}.{lead.last.lower()}@{pr.domain}')
    m.to = ('PFS Denials Team', f'pfs-denials@{pr.domain}')
    m.subject = f'{payer.name} denials worklist - week {R.randrange(2, 50)}'
    m.both(blocks, 'Denials worklist')


def t_hh_referral(m):
    pr = pick(PR['hh'])
    hosp = PR['hosp'][0]
    p = m.patient('senior')
    cg = m.relative('adult')
    dp = m.staff(hosp, 'RN', 'Discharge Planner')
    md = m.staff(hosp, 'MD')
    dx = R.sample(['I50.9', 'J44.1', 'Z96.651', 'Z47.1', 'E11.9', 'I48.91', 'L03.115'], 3)
    mbi = p.mbi(chance(0.4))
    cgp = new_phone(p.city[3])
    use_ssn = chance(0.6)
    face = f"""HOME HEALTH REFERRAL - FACE SHEET
Referral date: {svc_date(0)}   Anticipated discharge: {svc_date(0)}

Patient name: {V('patient_name', p.LF())}
DOB: {V('dob', p.dob('mdy0'))}    Sex: {'F' if p.g == 'f' else 'M'}
Home address: {V('us_address', p.street())}
              {p.city_line(True)}
Home phone: {V('phone', p.phone(0))}
Medicare Beneficiary Identifier: {V('mbi', mbi)}
{"SSN: " + V('us_ssn', p.ssn()) if use_ssn else "SSN: on file (XXX-XX-" + digits(4) + ")"}
Hospital MRN: {V('mrn', p.mrn())}   Encounter: {digits(10)}

Primary dx: {V('icd10', dx[0])} {ICD10[dx[0]]}
Secondary dx: {V('icd10', dx[1])}; {V('icd10', dx[2])}
Services: SN 2w4, PT eval & treat, OT eval
Attending: {md.name}, {md.cred}   NPI {V('npi', md.npi())}
Caregiver: {cg.first} ({pick(['spouse', 'daughter' if cg.g == 'f' else 'son'])}) {V('phone', fmt_phone(cgp, 1))}
"""
    as_att = chance(0.6)
    intro = f"""Hello intake team,

Referral for home health below{' and attached' if as_att else ''}. Patient is homebound (SOB walking > 15 ft,
needs walker). Face-to-face encounter was done today by Dr. {md.last}. Please call me to confirm
acceptance before 3 PM so we can finalize discharge.

"""
    m.frm = (dp.name, dp.mail)
    m.to = (f'{pr.name} Intake', f'intake@{pr.domain}')
    m.subject = f"HH referral - {V('patient_name', p.full())}" if chance(0.5) else 'New home health referral'
    tail = '\n'.join(sig(dp, hosp, style=pick([0, 1]), fax=True))
    if as_att:
        m.plain = intro + 'Face sheet attached (text export from our EHR).\n\n' + tail + '\n'
        m.attachments.append(('facesheet.txt', 'plain', face))
    else:
        m.plain = intro + face + '\n' + tail + '\n'


def t_hh_schedule(m):
    pr = pick(PR['hh'])
    coord = m.staff(pr, '', 'Clinical Manager')
    rn = m.staff(pr, pick(['RN', 'LPN', 'PTA']))
    items = []
    t = 8 * 60
    for _ in range(R.randrange(3, 6)):
        p = m.patient('senior')
        t += pick([60, 75, 90])
        hh = f'{t // 60}:{t % 60:02d}'
        kind = pick(['SN - wound care', 'SN - med teaching', 'PT visit', 'recert OASIS', 'INR draw'])
        items.append(f"{hh}  Pt: {V('patient_name', p.full())} - {V('us_address', p.street())}, {p.city[0]} - "
                     f"{V('phone', p.phone())} - {kind}")
    lst = '\n'.join(f'{i}. {x}' for i, x in enumerate(items, 1))
    m.frm = (coord.name, coord.mail)
    m.to = (rn.name, rn.mail)
    m.subject = f'your route for {pick(["Monday", "Tuesday", "Wednesday", "Friday"])}'
    m.plain = f"""Hi {rn.first},

Here's your route. Mileage log due by Friday. Call the office if anyone refuses the visit.

{lst}

Supplies: 2 boxes 4x4 gauze, Mepilex 10x10 (lot 23K1108), INR strips.

{coord.first} {coord.last}
{coord.title}, {pr.name}
Office {V('phone', pr.phone(0))}
"""


def t_rx_pa(m):
    pr = pick(PR['rx'] + PR['pcp'])
    payer = pick(PR['payer'])
    p = m.patient('adult')
    doc = m.staff(pick(PR['pcp']), 'MD')
    drug = pick(SPECIALTY)
    dx = {'semaglutide (Ozempic)': ['E11.9', 'E66.9'], 'tirzepatide (Mounjaro)': ['E11.9', 'E78.5'],
          'adalimumab (Humira)': ['M06.9', 'K50.90'], 'dupilumab (Dupixent)': ['J45.909', 'L20.9'],
          'apixaban (Eliquis)': ['I48.91', 'I10']}[drug[0]]
    ndc = gen_ndc()
    mem = p.member()
    use_html = chance(0.5)
    medicare = payer is PR['payer'][2]
    fields = [('Patient name', V('patient_name', p.full())), ('Date of birth', V('dob', p.dob())),
              ('Member ID', V('member_id', mem))] + ([('Medicare ID (MBI)', V('mbi', p.mbi(chance(0.5))))] if medicare else []) + [ ('Rx BIN / PCN / Group', f'{digits(6)} / {pick(["MEDDPRIME", "ADV", "RX7"])} / RX{digits(4)}'),
              ('Patient phone', V('phone', p.phone())),
              ('Medication', f'{drug[0]} {drug[1]}'), ('NDC', V('ndc', ndc)), ('Quantity / days', '1 box (4 pens) / 28'),
              ('Diagnosis (ICD-10)', f"{V('icd10', dx[0])}, {V('icd10', dx[1])}"),
              ('Prescriber', f'{doc.name}, {doc.cred}'), ('Prescriber NPI', V('npi', doc.npi())),
              ('Prescriber phone', V('phone', fmt_phone(new_phone(p.city[3]), 1))),
              ('Prescriber fax', V('phone', fmt_phone(new_phone(p.city[3]), 1)))]
    tried = {'semaglutide (Ozempic)': 'metformin 1000 mg BID x 14 months; A1c 8.4% on 11/2024',
             'tirzepatide (Mounjaro)': 'metformin 1000 mg BID and glipizide 5 mg daily; A1c 8.9%',
             'adalimumab (Humira)': 'methotrexate 15 mg weekly x 6 months, inadequate response',
             'dupilumab (Dupixent)': 'two inhaled corticosteroid/LABA combinations, 3 exacerbations in 12 months',
             'apixaban (Eliquis)': 'warfarin, labile INR (1.4-3.9)'}[drug[0]]
    blocks = [('p', f'To: {payer.name} Pharmacy Prior Authorization'),
              ('p', 'Please review the following request for coverage. Chart notes and labs are faxed separately '
                    '(14 pages).'),
              ('kv', fields),
              ('p', f'Previous therapy: {tried}.'),
              ('p', 'Urgency: standard. Please fax the determination to the number above.'),
              ('sig', sig(m.staff(pr, 'CPhT' if pr in PR['rx'] else '', 'Prior Authorization Coordinator'), pr, style=pick([0, 1, 2]), fax=True))]
    m.frm = (pr.name, f'pa@{pr.domain}')
    m.to = (f'{payer.name} PA', f'rx-pa@{payer.domain}')
    m.subject = pick(['Prior authorization request', f'PA request - {drug[0].split()[0]}', 'Coverage determination request'])
    if use_html:
        m.both(blocks, 'Prior authorization')
    else:
        m.plain = render_plain(blocks)


def t_rx_controlled(m):
    pr = pick(PR['rx'])
    clinic = pick(PR['pcp'] + PR['uc'])
    p = m.patient('adult')
    doc = m.staff(clinic, pick(['MD', 'DO', 'NP']))
    rph = m.staff(pr, 'PharmD')
    drug = pick(CONTROLLED)
    ndc = gen_ndc()
    dl_state = pick(list(DL_FORMATS))
    dl = gen_dl(dl_state)
    rx_dea = gen_dea('9', pick('ABF'))
    issue = pick(['the quantity is written as "#60" but the sig works out to a 20-day supply',
                  'the DEA number is missing from the e-prescription header',
                  'the patient filled the same medication 9 days ago at another pharmacy per the PDMP'])
    m.frm = (rph.signed(), rph.mail)
    m.to = (doc.name, doc.mail)
    m.subject = f"Rx clarification - {V('patient_name', p.full())}"
    state_phrase = pick([f'{dl_state} DL {V("drivers_license", dl)}', f"driver's license ({dl_state}) {V('drivers_license', dl)}",
                         f'{dl_state} driver license no. {V("drivers_license", dl)}'])
    orig = f"""Dr. {doc.last},

We received a {drug[2]} prescription for {drug[0]} {drug[1]} today for:

Patient: {V('patient_name', p.full())}
DOB: {V('dob', p.dob('mdy0'))}
ID checked at drop-off: {state_phrase}

Before we can fill it: {issue}. Please confirm the prescriber details we have on
file are current:

  Prescriber: {doc.name}, {doc.cred}
  NPI: {V('npi', doc.npi())}
  DEA: {V('dea', doc.dea())}

Product we would dispense: NDC {V('ndc', ndc)} ({drug[0]} {drug[1]}, 100 ct).

{rph.signed()}
{pr.name} | DEA {V('dea', rx_dea)} | NPI {V('npi', pr.npi)}
{V('phone', pr.phone(0))} (pharmacist line)
"""
    if chance(0.5):
        m.subject = 'RE: ' + m.subject
        m.frm, m.to = (doc.name, doc.mail), (rph.signed(), rph.mail)
        m.plain = f"""Confirmed - NPI and DEA above are correct. Go ahead and fill #{pick([20, 30, 40])}, I sent a
corrected e-script at {pick(['2:14', '10:48', '4:02'])}. Thanks for catching it.

{doc.dr()}

On {hdr_date(appt_dt(2025))}, {rph.name} wrote:
{quote(orig)}
"""
    else:
        m.plain = orig


def t_school_roster_html(m):
    pr = PR['school'][0]
    nurse = m.staff(pr, 'RN', 'District Nurse')
    prin = m.staff(pr, '', 'Principal')
    rows = []
    for _ in range(R.randrange(4, 8)):
        s = m.patient('school')
        g = new_phone(s.city[3])
        rows.append([V('patient_name', s.lf()), V('dob', s.dob('mdy0')), grade(s),
                     pick(['DTaP #5', 'MMR #2', 'Varicella #2', 'Tdap', 'MenACWY', 'Polio #4']),
                     V('phone', fmt_phone(g, pick([0, 1])))])
    blocks = [('p', f'{prin.first},'),
              ('p', 'These students are still out of compliance with state immunization requirements. Exclusion '
                    'letters go home Friday unless we receive records or a medical/religious exemption. The '
                    'health office is open 7:45-3:30 (Room 104).'),
              ('table', ['Student', 'DOB', 'Grade', 'Missing', 'Guardian phone'], rows, pick(['pipe', 'records'])),
              ('p', 'Please keep this list confidential (FERPA / health record).'),
              ('sig', [nurse.signed(), nurse.title, pr.name])]
    m.frm = (nurse.name, nurse.mail)
    m.to = (prin.name, prin.mail)
    m.subject = 'Immunization exclusion list'
    m.both(blocks, 'Immunization list')


def t_school_med_auth(m):
    pr = PR['school'][0]
    s = m.patient('school')
    par = m.relative('adult')
    nurse = m.staff(pr, 'RN', 'School Nurse')
    doc = m.staff(pick(PR['pcp']), 'MD')
    med = pick([('epinephrine auto-injector', '0.15 mg', 'Z91.010'), ('albuterol HFA', '90 mcg, 2 puffs', 'J45.909'),
                ('methylphenidate', '10 mg at noon', 'F90.2')])
    ndc = gen_ndc()
    dx = med[2]
    m.frm = (par.full(), par.email())
    m.to = (nurse.name, nurse.mail)
    m.subject = f"RE: medication authorization for {s.first}"
    orig = f"""Dear family,

To give {med[0]} at school, please return the signed authorization and the medication
in its original pharmacy-labeled container. Questions: {V('phone', pr.phone())} ext. {nurse.ext}.

{nurse.signed()}
"""
    m.plain = f"""Hi {nurse.first},

Here is the info for the form. I will drop off the medication Monday morning.

- Student: {V('patient_name', s.full())}
- Date of birth: {V('dob', s.dob())}
- Medication: {med[0]} {med[1]} (NDC {V('ndc', ndc)} on the box)
- Diagnosis: {V('icd10', dx)} ({ICD10[dx]})
- Prescribing doctor: Dr. {doc.last}, {V('phone', fmt_phone(doc.pr._phone, 0))}
- Parent cell: {V('phone', par.cell(1))}

Thank you!
{par.first}

On {hdr_date(appt_dt(2025))} {nurse.name} <{V('email', nurse.mail)}> wrote:
{quote(orig)}
"""


def t_pt_poc(m):
    pr = pick(PR['pt'])
    clinic = pick(PR['pcp'])
    p = m.patient('adult')
    pt = m.staff(pr, 'PT, DPT')
    ref = m.staff(clinic, pick(['MD', 'DO']))
    ref_dx = pick(['M54.50', 'M25.561', 'S83.511A', 'M17.11', 'S93.401A'])
    tx_dx = pick(['M79.604', 'Z47.1', 'M54.50', 'M25.561'])
    if tx_dx == ref_dx:
        tx_dx = 'M79.604' if ref_dx != 'M79.604' else 'Z47.1'
    eval_cpt = pick(['97161', '97162'])
    if ref_dx == 'M54.50':
        goals = ['Goal 1: sit 60 minutes at work with back pain 2/10 or less (currently 7/10)',
                 'Goal 2: lift 25 lb floor to waist with proper mechanics', 'Goal 3: independent with home exercise program']
    elif ref_dx == 'S93.401A':
        goals = ['Goal 1: single-leg balance 30 seconds on the right (currently 6 s)',
                 'Goal 2: return to jogging 20 minutes without pain', 'Goal 3: independent with home exercise program']
    else:
        goals = ['Goal 1: pain 2/10 or less with stairs (currently 6/10)',
                 'Goal 2: knee flexion 0-120 degrees (currently 8-95)', 'Goal 3: independent with home exercise program']
    fax = pt.pr.fax(1)
    blocks = [('p', f'Dr. {ref.last},'),
              ('p', 'Attached below is the initial plan of care for your patient. Medicare/commercial rules require '
                    'your signature within 30 days. Please sign and fax back.'),
              ('kv', [('Patient', V('patient_name', p.full())), ('DOB', V('dob', p.dob())), ('MRN', V('mrn', p.mrn())),
                      ('Referring diagnosis', f"{V('icd10', ref_dx)} - {ICD10[ref_dx]}"),
                      ('Treatment diagnosis', V('icd10', tx_dx)),
                      ('Evaluation', f"{V('cpt', eval_cpt)} on {svc_date(0)}"),
                      ('Plan', f"{V('cpt', '97110')} therapeutic exercise, {V('cpt', '97140')} manual therapy, "
                               f"{V('cpt', '97530')} therapeutic activities"),
                      ('Frequency', '2x/week for 6 weeks (12 visits)')]),
              ('ul', goals),
              ('p', f"Return signed copy to fax {V('phone', fax)}."),
              ('sig', sig(pt, pr, style=pick([0, 3]), fax=False, npi=True))]
    m.frm = (pt.signed(), pt.mail)
    m.to = (ref.name, ref.mail)
    m.subject = f"Plan of care for signature - {V('patient_name', p.lf())}"
    m.both(blocks, 'Plan of care')


def t_uc_summary(m):
    pr = pick(PR['uc'])
    clinic = pick(PR['pcp'])
    p = m.patient('any')
    doc = m.staff(pr, pick(['PA-C', 'MD', 'FNP-C']))
    case = pick([
        (['J02.9'], ['99203', '87880'], 'Rapid strep: negative. Throat culture sent.', 'ibuprofen 600 mg q6h PRN'),
        (['S61.411A'], ['99203', '12001'], '2.0 cm laceration right palm, 4 sutures 5-0 nylon. Tdap given 2022, not due.', 'remove sutures in 10-14 days'),
        (['S93.401A'], ['99203', '29515', '73721'], 'X-ray negative for fracture; MRI ordered for persistent instability.', 'splint, crutches, RICE'),
        (['N39.0', 'R10.9'], ['99202', '81002'], 'UA: LE 2+, nitrite positive.', 'nitrofurantoin 100 mg BID x 5 days'),
    ])
    dxs = case[0]
    kv = [('Patient', V('patient_name', p.full())), ('DOB', V('dob', p.dob('mdy0'))), ('MRN', V('mrn', p.mrn())),
          ('Visit date', svc_date(0)), ('Diagnosis', ', '.join(f"{V('icd10', d)} ({ICD10[d]})" for d in dxs)),
          ('CPT billed', ', '.join(V('cpt', c) for c in case[1])),
          ('Vitals', f'T {pick(["100.9", "98.6", "99.1"])} F, BP {R.randrange(110, 150)}/{R.randrange(68, 92)}, HR {R.randrange(62, 104)}'),
          ('Findings', case[2]), ('Plan', case[3])]
    blocks = [('p', f'{clinic.name} - visit summary for your patient, for continuity of care.'),
              ('kv', kv),
              ('p', f"Patient phone on file: {V('phone', p.phone())}. Please arrange follow-up in 1 week."),
              ('sig', sig(doc, pr, style=pick([1, 2, 4]), fax=True))]
    m.frm = (f'{pr.name}', f'records@{pr.domain}')
    m.to = (clinic.name, f'records@{clinic.domain}')
    m.subject = 'Urgent care visit summary'
    m.both(blocks, 'Visit summary')


def t_rad_schedule_html(m):
    pr = PR['rad'][0]
    lead = m.staff(pr, '', 'Lead Scheduler')
    rows = []
    exams = [('MRI L-spine w/o', '72148', 'MR-1'), ('CT head w/o', '70450', 'CT-2'), ('US abdomen complete', '76700', 'US-3'),
             ('Screening mammo', '77067', 'MAM-1'), ('CT A/P w/ contrast', '74177', 'CT-1'), ('MRI knee w/o', '73721', 'MR-2'),
             ('Chest 2 view', '71046', 'XR-1')]
    t = 7 * 60
    for _ in range(R.randrange(5, 9)):
        p = m.patient('any')
        ex = pick(exams)
        t += pick([15, 30, 45])
        rows.append([f'{t // 60}:{t % 60:02d}', V('patient_name', pick([p.LF(), p.lf()])), V('dob', p.dob('mdy0')),
                     ex[0], V('cpt', ex[1]), ex[2], f'ACC{digits(8)}'])
    dd = appt_dt(2025)
    blocks = [('p', f'Schedule for {fmt_appt(dd, 0).split(" at ")[0]}. Two add-ons may come from the ED; keep MR-2 open after 2 PM.'),
              ('table', ['Time', 'Patient', 'DOB', 'Exam', 'CPT', 'Room', 'Accession'], rows),
              ('p', 'Contrast patients: confirm eGFR > 30 within 30 days (creatinine 0.6-1.3 mg/dL reference).'),
              ('sig', [lead.name, lead.title, pr.name, f'ext. {lead.ext}'])]
    m.frm = (lead.name, lead.mail)
    m.to = ('Imaging techs', f'techs@{pr.domain}')
    m.subject = f'Tomorrow\'s schedule - {pick(["MRI/CT", "all modalities"])}'
    m.both(blocks, 'Daily schedule')


def t_fd_newpatient_fwd(m):
    pr = pick(PR['pcp'] + PR['dental'] + PR['pt'])
    p = m.patient('adult')
    fd = m.staff(pr, '', 'Patient Registration')
    mgr = m.staff(pr, '', 'Practice Manager')
    payer = pick(PR['payer'][:2])
    dl_st = pick(list(DL_FORMATS))
    sv = pick(['-', ' ', ''])
    ssn_line = (f"SSN {V('us_ssn', p.ssn(''))}" if sv == '' else f"Social Security #: {V('us_ssn', p.ssn(sv))}")
    orig = f"""Hello, here's my information for the new patient paperwork since the
portal wasn't working for me.

Full name: {V('patient_name', p.full_mi())}
Date of birth: {V('dob', p.dob())}
{ssn_line}
Address: {V('us_address', p.street())}, {p.city_line()}
Cell: {V('phone', p.phone())}
Email: {V('email', p.email())}
Insurance: {payer.name}, member number {V('member_id', p.member())}, group {digits(6)}
Driver's license: {dl_st} {V('drivers_license', p.dl(dl_st))}

My appointment is on {svc_date(1)} at {pick(['9:15', '10:40', '1:30'])}.
Thanks, {p.first}
"""
    mrn = p.mrn()
    m.frm = (fd.name, fd.mail)
    m.to = (mgr.name, mgr.mail)
    m.subject = 'Fwd: new patient info'
    m.plain = f"""{mgr.first} - FYI, this came into the general inbox. I registered {p.him} (new MRN
{V('mrn', mrn)}) and scanned the insurance. {p.he.capitalize()} put {p.his} full SSN in email, so I'm
going to delete this after you see it and send {p.him} the portal instructions again.

{fd.first}

---------- Forwarded message ---------
From: {p.first} {p.last[0]}. <{V('email', p.email())}>
Date: {hdr_date(appt_dt(2025))}
Subject: new patient info
To: <{V('email', 'info@' + pr.domain)}>

{orig}"""


def t_ehr_adt(m):
    ehr = PR['ehr'][0]
    hosp = PR['hosp'][0]
    clinic = pick(PR['pcp'])
    p = m.patient('senior' if chance(0.5) else 'adult')
    md = m.staff(hosp, 'MD')
    pcp = m.staff(clinic, 'MD')
    ev = pick([('A01', 'INPATIENT ADMISSION'), ('A03', 'DISCHARGE'), ('A04', 'EMERGENCY DEPARTMENT REGISTRATION')])
    dx = pick(['I50.9', 'J44.1', 'R07.9', 'N39.0', 'I48.91', 'L03.115'])
    loc = f"{pick(['4W', '5E', 'ED', '3N'])}-{R.randrange(100, 480)}-{pick('AB')}"
    kv = [('EVENT', f'{ev[0]} {ev[1]}'), ('EVENT TIME', f'{svc_date(2)} {pick(["03:12", "14:48", "22:05"])}'),
          ('PATIENT', V('patient_name', p.LF())), ('DOB', V('dob', p.dob('mdy0'))), ('SEX', 'F' if p.g == 'f' else 'M'),
          ('MRN', V('mrn', p.mrn())), ('ENCOUNTER', f'E{digits(9)}'), ('LOCATION', loc)] + (
          [('MEDICARE MBI', V('mbi', p.mbi()))] if p.dob_d.year < 1960 and chance(0.6) else []) + [
          ('ATTENDING', f'{md.name.upper()} MD (NPI {V("npi", md.npi())})'),
          ('CHIEF COMPLAINT / DX', f"{V('icd10', dx)} {ICD10[dx].upper()}"),
          ('PCP OF RECORD', f'{pcp.name.upper()} MD'),
          ('FACILITY PHONE', V('phone', hosp.phone(1)))]
    blocks = [('p', 'CHARTBRIDGE CARE NOTIFICATION - YOUR PATIENT HAD A HOSPITAL EVENT'), ('kv', kv),
              ('p', 'THIS NOTIFICATION IS SENT UNDER 42 CFR 482.24(D). DO NOT REPLY. MANAGE ALERTS IN CHARTBRIDGE > SETTINGS > ADT.')]
    m.frm = ('ChartBridge ADT Alerts', f'adt-alerts@{ehr.domain}')
    m.to = (pcp.name, pcp.mail)
    m.subject = f'ADT ALERT {ev[0]}: {V("patient_name", p.LF())}' if chance(0.5) else f'ADT ALERT {ev[0]} - PATIENT EVENT'
    m.both(blocks, 'ADT')


def t_ch_rejections_csv(m):
    ch = PR['ch'][0]
    pr = pick(PR['pcp'] + PR['pt'] + PR['uc'])
    biller = m.staff(pr)
    batch = f'{pick(["2024", "2025"])}{R.randrange(1, 13):02d}{R.randrange(1, 29):02d}-{digits(4)}'
    rows = []
    reasons = [('A7:562', 'Entity\'s National Provider Identifier (NPI) invalid'), ('A6:35', 'Subscriber ID not found'),
               ('A3:21', 'Missing or invalid information - date of birth'), ('A7:454', 'Procedure code for services rendered invalid')]
    hdr = 'claim_id,patient_name,dob,member_id,payer,dos,cpt,icd10,status,reason'
    n = R.randrange(3, 7)
    for _ in range(n):
        p = m.patient('any')
        rc = pick(reasons)
        cpt = pick(['99213', '99214', '97110', '97140', '99203', '87880'])
        icd = pick(['I10', 'E11.9', 'M54.50', 'J02.9', 'Z00.00', 'K21.9'])
        nm = V('patient_name', p.LF())
        rows.append(f'CLM0{digits(9)},"{nm}",{V("dob", p.dob("mdy0"))},{V("member_id", p.member())},'
                    f'{pick(["KEYSTONE MUTUAL", "PRAIRIE SHIELD", "SILVER HARBOR"])},{svc_date(0)},{V("cpt", cpt)},{V("icd10", icd)},REJECTED,"{rc[0]} {rc[1]}"')
    csv = hdr + '\n' + '\n'.join(rows) + '\n'
    m.frm = ('ClaimStream Reports', f'reports@{ch.domain}')
    m.to = (biller.name, f'billing@{pr.domain}')
    m.subject = f'[ClaimStream] 277CA rejections - batch {batch}'
    m.plain = f"""ClaimStream 277CA Acknowledgement Summary
Submitter: {pr.name}
Batch: {batch}    Received: {svc_date(0)} {pick(['06:02', '18:44'])} CT
Claims accepted: {R.randrange(20, 140)}    Claims rejected: {n}

Rejected claims are listed in the attached CSV. Correct and resubmit within
the payer's timely filing limit. Support: open a ticket at https://support.{ch.domain}
(reference CS-{digits(6)}).
"""
    m.attachments.append((f'rejections_{batch}.csv', 'csv', csv))


def t_ins_eob(m):
    payer = pick(PR['payer'][:2])
    pr = pick(PR['pcp'] + PR['rad'] + PR['pt'])
    sub = m.patient('adult')
    pt_is_kid = chance(0.35)
    p = m.patient('child') if pt_is_kid else sub
    doc = m.staff(pr, pick(['MD', 'PT', 'DO']))
    claim = f'{digits(2)}{pick("EK")}{digits(9)}'
    cpts = R.sample(['99214', '85025', '80053', '36415', '71046', '97110', '99395', '93000'], R.randrange(2, 4))
    dx = pick(['I10', 'E78.5', 'Z00.00', 'M54.50', 'K21.9'])
    dos = svc_date(0)
    rows = []
    for c in cpts:
        billed = R.randrange(40, 400)
        allowed = round(billed * 0.6, 2)
        rows.append([dos, V('cpt', c), CPT[c], f'${billed:.2f}', f'${allowed:.2f}', f'${allowed * 0.2:.2f}'])
    kv = [('Member', sub.full() if pt_is_kid else V('patient_name', sub.full())), ('Member ID', V('member_id', sub.member())),
          ('Patient', V('patient_name', p.full())), ('Claim number', claim),
          ('Provider', f'{doc.name}, {pr.name}'), ('Provider NPI', V('npi', doc.npi())),
          ('Diagnosis code', V('icd10', dx))]
    if pt_is_kid:
        m.people.remove(sub)  # the subscriber (parent) is not the patient here
    blocks = [('p', f'Hello {sub.first},'),
              ('p', 'A claim was processed on your plan. This is not a bill. The provider may bill you for the amount '
                    'shown under "Your share".'),
              ('kv', kv),
              ('table', ['Date of service', 'CPT', 'Service', 'Billed', 'Allowed', 'Your share'], rows),
              ('p', f'Questions about this claim? Member Services: {V("phone", payer.phone(0))} (TTY 711), '
                    '8 AM-8 PM local time.'),
              ('sig', [payer.name, V('us_address', payer.street), payer.city_line(True)])]
    m.frm = (payer.name, f'eob@{payer.domain}')
    m.to = (sub.full(), sub.email())
    m.subject = 'Your Explanation of Benefits is ready'
    m.both(blocks, 'EOB')


def t_ins_medicare(m):
    payer = PR['payer'][2]
    pr = pick(PR['hh'] + [PR['pcp'][0], PR['pcp'][2]] + PR['pt'])
    p = m.patient('senior')
    st = m.staff(pr, '', 'Intake Coordinator')
    dashed = chance(0.5)
    mbi = p.mbi(dashed)
    lab = pick(['MBI', 'Medicare Beneficiary Identifier', 'Medicare ID (MBI)', 'mbi'])
    m.frm = (st.name, st.mail)
    m.to = ('Silver Harbor Provider Services', f'providers@{payer.domain}')
    m.subject = 'Eligibility check - conflicting MBI'
    m.plain = f"""Hello,

Your portal returns "member not found" for the patient below, but the patient's red-white-and-blue
card shows Medicare Part A and B and {p.he} says {p.he} enrolled in Silver Harbor effective 01/01/2025.
Can you confirm which plan ID to bill?

Patient: {V('patient_name', p.full())}
DOB: {V('dob', p.dob('mdy0'))}
{lab}: {V('mbi', mbi)}
Plan member ID (from new card): {V('member_id', p.member('SHA'))}
Home phone: {V('phone', p.phone())}

We have a start-of-care visit scheduled {svc_date(0)}. Reference for my call on
{svc_date(0)}: call ID {digits(10)}.

{chr(10).join(sig(st, pr, style=pick([0, 1, 2]), fax=True))}
"""


def t_roi_attorney(m):
    law = PR['law'][0]
    hosp = pick(PR['hosp'] + PR['uc'] + PR['pt'])
    p = m.patient('adult')
    para = m.staff(law, '', 'Paralegal')
    atty = m.staff(law, 'Esq.')
    dol = svc_date(0)
    ssn = p.ssn()
    auth = f"""AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION
(45 CFR 164.508)

Patient name: {V('patient_name', p.full())}
Date of birth: {V('dob', p.dob('mdy0'))}
Social Security No.: {V('us_ssn', ssn)}
Address: {V('us_address', p.street())}
         {p.city_line(True)}
Telephone: {V('phone', p.phone(1))}

I authorize {hosp.name} to release the following records: all medical records,
imaging reports, itemized billing (UB-04/HCFA-1500) for dates of service
{dol} through present.

Release to: {law.name}, attn {atty.name}, {V('us_address', law.street)}, {law.suite},
{law.city_line()}   Fax {V('phone', law.fax(1))}

Purpose: legal claim. This authorization expires one year from the date signed.

Signature: /s/ {p.first} {p.last[0]}.            Date signed: {svc_date(0)}
"""
    m.frm = (para.name, para.mail)
    m.to = ('Release of Information', f'roi@{hosp.domain}')
    m.subject = f"Records request - our client {V('patient_name', p.full())}"
    m.plain = f"""To the Custodian of Records:

This office represents {V('patient_name', p.full())} in connection with an automobile
collision on {dol} (our file no. PK-{digits(5)}, claim {digits(10)}). Please
provide complete certified copies of records for:

Patient: {V('patient_name', p.full())}
DOB: {V('dob', p.dob('mdy0'))}
SSN: XXX-XX-{ssn[-4:]}

A signed HIPAA-compliant authorization is attached. We will pay reasonable
copy costs per state statute; please invoice us with the file number.

{para.name}
{para.title} to {atty.name}, {atty.cred}
{law.name}
{V('phone', law.phone(0))} direct / {V('phone', law.fax(0))} fax
"""
    m.attachments.append(('HIPAA_authorization.txt', 'plain', auth))


def t_roi_patient(m):
    hosp = pick(PR['hosp'] + PR['pcp'] + PR['bh'])
    p = m.patient('adult')
    dl_st = pick(list(DL_FORMATS))
    dl = p.dl(dl_st)
    state_name = {'CA': 'California', 'TX': 'Texas', 'NY': 'New York', 'FL': 'Florida', 'IL': 'Illinois',
                  'OH': 'Ohio', 'PA': 'Pennsylvania', 'AZ': 'Arizona', 'WA': 'Washington'}[dl_st]
    m.frm = (p.full(), p.email())
    m.to = ('Health Information Management', f'him@{hosp.domain}')
    m.subject = 'request for my medical records'
    m.plain = f"""To whom it may concern,

I am requesting a complete copy of my medical records from {pick(['2019', '2021', '2022'])} to present, including
imaging and lab results, in electronic format.

Name: {V('patient_name', p.full())}
I was born on {V('dob', p.dob('long'))}.
My {state_name} driver's license number is {V('drivers_license', dl)} (copy can be provided).
Please send to {V('email', p.email())} or mail to:
{V('us_address', p.street(0.25))}
{p.city_line()}

You can reach me at {V('phone', p.phone())} if there is a fee.

Sincerely,
{p.first}
"""


def t_ins_pa_decision(m):
    payer = pick(PR['payer'][:2])
    pr = pick(PR['pt'] + PR['rad'])
    p = m.patient('adult')
    doc = m.staff(pr, pick(['PT, DPT', 'MD']))
    um = m.staff(payer, 'RN', 'Utilization Management')
    pt = pr in PR['pt']
    cpts = ['97110', '97140', '97530'] if pt else [pick(['72148', '73721', '74177'])]
    dx = pick(['M54.50', 'M25.561', 'S83.511A']) if pt else pick(['M54.50', 'R10.9', 'M25.561'])
    auth = f'PA{digits(9)}'
    m.frm = (f'{payer.name} Utilization Management', f'um@{payer.domain}')
    m.to = (pr.name, f'auth@{pr.domain}')
    m.subject = f'Authorization {auth} - approved'
    kv = [('Authorization number', auth), ('Member', V('patient_name', p.full())),
          ('Member ID', V('member_id', p.member())), ('DOB', V('dob', p.dob('mdy0'))),
          ('Servicing provider', f"{pr.name}, NPI {V('npi', pr.npi)}"), ('Requested by', f'{doc.name}, {doc.cred}'),
          ('Approved service(s)', ', '.join('CPT ' + V('cpt', c) for c in cpts)), ('Diagnosis', V('icd10', dx)),
          ('Units/visits approved', '12 visits' if pt else '1'), ('Valid', f'{svc_date(0)} - {svc_date(0)}')]
    blocks = [('h', 'NOTICE OF APPROVAL'), ('kv', kv),
              ('p', 'This approval is not a guarantee of payment; benefits are subject to eligibility on the date of '
                    f"service. Questions: {V('phone', payer.phone(1))}."),
              ('sig', [f'{um.signed()}, {um.title}', payer.name])]
    if chance(0.7):
        m.both(blocks, 'Authorization')
    else:
        m.plain = render_plain(blocks)


def t_bh_psych_rx(m):
    pr = pick(PR['bh'])
    rx = pick(PR['rx'])
    p = m.patient('young')
    np_ = m.staff(pr, pick(['PMHNP-BC', 'MD']))
    drug = pick([d for d in CONTROLLED if d[0] in ('methylphenidate ER', 'lisdexamfetamine', 'lorazepam', 'alprazolam')])
    dx = 'F90.2' if drug[2] == 'CII' else pick(['F41.1', 'F43.10'])
    ndc = gen_ndc()
    m.frm = (np_.signed(), np_.mail)
    m.to = (rx.name, f'rph@{rx.domain}')
    m.subject = pick(['e-Rx sent - please confirm receipt', 'controlled rx for our client', 'new Rx, EPCS'])
    m.plain = f"""Hello,

I sent an EPCS prescription this morning and the status still shows "pending". Details so
you can match it:

Client: {V('patient_name', p.full())}
DOB: {V('dob', p.dob())}
Medication: {drug[0]} {drug[1]} ({drug[2]}), #30, no refills
Preferred product: NDC {V('ndc', ndc)}
Diagnosis: {V('icd10', dx)}
Prescriber DEA: {V('dea', np_.dea())}
NPI: {V('npi', np_.npi())}

PDMP was reviewed today (report {pick(['PMP', 'RPT'])}-{digits(8)}). Please call our office at
{V('phone', pr.phone())} if there's a problem - ask for the nurse, not the front desk.

{np_.signed()}
{pr.name}
"""


def t_rx_new_controlled(m):
    clinic = pick(PR['uc'] + PR['pcp'])
    rx = pick(PR['rx'])
    p = m.patient('adult')
    doc = m.staff(clinic, pick(['MD', 'DO', 'PA-C']))
    drug = pick([d for d in CONTROLLED if d[0] in ('oxycodone', 'tramadol', 'buprenorphine/naloxone')])
    m.frm = ('ChartBridge e-Fax', f'efax@{PR["ehr"][0].domain}')
    m.to = (rx.name, f'fax@{rx.domain}')
    m.subject = f'eFax: prescription from {clinic.name}'
    m.plain = f"""*** FAX COVER - PRESCRIPTION ***  pages: 2   sent {svc_date(0)} {pick(['10:14', '15:31'])}

TO: {rx.name.upper()}   FAX {V('phone', rx.fax(1))}
FROM: {clinic.name.upper()}   PH {V('phone', clinic.phone(1))}

PT NAME: {V('patient_name', p.LF())}
DOB: {V('dob', p.dob('mdy0'))}
RX: {drug[0].upper()} {drug[1].upper()} - TAKE 1 EVERY 6 HOURS AS NEEDED, QTY 12 (TWELVE)
PRESCRIBER: {doc.name.upper()}, {doc.cred}   DEA# {V('dea', doc.dea())}   NPI# {V('npi', doc.npi())}

CONFIDENTIALITY NOTICE: THIS FAX MAY CONTAIN PROTECTED HEALTH INFORMATION.
"""


def t_billing_charity(m):
    hosp = PR['hosp'][0]
    p = m.patient('adult')
    fc = m.staff(hosp, '', 'Financial Counselor')
    ssn_style = pick(['-', ' ', '-'])
    dl_st = pick(list(DL_FORMATS))
    m.frm = (p.full(), p.email())
    m.to = (fc.name, f'financialassistance@{hosp.domain}')
    m.subject = 'financial assistance application'
    m.plain = f"""Hi {fc.first},

You asked me to send the information that was missing from my financial assistance
application. Here it is:

Applicant / patient: {V('patient_name', p.full())}
Date of birth: {V('dob', p.dob())}
social security number: {V('us_ssn', p.ssn(ssn_style))}
Photo ID: {dl_st} driver's license {V('drivers_license', p.dl(dl_st))}
Household size: {R.randrange(1, 6)}   Monthly income: ${R.randrange(1200, 3900):,}
Address: {V('us_address', p.street())}
Phone: {V('phone', p.phone())}

The hospital account number on the letter was {digits(9)}. I can bring the pay stubs
in person on Thursday.

Thank you for your help,
{p.first}
"""


def t_fd_card_note(m):
    pr = pick(PR['pcp'] + PR['dental'] + PR['pt'])
    p = m.patient('adult')
    fd = m.staff(pr, '', 'Front Desk')
    bl = m.staff(pr, '', 'Billing')
    card = gen_card(sep=pick([' ', '']))
    m.frm = (fd.name, fd.mail)
    m.to = (bl.name, bl.mail)
    m.subject = pick(['phone payment', 'pls run card', 'card payment for balance'])
    m.plain = f"""{bl.first} - pt {V('patient_name', p.full())} called and wants to pay the ${R.randrange(20, 400)} balance.
I didn't have access to the terminal so here's what {p.he} gave me:

card {V('credit_card', card)}  exp {R.randrange(1, 13):02d}/{R.randrange(26, 31)}  cvv {digits(3)}
name on card same as patient, zip {p.city[2]}

Call {p.him} at {V('phone', p.phone())} with the confirmation #. I'll shred my note.

{fd.first}
"""


def t_ins_eft_enroll(m):
    pr = pick(PR['pt'] + PR['bh'] + PR['dental'] + PR['pcp'])
    payer = pick(PR['payer'])
    mgr = m.staff(pr, '', 'Practice Administrator')
    aba = gen_aba()
    rlab = pick(['Routing number (ABA)', 'Bank routing #', 'ABA routing number', 'RTN'])
    m.frm = (mgr.name, mgr.mail)
    m.to = (f'{payer.name} EFT Enrollment', f'eft@{payer.domain}')
    m.subject = 'EFT enrollment form - resubmission'
    m.plain = f"""Hello,

Resubmitting our EFT/ERA enrollment; the first one was returned because the voided
check was unreadable.

Provider name: {pr.name}
Billing (Type 2) NPI: {V('npi', pr.npi)}
TIN: {R.randrange(10, 99)}-{digits(7)}
Bank: {pick(['Heartland Community Bank', 'Prairie Trust', 'Riverview Federal Credit Union'])}
{rlab}: {V('aba_routing', aba)}
Account number: {digits(R.randrange(8, 12))} (business checking)
Contact: {mgr.name}, {V('phone', pr.phone())}, {V('email', mgr.mail)}

Please confirm the effective date; we're expecting the first EFT trace after {svc_date(0)}.

{mgr.name}
{mgr.title}
"""

# ===========================================================================
# Hard negatives: no labelled values at all
# ===========================================================================

def dialin():
    t = bad_phone()
    return fmt_phone(t, pick([0, 1]))


def n_hr_open_enrollment(m):
    hosp = PR['hosp'][0]
    hr = m.staff(hosp, '', 'Benefits Specialist')
    d = appt_dt(2024)
    blocks = [('p', 'Hello team,'),
              ('p', 'Open enrollment for 2025 benefits runs November 1 through November 15. Elections you make '
                    'take effect January 1, 2025. If you do nothing, your current medical, dental and vision '
                    'elections roll over, but FSA elections do NOT.'),
              ('table', ['Plan', 'Deductible (single/family)', 'Biweekly premium (employee only)', 'Out-of-pocket max'],
               [['Keystone HMO 250', '$250 / $500', '$38.40', '$3,000'], ['Keystone PPO 1500', '$1,500 / $3,000', '$22.15', '$6,500'],
                ['HDHP + HSA', '$3,300 / $6,600', '$9.80', '$7,000']]),
              ('ul', [f'Benefits fair: {fmt_appt(d, 0)}, Conference Room 2B-114',
                      f'Webinar dial-in {dialin()}, meeting ID {R.randrange(810, 899)} {digits(4)} {digits(4)}, passcode {digits(6)}',
                      'HSA employer seed: $500 single / $1,000 family, deposited in two installments',
                      'Questions: Benefits ext. 4471 or stop by HR, Suite 120 (Building C)']),
              ('p', 'You will need your employee ID (on your badge) to log in to the enrollment site.'),
              ('sig', [hr.name, hr.title, 'Human Resources'])]
    m.frm = (hr.name, f'benefits@{hosp.domain}')
    m.to = ('All Staff', f'allstaff@{hosp.domain}')
    m.subject = '2025 Open Enrollment starts November 1'
    m.both(blocks, 'Open enrollment')


def n_hr_w2(m):
    hosp = PR['hosp'][0]
    pay = m.staff(hosp, '', 'Payroll Manager')
    m.frm = (pay.name, f'payroll@{hosp.domain}')
    m.to = ('All Staff', f'allstaff@{hosp.domain}')
    m.subject = 'Your 2024 W-2 is available'
    m.plain = f"""Hi everyone,

2024 W-2 forms are now available in the employee self-service portal under
Pay > Tax Documents. For security, the online copy shows only the last four
digits of your Social Security number (XXX-XX-{digits(4)}), and we will never ask for
your SSN by e-mail.

Key dates:
  - Jan 24: paper W-2s mailed to anyone who did not consent to electronic delivery
  - Jan 31: deadline for address corrections for paper copies
  - Feb 14: last payroll with 2024 FSA reimbursements

If the box 12 code DD amount looks wrong, open a payroll ticket (PAY-{digits(5)}).

{pay.name}
{pay.title}, ext. {pay.ext}
"""


def n_hr_fsa(m):
    hosp = pick(PR['hosp'] + PR['pcp'])
    hr = m.staff(hosp, '', 'HR Generalist')
    m.frm = (hr.name, f'hr@{hosp.domain}')
    m.to = ('Staff', f'staff@{hosp.domain}')
    m.subject = 'FSA reminder - use it or lose it'
    m.plain = f"""Quick reminder: the 2024 health care FSA grace period ends March 15, 2025.
Claims for expenses incurred through that date must be submitted by March 31.

Current limits: $3,200 health FSA, $5,000 dependent care FSA (household).
Carryover into 2025 is capped at $640.

To submit a claim, upload receipts in the benefits app. Your claim number
(format FSA-2024-0000000) is e-mailed to you when it's received. Typical
turnaround is 3-5 business days; reimbursements of $25.00 or more are paid
by direct deposit on the next payroll.

Thanks,
{hr.first}
HR, ext. {hr.ext}
"""


def n_it_maintenance(m):
    ehr = PR['ehr'][0]
    hosp = pick(PR['hosp'] + PR['pcp'])
    it = m.staff(hosp, '', 'IT Service Desk')
    build = bad_npi('2')
    tick = f'INC{digits(7)}'
    m.frm = ('IT Service Desk', f'servicedesk@{hosp.domain}')
    m.to = ('All Users', f'allusers@{hosp.domain}')
    m.subject = f'Planned downtime: ChartBridge upgrade ({tick})'
    m.plain = f"""PLANNED MAINTENANCE - CHARTBRIDGE EHR

What: upgrade from ChartBridge 24.3.7 to 24.11.3 (build {build})
When: Sunday 01:00 - 04:30 CT
Impact: EHR, e-prescribing and the patient portal unavailable. Use downtime
        forms (blue binder at each nurses' station). The downtime PC in Room B12
        prints the census at 00:45.
Change ticket: {tick}   CAB approval CHG{digits(7)}

Servers: cbapp01 (10.20.4.18), cbapp02 (10.20.4.19), reporting db 10.20.6.41:1433
Interface engine queue will be held and replayed after 04:30.

After the upgrade, clear your browser cache (Ctrl+Shift+Del). Known issue
KB{digits(6)}: label printers on firmware 3.2.1 need a restart.

Service Desk, ext. 5000 (option 1)
"""


def n_it_test_data(m):
    hosp = pick(PR['hosp'] + PR['pcp'])
    qa = m.staff(hosp, '', 'QA Analyst')
    fake = [bad_ssn(), bad_ssn(), bad_ssn()]
    m.frm = (qa.name, qa.mail)
    m.to = ('Interface team', f'interfaces@{hosp.domain}')
    m.subject = 'test patient data for the lab interface cutover'
    m.plain = f"""All,

For Thursday's lab interface test, use only the TEST patients in the TRN
environment. Reminder of the conventions so nothing real ends up in a
test message:

  - SSNs must be invalid by SSA rules: {fake[0]}, {fake[1]}, {fake[2]}
  - NPI for the dummy provider: {bad_npi('1')} (fails the check digit on purpose)
  - Test card for the payment screen: {bad_card16(' ')}
  - Names: ZZTEST, ALPHA / ZZTEST, BRAVO

Message control IDs will be prefixed TRN{digits(4)}. Interface version 2.5.1,
engine build {R.randrange(5, 9)}.{R.randrange(0, 9)}.{R.randrange(100, 999)}.

{qa.first}
"""


def n_supply_order(m):
    pr = pick(PR['pcp'] + PR['uc'] + PR['dental'])
    po = pick(['99213', '97110', '90837', '70450'])
    items = [('Nitrile exam gloves, M, box/100', f'GLV-{digits(5)}', f'{digits(2)}{pick("ABK")}{digits(4)}', 20, 8.95),
             ('Alcohol prep pads, box/200', f'APP-{digits(4)}', f'L{digits(6)}', 12, 3.10),
             ('Tongue depressors, sterile, 6"', f'TD-{digits(4)}', f'{digits(6)}', 5, 11.40),
             ('Sharps container 1 qt', f'SHC-{digits(3)}', f'SC{digits(5)}', 8, 4.75),
             ('Exam table paper 21" x 225\'', f'ETP-{digits(4)}', f'{digits(2)}-{digits(4)}', 6, 27.30)]
    lines = '\n'.join(f'{d:<38} SKU {s:<10} Lot {lo:<9} qty {q:>3}  ${p * q:>8.2f}' for d, s, lo, q, p in items)
    total = sum(q * p for *_, q, p in items)
    m.frm = ('MedSupply Direct', 'orders@medsupply-direct.example')
    m.to = (pr.name, f'office@{pr.domain}')
    m.subject = f'Order confirmation #{digits(8)}'
    m.plain = f"""Thank you for your order!

Order number: {digits(3)}-{digits(7)}-{digits(4)}
Customer PO: {po}
Order date: {svc_date(0)}   Estimated delivery: {svc_date(0)}
Ship to: {pr.name}, Receiving, Dock 4 - {pr.city_line(True)}

{lines}

Subtotal: ${total:,.2f}   Shipping: $0.00   Tax: ${total * 0.0625:,.2f}

Track your shipment in your account. Returns within 30 days with RMA.
"""


def n_shipping(m):
    pr = pick(PR['pcp'] + PR['rad'] + PR['pt'] + PR['hh'])
    carrier = pick(['ups', 'fedex', 'usps'])
    if carrier == 'ups':
        trk = f'1Z{"".join(pick("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(6))}{digits(10)}'
    elif carrier == 'fedex':
        trk = digits(12)
    else:
        trk = ' '.join(['9400'] + [digits(4) for _ in range(4)] + [digits(2)])
    m.frm = ('Shipment Notifications', f'notify@{carrier}-tracking.example')
    m.to = (pr.name, f'office@{pr.domain}')
    m.subject = f'Your package is out for delivery'
    m.plain = f"""Your shipment is out for delivery today.

Tracking number: {trk}
Reference: PO {digits(6)} / Invoice {digits(7)}
Weight: {R.randrange(2, 40)}.{R.randrange(0, 9)} lb   Pieces: {R.randrange(1, 4)}
Ship to: RECEIVING, {pr.city_line(True).upper()}
Estimated delivery: by 7:00 PM

Signature required: No
"""


def n_invoice(m):
    pr = pick(PR['pcp'] + PR['dental'] + PR['bh'])
    inv = f'INV-{digits(6)}'
    amt = R.randrange(300, 9000)
    m.frm = ('Accounts Receivable', 'ar@brightline-janitorial.example')
    m.to = (pr.name, f'ap@{pr.domain}')
    m.subject = f'Invoice {inv} from Brightline Janitorial'
    m.plain = f"""Hello,

Please find our invoice details for services in {pick(['December', 'January', 'February'])}.

Invoice number: {inv}
Invoice date: {svc_date(0)}
Due date: {svc_date(0)} (net 30)
Customer account: C-{digits(5)}
PO reference: 45{digits(8)}

Nightly cleaning, 5 nights/week ............ ${amt:,.2f}
Carpet extraction, Suite 210 ................ $   385.00
Supplies surcharge .......................... $    42.18

Remittance: check payable to Brightline Janitorial LLC, or ACH - include the
invoice number. Routing slip reference {bad_aba()} must accompany paper checks.

Late payments accrue 1.5% per month.
"""


def n_meeting(m):
    hosp = pick(PR['hosp'] + PR['hh'])
    chair = m.staff(hosp, 'RN', 'Director of Quality')
    others = [m.staff(hosp) for _ in range(3)]
    d = appt_dt(2025)
    m.frm = (chair.name, chair.mail)
    m.to = ('Quality Committee', f'quality@{hosp.domain}')
    m.subject = f'Agenda - Quality & Safety Committee {d.month}/{d.day}'
    m.plain = f"""Agenda - Quality & Safety Committee
{fmt_appt(d, 0)}, Board Room (3rd floor, Room 3-410)
Teams / dial-in: {dialin()}, conference ID {digits(9)}#

1. Approval of minutes from {svc_date(1)} (5 min) - {chair.first}
2. Hand hygiene audit Q4: 91.4% compliance, target 95% (10 min) - {others[0].name}
3. Falls with injury: 0.42 per 1,000 patient days (10 min) - {others[1].name}
4. CLABSI update, SIR 0.71 (10 min) - {others[2].name}
5. Policy review: QS-114 rev. 7, QS-120 rev. 3
6. Open discussion

Please send updates by {svc_date(1)} 5:00 PM.

{chair.signed()}
{chair.title}
"""


def n_facilities(m):
    pr = pick(PR['hosp'] + PR['pcp'] + PR['rad'])
    fac = m.staff(pr, '', 'Facilities')
    m.frm = (fac.name, f'facilities@{pr.domain}')
    m.to = ('Building occupants', f'building@{pr.domain}')
    m.subject = 'HVAC work - Suite 310 and 3rd floor corridor'
    m.plain = f"""Heads up: the HVAC contractor will replace the rooftop unit serving Suite 310,
Rooms 312-318 and the 3rd floor corridor on {svc_date(0)} between 6:00 AM and 2:00 PM.

- Unit: Trane model YSC{digits(3)}A3RHA, serial {digits(6)}{pick("ABCD")}{digits(4)}
- Filters: 20x25x4 MERV 13 (part F-2025-4M), stock in storage bin C44
- Crane staging in parking lot B, rows 4-6 closed
- Work order WO-{digits(6)}

Exam rooms 314 and 316 will be about 5 degrees warmer than usual. Elevator 2 will
be out of service 9:30-11:00 AM. Call facilities at ext. {fac.ext} with questions.

{fac.name}
"""


def n_cme(m):
    hosp = PR['hosp'][0]
    ed = m.staff(hosp, 'MSN, RN', 'Clinical Education')
    d = appt_dt(2025)
    m.frm = (ed.name, f'education@{hosp.domain}')
    m.to = ('Nursing', f'nursing@{hosp.domain}')
    m.subject = 'ACLS / PALS recertification dates'
    m.plain = f"""Upcoming recertification classes (Education Center, Classroom 1A):

  ACLS renewal    {fmt_appt(d, 4)}   0800-1600   course CME-{digits(2)}-{digits(4)}   $175   6.5 CE hours
  PALS renewal    {fmt_appt(appt_dt(2025), 4)}   0800-1630   course CME-{digits(2)}-{digits(4)}   $175   7.0 CE hours
  BLS skills      every Tuesday 1300-1400 (walk-in), Room 1C

Register in the learning system (course catalog > Resuscitation). Bring your
current card. Parking validation for the Elm Street garage is at the front desk.

{ed.signed()}
{ed.title}
"""


def n_dental_fees(m):
    pr = PR['dental'][0]
    mgr = m.staff(pr, '', 'Office Manager')
    codes = R.sample(list(CDT), 8)
    lines = '\n'.join(f'  {c}  {CDT[c]:<52} ${CDT_FEES[c] + R.randrange(0, 25):>6}.00' for c in codes)
    m.frm = (mgr.name, mgr.mail)
    m.to = ('Front office', f'frontoffice@{pr.domain}')
    m.subject = '2025 UCR fee schedule update'
    m.plain = f"""Team,

The 2025 usual & customary fees are loaded in the practice management system as of Jan 2.
Updated codes:

{lines}

PPO write-offs will calculate automatically. Please quote the new fees for any
treatment plans presented after Jan 2 and re-print estimates older than 90 days.

{mgr.first}
"""


def n_lab_ranges(m):
    hosp = PR['hosp'][0]
    lab = m.staff(hosp, 'MLS(ASCP)', 'Laboratory Director')
    rows = [['Hemoglobin A1c', '4.0-5.6 %', '4.0-5.6 %', 'no change, new method'],
            ['TSH', '0.35-5.50 mIU/L', '0.45-4.50 mIU/L', 'new reagent lot'],
            ['Potassium', '3.5-5.1 mmol/L', '3.5-5.2 mmol/L', 'verified'],
            ['Creatinine (F)', '0.57-1.00 mg/dL', '0.55-1.02 mg/dL', 'IDMS-traceable'],
            ['Vitamin D, 25-OH', '30-100 ng/mL', '30-80 ng/mL', 'new analyzer']]
    blocks = [('p', 'Clinicians,'),
              ('p', f'Effective {svc_date(0)} at 07:00 the laboratory moves chemistry testing to the new analyzer '
                    f'(model AU-{R.randrange(400, 700)}, software v{R.randrange(2, 6)}.{R.randrange(0, 9)}.{R.randrange(0, 20)}). '
                    'Several reference intervals change:'),
              ('table', ['Test', 'Old range', 'New range', 'Note'], rows),
              ('p', 'Results before and after the change may not be directly comparable. Critical values are unchanged '
                    '(K < 2.8 or > 6.2 mmol/L).'),
              ('sig', [lab.signed(), lab.title])]
    m.frm = (lab.name, f'lab@{hosp.domain}')
    m.to = ('Medical Staff', f'medstaff@{hosp.domain}')
    m.subject = 'Reference range changes - chemistry analyzer go-live'
    m.both(blocks, 'Reference ranges')


def n_formulary(m):
    payer = pick(PR['payer'])
    m.frm = (payer.name, f'pharmacy-news@{payer.domain}')
    m.to = ('Network providers', f'providers@{payer.domain}')
    m.subject = 'Formulary changes effective April 1'
    m.plain = f"""Formulary update for network prescribers

Moving to Tier 1 (generic, $4 copay): atorvastatin 10/20/40/80 mg tablets;
losartan 25/50/100 mg tablets; sertraline 25/50/100 mg tablets.

Moving to Tier 3 (non-preferred, $60 copay): brand esomeprazole 20/40 mg
capsules - generic omeprazole 20 mg remains Tier 1.

New quantity limits: sumatriptan 100 mg, 9 tablets per 30 days; zolpidem 10 mg,
30 tablets per 30 days.

Step therapy added: GLP-1 agonists require a 90-day trial of metformin
(1,500-2,000 mg/day) unless contraindicated.

Full list: https://{payer.domain}/formulary (document FRM-2025-Q2, version 3.1).
"""


def n_recall(m):
    pr = pick(PR['hosp'] + PR['uc'] + PR['hh'])
    m.frm = ('Vendor Quality Notices', 'quality@infusetech-devices.example')
    m.to = ('Materials management', f'materials@{pr.domain}')
    m.subject = 'URGENT: Medical device correction - infusion pump sets'
    lots = ', '.join(f'{digits(2)}{pick("KMR")}{digits(4)}' for _ in range(4))
    m.plain = f"""URGENT MEDICAL DEVICE CORRECTION
Recall number: Z-{digits(4)}-2025

Product: IV administration set, 15 drops/mL, 104 in. (model IS-{digits(4)}-{pick('AB')})
Affected lots: {lots}
Expiration dates: 2026-03-31 through 2026-09-30
UDI-DI: 00{digits(12)}

Issue: the roller clamp may not fully occlude at flow rates under 5 mL/hr.
Action: quarantine affected lots, complete the response form within 10 business
days (reference CAPA-{digits(5)}). Replacement product ships at no charge.
"""


def n_phone_tree(m):
    pr = pick(PR['pcp'] + PR['pt'] + PR['bh'])
    mgr = m.staff(pr, '', 'Practice Manager')
    staff = [m.staff(pr) for _ in range(6)]
    roles = ['Front desk', 'Billing', 'Referrals', 'Nurse line', 'Medical records', 'Scheduling']
    lst = '\n'.join(f'  {r:<16} {s.name:<20} ext. {s.ext}' for r, s in zip(roles, staff))
    m.frm = (mgr.name, mgr.mail)
    m.to = ('All staff', f'staff@{pr.domain}')
    m.subject = 'updated extension list'
    m.plain = f"""Updated internal extensions after the phone system migration:

{lst}

Main menu: press 1 scheduling, 2 nurse line, 3 billing, 4 records, 0 operator.
After-hours calls roll to the answering service automatically at 5:00 PM.
Voicemail PIN resets: ext. 5000.

{mgr.first}
"""


def n_appt_generic(m):
    pr = pick(PR['dental'] + PR['pcp'] + PR['pt'])
    a = appt_dt(2025)
    m.frm = (pr.name, f'noreply@{pr.domain}')
    m.to = ('', f'{pick(["user", "member", "contact"])}{digits(4)}@{pick(PT_DOMAINS)}')
    m.subject = 'Appointment reminder'
    m.plain = f"""You have an upcoming appointment on {fmt_appt(a, 4)}.

Location: {pr.suite or 'Main building'}, check in at the 2nd floor desk.
Please arrive 15 minutes early and bring your insurance card.

Reply C to confirm, R to reschedule, or STOP to opt out of reminders.
Msg ID {digits(9)}
"""


def n_rx_ready(m):
    pr = pick(PR['rx'])
    m.frm = (pr.name, f'notify@{pr.domain}')
    m.to = ('', f'member{digits(5)}@{pick(PT_DOMAINS)}')
    m.subject = 'Your prescription is ready'
    m.plain = f"""Good news - your prescription is ready for pickup.

Rx #{digits(7)}   Qty 30   Your price: ${R.randrange(0, 40)}.{digits(2)}
Store #118, drive-thru open until 9:00 PM.

Prescriptions not picked up within 10 days are returned to stock.
Reference {pick('ABCDEF')}{digits(9)}
"""


def n_quality(m):
    pr = pick(PR['pcp'])
    qm = m.staff(pr, '', 'Quality Manager')
    m.frm = (qm.name, qm.mail)
    m.to = ('Providers', f'providers@{pr.domain}')
    m.subject = 'Q4 quality dashboard'
    m.plain = f"""Q4 quality measures (all providers, {R.randrange(3000, 9000)} attributed patients):

  Diabetes: A1c > 9.0% (CMS122v12, inverse)        18.2%   target < 20%
  Controlling high blood pressure < 140/90 (CMS165)  71.5%   target 75%
  Breast cancer screening (CMS125)                   68.0%   target 72%
  Depression screening and follow-up (CMS2)          82.9%   target 80%

Patient satisfaction survey: 4.6/5 (n = 412). Our group TIN and the billing
NPI {bad_npi('1')} in last quarter's file were transposed; the vendor has corrected it.

{qm.first}
"""


def n_parking(m):
    hosp = PR['hosp'][0]
    sec = m.staff(hosp, '', 'Security & Parking')
    m.frm = (sec.name, f'parking@{hosp.domain}')
    m.to = ('All Staff', f'allstaff@{hosp.domain}')
    m.subject = 'Garage access badges - re-issue'
    m.plain = f"""Staff parking in the Elm Street garage moves to badge-only access on {svc_date(0)}.

- Badges with serial numbers starting 0048- need to be reprogrammed
- Bring your badge to Security, Room G-17, 7:00 AM - 3:30 PM
- Monthly permit remains $35.00, payroll deducted
- Levels 3-5 reserved for staff; visitor parking levels 1-2

Lost badge replacement fee: $15.00. Questions: ext. {sec.ext}.
"""


def n_job_posting(m):
    hh = pick(PR['hh'] + PR['pt'])
    rec = m.staff(hh, '', 'Talent Acquisition')
    m.frm = (rec.name, f'careers@{hh.domain}')
    m.to = ('Staff', f'staff@{hh.domain}')
    m.subject = 'Internal posting: Field RN and PTA openings'
    m.plain = f"""Internal job postings (apply by {svc_date(0)}):

  REQ-{digits(5)}  Field RN, full time, $41.50-$52.00/hr, 4 x 10-hour days
  REQ-{digits(5)}  PTA, per diem, $36.00/visit, weekends
  REQ-{digits(5)}  Intake coordinator, M-F 8:00-4:30, $22.75-$27.10/hr

Referral bonus: $2,000 for RN hires after 90 days. Mileage reimbursed at $0.67/mile.

{rec.name}
{rec.title}
"""


def n_era_summary(m):
    ch = PR['ch'][0]
    pr = pick(PR['pcp'] + PR['pt'] + PR['bh'])
    lines = []
    for payer in ['KEYSTONE MUTUAL', 'PRAIRIE SHIELD', 'SILVER HARBOR']:
        lines.append(f'  {payer:<18} EFT trace {digits(3)}{digits(6)}   payer ID {pick("PKS")}{digits(4)}   '
                     f'{R.randrange(3, 60):>3} claims   ${R.randrange(500, 25000):>8,}.{digits(2)}')
    m.frm = ('ClaimStream Reports', f'reports@{ch.domain}')
    m.to = (pr.name, f'billing@{pr.domain}')
    m.subject = '[ClaimStream] 835 remittance summary'
    m.plain = f"""ClaimStream 835 Remittance Summary - {svc_date(0)}
Submitter ID: SUB{digits(6)}

{chr(10).join(lines)}

ERA files are available for download for 90 days. Auto-posting completed for
3 of 3 files. Unmatched payments: 0.
"""


def n_travel(m):
    hosp = PR['hosp'][0]
    t = m.staff(hosp, 'MD')
    m.frm = ('Corporate Travel', f'travel@{hosp.domain}')
    m.to = (t.name, t.mail)
    m.subject = 'Itinerary: AHIMA conference'
    m.plain = f"""Itinerary for {t.name}

Flight confirmation: {''.join(pick('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(6))}
  Dep {svc_date(0)} 07:15  ORD -> AUS  flight 1184, seat 14C
  Ret {svc_date(0)} 18:40  AUS -> ORD  flight 2207, seat 9A
Hotel: Riverwalk Conference Hotel, 3 nights, confirmation {digits(9)}
  Rate $219.00/night + tax, room type KING
Registration: $845.00, badge pickup Hall B

Per diem $74/day. Submit receipts within 30 days of return.
"""


def n_release_notes(m):
    ehr = PR['ehr'][0]
    pr = pick(PR['pcp'] + PR['bh'])
    m.frm = ('ChartBridge Release Team', f'releases@{ehr.domain}')
    m.to = ('Customer admins', f'admins@{pr.domain}')
    m.subject = 'ChartBridge 24.11.3 release notes'
    m.plain = f"""ChartBridge 24.11.3 - Release Notes

Fixed
  CB-{digits(5)}  Claim scrubber flagged valid modifier 25 combinations
  CB-{digits(5)}  Portal message attachments over 10 MB failed silently
  CB-{digits(5)}  Time zone offset in appointment reminders (UTC-05:00)

Improved
  CB-{digits(5)}  Faster schedule loading (median 1.8 s -> 0.6 s)
  CB-{digits(5)}  New API endpoint /v2/encounters (rate limit 600/min)

Database migration {digits(4)}_{digits(6)} runs automatically. Minimum browser:
Chrome 118, Edge 118, Safari 16.4. Desktop client build 24.11.3.{R.randrange(1000, 9999)}.
"""


def n_timeoff(m):
    pr = pick(PR['pt'] + PR['uc'] + PR['dental'])
    mgr = m.staff(pr, '', 'Clinic Manager')
    s = [m.staff(pr) for _ in range(4)]
    m.frm = (mgr.name, mgr.mail)
    m.to = ('Team', f'team@{pr.domain}')
    m.subject = 'holiday coverage schedule'
    m.plain = f"""Holiday coverage (please double-check your shifts):

Dec 24  7:00-12:00   {s[0].name}, {s[1].name}
Dec 26  7:00-19:00   {s[2].name}, {s[3].name}
Dec 31  7:00-15:00   {s[0].name}, {s[2].name}
Jan 2   normal hours

Time-off requests for January need to be in the system by Dec 15. The clinic
closes at noon Dec 24 and reopens Dec 26 at 7:00.

{mgr.first}
"""


def n_holiday(m):
    pr = pick(PR['pcp'] + PR['rx'] + PR['rad'])
    m.frm = (pr.name, f'news@{pr.domain}')
    m.to = ('Patients', f'patients@{pr.domain}')
    m.subject = 'Holiday hours'
    m.plain = f"""Holiday hours at {pr.name}

Thanksgiving (Nov 28): closed
Friday Nov 29: 9:00 AM - 1:00 PM
Christmas Eve: 8:00 AM - 12:00 PM
Christmas Day and New Year's Day: closed

Flu shots (quadrivalent, ages 6 months+) are available on a walk-in basis
Monday-Friday 8:00-11:30 AM while supplies last. High-dose vaccine for 65+.
"""


def n_newsletter(m):
    payer = pick(PR['payer'])
    blocks = [('h', 'Provider Bulletin - Winter edition'),
              ('p', 'Claims submitted electronically are processed in an average of 6.2 days; paper claims average 21 days. '
                    'Switch to EFT/ERA enrollment through the provider portal to get paid faster.'),
              ('ul', ['Credentialing turnaround is now 45 days (was 60).',
                      'Telehealth place-of-service 10 is reimbursed at parity through 12/31/2025.',
                      'Provider portal maintenance every Sunday 00:00-02:00 ET.',
                      f'Webinar on {fmt_appt(appt_dt(2025), 0)}, access code {digits(3)} {digits(3)} {digits(3)}']),
              ('p', 'Bulletin No. 2025-01. Questions: contact your provider relations representative through the portal.')]
    m.frm = (payer.name, f'bulletin@{payer.domain}')
    m.to = ('Network providers', f'network@{payer.domain}')
    m.subject = 'Provider Bulletin - Winter edition'
    m.both(blocks, 'Provider Bulletin')


def n_equipment(m):
    pr = pick(PR['rad'] + PR['uc'])
    m.frm = ('Biomed Services', 'biomed@northfield-biomed.example')
    m.to = (pr.name, f'equipment@{pr.domain}')
    sr = f'SR-{digits(6)}'
    m.subject = f'Service report {sr}'
    m.plain = f"""Service report {sr}

Equipment: ultrasound system, model LOGIQ-E{R.randrange(7, 11)}, asset tag {bad_npi('1')}
Serial number: {digits(6)}WX{digits(1)}
Location: Room 2B14 (US-3)
Software version: R{R.randrange(2, 5)}.{R.randrange(0, 9)}.{R.randrange(0, 20)}
Work performed: replaced probe cable (part 5498-22-017), preventive maintenance,
electrical safety test passed (leakage 42 uA, limit 100 uA).
Technician time: 2.5 h @ $165.00/h. Next PM due in 6 months.
"""


def n_inventory_csv(m):
    pr = pick(PR['rx'] + PR['hosp'])
    buyer = m.staff(pr, '', 'Inventory Specialist')
    rows = ['sku,description,lot,expires,on_hand,par,unit_cost']
    for desc in ['Syringe 3 mL luer lock', 'Needle 25G x 1in', 'Gauze 4x4 sterile', 'Saline flush 10 mL',
                 'Glucose test strips', 'Vial adapter', 'Amber vial 20 dram']:
        rows.append(f'{pick("ABCDEFG")}{digits(5)},{desc},{digits(2)}{pick("KLMX")}{digits(4)},'
                    f'{pick(["2025", "2026", "2027"])}-{R.randrange(1, 13):02d}-28,{R.randrange(0, 400)},{R.randrange(50, 500)},'
                    f'{R.randrange(0, 30)}.{digits(2)}')
    m.frm = (buyer.name, buyer.mail)
    m.to = ('Purchasing', f'purchasing@{pr.domain}')
    m.subject = 'cycle count - below par items'
    m.plain = f"""Attached is this week's cycle count. Items below par are flagged in the
portal. Please reorder before the Friday cutoff (2:00 PM).

{buyer.first}
"""
    m.attachments.append(('cycle_count.csv', 'csv', '\n'.join(rows) + '\n'))


def n_survey(m):
    pr = pick(PR['pcp'] + PR['uc'])
    m.frm = ('Patient Experience', f'experience@{pr.domain}')
    m.to = ('Leadership', f'leaders@{pr.domain}')
    m.subject = 'Patient satisfaction survey - December results'
    m.plain = f"""December patient satisfaction survey results

Responses: {R.randrange(200, 900)} (response rate 18.4%)
Likelihood to recommend: 86.1 (top box), up 2.3 points
Wait time rated "good" or better: 71%
Top comment themes: parking, check-in kiosk, friendly staff

Comments mentioning individual staff have been shared with managers.
Survey vendor project number 2024-{digits(5)}.
"""


NEGATIVES = [n_hr_open_enrollment, n_hr_w2, n_hr_fsa, n_it_maintenance, n_it_test_data, n_supply_order,
             n_shipping, n_invoice, n_meeting, n_facilities, n_cme, n_dental_fees, n_lab_ranges, n_formulary,
             n_recall, n_phone_tree, n_appt_generic, n_rx_ready, n_quality, n_parking, n_job_posting,
             n_era_summary, n_travel, n_release_notes, n_timeoff, n_holiday, n_newsletter, n_equipment,
             n_inventory_csv, n_survey, n_shipping, n_supply_order]

# ===========================================================================
# Odd formats
# ===========================================================================

def patient_where(m, age, cond, tries=400):
    """A patient whose name satisfies cond (re-rolls; rejected people are discarded)."""
    for _ in range(tries):
        p = Person(m, age)
        if cond(p):
            m.people.append(p)
            return p
        m.used_first.discard(p.first)
        m.used_last.discard(p.last)
    raise RuntimeError('no matching person')


def o_base64_body(m):
    pr = pick(PR['bh'])
    payer = PR['payer'][0]
    p = m.patient('adult')
    m.frm = (p.full(), p.email())
    m.to = (pr.name, f'office@{pr.domain}')
    m.subject = 'insurance changed'
    m.cte = 'base64'
    m.plain = f"""Hi,

My insurance changed at work. The new plan is {payer.name}.
Client name: {V('patient_name', p.full())}
my member number is {V('member_id', p.member())}
DOB {V('dob', p.dob('mdy'))}

Can someone check if my sessions are still covered? My cell is {V('phone', p.cell(2))}.
Thanks - {p.first}
"""


def o_qp_long(m):
    ehr = PR['ehr'][0]
    pr = pick(PR['pcp'])
    p = m.patient('adult')
    dx = R.sample(['E11.9', 'I10', 'E78.5', 'K21.9'], 2)
    line = (f"EXPORT_ROW|PATIENT_NAME={V('patient_name', p.LF())}|DATE_OF_BIRTH={V('dob', p.dob('iso'))}"
            f"|MRN={V('mrn', p.mrn())}|HOME_PHONE={V('phone', p.phone(1))}|ADDRESS_LINE1={V('us_address', p.street())}"
            f"|CITY={p.city[0].upper()}|STATE={p.city[1]}|ZIP={p.city[2]}|DX_CODES={V('icd10', dx[0])};{V('icd10', dx[1])}"
            f"|LAST_VISIT={svc_date(2)}|VISIT_CPT={V('cpt', pick(['99214', '99213']))}|EXPORT_JOB=RPT-{digits(6)}")
    m.frm = ('ChartBridge Reports', f'reports@{ehr.domain}')
    m.to = (pr.name, f'reports@{pr.domain}')
    m.subject = 'Scheduled export: care gap list (1 row)'
    m.cte = 'quoted-printable'
    m.plain = f"""Scheduled report "Care gaps - diabetes" produced 1 row. Raw export follows.

{line}

Report definition RD-{digits(4)}, run time 0.84 s.
"""


def o_latin1(m):
    pr = PR['dental'][0]
    p = patient_where(m, 'adult', lambda q: not q.full().isascii() and q.full().encode('latin-1', 'ignore').decode('latin-1') == q.full())
    m.frm = (p.full(), p.email())
    m.to = (pr.name, f'office@{pr.domain}')
    m.subject = 'crown - question about the estimate'
    m.charset = 'iso-8859-1'
    m.cte = pick(['quoted-printable', '8bit'])
    m.plain = f"""Hello,

I am the patient {V('patient_name', p.full())} and I had the crown prep last week. The
estimate said $412.00 but the statement says $655.00 for D2740. Could you check?
My date of birth is {V('dob', p.dob('mdy0'))} if you need to look me up.

Best number is {V('phone', p.phone(0))}.

Merci,
{p.first}
"""


def o_html_only(m):
    pr = pick(PR['hh'])
    cm = m.staff(pr, 'RN', 'Clinical Manager')
    rows = []
    for _ in range(R.randrange(4, 7)):
        p = m.patient('senior')
        dx = pick(['I50.9', 'J44.1', 'Z47.1', 'E11.9', 'L03.115', 'I48.91'])
        rows.append([V('patient_name', p.full()), V('dob', p.dob('mdy0')), V('mbi', p.mbi(chance(0.5))),
                     V('us_address', p.street()), V('phone', p.phone()), V('icd10', dx), pick(['SN/PT', 'SN', 'PT/OT', 'SN/MSW'])])
    heads = ['Patient', 'DOB', 'MBI', 'Address', 'Phone', 'Primary Dx', 'Disciplines']
    html_rows = '\n'.join('<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in r) + '</tr>' for r in rows)
    m.frm = (cm.name, cm.mail)
    m.to = ('Field clinicians', f'field@{pr.domain}')
    m.subject = 'Active census - week of Monday'
    m.html_only = True
    m.html = f"""<html><body>
<p>Active census for the week. Please verify visit frequencies in the EMR by Wednesday.</p>
<table border="1" cellpadding="3">
<tr>{''.join(f'<th>{h}</th>' for h in heads)}</tr>
{html_rows}
</table>
<p>{esc(cm.signed())}<br>{esc(cm.title)}<br>Office {V('phone', pr.phone(0))} &middot; Fax {V('phone', pr.fax(0))}</p>
</body></html>
"""


def o_rfc822_fwd(m):
    pr = pick([PR['pcp'][0], PR['pcp'][2]])
    old = PR['hosp'][0]
    p = m.patient('adult')
    fd = m.staff(pr, '', 'Medical Records')
    mgr = m.staff(pr, 'RN')
    m.frm = (fd.name, fd.mail)
    m.to = (mgr.name, mgr.mail)
    m.subject = 'Fwd: transferring care (message attached)'
    m.plain = f"""Forwarding the attached message as-is; please review before I request records.

{fd.first}
"""
    m.inner = dict(frm=(p.first + ' ' + p.last[0] + '.', p.email()), to=('Records', f'records@{old.domain}'),
                   subject='transferring my care',
                   body=f"""Hello,

I am moving my care to {pr.name}. Please send my records there.

Patient: {V('patient_name', p.full())}
DOB: {V('dob', p.dob('short'))}
Your chart number: {V('mrn', p.mrn())}
Phone: {V('phone', p.phone())}

Thank you
""")


def o_rfc2047_subject(m):
    pr = PR['rad'][0]
    clinic = pick(PR['pcp'])
    p = patient_where(m, 'adult', lambda q: not q.full().isascii())
    rad = m.staff(pr, 'MD')
    cpt = pick(['72148', '73721', '70450'])
    dx = {'72148': 'M54.50', '73721': 'M25.561', '70450': 'R51.9'}[cpt]
    m.frm = (f'Dr. {rad.last}', rad.mail)
    m.to = (clinic.name, f'results@{clinic.domain}')
    m.subject = f"{V('patient_name', p.full())} \u2013 {CPT[cpt].split(' without')[0]} result"
    m.plain = f"""Preliminary read, final report to follow in the portal.

Patient: {V('patient_name', p.full())}   DOB: {V('dob', p.dob('mdy0'))}
Exam: {CPT[cpt]} (CPT {V('cpt', cpt)}), indication {V('icd10', dx)}
Impression: no acute abnormality. Mild degenerative change.

{rad.signed()}
"""


def o_csv_only(m):
    pr = PR['pcp'][1]
    rows = ['Patient,DOB,Parent phone,Insurance ID,Vaccine,Slot']
    for _ in range(R.randrange(4, 8)):
        p = m.patient('child')
        g = new_phone(p.city[3])
        rows.append(f'"{V("patient_name", p.lf())}",{V("dob", p.dob("mdy0"))},{V("phone", fmt_phone(g, 1))},'
                    f'{V("member_id", p.member())},{pick(["Flu", "Flu (high-dose)", "COVID-19", "Tdap"])},{pick(["9:00", "9:20", "9:40", "10:00"])}')
    m.frm = (f'{pr.name} front desk', f'frontdesk@{pr.domain}')
    m.to = ('Nursing', f'nursing@{pr.domain}')
    m.subject = 'Saturday flu clinic sign-ups'
    m.plain = 'See attached.\n'
    m.attachments.append(('flu_clinic_signups.csv', 'csv', '\n'.join(rows) + '\n'))


def o_fixed_width(m):
    hosp = PR['hosp'][0]
    lines = [f"ST BRIGID REGIONAL MEDICAL CENTER        UNIT CENSUS 4 WEST       RUN {svc_date(2)} 05:00",
             '', f"{'ROOM':<8}{'PATIENT NAME':<30}{'DOB':<12}{'MRN':<12}{'ADM DX':<10}ATTENDING", '-' * 86]
    for _ in range(R.randrange(5, 9)):
        p = m.patient('any')
        doc = pick(STAFF_LAST).upper()
        dx = pick(['I50.9', 'J44.1', 'N39.0', 'L03.115', 'R07.9', 'I48.91'])
        nm, dob, mrn = p.LF(), p.dob('mdy0'), p.mrn()

        def pad(t, v, w):
            return V(t, v) + ' ' * max(1, w - len(v))
        lines.append(f"{'4W-' + str(R.randrange(401, 430)):<8}{pad('patient_name', nm, 30)}{pad('dob', dob, 12)}"
                     f"{pad('mrn', mrn, 12)}{pad('icd10', dx, 10)}{doc}")
    lines += ['', f'TOTAL PATIENTS: {len(lines) - 4}    BEDS: 30    REPORT ID CEN-{digits(5)}']
    m.frm = ('Census Reports', f'census@{hosp.domain}')
    m.to = ('4 West Charge RN', f'4west@{hosp.domain}')
    m.subject = 'UNIT CENSUS 4W'
    m.plain = 'AUTOMATED REPORT ATTACHED. DO NOT REPLY.\n'
    m.attachments.append(('census_4w.txt', 'plain', '\n'.join(lines) + '\n'))


def o_tsv_body(m):
    pr = pick(PR['pt'])
    fd = m.staff(pr, '', 'Front Desk')
    pt = m.staff(pr, 'PT')
    rows = ['Patient\tDOB\tPhone\tAppt\tVisit type']
    for _ in range(R.randrange(3, 6)):
        p = m.patient('adult')
        rows.append(f"{V('patient_name', p.full())}\t{V('dob', p.dob('mdy'))}\t{V('phone', p.phone(1))}\t"
                    f"{fmt_appt(appt_dt(2025), 1)}\t{pick(['re-eval', 'follow-up', 'discharge'])}")
    m.frm = (fd.name, fd.mail)
    m.to = (pt.name, pt.mail)
    m.subject = 'waitlist export'
    m.plain = 'Pasted from the scheduler (tab separated):\n\n' + '\n'.join(rows) + f'\n\n{fd.first}\n'


def o_html_entities(m):
    payer = pick(PR['payer'][:2])
    p = m.patient('adult')
    mem = p.member()
    ssn = p.ssn()
    ent_mem = ''.join(f'&#{ord(c)};' if c.isdigit() and i % 2 == 0 else c for i, c in enumerate(mem))
    a, b, c = ssn.split('-')
    m.frm = (payer.name, f'secure@{payer.domain}')
    m.to = (p.full(), p.email())
    m.subject = 'Action needed: verify your information'
    m.plain = 'This message is best viewed in an HTML-capable mail client. Log in to the member portal to view it.\n'
    m.html = (f"<html><body><p>We could not match a claim to your coverage. Please confirm the details below.</p>"
              f"<p><b>Member:</b> {V('patient_name', p.full())}<br>"
              f"<b>Member ID:</b> \x00member_id\x01{ent_mem}\x02<br>"
              f"<b>SSN on file:</b> \x00us_ssn\x01<span>{a}</span>-<span>{b}</span>-{c}\x02<br>"
              f"<b>Date of birth:</b> {V('dob', p.dob('long'))}</p>"
              f"<p>If anything is wrong, call Member Services at {V('phone', payer.phone(1))}.</p></body></html>\n")
    m.html_tagged = True


def o_spanish(m):
    pr = pick(PR['pcp'] + PR['uc'])
    p = patient_where(m, 'adult', lambda q: q.first in ('José', 'María', 'Lucía', 'Mateo', 'Tomás', 'Beatriz', 'Ximena',
                                                              'Camila', 'Joaquín', 'Esperanza', 'Raúl', 'Marisol', 'Consuelo', 'Rafael', 'Dolores'))
    payer = PR['payer'][1]
    m.frm = (p.full(), p.email())
    m.to = (pr.name, f'citas@{pr.domain}')
    m.subject = 'cita para mi mamá' if chance(0.3) else 'necesito una cita'
    m.plain = f"""Buenos días,

Necesito una cita con el doctor la próxima semana, tengo dolor de garganta desde hace 3 días.

Paciente: {V('patient_name', p.full())}
Fecha de nacimiento: {V('dob', p.dob('mdy0'))}
Número de miembro ({payer.name}): {V('member_id', p.member())}
Dirección: {V('us_address', p.street())}, {p.city_line()}
Mi número de teléfono es {V('phone', p.phone(0))}, por favor llamen después de las 3.

Gracias,
{p.first}
"""


def o_cp1252(m):
    pr = pick(PR['pt'])
    p = patient_where(m, 'adult', lambda q: "'" in q.last)
    p.email()
    p.last = p.last.replace("'", '\u2019')
    m.frm = (p.full(), p.email())
    m.to = (pr.name, f'frontdesk@{pr.domain}')
    m.subject = 'can\u2019t make Thursday'
    m.charset = 'windows-1252'
    m.cte = 'quoted-printable'
    m.plain = f"""Hi \u2013 it\u2019s {p.first}. I can\u2019t make Thursday\u2019s session, my car\u2019s in the shop.

Patient: {V('patient_name', p.full())}
DOB: {V('dob', p.dob('mdy'))}
Could you move me to next Monday? Cell {V('phone', p.phone(1))}.

Thanks \u2014 {p.first}
"""


def o_nested_quotes(m):
    pr = pick(PR['pcp'] + PR['hosp'])
    p = m.patient('adult')
    a = m.staff(pr, '', 'Front Desk')
    b = m.staff(pr, '', 'Billing')
    mrn = p.mrn()
    first = f"""Can you check the balance for Pt {V('patient_name', p.full())}, MRN {V('mrn', mrn)}?
{p.he.capitalize()} says {p.he} paid at check-in. Phone {V('phone', p.phone(1))}.
-{a.first}
"""
    second = f"""I see a $40.00 copay posted {svc_date(0)}, receipt R-{digits(6)}. The $115.00 balance is
coinsurance for CPT {V('cpt', '99214')}. Want me to call {p.him}?

{b.first}

{quote(first)}
"""
    m.frm = (a.name, a.mail)
    m.to = (b.name, b.mail)
    m.subject = 'RE: RE: balance question'
    m.plain = f"""Yes please, and note it in the account. Thanks!

{a.first}

{quote(second)}
"""
    # second level quoting of 'first' is produced by quote(second)


def o_attach_txt_note(m):
    pr = pick(PR['pcp'])
    kid = m.patient('child')
    par = m.relative('adult')
    rn = m.staff(pr, 'RN')
    vm = f"""VOICEMAIL TRANSCRIPT (automatic, may contain errors)
Received: {svc_date(0)} {pick(['07:12', '12:48', '18:03'])}   Duration 0:41
From: {V('phone', par.phone(1))}

"Hi, this is {par.first} calling about my {kid.son} {V('patient_name', kid.full())}, {kid.his} date of birth is
{V('dob', kid.dob('mdy'))}. {kid.he.capitalize()} has a rash on {kid.his} arms since yesterday after starting
the amoxicillin. Please call me back at {V('phone', par.cell(1))}. Thanks."
"""
    m.frm = ('Phone System', f'voicemail@{pr.domain}')
    m.to = (rn.name, rn.mail)
    m.subject = 'New voicemail - nurse line box 2'
    m.plain = 'A new voicemail was left in mailbox 2 (Nurse line). Transcript attached.\n'
    m.attachments.append(('voicemail_transcript.txt', 'plain', vm))


ODD = [o_base64_body, o_qp_long, o_latin1, o_html_only, o_rfc822_fwd, o_rfc2047_subject, o_csv_only,
       o_fixed_width, o_tsv_body, o_html_entities, o_spanish, o_cp1252, o_nested_quotes, o_attach_txt_note]

PLAN = [
    # one to three identifiers
    (t_dental_reminder, 'dental', 3), (t_dental_estimate, 'dental', 4), (t_bh_reschedule, 'behavioral', 4),
    (t_billing_statement, 'billing', 3), (t_hh_visit_change, 'homehealth', 3), (t_rx_refill_patient, 'pharmacy', 3),
    (t_school_injury, 'schoolnurse', 4), (t_pt_cancel, 'pt', 3), (t_uc_work_note, 'urgentcare', 3),
    (t_rad_prep, 'radiology', 3), (t_patient_son, 'patient', 3), (t_frontdesk_callback, 'frontdesk', 3), (t_fd_card_note, 'frontdesk', 3),
    (t_ehr_task, 'ehr', 4), (t_ins_idcard, 'insurer', 3), (t_roi_status, 'roi', 3), (t_rx_refill_fax, 'pharmacy', 3),
    (t_patient_portal, 'patient', 3), (t_uc_followup, 'urgentcare', 3),
    # many identifiers
    (t_dental_referral, 'dental', 2), (t_bh_handoff, 'behavioral', 2), (t_bh_superbill, 'behavioral', 2),
    (t_billing_card, 'billing', 3), (t_billing_autopay, 'billing', 3), (t_billing_denials_html, 'billing', 2),
    (t_hh_referral, 'homehealth', 2), (t_hh_schedule, 'homehealth', 2), (t_rx_pa, 'pharmacy', 3),
    (t_rx_controlled, 'pharmacy', 2), (t_school_roster_html, 'schoolnurse', 2), (t_school_med_auth, 'schoolnurse', 2),
    (t_pt_poc, 'pt', 2), (t_uc_summary, 'urgentcare', 2), (t_rad_schedule_html, 'radiology', 2),
    (t_fd_newpatient_fwd, 'frontdesk', 2), (t_ehr_adt, 'ehr', 2), (t_ch_rejections_csv, 'clearinghouse', 2),
    (t_ins_eob, 'insurer', 2), (t_ins_medicare, 'insurer', 2), (t_roi_attorney, 'roi', 2), (t_roi_patient, 'roi', 2),
    (t_ins_pa_decision, 'insurer', 2),
    (t_bh_psych_rx, 'behavioral', 3), (t_rx_new_controlled, 'pharmacy', 2), (t_billing_charity, 'billing', 3),
    (t_ins_eft_enroll, 'insurer', 3),
] + [(f, 'negative', 1) for f in NEGATIVES] + [(f, 'odd', 1) for f in ODD]

TZS = [timezone(timedelta(hours=h)) for h in (-5, -6, -7, -8, -4)]


# ===========================================================================
# MIME building
# ===========================================================================

def addr(pair):
    name, a = pair
    local, dom = a.split('@')
    return Address(display_name=name or '', username=local, domain=dom)


def choose_cte(text, want):
    if want:
        return want
    longest = max((len(x) for x in text.split('\n')), default=0)
    if text.isascii():
        return '7bit' if longest <= 998 else 'quoted-printable'
    return '8bit' if longest <= 998 else 'quoted-printable'


def header_date():
    d = datetime(2025, 6, 2, 8, 0) + timedelta(minutes=R.randrange(0, 60 * 24 * 200))
    return format_datetime(d.replace(tzinfo=pick(TZS)))


def build(m):
    labels = defaultdict(list)
    msg = EmailMessage()
    msg['From'] = addr(m.frm)
    msg['To'] = addr(m.to)
    if m.cc:
        msg['Cc'] = addr(m.cc)
    msg['Subject'] = strip_marks(m.subject, labels)
    msg['Date'] = header_date()
    dom = m.frm[1].split('@')[1]
    msg['Message-ID'] = f'<{R.getrandbits(64):016x}.{m.idx:03d}@{dom}>'
    if m.subject.startswith(('RE:', 'Re:', 'RE: RE')):
        msg['In-Reply-To'] = f'<{R.getrandbits(64):016x}@{m.to[1].split("@")[1]}>'
    plain = strip_marks(m.plain, labels) if m.plain is not None else None
    htm = strip_marks(m.html, labels, is_html=True) if m.html else None
    if plain is not None:
        want = m.cte or ('quoted-printable' if chance(0.12) else None)
        msg.set_content(plain, subtype='plain', charset=m.charset, cte=choose_cte(plain, want))
        if htm:
            msg.add_alternative(htm, subtype='html', cte=choose_cte(htm, m.html_cte))
    else:
        msg.set_content(htm, subtype='html', cte=choose_cte(htm, m.html_cte))
    for fn, sub, text in m.attachments:
        t = strip_marks(text, labels)
        msg.add_attachment(t, subtype=sub, filename=fn, cte='base64')
    if m.inner:
        im = EmailMessage()
        im['From'] = addr(m.inner['frm'])
        im['To'] = addr(m.inner['to'])
        im['Subject'] = m.inner['subject']
        im['Date'] = header_date()
        body = strip_marks(m.inner['body'], labels)
        im.set_content(body, cte=choose_cte(body, None))
        msg.add_attachment(im)
    i = 0
    for part in msg.walk():
        if part.get_content_maintype() == 'multipart':
            part.set_boundary(f'=_holdout2_{m.idx:03d}_{i}')
            i += 1
    return msg.as_bytes(policy=policy.default), {t: v for t, v in labels.items() if v}


def generate():
    order = []
    for fn, kind, n in PLAN:
        order += [(fn, kind)] * n
    random.Random(SEED + 1).shuffle(order)
    out = []
    for idx, (fn, kind) in enumerate(order, 1):
        m = Msg(idx, kind)
        fn(m)
        data, labels = build(m)
        out.append((f'{idx:03d}-{kind}.eml', data, labels, m, fn.__name__))
    return out


# ===========================================================================
# Self-check: re-parse, extract, count, validate, lint
# ===========================================================================
INVISIBLE = dict.fromkeys(map(ord, '\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e'
                                 '\u2060\u2061\u2062\u2063\u2064\ufeff'))


class H2T(HTMLParser):
    BLOCK = {'p', 'br', 'div', 'tr', 'table', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'hr', 'blockquote', 'pre'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ('style', 'script', 'title', 'head'):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append('\n')
        elif tag in ('td', 'th'):
            self.out.append('\t')

    def handle_endtag(self, tag):
        if tag in ('style', 'script', 'title', 'head'):
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append('\n')

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(s):
    h = H2T()
    h.feed(s)
    h.close()
    return ''.join(h.out)


def norm(s):
    return unicodedata.normalize('NFKC', s.translate(INVISIBLE))


def extract(raw):
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    parts = [str(msg['Subject'] or '')]
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        if ct == 'text/html':
            parts.append(html_to_text(part.get_content()))
        elif part.get_content_maintype() == 'text':
            parts.append(part.get_content())
    return norm('\n'.join(parts))


def count_spans(text, labels):
    want = Counter(v for vals in labels.values() for v in vals)
    claimed, got = [], Counter()
    for v in sorted(want, key=len, reverse=True):
        for mo in re.finditer(r'(?<!\w)' + re.escape(v) + r'(?!\w)', text):
            s, e = mo.span()
            if any(s < ce and cs < e for cs, ce in claimed):
                continue
            claimed.append((s, e))
            got[v] += 1
    errs = [f'{v!r}: listed {want[v]}x, found {got[v]}x' for v in want if got[v] != want[v]]
    return errs, claimed


DATE_RE = (r'(\d{1,2}/\d{1,2}/\d{4}|\d{2}-\d{2}-\d{4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}'
           r'|\d{1,2} [A-Z][a-z]+ \d{4})')
LINT = [
    ('us_ssn', r'(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])', ssn_ok),
    ('npi', r'(?<!\d)[12]\d{9}(?!\d)', npi_ok),
    ('credit_card', r'(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)', cc_ok),
    ('phone', r'(?<!\w)(?:' + '|'.join(PHONE_RES).replace('(', '(?:').replace('\\(?:', '\\(') + r')(?!\w)', phone_ok),
    ('email', r'[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+', None),
    ('ndc', r'(?<![\w-])(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d)(?![\w-])', None),
    ('mbi', r'(?<!\w)(?:' + MBI_RE + r'|[0-9A-Z]{4}-[0-9A-Z]{3}-[0-9A-Z]{4})(?!\w)', mbi_ok),
    ('dea', r'(?<!\w)[A-Z][A-Z9]\d{7}(?!\w)', dea_ok),
    ('icd10', r'(?<![\w.])(?:' + '|'.join(re.escape(c) for c in sorted(ICD10, key=len, reverse=True)) + r')(?![\w])', None),
    ('cpt', r'(?<![\w-])(?:' + '|'.join(CPT) + r')(?![\w-])', None),
    ('us_address', r'(?<![\w-])(?:' + ADDR_PAT + '|' + PO_PAT + r')(?!\w)', None),
]
ID_CUE = re.compile(r'(?i)\b(?:mrn#?|chart (?:#|no\.?|number)|medical record(?: #| number)?|med rec no|member(?: id| #| number)?'
                    r'|subscriber id|policy(?: #| number)?|insurance id|medicaid id)\W{1,4}([A-Za-z0-9]{6,12})\b')
DOB_CUE = re.compile(r'(?i)(?:\bdob\b|d\.o\.b\.|birth|\bborn\b|nacimiento|nac[ií])\D{0,25}?' + DATE_RE)


def lint(text, claimed, m=None):
    """Flag identifier-like strings that no label covers (structural types always; patient names only
    when the generator's Msg is available)."""
    def covered(s, e):
        return any(s < ce and cs < e for cs, ce in claimed)
    allow = m.allow if m else set()
    errs = []
    for t, pat, ok in LINT:
        for mo in re.finditer(pat, text):
            v = mo.group(0)
            if ok and not ok(v):
                continue
            if t == 'phone' and not re.fullmatch('|'.join(PHONE_RES), v):
                continue
            if t == 'cpt' and re.search(r'\bPO:?\s*$', text[max(0, mo.start() - 15):mo.start()]):
                continue  # purchase-order number that happens to equal a CPT code
            if not covered(*mo.span()) and v not in allow:
                errs.append(f'unlabelled {t}-like {v!r}')
    for mo in ID_CUE.finditer(text):
        if re.search(r'\d', mo.group(1)) and not covered(*mo.span(1)) and mo.group(1) not in allow:
            errs.append(f'unlabelled id after cue {mo.group(0)!r}')
    for mo in DOB_CUE.finditer(text):
        if not covered(*mo.span(1)):
            errs.append(f'unlabelled dob after cue {mo.group(0)!r}')
    for p in (m.people if m else []):
        for form in {p.full(), p.lf(), p.LF(), p.full_mi(), p.FULL()}:
            for mo in re.finditer(r'(?<!\w)' + re.escape(form) + r'(?!\w)', text):
                if not covered(*mo.span()):
                    errs.append(f'unlabelled patient name {form!r}')
    return errs


def check_labels(name, raw, labels):
    errs = []
    for t, vals in labels.items():
        if t not in TYPES:
            errs.append(f'unknown type {t}')
        for v in vals:
            if not VALIDATORS[t](v):
                errs.append(f'invalid {t} {v!r}')
    text = extract(raw)
    cerrs, claimed = count_spans(text, labels)
    return errs + cerrs, text, claimed


def summarize(labels_all):
    per_type, per_msg = Counter(), Counter()
    for lab in labels_all.values():
        for t, vals in lab.items():
            per_type[t] += len(vals)
            per_msg[t] += 1
    return per_type, per_msg


def check_dir(out):
    labels_all = json.load(open(os.path.join(out, 'labels.json'), encoding='utf-8'))
    msgdir = os.path.join(out, 'messages')
    files = sorted(os.listdir(msgdir))
    bad = 0
    if set(files) != set(labels_all):
        print('file list and labels.json disagree')
        bad += 1
    for fn in files:
        raw = open(os.path.join(msgdir, fn), 'rb').read()
        errs, text, claimed = check_labels(fn, raw, labels_all.get(fn, {}))
        errs += lint(text, claimed)
        for e in errs:
            print(f'{fn}: {e}')
        bad += bool(errs)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--check-only', action='store_true')
    ap.add_argument('--no-determinism-check', action='store_true')
    args = ap.parse_args()
    if args.check_only:
        bad = check_dir(args.out)
        print('OK' if not bad else f'{bad} message(s) failed')
        return 1 if bad else 0
    msgs = generate()
    msgdir = os.path.join(args.out, 'messages')
    os.makedirs(msgdir, exist_ok=True)
    for f in os.listdir(msgdir):
        if f.endswith('.eml'):
            os.remove(os.path.join(msgdir, f))
    labels_all = {}
    bad = 0
    for fn, data, labels, m, tname in msgs:
        with open(os.path.join(msgdir, fn), 'wb') as fh:
            fh.write(data)
        labels_all[fn] = {t: labels[t] for t in TYPES if t in labels}
        errs, text, claimed = check_labels(fn, data, labels_all[fn])
        errs += lint(text, claimed, m)
        for e in errs:
            print(f'{fn} ({tname}): {e}')
        bad += bool(errs)
    with open(os.path.join(args.out, 'labels.json'), 'w', encoding='utf-8') as fh:
        json.dump(labels_all, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write('\n')
    bad += check_dir(args.out)  # second pass: from disk only
    if not args.no_determinism_check:
        import filecmp
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, os.path.abspath(__file__), '--out', tmp, '--no-determinism-check'],
                           check=True, stdout=subprocess.DEVNULL)
            names = sorted(os.listdir(msgdir))
            same = (names == sorted(os.listdir(os.path.join(tmp, 'messages')))
                    and all(filecmp.cmp(os.path.join(msgdir, n), os.path.join(tmp, 'messages', n), shallow=False) for n in names)
                    and filecmp.cmp(os.path.join(args.out, 'labels.json'), os.path.join(tmp, 'labels.json'), shallow=False))
        print('regeneration is byte-identical' if same else 'NOT DETERMINISTIC')
        bad += not same
    per_type, per_msg = summarize(labels_all)
    print(f'{len(msgs)} messages, {sum(1 for v in labels_all.values() if not v)} with no labels, '
          f'{sum(per_type.values())} labelled values')
    for t in TYPES:
        print(f'  {t:<16} {per_type[t]:>4} values in {per_msg[t]:>3} messages')
    print('OK' if not bad else f'{bad} problem(s)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
