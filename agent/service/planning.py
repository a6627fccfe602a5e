"""Planning: parse, inspect, route. A plan decides, per recipient, how a message must travel
and whether policy lets it go; it touches no state (`check` answers from it, `submit` stores
what it decided)."""

from __future__ import annotations

import time
from dataclasses import replace

from agent import intake as intake_mod
from agent import readiness
from agent.config import Config
from agent.keys.discovery import Discovery
from agent.keys.pgp_store import PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Method, Plan, RecipientPlan, Verdict
from agent.policy.inspect import Inspection, inspect_message
from agent.policy.rules import Facts, RuleSet
from agent.protect.entity import PORTAL_REPLY
from agent.routing import route, route_reply
from agent.tls_policy import TlsPolicies

KEY_WARN_DAYS = 30


def own_key_warnings(
    sender: str, recipients: tuple[RecipientPlan, ...], pgp: PgpStore, smime: SmimeStore | None
) -> list[str]:
    """Before the sender's own key or certificate lapses, every plan that uses it says so."""
    soon = time.time() + KEY_WARN_DAYS * 86400
    out = []
    methods = {r.method for r in recipients}
    if Method.PGP in methods:
        own, _ = pgp.find(sender, secret=True)
        if own and own.expires and own.expires < soon:
            out.append(
                f"your own OpenPGP key expires on {time.strftime('%Y-%m-%d', time.gmtime(own.expires))}: "
                "create a new one (Keys) and send partners its public part"
            )
    if Method.SMIME in methods and smime is not None:
        identity = smime.identity(sender)
        if identity and identity.cert.not_valid_after_utc.timestamp() < soon:
            out.append(
                f"your S/MIME certificate expires on {identity.cert.not_valid_after_utc:%Y-%m-%d}: ask for a "
                "new one and import it (Keys)"
            )
    return out


def facts(message: intake_mod.Intake, config: Config, inspection: Inspection) -> Facts:
    """What the rules see besides the findings — the sender, who is outside and inside the
    organization (To, Cc, Bcc and the envelope, as intake found them), the attachments' kinds:
    one builder, for the agent's plans and for `postseal policy test`."""
    return Facts(
        message.sender,
        tuple(a for a in message.recipients if not config.is_internal(a)),
        tuple(a for a in message.recipients if config.is_internal(a)),
        frozenset(kind for _, kind in inspection.attachments),
    )


def make_plan(
    raw: bytes,
    config: Config,
    rules: RuleSet,
    pgp: PgpStore,
    envelope_recipients: list[str] | None = None,
    smime: SmimeStore | None = None,
    discovery: Discovery | None = None,
    tls: TlsPolicies | None = None,
    problems: tuple[readiness.Problem, ...] | None = None,
) -> tuple[intake_mod.Intake, Plan]:
    """Parse, inspect and route; raises intake.BadMessage. Touches no state. `problems`: the
    set-up's readiness problems when the caller already found them (the Agent does, once)."""
    message = intake_mod.parse(raw, envelope_recipients)
    inspection = inspect_message(message.message)
    verdict: Verdict = rules.evaluate(list(inspection.findings), facts(message, config, inspection))
    if message.message.get(PORTAL_REPLY):  # a patient's secure reply (portal_sync.py)
        recipients = tuple(
            route_reply(a, message.sender, config, smime) or route(a, verdict, config, pgp, smime, discovery, tls)
            for a in message.recipients
        )
    else:
        recipients = tuple(route(a, verdict, config, pgp, smime, discovery, tls) for a in message.recipients)
    verdict = replace(verdict, warnings=(*verdict.warnings, *own_key_warnings(message.sender, recipients, pgp, smime)))
    verdict = readiness.apply(verdict, readiness.problems(config) if problems is None else problems, recipients)
    return message, Plan(message.sender, verdict, recipients)
