"""OpenPGP keys and S/MIME certificates as the tray shows them, with their validity in words."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

WARN_DAYS = 30  # an own key this close to expiry puts the tray in "attention"


@dataclass(frozen=True)
class KeyEntry:
    fingerprint: str
    emails: tuple[str, ...]
    uids: tuple[str, ...]
    algorithm: str
    created: int
    expires: int  # 0 = never
    revoked: bool
    secret: bool
    usable: bool
    problem: str
    kind: str = "pgp"  # pgp | smime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyEntry:
        return cls(
            str(data["fingerprint"]),
            tuple(data.get("emails", ())),
            tuple(data.get("uids", ())),
            str(data.get("algorithm", "")),
            int(data.get("created") or 0),
            int(data.get("expires") or 0),
            bool(data.get("revoked")),
            bool(data.get("secret")),
            bool(data.get("usable", True)),
            str(data.get("problem") or ""),
            str(data.get("type") or "pgp"),
        )

    @property
    def who(self) -> str:
        return ", ".join(self.emails) or ", ".join(self.uids) or "(no address)"

    @property
    def grouped_fingerprint(self) -> str:
        """In groups of four, as gpg prints it, so it can be read out over the phone."""
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, len(self.fingerprint), 4))

    def days_left(self, now: float | None = None) -> int | None:
        if not self.expires:
            return None
        return int((self.expires - (time.time() if now is None else now)) // 86400)

    def expiring(self, now: float | None = None) -> bool:
        days = self.days_left(now)
        return days is not None and days < WARN_DAYS

    def validity(self, now: float | None = None) -> str:
        if self.revoked:
            return "Revoked: never used"
        days = self.days_left(now)
        day = time.strftime("%Y-%m-%d", time.localtime(self.expires)) if self.expires else ""
        if days is not None and days < 0:
            return f"Expired on {day}: not used"
        if not self.usable:
            return f"Not usable: {self.problem}"
        if days is None:
            return "Valid, does not expire"
        if days < WARN_DAYS:
            return f"Valid, expires on {day} (in {days} day{'s' if days != 1 else ''})"
        return f"Valid until {day}"

    def warning(self, now: float | None = None) -> str:
        """For the user's own key: what is wrong and what to do, or ""."""
        days = self.days_left(now)
        if self.kind == "smime":
            renew = "Ask your certificate provider for a new one and import it (.p12) under Keys."
            if days is not None and days < 0:
                return f"Your S/MIME certificate for {self.who} has expired: mail is no longer signed with it. {renew}"
            if days is not None and days < WARN_DAYS:
                return (
                    f"Your S/MIME certificate for {self.who} expires in {days} day{'s' if days != 1 else ''}. {renew}"
                )
            return ""
        if self.revoked:
            return f"Your key for {self.who} is revoked. Create a new key."
        if days is not None and days < 0:
            return (
                f"Your key for {self.who} has expired: partners can no longer encrypt to you. "
                "Renew it (Renew key) and send partners its public part again."
            )
        if days is not None and days < WARN_DAYS:
            return (
                f"Your key for {self.who} expires in {days} day{'s' if days != 1 else ''}. "
                "Renew it (Renew key) and send partners its public part again."
            )
        return ""
