"""Outcomes: what happens once something happened to a message. A recipient's result is
recorded in the outbox and the audit log; the tray hears it as an event; a webhook event is
queued for the caller that asked for one; a message that ended failed tells the sender, once,
by a notice. The worker, the operator's actions, portal sync and bounces all report here."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from agent import notices, webhooks
from agent.audit import AuditLog
from agent.model import State
from agent.outbox import MessageRow, Outbox
from agent.service.current import Current

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]


def backoff(attempts: int, first: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds before try `attempts + 1`. RFC 5321 §4.5.4.1 asks for 30 minutes between
    tries to a remote MX; the first hop here is the organization's own relay, so the first
    retry comes within a minute and the wait doubles up to an hour."""
    delay = min(cap, first * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # jitter: a fleet reconnecting must not stampede


class Outcomes:
    def __init__(
        self, current: Current, outbox: Outbox, audit: AuditLog, submit: Callable[[bytes], Awaitable[Any]]
    ) -> None:
        self.current = current
        self.outbox = outbox
        self.audit = audit
        self._submit = submit  # a failure notice is a new message, planned and queued like any
        self.audit_problem = ""
        self._listeners: list[Listener] = []
        self._background: set[asyncio.Task] = set()
        self.webhooks = webhooks.WebhookSender(outbox, self._webhook_gave_up)

    # --- the audit log -------------------------------------------------------------------
    def record(self, event: str, **fields: Any) -> None:
        """Audit, without letting a full disk turn a durable 202 into an error: the problem
        is logged and shown (health, tray) instead, and the agent refuses new mail anyway
        while the disk is full (see Outbox.accept)."""
        try:
            self.audit.append(event, **fields)
            self.audit_problem = ""
        except OSError as exc:
            self.audit_problem = f"audit log cannot be written: {exc.strerror or exc}"
            log.error("%s (event %s)", self.audit_problem, event)

    def checkpoint_audit(self) -> None:
        """Have the log made durable and its head signed (the worker asks when idle). The two
        fsyncs run on the log's signer thread: acceptance, on this event loop, never waits for
        them. A failure of the previous checkpoint is shown (health, tray) until one succeeds."""
        problem = self.audit.checkpoint_soon()
        if problem:
            self.audit_problem = f"audit log cannot be made durable: {problem}"

    # --- events --------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def broadcast(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(event)

    def changed(self, ident: str) -> None:
        """A message's state changed: its webhook events may be due, the tray hears of it."""
        self.webhooks.wake.set()  # an outcome may have queued a webhook event
        if not self._listeners:
            return
        row = self.outbox.get(ident)
        if row is None:
            return
        self.broadcast(
            {
                "type": "message",
                "id": ident,
                "state": str(row.state),
                "recipients": {r.address: str(r.state) for r in row.recipients},
            }
        )

    # --- a recipient's result ------------------------------------------------------------
    def defer(self, ident: str, address: str, attempts: int, reason: str, at_least: float = 0.0) -> None:
        # A server's Retry-After (throttling) is a floor under our own schedule, never shortened.
        schedule = self.current.config.outbox
        when = time.time() + max(at_least, backoff(attempts, schedule.retry_first_seconds, schedule.retry_max_seconds))
        self.outbox.set_recipient(ident, address, State.DEFERRED, reason, next_attempt=when, attempted=True)
        self.record("deferred", message=ident, recipients=[address], state="deferred", reason=reason)
        log.info("message %s to %s deferred: %s", ident, address, reason)

    def hold(self, ident: str, address: str, method: str, reason: str) -> None:
        self.outbox.set_recipient(ident, address, State.HELD, reason)
        self.record("held", message=ident, recipients=[address], method=str(method), state="held", reason=reason)
        log.warning("message %s to %s held: %s", ident, address, reason)

    def fail(self, ident: str, address: str, method: str, reason: str) -> None:
        self.outbox.set_recipient(ident, address, State.FAILED, reason, attempted=True)
        self.record("failed", message=ident, recipients=[address], method=str(method), state="failed", reason=reason)
        log.warning("message %s to %s failed: %s", ident, address, reason)
        self.after_failure(ident)

    # --- telling people --------------------------------------------------------------------
    def after_failure(self, ident: str, announce: bool = True) -> None:
        """Once a message has ended failed: tell the tray, and the sender by a notice."""
        row = self.outbox.get(ident)
        if row is None or row.state != State.FAILED:
            return  # other recipients are still on their way, or held for a person
        if announce:
            failed = [r.address for r in row.recipients if r.state == State.FAILED]
            self.broadcast(
                {
                    "type": "notice",
                    "level": "error",
                    "id": ident,
                    "text": f"Not delivered to {', '.join(failed)}: {row.reason}",
                }
            )
        if self.current.config.outbox.notify_sender:
            self.in_background(self._send_notice(row))

    def in_background(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_notice(self, row: MessageRow) -> None:
        try:
            if notices.is_automatic(self.outbox.raw(row.id)):
                return  # RFC 3834: no notices about automatic mail, notices included
            if self.outbox.find(notices.notice_message_id(row), row.sender):
                return
            accepted = await self._submit(notices.failure_notice(row))
            self.record(
                "notice",
                message=row.id,
                recipients=[row.sender],
                detail=f"failure notice queued for the sender as {accepted.id}",
            )
        except Exception:  # noqa: BLE001 - a notice must never take the worker down
            log.exception("message %s: the failure notice could not be queued", row.id)

    def _webhook_gave_up(self, ident: str, event_id: int, error: str) -> None:
        self.record(
            "webhook_failed",
            message=ident,
            detail=f"event {event_id}",
            reason=f"callback not reached for {webhooks.GIVE_UP_AFTER / 3600:g} h: {error}",
        )

    async def stop(self) -> None:
        """Cancel the notices still being queued (the agent is stopping)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
