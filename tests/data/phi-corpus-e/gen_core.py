"""Core helpers for corpus E: seeded identifiers, people, label markup, file formats, MIME."""
import base64, datetime, html, io, json, quopri, random, re, struct, zipfile, zlib
from email.header import Header
from email.utils import format_datetime

R = random.Random(20261207)
FIXED_ZIP_TIME = (2026, 11, 2, 9, 0, 0)

# ---------------------------------------------------------------- label markup
TYPES = {
    "pn": "patient_name", "ssn": "us_ssn", "npi": "npi", "dea": "dea", "mbi": "mbi",
    "cc": "credit_card", "aba": "aba_routing", "ndc": "ndc", "mrn": "mrn", "mid": "member_id",
    "icd": "icd10", "cpt": "cpt", "dob": "dob", "dl": "drivers_license", "ph": "phone",
    "em": "email", "addr": "us_address",
}


def T(t, v):
    return "\x01%s\x02%s\x03" % (t, v)


def PN(v): return T("pn", v)
def PH(v): return T("ph", v)
def EM(v): return T("em", v)
def AD(v): return T("addr", v)
def DOB(v): return T("dob", v)
def MRN(v): return T("mrn", v)
def MID(v): return T("mid", v)
def ICD(v): return T("icd", v)
def CPT(v): return T("cpt", v)
def NPI(v): return T("npi", v)
def DEA(v): return T("dea", v)
def SSN(v): return T("ssn", v)
def DL(v): return T("dl", v)
def NDC(v): return T("ndc", v)
def CC(v): return T("cc", v)
def ABA(v): return T("aba", v)
def MBI(v): return T("mbi", v)


MARK = re.compile("\x01(\\w+)\x02(.*?)\x03", re.S)


def strip(s):
    labels = []

    def rep(m):
        labels.append((TYPES[m.group(1)], m.group(2)))
        return m.group(2)
    return MARK.sub(rep, s), labels


# ---------------------------------------------------------------- identifiers
def luhn_ok(num):
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return partial + c


def ssn(sep="-"):
    while True:
        a = R.randint(1, 899)
        if a != 666:
            break
    g, s = R.randint(1, 99), R.randint(1, 9999)
    return "%03d%s%02d%s%04d" % (a, sep, g, sep, s)


def npi():
    base = R.choice("12") + "".join(R.choice("0123456789") for _ in range(8))
    full = luhn_complete("80840" + base)
    return full[5:]


def dea(last_initial):
    d = [R.randint(0, 9) for _ in range(6)]
    chk = ((d[0] + d[2] + d[4]) + 2 * (d[1] + d[3] + d[5])) % 10
    return R.choice("ABFGM") + last_initial.upper() + "".join(map(str, d)) + str(chk)


def dea_lookalike_kb():
    """KB + 7 digits that happens to pass the DEA check (for IT negatives)."""
    d = [R.randint(0, 9) for _ in range(6)]
    chk = ((d[0] + d[2] + d[4]) + 2 * (d[1] + d[3] + d[5])) % 10
    return "KB" + "".join(map(str, d)) + str(chk)


MBI_L = "ACDEFGHJKMNPQRTUVWXY"


def mbi(dashed=False):
    an = MBI_L + "0123456789"
    c = [R.choice("123456789"), R.choice(MBI_L), R.choice(an), R.choice("0123456789"),
         R.choice(MBI_L), R.choice(an), R.choice("0123456789"), R.choice(MBI_L),
         R.choice(MBI_L), R.choice("0123456789"), R.choice("0123456789")]
    s = "".join(c)
    return s[:4] + "-" + s[4:7] + "-" + s[7:] if dashed else s


def card(kind):
    if kind == "visa":
        p, n = "4" + "".join(R.choice("0123456789") for _ in range(5)), 16
    elif kind == "mc":
        p, n = str(R.randint(51, 55)) + "".join(R.choice("0123456789") for _ in range(4)), 16
    elif kind == "amex":
        p, n = R.choice(["34", "37"]) + "".join(R.choice("0123456789") for _ in range(4)), 15
    else:
        p, n = "6011" + "".join(R.choice("0123456789") for _ in range(2)), 16
    body = p + "".join(R.choice("0123456789") for _ in range(n - len(p) - 1))
    full = luhn_complete(body)
    if n == 15:
        return "%s %s %s" % (full[:4], full[4:10], full[10:])
    return " ".join(full[i:i + 4] for i in range(0, 16, 4)) if R.random() < 0.6 else "-".join(full[i:i + 4] for i in range(0, 16, 4))


def aba():
    while True:
        pre = R.choice(["10", "11", "12", "21", "22", "30", "31", "32", "07", "04"])
        d = pre + "".join(R.choice("0123456789") for _ in range(6))
        for c in "0123456789":
            x = [int(ch) for ch in d + c]
            if (3 * (x[0] + x[3] + x[6]) + 7 * (x[1] + x[4] + x[7]) + (x[2] + x[5] + x[8])) % 10 == 0:
                return d + c


def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))


def ndc(fmt=None):
    fmt = fmt or R.choice(["442", "532", "541", "11"])
    if fmt == "442":
        return "%s-%s-%s" % (digits(4), digits(4), digits(2))
    if fmt == "532":
        return "%s-%s-%s" % (digits(5), digits(3), digits(2))
    if fmt == "541":
        return "%s-%s-%s" % (digits(5), digits(4), digits(1))
    return digits(11)


def phone(style=None):
    area = R.choice(["505", "575", "520", "602", "915", "480", "928", "623"])
    ex = str(R.randint(2, 9)) + digits(2)
    ln = digits(4)
    style = style if style is not None else R.randint(0, 4)
    return ["(%s) %s-%s" % (area, ex, ln), "%s-%s-%s" % (area, ex, ln), "%s.%s.%s" % (area, ex, ln),
            "+1 %s %s %s" % (area, ex, ln), "%s %s-%s" % (area, ex, ln)][style]


def hl7_phone():
    return "(%s)%s-%s" % (R.choice(["505", "575", "520"]), str(R.randint(2, 9)) + digits(2), digits(4))


STREETS = ["Camino del Sol", "Calle Ocho", "W Larkspur Ct", "N Mesquite St", "E Lohman Ave", "Paseo de Onate",
           "S Valley Dr", "Arroyo Seco Rd", "Piñon Ridge Rd NE", "Sagebrush Trl", "Calle de Alegria",
           "Juniper Hill Dr", "E Yucca Ln", "N Ocotillo Way", "Rio Grande Blvd NW", "Tamarisk Ave",
           "Cholla Ct", "W Picacho Ave", "Lincoln St", "Vista del Monte", "Quail Run", "Avenida Cesar Chavez",
           "Mountain Shadow Pl", "Desert Broom Dr", "Hidalgo Rd", "S Solano Dr", "Mesa Verde Ave SE"]


def street():
    return "%d %s" % (R.choice([R.randint(100, 999), R.randint(1000, 9999)]), R.choice(STREETS))


CITIES = [("Las Cruces", "NM", "880"), ("Albuquerque", "NM", "871"), ("Anthony", "NM", "880"), ("Deming", "NM", "880"),
          ("El Paso", "TX", "799"), ("Tucson", "AZ", "857"), ("Sunland Park", "NM", "880"), ("Hatch", "NM", "879"),
          ("Mesilla", "NM", "880"), ("Santa Teresa", "NM", "880")]


def city():
    c, s, z = R.choice(CITIES)
    return "%s, %s %s%s" % (c, s, z, digits(2))


DL_STATES = {
    "NM": lambda: digits(9),
    "AZ": lambda: R.choice("ABDY") + digits(8),
    "TX": lambda: digits(8),
    "CO": lambda: "%s-%s-%s" % (digits(2), digits(3), digits(4)),
    "CA": lambda: R.choice("ABCDEFGN") + digits(7),
}
STATE_NAMES = {"NM": "New Mexico", "AZ": "Arizona", "TX": "Texas", "CO": "Colorado", "CA": "California"}


def dl(state):
    return DL_STATES[state]()


# ---------------------------------------------------------------- clinical code lists
ICD_CODES = {
    "E11.9": "type 2 diabetes without complications", "E11.65": "type 2 diabetes with hyperglycemia",
    "I10": "essential hypertension", "J45.909": "asthma, unspecified", "J45.30": "mild persistent asthma",
    "E66.9": "obesity", "Z00.129": "well child exam", "Z00.00": "adult annual exam", "J06.9": "acute URI",
    "H66.91": "otitis media, right ear", "H66.92": "otitis media, left ear", "R50.9": "fever",
    "F90.0": "ADHD, inattentive type", "E78.5": "hyperlipidemia", "N39.0": "UTI", "K21.9": "GERD",
    "F41.1": "generalized anxiety disorder", "F32.A": "depression, unspecified", "E03.9": "hypothyroidism",
    "J02.0": "strep pharyngitis", "L20.9": "atopic dermatitis", "D50.9": "iron deficiency anemia",
    "E55.9": "vitamin D deficiency", "J30.2": "seasonal allergic rhinitis", "R10.9": "abdominal pain",
    "F84.0": "autism spectrum disorder", "R62.51": "failure to thrive", "O24.419": "gestational diabetes",
    "I25.10": "coronary artery disease", "N18.30": "CKD stage 3", "G43.909": "migraine", "K59.00": "constipation",
    "M54.50": "low back pain", "Z23": "immunization encounter", "R01.1": "heart murmur", "E10.9": "type 1 diabetes",
    "J44.1": "COPD with exacerbation", "I48.91": "atrial fibrillation", "L70.0": "acne vulgaris", "B35.4": "tinea corporis",
}
CPT_CODES = {
    "99213": "office visit, est., low", "99214": "office visit, est., moderate", "99203": "new patient visit",
    "99392": "preventive visit 1-4 yrs", "99393": "preventive visit 5-11 yrs", "99394": "preventive visit 12-17 yrs",
    "99396": "preventive visit 40-64 yrs", "90460": "immunization admin, first component",
    "90461": "immunization admin, each add'l", "90471": "immunization admin", "90686": "influenza vaccine",
    "90700": "DTaP", "90710": "MMRV", "90716": "varicella", "90707": "MMR", "87880": "rapid strep",
    "87804": "rapid influenza", "81002": "urinalysis", "83036": "hemoglobin A1c", "80053": "CMP",
    "85025": "CBC", "36415": "venipuncture", "96110": "developmental screening", "96127": "brief behavioral assessment",
    "94640": "nebulizer treatment", "93000": "EKG", "17110": "wart destruction", "69210": "cerumen removal",
    "92551": "hearing screen", "99173": "visual acuity screen", "94010": "spirometry", "99401": "preventive counseling", "80061": "lipid panel",
}
DRUGS = [("metformin 500 mg tablets", "442"), ("albuterol HFA 90 mcg inhaler", "532"), ("amoxicillin 400 mg/5 mL suspension", "532"),
         ("lisinopril 10 mg tablets", "541"), ("fluticasone 44 mcg inhaler", "442"), ("methylphenidate ER 18 mg", "532"),
         ("insulin glargine 100 units/mL pen", "541"), ("cetirizine 1 mg/mL syrup", "442"), ("atorvastatin 20 mg", "532"),
         ("levothyroxine 50 mcg", "541"), ("budesonide 0.5 mg/2 mL respules", "532"), ("semaglutide 0.25 mg pen", "442")]

# ---------------------------------------------------------------- people
F_FIRST = ["Marisol", "Guadalupe", "Rosa", "Ximena", "Lucero", "Yolanda", "Dolores", "Itzel", "Araceli", "Maribel",
           "Esperanza", "Consuelo", "Jennifer", "Ashley", "Brittany", "Tamika", "Latoya", "Ebony", "Chioma", "Adaeze",
           "Folasade", "Priya", "Anjali", "Meera", "Mei", "Hyun-jin", "Thuy", "Fatima", "Layla", "Noor", "Agnieszka",
           "Oksana", "Svetlana", "Renée", "Zoë", "Naomi", "Evelyn", "Harper", "Abigail", "Winona", "Shandiin", "Nizhoni",
           "María José", "Ana Sofía", "Jazmín", "Brenda", "Reyna", "Olga", "Paloma", "Dulce"]
M_FIRST = ["Mateo", "Santiago", "Joaquín", "Ezequiel", "Rubén", "Efraín", "Jesús", "Tomás", "Héctor", "DeShawn",
           "Jamal", "Tyrone", "Emeka", "Oluwaseun", "Kwame", "Rajesh", "Arjun", "Vikram", "Wei", "Minh", "Jae-won",
           "Omar", "Yusuf", "Karim", "Dmitri", "Tadeusz", "Bogdan", "Liam", "Noah", "Wyatt", "Caleb", "Dakota", "Kee",
           "Juan Carlos", "José Luis", "Ignacio", "Gilberto", "Refugio", "Lorenzo", "Amadou", "Nasir", "Hung"]
LAST = ["García", "Quintero", "Ibarra", "Beltrán", "Villalobos", "Chávez", "Baca", "Montoya", "Lucero", "Archuleta",
        "Trujillo", "Gallegos", "Domínguez", "Ortiz", "de la Cruz", "Del Toro", "Sánchez-Ruiz", "Luna", "Paz", "Rosas",
        "Flores", "Vigil", "Sandoval", "Martínez", "Begay", "Yazzie", "Tsosie", "Benally", "Nez", "Washington",
        "Jefferson", "Rivers", "Hill", "Park", "Lincoln", "Grant", "Young", "Price", "Brooks", "Freeman", "Okafor",
        "Adeyemi", "Nwosu", "Mensah", "Owusu", "Patel", "Iyer", "Chaudhry", "Nguyen", "Tran", "Kim", "Chen", "Haddad",
        "Al-Masri", "Nasser", "Kowalczyk", "Nowak", "Petrenko", "Ivanova", "Whitfield", "O'Brien", "McAllister",
        "Van der Berg", "Carrasco", "Olivas", "Holguin-Reyes", "Madrid", "Segura", "Ulibarri", "Tafoya", "Chavira",
        "Ruelas", "Zamora", "Soto", "Bustamante", "Camarillo", "Delgado", "Escobedo", "Fierro", "Granados"]

PLANS = [
    # (plan display, label variants, id maker, group maker)
    ("Blue Cross Blue Shield of New Mexico", ["BCBSNM member #", "BCBS ID", "Blue Cross member ID"], lambda: R.choice(["YIF", "ZGP", "NMX"]) + digits(9), lambda: "0%s" % digits(5)),
    ("Presbyterian Health Plan", ["Presbyterian ID", "PHP member ID", "Presbyterian member no."], lambda: "P" + digits(8), lambda: "PG" + digits(4)),
    ("Molina Healthcare of New Mexico", ["Molina ID", "Molina member ID", "Medicaid ID (Molina)"], lambda: digits(9), lambda: "MCD-NM"),
    ("Western Sky Community Care", ["Western Sky ID", "WSCC member #"], lambda: "U" + digits(10), lambda: "CENT" + digits(3)),
    ("Aetna", ["Aetna ID", "Aetna member ID"], lambda: "W" + digits(9), lambda: digits(7)),
    ("UnitedHealthcare", ["UHC ID", "UHC member ID", "United member #"], lambda: digits(9) + "-0" + str(R.randint(1, 4)), lambda: digits(6)),
    ("AHCCCS (Mercy Care)", ["AHCCCS ID", "AHCCCS #"], lambda: "A" + digits(8), lambda: "MC-AZ"),
    ("Cigna", ["Cigna ID", "Cigna subscriber ID"], lambda: "U" + digits(8) + "01", lambda: digits(7)),
    ("TRICARE West", ["TRICARE DBN", "DoD benefits number"], lambda: digits(11), lambda: "TW"),
]
MEDICARE = ("Medicare", ["MBI"], None, None)

_used_names = set()


def new_name(sex=None):
    while True:
        sex = sex or R.choice("FM")
        first = R.choice(F_FIRST if sex == "F" else M_FIRST)
        last = R.choice(LAST)
        if (first, last) not in _used_names:
            _used_names.add((first, last))
            return first, last, sex


def fmt_date(d, style):
    if style == "us":
        return d.strftime("%m/%d/%Y")
    if style == "iso":
        return d.strftime("%Y-%m-%d")
    if style == "long":
        return d.strftime("%B ") + str(d.day) + d.strftime(", %Y")
    if style == "es":
        return d.strftime("%d/%m/%Y")
    if style == "eslong":
        meses = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"]
        return "%d de %s de %d" % (d.day, meses[d.month - 1], d.year)
    if style == "hl7":
        return d.strftime("%Y%m%d")
    if style == "short":
        return "%d/%d/%s" % (d.month, d.day, d.strftime("%y"))
    return d.strftime("%m-%d-%Y")


class Person:
    def __init__(self, age_range=(1, 90), sex=None, last=None, plan=None):
        self.first, self.last, self.sex = new_name(sex)
        if last:
            self.last = last
        age = R.randint(*age_range)
        self.dob = datetime.date(2026 - age, R.randint(1, 12), R.randint(1, 28))
        self.age = age
        self.mrn = R.choice(["DWF-", "DWF", "DW"]) + digits(7)
        self.phone = phone()
        handle = (self.first.split()[0] + "." + self.last.replace(" ", "").replace("'", "")).lower()
        handle = handle.translate(str.maketrans("áéíóúñëü", "aeiounéu".replace("é", "e")))
        self.email = R.choice([handle + str(R.randint(1, 99)), handle, self.first.split()[0].lower()[:1] + self.last.replace(" ", "").lower() + "_" + digits(2)]).translate(str.maketrans("áéíóúñëü", "aeiounéu".replace("é", "e"))) + "@" + R.choice(["mail.example", "correo.example", "webmail.example", "desertnet.example", "familia.example"])
        self.street = street()
        self.city = city()
        if plan is None:
            plan = MEDICARE if age >= 66 and R.random() < 0.8 else R.choice(PLANS)
        self.plan = plan
        if plan is MEDICARE:
            self.member = mbi(R.random() < 0.3)
            self.group = None
        else:
            self.member = plan[2]()
            self.group = plan[3]()
        self.state = R.choice(["NM", "NM", "NM", "AZ", "TX", "CO", "CA"])
        self.dl = dl(self.state)
        self.ssn = ssn()

    @property
    def full(self):
        return "%s %s" % (self.first, self.last)

    @property
    def title(self):
        return "Mr." if self.sex == "M" else R.choice(["Mrs.", "Ms."])

    @property
    def es_title(self):
        return "Sr." if self.sex == "M" else "Sra."

    def idlabel(self):
        return self.plan[1][0] if self.plan is MEDICARE else R.choice(self.plan[1])


def child(parent_last=None, age=(0, 17)):
    return Person(age_range=age, last=parent_last)


# ---------------------------------------------------------------- staff (never labelled as patient_name)
CLINIC = "Desert Willow Family & Pediatric Care"
DOM = "dwfp.example"
STAFF = {
    "marsh": ("Helen Marsh, MD", "hmarsh"), "villa": ("Arturo Villaseñor, MD", "avillasenor"),
    "oye": ("Samuel Oyelaran, DO", "soyelaran"), "keisha": ("Keisha Broussard, FNP-C", "kbroussard"),
    "dev": ("Dev Raman, PA-C", "draman"), "lucia": ("Lucía Ortega, RN", "lortega"),
    "yese": ("Yesenia Holguín, MA", "yholguin"), "trina": ("Trina Castañeda", "tcastaneda"),
    "marcus": ("Marcus Bell, CPC", "mbell"), "pilar": ("Pilar Esquivel", "pesquivel"), "greg": ("Greg Tolliver", "gtolliver"),
}
CLINIC_PHONE = "(575) 382-4100"
CLINIC_FAX = "(575) 382-4119"
BILLING_PHONE = "575-382-4150"
CLINIC_ST = "1187 Saltillo Ave"
BILLING_ST = "620 N Mesquite St"
CLINIC_NPI = npi()
DOC_NPI = {k: npi() for k in ["marsh", "villa", "oye", "keisha", "dev"]}
DOC_DEA = {"marsh": dea("M"), "villa": dea("V"), "oye": dea("O"), "keisha": dea("B"), "dev": dea("R")}
CLINIC_TIN = "85-%s" % digits(7)


def staff_addr(k):
    return "%s@%s" % (STAFF[k][1], DOM)


def sig(k, full=True, es=False):
    name = STAFF[k][0]
    if k in ("trina", "marcus"):
        lines = [name, "Billing Office, " + CLINIC, AD(BILLING_ST) + ", Suite 4, Las Cruces, NM 88001",
                 ("Tel. " if es else "Phone ") + PH(BILLING_PHONE) + " | Fax " + PH("575-382-4159")]
    else:
        lines = [name, CLINIC]
        if full:
            lines += [AD(CLINIC_ST) + ", Las Cruces, NM 88005", ("Tel. " if es else "Main ") + PH(CLINIC_PHONE) + " | Fax " + PH(CLINIC_FAX)]
    if full and R.random() < 0.5:
        lines.append(EM(staff_addr(k)))
    return "\n".join(lines)


CONF = ("CONFIDENTIALITY NOTICE: This e-mail may contain protected health information. If you are not the intended "
        "recipient, please notify the sender and delete it.")

# ---------------------------------------------------------------- dates / ids
BASE = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-7)))


def msg_date():
    return BASE + datetime.timedelta(minutes=R.randint(0, 60 * 24 * 34))


def attribution(dt, name_marked, email, es=False):
    if es:
        dias = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"]
        meses = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"]
        return "El %s, %d %s %d a las %s, %s (<%s>) escribió:" % (dias[dt.weekday()], dt.day, meses[dt.month - 1], dt.year, dt.strftime("%H:%M"), name_marked, EM(email))
    if R.random() < 0.5:
        return "On %s at %s %s <%s> wrote:" % (dt.strftime("%a, %b ") + str(dt.day) + dt.strftime(", %Y"), dt.strftime("%I:%M %p").lstrip("0"), name_marked, EM(email))
    return "On %s, %s <%s> wrote:" % (dt.strftime("%m/%d/%Y %I:%M %p"), name_marked, EM(email))


def quote(text):
    return "\n".join((">" + l if l.startswith(">") else "> " + l) if l else ">" for l in text.split("\n"))


# ---------------------------------------------------------------- file formats
def fix_zip(data, core_fix=True):
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            b = src.read(info.filename)
            if core_fix and info.filename == "docProps/core.xml":
                s = b.decode("utf-8")
                s = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", r"\g<1>2026-11-02T09:00:00Z\g<3>", s)
                b = s.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, b)
    return out.getvalue()


def make_docx(paragraphs, title=None):
    """paragraphs: list of marked-up strings ('' for blank). Returns bytes, labels."""
    import docx
    d = docx.Document()
    d.core_properties.author = CLINIC
    d.core_properties.created = datetime.datetime(2026, 11, 2, 9, 0)
    d.core_properties.modified = datetime.datetime(2026, 11, 2, 9, 0)
    labels = []
    if title:
        t, l = strip(title)
        labels += l
        d.add_heading(t, level=1)
    for p in paragraphs:
        if isinstance(p, list):  # table rows
            rows = [[strip(c) for c in row] for row in p]
            tb = d.add_table(rows=len(rows), cols=len(rows[0]))
            for i, row in enumerate(rows):
                for j, (txt, l) in enumerate(row):
                    tb.cell(i, j).text = txt
                    labels += l
            continue
        t, l = strip(p)
        labels += l
        d.add_paragraph(t)
    b = io.BytesIO()
    d.save(b)
    return fix_zip(b.getvalue()), labels


def make_xlsx(sheets):
    """sheets: list of (title, rows) with marked-up cell strings."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.properties.creator = CLINIC
    wb.properties.created = datetime.datetime(2026, 11, 2, 9, 0)
    wb.properties.modified = datetime.datetime(2026, 11, 2, 9, 0)
    labels = []
    first = True
    for title, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        for row in rows:
            out = []
            for c in row:
                t, l = strip(str(c))
                labels += l
                out.append(t)
            ws.append(out)
    b = io.BytesIO()
    wb.save(b)
    return fix_zip(b.getvalue()), labels


def _pdf_esc(s):
    out = []
    for ch in s.encode("cp1252", "replace"):
        c = chr(ch)
        if c in "\\()":
            out.append("\\" + c)
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    return "".join(out)


def make_pdf(lines):
    """lines: marked-up strings. Text-only PDF 1.4, Helvetica, WinAnsi."""
    plain, labels = [], []
    for ln in lines:
        t, l = strip(ln)
        plain.append(t)
        labels += l
    pages = [plain[i:i + 52] for i in range(0, max(len(plain), 1), 52)]
    objs = []
    kids = []
    n_pages = len(pages)
    # object numbering: 1 catalog, 2 pages, 3 font, then (page, content) pairs
    for i, pg in enumerate(pages):
        stream = "BT\n/F1 10 Tf\n13 TL\n50 760 Td\n" + "".join("(%s) Tj T*\n" % _pdf_esc(x) for x in pg) + "ET\n"
        objs.append(("page", stream))
    body = ["%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    allobj = []
    allobj.append("<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join("%d 0 R" % (4 + 2 * i) for i in range(n_pages))
    allobj.append("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
    allobj.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, (_, stream) in enumerate(objs):
        allobj.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i))
        allobj.append("<< /Length %d >>\nstream\n%sendstream" % (len(stream.encode("latin-1")), stream))
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    for i, o in enumerate(allobj):
        offsets.append(len(out))
        out += ("%d 0 obj\n%s\nendobj\n" % (i + 1, o)).encode("latin-1")
    xref = len(out)
    out += ("xref\n0 %d\n0000000000 65535 f \n" % (len(allobj) + 1)).encode()
    for off in offsets:
        out += ("%010d 00000 n \n" % off).encode()
    out += ("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(allobj) + 1, xref)).encode()
    return out, labels


def make_zip(members):
    """members: list of (path, bytes). Deterministic."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return out.getvalue()


def _crc_table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else (c >> 1)
        t.append(c)
    return t


CRC = _crc_table()


def make_encrypted_zip(members, password):
    """Traditional PKWARE (ZipCrypto) encryption, stored entries."""
    pw = password.encode()
    out = b""
    central = b""
    dos_time = (9 << 11) | (0 << 5) | 0
    dos_date = ((2026 - 1980) << 9) | (11 << 5) | 2
    for name, data in members:
        k = [0x12345678, 0x23456789, 0x34567890]

        def upd(c):
            k[0] = CRC[(k[0] ^ c) & 0xFF] ^ (k[0] >> 8)
            k[1] = (k[1] + (k[0] & 0xFF)) & 0xFFFFFFFF
            k[1] = (k[1] * 134775813 + 1) & 0xFFFFFFFF
            k[2] = CRC[(k[2] ^ (k[1] >> 24)) & 0xFF] ^ (k[2] >> 8)

        def db():
            t = (k[2] | 2) & 0xFFFF
            return ((t * (t ^ 1)) >> 8) & 0xFF
        for c in pw:
            upd(c)
        crc = zlib.crc32(data) & 0xFFFFFFFF
        header = bytes(R.randint(0, 255) for _ in range(11)) + bytes([crc >> 24])
        enc = bytearray()
        for p in header + data:
            enc.append(p ^ db())
            upd(p)
        nb = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, dos_time, dos_date, crc, len(enc), len(data), len(nb), 0) + nb + bytes(enc)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 0, dos_time, dos_date, crc, len(enc), len(data), len(nb), 0, 0, 0, 0, 0, offset) + nb
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_off, 0)
    return out


def make_png(w=24, h=16):
    raw = b"".join(b"\x00" + bytes(R.randint(180, 255) for _ in range(w)) for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- message assembly
class Msg:
    def __init__(self, kind, subject, frm, to, cc=None, reply_to_id=None, date=None):
        self.kind, self.subject, self.frm, self.to, self.cc = kind, subject, frm, to, cc
        self.reply_to_id = reply_to_id
        self.date = date or msg_date()
        self.bodies = []  # (plain_marked, with_html)
        self.atts = []  # (filename, mime, bytes)
        self.labels = []
        self.extra = []  # attachment-level labels

    def body(self, text, html_alt=False, enc=None):
        self.bodies.append((text, html_alt, enc))
        return self

    def attach(self, fn, mime, data, labels=(), kind_label=None):
        self.atts.append((fn, mime, data))
        self.labels += list(labels)
        if kind_label:
            self.labels.append((kind_label, fn))
        return self

    def attach_text(self, fn, mime, marked, kind_label=None):
        t, l = strip(marked)
        return self.attach(fn, mime, t.encode("utf-8"), l, kind_label)


def _b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def _text_part(ctype, text, enc):
    if enc is None:
        enc = "7bit" if all(ord(c) < 128 for c in text) and max((len(l) for l in text.split("\n")), default=0) < 990 else "qp"
    if enc == "qp":
        payload = quopri.encodestring(text.encode("utf-8")).decode("ascii")
        cte = "quoted-printable"
    elif enc == "b64":
        payload = _b64(text.encode("utf-8"))
        cte = "base64"
    else:
        payload, cte = text, "7bit"
    if not payload.endswith("\n"):
        payload += "\n"
    return 'Content-Type: %s; charset="utf-8"\nContent-Transfer-Encoding: %s\n\n%s' % (ctype, cte, payload)


def to_html(text):
    out = []
    in_q = False
    for line in text.split("\n"):
        esc = html.escape(line, quote=False)
        out.append(esc + "<br>")
    return ('<html><head><meta charset="utf-8"></head><body style="font-family:Calibri,Arial,sans-serif">\n<div>'
            + "\n".join(out) + "</div>\n</body></html>")


def hdr(s):
    if all(ord(c) < 128 for c in s):
        return s
    return Header(s, "utf-8").encode()


def render(m, n):
    labels = []
    subj, l = strip(m.subject)
    labels += l
    parts = []
    b = 0

    def bnd():
        nonlocal b
        b += 1
        return "----=_Part_%03d_%d" % (n, b)
    for text, html_alt, enc in m.bodies:
        plain, l = strip(text)
        labels += l
        if html_alt:
            labels += l
            bd = bnd()
            parts.append('Content-Type: multipart/alternative; boundary="%s"\n\n--%s\n%s\n--%s\n%s\n--%s--\n' % (
                bd, bd, _text_part("text/plain", plain, enc), bd, _text_part("text/html", to_html(plain), "qp"), bd))
        else:
            parts.append(_text_part("text/plain", plain, enc))
    for fn, mime, data in m.atts:
        parts.append('Content-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\nContent-Transfer-Encoding: base64\n\n%s\n' % (mime, fn, fn, _b64(data)))
    labels += m.labels
    mid = "<%s.%s@%s>" % ("".join(R.choice("0123456789abcdef") for _ in range(16)), n, DOM)
    h = ["From: %s" % hdr(m.frm), "To: %s" % hdr(m.to)]
    if m.cc:
        h.append("Cc: %s" % hdr(m.cc))
    h += ["Subject: %s" % hdr(subj), "Date: %s" % format_datetime(m.date), "Message-ID: %s" % mid]
    if m.reply_to_id:
        h.append("In-Reply-To: <%s@mail.example>" % m.reply_to_id)
    h.append("MIME-Version: 1.0")
    if len(parts) == 1 and not m.atts:
        body = parts[0]
        return "\n".join(h) + "\n" + body, labels
    bd = bnd()
    out = "\n".join(h) + '\nContent-Type: multipart/mixed; boundary="%s"\n\nThis is a multi-part message in MIME format.\n' % bd
    for p in parts:
        out += "\n--%s\n%s" % (bd, p)
    out += "\n--%s--\n" % bd
    return out, labels
