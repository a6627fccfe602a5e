"""Whether this computer's set-up lets the agent send safely: problems of the configuration
itself, not of any one message, found once from the Config and reported the same way
everywhere — the log at start, GET /v1/health, the tray, and the reason a message is held.

A problem either holds mail or only warns:

- managed policy that cannot be read or is invalid holds every message: the agent never
  falls back to the user's own, possibly weaker, settings (issue 15);
- a portal URL that no patient can open (loopback, or plain http) holds the messages that
  would go through the portal, unless `[portal] allow_test_url` says this is a trial on one
  computer (the demo and the tests); the notice's link would lead nowhere, or in clear;
- no internal domains, or a relay reached without required TLS, only warn: mail still
  goes out protected, but IT should know.

Pure: Config in, problems out (no I/O), so each rule is tested without an agent."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from agent.config import Config
from agent.model import Action, Method, RecipientPlan, Verdict


class Holds(enum.StrEnum):
    NOTHING = "nothing"
    PORTAL = "portal"  # messages with a recipient routed to the portal
    ALL = "all"


@dataclass(frozen=True)
class Problem:
    code: str  # stable, for monitoring: managed_policy_invalid, portal_url_unreachable, ...
    message: str  # one line, for the log, the tray, /v1/health and a held message's reason
    holds: Holds = Holds.NOTHING
    warn: bool = True  # False: a state chosen on purpose (a trial portal), reported but not a warning
    # For a problem that holds mail: the same in a clinician's words (no config keys), which
    # the add-ins show as the reason a message is held (agent/ingress/compose.py).
    says: str = ""

    @property
    def severity(self) -> str:
        """ "holds" (mail waits until it is mended), "warning" (IT should know) or "note" (chosen on
        purpose): the one mapping the log, `postseal init --check` and the tray all use."""
        if self.holds is not Holds.NOTHING:
            return "holds"
        return "warning" if self.warn else "note"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "holds": str(self.holds),
            "warn": self.warn,
            "severity": self.severity,
            "says": self.says,
        }


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problems(config: Config) -> tuple[Problem, ...]:
    found: list[Problem] = []
    if config.managed_error:
        found.append(
            Problem(
                "managed_policy_invalid",
                f"managed policy is invalid: {config.managed_error}",
                Holds.ALL,
                says="Your organization's Postseal settings cannot be read, so Postseal "
                "keeps all mail until your IT team corrects them",
            )
        )
    url = urlsplit(config.portal.url)
    host = url.hostname or ""
    if is_loopback(host) or url.scheme != "https":
        why = "is on this computer" if is_loopback(host) else "is not https"
        if config.portal.allow_test_url:
            found.append(
                Problem(
                    "portal_url_test",
                    f"portal URL {config.portal.url} {why}: portal links work only "
                    "for this trial ([portal] allow_test_url = true)",
                    warn=False,
                )
            )
        else:
            found.append(
                Problem(
                    "portal_url_unreachable",
                    f"portal URL {config.portal.url} {why}, so no patient "
                    "can open its links: portal mail is held until IT sets the clinic's portal "
                    "URL (postseal init, or [portal] url)",
                    Holds.PORTAL,
                    says="Your IT team has not finished setting up the secure portal, so mail that "
                    "goes through it waits until they do",
                )
            )
    if not config.organization.internal_domains:
        found.append(
            Problem(
                "no_internal_domains",
                "no internal domains are set: every recipient, colleagues "
                "too, is treated as outside the clinic ([organization] internal_domains)",
            )
        )
    if config.relay.starttls != "required" and not is_loopback(config.relay.host):
        found.append(
            Problem(
                "relay_unencrypted",
                f"the relay {config.relay.host} is reached with starttls = "
                f'"{config.relay.starttls}": mail to it may travel in clear (set "required")',
            )
        )
    return tuple(found)


def hold_reason(found: Iterable[Problem], methods: Iterable[Method]) -> str:
    """Why a message whose recipients go by these methods must be held because of the
    set-up, or ''."""
    found = tuple(found)
    for problem in found:
        if problem.holds is Holds.ALL:
            return problem.message
    if Method.PORTAL in set(methods):
        for problem in found:
            if problem.holds is Holds.PORTAL:
                return problem.message
    return ""


def apply(verdict: Verdict, found: Iterable[Problem], recipients: Iterable[RecipientPlan]) -> Verdict:
    """Policy's verdict, held when the set-up must hold it. A block stays a block and a
    policy hold keeps its own reason (the privacy officer reviews the content first; a
    release is then refused while the set-up problem lasts: Pipeline._may_release)."""
    reason = hold_reason(found, (r.method for r in recipients))
    if not reason or verdict.action in (Action.BLOCK, Action.HOLD):
        return verdict
    return replace(
        verdict,
        action=Action.HOLD,
        rule="setup",
        reason=reason,
        matched=(*verdict.matched, ("setup", str(Action.HOLD))),
    )
