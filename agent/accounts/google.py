"""Google Workspace sign-in: the installed-app OAuth flow with PKCE and a loopback redirect
(google-auth-oauthlib), and silent refresh with google-auth.

Google's device flow does not grant Gmail scopes, so a computer without a browser signs in
once from the tray on a computer that has one (README). Scopes: `gmail.send` (the Gmail
API) and `gmail.insert` (a secure portal reply put in the user's own Inbox, never sent:
delivery/gmail.py), or `https://mail.google.com/` for XOAUTH2 submission; `openid email` names
the mailbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from agent.accounts import http
from agent.accounts.errors import NeedsSignIn, ProviderUnreachable, SignInError
from agent.config import AccountsConfig

IDENTITY = ["openid", "https://www.googleapis.com/auth/userinfo.email"]


def scopes(config: AccountsConfig) -> list[str]:
    if config.transport == "smtp":
        return [*IDENTITY, "https://mail.google.com/"]
    return [*IDENTITY, "https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.insert"]


def _client(config: AccountsConfig) -> dict[str, Any]:
    if not config.google_client_id:
        raise SignInError(
            'Google sign-in is not set up: IT must set accounts.google_client_id (README, "Sign in once")'
        )
    return {
        "installed": {
            "client_id": config.google_client_id,
            "client_secret": config.google_client_secret,
            "auth_uri": config.google_auth_uri,
            "token_uri": config.google_token_uri,
            "redirect_uris": ["http://127.0.0.1"],
        }
    }


def begin(config: AccountsConfig, redirect_uri: str) -> tuple[Flow, str, str]:
    """The flow, the URL to open in the browser, and the state the redirect must carry."""
    flow = Flow.from_client_config(
        _client(config), scopes=scopes(config), redirect_uri=redirect_uri, autogenerate_code_verifier=True
    )
    # offline + consent: a refresh token, every time (Google sends one only on consent).
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return flow, url, state


def _email(id_token: str) -> str:
    # The ID token came straight from Google's token endpoint over verified TLS, so its
    # claims may be read without checking the signature (OpenID Connect Core §3.1.3.7).
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims.get("email", "")).lower()
    except (IndexError, ValueError, AttributeError):
        return ""


def finish(config: AccountsConfig, flow: Flow, params: dict[str, str]) -> tuple[str, str]:
    if "error" in params:
        if params["error"] == "access_denied":
            raise SignInError(
                "the sign-in was declined in the browser; sign in again and allow Postseal to send mail as you"
            )
        raise SignInError(f"Google did not sign you in: {params.get('error_description') or params['error']}")
    try:
        http.mount(flow.oauth2session, config.ca_file)
        token = flow.fetch_token(code=params.get("code", ""), timeout=30)
    except requests.exceptions.RequestException as exc:
        raise ProviderUnreachable(f"cannot reach Google sign-in ({type(exc).__name__}): check the network") from None
    except (OAuth2Error, Warning) as exc:
        raise SignInError(f"Google did not sign you in: {exc}") from None
    address = _email(str(token.get("id_token", "")))
    if "@" not in address:
        raise SignInError("Google did not say which mailbox this is (no email in the ID token)")
    if not token.get("refresh_token"):
        raise SignInError(
            "Google gave no refresh token; remove Postseal from your Google account's "
            "third-party access and sign in again"
        )
    return address, _secret(token["access_token"], token["refresh_token"], token.get("expires_at"))


def _secret(access: str, refresh: str, expires_at: float | None) -> str:
    return json.dumps({"access_token": access, "refresh_token": refresh, "expires_at": expires_at or 0})


def access_token(config: AccountsConfig, address: str, secret: str, force: bool = False) -> tuple[str, str | None]:
    saved = json.loads(secret)
    expiry = dt.datetime.fromtimestamp(float(saved.get("expires_at") or 0), dt.UTC).replace(tzinfo=None)
    # No scopes on refresh (RFC 6749 §6: then the ones granted at sign-in): a sign-in from before
    # Postseal asked for gmail.insert keeps sending instead of failing with invalid_scope; only
    # putting replies in the Inbox waits for the next sign-in (delivery/gmail.py).
    creds = Credentials(
        token=saved.get("access_token"),
        refresh_token=saved["refresh_token"],
        expiry=expiry,
        token_uri=config.google_token_uri,
        client_id=config.google_client_id,
        client_secret=config.google_client_secret,
    )
    if creds.valid and not force:
        return creds.token, None
    session = http.session(config.ca_file)
    try:
        creds.refresh(google.auth.transport.requests.Request(session))
    except google.auth.exceptions.RefreshError as exc:
        # invalid_grant: revoked, password changed, or the refresh token expired.
        raise NeedsSignIn(address, str(exc.args[0] if exc.args else exc)[:300]) from None
    except google.auth.exceptions.TransportError as exc:
        raise ProviderUnreachable(f"cannot reach Google sign-in ({exc})") from None
    expires_at = creds.expiry.replace(tzinfo=dt.UTC).timestamp() if creds.expiry else 0
    return creds.token, _secret(creds.token, creds.refresh_token or saved["refresh_token"], expires_at)
