"""Finding a recipient's OpenPGP key when none is on file, in order:

1. Web Key Directory (draft-koch-openpgp-webkey-service §3.1): the advanced method
   `https://openpgpkey.<domain>/.well-known/openpgpkey/<domain>/hu/<z-base-32(SHA-1(local))>?l=<local>`,
   and the direct method `https://<domain>/.well-known/openpgpkey/hu/...` only when the
   openpgpkey sub-domain does not exist (the draft's rule);
2. Autocrypt: keys from the Autocrypt headers of mail the user received reach the keyring when
   that mail is handed over (`POST /v1/keys`, importer.py) — they are "on file" before this runs;
3. a VKS keyserver (`pgp.keyserver`, the keys.openpgp.org API: `/vks/v1/by-email/<address>`).

A key found is imported with only the user IDs naming the address (gpg's keep-uid filter), so
a key published for someone else under this address's hash cannot be used; it must then pass
the keyring's own checks (expiry, revocation, RSA ≥ 2048). Answers are bounded (1 MB, 5 s);
garbage, a key for another address, a timeout or a refusal is a reason in the plan, and a
miss is remembered for a day (negative cache) so each message does not wait on the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from urllib.parse import quote

from agent.config import PgpConfig
from agent.delivery import https
from agent.keys.pgp_store import PgpError, PgpStore
from agent.net import Network

log = logging.getLogger(__name__)

ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
MAX_KEY_BYTES = 1024 * 1024
MISS_FOR = 24 * 3600.0
TIMEOUT = 5.0


def zbase32(data: bytes) -> str:
    bits = "".join(f"{byte:08b}" for byte in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(ZBASE32[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))


def wkd_urls(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    digest = zbase32(hashlib.sha1(local.lower().encode()).digest())  # noqa: S324 - the draft's hash
    query = f"?l={quote(local, safe='')}"
    domain = domain.lower()
    return (
        f"https://openpgpkey.{domain}/.well-known/openpgpkey/{domain}/hu/{digest}{query}",
        f"https://{domain}/.well-known/openpgpkey/hu/{digest}{query}",
    )


class Discovery:
    def __init__(self, store: PgpStore, config: PgpConfig, network: Network, home: Path, ca_file: str = "") -> None:
        self.store = store
        self.config = config
        self.network = network
        self._ctx = https.context(ca_file)
        self._file = home / "discovery.json"
        self._lock = threading.Lock()
        try:
            self._misses: dict[str, dict] = json.loads(self._file.read_text())
        except (OSError, ValueError):
            self._misses = {}

    @property
    def enabled(self) -> bool:
        return self.config.wkd or bool(self.config.keyserver)

    def _fetch(self, url: str) -> bytes | None:
        """The key bytes at url; None for 404; a one-line reason as ValueError otherwise."""
        try:
            response = https.request(
                "GET",
                url,
                {"Accept": "application/octet-stream"},
                None,
                self._ctx,
                timeout=TIMEOUT,
                network=self.network,
                max_bytes=MAX_KEY_BYTES,
            )
        except https.TooLarge as exc:
            raise ValueError(f"{exc}: not a key") from None
        if response.status == 404:
            return None
        if response.status != 200:
            raise ValueError(f"answered HTTP {response.status}")
        if not response.body:
            raise ValueError("answered with nothing")
        return response.body

    def _sources(self, address: str):
        if self.config.wkd:
            advanced, direct = wkd_urls(address)
            yield "WKD", advanced, direct
        if self.config.keyserver:
            yield "keyserver", f"{self.config.keyserver.rstrip('/')}/vks/v1/by-email/{quote(address, safe='')}", None

    def discover(self, address: str) -> tuple[str | None, list[str]]:
        """(fingerprint, [the source that had it]) for a usable key found for `address`, or
        (None, why not from each source)."""
        address = address.lower()
        with self._lock:
            miss = self._misses.get(address)
        if miss and miss["until"] > time.time():
            return None, [
                f"not found when looked up at {time.strftime('%H:%M', time.localtime(miss['at']))} "
                f"({miss['why']}); looked up again after {time.strftime('%H:%M', time.localtime(miss['until']))}"
            ]
        reasons: list[str] = []
        for name, url, fallback in self._sources(address):
            try:
                try:
                    data = self._fetch(url)
                except https.Unreachable as exc:
                    if fallback is None:
                        raise
                    reasons.append(f"{name} advanced method unreachable ({exc})")
                    data = self._fetch(fallback)
            except https.Unreachable as exc:
                reasons.append(f"{name}: not reachable ({exc})")
                continue
            except ValueError as exc:
                reasons.append(f"{name}: {exc}")
                continue
            if data is None:
                reasons.append(f"{name}: no key published")
                continue
            found = self._accept(address, data, name)
            if len(found) == 40 and found.isalnum():
                log.info("key for %s found by %s", address, name)
                return found, [name]
            reasons.append(f"{name}: {found}")
        with self._lock:
            self._misses[address] = {"at": time.time(), "until": time.time() + MISS_FOR, "why": "; ".join(reasons)}
            try:
                self._file.write_text(json.dumps(self._misses))
            except OSError:
                pass
        return None, reasons

    def _accept(self, address: str, data: bytes, source: str) -> str:
        """Import the key with only this address's user IDs; its fingerprint, or why not."""
        try:
            fingerprints = self.store.import_filtered(data, address)
        except PgpError:
            # Garbage, or a key whose user IDs all name someone else (the filter kept none).
            return f"the answer is not an OpenPGP key for {address}"
        key, problems = self.store.find(address)
        if key is None or key.fingerprint not in fingerprints:
            return "; ".join(problems) or f"the key published does not name {address}"
        return key.fingerprint
