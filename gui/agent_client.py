"""The one door to the agent: a small typed client for the local API.

Used by the tray app and by the `postseal` CLI alike. It imports nothing from `agent` (the
GUI must work against any agent that speaks the API) and nothing from Qt (so the CLI can use
it). Blocking calls on purpose: the tray runs them off the UI thread.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AgentUnreachable(Exception):
    """No agent answers: not started, crashed, or the discovery files are stale."""


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


@dataclass(frozen=True)
class Submission:
    id: str
    state: str
    plan: dict[str, Any]
    duplicate: bool = False
    callback_secret: str = ""


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
            raise AgentUnreachable(
                f"no running agent found in {home} (start it with `postseal agent`)"
            ) from None
        return cls(info["api_url"], token, timeout)

    def _call(self, method: str, path: str, body: bytes | None = None,
              content_type: str = "application/json", stream: bool = False) -> Any:
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
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
        except (urllib.error.URLError, OSError) as exc:
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
        return Submission(data["id"], data["state"], data["plan"], data.get("duplicate", False),
                          data.get("callback_secret", ""))

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

    def import_key(self, data: bytes) -> list[str]:
        return self._call("POST", "/v1/keys", data, "application/pgp-keys")["imported"]

    def events(self) -> Iterator[dict[str, Any]]:
        """Yields each event from the agent's stream until the connection ends."""
        response = self._call("GET", "/v1/events", stream=True)
        with response:
            for line in response:
                if line.startswith(b"data: "):
                    yield json.loads(line[6:])

    def wait(self, ident: str, timeout: float = 60.0, final: tuple[str, ...] = ("delivered", "held", "failed")) -> dict[str, Any]:
        """Poll until the message reaches a final state or `timeout` seconds pass."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            record = self.message(ident)
            if record["state"] in final or time.monotonic() >= deadline:
                return record
            time.sleep(0.1)

