"""Microsoft 365 sign-in with msal: a public client, the authorization code flow with PKCE in
the system browser and a loopback redirect, the device code flow where there is no browser.

msal adds PKCE (S256), the nonce check of the ID token and the refresh itself; the whole
msal token cache (refresh token included) is what the vault keeps, per account.
Scopes: Graph `Mail.Send` (plus `Mail.ReadWrite` for drafts past Graph's 4 MB request limit,
when IT allows it), or `SMTP.Send` for XOAUTH2 submission; msal adds openid, profile and
offline_access itself.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from agent.accounts import http
from agent.accounts.errors import NeedsSignIn, ProviderUnreachable, SignInError
from agent.config import AccountsConfig

log = logging.getLogger(__name__)
# msal suggests response_mode=form_post; a native app's loopback redirect carries the code in
# the query (RFC 8252 §7.3), and PKCE makes an intercepted code useless without the verifier.
warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended", category=UserWarning)

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# AADSTS codes that mean "the saved sign-in is gone", not "try later" (Microsoft identity
# platform error codes: invalid_grant / interaction_required and their AADSTS numbers).
_SIGN_IN_AGAIN = ("invalid_grant", "interaction_required", "consent_required", "login_required")


@dataclass
class Pending:
    flow: dict[str, Any]
    cache: msal.SerializableTokenCache
    app: msal.PublicClientApplication


def scopes(config: AccountsConfig) -> list[str]:
    if config.transport == "smtp":
        return ["https://outlook.office.com/SMTP.Send"]
    out = ["https://graph.microsoft.com/Mail.Send"]
    if config.microsoft_large_messages:
        out.append("https://graph.microsoft.com/Mail.ReadWrite")
    return out


def _app(config: AccountsConfig, cache: msal.SerializableTokenCache) -> msal.PublicClientApplication:
    if not config.microsoft_client_id:
        raise SignInError(
            'Microsoft sign-in is not set up: IT must set accounts.microsoft_client_id (README, "Sign in once")'
        )
    authority = f"{config.microsoft_authority.rstrip('/')}/{config.microsoft_tenant}"
    known = urlsplit(config.microsoft_authority).hostname in ("login.microsoftonline.com",)
    try:
        return msal.PublicClientApplication(
            config.microsoft_client_id,
            authority=authority,
            token_cache=cache,
            http_client=http.session(config.ca_file),
            instance_discovery=known,
        )
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(
            f"cannot reach Microsoft sign-in at {config.microsoft_authority} "
            f"({type(exc).__name__}): check the network, then try again"
        ) from None
    except ValueError as exc:  # msal: tenant discovery failed (unknown tenant, bad authority)
        raise SignInError(f"Microsoft sign-in refused the organization {config.microsoft_tenant!r}: {exc}") from None


def begin(config: AccountsConfig, redirect_uri: str) -> tuple[Pending, str]:
    """The flow to finish later, and the URL to open in the browser."""
    cache = msal.SerializableTokenCache()
    app = _app(config, cache)
    flow = app.initiate_auth_code_flow(scopes(config), redirect_uri=redirect_uri, prompt="select_account")
    return Pending(flow, cache, app), flow["auth_uri"]


def begin_device(config: AccountsConfig) -> tuple[Pending, dict[str, Any]]:
    cache = msal.SerializableTokenCache()
    app = _app(config, cache)
    try:
        flow = app.initiate_device_flow(scopes(config))
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(f"cannot reach Microsoft sign-in ({type(exc).__name__}): check the network") from None
    if "user_code" not in flow:
        raise SignInError(f"Microsoft refused the device sign-in: {_describe(flow)}")
    return Pending(flow, cache, app), flow


def _describe(result: dict[str, Any]) -> str:
    text = str(result.get("error_description") or result.get("error") or "no reason given")
    return text.splitlines()[0][:300]


def _account_of(config: AccountsConfig, result: dict[str, Any], pending: Pending) -> tuple[str, str]:
    if "access_token" not in result:
        if result.get("error") == "access_denied":
            raise SignInError(
                "the sign-in was declined in the browser; sign in again and accept "
                "Postseal's request to send mail as you"
            )
        raise SignInError(f"Microsoft did not sign you in: {_describe(result)}")
    claims = result.get("id_token_claims") or {}
    tenant = str(claims.get("tid", ""))
    if GUID.match(config.microsoft_tenant) and tenant.lower() != config.microsoft_tenant.lower():
        raise SignInError(
            f"this account belongs to another organization (tenant {tenant or 'unknown'}), "
            "not your clinic's: sign in with your clinic account"
        )
    address = str(claims.get("preferred_username") or claims.get("email") or "").lower()
    if "@" not in address:
        raise SignInError("Microsoft did not say which mailbox this is (no preferred_username in the ID token)")
    return address, pending.cache.serialize()


def finish(config: AccountsConfig, pending: Pending, params: dict[str, str]) -> tuple[str, str]:
    """(address, vault secret) once the browser came back with `params`."""
    try:
        result = pending.app.acquire_token_by_auth_code_flow(pending.flow, params, scopes=scopes(config))
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(f"cannot reach Microsoft sign-in ({type(exc).__name__}): check the network") from None
    except ValueError as exc:  # msal: state mismatch and the like
        raise SignInError(f"the browser came back with an answer that does not fit this sign-in ({exc})") from None
    return _account_of(config, result, pending)


def finish_device(config: AccountsConfig, pending: Pending, stop) -> tuple[str, str]:
    try:
        result = pending.app.acquire_token_by_device_flow(pending.flow, exit_condition=lambda flow: stop())
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(f"cannot reach Microsoft sign-in ({type(exc).__name__}): check the network") from None
    if result.get("error") == "authorization_pending" or stop():
        raise SignInError("the device sign-in was not completed in time; start it again")
    return _account_of(config, result, pending)


def access_token(config: AccountsConfig, address: str, secret: str, force: bool = False) -> tuple[str, str | None]:
    """A current access token (refreshed silently when due) and the cache to keep, if it changed."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(secret)
    app = _app(config, cache)
    accounts = app.get_accounts(username=address)
    if not accounts:
        raise NeedsSignIn(address, "the saved sign-in is missing")
    try:
        result = app.acquire_token_silent_with_error(scopes(config), account=accounts[0], force_refresh=force)
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(f"cannot reach Microsoft sign-in ({type(exc).__name__})") from None
    if not result:
        raise NeedsSignIn(address, "the saved sign-in has expired")
    if "access_token" not in result:
        if result.get("error") in _SIGN_IN_AGAIN:
            raise NeedsSignIn(address, _describe(result))
        raise ProviderUnreachable(f"Microsoft sign-in answered: {_describe(result)}")
    return result["access_token"], cache.serialize() if cache.has_state_changed else None
