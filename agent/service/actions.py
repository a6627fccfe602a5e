"""A person acting on one message (the tray, the CLI, through the local API): retry now,
release after review, send via the portal instead, revoke portal copies; and a bounce that
arrives after the relay's 250 (RFC 3464), which fails the recipient it names."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from agent import bounces, readiness
from agent.model import Method, RecipientPlan, State
from agent.outbox import MessageRow, Outbox, RecipientRow
from agent.plain_words import Why, says
from agent.protect.portal import PortalClient
from agent.service.current import Current
from agent.service.errors import BounceOutcome, NotAllowed, NothingToDo, UnknownMessage
from agent.service.outcomes import Outcomes
from agent.service.worker import Worker


class Actions:
    def __init__(
        self, current: Current, outbox: Outbox, outcomes: Outcomes, worker: Worker, portal: PortalClient
    ) -> None:
        self.current = current
        self.outbox = outbox
        self.outcomes = outcomes
        self.worker = worker
        self.portal = portal

    def row(self, ident: str) -> MessageRow:
        row = self.outbox.get(ident)
        if row is None:
            raise UnknownMessage(f"no message {ident!r} in the outbox")
        return row

    def retry_now(self, ident: str) -> int:
        self.row(ident)
        count = self.outbox.retry_now(ident)
        if not count:
            raise NothingToDo("nothing to retry: no recipient of this message is waiting for a retry")
        self.outcomes.record("retry", message=ident, detail=f"{count} recipient(s) retried now by the user")
        self.worker.offline.look_now()
        self.worker.wake()
        return count

    def release(self, ident: str, note: str) -> int:
        """Held recipients go on as planned, after a person reviewed the message."""
        row = self.row(ident)
        held = [r for r in row.recipients if r.state == State.HELD]
        if not held:
            raise NothingToDo("this message is not held")
        self._may_release([Method(r.method) for r in held])
        for r in held:
            self.outbox.set_recipient(ident, r.address, State.QUEUED, "")
            if r.copy is not None:  # held at delivery (a full mailbox): its protected copy is ready, due now
                self.outbox.set_recipient(
                    ident, r.address, State.DEFERRED, "released after review", next_attempt=time.time()
                )
        self.outcomes.record(
            "released",
            message=ident,
            recipients=[r.address for r in held],
            state="queued",
            reason=f"released after review: {note.strip()[:200] or '(no note)'}",
        )
        self.outcomes.changed(ident)
        self.worker.wake()
        return len(held)

    def _may_release(self, methods: list[Method]) -> None:
        # Released now, it would go where the set-up forbids (a portal link no one can open).
        setup = readiness.hold_reason(self.current.problems, methods)
        if setup:
            raise NotAllowed(f"it cannot go out until IT fixes this: {setup}")
        if not self.current.config.policy.allow_release:
            raise NotAllowed(
                "your organization does not allow releasing held messages here; ask your privacy officer to release it"
            )

    def send_via_portal(self, ident: str) -> int:
        """External recipients not yet delivered get a portal copy instead of their planned
        method (a partner's key is broken, its TLS is down). Held ones count as released.
        While an attempt of the message is in flight, the choice waits for its outcome."""
        todo = _reroutable(self.row(ident))
        if not todo:
            raise NothingToDo("no external recipient of this message is waiting for another method")
        if any(r.state == State.HELD for r in todo):
            self._may_release([Method.PORTAL])
        if not self.worker.after_attempt(ident, self._reroute_to_portal):
            self._reroute_to_portal(ident)
        return len(todo)

    def _reroute_to_portal(self, ident: str) -> None:
        todo = _reroutable(self.row(ident))
        if not todo:
            return  # the attempt in flight delivered them all, or they failed for good
        for r in todo:
            plan = RecipientPlan(
                r.address,
                Method.PORTAL,
                "sent via the secure portal at the sender's request",
                "",
                (f"{r.method}: replaced by the sender ({r.reason or r.state})",),
                says(Method.PORTAL, Why.SENDER_ASKED),
            )
            self.outbox.reroute(ident, r.address, plan, "")
        self.outcomes.record(
            "rerouted",
            message=ident,
            recipients=[r.address for r in todo],
            method="portal",
            state="queued",
            reason="the sender chose the secure portal instead",
        )
        self.outcomes.changed(ident)
        self.worker.wake()

    async def revoke(self, ident: str) -> int:
        """Portal copies of this message can no longer be opened (the ciphertext is deleted)."""
        row = self.row(ident)
        portal_ids = [c.portal_id for c in self.outbox.copies(ident) if c.method == Method.PORTAL and c.portal_id]
        if not portal_ids:
            raise NothingToDo("this message has no portal copies to revoke")
        for portal_id in portal_ids:
            await asyncio.to_thread(self.portal.revoke, portal_id)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for r in row.recipients:
            if r.method == Method.PORTAL and r.proof.get("portal_id") in portal_ids:
                self.outbox.annotate(ident, r.address, revoked=stamp)
        self.outcomes.record(
            "revoked",
            message=ident,
            recipients=[r.address for r in row.recipients if r.method == Method.PORTAL],
            method="portal",
            detail=f"{len(portal_ids)} portal copie(s) deleted",
        )
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
                f"{report.envelope_id or '(none)'} or Message-ID {report.message_id or '(none)'})"
            )
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
                reason = f"bounced by {report.reporting_mta or 'the relay'}: {status.words()}"
                self.outbox.set_recipient(
                    row.id, recipient.address, State.FAILED, reason, {**recipient.proof, "dsn": status.to_json()}
                )
                self.outcomes.record(
                    "bounced",
                    message=row.id,
                    recipients=[recipient.address],
                    method=recipient.method,
                    state="failed",
                    reason=reason,
                )
                state, changed = State.FAILED, True
            elif not status.failed:
                self.outcomes.record(
                    "dsn",
                    message=row.id,
                    recipients=[recipient.address],
                    method=recipient.method,
                    state=str(state),
                    reason=status.words(action=True),
                )
            results.append({**status.to_json(), "address": recipient.address, "state": str(state)})
        if changed:
            self.outcomes.changed(row.id)
            self.outcomes.after_failure(row.id)
        return BounceOutcome(row.id, tuple(results), tuple(unmatched))


def _reroutable(row: MessageRow) -> list[RecipientRow]:
    return [
        r
        for r in row.recipients
        if r.method != Method.INTERNAL
        and r.method != Method.PORTAL
        and r.state in (State.QUEUED, State.DEFERRED, State.HELD)
    ]
