"""intake → inspect → plan → protect → enqueue → deliver → audit.

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import intake as intake_mod
from agent.audit import AuditLog
from agent.config import Config
from agent.delivery import smtp
from agent.keys.pgp_store import PgpStore
from agent.model import Action, Method, Plan, Proof, ProtectedCopy, RecipientPlan, State, Verdict
from agent.outbox import PAUSED, Duplicate, MessageRow, Outbox
from agent.policy.inspect import inspect
from agent.policy.rules import RuleSet, load_rules
from agent.protect import ProtectError, Protector
from agent.protect.pgp import PgpProtector
from agent.protect.plain import PlainProtector
from agent.protect.portal import PortalClient, PortalProtector, PortalUnavailable
from agent.routing import route

log = logging.getLogger(__name__)

PROBE_MAX = 5.0  # seconds between reachability probes while offline
_PER_RECIPIENT = (Method.PGP, Method.SMIME, Method.PORTAL)


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


def backoff(attempts: int, first: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds before try `attempts + 1`. RFC 5321 §4.5.4.1 asks for 30 minutes between
    tries to a remote MX; the first hop here is the organization's own relay, so the first
    retry comes within a minute and the wait doubles up to an hour."""
    delay = min(cap, first * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # jitter: a fleet reconnecting must not stampede


def make_plan(raw: bytes, config: Config, rules: RuleSet, pgp: PgpStore,
              envelope_recipients: list[str] | None = None) -> tuple[intake_mod.Intake, Plan]:
    """Parse, inspect and route; raises intake.BadMessage. Touches no state."""
    message = intake_mod.parse(raw, envelope_recipients)
    findings = inspect(message.message)
    external = [a for a in message.recipients if not config.is_internal(a)]
    verdict: Verdict = rules.evaluate(findings, bool(external), len(external) < len(message.recipients))
    recipients = tuple(route(a, verdict, config, pgp) for a in message.recipients)
    return message, Plan(message.sender, verdict, recipients)


class Pipeline:
    def __init__(self, home: Path, config: Config, portal_token: str = "") -> None:
        self.home = home
        self.config = config
        self.rules: RuleSet = load_rules(config.policy.rules_file)
        self.pgp = PgpStore(home)
        self.outbox = Outbox(home)
        self.audit = AuditLog(home)
        portal = PortalClient(config.portal.url, config.portal.upload_token or portal_token)
        self.protectors: dict[Method, Protector] = {
            Method.INTERNAL: PlainProtector(Method.INTERNAL),
            Method.TLS: PlainProtector(Method.TLS),
            Method.PGP: PgpProtector(self.pgp),
            Method.PORTAL: PortalProtector(portal, config.organization.name),
        }
        self.relay = smtp.RelayConnections(config.relay)
        self.give_up_after = config.outbox.give_up_after_hours * 3600.0
        self.offline_since: float | None = None
        self.audit_problem = ""
        self._wake = asyncio.Event()
        self._probe_now = asyncio.Event()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._busy: set[str] = set()
        self._cooldown: dict[str, float] = {}  # id → monotonic time before which it is left alone
        self.concurrency = config.outbox.concurrency

    def close(self) -> None:
        self.relay.close()
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

    def _emit(self, ident: str) -> None:
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
        return make_plan(raw, self.config, self.rules, self.pgp, envelope_recipients)

    async def check(self, raw: bytes) -> Plan:
        return (await asyncio.to_thread(self.plan, raw))[1]

    async def submit(self, raw: bytes, envelope_recipients: list[str] | None = None) -> Accepted:
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
        try:
            ident = self.outbox.accept(message.message.as_bytes(), message.message_id, plan, held)
        except Duplicate as known:
            row = self.outbox.get(known.ident)
            log.info("message %s submitted again (same Message-ID): nothing new queued", known.ident)
            return Accepted(known.ident, row.state, plan, duplicate=True)
        methods = {r.address: str(r.method) for r in plan.recipients}
        self._record("accepted", message=ident, method=methods, action=str(verdict.action), **common)
        if held:
            self._record("held", message=ident, reason=held, rule=verdict.rule, state="held")
        self._emit(ident)
        self._wake.set()
        if self.offline_since is not None:
            self._probe_now.set()  # someone is sending: look for the network now
        return Accepted(ident, State.HELD if held else State.QUEUED, plan)

    # --- working -------------------------------------------------------------------------
    async def run(self) -> None:
        """The worker: protect and deliver whatever is due, oldest first, until cancelled."""
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task] = set()
        prober: asyncio.Task | None = None
        # At start, whatever was interrupted (protecting, sending) is due by its state, and
        # deferred mail gets one try at once: the agent was down, the network may be back.
        resumed = self.outbox.retry_deferred_now()
        if resumed:
            log.info("start: %d deferred recipient(s) retried now", resumed)

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
            for task in [*tasks, *([prober] if prober else [])]:
                task.cancel()
            await asyncio.gather(*tasks, *([prober] if prober else []), return_exceptions=True)

    def _schedule(self, one, tasks: set[asyncio.Task]) -> float:
        """Start what is due, within the window; returns how long to sleep at most."""
        # A bounded window of work in flight: 10,000 queued messages must not become
        # 10,000 tasks (memory), and new mail must not wait behind all of them.
        room = 2 * self.concurrency - len(self._busy)
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

    async def _probe(self) -> None:
        """While offline: a TCP connect to the relay (no SMTP session: cheap for both ends),
        1 s after going offline, backing off to every PROBE_MAX seconds, and at once when the
        user sends something. When it answers, everything waiting is due at once."""
        delay = 1.0
        while self.offline_since is not None:
            self._probe_now.clear()
            try:
                async with asyncio.timeout(delay):
                    await self._probe_now.wait()
            except TimeoutError:
                pass
            if await asyncio.to_thread(smtp.probe, self.config.relay):
                waited = time.time() - self.offline_since
                self.offline_since = None
                flushed = self.outbox.retry_deferred_now()
                log.info("online again after %.0f s: flushing %d recipient(s)", waited, flushed)
                self._record("online", detail=f"relay reachable again after {waited:.0f} s; {flushed} recipient(s) due")
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
            days = self.give_up_after / 86400
            for r in row.recipients:
                if r.state in (State.DEFERRED, State.QUEUED, State.SENDING, State.PROTECTING):
                    self._fail(ident, r.address, r.method, f"not delivered after {days:g} days: {r.reason}")
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
        if self.offline_since is not None:
            self._pause(row.id, addresses, "the relay was not reachable at the last try")
            return
        try:
            result = await asyncio.to_thread(self.relay.send, row.sender, addresses, copy.data, needs_tls)
        except smtp.DeliveryError as exc:
            if exc.unreachable:
                self._go_offline(str(exc))
                self._pause(row.id, addresses, str(exc))
                return
            for address in addresses:
                if exc.permanent:
                    self._fail(row.id, address, str(copy.method), str(exc))
                else:
                    self._defer(row.id, address, attempts[address], str(exc))
            self._emit(row.id)
            return
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for address in addresses:
            outcome = result.recipients[address]
            if outcome.ok:
                proof = Proof(copy.method, outcome.reply, result.tls_version, result.tls_cipher,
                              result.tls_peer, copy.key_fingerprint, copy.portal_id, stamp)
                self.outbox.set_recipient(row.id, address, State.DELIVERED, "", proof.to_json(), attempted=True)
                tls = f"{result.tls_version} {result.tls_cipher} {('verified ' + result.tls_peer) if result.tls_peer else 'unverified'}" if result.tls_version else "none"
                self._record("delivered", message=row.id, message_id=row.message_id, sender=row.sender,
                                  recipients=[address], method=str(copy.method), state="delivered",
                                  key_fingerprint=copy.key_fingerprint, portal_id=copy.portal_id,
                                  reply=outcome.reply, tls=tls)
            elif outcome.permanent:
                self._fail(row.id, address, str(copy.method), f"relay refused: {outcome.reply}")
            else:
                self._defer(row.id, address, attempts[address], f"relay deferred: {outcome.reply}")
        self._emit(row.id)

    # --- recipient outcomes ----------------------------------------------------------------
    def _defer(self, ident: str, address: str, attempts: int, reason: str) -> None:
        when = time.time() + backoff(attempts, self.config.outbox.retry_first_seconds,
                                     self.config.outbox.retry_max_seconds)
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
