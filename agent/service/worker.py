"""The worker: protect and deliver whatever is due, oldest first, within a bounded window,
and turn each attempt's result into an outcome. Every failure lands a recipient in
`deferred` (retry can help) or `held` (a person must act), with a reason — never a weaker
copy, never a silent drop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from agent import intake as intake_mod
from agent import platform, readiness
from agent.delivery import Placing, smtp
from agent.delivery.direct import DirectDelivery
from agent.delivery.transports import Transports
from agent.model import Method, Proof, ProtectedCopy, RecipientPlan, State
from agent.outbox import PAUSED, MessageRow, Outbox
from agent.plain_words import Why, says
from agent.protect import ProtectError, Protector
from agent.protect.portal import PortalUnavailable
from agent.service.current import Current
from agent.service.offline import Offline
from agent.service.outcomes import Outcomes
from agent.stamp import Stamper

log = logging.getLogger(__name__)

_PER_RECIPIENT = (Method.PGP, Method.SMIME, Method.PORTAL)


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} seconds"


class Worker:
    def __init__(
        self,
        current: Current,
        outbox: Outbox,
        outcomes: Outcomes,
        protectors: dict[Method, Protector],
        transports: Transports,
        direct: DirectDelivery,
        stamper: Stamper,
    ) -> None:
        self.current = current
        self.outbox = outbox
        self.outcomes = outcomes
        self.protectors = protectors
        self.transports = transports
        self.direct = direct
        self.stamper = stamper
        self.offline = Offline(outbox, outcomes, transports.relay, self.wake)
        self._wake = asyncio.Event()
        self.busy: set[str] = set()  # messages with an attempt in flight
        self._cooldown: dict[str, float] = {}  # id → monotonic time before which it is left alone
        # A sender's choice made while a delivery attempt of that message is in flight waits
        # for the attempt's outcome: the outcome of the old copy must not overwrite it.
        self._after_attempt: dict[str, Callable[[str], None]] = {}

    def wake(self) -> None:
        """Something may be due now: look at once instead of at the next planned time."""
        self._wake.set()

    def after_attempt(self, ident: str, action: Callable[[str], None]) -> bool:
        """Run `action(ident)` once the attempt in flight for this message ends; False when
        none is in flight (the caller acts now)."""
        if ident not in self.busy:
            return False
        self._after_attempt[ident] = action
        return True

    # --- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        """Protect and deliver whatever is due, oldest first, until cancelled."""
        slots = asyncio.Semaphore(self.current.config.outbox.concurrency)
        tasks: set[asyncio.Task] = set()
        prober: asyncio.Task | None = None
        # At start, whatever was interrupted (protecting, sending) is due by its state, and
        # deferred mail gets one try at once: the agent was down, the network may be back.
        resumed = self.outbox.retry_deferred_now()
        if resumed:
            log.info("start: %d deferred recipient(s) retried now", resumed)
        webhook_task = asyncio.create_task(self.outcomes.webhooks.run())
        # Network changes where the OS gives them (agent/platform), else the periodic probe alone.
        network = platform.current().network_watch(self.offline.network_changed)
        if network is not None and not network.start():
            network = None
        # A failure notice interrupted by a crash is sent now (it is idempotent).
        for ident in self.outbox.failed_since(time.time() - 2 * 86400):
            self.outcomes.after_failure(ident, announce=False)

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
                                self.outcomes.defer(ident, r.address, r.attempts + 1, "internal error; will retry")
                    except Exception:  # noqa: BLE001 - e.g. the disk is full: its state stays as it was
                        log.exception("message %s: could not record the error; retried as it stands later", ident)
                    # Either way, not again at once: a full disk must not become a hot loop.
                    self._cooldown[ident] = time.monotonic() + self.current.config.outbox.retry_first_seconds
                finally:
                    self.busy.discard(ident)
                    self._apply_after_attempt(ident)
                    self._wake.set()

        try:
            while True:
                self._wake.clear()
                try:
                    timeout = self._schedule(one, tasks)
                    if self.offline.since is not None and (prober is None or prober.done()):
                        prober = asyncio.create_task(self.offline.probe())
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
            others = [*tasks, webhook_task, *([prober] if prober else [])]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self.outcomes.stop()

    def _schedule(self, one, tasks: set[asyncio.Task]) -> float:
        """Start what is due, within the window; returns how long to sleep at most."""
        # A bounded window of work in flight: 10,000 queued messages must not become
        # 10,000 tasks (memory), and new mail must not wait behind all of them.
        room = 2 * self.current.config.outbox.concurrency - len(self.busy)
        if any(p.holds is readiness.Holds.ALL for p in self.current.problems):
            room = 0  # managed policy is broken: nothing leaves, not even mail queued before it broke
        now = time.monotonic()
        self._cooldown = {i: t for i, t in self._cooldown.items() if t > now}
        spawned = 0
        if room > 0:
            for ident in self.outbox.due(time.time(), room, self.busy | set(self._cooldown)):
                spawned += 1
                self.busy.add(ident)
                task = asyncio.create_task(one(ident))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if not self.busy:
            self.outcomes.checkpoint_audit()  # idle: make the log durable and sign its head
        wake_at = self.outbox.next_wakeup()
        timeout = 60.0 if wake_at is None else max(0.05, min(60.0, wake_at - time.time()))
        if not spawned and self._cooldown and wake_at is not None and wake_at <= time.time():
            timeout = max(0.05, min(60.0, min(self._cooldown.values()) - now))
        return timeout

    def _apply_after_attempt(self, ident: str) -> None:
        action = self._after_attempt.pop(ident, None)
        if action is None:
            return
        try:
            action(ident)
        except Exception:  # noqa: BLE001 - the worker must outlive any one message
            log.exception("message %s: the sender's choice could not be applied; it stays as it was", ident)

    # --- one message ---------------------------------------------------------------------
    async def process(self, ident: str) -> None:
        row = self.outbox.get(ident)
        if row is None:
            return
        now = time.time()
        give_up = self.current.config.outbox.give_up_after_hours * 3600.0
        if now - row.created > give_up:
            for r in row.recipients:
                if r.state in (State.DEFERRED, State.QUEUED, State.SENDING, State.PROTECTING):
                    self.outcomes.fail(ident, r.address, r.method, f"not delivered after {_span(give_up)}: {r.reason}")
            self.outcomes.changed(ident)
            return
        await self._protect(row)
        row = self.outbox.get(ident)
        copies = self.outbox.copies(ident)
        for index, copy in enumerate(copies):
            targets = [
                r
                for r in row.recipients
                if r.copy == index
                and (r.state == State.SENDING or (r.state == State.DEFERRED and r.next_attempt <= now))
            ]
            if targets:
                await self._deliver(row, copy, targets)
        self._wake.set()

    async def _protect(self, row: MessageRow) -> None:
        todo = [
            r
            for r in row.recipients
            if r.copy is None
            and (
                r.state in (State.QUEUED, State.PROTECTING)
                or (r.state == State.DEFERRED and r.next_attempt <= time.time())
            )
        ]
        if not todo:
            return
        plans = {p.address: p for p in self.outbox.recipient_plans(row.id)}
        for r in todo:
            self.outbox.set_recipient(row.id, r.address, State.PROTECTING, attempted=False)
        self.outcomes.changed(row.id)
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
                        self.outcomes.hold(row.id, plan.address, method, f"cannot protect: {exc}")
                except PortalUnavailable as exc:
                    for plan in batch:
                        attempts = next(r.attempts for r in todo if r.address == plan.address) + 1
                        self.outcomes.defer(row.id, plan.address, attempts, str(exc))
        if new:
            # Stamped once, stored stamped: a resend after a crash is the same bytes.
            new = [replace(c, data=self.stamper.stamp_copy(c.data, list(c.recipients))[1]) for c in new]
            existing = len(self.outbox.copies(row.id))
            self.outbox.store_copies(row.id, new, start=existing)
            for copy in new:
                self.outcomes.record(
                    "protected",
                    message=row.id,
                    recipients=list(copy.recipients),
                    method=str(copy.method),
                    key_fingerprint=copy.key_fingerprint,
                    portal_id=copy.portal_id,
                )
        self.outcomes.changed(row.id)

    async def _deliver(self, row: MessageRow, copy: ProtectedCopy, targets: list) -> None:
        addresses = [r.address for r in targets]
        attempts = {r.address: r.attempts + 1 for r in targets}
        needs_tls = copy.method == Method.TLS
        if copy.method == Method.KEPT:
            await self._keep(row, copy, addresses)
            return
        if self.offline.since is not None:
            self.offline.pause(row.id, addresses, "the relay was not reachable at the last try")
            return
        verdict, data = self.stamper.fresh(copy.data, list(copy.recipients))
        direct = self.current.config.tls.direct and copy.method == Method.TLS
        transport = self.direct if direct else self.transports.for_sender(row.sender)
        try:
            result = await asyncio.to_thread(transport.send, row.sender, addresses, data, needs_tls, row.id)
        except smtp.DeliveryError as exc:
            if exc.unreachable:
                self.offline.went_offline(str(exc), transport)
                self.offline.pause(row.id, addresses, str(exc))
                return
            if exc.sign_in:
                # Not the copy's fault, and no retry can help until the clinician signs in:
                # wait without spending retries; _signed_in makes it due again.
                for address in addresses:
                    self.outbox.set_recipient(
                        row.id,
                        address,
                        State.DEFERRED,
                        f"waiting for you to sign in to {exc.sign_in} again: {exc}",
                        next_attempt=PAUSED,
                    )
                self.outcomes.changed(row.id)
                return
            if exc.unverified and time.time() - row.created >= self.current.config.tls.fallback_after_hours * 3600:
                self._tls_fallback(row, addresses, str(exc))
                return
            for address in addresses:
                if exc.hold:
                    self.outcomes.hold(row.id, address, str(copy.method), str(exc))
                elif exc.permanent:
                    self.outcomes.fail(row.id, address, str(copy.method), str(exc))
                else:
                    self.outcomes.defer(row.id, address, attempts[address], str(exc), at_least=exc.retry_after)
            self.outcomes.changed(row.id)
            return
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        plans = {p.address: p for p in self.outbox.recipient_plans(row.id)}
        for address in addresses:
            outcome = result.recipients[address]
            if outcome.ok:
                policy = result.tls_policy or (plans[address].reason if copy.method == Method.TLS else "")
                proof = Proof(
                    copy.method,
                    outcome.reply,
                    result.tls_version,
                    result.tls_cipher,
                    result.tls_peer,
                    copy.key_fingerprint,
                    copy.portal_id,
                    stamp,
                    policy,
                )
                self.outbox.set_recipient(row.id, address, State.DELIVERED, "", proof.to_json(), attempted=True)
                # The proof itself, structured, as the outbox keeps it; `tls` and `reply` stay the
                # one-line words earlier records and the CSV export carry.
                self.outcomes.record(
                    "delivered",
                    message=row.id,
                    message_id=row.message_id,
                    sender=row.sender,
                    recipients=[address],
                    method=str(copy.method),
                    state="delivered",
                    key_fingerprint=copy.key_fingerprint,
                    portal_id=copy.portal_id,
                    reply=outcome.reply,
                    tls=proof.tls_words(),
                    verdict=verdict,
                    proof=proof.to_json(),
                )
            elif outcome.permanent:
                self.outcomes.fail(row.id, address, str(copy.method), f"relay refused: {outcome.reply}")
            else:
                self.outcomes.defer(row.id, address, attempts[address], f"relay deferred: {outcome.reply}")
        self.outcomes.changed(row.id)

    async def _keep(self, row: MessageRow, copy: ProtectedCopy, addresses: list[str]) -> None:
        """A secure reply the clinician's mail program could not open (no S/MIME identity): it
        stays in the encrypted outbox and is read in the tray (GET /v1/replies). When the
        clinician is signed in to Microsoft 365 or Google, it is also placed in their own Inbox
        through the provider's API, inside the organization's tenant; if the mailbox does not
        take it, it is still kept (the proof says why), never lost and never retried over mail."""
        where, in_inbox = "kept in Postseal: Secure replies in the tray", False
        transport = self.transports.for_sender(row.sender)
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
            self.outcomes.record(
                "delivered",
                message=row.id,
                message_id=row.message_id,
                sender=row.sender,
                recipients=[address],
                method=str(copy.method),
                state="delivered",
                reply=where,
                tls=proof.tls_words(),
                proof=proof.to_json(),
            )
        text = (
            "A secure reply arrived through the portal: it is in your Inbox and under Secure replies"
            if in_inbox
            else "A secure reply arrived through the portal: open Secure replies to read it"
        )
        self.outcomes.broadcast({"type": "notice", "level": "info", "view": "replies", "text": text})
        self.outcomes.changed(row.id)

    def _tls_fallback(self, row: MessageRow, addresses: list[str], reason: str) -> None:
        """Verified TLS could not be had for long enough: the portal instead, never cleartext."""
        hours = self.current.config.tls.fallback_after_hours
        for address in addresses:
            plan = RecipientPlan(
                address,
                Method.PORTAL,
                f"verified TLS failed for {hours:g} h: secure portal instead",
                "",
                (f"tls: {reason}",),
                says(Method.PORTAL, Why.TLS_FAILED),
            )
            self.outbox.set_recipient(row.id, address, State.DEFERRED, reason, attempted=True)  # sending → deferred
            self.outbox.reroute(row.id, address, plan, "")
        self.outcomes.record("tls_fallback", message=row.id, recipients=addresses, method="portal", reason=reason)
        self.outcomes.changed(row.id)
        self._wake.set()
