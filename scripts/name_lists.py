"""Write agent/policy/first_names.txt and agent/policy/surnames.txt: given names and surnames
in Latin script, from Faker's person providers (MIT licence), every locale. Used by the
patient-name detectors to tell "Re: Hannah Osei" (a patient) from "Re: Prior Authorization"
(a subject), and "I saw Dolores Whitfield today" from "Grove City Medical". Faker is needed
only to regenerate the files, never at run time:

    python -m venv /tmp/fk && /tmp/fk/bin/pip install faker && /tmp/fk/bin/python scripts/name_lists.py
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from pathlib import Path

import faker
import faker.providers.person as person

POLICY = Path(__file__).resolve().parent.parent / "agent" / "policy"
_NAME = re.compile(r"[^\W\d_][^\W\d_'-]*(?:[-'][^\W\d_]+)?")
LISTS = {
    "first_names.txt": (
        "Given names",
        (
            "first_names",
            "first_names_male",
            "first_names_female",
            "first_names_nonbinary",
            "first_names_unisex",
            "first_names_male_hinduism",
            "first_names_female_hinduism",
            "first_names_male_islamic",
            "first_names_female_islamic",
            "first_romanized_names",
            "first_romanized_names_male",
            "first_romanized_names_female",
            "middle_names",
        ),
    ),
    "surnames.txt": (
        "Surnames",
        (
            "last_names",
            "last_names_male",
            "last_names_female",
            "last_names_nonbinary",
            "last_names_unisex",
            "last_names_hinduism",
            "last_names_islamic",
            "last_names_female_islamic",
            "last_romanized_names",
        ),
    ),
}


def _lists(provider: type, attributes: tuple[str, ...]) -> list:
    found = []
    for attr in attributes:
        for klass in provider.__mro__:
            value = klass.__dict__.get(attr)
            if value is not None and not isinstance(value, property):
                found.append(list(value.keys()) if isinstance(value, dict) else list(value))
                break
    return found


def _latin(names: set[str]) -> list[str]:
    return sorted(
        {
            n.casefold()
            for n in names
            if _NAME.fullmatch(n) and all(c in "-'" or unicodedata.name(c, "").startswith("LATIN") for c in n)
        }
    )


def main() -> None:
    providers = []
    for module in pkgutil.iter_modules(person.__path__):
        try:
            providers.append(importlib.import_module(f"{person.__name__}.{module.name}").Provider)
        except (ImportError, AttributeError):
            continue
    for file, (what, attributes) in LISTS.items():
        names: set[str] = set()
        for provider in providers:
            for values in _lists(provider, attributes):
                names.update(v for v in values if isinstance(v, str))
        latin = _latin(names)
        header = (
            f"# {what} in Latin script, case-folded: Faker {faker.VERSION} person providers, every locale\n"
            "# (MIT licence). Written by scripts/name_lists.py; do not edit by hand.\n"
        )
        (POLICY / file).write_text(header + "\n".join(latin) + "\n", encoding="utf-8")
        print(f"{POLICY / file}: {len(latin)} names")


if __name__ == "__main__":
    main()
