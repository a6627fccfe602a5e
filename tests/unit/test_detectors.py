from agent.policy.detectors import luhn_ok
from agent.policy.scanner import normalize, scan


def types(text: str) -> list[str]:
    return [f.type for f in scan(text, "body")]


def test_formatted_ssn_is_found_with_position_not_value():
    text = "Patient SSN: 512-44-8721 on file."
    [finding] = scan(text, "body")
    assert finding.type == "us_ssn"
    assert text[finding.start:finding.end] == "512-44-8721"
    assert finding.confidence > 0.9
    assert "512" not in repr(finding)


def test_ssns_never_issued_are_not_findings():
    for never in ("000-12-3456", "666-12-3456", "912-12-3456", "512-00-3456", "512-44-0000", "078-05-1120"):
        assert types(f"SSN {never}") == [], never


def test_bare_nine_digits_count_as_ssn_only_with_a_label():
    assert types("Order 512448721 shipped") == []
    assert types("SSN 512448721") == ["us_ssn"]


def test_npi_needs_a_valid_check_digit():
    assert luhn_ok("80840" + "1467500009")
    assert types("NPI 1467500009") == ["npi"]
    assert types("NPI 1467500008") == []


def test_npi_without_its_label_has_low_confidence():
    [finding] = scan("call 1467500009", "body")
    assert finding.confidence < 0.8


def test_mrn_is_found_only_after_its_label():
    assert types("MRN: VC-0048213") == ["mrn"]
    assert types("Medical record number 88231907") == ["mrn"]
    assert types("Part VC-0048213 in stock") == []


def test_date_of_birth_needs_a_label_and_a_real_past_date():
    assert types("DOB: 03/14/1958") == ["dob"]
    assert types("date of birth 1971-06-02") == ["dob"]
    assert types("Born March 14, 1958") == ["dob"]
    assert types("DOB: 02/30/1958") == []
    assert types("DOB: 01/01/2199") == []
    assert types("Appointment 03/14/2027") == []


def test_zero_width_and_fullwidth_obfuscation_does_not_hide_an_ssn():
    assert types("SSN 512\u200b-44-8721") == ["us_ssn"]
    assert types("SSN ５１２-４４-８７２１") == ["us_ssn"]
    assert normalize("a\u200db") == "ab"


def test_typographic_dashes_do_not_hide_an_identifier_whatever_else_the_text_holds():
    # Latin-1 text (held one byte per character after mapping) and text that cannot be
    # (CJK, zero-width, fullwidth) take different paths through normalize: same findings.
    for context in ("Zoë Müller, ", "患者 ", "\u200b", "ｘ", "\ufe58 "):
        assert types(f"{context}SSN 512\u201344\u20138721") == ["us_ssn"], context
        assert types(f"{context}Phone: (617) 555\u20140143") == ["phone"], context
    assert normalize("“Zoë” — 5\u00ad12 ’") == '"Zoë" - 512 \''
    assert normalize("患者 — “x”\u200b") == '患者 - "x"'


def test_normalize_agrees_with_unicodedata_on_every_latin1_character():
    # The one-byte path decides NFKC from a list of Latin-1 characters; check it exhaustively,
    # alone and between letters, against the general path.
    import unicodedata

    for code in range(0x80, 0x100):
        for text in (chr(code), f"é{chr(code)}x", f"A{chr(code)}\u2013"):
            expected = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\u2013", "-")
            assert normalize(text) == expected, hex(code)


def test_more_ways_clinics_write_labelled_identifiers():
    # Wordings seen in real referral letters and forms, beyond the corpus's own.
    assert types("MR# 7654321") == ["mrn"]
    assert types("Pt ID 88812345") == ["mrn"]
    assert types("Patient #: A1234567") == ["mrn"]
    assert types("dob:1980/01/02") == ["dob"]
    assert types("DOB 1980.01.02") == ["dob"]
    assert types("phone: 6175550142") == ["phone"]
    assert types("Fax # 2025550143") == ["phone"]
    assert types("PO Box 123, Austin, TX 78701") == ["us_address"]
    assert types("P.O. Box 4410") == ["us_address"]
    assert types("Driver's license (NY) 123 456 789") == ["drivers_license"]
    assert types("Driver License #: S123-4567-8901 (IL)") == ["drivers_license"]
    assert types("license number D1234567, state CA") == ["drivers_license"]


def test_the_new_wordings_keep_their_hard_negatives():
    assert types("Patient number 3 of 12 seen today") == []
    assert types("patient ID verified at check-in") == []
    assert types("pH 7.4, order 6175550142") == []
    assert types("Call ticket 6175550142") == []  # ten bare digits need a phone label
    assert types("DOB 1980/13/40") == []
    assert types("DOB 2199/01/02") == []
    assert types("Box 123 of the shipment") == []
    assert types("license number D1234567 is renewed yearly") == []  # no state: not a driver's licence


def test_names_codes_and_dates_written_other_ways():
    assert types("Pt: J. Smith") == ["patient_name"]
    assert types("Patient name: de la Cruz, María") == ["patient_name"]
    assert types("Patient: Anna van der Berg") == ["patient_name"]
    assert types("Patient Smith") == []  # one word is not a name
    assert types("Birth date: 14/03/1958") == ["dob"]  # day first
    assert types("Reason for referral: I48.0 atrial fibrillation") == ["icd10"]
    assert types("Assessment: fracture of lower end of right radius\n(S52.501A)") == ["icd10"]
    assert types("procedures: 45378 colonoscopy") == ["cpt"]
    assert types("HCPCS G0438 annual wellness visit") == ["cpt"]
    assert types("Order #123-45-6789 shipped") == []  # an order number in SSN layout
    assert types("Claim no. 536-22-1234") == []
    assert types("SSN for claim: 536-22-1234") == ["us_ssn"]  # the SSN label wins


def test_a_name_in_a_table_stops_at_the_cell_boundary():
    found = scan("Patient\tJane Doe\tMember ID\tXK1234567", "sheet")
    text = "Patient\tJane Doe\tMember ID\tXK1234567"
    assert [(f.type, text[f.start:f.end]) for f in found if f.type == "patient_name"] == [("patient_name", "Jane Doe")]
