"""The agent's side of enrolment (the portal's side, and why, in agent/portal/enrolment.py):
this agent's own portal credential, and how it gets one.

- With the embedded portal the agent is the portal's one agent: its credential is a random
  secret made on first start (`LOCAL`) and adopted by the portal it serves.
- With an organization's portal the agent redeems an enrolment code once —
  `postseal portal enroll --url URL --code CODE`, or at start when managed policy carries
  `portal.enrolment_code` and the agent holds no credential for `portal.url` — and keeps the
  credential it is given (`ENROLLED`) in its secret store (OS keyring or 0600 file,
  agent/secret_store/), never in config or policy. `portal-enrolment.json` records which
  portal and agent id it belongs to (no secret): a new `portal.url` means enrolling again.
- `portal.upload_token` (the shared token of earlier releases) is used only when the agent
  holds no enrolled credential for `portal.url`. Messages it uploaded with that token belong
  to the portal's agent "local"; once enrolled, the agent claims back those still in its
  outbox (by their ids, which only it and their recipients know), once, so their receipts
  and replies come to it (`needs_claim`, portal_sync.py).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import time
from pathlib import Path

import urllib3

from agent import secret_store
from agent.config import Config
from agent.net_words import said
from agent.private_file import write_private

log = logging.getLogger(__name__)

LOCAL = "portal-local-credential"
ENROLLED = "portal-credential"
RECORD = "portal-enrolment.json"


class EnrolFailed(Exception):
    """One line: why this agent could not enrol now."""


def _record(home: Path) -> dict:
    try:
        found = json.loads((home / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def enrolled_with(home: Path) -> dict:
    """{"url", "agent", "enrolled"} of this agent's enrolment, or {} when it never enrolled."""
    return _record(home)


def _same(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def credential(home: Path, config: Config) -> str:
    """The credential this agent presents to `portal.url` ("" when it has none: the portal
    will refuse it, and uploads say to enrol). The secret store must be open (open_store)."""
    if config.portal.embedded:
        return base64.urlsafe_b64encode(secret_store.get_or_create(home, LOCAL)).rstrip(b"=").decode()
    if _same(_record(home).get("url", ""), config.portal.url):
        held = secret_store.get(home, ENROLLED)
        if held:
            return held.decode()
    return config.portal.upload_token


def needs_claim(home: Path, config: Config) -> bool:
    record = _record(home)
    return not config.portal.embedded and _same(record.get("url", ""), config.portal.url) and not record.get("claimed")


def claimed(home: Path) -> None:
    write_private(home / RECORD, json.dumps({**_record(home), "claimed": True}))


def needs_enrolment(home: Path, config: Config) -> bool:
    return not config.portal.embedded and not _same(_record(home).get("url", ""), config.portal.url)


def enrol(home: Path, url: str, code: str, name: str = "", timeout: float = 20.0) -> dict:
    """Redeem `code` at the portal `url`; the credential goes into the secret store. Returns
    the enrolment record. EnrolFailed (one line) when the portal refuses or cannot be reached."""
    base = url.rstrip("/")
    body = json.dumps({"code": code.strip(), "name": name or socket.gethostname()}).encode()
    retry = urllib3.util.Retry(
        total=3,
        backoff_factor=0.5,
        status_forcelist=(429, 502, 503, 504),
        allowed_methods=frozenset({"POST"}),
        raise_on_status=False,
    )
    with urllib3.PoolManager(retries=retry, timeout=timeout) as http:
        try:
            response = http.request(
                "POST", f"{base}/api/v1/enroll", body=body, headers={"Content-Type": "application/json"}
            )
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise EnrolFailed(f"portal {base} not reachable: {said(str(reason))}") from None
    try:
        answer = json.loads(response.data)
    except ValueError:
        answer = {}
    if response.status != 201 or not isinstance(answer, dict) or not answer.get("credential"):
        why = answer.get("error") if isinstance(answer, dict) else ""
        raise EnrolFailed(f"portal {base} refused the enrolment (HTTP {response.status}): {why or 'no credential'}")
    secret_store.put(home, ENROLLED, str(answer["credential"]).encode())
    record = {"url": base, "agent": str(answer.get("agent", "")), "enrolled": time.time(), "claimed": False}
    write_private(home / RECORD, json.dumps(record))
    log.info("enrolled with the portal %s as agent %s", base, record["agent"])
    return record
