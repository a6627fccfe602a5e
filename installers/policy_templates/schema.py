"""The policy schema as the template writers see it: sections, keys and what each key is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "policy.schema.json"
DOMAIN = "org.postseal.agent"  # the macOS managed-preferences domain
REGISTRY_ROOT = r"SOFTWARE\Policies\Postseal"
_BIG = 10**6  # numbers from here on are written with thousands separators


def load(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    spec: dict[str, Any]

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def kind(self) -> str:
        """boolean, integer, number, string, enum or list."""
        if "enum" in self.spec:
            return "enum"
        return {"array": "list"}.get(self.spec["type"], self.spec["type"])

    @property
    def registry_key(self) -> str:
        if self.kind == "list":
            return f"{REGISTRY_ROOT}\\{self.section}\\{self.name}"
        return f"{REGISTRY_ROOT}\\{self.section}"

    @property
    def registry_type(self) -> str:
        return {"boolean": "REG_DWORD", "integer": "REG_DWORD", "number": "REG_DWORD"}.get(self.kind, "REG_SZ")

    def allowed(self, whole_numbers: bool = False) -> str:
        """What values the key takes, in words an admin reads (`whole_numbers`: as Group Policy
        takes them, REG_DWORD)."""
        spec = self.spec
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "enum":
            return ", ".join(spec["enum"])
        if self.kind in ("integer", "number"):
            text = f"{_number(spec['minimum'])} to {_number(spec['maximum'])}"
            return text + (", fractions allowed" if self.kind == "number" and not whole_numbers else "")
        if self.kind == "list":
            hint = _hint(spec["items"])
            return f"a list; each entry {hint}" if hint else "a list of text entries"
        hint = _hint(spec) or "text"
        return hint + (", not empty" if spec.get("minLength") else "")


def _hint(spec: dict[str, Any]) -> str:
    message = spec.get("errorMessage", "")
    return message.removeprefix("must be ")


def _number(value: float) -> str:
    return f"{value:,}" if value >= _BIG else f"{value}"


def sections(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return list(schema["properties"].items())


def keys(schema: dict[str, Any]) -> list[Key]:
    return [Key(section, name, spec) for section, body in sections(schema) for name, spec in body["properties"].items()]


def example(schema: dict[str, Any]) -> dict[str, Any]:
    """The example policy every template carries (the schema's first `examples` entry)."""
    return schema["examples"][0]


def json_text(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
