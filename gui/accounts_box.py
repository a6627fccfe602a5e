"""Settings → Accounts: sign in once to the clinic's Microsoft 365 or Google Workspace mailbox.

Signing in asks the agent to start (POST /v1/accounts/sign-in), opens the address it gives in
the system browser, and asks every second how it went until the browser is done (or the agent
gives up: window closed, consent declined). A provider IT has not set up has its button off,
with the reason. An account whose saved sign-in stopped working says so, and what to do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from gui.agent_gate import allow
from gui.errors import explain
from gui.message_bar import MessageBar
from gui.tray_app import TrayApp

PROVIDERS = {"microsoft": "Microsoft 365", "google": "Google Workspace"}
LABELS = {"microsoft": "Sign in with &Microsoft 365", "google": "Sign in with &Google"}
NOT_SET_UP = "Your IT team has not set up {name} sign-in for Postseal yet."
ABOUT = (
    "Signed in, mail you send leaves from your own mailbox and appears in your Sent folder. "
    "For recipients outside the clinic, the provider stores only the protected copy "
    "(encrypted, or the portal notice), never the patient details in clear."
)


class AccountsBox(QGroupBox):
    POLL_MS = 1000

    def __init__(self, app: TrayApp, bar: MessageBar, parent=None) -> None:
        super().__init__("Accounts", parent)
        self.app = app
        self.bar = bar
        self.attempt: dict | None = None
        layout = QVBoxLayout(self)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Signed-in accounts")
        self.list.setMaximumHeight(64)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.list)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for provider, name in PROVIDERS.items():
            button = QPushButton(LABELS[provider], self)
            button.setAccessibleName(f"Sign in with {name}")
            button.clicked.connect(lambda _=False, p=provider: self.sign_in(p))
            row.addWidget(button)
            self.buttons[provider] = button
        self.sign_out_button = QPushButton("Sign &out", self)
        self.sign_out_button.setAccessibleName("Sign out of the selected account")
        self.sign_out_button.clicked.connect(self.sign_out)
        row.addStretch(1)
        row.addWidget(self.sign_out_button)
        layout.addLayout(row)
        self.note = QLabel(ABOUT, self)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self._timer = QTimer(self, interval=self.POLL_MS)
        self._timer.timeout.connect(self._poll)
        app.accounts_changed.connect(self.show_accounts)
        app.connection_changed.connect(self._agent_changed)  # a bound slot: disconnected with the box
        self.show_accounts(app.accounts)

    # --- showing ---------------------------------------------------------------------------
    def show_accounts(self, data: dict) -> None:
        self.list.clear()
        for account in data.get("accounts", []):
            name = PROVIDERS.get(account.get("provider", ""), account.get("provider", ""))
            if account.get("state") == "needs_sign_in":
                words = f"{account['address']} — {name} — sign in again: {account.get('reason', '')}"
            else:
                words = f"{account['address']} — {name} — signed in"
            item = QListWidgetItem(words, self.list)
            item.setData(Qt.ItemDataRole.UserRole, account["address"])
            item.setToolTip(words)
        if not self.list.count():
            self.list.addItem("No account: mail leaves through your organization's mail server.")
        providers = data.get("providers", {})
        missing = [PROVIDERS[p] for p in PROVIDERS if not providers.get(p)]
        self.note.setText(
            (NOT_SET_UP.format(name=" or ".join(missing)) + " " if len(missing) == len(PROVIDERS) else "") + ABOUT
        )
        for provider, button in self.buttons.items():
            ready = bool(providers.get(provider)) and self.attempt is None
            allow(
                button,
                ready,
                self.app.connected,
                "" if providers.get(provider) else NOT_SET_UP.format(name=PROVIDERS[provider]),
            )
        self._update_buttons()

    def _selected(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole) or "") if item else ""

    def _update_buttons(self) -> None:
        allow(self.sign_out_button, bool(self._selected()), self.app.connected)

    def _agent_changed(self, *_: object) -> None:
        self.show_accounts(self.app.accounts)

    # --- signing in --------------------------------------------------------------------------
    def open_url(self, url: str) -> bool:
        """The system browser (the one thing tests replace)."""
        return QDesktopServices.openUrl(QUrl(url))

    def sign_in(self, provider: str) -> None:
        for button in self.buttons.values():
            button.setEnabled(False)
        self.bar.show_message(f"Starting the {PROVIDERS[provider]} sign-in…", "info")
        self.app.call(self, lambda client: client.start_sign_in(provider), self._started, self._failed)

    def _started(self, attempt: dict) -> None:
        self.attempt = attempt
        url = attempt.get("auth_url", "")
        if not self.open_url(url):
            self.bar.show_message(f"Open this address in your browser to sign in: {url}", "info")
        else:
            self.bar.show_message("Finish signing in in your browser; Postseal waits for it here.", "info")
        self._timer.start()

    def _poll(self) -> None:
        if self.attempt is not None:
            ident = self.attempt["id"]
            self.app.call(self, lambda client: client.sign_in_status(ident), self._status, self._failed)

    def _status(self, status: dict) -> None:
        if status.get("state") == "waiting":
            return
        self._timer.stop()
        self.attempt = None
        self.show_accounts(self.app.accounts)  # the buttons are usable again at once
        if status.get("state") == "signed_in":
            self.bar.show_message(
                f"Signed in as {status['address']}: your mail now leaves from your own mailbox.", "ok"
            )
        else:
            self.bar.error(f"Not signed in: {status.get('error', 'the sign-in did not complete')}")
        self.app.refresh_accounts()

    def _failed(self, exc: BaseException) -> None:
        self._timer.stop()
        self.attempt = None
        self.show_accounts(self.app.accounts)
        self.bar.error(f"Not signed in: {explain(exc)}")
        self.app.refresh_accounts()

    def sign_out(self) -> None:
        address = self._selected()
        if not address:
            return
        self.app.call(
            self,
            lambda client: client.remove_account(address),
            lambda _: (self.bar.show_message(f"Signed out of {address}.", "ok"), self.app.refresh_accounts()),
            self._failed,
        )
