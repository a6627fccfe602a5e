"""The rules language: an ordered TOML list of conditions and actions an admin can read.

    [groups]                      # optional: named sets of senders
    billing = ["@billing.valleyclinic.example", "claims@valleyclinic.example"]

    [[rule]]
    name = "ssn-leaves-organization"
    detectors = ["us_ssn"]        # any of these types (see `postseal policy detectors`)
    min_count = 1                 # at least this many such findings (default 1)
    min_confidence = 0.8          # counted only at or above this confidence (default 0.8)
    recipients = "external"       # any | external | internal: some recipient of that kind
    recipient_domains = ["partner.example"]   # some recipient in these domains (or subdomains)
    attachment_types = ["pdf", "xlsx"]        # some attachment of these kinds
    sender_groups = ["billing"]   # the sender belongs to one of these groups
    action = "hold_for_review"    # see ACTIONS
    message = "Shown to the sender: what happened and what to do."

Every condition given must hold (AND); an empty rule matches every message. Rules are read
top to bottom. `block`, `hold_for_review` and `encrypt` decide and stop; `portal_only`,
`never_tls_only` and `warn` apply and evaluation goes on. With no deciding rule the message
is sent — and every external recipient still gets the strongest method available:
encryption is the floor, not a rule. A rules file with an unknown key, action, detector,
group or attachment type is refused with its name and place, never half-applied.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agent.config import shown
from agent.model import Action, Finding, Verdict
from agent.policy.detectors import TYPES

DECIDING = {"block": Action.BLOCK, "hold_for_review": Action.HOLD, "encrypt": Action.SEND}
FLAGS = ("portal_only", "never_tls_only", "warn")
ACTIONS = (*DECIDING, *FLAGS)
ALIASES = {"hold": "hold_for_review", "send": "encrypt"}  # the first version's words
RECIPIENT_SCOPES = ("any", "external", "internal")
ATTACHMENT_FINDINGS = (
    "hl7_patient_data",
    "fhir_patient_data",
    "encrypted_archive",
    "oversized_archive",
    "uninspectable_attachment",
    "mime_beyond_limits",
)
DETECTOR_TYPES = (*TYPES, *ATTACHMENT_FINDINGS)
ATTACHMENT_KINDS = ("pdf", "docx", "xlsx", "zip", "hl7", "json", "xml", "html", "text", "ole", "binary")
_KEYS = {
    "name",
    "detectors",
    "min_count",
    "min_confidence",
    "recipients",
    "recipient_domains",
    "attachment_types",
    "sender_groups",
    "action",
    "message",
}


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class Facts:
    """What the rules may look at besides the findings."""

    sender: str
    external: tuple[str, ...]
    internal: tuple[str, ...]
    attachment_kinds: frozenset[str] = frozenset()


def _in_domains(address: str, domains: Iterable[str]) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


@dataclass(frozen=True)
class Rule:
    name: str
    action: str
    message: str
    detectors: tuple[str, ...] = ()
    min_count: int = 1
    min_confidence: float = 0.8
    recipients: str = "any"
    recipient_domains: tuple[str, ...] = ()
    attachment_types: tuple[str, ...] = ()
    sender_groups: tuple[tuple[str, ...], ...] = ()  # the members of each named group

    def matches(self, findings: list[Finding], facts: Facts) -> bool:
        if self.recipients == "external" and not facts.external:
            return False
        if self.recipients == "internal" and not facts.internal:
            return False
        if self.recipient_domains and not any(
            _in_domains(a, self.recipient_domains) for a in (*facts.external, *facts.internal)
        ):
            return False
        if self.attachment_types and not facts.attachment_kinds & set(self.attachment_types):
            return False
        if self.sender_groups and not any(_member(facts.sender, group) for group in self.sender_groups):
            return False
        if not self.detectors:
            return True
        hits = sum(1 for f in findings if f.type in self.detectors and f.confidence >= self.min_confidence)
        return hits >= self.min_count


def _member(sender: str, group: tuple[str, ...]) -> bool:
    sender = sender.lower()
    return any(sender == m or (m.startswith("@") and _in_domains(sender, [m[1:]])) for m in group)


@dataclass(frozen=True)
class RuleSet:
    source: str
    rules: tuple[Rule, ...]

    def evaluate(self, findings: list[Finding], facts: Facts) -> Verdict:
        tls_allowed, portal_only = True, False
        warnings: list[str] = []
        matched: list[tuple[str, str]] = []
        for rule in self.rules:
            if not rule.matches(findings, facts):
                continue
            matched.append((rule.name, rule.action))
            if rule.action == "never_tls_only":
                tls_allowed = False
            elif rule.action == "portal_only":
                portal_only = True
            elif rule.action == "warn":
                warnings.append(rule.message or f"rule {rule.name} applies to this message")
            else:
                reason = rule.message or f"rule {rule.name}: {rule.action}"
                return Verdict(
                    DECIDING[rule.action],
                    rule.name,
                    reason,
                    tuple(findings),
                    tls_allowed,
                    portal_only,
                    tuple(warnings),
                    tuple(matched),
                )
        reason = "no rule holds this message; each recipient gets the strongest method available"
        return Verdict(
            Action.SEND, "default", reason, tuple(findings), tls_allowed, portal_only, tuple(warnings), tuple(matched)
        )


def load_rules(path: str = "") -> RuleSet:
    if path:
        source = path
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise RulesError(f"{path}: not UTF-8 text (byte {exc.start}); save the rules file as UTF-8") from None
        except OSError as exc:
            raise RulesError(f"{path}: cannot read rules file: {exc.strerror}") from None
    else:
        source = "built-in HIPAA default rules"
        text = resources.files("agent.policy").joinpath("hipaa_default.toml").read_text("utf-8")
    return parse_rules(text, source)


def parse_rules(text: str, source: str) -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise RulesError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    unknown = set(data) - {"rule", "groups"}
    if unknown:
        raise RulesError(f"{source}: unknown top-level key(s) {sorted(unknown)}; expected [groups] and [[rule]]")
    groups = data.get("groups", {})
    if not isinstance(groups, dict) or not all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in groups.values()
    ):
        raise RulesError(f"{source}: [groups] must map names to lists of addresses or @domains")
    rules = data.get("rule", [])
    if not isinstance(rules, list) or not all(isinstance(raw, dict) for raw in rules):
        raise RulesError(f"{source}: rules are written as [[rule]] tables")
    return RuleSet(source, tuple(_rule(source, i, raw, groups) for i, raw in enumerate(rules, 1)))


def _strings(where: str, raw: dict, key: str, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: {key} must be a list of strings")
    if allowed is not None:
        allowed = tuple(allowed)
        for item in value:
            if item not in allowed:
                raise RulesError(
                    f"{where}: unknown {key[:-1].replace('_', ' ')} {item!r} (known: {', '.join(allowed)})"
                )
    return tuple(value)


def _rule(source: str, index: int, raw: dict, groups: dict[str, list[str]]) -> Rule:
    where = f"{source}: rule #{index} ({shown(raw.get('name', 'unnamed'))})"
    unknown = set(raw) - _KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {sorted(unknown)} (known: {', '.join(sorted(_KEYS))})")
    action = raw.get("action")
    action = ALIASES.get(action, action) if isinstance(action, str) else None
    if action not in ACTIONS:
        raise RulesError(f"{where}: action must be one of {', '.join(ACTIONS)}")
    if raw.get("recipients", "any") not in RECIPIENT_SCOPES:
        raise RulesError(f"{where}: recipients must be one of {', '.join(RECIPIENT_SCOPES)}")
    if action == "block" and not raw.get("message"):
        raise RulesError(f"{where}: a block rule needs a message telling the sender what to do")
    min_count, min_confidence = raw.get("min_count", 1), raw.get("min_confidence", 0.8)
    # Types as written, not coerced: "3" or true is a typo, and int(inf) raises OverflowError.
    if (
        isinstance(min_count, bool)
        or not isinstance(min_count, int)
        or isinstance(min_confidence, bool)
        or not isinstance(min_confidence, (int, float))
    ):
        raise RulesError(f"{where}: min_count must be a whole number and min_confidence a number")
    if min_count < 1 or not 0.0 <= min_confidence <= 1.0:
        raise RulesError(f"{where}: min_count must be at least 1 and min_confidence between 0 and 1")
    sender_groups = _strings(where, raw, "sender_groups", groups)
    return Rule(
        name=str(raw.get("name", f"rule-{index}")),
        action=action,
        message=str(raw.get("message", "")),
        detectors=_strings(where, raw, "detectors", DETECTOR_TYPES),
        min_count=min_count,
        min_confidence=float(min_confidence),
        recipients=raw.get("recipients", "any"),
        recipient_domains=tuple(d.lower().lstrip("@") for d in _strings(where, raw, "recipient_domains")),
        attachment_types=_strings(where, raw, "attachment_types", ATTACHMENT_KINDS),
        sender_groups=tuple(tuple(m.lower() for m in groups[g]) for g in sender_groups),
    )
