"""What the tray says, from what the agent reports: one state, its words, a count.

Pure data in, data out (no Qt), so each state and its wording is tested without a screen.
Order of importance: not running, then attention (a person must act), then offline, then
sending, then all is well."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from agent.api.keyring import KeyEntry
from agent.api.messages import OutboxMessage

# The add-ins fail closed while the agent is down, so nothing leaves unprotected: mail waits.
MAIL_WAITS_FOR_AGENT = "Mail cannot be sent until the agent runs."


class Tone(enum.StrEnum):
    PROTECTED = "protected"
    SENDING = "sending"
    OFFLINE = "offline"
    ATTENTION = "attention"
    STOPPED = "stopped"


@dataclass(frozen=True)
class TrayStatus:
    tone: Tone
    title: str  # a few words: the menu's first line
    detail: str  # one sentence: what it means and what to do, if anything
    count: int = 0  # shown on the icon when not 0
    # The view `detail` sends the user to ("outbox", "settings"), and the sentence to show
    # instead while that view is the one open: never "open the outbox" inside the outbox.
    view: str = ""
    detail_here: str = ""

    def detail_in(self, view: str) -> str:
        """The sentence for a window showing `view`."""
        return self.detail_here if view and view == self.view and self.detail_here else self.detail

    @property
    def tooltip(self) -> str:
        return f"Postseal: {self.title}\n{self.detail}"


# The tray's one short sentence per set-up warning (agent/readiness.py codes); the agent's
# full line, naming the setting, is for IT in GET /v1/health and the agent's log.
_SETUP_WORDS = {
    "no_internal_domains": "Colleagues are treated as outside the clinic: no internal domains are set.",
    "relay_unencrypted": "Mail to the clinic's relay may travel unencrypted.",
}


def _setup_words(problem: dict) -> str:
    return _SETUP_WORDS.get(str(problem.get("code")), "Postseal's set-up needs attention.")


def _n(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def tray_status(
    connected: bool,
    problem: str,
    messages: Iterable[OutboxMessage],
    offline_since: float | None,
    own_keys: Iterable[KeyEntry],
    audit_problem: str = "",
    sign_in_again: Iterable[str] = (),
    keys_in_files: str = "",
    setup: Iterable[dict] = (),
) -> TrayStatus:
    """`setup`: the agent's set-up problems as GET /v1/health lists them (agent/readiness.py)."""
    if not connected:
        return TrayStatus(Tone.STOPPED, "Agent not running", problem or MAIL_WAITS_FOR_AGENT)
    setup = [p for p in setup if p.get("warn", True)]  # not a state chosen on purpose (a trial portal)
    if any(p.get("holds") == "all" for p in setup):
        return TrayStatus(
            Tone.ATTENTION,
            "Mail held: policy problem",
            "Your organization's policy could not be read, so no mail is sent. Tell your IT team.",
        )
    messages = list(messages)
    held = [m for m in messages if m.held]
    waiting = [m for m in messages if m.in_flight]
    if held:
        return TrayStatus(
            Tone.ATTENTION,
            f"{_n(len(held), 'message')} held",
            "Open the outbox to see why, and what you can do about it.",
            len(held),
            "outbox",
            "Select a message marked “Held for review” to see why, and what you can do about it.",
        )
    sign_in_again = list(sign_in_again)
    if sign_in_again:
        waiting_for_you = [m for m in waiting if m.sender in sign_in_again]
        return TrayStatus(
            Tone.ATTENTION,
            "Sign in again",
            f"Mail from {sign_in_again[0]} waits until you sign in again "
            f"(Settings → Accounts); {_n(len(waiting_for_you), 'message')} waiting.",
            len(waiting_for_you),
            "settings",
            f"Mail from {sign_in_again[0]} waits until you sign in again under Accounts; "
            f"{_n(len(waiting_for_you), 'message')} waiting.",
        )
    if audit_problem:
        return TrayStatus(Tone.ATTENTION, "Audit log problem", f"{audit_problem}. Tell your IT team.")
    warnings = [k.warning() for k in own_keys if k.secret and k.warning()]
    if warnings:
        return TrayStatus(Tone.ATTENTION, "Your key needs attention", warnings[0])
    if any(p.get("holds") == "portal" for p in setup):
        return TrayStatus(
            Tone.ATTENTION,
            "Portal not set up",
            "Mail for the secure portal is held: its address is not one patients can open. Tell your IT team.",
            0,
            "settings",
            "Mail for the secure portal is held until its address (Portal address, on this page) "
            "is one patients can open.",
        )
    if setup:
        return TrayStatus(Tone.ATTENTION, "Set-up incomplete", f"{_setup_words(setup[0])} Tell your IT team.")
    if keys_in_files:  # the agent's own keys beside the data it protects: IT must know
        # One short sentence a clinician can act on (the menu shows one line); the agent's
        # own words, with the folder, are for IT in GET /v1/health and the agent's log.
        return TrayStatus(
            Tone.ATTENTION,
            "Keys kept in files",
            "Keys are stored beside your mail data, not in a keyring. Tell your IT team.",
        )
    if offline_since is not None:
        if waiting:
            return TrayStatus(
                Tone.OFFLINE,
                f"Offline, {len(waiting)} waiting",
                f"{_n(len(waiting), 'message')} will be sent, protected, when the connection is back.",
                len(waiting),
            )
        return TrayStatus(Tone.OFFLINE, "Offline", "New mail waits safely until the connection is back.")
    if waiting:
        return TrayStatus(
            Tone.SENDING,
            f"Sending {len(waiting)}",
            f"{_n(len(waiting), 'message')} on the way, each protected.",
            len(waiting),
        )
    return TrayStatus(Tone.PROTECTED, "Protected", "All mail delivered; new mail is protected automatically.")
