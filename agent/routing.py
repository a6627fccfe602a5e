"""Method choice per recipient: the first that applies, in DESIGN.md's order.

1. internal domain → as-is over the org relay
2. S/MIME certificate known and valid (chain, dates, usage, address, revocation) → S/MIME
3. OpenPGP key known and valid, or discovered (WKD, then the configured keyserver) → PGP/MIME
4. domain has verified TLS (tls.required_domains, MTA-STS enforce, DANE) and policy allows
   TLS-only for this content → TLS
5. otherwise → secure portal

Every stronger method that was considered and not used is written into the plan with its
reason ("key 1A2B… expired on 2026-01-04"), so a sender and an auditor can see why. Beside
that technical reason each plan carries `says`, the one sentence a clinician reads
(agent/plain_words.py): it is chosen here, where the why is known, never guessed later from
the reason's text.
"""

from __future__ import annotations

from agent.config import Config
from agent.keys.discovery import Discovery
from agent.keys.pgp_store import PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Method, RecipientPlan, Verdict
from agent.plain_words import Why, says
from agent.tls_policy import TlsPolicies, required_by_config


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def route(
    address: str,
    verdict: Verdict,
    config: Config,
    pgp: PgpStore,
    smime: SmimeStore | None = None,
    discovery: Discovery | None = None,
    tls: TlsPolicies | None = None,
) -> RecipientPlan:
    if config.is_internal(address):
        return RecipientPlan(
            address,
            Method.INTERNAL,
            "internal domain: delivered over the organization's relay",
            says=says(Method.INTERNAL),
        )
    skipped: list[str] = []
    if verdict.portal_only:
        rule = next((name for name, action in verdict.matched if action == "portal_only"), verdict.rule)
        return RecipientPlan(
            address,
            Method.PORTAL,
            f"policy rule {rule}: secure portal only",
            "",
            ("smime, pgp, tls: not considered (portal only)",),
            says(Method.PORTAL, Why.PORTAL_ONLY),
        )
    if smime is not None:
        cert, problems = smime.find(address)
        if cert is not None:
            return RecipientPlan(
                address,
                Method.SMIME,
                f"S/MIME certificate on file ({cert.note})",
                cert.fingerprint,
                tuple(skipped),
                says(Method.SMIME),
            )
        skipped.append("smime: " + ("; ".join(problems) if problems else "no certificate for this address"))
    key, problems = pgp.find(address)
    if key is not None:
        return RecipientPlan(
            address, Method.PGP, "OpenPGP key on file", key.fingerprint, tuple(skipped), says(Method.PGP)
        )
    if discovery is not None and discovery.enabled:
        found, notes = discovery.discover(address)
        if found:
            return RecipientPlan(
                address,
                Method.PGP,
                f"OpenPGP key found by {notes[0]}",
                found,
                tuple(skipped),
                says(Method.PGP, Why.DISCOVERED),
            )
        problems = [*problems, *(f"lookup: {n}" for n in notes)]
    skipped.append("pgp: " + ("; ".join(problems) if problems else "no key for this address"))
    domain = domain_of(address)
    requirement = tls.requirement(domain) if tls is not None else required_by_config(config.tls, domain)
    portal_why = Why.PLAIN
    if requirement.verified:
        if verdict.tls_allowed:
            why = Why.REQUIRED_PARTNER if requirement.kind == "required_domains" else Why.SERVER_REQUIRES
            return RecipientPlan(address, Method.TLS, requirement.detail, "", tuple(skipped), says(Method.TLS, why))
        skipped.append(f"tls: policy rule forbids TLS-only for this content ({verdict.rule})")
        portal_why = Why.END_TO_END
    else:
        skipped.append(
            "tls: domain is not known to enforce verified TLS"
            + (f" ({'; '.join(requirement.why_not)})" if requirement.why_not else "")
        )
    return RecipientPlan(
        address,
        Method.PORTAL,
        "no key on file: secure portal link with the key in the link",
        "",
        tuple(skipped),
        says(Method.PORTAL, portal_why),
    )


def route_reply(address: str, sender: str, config: Config, smime: SmimeStore | None) -> RecipientPlan | None:
    """A secure reply from the portal to the clinician who sent the message: encrypted to their
    own S/MIME certificate (Outlook, Apple Mail and Gmail with S/MIME open it), else kept in
    the agent and read in the tray's "Secure replies" (and put in their own Inbox when they are
    signed in to Microsoft 365 or Google: Pipeline._keep). None for anyone else: normal routing.

    Not OpenPGP, although the clinician may have a key: the key Postseal made for them lives
    in the agent, and the replies it encrypted arrived as mail that Outlook and Gmail cannot
    open. Not plain mail over the clinic's relay either: the patient's words would cross mail
    servers in clear. Put through the provider's API, they go over its TLS straight into the
    clinician's own mailbox, where the clinic's mail already lives, and are sent nowhere."""
    if address.lower() != sender.lower() or not config.is_internal(address):
        return None
    skipped: list[str] = []
    if smime is not None:
        cert, problems = smime.find(address)
        if cert is not None:
            return RecipientPlan(
                address,
                Method.SMIME,
                "secure portal reply: encrypted to your S/MIME certificate",
                cert.fingerprint,
                says=says(Method.SMIME, Why.OWN_REPLY),
            )
        skipped.append("smime: " + ("; ".join(problems) if problems else "no certificate of your own"))
    return RecipientPlan(
        address,
        Method.KEPT,
        "secure portal reply: kept in Postseal under Secure replies, and "
        "put in your Inbox when you are signed in to Microsoft 365 or "
        "Google (or import your S/MIME certificate)",
        "",
        tuple(skipped),
        says(Method.KEPT, Why.OWN_REPLY),
    )
