"""The one door to the agent: a small typed client for the local API.

Used by the tray app and by the `postseal` CLI alike. It imports nothing from `agent` (the
GUI must work against any agent that speaks the API) and nothing from Qt (so the CLI can use
it). Blocking calls on purpose: the tray runs them off the UI thread. The typed answers it
returns are in views.py (and messages.py, keyring.py, replies.py), importable from here too.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.api.views import AgentConfig, AuditCheck, AuditFilter, AuditPage, Submission


class AgentUnreachable(Exception):
    """No agent answers: not started, crashed, or the discovery files are stale."""


class AgentSlow(AgentUnreachable):
    """The agent took longer than the caller's timeout to answer (it may still be working)."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body


def default_home() -> Path:
    env = os.environ.get("POSTSEAL_HOME")
    if env:
        return Path(env)
    import platformdirs  # the same rule as the agent's config.home_dir()

    return Path(platformdirs.user_data_dir("postseal", appauthor=False))


@dataclass
class EventStream:
    """An open `GET /v1/events` stream; `close()` from any thread ends a blocked read at once
    (it shuts the socket down: closing a file object alone does not wake a blocked recv)."""

    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse
    _closed: bool = field(default=False, init=False)
    _reading: bool = field(default=False, init=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        data: list[bytes] = []
        self._reading = True
        try:
            for line in self.response:
                line = line.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif not line and data:  # a blank line ends an event (SSE, WHATWG HTML 9.2)
                    yield json.loads(b"\n".join(data))
                    data = []
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            # AttributeError: http.client's own state after the socket was shut under it
            if not self._closed:
                raise AgentUnreachable("the agent closed its event stream") from None
        finally:
            self._reading = False
            self.connection.close()

    def close(self) -> None:
        """Safe from any thread: wakes the reader, which then closes the connection itself."""
        self._closed = True
        sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if not self._reading:
            self.connection.close()


class AgentClient:
    def __init__(self, api_url: str, token: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def discover(cls, home: Path | None = None, timeout: float = 30.0) -> AgentClient:
        home = home or default_home()
        try:
            info = json.loads((home / "agent.json").read_text())
            token = (home / "api-token").read_text().strip()
        except (OSError, ValueError):
            raise AgentUnreachable(f"no running agent found in {home} (start it with `postseal agent`)") from None
        return cls(info["api_url"], token, timeout)

    def _call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        stream: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Any:
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type, **(headers or {})},
        )
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read() or b"{}")
            except ValueError:
                payload = {}
            err = payload.get("error", {})
            raise ApiError(exc.code, err.get("code", "http_error"), err.get("message", str(exc)), payload) from None
        except TimeoutError:
            raise AgentSlow(f"agent at {self.api_url} did not answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as exc:
            if isinstance(getattr(exc, "reason", None), TimeoutError):
                raise AgentSlow(f"agent at {self.api_url} did not answer within {self.timeout:g} s") from None
            raise AgentUnreachable(f"agent at {self.api_url} not reachable: {getattr(exc, 'reason', exc)}") from None
        if stream:
            return response
        with response:
            return json.loads(response.read())

    # --- calls ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/v1/health")

    def check(self, raw: bytes) -> dict[str, Any]:
        return self._call("POST", "/v1/check", raw, "message/rfc822")["plan"]

    def submit(self, raw: bytes, callback_url: str = "") -> Submission:
        query = f"?{urllib.parse.urlencode({'callback_url': callback_url})}" if callback_url else ""
        data = self._call("POST", f"/v1/messages{query}", raw, "message/rfc822")
        return Submission(
            data["id"], data["state"], data["plan"], data.get("duplicate", False), data.get("callback_secret", "")
        )

    def compose(self, draft: dict[str, Any], check_only: bool = False) -> dict[str, Any]:
        """The agent's answer to an add-in's draft (addins/PROTOCOL.md): decision, message,
        plan, and id or stamp. A refusal that still carries a decision (a bad draft is
        `blocked`) is an answer, not an error; any other refusal raises ApiError."""
        path = "/v1/compose/check" if check_only else "/v1/compose"
        try:
            return self._call("POST", path, json.dumps(draft).encode())
        except ApiError as exc:
            if exc.body.get("decision") in ("blocked", "held"):
                return {k: exc.body[k] for k in ("decision", "message", "plan", "id") if k in exc.body}
            raise

    def bounce(self, raw: bytes) -> dict[str, Any]:
        """Hand over a delivery status notification; returns the recipients' states after."""
        return self._call("POST", "/v1/bounces", raw, "message/rfc822")

    def message(self, ident: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/messages/{urllib.request.quote(ident, safe='')}")

    def outbox(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/outbox")["messages"]

    def outbox_summary(self) -> dict[str, Any]:
        return self._call("GET", "/v1/outbox/summary")

    def outbox_counts(self) -> dict[str, int]:
        return self.outbox_summary()["counts"]

    def audit(self, limit: int = 1000) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/audit?limit={limit}")["records"]

    def keys(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/keys")["keys"]

    def replies(self) -> list[dict[str, Any]]:
        """Secure replies collected from the portal, newest first (agent/api/replies.py reads them)."""
        return self._call("GET", "/v1/replies")["replies"]

    def reply(self, ident: str) -> dict[str, Any]:
        """One secure reply with its text and attachments (base64)."""
        return self._call("GET", f"/v1/replies/{urllib.parse.quote(ident, safe='')}")

    def import_key(self, data: bytes, password: str | None = None) -> list[str]:
        """An OpenPGP key, an S/MIME certificate, a signed message's certificates, or (with its
        password) a .p12 identity; the agent tells them apart by their bytes."""
        return self.import_keys(data, password)[1]

    def import_keys(self, data: bytes, password: str | None = None) -> tuple[str, list[str]]:
        """import_key, and what the agent took the bytes for: pgp | smime | identity | message."""
        kind, headers = (
            ("application/octet-stream", {})
            if password is None
            else ("application/x-pkcs12", {"X-Postseal-Password": password})
        )
        answer = self._call("POST", "/v1/keys", data, kind, headers=headers)
        return answer["kind"], answer["imported"]

    def rules(self) -> tuple[str, bool]:
        """Where the rules the agent plans with come from, and whether managed policy set them."""
        answer = self._call("GET", "/v1/policy/rules")
        return answer["source"], answer["managed"]

    def enrol_portal(self, url: str, code: str, name: str = "") -> dict[str, Any]:
        """Enrol the agent with its organization's portal: {"url", "agent", "enrolled"}."""
        return self._call("POST", "/v1/portal/enrolment", json.dumps({"url": url, "code": code, "name": name}).encode())

    def events(self) -> Iterator[dict[str, Any]]:
        """Yields each event from the agent's stream until the connection ends."""
        response = self._call("GET", "/v1/events", stream=True)
        with response:
            for line in response:
                if line.startswith(b"data: "):
                    yield json.loads(line[6:])

    # --- a person acting on one message (tray) ------------------------------------------
    def _action(self, ident: str, action: str, body: bytes = b"") -> dict[str, Any]:
        return self._call("POST", f"/v1/messages/{urllib.parse.quote(ident, safe='')}/{action}", body)

    def retry(self, ident: str) -> int:
        """Deferred recipients are tried now; how many. ApiError 409 nothing_to_retry."""
        return int(self._action(ident, "retry")["retried"])

    def release(self, ident: str, note: str) -> int:
        """Held recipients go on after review; 403 managed when the organization forbids it."""
        return int(self._action(ident, "release", json.dumps({"note": note}).encode())["released"])

    def send_via_portal(self, ident: str) -> int:
        """External recipients not yet delivered go via the portal; 409 nothing_to_reroute."""
        return int(self._action(ident, "portal")["rerouted"])

    def revoke(self, ident: str) -> int:
        """Portal copies can no longer be opened; 409 not_portal."""
        return int(self._action(ident, "revoke")["revoked"])

    # --- settings, audit, keys -----------------------------------------------------------
    def config(self) -> AgentConfig:
        data = self._call("GET", "/v1/config")
        return AgentConfig(
            data.get("values", {}), frozenset(data.get("locked", ())), data.get("source", ""), data.get("pending", {})
        )

    def ingress_credentials(self) -> dict[str, Any]:
        """The local SMTP submission's settings for a desktop mail program (404 smtp_off)."""
        return self._call("GET", "/v1/ingress/credentials")

    def verify_stamp(self, raw: bytes, recipients: list[str] | None = None) -> dict[str, Any]:
        """{"valid": bool, "reason" | "verdict", "issued", "seen_before"} for a message's stamp."""
        query = f"?recipients={urllib.parse.quote(','.join(recipients))}" if recipients else ""
        return self._call("POST", f"/v1/stamps/verify{query}", raw, "message/rfc822")

    def update_config(self, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Save relay or portal settings (PATCH /v1/config): 403 managed, 400 bad_config."""
        return self._call("PATCH", "/v1/config", json.dumps(changes).encode())

    def audit_page(self, offset: int | None, limit: int, where: AuditFilter | None = None) -> AuditPage:
        """Records oldest first: `limit` of them from `offset`, or the newest `limit` when
        `offset` is None; `total` counts every record the filter matches."""
        query = {"limit": str(limit), **(where or AuditFilter()).query()}
        if offset is not None:
            query["offset"] = str(offset)
        data = self._call("GET", f"/v1/audit?{urllib.parse.urlencode(query)}")
        return AuditPage(data["records"], int(data.get("total", len(data["records"]))))

    def audit_verify(self) -> AuditCheck:
        data = self._call("GET", "/v1/audit/verify")
        return AuditCheck(
            bool(data["ok"]), int(data.get("records", 0)), int(data.get("unsigned", 0)), str(data.get("problem", ""))
        )

    def audit_export(self, fmt: str) -> str:
        """The whole log as CSV or JSON text."""
        return self._text("GET", f"/v1/audit/export?format={urllib.parse.quote(fmt)}")

    def generate_key(self, email: str, name: str = "") -> str:
        return self._call("POST", "/v1/keys/generate", json.dumps({"email": email, "name": name}).encode())[
            "fingerprint"
        ]

    def public_key(self, who: str) -> str:
        """The armored public key of an address or fingerprint."""
        return self._text("GET", f"/v1/keys/{urllib.parse.quote(who, safe='')}/public")

    def renew_key(self, fingerprint: str) -> int:
        """Extend the user's own OpenPGP key to two years from today; the new expiry (epoch seconds)."""
        return int(self._call("POST", f"/v1/keys/{urllib.parse.quote(fingerprint, safe='')}/renew")["expires"])

    def delete_key(self, fingerprint: str) -> str:
        return self._call("DELETE", f"/v1/keys/{urllib.parse.quote(fingerprint, safe='')}")["deleted"]

    # --- accounts (sign in once, send through the clinic's own mailbox) --------------------
    def accounts(self) -> dict[str, Any]:
        """{"accounts": [{provider, address, state, reason, added}], "providers": {...}, "transport"}."""
        return self._call("GET", "/v1/accounts")

    def start_sign_in(self, provider: str, device_code: bool = False) -> dict[str, Any]:
        """{"id", "state", "auth_url" | "user_code" + "verification_uri" + "message"}: open the URL
        in the user's browser. ApiError 400 sign_in (not set up), 409 no_keyring, 503 provider_unreachable."""
        body = json.dumps({"provider": provider, "device_code": device_code}).encode()
        return self._call("POST", "/v1/accounts/sign-in", body)

    def sign_in_status(self, ident: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/accounts/sign-in/{urllib.parse.quote(ident, safe='')}")

    def cancel_sign_in(self, ident: str) -> None:
        self._call("DELETE", f"/v1/accounts/sign-in/{urllib.parse.quote(ident, safe='')}")

    def remove_account(self, address: str) -> None:
        self._call("DELETE", f"/v1/accounts/{urllib.parse.quote(address, safe='')}")

    def _text(self, method: str, path: str) -> str:
        with self._call(method, path, stream=True) as response:
            return response.read().decode("utf-8")

    def open_events(self, read_timeout: float = 45.0) -> EventStream:
        """The event stream as an object another thread can close. The agent sends a
        keep-alive every 15 s, so a read that waits `read_timeout` means a hung agent."""
        parts = urllib.parse.urlsplit(self.api_url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=read_timeout)
        try:
            connection.request(
                "GET", "/v1/events", headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
            )
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise AgentUnreachable(f"agent at {self.api_url} not reachable: {exc}") from None
        if response.status != 200:
            try:
                payload = json.loads(response.read() or b"{}")
            except (ValueError, OSError):
                payload = {}
            connection.close()
            err = payload.get("error", {}) if isinstance(payload, dict) else {}
            raise ApiError(
                response.status, err.get("code", "http_error"), err.get("message", f"HTTP {response.status}"), payload
            )
        return EventStream(connection, response)

    def wait(
        self, ident: str, timeout: float = 60.0, final: tuple[str, ...] = ("delivered", "held", "failed")
    ) -> dict[str, Any]:
        """Poll until the message reaches a final state or `timeout` seconds pass."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            record = self.message(ident)
            if record["state"] in final or time.monotonic() >= deadline:
                return record
            time.sleep(0.1)
