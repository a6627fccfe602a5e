"""The rules language: an ordered TOML list of conditions and actions an admin can read.

See ``hipaa_default.toml`` for the grammar in words. A rules file with an unknown key,
action or detector is refused with its name and place, never half-applied.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agent.model import Action, Finding, Verdict

ACTIONS = ("send", "hold", "block", "never_tls_only")
RECIPIENT_SCOPES = ("any", "external", "internal")
DETECTOR_TYPES = ("us_ssn", "npi", "mrn", "dob", "uninspectable_attachment")
_KEYS = {"name", "detectors", "min_count", "min_confidence", "recipients", "action", "message"}


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    name: str
    action: str
    message: str
    detectors: tuple[str, ...] = ()
    min_count: int = 1
    min_confidence: float = 0.8
    recipients: str = "any"

    def matches(self, findings: list[Finding], has_external: bool, has_internal: bool) -> bool:
        if self.recipients == "external" and not has_external:
            return False
        if self.recipients == "internal" and not has_internal:
            return False
        if not self.detectors:
            return True
        hits = [
            f for f in findings if f.type in self.detectors and f.confidence >= self.min_confidence
        ]
        return len(hits) >= self.min_count


@dataclass(frozen=True)
class RuleSet:
    source: str
    rules: tuple[Rule, ...]

    def evaluate(self, findings: list[Finding], has_external: bool, has_internal: bool) -> Verdict:
        tls_allowed = True
        for rule in self.rules:
            if not rule.matches(findings, has_external, has_internal):
                continue
            if rule.action == "never_tls_only":
                tls_allowed = False
                continue
            return Verdict(Action(rule.action), rule.name, rule.message, tuple(findings), tls_allowed)
        reason = "no rule holds this message; each recipient gets the strongest method available"
        return Verdict(Action.SEND, "default", reason, tuple(findings), tls_allowed)


def load_rules(path: str = "") -> RuleSet:
    if path:
        source = path
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"{path}: cannot read rules file: {exc.strerror}") from None
    else:
        source = "built-in HIPAA default rules"
        text = resources.files("agent.policy").joinpath("hipaa_default.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    unknown = set(data) - {"rule"}
    if unknown:
        raise RulesError(f"{source}: unknown top-level key(s) {sorted(unknown)}; expected [[rule]]")
    return RuleSet(source, tuple(_rule(source, i, raw) for i, raw in enumerate(data.get("rule", []), 1)))


def _rule(source: str, index: int, raw: dict) -> Rule:
    where = f"{source}: rule #{index} ({raw.get('name', 'unnamed')})"
    unknown = set(raw) - _KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {sorted(unknown)}")
    if raw.get("action") not in ACTIONS:
        raise RulesError(f"{where}: action must be one of {', '.join(ACTIONS)}")
    if raw.get("recipients", "any") not in RECIPIENT_SCOPES:
        raise RulesError(f"{where}: recipients must be one of {', '.join(RECIPIENT_SCOPES)}")
    detectors = tuple(raw.get("detectors", ()))
    for name in detectors:
        if name not in DETECTOR_TYPES:
            raise RulesError(f"{where}: unknown detector {name!r} (known: {', '.join(DETECTOR_TYPES)})")
    return Rule(
        name=str(raw.get("name", f"rule-{index}")),
        action=raw["action"],
        message=str(raw.get("message", "")),
        detectors=detectors,
        min_count=int(raw.get("min_count", 1)),
        min_confidence=float(raw.get("min_confidence", 0.8)),
        recipients=raw.get("recipients", "any"),
    )
