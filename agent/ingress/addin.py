"""The add-in origin: the Outlook add-in's pages and its door to the agent, over HTTPS.

Outlook loads an add-in's pages from the URLs in its manifest, and Office webviews insist on
HTTPS with a certificate the system trusts. The agent serves the add-in itself at
https://localhost:<ingress.addin_port>/addin/ with a certificate from its per-install CA
(local_tls.py), so the pages and the agent share one origin:

- the pages call `/addin/v1/compose` and `/addin/v1/check` same-origin — no CORS needed,
  and none is granted to anyone else: no `Access-Control-Allow-Origin` is ever sent for a
  foreign origin, and a request carrying a foreign `Origin` is refused (403);
- each call carries `X-Postseal-Pairing`, a pairing token the agent writes into each HTML
  page it serves (`__POSTSEAL_PAIRING__`). Another web page can frame or link our pages but
  cannot read them (same-origin policy), so it cannot learn a token;
  `GET /addin/v1/pairing` (for the classic-Windows JavaScript runtime, which has no page)
  answers only same-origin requests, by `Sec-Fetch-Site` and `Origin`. Tokens are not a
  standing secret (pairing.py): each is fresh, lapses after hours, is derived from a key the
  agent makes at each start and never writes down, and on Linux is bound to the process that
  fetched it, so a token copied out of a page (a cache, a log, a screenshot) is of no use to
  any other program, nor after a restart;
- `Host` must be localhost/127.0.0.1 on our port (DNS rebinding), and on Linux the
  connection must come from this user (peer.py);
- `/.well-known/microsoft-officeaddins-allowed.json` lists the event handler's script on this
  origin, as Office requires for fetches from event handlers (OfficeDev docs, autolaunch.md).

Chrome's Local Network Access: Outlook on the web is a public page; requests it makes to
loopback may prompt the user. Our pages are not requests *from* Outlook on the web: they
are frames whose own origin is https://localhost, and their fetches go to that same origin.
See addins/outlook/README.md for what Chrome does with the frame itself and the policy
(LocalNetworkAccessAllowedForUrls) IT sets so nobody is ever asked.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from pathlib import Path

from aiohttp import web

from agent.ingress import envelope, peer
from agent.ingress.api import answer_draft, internal_error
from agent.ingress.pairing import Pairing
from agent.service.agent import Agent

log = logging.getLogger(__name__)

AGENT = web.AppKey("addin_agent", Agent)
PAIRING = web.AppKey("pairing", Pairing)
ORIGINS = web.AppKey("addin_origins", set)
HOSTS = web.AppKey("addin_hosts", set)
OWN_ORIGIN = web.AppKey("addin_own_origin", str)
FILES = web.AppKey("addin_files", Path)
PLACEHOLDER = "__POSTSEAL_PAIRING__"
# Classic Outlook on Windows runs launchevent.js with no page, so it cannot use location.origin
# and falls back to DEFAULT_ORIGIN (web/config.mjs): served with this origin's own port, so a
# changed ingress.addin_port needs no rebuilt script (outlook_manifest.py writes the manifests).
DEFAULT_ORIGIN = re.compile(rb'(DEFAULT_ORIGIN = )"https://localhost:\d+"')
DEFAULT_FILES = Path(__file__).resolve().parents[2] / "addins" / "outlook" / "web"
OUTLOOK_FRAMES = (
    "https://outlook.office.com https://outlook.office365.com https://outlook.live.com "
    "https://*.outlook.com https://*.office.com https://*.office365.com"
)
CSP = (
    "default-src 'none'; script-src 'self' https://appsforoffice.microsoft.com; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    f"frame-ancestors 'self' {OUTLOOK_FRAMES}"
)


def _refuse(status: int, code: str, message: str) -> web.Response:
    return envelope.blocked(status, code, message, message)


@web.middleware
async def guard(request: web.Request, handler):
    app = request.app
    if request.headers.get("Host", "") not in app[HOSTS]:
        return _refuse(421, "bad_host", "this address is not the Postseal agent (DNS rebinding protection)")
    transport = request.transport
    if transport is not None and not peer.same_user(
        transport.get_extra_info("peername"), transport.get_extra_info("sockname")
    ):
        return _refuse(403, "other_user", "this Postseal agent belongs to another user of this computer")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in app[ORIGINS]:
        return _refuse(403, "bad_origin", f"pages from {origin} may not use the Postseal agent")
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _refuse(exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
    except Exception as exc:  # noqa: BLE001 - JSON, and a log line without content, for surprises
        response = internal_error(request, exc)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _caller(request: web.Request) -> str:
    """The program on the other end, where the OS says (peer.process); "" where it cannot."""
    transport = request.transport
    if transport is None:
        return ""
    return peer.process(transport.get_extra_info("peername"), transport.get_extra_info("sockname")) or ""


def _paired(request: web.Request) -> bool:
    return request.app[PAIRING].valid(request.headers.get("X-Postseal-Pairing", ""), _caller(request))


async def _decide(request: web.Request, store: bool) -> web.Response:
    if not _paired(request):
        return _refuse(
            401,
            "not_paired",
            "the add-in's pairing token is missing, expired, from before the "
            "agent restarted or from another program: get a new one at "
            "/addin/v1/pairing (the add-in does so itself)",
        )
    return await answer_draft(request, request.app[AGENT], store)


async def compose(request: web.Request) -> web.Response:
    return await _decide(request, store=True)


async def check(request: web.Request) -> web.Response:
    return await _decide(request, store=False)


async def pairing(request: web.Request) -> web.Response:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return _refuse(403, "cross_site", "the pairing secret is only for the add-in's own pages")
    return web.json_response({"token": request.app[PAIRING].issue(_caller(request))})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "service": "postseal-addin"})


async def allowed_origins(request: web.Request) -> web.Response:
    # The file lists the add-in's JavaScript files, not origins: {"allowed": [URL of each JS
    # file]} (office-js-docs-pr, docs/develop/use-sso-in-event-based-activation.md).
    return web.json_response({"allowed": [f"{origin}/addin/launchevent.js" for origin in sorted(request.app[ORIGINS])]})


async def static(request: web.Request) -> web.StreamResponse:
    root = request.app[FILES]
    path = (root / request.match_info["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound(text="no such add-in file")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".mjs":
        kind = "text/javascript"
    data = path.read_bytes()
    headers = {"Content-Security-Policy": CSP}
    if path.suffix in (".js", ".mjs") and request.app[OWN_ORIGIN]:
        data = DEFAULT_ORIGIN.sub(lambda m: m.group(1) + f'"{request.app[OWN_ORIGIN]}"'.encode(), data)
    if path.suffix == ".html" and PLACEHOLDER.encode() in data:
        data = data.replace(PLACEHOLDER.encode(), request.app[PAIRING].issue(_caller(request)).encode())
    return web.Response(
        body=data, content_type=kind, charset="utf-8" if kind.startswith("text/") else None, headers=headers
    )


def create_app(agent: Agent, home: Path, port: int, files: Path | None = None) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=48 * 1024 * 1024)
    app[AGENT] = agent
    app[PAIRING] = Pairing()  # a new key at each start, in memory only
    app[FILES] = (files or DEFAULT_FILES).resolve()
    app[ORIGINS], app[HOSTS], app[OWN_ORIGIN] = set(), set(), ""
    if port:
        set_port(app, port)
    app.router.add_get("/.well-known/microsoft-officeaddins-allowed.json", allowed_origins)
    app.router.add_get("/addin/v1/health", health)
    app.router.add_get("/addin/v1/pairing", pairing)
    app.router.add_post("/addin/v1/compose", compose)
    app.router.add_post("/addin/v1/check", check)
    app.router.add_get("/addin/{path:.+}", static)
    return app


def set_port(app: web.Application, port: int) -> None:
    """The names this origin answers to, once the real port is known."""
    app[ORIGINS].update({f"https://localhost:{port}", f"https://127.0.0.1:{port}"})
    app[OWN_ORIGIN] = f"https://localhost:{port}"  # the manifests' name for it
    app[HOSTS].update({f"localhost:{port}", f"127.0.0.1:{port}"})
