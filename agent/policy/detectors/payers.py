"""Health plans by name: what a member id is labelled with ("Aetna ID", "BCBSNM member #").

Clinics and payers label a member id with the plan's name as often as with "member ID". The
names are national carriers, Blue Cross Blue Shield plans, Medicaid managed-care plans and
state Medicaid programs, and the military and federal programs. They are matched as written —
capitalized or in capitals — so "united", "superior" or "simply" in prose name nothing. A
plan the list lacks is still known by its shape: capitalized words ending in "Health",
"Health Plan", "Healthcare", "Community Care" or "Medicaid" ("Western Sky Community Care ID").
"""

from __future__ import annotations

import re

_NAMES = (
    # national and regional carriers
    "Aetna|Cigna|UHC|UnitedHealthcare|United\\s+Healthcare|Humana|Anthem|Kaiser(?:\\s+Permanente)?"
    "|Highmark|Premera|Regence|Wellmark|Excellus|CareFirst|Florida\\s+Blue|Oscar|Medica|HealthPartners"
    "|Priority\\s+Health|Geisinger|UPMC|Tufts|Harvard\\s+Pilgrim|EmblemHealth|Emblem|Healthfirst|Fidelis"
    "|MVP|Health\\s+Net|Oxford|Golden\\s+Rule|UMR|Meritain|GEHA|Ambetter|Wellcare|WellCare|Centene"
    "|Amerigroup|CareSource|Molina|Presbyterian|PHP|Meridian|Sunshine\\s+Health|Buckeye|Peach\\s+State"
    "|Coordinated\\s+Care|Magnolia|Trillium|Paramount|Sentara|Optima|Avera|Sanford|Quartz|Moda"
    "|PacificSource|SelectHealth|Select\\s+Health|Banner|Mercy\\s+Care|Health\\s+Choice|Western\\s+Sky"
    "|BlueCross|Blue\\s+Cross(?:\\s+(?:and\\s+|&\\s*)?Blue\\s+Shield)?|Blue\\s+Shield|BCBS[A-Z]{0,2}|BCBSA"
    "|Bright\\s+Health|Allwell|Healthy\\s+Blue"
    # state Medicaid and children's programs
    "|AHCCCS|Medi-Cal|MassHealth|MaineCare|TennCare|SoonerCare|KanCare|BadgerCare|HUSKY|Apple\\s+Health"
    "|CHIP|PeachCare|Hoosier\\s+Healthwise|MO\\s+HealthNet|NJ\\s+FamilyCare|Denali\\s+KidCare"
    "|Centennial\\s+Care|Turquoise\\s+Care|Medicaid"
    # military and federal programs
    "|TRICARE|Tricare|CHAMPVA|DoD|DOD|FEP|FEHB"
)
# A plan the list lacks, known by its shape: "Western Sky Community Care", "Sandia Health Plan".
_SHAPED = r"(?:[A-Z][A-Za-z&'-]+[ \t]+){1,3}(?:Health(?:care|[ \t]+Plan)?|Community[ \t]+Care|Medicaid)"
PAYER = rf"(?:{_NAMES}|{_SHAPED})"
PAYER_NAMED = re.compile(rf"\b{PAYER}\b")
# What a prefilter looks for: a known name, or the word a shaped name ends with.
PAYER_WORD = rf"\b(?:{_NAMES}|Health(?:care)?|Community[ \t]+Care)\b"
