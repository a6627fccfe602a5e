"""A fake at the local API's seam: an Agent service that answers what each handler asks,
raises what a test tells it to, and records what it was called with — so the handlers of
agent/ingress/api/ and compose.decide are tested without a running agent, in-process
(aiohttp's TestServer/TestClient on loopback inside asyncio.run).
Past 400 lines: one fake per seam of the Agent, kept together as the surface it fakes.

`Api` drives create_app(agent, token, origins) and remembers which routes answered; the
`covers` decorator names the routes a test is for and fails the test if none of its
requests reached them (tests/unit/test_api_routes.py walks ROUTES against these names)."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from agent import config as config_mod
from agent import intake
from agent.accounts import Account, SignIn
from agent.audit import AuditLog
from agent.ingress.api import SMTP_PORT, allow_port, create_app
from agent.keys.pgp_store import KeyInfo
from agent.keys.smime_store import SmimeStore
from agent.model import Action, Method, Plan, RecipientPlan, State, Verdict
from agent.outbox import MessageRow, RecipientRow
from agent.readiness import Problem
from agent.secret_store import SecretsStatus
from agent.service.errors import Accepted, Blocked, BounceOutcome, RulesInForce
from agent.service.history import AuditRecords, HistoryMethods
from agent.service.keyring import KeyMethods
from agent.service.mailboxes import AccountMethods
from agent.service.settings import SettingsMethods
from agent.service.stamps import StampMethods
from agent.stamp import Stamper

TOKEN = "t0ken-for-tests"
SENDER = "dr.chen@valleyclinic.example"
PARTNER = "billing@harborbilling.example"


def plan(
    action: Action = Action.SEND,
    method: Method = Method.TLS,
    rule: str = "default",
    reason: str = "",
    recipients: tuple[str, ...] = (PARTNER,),
    findings: tuple = (),
) -> Plan:
    return Plan(
        SENDER,
        Verdict(action, rule, reason or f"{action} by {rule}", findings),
        tuple(RecipientPlan(a, method, f"{method} for {a}", says=f"{a} by {method}") for a in recipients),
    )


def row(ident: str = "m1", state: State = State.QUEUED) -> MessageRow:
    return MessageRow(
        ident,
        f"<{ident}@valleyclinic.example>",
        SENDER,
        1.0,
        2.0,
        state,
        "",
        plan().to_json(),
        (RecipientRow(PARTNER, "tls", state, "", 0, 0.0, None, {}),),
        "Visit",
    )


class CountingStamper(Stamper):
    """The real stamper, counting the stamps it issues (compose issues one per draft)."""

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.issued: list[tuple[str, str]] = []

    def issue(self, sender, recipients, subject, now=None):
        made = super().issue(sender, recipients, subject, now)
        self.issued.append(made)
        return made


class FakePgp:
    """The OpenPGP store's surface the key handlers call; `fail[name]` is raised by `name`."""

    def __init__(self) -> None:
        self.fail: dict[str, BaseException] = {}
        self.calls: list[tuple] = []
        self.listed = [KeyInfo("A" * 40, (PARTNER,), (f"Billing <{PARTNER}>",), "EdDSA", 255, 1, 0, False, False, True)]

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def list_keys(self, secret: bool = False) -> list[KeyInfo]:
        self._call("list_keys")
        return self.listed

    def delete_public(self, fingerprint: str) -> None:
        self._call("delete_public", fingerprint)

    def renew(self, fingerprint: str) -> int:
        self._call("renew", fingerprint)
        return 1_900_000_000

    def generate(self, email: str, name: str) -> str:
        self._call("generate", email, name)
        return "B" * 40

    def export_public(self, who: str) -> str:
        self._call("export_public", who)
        return "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n"

    def import_keys(self, data: bytes, passphrase: str | None = None) -> list[str]:
        self._call("import_keys", passphrase)
        return ["C" * 40]


class FakeAccounts:
    """The mailbox accounts' surface the account routes call (agent/ingress/accounts_api.py)."""

    def __init__(self) -> None:
        self.fail: dict[str, BaseException] = {}
        self.calls: list[tuple] = []
        self.accounts = {SENDER: Account("microsoft", SENDER, 5.0)}
        self.sign_ins = {"s1": SignIn("s1", "microsoft", auth_url="https://login.example/authorize")}

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def list(self) -> list[Account]:
        return list(self.accounts.values())

    def start_sign_in(self, provider: str, device_code: bool) -> SignIn:
        self._call("start_sign_in", provider, device_code)
        return self.sign_ins["s1"]

    def sign_in_status(self, ident: str) -> SignIn | None:
        return self.sign_ins.get(ident)

    def cancel_sign_in(self, ident: str) -> None:
        self._call("cancel_sign_in", ident)

    def remove(self, address: str) -> bool:
        self._call("remove", address)
        return self.accounts.pop(address, None) is not None


class FakeOutbox:
    """What the secure-reply handlers read: a row and its raw bytes by id."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[MessageRow, bytes]] = {}

    def get(self, ident: str) -> MessageRow | None:
        found = self.rows.get(ident)
        return found[0] if found else None

    def raw(self, ident: str) -> bytes:
        return self.rows[ident][1]


def config(**sections: dict) -> config_mod.Config:
    data: dict = {
        "organization": {"name": "Valley Family Clinic", "internal_domains": ["valleyclinic.example"]},
        "relay": {"host": "smtp.valleyclinic.example", "port": 587, "password": "relay-secret"},
        "portal": {"url": "https://portal.valleyclinic.example"},
        "ingress": {"smtp_port": 0, "addin_port": 0},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return config_mod.from_dict(data)


class FakeAgent(KeyMethods, HistoryMethods, AccountMethods, SettingsMethods, StampMethods):
    """The Agent service's surface the handlers call. `answer` is the plan check/plan give;
    `fail[name]` is raised by the method `name`; `calls` records (name, args...).

    The service's rooms for keys, history, accounts, settings and stamps are the real ones
    (agent/service/keyring.py, …), mixed in as `Agent` mixes them, over fakes of the stores
    they use (`pgp`, `outbox`, `accounts`) or real ones in the temporary home (`smime`, `audit`,
    `stamper`): a test drives a handler and that room's logic together, faked at the store."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.config = config()
        self.problems: tuple[Problem, ...] = (Problem("portal_trial", "the portal is a trial", warn=False),)
        self.secrets = SecretsStatus("file", "keys are kept in files")
        self.stamper = CountingStamper(home)
        self.pending_settings: dict[str, str] = {}
        self.offline_since: float | None = 12.5
        self.audit_problem = ""
        self.answer = plan()
        self.fail: dict[str, BaseException] = {}
        self.calls: list[tuple] = []
        self.rows = {"m1": row("m1")}
        self.listeners: list[Callable[[dict], None]] = []
        self.pgp = FakePgp()
        self.smime = SmimeStore(home, use_system_roots=False)
        self.outbox = FakeOutbox()
        self.accounts = FakeAccounts()
        self.audit_records = AuditRecords()
        self._audit: AuditLog | None = None

    @property
    def secrets_status(self) -> SecretsStatus:
        return self.secrets

    @property
    def audit(self) -> AuditLog:  # a real log in the temporary home, opened when a test needs it
        if self._audit is None:
            self._audit = AuditLog(self.home)
        return self._audit

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def called(self, name: str) -> list[tuple]:
        return [c for c in self.calls if c[0] == name]

    # --- deciding
    def plan(self, raw: bytes, envelope_recipients: list[str] | None = None) -> tuple[intake.Intake, Plan]:
        self._call("plan", raw)
        return intake.parse(raw), self.answer

    async def check(self, raw: bytes) -> Plan:
        self._call("check", raw)
        return self.answer

    async def submit(
        self,
        raw: bytes,
        envelope_recipients: list[str] | None = None,
        callback_url: str = "",
        planned: tuple[intake.Intake, Plan] | None = None,
    ) -> Accepted:
        self._call("submit", raw, callback_url, planned)
        used = planned[1] if planned else self.answer
        if used.verdict.action is Action.BLOCK:
            raise Blocked(used)
        state = State.HELD if used.verdict.action is Action.HOLD else State.QUEUED
        return Accepted("m2", state, used, callback_secret="s3cret" if callback_url else "")

    def record_stamp(self, verdict: str, sender: str, recipients: list[str], client: str, plan: Plan) -> None:
        self._call("record_stamp", verdict, sender, recipients, client)

    # --- the outbox, read
    def message(self, ident: str) -> MessageRow | None:
        self._call("message", ident)
        return self.rows.get(ident)

    def messages(self, limit: int = 500) -> list[MessageRow]:
        self._call("messages")
        return list(self.rows.values())

    def counts(self) -> dict[str, int]:
        self._call("counts")
        return {"queued": 1, "held": 2}

    # --- a person acting on one message
    def retry_now(self, ident: str) -> int:
        self._call("retry", ident)
        return 1

    def release(self, ident: str, note: str) -> int:
        self._call("release", ident, note)
        return 2

    def send_via_portal(self, ident: str) -> int:
        self._call("portal", ident)
        return 3

    async def revoke(self, ident: str) -> int:
        self._call("revoke", ident)
        return 4

    async def apply_bounce(self, raw: bytes) -> BounceOutcome:
        self._call("apply_bounce", raw)
        return BounceOutcome("m1", ({"address": PARTNER, "status": "5.1.1", "state": "failed"},), ("x@y.example",))

    # --- the rules, the portal enrolment
    def rules_in_force(self) -> RulesInForce:
        self._call("rules_in_force")
        return RulesInForce("/etc/postseal/rules.toml", True)

    def enrol_portal(self, url: str, code: str, name: str = "") -> dict[str, Any]:
        self._call("enrol_portal", url, code, name)
        return {"url": url.rstrip("/"), "agent": "agent-7", "enrolled": 5.0, "claimed": False}

    # --- settings and events
    def reconfigure(self, new: config_mod.Config) -> None:
        self._call("reconfigure", new)
        self.config = new

    def subscribe(self, listener: Callable[[dict], None]) -> Callable[[], None]:
        self._call("subscribe")
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def code(self) -> str:
        return self.json()["error"]["code"]


# Routes a test said it covers, and routes requests reached while the current test ran.
COVERED: dict[tuple[str, str], list[str]] = {}
_HIT: set[tuple[str, str]] = set()


def covers(*routes: tuple[str, str]):
    """Mark a test as one for these (method, path) routes; it fails if it never reached them."""

    def wrap(test):
        for route in routes:
            COVERED.setdefault(route, []).append(test.__name__)

        @functools.wraps(test)
        def run(*args, **kwargs):
            _HIT.clear()
            test(*args, **kwargs)
            missed = set(routes) - _HIT
            assert not missed, f"{test.__name__} never reached {sorted(missed)}"

        return run

    return wrap


@dataclass
class Api:
    """The local API of create_app(agent, TOKEN, origins), served in-process per call."""

    agent: Any
    origins: set[str] = field(default_factory=lambda: {"https://outlook.office.com"})
    smtp_port: int = 0

    async def session(self, scenario: Callable[[TestClient], Awaitable[Any]]) -> Any:
        app = create_app(self.agent, TOKEN, self.origins)
        app[SMTP_PORT][0] = self.smtp_port

        async def seen(request, response) -> None:
            resource = request.match_info.route.resource
            if resource is not None:
                _HIT.add((request.method, resource.canonical))

        app.on_response_prepare.append(seen)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        allow_port(app, client.port)
        try:
            return await scenario(client)
        finally:
            await client.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | dict | list | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = TOKEN,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        if isinstance(body, dict | list):
            body, content_type = json.dumps(body), content_type or "application/json"
        if content_type:
            sent["Content-Type"] = content_type

        async def one(client: TestClient) -> Reply:
            async with client.request(method, path, data=body, headers=sent) as response:
                return Reply(response.status, dict(response.headers), await response.text())

        return asyncio.run(self.session(one))


def conforms(reply: Reply, method: str, path: str) -> Any:
    """The answer, checked against the OpenAPI document's schema for its status (when the
    document gives one); the body is returned for further checks."""
    import jsonschema

    from agent.ingress.openapi import OPENAPI

    documented = OPENAPI["paths"][path][method.lower()]["responses"]
    assert str(reply.status) in documented, f"{method} {path} answered {reply.status}, not in the OpenAPI document"
    schema = documented[str(reply.status)].get("content", {}).get("application/json", {}).get("schema")
    body = reply.json() if schema is not None else None
    if schema is not None:
        jsonschema.Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(body)
    return body


def refused(reply: Reply, status: int, code: str, *extra: str) -> dict[str, Any]:
    """The one error envelope {"error": {"code", "message"}}, with only the named extra keys."""
    import jsonschema

    from agent.ingress.openapi import OPENAPI

    assert reply.status == status, (reply.status, reply.text)
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.headers
    body = reply.json()
    jsonschema.validate(body, {**OPENAPI["components"]["schemas"]["Error"], "components": OPENAPI["components"]})
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], body
    assert set(body) == {"error", *extra}, body
    return body
