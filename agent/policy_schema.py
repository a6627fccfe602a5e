"""The managed-policy schema at run time: validate what IT pushed, and read registry values
into the same shape.

`installers/policy.schema.json` is the one source of truth (JSON Schema 2020-12); the
generator (`make policy-templates`) copies it to `agent/policy_schema.json`, which ships in
the package, and writes the ADMX/ADML, the macOS profile, the Jamf schema and the docs table
from it. A test fails when the copy or a template is stale.

This module imports nothing from the rest of the agent, so that config.py can import it: its
error is `PolicyError` (a ValueError), which config.py turns into a ConfigError.

Errors are one line, "<source> <section>.<key>: <why>", for the first problem in the order of
the keys' paths, so the same policy always gives the same message.

The schema says what IT may set; config.py's own checks of every value (no control characters
or lone surrogates in text, among others) still run on the policy after it passes here.

The schema is also the one home of every number's range (`minimum` and `maximum`): config.py
checks config.toml against the same bounds through `number_range`, and both say a value out
of range in the same words ("must be from 1 to 64, not 0"), so a user's file and IT's policy
can never disagree about what is allowed (tests/unit/test_config_ranges.py).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator


class PolicyError(ValueError):
    """A managed policy that must not be applied: one line naming the source, the key and why."""


@functools.cache
def schema() -> dict[str, Any]:
    """The schema this agent enforces (the runtime copy shipped in the package)."""
    return json.loads(resources.files("agent").joinpath("policy_schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class NumberRange:
    """The values a numeric setting may take, bounds included."""

    least: int | float
    most: int | float

    def __contains__(self, value: object) -> bool:
        # NaN fails both comparisons; JSON (managed policy) and TOML also bring infinities
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and self.least <= value <= self.most  # type: ignore[operator]

    def __str__(self) -> str:
        return f"from {self.least} to {self.most}"

    def refusal(self, value: object) -> str:
        """The words config.toml and managed policy both use for a value out of range."""
        return f"must be {self}, not {_value(value)}"


def number_range(section: str, key: str) -> NumberRange:
    """The range of a numeric setting (KeyError for a key the schema has no range for: a test
    makes sure every numeric setting of config.py has one)."""
    spec = schema()["properties"][section]["properties"][key]
    return NumberRange(spec["minimum"], spec["maximum"])


def _is_integer(_checker: object, value: object) -> bool:
    # JSON Schema calls 587.0 an integer; config.py does not, and neither do we.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(_checker: object, value: object) -> bool:
    # NaN passes every minimum and maximum (each comparison is false): refuse it as a type.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    )


_Validator = jsonschema.validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


@functools.cache
def _shipped() -> Any:
    return _Validator(schema())


def validate(data: Any, source: str, *, against: Mapping[str, Any] | None = None) -> None:
    """Raise PolicyError for the first problem in `data` (a managed policy read from `source`,
    a path or a registry location), checked against the shipped schema or `against`."""
    checker = _shipped() if against is None else _Validator(against)
    errors = list(checker.iter_errors(data))
    if not errors:
        return
    first = min(errors, key=lambda e: ([str(p) for p in e.absolute_path], str(e.validator)))
    path, why = list(first.absolute_path), _why(first)
    if first.validator == "additionalProperties":
        extra, why = _unknown(first.schema, first.instance, path)
        path.append(extra)
    where = _dotted(path)
    raise PolicyError(f"{source} {where}: {why}" if where else f"{source}: {why}")


def coerce_registry(
    values: Mapping[str, Any], source: str, *, against: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Registry values as the schema's JSON types. `values` is {section: {key: value}} with
    REG_SZ as str, REG_DWORD/REG_QWORD as int and a list key's numbered values as list[str]
    (agent/platform/windows_registry.py). The ADMX writes on/off settings as REG_DWORD 0/1,
    numbers as REG_DWORD and text as REG_SZ; anything else for a known key is refused naming
    it, never converted ("587" as REG_SZ is not a port). Unknown sections and keys pass
    through unchanged so that validate() names them."""
    sections = (against if against is not None else schema())["properties"]
    out: dict[str, Any] = {}
    for section, keys in values.items():
        known = sections.get(section, {}).get("properties", {})
        if not isinstance(keys, Mapping):
            out[section] = keys
            continue
        out[section] = {
            key: _from_registry(known.get(key), value, f"{source} {section}.{_shown(key)}")
            for key, value in keys.items()
        }
    return out


def _from_registry(spec: Mapping[str, Any] | None, value: Any, where: str) -> Any:
    kind = spec.get("type") if spec else None
    got = _registry_kind(value)
    if kind == "boolean":
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, int):
            raise PolicyError(f"{where}: must be 0 (off) or 1 (on) as REG_DWORD, not {value}")
        raise PolicyError(f"{where}: must be 0 (off) or 1 (on) as REG_DWORD, not {got}")
    if kind in ("integer", "number") and not isinstance(value, int):
        raise PolicyError(f"{where}: must be a number as REG_DWORD, not {got}")
    if kind == "string" and not isinstance(value, str):
        raise PolicyError(f"{where}: must be text as REG_SZ, not {got}")
    if kind == "array" and not isinstance(value, list):
        raise PolicyError(f"{where}: must be a list (a subkey of that name holding values 1, 2, …), not {got}")
    return value


def _registry_kind(value: Any) -> str:
    if isinstance(value, str):
        return f"text (REG_SZ {value!r})"
    if isinstance(value, int):
        return f"a number (REG_DWORD {value})"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _shown(name: object) -> str:
    """A name or value as it can appear in a one-line message."""
    text = str(name)
    return text if text.isprintable() else repr(text)[1:-1]


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{_shown(part)}" if out else _shown(part))
    return out


_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a dictionary",
    "array": "a list",
    "null": "empty",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return f"{value}" if not math.isfinite(value) else f"a decimal number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a dictionary"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, datetime):
        return "a date"
    return "null" if value is None else type(value).__name__


def _value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else _shown(value)  # repr escapes what is not printable


def _why(error: jsonschema.ValidationError) -> str:
    keyword, spec, value = error.validator, error.schema, error.instance
    if keyword == "type":
        wanted = spec["type"]
        text = _EXPECTED.get(wanted, wanted)
        if wanted == "array" and spec.get("items", {}).get("type") == "string":
            text = "a list of strings"
        return f"must be {text}, not {_kind(value)}"
    if keyword == "enum":
        return f"must be one of {', '.join(map(str, spec['enum']))}, not {_value(value)}"
    if keyword in ("minimum", "maximum") and "minimum" in spec and "maximum" in spec:
        return NumberRange(spec["minimum"], spec["maximum"]).refusal(value)
    if keyword == "minimum":
        return f"must be at least {spec['minimum']}, not {_value(value)}"
    if keyword == "maximum":
        return f"must be at most {spec['maximum']}, not {_value(value)}"
    if keyword == "minLength":
        return "must not be empty"
    if keyword == "pattern":
        return f"{spec.get('errorMessage', 'has the wrong form')}, not {_value(value)}"
    return _shown(error.message)


def _unknown(spec: Mapping[str, Any], value: Mapping[str, Any], path: list[Any]) -> tuple[Any, str]:
    """The first unknown key (or section) and why: unknown, or a secret policy must not carry."""
    known = spec.get("properties", {})
    extra = sorted((k for k in value if k not in known), key=str)[0]
    refused = spec.get("x-not-in-policy", {})
    if extra in refused:
        return extra, f"not accepted in managed policy: {refused[extra]}"
    return extra, f"unknown {'key' if path else 'section'}, known: {', '.join(sorted(known))}"
