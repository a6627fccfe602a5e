"""The local API's account routes: which mailboxes are signed in, and signing in.

    GET    /v1/accounts                  the accounts, their state, and which providers IT set up
    POST   /v1/accounts/sign-in          {"provider": "microsoft"|"google", "device_code": false}
                                         → 202 with the URL to open (or the code to type) and an id
    GET    /v1/accounts/sign-in/{id}     waiting | signed_in | failed (with why) | cancelled
    DELETE /v1/accounts/sign-in/{id}     cancel a sign-in that is waiting
    DELETE /v1/accounts/{address}        sign out: the account and its tokens are removed

The tray and `postseal accounts add` open the URL in the user's browser; the agent itself
never does (it may run without the user's session).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from agent import client_json
from agent.accounts import NoKeyring, ProviderUnreachable, SignInError
from agent.ingress.api.door import AGENT
from agent.ingress.envelope import error
from agent.service.agent import Agent


def _agent(request: web.Request) -> Agent:
    return request.app[AGENT]


async def list_accounts(request: web.Request) -> web.Response:
    found = _agent(request).mailboxes()
    return web.json_response(
        {
            "accounts": [
                {"provider": a.provider, "address": a.address, "state": a.state, "reason": a.reason, "added": a.added}
                for a in found.accounts
            ],
            "providers": found.providers,
            "transport": found.transport,
        }
    )


async def start_sign_in(request: web.Request) -> web.Response:
    try:
        body = client_json.loads(await request.read() or b"{}", "the request")
    except client_json.BadJson as exc:
        return error(400, "bad_request", f'{exc}; the body must be JSON: {{"provider": "microsoft" | "google"}}')
    if not isinstance(body, dict) or not isinstance(body.get("provider"), str):
        return error(400, "bad_request", 'say which provider: {"provider": "microsoft" | "google"}')
    try:
        attempt = await asyncio.to_thread(
            _agent(request).start_sign_in, body["provider"], bool(body.get("device_code"))
        )
    except NoKeyring as exc:
        return error(409, "no_keyring", str(exc))
    except ProviderUnreachable as exc:
        return error(503, "provider_unreachable", str(exc))
    except SignInError as exc:
        return error(400, "sign_in", str(exc))
    return web.json_response(attempt.to_json(), status=202)


async def sign_in_status(request: web.Request) -> web.Response:
    attempt = _agent(request).sign_in_status(request.match_info["id"])
    if attempt is None:
        return error(404, "unknown_sign_in", "no such sign-in (the agent may have restarted): start it again")
    return web.json_response(attempt.to_json())


async def cancel_sign_in(request: web.Request) -> web.Response:
    _agent(request).cancel_sign_in(request.match_info["id"])
    return web.json_response({"cancelled": request.match_info["id"]})


async def remove_account(request: web.Request) -> web.Response:
    address = request.match_info["address"]
    if not _agent(request).sign_out(address):
        return error(404, "unknown_account", f"{address} is not signed in")
    return web.json_response({"removed": address})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/accounts", list_accounts)
    app.router.add_post("/v1/accounts/sign-in", start_sign_in)
    app.router.add_get("/v1/accounts/sign-in/{id}", sign_in_status)
    app.router.add_delete("/v1/accounts/sign-in/{id}", cancel_sign_in)
    app.router.add_delete("/v1/accounts/{address}", remove_account)
