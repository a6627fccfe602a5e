"""The HTTP session sign-in uses: the system trust store plus `accounts.ca_file`.

requests' own `verify=<file>` would trust that file *instead of* the system store, and an
environment REQUESTS_CA_BUNDLE silently overrides a session's `verify` (psf/requests#3829).
An SSLContext on the adapter is additive and survives both: system roots, then the extra CA.
"""

from __future__ import annotations

import functools
import ssl

import requests
from requests.adapters import HTTPAdapter

from agent.delivery import https


class _ContextAdapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=1)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._context
        return super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn, url, verify, cert):
        # Keep our context's roots: requests would otherwise point it at one bundle file.
        super().cert_verify(conn, url, verify, cert)
        conn.ca_certs = None
        conn.ca_cert_dir = None


def mount(session: requests.Session, ca_file: str = "") -> requests.Session:
    session.mount("https://", _ContextAdapter(https.context(ca_file)))
    return session


def session(ca_file: str = "", timeout: float = 30.0) -> requests.Session:
    out = mount(requests.Session(), ca_file)
    out.request = functools.partial(out.request, timeout=timeout)  # requests has no session-wide timeout
    return out
