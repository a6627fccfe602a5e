"""Write agent/policy/first_names.txt: given names in Latin script, from Faker's person
providers (MIT licence), every locale. Used by the patient-name detector to tell "Re: Hannah
Osei" (a patient) from "Re: Prior Authorization" (a subject). Faker is needed only to
regenerate the file, never at run time:

    python -m venv /tmp/fk && /tmp/fk/bin/pip install faker && /tmp/fk/bin/python scripts/first_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from pathlib import Path

import faker
import faker.providers.person as person

OUT = Path(__file__).resolve().parent.parent / "agent" / "policy" / "first_names.txt"
_NAME = re.compile(r"[^\W\d_][^\W\d_'-]*(?:[-'][^\W\d_]+)?")


def _lists(provider: type) -> list:
    found = []
    for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
        for klass in provider.__mro__:
            value = klass.__dict__.get(attr)
            if value is not None and not isinstance(value, property):
                found.append(list(value.keys()) if isinstance(value, dict) else list(value))
                break
    return found


def main() -> None:
    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        except (ImportError, AttributeError):
            continue
        for values in _lists(provider):
            names.update(v for v in values if isinstance(v, str))
    latin = sorted(
        {
            n.casefold()
            for n in names
            if _NAME.fullmatch(n) and all(c in "-'" or unicodedata.name(c, "").startswith("LATIN") for c in n)
        }
    )
    header = (
        f"# Given names in Latin script, case-folded: Faker {faker.VERSION} person providers, every locale\n"
        "# (MIT licence). Written by scripts/first_names.py; do not edit by hand.\n"
    )
    OUT.write_text(header + "\n".join(latin) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(latin)} names")


if __name__ == "__main__":
    main()
