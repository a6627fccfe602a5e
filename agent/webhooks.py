"""Signed delivery events for local integrations (an EHR on the same machine).

`POST /v1/messages?callback_url=http://127.0.0.1:PORT/path` registers a URL; the 202 answer
carries a per-message secret. Each recipient outcome (delivered, deferred, held, failed) is
then POSTed there as JSON, signed like Stripe's webhooks so a receiver can check both origin
and freshness:

    X-Postseal-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    X-Postseal-Event-Id: <n>   (unique, increasing; delivery is at-least-once: dedupe on it)

Only loopback URLs are accepted and redirects are not followed: the agent must not become
a way to send message metadata off the machine. Events are queued durably with the outcome
and retried with backoff for a day (a receiver that is down for an update misses nothing).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp

from agent.net_words import said
from agent.outbox import Outbox, WebhookEvent

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 24 * 3600.0
RETRY_FIRST = 2.0
RETRY_MAX = 600.0
TIMEOUT = 10.0
_BATCH = 50


class BadCallback(ValueError):
    """The callback URL is not one the agent will call."""


def validate_url(url: str) -> str:
    """Raises BadCallback saying what is wrong; returns the URL unchanged."""
    if len(url) > 2048:
        raise BadCallback("callback_url is longer than 2048 characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise BadCallback(f"callback_url is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise BadCallback(f"callback_url must be http or https, not {parts.scheme or 'missing'!r}")
    if parts.username or parts.password:
        raise BadCallback("callback_url must not contain credentials; the events are signed instead")
    host = parts.hostname or ""
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise BadCallback(f"callback_url must point to this machine (127.0.0.1, [::1] or localhost), not {host!r}")
    return url


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0, now: float | None = None) -> bool:
    """What a receiver does (kept here for tests and as the reference for integrators)."""
    fields = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), header)


class WebhookSender:
    """Delivers queued events, oldest first; one task for the whole agent."""

    def __init__(self, outbox: Outbox, on_give_up: Callable[[str, int, str], None]) -> None:
        self.outbox = outbox
        self.on_give_up = on_give_up
        self.wake = asyncio.Event()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
            while True:
                self.wake.clear()
                try:
                    await self._send_due(session)
                    upcoming = self.outbox.next_webhook()
                except Exception:  # noqa: BLE001 - e.g. a full disk: the agent must stay up
                    log.exception("webhooks: could not read the queue; trying again shortly")
                    upcoming = time.time() + RETRY_FIRST
                wait = 3600.0 if upcoming is None else max(0.05, upcoming - time.time())
                try:
                    async with asyncio.timeout(wait):
                        await self.wake.wait()
                except TimeoutError:
                    pass

    async def _send_due(self, session: aiohttp.ClientSession) -> None:
        for _ in range(100):  # bounded: come back to the wait loop now and then
            due = self.outbox.webhooks_due(time.time(), _BATCH)
            delivered = 0
            for event in due:
                delivered += await self._send_one(session, event)
            if not delivered:
                return

    async def _send_one(self, session: aiohttp.ClientSession, event: WebhookEvent) -> bool:
        callback = self.outbox.callback(event.message)
        if callback is None:
            self.outbox.webhook_done(event.id)
            return True
        url, secret = callback
        error = await self._post(session, url, secret, event.id, event.body.encode())
        if error is None:
            self.outbox.webhook_done(event.id)
            return True
        if time.time() - event.created > GIVE_UP_AFTER:
            self.outbox.webhook_done(event.id)
            self.on_give_up(event.message, event.id, error)
            return True
        delay = min(RETRY_MAX, RETRY_FIRST * 2**event.attempts)
        self.outbox.webhook_retry(event.id, time.time() + delay, error)
        log.info("webhook event %d for %s: %s; retry in %.1f s", event.id, event.message, error, delay)
        return False

    @staticmethod
    async def _post(session: aiohttp.ClientSession, url: str, secret: str, event_id: int, body: bytes) -> str | None:
        headers = {
            "Content-Type": "application/json",
            "X-Postseal-Event-Id": str(event_id),
            "X-Postseal-Signature": signature(secret, body, int(time.time())),
            "User-Agent": "postseal-agent",
        }
        try:
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status} from {url}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"{url} not reachable ({said(exc)})"
