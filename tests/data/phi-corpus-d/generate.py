#!/usr/bin/env python3
"""Holdout PHI/PII e-mail corpus generator for a multi-specialty medical group.

Everything is invented: people, clinics, payers and vendors are synthetic and all
domains end in .example.  Standard library only, fixed seed, byte-for-byte
deterministic.  Writes corpus/messages/NNN-kind.eml and corpus/labels.json next to
this file, then re-parses every message and checks every label against the text.

    python3 generate.py            # generate + self-check
    python3 generate.py --out DIR  # write DIR/messages and DIR/labels.json instead
    python3 generate.py --check    # only check an existing corpus
"""
import csv
import datetime as dt
import html
import io
import json
import os
import re
import sys
import unicodedata
import random
from collections import Counter, defaultdict
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from html.parser import HTMLParser

SEED = 20250417
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE  # messages/ and labels.json next to this file; --out DIR writes elsewhere
R = random.Random(SEED)
DIG = '0123456789'
UP = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
TYPES = ['us_ssn', 'npi', 'dea', 'mbi', 'mrn', 'member_id', 'icd10', 'cpt', 'dob', 'phone',
         'email', 'us_address', 'credit_card', 'aba_routing', 'drivers_license', 'ndc',
         'patient_name']

# ----------------------------------------------------------------------------
# reference code lists (real ICD-10-CM / CPT codes)
# ----------------------------------------------------------------------------
ICD = {
    # cardiology
    'I48.91': 'Unspecified atrial fibrillation', 'I48.0': 'Paroxysmal atrial fibrillation',
    'I10': 'Essential (primary) hypertension',
    'I25.10': 'Atherosclerotic heart disease of native coronary artery without angina pectoris',
    'I50.22': 'Chronic systolic (congestive) heart failure', 'I35.0': 'Nonrheumatic aortic (valve) stenosis',
    'R00.2': 'Palpitations', 'R07.9': 'Chest pain, unspecified', 'R55': 'Syncope and collapse',
    'E78.5': 'Hyperlipidemia, unspecified', 'Z95.0': 'Presence of cardiac pacemaker',
    'Z79.01': 'Long term (current) use of anticoagulants', 'I49.5': 'Sick sinus syndrome',
    'I44.2': 'Atrioventricular block, complete', 'R94.31': 'Abnormal electrocardiogram [ECG] [EKG]',
    'Z51.81': 'Encounter for therapeutic drug level monitoring', 'I21.4': 'Non-ST elevation (NSTEMI) myocardial infarction',
    'Z95.1': 'Presence of aortocoronary bypass graft', 'I20.9': 'Angina pectoris, unspecified',
    # ob/gyn
    'Z34.01': 'Encounter for supervision of normal first pregnancy, first trimester',
    'Z34.82': 'Encounter for supervision of other normal pregnancy, second trimester',
    'Z34.83': 'Encounter for supervision of other normal pregnancy, third trimester',
    'O24.410': 'Gestational diabetes mellitus in pregnancy, diet controlled',
    'O09.523': 'Supervision of elderly multigravida, third trimester',
    'O09.522': 'Supervision of elderly multigravida, second trimester',
    'O20.0': 'Threatened abortion', 'N92.0': 'Excessive and frequent menstruation with regular cycle',
    'D25.9': 'Leiomyoma of uterus, unspecified', 'Z30.430': 'Encounter for insertion of intrauterine contraceptive device',
    'R87.610': 'Atypical squamous cells of undetermined significance on cytologic smear of cervix (ASC-US)',
    'R87.612': 'Low grade squamous intraepithelial lesion on cytologic smear of cervix (LGSIL)',
    'N87.1': 'Moderate cervical dysplasia', 'Z01.419': 'Encounter for gynecological examination without abnormal findings',
    'O99.013': 'Anemia complicating pregnancy, third trimester', 'F53.0': 'Postpartum depression',
    'O13.3': 'Gestational hypertension without significant proteinuria, third trimester',
    'Z39.2': 'Encounter for routine postpartum follow-up', 'N95.1': 'Menopausal and female climacteric states',
    # pediatrics
    'Z00.129': 'Encounter for routine child health examination without abnormal findings',
    'Z00.121': 'Encounter for routine child health examination with abnormal findings',
    'J45.20': 'Mild intermittent asthma, uncomplicated', 'J45.31': 'Mild persistent asthma with (acute) exacerbation',
    'H66.93': 'Otitis media, unspecified, bilateral', 'H65.23': 'Chronic serous otitis media, bilateral',
    'F90.0': 'ADHD, predominantly inattentive type', 'F90.2': 'ADHD, combined type',
    'L20.83': 'Infantile (acute) (chronic) eczema', 'Z23': 'Encounter for immunization',
    'J02.0': 'Streptococcal pharyngitis', 'R62.51': 'Failure to thrive (child)', 'P59.9': 'Neonatal jaundice, unspecified',
    'Z00.110': 'Health examination for newborn under 8 days old', 'R62.0': 'Delayed milestone in childhood',
    # oncology
    'C50.911': 'Malignant neoplasm of unspecified site of right female breast',
    'C50.412': 'Malignant neoplasm of upper-outer quadrant of left female breast',
    'C18.7': 'Malignant neoplasm of sigmoid colon', 'C34.11': 'Malignant neoplasm of upper lobe, right bronchus or lung',
    'C34.90': 'Malignant neoplasm of unspecified part of unspecified bronchus or lung',
    'C61': 'Malignant neoplasm of prostate', 'C90.00': 'Multiple myeloma not having achieved remission',
    'C83.30': 'Diffuse large B-cell lymphoma, unspecified site', 'D63.0': 'Anemia in neoplastic disease',
    'Z51.11': 'Encounter for antineoplastic chemotherapy', 'Z51.12': 'Encounter for antineoplastic immunotherapy',
    'D70.1': 'Agranulocytosis secondary to cancer chemotherapy',
    'T45.1X5A': 'Adverse effect of antineoplastic and immunosuppressive drugs, initial encounter',
    'R11.2': 'Nausea with vomiting, unspecified', 'Z45.2': 'Encounter for adjustment and management of vascular access device',
    'T80.89XA': 'Other complications following infusion, transfusion and therapeutic injection, initial encounter',
    'G62.0': 'Drug-induced polyneuropathy', 'Z92.21': 'Personal history of antineoplastic chemotherapy', 'R50.81': 'Fever presenting with conditions classified elsewhere',
    # endocrinology
    'E11.9': 'Type 2 diabetes mellitus without complications', 'E11.65': 'Type 2 diabetes mellitus with hyperglycemia',
    'E11.22': 'Type 2 diabetes mellitus with diabetic chronic kidney disease',
    'E11.42': 'Type 2 diabetes mellitus with diabetic polyneuropathy',
    'E10.65': 'Type 1 diabetes mellitus with hyperglycemia', 'E10.9': 'Type 1 diabetes mellitus without complications',
    'E03.9': 'Hypothyroidism, unspecified', 'E05.00': 'Thyrotoxicosis with diffuse goiter without thyrotoxic crisis or storm',
    'E04.1': 'Nontoxic single thyroid nodule', 'E04.2': 'Nontoxic multinodular goiter',
    'E21.0': 'Primary hyperparathyroidism', 'E28.2': 'Polycystic ovarian syndrome',
    'Z79.4': 'Long term (current) use of insulin', 'E55.9': 'Vitamin D deficiency, unspecified',
    'M81.0': 'Age-related osteoporosis without current pathological fracture', 'E66.9': 'Obesity, unspecified',
    'Z68.35': 'Body mass index [BMI] 35.0-35.9, adult', 'R73.03': 'Prediabetes',
    'E27.1': 'Primary adrenocortical insufficiency', 'E89.0': 'Postprocedural hypothyroidism',
    # sleep
    'G47.33': 'Obstructive sleep apnea (adult) (pediatric)', 'G47.30': 'Sleep apnea, unspecified',
    'G47.411': 'Narcolepsy with cataplexy', 'G47.419': 'Narcolepsy without cataplexy',
    'G47.00': 'Insomnia, unspecified', 'G25.81': 'Restless legs syndrome', 'R06.83': 'Snoring',
    'E66.01': 'Morbid (severe) obesity due to excess calories', 'G47.10': 'Hypersomnia, unspecified',
    # dermatology
    'L57.0': 'Actinic keratosis', 'C44.311': 'Basal cell carcinoma of skin of nose',
    'C44.319': 'Basal cell carcinoma of skin of other parts of face',
    'C44.42': 'Squamous cell carcinoma of skin of scalp and neck', 'C43.59': 'Malignant melanoma of other part of trunk',
    'D48.5': 'Neoplasm of uncertain behavior of skin', 'L70.0': 'Acne vulgaris', 'L40.0': 'Psoriasis vulgaris',
    'D22.5': 'Melanocytic nevi of trunk', 'L82.1': 'Other seborrheic keratosis', 'L20.9': 'Atopic dermatitis, unspecified',
    'L73.2': 'Hidradenitis suppurativa', 'D03.59': 'Melanoma in situ of other part of trunk',
    # ophthalmology
    'H25.11': 'Age-related nuclear cataract, right eye', 'H25.12': 'Age-related nuclear cataract, left eye',
    'H25.13': 'Age-related nuclear cataract, bilateral', 'H40.1131': 'Primary open-angle glaucoma, bilateral, mild stage',
    'H40.1132': 'Primary open-angle glaucoma, bilateral, moderate stage',
    'E11.3293': 'Type 2 DM with mild nonproliferative diabetic retinopathy without macular edema, bilateral',
    'E11.3513': 'Type 2 DM with proliferative diabetic retinopathy with macular edema, bilateral',
    'H35.3211': 'Exudative age-related macular degeneration, right eye, with active choroidal neovascularization',
    'H35.3122': 'Nonexudative age-related macular degeneration, left eye, intermediate dry stage',
    'H04.123': 'Dry eye syndrome of bilateral lacrimal glands', 'H26.491': 'Other secondary cataract, right eye',
    'Z96.1': 'Presence of intraocular lens',
    # ambulatory surgery
    'K80.20': 'Calculus of gallbladder without cholecystitis without obstruction',
    'K40.90': 'Unilateral inguinal hernia, without obstruction or gangrene, not specified as recurrent',
    'M23.221': 'Derangement of posterior horn of medial meniscus due to old tear or injury, right knee',
    'M75.121': 'Complete rotator cuff tear or rupture of right shoulder, not specified as traumatic',
    'Z12.11': 'Encounter for screening for malignant neoplasm of colon', 'K63.5': 'Polyp of colon',
    'G56.01': 'Carpal tunnel syndrome, right upper limb', 'M17.11': 'Unilateral primary osteoarthritis, right knee',
    'K21.9': 'Gastro-esophageal reflux disease without esophagitis', 'M65.321': 'Trigger finger, right index finger',
    'M72.0': 'Palmar fascial fibromatosis [Dupuytren]',
    # care coordination / hospital / lab
    'I50.32': 'Chronic diastolic (congestive) heart failure', 'I50.33': 'Acute on chronic diastolic (congestive) heart failure',
    'J44.1': 'Chronic obstructive pulmonary disease with (acute) exacerbation', 'J44.9': 'Chronic obstructive pulmonary disease, unspecified',
    'N18.4': 'Chronic kidney disease, stage 4 (severe)', 'N18.30': 'Chronic kidney disease, stage 3 unspecified',
    'F33.1': 'Major depressive disorder, recurrent, moderate', 'Z59.00': 'Homelessness, unspecified',
    'Z63.6': 'Dependent relative needing care at home', 'Z74.09': 'Other reduced mobility',
    'I63.9': 'Cerebral infarction, unspecified',
    'S72.001A': 'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture',
    'J18.9': 'Pneumonia, unspecified organism', 'N17.9': 'Acute kidney failure, unspecified',
    'A41.9': 'Sepsis, unspecified organism', 'R26.81': 'Unsteadiness on feet', 'W19.XXXA': 'Unspecified fall, initial encounter',
    'Z99.81': 'Dependence on supplemental oxygen', 'J96.11': 'Chronic respiratory failure with hypoxia',
    'G30.9': "Alzheimer's disease, unspecified", 'N39.0': 'Urinary tract infection, site not specified',
    'E78.00': 'Pure hypercholesterolemia, unspecified', 'D64.9': 'Anemia, unspecified', 'E87.1': 'Hypo-osmolality and hyponatremia',
    'Z13.1': 'Encounter for screening for diabetes mellitus',
    'Z00.00': 'Encounter for general adult medical examination without abnormal findings',
    'R79.89': 'Other specified abnormal findings of blood chemistry', 'D69.6': 'Thrombocytopenia, unspecified',
    'Z12.5': 'Encounter for screening for malignant neoplasm of prostate', 'E87.6': 'Hypokalemia', 'E87.5': 'Hyperkalemia',
}
CPT = {
    '93000': 'Electrocardiogram, complete', '93306': 'TTE complete with spectral and color flow Doppler',
    '93350': 'Stress echocardiography', '93015': 'Cardiovascular stress test, complete',
    '78452': 'Myocardial perfusion imaging, SPECT, multiple studies', '93224': 'External ECG recording up to 48 hours',
    '93241': 'External ECG recording >48 hours up to 7 days', '93458': 'Left heart cath with coronary angiography and LV gram',
    '93280': 'Programming device evaluation, dual lead pacemaker', '93294': 'Remote interrogation, pacemaker, up to 90 days',
    '93296': 'Remote interrogation, technical support', '99204': 'New patient office visit, moderate MDM',
    '99214': 'Established patient office visit, moderate MDM', '99215': 'Established patient office visit, high MDM',
    '99213': 'Established patient office visit, low MDM', '93793': 'Anticoagulant management',
    '85610': 'Prothrombin time', '93308': 'TTE limited or follow-up', '57522': 'LEEP conization of cervix', '93798': 'Outpatient cardiac rehabilitation with ECG monitoring',
    '76805': 'OB ultrasound after first trimester, single gestation', '76801': 'OB ultrasound first trimester',
    '76811': 'OB ultrasound, detailed fetal anatomic exam', '76817': 'Transvaginal OB ultrasound',
    '59400': 'Routine obstetric care, vaginal delivery (global)', '59510': 'Routine obstetric care, cesarean delivery (global)',
    '58300': 'Insertion of intrauterine device', '57454': 'Colposcopy with biopsy and endocervical curettage',
    '88175': 'Cytopathology, cervical, automated thin layer', '81025': 'Urine pregnancy test',
    '58558': 'Hysteroscopy with biopsy and/or polypectomy', '82951': 'Glucose tolerance test, 3 specimens',
    '99395': 'Preventive visit, established, 18-39', '59025': 'Fetal non-stress test',
    '96127': 'Brief emotional/behavioral assessment', '76830': 'Transvaginal ultrasound, non-obstetrical',
    '58100': 'Endometrial biopsy',
    '99391': 'Preventive visit, established, infant', '99392': 'Preventive visit, established, 1-4 years',
    '99393': 'Preventive visit, established, 5-11 years', '90460': 'Immunization admin through 18 years, first component',
    '90461': 'Immunization admin, each additional component', '90471': 'Immunization administration',
    '90707': 'MMR vaccine, live', '90700': 'DTaP vaccine', '90713': 'Poliovirus vaccine, inactivated',
    '90744': 'Hepatitis B vaccine, pediatric', '96110': 'Developmental screening', '94640': 'Nebulizer treatment',
    '87880': 'Rapid strep antigen', '92551': 'Screening audiometry', '99173': 'Visual acuity screening',
    '69436': 'Tympanostomy, general anesthesia',
    '96413': 'Chemotherapy IV infusion, up to 1 hour', '96415': 'Chemotherapy IV infusion, each additional hour',
    '96417': 'Chemotherapy IV infusion, each additional sequential infusion', '96367': 'IV infusion, additional sequential',
    '96375': 'IV push, each additional sequential', '36591': 'Blood collection from implanted venous access device',
    '96360': 'IV hydration, initial hour', '96361': 'IV hydration, each additional hour',
    '96401': 'Chemotherapy administration, SC/IM, non-hormonal', '96372': 'Therapeutic injection, SC/IM',
    '96523': 'Irrigation of implanted venous access device',
    '95251': 'CGM interpretation and report', '95250': 'CGM, provider-owned equipment', '10005': 'FNA biopsy with US guidance, first lesion',
    '76536': 'Ultrasound, soft tissues of head and neck', '77080': 'DXA bone density, axial skeleton',
    '83036': 'Hemoglobin A1c', '84443': 'TSH', '84445': 'Thyroid stimulating immunoglobulin', '84439': 'Free thyroxine', '82306': 'Vitamin D, 25-hydroxy',
    '95249': 'CGM, patient-provided equipment', '97802': 'Medical nutrition therapy, initial',
    '95810': 'Polysomnography, attended, 4 or more parameters', '95811': 'Polysomnography with CPAP titration',
    '95806': 'Unattended sleep study with respiratory analysis', '95805': 'Multiple sleep latency test',
    '94660': 'CPAP initiation and management', '95800': 'Unattended sleep study, HR, O2, respiratory analysis, sleep time',
    '11102': 'Tangential biopsy of skin, single lesion', '11103': 'Tangential biopsy, each additional lesion',
    '11104': 'Punch biopsy of skin, single lesion', '17000': 'Destruction premalignant lesion, first',
    '17003': 'Destruction premalignant lesions, 2-14, each', '17004': 'Destruction premalignant lesions, 15 or more',
    '17311': 'Mohs surgery, head/neck, first stage', '17312': 'Mohs surgery, head/neck, each additional stage',
    '88305': 'Surgical pathology, level IV', '11642': 'Excision malignant lesion face 1.1-2.0 cm',
    '10060': 'Incision and drainage of abscess, simple', '11900': 'Intralesional injection, up to 7 lesions',
    '66984': 'Cataract extraction with IOL, 1 stage', '66982': 'Complex cataract extraction with IOL',
    '92134': 'OCT, retina', '92083': 'Visual field, extended', '92014': 'Eye exam, established, comprehensive',
    '92004': 'Eye exam, new, comprehensive', '67028': 'Intravitreal injection', '92250': 'Fundus photography',
    '92133': 'OCT, optic nerve', '76519': 'Ophthalmic biometry with IOL calculation', '66821': 'YAG laser capsulotomy',
    '65855': 'Selective laser trabeculoplasty', '92015': 'Refraction',
    '45378': 'Colonoscopy, diagnostic', '45380': 'Colonoscopy with biopsy', '45385': 'Colonoscopy with snare removal',
    '47562': 'Laparoscopic cholecystectomy', '49505': 'Inguinal hernia repair, reducible, age 5+',
    '29881': 'Knee arthroscopy with meniscectomy, medial OR lateral', '29880': 'Knee arthroscopy with meniscectomy, medial AND lateral',
    '64721': 'Carpal tunnel release', '29827': 'Arthroscopic rotator cuff repair', '43239': 'EGD with biopsy',
    '26055': 'Trigger finger release', '26123': 'Partial palmar fasciectomy',
    '99490': 'Chronic care management, first 20 minutes', '99439': 'Chronic care management, each additional 20 minutes',
    '99495': 'Transitional care management, moderate complexity', '99496': 'Transitional care management, high complexity',
    '99487': 'Complex chronic care management, first 60 minutes', '99489': 'Complex CCM, each additional 30 minutes',
    '80053': 'Comprehensive metabolic panel', '85025': 'CBC with automated differential', '80061': 'Lipid panel',
    '87086': 'Urine culture, quantitative', '81001': 'Urinalysis, automated, with microscopy', '84153': 'PSA, total',
    '80048': 'Basic metabolic panel', '82043': 'Urine albumin, quantitative', '36415': 'Routine venipuncture',
    '87491': 'Chlamydia, amplified probe', '87591': 'Gonorrhea, amplified probe', '86803': 'Hepatitis C antibody',
    '85027': 'CBC, automated', '84484': 'Troponin, quantitative', '82570': 'Creatinine, other source',
    '99223': 'Initial hospital care, high', '99238': 'Hospital discharge day, 30 minutes or less', '99285': 'ED visit, high MDM',
}
HCPCS = {  # never labelled (not CPT)
    'E0601': 'CPAP device', 'A7030': 'Full face mask', 'A7034': 'Nasal interface', 'A7037': 'Tubing',
    'A7038': 'Disposable filter', 'E0562': 'Heated humidifier', 'J9271': 'Pembrolizumab, 1 mg',
    'J2506': 'Pegfilgrastim, 0.5 mg', 'J1100': 'Dexamethasone sodium phosphate, 1 mg', 'J0178': 'Aflibercept, 1 mg',
    'J9355': 'Trastuzumab, 10 mg', 'G0399': 'Home sleep test, type III', 'E0431': 'Portable gaseous oxygen system',
    'E1390': 'Oxygen concentrator', 'K0001': 'Standard wheelchair', 'E0784': 'External ambulatory infusion pump, insulin',
    'A9276': 'CGM sensor, 1 day', 'G0108': 'DSMT, individual, per 30 min', 'G2211': 'Visit complexity add-on',
    'J9045': 'Carboplatin, 50 mg', 'J9267': 'Paclitaxel, 1 mg', 'J1453': 'Fosaprepitant, 1 mg', 'J2469': 'Palonosetron, 25 mcg',
    'E0470': 'Bi-level device without backup rate', 'J7298': 'Levonorgestrel IUD 52 mg', 'J7300': 'Copper IUD', 'A4253': 'Blood glucose test strips, per 50',
}

# ----------------------------------------------------------------------------
# validators
# ----------------------------------------------------------------------------
def luhn_ok(s):
    tot = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def v_ssn(s):
    m = re.fullmatch(r'(\d{3})([- ]?)(\d{2})\2(\d{4})', s)
    if not m:
        return False
    a, g, n = m.group(1), m.group(3), m.group(4)
    if a in ('000', '666') or int(a) >= 900 or g == '00' or n == '0000':
        return False
    return a + g + n not in ('078051120', '219099999', '457555462')


def v_npi(s):
    return bool(re.fullmatch(r'[12]\d{9}', s)) and luhn_ok('80840' + s)


DEA_FIRST = set('ABCDEFGHJKLMPRSTUX')


def v_dea(s):
    m = re.fullmatch(r'([A-Z])([A-Z9])(\d{7})', s)
    if not m or m.group(1) not in DEA_FIRST:
        return False
    d = [int(c) for c in m.group(3)]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


MBI_L = 'ACDEFGHJKMNPQRTUVWXY'
_L = '[' + MBI_L + ']'
_A = '[' + MBI_L + '0-9]'
MBI_RE = re.compile(f'[1-9]{_L}{_A}[0-9]-?{_L}{_A}[0-9]-?{_L}{_L}[0-9][0-9]')


def v_mbi(s):
    if not MBI_RE.fullmatch(s):
        return False
    return s.count('-') in (0, 2) and (s.count('-') == 0 or (s[4] == '-' and s[8] == '-'))


def v_id(s):
    return bool(re.fullmatch(r'[A-Za-z0-9]{6,12}', s))


def v_icd(s):
    return bool(re.fullmatch(r'[A-TV-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?', s)) and s in ICD


def v_cpt(s):
    return bool(re.fullmatch(r'\d{5}', s)) and s in CPT


MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
          'October', 'November', 'December']


def parse_date(s):
    for f in ('%m/%d/%Y', '%m-%d-%Y', '%Y-%m-%d', '%B %d, %Y', '%b %d, %Y', '%d %B %Y', '%m/%d/%y',
              '%b. %d, %Y', '%d-%b-%Y', '%Y%m%d', '%d %b %Y'):
        try:
            return dt.datetime.strptime(s, f).date()
        except ValueError:
            pass
    m = re.fullmatch(r'(\d{1,2})/(\d{1,2})/(\d{4})', s)
    if m:
        return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return None


def v_dob(s):
    d = parse_date(s)
    return d is not None and dt.date(1915, 1, 1) <= d <= dt.date(2025, 6, 30)


PHONE_RE = re.compile(r'(?:\+1[ .-]?)?(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)[ .-])([2-9]\d\d)[ .-](\d{4})')


def v_phone(s):
    m = PHONE_RE.fullmatch(s)
    if not m:
        return False
    area = m.group(1) or m.group(2)
    exch = m.group(3)
    return area[1:] != '11' and exch[1:] != '11'


EMAIL_RE = re.compile(r'[A-Za-z0-9._%+\'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}')


def v_email(s):
    return bool(EMAIL_RE.fullmatch(s))


SUFFIXES = ('Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Court|Ct|Lane|Ln|Boulevard|Blvd|Way|Place|Pl|Circle|Cir|'
            'Parkway|Pkwy|Trail|Trl|Terrace|Ter|Pike|Highway|Hwy|Loop|Run|Square|Sq|Crossing|Xing|Row|Commons')
ADDR_RE = re.compile(r'(?:\d{1,6}[A-Z]? (?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.? )?'
                     r"(?:[A-Z0-9][A-Za-z0-9'.-]* ){1,4}(?:" + SUFFIXES + r')\.?|P\.? ?O\.? Box \d{1,6})', re.I)


def v_addr(s):
    return bool(ADDR_RE.fullmatch(s))


def cc_digits(s):
    return re.sub(r'[ -]', '', s)


def v_cc(s):
    if not re.fullmatch(r'[0-9 -]{15,19}', s):
        return False
    d = cc_digits(s)
    if not luhn_ok(d):
        return False
    if len(d) == 16 and (d[0] == '4' or 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720):
        return True
    return len(d) == 15 and d[:2] in ('34', '37')


def aba_ok(d):
    if not re.fullmatch(r'\d{9}', d):
        return False
    n = [int(c) for c in d]
    s = 3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])
    p = int(d[:2])
    return s % 10 == 0 and (1 <= p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80)


DL_FORMATS = {
    'OH': r'[A-Z]{2}\d{6}', 'CA': r'[A-Z]\d{7}', 'TX': r'\d{8}', 'NY': r'\d{9}', 'PA': r'\d{8}',
    'FL': r'[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d', 'IL': r'[A-Z]\d{3}-\d{4}-\d{4}', 'KY': r'[A-Z]\d{8}',
    'IN': r'\d{4}-\d{2}-\d{4}', 'WV': r'[A-Z]\d{6}', 'MI': r'[A-Z] \d{3} \d{3} \d{3} \d{3}', 'NC': r'\d{12}',
}


def v_dl(s):
    return any(re.fullmatch(p, s) for p in DL_FORMATS.values())


def v_ndc(s):
    return bool(re.fullmatch(r'\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d', s))


def v_name(s):
    return (3 <= len(s) <= 60 and not re.search(r'[\d@\n\t]', s) and (' ' in s or ',' in s)
            and s[0].isalpha() and not re.search(r'\b(Dr|MD|RN|Mr|Mrs|Ms)\b\.?', s))


VALID = {'us_ssn': v_ssn, 'npi': v_npi, 'dea': v_dea, 'mbi': v_mbi, 'mrn': v_id, 'member_id': v_id,
         'icd10': v_icd, 'cpt': v_cpt, 'dob': v_dob, 'phone': v_phone, 'email': v_email,
         'us_address': v_addr, 'credit_card': v_cc, 'aba_routing': aba_ok, 'drivers_license': v_dl,
         'ndc': v_ndc, 'patient_name': v_name}

# ----------------------------------------------------------------------------
# value markers.  Templates embed \x01type\x02value\x03; build() strips them and
# records a label per occurrence.  'neg' marks an intended look-alike (not labelled).
# ----------------------------------------------------------------------------
def T(typ, val):
    if typ != 'neg' and not VALID[typ](val):
        raise ValueError(f'invalid {typ}: {val!r}')
    return f'\x01{typ}\x02{val}\x03'


def N(val):
    return T('neg', val)


def PH(v): return T('phone', v)
def EM(v): return T('email', v)
def AD(v): return T('us_address', v)
def NP(v): return T('npi', v)
def IC(v): return T('icd10', v)
def CP(v): return T('cpt', v)
def ND(v): return T('ndc', v)
def DE(v): return T('dea', v)
def MB(v): return T('mbi', v)
def NM(v): return T('patient_name', v)


def icd(code, desc=False):
    return IC(code) + (f' {ICD[code]}' if desc else '')


def cpt(code, desc=False):
    return CP(code) + (f' {CPT[code]}' if desc else '')


def visible(s):
    return re.sub(r'\x01\w+\x02(.*?)\x03', r'\1', s, flags=re.S)


# ----------------------------------------------------------------------------
# random value generators
# ----------------------------------------------------------------------------
def digits(n):
    return ''.join(R.choice(DIG) for _ in range(n))


def gen_npi(first=None):
    while True:
        b = (first or R.choice('12')) + digits(8)
        for c in DIG:
            if luhn_ok('80840' + b + c):
                return b + c


def bad_npi(first='1'):
    while True:
        s = first + digits(9)
        if not luhn_ok('80840' + s):
            return s


def gen_dea(initial, first=None):
    first = first or R.choice('ABFGM')
    d = [R.randrange(10) for _ in range(6)]
    chk = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return first + initial + ''.join(map(str, d)) + str(chk)


def bad_dea(initial):
    s = gen_dea(initial)
    return s[:-1] + str((int(s[-1]) + R.randint(1, 9)) % 10)


def gen_mbi(dashed=False):
    L = lambda: R.choice(MBI_L)
    A = lambda: R.choice(MBI_L + DIG)
    D = lambda: R.choice(DIG)
    s = R.choice('123456789') + L() + A() + D() + L() + A() + D() + L() + L() + D() + D()
    return f'{s[:4]}-{s[4:7]}-{s[7:]}' if dashed else s


def gen_ssn(sep='-'):
    while True:
        a = R.randint(1, 899)
        if a == 666:
            continue
        s = f'{a:03d}{sep}{R.randint(1, 99):02d}{sep}{R.randint(1, 9999):04d}'
        if v_ssn(s):
            return s


def gen_cc(kind='visa', sep=' '):
    if kind == 'amex':
        b = R.choice(['34', '37']) + digits(12)
        n = 15
    elif kind == 'mc':
        b = str(R.randint(51, 55)) + digits(13)
        n = 16
    elif kind == 'mc2':
        b = str(R.randint(2221, 2720)) + digits(11)
        n = 16
    else:
        b = '4' + digits(14)
        n = 16
    for c in DIG:
        if luhn_ok(b + c):
            d = b + c
            break
    if n == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    return sep.join([d[i:i + 4] for i in range(0, 16, 4)])


def bad_cc16():
    while True:
        s = '4' + digits(15)
        if not luhn_ok(s):
            return ' '.join(s[i:i + 4] for i in range(0, 16, 4))


def gen_aba():
    while True:
        p = R.choice(list(range(1, 13)) + list(range(21, 33)) + list(range(61, 73)))
        b = f'{p:02d}' + digits(6)
        for c in DIG:
            if aba_ok(b + c):
                return b + c


def bad_aba():
    while True:
        s = '0' + R.choice('4123') + digits(7)
        if not aba_ok(s):
            return s


def gen_dl(state):
    f = {
        'OH': lambda: R.choice('ABCDEFGHJKLMNPRST') + R.choice(UP) + digits(6),
        'CA': lambda: R.choice(UP) + digits(7), 'TX': lambda: R.choice('0123') + digits(7),
        'NY': lambda: digits(9), 'PA': lambda: R.choice('123') + digits(7),
        'FL': lambda: f'{R.choice(UP)}{digits(3)}-{digits(3)}-{digits(2)}-{digits(3)}-{digits(1)}',
        'IL': lambda: f'{R.choice(UP)}{digits(3)}-{digits(4)}-{digits(4)}', 'KY': lambda: R.choice(UP) + digits(8),
        'IN': lambda: f'{digits(4)}-{digits(2)}-{digits(4)}', 'WV': lambda: R.choice(UP) + digits(6),
        'MI': lambda: f'{R.choice(UP)} {digits(3)} {digits(3)} {digits(3)} {digits(3)}', 'NC': lambda: '0000' + digits(8),
    }[state]
    return f()


def gen_ndc(shape=None):
    shape = shape or R.choice(['442', '532', '541'])
    if shape == '442':
        return f'{digits(4)}-{digits(4)}-{digits(2)}'
    if shape == '532':
        return f'{digits(5)}-{digits(3)}-{digits(2)}'
    return f'{digits(5)}-{digits(4)}-{digits(1)}'


AREAS = ['614', '614', '614', '380', '740', '740', '937', '513', '330', '419', '220', '567']


def gen_phone(area=None):
    while True:
        a = area or R.choice(AREAS)
        e = str(R.randint(200, 999))
        if e[1:] == '11' or e == '555':
            continue
        return a + e + digits(4)


def fph(d, style='dash'):
    a, e, n = d[:3], d[3:6], d[6:]
    return {'dash': f'{a}-{e}-{n}', 'paren': f'({a}) {e}-{n}', 'dot': f'{a}.{e}.{n}',
            'intl': f'+1 {a} {e} {n}', 'paren0': f'({a}){e}-{n}'}[style]


def ph(style='dash', area=None):
    return PH(fph(gen_phone(area), style))


def asciify(s):
    s = s.replace('Ł', 'L').replace('ł', 'l').replace('ø', 'o').replace('Ø', 'O').replace('đ', 'd')
    s = unicodedata.normalize('NFKD', s)
    return ''.join(c for c in s if not unicodedata.combining(c))


# ----------------------------------------------------------------------------
# people
# ----------------------------------------------------------------------------
NAME_POOLS = [
    # (female firsts, male firsts, surnames)
    (['Ana', 'María José', 'Guadalupe', 'Leticia', 'Beatriz', 'Inés', 'Yolanda', 'Rosalía'],
     ['José Luis', 'Tomás', 'Raúl', 'Héctor', 'Joaquín', 'Efraín'],
     ['Ruiz', 'Peña', 'de la Cruz', 'de los Santos', 'García-Márquez', 'Fernández', 'Ortiz-Villanueva', 'Ibáñez', 'Nuñez']),
    (['Siobhán', 'Aoife', 'Bernadette', 'Niamh', 'Maureen', 'Sinéad'],
     ['Seán', 'Declan', 'Cormac', 'Padraig', 'Liam'],
     ["O'Connell", "O'Brien", "O'Malley", 'McAllister', 'McKinney', 'MacLeod', 'Gallagher', 'Fitzgerald', "O'Rourke"]),
    (['Agnieszka', 'Małgorzata', 'Krystyna', 'Halina'], ['Łukasz', 'Zbigniew', 'Tadeusz', 'Wojciech'],
     ['Wiśniewski', 'Kowalczyk', 'Jabłoński', 'Zieliński', 'Nowak-Sadowski']),
    (['Thi Hoa', 'Ngoc Anh', 'Lan'], ['Minh', 'Quang', 'Duc'], ['Nguyễn', 'Trần', 'Phạm', 'Lê']),
    (['Femke', 'Annelies', 'Marieke'], ['Hendrik', 'Joost', 'Pieter'], ['van der Meer', 'van Dyke', 'Van Houten', 'de Vries', 'Vandenberg']),
    (['Renée', 'Chloé', 'Françoise', 'Noémie', 'Hélène'], ['Jean-Baptiste', 'François', 'Étienne', 'Rémi'],
     ['Toussaint', 'St. Pierre', 'Dubois-Lambert', 'Lefèvre', 'Beaulieu', "D'Amato"]),
    (['Ingrid', 'Astrid', 'Solveig'], ['Björn', 'Anders', 'Lars-Erik'], ['Åkesson', 'Lindgren', 'Sørensen', 'Halvorsen-Berg']),
    (['Ama', 'Efua', 'Chiamaka', 'Ngozi'], ['Kwame', 'Chukwuemeka', 'Kofi', 'Oluwaseun'],
     ['Asante-Boateng', 'Okonkwo', 'Mensah', 'Adeyemi', 'Owusu']),
    (['Keisha', 'Tamara', 'LaToya', 'Denise', 'Shirley', 'Gwendolyn', 'Aaliyah', 'Imani', 'Bernice'],
     ['DeShawn', 'Darnell', 'Terrence', 'Marcus-Anthony', 'Reginald', 'Earl', 'Jamal', 'Cedric', 'Tyrone'],
     ['Washington', 'Jefferson', 'Freeman', 'Holloway', 'Pruitt', 'Beasley', 'Whitfield-Jones']),
    (['Linda', 'Karen', 'Patricia', 'Emily', 'Hannah', 'Joanne', 'Mary-Kate', 'Deborah', 'Carol Ann', 'Brittany'],
     ['Gerald', 'Robert', 'William', 'Dennis', 'Kyle', 'Jeffrey', 'Dale', 'Bradley'],
     ['Thompson', 'Abernathy', 'Ashworth', 'Whitaker', 'Schreiber', 'Hostetler', 'Yoder', 'Kessler', 'Dunbar', 'Pemberton-Hale']),
    (['Fatima', 'Layla', 'Rania', 'Noor'], ['Mohammed', 'Ahmad', 'Karim', 'Yousef'], ['Rahman', 'Khoury', 'El-Amin', 'Haddadin', 'Al-Sayegh']),
    (['Priyanka', 'Lakshmi', 'Anjali'], ['Vikram', 'Suresh', 'Arjun'], ['Venkataraman', 'Iyer', 'Chaudhary', 'Reddy']),
    (['Mei-Ling', 'Yuki', 'Ji-woo', 'Hye-jin'], ['Hiroshi', 'Wei', 'Min-jun'], ['Yamamoto', 'Cho', 'Zhang', 'Park', 'Takahashi']),
    (['Giulia', 'Rosaria', 'Francesca'], ['Giovanni', 'Salvatore', 'Vincenzo'], ['De Luca', 'Esposito', 'DiMarco', 'LoBianco']),
    (['Olga', 'Svetlana'], ['Dmitri', 'Sergei'], ['Petrov', 'Volkov', 'Kuznetsova']),
]
CHILD_F = ['Ava', 'Isabella', 'Amara', 'Léa', 'Aaliyah', 'Niamh', 'Zoë', 'Sofía', 'Harper', 'Mia', 'Nora', 'Penelope']
CHILD_M = ['Mateo', 'Liam', 'Elijah', 'Noah', 'Jayden', 'Santiago', 'Owen', 'Rory', 'Kai', 'Ezra', 'Declan', 'Malik']
MI = 'ABCDEFGHJKLMNPRSTW'
CITIES = [('Columbus', 'OH', '43214'), ('Westerville', 'OH', '43081'), ('Dublin', 'OH', '43016'),
          ('Hilliard', 'OH', '43026'), ('Grove City', 'OH', '43123'), ('Delaware', 'OH', '43015'),
          ('Reynoldsburg', 'OH', '43068'), ('Gahanna', 'OH', '43230'), ('Worthington', 'OH', '43085'),
          ('Lancaster', 'OH', '43130'), ('Newark', 'OH', '43055'), ('Marysville', 'OH', '43040'),
          ('Powell', 'OH', '43065'), ('Pickerington', 'OH', '43147'), ('Upper Arlington', 'OH', '43221'),
          ('Canal Winchester', 'OH', '43110'), ('Mount Vernon', 'OH', '43050'), ('London', 'OH', '43140'),
          ('Circleville', 'OH', '43113'), ('Lewis Center', 'OH', '43035'), ('Columbus', 'OH', '43204'),
          ('Columbus', 'OH', '43229')]
STREETS = ['Maple', 'Oakwood', 'Sunbury', 'Hickory Ridge', 'Linden', 'Brookside', 'Cardinal', 'Fox Hollow',
           'Willow Bend', 'Stonegate', 'Chestnut', 'Walnut Creek', 'Pinecrest', 'Tanager', 'Whitetail', 'Kingsdale',
           'Riverside', 'Meadowlark', 'Juniper', 'Sugar Maple', 'Buckeye', 'Cedar Run', 'Olde Mill', 'Spring Valley',
           'Harvest Moon', 'Bluebell', 'Autumn Ridge', 'Lakeview', 'Elmhurst', 'Greenbriar', 'Summit View', "Miller's Pond",
           'Sawgrass', 'Foxfire', 'Shagbark', 'Beechwood', 'Timber Creek', 'Wexford', 'Hampton', 'Larkspur']
SUFS = ['St', 'Street', 'Ave', 'Avenue', 'Rd', 'Road', 'Dr', 'Drive', 'Ct', 'Ln', 'Lane', 'Blvd', 'Way', 'Pl', 'Cir', 'Trl']
DIRS = ['', '', '', '', 'N ', 'S ', 'E ', 'W ', 'North ', 'West ']
EMAIL_DOMAINS = ['mail.example', 'inbox.example', 'webmail.example', 'postbox.example', 'netmail.example']

PLANS = [
    ('Great Lakes Blue Cross PPO', lambda: 'XGL' + digits(9), lambda: f'Group # {digits(6)}'),
    ('Heartland Health Plan HMO', lambda: 'HHP' + digits(8), lambda: f'Group No. {R.choice(UP)}{digits(5)}'),
    ('Summit Choice Plus', lambda: R.choice('89') + digits(8), lambda: f'Group {digits(6)}-{digits(2)}'),
    ('Alliant Open Access', lambda: 'W' + digits(9), lambda: f'Grp# {digits(7)}'),
    ('CareBridge Ohio Medicaid', lambda: '10' + digits(10), lambda: 'Group: OHMCD'),
    ('Pioneer Mutual EPO', lambda: 'PMU' + digits(6) + R.choice(UP) + digits(1), lambda: f'Group #{digits(5)}'),
]
PLAN_DOMAIN = {'Great Lakes Blue Cross PPO': 'greatlakesblue.example', 'Heartland Health Plan HMO': 'heartlandhp.example',
               'Summit Choice Plus': 'summitchoice.example', 'Alliant Open Access': 'alliant-health.example',
               'CareBridge Ohio Medicaid': 'carebridge-oh.example', 'Pioneer Mutual EPO': 'pioneermutual.example',
               'Heartland Senior Advantage HMO': 'heartlandhp.example', 'Medicare': 'cgs-medicare.example'}
MA_PLAN = ('Heartland Senior Advantage HMO', lambda: 'MA' + digits(9), lambda: f'Group # H{digits(4)}-{digits(3)}')

USED_NAMES = set()
ALL_PTS = []


class Pt:
    def __init__(self, age=(30, 80), sex=None, child=False, pool=None, born=None):
        while True:
            pi = pool if pool is not None else R.randrange(len(NAME_POOLS))
            fs, ms, ls = NAME_POOLS[pi]
            self.sex = sex or R.choice('FM')
            if child:
                self.first = R.choice(CHILD_F if self.sex == 'F' else CHILD_M)
            else:
                self.first = R.choice(fs if self.sex == 'F' else ms)
            self.last = R.choice(ls)
            if (self.first, self.last) not in USED_NAMES:
                USED_NAMES.add((self.first, self.last))
                ALL_PTS.append(self)
                break
        self.mi = R.choice(MI)
        ref = dt.date(2025, 3, 1)
        if born:
            self.dob = born
        else:
            days = R.randint(int(age[0] * 365.25) + 10, int(age[1] * 365.25) - 10)
            self.dob = ref - dt.timedelta(days=days)
        self.age = (ref - self.dob).days // 365
        self.mrn_ = 'M' + digits(7)
        self.hmrn_ = 'SB' + digits(8)
        self.phone_ = gen_phone()
        self.cell_ = gen_phone()
        self.city, self.state, self.zip = R.choice(CITIES)
        self.street_ = f'{R.randint(12, 9890)} {R.choice(DIRS)}{R.choice(STREETS)} {R.choice(SUFS)}'
        self.unit = R.choice(['', '', '', f'Apt {R.randint(1, 9)}{R.choice("ABCD")}', f'Unit {R.randint(2, 40)}'])
        if self.age >= 65:
            self.plan, idf, grpf = MA_PLAN if R.random() < 0.25 else ('Medicare', None, None)
        else:
            self.plan, idf, grpf = R.choice(PLANS)
        self.member_ = idf() if idf else None
        self.group_ = grpf() if grpf else None
        self.mbi_ = gen_mbi() if self.age >= 65 else None
        self.ssn_ = gen_ssn()
        self.dl_state = R.choice(['OH'] * 6 + ['KY', 'IN', 'WV', 'PA', 'MI'])
        self.dl_ = gen_dl(self.dl_state)
        e1 = asciify(self.first).lower().replace(' ', '').replace("'", '').replace('-', '')
        e2 = asciify(self.last).lower().replace(' ', '').replace("'", '').replace('.', '').replace('-', '')
        self.email_ = R.choice([f'{e1}.{e2}', f'{e1[0]}{e2}{self.dob.year % 100:02d}', f'{e1}{e2}{R.randint(1, 99)}',
                                f'{e2}.{e1[0]}']) + '@' + R.choice(EMAIL_DOMAINS)

    def variants(self):
        f, l, mi = self.first, self.last, self.mi
        return {f'{f} {l}', f'{l}, {f}', f'{l}, {f}'.upper(), f'{f} {l}'.upper(), f'{f} {mi}. {l}',
                f'{l}, {f} {mi}.', f'{l.upper()}, {f.upper()} {mi}', f'{l}, {f} {mi}'}

    # --- marked outputs
    @property
    def full(self):
        return f'{self.first} {self.last}'

    def n(self, style='fl'):
        v = {'fl': f'{self.first} {self.last}', 'lf': f'{self.last}, {self.first}',
             'LF': f'{self.last}, {self.first}'.upper(), 'FL': f'{self.first} {self.last}'.upper(),
             'fml': f'{self.first} {self.mi}. {self.last}', 'lfm': f'{self.last}, {self.first} {self.mi}.',
             'LFM': f'{self.last.upper()}, {self.first.upper()} {self.mi}', 'lfm0': f'{self.last}, {self.first} {self.mi}'}[style]
        return NM(v)

    def d(self, style='mdy'):
        b = self.dob
        v = {'mdy': b.strftime('%m/%d/%Y'), 'mdy1': f'{b.month}/{b.day}/{b.year}', 'iso': b.isoformat(),
             'long': f'{MONTHS[b.month - 1]} {b.day}, {b.year}', 'short': f'{b.strftime("%b")} {b.day}, {b.year}',
             'dmy': f'{b.day} {MONTHS[b.month - 1]} {b.year}', 'mdyd': b.strftime('%m-%d-%Y')}[style]
        return T('dob', v)

    def m(self):
        return T('mrn', self.mrn_)

    def hm(self):
        return T('mrn', self.hmrn_)

    def mid(self):
        return T('member_id', self.member_)

    def p(self, style='dash', cell=False):
        return PH(fph(self.cell_ if cell else self.phone_, style))

    def em(self):
        return EM(self.email_)

    def addr(self):
        return AD(self.street_)

    def addr_block(self, sep='\n'):
        u = f', {self.unit}' if self.unit else ''
        return f'{self.addr()}{u}{sep}{self.city}, {self.state} {self.zip}'

    def ssn(self, sep='-'):
        v = self.ssn_ if sep == '-' else self.ssn_.replace('-', sep)
        return T('us_ssn', v)

    def mbi(self, dashed=False):
        v = self.mbi_
        return MB(f'{v[:4]}-{v[4:7]}-{v[7:]}' if dashed else v)

    def dl(self):
        return T('drivers_license', self.dl_)

    @property
    def he(self):
        return 'she' if self.sex == 'F' else 'he'

    @property
    def his(self):
        return 'her' if self.sex == 'F' else 'his'

    @property
    def him(self):
        return 'her' if self.sex == 'F' else 'him'

    @property
    def title(self):
        return 'Ms.' if self.sex == 'F' else 'Mr.'

    def ins_id(self):
        """member ID, or MBI for traditional Medicare, with its label"""
        if self.member_:
            return f'{self.plan} / Member ID: {self.mid()}'
        return f'Medicare Part A/B, MBI {self.mbi()}'


def pt(*a, **k):
    return Pt(*a, **k)


def child(age=(1, 12), sex=None):
    return Pt(age=age, sex=sex, child=True)


def relative_of(p, sex=None, rel_first=None):
    """a family member (never labelled as patient)"""
    sex = sex or R.choice('FM')
    for pool in NAME_POOLS:
        if p.last in pool[2]:
            fs, ms, _ = pool
            break
    else:
        fs, ms = ['Karen'], ['David']
    tries = 0
    while True:
        tries += 1
        pool = (fs if sex == 'F' else ms) if tries < 30 else [x for pl in NAME_POOLS for x in (pl[0] if sex == 'F' else pl[1])]
        f = rel_first or R.choice(pool)
        if f != p.first and (f, p.last) not in USED_NAMES:
            break
        rel_first = None
    USED_NAMES.add((f, p.last))
    return f


# ----------------------------------------------------------------------------
# dates
# ----------------------------------------------------------------------------
CUR = {'date': dt.datetime(2025, 1, 6, 8, 0)}


def next_date():
    d = CUR['date'] + dt.timedelta(minutes=R.randint(120, 900))
    while d.weekday() >= 5 and R.random() < 0.85:
        d += dt.timedelta(days=1)
    if d.hour < 7:
        d = d.replace(hour=7 + R.randint(0, 3))
    if d.hour > 18:
        d = d + dt.timedelta(hours=14)
    CUR['date'] = d
    tz = dt.timezone(dt.timedelta(hours=-4 if 3 <= d.month <= 10 else -5))
    return d.replace(tzinfo=tz)


def fdate(d, style='mdy'):
    if isinstance(d, dt.datetime):
        d = d.date()
    return {'mdy': d.strftime('%m/%d/%Y'), 'mdy1': f'{d.month}/{d.day}/{d.year}', 'iso': d.isoformat(),
            'long': f'{MONTHS[d.month - 1]} {d.day}, {d.year}', 'short': f'{d.strftime("%b")} {d.day}',
            'dow': f'{d.strftime("%A")}, {MONTHS[d.month - 1]} {d.day}', 'md': f'{d.month}/{d.day}',
            'dows': f'{d.strftime("%a")} {d.month}/{d.day}'}[style]


def wd(base, n):
    """n business days after base"""
    d = base.date() if isinstance(base, dt.datetime) else base
    step = 1 if n >= 0 else -1
    while n:
        d += dt.timedelta(days=step)
        if d.weekday() < 5:
            n -= step
    return d


def outlook_date(d):
    h = d.hour % 12 or 12
    ap = 'AM' if d.hour < 12 else 'PM'
    return f'{d.strftime("%A")}, {MONTHS[d.month - 1]} {d.day}, {d.year} {h}:{d.minute:02d} {ap}'


def gmail_date(d):
    h = d.hour % 12 or 12
    ap = 'AM' if d.hour < 12 else 'PM'
    return f'{d.strftime("%a")}, {d.strftime("%b")} {d.day}, {d.year} at {h}:{d.minute:02d} {ap}'


def earlier(d, minutes):
    return d - dt.timedelta(minutes=minutes)


# ----------------------------------------------------------------------------
# message model and rendering
# ----------------------------------------------------------------------------
MARK_RE = re.compile(r'\x01(\w+)\x02(.*?)\x03', re.S)


def esc(s):
    return html.escape(s, quote=True)


class Who:
    def __init__(self, display, addr):
        self.display, self.addr = display, addr

    def hdr(self):
        user, dom = self.addr.split('@')
        return Address(display_name=self.display, username=user, domain=dom)

    def fwd(self):
        """as it appears in a quoted header block (body text, so the address is labelled)"""
        return f'{self.display} <{EM(self.addr)}>' if self.display else EM(self.addr)


class Mail:
    def __init__(self, kind, frm, to, subject, cc=None, date=None, mailer=None):
        self.kind = kind
        self.frm = frm
        self.to = to if isinstance(to, list) else [to]
        self.cc = cc or []
        self.subject = subject
        self.date = date or next_date()
        self.text = None
        self.html = None
        self.blocks = None
        self.attachments = []
        self.cte = None
        self.mailer = mailer
        self.importance = None

    def attach(self, filename, content, subtype='csv'):
        self.attachments.append((filename, content, subtype))


def plain_table(headers, rows, sep='  '):
    w = [len(visible(h)) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(visible(c)))
    def line(cells):
        return sep.join(c + ' ' * (w[i] - len(visible(c))) for i, c in enumerate(cells)).rstrip()
    out = [line(headers), sep.join('-' * x for x in w)]
    out += [line(r) for r in rows]
    return '\n'.join(out)


def render_plain(blocks):
    out = []
    for b in blocks:
        k = b[0]
        if k == 'p':
            out.append(b[1])
        elif k == 'kv':
            out.append('\n'.join(f'{a}: {v}' for a, v in b[1]))
        elif k == 'table':
            out.append(plain_table(b[1], b[2]))
        elif k == 'ul':
            out.append('\n'.join('  * ' + i for i in b[1]))
        elif k == 'ol':
            out.append('\n'.join(f'  {n}. {i}' for n, i in enumerate(b[1], 1)))
        elif k == 'h':
            out.append(b[1].upper())
        elif k == 'raw':
            out.append(b[1])
        elif k == 'hr':
            out.append('_' * 40)
        elif k == 'sig':
            out.append(b[1])
    return '\n\n'.join(out) + '\n'


def render_html(blocks, title='Message'):
    parts = []
    for b in blocks:
        k = b[0]
        if k == 'p':
            parts.append('<p>' + esc(b[1]).replace('\n', '<br>\n') + '</p>')
        elif k == 'kv':
            parts.append('<p>' + '<br>\n'.join(f'<b>{esc(a)}:</b> {esc(v)}' for a, v in b[1]) + '</p>')
        elif k == 'table':
            rows = ['<tr>' + ''.join(f'<th align="left">{esc(h)}</th>' for h in b[1]) + '</tr>']
            rows += ['<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in r) + '</tr>' for r in b[2]]
            parts.append('<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">\n'
                         + '\n'.join(rows) + '\n</table>')
        elif k == 'ul':
            parts.append('<ul>\n' + '\n'.join(f'<li>{esc(i)}</li>' for i in b[1]) + '\n</ul>')
        elif k == 'ol':
            parts.append('<ol>\n' + '\n'.join(f'<li>{esc(i)}</li>' for i in b[1]) + '\n</ol>')
        elif k == 'h':
            parts.append(f'<h3 style="color:#1f4e79">{esc(b[1])}</h3>')
        elif k == 'raw':
            parts.append(b[2] if len(b) > 2 else '<p>' + esc(b[1]).replace('\n', '<br>\n') + '</p>')
        elif k == 'hr':
            parts.append('<hr>')
        elif k == 'sig':
            parts.append('<p style="color:#444;font-size:10pt">' + esc(b[1]).replace('\n', '<br>\n') + '</p>')
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>' + esc(title) + '</title>\n'
            '<style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt} th{background:#dce6f1}</style>'
            '</head>\n<body>\n' + '\n'.join(parts) + '\n</body></html>\n')


def strip_marks(s, labels, negs, is_html=False):
    def rep(m):
        typ, val = m.group(1), m.group(2)
        v = html.unescape(val) if is_html else val
        if typ == 'neg':
            negs.append(v)
        else:
            labels[typ].append(v)
        return val
    out = MARK_RE.sub(rep, s)
    assert '\x01' not in out and '\x02' not in out and '\x03' not in out, s[:200]
    return out


def build(mail, idx):
    labels, negs = defaultdict(list), []
    msg = EmailMessage()
    msg['From'] = mail.frm.hdr()
    msg['To'] = [w.hdr() for w in mail.to]
    if mail.cc:
        msg['Cc'] = [w.hdr() for w in mail.cc]
    msg['Subject'] = strip_marks(mail.subject, labels, negs)
    msg['Date'] = format_datetime(mail.date)
    dom = mail.frm.addr.split('@')[1]
    msg['Message-ID'] = f'<{mail.date.strftime("%Y%m%d%H%M")}.{idx:03d}{R.randrange(16**8):08x}@{dom}>'
    if mail.mailer:
        msg['X-Mailer'] = mail.mailer
    if mail.importance:
        msg['Importance'] = mail.importance
    if mail.blocks is not None:
        plain = render_plain(mail.blocks)
        htm = render_html(mail.blocks, title=mail.frm.display or 'Message')
    else:
        plain, htm = mail.text, mail.html
    plain = '\n'.join(l.rstrip() for l in plain.strip('\n').split('\n')) + '\n'
    msg.set_content(strip_marks(plain, labels, negs), cte=mail.cte)
    if htm:
        msg.add_alternative(strip_marks(htm, labels, negs, is_html=True), subtype='html')
    for fn, content, sub in mail.attachments:
        data = strip_marks(content, labels, negs).encode('utf-8')
        msg.add_attachment(data, maintype='text', subtype=sub, filename=fn, params={'charset': 'utf-8'})
    i = 0
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f'=_mmp_{idx:03d}_{i}')
            i += 1
    return msg.as_bytes(policy=policy.default), labels, negs


# ----------------------------------------------------------------------------
# text extraction (used by the self-check)
# ----------------------------------------------------------------------------
class H2T(HTMLParser):
    BLOCK = {'p', 'div', 'br', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'ul', 'ol', 'hr',
             'pre', 'blockquote'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ('style', 'script', 'title'):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append('\n')
        elif tag in ('td', 'th'):
            self.out.append('\t')

    def handle_endtag(self, tag):
        if tag in ('style', 'script', 'title'):
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append('\n')
        elif tag in ('td', 'th'):
            self.out.append('\t')

    def handle_data(self, d):
        if not self.skip:
            self.out.append(d)


def html_to_text(s):
    p = H2T()
    p.feed(s)
    p.close()
    return ''.join(p.out)


INVISIBLE = re.compile('[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]')


def extract_text(raw):
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    parts = [str(msg['Subject'] or '')]
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        if ct in ('text/plain', 'text/csv'):
            parts.append(part.get_content())
        elif ct == 'text/html':
            parts.append(html_to_text(part.get_content()))
    text = '\n'.join(parts)
    return unicodedata.normalize('NFKC', INVISIBLE.sub('', text))


def count_occ(text, v):
    return len(re.findall(r'(?<!\w)' + re.escape(v) + r'(?!\w)', text))


SCANNERS = [
    ('email', EMAIL_RE, None),
    ('phone', re.compile(r'(?<![\w+(])(?:\+1[ .-]?)?(?:\([2-9]\d\d\) ?|[2-9]\d\d[ .-])[2-9]\d\d[ .-]\d{4}(?!\w)'), v_phone),
    ('us_ssn', re.compile(r'(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])'), v_ssn),
    ('npi', re.compile(r'(?<!\w)[12]\d{9}(?!\w)'), v_npi),
    ('credit_card', re.compile(r'(?<![\w-])(?:\d{4}[ -]?\d{6}[ -]?\d{5}|\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4})(?![\w-])'), v_cc),
    ('icd10', re.compile(r'(?<![\w.])[A-TV-Z]\d[A-Z0-9](?:\.[A-Z0-9]{1,4})?(?![\w])'), v_icd),
    ('cpt', re.compile(r'(?<![\w.$-])\d{5}(?![\w-])'), v_cpt),
    ('mbi', re.compile(r'(?<!\w)' + MBI_RE.pattern + r'(?!\w)'), v_mbi),
    ('dea', re.compile(r'(?<!\w)[A-Z][A-Z9]\d{7}(?!\w)'), v_dea),
    ('ndc', re.compile(r'(?<![\w-])(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d)(?![\w-])'), v_ndc),
    ('us_address', re.compile(r'(?<![\w#:])' + ADDR_RE.pattern + r'(?![\w])'), v_addr),
]


def scan_lookalikes(text, labels, negs):
    """warn about validator-passing strings that are neither labelled nor marked as intended negatives"""
    known = Counter()
    for vals in labels.values():
        known.update(vals)
    known.update(negs)
    warn = []
    for typ, rx, ok in SCANNERS:
        found = Counter(m.group(0) for m in rx.finditer(text) if ok is None or ok(m.group(0)))
        for s, c in found.items():
            if c > known[s] and not any(s in k and s != k for k in known):
                warn.append((typ, s, c, known[s]))
    return warn


# ----------------------------------------------------------------------------
# organisations, staff, signatures
# ----------------------------------------------------------------------------
MMP = 'millbrookmed.example'


class Staff(Who):
    def __init__(self, first, last, creds, title, addr, npi=False, dea=False, dept=None):
        disp = f'{first} {last}' + (f', {creds}' if creds else '')
        super().__init__(disp, addr)
        self.first, self.last, self.creds, self.title, self.dept = first, last, creds, title, dept
        self.npi_ = gen_npi() if npi else None
        self.dea_ = gen_dea(last.replace("'", '')[0].upper()) if dea else None

    @property
    def full(self):
        return f'{self.first} {self.last}'

    @property
    def dr(self):
        return f'Dr. {self.last}'

    def npi(self):
        return NP(self.npi_)

    def dea(self):
        return DE(self.dea_)


# departments: name, street, suite, city line, main phone, fax
DEPT = {
    'card': ('Millbrook Heart & Vascular', '2150 Kenwood Pkwy', 'Suite 300', 'Dublin, OH 43017', '6147824410', '6147824499'),
    'obgyn': ("Millbrook Women's Health", '845 Hawthorne Ave', 'Suite 110', 'Westerville, OH 43081', '6148907300', '6148907301'),
    'peds': ('Millbrook Pediatrics', '3301 Alder Creek Dr', '', 'Columbus, OH 43229', '6144763900', '6144763911'),
    'onc': ('Millbrook Cancer & Infusion Center', '2150 Kenwood Pkwy', 'Suite 150', 'Dublin, OH 43017', '6147824600', '6147824650'),
    'endo': ('Millbrook Endocrinology & Diabetes', '1177 Quarry Bend Dr', 'Suite 220', 'Lewis Center, OH 43035', '7405482260', '7405482269'),
    'sleep': ('Millbrook Sleep Disorders Center', '560 Tamarack Blvd', 'Suite 2B', 'Columbus, OH 43229', '6144318800', '6144318805'),
    'derm': ('Millbrook Dermatology', '7025 Sawmill Creek Rd', '', 'Dublin, OH 43016', '6147613376', '6147613380'),
    'eye': ('Millbrook Eye Institute', '410 East Wilson Bridge Rd', 'Suite 100', 'Worthington, OH 43085', '6148462020', '6148462029'),
    'him': ('Millbrook Medical Partners - Health Information Management', '2200 Kenwood Pkwy', '2nd Floor', 'Dublin, OH 43017', '6147824000', '6147824090'),
    'pop': ('Millbrook Medical Partners - Population Health', '2200 Kenwood Pkwy', 'Suite 410', 'Dublin, OH 43017', '6147824120', '6147824129'),
}


def dphone(dept, style='paren'):
    return PH(fph(DEPT[dept][4], style))


def dfax(dept, style='paren'):
    return PH(fph(DEPT[dept][5], style))


def daddr(dept, one_line=False):
    name, st, suite, city, *_ = DEPT[dept]
    s = f', {suite}' if suite else ''
    if one_line:
        return f'{AD(st)}{s}, {city}'
    return f'{AD(st)}{s}\n{city}'


S = {}


def mk(key, *a, **k):
    S[key] = Staff(*a, **k)


mk('okafor', 'Helen', 'Okafor', 'MD, FACC', 'Cardiologist', f'hokafor@{MMP}', npi=True, dea=True, dept='card')
mk('kowalski', 'Trish', 'Kowalski', 'RN', 'Anticoagulation Clinic', f'tkowalski@{MMP}', dept='card')
mk('marsh', 'Devon', 'Marsh', 'CCDS', 'Device Clinic', f'dmarsh@{MMP}', dept='card')
mk('kent', 'Brianna', 'Kent', '', 'Cardiology Scheduling', f'bkent@{MMP}', dept='card')
mk('patel', 'Nikhil', 'Patel', 'MD', 'Interventional Cardiology', f'npatel@{MMP}', npi=True, dea=True, dept='card')
mk('ybarra', 'Marisol', 'Ybarra', 'MD, FACOG', 'Obstetrics & Gynecology', f'mybarra@{MMP}', npi=True, dea=True, dept='obgyn')
mk('benson', 'Kayla', 'Benson', 'CMA', 'OB/GYN Clinical Team', f'kbenson@{MMP}', dept='obgyn')
mk('carrow', 'Jenna', 'Carrow', 'CNM', 'Certified Nurse-Midwife', f'jcarrow@{MMP}', npi=True, dept='obgyn')
mk('achterberg', 'Ben', 'Achterberg', 'MD', 'Pediatrics', f'bachterberg@{MMP}', npi=True, dea=True, dept='peds')
mk('lindqvist', 'Deb', 'Lindqvist', '', 'Front Desk Lead, Pediatrics', f'dlindqvist@{MMP}', dept='peds')
mk('rao', 'Sunita', 'Rao', 'RN, BSN, OCN', 'Infusion Charge Nurse', f'srao@{MMP}', dept='onc')
mk('halvorsen', 'Greg', 'Halvorsen', 'PharmD, BCOP', 'Oncology Pharmacist', f'ghalvorsen@{MMP}', dept='onc')
mk('mehta', 'Anil', 'Mehta', 'MD', 'Hematology/Oncology', f'amehta@{MMP}', npi=True, dea=True, dept='onc')
mk('delgado', 'Rosa', 'Delgado', '', 'Oncology Financial Counselor', f'rdelgado@{MMP}', dept='onc')
mk('natarajan', 'Priya', 'Natarajan', 'MD', 'Endocrinology', f'pnatarajan@{MMP}', npi=True, dea=True, dept='endo')
mk('feld', 'Rachel', 'Feld', 'RD, LD, CDCES', 'Diabetes Education', f'rfeld@{MMP}', dept='endo')
mk('bell', 'Marcus', 'Bell', 'RPSGT', 'Lead Sleep Technologist', f'mbell@{MMP}', dept='sleep')
mk('lau', 'Kenneth', 'Lau', 'MD', 'Sleep Medicine', f'klau@{MMP}', npi=True, dea=True, dept='sleep')
mk('fontaine', 'Claire', 'Fontaine', 'MD', 'Dermatology', f'cfontaine@{MMP}', npi=True, dea=True, dept='derm')
mk('tran', 'Josh', 'Tran', 'PA-C', 'Dermatology', f'jtran@{MMP}', npi=True, dept='derm')
mk('haddad', 'Omar', 'Haddad', 'MD', 'Ophthalmology', f'ohaddad@{MMP}', npi=True, dea=True, dept='eye')
mk('petrosyan', 'Lina', 'Petrosyan', 'COA', 'Ophthalmic Technician', f'lpetrosyan@{MMP}', dept='eye')
mk('sutter', 'Carol', 'Sutter', 'RHIT', 'Release of Information Specialist', f'csutter@{MMP}', dept='him')
mk('brooks', 'Angela', 'Brooks', 'RN, CCM', 'Care Coordination', f'abrooks@{MMP}', dept='pop')
mk('whitfield', 'Samuel', 'Whitfield', 'MD', 'Northgate Family Medicine', 'swhitfield@northgatefm.example', npi=True, dea=True)
mk('marchetti', 'Ellen', 'Marchetti', 'DO', 'Olentangy Internal Medicine', 'emarchetti@olentangyim.example', npi=True, dea=True)
mk('salinas', 'Roberto', 'Salinas', 'MD', 'Salinas Family Practice', 'rsalinas@salinasfp.example', npi=True, dea=True)
mk('howard', 'Tamika', 'Howard', '', 'Surgery Scheduler', 'thoward@riverbendasc.example')
mk('briggs', 'Colleen', 'Briggs', 'RN', 'Pre-Admission Testing', 'cbriggs@riverbendasc.example')
mk('fisk', 'Alan', 'Fisk', '', 'Business Office Manager', 'afisk@riverbendasc.example')
mk('stamos', 'Gregory', 'Stamos', 'MD', 'Orthopaedic Surgery', f'gstamos@{MMP}', npi=True, dea=True)
mk('wu', 'Janet', 'Wu', 'MD', 'Gastroenterology', f'jwu@{MMP}', npi=True, dea=True)
mk('subramanian', 'Ravi', 'Subramanian', 'MD, FACS', 'General Surgery', f'rsubramanian@{MMP}', npi=True, dea=True)
mk('greer', 'Nathan', 'Greer', '', 'Client Account Manager', 'ngreer@clearpathrcm.example')
mk('pike', 'Shauna', 'Pike', 'CPC', 'Denials & Appeals Specialist', 'spike@clearpathrcm.example')
mk('farrow', 'Denise', 'Farrow', 'RN, ACM', 'Case Manager', 'dfarrow@stbrigid.example')
mk('renner', 'Tobias', 'Renner', 'MD', 'Hospitalist', 'trenner@stbrigid.example', npi=True)
mk('vo', 'Kim', 'Vo', '', 'Intake Coordinator', 'kvo@keystonehme.example')
mk('sikes', 'Jared', 'Sikes', 'RRT', 'Respiratory Therapist', 'jsikes@keystonehme.example')
mk('castellano', 'Rob', 'Castellano', '', 'Facilities Manager', f'rcastellano@{MMP}')
mk('price', 'Janelle', 'Price', 'SHRM-CP', 'Benefits Specialist', f'jprice@{MMP}')
mk('haverford', 'Paul', 'Haverford', 'CHC', 'Compliance Officer', f'phaverford@{MMP}')
mk('okoro', 'Stella', 'Okoro', '', 'Billing Manager', f'sokoro@{MMP}')
mk('baines', 'Terri', 'Baines', 'CPC', 'Coding Specialist', f'tbaines@{MMP}')

W = {  # role mailboxes
    'itsd': Who('Millbrook IT Service Desk', f'servicedesk@{MMP}'),
    'facilities': Who('Millbrook Facilities', f'facilities@{MMP}'),
    'hr': Who('Millbrook HR Benefits', f'benefits@{MMP}'),
    'comms': Who('Millbrook Communications', f'news@{MMP}'),
    'allstaff': Who('All Staff', f'allstaff@{MMP}'),
    'cardstaff': Who('Cardiology Staff', f'cardiology-staff@{MMP}'),
    'infusion': Who('Infusion Nursing', f'infusion-rn@{MMP}'),
    'sched_card': Who('Cardiology Scheduling', f'cardsched@{MMP}'),
    'billing': Who('Millbrook Billing Office', f'billing@{MMP}'),
    'roi': Who('Release of Information', f'roi@{MMP}'),
    'carecoord': Who('Care Coordination', f'carecoord@{MMP}'),
    'sleepsched': Who('Sleep Center Scheduling', f'sleepsched@{MMP}'),
    'asc_sched': Who('Riverbend ASC Scheduling', 'scheduling@riverbendasc.example'),
    'lab': Who('Tri-County Reference Laboratory', 'noreply-results@tricountylab.example'),
    'labcs': Who('Tri-County Lab Client Services', 'clientservices@tricountylab.example'),
    'pbm': Who('ScriptWell Prior Authorization', 'pa-notify@scriptwell.example'),
    'pbm_mail': Who('ScriptWell Home Delivery', 'homedelivery@scriptwell.example'),
    'denials': Who('ClearPath Denials Team', 'denials@clearpathrcm.example'),
    'remit': Who('ClearPath Payment Posting', 'posting@clearpathrcm.example'),
    'keystone': Who('Keystone Home Medical Intake', 'intake@keystonehme.example'),
    'stb_adt': Who('St. Brigid Care Notifications', 'carealerts@stbrigid.example'),
    'stb_cm': Who('St. Brigid Case Management', 'casemanagement@stbrigid.example'),
    'portal': Who('Millbrook MyChart-Lite', f'noreply@{MMP}'),
    'endo_inbox': Who('Endocrinology Clinical Team', f'endo-clinical@{MMP}'),
    'derm_inbox': Who('Dermatology Nurse Line', f'derm-rn@{MMP}'),
    'eye_inbox': Who('Eye Institute Surgery Coordinator', f'eyesurgery@{MMP}'),
    'peds_inbox': Who('Pediatrics Nurse Line', f'peds-rn@{MMP}'),
    'obgyn_inbox': Who("Women's Health Clinical", f'whc-clinical@{MMP}'),
    'onc_inbox': Who('Oncology Nurse Navigation', f'onc-nav@{MMP}'),
}

DISC_MMP = ('CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole use of the '
            'intended recipient(s) and may contain confidential and privileged information, including protected '
            'health information. Any unauthorized review, use, disclosure or distribution is prohibited. If you are '
            'not the intended recipient, please contact the sender by reply e-mail and destroy all copies of the '
            'original message.')
DISC_MMP_WRAP = ('CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the\n'
                 'sole use of the intended recipient(s) and may contain confidential and privileged\n'
                 'information, including protected health information. Any unauthorized review, use,\n'
                 'disclosure or distribution is prohibited. If you are not the intended recipient,\n'
                 'please contact the sender by reply e-mail and destroy all copies of the original message.')
DISC_STB = ('This message is intended only for the individual or entity to which it is addressed and may contain '
            'information that is privileged, confidential and exempt from disclosure under applicable law. '
            'St. Brigid Regional Medical Center is a member of Sycamore Health Partners.')
DISC_CP = ('ClearPath Revenue Cycle Solutions, LLC acts as a HIPAA Business Associate of its clients. This message may '
           'contain PHI. Please do not forward outside your organization. To unsubscribe from report distribution, '
           'reply STOP.')
DISC_KEY = 'Keystone Home Medical is accredited by the Accreditation Commission for Health Care (ACHC).'


def sig(key, style='full'):
    s = S[key]
    if key == 'okafor':
        return (f'Helen Okafor, MD, FACC\nMillbrook Heart & Vascular\n{daddr("card")}\n'
                f'Office {dphone("card")} | Fax {dfax("card")}\n{EM(s.addr)}')
    if key == 'kowalski':
        return f'Trish K., RN\nAnticoag Clinic - Millbrook Heart & Vascular\nx4471 / fax {dfax("card", "dash")}'
    if key == 'marsh':
        return (f'Devon Marsh, CCDS\nDevice Clinic | Millbrook Heart & Vascular\nDirect {PH("614-782-4431")}\n'
                f'Device clinic fax {dfax("card", "dash")}')
    if key == 'kent':
        return f'Brianna Kent\nScheduling Coordinator, Millbrook Heart & Vascular\n{dphone("card", "dot")} opt. 2'
    if key == 'patel':
        return f'Nikhil Patel, MD\nInterventional Cardiology\nMillbrook Heart & Vascular'
    if key == 'ybarra':
        return (f'Marisol Ybarra, MD, FACOG\nMillbrook Women\'s Health\n{daddr("obgyn")}\n'
                f'P {dphone("obgyn", "dash")}  F {dfax("obgyn", "dash")}')
    if key == 'benson':
        return f'Kayla Benson, CMA\nWomen\'s Health - Westerville\n{dphone("obgyn", "dash")}'
    if key == 'carrow':
        return f'Jenna Carrow, CNM\nMillbrook Women\'s Health\n{EM(s.addr)}'
    if key == 'achterberg':
        return (f'Ben Achterberg, MD\nMillbrook Pediatrics\n{daddr("peds")}\nPh {dphone("peds")}  Fax {dfax("peds")}')
    if key == 'lindqvist':
        return f'Deb Lindqvist\nFront Desk Lead | Millbrook Pediatrics\n{dphone("peds", "dash")}'
    if key == 'rao':
        return (f'Sunita Rao, RN, BSN, OCN\nCharge Nurse, Infusion Center\nMillbrook Cancer & Infusion Center\n'
                f'{daddr("onc")}\nInfusion desk {dphone("onc", "dash")} | Fax {dfax("onc", "dash")}')
    if key == 'halvorsen':
        return f'Greg Halvorsen, PharmD, BCOP\nOncology Clinical Pharmacist\nInfusion pharmacy x4633'
    if key == 'mehta':
        return f'Anil Mehta, MD\nHematology/Oncology\nMillbrook Cancer & Infusion Center'
    if key == 'delgado':
        return (f'Rosa Delgado\nFinancial Counselor | Millbrook Cancer & Infusion Center\n{dphone("onc", "paren")} ext. 4618\n'
                f'{EM(s.addr)}')
    if key == 'natarajan':
        return (f'Priya Natarajan, MD\nEndocrinology, Diabetes & Metabolism\nMillbrook Endocrinology & Diabetes\n'
                f'{daddr("endo")}\nT {dphone("endo", "dot")} | F {dfax("endo", "dot")}')
    if key == 'feld':
        return (f'Rachel Feld, RD, LD, CDCES\nDiabetes Care & Education Specialist\n{dphone("endo", "paren")}\n{EM(s.addr)}')
    if key == 'bell':
        return f'Marcus Bell, RPSGT\nLead Tech, Millbrook Sleep Disorders Center\nlab {dphone("sleep", "dash")}'
    if key == 'lau':
        return (f'Kenneth Lau, MD, D-ABSM\nMillbrook Sleep Disorders Center\n{daddr("sleep")}\n'
                f'Phone {dphone("sleep")} / Fax {dfax("sleep")}')
    if key == 'fontaine':
        return f'C. Fontaine MD\nMillbrook Dermatology'
    if key == 'tran':
        return f'Josh Tran, PA-C\nMillbrook Dermatology | {dphone("derm", "dash")}'
    if key == 'haddad':
        return (f'Omar Haddad, MD\nCataract & Glaucoma\nMillbrook Eye Institute\n{daddr("eye")}\n'
                f'{dphone("eye")} | fax {dfax("eye")}')
    if key == 'petrosyan':
        return f'Lina Petrosyan, COA\nMillbrook Eye Institute - Testing'
    if key == 'sutter':
        return (f'Carol Sutter, RHIT\nRelease of Information Specialist\nHealth Information Management\n'
                f'Millbrook Medical Partners\n{daddr("him")}\nPhone: {dphone("him", "dash")}\nFax: {dfax("him", "dash")}\n'
                f'{EM("roi@" + MMP)}')
    if key == 'brooks':
        return (f'Angela Brooks, RN, CCM\nCare Coordinator, Population Health\nMillbrook Medical Partners\n'
                f'Office {dphone("pop", "dash")} | Cell {PH("614-390-2274")}\n{EM(s.addr)}')
    if key == 'whitfield':
        return (f'Samuel Whitfield, MD\nNorthgate Family Medicine\n{AD("6400 Northgate Blvd")}\nColumbus, OH 43229\n'
                f'Ph {PH("(614) 847-2230")}  Fax {PH("(614) 847-2239")}')
    if key == 'marchetti':
        return (f'Ellen Marchetti, DO\nOlentangy Internal Medicine\n{AD("3545 Olentangy River Rd")}, Suite 400\n'
                f'Columbus, OH 43214\n{PH("614-267-5518")} (office)\n{PH("614-267-5520")} (fax)')
    if key == 'salinas':
        return f'Roberto Salinas, MD\nSalinas Family Practice\n{PH("740.363.8104")}'
    if key == 'howard':
        return (f'Tamika Howard\nSurgery Scheduler\nRiverbend Ambulatory Surgery Center\n{AD("1900 N High Point Dr")}\n'
                f'Columbus, OH 43235\nP: {PH("(614) 459-7720")} F: {PH("(614) 459-7729")}')
    if key == 'briggs':
        return f'Colleen Briggs, RN\nPre-Admission Testing | Riverbend ASC\n{PH("(614) 459-7724")}'
    if key == 'fisk':
        return f'Alan Fisk\nBusiness Office Manager\nRiverbend Ambulatory Surgery Center\n{PH("614-459-7731")}'
    if key == 'greer':
        return (f'Nathan Greer\nClient Account Manager\nClearPath Revenue Cycle Solutions, LLC\n{AD("PO Box 28871")}\n'
                f'Cincinnati, OH 45228\nDirect: {PH("513-871-4402")}  |  Main: {PH("513-871-4400")}\n{EM(s.addr)}')
    if key == 'pike':
        return f'Shauna Pike, CPC\nDenials & Appeals | ClearPath RCM\n{PH("513.871.4417")}'
    if key == 'farrow':
        return (f'Denise Farrow, RN, ACM\nCase Management - 5 West\nSt. Brigid Regional Medical Center\n'
                f'{AD("1500 Sycamore St")}, Columbus, OH 43215\nOffice {PH("(614) 298-6650")}  Pager 4471\n'
                f'Fax {PH("(614) 298-6659")}')
    if key == 'renner':
        return f'Tobias Renner, MD\nHospital Medicine, St. Brigid'
    if key == 'vo':
        return (f'Kim Vo\nIntake Coordinator\nKeystone Home Medical\n{AD("88 Industrial Pkwy")}, Grove City, OH 43123\n'
                f'Phone {PH("614-871-0962")} | Fax {PH("614-871-0970")}')
    if key == 'sikes':
        return f'Jared Sikes, RRT\nKeystone Home Medical - Respiratory\n{PH("(614) 871-0965")}'
    if key == 'castellano':
        return f'Rob Castellano\nFacilities Manager\nMillbrook Medical Partners'
    if key == 'price':
        return f'Janelle Price, SHRM-CP\nBenefits Specialist, Human Resources\nMillbrook Medical Partners'
    if key == 'haverford':
        return f'Paul Haverford, CHC\nCompliance Officer'
    if key == 'okoro':
        return f'Stella Okoro\nBilling Manager, Millbrook Medical Partners\n{PH("614-782-4055")}'
    if key == 'baines':
        return f'Terri Baines, CPC\nCoding & Charge Review'
    raise KeyError(key)


def quote(text, prefix='> '):
    return '\n'.join((prefix + l) if l.strip() else prefix.rstrip() for l in text.strip('\n').split('\n'))


def fw(w):
    return f'{w.display} <{EM(w.addr)}>' if w.display else EM(w.addr)


def outlook_hdr(frm, to, date, subject, cc=None):
    lines = [f'From: {fw(frm)}', f'Sent: {outlook_date(date)}', 'To: ' + '; '.join(fw(w) for w in to)]
    if cc:
        lines.append('Cc: ' + '; '.join(fw(w) for w in cc))
    lines.append(f'Subject: {subject}')
    return '\n'.join(lines)


def gmail_fwd_hdr(frm, to, date, subject):
    return ('---------- Forwarded message ---------\n'
            f'From: {fw(frm)}\nDate: {gmail_date(date)}\nSubject: {subject}\n'
            f'To: {", ".join(fw(w) for w in to)}')


def gmail_attrib(frm, date):
    return f'On {gmail_date(date)} {fw(frm)} wrote:'


def pwho(p):
    """a patient as an e-mail correspondent; display names never carry the full name"""
    k = R.random()
    local = p.email_.split('@')[0]
    if k < 0.35:
        d = ''
    elif k < 0.7:
        d = f'{p.first} {p.last[0]}.'
    elif k < 0.85:
        d = p.first
    else:
        d = local
    return Who(d, p.email_)


def forward(orig, frm, to, note, style='outlook', kind=None):
    if style == 'outlook':
        m = Mail(kind or orig.kind, frm, to, 'FW: ' + orig.subject)
        hdr = '-----Original Message-----\n' + outlook_hdr(orig.frm, orig.to, orig.date, orig.subject, orig.cc)
    else:
        m = Mail(kind or orig.kind, frm, to, 'Fwd: ' + orig.subject)
        hdr = gmail_fwd_hdr(orig.frm, orig.to, orig.date, orig.subject)
    m.text = note.rstrip() + '\n\n' + hdr + '\n\n' + orig.text.strip('\n') + '\n'
    return m


def plan_line(p):
    if p.member_:
        return f'{p.plan}, Member ID {p.mid()}'
    return f'Medicare, MBI {p.mbi()}'


# ============================================================================
# CARDIOLOGY
# ============================================================================
def card_consult_letter():
    p = pt((48, 78))
    o, w = S['okafor'], S['whitfield']
    m = Mail('cardiology', o, [w], f'Cardiology consultation - {p.n("lf")}', cc=[W['sched_card']])
    seen = wd(m.date, -2)
    fu = wd(m.date, 30)
    codes = R.choice([('R00.2', 'R94.31', 'I10'), ('I48.0', 'I10', 'E78.5'), ('R07.9', 'E78.5', 'I10')])
    m.blocks = [
        ('p', 'Dr. Whitfield,'),
        ('p', f'Thank you for referring {p.n()} for evaluation of {"palpitations and an abnormal ECG" if codes[0] != "R07.9" else "exertional chest discomfort"}. '
              f'I saw {p.him} in the office on {fdate(seen, "long")}. A summary of my assessment follows; the full note is in the shared chart.'),
        ('kv', [('Patient', p.n()), ('DOB', p.d()), ('MRN', p.m()),
                ('Referring provider', f'Samuel Whitfield, MD (NPI {w.npi()})'),
                ('Insurance', plan_line(p))]),
        ('h', 'Assessment'),
        ('table', ['Diagnosis', 'ICD-10'], [[ICD[c], IC(c)] for c in codes]),
        ('h', 'Plan'),
        ('ul', [f'Transthoracic echocardiogram (CPT {CP("93306")}) to assess LV function and valves.',
                f'7-day ambulatory ECG monitor (CPT {CP("93241")}) - patch mailed to {p.his} home.'
                if codes[0] != 'R07.9' else f'Exercise treadmill stress test (CPT {CP("93015")}).',
                'Started metoprolol succinate 25 mg daily; BP today 148/86, HR 92.',
                'TSH 1.82 and K 4.1 last month - no change needed.',
                f'Return visit {fdate(fu, "long")} at 10:40 AM, sooner if symptoms worsen.']),
        ('p', 'Please do not hesitate to call me with any questions.'),
        ('sig', 'Sincerely,\n\n' + sig('okafor')),
        ('p', DISC_MMP),
    ]
    return m


def card_inr_thread():
    p = pt((62, 88), sex='F')
    k, o = S['kowalski'], S['okafor']
    m1 = Mail('cardiology', k, [o], f'INR 4.2 today - {p.n()}')
    prev = wd(m1.date, -15)
    rc = wd(m1.date, 3)
    t1 = f"""Dr O -

pt {p.n()} DOB {p.d('mdy1')} MRN {p.m()} on warfarin 5mg daily exc 7.5mg M/F. INR today 4.2 (goal 2-3), last 2.6 on {fdate(prev, 'md')}.
no bleeding, no bruising per pt. was on cipro x5d from urgent care for a UTI - prob the cause.

plan per protocol: hold tonight, then resume 5mg daily, recheck INR {fdate(rc, 'dows')}.
pt's cell {p.p('dash', cell=True)} if you want to call her.
dx {IC('Z79.01')} / {IC('I48.91')}

ok w/ you?

{sig('kowalski')}
"""
    m1.text = t1
    m2 = Mail('cardiology', o, [k], f'RE: INR 4.2 today - {p.n()}')
    m2.text = f"""Agree with holding tonight. Please add a CBC when she comes in on {fdate(rc, 'md')} - she
mentioned some fatigue at her last visit. If INR is still >3.5 let me know and I'll call her.

HO

{gmail_attrib(k, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def card_device_remote():
    p = pt((68, 92))
    d, o = S['marsh'], S['okafor']
    m = Mail('cardiology', d, [o], 'Remote transmission - AMS episodes')
    tx = wd(m.date, -1)
    model = R.choice(['Model PM2272', 'Model L331', 'Model W1DR01'])
    serial = 'SN ' + R.choice(UP) + R.choice(UP) + digits(6)
    m.text = f"""Dr. Okafor,

Flagging this one for you - scheduled remote came in overnight.

REMOTE TRANSMISSION SUMMARY
Patient:
{p.n('LF')}
DOB:
{p.d('mdy')}
MRN:
{p.m()}
Device:
Dual chamber pacemaker, {N(model)}, {N(serial)}
Implant date:
{fdate(dt.date(2019, R.randint(1, 12), R.randint(1, 28)))}
Transmission date:
{fdate(tx)}
Battery:
8.5 years remaining
Findings:
AP 42%, VP <1%. Lead impedances stable (RA 512 ohms, RV 608 ohms).
3 AMS episodes, longest 14 min, max V rate 132. No VT/VF.
Dx:
{IC('Z95.0')}, {IC('I49.5')}
Billing:
{CP('93294')} (physician) / {CP('93296')} (technical)

No prior history of AF in the chart and {p.he} is not anticoagulated. Do you want to see {p.him} sooner than the
6-month check? Home phone on file is {p.p('paren')}. Ins: {plan_line(p)}.

Thanks,
{sig('marsh')}
"""
    return m


def card_monitor_enrollment():
    p = pt((35, 75))
    b, o = S['kent'], S['okafor']
    vendor = Who('CardioTrace Enrollment', 'enroll@cardiotrace.example')
    m = Mail('cardiology', b, [vendor], 'New enrollment - 7 day patch, ship to home')
    m.text = f"""Hello,

Please enroll the following patient for a 7-day patch monitor, shipped to the home address.

Patient name: {p.n()}
DOB: {p.d('mdyd')}
Sex: {p.sex}
Phone: {p.p('paren')}
Alt phone: {p.p('paren', cell=True)}
Ship to: {p.addr_block(', ')}
Insurance: {p.plan}
{"Member ID: " + p.mid() if p.member_ else "MBI: " + p.mbi(True)}
{p.group_ or 'Secondary: none'}
Ordering physician: Helen Okafor, MD
Ordering NPI: {o.npi()}
Service: 7-day external ECG recording, CPT {CP('93241')}
Diagnosis: {IC('R00.2')} Palpitations; {IC('R55')} Syncope and collapse
Order #: {N('ORD-' + digits(7))}

Please fax the final report to {dfax('card', 'dash')}. Call me at {dphone('card', 'dash')} with any questions.

Thank you,
{sig('kent')}
"""
    return m


def card_cath_auth():
    p = pt((50, 76))
    while not p.member_:
        p = pt((50, 64))
    pa = S['patel']
    payer = Who(f'{p.plan} - Utilization Management', 'um-notify@' + PLAN_DOMAIN[p.plan])
    m = Mail('cardiology', payer, [W['sched_card']], f'Authorization approved - {p.n("LF")}')
    auth = 'UM' + digits(4) + '-' + digits(6)
    start = wd(m.date, 2)
    m.blocks = [
        ('h', 'Prior Authorization Determination'),
        ('p', 'The following outpatient service has been APPROVED. This notice is not a guarantee of payment; '
              'benefits are subject to eligibility on the date of service.'),
        ('kv', [('Authorization number', N(auth)), ('Member', p.n('LF')), ('Member ID', p.mid()),
                ('Date of birth', p.d()), ('Servicing provider', f'Nikhil Patel, MD - NPI {pa.npi()}'),
                ('Facility', f'St. Brigid Regional Medical Center - NPI {NP(STB_NPI)}'),
                ('Procedure', f'CPT {CP("93458")} - {CPT["93458"]}'),
                ('Diagnosis', f'{IC("I25.10")}, {IC("I20.9")}'),
                ('Units approved', '1'), ('Valid', f'{fdate(start)} through {fdate(start + dt.timedelta(days=60))}')]),
        ('p', 'Questions: Utilization Management, Monday-Friday 8:00-5:00, ' + PH('(800) 462-3390') + ' option 3. '
              'Please reference the authorization number.'),
        ('p', f'{p.plan} - this message was generated automatically. Do not reply.'),
    ]
    return m


def card_referral_forward():
    p = pt((60, 85))
    b, o, mc = S['kent'], S['okafor'], S['marchetti']
    orig_date = earlier(next_date(), 60 * 26)
    orig_subj = f'Referral - {p.n()} - new murmur, mod AS on echo'
    orig = f"""Dear Millbrook Cardiology scheduling,

I am referring {p.n()} (DOB {p.d('mdy1')}) for evaluation of a new systolic murmur. Outside echo on
{fdate(wd(orig_date, -6))} showed moderate aortic stenosis (AVA 1.1 cm2, mean gradient 28 mmHg), LVEF 60%.
{p.he.capitalize()} reports dyspnea climbing one flight of stairs and one episode of lightheadedness.

Diagnosis: {IC('I35.0')} Nonrheumatic aortic stenosis; {IC('I10')} Essential hypertension
Patient phone: {p.p('dash')}
Insurance: {plan_line(p)}

The earliest appointment we were offered is in 9 weeks. Given the symptoms I would appreciate anything sooner.

Thank you,
{sig('marchetti')}"""
    m = Mail('cardiology', b, [o], f'FW: {orig_subj}')
    slot = wd(m.date, 2)
    m.text = f"""Dr. Okafor - see below, Dr. Marchetti's office is asking for a sooner appt for this pt. I have a
cancellation {fdate(slot, 'dows')} at 2:20 - ok to book {p.him} there? Echo images are on the CD they mailed, I'll have
it uploaded.

-Bri

{sig('kent')}

-----Original Message-----
{outlook_hdr(mc, [W['sched_card']], orig_date, orig_subj)}

{orig}
"""
    return m


def card_wife_device():
    p = pt((70, 90), sex='M')
    wife = relative_of(p, 'F')
    w = Who(f'{wife} {p.last}', f'{asciify(wife).lower().split()[0]}.{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    m = Mail('family', w, [W['cardstaff']], 'question about my husbands pacemaker monitor')
    since = R.choice(['February', 'the middle of January', 'around Christmas'])
    ph_ = p.p('dash')
    m.text = f"""Hello,

My husband, {p.n()}, got a letter saying his home monitor has not sent a transmission since {since}.
The little light on the front is green and it is plugged in next to his bed like the man showed us. We did
get new internet in January, could that be it?

His date of birth is {p.d('long')} and he sees Dr. Okafor. The number on the bottom of the monitor says
{N(digits(2) + R.choice(UP) + digits(2) + '-' + digits(4) + '-A')}, not sure if that helps.

The best number to reach me is {ph_}, I am home most days. He is hard of hearing so please ask for me.

Thank you so much,
{wife} {p.last}
"""
    return m


def card_stress_reminder():
    p = pt((45, 75))
    b = S['kent']
    pw = pwho(p)
    m = Mail('cardiology', W['sched_card'], [pw], 'Your upcoming nuclear stress test - preparation instructions')
    appt = wd(m.date, 6)
    m.blocks = [
        ('p', f'Dear {p.title} {p.last},'),
        ('p', 'This is a reminder of your upcoming nuclear stress test. Please read the preparation instructions below; '
              'if they are not followed the test may need to be rescheduled.'),
        ('kv', [('Patient', p.n()), ('Test', 'Lexiscan / exercise myocardial perfusion imaging'),
                ('Date', fdate(appt, 'dow')), ('Arrival time', '7:15 AM (allow 3-4 hours)'),
                ('Location', f'Millbrook Heart & Vascular, {daddr("card", True)}')]),
        ('h', 'Before your test'),
        ('ol', ['No caffeine for 24 hours: coffee (including decaf), tea, soda, chocolate, energy drinks.',
                'Nothing to eat after midnight. Small sips of water are fine.',
                'Do not take metoprolol, carvedilol or atenolol the morning of the test unless your cardiologist told you otherwise.',
                'If you use an inhaler, bring it with you.',
                'Wear comfortable clothes and walking shoes.']),
        ('p', f'To reschedule please call {dphone("card")} at least 48 hours in advance.'),
        ('sig', 'Millbrook Heart & Vascular Scheduling'),
    ]
    return m


def card_inr_list():
    k = S['kowalski']
    pts = [pt((60, 90)) for _ in range(R.randint(5, 7))]
    m = Mail('cardiology', k, [Who('Anticoag RN Team', f'anticoag@{MMP}')], 'INR rechecks due this wk - need calls')
    lines = []
    for p in pts:
        inr = R.choice(['1.6', '1.7', '3.4', '3.6', '1.8', '4.0'])
        last = fdate(wd(m.date, -R.randint(6, 20)), 'md')
        dose = R.choice(['5mg daily', '2.5mg daily exc 5mg Sun', '7.5mg daily', '3mg daily', '5mg/7.5mg alt days'])
        extra = R.choice(['', f' - left VM x2 at {p.p("dash")}', ' - pt wants Fri am', ' - on amio now, watch', '',
                          f' - dtr manages meds, call {PH(fph(gen_phone(), "dash"))}'])
        lines.append(f'- {p.n("lf")} {p.d("mdy1")}  INR {inr} ({last}), {dose}{extra}')
    body = '\n'.join(lines)
    m.text = f"""Team -

these are overdue or due this week. pls call & get them in, document in the anticoag flowsheet.
hx for all: {IC('Z79.01')}, {IC('Z51.81')}

{body}

i'm out thurs pm, Kelsey covering.

T
"""
    return m


def card_echo_notification():
    o = S['okafor']
    pts = [pt((40, 88)) for _ in range(R.randint(3, 5))]
    m = Mail('cardiology', Who('Millbrook Cardiac Imaging', f'echo-noreply@{MMP}'), [o], 'Finalized studies awaiting your review (3/5 day rule)')
    rows = []
    for p in pts:
        st = R.choice([('TTE complete', '93306'), ('Stress echo', '93350'), ('TTE limited', '93308')])
        rows.append([p.n('LF'), p.m(), p.d(), st[0], CP(st[1]), N('ACC' + digits(8)), fdate(wd(m.date, -R.randint(1, 4)))])
    m.blocks = [
        ('p', 'The following studies have been finalized by the reading physician and are awaiting ordering-provider acknowledgement.'),
        ('table', ['Patient', 'MRN', 'DOB', 'Study', 'CPT', 'Accession', 'Study date'], rows),
        ('p', 'Open the Results inbox in ChartLine to acknowledge. This is an automated message from Millbrook Cardiac Imaging.'),
    ]
    return m


def card_pharmacy_apixaban():
    p = pt((70, 90))
    k, o = S['kowalski'], S['okafor']
    rph = Who('Bluestone Pharmacy #214', 'rx214@bluestonerx.example')
    m = Mail('cardiology', k, [rph], f'Rx clarification - apixaban dose - {p.n("lf")}')
    m.text = f"""Hi - returning your call from this morning re: Rx #{N(digits(7))}.

Patient: {p.n()}
DOB: {p.d()}
Drug: apixaban 2.5 mg tablet, NDC {ND(gen_ndc('532'))}
Sig: 1 tab PO BID

Yes the reduced dose is intentional - pt is {p.age} y/o and last Cr was 1.6 (wt 57 kg), so meets 2 of 3 dose-reduction
criteria. Prescriber is Helen Okafor, MD, NPI {o.npi()}.

Dx {IC('I48.91')}.

Thx,
{sig('kowalski')}
"""
    return m


def card_rehab_referral():
    p = pt((45, 75))
    o = S['okafor']
    rehab = Who('Cardiac & Pulmonary Rehab - St. Brigid', 'cardiacrehab@stbrigid.example')
    m = Mail('cardiology', o, [rehab], f'Phase II cardiac rehab referral: {p.n()}')
    dc = wd(m.date, -9)
    m.text = f"""Good morning,

Please schedule {p.n()} for Phase II cardiac rehabilitation, 36 sessions.

Name: {p.n()}
Date of birth: {p.d('mdy1')}
Phone: {p.p('dot')}
Qualifying event: NSTEMI with DES to mid LAD, discharged {fdate(dc)}
ICD-10: {IC('I21.4')}, {IC('I25.10')}, {IC('E78.5')}
Service: CPT {CP('93798')} x 36
Ejection fraction 45%. No exercise restrictions beyond standard post-PCI precautions.
Insurance: {plan_line(p)}

Signed order and the discharge summary are in the shared chart.

{sig('okafor')}
"""
    return m


def card_coding_thread():
    p = pt((50, 85))
    o, b = S['okafor'], S['baines']
    m1 = Mail('cardiology', o, [b], 'coding question - limited echo')
    dos = wd(m1.date, -4)
    t1 = f"""Terri,

For {p.n()} (MRN {p.m()}), DOS {fdate(dos, 'md')}, I read a follow-up echo that the sonographer ordered as a
complete study but only repeated the valve views and LV function. Should that go out as {CP('93306')} or {CP('93308')}?
The claim ({N('CLM-' + digits(9))}) is on hold in my queue.

Helen"""
    m1.text = t1 + '\n'
    m2 = Mail('billing', b, [o], 'RE: coding question - limited echo')
    m2.text = f"""Hi Dr. Okafor,

If it was a focused study (not all the required views for a complete TTE) it should be {CP('93308')}. I updated the
charge and released the claim. Dx stays {IC('I35.0')}.

Thanks!
{sig('baines')}

{gmail_attrib(o, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


STB_NPI = gen_npi('1')


# ============================================================================
# OB/GYN
# ============================================================================
def ob_mfm_referral():
    p = pt((36, 42), sex='F')
    y = S['ybarra']
    mfm = Who('Central Ohio Maternal-Fetal Medicine', 'referrals@comfm.example')
    m = Mail('obgyn', y, [mfm], f'Referral: {p.n()} - GDM A1, AMA, 28 wks')
    edd = wd(m.date, 60)
    m.text = f"""Dear colleagues,

Re: {p.n()}, DOB {p.d('mdy')}

I would be grateful if you could see Ms. {p.last} for consultation and co-management. She is a {p.age} year old
G3P2002 currently at 28w2d (EDD {fdate(edd)}, by 8-week ultrasound).

Her 1-hour glucose challenge was 162 and the 3-hour GTT was abnormal (fasting 98, 1 h 192, 2 h 171, 3 h 128).
She started diet and exercise counselling with our dietitian last week and her fasting values at home are 88-97.
Anatomy survey at 20 weeks was normal.

Diagnoses:
  {IC('O24.410')}  Gestational diabetes mellitus in pregnancy, diet controlled
  {IC('O09.523')}  Supervision of elderly multigravida, third trimester

Requested: growth ultrasound every 4 weeks and weekly NSTs (CPT {CP('59025')}) from 32 weeks, plus your
recommendations on the timing of delivery.

MRN {p.m()} | {plan_line(p)} | cell {p.p('paren', cell=True)}

Kind regards,

{sig('ybarra')}

{DISC_MMP_WRAP}
"""
    return m


def ob_triage_thread():
    p = pt((24, 38), sex='F')
    k, y = S['benson'], S['ybarra']
    m1 = Mail('obgyn', k, [y], f'spotting - {p.n("lf")}')
    ga = f'{R.randint(7, 11)}w{R.randint(0, 6)}d'
    t1 = f"""Dr Y!!

pt {p.n()} called c/o light spotting since this am, {ga} by LMP. no cramping, no clots, soaking <1 pad/day.
Rh neg per prenatal labs!! ({fdate(wd(m1.date, -12), 'md')})
pt # {p.p('dash', cell=True)}
DOB {p.d('mdy1')}
dx {IC('O20.0')}??

ok to bring her in for US today? we have 2:30 open w/ Jenna (US room 2)

-Kayla
{sig('benson')}"""
    m1.text = t1 + '\n'
    m2 = Mail('obgyn', y, [k], f'RE: spotting - {p.n("lf")}')
    m2.text = f"""Yes please - transvaginal US ({CP('76817')}) at 2:30, and she will need RhoGAM today if she's bleeding.
Quant hCG too. I'll see her after.

MY

{gmail_attrib(k, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def ob_hysteroscopy_thread():
    p = pt((35, 52), sex='F')
    y, h = S['ybarra'], S['howard']
    m1 = Mail('obgyn', y, [h], f'OR booking request - hysteroscopy - {p.n()}')
    t1 = f"""Hi Tamika,

Please book the following case at Riverbend:

Patient: {p.n()}
DOB: {p.d()}
Phone: {p.p('dash')}
Insurance: {p.plan}
Member ID: {p.mid() if p.member_ else p.mbi()}
Procedure: Hysteroscopy, D&C with polypectomy (CPT {CP('58558')})
Diagnosis: {IC('N92.0')} Excessive and frequent menstruation with regular cycle; {IC('D25.9')} Leiomyoma of uterus
Anesthesia: MAC / LMA
Time needed: 45 min
Preferred dates: any Tuesday in the next 3 weeks

H&P and consent will be in the chart by Friday.

{sig('ybarra')}"""
    m1.text = t1 + '\n'
    or_day = wd(m1.date, 9)
    m2 = Mail('asc', h, [y], f'RE: OR booking request - hysteroscopy - {p.n()}')
    m2.text = f"""Good afternoon Dr. Ybarra,

{p.n()} is booked for {fdate(or_day, 'dow')}, 7:30 AM start in OR 4 (arrival 6:00 AM). Pre-admission testing
will call her this week. Prior auth is not required for her plan per the portal, reference {N('REF' + digits(8))}.

Thank you,
{sig('howard')}

{gmail_attrib(y, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def ob_colpo_letter():
    p = pt((25, 45), sex='F')
    y = S['ybarra']
    pw = pwho(p)
    m = Mail('obgyn', W['obgyn_inbox'], [pw], 'Your colposcopy results')
    colpo = wd(m.date, -8)
    m.blocks = [
        ('p', f'Dear {p.first},'),
        ('p', f'Dr. Ybarra has reviewed the biopsy results from your colposcopy on {fdate(colpo, "long")}.'),
        ('kv', [('Patient', p.n('fml')), ('Date of birth', p.d('long')), ('Result', 'Moderate dysplasia (CIN 2)'),
                ('Diagnosis code', IC('N87.1'))]),
        ('p', 'CIN 2 means moderately abnormal cells were found on the cervix. This is not cancer. Dr. Ybarra recommends a '
              'LEEP (loop electrosurgical excision procedure) to remove the abnormal area. It is done in the office and '
              'takes about 20 minutes.'),
        ('p', f'Please call us at {dphone("obgyn")} to schedule. Our billing team can give you an estimate for CPT code '
              f'{CP("57522")} if you would like one before scheduling.'),
        ('sig', "Millbrook Women's Health\nClinical Team - Dr. Marisol Ybarra"),
        ('p', 'Please do not reply to this e-mail. Use the patient portal to send a message to your care team.'),
    ]
    return m


def ob_global_billing():
    p = pt((26, 40), sex='F')
    while not p.member_:
        p = pt((26, 40), sex='F')
    so, y = S['okoro'], S['ybarra']
    m = Mail('billing', so, [y], f'Global OB - {p.n("lf")} - vaginal vs cesarean?')
    deliv = wd(m.date, -20)
    m.text = f"""Dr. Ybarra,

Quick one on the global OB claim for {p.n("lf")} (MRN {p.m()}, Member ID {p.mid()}). The hospital record
says the delivery on {fdate(deliv)} was a primary cesarean after a failed trial of labor, but the charge came
across as {CP('59400')}. I think it needs to be {CP('59510')} - can you confirm before I correct it?
Claim {N(digits(11))} is on hold.

Thanks,
{sig('okoro')}
"""
    return m


def ob_patient_swelling():
    p = pt((25, 38), sex='F')
    pw = pwho(p)
    m = Mail('patient', pw, [W['obgyn_inbox']], 'swelling & headache - 34 weeks')
    m.text = f"""Hi,

This is {p.n()} (DOB {p.d('mdy1')}), I'm a patient of Jenna Carrow. I'm 34 weeks and my feet and hands have been
really swollen since yesterday and I've had a headache all morning that Tylenol didn't help. I checked my BP at
the pharmacy and it was 142/91 and then 139/92.

Is this something I should come in for? I can come whenever. My cell is {p.p('paren', cell=True)}.

Thanks,
{p.first}

Sent from my iPhone
"""
    return m


def ob_us_schedule():
    k = S['benson']
    pts = [pt((20, 42), sex='F') for _ in range(6)]
    m = Mail('obgyn', k, [Who('Ultrasound - Westerville', f'us-westerville@{MMP}')], 'US schedule tmrw (updated)')
    exams = [('Dating', '76801'), ('Anatomy', '76805'), ('Detailed anatomy', '76811'), ('Growth', '76805'),
             ('TV', '76817'), ('Pelvic TV', '76830')]
    rows = []
    for i, p in enumerate(pts):
        ex = R.choice(exams)
        rows.append(f'{8 + i // 2}:{"00" if i % 2 == 0 else "30"}  {p.n("lf")}  {p.d("mdy1")}  {ex[0]} ({CP(ex[1])})')
    body = '\n'.join(rows)
    m.text = f"""updated sched for tmrw - moved the 9:00 to 10:30, pt asked

{body}

10:30 = add on, pt knows she might wait. interpreter (Spanish) requested for 8:30.

K
"""
    return m


def ob_iud_benefits():
    p = pt((20, 40), sex='F')
    while not p.member_:
        p = pt((20, 40), sex='F')
    k = S['benson']
    m = Mail('obgyn', k, [W['billing']], f'benefits check - IUD - {p.n()}')
    m.text = f"""Hi billing,

Can you run benefits for a Mirena insertion for this pt before we order the device?

Patient: {p.n()}
DOB: {p.d()}
{p.plan}
Member ID: {p.mid()}
{p.group_}
Codes: CPT {CP('58300')} + {N('J7298')} (device), Dx {IC('Z30.430')}
Appt: {fdate(wd(m.date, 8), 'dows')} w/ Dr. Ybarra

thank u!
{sig('benson')}
"""
    return m


def ob_lnd_forward():
    p = pt((22, 38), sex='F')
    y, c = S['ybarra'], S['carrow']
    stb = Who('St. Brigid Birth Center', 'birthcenter@stbrigid.example')
    deliv = wd(next_date(), -3)
    odate = earlier(next_date(), 60 * 20)
    osub = f'Delivery notification - {p.n("LF")}'
    orig = f"""Delivery notification for the prenatal provider of record.

Patient: {p.n('LF')}    Hospital MRN: {p.hm()}    DOB: {p.d()}
Delivered: {fdate(deliv)} 04:12, spontaneous vaginal delivery, viable female, 3,310 g, Apgars 8/9
EBL 350 mL. 2nd degree laceration, repaired.
Discharged: {fdate(deliv + dt.timedelta(days=2))} with ibuprofen 600 mg q6h prn, docusate.
Follow-up: postpartum visit in 6 weeks; BP check in 1 week (BP 138/88 on day 2).
Postpartum diagnosis: {IC('O13.3')}

St. Brigid Birth Center, Labor & Delivery {PH('(614) 298-6100')}"""
    m = Mail('obgyn', y, [c], f'Fwd: {osub}')
    m.text = f"""Jenna - your pt. Can you make sure she gets the 1 week BP check? Her pressures were borderline on day 2.

{gmail_fwd_hdr(stb, [y], odate, osub)}

{orig}

{DISC_STB}
"""
    return m


def ob_ppd_followup():
    p = pt((22, 38), sex='F')
    c, b = S['carrow'], S['brooks']
    m = Mail('obgyn', c, [b], f'postpartum depression f/u - {p.n()}')
    m.text = f"""Angela,

Would you be able to reach out to {p.n()} (DOB {p.d('short')}, MRN {p.m()})? She's 5 weeks postpartum and
scored 15 on the EPDS at her visit today (no SI, item 10 = 0). Diagnosis {IC('F53.0')}. I started sertraline 25 mg
and referred her to the perinatal behavioral health program, but the wait is about 4 weeks. She'd benefit from a
check-in call next week and help with childcare resources.

Best number: {p.p('dash', cell=True)} (texting ok per pt).

Screening billed {CP('96127')} today.

Thanks so much,
{sig('carrow')}
"""
    return m


# ============================================================================
# PEDIATRICS
# ============================================================================
def peds_sports_form():
    c = child((12, 17))
    a = S['achterberg']
    parent = relative_of(c)
    pw = Who(f'{parent} {c.last}', f'{asciify(parent).lower().replace(" ", "")}{R.randint(10, 99)}@{R.choice(EMAIL_DOMAINS)}')
    m = Mail('peds', W['peds_inbox'], [pw], f'Sports physical form - {c.n()}')
    exam = wd(m.date, -1)
    m.blocks = [
        ('p', f'Hello {parent},'),
        ('p', 'Attached below is the completed pre-participation physical evaluation summary for school athletics. '
              'Please print it for the athletic office; the signed copy is also available in the portal.'),
        ('kv', [('Student / Patient', c.n()), ('Date of birth', c.d()), ('MRN', c.m()),
                ('Exam date', fdate(exam)), ('Sport(s)', R.choice(['Soccer, track', 'Basketball', 'Cross country', 'Volleyball'])),
                ('Cleared', 'Yes - without restriction'), ('Height / weight', f'{R.randint(58, 70)} in / {R.randint(90, 160)} lb'),
                ('Blood pressure', '112/68'), ('Allergies', R.choice(['NKDA', 'Penicillin (rash)', 'Peanuts - carries EpiPen']))]),
        ('p', f'Visit codes for your insurance: CPT {CP("99393")}, diagnosis {IC("Z00.129")}.'),
        ('sig', sig('achterberg')),
    ]
    return m


def peds_asthma_thread():
    c = child((4, 11), sex='M')
    a = S['achterberg']
    mom = relative_of(c, 'F')
    mw = Who(f'{mom} {c.last}', f'{asciify(mom).lower().split()[0]}.{asciify(c.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    m1 = Mail('family', mw, [W['peds_inbox']], 'asthma - using inhaler a lot')
    t1 = f"""Hi Dr. Achterberg and nurses,

My son, {c.n()} (DOB {c.d('mdy1')}), has had a cold since Saturday and he has been using his albuterol
every 4 hours since Sunday night. He is coughing a lot at night but not breathing fast and he is eating ok.
No fever. Should we bring him in or start the steroid you gave us last time? We still have half the bottle
from October.

You can call or text me at {PH(fph(gen_phone(), 'paren'))}.

Thanks,
{mom}"""
    m1.text = t1 + '\n'
    m2 = Mail('peds', a, [mw], 'RE: asthma - using inhaler a lot')
    m2.text = f"""Hi {mom},

Thanks for the detailed message. Needing albuterol every 4 hours for more than a day means his asthma is
not well controlled right now, and I'd like to listen to him today rather than restart the old steroid
(it may be expired). Deb will call you with a time this afternoon.

If he is working hard to breathe, his lips look blue, or the albuterol lasts less than 3 hours, please go
to the ER.

Dr. A

{sig('achterberg')}

{gmail_attrib(mw, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def peds_imm_record():
    c = child((4, 6))
    d, a = S['lindqvist'], S['achterberg']
    m = Mail('peds', d, [a], f'kindergarten imm record - {c.n()} - needs signature')
    given = wd(m.date, -R.randint(3, 40))
    m.text = f"""Dr. A,

School needs the immunization record signed for {c.n()} ({c.d()}) by Friday. I pulled these from the
chart, the 4-6 yr shots were given {fdate(given)}:

  DTaP #5        {CP('90700')}
  IPV #4         {CP('90713')}
  MMR #2         {CP('90707')}
  admin          {CP('90460')} x3, {CP('90461')} x2
  dx             {IC('Z23')}

Varicella #2 is missing - mom says it was done at the health dept in 2022. I asked her to bring that card.
Form is in your box.

Deb
"""
    return m


def peds_adhd_pharmacy():
    c = child((8, 15))
    a = S['achterberg']
    rph = Who('Kroll Family Pharmacy', 'pharmacist@krollrx.example')
    m = Mail('peds', a, [rph], f'Methylphenidate ER - {c.n("lf")} - prescriber info')
    ph_npi = gen_npi('1')
    m.text = f"""Hello,

Following up on your fax about the controlled substance prescription for {c.n()} (DOB {c.d('mdy')}).

Medication: methylphenidate ER 27 mg tablet, NDC {ND(gen_ndc('532'))}, 1 tab PO every morning, #30, no refills
Diagnosis: {IC('F90.2')}
Prescriber: Ben Achterberg, MD
NPI: {a.npi()}
DEA: {a.dea()}

The e-prescription was transmitted this morning to your store (NPI {NP(ph_npi)}). Please cancel the duplicate
that was sent on the 3rd - the parent reported it was lost before it was filled.

{sig('achterberg')}
"""
    return m


def peds_ent_referral():
    c = child((1, 5))
    while True:
        if c.plan == 'CareBridge Ohio Medicaid':
            break
        c.plan, idf, grpf = PLANS[4]
        c.member_ = idf()
    a = S['achterberg']
    ent = Who("Nationwide Children's ENT Referrals", 'ent-referrals@childrens-ent.example')
    m = Mail('peds', a, [ent], f'Referral for tympanostomy evaluation - {c.n()}')
    m.text = f"""Dear ENT team,

I am referring {c.n()}, DOB {c.d('iso')}, for evaluation for bilateral tympanostomy tubes.

History: 5 episodes of acute otitis media in the last 7 months, most recently {fdate(wd(m.date, -12), 'md')}, and
persistent bilateral middle ear effusion for more than 3 months with a flat tympanogram today. Mild speech delay
noted by parents; failed hearing screen ({CP('92551')}) in the office.

Diagnosis: {IC('H65.23')} Chronic serous otitis media, bilateral; {IC('H66.93')} Otitis media, bilateral
Possible procedure: CPT {CP('69436')}
Insurance: CareBridge Ohio Medicaid, Medicaid ID {c.mid()}
Guardian phone: {c.p('paren')}
Address: {c.addr_block(', ')}

{sig('achterberg')}
"""
    return m


def peds_newborn():
    born = wd(next_date(), -2)
    c = Pt(child=True, born=born)
    a = S['achterberg']
    mother = relative_of(c, 'F')
    nursery = Who('St. Brigid Newborn Nursery', 'nursery@stbrigid.example')
    m = Mail('hospital', nursery, [W['peds_inbox']], 'Newborn discharge - PCP follow-up needed in 24-48h')
    m.text = f"""NEWBORN DISCHARGE NOTIFICATION - please schedule follow-up within 24-48 hours

Infant: {c.n()}
Date of birth: {c.d('mdy')}    Time of birth: 13:47
Hospital MRN: {c.hm()}
Mother: {mother} {c.last}
Parent phone: {c.p('dash')}
GA 38w5d, birth weight 3,120 g, discharge weight 2,905 g (-6.9%)
Feeding: breast, supplementing 10-15 mL after feeds
Bilirubin: TcB 11.2 at 40 hours of life (low-intermediate risk zone)
Hep B vaccine given; newborn screen collected; CCHD screen passed; hearing screen passed both ears.
Diagnoses: {IC('Z00.110')}, {IC('P59.9')}

Pediatrician of record: Ben Achterberg, MD, Millbrook Pediatrics
Discharging provider: Hilary Dunmore, MD (newborn hospitalist)
Nursery phone: {PH('(614) 298-6140')}
"""
    return m


def peds_vfc_csv():
    d = S['lindqvist']
    mgr = Who('Pediatrics Practice Manager', f'peds-manager@{MMP}')
    m = Mail('peds', d, [mgr], 'VFC doses administered - Feb (for state report)')
    vacc = [('DTaP', '20', '90700'), ('IPV', '10', '90713'), ('MMR', '03', '90707'), ('HepB-peds', '08', '90744')]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['Patient Name', 'DOB', 'MRN', 'Vaccine', 'CVX', 'CPT', 'Lot', 'Date Given', 'VFC Eligibility'])
    n = 0
    for _ in range(9):
        c = child((0, 6))
        for v in R.sample(vacc, R.randint(1, 2)):
            w.writerow([c.n('lf'), c.d('mdy'), c.m(), v[0], v[1], CP(v[2]), N(R.choice(UP) + R.choice(UP) + digits(4) + R.choice(UP)),
                        fdate(dt.date(2025, 2, R.randint(3, 27))), R.choice(['V02 Medicaid', 'V03 Uninsured', 'V05 Underinsured'])])
            n += 1
    m.attach('vfc_doses_feb.csv', buf.getvalue())
    m.text = f"""Hi Maria,

Attached is the February VFC export ({n} doses). Two lot numbers didn't match the inventory log, I fixed
them in the export but the ChartLine entries still need correcting.

Deb

{sig('lindqvist')}
"""
    return m


def peds_devscreen_billing():
    c = child((1, 3))
    b, a = S['baines'], S['achterberg']
    m = Mail('billing', b, [a], f'18 mo WCC - {c.n("lf")} - dx question')
    m.text = f"""Dr. Achterberg,

For the 18-month well visit on {fdate(wd(m.date, -3), 'md')} ({c.n("lf")}, MRN {c.m()}), you documented a failed M-CHAT and
the developmental screen was abnormal, so I changed the primary dx from {IC('Z00.129')} to {IC('Z00.121')} and added
{IC('R62.0')}. Charges are {CP('99392')}, {CP('96110')} and {CP('96127')}.

Please confirm and I'll release it.

{sig('baines')}
"""
    return m


# ============================================================================
# ONCOLOGY INFUSION
# ============================================================================
REGIMENS = [('Carboplatin/paclitaxel', 'C34.11', 'C1D1'), ('FOLFOX', 'C18.7', 'C4D1'), ('AC-T (paclitaxel)', 'C50.412', 'C6D1'),
            ('Pembrolizumab', 'C34.90', 'C8D1'), ('Daratumumab/len/dex', 'C90.00', 'C3D8'), ('R-CHOP', 'C83.30', 'C2D1'),
            ('Trastuzumab maint.', 'C50.911', 'C11D1'), ('Leuprolide', 'C61', 'q3mo')]


def onc_chair_schedule():
    r = S['rao']
    m = Mail('infusion', r, [W['infusion']], f'Chair assignments {fdate(wd(next_date(), 1), "dows")} - final')
    rows = []
    times = sorted(R.sample(range(7 * 4 + 2, 12 * 4), 8))
    for i in range(8):
        p = pt((35, 82))
        reg = R.choice(REGIMENS)
        t = f'{times[i] // 4}:{(times[i] % 4) * 15:02d}'
        note = R.choice(['port access, labs from port', 'premed: dex 12 mg, diphenhydramine 25 mg', 'CBC pending - hold until resulted',
                         'wt change >5%, pharmacy to recalc', 'interpreter (Nepali) 9:00', 'first dose - observe 30 min', '', 'PIV, poor veins'])
        rows.append([f'Chair {i + 1}', t, p.n('lf'), p.m(), reg[0], reg[2], note])
    m.blocks = [
        ('p', 'Good afternoon all,'),
        ('p', 'Final chair assignments for tomorrow are below. Please review your patients tonight and check that orders are '
              'released and signed. Two RNs are floating from 4 West until noon.'),
        ('table', ['Chair', 'Time', 'Patient', 'MRN', 'Regimen', 'Cycle', 'Notes'], rows),
        ('p', 'Reminder: double-check every chemo order against the treatment plan, and document port flushes.'),
        ('sig', sig('rao')),
    ]
    return m


def onc_dose_verify_thread():
    p = pt((50, 80))
    h, mh = S['halvorsen'], S['mehta']
    m1 = Mail('infusion', h, [mh], f'Carbo dose check - {p.n()} - C3D1 tomorrow')
    wt = R.randint(58, 96)
    crcl = R.randint(52, 95)
    dose = 5 * (crcl + 25)
    t1 = f"""Dr. Mehta,

Verifying tomorrow's doses for {p.n()} (MRN {p.m()}, DOB {p.d('mdy1')}) before I release to compounding.

  Wt {wt} kg (down 6% from C1), Ht 170 cm, BSA 1.{R.randint(60, 99)} m2
  SCr 0.9, CrCl (Cockcroft-Gault) {crcl} mL/min
  Carboplatin AUC 5 = {dose} mg  -- NDC {ND(gen_ndc('532'))} (450 mg/45 mL vials)
  Paclitaxel 175 mg/m2           -- NDC {ND(gen_ndc('541'))}
  Premeds: dexamethasone 20 mg ({N('J1100')}), fosaprepitant 150 mg ({N('J1453')}), palonosetron 0.25 mg ({N('J2469')})

Weight change is >5% so I recalculated - carbo drops from {dose + 40} to {dose} mg. Ok to proceed with the new dose?
Billing will be {CP('96413')} + {CP('96415')} x2 + {CP('96417')}, dx {IC('C34.11')} / {IC('Z51.11')}.

Greg"""
    m1.text = t1 + '\n\n' + sig('halvorsen') + '\n'
    m2 = Mail('infusion', mh, [h], f'RE: Carbo dose check - {p.n()} - C3D1 tomorrow')
    m2.text = f"""Yes, use the recalculated dose. Also add olanzapine 5 mg qhs x 3 days - {p.he} had a rough week after C2.

AM

{gmail_attrib(h, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def onc_reaction_note():
    p = pt((40, 75), sex='F')
    r, mh = S['rao'], S['mehta']
    m = Mail('infusion', r, [mh], f'Infusion reaction - {p.n("lf")} - chair 6')
    m.text = f"""Dr. Mehta,

FYI - {p.n()} (MRN {p.m()}) had a hypersensitivity reaction 8 minutes into paclitaxel today (C1D1).

- flushing, chest tightness, back pain; BP 158/94, HR 118, SpO2 95% RA
- infusion stopped 10:42, NS wide open, hydrocortisone 100 mg IV + famotidine 20 mg IV per standing orders
- symptoms resolved by 11:05, VS back to baseline 11:20
- rechallenged at 50% rate 11:50 per your verbal order, completed without issues

Dx for the visit: {IC('C50.412')}, {IC('T80.89XA')}, {IC('Z51.11')}
Daughter was with her and has the after-hours number, {dphone('onc')}.

Please co-sign the verbal order when you get a chance.

Sunita
"""
    return m


def onc_pembro_pa():
    p = pt((55, 64))
    while not p.member_:
        p = pt((55, 64))
    mh = S['mehta']
    payer = Who(f'{p.plan} - Medical Pharmacy PA', 'medpharm-pa@' + PLAN_DOMAIN[p.plan])
    m = Mail('infusion', payer, [S['delgado']], f'PA approved: pembrolizumab - {p.n("LF")}')
    start = wd(m.date, 1)
    m.blocks = [
        ('h', 'Medical Benefit Drug Authorization - APPROVED'),
        ('table', ['Field', 'Value'], [
            ['Member name', p.n('LF')], ['Member ID', p.mid()], ['Date of birth', p.d()],
            ['Case number', N('MBD-' + digits(8))], ['Drug', f'pembrolizumab (Keytruda) 200 mg IV q3w, {N("J9271")} x 200 units'],
            ['Administration', f'CPT {CP("96413")}'], ['Diagnosis', f'{IC("C34.90")}, {IC("Z51.12")}'],
            ['Requesting provider', f'Anil Mehta, MD (NPI {mh.npi()})'],
            ['Site of care', f'Millbrook Cancer & Infusion Center, {daddr("onc", True)}'],
            ['Approved', f'{fdate(start)} - {fdate(start + dt.timedelta(days=182))}, 9 administrations']]),
        ('p', 'Site-of-care: this approval applies to the physician office setting only. Hospital outpatient administration '
              'requires a separate review.'),
        ('p', 'This is an automated notification. Questions: ' + PH('(866) 208-4471') + '.'),
    ]
    return m


def onc_port_flush():
    p = pt((40, 80))
    r = S['rao']
    m = Mail('infusion', r, [W['onc_inbox']], 'port flush order needed')
    m.text = f"""Nav team - {p.n("lf")} ({p.d('mdy')}) finished tx in Dec, port still in, due for monthly flush. No active
order in the chart. Can someone ask Dr. Mehta to put in a standing order (port flush q4-6wk, {CP('96523')},
dx {IC('Z45.2')}, {IC('Z92.21')})? Pt's coming {fdate(wd(m.date, 5), 'dows')} anyway.

S.
"""
    return m


def onc_outside_records_fwd():
    p = pt((45, 75), sex='F')
    mh, r = S['mehta'], S['rao']
    bci = Who('Buckeye Cancer Institute - Medical Records', 'records@buckeyecancer.example')
    od = earlier(next_date(), 60 * 30)
    osub = f'Records for transfer of care: {p.n()}'
    orig = f"""Per your request, summary of treatment for transfer of care. Full records were faxed to {dfax('onc', 'dash')}.

Patient: {p.n()}
DOB: {p.d('short')}
BCI MRN: {T('mrn', 'BCI' + digits(7))}
Diagnosis: Invasive ductal carcinoma, left breast, upper outer quadrant, pT2 N1a, ER+/PR+/HER2- ({IC('C50.412')})
Surgery: left partial mastectomy + SLNB ({fdate(dt.date(2024, R.randint(5, 8), R.randint(1, 28)))})
Chemo: dose-dense AC x4 completed; weekly paclitaxel x 7 of 12 given
Toxicity: grade 2 peripheral neuropathy ({IC('G62.0')}) - paclitaxel dose reduced 20% from week 6
Last dose: {fdate(wd(od, -8))}

BCI Medical Records | {PH('(614) 688-2140')}"""
    m = Mail('infusion', mh, [r], f'FW: {osub}')
    m.text = f"""Sunita - she's transferring to us to finish paclitaxel (moving closer to family). Please get her on the
schedule for next week, weeks 8-12 at 80% dose. I'll write the plan today.

Anil

-----Original Message-----
{outlook_hdr(bci, [mh], od, osub)}

{orig}
"""
    return m


def onc_copay_assist():
    p = pt((45, 64))
    while not p.member_:
        p = pt((45, 64))
    d = S['delgado']
    fnd = Who('PatientAssist Foundation - Intake', 'intake@patientassist.example')
    m = Mail('infusion', d, [fnd], f'Copay assistance application - {p.n()}')
    last4 = R.randint(1000, 9999)
    m.text = f"""Hello,

Submitting a copay assistance application on behalf of our patient. Signed HIPAA authorization and proof
of income are attached to the fax sent today (confirmation {N('FX' + digits(8))}).

Patient name: {p.n()}
Date of birth: {p.d()}
SSN (last 4): {N(f'XXX-XX-{last4}')}
Address: {p.addr_block(', ')}
Phone: {p.p('dash')}
Email: {p.em()}
Household size: {R.randint(1, 5)}
Annual household income: ${R.randint(38, 92)},{R.randint(100, 999)}
Primary insurance: {p.plan}
Member ID: {p.mid()}
{p.group_}
Diagnosis: {IC('C18.7')} Malignant neoplasm of sigmoid colon
Treatment: FOLFOX + bevacizumab, every 14 days
Treating physician: Anil Mehta, MD, NPI {S['mehta'].npi()}

Please let me know if you need anything else.

{sig('delgado')}
"""
    return m


def onc_charge_export():
    m = Mail('infusion', Who('Infusion Charge Capture', f'charges-noreply@{MMP}'), [W['billing']],
             'DAILY CHARGE CAPTURE - INFUSION - EXCEPTIONS')
    dos = wd(next_date(), -1)
    rows = []
    for _ in range(7):
        p = pt((30, 85))
        c = R.choice([('96413', '1', 'J9045'), ('96415', '2', 'J9267'), ('96401', '1', 'J9355'), ('96372', '1', 'J2506'),
                      ('96360', '1', ''), ('36591', '1', ''), ('96367', '1', 'J1453')])
        dx = R.choice(REGIMENS)[1]
        ex = R.choice(['MISSING STOP TIME', 'NDC UNITS MISMATCH', 'DX NOT ON PLAN', 'NO ORDER LINKED', 'OK'])
        rows.append([p.n('LF'), p.m(), CP(c[0]), c[1], N(c[2]) if c[2] else '-', IC(dx), ex])
    tbl = plain_table(['PT NAME', 'MRN', 'CPT', 'UNITS', 'HCPCS', 'DX', 'EXCEPTION'], rows)
    m.text = f"""MILLBROOK CANCER & INFUSION CTR      CHARGE CAPTURE EXCEPTION REPORT
DOS: {fdate(dos)}        RUN: {fdate(wd(dos, 1))} 05:30        DEPT: 110-INFUSION

{tbl}

TOTAL LINES: 7     EXCEPTIONS: {sum(1 for r in rows if r[-1] != 'OK')}
*** CORRECT EXCEPTIONS BEFORE 12:00 NOON FOR SAME-DAY CLAIM RELEASE ***
"""
    return m


def onc_daughter_side_effects():
    p = pt((65, 85), sex='M')
    dtr = relative_of(p, 'F')
    dw = Who(f'{dtr} {p.last}', f'{asciify(dtr).lower().split()[0]}{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")[:6]}@{R.choice(EMAIL_DOMAINS)}')
    m = Mail('family', dw, [W['onc_inbox']], 'My dad - bad week after chemo')
    m.text = f"""Hello,

I'm writing about my father, {p.n()}. He had his third FOLFOX treatment last Tuesday with Dr. Mehta
and this week has been really hard. He has had diarrhea 5-6 times a day since Friday, he's barely eating, and
his hands tingle when he touches anything cold. He doesn't want to "bother anyone" so I'm emailing for him.

His birthday is {p.d('mdy1')} in case you need it to look him up. He still has the pump disconnect
appointment on Thursday.

Should we bring him in sooner? I'm his healthcare POA. My cell is {PH(fph(gen_phone(), 'dash'))}, or his house
phone {p.p('dash')}.

Thank you,
{dtr}
"""
    return m


def onc_handoff():
    r = S['rao']
    m = Mail('infusion', r, [W['infusion']], 'pm handoff')
    items = []
    order = R.sample(range(5), 4)
    for k in range(4):
        p = pt((35, 85))
        items.append(([
            f'{p.n("lf")} (chair 3) - still running, rituximab at 300 mg/hr, due to finish ~16:40. VS q30.',
            f'{p.n()} - K 3.1, 20 mEq KCl PO given, Dr. Mehta aware. recheck w/ next labs.',
            f'{p.n("lf")} MRN {p.m()} - needs pump disconnect Thurs, not on sched yet!!',
            f'{p.n()} - port won\'t draw, alteplase 2 mg instilled 14:10, check at 14:40.',
            f'{p.n("lf")} - denied by ins for Neulasta onpro ({N("J2506")}), Rosa working on it, give sched appt for inj instead.',
        ])[order[k]])
    body = '\n'.join('- ' + i for i in items)
    m.text = f"""Handoff for evening RN:

{body}

pharmacy closes at 19:00 tonight (inventory). anything after that call the main pharm x4400.
S
"""
    return m


# ============================================================================
# ENDOCRINOLOGY
# ============================================================================
def endo_cgm_summary():
    p = pt((40, 75))
    n, s = S['natarajan'], S['salinas']
    m = Mail('endocrinology', n, [s], f'CGM review - {p.n()}')
    tir = R.randint(42, 68)
    m.text = f"""Dr. Salinas,

Reviewed 14-day CGM download for our mutual patient {p.n()} ({p.d('mdy1')}, MRN {p.m()}).

* Time in range 70-180: {tir}%   (goal >70%)
* Time above 250: {R.randint(8, 22)}%
* Time below 70: {R.choice(['<1', '2', '3', '5'])}%
* GMI 7.9%, CV 31%
* Pattern: post-dinner spikes to 280-300 most days; overnight stable
* Last A1c 8.4% ({fdate(wd(m.date, -30), 'md')})

Plan
* Increase insulin aspart with dinner from 6 to 9 units, keep glargine 24 u
* Start empagliflozin 10 mg daily if eGFR stays >30 (last 58)
* RTC 3 months, sooner if lows

Dx {IC('E11.65')}, {IC('Z79.4')}. Billed {CP('95251')} for the interpretation.

Best,
{sig('natarajan')}
"""
    return m


def endo_pump_training():
    p = pt((20, 55))
    f = S['feld']
    pw = pwho(p)
    m = Mail('endocrinology', f, [pw], 'Insulin pump start - what to bring')
    appt = wd(m.date, 7)
    m.text = f"""Hi {p.first},

Great news - your pump was approved and shipped! Here are the details for your training visit:

  Training for: {p.n()}
  Date: {fdate(appt, 'dow')}, 9:00 AM - 12:00 PM
  Where: Diabetes Education room, {daddr('endo', True)}

Please bring:
  1. The pump box (unopened is fine) and the infusion sets
  2. Your CGM phone/receiver, charged
  3. Insulin (rapid-acting vial) and something to snack on
  4. Your log or app of the last week

Take your usual long-acting insulin the night before but NOT the morning of training. We'll start basal on the
pump when you're here.

I have your e-mail as {p.em()} and cell {p.p('dash', cell=True)} - let me know if either has changed.

{sig('feld')}
"""
    return m


def endo_fna_request():
    p = pt((30, 70), sex='F')
    n = S['natarajan']
    m = Mail('endocrinology', n, [W['endo_inbox']], f'Please schedule thyroid FNA - {p.n()}')
    m.text = f"""Team,

Please schedule US-guided FNA of the right thyroid nodule for {p.n()}, DOB {p.d('mdy')}, in the procedure clinic.

- Nodule: right lower pole, 1.8 x 1.4 x 1.5 cm, solid hypoechoic, TI-RADS 4 (US {fdate(wd(m.date, -6))}, {CP('76536')})
- Procedure: FNA with US guidance, CPT {CP('10005')}, Afirma sample to be collected
- Dx {IC('E04.1')}
- not on anticoagulants; ok to hold aspirin x 5 days

Cell phone per chart {p.p('paren', cell=True)}. She prefers morning appointments.

Thanks,
PN
"""
    return m


def endo_referral_letter():
    p = pt((50, 78))
    mc, n = S['marchetti'], S['natarajan']
    m = Mail('endocrinology', mc, [n], f'New referral - hypercalcemia - {p.n("lf")}')
    m.blocks = [
        ('p', 'Dear Dr. Natarajan,'),
        ('p', f'I would appreciate your evaluation of {p.n()} for persistent hypercalcemia with an elevated PTH, '
              'consistent with primary hyperparathyroidism.'),
        ('kv', [('Patient name', p.n()), ('DOB', p.d('mdy1')), ('Phone', p.p('paren')), ('Address', p.addr()),
                ('Insurance', plan_line(p))]),
        ('table', ['Lab', 'Result', 'Reference', 'Date'], [
            ['Calcium', '10.9 mg/dL', '8.6-10.3', fdate(wd(m.date, -40))],
            ['Calcium', '11.1 mg/dL', '8.6-10.3', fdate(wd(m.date, -10))],
            ['Intact PTH', '88 pg/mL', '15-65', fdate(wd(m.date, -10))],
            ['25-OH vitamin D', '24 ng/mL', '30-100', fdate(wd(m.date, -10))],
            ['eGFR', '71', '>60', fdate(wd(m.date, -10))]]),
        ('p', f'Diagnoses: {IC("E21.0")} primary hyperparathyroidism; {IC("E55.9")} vitamin D deficiency. '
              f'DXA last year showed a forearm T-score of -2.6 ({IC("M81.0")}). No history of kidney stones.'),
        ('p', 'Thank you for seeing this patient.'),
        ('sig', sig('marchetti')),
    ]
    return m


def endo_glp1_pa():
    p = pt((35, 63))
    while not p.member_:
        p = pt((35, 63))
    n = S['natarajan']
    m = Mail('pbm', W['pbm'], [W['endo_inbox']], 'Prior Authorization Determination - APPROVED')
    m.blocks = [
        ('p', 'ScriptWell Pharmacy Solutions has completed its review of the following request.'),
        ('kv', [('Determination', 'APPROVED'), ('PA case ID', N('PA-' + digits(9))),
                ('Member', p.n()), ('Rx member ID', T('member_id', 'SW' + digits(9))), ('Date of birth', p.d()),
                ('Drug', 'semaglutide 2 mg/3 mL pen (Ozempic), 1 pen per 28 days'),
                ('NDC', ND(gen_ndc('541'))), ('Diagnosis', f'{IC("E11.65")} Type 2 diabetes mellitus with hyperglycemia'),
                ('Prescriber', f'Priya Natarajan, MD - NPI {n.npi()}'),
                ('Effective', f'{fdate(m.date)} through {fdate(m.date + dt.timedelta(days=365))}')]),
        ('p', 'The member\'s pharmacy can now process the claim. This approval does not guarantee payment; coverage is subject to '
              'eligibility at the time of fill.'),
        ('p', 'Prescriber services: ' + PH('(877) 304-6620') + ' | Fax ' + PH('(877) 304-6629')),
    ]
    return m


def endo_lows_thread():
    p = pt((20, 45))
    f = S['feld']
    pw = pwho(p)
    m1 = Mail('patient', pw, [f], 'lows at night again')
    t1 = f"""Hi Rachel,

Sorry to bother you again. I had 3 lows overnight this week (58, 61 and 49 on Wednesday at 3am). I've been doing the
14 units of Tresiba like we talked about and 1:10 carb ratio. I did go to the gym more this week, maybe that's it?

{p.first}
({p.n()}, {p.d('mdy1')})"""
    m1.text = t1 + '\n'
    m2 = Mail('endocrinology', f, [pw], 'RE: lows at night again')
    m2.text = f"""Hi {p.first},

Not a bother at all - that's exactly what I want to know about. More exercise is very likely the reason; activity
lowers glucose for up to 24 hours afterward.

Dr. Natarajan reviewed your readings and would like you to:
  - decrease Tresiba from 14 to 12 units starting tonight
  - on gym days, have a 15 g carb snack at bedtime if you're under 120
  - keep your glucagon where your family can find it

Send me your readings again next Friday.

Rachel

{sig('feld')}

{gmail_attrib(pw, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def endo_dxa_letter():
    p = pt((60, 80), sex='F')
    n = S['natarajan']
    m = Mail('endocrinology', n, [S['whitfield']], f'DXA result - {p.n()}')
    m.text = f"""Dr. Whitfield,

DXA for {p.n()} (DOB {p.d('mdy')}) done {fdate(wd(m.date, -5), 'md')} ({CP('77080')}):

L1-L4 T-score -2.7, femoral neck -2.4, total hip -2.0. FRAX 10-yr major osteoporotic fracture 21%, hip 4.6%.

Impression: osteoporosis, {IC('M81.0')}. Vitamin D 31, calcium normal, TSH normal.
Recommend alendronate 70 mg weekly if no contraindication (no GERD per chart), calcium 1200 mg/day total
including diet, vitamin D3 1000 IU daily, and weight-bearing exercise. Repeat DXA in 2 years.

Happy to see her in clinic if you'd prefer we manage this.

Priya

{sig('natarajan')}
"""
    return m


def endo_pump_dme():
    p = pt((18, 50))
    while not p.member_:
        p = pt((18, 50))
    f, n = S['feld'], S['natarajan']
    m = Mail('endocrinology', f, [W['keystone']], f'Insulin pump order - {p.n("lf")}')
    m.text = f"""Hello Keystone intake,

New insulin pump order for {p.n()}.

DOB: {p.d('mdyd')}
Phone: {p.p('dash')}
Ship to: {p.addr_block(', ')}
Insurance: {p.plan} / Member ID {p.mid()} / {p.group_}
Dx: {IC('E10.65')} Type 1 diabetes with hyperglycemia, {IC('Z79.4')}
Items: {N('E0784')} pump, infusion sets and reservoirs x 90 days; CGM sensors ({N('A9276')}) already through pharmacy
C-peptide 0.1 ng/mL with glucose 212 ({fdate(wd(m.date, -20), 'md')}) - qualifies
Prescriber: Priya Natarajan, MD, NPI {n.npi()}

Signed order + last 2 visit notes faxed to {PH('614-871-0970')} this morning.

Thank you!
{sig('feld')}
"""
    return m


def endo_overdue_a1c_txt():
    f, n = S['feld'], S['natarajan']
    m = Mail('endocrinology', f, [n], 'overdue A1c list (TSV attached)')
    lines = ['MRN\tPatient\tDOB\tLast A1c\tLast A1c date\tPhone']
    for _ in range(10):
        p = pt((25, 80))
        lines.append('\t'.join([p.m(), p.n('lf'), p.d('mdy'), f'{R.randint(72, 118) / 10:.1f}',
                                fdate(dt.date(2024, R.randint(3, 9), R.randint(1, 28))), p.p('dash')]))
    m.attach('overdue_a1c.txt', '\n'.join(lines) + '\n', 'plain')
    m.text = f"""Dr. N,

Here's the list of your patients with no A1c in 6+ months ({CP('83036')} not resulted since last summer). Tab-separated so it opens in Excel.
I'll start calling the top half tomorrow - let me know if anyone should be skipped.

R.
"""
    return m


def endo_adrenal_sick_day():
    p = pt((25, 60))
    n = S['natarajan']
    pw = pwho(p)
    m = Mail('endocrinology', n, [pw], f'Re: {p.n()} - sick day steroid plan')
    m.text = f"""Hello {p.first},

As we discussed at your visit, here is your written sick-day plan for adrenal insufficiency ({IC('E27.1')}).

Usual dose: hydrocortisone 15 mg in the morning, 5 mg at 2 pm.
- Fever over 100.4 F, vomiting once, or flu-like illness: DOUBLE both doses until 24 hours after you feel well.
- Fever over 102 F: TRIPLE both doses.
- Vomiting more than once or unable to keep pills down: use the Solu-Cortef 100 mg injection and go to the ER.
  Show them your emergency card.

Please make sure your medical ID bracelet is current. Call the office at {dphone('endo', 'dot')} with questions.

Dr. Natarajan
"""
    return m


# ============================================================================
# SLEEP LAB
# ============================================================================
def sleep_schedule_export():
    night = wd(next_date(), 0)
    m = Mail('sleep', Who('SleepWorks Scheduler', f'sleepworks@{MMP}'), [W['sleepsched']],
             f'NIGHTLY SCHEDULE {fdate(night)} - BEDS 1-6')
    studies = [('PSG', '95810', 'G47.33'), ('SPLIT', '95811', 'G47.33'), ('TITR', '95811', 'G47.30'),
               ('PSG', '95810', 'R06.83'), ('PSG+MSLT', '95805', 'G47.419'), ('PSG', '95810', 'G25.81')]
    rows = []
    for bed in range(1, 7):
        p = pt((25, 78))
        st = R.choice(studies)
        rows.append([str(bed), p.n('LF'), p.d('mdy'), p.m(), st[0], CP(st[1]), IC(st[2]),
                     PH(fph(p.phone_, 'dash')), R.choice(['BELL', 'OYELARAN', 'KRUPP'])])
    tbl = plain_table(['BED', 'PATIENT NAME', 'DOB', 'MRN', 'STUDY', 'CPT', 'DX', 'HOME PHONE', 'TECH'], rows)
    m.text = f"""MILLBROOK SLEEP DISORDERS CENTER - NIGHTLY STUDY SCHEDULE
STUDY NIGHT: {fdate(night)}    CHECK-IN 20:00-21:00    PRINTED BY: SYSTEM

{tbl}

NOTES:
BED 4 - WHEELCHAIR, NEEDS ASSIST W/ TRANSFERS
BED 6 - PT REQUESTS FEMALE TECH IF AVAILABLE
** CONFIRMATION CALLS DUE BY 15:00 **
"""
    return m


def sleep_psg_thread():
    p = pt((40, 70), sex='M')
    b, l = S['bell'], S['lau']
    m1 = Mail('sleep', b, [l], f'PSG scored - {p.n("lf")} - severe, needs titration')
    study = wd(m1.date, -1)
    t1 = f"""Dr. Lau,

{p.n()} (MRN {p.m()}) diagnostic PSG from {fdate(study, 'md')} is scored & ready to read.

AHI 32.4 (supine 58, non-supine 14), RDI 38.0
SpO2 nadir 79%, T90 11.2%
sleep efficiency 74%, lots of pos. changes
PLMI 6, no arrhythmias
never made it to split criteria in the first 2 hrs bc of the sleep latency (97 min)

Prob {IC('G47.33')} - he'll need a titration ({CP('95811')}). Want me to put in the order & start the auth?

-Marcus"""
    m1.text = t1 + '\n'
    m2 = Mail('sleep', l, [b], f'RE: PSG scored - {p.n("lf")} - severe, needs titration')
    m2.text = f"""Yes please. Also offer him auto-CPAP from Keystone in the meantime if insurance will cover it without
the titration - he drives for work and was falling asleep at lights.

KL

{gmail_attrib(b, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def sleep_cpap_order():
    p = pt((66, 82))
    l = S['lau']
    m = Mail('sleep', l, [W['keystone']], f'CPAP order - {p.n()} - Medicare')
    f2f = wd(m.date, -4)
    m.text = f"""Keystone intake,

New CPAP order below. Face-to-face visit and PSG report are faxed separately.

PATIENT
  Name: {p.n()}
  DOB: {p.d('mdy')}
  Medicare MBI: {p.mbi(dashed=True)}
  Phone: {p.p('paren')}
  Address: {p.addr_block(', ')}

ORDER
  Device: auto-CPAP ({N('E0601')}) with heated humidifier ({N('E0562')})
  Settings: APAP 6-16 cm H2O, EPR 2
  Interface: nasal pillows ({N('A7034')}), patient preference; fitting by RT
  Supplies: per Medicare replacement schedule
  Length of need: 99 months
  Diagnosis: {IC('G47.33')} Obstructive sleep apnea; AHI 24.6 on HSAT
  F2F date: {fdate(f2f)}

Ordering physician: Kenneth Lau, MD  NPI {l.npi()}

Please send compliance data at 30 and 90 days.

{sig('lau')}
"""
    return m


def sleep_compliance_report():
    k, l = S['sikes'], S['lau']
    m = Mail('dme', k, [l], '90-day compliance report - Millbrook Sleep patients')
    rows = []
    for _ in range(6):
        p = pt((35, 80))
        use = R.randint(38, 97)
        rows.append([p.n(), p.d(), fdate(dt.date(2024, R.randint(9, 12), R.randint(1, 28))), f'{use}%',
                     f'{R.randint(3, 8)}h {R.randint(0, 59):02d}m', f'{R.randint(1, 9)}.{R.randint(0, 9)}',
                     'Yes' if use >= 70 else 'NO - outreach'])
    m.blocks = [
        ('p', 'Dr. Lau,'),
        ('p', 'Below is the 90-day adherence summary for patients set up this quarter. Medicare/commercial adherence '
              'threshold is 4+ hours on 70% of nights in a consecutive 30-day period.'),
        ('table', ['Patient', 'DOB', 'Setup date', 'Nights >= 4h', 'Avg use', 'Residual AHI', 'Meets compliance'], rows),
        ('p', 'We have reached out to the non-adherent patients and offered mask refits. Let us know if you would like any '
              'of them seen in clinic before their 90-day window closes.'),
        ('sig', sig('sikes')),
        ('p', DISC_KEY),
    ]
    return m


def sleep_hsat_return():
    p = pt((30, 70))
    pw = pwho(p)
    m = Mail('sleep', W['sleepsched'], [pw], 'Reminder: please return your home sleep test device')
    ups = '1Z' + ''.join(R.choice(UP + DIG) for _ in range(6)) + digits(10)
    m.text = f"""Hello,

Our records show the home sleep apnea test device checked out on {fdate(wd(m.date, -6), 'long')} has not been
returned yet.

Patient: {p.n()}
Device: WatchPAT-style disposable kit, serial {N(R.choice(UP) + R.choice(UP) + digits(7))}
Prepaid return label tracking: {N(ups)}

Please drop the box at any UPS location, or bring it to the front desk at {daddr('sleep', True)}.
If you already returned it, thank you - you can ignore this message. Results are usually available 7-10
business days after we receive the device.

Millbrook Sleep Disorders Center
{dphone('sleep')}
"""
    return m


def sleep_titration_auth():
    p = pt((30, 63))
    while not p.member_:
        p = pt((30, 63))
    b = S['bell']
    m = Mail('sleep', b, [W['billing']], f'auth needed - CPAP titration - {p.n("lf")}')
    m.text = f"""Hi billing,

Need an auth started for a titration study.

Pt: {p.n("lf")}
DOB: {p.d('mdy1')}
Ins: {p.plan}  Member #: {p.mid()}
CPT {CP('95811')}, dx {IC('G47.33')}, {IC('E66.01')}
Diagnostic PSG {CP('95810')} done {fdate(wd(m.date, -8), 'md')}, AHI 41
Ordering: Dr. Lau, NPI {S['lau'].npi()}

Clinicals are in the chart under Media. Thanks!
Marcus
"""
    return m


def sleep_modafinil():
    p = pt((22, 45))
    l = S['lau']
    rph = Who('Scioto Valley Pharmacy', 'rx@sciotovalleyrx.example')
    m = Mail('sleep', l, [rph], f'modafinil Rx - {p.n()}')
    m.text = f"""Good afternoon,

Per your request for prescriber verification on the modafinil prescription (C-IV) for {p.n()}, DOB {p.d('short')}:

  modafinil 200 mg tab, NDC {ND(gen_ndc('532'))}, 1 tab qAM, #30, RF 2
  Dx: {IC('G47.419')} Narcolepsy without cataplexy (PSG/MSLT {CP('95805')} on file: mean sleep latency 3.5 min, 3 SOREMPs)
  Prescriber: Kenneth Lau, MD
  NPI {l.npi()}   DEA {l.dea()}

Rx #{N(digits(7))} on your end. Call {dphone('sleep')} with any questions.

{sig('lau')}
"""
    return m


def sleep_mask_leak():
    p = pt((55, 80))
    pw = pwho(p)
    m = Mail('patient', pw, [W['keystone']], 'CPAP mask leaking - need a different size')
    m.text = f"""To whom it may concern,

My name is {p.n()} and I got my CPAP from you in November. Date of birth {p.d('mdy1')}.
The mask (the medium full face one) leaks around my nose all night and the machine app says my leak is
"high" almost every night. I've tried tightening the straps but then it hurts the bridge of my nose.

Can you send me a smaller size or a different kind? My address is

{p.addr_block()}

and my phone is {p.p('dot')}. I'm not good with the website so a call is better.

Thank you,
{p.first} {p.last[0]}.
"""
    return m


# ============================================================================
# DERMATOLOGY
# ============================================================================
def derm_mohs_referral():
    p = pt((55, 85))
    f = S['fontaine']
    mohs = Who('Ilse Brandt, MD - Mohs Surgery', 'ibrandt@lakeviewdermsurg.example')
    m = Mail('dermatology', f, [mohs], f'Mohs referral {p.n("lf")}')
    m.text = f"""Ilse -

{p.n()}, DOB {p.d()}, MRN {p.m()}. Nodular BCC L nasal ala, bx {fdate(wd(m.date, -10), 'md')}, 7 mm clinically.
Dx {IC('C44.311')}. Pls see for Mohs ({CP('17311')}, likely {CP('17312')} x1) + repair. On clopidogrel - cardiology ok'd
holding 5 d. Pt phone {p.p('dash')}.

Path attached in portal.

Thanks
{sig('fontaine')}
"""
    return m


def derm_biopsy_thread():
    t, f = S['tran'], S['fontaine']
    m1 = Mail('dermatology', t, [f], "today's bx's - pls co-sign")
    rows = []
    sites = R.sample(['R upper back', 'L shin', 'scalp vertex', 'R cheek', 'L forearm', 'mid chest', 'R helix', 'L temple'], 4)
    for site in sites:
        p = pt((25, 85))
        meth = R.choice([('shave', '11102'), ('punch 4mm', '11104')])
        dx = R.choice(['D48.5', 'D48.5', 'D22.5', 'L82.1'])
        ro = {'D48.5': R.choice(['SCC', 'BCC', 'SCC vs KA']), 'D22.5': 'atypical nevus', 'L82.1': 'ISK vs BCC'}[dx]
        rows.append(f'{p.n("lf")} ({p.d("mdy1")}) - {site}, {meth[0]} {CP(meth[1])}, r/o {ro}, dx {IC(dx)}')
    body = '\n'.join(rows)
    t1 = f"""Dr. F -

bx's from my schedule today, all sent to Lakeview path:

{body}

also 12 AKs destroyed on pt #2 ({CP('17000')} + {CP('17003')} x11).

JT"""
    m1.text = t1 + '\n'
    m2 = Mail('dermatology', f, [t], "RE: today's bx's - pls co-sign")
    m2.text = f"""signed. for the {sites[0].split()[-1]} one call me w/ path, if it's SCC they'll need Mohs not ED&C.

CF

{gmail_attrib(t, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def derm_path_results():
    lab = Who('Lakeview Dermatopathology', 'results@lakeviewdermpath.example')
    m = Mail('dermatology', lab, [W['derm_inbox']], 'Finalized dermatopathology reports (4)')
    rows = []
    outcomes = [('Basal cell carcinoma, nodular', 'C44.319'), ('Squamous cell carcinoma, well differentiated', 'C44.42'),
                ('Compound nevus, mild atypia', 'D22.5'), ('Seborrheic keratosis, irritated', 'L82.1'),
                ('Melanoma in situ', 'D03.59'), ('Actinic keratosis, hypertrophic', 'L57.0')]
    for _ in range(4):
        p = pt((25, 90))
        o = R.choice(outcomes)
        rows.append([p.n('LF'), p.d(), N(f'DP25-{digits(5)}'), R.choice(['Back', 'Face', 'Scalp', 'Arm', 'Leg', 'Chest']),
                     o[0], IC(o[1])])
    m.blocks = [
        ('p', 'The following reports have been signed out and are available in the provider portal.'),
        ('table', ['Patient', 'DOB', 'Accession', 'Site', 'Final diagnosis', 'ICD-10'], rows),
        ('p', f'Billed: {CP("88305")} per specimen. Questions about a case: Lakeview Dermatopathology client services, '
              + PH('(614) 923-8870') + '.'),
    ]
    return m


def derm_ipledge():
    p = pt((16, 30), sex='F')
    t = S['tran']
    m = Mail('dermatology', t, [W['derm_inbox']], f'iPLEDGE month 4 - {p.n()}')
    ipl = bad_npi('1')
    m.text = f"""Nurse line,

{p.n()} (DOB {p.d('mdy1')}) needs her month-4 iPLEDGE confirmation today - urine hCG neg in office
({CP('81025')}), 2 forms of contraception confirmed. iPLEDGE ID {N(ipl)}. Dx {IC('L70.0')}.
Rx isotretinoin 40 mg BID #60 to her pharmacy once confirmed, window closes {fdate(wd(m.date, 6), 'md')}.

Josh
"""
    return m


def derm_cosmetic_payment():
    p = pt((30, 60), sex='F')
    pw = pwho(p)
    front = Who('Millbrook Dermatology Aesthetics', f'aesthetics@{MMP}')
    m1 = Mail('dermatology', front, [pw], 'Your treatment quote')
    appt = wd(m1.date, 10)
    t1 = f"""Hi {p.first},

It was great meeting you! Here is the quote from your consultation:

  Neuromodulator, glabella + forehead (40 units)   $520.00
  Hyaluronic acid filler, 1 syringe                $725.00
  ----------------------------------------------------------
  Total                                           $1,245.00

Cosmetic services are not billed to insurance. A $200 deposit holds your appointment on
{fdate(appt, 'dow')} at 3:30 PM; you can reply with a card number or call us.

Warmly,
The Aesthetics Team"""
    m1.text = t1 + '\n'
    m2 = Mail('patient', pw, [front], 'Re: Your treatment quote')
    kind = R.choice(['visa', 'mc', 'amex'])
    card = gen_cc(kind, sep=R.choice([' ', '-']))
    exp = f'{R.randint(1, 12):02d}/{R.randint(26, 30)}'
    m2.text = f"""Hi! Yes please book it. For the deposit you can use:

{T('credit_card', card)}  exp {exp}  cvv {digits(4 if kind == 'amex' else 3)}
billing zip {p.zip}

Name on the card is the same as on my file. Please charge only the $200 for now.

Thanks!

{gmail_attrib(front, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def derm_biologic_denial():
    p = pt((30, 60))
    while not p.member_:
        p = pt((30, 60))
    f = S['fontaine']
    m = Mail('pbm', W['pbm'], [W['derm_inbox']], 'Prior Authorization Determination - DENIED')
    m.blocks = [
        ('p', 'ScriptWell Pharmacy Solutions has reviewed the prior authorization request below.'),
        ('kv', [('Determination', 'DENIED'), ('Case ID', N('PA-' + digits(9))), ('Member', p.n('LF')),
                ('Rx member ID', T('member_id', 'SW' + digits(9))), ('DOB', p.d('mdy1')),
                ('Drug requested', 'risankizumab-rzaa 150 mg/mL pen'), ('NDC', ND(gen_ndc('532'))),
                ('Diagnosis', f'{IC("L40.0")} Psoriasis vulgaris'),
                ('Prescriber', f'Claire Fontaine, MD (NPI {f.npi()})')]),
        ('p', 'Reason: The plan\'s step-therapy criteria require a documented trial of at least 12 weeks of a preferred '
              'biologic (adalimumab biosimilar or ustekinumab) OR a contraindication to both. The submitted records '
              'show methotrexate and phototherapy only.'),
        ('p', 'You may request a peer-to-peer review within 14 days or submit a redetermination with additional documentation. '
              'Prescriber line ' + PH('(877) 304-6620') + ', fax ' + PH('(877) 304-6629') + '.'),
    ]
    return m


# ============================================================================
# OPHTHALMOLOGY
# ============================================================================
def eye_cataract_booking():
    p = pt((62, 84))
    hd = S['haddad']
    m = Mail('ophthalmology', hd, [S['howard']], f'Cataract sx booking - {p.n()} OD then OS')
    d1 = wd(m.date, 12)
    m.text = f"""Tamika,

Please book {p.n()} (DOB {p.d('mdy')}, MRN {p.m()}) for cataract surgery:

  1st eye: OD, CPT {CP('66984')}, dx {IC('H25.11')} - target {fdate(d1, 'dows')} or the following week
  2nd eye: OS, CPT {CP('66984')}, dx {IC('H25.12')} - 2 weeks after the first
  IOL: {N('SN60WF')} +21.5 D OD / +22.0 D OS (biometry {CP('76519')} done {fdate(wd(m.date, -3), 'md')})
  Anesthesia: topical + MAC
  Tamsulosin - yes, please flag for possible iris hooks

{p.he.capitalize()} needs a ride both days - son drives. Phone on file {p.p('dash')}.

{sig('haddad')}
"""
    return m


def eye_injection_log():
    pe = S['petrosyan']
    m = Mail('ophthalmology', pe, [W['billing']], 'Intravitreal injection log - retina clinic')
    day = wd(next_date(), -1)
    rows = []
    drugs = [('aflibercept 2 mg', 'J0178'), ('bevacizumab 1.25 mg', 'J9035'), ('faricimab 6 mg', 'J2777')]
    for _ in range(6):
        p = pt((60, 92))
        d = R.choice(drugs)
        eye = R.choice(['OD', 'OS'])
        dx = 'H35.3211' if eye == 'OD' else R.choice(['E11.3513', 'H35.3122'])
        if dx == 'H35.3122':
            dx = 'E11.3513'
        rows.append([p.n('lf'), p.d('mdy1'), eye, d[0], ND(gen_ndc('532')), N(d[1]), CP('67028'), IC(dx)])
    tbl = plain_table(['Patient', 'DOB', 'Eye', 'Drug', 'NDC', 'HCPCS', 'CPT', 'Dx'], rows)
    m.text = f"""Billing - injection log for {fdate(day)} (Dr. Haddad's retina afternoon). Lot numbers are in the
procedure notes. All OD injections are {ICD['H35.3211'].lower()}.

{tbl}

Lina
{sig('petrosyan')}
"""
    return m


def eye_diabetic_letter():
    p = pt((45, 75))
    hd = S['haddad']
    m = Mail('ophthalmology', hd, [S['salinas']], f'Diabetic eye exam report: {p.n()}')
    exam = wd(m.date, -2)
    m.blocks = [
        ('p', 'Dear Dr. Salinas,'),
        ('p', f'Your patient was seen for a diabetic eye examination on {fdate(exam, "long")}.'),
        ('kv', [('Patient', p.n()), ('DOB', p.d('mdy')), ('MRN', p.m())]),
        ('table', ['', 'Right eye (OD)', 'Left eye (OS)'], [
            ['Best-corrected acuity', '20/25', '20/30'], ['Intraocular pressure', '16 mmHg', '17 mmHg'],
            ['Retina', 'Scattered dot-blot hemorrhages, no edema', 'Few microaneurysms, no edema'],
            ['OCT macula', 'Normal thickness', 'Normal thickness']]),
        ('p', f'Impression: mild nonproliferative diabetic retinopathy without macular edema, both eyes '
              f'({IC("E11.3293")}). Fundus photographs obtained ({CP("92250")}). Tight glucose, blood pressure and lipid '
              f'control is the best protection against progression. We will see {p.him} again in 9-12 months.'),
        ('sig', 'Sincerely,\n' + sig('haddad')),
    ]
    return m


def eye_vf_oct():
    p = pt((55, 80))
    pe, hd = S['petrosyan'], S['haddad']
    m = Mail('ophthalmology', pe, [hd], f'VF/OCT done - {p.n()}')
    m.text = f"""Dr. Haddad,

{p.n()} (MRN {p.m()}) - testing done, ready for you in room 4:

HVF 24-2 SITA Fast: OD MD -3.1 dB, PSD 4.2, sup arcuate defect; OS MD -2.4, early inf nasal step. Reliable.
OCT RNFL ({CP('92133')}): avg 71 OD / 78 OS, inferior thinning OD > OS, worse than last yr.
IOP today 23/21 on latanoprost qhs. CCT 538/541.
VF billed {CP('92083')}. Chart dx {IC('H40.1131')}.

Lina
"""
    return m


def eye_son_transport_thread():
    p = pt((75, 92), sex='F')
    son = relative_of(p, 'M')
    sw = Who(f'{son} {p.last}', f'{asciify(son).lower().split()[0][0]}{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    m1 = Mail('family', sw, [W['eye_inbox']], "My mother's cataract surgery - timing")
    t1 = f"""Good morning,

I'm writing regarding my mother, {p.n()}, DOB {p.d('mdy1')}. She is scheduled for cataract surgery with
Dr. Haddad and I'll be driving her. Two questions:

1. What time do we need to arrive, and how long will I be waiting?
2. She takes warfarin for her heart - does she need to stop it before surgery?

My cell is {PH(fph(gen_phone(), 'paren'))}. She doesn't use e-mail so please contact me.

Thank you,
{son} {p.last}"""
    m1.text = t1 + '\n'
    m2 = Mail('ophthalmology', W['eye_inbox'], [sw], "RE: My mother's cataract surgery - timing")
    m2.text = f"""Hi {son},

Thanks for reaching out.

1. Arrival is 90 minutes before the surgery time; the ASC will call with the exact time 2 business days before.
   Plan on being there about 3 hours total.
2. She should NOT stop warfarin for cataract surgery unless her cardiologist tells her otherwise. We'll check
   her INR is in range the week before.

Please have her use the antibiotic drops starting 3 days before surgery.

Surgery Coordinator, Millbrook Eye Institute
{dphone('eye')}

{gmail_attrib(sw, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def eye_glaucoma_pa():
    p = pt((50, 64))
    while not p.member_:
        p = pt((50, 64))
    hd = S['haddad']
    m = Mail('ophthalmology', W['eye_inbox'], [W['pbm']], f'PA request - netarsudil - {p.n("lf")}')
    m.text = f"""ScriptWell PA department,

Please review the attached request (also submitted via the portal) for:

Member: {p.n()}
DOB: {p.d()}
Member ID: {p.mid()}
Drug: netarsudil 0.02% ophthalmic solution 2.5 mL, NDC {ND(gen_ndc('442'))}, 1 gtt OU qhs
Dx: {IC('H40.1132')} Primary open-angle glaucoma, bilateral, moderate stage
Prior therapies: latanoprost (IOP not at target, 23/21), timolol (bradycardia - HR 48), brimonidine (allergic
follicular conjunctivitis). SLT OD ({CP('65855')}) in 2024 with limited response.
Prescriber: Omar Haddad, MD, NPI {hd.npi()}, phone {dphone('eye')}, fax {dfax('eye')}

Thank you,
Surgery & Authorization Coordinator, Millbrook Eye Institute
"""
    return m


# ============================================================================
# AMBULATORY SURGERY CENTER
# ============================================================================
ASC_CASES = [('Knee arthroscopy, partial medial meniscectomy', '29881', 'M23.221', 'stamos'),
             ('Arthroscopic rotator cuff repair', '29827', 'M75.121', 'stamos'),
             ('Carpal tunnel release', '64721', 'G56.01', 'stamos'),
             ('Trigger finger release', '26055', 'M65.321', 'stamos'),
             ('Colonoscopy, screening', '45378', 'Z12.11', 'wu'),
             ('Colonoscopy with polypectomy', '45385', 'K63.5', 'wu'),
             ('EGD with biopsy', '43239', 'K21.9', 'wu'),
             ('Laparoscopic cholecystectomy', '47562', 'K80.20', 'subramanian'),
             ('Inguinal hernia repair', '49505', 'K40.90', 'subramanian')]


def asc_preop_instructions():
    p = pt((30, 75))
    case = R.choice(ASC_CASES)
    br = S['briggs']
    pw = pwho(p)
    m = Mail('asc', br, [pw], 'Your surgery at Riverbend ASC - pre-op instructions')
    day = wd(m.date, 5)
    m.text = f"""Hello,

Thank you for speaking with me today. Here is a summary of your pre-operative phone interview.

Patient: {p.n()}
Date of birth: {p.d('mdy1')}
Procedure: {case[0]}
Surgeon: Dr. {S[case[3]].last}
Surgery date: {fdate(day, 'dow')}
Arrival time: 6:45 AM (surgery 8:15 AM)
Location: Riverbend Ambulatory Surgery Center, {AD('1900 N High Point Dr')}, Columbus, OH 43235
Parking: Lot B, enter through the main doors

DO
- Stop eating solid food at midnight. Clear liquids until 4:45 AM, then nothing.
- Take your blood pressure pill with a sip of water the morning of surgery.
- Bring your photo ID, insurance card and a list of medicines.
- Have an adult drive you home and stay with you for 24 hours.

DO NOT
- Take ibuprofen, naproxen, fish oil or vitamin E for 7 days before.
- Wear jewelry, contact lenses, lotion or nail polish.

If you develop a fever, cough or new rash before surgery, call us at {PH('(614) 459-7724')}.

{sig('briggs')}
"""
    return m


def asc_or_schedule():
    h = S['howard']
    day = wd(next_date(), 1)
    m = Mail('asc', h, [Who('Riverbend Perioperative Staff', 'periop@riverbendasc.example')], f'OR schedule {fdate(day, "dows")} (final)')
    rows = []
    for room in (1, 2, 3):
        t = 7 * 60 + 30
        for _ in range(R.randint(2, 3)):
            p = pt((25, 80))
            c = R.choice(ASC_CASES)
            rows.append([f'OR {room}', f'{t // 60}:{t % 60:02d}', p.n('LF'), p.d('mdy1'), c[0], CP(c[1]), IC(c[2]),
                         S[c[3]].last, R.choice(['GA', 'MAC', 'Regional + MAC', 'GA/LMA'])])
            t += R.choice([45, 60, 75, 90])
    m.blocks = [
        ('p', 'Final schedule for tomorrow. Please note the add-on in OR 3.'),
        ('table', ['Room', 'Start', 'Patient', 'DOB', 'Procedure', 'CPT', 'Dx', 'Surgeon', 'Anesthesia'], rows),
        ('p', 'Implant reps confirmed for the arthroscopy cases. Call the front desk with changes.'),
        ('sig', sig('howard')),
    ]
    return m


def asc_ins_verification():
    p = pt((30, 64))
    while not p.member_:
        p = pt((30, 64))
    fi, h = S['fisk'], S['howard']
    c = R.choice(ASC_CASES)
    m = Mail('asc', fi, [h], f'Ins verified - {p.n()}')
    m.blocks = [
        ('p', 'Tamika,'),
        ('p', 'Verification complete for the case below. Patient estimate was mailed.'),
        ('kv', [('Patient', p.n()), ('DOB', p.d()), ('Payer', p.plan), ('Member ID', p.mid()),
                ('Group', N(p.group_.split()[-1])), ('Procedure', f'{c[0]} - CPT {CP(c[1])}'), ('Dx', IC(c[2])),
                ('Auth', f'{N("A" + digits(9))} (valid 90 days)'), ('Deductible remaining', f'${R.randint(0, 2500)}.00'),
                ('Coinsurance', '20% after deductible'), ('Estimated patient responsibility', f'${R.randint(300, 2900)}.{R.randint(10, 99)}')]),
        ('p', 'Reference # from the payer call: ' + N(digits(12)) + ', rep "Janine".'),
        ('sig', sig('fisk')),
    ]
    return m


def asc_anesthesia_preop():
    p = pt((45, 80))
    br = S['briggs']
    c = R.choice(ASC_CASES)
    anes = Who('Riverbend Anesthesia Group', 'preop-anes@riverbendasc.example')
    m = Mail('asc', br, [anes], f'pre-op review needed - {p.n("lf")} - OSA/CPAP')
    m.text = f"""Anesthesia,

Flagging for review before {fdate(wd(m.date, 3), 'md')}:

{p.n("LF")}  DOB {p.d('mdy1')}  ph {p.p('dash')}
Procedure: {c[0]} ({CP(c[1])}), Dr. {S[c[3]].last}
PMH: OSA on CPAP ({IC('G47.33')}), HTN ({IC('I10')}), BMI 41, T2DM on metformin + semaglutide weekly
Last semaglutide dose was Sunday - per our GLP-1 policy should be held 7 days?
Labs {fdate(wd(m.date, -2), 'md')}: K 3.9, Cr 1.02, glucose 164, A1c 7.6, Hgb 13.1
EKG: NSR, old IRBBB
Pt will bring CPAP.

Colleen
"""
    return m


def asc_postop_calls():
    br = S['briggs']
    m = Mail('asc', br, [Who('ASC Nursing', 'nursing@riverbendasc.example')], 'post-op day 1 calls - issues')
    lines = []
    for _ in range(5):
        p = pt((25, 80))
        c = R.choice(ASC_CASES)
        issue = R.choice(['no issues, pain 3/10', 'nausea overnight, tolerating liquids now', f'no answer x2, VM left at {p.p("dash")}',
                          'dressing saturated - told to reinforce, Dr. to call back', 'constipation, advised OTC senna',
                          'pain 7/10 not controlled - msg to surgeon'])
        lines.append(f'{p.n()} - {c[0].split(",")[0].lower()} - {issue}')
    body = '\n'.join(f'{i}) {l}' for i, l in enumerate(lines, 1))
    m.text = f"""POD1 calls for yesterday's cases:

{body}

The rest were fine. Will retry the no-answers after 2pm.
CB
"""
    return m


def asc_implant_log():
    p = pt((35, 70))
    h = S['howard']
    m = Mail('asc', Who('Riverbend Materials Management', 'materials@riverbendasc.example'), [h], f'implant log - case {N("RB" + digits(6))}')
    m.text = f"""Implant/tissue log for billing & tracking:

Patient: {p.n('LF')}
Procedure: arthroscopic rotator cuff repair, CPT {CP('29827')}, Dr. Stamos, OR 2
Dx: {IC('M75.121')}

  Suture anchor 4.75 mm      REF {N('AR-2324BCC')}   LOT {N(digits(7))}   qty 2
  Knotless anchor 3.9 mm     REF {N('AR-8979P')}     LOT {N(digits(7))}   qty 2
  Biocomposite tack          REF {N('SN-72202745')}  LOT {N('J' + digits(6))}  qty 1
  Shaver blade 4.0           REF {N('72200617')}     (not billable)

UDI labels scanned into the record. Sterile processing tray #{N(str(R.randint(10, 99)))} returned.
"""
    return m


def asc_cancellations():
    h = S['howard']
    m = Mail('asc', h, [Who('Riverbend Front Desk', 'frontdesk@riverbendasc.example')], 'cancellations/add-ons this week')
    lines = []
    reasons = {'CANCELLED': ['pt sick (URI)', 'insurance denied', 'ride fell through', 'cardiac clearance pending'],
               'RESCHEDULED': ['moved to next Tues 11:00', 'moved to Fri 7:30 OR 2'], 'ADD-ON': ['added Thurs 2pm OR 1']}
    for kind in ['CANCELLED', 'CANCELLED', 'RESCHEDULED', 'ADD-ON']:
        p = pt((25, 80))
        c = R.choice(ASC_CASES)
        r = R.choice(reasons[kind])
        reasons['CANCELLED'] = [x for x in reasons['CANCELLED'] if x != r]
        lines.append(f'{kind}: {p.n()} ({p.d("mdy1")}) - {c[0]} - {r}')
    body = '\n'.join(lines)
    m.text = f"""Updates for this week:

{body}

Please update the board. Block release for Dr. Subramanian's Friday afternoon is at noon tomorrow.

{sig('howard')}
"""
    return m


# ============================================================================
# BILLING VENDOR / BILLING OFFICE
# ============================================================================
DENIAL_LINES = [('CO-197', 'Precert/authorization absent'), ('CO-16', 'Missing information - N290 rendering NPI'),
                ('CO-11', 'Dx inconsistent with procedure'), ('PR-204', 'Service not covered under benefit plan'),
                ('CO-97', 'Bundled with another service'), ('CO-50', 'Not deemed medically necessary'),
                ('CO-29', 'Timely filing limit expired'), ('CO-22', 'Coordination of benefits')]
SVC = [('93306', 'I48.91'), ('95811', 'G47.33'), ('17311', 'C44.311'), ('66984', 'H25.11'), ('96413', 'C50.412'),
       ('76805', 'Z34.82'), ('99214', 'E11.65'), ('45385', 'K63.5'), ('77080', 'M81.0'), ('92134', 'H35.3211'),
       ('95251', 'E11.65'), ('29881', 'M23.221'), ('93241', 'R00.2'), ('11104', 'D48.5')]


def billing_denial_csv_thread():
    pk, so = S['pike'], S['okoro']
    m1 = Mail('billing', pk, [so], 'Weekly denial report - Millbrook Medical Partners - action needed')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['Patient Name', 'Account #', 'DOS', 'CPT', 'ICD-10', 'Payer', 'Member ID', 'Billed', 'CARC', 'Reason', 'Work queue'])
    first = None
    for i in range(12):
        p = pt((20, 64))
        while not p.member_:
            p = pt((20, 64))
        c, dx = R.choice(SVC)
        den = R.choice(DENIAL_LINES)
        if first is None:
            first = (p, c, dx, den)
        w.writerow([p.n('lf'), N(digits(8)), fdate(dt.date(2025, 1, R.randint(2, 31))), CP(c), IC(dx), p.plan, p.mid(),
                    f'{R.randint(90, 2400)}.00', den[0], den[1], R.choice(['CODING', 'AUTH', 'FRONT END', 'CLINICAL APPEAL'])])
    m1.attach('MMP_denials_wk05.csv', buf.getvalue())
    t1 = f"""Hi Stella,

Attached is this week's denial detail (12 lines, $14,382.00 total billed). Highlights:

1. Four authorization denials (CO-197) - three are sleep studies where the auth was obtained under the
   interpreting physician but billed under the facility NPI. We can appeal those with the auth numbers.
2. Two CO-11 denials for {CP('93306')} where {IC('R94.31')} was the only diagnosis - please have coding review.
3. One timely filing denial (CO-29) from a corrected claim that was originally submitted on time; we have
   proof of timely filing and will appeal.

Please return the work queue assignments by Thursday so we can meet the 60-day appeal window.

{sig('pike')}

{DISC_CP}"""
    m1.text = t1 + '\n'
    m2 = Mail('billing', so, [pk], 'RE: Weekly denial report - Millbrook Medical Partners - action needed')
    m2.text = f"""Thanks Shauna. Terri will take the CO-11s - for the echo ones the notes support {IC('I48.91')}, it just
didn't get carried over from the order. Sleep center is pulling the auth letters.

Stella

{gmail_attrib(pk, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def billing_era_export():
    m = Mail('billing', W['remit'], [W['billing']], 'ERA 835 POSTING EXCEPTIONS - SUMMIT CHOICE PLUS')
    chk = 'EFT TRN ' + digits(10)
    rows = []
    for _ in range(6):
        p = pt((20, 64))
        p.plan, idf, _g = PLANS[2]
        p.member_ = idf()
        c, dx = R.choice(SVC)
        billed = R.randint(150, 1800)
        paid = round(billed * R.uniform(0, 0.6), 2)
        rows.append([p.n('LF'), T('member_id', p.member_), fdate(dt.date(2025, 1, R.randint(2, 31))), CP(c),
                     f'{billed:.2f}', f'{paid:.2f}', R.choice(['CO-45', 'CO-45 PR-2', 'CO-97', 'PR-1', 'CO-16 MA130']),
                     R.choice(['PAID < EXPECTED', 'ZERO PAY', 'PATIENT NOT FOUND', 'OVERPAYMENT'])])
    tbl = plain_table(['PATIENT', 'MEMBER ID', 'DOS', 'CPT', 'BILLED', 'PAID', 'ADJ', 'EXCEPTION'], rows)
    m.text = f"""CLEARPATH RCM - PAYMENT POSTING EXCEPTION REPORT
CLIENT: MILLBROOK MEDICAL PARTNERS (MMP01)      PAYER: SUMMIT CHOICE PLUS
{N(chk)}      PAYMENT DATE: {fdate(wd(next_date(), -1))}      TOTAL PAID: ${R.randint(3000, 9000)}.{R.randint(10, 99)}

{tbl}

EXCEPTIONS REQUIRE CLIENT REVIEW. ITEMS NOT RESOLVED IN 10 DAYS WILL BE POSTED AS REPORTED.
{DISC_CP.upper()}
"""
    return m


def billing_husband_pays():
    p = pt((35, 70), sex='F')
    hus = relative_of(p, 'M')
    hw = Who(f'{hus} {p.last}', f'{asciify(hus).lower().split()[0]}{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    m = Mail('family', hw, [W['billing']], 'Paying my wife\'s bill')
    acct = digits(7)
    kind = R.choice(['visa', 'mc', 'mc2'])
    m.text = f"""Hello,

I'd like to pay the balance on my wife's statement. Her name is {p.n()}, date of birth {p.d('mdy1')},
account number {N(acct)} on the statement. The balance is $186.40 for her visit in January.

Please use my card:
{T('credit_card', gen_cc(kind, sep=''))}
Exp {R.randint(1, 12):02d}/{R.randint(26, 30)}

If you need to call, my number is {PH(fph(gen_phone(), 'paren'))}.

Also - the statement has our old address. Our new address is {p.addr_block(', ')}.

Thanks,
{hus} {p.last}
"""
    return m


def billing_front_desk_card():
    p = pt((25, 70))
    fd = Who('Derm Front Desk', f'dermfront@{MMP}')
    m = Mail('billing', fd, [W['billing']], f'phone payment - {p.n("lf")}')
    m.text = f"""Billing,

Pt called to pay over the phone while the card machine was down. Can someone run it?

pt: {p.n()}  DOB {p.d('mdy1')}
amt: $75.00 (copay from last visit)
card: {T('credit_card', gen_cc('amex', sep=' '))}  exp {R.randint(1, 12):02d}/{R.randint(26, 30)}
name on card same as pt
callback {p.p('dash')} if it declines

thx - front desk (Aimee)
"""
    return m


def billing_eft_enrollment():
    g, so = S['greer'], S['okoro']
    m = Mail('billing', g, [so], 'EFT enrollment - Heartland Health Plan - info needed')
    aba, old_aba = gen_aba(), gen_aba()
    m.text = f"""Hi Stella,

Heartland finally sent the EFT/ERA enrollment form. I've pre-filled what we have on file; please verify the
highlighted items and have Dr. Okafor (as managing partner) sign page 3.

Provider name: Millbrook Medical Partners, LLC
Group NPI: {NP(MMP_GROUP_NPI)}
TIN: {N('31-' + digits(7))}
Financial institution: Heartland Community Bank
Routing number (ABA): {T('aba_routing', aba)}
Account number: {N(digits(10))}
Previous account (to be closed): routing {T('aba_routing', old_aba)}, account ending {N(digits(4))}
Account type: Business checking
Remittance delivery: ERA via ClearPath (payer ID {N('HHP' + digits(2))})

If the bank has changed since 2023 I'll need a voided check or bank letter.

Note: the form also asks for a "routing slip" number from their legacy system - leave that blank.

{sig('greer')}
"""
    return m


def billing_appeal_letter():
    p = pt((30, 64))
    while not p.member_:
        p = pt((30, 64))
    pk = S['pike']
    l = S['lau']
    m = Mail('billing', pk, [S['okoro'], S['lau']], f'Appeal draft for review - {p.n()} - {N("CLM" + digits(10))}')
    dos = dt.date(2025, 1, R.randint(5, 28))
    m.text = f"""Stella / Dr. Lau,

Draft first-level appeal below. Please review and let me know by Friday; the deadline is {fdate(wd(m.date, 14))}.

----------------------------------------------------------------
{p.plan}
Appeals & Grievances
{AD('PO Box 40877')}
Columbus, OH 43240

RE: Request for reconsideration
Patient: {p.n()}
Member ID: {p.mid()}
Date of birth: {p.d('long')}
Date of service: {fdate(dos, 'long')}
Claim number: {N(digits(12))}
Procedure: CPT {CP('95811')} - Polysomnography with CPAP titration
Diagnosis: {IC('G47.33')}, {IC('E66.01')}

To whom it may concern,

We are appealing the denial of the above claim (CARC CO-50, not medically necessary). The patient had a
diagnostic polysomnogram ({CP('95810')}) demonstrating severe obstructive sleep apnea with an apnea-hypopnea
index of 41 events per hour and oxygen desaturation to 77%. An attended titration study was medically
necessary because the patient has a BMI of 46 and a history of nocturnal hypoventilation, which are
exclusion criteria for unattended auto-titration under your own medical policy (MP-SLP-004, section 3.2).

Kenneth Lau, MD (NPI {l.npi()})
Millbrook Sleep Disorders Center
----------------------------------------------------------------

{sig('pike')}
"""
    return m


def billing_npi_roster():
    g, so = S['greer'], S['okoro']
    m1 = Mail('billing', g, [so], 'Provider roster for payer revalidation')
    t1 = f"""Stella,

Great Lakes Blue is doing their revalidation. Can you send me the current NPI, taxonomy and CAQH for the
providers on the attached list? The ones I have on file are from 2023.

Thanks,
Nathan"""
    m1.text = t1 + '\n'
    m2 = Mail('billing', so, [g], 'RE: Provider roster for payer revalidation')
    keys = ['okafor', 'patel', 'ybarra', 'carrow', 'achterberg', 'mehta', 'natarajan', 'lau', 'fontaine', 'tran', 'haddad']
    tax = {'okafor': '207RC0000X', 'patel': '207RI0011X', 'ybarra': '207V00000X', 'carrow': '367A00000X',
           'achterberg': '208000000X', 'mehta': '207RH0003X', 'natarajan': '207RE0101X', 'lau': '207RS0012X',
           'fontaine': '207N00000X', 'tran': '363AM0700X', 'haddad': '207W00000X'}
    rows = [[S[k].full + ', ' + S[k].creds.split(',')[0], S[k].npi(), N(tax[k]), N(digits(8))] for k in keys]
    tbl = plain_table(['Provider', 'NPI', 'Taxonomy', 'CAQH ID'], rows)
    m2.text = f"""Here you go. Group NPI is {NP(MMP_GROUP_NPI)}.

{tbl}

Jenna Carrow's CAQH attestation is due next month, I'll remind her.

Stella
{sig('okoro')}

{gmail_attrib(g, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def billing_scrubber_rejects():
    m = Mail('billing', W['denials'], [W['billing']], 'Claim scrubber rejections - batch ' + N('B' + digits(6)))
    rows = []
    for _ in range(6):
        p = pt((18, 85))
        c, dx = R.choice(SVC)
        ruleset = R.choice([('NCCI edit: column 2 code billed without modifier', 'NCCI-2231'), ('Invalid dx for age/sex', 'DX-AGE-07'),
                            ('Subscriber ID format invalid', 'ELIG-14'), ('Referring NPI missing', 'PRV-03'),
                            ('LCD: dx does not support medical necessity', 'LCD-L33718')])
        mem = p.mid() if p.member_ else p.mbi()
        rows.append([p.n('lf'), mem, CP(c), IC(dx), N(ruleset[1]), ruleset[0]])
    m.blocks = [
        ('p', 'The following claims failed pre-submission edits and were held. Correct in the billing system and resubmit; '
              'held claims are released automatically at 18:00.'),
        ('table', ['Patient', 'Member ID / MBI', 'CPT', 'Primary Dx', 'Edit', 'Message'], rows),
        ('p', DISC_CP),
    ]
    return m


def billing_records_request_fwd():
    p = pt((30, 64))
    while not p.member_:
        p = pt((30, 64))
    so = S['okoro']
    payer = Who(f'{p.plan} - Payment Integrity', 'payment-integrity@' + PLAN_DOMAIN[p.plan])
    od = earlier(next_date(), 60 * 24 * 2)
    osub = f'Medical records request - {N("PRR-" + digits(8))}'
    dos = dt.date(2024, R.randint(6, 12), R.randint(1, 28))
    orig = f"""Dear Provider,

As part of a post-payment review, please submit the complete medical record for the following claim within
30 days of this notice.

Member: {p.n('LF')}
Member ID: {p.mid()}
DOB: {p.d('mdy')}
Date of service: {fdate(dos)}
Billed CPT: {CP('99215')}, {CP('93000')}
Rendering NPI: {S['okafor'].npi()}

Submit via the provider portal or fax to {PH('(844) 390-1127')}."""
    m = Mail('billing', so, [W['roi']], f'FW: {osub}')
    m.text = f"""ROI team - can you pull and send these? It's a payer audit so no patient authorization needed
(TPO). Please log it under the payer, not the patient. Due in 30 days.

Thanks,
Stella

-----Original Message-----
{outlook_hdr(payer, [W['billing']], od, osub)}

{orig}
"""
    return m


def billing_ach_payment_plan():
    p = pt((30, 70))
    pw = pwho(p)
    m = Mail('patient', pw, [W['billing']], 'Payment plan form - ACH info')
    aba = gen_aba()
    m.text = f"""Hello,

I spoke to someone last week about setting up a payment plan for my surgery balance ($2,340.00). She said I
could e-mail the bank info instead of mailing the form. I want $195 taken out on the 15th of each month.

Name: {p.n()}
Date of birth: {p.d('mdy1')}
Bank: Buckeye State Credit Union
Routing number: {T('aba_routing', aba)}
Account number: {N(digits(11))}
Checking

My phone is {p.p('dash', cell=True)} if you need anything.

Thank you,
{p.first}
"""
    return m


def billing_ar_summary_neg():
    g, so = S['greer'], S['okoro']
    m = Mail('billing', g, [so], 'February month-end AR summary')
    rows = [['Great Lakes Blue Cross', '412,880', '38.2', '61,404', '4.1%'],
            ['Medicare Part B (CGS J15)', '356,219', '24.7', '22,910', '2.3%'],
            ['Summit Choice Plus', '188,402', '41.9', '30,117', '6.8%'],
            ['Heartland Health Plan', '141,775', '35.4', '18,552', '5.2%'],
            ['CareBridge Ohio Medicaid', '97,310', '47.8', '21,877', '9.4%'],
            ['Self-pay', '64,228', '88.1', '39,650', 'n/a']]
    tbl = plain_table(['Payer', 'Charges ($)', 'Days in AR', '>90 days ($)', 'Denial rate'], rows)
    m.text = f"""Hi Stella,

February close is done. Overall days in AR came down to 39.6 (from 42.3 in January); clean-claim rate was
96.1%. Medicaid is still the outlier - most of the >90 bucket is the credentialing hold for the two new
providers, which should clear once the retro effective dates load.

{tbl}

Net collection rate: 97.4%. Full dashboard is in the shared folder (MMP/Reports/2025-02).

Let me know if you want to walk through it on our call Thursday at 10.

Nathan Greer
Client Account Manager
ClearPath Revenue Cycle Solutions, LLC
"""
    return m


def billing_ssn_correction():
    p = pt((25, 70))
    fd = Who('Registration - Westerville', f'registration-west@{MMP}')
    m = Mail('billing', fd, [W['billing']], f'demographic correction - {p.n("lf")}')
    m.text = f"""Billing -

Pt came in today w/ {p.his} SS card - the SSN in registration was entered as {N('999-99-9999')} (placeholder from the
ER visit). Correct SSN is {p.ssn()}. Updated in ChartLine, MRN {p.m()}, DOB {p.d('mdy')}. Pls rebill the Dec
claims that rejected for subscriber mismatch.

Also new ins card: {plan_line(p)}.

Thanks,
Registration
"""
    return m


MMP_GROUP_NPI = gen_npi('1')


# ============================================================================
# RELEASE OF INFORMATION
# ============================================================================
def roi_attorney_request():
    p = pt((25, 65))
    firm = Who('Marissa Cole', 'mcole@kesslervance.example')
    m = Mail('roi', firm, [W['roi']], f'Request for medical records - {p.n()}')
    m.text = f"""Dear Custodian of Records,

This office represents {p.n()} regarding injuries sustained in a motor vehicle collision on
{fdate(dt.date(2024, R.randint(6, 11), R.randint(1, 28)), 'long')}. Enclosed (via fax) is a HIPAA-compliant authorization signed by our client.

Please provide complete copies of all records, including office notes, imaging reports and itemized billing
statements, for dates of service from June 1, 2024 to present.

Patient name: {p.n()}
Date of birth: {p.d('mdy')}
Social Security No.: {p.ssn()}
Our file no.: {N('KV-24-' + digits(4))}

Records may be sent electronically to this address or mailed to:
Kessler & Vance LLP, {AD('250 E Broad St')}, Suite 1400, Columbus, OH 43215

Please contact our office at {PH('614-228-9100')} (fax {PH('614-228-9107')}) with any invoice for copying charges.

Sincerely,
Marissa Cole
Paralegal to Andrew Vance, Esq.

This e-mail is from a law firm and may contain privileged attorney-client communication.
"""
    return m


def roi_patient_request_thread():
    p = pt((25, 70))
    pw = pwho(p)
    su = S['sutter']
    m1 = Mail('patient', pw, [W['roi']], 'need copy of my records')
    t1 = f"""Hi,

I am moving to Arizona and need a copy of my records from Dr. {R.choice(['Okafor', 'Natarajan', 'Fontaine', 'Haddad'])} and my
lab results from the last 3 years to give to my new doctor.

My name is {p.n()}, date of birth {p.d('long')}. My {p.dl_state} driver's license number is {p.dl()} if you need to
verify it's me. Please mail them to my new address:

{p.addr_block()}

or email is fine. My phone number is {p.p('paren', cell=True)}.

Thanks!"""
    m1.text = t1 + '\n'
    m2 = Mail('roi', su, [pw], 'RE: need copy of my records')
    m2.text = f"""Hello,

Thank you for your request. Before we can release records we need a signed Authorization for Release of
Information form (attached to our website under Patients > Medical Records). For your security please do not
send your driver's license number by e-mail; a photo of the front of the license attached to the signed form
is fine.

Records for your own use are provided free of charge electronically, or $6.50 for a paper copy. Please allow
up to 30 days.

{sig('sutter')}

{DISC_MMP}

{gmail_attrib(pw, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def roi_life_insurance():
    p = pt((30, 60))
    ins = Who('Guardian Oak Life - Underwriting Requirements', 'aps-requests@guardianoaklife.example')
    m = Mail('roi', ins, [W['roi']], f'APS request - applicant {p.n("LF")}')
    m.text = f"""ATTENDING PHYSICIAN STATEMENT REQUEST

Applicant:
{p.n('LF')}
DOB:
{p.d('mdy')}
SSN:
{p.ssn(sep=R.choice(['-', ' ']))}
Application #:
{N('GOL' + digits(9))}
Attending physician: {R.choice(['Helen Okafor, MD', 'Priya Natarajan, MD', 'Kenneth Lau, MD'])}

Please provide copies of office notes, lab results, EKGs and consultation reports for the past 5 years.
A signed authorization (form GOL-1204) is attached. Invoices up to $35.00 will be paid without prior approval.

Return by fax: {PH('(515) 283-4410')} or upload at the link in the cover letter. Reference the application number.

Guardian Oak Life Insurance Company - Underwriting Services
"""
    return m


def roi_daily_log():
    su = S['sutter']
    mgr = Who('HIM Manager', f'him-manager@{MMP}')
    m = Mail('roi', su, [mgr], 'ROI log - week of ' + fdate(wd(next_date(), -4), 'md'))
    lines = ['Request ID | Received   | Patient                | DOB        | Requester                   | Purpose        | Status',
             '-----------+------------+------------------------+------------+-----------------------------+----------------+-------']
    for _ in range(8):
        p = pt((20, 90))
        req = R.choice(['Patient', 'Kessler & Vance LLP', 'Guardian Oak Life', 'SSA Disability (DDS)', 'Northgate Family Medicine',
                        'Ohio BWC', 'Great Lakes Blue (audit)'] + (['Patient (POA: son)', 'Patient (POA: daughter)'] if p.age >= 70 else []))
        purpose = {'Patient': 'Personal', 'Kessler & Vance LLP': 'Legal', 'Guardian Oak Life': 'Insurance',
                   'SSA Disability (DDS)': 'Disability', 'Northgate Family Medicine': 'Continuity of care',
                   'Patient (POA: son)': 'Personal', 'Patient (POA: daughter)': 'Personal', 'Ohio BWC': "Workers' comp", 'Great Lakes Blue (audit)': 'Payment (TPO)'}[req]
        nm = p.n('lf')
        lines.append(' | '.join([N('ROI-' + digits(6)), fdate(wd(m.date, -R.randint(0, 4))), nm + ' ' * max(0, 22 - len(visible(nm))),
                                 p.d('mdy'), req.ljust(27), purpose.ljust(14),
                                 R.choice(['Sent', 'Pending auth', 'In process', 'Invoice sent', 'Denied - invalid auth'])]))
    m.attach('roi_log.txt', '\n'.join(lines) + '\n', 'plain')
    m.text = f"""Hi,

Weekly ROI log attached (8 requests). One denied - the SSA form was missing the patient's signature date, I sent
it back. Two attorney requests are still waiting on prepayment.

Carol
"""
    return m


def roi_poa_son():
    p = pt((75, 92))
    son = relative_of(p, 'M')
    st = R.choice(['OH', 'OH', 'KY', 'PA'])
    dl = gen_dl(st)
    sw = Who(f'{son} {p.last}', f'{asciify(son).lower().split()[0]}.{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    m = Mail('family', sw, [W['roi']], f'Records request for my {"mother" if p.sex == "F" else "father"}')
    rel = 'mother' if p.sex == 'F' else 'father'
    m.text = f"""Good afternoon,

I am the healthcare power of attorney for my {rel}, {p.n()} (DOB {p.d('mdy1')}). {p.he.capitalize()} has moved into
assisted living and the new facility needs {p.his} medication list, last two office notes and immunization
record from Millbrook.

I have the POA document and can send a copy. For identification, my {st} driver's license is {T('drivers_license', dl)}.
I can be reached at {PH(fph(gen_phone(), 'dash'))}. The facility fax is {PH(fph(gen_phone('614'), 'dash'))}
(Attn: Wellness Director).

Thank you for your help,
{son} {p.last}
"""
    return m


def roi_subpoena_fwd():
    p = pt((25, 60))
    hv, su = S['haverford'], S['sutter']
    court = Who('Franklin County Clerk - e-Service', 'eservice@fccourts.example')
    od = earlier(next_date(), 60 * 24)
    osub = f'Subpoena duces tecum - Case No. {N("24CV" + digits(6))}'
    m = Mail('roi', hv, [su], f'Fwd: {osub}')
    m.text = f"""Carol - subpoena below was served on us yesterday. Please do NOT release anything yet; it's not
accompanied by a court order or the patient's authorization, so under our policy we need the satisfactory
assurance letter from the requesting party first. Log it and I'll respond to counsel.

Paul

{gmail_fwd_hdr(court, [W['roi']], od, osub)}

You are commanded to produce the following documents: any and all medical and billing records pertaining to
{p.n()}, date of birth {p.d('long')}, from January 1, 2022 through the present.

Return date: {fdate(wd(od, 21), 'long')}, 9:00 a.m., Franklin County Courthouse, {AD('345 S High St')}, Courtroom 5B.

{sig('haverford')}
"""
    return m


# ============================================================================
# CARE COORDINATION
# ============================================================================
def cc_ccm_summary():
    b, w = S['brooks'], S['whitfield']
    m = Mail('carecoord', b, [w], 'CCM monthly summary - your patients (Feb)')
    rows = []
    for _ in range(5):
        p = pt((66, 90))
        dx = R.sample(['I50.32', 'J44.9', 'N18.4', 'E11.22', 'I10', 'F33.1', 'N18.30', 'I48.91'], 2)
        mins = R.choice([22, 25, 41, 46, 63])
        code = CP('99490') + (f' + {CP("99439")}' if mins >= 40 else '')
        if mins >= 60:
            code = CP('99487')
        rows.append([p.n(), p.d('mdy1'), f'{IC(dx[0])}, {IC(dx[1])}', f'{mins} min', code,
                     R.choice(['Med adherence improving', 'Missed nephrology appt - rescheduled', 'Weight up 4 lb, diuretic adjusted',
                               'Needs transportation help', 'PHQ-9 down to 8', 'Declined home health'])])
    m.blocks = [
        ('p', 'Dr. Whitfield,'),
        ('p', 'Here is the February chronic care management summary for your enrolled patients. Time is documented in each '
              'patient\'s CCM encounter; charges drop at month end once you sign.'),
        ('table', ['Patient', 'DOB', 'Conditions (ICD-10)', 'Time', 'CPT', 'Notes'], rows),
        ('p', 'Please let me know if you want any of these patients seen sooner.'),
        ('sig', sig('brooks')),
        ('p', DISC_MMP),
    ]
    return m


def cc_tcm_call():
    p = pt((66, 88))
    b, w = S['brooks'], S['whitfield']
    m = Mail('carecoord', b, [w], f'TCM - {p.n()} - d/c St. Brigid, needs 7-day visit')
    dc = wd(m.date, -1)
    m.text = f"""Dr. Whitfield,

I completed the 2-business-day TCM contact with {p.n()} (DOB {p.d('mdy')}, MRN {p.m()}) today.

Admission: St. Brigid {fdate(wd(dc, -4), 'md')}-{fdate(dc, 'md')}, acute on chronic diastolic heart failure ({IC('I50.33')})
Discharge weight 182 lb (admit 191). Home weight today 183.

Med changes at discharge:
  - furosemide INCREASED 20 mg -> 40 mg daily
  - potassium chloride 20 mEq daily NEW
  - lisinopril HELD (AKI, Cr 1.9 at peak, 1.4 at d/c)

Concerns: {p.he} wasn't sure which furosemide bottle to use - reviewed with {p.him} and {p.his} daughter, old bottle removed.
Scale at home works. Has a ride to appointments.

I booked {p.him} with you on {fdate(wd(dc, 6), 'dows')} at 1:20 for the face-to-face (within 7 days -> {CP('99496')} if
high complexity, otherwise {CP('99495')}). BMP ordered for that morning.

{p.his.capitalize()} phone: {p.p('dash')}

{sig('brooks')}
"""
    return m


def cc_home_health_referral():
    p = pt((70, 92))
    b = S['brooks']
    hh = Who('Sycamore Home Health - Intake', 'intake@sycamorehh.example')
    m = Mail('carecoord', b, [hh], f'Home health referral - {p.n()}')
    m.text = f"""Hello,

New home health referral for skilled nursing and PT. Signed face-to-face and orders are faxed.

Patient: {p.n()}
DOB: {p.d('mdy')}
Medicare MBI: {p.mbi()}
Address: {p.addr_block(', ')}
Phone: {p.p('paren')}  (daughter handles scheduling - alt {PH(fph(gen_phone(), 'paren'))})
PCP: Samuel Whitfield, MD, NPI {S['whitfield'].npi()}

Diagnoses:
  {IC('J44.1')} COPD with acute exacerbation (recent)
  {IC('Z99.81')} Dependence on supplemental oxygen
  {IC('R26.81')} Unsteadiness on feet

Services: SN 2w3 for COPD teaching, O2 safety, med management; PT eval & treat for gait/balance.
Homebound: leaves home only for medical appointments, requires walker + assist, SOB with 20 ft ambulation.

Thank you,
{sig('brooks')}
"""
    return m


def cc_sdoh_referral():
    p = pt((30, 65))
    b = S['brooks']
    org = Who('Columbus Community Resource Network', 'referrals@ccrn.example')
    m = Mail('carecoord', b, [org], 'Consented referral - housing & food assistance')
    m.text = f"""Hello,

Sending a consented referral (verbal consent documented {fdate(m.date, 'md')}, written consent form attached
to the portal referral).

Client name: {p.n()}
Date of birth: {p.d('mdy1')}
Phone: {p.p('dash', cell=True)} (texts preferred; shares phone with partner)
Current situation: staying with a friend, must leave by the end of the month; no stable address. Can receive
mail at {AD('PO Box ' + str(R.randint(100, 9999)))}, Columbus, OH 43216.
Needs: emergency/rapid rehousing, SNAP application help, food pantry near the 2 bus line.
Relevant medical: insulin-dependent diabetes - needs refrigeration for insulin.

Screening codes documented: {IC('Z59.00')} homelessness.

Thank you for your help,
{sig('brooks')}
"""
    return m


def cc_hospital_thread():
    p = pt((65, 90))
    f, b = S['farrow'], S['brooks']
    m1 = Mail('hospital', f, [b], f'Discharge planning - {p.n("lf")} - your PCP pt')
    t1 = f"""Angela,

Heads up on one of your Northgate patients - {p.n()}, DOB {p.d('mdy1')}, our MRN {p.hm()}.
Admitted for a fall at home with a right femoral neck fracture ({IC('S72.001A')}), s/p hemiarthroplasty
yesterday. PT recommending SNF but the family wants {p.him} to go home with home health. Lives alone, {p.his}
son is 2 hours away.

Anticipated discharge is {fdate(wd(m1.date, 2), 'dows')}. Can you join the family meeting tomorrow at 10? Call-in
is the 5 West conference line, {N('(614) 298-6000')} then conference ID {N('4417 2290#')}.

Denise"""
    m1.text = t1 + '\n\n' + sig('farrow') + '\n\n' + DISC_STB + '\n'
    m2 = Mail('carecoord', b, [f], f'RE: Discharge planning - {p.n("lf")} - your PCP pt')
    m2.text = f"""Denise - yes, I'll call in. {p.he.capitalize()} also had a fall in December and has been declining.
I'll let Dr. Whitfield know; I think he'd support SNF. Is Autumn Ridge an option? They have a bed per their
liaison this morning.

Angela

{gmail_attrib(f, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def cc_high_risk_csv():
    b = S['brooks']
    mgr = Who('Population Health Leadership', f'pophealth-leads@{MMP}')
    m = Mail('carecoord', b, [mgr], 'High-risk outreach list - Q1 (CSV)')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['Patient', 'DOB', 'MRN', 'Risk score', 'ED visits 12m', 'Admits 12m', 'Primary dx (ICD-10)', 'Phone', 'Assigned RN'])
    for _ in range(10):
        p = pt((45, 92))
        w.writerow([p.n('lf'), p.d('mdy'), p.m(), f'{R.uniform(2.1, 8.9):.2f}', R.randint(0, 7), R.randint(0, 4),
                    IC(R.choice(['I50.32', 'J44.9', 'N18.4', 'E11.22', 'F33.1', 'I48.91', 'J96.11', 'G30.9'])),
                    p.p('paren'), R.choice(['Brooks', 'Amaechi', 'Sandoval'])])
    m.attach('high_risk_q1.csv', buf.getvalue())
    m.text = """Attached is the Q1 high-risk list from the risk model (top 10 not yet enrolled). RNs have been assigned.
Please don't forward outside Population Health.

Angela
"""
    return m


def cc_daughter_medrec():
    p = pt((75, 92), sex='F')
    dtr = relative_of(p, 'F')
    dw = Who(f'{dtr} {p.last}', f'{asciify(dtr).lower().split()[0]}.{asciify(p.last).lower().replace(" ", "").replace(chr(39), "")}@{R.choice(EMAIL_DOMAINS)}')
    b = S['brooks']
    m1 = Mail('family', dw, [b], "Mom's medications - list as promised")
    t1 = f"""Hi Angela,

Thank you for calling yesterday. As promised, here is the list of what my mother, {p.n()}, is actually taking
(I went through her pill box):

- metoprolol 25mg twice a day
- Eliquis 5mg twice a day
- furosemide 20mg in the morning (she skips it if she's going out)
- donepezil 10mg at night
- vitamin D, "one a day" vitamin
- Tylenol PM most nights (!)

She stopped the sertraline on her own about a month ago. Her address for the pharmacy delivery is
{p.addr_block(', ')}. I'm at {PH(fph(gen_phone(), 'dot'))} during the day.

Thanks,
{dtr}"""
    m1.text = t1 + '\n'
    m2 = Mail('carecoord', b, [dw], "RE: Mom's medications - list as promised")
    m2.text = f"""Hi {dtr},

This is so helpful, thank you. Two things I'm flagging for Dr. Whitfield: the Tylenol PM (the diphenhydramine
in it can worsen memory and cause falls in older adults) and the sertraline she stopped. I'll call you after he
reviews - probably Thursday.

Angela

{sig('brooks')}

{gmail_attrib(dw, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


# ============================================================================
# HOSPITAL CASE MANAGEMENT / ADT
# ============================================================================
def hosp_snf_referral():
    p = pt((70, 94))
    f = S['farrow']
    snf = Who('Autumn Ridge Skilled Nursing - Admissions', 'admissions@autumnridgesnf.example')
    m = Mail('hospital', f, [snf], f'SNF referral - {p.n("LF")} - ready {fdate(wd(next_date(), 1), "md")}')
    m.text = f"""Admissions team,

Referral for skilled rehab. Clinicals are uploaded to the referral portal; face sheet summary below.

FACE SHEET
Patient: {p.n('LF')}
DOB: {p.d('mdy')}          Sex: {p.sex}
Hospital MRN: {p.hm()}
SSN: {p.ssn()}
Medicare MBI: {p.mbi(dashed=True)}
Secondary: Ohio Medicaid pending
Home address: {p.addr_block(', ')}
Emergency contact: {relative_of(p)} {p.last} (child) {PH(fph(gen_phone(), 'paren'))}

CLINICAL
Admit dx: {IC('S72.001A')} right femoral neck fracture, s/p hemiarthroplasty POD 3
Secondary: {IC('I10')}, {IC('N18.30')}, {IC('G30.9')}, {IC('W19.XXXA')}
PT: min-mod assist transfers, ambulates 30 ft with RW; WBAT RLE
Diet: regular, thin liquids. Continent. Mild cognitive impairment, oriented x2.
Qualifying 3-midnight stay: yes (admitted {fdate(wd(m.date, -4))})

Attending: Tobias Renner, MD (NPI {S['renner'].npi()})

{sig('farrow')}

{DISC_STB}
"""
    return m


def hosp_discharge_notice():
    p = pt((50, 88))
    m = Mail('hospital', W['stb_adt'], [S['marchetti']], f'Discharge notification: {p.n("LF")}')
    adm = wd(next_date(), -4)
    dc = wd(adm, 3)
    dxs = R.choice([('J18.9', 'J44.1'), ('A41.9', 'N39.0'), ('I63.9', 'I10'), ('N17.9', 'E87.1')])
    m.blocks = [
        ('h', 'St. Brigid Regional Medical Center - Discharge Notification'),
        ('p', 'You are listed as the primary care provider for the patient below. The discharge summary is available in '
              'the community provider portal.'),
        ('table', ['Field', 'Value'], [
            ['Patient', p.n('LF')], ['DOB', p.d()], ['Hospital MRN', p.hm()], ['Admit date', fdate(adm)],
            ['Discharge date', fdate(dc)], ['Disposition', R.choice(['Home', 'Home with home health', 'Skilled nursing facility'])],
            ['Principal diagnosis', f'{IC(dxs[0])} - {ICD[dxs[0]]}'], ['Secondary diagnosis', f'{IC(dxs[1])} - {ICD[dxs[1]]}'],
            ['Attending', 'Tobias Renner, MD'], ['Follow-up requested', 'PCP within 7 days']]),
        ('p', 'Questions: St. Brigid Transitions of Care line ' + PH('(614) 298-6690') + '.'),
        ('p', DISC_STB),
    ]
    return m


def hosp_ed_adt():
    p = pt((20, 90))
    m = Mail('hospital', W['stb_adt'], [W['carecoord']], 'ADT ALERT: ED ARRIVAL - ATTRIBUTED PATIENT')
    arr = next_date()
    dx = R.choice(['R07.9', 'J44.1', 'R55', 'N39.0', 'I50.33', 'E87.6'])
    m.text = f"""*** SYCAMORE HEALTH PARTNERS - ENCOUNTER NOTIFICATION ***
EVENT: A04 EMERGENCY DEPARTMENT REGISTRATION
FACILITY: ST. BRIGID REGIONAL MEDICAL CENTER
EVENT TIME: {arr.strftime('%m/%d/%Y %H:%M')}

PATIENT NAME: {p.n('LFM')}
DOB: {p.d('mdy')}
SEX: {p.sex}
FACILITY MRN: {p.hm()}
HOME PHONE: {p.p('paren')}
ADDRESS: {AD(p.street_.upper())}, {p.city.upper()}, {p.state} {p.zip}
CHIEF COMPLAINT: {R.choice(['CHEST PAIN', 'SOB', 'SYNCOPE', 'DYSURIA/FEVER', 'LEG SWELLING', 'WEAKNESS'])}
WORKING DX: {IC(dx)}
ATTRIBUTED PCP: SAMUEL WHITFIELD MD  NPI {S['whitfield'].npi()}
PAYER: {p.plan.upper()}   {('MBI ' + p.mbi()) if not p.member_ else ('MEMBER ID ' + p.mid())}

THIS NOTIFICATION IS SENT UNDER THE CMS CONDITIONS OF PARTICIPATION FOR ADT EVENT NOTIFICATIONS.
DO NOT REPLY - UNMONITORED MAILBOX.
"""
    return m


def hosp_readmit_alert():
    p = pt((60, 90))
    f = S['farrow']
    m = Mail('hospital', f, [W['carecoord'], S['okafor']], f'30-day readmission - {p.n()}')
    m.text = f"""Good morning,

{p.n()} ({p.d('mdy1')}, our MRN {p.hm()}) was readmitted overnight, 12 days after discharge, with CHF
exacerbation ({IC('I50.33')}). Per the patient {p.he} ran out of torsemide last week and could not afford the
refill; the cardiology follow-up was scheduled but {p.he} missed it because of transportation.

Attending: Dr. Renner. Cardiology consult placed. We are screening for Meds-to-Beds and will set up
transportation before discharge. Home phone {p.p('dash')}.

Denise Farrow, RN, ACM
St. Brigid Case Management
"""
    return m


# ============================================================================
# DURABLE MEDICAL EQUIPMENT
# ============================================================================
def dme_cpap_setup():
    p = pt((40, 75))
    k, l = S['sikes'], S['lau']
    m = Mail('dme', k, [l], f'CPAP setup complete - {p.n()}')
    m.text = f"""Dr. Lau,

Setup completed today in our Grove City office.

Patient: {p.n()}
DOB: {p.d('mdy1')}
Device: ResMed-type AutoSet, serial {N(digits(11))}, settings 6-16 cm H2O per order
Mask: medium nasal cushion ({N('A7034')}), fit test good, leak 8 L/min in office
Modem: cellular, data will appear in the cloud portal within 24 h
Dx: {IC('G47.33')}

Patient was shown cleaning, humidifier use and the app. We'll call at 1 week and review compliance at 30 days.
ID verified at pickup: {p.dl_state} driver's license {p.dl()}.

{sig('sikes')}
"""
    return m


def dme_oxygen_cmn():
    p = pt((66, 90))
    v, w = S['vo'], S['whitfield']
    m = Mail('dme', v, [w], f'Oxygen CMN signature needed - {p.n("lf")}')
    test = wd(m.date, -2)
    m.text = f"""Dr. Whitfield,

We need your signature on the oxygen Certificate of Medical Necessity (CMS-484) for the patient below before
we can bill Medicare. The form is faxed to your office; please sign, date and fax back.

Patient: {p.n()}
DOB: {p.d('mdy')}
MBI: {p.mbi()}
Qualifying test: SpO2 86% on room air at rest ({fdate(test)}), 92% on 2 L/min
Equipment: stationary concentrator ({N('E1390')}) + portable gaseous system ({N('E0431')})
Flow: 2 L/min continuous, 24 hrs/day
Dx: {IC('J96.11')} chronic respiratory failure with hypoxia; {IC('J44.9')}
Length of need: 99 months

Delivery was made {fdate(test + dt.timedelta(days=1))}; patient signed for the equipment.

{sig('vo')}

{DISC_KEY}
"""
    return m


def dme_wheelchair_f2f():
    p = pt((65, 90))
    while p.member_ is None:
        p = pt((65, 90))
    v, mc = S['vo'], S['marchetti']
    m = Mail('dme', v, [mc], f'Wheelchair order - missing face-to-face note - {p.n()}')
    m.text = f"""Dr. Marchetti,

We received the order for a standard wheelchair ({N('K0001')}) for {p.n()} (DOB {p.d('short')}).
{p.plan} requires a face-to-face examination within the 6 months before the order that documents:
  1. the mobility limitation and how it affects ADLs in the home
  2. why a cane or walker is not sufficient
  3. that the patient/caregiver can safely use the wheelchair

The note we have from {fdate(wd(m.date, -30), 'md')} mentions only "needs w/c". Could you add an addendum? Member ID
on our order is {p.mid()}. Dx on the order is {IC('M17.11')} and {IC('Z74.09')}.

Thank you,
{sig('vo')}
"""
    return m


def dme_resupply_csv():
    v, l = S['vo'], S['lau']
    m = Mail('dme', v, [W['sleepsched']], 'Resupply eligibility - March (CSV)')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['Patient Name', 'DOB', 'Phone', 'Items due', 'Last shipped', 'Ordering physician', 'Needs new Rx'])
    for _ in range(7):
        p = pt((30, 85))
        w.writerow([p.n(), p.d('mdy1'), p.p('dash'), R.choice(['A7034; A7037; A7038', 'A7030; A7037', 'A7038 x2', 'A7034']),
                    fdate(dt.date(2024, R.randint(8, 12), R.randint(1, 28))), 'Lau, Kenneth', R.choice(['N', 'N', 'Y'])])
    m.attach('resupply_mar.csv', buf.getvalue())
    m.text = f"""Hi sleep team,

Attached are patients eligible for resupply in March. The ones marked Y have an expired Rx (older than
12 months) - could Dr. Lau sign renewals? We'll fax the standard written orders.

{sig('vo')}
"""
    return m


# ============================================================================
# REFERENCE LAB
# ============================================================================
def lab_critical():
    p = pt((50, 90))
    m = Mail('lab', W['lab'], [S['whitfield']], 'CRITICAL VALUE NOTIFICATION - ACTION REQUIRED')
    coll = next_date()
    m.text = f"""TRI-COUNTY REFERENCE LABORATORY
*** CRITICAL VALUE NOTIFICATION ***

PATIENT: {p.n('LF')}
DOB: {p.d('mdy')}
MRN: {p.m()}
ACCESSION: {N('TC' + digits(10))}
COLLECTED: {coll.strftime('%m/%d/%Y %H:%M')}
ORDERING: WHITFIELD, SAMUEL MD   NPI {S['whitfield'].npi()}
ORDER DX: {IC('N18.4')}, {IC('E11.22')}
INSURANCE: {p.plan.upper()} {('MBI ' + p.mbi(dashed=True)) if not p.member_ else ('ID ' + p.mid())}

TEST                 RESULT     FLAG   REF RANGE
POTASSIUM            6.4        HH     3.5-5.1 mmol/L
CREATININE           3.12       H      0.60-1.20 mg/dL
BUN                  58         H      7-20 mg/dL
SODIUM               134        L      136-145 mmol/L

CPT BILLED: {CP('80048')}
THIS VALUE WAS CALLED TO THE OFFICE. IF NOT ACKNOWLEDGED WITHIN 30 MINUTES THE ON-CALL PHYSICIAN WILL BE PAGED.
CLIENT SERVICES: {PH('(614) 443-7100')}
"""
    return m


def lab_results_available():
    p = pt((25, 75))
    pw = pwho(p)
    m = Mail('lab', W['portal'], [pw], 'New test results are available')
    m.blocks = [
        ('p', f'Hello {p.first},'),
        ('p', 'New results from Tri-County Reference Laboratory have been released to your patient portal.'),
        ('kv', [('Patient', p.n()), ('Ordered by', R.choice(['Priya Natarajan, MD', 'Samuel Whitfield, MD', 'Helen Okafor, MD'])),
                ('Tests', 'Lipid panel; Hemoglobin A1c; Comprehensive metabolic panel')]),
        ('p', 'Your care team may send you a message about these results. If you have questions, please use the portal to '
              'message your provider. Do not reply to this e-mail.'),
        ('p', 'Millbrook Medical Partners Patient Portal'),
    ]
    return m


def lab_specimen_rejected():
    p = pt((20, 40), sex='F')
    m = Mail('lab', W['labcs'], [W['obgyn_inbox']], 'Specimen rejected - recollection required')
    m.text = f"""Client: Millbrook Women's Health - Westerville (acct {N('C' + digits(5))})

The following specimen could not be tested:

Patient: {p.n()}
DOB: {p.d('mdy1')}
Tests: Chlamydia/Gonorrhea NAAT ({CP('87491')}, {CP('87591')})
Accession: {N('TC' + digits(10))}
Reason: Specimen received in unapproved transport tube (urine cup instead of NAAT urine transport); stability exceeded.

Please recollect at your earliest convenience. No charge will be billed for the rejected specimen.

Tri-County Reference Laboratory - Client Services
{PH('(614) 443-7100')}, option 2
"""
    return m


def lab_sendout_results():
    p = pt((30, 70))
    m = Mail('lab', W['lab'], [W['endo_inbox']], f'Final results: {p.n("LF")}')
    coll = wd(next_date(), -3)
    m.blocks = [
        ('h', 'Tri-County Reference Laboratory - Final Report'),
        ('kv', [('Patient', p.n('LF')), ('DOB', p.d()), ('MRN', p.m()), ('Accession', N('TC' + digits(10))),
                ('Collected', fdate(coll)), ('Ordering provider', f'Priya Natarajan, MD (NPI {S["natarajan"].npi()})'),
                ('Order diagnosis', f'{IC("E05.00")}, {IC("E04.2")}')]),
        ('table', ['Test', 'Result', 'Flag', 'Units', 'Reference range', 'CPT'], [
            ['TSH', '0.02', 'L', 'uIU/mL', '0.45-4.50', CP('84443')],
            ['Free T4', '2.9', 'H', 'ng/dL', '0.82-1.77', CP('84439')],
            ['TSI (thyroid stimulating Ig)', '4.1', 'H', 'IU/L', '<0.55', CP('84445')]]),
        ('p', 'Performed at Tri-County Reference Laboratory, CLIA ' + N('36D' + digits(7)) + '. TSI performed by a reference '
              'laboratory partner.'),
    ]
    return m


def lab_missing_dx():
    m = Mail('lab', W['labcs'], [W['billing']], 'Missing diagnosis codes - 3 requisitions')
    lines = []
    for _ in range(3):
        p = pt((20, 85))
        test = R.choice([('Vitamin D 25-OH', '82306'), ('PSA', '84153'), ('Hepatitis C Ab', '86803'), ('Lipid panel', '80061'),
                         ('CBC', '85025'), ('Urine culture', '87086')])
        lines.append(f'  {p.n("lf")}, DOB {p.d("mdy")}, {test[0]} (CPT {CP(test[1])}), collected {fdate(wd(m.date, -R.randint(2, 9)))}')
    body = '\n'.join(lines)
    m.text = f"""Hello,

The requisitions below were received without an ICD-10 diagnosis code. Medicare and most commercial payers require
a diagnosis supporting medical necessity; without one we will have to bill the patient.

{body}

Please reply with the diagnosis code(s) or fax a corrected requisition to {PH('(614) 443-7199')} within 10 days.

Thank you,
Tri-County Reference Laboratory - Billing Client Services
"""
    return m


# ============================================================================
# PHARMACY BENEFIT MANAGER
# ============================================================================
def pbm_mail_order_transfer():
    p = pt((30, 64))
    l = S['lau']
    drug = R.choice([('modafinil 200 mg tablet', 'G47.419'), ('armodafinil 250 mg tablet', 'G47.411')])
    m = Mail('pbm', W['pbm_mail'], [W['sleepsched']], f'New prescription needed - {p.n("LF")}')
    m.text = f"""ScriptWell Home Delivery Pharmacy

Our member has requested to transfer the following prescription to home delivery. Controlled substance
prescriptions (C-II through C-V) cannot be transferred from a retail pharmacy for the first fill; please send a new
electronic prescription.

Member: {p.n('LF')}
DOB: {p.d('mdy')}
Rx member ID: {T('member_id', 'SW' + digits(9))}
Medication: {drug[0]}, 90-day supply
Dx on file: {IC(drug[1])}
Prescriber on file: Kenneth Lau, MD   NPI {l.npi()}   DEA {l.dea()}
ScriptWell Home Delivery NCPDP {N(digits(7))}, NPI {NP(SW_NPI)}, DEA {DE(SW_DEA)}

Prescriber line: {PH('(877) 304-6640')}   Fax: {PH('(877) 304-6649')}
"""
    return m


def pbm_id_card():
    p = pt((25, 64))
    pw = pwho(p)
    m = Mail('pbm', Who('ScriptWell Member Services', 'members@scriptwell.example'), [pw], 'Your replacement prescription ID card')
    rid = 'SW' + digits(9)
    m.blocks = [
        ('p', f'Hello {p.first},'),
        ('p', 'As requested, a replacement prescription ID card has been mailed. You can also show the digital card below '
              'at any in-network pharmacy.'),
        ('table', ['Card field', 'Value'], [['Member', p.n('FL')], ['Rx member ID', T('member_id', rid)], ['RxBIN', N('004' + digits(3))],
                             ['RxPCN', N('SWRX')], ['RxGRP', N('MMP' + digits(4))], ['Mailing address', p.addr()]]),
        ('p', 'If you did not request this card, please call Member Services at ' + PH('(877) 304-6600') + '.'),
    ]
    return m


SW_NPI = gen_npi('1')
SW_DEA = gen_dea('9', 'B')


# ============================================================================
# HARD NEGATIVES (no PHI/PII labelled)
# ============================================================================
def bridge():
    """conference bridge dial-in (never labelled)"""
    return N(fph(gen_phone(R.choice(['646', '312', '872', '669'])), R.choice(['paren', 'intl', 'dash'])))


def neg_it_outage():
    m = Mail('it', W['itsd'], [W['allstaff']], 'PLANNED DOWNTIME: ChartLine EHR upgrade Sat 02:00-06:00')
    day = wd(next_date(), 3)
    m.importance = 'high'
    m.blocks = [
        ('h', 'Planned EHR downtime'),
        ('p', f'ChartLine will be upgraded from version {N("2024.2.14")} to {N("2025.1.3")} (build {N(bad_npi("1"))}) on '
              f'{fdate(day + dt.timedelta(days=(5 - day.weekday()) % 7), "dow")}, 02:00-06:00.'),
        ('table', ['System', 'Impact', 'Downtime procedure'], [
            ['ChartLine EHR (all sites)', 'Read-only from 01:45, unavailable 02:00-06:00', 'Paper downtime forms, binder DT-1'],
            ['e-Prescribing', 'Unavailable', 'Call-in or paper scripts'],
            ['Lab interface (Tri-County)', 'Results queued, released after 06:00', 'None'],
            ['Patient portal', 'Unavailable', 'None'],
            ['Badge access / phones', 'Not affected', '-']]),
        ('p', f'Downtime reports (BCA workstations) were refreshed at 01:00. Server {N("chl-app-07")} ({N("10.42.18.7")}) '
              'will be the last to return; if ChartLine is still down at 06:15 call the service desk at ext. 4357.'),
        ('p', f'IT command center bridge during the upgrade: {bridge()}, conference ID {N(digits(3) + " " + digits(3) + " " + digits(3))}#. '
              f'Change ticket {N("CHG00" + digits(5))}.'),
        ('sig', 'Millbrook IT Service Desk\nInternal ext. 4357 | Portal: servicedesk (intranet)'),
    ]
    return m


def neg_hr_open_enrollment():
    m = Mail('hr', S['price'], [W['allstaff']], 'Open Enrollment 2025-2026 is open - deadline Friday the 21st')
    m.blocks = [
        ('p', 'Hello Millbrook team,'),
        ('p', 'Open enrollment for the 2025-2026 plan year is now open. All benefit-eligible employees must make an active '
              'election this year because we are changing the dental carrier. Coverage begins July 1.'),
        ('table', ['Plan', 'Group number', 'Employee only (per pay)', 'Employee + family (per pay)'], [
            ['Great Lakes Blue PPO 1500', N('GRP 0074412-0001'), '$42.18', '$211.40'],
            ['Great Lakes Blue HDHP 3300 + HSA', N('GRP 0074412-0003'), '$18.75', '$126.02'],
            ['Heartland Health Plan HMO Select', N('Group No. H71550'), '$35.60', '$188.33'],
            ['Delta-style Dental PPO (new carrier)', N('Group #22871'), '$6.12', '$29.85'],
            ['VisionFirst Basic', N('Grp 40015'), '$1.94', '$7.10']]),
        ('ul', ['HSA employer seed: $750 individual / $1,500 family, deposited in two installments.',
                'Spousal surcharge of $50 per pay applies if your spouse has access to coverage through their employer.',
                'FSA limit is $3,300; dependent care FSA is $5,000 per household.',
                'Tobacco attestation is required for the wellness discount.']),
        ('p', f'Benefits webinar: Tuesday 12:00-12:45. Join by phone {bridge()}, meeting ID {N(digits(3) + " " + digits(4) + " " + digits(4))}, '
              f'passcode {N(digits(6))}. A recording will be posted on the intranet.'),
        ('p', 'Questions? Reply to this e-mail or stop by HR (Suite 120, 2nd floor conference room B on Wednesdays).'),
        ('sig', sig('price')),
    ]
    return m


def neg_newsletter():
    m = Mail('newsletter', W['comms'], [W['allstaff']], 'The Millbrook Monthly - March')
    m.blocks = [
        ('h', 'The Millbrook Monthly'),
        ('p', 'Welcome to our newest providers! Dr. Farah Quintero (Gastroenterology) joins Dr. Wu at the Dublin campus, '
              'and Megan Oyelaran, RPSGT, has joined the Sleep Disorders Center as a night technologist.'),
        ('h', 'Staff flu clinic wrap-up'),
        ('p', 'Thank you to everyone who rolled up a sleeve - 94.6% of employees were vaccinated this season, our highest '
              'ever. Special thanks to Employee Health (Room ' + N('C14') + ', Building C).'),
        ('h', 'Around the group'),
        ('ul', ['The Westerville Women\'s Health office moves into the expanded Suite 110 on April 14.',
                'Cardiology will start Saturday echo hours in May.',
                'The new infusion chairs (model ' + N('IC-3400') + ') arrive next month - 4 additional bays.',
                'Congratulations to Trish Kowalski, RN, on 20 years with Millbrook!',
                'Patient satisfaction survey results: 91st percentile for "likelihood to recommend" in Q4.']),
        ('h', 'Recipe corner'),
        ('p', 'Sunita Rao\'s famous red lentil soup: 1 cup lentils, 1 onion, 2 tsp cumin, 1 can coconut milk, 4 cups broth. '
              'Simmer 25 minutes. Serves 6.'),
        ('p', 'Have news to share? Submit it by the 20th through the intranet form.'),
    ]
    return m


def neg_hvac_filters():
    c = S['castellano']
    m = Mail('facilities', c, [W['allstaff']], 'HVAC filter change - 2150 building this weekend')
    m.text = f"""All,

Facilities will be changing the air handler filters in the 2150 building (cardiology, infusion, imaging) this
Saturday 7:00-13:00. Expect some noise on floors 1 and 3.

Units: AHU-1 ({N('SN 1047829931')}), AHU-2 ({N('SN 1047829947')}), AHU-3 ({N('SN 1051736620')})
Filters: MERV 14, filter model {N('R10.5')} (24x24x12) and prefilter model {N('E11.9')}-2, qty 36 each
Work order: {N('WO-' + digits(6))}

The infusion center pharmacy clean room is on a separate system ({N('AHU-CR1')}) and is not affected.

Thanks,
{sig('castellano')}
"""
    return m


def neg_supply_order():
    vendor = Who('MedSupply Direct - Order Confirmation', 'orders@medsupplydirect.example')
    so = 'SO-' + digits(7)
    m = Mail('supply', vendor, [Who('Central Supply', f'centralsupply@{MMP}')], 'Order confirmation ' + N(so))
    rows = [[N('PN 0517-968-62'), 'Nitrile exam gloves, M, 200/bx', '40 bx', '$8.42', '$336.80'],
            [N('PN 1188-204-3391'), 'ECG electrodes, foam, 30/pk', '25 pk', '$11.90', '$297.50'],
            [N('PN 4402-55'), 'Alcohol prep pads, 200/bx', '30 bx', '$2.15', '$64.50'],
            [N('PN 93000-KT'), 'Holter hookup kit', '10 ea', '$14.75', '$147.50'],
            [N('PN 7731-0200-1'), 'Sharps container 2 gal', '24 ea', '$4.30', '$103.20']]
    m.blocks = [
        ('p', 'Thank you for your order. Your items will ship within 2 business days.'),
        ('kv', [('Order number', N(so)), ('Customer PO', N('99213')), ('Account', N(digits(6))),
                ('Ship to', 'Millbrook Medical Partners - Central Supply, Bldg C, Dock 2, Dublin OH 43017-' + N(digits(4))),
                ('Ship via', 'FedEx Ground'), ('Tracking', N(digits(12)))]),
        ('table', ['Part number', 'Description', 'Qty', 'Unit price', 'Extended'], rows),
        ('p', 'Subtotal $949.50 | Freight $0.00 | Tax exempt | Total $949.50'),
        ('p', 'Questions about your order? Reply to this message and include the order number.'),
    ]
    return m


def neg_quality_agenda():
    m = Mail('admin', S['haverford'], [Who('Quality & Safety Committee', f'qsc@{MMP}')], 'Agenda - Quality & Safety Committee')
    mtg = wd(next_date(), 4)
    m.text = f"""Quality & Safety Committee
{fdate(mtg, 'dow')}, 7:30-9:00 AM
Kenwood campus, Board Room (3rd floor, Room 3120)
Dial-in {bridge()} PIN {N(digits(6))}#

1. Approval of minutes ({fdate(wd(mtg, -20), 'md')})                         Haverford   5 min
2. Hand hygiene audit - Q4 results (87% -> 93%)                    Employee Health 10 min
3. Sentinel event review - medication error, closed                Pharmacy    20 min
4. HEDIS dashboard: A1c <8% at 71.3%, BP control 68.9%             Pop Health  15 min
5. Falls in clinic - 4 events, 0 injuries                           Facilities  10 min
6. New policy: GLP-1 agonists before sedation (hold 7 days)         Anesthesia  15 min
7. Open discussion

Pre-reads are in the committee folder. Please do not bring patient identifiers to the meeting; case reviews
use the RCA numbers ({N('RCA-2025-' + digits(3))}, {N('RCA-2025-' + digits(3))}).

Paul
"""
    return m


def neg_release_notes():
    m = Mail('it', W['itsd'], [W['allstaff']], 'ChartLine 2025.1.3 - what\'s new for clinicians')
    m.text = f"""ChartLine {N('2025.1.3')} release notes (clinical highlights)

- In Basket: results can now be acknowledged in bulk (up to 50).
- Orders: the preference list search now matches on partial words ("echo" finds "Echocardiogram TTE").
- Problem list: SNOMED-to-ICD mapping table updated to the FY2025 release.
- e-Prescribing: EPCS token timeout extended from 5 to 10 minutes.
- Fixed: printing an After Visit Summary from a locked encounter no longer duplicates page 2 ({N('DEF-' + digits(5))}).
- Fixed: flowsheet graphs with more than 400 points now render ({N('DEF-' + digits(5))}).

Build: {N(bad_npi('1'))}   Interface engine: {N('v7.4.11')}   Database patch: {N('DBP-2025-02')}

Tip sheets are on the intranet under Training > ChartLine.
"""
    return m


def neg_pt_update():
    m = Mail('pharmacy', Who('P&T Committee', f'pandt@{MMP}'), [W['allstaff']], 'P&T update: shortages and formulary changes')
    m.text = """Pharmacy & Therapeutics - monthly update

SHORTAGES
- Lidocaine 1% 30 mL vials: allocation continues. Use 10 mL vials; do not draw multiple doses from one vial.
- Methylprednisolone 125 mg: available, limited. Dexamethasone 10 mg IV is an acceptable substitute for most
  infusion premedication protocols.
- Semaglutide pens: intermittent supply at retail pharmacies; no change to prescribing.

FORMULARY CHANGES (effective April 1)
- Added: tirzepatide (diabetes and obesity indications per plan criteria), apixaban 2.5 mg starter packs.
- Removed from clinic stock: promethazine injection (tissue injury risk) - use ondansetron 4 mg IV/ODT.
- Vaccines: RSV vaccine now stocked at all adult primary care sites; dose 0.5 mL IM once.

REMINDERS
- Insulin pens are single-patient use. Label with patient sticker at first use.
- Multi-dose vials expire 28 days after opening unless the manufacturer says otherwise.

Questions: pharmacy ext. 4400
"""
    return m


def neg_vendor_invoice():
    vendor = Who('Precision Biomedical Services - AR', 'ar@precisionbiomed.example')
    inv = 'INV-' + digits(6)
    m = Mail('finance', vendor, [Who('Accounts Payable', f'ap@{MMP}')], 'Invoice ' + N(inv) + ' - preventive maintenance Q1')
    m.text = f"""Please find the invoice details for Q1 preventive maintenance below.

Invoice number: {N(inv)}
Invoice date: {fdate(next_date())}
Customer account: {N('MMP-' + digits(5))}
PO: {N('4500' + digits(6))}
Terms: Net 45

  Infusion pumps (32) - electrical safety & flow test        $2,880.00
  ECG carts (6) - calibration                                  $690.00
  Sleep lab amplifiers (6) - impedance check                   $840.00
  Autoclave (2) - validation                                   $525.00
  Total due                                                  $4,935.00

Remittance: ACH preferred. Our bank details are on file with your AP department; for your records, the
legacy "routing slip" reference on our old invoices ({N(bad_aba())}) is no longer used.

Thank you for your business.
Precision Biomedical Services, Accounts Receivable
"""
    return m


def neg_fire_drill():
    c = S['castellano']
    m = Mail('facilities', c, [W['allstaff']], 'Fire drill Wednesday + parking lot B resurfacing')
    m.text = f"""Two facilities items:

1) FIRE DRILL - Wednesday between 10:00 and 11:00 at the Kenwood campus (2150 and 2200 buildings). Patients in
   exam rooms do not need to evacuate; staff should follow RACE/PASS and close doors. Infusion chairs 1-12 shelter
   in place. The alarm will sound for about 3 minutes.

2) LOT B RESURFACING - Lot B will be closed Friday 6 PM through Monday 5 AM. Staff parking moves to the overflow
   lot behind Building C; shuttle runs every 10 minutes from Door 4. Handicap spaces in Lot A are unaffected.

Thanks for your patience.
{sig('castellano')}
"""
    return m


def neg_grand_rounds():
    m = Mail('education', W['comms'], [W['allstaff']], 'Grand Rounds: "Atrial fibrillation in 2025" - 1.0 CME')
    m.text = f"""MEDICAL GRAND ROUNDS
Thursday, 12:00-1:00 PM | Kenwood Board Room (3120) and livestream

"Atrial Fibrillation in 2025: Screening, Anticoagulation and Ablation"
Speaker: Nikhil Patel, MD, Interventional Cardiology, with Helen Okafor, MD, FACC

Objectives:
  1. Apply current guideline recommendations for stroke risk assessment (CHA2DS2-VASc).
  2. Compare DOAC dosing in chronic kidney disease.
  3. Identify candidates for early rhythm control and left atrial appendage occlusion.

Millbrook Medical Partners is accredited to provide continuing medical education for physicians and designates
this live activity for a maximum of 1.0 AMA PRA Category 1 Credit(TM). Nursing contact hours: 1.0.
Lunch provided (first 40 attendees). Activity code for attendance: {N('GR-' + digits(4))}.
"""
    return m


def neg_fridge_log():
    m = Mail('facilities', Who('Pediatrics Clinical Supervisor', f'peds-supervisor@{MMP}'), [Who('Peds Nursing', f'peds-nursing@{MMP}')],
             'Vaccine fridge excursion - resolved')
    m.text = f"""Team,

FYI - the data logger on vaccine fridge #2 ({N('serial 20471339')}, model {N('TL-440')}) recorded a temperature of 8.4 C
from 02:10 to 02:55 Tuesday (power blip). Max allowed is 8.0 C. Per the VFC protocol I:

- quarantined the fridge contents (labelled DO NOT USE) and moved them to fridge #1
- called the manufacturers: all lots are within stability data for a 45-minute excursion at that temp
- documented on the excursion form and notified the state VFC coordinator (case {N('EXC-' + digits(5))})

Contents are back in use. Please check the min/max display at the start of every shift and initial the log.
Current readings: fridge #1 4.6 C, fridge #2 4.9 C, freezer -19.2 C.

Thanks,
Pediatrics Clinical Supervisor
"""
    return m


def neg_password_ticket():
    tk = 'INC00' + digits(5)
    m = Mail('it', W['itsd'], [Who('Megan Oyelaran', f'moyelaran@{MMP}')], 'Ticket ' + N(tk) + ' resolved - account unlock')
    m.text = f"""Hello Megan,

Your ticket {N(tk)} (ChartLine account locked after password expiration) has been resolved.

Resolution: Account unlocked and password reset. You will be prompted to choose a new password at next sign-in.
Device: {N('MMP-LT-' + digits(5))} (asset tag {N(digits(7))}), Windows build {N('10.0.22631.4890')}

Passwords must be 14+ characters. Never share your password - the Service Desk will never ask for it.

If the issue is not resolved, reply to this message within 5 days to reopen the ticket.

Millbrook IT Service Desk - ext. 4357
"""
    return m


def neg_call_schedule():
    m = Mail('admin', Who('Cardiology Practice Manager', f'card-manager@{MMP}'), [W['cardstaff']], 'April call schedule (final)')
    docs = ['Okafor', 'Patel', 'Lindholm', 'Abara']
    start = dt.date(2025, 4, 1)
    lines = []
    for i in range(0, 30, 7):
        d = start + dt.timedelta(days=i)
        lines.append(f'  Week of {fdate(d, "md")}: {docs[(i // 7) % 4]} (primary) / {docs[(i // 7 + 1) % 4]} (backup)')
    body = '\n'.join(lines)
    m.text = f"""Final April call schedule. Swaps must be approved by me and updated in the answering service portal.

{body}

Holiday coverage for Memorial Day will be posted next month. Device clinic call rotates with the CCDS techs
as usual.
"""
    return m


def neg_pharma_lunch():
    rep = Who('Alexandra Nowell', 'anowell@vireonpharma.example')
    m = Mail('vendor', rep, [Who('Endocrinology Staff', f'endo-staff@{MMP}')], 'Lunch & learn - new weekly basal insulin')
    m.text = """Hi all,

Thank you for having me last month! I'd love to come back with lunch on Wednesday the 9th (12:15) to review the
new once-weekly basal insulin data (ONWARDS-style trials), titration in patients switching from glargine U-100 or
degludec, and the savings card program (eligible commercially insured patients may pay as little as $35/month).

I'll bring lunch for 15 from the Greek place you liked. Please let me know about dietary restrictions.

Alexandra Nowell
Endocrine Account Specialist, Vireon Pharmaceuticals
"""
    return m


def neg_phishing_warning():
    m = Mail('it', Who('Millbrook Information Security', f'infosec@{MMP}'), [W['allstaff']], 'Phishing alert: fake "payroll update" e-mails')
    m.text = f"""Security alert

Several staff received an e-mail this morning claiming to be from "Payroll Services" asking you to "verify your
direct deposit" by following a link. It is a phishing attempt. The messages reference a fake invoice number
({N('INV-' + digits(6))}) and a fake voicemail transcript.

If you clicked the link or entered your password:
  1. Change your password immediately from a Millbrook computer.
  2. Report it to the Service Desk (ext. 4357) - you will not get in trouble.

Use the "Report Phish" button in Outlook for any suspicious message. Payroll will never ask for bank information
by e-mail.

Millbrook Information Security
"""
    return m


def neg_satisfaction_survey():
    m = Mail('admin', W['comms'], [Who('Department Leaders', f'leaders@{MMP}')], 'Q4 patient satisfaction survey results')
    rows = [['Cardiology', '612', '92.4', '88th'], ['Dermatology', '401', '94.1', '93rd'], ['Endocrinology', '288', '89.7', '71st'],
            ['Eye Institute', '530', '95.0', '95th'], ['OB/GYN', '477', '90.2', '79th'], ['Pediatrics', '690', '93.8', '91st'],
            ['Sleep Center', '156', '86.9', '58th'], ['Infusion', '204', '97.2', '99th']]
    m.blocks = [
        ('p', 'Q4 Patient satisfaction survey results are in. Overall "likelihood to recommend" was 92.6 (top-box 84%).'),
        ('table', ['Department', 'Surveys returned', 'Mean score', 'National percentile'], rows),
        ('p', 'Top comment themes: friendly staff, parking at Kenwood, wait times in the sleep center check-in. Detailed '
              'comments (de-identified) are in the shared drive.'),
    ]
    return m


def neg_credentialing_reminder():
    m = Mail('admin', Who('Medical Staff Office', f'medstaff@{MMP}'), [Who('Providers', f'providers@{MMP}')], 'Credentialing: licenses and registrations expiring in 90 days')
    m.text = """Hello providers,

Our tracking system shows the following items expire in the next 90 days. Please renew and send a copy of the
renewed document to the Medical Staff Office.

  - Ohio medical license (State Medical Board) - 3 providers
  - DEA registration - 2 providers (renew at least 45 days ahead to avoid EPCS interruption)
  - Ohio CTR (terminal distributor) license for the infusion center - facility, due June 30
  - BLS/ACLS cards - 6 providers
  - CAQH re-attestation - every 120 days

You will receive an individual reminder with the specific items. Thank you for keeping your files current!

Medical Staff Office
"""
    return m


def neg_shipping_notice():
    m = Mail('supply', Who('MedSupply Direct Shipping', 'shipping@medsupplydirect.example'), [Who('Central Supply', f'centralsupply@{MMP}')],
             'Your order has shipped (3 packages)')
    ups = '1Z' + ''.join(R.choice(UP + DIG) for _ in range(6)) + digits(10)
    usps = '9400' + digits(18)
    m.text = f"""Your order {N('SO-' + digits(7))} has shipped.

Package 1 of 3  UPS Ground           {N(ups)}
Package 2 of 3  FedEx Ground         {N(digits(12))}
Package 3 of 3  USPS Priority Mail   {N(usps)}

Estimated delivery: {fdate(wd(next_date(), 3), 'dow')}
Ship to: Central Supply, Dock 2, Dublin, OH 43017-{N(digits(4))}

Items: ECG electrodes (25 pk), nitrile gloves M (40 bx), alcohol prep pads (30 bx)
"""
    return m


def neg_room_booking():
    m = Mail('admin', Who('Room Scheduling', f'rooms@{MMP}'), [Who('Josh Tran', f'jtran@{MMP}')], 'Room reservation confirmed: Conf Rm B12')
    d = wd(next_date(), 5)
    m.text = f"""Your reservation is confirmed.

Room: Conference Room {N('B12')} (Building B, 1st floor), capacity 12
Date: {fdate(d, 'dow')}
Time: 12:00 PM - 1:00 PM
Event: Derm journal club
Equipment: display, webcam, speakerphone
Confirmation: {N('RSV' + digits(6))}

To cancel, use the room booking page on the intranet at least 24 hours in advance.
"""
    return m


def neg_holiday_schedule():
    m = Mail('hr', W['hr'], [W['allstaff']], 'Memorial Day clinic hours')
    m.text = """All Millbrook clinics will be closed Monday, May 26 for Memorial Day, except:

  - Infusion Center: open 8:00 AM - 2:00 PM for scheduled treatments only
  - Sleep Disorders Center: studies Sunday night as scheduled, closed Monday night
  - The answering service will page the on-call providers as usual

Holiday pay applies per policy HR-310. Non-exempt staff working the holiday receive time and a half.
Have a safe and restful weekend.

Human Resources
"""
    return m


def neg_wifi_change():
    m = Mail('it', W['itsd'], [W['allstaff']], 'Guest Wi-Fi name and password change Monday')
    m.text = f"""Starting Monday the guest Wi-Fi network name changes from "MMP-Guest" to "Millbrook-Guest".
Patients and visitors will see a new splash page; the password rotates monthly and is printed on the
signs at check-in (this month: {N('Maple-Leaf-74')}).

Staff devices should stay on "MMP-Secure" - do not connect work laptops to the guest network.
Access points replaced this month: {N('AP-2150-3F-07')}, {N('AP-2150-3F-08')} (model {N('C9120AXI')}).

IT Service Desk, ext. 4357
"""
    return m


def neg_template_update():
    m = Mail('it', Who('ChartLine Clinical Informatics', f'informatics@{MMP}'), [W['allstaff']], 'New SmartPhrases for sleep and endo notes')
    m.text = """Clinical informatics has published new SmartPhrases:

  .SLEEPHPI    - sleep history with Epworth and STOP-BANG
  .CPAPCOMP    - pulls the last 30-day adherence download into the note
  .CGMREVIEW   - time-in-range summary table (requires the CGM interface)
  .THYROIDUS   - TI-RADS structured findings

They appear in your personal list after you log out and back in. Report issues through the informatics request
form. Remember that SmartPhrases pull from the chart - always review the text before signing.

Clinical Informatics
"""
    return m


def neg_quality_dashboard():
    m = Mail('admin', Who('Population Health Analytics', f'analytics@{MMP}'), [Who('Department Leaders', f'leaders@{MMP}')], 'Value-based care dashboard - February')
    rows = [['Diabetes: A1c poor control (>9%)', '14.8%', '<15%', 'Met'],
            ['Controlling high blood pressure', '68.9%', '70%', 'Not met'],
            ['Breast cancer screening', '77.2%', '75%', 'Met'],
            ['Colorectal cancer screening', '69.5%', '72%', 'Not met'],
            ['Statin therapy for CVD', '84.1%', '81%', 'Met'],
            ['Follow-up after ED visit (7 days)', '51.0%', '55%', 'Not met']]
    m.blocks = [
        ('p', 'February value-based care dashboard (attributed population: 41,388). Rates are year-to-date.'),
        ('table', ['Measure', 'Rate', 'Target', 'Status'], rows),
        ('p', 'Patient-level gap lists are available in the analytics workspace for authorized users only.'),
    ]
    return m


def neg_price_list_csv():
    vendor = Who('Ohio Valley Orthotics - Customer Care', 'care@ovorthotics.example')
    m = Mail('vendor', vendor, [Who('Central Supply', f'centralsupply@{MMP}')], '2025 price list (CSV)')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['Catalog #', 'Description', 'Size', 'Unit', 'List price', 'Contract price'])
    items = [('Wrist brace, cock-up', 'S/M/L'), ('Post-op shoe', 'XS-XL'), ('Knee immobilizer 20in', 'Universal'),
             ('Cam walker boot, tall', 'S/M/L'), ('Arm sling with pad', 'Adult'), ('Finger splint, aluminum', 'Assorted'),
             ('Cervical collar, soft', 'Adult'), ('Thumb spica brace', 'S/M/L')]
    for desc, size in items:
        list_p = R.randint(8, 140) + R.choice([0.0, 0.5, 0.95])
        w.writerow([N(f'OV-{digits(4)}-{R.choice(UP)}{digits(2)}'), desc, size, 'ea', f'{list_p:.2f}', f'{list_p * 0.72:.2f}'])
    m.attach('OVO_price_list_2025.csv', buf.getvalue())
    m.text = """Hello,

Attached is the 2025 contract price list. Prices are effective through December 31; freight is included on
orders over $250. Let us know if you need the list in another format.

Ohio Valley Orthotics Customer Care
"""
    return m


def neg_equipment_recall():
    m = Mail('facilities', Who('Biomedical Engineering', f'biomed@{MMP}'), [Who('Nurse Managers', f'nurse-managers@{MMP}')], 'URGENT: infusion pump field correction')
    m.importance = 'high'
    m.text = f"""Nurse managers,

The manufacturer has issued a field safety notice for large-volume infusion pumps, model {N('E11.9')}-LVP with
software {N('v12.1.4')}. Under rare conditions the pump can display a false "upstream occlusion" alarm after a
channel restart.

Affected serial numbers in our fleet: {N('11204833')} through {N('11204860')} (24 pumps, infusion center and
sleep lab). Biomed will install software {N('v12.1.6')} on all affected pumps Thursday and Friday. Until then:
- if the alarm occurs, verify the line and restart the infusion; it is safe to continue
- tag any pump that alarms more than twice and send it to Biomed (Room {N('A09')})

Recall reference: {N('FSN-2025-' + digits(4))}.

Biomedical Engineering
"""
    return m


def neg_formulary_notice():
    m = Mail('pbm', Who('ScriptWell Provider Communications', 'provider-news@scriptwell.example'), [W['allstaff']], 'Formulary update effective July 1')
    m.text = """ScriptWell Pharmacy Solutions - Provider formulary notice

Effective July 1, the following changes apply to the Standard and Advantage formularies:

MOVED TO NON-PREFERRED: brand insulin glargine (preferred: unbranded glargine-yfgn)
ADDED WITH PRIOR AUTHORIZATION: tirzepatide for chronic weight management (BMI >=30, or >=27 with comorbidity)
STEP THERAPY: for plaque psoriasis biologics, one preferred agent (adalimumab biosimilar, ustekinumab) is required
QUANTITY LIMIT: modafinil 200 mg - 30 tablets per 30 days

Members affected by a change will receive a letter 30 days before the effective date. Transition fills of up to
30 days are allowed for current users.

This is a general notice and does not contain member information.
"""
    return m


def neg_timecard():
    m = Mail('hr', Who('Payroll', f'payroll@{MMP}'), [W['allstaff']], 'Timecard approval deadline - early this pay period')
    m.text = """Because of the holiday, timecards for the pay period ending Saturday must be submitted by Monday 10:00 AM
and approved by managers by Monday 3:00 PM. Paychecks and direct deposits will be issued on Friday as usual.

Reminders:
- Missed punches must be corrected with a reason code.
- PTO requests for this period must be approved before payroll closes.
- Overtime requires manager approval in advance.

Payroll
"""
    return m


def neg_courier_route():
    m = Mail('lab', W['labcs'], [Who('Practice Managers', f'practice-managers@{MMP}')], 'Courier route changes starting Monday')
    m.text = f"""Tri-County Reference Laboratory - client notice

Starting Monday, courier pickup times change for the following Millbrook locations:

  Route {N('14')} - Lewis Center (Quarry Bend): 11:30 and 16:45 (was 12:00 / 17:00)
  Route {N('22')} - Westerville: 11:00 and 16:15
  Route {N('22')} - Worthington: 11:40 and 16:30
  STAT pickups: request through the client portal; average response 60 minutes

Please have specimens bagged and the manifest ({N('MAN-' + digits(6))} series) signed before the courier arrives.
Frozen specimens need dry ice - request it by 10:00.

Tri-County Client Services
"""
    return m


def neg_staff_meeting_minutes():
    m = Mail('admin', Who('Operations', f'operations@{MMP}'), [Who('Site Managers', f'site-managers@{MMP}')], 'Minutes - site managers meeting')
    m.text = """Site managers meeting - minutes

Attendees: Castellano, Okoro, Lindqvist, Benson, Howard (guest), Price

1. Westerville Suite 110 expansion: punch list 90% done; move date April 14. Phones and network are on schedule.
2. Dublin: the elevator in the 2200 building will be out of service for inspection on the 2nd (2-3 hours).
3. Supply costs: gloves up 6% since January; we are trialing a second vendor.
4. Staffing: 3 open MA positions (2 Westerville, 1 Pediatrics). Referral bonus is $1,000.
5. Patient check-in kiosks: pilot at the Eye Institute next month (units ID K-01 to K-04).

Next meeting in 4 weeks, same time, Room 3120.
"""
    return m


# ============================================================================
# additional scenarios (registration, SSA, controlled-substance Rx, payments)
# ============================================================================
def reg_new_patient_intake():
    p = pt((22, 64))
    while not p.member_:
        p = pt((22, 64))
    pw = pwho(p)
    reg = Who('New Patient Registration', f'registration@{MMP}')
    ec_sex = R.choice('FM')
    ec = relative_of(p, ec_sex)
    ec_rel = R.choice(['spouse', 'sister', 'mother'] if ec_sex == 'F' else ['spouse', 'brother', 'father'])
    ssn9 = p.ssn_.replace('-', '')
    m = Mail('patient', pw, [reg], 'New patient forms - sorry the portal kept timing out')
    m.text = f"""Hello,

The online form kept logging me out so here are my answers. My first appointment is with Dr. Fontaine
next week.

Full name: {p.n('fml')}
Date of birth: {p.d('mdy')}
SSN: {T('us_ssn', ssn9)}
Address: {p.addr_block(', ')}
Cell: {p.p('paren', cell=True)}
Home: none
Email: {p.em()}
Driver's license: {p.dl_state} {p.dl()}
Insurance: {p.plan}
Member ID: {p.mid()}
{p.group_}
Emergency contact: {ec} {p.last}, {ec_rel}, {PH(fph(gen_phone(), 'dash'))}
Pharmacy: Kroger on Sawmill
Allergies: sulfa (hives)

I'll bring my insurance card and license to the visit.

Thank you
"""
    return m


def roi_ssa_request():
    p = pt((30, 62))
    dds = Who('Ohio DDS - Medical Evidence Unit', 'mer-requests@ohdds.example')
    m = Mail('roi', dds, [W['roi']], f'Request for medical evidence - claimant {p.n("LF")}')
    m.text = f"""OPPORTUNITY FOR DISABILITY DETERMINATION - REQUEST FOR MEDICAL EVIDENCE

Claimant: {p.n('LF')}
Claimant SSN: {p.ssn()}
Date of birth: {p.d('mdy')}
Also known as: none
DDS case number: {N('DDS-' + digits(8))}
Alleged impairments: heart failure, diabetes with neuropathy, depression

Please furnish copies of all treatment records from 01/01/2023 to present, including office notes, test
results (echocardiograms, stress tests), medication lists and any functional assessments.
A signed SSA-827 authorization is on file with this office.

Fax: {PH('(614) 438-1700')}   Phone: {PH('(614) 438-1744')}
Payment for records will be issued per the Ohio DDS fee schedule (invoice required).

Disability Determination Services - Medical Evidence Unit
"""
    return m


def onc_oxycodone_thread():
    p = pt((50, 80))
    mh = S['mehta']
    rph = Who('Scioto Valley Pharmacy', 'rx@sciotovalleyrx.example')
    bad = bad_dea('M')
    m1 = Mail('pharmacy', rph, [mh], f'Controlled Rx on hold - {p.n("lf")}')
    t1 = f"""Dr. Mehta,

We are holding a prescription for {p.n()} (DOB {p.d('mdy1')}):

  oxycodone 5 mg tablet, NDC {ND(gen_ndc('442'))}, 1-2 tabs PO q4h prn pain, #60

The DEA number on the printed script ({N(bad)}) does not pass verification in our system. Please confirm
your DEA registration or send the prescription electronically. The patient's daughter is waiting to pick it up;
she will show her {p.dl_state} driver's license for the controlled substance log.

Pharmacist on duty: K. Albrecht, RPh
Scioto Valley Pharmacy  {PH('(740) 369-2211')}  fax {PH('(740) 369-2219')}"""
    m1.text = t1 + '\n'
    m2 = Mail('infusion', mh, [rph], f'RE: Controlled Rx on hold - {p.n("lf")}')
    m2.text = f"""Sorry about that - the print template had an old number on it. My DEA is {mh.dea()}, NPI {mh.npi()}.
I have also sent the prescription electronically just now (EPCS); please cancel the paper one.
Dx {IC('C61')}, pain from bone metastases.

Anil Mehta, MD

{gmail_attrib(rph, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def asc_postop_rx():
    p = pt((30, 75))
    st = S['stamos']
    rph = Who('Bluestone Pharmacy #214', 'rx214@bluestonerx.example')
    m = Mail('asc', st, [rph], f'post-op Rx verification - {p.n()}')
    m.text = f"""Bluestone pharmacy,

Confirming the e-prescription sent this morning after surgery at Riverbend ASC:

Patient: {p.n()}
DOB: {p.d('short')}
Procedure: arthroscopic rotator cuff repair ({CP('29827')}), dx {IC('M75.121')}
Rx: oxycodone-acetaminophen 5-325 mg tab, NDC {ND(gen_ndc('532'))}, 1 tab q6h prn severe pain, #20, no refills
    ondansetron 4 mg ODT, NDC {ND(gen_ndc('541'))}, q8h prn nausea, #10
Prescriber: Gregory Stamos, MD   NPI {st.npi()}   DEA {st.dea()}

OARRS checked today. Patient phone {p.p('dash')}.

G. Stamos, MD
Orthopaedic Surgery
"""
    return m


def billing_statement_card_reply():
    p = pt((25, 70))
    pw = pwho(p)
    m1 = Mail('billing', W['billing'], [pw], 'Your Millbrook Medical Partners statement is ready')
    ref = bad_cc16()
    bal = f'{R.randint(40, 480)}.{R.randint(10, 99)}'
    t1 = f"""Your statement is ready.

Patient: {p.n()}
Statement date: {fdate(wd(m1.date, -1))}
Amount due: ${bal}
Due by: {fdate(wd(m1.date, 20))}
Statement reference: {N(ref)}

Pay online through the patient portal, by phone at {PH('(614) 782-4055')}, or reply to this message if you need a
payment plan. Please do not send card numbers by e-mail."""
    m1.text = t1 + '\n'
    m2 = Mail('patient', pw, [W['billing']], 'Re: Your Millbrook Medical Partners statement is ready')
    card = gen_cc('mc2', sep=R.choice([' ', '-']))
    m2.text = f"""I tried the portal 3 times and it keeps saying error. Just put it on this card please:

{T('credit_card', card)}
exp {R.randint(1, 12):02d}/{R.randint(26, 29)}  code {digits(3)}

the full ${bal}. Thanks

{gmail_attrib(W['billing'], m1.date)}
{quote(t1)}
"""
    return [m1, m2]


def billing_refund_ach():
    p = pt((30, 70))
    pw = pwho(p)
    so = S['okoro']
    m1 = Mail('billing', so, [pw], 'Refund of overpayment')
    t1 = f"""Hello,

Our records show a credit balance of $212.50 on the account for {p.n()} after your insurance reprocessed
the claim from {fdate(dt.date(2024, R.randint(9, 12), R.randint(1, 28)), 'long')}. We can mail a check (4-6 weeks) or
send the refund by direct deposit. If you prefer direct deposit, please call us to provide the bank details.

{sig('okoro')}"""
    m1.text = t1 + '\n'
    m2 = Mail('patient', pw, [so], 'RE: Refund of overpayment')
    m2.text = f"""Direct deposit please. It's easier to just email it:

Bank: {R.choice(['Scioto Federal Credit Union', 'Olentangy Valley Bank', 'First Buckeye Bank'])}
Routing # {T('aba_routing', gen_aba())}
Acct # {N(digits(10))}
Savings

Thank you!

{gmail_attrib(so, m1.date)}
{quote(t1)}
"""
    return [m1, m2]


# ============================================================================
# forwarded chains built on top of other scenarios
# ============================================================================
def card_wife_device_fwd():
    m1 = card_wife_device()
    m2 = forward(m1, S['kent'], [S['marsh']],
                 'Devon - this came into the cardiology staff box. Can you check whether his monitor needs re-pairing after '
                 'the internet change? Wife prefers a call.\n\nBri', kind='cardiology')
    return [m1, m2]


def sleep_mask_leak_fwd():
    m1 = sleep_mask_leak()
    m2 = forward(m1, S['vo'], [S['sikes']],
                 'Jared - can you call this pt for a refit? Chart shows medium full face, 2 months in. '
                 'Resupply eligibility for a new mask is fine.\n\nKim', kind='dme')
    return [m1, m2]


def peds_newborn_fwd():
    m1 = peds_newborn()
    m2 = forward(m1, S['lindqvist'], [S['achterberg']],
                 'Dr. A - newborn from St. Brigid, I booked tomorrow 9:15 for weight + bili check. Mom confirmed by phone.\n\nDeb',
                 style='gmail', kind='peds')
    return [m1, m2]


def cc_hospital_thread_fwd():
    m1, m2 = cc_hospital_thread()
    m3 = forward(m2, S['brooks'], [S['whitfield']],
                 'Dr. Whitfield - FYI, see Denise\'s note below about your patient. Family meeting is tomorrow at 10; '
                 'do you support SNF placement? I\'d like to say so on the call if you agree.\n\nAngela', kind='carecoord')
    return [m1, m2, m3]


def ob_patient_swelling_fwd():
    m1 = ob_patient_swelling()
    m2 = forward(m1, W['obgyn_inbox'], [S['carrow']],
                 'Jenna - your pt, portal msg converted to e-mail by the nurse line. BP 142/91 at 34 wks w/ HA. '
                 'Called her and sent to L&D triage for PIH labs. FYI.\n\n- Nurse line (R. Okonjo, RN)', kind='obgyn')
    return [m1, m2]


REGISTRY = [
    # cardiology
    card_consult_letter, card_inr_thread, card_device_remote, card_monitor_enrollment, card_cath_auth,
    card_referral_forward, card_wife_device_fwd, card_stress_reminder, card_inr_list, card_echo_notification,
    card_pharmacy_apixaban, card_coding_thread,
    # ob/gyn
    ob_mfm_referral, ob_triage_thread, ob_hysteroscopy_thread, ob_colpo_letter, ob_global_billing,
    ob_patient_swelling_fwd, ob_us_schedule, ob_lnd_forward, ob_ppd_followup,
    # pediatrics
    peds_sports_form, peds_asthma_thread, peds_imm_record, peds_adhd_pharmacy, peds_ent_referral,
    peds_newborn, peds_vfc_csv, # oncology infusion
    onc_chair_schedule, onc_dose_verify_thread, onc_reaction_note, onc_pembro_pa, onc_outside_records_fwd, onc_copay_assist, onc_charge_export, onc_daughter_side_effects, onc_handoff,
    # endocrinology
    endo_cgm_summary, endo_pump_training, endo_fna_request, endo_referral_letter, endo_glp1_pa, endo_lows_thread,
    endo_dxa_letter, endo_pump_dme, endo_overdue_a1c_txt, # sleep
    sleep_schedule_export, sleep_psg_thread, sleep_cpap_order, sleep_compliance_report, sleep_hsat_return,
    sleep_modafinil, sleep_mask_leak_fwd,
    # dermatology
    derm_mohs_referral, derm_biopsy_thread, derm_path_results, derm_ipledge, derm_cosmetic_payment, derm_biologic_denial,
    # ophthalmology
    eye_cataract_booking, eye_injection_log, eye_diabetic_letter, eye_son_transport_thread, eye_glaucoma_pa,
    # ambulatory surgery center
    asc_preop_instructions, asc_or_schedule, asc_ins_verification, asc_anesthesia_preop, asc_postop_calls,
    asc_implant_log, # billing
    billing_denial_csv_thread, billing_era_export, billing_husband_pays, billing_front_desk_card, billing_eft_enrollment,
    billing_appeal_letter, billing_npi_roster, billing_scrubber_rejects, billing_records_request_fwd,
    billing_ach_payment_plan, billing_ar_summary_neg, billing_ssn_correction,
    # release of information
    roi_attorney_request, roi_patient_request_thread, roi_life_insurance, roi_daily_log, roi_poa_son, roi_subpoena_fwd,
    # care coordination
    cc_ccm_summary, cc_tcm_call, cc_home_health_referral, cc_sdoh_referral, cc_hospital_thread_fwd, cc_high_risk_csv,
    cc_daughter_medrec,
    # hospital
    hosp_snf_referral, hosp_discharge_notice, hosp_ed_adt, hosp_readmit_alert,
    # DME
    dme_cpap_setup, dme_oxygen_cmn, dme_resupply_csv,
    # lab
    lab_critical, lab_specimen_rejected, lab_sendout_results, lab_missing_dx,
    # PBM
    pbm_mail_order_transfer, pbm_id_card,
    # hard negatives
    neg_it_outage, neg_hr_open_enrollment, neg_newsletter, neg_hvac_filters, neg_supply_order, neg_quality_agenda,
    neg_release_notes, neg_pt_update, neg_vendor_invoice, neg_fire_drill, neg_grand_rounds, neg_fridge_log,
    neg_password_ticket, neg_call_schedule, neg_pharma_lunch, neg_phishing_warning, neg_satisfaction_survey,
    neg_credentialing_reminder, neg_shipping_notice, neg_room_booking, neg_holiday_schedule, neg_wifi_change,
    neg_quality_dashboard, neg_price_list_csv, neg_equipment_recall, neg_formulary_notice,
    neg_courier_route, neg_staff_meeting_minutes,
    # additional
    reg_new_patient_intake, roi_ssa_request, onc_oxycodone_thread, asc_postop_rx, billing_statement_card_reply,
    billing_refund_ach,
    # recurring kinds of message, second instance with other people
    billing_front_desk_card, reg_new_patient_intake, asc_postop_rx, roi_poa_son, billing_ach_payment_plan,
]


def build_all():
    R.seed(SEED)
    USED_NAMES.clear()
    ALL_PTS.clear()
    CUR['date'] = dt.datetime(2025, 1, 6, 7, 40)
    order = REGISTRY[:]
    R.shuffle(order)
    mails = []
    for fn in order:
        res = fn()
        mails.extend(res if isinstance(res, list) else [res])
    out = {}
    for i, m in enumerate(mails, 1):
        raw, labels, negs = build(m, i)
        out[f'{i:03d}-{m.kind}.eml'] = (raw, labels, negs)
    return out


def write(out):
    mdir = os.path.join(OUT, 'messages')
    os.makedirs(mdir, exist_ok=True)
    for f in os.listdir(mdir):
        if f.endswith('.eml'):
            os.remove(os.path.join(mdir, f))
    for name, (raw, _, _) in out.items():
        with open(os.path.join(mdir, name), 'wb') as fh:
            fh.write(raw)
    lines = []
    for name, (_, labels, _) in out.items():
        d = {t: labels[t] for t in TYPES if labels.get(t)}
        lines.append(json.dumps(name) + ': ' + json.dumps(d, ensure_ascii=False))
    with open(os.path.join(OUT, 'labels.json'), 'w', encoding='utf-8') as fh:
        fh.write('{\n' + ',\n'.join(lines) + '\n}\n')


def self_check(verbose=True):
    """re-parse every message from disk and verify every label against its extracted text"""
    mdir = os.path.join(OUT, 'messages')
    with open(os.path.join(OUT, 'labels.json'), encoding='utf-8') as fh:
        labels = json.load(fh)
    files = sorted(f for f in os.listdir(mdir) if f.endswith('.eml'))
    errors = []
    if sorted(labels) != files:
        errors.append('labels.json keys do not match the message files')
    per_type_vals, per_type_msgs = Counter(), Counter()
    for f in files:
        with open(os.path.join(mdir, f), 'rb') as fh:
            text = extract_text(fh.read())
        lab = labels.get(f, {})
        for typ, vals in lab.items():
            if typ not in TYPES:
                errors.append(f'{f}: unknown type {typ}')
                continue
            per_type_vals[typ] += len(vals)
            per_type_msgs[typ] += 1
            for v, n in Counter(vals).items():
                if not VALID[typ](v):
                    errors.append(f'{f}: {typ} value fails its rule: {v!r}')
                c = count_occ(text, v)
                if c != n:
                    errors.append(f'{f}: {typ} {v!r} listed {n}x, found {c}x in extracted text')
    # a value labelled under two types in one message would be ambiguous
    for f, lab in labels.items():
        seen = {}
        for typ, vals in lab.items():
            for v in vals:
                if seen.setdefault(v, typ) != typ:
                    errors.append(f'{f}: {v!r} labelled as both {seen[v]} and {typ}')
    if verbose:
        print(f'messages: {len(files)}  (with labels: {sum(1 for f in files if labels.get(f))}, '
              f'empty {{}}: {sum(1 for f in files if not labels.get(f))})')
        print(f'{"type":<16}{"values":>8}{"messages":>10}')
        for t in TYPES:
            print(f'{t:<16}{per_type_vals[t]:>8}{per_type_msgs[t]:>10}')
        print(f'{"total":<16}{sum(per_type_vals.values()):>8}')
    return errors


def main():
    global OUT
    if '--out' in sys.argv:
        OUT = sys.argv[sys.argv.index('--out') + 1]
    if '--check' not in sys.argv:
        out = build_all()
        again = build_all()
        if {k: v[0] for k, v in out.items()} != {k: v[0] for k, v in again.items()}:
            print('ERROR: generation is not deterministic')
            sys.exit(1)
        warnings = []
        variants = sorted({v for p in ALL_PTS for v in p.variants()})
        for name, (raw, labels, negs) in out.items():
            text = extract_text(raw)
            for w in scan_lookalikes(text, labels, negs):
                warnings.append((name,) + w)
            known = Counter(labels.get('patient_name', []))
            masked = text
            for lv in sorted(known, key=len, reverse=True):
                masked = masked.replace(lv, '\x00')
            for v in variants:
                if v in masked:
                    c = count_occ(masked, v) + known[v]
                    if c > known[v]:
                        warnings.append((name, 'patient_name (unlabelled)', v, c, known[v]))
        write(out)
        for w in warnings:
            print('WARNING unlabelled look-alike:', *w)
        n_html = sum(1 for _, (raw, _, _) in out.items() if b'text/html' in raw)
        n_att = sum(1 for _, (raw, _, _) in out.items() if b'Content-Disposition: attachment' in raw)
        print(f'wrote {len(out)} messages to {OUT} ({n_html} with HTML, {n_att} with attachments)')
    errors = self_check()
    for e in errors:
        print('ERROR', e)
    print('OK' if not errors else f'FAILED ({len(errors)} errors)')
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
