"""The local API (DESIGN.md "Local API", the OpenAPI document in ingress/openapi.py): one
route table over handlers grouped by concern — door.py (the checks every request passes),
messages.py, drafts.py, history.py, keys.py, settings.py, and ingress/accounts_api.py."""

from __future__ import annotations

from aiohttp import web

from agent.ingress import accounts_api
from agent.ingress.api import drafts, history, keys, messages, settings
from agent.ingress.api.door import AGENT, HOSTS, ORIGINS, SMTP_PORT, STREAMS, TOKEN, guard, internal_error
from agent.ingress.api.drafts import answer_draft
from agent.intake import MAX_MESSAGE_BYTES
from agent.service.agent import Agent

__all__ = ["AGENT", "SMTP_PORT", "allow_port", "answer_draft", "create_app", "internal_error"]

ROUTES = (
    ("GET", "/v1/health", messages.health),
    ("GET", "/v1/openapi.json", messages.openapi),
    ("POST", "/v1/check", messages.check),
    ("POST", "/v1/messages", messages.submit),
    ("GET", "/v1/messages/{id}", messages.message),
    ("POST", "/v1/messages/{id}/retry", messages.retry),
    ("POST", "/v1/messages/{id}/release", messages.release),
    ("POST", "/v1/messages/{id}/portal", messages.via_portal),
    ("POST", "/v1/messages/{id}/revoke", messages.revoke),
    ("POST", "/v1/bounces", messages.bounce),
    ("GET", "/v1/outbox", messages.outbox),
    ("GET", "/v1/outbox/summary", messages.outbox_summary),
    ("POST", "/v1/compose", drafts.compose_send),
    ("POST", "/v1/compose/check", drafts.compose_check),
    ("POST", "/v1/stamps/verify", drafts.stamp_verify),
    ("GET", "/v1/stamps/key", drafts.stamp_key),
    ("GET", "/v1/ingress/credentials", drafts.ingress_credentials),
    ("GET", "/v1/config", settings.config_view),
    ("PATCH", "/v1/config", settings.update_config),
    ("GET", "/v1/policy/rules", settings.rules),
    ("POST", "/v1/portal/enrolment", settings.enrol_portal),
    ("GET", "/v1/events", settings.events),
    ("GET", "/v1/audit", history.audit),
    ("GET", "/v1/audit/verify", history.audit_verify),
    ("GET", "/v1/audit/export", history.audit_export),
    ("GET", "/v1/replies", history.secure_replies),
    ("GET", "/v1/replies/{id}", history.secure_reply),
    ("GET", "/v1/keys", keys.keys),
    ("POST", "/v1/keys", keys.import_key),
    ("POST", "/v1/keys/generate", keys.generate_key),
    ("POST", "/v1/keys/{fingerprint}/renew", keys.renew_key),
    ("GET", "/v1/keys/{who}/public", keys.public_key),
    ("DELETE", "/v1/keys/{fingerprint}", keys.delete_key),
)


def create_app(agent: Agent, token: str, origins: set[str]) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=MAX_MESSAGE_BYTES + 1)
    app[AGENT] = agent
    app[TOKEN] = token
    app[HOSTS] = set()  # filled in once the port is known (see allow_port)
    app[ORIGINS] = set(origins)
    app[STREAMS] = set()
    app[SMTP_PORT] = [0]
    app.on_shutdown.append(settings.end_streams)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    accounts_api.add_routes(app)
    return app


def allow_port(app: web.Application, port: int) -> None:
    """Accept exactly the loopback names of the port we listen on."""
    app[HOSTS].update({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})
    app[ORIGINS].update({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})
