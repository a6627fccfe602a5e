"""The local API's keys: OpenPGP keys and S/MIME certificates listed, imported, exported,
deleted; the user's own OpenPGP key generated and renewed."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from agent import client_json
from agent.ingress.api.door import AGENT
from agent.ingress.envelope import error
from agent.intake import valid_address
from agent.keys.pgp_store import NeedsPassphrase, NotYourKey, PgpError, RevokedKey
from agent.keys.smime_store import SmimeError
from agent.service.errors import OwnKey, UnknownKey


async def keys(request: web.Request) -> web.Response:
    listed = await asyncio.to_thread(request.app[AGENT].list_keys)
    return web.json_response({"keys": listed.to_json()})


async def delete_key(request: web.Request) -> web.Response:
    fingerprint = request.match_info["fingerprint"].upper()
    try:
        await asyncio.to_thread(request.app[AGENT].delete_key, fingerprint)
    except UnknownKey as exc:
        return error(404, "not_found", str(exc))
    except OwnKey as exc:
        return error(409, "own_key", str(exc))
    return web.json_response({"deleted": fingerprint})


async def renew_key(request: web.Request) -> web.Response:
    """Two more years for the user's own OpenPGP key (its subkeys too), from today."""
    fingerprint = request.match_info["fingerprint"].upper()
    try:
        expires = await asyncio.to_thread(request.app[AGENT].renew_key, fingerprint)
    except NotYourKey as exc:
        return error(404, "not_found", str(exc))
    except RevokedKey as exc:
        return error(409, "revoked", str(exc))
    except PgpError as exc:
        return error(500, "gpg_failed", str(exc))
    return web.json_response({"fingerprint": fingerprint, "expires": expires})


async def generate_key(request: web.Request) -> web.Response:
    usage = 'send JSON {"email": "you@clinic.example", "name": "Your Name"}'
    try:
        body = client_json.loads(await request.read(), "the request")
        email, name = str(body["email"]), str(body.get("name", ""))
    except client_json.BadJson as exc:
        return error(400, "bad_request", f"{exc}; {usage}")
    except (KeyError, TypeError, AttributeError):
        return error(400, "bad_request", usage)
    if not valid_address(email):
        return error(400, "bad_request", f"email: {email!r} is not an e-mail address")
    # gpg reads the name from a parameter file, one setting a line: a line break would add settings.
    if not name.isprintable():
        return error(400, "bad_request", "name: must be one line of printable text")
    try:
        fingerprint = await asyncio.to_thread(request.app[AGENT].generate_key, email, name)
    except PgpError as exc:
        return error(500, "gpg_failed", str(exc))
    return web.json_response({"fingerprint": fingerprint}, status=201)


_FINGERPRINT = re.compile(r"(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})")


async def public_key(request: web.Request) -> web.Response:
    """`who` is an address or a fingerprint, nothing else: it reaches a gpg command line."""
    if not (_FINGERPRINT.fullmatch(request.match_info["who"]) or valid_address(request.match_info["who"])):
        return error(
            400,
            "bad_request",
            f"keys/{{who}}/public: {request.match_info['who'][:80]!r} is neither "
            "an e-mail address nor a key fingerprint (16, 40 or 64 hex digits)",
        )
    try:
        armored = await asyncio.to_thread(request.app[AGENT].public_key, request.match_info["who"])
    except UnknownKey as exc:
        return error(404, "not_found", str(exc))
    return web.Response(text=armored, content_type="text/plain")


async def import_key(request: web.Request) -> web.Response:
    """An OpenPGP key, an X.509 certificate, a PKCS#12 identity (password in
    X-Postseal-Password), or a received signed message to harvest certificates from."""
    data = await request.read()
    password = request.headers.get("X-Postseal-Password")
    try:
        result = await asyncio.to_thread(
            request.app[AGENT].import_key, data, password.encode() if password is not None else None
        )
    except NeedsPassphrase as exc:  # the tray asks for it and sends the key again
        return error(400, "needs_passphrase", str(exc))
    except (PgpError, SmimeError) as exc:
        return error(400, "bad_key", str(exc))
    return web.json_response({"imported": list(result.fingerprints), "kind": result.kind}, status=201)
