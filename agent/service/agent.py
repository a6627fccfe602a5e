"""The agent's one service: what every front end (the local API, SMTP submission, the add-in
doors, the native host through the API, the demo) calls, and nothing reaches past.

It builds the stores and the parts once and answers with typed results:
- deciding: `check` (a plan, nothing stored) and `submit` (stored durably, returns only
  after the commit) — planning.py;
- working: `run` protects and delivers what is due — worker.py, offline.py;
- telling: `subscribe` to events; results recorded in the outbox and the audit log, webhooks
  and failure notices — outcomes.py;
- a person acting on one message: `retry_now`, `release`, `send_via_portal`, `revoke`, and
  bounces — actions.py;
- the resources beside the messages, one room each, mixed into this one object (as Proton Bridge
  splits its service into files by concern): keys (keyring.py), the audit history and secure
  replies (history.py), mailbox accounts (mailboxes.py), settings (settings.py), stamps (stamps.py).
The stores (`outbox`, `audit`, `pgp`, `smime`, `accounts`, `stamper`) are the service's own
parts, assembled here and handed to its rooms; a door (agent/ingress/) calls only the methods
and properties of this class — tests/unit/test_service_surface.py keeps it so."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent import intake as intake_mod
from agent import portal_enrol, secret_store, webhooks
from agent.accounts import Account, Accounts
from agent.audit import AuditLog
from agent.config import Config
from agent.delivery import Transport, smtp
from agent.delivery.direct import DirectDelivery
from agent.delivery.transports import Transports
from agent.keys.discovery import Discovery
from agent.keys.pgp_store import PgpError, PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Action, Method, Plan, State
from agent.net import Network
from agent.outbox import Duplicate, GroupCommit, MessageRow, Outbox, Submission
from agent.policy import scanner as policy_scanner
from agent.policy.rules import RuleSet, load_rules
from agent.portal_sync import PortalSync
from agent.protect import Protector
from agent.protect.pgp import PgpProtector
from agent.protect.plain import PlainProtector
from agent.protect.portal import PortalClient, PortalProtector
from agent.protect.smime import SmimeProtector
from agent.secret_store import SecretsStatus
from agent.service.actions import Actions
from agent.service.current import Current
from agent.service.errors import Accepted, Blocked, BounceOutcome, MessageIdReused, RulesInForce
from agent.service.history import AuditRecords, HistoryMethods
from agent.service.keyring import KeyMethods
from agent.service.mailboxes import AccountMethods
from agent.service.outcomes import Listener, Outcomes
from agent.service.planning import make_plan
from agent.service.settings import SettingsMethods
from agent.service.stamps import StampMethods
from agent.service.worker import Worker
from agent.stamp import Stamper
from agent.tls_policy import TlsPolicies

log = logging.getLogger(__name__)


class Agent(KeyMethods, HistoryMethods, AccountMethods, SettingsMethods, StampMethods):
    def __init__(self, home: Path, config: Config, portal_token: str = "") -> None:
        self._home = home
        self.current = Current.of(config)
        # First: a key that is missing or different stops the agent before anything opens data.
        self.secrets = secret_store.open_store(
            home, secret_store.configured_backend(config.secrets.backend, config.locked)
        )
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
        self.outbox = Outbox(home)
        self.accepting: GroupCommit[Submission, str] = GroupCommit(self.outbox.accept_many, "outbox-accept")
        self.audit = AuditLog(home)
        self.audit_records = AuditRecords()
        # This agent's own portal credential (agent/portal_enrol.py), read once the keys are open.
        self.portal_credential = portal_token or portal_enrol.credential(home, config)
        portal = PortalClient(config.portal.url, lambda: self.portal_credential)
        protectors: dict[Method, Protector] = {
            Method.INTERNAL: PlainProtector(Method.INTERNAL),
            Method.TLS: PlainProtector(Method.TLS),
            Method.SMIME: SmimeProtector(self.smime),
            Method.PGP: PgpProtector(self.pgp),
            Method.PORTAL: PortalProtector(portal, config.organization.name, config.portal.expiry_days),
            Method.KEPT: PlainProtector(Method.KEPT),
        }
        self.accounts = Accounts(
            home, config.accounts, on_signed_in=self._signed_in, on_needs_sign_in=self._needs_sign_in
        )
        self.transports = Transports(config, self.accounts)
        self.stamper = Stamper(home)
        self.outcomes = Outcomes(self.current, self.outbox, self.audit, lambda raw: self.submit(raw))
        direct = DirectDelivery(self.network, self.tls_policies, config.network.ca_file)
        self.worker = Worker(
            self.current, self.outbox, self.outcomes, protectors, self.transports, direct, self.stamper
        )
        self.actions = Actions(self.current, self.outbox, self.outcomes, self.worker, portal)
        self.portal_sync = PortalSync(
            lambda: self.current.config,
            self.outbox,
            self.outcomes,
            lambda raw: self.submit(raw),
            portal,
            home,
            self._enrolled,
        )
        self.pending_settings: dict[str, str] = {}  # saved from the tray, used after a restart
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- what it is configured as ------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The data directory it runs in."""
        return self._home

    @property
    def secrets_status(self) -> SecretsStatus:
        """Where its keys are kept (the OS keyring, or files: an explicit, visible state)."""
        return self.secrets

    @property
    def config(self) -> Config:
        return self.current.config

    @config.setter
    def config(self, config: Config) -> None:
        self.current.config = config

    @property
    def problems(self):
        return self.current.problems

    @property
    def offline_since(self) -> float | None:
        return self.worker.offline.since

    @property
    def audit_problem(self) -> str:
        return self.outcomes.audit_problem

    @property
    def relay(self) -> smtp.RelayConnections:
        return self.transports.relay

    def transport_for(self, sender: str) -> Transport:
        return self.transports.for_sender(sender)

    def rules_in_force(self) -> RulesInForce:
        """Where the rules the plans are made with come from, and whether managed policy set them."""
        return RulesInForce(self.rules.source, "policy.rules_file" in self.config.locked)

    def enrol_portal(self, url: str, code: str, name: str = "") -> dict[str, Any]:
        """Redeem an enrolment code at the portal `url`: the credential goes into this agent's
        secret store, used from the next start (agent/portal_enrol.py). Blocks (the portal is
        asked over the network); raises portal_enrol.EnrolFailed."""
        return portal_enrol.enrol(self.home, url, code, name)

    def reconfigure(self, config: Config) -> None:
        """New relay settings take effect for the next copy (sessions to the old relay closed)."""
        self.current.replace(config)
        old = self.transports.reconfigure(config)
        self.worker.offline.relay_replaced(old, self.transports.relay)

    def _enrolled(self, credential: str) -> None:
        self.portal_credential = credential

    # --- deciding ------------------------------------------------------------------------
    def plan(self, raw: bytes, envelope_recipients: list[str] | None = None) -> tuple[intake_mod.Intake, Plan]:
        return make_plan(
            raw,
            self.config,
            self.rules,
            self.pgp,
            envelope_recipients,
            self.smime,
            self.discovery,
            self.tls_policies,
            self.problems,
        )

    async def check(self, raw: bytes) -> Plan:
        return (await asyncio.to_thread(self.plan, raw))[1]

    async def submit(
        self,
        raw: bytes,
        envelope_recipients: list[str] | None = None,
        callback_url: str = "",
        planned: tuple[intake_mod.Intake, Plan] | None = None,
    ) -> Accepted:
        """Raises intake.BadMessage, Blocked, MessageIdReused, webhooks.BadCallback,
        outbox.StorageUnavailable. `planned`: what `plan(raw)` gave a caller that already
        asked (a compose draft is planned once, and what it was told is what is stored)."""
        if callback_url:
            webhooks.validate_url(callback_url)
        message, plan = planned or await asyncio.to_thread(self.plan, raw, envelope_recipients)
        verdict = plan.verdict
        common = {
            "message_id": message.message_id,
            "sender": plan.sender,
            "recipients": [r.address for r in plan.recipients],
            "findings": verdict.finding_counts(),
            "rule": verdict.rule,
        }
        if verdict.action is Action.BLOCK:
            self.outcomes.record("blocked", action="block", reason=verdict.reason, **common)
            raise Blocked(plan)
        held = verdict.reason if verdict.action is Action.HOLD else ""
        # The raw bytes are stored as submitted (Message-ID and Date filled in) so a resumed
        # message is protected from exactly what was accepted.
        callback = (callback_url, secrets.token_hex(32)) if callback_url else None
        stored = message.stored or message.message.as_bytes()  # written once, at intake
        digest = intake_mod.content_digest(stored, [r.address for r in plan.recipients])
        subject = str(message.message.get("Subject", ""))
        submission = Submission(stored, message.message_id, plan, held, callback, subject, digest)
        # Shielded: a caller that goes away while its message is being committed must not
        # leave it stored without its "accepted" record and without waking the worker.
        return await asyncio.shield(self._accept(submission, common))

    async def _accept(self, submission: Submission, common: dict[str, Any]) -> Accepted:
        """Store durably — one commit shared with the submissions that arrive meanwhile
        (agent/outbox/group_commit.py) — then record and wake the worker."""
        plan, held, callback = submission.plan, submission.held_reason, submission.callback
        verdict = plan.verdict
        try:
            ident = await self.accepting.submit(submission)
        except Duplicate as known:
            return self._submitted_again(known, submission.digest, submission.message_id, plan)
        methods = {r.address: str(r.method) for r in plan.recipients}
        self.outcomes.record("accepted", message=ident, method=methods, action=str(verdict.action), **common)
        if held:
            self.outcomes.record("held", message=ident, reason=held, rule=verdict.rule, state="held")
        self.outcomes.changed(ident)
        self.worker.wake()
        if self.offline_since is not None:
            self.worker.offline.look_now()  # someone is sending: look for the network now
        return Accepted(
            ident, State.HELD if held else State.QUEUED, plan, callback_secret=callback[1] if callback else ""
        )

    def _submitted_again(self, known: Duplicate, digest: str, message_id: str, plan: Plan) -> Accepted:
        row = self.outbox.get(known.ident)
        # Same Message-ID and sender: the same message again (a client that lost our answer)
        # only if the content is the same too; a message accepted before digests were
        # kept is digested from what the outbox holds.
        same = known.same
        if same is None:
            same = digest == intake_mod.content_digest(
                self.outbox.raw(known.ident), [r.address for r in row.recipients]
            )
        if not same:
            log.warning("message %s: its Message-ID was reused by a different message; that one refused", known.ident)
            raise MessageIdReused(message_id, known.ident) from None
        log.info("message %s submitted again (same Message-ID): nothing new queued", known.ident)
        # The caller lost our first answer: it gets the same id and webhook secret again.
        registered = self.outbox.callback(known.ident)
        return Accepted(
            known.ident, row.state, plan, duplicate=True, callback_secret=registered[1] if registered else ""
        )

    def record_stamp(self, verdict: str, sender: str, recipients: list[str], client: str, plan: Plan) -> None:
        """A message the client sends itself, with our stamp: who, to whom, why it was allowed."""
        self.outcomes.record(
            "stamped",
            verdict=verdict,
            sender=sender,
            recipients=recipients,
            client=client,
            method={r.address: str(r.method) for r in plan.recipients},
            findings=plan.verdict.finding_counts(),
            rule=plan.verdict.rule,
        )

    # --- the outbox, read ------------------------------------------------------------------
    def message(self, ident: str) -> MessageRow | None:
        return self.outbox.get(ident)

    def messages(self, limit: int = 500) -> list[MessageRow]:
        return self.outbox.list(limit)

    def counts(self) -> dict[str, int]:
        return self.outbox.counts()

    # --- a person acting on one message --------------------------------------------------
    def retry_now(self, ident: str) -> int:
        return self.actions.retry_now(ident)

    def release(self, ident: str, note: str) -> int:
        return self.actions.release(ident, note)

    def send_via_portal(self, ident: str) -> int:
        return self.actions.send_via_portal(ident)

    async def revoke(self, ident: str) -> int:
        return await self.actions.revoke(ident)

    async def apply_bounce(self, raw: bytes) -> BounceOutcome:
        return await self.actions.apply_bounce(raw)

    # --- events --------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.outcomes.subscribe(listener)

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
            self.outcomes.record(
                "signed_in",
                sender=account.address,
                method=account.provider,
                detail=f"{resumed} recipient(s) waiting are due now",
            )
            self.outcomes.broadcast(
                {"type": "account", "address": account.address, "provider": account.provider, "state": "ready"}
            )
            self.worker.wake()

        self._threadsafe(resume)

    def _needs_sign_in(self, account: Account) -> None:
        def tell() -> None:
            self.outcomes.record(
                "account_needs_sign_in", sender=account.address, method=account.provider, reason=account.reason
            )
            self.outcomes.broadcast(
                {
                    "type": "account",
                    "address": account.address,
                    "provider": account.provider,
                    "state": "needs_sign_in",
                    "reason": account.reason,
                }
            )
            self.outcomes.broadcast(
                {
                    "type": "notice",
                    "level": "warning",
                    "text": f"Sign in to {account.address} again: mail from it waits until you do ({account.reason})",
                }
            )

        self._threadsafe(tell)

    # --- running ---------------------------------------------------------------------------
    async def run(self) -> None:
        """The worker and portal sync, until cancelled."""
        self._loop = asyncio.get_running_loop()
        sync = asyncio.create_task(self.portal_sync.run())
        # The detectors' scanner is compiled once per process (a Hyperscan database: a third of
        # a second, seconds on a loaded machine): now, beside the worker, not inside the first Send.
        warm = asyncio.create_task(asyncio.to_thread(policy_scanner.scanner))
        try:
            await self.worker.run()
        finally:
            sync.cancel()
            await asyncio.gather(sync, warm, return_exceptions=True)

    def close(self) -> None:
        self.transports.close()
        self.accepting.close()
        self.audit.close()
        self.outbox.close()
        self.pgp.close()
