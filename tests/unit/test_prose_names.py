"""Names with no cue that says "patient": found where a reader finds them, and refused where a
reader knows better (clinicians, staff signatures, places, organisations, colleagues)."""

import pytest

from agent.policy.scanner import scanner


def names(text: str) -> list[str]:
    return [text[f.start : f.end] for f in scanner().scan(text, "") if f.type == "patient_name"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quick one before clinic. I saw Dolores Whitfield this morning, sugars up again.", ["Dolores Whitfield"]),
        ("Roadrunner Pharmacy cannot fill Omar Okafor's methylphenidate until Monday.", ["Omar Okafor"]),
        ("Mrs. Kowalczyk's sugars are up since the steroid taper.", ["Kowalczyk"]),
        ("La Sra. Beltrán llamó para cambiar la cita.", ["Beltrán"]),
        ("I am writing for my mother, Yuki Park (DOB 8/23/1933).", ["Yuki Park"]),
        ("His daughter Amara called about the discharge plan.", ["Amara"]),
        ("  Esposito, Giovanni, DOB 05/05/1953, PSA collected 12/27/2024", ["Esposito, Giovanni"]),
        ("Last Name: Zamora\tFirst Name: Refugio\tDOB: 09/10/1973", ["Zamora", "Refugio"]),
        ("Apellido / Last name: Flores\tNombre / First name: Ezequiel\tFecha de nacimiento", ["Flores", "Ezequiel"]),
        ("Guarantor: Emeka Zamora\nBalance due: 598.10", ["Emeka Zamora"]),
        ("the credit balance on the account for Vikram Reddy after your insurance paid", ["Vikram Reddy"]),
        ("Hi Marisol,\n\nYour results are back and look good.\n\nFront desk", ["Marisol"]),
        ("My prescription ran out yesterday, can you call it in?\n\nThanks,\nTom Alvarez\n", ["Tom Alvarez"]),
    ],
)
def test_names_are_found_where_no_cue_says_patient(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Dear Dr. Maria Lopez, thank you for the referral.",  # a clinician
        "Please route to Keisha Broussard, NP for the refill.",  # credentials after
        "Claim 4471\nRendering provider: Sofia Upton, NPI 1487944849\n",  # a provider's cue
        "Enrollment is done.\nQuestions go to Pat Lamb, Practice Manager.\n",  # a job after the comma
        "The fundraiser is at Grove City Medical Center on Friday.",  # an organisation
        "Addr: 196 Windmill Ln, Austin TX\n",  # a city and state
        "Parking moves to Lincoln Street while the garage is repaired.",  # a street
        "Will Radiology call back with the slot?",  # an everyday word, no surname after
        "Insurance: Blue Cross Blue Shield of New Mexico",  # a payer
        "Billing          Janine Strickland    ext. 278",  # a staff directory
        "The HVAC filters arrive Tuesday.\n\nColette Pruitt\nFacilities Coordinator\n",  # a signature
        "Hi Sarah,\n\nCan you pull the chart for the patient in room 4?\n",  # colleagues greet each other
        "Thanks,\nMarco Skaggs\n",  # a sign-off with no patient in the mail
    ],
)
def test_clinicians_staff_places_and_organisations_are_not_patients(text):
    assert names(text) == []
