#!/usr/bin/env python3
"""Generate corpus E: synthetic mail of a Southwest family-medicine & pediatrics group and its billing office.

Deterministic (fixed seed). Writes messages/NNN-kind.eml and labels.json next to this file.
Run with .venv/bin/python tests/data/phi-corpus-e/generate.py [--out DIR] from the repository's root
"""
import sys
sys.dont_write_bytecode = True
import os, json, shutil
from collections import OrderedDict
from gen_core import *
import gen_core as C

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES = []


def add(m):
    MESSAGES.append(m)
    return m


def sf(k):
    return "%s <%s>" % (STAFF[k][0].split(",")[0], staff_addr(k))


def pfrom(p, email=None):
    return "%s <%s>" % (p.full, email or p.email)


def plan_name(p):
    return p.plan[0]


def member_line(p, label=None):
    if p.plan is MEDICARE:
        return "MBI: " + MBI(p.member)
    return "%s: %s" % (label or p.idlabel(), MID(p.member))


def icds(k=1):
    return R.sample(sorted(ICD_CODES), k)


def cpts(k=1):
    return R.sample(sorted(CPT_CODES), k)


# =========================================================== scenarios
def clinician_prose(kind="clinician-note"):
    """Doctor-to-doctor prose about patients, no field labels."""
    a, b = R.sample(["marsh", "villa", "oye", "keisha", "dev"], 2)
    to_first = STAFF[b][0].split(",")[0].split()[0]
    me = STAFF[a][0].split(",")[0].split()[0]
    p1 = Person((35, 80), sex="F")
    p2 = Person((2, 14))
    mom = Person((24, 45), sex="F", last=p2.last)
    c1 = R.choice(["E11.65", "I10", "E78.5", "N18.30", "I48.91", "J44.1"])
    c2 = R.choice(["J45.30", "H66.91", "R01.1", "F90.0", "R62.51", "L20.9"])
    if R.random() < 0.5:
        body = ("%s,\n\nQuick one before clinic. I saw %s this morning and I'm worried about her sugars again -- she brought a log with fastings in the 240s. "
                "I've coded it %s and bumped her metformin. %s %s says she has been skipping the evening dose because of GI upset, so maybe we switch to ER. "
                "Can you see %s on Thursday if she calls? Her daughter drives her and can only do afternoons.\n\n"
                "Separately, %s (the little one, %d y/o) came in with mom for the cough again. Lungs tight, sat 94%% -- I gave a neb (%s) and started a controller. "
                "I put %s on the problem list. %s asked whether the school nurse can keep an inhaler; I said yes and printed the form.\n\n%s\n"
                % (to_first, PN(p1.full), ICD(c1), p1.title, PN(p1.last), PN(p1.first),
                   PN(p2.full), p2.age, CPT("94640"), ICD(c2), PN(mom.first), me))
    else:
        son = Person((30, 55), sex="M", last=p1.last)
        body = ("Hi %s,\n\nFollowing up on our hallway conversation about %s. %s's A1c came back and it's not what we hoped -- %s is not a great code for where she is now, "
                "I'd move it to %s. Her chart number is %s if you want to pull the trend. Also, %s mentioned her son %s is now the one managing her meds; he called twice this week.\n\n"
                "And on %s -- the murmur we heard at the well check (%s) is probably innocent (%s) but mom wants the echo. I sent the referral to peds cardiology.\n\nThanks,\n%s\n"
                % (to_first, PN(p1.full), PN(p1.first), ICD("E11.9"), ICD("E11.65"), MRN(p1.mrn), PN(p1.first), PN(son.first),
                   PN(p2.full), ICD("Z00.129"), ICD("R01.1"), me))
    subj = R.choice(["quick question", "two of mine", "FYI - follow up Thursday", "hallway consult", "can you take a look"])
    add(Msg(kind, subj, sf(a), sf(b)).body(body))


def clinician_prose2():
    """Peds doctor to RN; Spanish-speaking family; unlabelled prose with titles."""
    p = Person((0, 3))
    mom = Person((19, 38), sex="F", last=p.last)
    gm = Person((50, 70), sex="F")
    body = ("Lucía,\n\nCan you call the %s family today? Baby %s was seen for weight check -- still under the 3rd percentile, I'm coding %s and want labs (%s, %s). "
            "Sra. %s only speaks Spanish and the grandmother, %s, usually comes with her and helps. Mom's cell is %s. "
            "If nobody answers, %s said the grandmother's number works too: %s.\n\n"
            "Please also check that %s's Molina is active -- front desk flagged it. Number on file %s.\n\n-- Arturo\n"
            % (PN(p.last), PN(p.first), ICD("R62.51"), CPT("85025"), CPT("80053"), PN(mom.last), PN(gm.full), PH(mom.phone), PN(mom.first), PH(gm.phone),
               PN(p.first), MID(digits(9))))
    add(Msg("clinician-note", "call back - weight check", sf("villa"), sf("lucia")).body(body))


def patient_reply_chain():
    """Patient writes in; nurse replies; patient replies again: attribution lines, quoted text."""
    p = Person((25, 75))
    nurse = R.choice(["lucia", "yese", "keisha"])
    t1 = msg_date()
    t2 = t1 + datetime.timedelta(hours=R.randint(1, 20))
    t3 = t2 + datetime.timedelta(hours=R.randint(1, 30))
    cond = R.choice(["my blood pressure", "the rash on my arm", "my thyroid pills", "the cough that won't go away", "my cholesterol results"])
    m1 = ("Hello,\n\nI was seen by Dr. Marsh last week for %s and she said to write if things didn't improve. They haven't. "
          "Can I get a call back? My number is %s and I'm home after 3.\n\nMy date of birth is %s in case you need it.\n\nThank you,\n%s\n"
          % (cond, PH(p.phone), DOB(fmt_date(p.dob, R.choice(["us", "long", "short"]))), PN(p.full)))
    nname = STAFF[nurse][0].split(",")[0]
    m2 = ("Hi %s,\n\nThanks for letting us know. Dr. Marsh reviewed your chart and would like to see you back -- we have Tuesday at 10:40 or Wednesday at 2:15. "
          "Reply here with the one that works, or call the front desk at %s.\n\n%s\n" % (PN(p.first), PH(CLINIC_PHONE), sig(nurse, full=False)))
    m3 = ("Tuesday works. Will I need to fast? Also my insurance changed to %s, new %s.\n\nThanks %s,\n%s\n"
          % (plan_name(p), member_line(p), nname.split()[0], PN(p.first)))
    if p.plan is MEDICARE:
        m3 = m3.replace("new MBI:", "new Medicare number (MBI):")
    body = m3 + "\n" + attribution(t2, nname, staff_addr(nurse)) + "\n" + quote(m2 + "\n" + attribution(t1, PN(p.full), p.email) + "\n" + quote(m1)) + "\n"
    add(Msg("patient-reply", "Re: Re: follow up", pfrom(p), sf(nurse), reply_to_id=digits(12), date=t3).body(body, html_alt=R.random() < 0.5))


def relative_writes(es=False):
    """Adult child writes on behalf of an elderly parent."""
    mom = Person((68, 92), sex=R.choice("FM"))
    kid = Person((35, 60), last=mom.last if R.random() < 0.6 else None)
    rel = ("mother" if mom.sex == "F" else "father")
    if not es:
        body = ("Good morning,\n\nI'm writing for my %s, %s (DOB %s). I'm %s, %s %s's %s, and I'm on the HIPAA release form. "
                "%s fell last Sunday at home on %s and has been more confused since. The ER said a UTI (they wrote %s on the discharge paper) and sent her home on an antibiotic. "
                "Can Dr. Oyelaran see %s this week? Her Medicare number is %s and she also has a supplement.\n\n"
                "Best to reach me at %s or by email. My brother %s may call too.\n\nThank you,\n%s %s\n"
                % (rel, PN(mom.full), DOB(fmt_date(mom.dob, "us")), PN(kid.first), mom.title, PN(mom.last), "daughter" if kid.sex == "F" else "son",
                   PN(mom.first), AD(mom.street), ICD("N39.0"), PN(mom.first), MBI(mbi(True)), PH(kid.phone), PN(Person((35, 60), sex="M", last=mom.last).first), PN(kid.first), PN(kid.last)))
        if mom.sex == "M":
            body = body.replace("sent her", "sent him").replace(" her ", " his ").replace("Her Medicare", "His Medicare").replace("she also", "he also")
        subj = "Appointment for my %s %s" % (rel, PN(mom.full))
    else:
        relf = "mamá" if mom.sex == "F" else "papá"
        body = ("Buenas tardes,\n\nLes escribo de parte de mi %s, %s, fecha de nacimiento %s. Yo soy su %s, %s. "
                "Mi %s tiene diabetes (%s) y desde hace una semana tiene los pies muy hinchados. No habla inglés, por eso le ayudo yo. "
                "¿Le pueden dar una cita con la doctora Marsh? Su número de Medicare es %s.\n\n"
                "Vive conmigo ahora en %s, %s. Mi celular es %s.\n\nMuchas gracias,\n%s\n"
                % (relf, PN(mom.full), DOB(fmt_date(mom.dob, R.choice(["es", "eslong"]))), "hija" if kid.sex == "F" else "hijo", PN(kid.full),
                   relf, ICD("E11.9"), MBI(mbi()), AD(kid.street), kid.city, PH(kid.phone), PN(kid.first)))
        subj = "Cita para mi %s" % relf
    add(Msg("relative", subj, pfrom(kid), "Front Desk <frontdesk@%s>" % DOM).body(body, html_alt=R.random() < 0.6))


def spanish_parent_chain():
    """Spanish reply chain between a parent and a bilingual MA about a child."""
    kid = Person((1, 12))
    parent = Person((22, 45), sex=R.choice("FM"), last=kid.last)
    t1 = msg_date()
    t2 = t1 + datetime.timedelta(hours=R.randint(2, 20))
    t3 = t2 + datetime.timedelta(hours=R.randint(1, 10))
    m1 = ("Hola buenas,\n\nMi hijo %s tiene fiebre desde ayer (39.2) y le duele el oído derecho. Fecha de nacimiento: %s. "
          "Expediente %s. ¿Lo pueden ver hoy? Tiene %s, número de afiliado %s.\n\nGracias,\n%s\n"
          % (PN(kid.full), DOB(fmt_date(kid.dob, "es")), MRN(kid.mrn), plan_name(kid) if kid.plan is not MEDICARE else "Molina", MID(kid.member if kid.plan is not MEDICARE else digits(9)), PN(parent.full)))
    if kid.sex == "F":
        m1 = m1.replace("Mi hijo", "Mi hija").replace("¿Lo pueden", "¿La pueden")
    m2 = ("Hola %s,\n\nSí, tenemos cita hoy a las 3:40 con la enfermera practicante Keisha Broussard. Por favor traiga la tarjeta del seguro y la lista de medicamentos. "
          "Si la fiebre sube de 40 o %s tiene dificultad para respirar, vaya a urgencias.\n\nSaludos,\nYesenia\n%s\n" % (PN(parent.first), PN(kid.first), sig("yese", es=True)))
    m3 = ("Muchas gracias Yesenia, ahí estaremos. ¿Puede venir también su hermanita %s? Le toca su chequeo de 4 años y sus vacunas.\n\n%s\n"
          % (PN(Person((4, 4), last=kid.last).first), PN(parent.first)))
    body = (m3 + "\n" + attribution(t2, "Yesenia Holguín", staff_addr("yese"), es=True) + "\n"
            + quote(m2 + "\n" + attribution(t1, PN(parent.full), parent.email, es=True) + "\n" + quote(m1)) + "\n")
    add(Msg("spanish-chain", "RE: RE: fiebre y dolor de oído - %s" % PN(kid.first), pfrom(parent), sf("yese"), date=t3).body(body, html_alt=True))


def billing_payer(payer_idx=None):
    """Billing office <-> payer provider-services about a denied claim."""
    pl = PLANS[payer_idx] if payer_idx is not None else R.choice(PLANS)
    p = Person((5, 64), plan=pl)
    sub = Person((28, 60), last=p.last) if p.age < 18 else p
    claim = "%s%s" % (R.choice(["2026", "CLM", "E"]), digits(10))
    lbl = R.choice(pl[1])
    cs = cpts(2)
    ic = icds(2)
    dos = "%02d/%02d/2026" % (R.randint(8, 10), R.randint(1, 28))
    body = ("Hello,\n\nWe are requesting reconsideration of the denial below. The denial reason (CO-16, missing information) does not apply; "
            "the referring provider NPI was on the original claim.\n\n"
            "Patient: %s\nDOB: %s\n%s: %s\nGroup #: %s\nSubscriber: %s\nClaim #: %s\nDOS: %s\n"
            "Billed: %s (%s), %s (%s)\nDiagnosis: %s, %s\nRendering NPI: %s   Billing NPI: %s   TIN: %s\n\n"
            "Corrected claim is attached to the portal case. Please call me directly with questions.\n\n%s\n\n%s\n"
            % (PN(p.full), DOB(fmt_date(p.dob, "us")), lbl, MID(p.member), p.group, PN(sub.full), claim, dos,
               CPT(cs[0]), CPT_CODES[cs[0]], CPT(cs[1]), CPT_CODES[cs[1]], ICD(ic[0]), ICD(ic[1]), NPI(DOC_NPI["oye"]), NPI(CLINIC_NPI), CLINIC_TIN,
               sig(R.choice(["trina", "marcus"])), CONF))
    add(Msg("payer", "Reconsideration request - claim %s - %s" % (claim, PN(p.last)), sf("trina"), "Provider Services <provider.services@%s.example>" % pl[0].split()[0].lower()).body(body))


def payer_inbound():
    """Payer writes to billing: requests records; payer-named IDs in table-ish prose."""
    pl = R.choice(PLANS)
    pts = [Person((3, 64), plan=pl) for _ in range(R.randint(2, 4))]
    rows = []
    for p in pts:
        rows.append("  %-24s %-12s %s %s   DOS %s   %s" % (PN(p.last + ", " + p.first), DOB(fmt_date(p.dob, "us")), R.choice(pl[1]), MID(p.member),
                                                         "%02d/%02d/2026" % (R.randint(6, 10), R.randint(1, 28)), CPT(R.choice(["99214", "99213", "99396", "94010"]))))
    body = ("Dear Provider,\n\n%s is conducting a post-payment review. Please submit medical records for the following members within 30 days. "
            "Reference %s-%s.\n\n%s\n\nRecords may be faxed to %s (Attn: Clinical Review) or uploaded to the provider portal. "
            "Questions: %s, option 4.\n\nPayment Integrity Unit\n%s\n"
            % (pl[0], pl[0].split()[0].upper()[:4], digits(6), "\n".join(rows), PH(phone(0)), PH("1-800-" + str(R.randint(200, 999)) + "-" + digits(4)), pl[0]))
    add(Msg("payer", "Medical records request - post-payment review", "Payment Integrity <integrity@%s.example>" % pl[0].split()[0].lower(), sf("trina")).body(body, html_alt=True))


DRUG_DX = {"metformin": "E11.65", "albuterol": "J45.909", "amoxicillin": "H66.91", "lisinopril": "I10", "fluticasone": "J45.30",
          "methylphenidate": "F90.0", "insulin": "E10.9", "cetirizine": "J30.2", "atorvastatin": "E78.5", "levothyroxine": "E03.9",
          "budesonide": "J45.30", "semaglutide": "E66.9"}


def prior_auth():
    p = Person((8, 70))
    drug, f = R.choice(DRUGS)
    code = ndc(f)
    doc = R.choice(["marsh", "oye", "villa", "keisha"])
    dx = DRUG_DX[drug.split()[0]]
    body = ("PRIOR AUTHORIZATION REQUEST - PHARMACY\n\nMember name: %s\nDate of birth: %s\nPlan: %s\n%s\n\n"
            "Medication: %s\nNDC: %s\nQuantity: 30 day supply, refills x5\nDiagnosis: %s (%s)\n\n"
            "Prescriber: %s\nNPI: %s\nDEA: %s\nPhone %s  Fax %s\n\n"
            "Clinical rationale: %s has tried and failed two formulary alternatives over the last 6 months (documented in chart). "
            "Please expedite -- %s is out of medication on Friday.\n\n%s\n"
            % (PN(p.full), DOB(fmt_date(p.dob, R.choice(["us", "iso"]))), plan_name(p), member_line(p), drug, NDC(code), ICD(dx), ICD_CODES[dx],
               STAFF[doc][0], NPI(DOC_NPI[doc]), DEA(DOC_DEA[doc]), PH(CLINIC_PHONE), PH(CLINIC_FAX), (p.title + " " + PN(p.last) if p.age > 17 else PN(p.first)),
               PN(p.first), sig("keisha")))
    m = Msg("prior-auth", "PA request: %s for %s" % (drug.split()[0], PN(p.full)), sf("keisha"), "pharmacy.pa@%s.example" % (p.plan[0].split()[0].lower()))
    m.body(body)
    if R.random() < 0.5:
        pdf, l = make_pdf(["Desert Willow Family & Pediatric Care - Letter of Medical Necessity", "",
                           "Re: " + PN(p.full) + "    DOB: " + DOB(fmt_date(p.dob, "us")), member_line(p), "",
                           "To whom it may concern:", "",
                           "I am writing on behalf of my patient, " + PN(p.full) + ", who carries a diagnosis of " + ICD(dx) + ".",
                           "The requested medication (NDC " + NDC(code) + ") is medically necessary.", "",
                           "Sincerely,", STAFF[doc][0], "NPI " + NPI(DOC_NPI[doc])])
        m.attach("LMN_%s.pdf" % p.last.replace(" ", "").replace("'", ""), "application/pdf", pdf, l)
    add(m)


def referral_docx():
    p = Person((1, 17))
    par = Person((25, 50), last=p.last if R.random() < 0.7 else None)
    dx = R.choice(["R01.1", "F84.0", "F90.0", "R62.51", "J45.30", "E10.9"])
    spec = {"R01.1": "Pediatric Cardiology", "F84.0": "Developmental Pediatrics", "F90.0": "Pediatric Behavioral Health",
            "R62.51": "Pediatric Gastroenterology", "J45.30": "Pediatric Pulmonology", "E10.9": "Pediatric Endocrinology"}[dx]
    paras = ["Date: November %d, 2026" % R.randint(3, 30), "To: " + spec + ", Sierra Vista Children's Specialty Clinic", "",
             "RE: " + PN(p.full), "Date of birth: " + DOB(fmt_date(p.dob, "long")), "Our MRN: " + MRN(p.mrn),
             "Parent/guardian: " + PN(par.full) + ", phone " + PH(par.phone), "Address: " + AD(p.street) + ", " + p.city,
             "Insurance: " + plan_name(p) + ", " + member_line(p), "",
             "Dear colleague,", "",
             "Thank you for seeing " + PN(p.first) + ", a %d-year-old I follow for well care. " % p.age +
             "I am referring for evaluation of " + ICD(dx) + ". " + PN(p.first) + "'s " + ("mother" if par.sex == "F" else "father") + ", " + PN(par.first) +
             ", reports symptoms for several months. Growth chart and recent labs are enclosed. Family speaks Spanish at home; " + PN(par.first) + " is comfortable in English.", "",
             [["Item", "Code", "Date"], ["Last well visit", CPT(R.choice(["99393", "99392", "99394"])), "08/14/2026"], ["Screening", CPT("96110"), "08/14/2026"]], "",
             "Sincerely,", STAFF["villa"][0], "NPI " + NPI(DOC_NPI["villa"]), CLINIC + ", " + AD(CLINIC_ST) + ", Las Cruces NM 88005", "Tel " + PH(CLINIC_PHONE) + "  Fax " + PH(CLINIC_FAX)]
    data, l = make_docx(paras, title="Referral for Specialty Evaluation")
    fn = "Referral_%s_%s.docx" % (p.last.replace(" ", "").replace("'", ""), spec.split()[-1])
    body = ("Attached please find a referral for %s (DOB %s). Please contact the family to schedule; mom prefers Spanish.\n\nThank you,\n%s\n"
            % (PN(p.full), DOB(fmt_date(p.dob, "us")), sig("yese")))
    add(Msg("referral", "Referral - %s" % spec, sf("yese"), "Referrals <referrals@sierravista-children.example>").body(body).attach(fn, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data, l))


def referral_pdf_inbound():
    """Consult letter from specialist back to PCP, PDF."""
    p = Person((40, 80))
    dx = R.choice(["I48.91", "I25.10", "N18.30", "J44.1", "G43.909"])
    lines = ["SIERRA VISTA REGIONAL SPECIALTY GROUP", "Consultation Note", "",
             "Patient: " + PN(p.last.upper() + ", " + p.first.upper()), "DOB: " + DOB(fmt_date(p.dob, "us")) + "    MRN: " + MRN("SVR" + digits(8)),
             "Referring: " + STAFF["oye"][0] + " (NPI " + NPI(DOC_NPI["oye"]) + ")", "",
             "Thank you for referring " + p.title + " " + PN(p.last) + ". Assessment: " + ICD(dx) + " - " + ICD_CODES[dx] + ".",
             "Plan discussed with patient and wife, " + PN(Person((40, 80), sex="F", last=p.last).first) + ". Follow up 3 months." if p.sex == "M" else
             "Plan discussed with patient and her son, " + PN(Person((30, 55), sex="M", last=p.last).first) + ". Follow up 3 months.",
             "", "Procedures today: " + CPT("93000") + " (EKG)", "", "Electronically signed, Priyanka Deshmukh, MD  NPI " + NPI(npi())]
    pdf, l = make_pdf(lines)
    body = "Dr. Oyelaran,\n\nPlease see attached consult for your patient %s.\n\nSierra Vista Regional Specialty Group\nFax %s\n" % (PN(p.full), PH(phone(0)))
    add(Msg("consult", "Consult note", "Specialty Group <records@sierravista-regional.example>", sf("oye")).body(body).attach("consult_%s.pdf" % digits(6), "application/pdf", pdf, l))


def patient_list_xlsx():
    n = R.randint(8, 14)
    pts = [Person((1, 17) if R.random() < 0.6 else (18, 80)) for _ in range(n)]
    head = ["MRN", "Last Name", "First Name", "DOB", "Insurance", "Member ID", "Phone", "Dx (ICD-10)", "Last Visit"]
    rows = [head]
    for p in pts:
        mid = MBI(p.member) if p.plan is MEDICARE else MID(p.member)
        rows.append([MRN(p.mrn), PN(p.last), PN(p.first), DOB(fmt_date(p.dob, "us")), p.plan[0], mid, PH(p.phone),
                     ICD(R.choice(["J45.909", "E66.9", "F90.0", "E11.9", "I10", "Z00.129"])), "%02d/%02d/2026" % (R.randint(1, 10), R.randint(1, 28))])
    sheets = [("Outreach", rows)]
    if R.random() < 0.5:
        sheets.append(("Notes", [["Column", "Meaning"], ["Dx (ICD-10)", "primary diagnosis"], ["Last Visit", "date of last office visit (not DOB)"]]))
    data, l = make_xlsx(sheets)
    topic = R.choice(["flu shot outreach", "overdue well-child visits", "asthma registry", "A1c > 9 follow-up", "care gap list Q4"])
    body = ("Hi team,\n\nAttached is the %s list for this week. Please split it between the two MAs; Yesenia takes the Spanish-preference families. "
            "Mark each row when you reach someone.\n\nThanks,\nKeisha\n" % topic)
    add(Msg("patient-list", "%s - list attached" % topic, sf("keisha"), "Clinical Team <clinical@%s>" % DOM).body(body)
        .attach("%s.xlsx" % topic.replace(" ", "_").replace(">", "gt"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data, l))


def patient_list_csv():
    n = R.randint(6, 10)
    pts = [Person((18, 85)) for _ in range(n)]
    lines = ["patient_last,patient_first,date_of_birth,chart_no,payer,payer_member_id,balance_due,guarantor"]
    for p in pts:
        g = p if R.random() < 0.7 else Person((30, 70), last=p.last)
        lines.append('%s,%s,%s,%s,"%s",%s,%.2f,"%s"' % (PN(p.last), PN(p.first), DOB(fmt_date(p.dob, "iso")), MRN(p.mrn), p.plan[0],
                                                        MBI(p.member) if p.plan is MEDICARE else MID(p.member), R.uniform(15, 900), PN(g.full)))
    body = ("Marcus,\n\nHere is the aging report export for >90 days, self-pay balances after insurance. The guarantor column is who gets the statement. "
            "Can you scrub before we send to the collection vendor?\n\nTrina\n")
    add(Msg("billing-list", "aging >90 export", sf("trina"), sf("marcus")).body(body).attach_text("aging_over90.csv", "text/csv", "\n".join(lines) + "\n"))


def hl7_adt():
    p = Person((0, 16))
    par = Person((24, 48), last=p.last)
    plan = p.plan if p.plan is not MEDICARE else PLANS[2]
    pid5 = "%s^%s^%s" % (p.last.upper(), p.first.upper().replace(" ", "^"), R.choice("AMJLR")) if " " not in p.first else "%s^%s" % (p.last.upper(), p.first.upper())
    nk1 = "%s^%s" % (par.last.upper(), par.first.upper())
    ts = "202611%02d%02d%02d" % (R.randint(2, 30), R.randint(7, 17), R.randint(0, 59))
    doc = "villa"
    segs = [
        "MSH|^~\\&|DWFP_EHR|DWFP|SVRMC_ADT|SVRMC|%s||ADT^A04^ADT_A01|MSG%s|P|2.5.1" % (ts, digits(8)),
        "EVN|A04|%s" % ts,
        "PID|1||%s^^^DWFP^MR~%s^^^SVRMC^MR||%s||%s|%s|||%s^^%s^%s^%s||%s|||||%s" % (MRN(p.mrn), MRN("SV" + digits(8)), PN(pid5), DOB(fmt_date(p.dob, "hl7")), p.sex,
                                                                                     AD(p.street.upper()), p.city.split(",")[0].upper(), p.city.split()[-2], p.city.split()[-1], PH(hl7_phone()), digits(9)),
        "NK1|1|%s|MTH^Mother|%s^^%s|%s" % (PN(nk1), AD(par.street.upper()), p.city.split(",")[0].upper(), PH(hl7_phone())),
        "PV1|1|O|PEDS^^^DWFP||||%s^VILLASENOR^ARTURO^^^^MD" % NPI(DOC_NPI[doc]),
        "DG1|1||%s^%s^I10" % (ICD(R.choice(["J45.909", "H66.91", "R50.9", "J06.9"])), "DIAGNOSIS"),
        "GT1|1||%s||%s^^%s^NM|%s" % (PN(nk1), AD(par.street.upper()), p.city.split(",")[0].upper(), PH(hl7_phone())),
        "IN1|1|%s|%s|%s|||||%s|||||||%s|19||||||||||||||||||||%s" % (plan[0].split()[0].upper()[:6], digits(5), plan[0].upper(), plan[3](), PN(nk1), MID(plan[2]())),
    ]
    segs[3] = segs[3].replace("MTH^Mother", "MTH^Mother" if par.sex == "F" else "FTH^Father")
    txt = "\r".join(segs) + "\r"
    fn = "ADT_A04_%s.hl7" % digits(6)
    body = "Interface team,\n\nThis A04 errored on the hospital side (PID-3 repetition). Raw message attached for the ticket. Please don't paste it into the ticket text.\n\nGreg\n"
    m = Msg("hl7", "ADT interface error - A04 rejected", sf("greg"), "Interface Support <hl7support@sierravista-regional.example>")
    m.body(body).attach_text(fn, "application/octet-stream", txt, kind_label="hl7_patient_data")
    add(m)


def hl7_oru():
    p = Person((30, 75))
    pid5 = "%s^%s" % (p.last.upper(), p.first.upper())
    ts = "202611%02d0815" % R.randint(2, 30)
    segs = [
        "MSH|^~\\&|MESALAB|MESA_REF_LAB|DWFP_EHR|DWFP|%s||ORU^R01|L%s|P|2.3" % (ts, digits(9)),
        "PID|1||%s^^^DWFP^MR||%s||%s|%s|||%s^^LAS CRUCES^NM^88005||%s||||||%s|%s^NM" % (MRN(p.mrn), PN(pid5), DOB(fmt_date(p.dob, "hl7")), p.sex, AD(p.street.upper()), PH(hl7_phone()), SSN(p.ssn), DL(digits(9))),
        "ORC|RE|%s" % digits(8),
        "OBR|1|%s||%s^HEMOGLOBIN A1C^C4|||%s|||||||||%s^OYELARAN^SAMUEL" % (digits(8), CPT("83036"), ts, NPI(DOC_NPI["oye"])),
        "OBX|1|NM|4548-4^Hemoglobin A1c^LN||%.1f|%%|<5.7|H|||F" % R.uniform(7.5, 11.5),
        "OBX|2|NM|2345-7^Glucose^LN||%d|mg/dL|70-99|H|||F" % R.randint(140, 290),
    ]
    txt = "\r".join(segs) + "\r"
    fn = "ORU_%s.hl7" % digits(7)
    body = ("Dr. Oyelaran -- critical/abnormal result for %s attached as the raw lab feed; the results inbox is down so forwarding the file. "
            "Call-back number for the lab is %s.\n\nLucía\n" % (PN(p.full), PH(phone(1))))
    add(Msg("hl7", "FW: abnormal A1c - %s" % PN(p.last), sf("lucia"), sf("oye")).body(body).attach_text(fn, "text/plain", txt, kind_label="hl7_patient_data"))


def fhir_json():
    p = Person((2, 17))
    par = Person((25, 50), last=p.last)
    plan = p.plan if p.plan is not MEDICARE else PLANS[1]
    mid = plan[2]()
    given = p.first.split()
    pat = {
        "resourceType": "Patient", "id": "pt-" + digits(6),
        "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                        "system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": MRN(p.mrn)}],
        "name": [{"use": "official", "family": PN(p.last), "given": [PN(g) for g in given]}],
        "gender": "female" if p.sex == "F" else "male", "birthDate": DOB(fmt_date(p.dob, "iso")),
        "telecom": [{"system": "phone", "value": PH(par.phone), "use": "mobile"}, {"system": "email", "value": EM(par.email)}],
        "address": [{"line": [AD(p.street)], "city": p.city.split(",")[0], "state": p.city.split()[-2], "postalCode": p.city.split()[-1]}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}],
    }
    rp = {"resourceType": "RelatedPerson", "id": "rp-" + digits(5), "patient": {"reference": "Patient/" + pat["id"]},
          "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH" if par.sex == "F" else "FTH"}]}],
          "name": [{"family": PN(par.last), "given": [PN(par.first.split()[0])]}], "telecom": [{"system": "phone", "value": PH(par.phone)}]}
    cov = {"resourceType": "Coverage", "id": "cov-" + digits(5), "status": "active",
           "subscriberId": MID(mid), "beneficiary": {"reference": "Patient/" + pat["id"]},
           "subscriber": {"reference": "RelatedPerson/" + rp["id"]},
           "payor": [{"display": plan[0]}], "class": [{"type": {"coding": [{"code": "group"}]}, "value": plan[3]()}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": pat}, {"resource": rp}, {"resource": cov}]}
    txt = json.dumps(bundle, indent=2, ensure_ascii=False).replace("\\u0001", "\x01").replace("\\u0002", "\x02").replace("\\u0003", "\x03")
    fn = "patient_bundle_%s.json" % digits(5)
    body = ("Hi,\n\nAs requested for the immunization registry sync test, attached is the FHIR bundle for one of our peds patients (Patient + RelatedPerson + Coverage). "
            "It's a real chart, so please delete after testing.\n\nGreg Tolliver\nIT, " + CLINIC + "\n")
    add(Msg("fhir", "FHIR bundle for registry sync test", sf("greg"), "NMSIIS Onboarding <onboarding@nmsiis-registry.example>").body(body)
        .attach_text(fn, "application/fhir+json", txt, kind_label="fhir_patient_data"))


def fhir_xml():
    p = Person((40, 80))
    txt = ('<?xml version="1.0" encoding="UTF-8"?>\n<Patient xmlns="http://hl7.org/fhir">\n  <id value="%s"/>\n'
           '  <identifier>\n    <type><coding><system value="http://terminology.hl7.org/CodeSystem/v2-0203"/><code value="MR"/></coding></type>\n'
           '    <value value="%s"/>\n  </identifier>\n  <name>\n    <family value="%s"/>\n    <given value="%s"/>\n  </name>\n'
           '  <telecom><system value="phone"/><value value="%s"/></telecom>\n  <gender value="%s"/>\n  <birthDate value="%s"/>\n'
           '  <address><line value="%s"/><city value="%s"/><state value="NM"/></address>\n</Patient>\n'
           % ("p" + digits(7), MRN(p.mrn), PN(p.last), PN(p.first.split()[0]), PH(p.phone), "female" if p.sex == "F" else "male", DOB(fmt_date(p.dob, "iso")), AD(p.street), p.city.split(",")[0]))
    body = "Vendor asked for a sample of the Patient resource our EHR exports. This is the XML. Patient's name is in there, so internal only.\n\nGreg\n"
    add(Msg("fhir", "sample Patient XML export", sf("greg"), sf("trina")).body(body).attach_text("Patient_%s.xml" % digits(5), "application/fhir+xml", txt, kind_label="fhir_patient_data"))


def lab_notification():
    p = Person((1, 80))
    es = R.random() < 0.4
    test = R.choice([("rapid strep", "87880", "J02.0"), ("CBC", "85025", "D50.9"), ("vitamin D", "82306", "E55.9"), ("urinalysis", "81002", "N39.0"), ("TSH", "84443", "E03.9")])
    if not es:
        body = ("Hi %s,\n\nYour recent %s result is back and Dr. Marsh has reviewed it. It shows %s, so she would like to start treatment. "
                "A prescription was sent to your pharmacy. You can see the full result in the portal.\n\n"
                "If you have questions, call us at %s.\n\n%s\n" % (PN(p.first), test[0], ICD(test[2]) + " (" + ICD_CODES[test[2]] + ")", PH(CLINIC_PHONE), sig("lucia")))
        subj = "Your lab result"
    else:
        body = ("Hola %s,\n\nYa tenemos el resultado de su prueba (%s). La doctora lo revisó: el diagnóstico es %s. Le mandamos la receta a su farmacia. "
                "Si tiene preguntas llame al %s.\n\nSaludos,\n%s\n" % (PN(p.first), test[0], ICD(test[2]), PH(CLINIC_PHONE), sig("yese", es=True)))
        subj = "Resultado de laboratorio"
    add(Msg("lab", subj, sf("lucia" if not es else "yese"), pfrom(p)).body(body, html_alt=True))


def lab_portal_internal():
    pts = [Person((1, 80)) for _ in range(R.randint(3, 5))]
    lines = []
    for p in pts:
        t = R.choice([("A1c", "83036"), ("CMP", "80053"), ("CBC", "85025"), ("lipid panel", "80061")])
        lines.append("- %s (%s), DOB %s -- %s %s, abnormal, needs call" % (PN(p.full), MRN(p.mrn), DOB(fmt_date(p.dob, "short")), t[0], CPT(t[1])))
    CPT_CODES["80061"] = "lipid panel"
    body = "Unsigned abnormal results from Mesa Reference Lab still in the queue from last week:\n\n%s\n\nCan someone take these before Friday?\n\n-Keisha\n" % "\n".join(lines)
    add(Msg("lab", "unsigned abnormals", sf("keisha"), "Providers <providers@%s>" % DOM).body(body))


def pharmacy():
    p = Person((30, 85))
    drug, f = R.choice(DRUGS)
    code = ndc(f)
    doc = R.choice(["marsh", "oye"])
    body = ("ROADRUNNER PHARMACY #112 - REFILL AUTHORIZATION REQUEST\n\nPatient: %s\nDOB: %s\nPt phone: %s\n\n"
            "Drug: %s   NDC %s   Qty 90   Last fill 10/%02d/2026\n"
            "Prescriber: %s   NPI %s   DEA %s\n\n"
            "Please reply by fax to %s or e-mail. Pharmacist: Walt Hendricks, RPh\n"
            % (PN(p.last.upper() + ", " + p.first.upper()), DOB(fmt_date(p.dob, "us")), PH(p.phone), drug, NDC(code), R.randint(1, 28),
               STAFF[doc][0], NPI(DOC_NPI[doc]), DEA(DOC_DEA[doc]), PH(phone(0))))
    add(Msg("pharmacy", "Refill request - %s" % PN(p.last.upper()), "Roadrunner Pharmacy <rx112@roadrunnerrx.example>", sf(doc)).body(body))


def dme_order():
    p = Person((1, 10))
    par = Person((22, 45), last=p.last)
    body = ("Hi Desert Willow,\n\nWe received the order for a home nebulizer (E0570) for %s, DOB %s. Before we can ship we need:\n"
            "1. Signed CMN from the ordering provider (Dr. Villaseñor, NPI %s)\n2. Diagnosis on the order -- we have %s, please confirm\n"
            "3. Parent contact: we tried %s at %s twice.\n\nShip-to: %s, %s\n%s\n\nThanks,\nSun Country Medical Supply - Intake\n"
            % (PN(p.full), DOB(fmt_date(p.dob, "us")), NPI(DOC_NPI["villa"]), ICD("J45.909"), PN(par.full), PH(par.phone), AD(par.street), par.city, member_line(p)))
    add(Msg("dme", "Nebulizer order - missing info", "Intake <intake@suncountrymed.example>", sf("villa")).body(body))


def records_release():
    p = Person((18, 70), sex="F")
    st = p.state
    lines = ["AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION", "AUTORIZACION PARA DIVULGAR INFORMACION DE SALUD", "",
             "Patient name / Nombre del paciente: " + PN(p.full),
             "Date of birth / Fecha de nacimiento: " + DOB(fmt_date(p.dob, "us")),
             "Medical record no. / No. de historia clínica: " + MRN(p.mrn),
             "SSN (last 4 optional) / Seguro Social: " + SSN(p.ssn),
             "Address / Dirección: " + AD(p.street) + ", " + p.city,
             "Phone / Teléfono: " + PH(p.phone),
             "Photo ID: %s driver license no. %s" % (STATE_NAMES[st], DL(p.dl)), "",
             "Release to: Pinnacle Disability Services, Attn: Records", "Information: office notes 2024-2026, labs, imaging", "",
             "Signature: ______________________   Date: 11/%02d/2026" % R.randint(2, 30)]
    pdf, l = make_pdf(lines)
    body = ("Hi Pilar,\n\nThe signed release for %s came in through the fax server (attached). She wants records sent to the disability attorney. "
            "Can you verify the ID -- the scan says her %s license number is %s.\n\nThanks,\nTrina\n" % (PN(p.full), STATE_NAMES[st], DL(p.dl)))
    add(Msg("records-release", "ROI - %s" % PN(p.full), sf("trina"), sf("pilar")).body(body).attach("ROI_%s.pdf" % digits(6), "application/pdf", pdf, l))


def card_payment():
    p = Person((2, 16))
    g = Person((25, 55), last=p.last if R.random() < 0.7 else None)
    kind = R.choice(["visa", "mc", "amex", "disc"])
    num = card(kind)
    exp = "%02d/%02d" % (R.randint(1, 12), R.randint(27, 31))
    t1 = msg_date()
    m1 = ("Hi,\n\nI got a statement for my son %s's visit in September, $%d.%02d. I'd like to pay it over email since the portal keeps timing out.\n\n"
          "Name on card: %s\nCard: %s  Exp %s\nBilling address: %s\nAccount #: %s\n\nThanks,\n%s\n%s\n"
          % (PN(p.first), R.randint(40, 400), R.randint(0, 99), PN(g.full), CC(num), exp, AD(g.street), digits(8), PN(g.first), PH(g.phone)))
    if p.sex == "F":
        m1 = m1.replace("my son", "my daughter")
    m2 = ("Hi %s,\n\nThank you -- we processed the payment, but please don't send card numbers by e-mail in the future; call us at %s instead. "
          "I've removed it from our records.\n\n%s\n" % (PN(g.first), PH(BILLING_PHONE), sig("trina")))
    body = m2 + "\n" + attribution(t1, PN(g.full), g.email) + "\n" + quote(m1) + "\n"
    add(Msg("payment", "Re: paying my bill", sf("trina"), pfrom(g), date=t1 + datetime.timedelta(hours=5)).body(body))


def remittance_eft():
    pl = R.choice(PLANS)
    pts = [Person((1, 64), plan=pl) for _ in range(R.randint(3, 5))]
    r = aba()
    lines = []
    for p in pts:
        c = R.choice(["99213", "99214", "99393", "90686", "87880"])
        lines.append("%-22s %s %-14s %s  billed %7.2f  paid %7.2f" % (PN(p.last.upper() + ", " + p.first.upper()), R.choice(pl[1]).split()[0] + " ID", MID(p.member), CPT(c), R.uniform(80, 250), R.uniform(30, 150)))
    body = ("Trina,\n\nThe %s ERA for check/EFT trace %s posted with %d lines. Funds went to the operating account (routing %s, acct ending %s). "
            "Three adjustments need review:\n\n%s\n\nMarcus\n" % (pl[0], digits(10), len(lines), ABA(r), digits(4), "\n".join(lines)))
    add(Msg("remittance", "ERA posted - %s" % pl[0], sf("marcus"), sf("trina")).body(body))


def eft_enrollment():
    r = aba()
    body = ("Hello,\n\nPlease update our EFT enrollment for %s (Billing NPI %s, TIN %s). New bank information:\n\n"
            "Bank: Rio Grande Community Bank\nABA routing number: %s\nAccount type: checking\n\nContact: %s, %s\n\n%s\n"
            % (CLINIC, NPI(CLINIC_NPI), CLINIC_TIN, ABA(r), STAFF["trina"][0], PH(BILLING_PHONE), sig("trina")))
    add(Msg("billing-admin", "EFT enrollment update", sf("trina"), "EDI Enrollment <edi.enroll@westernsky.example>").body(body))


def superbill_pdf():
    p = Person((0, 17))
    g = Person((25, 50), last=p.last)
    cs = R.sample(["99392", "99393", "90460", "90461", "90700", "90710", "90686", "96110", "92551", "99173"], 4)
    lines = ["DESERT WILLOW FAMILY & PEDIATRIC CARE - SUPERBILL / HOJA DE COBRO", "",
             "Patient / Paciente: " + PN(p.full) + "     DOB / F. nac.: " + DOB(fmt_date(p.dob, "us")),
             "Chart #: " + MRN(p.mrn), "Guarantor / Responsable: " + PN(g.full) + "   Tel: " + PH(g.phone),
             "Insurance: " + plan_name(p) + "   " + member_line(p), "", "Code      Description"]
    for c in cs:
        lines.append(CPT(c) + "     " + CPT_CODES[c])
    lines += ["", "Dx: " + ICD("Z00.129") + ", " + ICD("Z23"), "", "Provider: " + STAFF["villa"][0] + "  NPI " + NPI(DOC_NPI["villa"])]
    pdf, l = make_pdf(lines)
    body = "Marcus, superbill for %s's well visit attached -- the vaccine admin codes look off to me. Pilar\n" % PN(p.first)
    add(Msg("superbill", "superbill check", sf("pilar"), sf("marcus")).body(body).attach("superbill_%s.pdf" % digits(5), "application/pdf", pdf, l))


def medicare_awv():
    p = Person((66, 90), plan=MEDICARE)
    wife = Person((60, 88), sex="F" if p.sex == "M" else "M", last=p.last)
    body = ("Hi Marcus,\n\nWe keep getting the AWV (G0439) denied for %s. Medicare says he had one 10 months ago somewhere else. MBI on file %s -- "
            "can you check eligibility against %s? Also %s %s (%s's spouse, %s) needs the same check; MBI %s, DOB %s.\n\nThanks\nPilar\n"
            % (PN(p.full), MBI(p.member), MBI(mbi(True)), wife.title if wife.sex == "F" else "Mr.", PN(wife.last), PN(p.first), PN(wife.full), MBI(mbi()), DOB(fmt_date(wife.dob, "us"))))
    if p.sex == "F":
        body = body.replace(" he had", " she had")
    add(Msg("billing-question", "AWV denials", sf("pilar"), sf("marcus")).body(body))


def school_form():
    p = Person((5, 15))
    par = Person((28, 50), last=p.last)
    t1 = msg_date()
    m1 = ("Hi Dr. V,\n\nCould you fill out the sports physical form for %s? Tryouts are the 18th. I attached a photo of the form. "
          "%s had the physical in August (I think it was billed as %s). Also the school nurse wants her asthma action plan since she uses albuterol.\n\n"
          "Thanks so much,\n%s %s\n%s\n" % (PN(p.first), PN(p.first), CPT("99394") if p.age >= 12 else CPT("99393"), PN(par.first), PN(par.last), PH(par.phone)))
    if p.sex == "M":
        m1 = m1.replace("wants her", "wants his").replace("since she uses", "since he uses")
    m2 = ("Hi %s,\n\nDr. Villaseñor signed the form -- it's at the front desk for pickup, or we can fax it to the school. The asthma plan is attached as well.\n\nLucía\n%s\n"
          % (PN(par.first), sig("lucia")))
    body = m2 + "\n" + attribution(t1, PN(par.full), par.email) + "\n" + quote(m1) + "\n"
    m = Msg("school-form", "Re: sports physical form for %s" % PN(p.first), sf("lucia"), pfrom(par), date=t1 + datetime.timedelta(days=1))
    m.body(body, html_alt=True)
    m.attach("form_photo.png", "image/png", make_png(), kind_label="uninspectable_attachment")
    add(m)


def encrypted_zip_mail():
    p = Person((18, 60))
    inner = ("Patient: %s\nDOB: %s\nSSN: %s\n" % (p.full, fmt_date(p.dob, "us"), p.ssn)).encode("utf-8")
    z = make_encrypted_zip([("records/chart_export.txt", inner), ("records/labs.txt", b"A1c 8.2\n")], "Willow" + digits(4))
    fn = "records_%s.zip" % digits(6)
    body = ("Attached are the requested records, password protected. I will call your office with the password.\n\nTrina Castañeda\nBilling Office\n%s\n" % PH(BILLING_PHONE))
    add(Msg("encrypted", "Requested records (encrypted)", sf("trina"), "Records <records@pinnacle-disability.example>").body(body)
        .attach(fn, "application/zip", z, kind_label="encrypted_archive"))


def zip_bundle():
    """Plain ZIP with an HL7 message and a CSV inside."""
    pts = [Person((1, 17)) for _ in range(3)]
    csvl = ["Last,First,DOB,MRN,Vaccine CPT"]
    for p in pts:
        csvl.append("%s,%s,%s,%s,%s" % (PN(p.last), PN(p.first), DOB(fmt_date(p.dob, "us")), MRN(p.mrn), CPT(R.choice(["90686", "90700", "90716", "90707"]))))
    csv_t, l1 = strip("\n".join(csvl) + "\n")
    p = pts[0]
    hl7, l2 = strip("\r".join(["MSH|^~\\&|DWFP_EHR|DWFP|NMSIIS|NMDOH|20261112093000||VXU^V04^VXU_V04|V%s|P|2.5.1" % digits(7),
                               "PID|1||%s^^^DWFP^MR||%s^%s||%s|%s" % (MRN(p.mrn), PN(p.last.upper() + "^" + p.first.upper().split()[0]), "", DOB(fmt_date(p.dob, "hl7")), p.sex),
                               "RXA|0|1|20261110|20261110|141^Influenza^CVX|0.5|mL"]) + "\r")
    fn = "vxu_batch_%s.zip" % digits(4)
    z = make_zip([("batch/immunizations.csv", csv_t.encode()), ("batch/vxu_001.hl7", hl7.encode())])
    body = "Registry resubmission batch attached (CSV + one VXU that failed). Greg\n"
    m = Msg("zip", "VXU resubmission batch", sf("greg"), "NMSIIS Support <support@nmsiis-registry.example>").body(body)
    m.attach(fn, "application/zip", z, l1 + l2)
    m.labels.append(("hl7_patient_data", fn + "/batch/vxu_001.hl7"))
    add(m)


def front_desk_handoff():
    """Informal internal chat-like mail with names in prose, first names, and Spanish."""
    a = Person((20, 70), sex="F")
    b = Person((1, 10))
    bm = Person((20, 40), sex="F", last=b.last)
    c = Person((50, 85))
    body = ("Hola equipo,\n\nHandoff from this morning:\n"
            "* %s called about her refill, she's out tomorrow. Sent to Dr. Marsh's pool.\n"
            "* La Sra. %s llamó porque %s sigue con vómito; le dije que la traiga a las 2. Su número nuevo es %s.\n"
            "* %s's %s card was denied at check-in -- new card says %s. Updated.\n"
            "* Mr. %s wants a call from billing about the EOB, he was pretty upset.\n\nPilar\n"
            % (PN(a.full), PN(bm.last), PN(b.first), PH(bm.phone), PN(c.full), c.plan[0].split()[0], member_line(c), PN(Person((40, 80), sex="M").last)))
    add(Msg("handoff", "handoff AM", sf("pilar"), "Front Desk <frontdesk@%s>" % DOM).body(body))


def portal_complaint():
    """Patient complaint, long HTML reply chain with greeting/sign-off first names only."""
    p = Person((30, 70))
    t1 = msg_date()
    t2 = t1 + datetime.timedelta(hours=6)
    m1 = ("To whom it may concern,\n\nI was charged twice for my visit on 10/14 (%s). My card was charged $45 at check-in and then I got a bill for $45 again. "
          "My account number is %s and my %s is %s.\n\n%s\n" % (CPT("99213"), digits(7), p.idlabel(), MID(p.member) if p.plan is not MEDICARE else MBI(p.member), PN(p.full)))
    m2 = ("Dear %s,\n\nI'm sorry about this. I see the duplicate and have issued a refund to the card ending in %s. It should post in 5-7 business days.\n\nBest,\nTrina\n%s\n"
          % (PN(p.first), digits(4), sig("trina")))
    m3 = "Thank you Trina. I appreciate the quick answer.\n\n%s\n" % PN(p.first)
    body = m3 + "\n" + attribution(t2, "Trina Castañeda", staff_addr("trina")) + "\n" + quote(m2 + "\n" + attribution(t1, PN(p.full), p.email) + "\n" + quote(m1)) + "\n"
    add(Msg("patient-reply", "Re: Re: double charge", pfrom(p), sf("trina"), date=t2 + datetime.timedelta(hours=3)).body(body, html_alt=True))


def guardian_consent():
    """Grandparent guardian, DOCX bilingual consent form."""
    p = Person((3, 14))
    gp = Person((50, 75), sex=R.choice("FM"))
    paras = ["CONSENT FOR TREATMENT OF A MINOR / CONSENTIMIENTO PARA TRATAR A UN MENOR", "",
             [["Field / Campo", "Value / Valor"],
              ["Child's name / Nombre del menor", PN(p.full)],
              ["Date of birth / Fecha de nacimiento", DOB(fmt_date(p.dob, "es"))],
              ["Chart number / Número de expediente", MRN(p.mrn)],
              ["Guardian / Tutor", PN(gp.full)],
              ["Relationship / Parentesco", "Grandparent / Abuelo(a)"],
              ["Guardian phone / Teléfono", PH(gp.phone)],
              ["Guardian address / Dirección", AD(gp.street)],
              ["Guardian ID / Identificación", "%s driver's license %s" % (STATE_NAMES[gp.state], DL(gp.dl))],
              ["Insurance / Seguro", plan_name(p)],
              ["Member ID / Número de afiliado", MBI(p.member) if p.plan is MEDICARE else MID(p.member)]],
             "", "I, " + PN(gp.full) + ", have legal guardianship of the child named above and consent to treatment.",
             "Yo, " + PN(gp.full) + ", tengo la tutela legal del menor y doy mi consentimiento."]
    data, l = make_docx(paras)
    body = ("Hi Yesenia,\n\n%s's grandmother brought the guardianship papers. I scanned them to the chart and typed the consent into the attached form. "
            "Can you double-check the Spanish?\n\nPilar\n" % PN(p.first))
    if gp.sex == "M":
        body = body.replace("grandmother", "grandfather")
    add(Msg("consent", "guardian consent form", sf("pilar"), sf("yese")).body(body)
        .attach("consent_minor_%s.docx" % digits(4), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data, l))


def insurance_card_image():
    p = Person((20, 60))
    body = ("Hello, here is a picture of my new insurance card front and back. My name is %s, birthday %s. Please update before my appointment Friday.\n\n- %s\n"
            % (PN(p.full), DOB(fmt_date(p.dob, "short")), PN(p.first)))
    m = Msg("insurance-update", "new insurance card", pfrom(p), "Front Desk <frontdesk@%s>" % DOM).body(body)
    m.attach("IMG_%s.png" % digits(4), "image/png", make_png(32, 20), kind_label="uninspectable_attachment")
    add(m)


def ssn_for_billing():
    p = Person((0, 10))
    g = Person((25, 50), sex="M", last=p.last)
    body = ("Billing office,\n\nYou asked for the subscriber information for my daughter's claim. The policy is under my husband, %s, DOB %s, "
            "Social Security number %s. His employer is Mesilla Valley Transport. Member ID on his card is %s.\n\n"
            "Our daughter is %s. Please let me know if you need anything else.\n\n%s\n"
            % (PN(g.full), DOB(fmt_date(g.dob, "us")), SSN(g.ssn if R.random() < 0.7 else ssn(" ")), MID((p.plan if p.plan is not MEDICARE else PLANS[4])[2]()), PN(p.full), PN(Person((25, 45), sex="F", last=p.last).full)))
    add(Msg("billing-inbound", "subscriber info", "patient mom <%s>" % Person().email, "billing@%s" % DOM).body(body))


def dl_verification():
    p = Person((18, 70))
    st = p.state
    body = ("Pilar,\n\nFor the identity mismatch on %s's account: she showed her %s driver's license at check-in, number %s, and the name on it matches. "
            "The other chart with the same DOB (%s) belongs to her cousin %s. Please merge nothing until Trina reviews.\n\nKeisha\n"
            % (PN(p.full), STATE_NAMES[st], DL(p.dl), DOB(fmt_date(p.dob, "us")), PN(Person((18, 70), sex="F", last=p.last).full)))
    if p.sex == "M":
        body = body.replace(" she showed her", " he showed his").replace("belongs to her", "belongs to his")
    add(Msg("identity", "possible duplicate chart", sf("keisha"), sf("pilar")).body(body))


def telehealth_reply_es():
    p = Person((30, 70))
    t1 = msg_date()
    m1 = ("Buenos días,\n\nSoy %s. No pude conectarme a la cita virtual de hoy con la doctora. ¿Me pueden llamar al %s? "
          "Mi fecha de nacimiento es el %s.\n\nGracias\n%s\n" % (PN(p.full), PH(p.phone), DOB(fmt_date(p.dob, "eslong")), PN(p.first)))
    m2 = ("Buenos días %s,\n\nLa doctora Marsh la va a llamar a las 11:30 al número que nos dio. Si prefiere, le podemos dar una cita en persona el jueves.\n\nYesenia\n%s\n"
          % (PN(p.first), sig("yese", es=True)))
    if p.sex == "M":
        m2 = m2.replace("la va a llamar", "lo va a llamar")
    body = m2 + "\n" + attribution(t1, PN(p.full), p.email, es=True) + "\n" + quote(m1) + "\n"
    add(Msg("spanish-chain", "RE: cita virtual", sf("yese"), pfrom(p), date=t1 + datetime.timedelta(hours=2)).body(body, html_alt=True))


def forwarded_payer_thread():
    """Front desk forwards a relative's mail to billing; inline forwarded header block."""
    p = Person((4, 17))
    par = Person((28, 50), sex="F", last=p.last if R.random() < 0.5 else None)
    t1 = msg_date()
    inner = ("Hello,\n\nThis is %s, %s's mom. We got a bill saying %s denied the visit from September because "
             "the policy was terminated, but we switched to my employer plan in July. The new card says %s, group %s. "
             "The subscriber is me, born %s.\n\nCan you rebill? You can call me at %s.\n\nThanks,\n%s\n"
             % (PN(par.full), PN(p.first), R.choice(["Molina", "Western Sky"]), "%s %s" % (R.choice(PLANS[4][1]), MID(PLANS[4][2]())), PLANS[4][3](),
                DOB(fmt_date(par.dob, "long")), PH(par.phone), PN(par.first)))
    body = ("Marcus -- can you take this one? Mom is nice but frustrated.\n\nPilar\n\n---------- Forwarded message ---------\n"
            "From: %s <%s>\nDate: %s\nSubject: bill for %s\nTo: <%s>\n\n%s"
            % (PN(par.full), EM(par.email), t1.strftime("%a, %b %d, %Y at %I:%M %p"), PN(p.first), EM("frontdesk@" + DOM), inner))
    add(Msg("forward", "Fwd: bill for %s" % PN(p.first), sf("pilar"), sf("marcus"), date=t1 + datetime.timedelta(hours=3)).body(body, html_alt=R.random() < 0.5))


def bilingual_intake_xlsx():
    """Health-fair sign-up sheet (bilingual headers), separate first/last name columns."""
    head = ["Apellido / Last name", "Nombre / First name", "Fecha de nacimiento / DOB", "Teléfono / Phone", "Correo / Email", "Seguro / Insurance", "Número de afiliado / Member #"]
    rows = [head]
    for _ in range(R.randint(7, 11)):
        p = Person((18, 75))
        mid = MBI(p.member) if p.plan is MEDICARE else MID(p.member)
        # underscores avoided here: the extractor renders '_' in XLSX cells as a space
        rows.append([PN(p.last), PN(p.first), DOB(fmt_date(p.dob, "es")), PH(p.phone), EM(p.email.replace("_", ".")), p.plan[0], mid])
    data, l = make_xlsx([("Inscripciones", rows)])
    body = ("Hola Trina,\n\nThese are the sign-ups from Saturday's health fair at the Anthony community center. They want us to check coverage before the flu clinic. "
            "Half of them only gave the Medicaid number.\n\nYesenia\n")
    add(Msg("patient-list", "feria de salud - inscripciones", sf("yese"), sf("trina")).body(body)
        .attach("feria_salud_inscripciones.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data, l))


def financial_assistance():
    """Sliding-fee / charity-care application, PDF, with household members."""
    a = Person((25, 55))
    sp = Person((25, 55), sex="F" if a.sex == "M" else "M", last=a.last)
    kids = [Person((1, 16), last=a.last) for _ in range(R.randint(1, 3))]
    r = aba()
    bare = a.ssn.replace("-", "")
    lines = ["DESERT WILLOW FAMILY & PEDIATRIC CARE", "Sliding Fee Discount Application / Solicitud de descuento", "",
             "Applicant / Solicitante: " + PN(a.full), "Date of birth: " + DOB(fmt_date(a.dob, "us")), "SSN: " + SSN(bare),
             "Spouse / Cónyuge: " + PN(sp.full) + "   DOB " + DOB(fmt_date(sp.dob, "us")) + "   SSN " + SSN(ssn(" ")),
             "Home address: " + AD(a.street), a.city, "Phone: " + PH(a.phone), "E-mail: " + EM(a.email),
             "ID: %s driver license %s" % (STATE_NAMES[a.state], DL(a.dl)), "", "Household members / Miembros del hogar:"]
    for k in kids:
        lines.append("  " + PN(k.full) + "   F. nac. " + DOB(fmt_date(k.dob, "es")) + "   Chart # " + MRN(k.mrn))
    lines += ["", "Monthly household income: $%d" % R.randint(1800, 4200), "Employer: Valley Pecan Growers (seasonal)", "",
              "Autopay for payment plan (optional):", "Bank routing number: " + ABA(r) + "   Account: ****" + digits(4), "",
              "I certify the information above is true. / Certifico que la información es verdadera."]
    pdf, l = make_pdf(lines)
    body = ("Trina,\n\nAttached is the sliding-fee application for the %s family -- %s dropped it off with pay stubs. "
            "Household of %d. The kids are all our patients. Can you approve before %s's appointment next week?\n\nPilar\n"
            % (PN(a.last), PN(a.first), 2 + len(kids), PN(kids[0].first)))
    add(Msg("financial-assistance", "sliding fee application - %s" % PN(a.last), sf("pilar"), sf("trina")).body(body)
        .attach("sliding_fee_%s.pdf" % digits(5), "application/pdf", pdf, l))


def phone_payment_log():
    """Billing staff log of card payments taken by phone."""
    rows = []
    for kind in R.sample(["visa", "mc", "amex", "disc"], 3):
        p = Person((1, 17))
        g = Person((25, 55), last=p.last)
        rows.append("- %s paid $%d.%02d on %s's account (%s). Card %s, exp %02d/%d. Callback %s." % (
            PN(g.full), R.randint(20, 300), R.randint(0, 99), PN(p.full), MRN(p.mrn), CC(card(kind)), R.randint(1, 12), R.randint(27, 30), PH(g.phone)))
    body = ("Marcus,\n\nThe terminal was down this afternoon so I took these by phone and wrote them down. Please key them in and then shred this e-mail:\n\n%s\n\nTrina\n"
            % "\n".join(rows))
    add(Msg("payment", "phone payments to key in", sf("trina"), sf("marcus")).body(body))


def ach_plan_chain():
    p = Person((30, 70))
    t1 = msg_date()
    r = aba()
    m1 = ("Hi Trina,\n\nAs we talked about on the phone, I'd like to set up the $50/month plan for my balance from the surgery referral. "
          "Please take it from my checking: routing %s, account %s. My account # with you is %s.\n\n%s\n"
          % (ABA(r), digits(10), digits(7), PN(p.first)))
    m2 = ("Hi %s,\n\nYou're all set -- the first draft will be on the 15th. I masked the bank details in our system.\n\n%s\n" % (PN(p.first), sig("trina")))
    body = m2 + "\n" + attribution(t1, PN(p.full), p.email) + "\n" + quote(m1) + "\n"
    add(Msg("payment", "Re: payment plan", sf("trina"), pfrom(p), date=t1 + datetime.timedelta(hours=20)).body(body, html_alt=True))


def controlled_rx_es():
    p = Person((6, 15))
    par = Person((28, 48), sex="F", last=p.last)
    code = ndc("532")
    body = ("Dr. Villaseñor,\n\nRoadrunner Pharmacy called: they can't fill %s's methylphenidate ER 18 mg (NDC %s) because the e-script "
            "came through without your DEA number. They need it re-sent with DEA %s and NPI %s. Dx on the script is %s.\n\n"
            "La mamá, Sra. %s, está en la farmacia esperando. Su celular: %s. Le dije que usted lo manda hoy.\n\nYesenia\n"
            % (PN(p.full), NDC(code), DEA(DOC_DEA["villa"]), NPI(DOC_NPI["villa"]), ICD("F90.0"), PN(par.last), PH(par.phone)))
    add(Msg("pharmacy", "Rx rechazada - %s" % PN(p.first), sf("yese"), sf("villa")).body(body))


def vaccine_log_xlsx():
    head = ["Patient Last", "Patient First", "DOB", "MRN", "Vaccine", "NDC", "Lot", "CPT", "Admin date"]
    vacc = [("Influenza, quadrivalent", "90686"), ("DTaP", "90700"), ("MMR", "90707"), ("Varicella", "90716")]
    rows = [head]
    for _ in range(R.randint(6, 9)):
        p = Person((1, 12))
        v = R.choice(vacc)
        rows.append([PN(p.last), PN(p.first), DOB(fmt_date(p.dob, "us")), MRN(p.mrn), v[0], NDC(ndc(R.choice(["532", "541"]))),
                     R.choice("ABUX") + digits(4) + R.choice("AB"), CPT(v[1]), "11/%02d/2026" % R.randint(2, 25)])
    data, l = make_xlsx([("Admin log", rows)])
    body = ("Lucía,\n\nVFC audit is next week. Attached is the administration log for November so far; please reconcile the lot numbers against the fridge inventory.\n\nKeisha\n")
    add(Msg("patient-list", "VFC admin log November", sf("keisha"), sf("lucia")).body(body)
        .attach("vfc_admin_log_nov.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data, l))


# =========================================================== negatives (no PHI at all)
def neg_it_ticket():
    kbs = [dea_lookalike_kb() for _ in range(3)]
    body = ("Team,\n\nPatch Tuesday summary for the clinic workstations. The following updates failed on 6 front-desk PCs and will be retried tonight: %s, %s and %s. "
            "If a reboot prompt appears during clinic hours, click Postpone.\n\nTicket INC-%s / change CHG%s. Room E11 printer is also on the list (model J45-DN, part 8845-2210-05).\n\n"
            "Greg\nIT Services, ext. 4410\n" % (kbs[0], kbs[1], kbs[2], digits(6), digits(7)))
    add(Msg("negative", "Windows updates failed - %s" % kbs[0], sf("greg"), "All Staff <allstaff@%s>" % DOM).body(body))


def neg_course():
    c = ["%03d-%02d-%04d" % (R.randint(100, 600), R.randint(10, 99), R.randint(1000, 9999)) for _ in range(2)]
    body = ("Hi all,\n\nCME reminder: the coding update webinar is course %s (1.5 CEU) and the pediatric asthma module is course %s. "
            "Register with the AAPC member number from your own account. Sessions are in Conference Room B12 and the Grant County room.\n\n"
            "Webinar dial-in conference ID 482 113 907, passcode 5521.\n\nMarcus\n" % (c[0], c[1]))
    add(Msg("negative", "CME courses %s and %s" % (c[0], c[1]), sf("marcus"), "Billing & Coding <coding@%s>" % DOM).body(body))


def neg_invoice():
    body = ("Invoice INV-%s from Sun Country Medical Supply\n\nPO 99213-%s\nItem 1: exam table paper, case of 12, SKU 87880-A ... $142.80\n"
            "Item 2: nitrile gloves M, 10 boxes, SKU 90686-M ... $98.50\nItem 3: sharps containers, SKU E119-2 ... $61.25\n\n"
            "Terms: Net 30. Remit to lockbox 2231, reference %s. Tracking 1Z%s.\n\nAccounts Receivable\n"
            % (digits(6), digits(4), digits(9), digits(16)))
    add(Msg("negative", "Invoice from Sun Country Medical Supply", "AR <ar@suncountrymed.example>", "Accounts Payable <ap@%s>" % DOM).body(body, html_alt=True))


def neg_facilities():
    body = ("Heads up: the parking lot on Lincoln Street will be resealed Saturday. Please park behind Building C or at the Grant Avenue overflow lot. "
            "The HVAC contractor, Mesa Mechanical, will have two techs on the roof above Suite 210 on Monday (unit RTU-4, serial 556-21-0098).\n\n"
            "Santa Rosa and Las Cruces offices are not affected. The break room fridge will be cleaned out Friday at 4.\n\nFacilities\n")
    add(Msg("negative", "Parking lot closure Saturday", "Facilities <facilities@%s>" % DOM, "All Staff <allstaff@%s>" % DOM).body(body))


def neg_hr():
    body = ("Open enrollment closes November 30. Our plans for 2027: Presbyterian PPO (group 4471) and BCBS HMO (group 0129). "
            "If you add a dependent you'll need their documents in the portal, not by e-mail. "
            "Member services phone numbers are on the benefits site. The dental plan ID card will come by mail.\n\n"
            "Payroll dates: 12/04, 12/18. Holiday party at Mesilla Valley Event Center, Dec 12, 6 pm.\n\nHR\n")
    add(Msg("negative", "Open enrollment reminder", "HR <hr@%s>" % DOM, "All Staff <allstaff@%s>" % DOM).body(body, html_alt=True))


def neg_shipping():
    body = ("Your order %s has shipped.\n\nCarrier: UPS Ground\nTracking: 1Z%s\nEstimated delivery: Nov 21\n\n"
            "Ship to: Desert Willow Receiving, Dock 3\nItems: vaccine refrigerator thermometer (model TH-1048-01), data logger cable.\n\nThank you for your order.\n"
            % (digits(9), digits(16)))
    add(Msg("negative", "Your order has shipped", "Orders <orders@labsupply.example>", "Receiving <receiving@%s>" % DOM).body(body))


def neg_vendor():
    body = ("Hi Greg,\n\nThanks for the call. As discussed, the interface engine upgrade to version 11.2.5 is scheduled for the 19th. "
            "Our engineer Pradeep Nair will lead, with Hannah Lindqvist on standby. Expect a 20-minute outage of the HL7 feeds; messages will queue.\n\n"
            "Statement of work SOW-%s, license key ending XK4-99A. Invoice to follow.\n\nBest,\nOwen Mercer\nAccount Manager, Cactus Interop LLC\n" % digits(5))
    add(Msg("negative", "Interface engine upgrade - 19th", "Owen Mercer <omercer@cactusinterop.example>", sf("greg")).body(body))


def neg_schedule():
    body = ("Provider schedule for the week of Nov 23:\n\nMon - Dr. Marsh AM, Dr. Villaseñor PM\nTue - Keisha all day, Dev AM\nWed - closed PM for staff training (Room 12B)\n"
            "Thu - Thanksgiving, closed\nFri - Dr. Oyelaran, walk-in flu clinic 8-12\n\nTemplate code 99-WALKIN. Please don't double-book the 3:40 slot.\n\nPilar\n")
    add(Msg("negative", "schedule week of 11/23", sf("pilar"), "All Staff <allstaff@%s>" % DOM).body(body))


def neg_policy():
    body = ("Reminder from compliance: do not send patient information to personal e-mail accounts, and use the secure message button for anything outside the organization. "
            "Training module HIPAA-2026-04 is due by Dec 15. Questions go to the privacy officer.\n\n"
            "Quiz tip: a record number, a date of birth and a member ID are all identifiers; an appointment time alone is not.\n\nCompliance\n")
    add(Msg("negative", "Privacy reminder", "Compliance <compliance@%s>" % DOM, "All Staff <allstaff@%s>" % DOM).body(body, html_alt=True))


def neg_lunch():
    body = ("Potluck Friday! Sign up on the sheet by the copier. So far: Lucía - tamales, Marcus - green chile stew, Keisha - banana pudding, Dev - samosas. "
            "Someone please bring plates. We'll eat in the Hatch conference room at 12:30.\n\nYesenia\n")
    add(Msg("negative", "Potluck Friday", sf("yese"), "All Staff <allstaff@%s>" % DOM).body(body))


def neg_cpt_update():
    body = ("Coding update: the 2027 code set is out. Summary of changes that matter for us is in the shared drive folder Coding/2027. "
            "Main points: new modifier guidance for preventive plus problem visits, updated vaccine product codes, and telehealth place-of-service rules. "
            "No action needed until January 1. The AMA book is on order, PO 4471-2209.\n\nMarcus\n")
    add(Msg("negative", "2027 code set", sf("marcus"), "Providers <providers@%s>" % DOM).body(body))


def neg_bank_marketing():
    body = ("Rio Grande Community Bank Business Newsletter\n\nThis month: fraud prevention for small practices. Never share your online banking password. "
            "Our customer service line is open 8-6; reference code RGCB-7731. Rates effective 11/01/2026: 4.15% APY on business savings.\n\n"
            "Visit any branch: Las Cruces, Mesilla, Anthony.\n")
    add(Msg("negative", "Business newsletter - November", "Rio Grande Community Bank <news@rgcbank.example>", sf("trina")).body(body, html_alt=True))


def neg_recall():
    lots = ["%s-%s-%s" % (digits(5), digits(3), digits(2)) for _ in range(3)]
    body = ("Supply recall notice: Sun Country has recalled exam gloves (nitrile, size M and L) from lots %s, %s and %s because of a packaging defect. "
            "Please check the supply closet in Pod C and the Hatch satellite and set aside any boxes from those lots. "
            "Replacement stock ships under RMA %s. No patient action needed.\n\nPurchasing\n" % (lots[0], lots[1], lots[2], digits(8)))
    add(Msg("negative", "Glove recall - check lot numbers", "Purchasing <purchasing@%s>" % DOM, "All Staff <allstaff@%s>" % DOM).body(body))


def neg_badges():
    body = ("New badge readers go live Monday. Your badge number stays the same; the door PIN for the back entrance becomes a 6-digit code you set at the kiosk. "
            "Badge batch 2026-11-B covers employees hired after June. Lost badges: submit form SEC-12 (replacement fee waived through December). "
            "Reader serials for the record: R-%s, R-%s.\n\nSecurity\n" % (digits(9), digits(9)))
    add(Msg("negative", "Badge readers go live Monday", "Security <security@%s>" % DOM, "All Staff <allstaff@%s>" % DOM).body(body, html_alt=True))


# =========================================================== build
def build():
    plan = []
    for i in range(6): plan.append(clinician_prose)
    for i in range(3): plan.append(clinician_prose2)
    for i in range(6): plan.append(patient_reply_chain)
    for i in range(4): plan.append(lambda: relative_writes(False))
    for i in range(3): plan.append(lambda: relative_writes(True))
    for i in range(6): plan.append(spanish_parent_chain)
    for i in range(7): plan.append(lambda i=i: billing_payer(i % len(PLANS)))
    for i in range(4): plan.append(payer_inbound)
    for i in range(6): plan.append(prior_auth)
    for i in range(4): plan.append(referral_docx)
    for i in range(3): plan.append(referral_pdf_inbound)
    for i in range(4): plan.append(patient_list_xlsx)
    for i in range(2): plan.append(patient_list_csv)
    for i in range(3): plan.append(hl7_adt)
    for i in range(2): plan.append(hl7_oru)
    for i in range(2): plan.append(fhir_json)
    plan.append(fhir_xml)
    for i in range(4): plan.append(lab_notification)
    for i in range(2): plan.append(lab_portal_internal)
    for i in range(4): plan.append(pharmacy)
    for i in range(2): plan.append(dme_order)
    for i in range(3): plan.append(records_release)
    for i in range(3): plan.append(card_payment)
    for i in range(3): plan.append(remittance_eft)
    plan.append(eft_enrollment)
    for i in range(2): plan.append(superbill_pdf)
    for i in range(2): plan.append(medicare_awv)
    for i in range(3): plan.append(school_form)
    plan.append(encrypted_zip_mail)
    plan.append(zip_bundle)
    for i in range(3): plan.append(front_desk_handoff)
    for i in range(2): plan.append(portal_complaint)
    for i in range(2): plan.append(guardian_consent)
    for i in range(2): plan.append(insurance_card_image)
    for i in range(2): plan.append(ssn_for_billing)
    for i in range(2): plan.append(dl_verification)
    for i in range(3): plan.append(telehealth_reply_es)
    for i in range(3): plan.append(forwarded_payer_thread)
    for i in range(2): plan.append(bilingual_intake_xlsx)
    for i in range(3): plan.append(financial_assistance)
    for i in range(2): plan.append(phone_payment_log)
    for i in range(2): plan.append(ach_plan_chain)
    for i in range(2): plan.append(controlled_rx_es)
    plan.append(vaccine_log_xlsx)
    negs = [neg_it_ticket, neg_it_ticket, neg_course, neg_invoice, neg_facilities, neg_hr, neg_shipping, neg_vendor, neg_schedule,
            neg_policy, neg_lunch, neg_cpt_update, neg_bank_marketing, neg_it_ticket, neg_course, neg_invoice, neg_shipping, neg_vendor, neg_schedule, neg_lunch, neg_recall, neg_badges]
    plan += negs
    R.shuffle(plan)
    for f in plan:
        f()


def main():
    build()
    root = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else HERE  # --out DIR: write there
    outdir = os.path.join(root, "messages")
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    labels = OrderedDict()
    for i, m in enumerate(MESSAGES, 1):
        name = "%03d-%s.eml" % (i, m.kind)
        text, labs = render(m, i)
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        d = OrderedDict()
        for t, v in labs:
            d.setdefault(t, []).append(v)
        labels[name] = d
    with open(os.path.join(root, "labels.json"), "w", encoding="utf-8") as fh:
        json.dump(labels, fh, indent=1, ensure_ascii=False)
    print("wrote %d messages" % len(MESSAGES))
    print("OK")


if __name__ == "__main__":
    main()
