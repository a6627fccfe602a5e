"""Labels in other words (English and Spanish), format variants, and context for validators.

Each case names a category, not a value: a payer's own name as a member id's label, a Spanish
record label, a code under a header that says what it is; and for each, text that looks the
same and is not (hard negatives).
"""

from agent.policy.scanner import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in scan(text, "body") if f.type != "patient_name"]


def values(text: str, kind: str) -> list[str]:
    return [v for t, v in found(text) if t == kind]


# --- context for validators -------------------------------------------------------------------
def test_a_check_digit_alone_does_not_make_a_dea_number():
    # Windows KB numbers and chart numbers that pass the DEA check digit
    assert values("Windows updates failed - KB2364076, KB8995257 and KB2941450.", "dea") == []
    assert values("Expediente DW7341167. ¿La pueden ver hoy?", "dea") == []
    assert values("MRN: DW9290513", "dea") == []
    assert values("PHP member ID: P97604019", "dea") == []
    assert values("PHP member ID: P97604019", "member_id") == ["P97604019"]


def test_a_dea_number_with_its_word_or_where_it_is_prescribed_is_found():
    assert values("Prescriber: Helen Marsh, MD   NPI 1995288309   DEA FM8720573", "dea") == ["FM8720573"]
    assert values("My DEA is MM6393348, NPI 1337871721.", "dea") == ["MM6393348"]
    assert values("Prescriber: Helen Marsh, MD\nFM8720573", "dea") == ["FM8720573"]


def test_an_ssn_shaped_number_after_another_kind_of_label_is_not_an_ssn():
    assert values("CME reminder: the coding webinar is course 313-54-8471 (1.5 CEU).", "us_ssn") == []
    assert values("CME courses 313-54-8471 and 426-61-4786", "us_ssn") == []
    assert values("HVAC unit serial 512-44-8721 needs service", "us_ssn") == []
    assert values("Ticket # 512-44-8721 was closed", "us_ssn") == []


def test_an_ssn_keeps_its_own_label_when_it_is_the_nearer_one():
    assert values("Order 1123 for patient, SSN 512-44-8721", "us_ssn") == ["512-44-8721"]
    assert values("Seguro Social: 595-17-7543", "us_ssn") == ["595-17-7543"]
    assert values("course 313-54-8471 (SSN)", "us_ssn") == ["313-54-8471"]
    assert values("Robert Alvarez 512-44-8721 03/14/1961", "us_ssn") == ["512-44-8721"]  # no label at all


def test_npi_and_card_check_digits_yield_to_a_nearer_label_of_another_kind():
    assert values("Ticket 1467500009 resolved", "npi") == []
    assert values("call 1467500009", "npi") == ["1467500009"]
    assert values("Tracking 4111 1111 1111 1111 shipped", "credit_card") == []
    assert values("Card account 4111 1111 1111 1111", "credit_card") == ["4111 1111 1111 1111"]


# --- member ids labelled with the plan's name --------------------------------------------------
def test_payer_named_member_ids():
    assert values("The new card says Aetna ID W489200403, group 8414195.", "member_id") == ["W489200403"]
    assert values("BCBSNM member # NMX712472050   DOS 10/15/2026", "member_id") == ["NMX712472050"]
    assert values("new TRICARE DBN: 52131661833.", "member_id") == ["52131661833"]
    assert values("my DoD benefits number is 59752930585.", "member_id") == ["59752930585"]
    assert values("AHCCCS ID: A94091779", "member_id") == ["A94091779"]
    assert values("UHC ID: 849792925-01", "member_id") == ["849792925-01"]
    assert values("Sandia Community Care ID: QX40021177", "member_id") == ["QX40021177"]  # shaped name
    assert values("Dolores's Molina is active -- front desk flagged it. Number on file 834275507.", "member_id") == [
        "834275507"
    ]
    assert values("Member ID on his card is 274342821.", "member_id") == ["274342821"]
    assert values("Número de afiliado: 88123450", "member_id") == ["88123450"]


def test_a_payer_name_does_not_label_another_kind_of_number():
    assert values("Aetna claim # 44711239 was denied", "member_id") == []
    assert values("Molina fax number 5058881234", "member_id") == []
    assert values("Molina Healthcare of New Mexico. Reference MOLI-046760.", "member_id") == []
    assert values("Employee ID 44821 and Tax ID 85-1234567", "member_id") == []
    assert values("the united front desk, number 12345678", "member_id") == []  # a plan's name is capitalized


# --- record numbers in English and Spanish -----------------------------------------------------
def test_spanish_and_bilingual_record_labels():
    assert values("Fecha de nacimiento: 18/06/2024. Expediente DW7341167.", "mrn") == ["DW7341167"]
    assert values("Chart number / Número de expediente: DWF-6989435", "mrn") == ["DWF-6989435"]
    assert values("Medical record no. / No. de historia clínica: DWF6886746", "mrn") == ["DWF6886746"]
    assert values("Her chart number is DW2695891 if you want the trend.", "mrn") == ["DW2695891"]
    assert values("our MRN is 88231907", "mrn") == ["88231907"]
    assert values("- Svetlana Martínez (DW1663051), DOB 5/11/98 -- CBC 85025", "mrn") == ["DW1663051"]


def test_record_label_hard_negatives():
    assert values("una historia de 20 años con asma", "mrn") == []
    assert values("Tenemos el expediente listo, gracias.", "mrn") == []
    assert values("Mesa Lab (555-0100), open daily", "mrn") == []


# --- driver's licence in a sentence ------------------------------------------------------------
def test_a_licence_named_with_its_state_in_a_sentence():
    text = "he showed his New Mexico driver's license at check-in, number 793446372, and it matches."
    assert values(text, "drivers_license") == ["793446372"]
    assert values("her California driver's license, number D4782324", "drivers_license") == ["D4782324"]
    assert values("MI driver's license O 179 636 879 972.", "drivers_license") == ["O 179 636 879 972"]


def test_a_licence_without_a_state_or_another_licence_is_not_one():
    assert values("his driver's license at check-in, number 793446372", "drivers_license") == []
    assert values("Business license number 12-345678 renewed in Ohio", "drivers_license") == []


# --- birth dates in Spanish and in bilingual forms ---------------------------------------------
def test_spanish_birth_labels_and_dates():
    assert values("Mi fecha de nacimiento es el 24 de diciembre de 1957.", "dob") == ["24 de diciembre de 1957"]
    assert values("Jesús Price   F. nac. 16/10/2023   Chart # DWF-2255788", "dob") == ["16/10/2023"]
    assert values("Patient / Paciente: Araceli Zamora     DOB / F. nac.: 12/07/2024", "dob") == ["12/07/2024"]
    assert values("The other chart with the same DOB (05/03/1986) belongs to his cousin.", "dob") == ["05/03/1986"]
    assert values("nacida el 3 de marzo de 1961", "dob") == ["3 de marzo de 1961"]


def test_two_birth_dates_under_one_label():
    text = "duplicate chart - one has DOB 07/28/1954, the other 07/01/1954. Pt says July 28."
    assert values(text, "dob") == ["07/28/1954", "07/01/1954"]


def test_spanish_dates_that_are_not_births():
    assert values("La cita es el 24 de diciembre de 2026.", "dob") == []
    assert values("Fecha de servicio: 10/12/2024", "dob") == []
    assert values("F. nac. 31/02/1990", "dob") == []  # no such day


def test_roster_columns_date_after_name():
    text = "  Brooks, Liam        09/05/1996 Molina ID 431265890   DOS 07/11/2026   94010\n"
    assert "09/05/1996" in values(text, "dob")
    assert "07/11/2026" not in values(text, "dob")  # the date of service


# --- codes where the context says what they are ------------------------------------------------
def test_cpt_by_context_not_by_the_word_cpt():
    assert values("Brooks, Liam  Molina ID 431265890   DOS 07/11/2026   94010", "cpt") == ["94010"]
    assert values("Item: Last well visit\tCode: 99393\tDate: 08/14/2026", "cpt") == ["99393"]
    assert values("- Tamika Patel, DOB 2/7/70 -- A1c 83036, abnormal, needs call", "cpt") == ["83036"]
    assert values("- Noah Sandoval -- lipid panel 80061, abnormal", "cpt") == ["80061"]
    superbill = (
        "Code      Description\n90461     immunization admin, each add'l\n90710     MMRV\n92551     hearing screen\n"
    )
    assert values(superbill, "cpt") == ["90461", "90710", "92551"]


def test_cpt_shaped_numbers_that_are_not_codes():
    assert values("Invoice 4471: SKU 99213-BX gloves, qty 12", "cpt") == []
    assert values("Las Cruces, NM 88005   Phone (575) 382-4100", "cpt") == []
    assert values("Code      Description\n87110     Albuquerque office\n", "cpt") == []
    assert values("Order 99213 shipped on 07/11/2026   12345", "cpt") == []


def test_icd10_in_clinical_sentences_and_dotless():
    assert values("La doctora lo revisó: el diagnóstico es E03.9. Le mandamos la receta.", "icd10") == ["E03.9"]
    assert values("still under the 3rd percentile, I'm coding R62.51 and want labs", "icd10") == ["R62.51"]
    assert values("Your urinalysis result is back. It shows N39.0 (UTI).", "icd10") == ["N39.0"]
    assert values("Dx: E119, I10", "icd10") == ["E119", "I10"]
    assert values("ICD-10: J4520 and Z00129", "icd10") == ["J4520", "Z00129"]


def test_icd10_shaped_tokens_that_are_not_diagnoses():
    assert values("Invoice: SKU E119-2, model J45-DN, room B12", "icd10") == []
    assert values("Room E119 is ready for the diagnosis meeting", "icd10") == []
    assert values("Dx meeting moved to room E119", "icd10") == []
    assert values("Part E11.9 is back in stock", "icd10") == []


def test_ndc_in_eleven_digits():
    assert values("NDC 00093505601 metformin", "ndc") == ["00093505601"]
    assert values("metformin 500 mg tablets 00093505601 #60", "ndc") == ["00093505601"]
    assert values("Call me at 15055551234 about the refill", "ndc") == []
    assert values("Order 00093505601 for exam gloves, lot 4471", "ndc") == []
    assert values("Tracking 12345678901 on the box", "ndc") == []


def test_email_with_underscore():
    assert values("write to maria_lopez@webmail.example today", "email") == ["maria_lopez@webmail.example"]


# --- streets written the Spanish way -----------------------------------------------------------
def test_spanish_street_kinds_and_quadrants():
    assert values("Address: 922 Calle de Alegria, Hatch, NM 87915", "us_address") == ["922 Calle de Alegria"]
    assert values("Billing address: 5380 Camino del Sol\n", "us_address") == ["5380 Camino del Sol"]
    assert values("Home address: 440 Avenida Cesar Chavez\nTucson, AZ", "us_address") == ["440 Avenida Cesar Chavez"]
    assert values("Vive en 3836 Paseo de Onate, Albuquerque", "us_address") == ["3836 Paseo de Onate"]
    assert values("Guardian address: 1463 Quail Run\n", "us_address") == ["1463 Quail Run"]
    assert values("Home address: 281 Mesa Verde Ave SE\n", "us_address") == ["281 Mesa Verde Ave SE"]


def test_street_hard_negatives():
    assert values("We meet on Lincoln Street and Grant Avenue.", "us_address") == []
    assert values("UNIT CENSUS 4 WEST       RUN 2024-02-23", "us_address") == []
    assert values("La calle estaba cerrada por 3 horas.", "us_address") == []


def test_spanish_phone_and_ssn_labels_on_bare_digits():
    assert values("Teléfono: 5055551234", "phone") == ["5055551234"]
    assert values("cel. 5055551234", "phone") == ["5055551234"]
    assert values("Tel. 1234567890", "phone") == []  # no such area code
    assert values("Número de Seguro Social: 512448721", "us_ssn") == ["512448721"]
    assert values("Seguro médico, póliza 512448721", "us_ssn") == []


def test_a_claims_roster_row_dates_its_patient_whatever_the_given_name():
    row = "  Patel, Vikram       11/04/1977 Cigna subscriber ID U1523335601   DOS 06/22/2026   99213\n"
    assert values(row, "dob") == ["11/04/1977"]
    assert values("  Acme, Widgets       11/04/1977 shipped, invoice 4471\n", "dob") == []


def test_more_record_and_member_labels():
    assert values("Chart ID: 4471233", "mrn") == ["4471233"]
    assert values("EHR #: A-993311", "mrn") == ["A-993311"]
    assert values("HRN 00918273", "mrn") == ["00918273"]
    assert values("Ins ID: XJH44812290", "member_id") == ["XJH44812290"]
    assert values("Medicaid recipient ID 112233445", "member_id") == ["112233445"]
    assert values("Dx (ICD-10): E119", "icd10") == ["E119"]
    assert values("Record 12 of 40 reviewed", "mrn") == []
    assert values("hospital number one in the state, 2024-2025", "mrn") == []


def test_an_address_with_an_underscore_survives_a_table():
    from agent.policy.tables import csv_to_text

    text = csv_to_text("First,Last,Email,PATIENT_DOB\nAna,Ruiz,ana_ruiz@mail.example,03/04/1960\n")
    assert "PATIENT DOB: 03/04/1960" in text  # a header's underscores are spaces
    assert values(text, "email") == ["ana_ruiz@mail.example"]


def test_our_mrn_for_him():
    assert values("Our MRN for him: 0048213", "mrn") == ["0048213"]


def test_spanish_state_names_and_code_words():
    text = "Presentó su licencia de conducir de Nuevo México, número 793446372."
    assert values(text, "drivers_license") == ["793446372"]
    assert values("Visita de control, código 99213, y vacuna.", "cpt") == ["99213"]
    assert values("El código postal es 88005.", "cpt") == []
