"""What the local API answers, as typed values: a submission, the settings, audit pages.

Standard library only, like the client that returns them (agent/api/client.py re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Submission:
    id: str
    state: str
    plan: dict[str, Any]
    duplicate: bool = False
    callback_secret: str = ""


@dataclass(frozen=True)
class AgentConfig:
    """The agent's effective settings (secrets shown as "***") and what managed policy fixes."""

    values: dict[str, dict[str, Any]]
    locked: frozenset[str]  # "section.key"
    source: str  # the config.toml the agent read
    pending: dict[str, Any] = field(default_factory=dict)  # saved, used after a restart

    def value(self, section: str, key: str, default: Any = None) -> Any:
        return self.values.get(section, {}).get(key, default)

    def is_locked(self, section: str, key: str) -> bool:
        return f"{section}.{key}" in self.locked


@dataclass(frozen=True)
class AuditFilter:
    """Which audit records to page through; empty fields do not filter."""

    since: float | None = None  # unix time, inclusive
    until: float | None = None
    recipient: str = ""  # substring of any recipient address
    method: str = ""
    event: str = ""

    def query(self) -> dict[str, str]:
        pairs = {
            "since": self.since,
            "until": self.until,
            "recipient": self.recipient,
            "method": self.method,
            "event": self.event,
        }
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}


@dataclass(frozen=True)
class AuditPage:
    records: list[dict[str, Any]]
    total: int  # records matching the filter, all pages together


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    records: int
    unsigned: int = 0
    problem: str = ""
