"""The running tray application without its windows: the connection to the agent, the one
event stream, and what the windows and the tray icon show (outbox, keys, settings, status).

Everything that talks to the agent goes through `call()`: on a worker thread, via the
AgentLink (so a restarted agent is found again), with the answer back on the UI thread."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from agent.api.client import AgentClient, AgentConfig
from agent.api.keyring import KeyEntry
from agent.api.messages import OutboxMessage
from gui import agent_launcher
from gui.agent_link import AgentLink
from gui.background import Background
from gui.errors import NOT_RUNNING, explain
from gui.event_stream import EventStreamThread
from gui.outbox_model import OutboxModel
from gui.status import Tone, TrayStatus, tray_status

log = logging.getLogger(__name__)

KEYS_EVERY_MS = 3600 * 1000  # expiry creeps up with no event to tell us
FETCH_BATCH = 25  # more changed messages than this at once: reload the list instead


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    level: str = "info"  # info | warning | error
    message_id: str = ""  # the outbox message it is about, to open on click
    view: str = ""  # the view to open on click instead (a secure reply: "replies")


class TrayApp(QObject):
    status_changed = Signal(object)  # TrayStatus
    connection_changed = Signal(bool, str)  # connected, the problem when not
    config_changed = Signal(object)  # AgentConfig
    keys_changed = Signal(object)  # list[KeyEntry]
    audit_changed = Signal()  # new audit records are likely
    notified = Signal(object)  # Notification
    accounts_changed = Signal(object)  # GET /v1/accounts
    failed = Signal(str)  # a background problem worth one line in the windows
    setup_needed = Signal()  # once per start: the agent's set-up checks ask the user for something
    setup_changed = Signal(object)  # list[dict]: GET /v1/health "problems", when they change

    def __init__(self, home: Path, autostart: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.autostart = autostart
        self.link = AgentLink(home)
        self.background = Background(self)
        self.outbox = OutboxModel(self)
        self.connected = False
        self.problem = NOT_RUNNING
        self.offline_since: float | None = None
        self.audit_problem = ""
        self.keys_in_files = ""  # the agent's warning when its keys are kept in files (GET /v1/health)
        self.setup_problems: list[dict] = []  # what in the agent's set-up holds mail or needs IT (idem)
        self._setup_asked = self._health_seen = False
        self.keys: list[KeyEntry] = []
        self.accounts: dict = {"accounts": [], "providers": {}}
        self.config: AgentConfig | None = None
        self.launching = False
        self.launched: subprocess.Popen | None = None
        self._quitting = threading.Event()  # ends a launch still waiting for the agent
        self.status = tray_status(False, self.problem, [], None, [])
        self._changed: set[str] = set()
        self._stream = EventStreamThread(self.link)
        self._stream.event.connect(self._on_event)
        self._stream.lost.connect(self._on_lost)
        self._flush = QTimer(self, singleShot=True, interval=120)
        self._flush.timeout.connect(self._fetch_changed)
        self._keys_timer = QTimer(self, interval=KEYS_EVERY_MS)
        self._keys_timer.timeout.connect(self.refresh_keys)
        self._watcher = QFileSystemWatcher(self)
        self._started = False

    # --- life -------------------------------------------------------------------------------
    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._watcher.addPath(str(self.home))
        self._watcher.directoryChanged.connect(lambda *_: self._stream.wake())
        self._stream.start()
        self._keys_timer.start()
        self._started = True
        if self.autostart:
            self.call_plain(lambda: agent_launcher.running(self.home), lambda up: None if up else self.start_agent())

    def shutdown(self) -> None:
        """Stop the stream and every call in flight (quit, tests). The agent keeps running."""
        self._quitting.set()
        self._flush.stop()
        self._keys_timer.stop()
        if self._started:
            self._stream.stop()
        self.background.shutdown()

    # --- calling the agent -------------------------------------------------------------------
    def call(
        self,
        owner: QObject,
        fn: Callable[[AgentClient], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.background.run(owner, lambda: self.link.call(fn), on_done, on_error or self._report)

    def call_plain(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.background.run(self, fn, on_done, on_error or self._report)

    def _report(self, exc: BaseException) -> None:
        self.failed.emit(explain(exc))

    # --- starting the agent --------------------------------------------------------------------
    def start_agent(self) -> None:
        if self.launching or self.connected:
            return
        self.launching = True
        self._set_status(TrayStatus(Tone.STOPPED, "Starting the agent…", "Postseal is starting its agent."))
        how = agent_launcher.plan(self.home)
        self.call_plain(
            lambda: agent_launcher.launch(how, stop=self._quitting, started=self._remember),
            self._launched,
            self._launch_failed,
        )

    def _remember(self, process: subprocess.Popen) -> None:  # worker thread: a plain assignment
        self.launched = process

    def _launched(self, process: subprocess.Popen) -> None:
        self.launching = False
        self.launched = process
        self._stream.wake()

    def _launch_failed(self, exc: BaseException) -> None:
        self.launching = False
        self.problem = explain(exc)
        self._update_status()
        self.notified.emit(Notification("Postseal agent did not start", self.problem, "error"))

    # --- the event stream ---------------------------------------------------------------------
    @Slot(object)
    def _on_event(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "hello":
            self._set_connected(True, "")
            self.refresh()
        elif kind == "message" and event.get("id"):
            ident = str(event["id"])
            # Shown at once; the full record (reason, proof; a message new to us) follows.
            self.outbox.apply_event(ident, str(event.get("state", "")), dict(event.get("recipients") or {}))
            self._changed.add(ident)
            self._flush.start()
            self._update_status()
        elif kind == "notice" and event.get("view") == "replies":
            self.notified.emit(Notification("Secure reply", str(event.get("text", "")), "info", view="replies"))
        elif kind == "notice":
            error = event.get("level", "error") == "error"
            self.notified.emit(
                Notification(
                    "Not delivered" if error else "Postseal needs you",
                    str(event.get("text", "")),
                    "error" if error else "warning",
                    str(event.get("id", "")),
                )
            )
        elif kind == "account":
            self.refresh_accounts()
        elif kind == "status":
            self.offline_since = event.get("offline_since")
            self._update_status()

    @Slot(str)
    def _on_lost(self, problem: str) -> None:
        self._set_connected(False, problem)

    def _set_connected(self, connected: bool, problem: str) -> None:
        changed = connected != self.connected or problem != self.problem
        self.connected, self.problem = connected, problem
        if changed:
            self.connection_changed.emit(connected, problem)
        self._update_status()

    # --- what the windows show -----------------------------------------------------------------
    def refresh(self) -> None:
        self.call(self, lambda c: [OutboxMessage.from_json(m) for m in c.outbox()], self._outbox_loaded)
        self.refresh_summary()
        self.refresh_health()
        self.refresh_keys()
        self.refresh_config()
        self.refresh_accounts()
        self.audit_changed.emit()

    def refresh_accounts(self) -> None:
        self.call(self, lambda c: c.accounts(), self._accounts_loaded)

    def _accounts_loaded(self, accounts: dict) -> None:
        self.accounts = accounts
        self.accounts_changed.emit(accounts)
        self._update_status()

    def refresh_summary(self) -> None:
        self.call(self, lambda c: c.outbox_summary(), self._summary_loaded)

    def refresh_health(self) -> None:
        self.call(self, lambda c: c.health(), self._health_loaded)

    def _health_loaded(self, health: dict) -> None:
        self.keys_in_files = str((health.get("secrets") or {}).get("warning") or "")
        problems = [p for p in health.get("problems") or [] if isinstance(p, dict)]
        if problems != self.setup_problems or not self._health_seen:
            self.setup_problems = problems
            self.setup_changed.emit(problems)
        self._update_status()
        self._health_seen = True
        self._ask_setup()

    def _ask_setup(self) -> None:
        """First run: a portal address patients cannot open, or no domains, is for the user to
        fix in Settings unless IT locked it. Asked once per start, once health and config are in."""
        if self._setup_asked or not self._health_seen or self.config is None:
            return
        fixable = {"portal_url_unreachable": "portal.url", "no_internal_domains": "organization.internal_domains"}
        if any(fixable.get(p.get("code")) not in (None, *self.config.locked) for p in self.setup_problems):
            self._setup_asked = True
            self.setup_needed.emit()

    def refresh_keys(self) -> None:
        self.call(self, lambda c: [KeyEntry.from_json(k) for k in c.keys()], self._keys_loaded)

    def refresh_config(self) -> None:
        self.call(self, lambda c: c.config(), self._config_loaded)

    def refresh_message(self, ident: str) -> None:
        self._changed.add(ident)
        self._flush.start()

    def _fetch_changed(self) -> None:
        changed, self._changed = self._changed, set()
        if len(changed) > FETCH_BATCH:
            self.call(self, lambda c: [OutboxMessage.from_json(m) for m in c.outbox()], self._outbox_loaded)
        else:
            for ident in changed:
                self.call(self, lambda c, i=ident: OutboxMessage.from_json(c.message(i)), self._message_loaded)
        self.refresh_summary()
        self.audit_changed.emit()

    def _outbox_loaded(self, messages: list[OutboxMessage]) -> None:
        newly_held = self.outbox.replace_all(messages)
        if len(newly_held) == 1:
            self._tell_held(newly_held[0])
        elif newly_held:
            self.notified.emit(
                Notification(
                    f"{len(newly_held)} messages held for review",
                    "Open the outbox to see why, and what you can do.",
                    "warning",
                )
            )
        self._update_status()

    def _message_loaded(self, message: OutboxMessage) -> None:
        before = self.outbox.upsert(message)
        if message.held and not (before and before.held):
            self._tell_held(message)
        self._update_status()

    def _tell_held(self, message: OutboxMessage) -> None:
        # Never the subject: a notification can show on a locked screen, and subjects carry PHI.
        to = message.recipients[0].address if message.recipients else "its recipients"
        more = f" and {len(message.recipients) - 1} more" if len(message.recipients) > 1 else ""
        reason = message.reason or "Policy holds it for a person to review."
        self.notified.emit(
            Notification(
                f"Message to {to}{more} held", f"{reason} Click to review it in the outbox.", "warning", message.id
            )
        )

    def _summary_loaded(self, summary: dict) -> None:
        self.offline_since = summary.get("offline_since")
        self.audit_problem = str(summary.get("audit_problem") or "")
        self._update_status()

    def _keys_loaded(self, keys: list[KeyEntry]) -> None:
        self.keys = keys
        self.keys_changed.emit(keys)
        self._update_status()

    def _config_loaded(self, config: AgentConfig) -> None:
        self.config = config
        self.config_changed.emit(config)
        self._ask_setup()

    # --- the tray's state ------------------------------------------------------------------------
    def _update_status(self) -> None:
        if self.launching and not self.connected:
            return
        again = [a["address"] for a in self.accounts.get("accounts", []) if a.get("state") == "needs_sign_in"]
        self._set_status(
            tray_status(
                self.connected,
                self.problem,
                self.outbox.messages(),
                self.offline_since,
                self.keys,
                self.audit_problem,
                again,
                self.keys_in_files,
                self.setup_problems,
            )
        )

    def _set_status(self, status: TrayStatus) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)
