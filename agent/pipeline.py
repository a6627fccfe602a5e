"""intake → inspect → plan → protect → enqueue → deliver → audit.

Over 400 lines and more than one idea: planning, the worker, outcomes, offline detection and
operator actions are still one class; issue 21 splits it into DESIGN.md's `service`
(docs/architecture.md, "Where it still differs").

`Pipeline` is the one service object every front end (API, SMTP submission, native host,
CLI through the API) talks to. `check()` decides without storing; `submit()` stores durably
and returns only after the commit; `run()` is the worker that protects and delivers what is
due. Every failure lands a recipient in `deferred` (retry can help) or `held` (a person must
act), with a reason — never a weaker copy, never a silent drop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import bounces, notices, platform, portal_enrol, readiness, secret_store, webhooks
from agent import intake as intake_mod
from agent.accounts import Account, Accounts
from agent.audit import AuditLog
from agent.config import Config
from agent.delivery import smtp
from agent.delivery.direct import DirectDelivery
from agent.delivery.transports import Placing, Transport, Transports
from agent.keys.discovery import Discovery
from agent.keys.pgp_store import PgpError, PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Action, Method, Plan, Proof, ProtectedCopy, RecipientPlan, State, Verdict
from agent.net import Network
from agent.outbox import PAUSED, Duplicate, MessageRow, Outbox
from agent.plain_words import Why, says
from agent.policy.inspect import inspect_message
from agent.policy.rules import Facts, RuleSet, load_rules
from agent.portal_sync import REPLY_HEADER, PortalSync
from agent.protect import ProtectError, Protector
from agent.protect.pgp import PgpProtector
from agent.protect.plain import PlainProtector
from agent.protect.portal import PortalClient, PortalProtector, PortalUnavailable
from agent.protect.smime import SmimeProtector
from agent.routing import route, route_reply
from agent.stamp import Stamper
from agent.tls_policy import TlsPolicies

log = logging.getLogger(__name__)

PROBE_FIRST = 1.0  # seconds after going offline before the first reachability probe
PROBE_MAX = 5.0  # seconds between reachability probes while offline
_PER_RECIPIENT = (Method.PGP, Method.SMIME, Method.PORTAL)


class UnknownMessage(LookupError):
    """A bounce that matches nothing in the outbox."""


class NotAllowed(Exception):
    """The organization's policy does not allow this action (managed policy)."""


class NothingToDo(Exception):
    """The action does not apply to this message in its current state."""


class MessageIdReused(Exception):
    """Another message from the same sender already holds this Message-ID. Nothing silently
    dropped: the new one is refused, with what to do (README "Reliability")."""

    def __init__(self, message_id: str, ident: str) -> None:
        super().__init__(
            f"Message-ID <{message_id}> already belongs to a different message in the outbox (id {ident}); "
            "this one was not accepted: send it with a Message-ID of its own")
        self.ident = ident


class Blocked(Exception):
    """Policy blocks the message outright; it is not accepted."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.verdict.reason)
        self.plan = plan


@dataclass(frozen=True)
class Accepted:
    id: str
    state: State
    plan: Plan
    duplicate: bool = False  # already accepted earlier: nothing new was queued
    callback_secret: str = ""  # the HMAC key of this message's webhook events


@dataclass(frozen=True)
class BounceOutcome:
    message: str
    recipients: tuple[dict[str, str], ...]  # status fields and the recipient's state after
    unmatched: tuple[str, ...]  # addresses in the report that the message was not sent to


def backoff(attempts: int, first: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds before try `attempts + 1`. RFC 5321 §4.5.4.1 asks for 30 minutes between
    tries to a remote MX; the first hop here is the organization's own relay, so the first
    retry comes within a minute and the wait doubles up to an hour."""
    delay = min(cap, first * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # jitter: a fleet reconnecting must not stampede


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} seconds"


KEY_WARN_DAYS = 30


def own_key_warnings(sender: str, recipients: tuple[RecipientPlan, ...], pgp: PgpStore,
                     smime: SmimeStore | None) -> list[str]:
    """Before the sender's own key or certificate lapses, every plan that uses it says so."""
    soon = time.time() + KEY_WARN_DAYS * 86400
    out = []
    methods = {r.method for r in recipients}
    if Method.PGP in methods:
        own, _ = pgp.find(sender, secret=True)
        if own and own.expires and own.expires < soon:
            out.append(f"your own OpenPGP key expires on {time.strftime('%Y-%m-%d', time.gmtime(own.expires))}: "
                       "create a new one (Keys) and send partners its public part")
    if Method.SMIME in methods and smime is not None:
        identity = smime.identity(sender)
        if identity and identity.cert.not_valid_after_utc.timestamp() < soon:
            out.append(f"your S/MIME certificate expires on {identity.cert.not_valid_after_utc:%Y-%m-%d}: ask for a "
                       "new one and import it (Keys)")
    return out


def make_plan(raw: bytes, config: Config, rules: RuleSet, pgp: PgpStore,
              envelope_recipients: list[str] | None = None, smime: SmimeStore | None = None,
              discovery: Discovery | None = None, tls: TlsPolicies | None = None,
              problems: tuple[readiness.Problem, ...] | None = None) -> tuple[intake_mod.Intake, Plan]:
    """Parse, inspect and route; raises intake.BadMessage. Touches no state. `problems`: the
    set-up's readiness problems when the caller already found them (the Pipeline does, once)."""
    message = intake_mod.parse(raw, envelope_recipients)
    inspection = inspect_message(message.message)
    external = tuple(a for a in message.recipients if not config.is_internal(a))
    internal = tuple(a for a in message.recipients if config.is_internal(a))
    facts = Facts(message.sender, external, internal, frozenset(kind for _, kind in inspection.attachments))
    verdict: Verdict = rules.evaluate(list(inspection.findings), facts)
    if message.message.get(REPLY_HEADER):
        recipients = tuple(route_reply(a, message.sender, config, smime)
                           or route(a, verdict, config, pgp, smime, discovery, tls) for a in message.recipients)
    else:
        recipients = tuple(route(a, verdict, config, pgp, smime, discovery, tls) for a in message.recipients)
    verdict = replace(verdict, warnings=(*verdict.warnings, *own_key_warnings(message.sender, recipients, pgp, smime)))
    verdict = readiness.apply(verdict, readiness.problems(config) if problems is None else problems, recipients)
    return message, Plan(message.sender, verdict, recipients)


class Pipeline:
    def __init__(self, home: Path, config: Config, portal_token: str = "") -> None:
        self.home = home
        self.config = config
        self.problems = readiness.problems(config)
        # First: a key that is missing or different stops the agent before anything opens data.
        self.secrets = secret_store.open_store(
            home, secret_store.configured_backend(config.secrets.backend, config.locked))
        for problem in self.problems:  # said once the keys are open; /v1/health and the tray keep saying it
            level = {"holds": logging.ERROR, "warning": logging.WARNING}.get(problem.severity, logging.INFO)
            log.log(level, "set-up: %s", problem.message)
        self.rules: RuleSet = load_rules(config.policy.rules_file)
        self.pgp = PgpStore(home)
        try:
            self.pgp.protect_own_keys()
        except PgpError as exc:  # signing still works; the next start tries again
            log.error("own OpenPGP key left without Postseal's passphrase: %s", exc)
        self.smime = SmimeStore(home, config.smime.trusted_ca_files)
        self.network = Network(config.network)
        self.discovery = Discovery(self.pgp, config.pgp, self.network, home, config.network.ca_file)
        self.tls_policies = TlsPolicies(config.tls, self.network, home, config.network.ca_file)
        self.direct = DirectDelivery(self.network, self.tls_policies, config.network.ca_file)
        self.outbox = Outbox(home)
        self.audit = AuditLog(home)
        # This agent's own portal credential (agent/portal_enrol.py), read once the keys are open.
        self.portal_credential = portal_token or portal_enrol.credential(home, config)
        portal = PortalClient(config.portal.url, lambda: self.portal_credential)
        self.protectors: dict[Method, Protector] = {
            Method.INTERNAL: PlainProtector(Method.INTERNAL),
            Method.TLS: PlainProtector(Method.TLS),
            Method.SMIME: SmimeProtector(self.smime),
            Method.PGP: PgpProtector(self.pgp),
            Method.PORTAL: PortalProtector(portal, config.organization.name, config.portal.expiry_days),
            Method.KEPT: PlainProtector(Method.KEPT),
        }
        self.accounts = Accounts(home, config.accounts, on_signed_in=self._signed_in,
                                 on_needs_sign_in=self._needs_sign_in)
        self.transports = Transports(config, self.accounts)
        self._offline_transport: Transport = self.transports.relay
        self._loop: asyncio.AbstractEventLoop | None = None
        self.give_up_after = config.outbox.give_up_after_hours * 3600.0
        self.offline_since: float | None = None
        self.audit_problem = ""
        self._wake = asyncio.Event()
        self._probe_now = asyncio.Event()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._busy: set[str] = set()
        self._cooldown: dict[str, float] = {}  # id → monotonic time before which it is left alone
        # A sender's choice made while a delivery attempt of that message is in flight waits
        # for the attempt's outcome: the outcome of the old copy must not overwrite it.
        self._after_attempt: dict[str, Callable[[str], None]] = {}
        self.concurrency = config.outbox.concurrency
        self.webhooks = webhooks.WebhookSender(self.outbox, self._webhook_gave_up)
        self._background: set[asyncio.Task] = set()
        self.stamper = Stamper(home)
        self.portal_sync = PortalSync(self, portal, home)
        self.pending_settings: dict[str, str] = {}  # saved from the tray, used after a restart

    @property
    def relay(self) -> smtp.RelayConnections:
        return self.transports.relay

    def reconfigure(self, config: Config) -> None:
        """New relay settings take effect for the next copy (sessions to the old relay closed)."""
        self.config = config
        self.problems = readiness.problems(config)
        old = self.transports.reconfigure(config)
        if self._offline_transport is old:
            self._offline_transport = self.transports.relay
        self._probe_now.set()

    def transport_for(self, sender: str) -> Transport:
        return self.transports.for_sender(sender)

    # --- accounts (called from sign-in and worker threads) -----------------------------------
    def _threadsafe(self, fn: Callable[[], None]) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(fn)
        else:
            fn()

    def _signed_in(self, account: Account) -> None:
        def resume() -> None:
            self.transports.forget(account.address)
            resumed = self.outbox.retry_deferred_now()
            self._record("signed_in", sender=account.address, method=account.provider,
                         detail=f"{resumed} recipient(s) waiting are due now")
            self._broadcast({"type": "account", "address": account.address, "provider": account.provider,
                             "state": "ready"})
            self._wake.set()
        self._threadsafe(resume)

    def _needs_sign_in(self, account: Account) -> None:
        def tell() -> None:
            self._record("account_needs_sign_in", sender=account.address, method=account.provider,
                         reason=account.reason)
            self._broadcast({"type": "account", "address": account.address, "provider": account.provider,
                             "state": "needs_sign_in", "reason": account.reason})
            self._broadcast({"type": "notice", "level": "warning",
                             "text": f"Sign in to {account.address} again: mail from it waits until you do "
                                     f"({account.reason})"})
        self._threadsafe(tell)

    def close(self) -> None:
        self.transports.close()
        self.audit.close()
        self.outbox.close()
        self.pgp.close()

    def _record(self, event: str, **fields: Any) -> None:
        """Audit, without letting a full disk turn a durable 202 into an error: the problem
        is logged and shown (health, tray) instead, and the agent refuses new mail anyway
        while the disk is full (see Outbox.accept)."""
        try:
            self.audit.append(event, **fields)
            self.audit_problem = ""
        except OSError as exc:
            self.audit_problem = f"audit log cannot be written: {exc.strerror or exc}"
            log.error("%s (event %s)", self.audit_problem, event)

    # --- events ------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _broadcast(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _emit(self, ident: str) -> None:
        self.webhooks.wake.set()  # an outcome may have queued a webhook event
        if not self._listeners:
            return
        row = self.outbox.get(ident)
        if row is None:
            return
        event = {"type": "message", "id": ident, "state": str(row.state),
                 "recipients": {r.address: str(r.state) for r in row.recipients}}
        for listener in list(self._listeners):
            listener(event)

    # --- deciding ------------------------------------------------------------------------
    def plan(self, raw: bytes, envelope_recipients: list[str] | None = None) -> tuple[intake_mod.Intake, Plan]:
        return make_plan(raw, self.config, self.rules, self.pgp, envelope_recipients, self.smime, self.discovery,
                         self.tls_policies, self.problems)

    async def check(self, raw: bytes) -> Plan:
        return (await asyncio.to_thread(self.plan, raw))[1]

    async def submit(self, raw: bytes, envelope_recipients: list[str] | None = None,
                     callback_url: str = "") -> Accepted:
        """Raises intake.BadMessage, Blocked, MessageIdReused, webhooks.BadCallback,
        outbox.StorageUnavailable."""
        if callback_url:
            webhooks.validate_url(callback_url)
        message, plan = await asyncio.to_thread(self.plan, raw, envelope_recipients)
        verdict = plan.verdict
        common = {"message_id": message.message_id, "sender": plan.sender,
                  "recipients": [r.address for r in plan.recipients],
                  "findings": verdict.finding_counts(), "rule": verdict.rule}
        if verdict.action is Action.BLOCK:
            self._record("blocked", action="block", reason=verdict.reason, **common)
            raise Blocked(plan)
        held = verdict.reason if verdict.action is Action.HOLD else ""
        # The raw bytes are stored as submitted (Message-ID and Date filled in) so a resumed
        # message is protected from exactly what was accepted.
        callback = (callback_url, secrets.token_hex(32)) if callback_url else None
        stored = message.message.as_bytes()
        digest = intake_mod.content_digest(stored, [r.address for r in plan.recipients])
        try:
            ident = self.outbox.accept(stored, message.message_id, plan, held, callback,
                                       str(message.message.get("Subject", "")), digest)
        except Duplicate as known:
            row = self.outbox.get(known.ident)
            # Same Message-ID and sender: the same message again (a client that lost our answer)
            # only if the content is the same too; a message accepted before digests were
            # kept is digested from what the outbox holds.
            same = known.same
            if same is None:
                same = digest == intake_mod.content_digest(self.outbox.raw(known.ident),
                                                            [r.address for r in row.recipients])
            if not same:
                log.warning("message %s: its Message-ID was reused by a different message; that one refused",
                            known.ident)
                raise MessageIdReused(message.message_id, known.ident) from None
            log.info("message %s submitted again (same Message-ID): nothing new queued", known.ident)
            # The caller lost our first answer: it gets the same id and webhook secret again.
            registered = self.outbox.callback(known.ident)
            return Accepted(known.ident, row.state, plan, duplicate=True,
                            callback_secret=registered[1] if registered else "")
        methods = {r.address: str(r.method) for r in plan.recipients}
        self._record("accepted", message=ident, method=methods, action=str(verdict.action), **common)
        if held:
            self._record("held", message=ident, reason=held, rule=verdict.rule, state="held")
        self._emit(ident)
        self._wake.set()
        if self.offline_since is not None:
            self._probe_now.set()  # someone is sending: look for the network now
        return Accepted(ident, State.HELD if held else State.QUEUED, plan,
                        callback_secret=callback[1] if callback else "")

    def record_stamp(self, verdict: str, sender: str, recipients: list[str], client: str, plan: Plan) -> None:
        """A message the client sends itself, with our stamp: who, to whom, why it was allowed."""
        self._record("stamped", verdict=verdict, sender=sender, recipients=recipients, client=client,
                     method={r.address: str(r.method) for r in plan.recipients},
                     findings=plan.verdict.finding_counts(), rule=plan.verdict.rule)

    # --- working -------------------------------------------------------------------------
    async def run(self) -> None:
        """The worker: protect and deliver whatever is due, oldest first, until cancelled."""
        self._loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task] = set()
        prober: asyncio.Task | None = None
        # At start, whatever was interrupted (protecting, sending) is due by its state, and
        # deferred mail gets one try at once: the agent was down, the network may be back.
        resumed = self.outbox.retry_deferred_now()
        if resumed:
            log.info("start: %d deferred recipient(s) retried now", resumed)
        webhook_task = asyncio.create_task(self.webhooks.run())
        self._background.add(asyncio.create_task(self.portal_sync.run()))
        # Network changes where the OS gives them (agent/platform), else the periodic probe alone.
        network = platform.current().network_watch(self._network_changed)
        if network is not None and not network.start():
            network = None
        # A failure notice interrupted by a crash is sent now (it is idempotent).
        for ident in self.outbox.failed_since(time.time() - 2 * 86400):
            self._after_failure(ident, announce=False)

        async def one(ident: str) -> None:
            async with slots:
                try:
                    await self.process(ident)
                except Exception:  # noqa: BLE001 - the worker must outlive any one message
                    log.exception("message %s: unexpected error; it stays in the outbox", ident)
                    try:
                        row = self.outbox.get(ident)
                        for r in row.recipients if row else ():
                            if r.state in (State.PROTECTING, State.SENDING, State.QUEUED):
                                self._defer(ident, r.address, r.attempts + 1, "internal error; will retry")
                    except Exception:  # noqa: BLE001 - e.g. the disk is full: its state stays as it was
                        log.exception("message %s: could not record the error; retried as it stands later", ident)
                    # Either way, not again at once: a full disk must not become a hot loop.
                    self._cooldown[ident] = time.monotonic() + self.config.outbox.retry_first_seconds
                finally:
                    self._busy.discard(ident)
                    self._apply_after_attempt(ident)
                    self._wake.set()

        try:
            while True:
                self._wake.clear()
                try:
                    timeout = self._schedule(one, tasks)
                    if self.offline_since is not None and (prober is None or prober.done()):
                        prober = asyncio.create_task(self._probe())
                except Exception:  # noqa: BLE001 - e.g. a full disk: the agent must stay up
                    log.exception("worker: could not schedule work; trying again shortly")
                    timeout = 1.0
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event fires, and the agent would not stop.
                try:
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            if network is not None:
                network.close()
            others = [*tasks, *self._background, webhook_task, *([prober] if prober else [])]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    def _schedule(self, one, tasks: set[asyncio.Task]) -> float:
        """Start what is due, within the window; returns how long to sleep at most."""
        # A bounded window of work in flight: 10,000 queued messages must not become
        # 10,000 tasks (memory), and new mail must not wait behind all of them.
        room = 2 * self.concurrency - len(self._busy)
        if any(p.holds is readiness.Holds.ALL for p in self.problems):
            room = 0  # managed policy is broken: nothing leaves, not even mail queued before it broke
        now = time.monotonic()
        self._cooldown = {i: t for i, t in self._cooldown.items() if t > now}
        spawned = 0
        if room > 0:
            for ident in self.outbox.due(time.time(), room, self._busy | set(self._cooldown)):
                spawned += 1
                self._busy.add(ident)
                task = asyncio.create_task(one(ident))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if not self._busy:
            self._checkpoint_audit()  # idle: make the log durable and sign its head
        wake_at = self.outbox.next_wakeup()
        timeout = 60.0 if wake_at is None else max(0.05, min(60.0, wake_at - time.time()))
        if not spawned and self._cooldown and wake_at is not None and wake_at <= time.time():
            timeout = max(0.05, min(60.0, min(self._cooldown.values()) - now))
        return timeout

    def _checkpoint_audit(self) -> None:
        try:
            self.audit.checkpoint()
        except OSError as exc:
            self.audit_problem = f"audit log cannot be made durable: {exc.strerror or exc}"
            log.error(self.audit_problem)

    # --- offline -------------------------------------------------------------------------
    def _go_offline(self, reason: str) -> None:
        if self.offline_since is None:
            self.offline_since = time.time()
            log.warning("offline: %s; the outbox waits for the network", reason)
            self._record("offline", reason=reason)
            self._broadcast({"type": "status", "offline_since": self.offline_since})

    def _network_changed(self) -> None:
        if self.offline_since is not None:
            log.info("network changed while offline: probing the relay now")
            self._probe_now.set()

    async def _probe(self) -> None:
        """While offline: a TCP connect to the relay (no SMTP session: cheap for both ends),
        1 s after going offline, backing off to every PROBE_MAX seconds, and at once when the
        user sends something or the OS reports a network change. When it answers, everything
        waiting is due at once."""
        delay = PROBE_FIRST
        while self.offline_since is not None:
            self._probe_now.clear()
            try:
                async with asyncio.timeout(delay):
                    await self._probe_now.wait()
            except TimeoutError:
                pass
            if await asyncio.to_thread(self._offline_transport.probe):
                waited = time.time() - self.offline_since
                self.offline_since = None
                flushed = self.outbox.retry_deferred_now()
                log.info("online again after %.0f s: flushing %d recipient(s)", waited, flushed)
                self._record("online", detail=f"relay reachable again after {waited:.0f} s; {flushed} recipient(s) due")
                self._broadcast({"type": "status", "offline_since": None})
                self._wake.set()
                return
            delay = min(PROBE_MAX, delay * 2)

    def _pause(self, ident: str, addresses: list[str], reason: str) -> None:
        """Wait for the network without spending a retry: not the copy's fault."""
        for address in addresses:
            self.outbox.set_recipient(ident, address, State.DEFERRED, f"waiting for the network: {reason}",
                                      next_attempt=PAUSED)
        self._emit(ident)

    async def process(self, ident: str) -> None:
        row = self.outbox.get(ident)
        if row is None:
            return
        now = time.time()
        if now - row.created > self.give_up_after:
            for r in row.recipients:
                if r.state in (State.DEFERRED, State.QUEUED, State.SENDING, State.PROTECTING):
                    self._fail(ident, r.address, r.method,
                               f"not delivered after {_span(self.give_up_after)}: {r.reason}")
            self._emit(ident)
            return
        await self._protect(row)
        row = self.outbox.get(ident)
        copies = self.outbox.copies(ident)
        for index, copy in enumerate(copies):
            targets = [
                r for r in row.recipients
                if r.copy == index and (r.state == State.SENDING or (r.state == State.DEFERRED and r.next_attempt <= now))
            ]
            if targets:
                await self._deliver(row, copy, targets)
        self._wake.set()

    async def _protect(self, row: MessageRow) -> None:
        todo = [r for r in row.recipients if r.copy is None and (
            r.state in (State.QUEUED, State.PROTECTING)
            or (r.state == State.DEFERRED and r.next_attempt <= time.time()))]
        if not todo:
            return
        plans = {p.address: p for p in self.outbox.recipient_plans(row.id)}
        for r in todo:
            self.outbox.set_recipient(row.id, r.address, State.PROTECTING, attempted=False)
        self._emit(row.id)
        message = intake_mod.parse(self.outbox.raw(row.id)).message
        groups: dict[Method, list[RecipientPlan]] = {}
        for r in todo:
            plan = plans[r.address]
            groups.setdefault(plan.method, []).append(plan)
        new: list[ProtectedCopy] = []
        for method, members in groups.items():
            batches = [[m] for m in members] if method in _PER_RECIPIENT else [members]
            for batch in batches:
                try:
                    new += await asyncio.to_thread(self.protectors[method].protect, message, row.sender, batch)
                except ProtectError as exc:
                    for plan in batch:
                        self._hold(row.id, plan.address, method, f"cannot protect: {exc}")
                except PortalUnavailable as exc:
                    for plan in batch:
                        attempts = next(r.attempts for r in todo if r.address == plan.address) + 1
                        self._defer(row.id, plan.address, attempts, str(exc))
        if new:
            # Stamped once, stored stamped: a resend after a crash is the same bytes.
            new = [replace(c, data=self.stamper.stamp_copy(c.data, list(c.recipients))[1]) for c in new]
            existing = len(self.outbox.copies(row.id))
            self.outbox.store_copies(row.id, new, start=existing)
            for copy in new:
                self._record("protected", message=row.id, recipients=list(copy.recipients),
                                  method=str(copy.method), key_fingerprint=copy.key_fingerprint,
                                  portal_id=copy.portal_id)
        self._emit(row.id)

    async def _deliver(self, row: MessageRow, copy: ProtectedCopy, targets: list) -> None:
        addresses = [r.address for r in targets]
        attempts = {r.address: r.attempts + 1 for r in targets}
        needs_tls = copy.method == Method.TLS
        if copy.method == Method.KEPT:
            await self._keep(row, copy, addresses)
            return
        if self.offline_since is not None:
            self._pause(row.id, addresses, "the relay was not reachable at the last try")
            return
        verdict, data = self.stamper.fresh(copy.data, list(copy.recipients))
        direct = self.config.tls.direct and copy.method == Method.TLS
        transport = self.direct if direct else self.transport_for(row.sender)
        try:
            result = await asyncio.to_thread(transport.send, row.sender, addresses, data, needs_tls, row.id)
        except smtp.DeliveryError as exc:
            if exc.unreachable:
                self._offline_transport = transport
                self._go_offline(str(exc))
                self._pause(row.id, addresses, str(exc))
                return
            if exc.sign_in:
                # Not the copy's fault, and no retry can help until the clinician signs in:
                # wait without spending retries; _signed_in makes it due again.
                for address in addresses:
                    self.outbox.set_recipient(row.id, address, State.DEFERRED,
                                              f"waiting for you to sign in to {exc.sign_in} again: {exc}",
                                              next_attempt=PAUSED)
                self._emit(row.id)
                return
            if exc.unverified and time.time() - row.created >= self.config.tls.fallback_after_hours * 3600:
                self._tls_fallback(row, addresses, str(exc))
                return
            for address in addresses:
                if exc.hold:
                    self._hold(row.id, address, str(copy.method), str(exc))
                elif exc.permanent:
                    self._fail(row.id, address, str(copy.method), str(exc))
                else:
                    self._defer(row.id, address, attempts[address], str(exc), at_least=exc.retry_after)
            self._emit(row.id)
            return
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        plans = {p.address: p for p in self.outbox.recipient_plans(row.id)}
        for address in addresses:
            outcome = result.recipients[address]
            if outcome.ok:
                policy = result.tls_policy or (plans[address].reason if copy.method == Method.TLS else "")
                proof = Proof(copy.method, outcome.reply, result.tls_version, result.tls_cipher,
                              result.tls_peer, copy.key_fingerprint, copy.portal_id, stamp, policy)
                self.outbox.set_recipient(row.id, address, State.DELIVERED, "", proof.to_json(), attempted=True)
                tls = f"{result.tls_version} {result.tls_cipher} {('verified ' + result.tls_peer) if result.tls_peer else 'unverified'}" if result.tls_version else "none"
                if policy:
                    tls += f"; required by {policy}"
                self._record("delivered", message=row.id, message_id=row.message_id, sender=row.sender,
                                  recipients=[address], method=str(copy.method), state="delivered",
                                  key_fingerprint=copy.key_fingerprint, portal_id=copy.portal_id,
                                  reply=outcome.reply, tls=tls, verdict=verdict)
            elif outcome.permanent:
                self._fail(row.id, address, str(copy.method), f"relay refused: {outcome.reply}")
            else:
                self._defer(row.id, address, attempts[address], f"relay deferred: {outcome.reply}")
        self._emit(row.id)

    async def _keep(self, row: MessageRow, copy: ProtectedCopy, addresses: list[str]) -> None:
        """A secure reply the clinician's mail program could not open (no S/MIME identity): it
        stays in the encrypted outbox and is read in the tray (GET /v1/replies). When the
        clinician is signed in to Microsoft 365 or Google, it is also placed in their own Inbox
        through the provider's API, inside the organization's tenant; if the mailbox does not
        take it, it is still kept (the proof says why), never lost and never retried over mail."""
        where, in_inbox = "kept in Postseal: Secure replies in the tray", False
        transport = self.transport_for(row.sender)
        if isinstance(transport, Placing):
            try:
                placed = await asyncio.to_thread(transport.place, row.sender, copy.data)
                where, in_inbox = f"{placed}; also under Secure replies in the tray", True
            except smtp.DeliveryError as exc:
                where = f"{where} (your mailbox did not take it: {exc})"
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for address in addresses:
            proof = Proof(copy.method, reply=where, time=stamp)
            self.outbox.set_recipient(row.id, address, State.DELIVERED, "", proof.to_json(), attempted=True)
            self._record("delivered", message=row.id, message_id=row.message_id, sender=row.sender,
                         recipients=[address], method=str(copy.method), state="delivered", reply=where, tls="none")
        text = ("A secure reply arrived through the portal: it is in your Inbox and under Secure replies"
                if in_inbox else
                "A secure reply arrived through the portal: open Secure replies to read it")
        self._broadcast({"type": "notice", "level": "info", "view": "replies", "text": text})
        self._emit(row.id)

    def _tls_fallback(self, row: MessageRow, addresses: list[str], reason: str) -> None:
        """Verified TLS could not be had for long enough: the portal instead, never cleartext."""
        hours = self.config.tls.fallback_after_hours
        for address in addresses:
            plan = RecipientPlan(address, Method.PORTAL, f"verified TLS failed for {hours:g} h: secure portal instead",
                                 "", (f"tls: {reason}",), says(Method.PORTAL, Why.TLS_FAILED))
            self.outbox.set_recipient(row.id, address, State.DEFERRED, reason, attempted=True)  # sending → deferred
            self.outbox.reroute(row.id, address, plan, "")
        self._record("tls_fallback", message=row.id, recipients=addresses, method="portal", reason=reason)
        self._emit(row.id)
        self._wake.set()

    # --- recipient outcomes ----------------------------------------------------------------
    def _defer(self, ident: str, address: str, attempts: int, reason: str, at_least: float = 0.0) -> None:
        # A server's Retry-After (throttling) is a floor under our own schedule, never shortened.
        when = time.time() + max(at_least, backoff(attempts, self.config.outbox.retry_first_seconds,
                                                   self.config.outbox.retry_max_seconds))
        self.outbox.set_recipient(ident, address, State.DEFERRED, reason, next_attempt=when, attempted=True)
        self._record("deferred", message=ident, recipients=[address], state="deferred", reason=reason)
        log.info("message %s to %s deferred: %s", ident, address, reason)

    def _hold(self, ident: str, address: str, method: str, reason: str) -> None:
        self.outbox.set_recipient(ident, address, State.HELD, reason)
        self._record("held", message=ident, recipients=[address], method=str(method), state="held", reason=reason)
        log.warning("message %s to %s held: %s", ident, address, reason)

    def _fail(self, ident: str, address: str, method: str, reason: str) -> None:
        self.outbox.set_recipient(ident, address, State.FAILED, reason, attempted=True)
        self._record("failed", message=ident, recipients=[address], method=str(method), state="failed", reason=reason)
        log.warning("message %s to %s failed: %s", ident, address, reason)
        self._after_failure(ident)

    # --- telling people ----------------------------------------------------------------
    def _after_failure(self, ident: str, announce: bool = True) -> None:
        """Once a message has ended failed: tell the tray, and the sender by a notice."""
        row = self.outbox.get(ident)
        if row is None or row.state != State.FAILED:
            return  # other recipients are still on their way, or held for a person
        if announce:
            failed = [r.address for r in row.recipients if r.state == State.FAILED]
            event = {"type": "notice", "level": "error", "id": ident,
                     "text": f"Not delivered to {', '.join(failed)}: {row.reason}"}
            for listener in list(self._listeners):
                listener(event)
        if self.config.outbox.notify_sender:
            task = asyncio.get_running_loop().create_task(self._send_notice(row))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _send_notice(self, row: MessageRow) -> None:
        try:
            if notices.is_automatic(self.outbox.raw(row.id)):
                return  # RFC 3834: no notices about automatic mail, notices included
            if self.outbox.find(notices.notice_message_id(row), row.sender):
                return
            accepted = await self.submit(notices.failure_notice(row))
            self._record("notice", message=row.id, recipients=[row.sender],
                         detail=f"failure notice queued for the sender as {accepted.id}")
        except Exception:  # noqa: BLE001 - a notice must never take the worker down
            log.exception("message %s: the failure notice could not be queued", row.id)

    def _webhook_gave_up(self, ident: str, event_id: int, error: str) -> None:
        self._record("webhook_failed", message=ident, detail=f"event {event_id}",
                     reason=f"callback not reached for {webhooks.GIVE_UP_AFTER / 3600:g} h: {error}")

    # --- a person acting on one message (tray, CLI) ---------------------------------------
    def _row(self, ident: str) -> MessageRow:
        row = self.outbox.get(ident)
        if row is None:
            raise UnknownMessage(f"no message {ident!r} in the outbox")
        return row

    def retry_now(self, ident: str) -> int:
        self._row(ident)
        count = self.outbox.retry_now(ident)
        if not count:
            raise NothingToDo("nothing to retry: no recipient of this message is waiting for a retry")
        self._record("retry", message=ident, detail=f"{count} recipient(s) retried now by the user")
        self._probe_now.set()
        self._wake.set()
        return count

    def release(self, ident: str, note: str) -> int:
        """Held recipients go on as planned, after a person reviewed the message."""
        row = self._row(ident)
        held = [r for r in row.recipients if r.state == State.HELD]
        if not held:
            raise NothingToDo("this message is not held")
        self._may_release([Method(r.method) for r in held])
        for r in held:
            self.outbox.set_recipient(ident, r.address, State.QUEUED, "")
            if r.copy is not None:  # held at delivery (a full mailbox): its protected copy is ready, due now
                self.outbox.set_recipient(ident, r.address, State.DEFERRED, "released after review",
                                          next_attempt=time.time())
        self._record("released", message=ident, recipients=[r.address for r in held], state="queued",
                     reason=f"released after review: {note.strip()[:200] or '(no note)'}")
        self._emit(ident)
        self._wake.set()
        return len(held)

    def _may_release(self, methods: list[Method]) -> None:
        # Released now, it would go where the set-up forbids (a portal link no one can open).
        setup = readiness.hold_reason(self.problems, methods)
        if setup:
            raise NotAllowed(f"it cannot go out until IT fixes this: {setup}")
        if not self.config.policy.allow_release:
            raise NotAllowed("your organization does not allow releasing held messages here;"
                             " ask your privacy officer to release it")

    def send_via_portal(self, ident: str) -> int:
        """External recipients not yet delivered get a portal copy instead of their planned
        method (a partner's key is broken, its TLS is down). Held ones count as released."""
        todo = self._reroutable(self._row(ident))
        if not todo:
            raise NothingToDo("no external recipient of this message is waiting for another method")
        if any(r.state == State.HELD for r in todo):
            self._may_release([Method.PORTAL])
        if ident in self._busy:
            self._after_attempt[ident] = self._reroute_to_portal
            return len(todo)
        self._reroute_to_portal(ident)
        return len(todo)

    def _reroute_to_portal(self, ident: str) -> None:
        todo = self._reroutable(self._row(ident))
        if not todo:
            return  # the attempt in flight delivered them all, or they failed for good
        for r in todo:
            plan = RecipientPlan(r.address, Method.PORTAL, "sent via the secure portal at the sender's request", "",
                                 (f"{r.method}: replaced by the sender ({r.reason or r.state})",),
                                 says(Method.PORTAL, Why.SENDER_ASKED))
            self.outbox.reroute(ident, r.address, plan, "")
        self._record("rerouted", message=ident, recipients=[r.address for r in todo], method="portal",
                     state="queued", reason="the sender chose the secure portal instead")
        self._emit(ident)
        self._wake.set()

    @staticmethod
    def _reroutable(row: MessageRow) -> list:
        return [r for r in row.recipients if r.method != Method.INTERNAL and r.method != Method.PORTAL
                and r.state in (State.QUEUED, State.DEFERRED, State.HELD)]

    def _apply_after_attempt(self, ident: str) -> None:
        action = self._after_attempt.pop(ident, None)
        if action is None:
            return
        try:
            action(ident)
        except Exception:  # noqa: BLE001 - the worker must outlive any one message
            log.exception("message %s: the sender's choice could not be applied; it stays as it was", ident)

    async def revoke(self, ident: str) -> int:
        """Portal copies of this message can no longer be opened (the ciphertext is deleted)."""
        row = self._row(ident)
        portal_ids = [c.portal_id for c in self.outbox.copies(ident) if c.method == Method.PORTAL and c.portal_id]
        if not portal_ids:
            raise NothingToDo("this message has no portal copies to revoke")
        client: PortalClient = self.protectors[Method.PORTAL].client
        for portal_id in portal_ids:
            await asyncio.to_thread(client.revoke, portal_id)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for r in row.recipients:
            if r.method == Method.PORTAL and r.proof.get("portal_id") in portal_ids:
                self.outbox.annotate(ident, r.address, revoked=stamp)
        self._record("revoked", message=ident, recipients=[r.address for r in row.recipients if r.method == Method.PORTAL],
                     method="portal", detail=f"{len(portal_ids)} portal copie(s) deleted")
        return len(portal_ids)

    # --- bounces -----------------------------------------------------------------------
    def _bounced_message(self, report: bounces.Report) -> MessageRow | None:
        if report.envelope_id:
            row = self.outbox.get(report.envelope_id.lower())  # relays may upper-case it
            if row is not None:
                return row
        if report.message_id:
            addresses = {s.address for s in report.recipients} | {s.final_address for s in report.recipients}
            rows = [r for r in map(self.outbox.get, self.outbox.find_by_message_id(report.message_id)) if r]
            for row in rows:
                if addresses & {r.address.lower() for r in row.recipients}:
                    return row
        return None

    async def apply_bounce(self, raw: bytes) -> BounceOutcome:
        """A DSN received after the relay's 250: a `failed` action fails that recipient with
        the remote server's reason; other actions are recorded. Raises bounces.NotADsn,
        UnknownMessage. Applying the same report twice changes nothing the second time."""
        report = await asyncio.to_thread(bounces.parse, raw)
        row = self._bounced_message(report)
        if row is None:
            raise UnknownMessage(
                "this bounce matches no message in the outbox (no known envelope id "
                f"{report.envelope_id or '(none)'} or Message-ID {report.message_id or '(none)'})")
        by_address = {r.address.lower(): r for r in row.recipients}
        results, unmatched, changed = [], [], False
        for status in report.recipients:
            recipient = by_address.get(status.address) or by_address.get(status.final_address)
            if recipient is None:
                unmatched.append(status.address)
                continue
            state = recipient.state
            # Only a copy that left (or may have left) can bounce; a report naming a held
            # or already failed recipient is recorded and changes nothing.
            if status.failed and state in (State.DELIVERED, State.SENDING, State.DEFERRED):
                reason = f"bounced by {report.reporting_mta or 'the relay'}: {status.status} {status.diagnostic}"
                self.outbox.set_recipient(row.id, recipient.address, State.FAILED, reason,
                                          {**recipient.proof, "dsn": status.to_json()})
                self._record("bounced", message=row.id, recipients=[recipient.address], method=recipient.method,
                             state="failed", reason=reason)
                state, changed = State.FAILED, True
            elif not status.failed:
                self._record("dsn", message=row.id, recipients=[recipient.address], method=recipient.method,
                             state=str(state), reason=f"{status.action} {status.status} {status.diagnostic}".strip())
            results.append({**status.to_json(), "address": recipient.address, "state": str(state)})
        if changed:
            self._emit(row.id)
            self._after_failure(row.id)
        return BounceOutcome(row.id, tuple(results), tuple(unmatched))
