"""portal.toml: how an organization runs its internet-facing portal (`postseal portal serve
--config portal.toml`).

Every key is checked when the file is read; a key this release does not know is refused
(a typo must not silently fall back to a default), and a bad value is one `SettingsError`
naming the file, the key and what is wrong (the CLI prints it and exits 2). Secrets never
live here: the database password comes from libpq (PGPASSWORD, ~/.pgpass, a service file),
object-store credentials from the standard AWS chain (environment, ~/.aws, instance role),
the relay password from $POSTSEAL_PORTAL_RELAY_PASSWORD. A password written into the file
is refused rather than used.

The layout (installers/portal/portal.toml is a commented example, docs/deploy.md the reference):

    public_url = "https://portal.clinic.example"   # what recipients' links and browsers use
    allowed_hosts = ["portal.clinic.example"]      # default: public_url's host
    trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]  # peers whose X-Forwarded-For/-Proto count
    database = "postgresql://postseal@db/portal"   # or $POSTSEAL_PORTAL_DATABASE
    upload_token_file = "/etc/postseal/portal-token"   # only an earlier release's shared token
    [listen]   host, port
    [blobs]    type = "files", path   |   type = "s3", bucket, endpoint_url, region, prefix, conditional
    [sweep]    grace_hours, interval_minutes
    [log]      format = "json" | "text", level
    [mail]     host, port, starttls, ca_file, username, timeout, organization
    metrics_allow = ["127.0.0.1", "10.20.0.0/16"]  # who may scrape /metrics directly (metrics.py)
    [branding] name, logo, primary_color, accent_color, support_email/_phone/_url (branding.py)
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.portal.branding import Branding
from agent.portal.metrics import DEFAULT_ALLOW, networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """portal.toml cannot be used: one line naming the file, the key and what is wrong."""


@dataclass(frozen=True)
class FilesBlobs:
    path: Path


@dataclass(frozen=True)
class S3Blobs:
    bucket: str
    endpoint_url: str | None = None  # MinIO, Ceph RGW...; None: AWS
    region: str | None = None
    prefix: str = ""
    conditional: bool = True  # If-None-Match: * on PUT (see blobs.S3BlobStore)


@dataclass(frozen=True)
class MailSettings:
    host: str = "127.0.0.1"
    port: int = 25
    starttls: str = "required"
    ca_file: str = ""
    username: str = ""
    timeout: int = 30
    organization: str = ""  # the name code mails are signed with


@dataclass(frozen=True)
class PortalSettings:
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8025
    database: str | None = None
    blobs: FilesBlobs | S3Blobs | None = None  # None: the home's portal/ folder
    upload_token_file: Path | None = None  # an earlier release's shared token (None: the home's portal-token, if any)
    sweep_grace_seconds: float = 7 * 86400.0
    sweep_interval_seconds: float = 900.0
    log_format: str = "text"
    log_level: str = "INFO"
    mail: MailSettings | None = None  # None: the relay of the home's config.toml
    branding: Branding = field(default_factory=Branding)
    metrics_allow: tuple[str, ...] = DEFAULT_ALLOW

    @property
    def secure(self) -> bool:
        return bool(self.public_url) and urlsplit(self.public_url).scheme == "https"


_TOP = {
    "public_url",
    "allowed_hosts",
    "trusted_proxies",
    "database",
    "upload_token_file",
    "listen",
    "blobs",
    "sweep",
    "log",
    "mail",
    "branding",
    "metrics_allow",
}
_TABLES = {
    "listen": {"host", "port"},
    "sweep": {"grace_hours", "interval_minutes"},
    "log": {"format", "level"},
    "mail": {"host", "port", "starttls", "ca_file", "username", "timeout", "organization"},
}
_BLOBS = {"files": {"type", "path"}, "s3": {"type", "bucket", "endpoint_url", "region", "prefix", "conditional"}}
_SECRET_WORDS = ("password", "secret", "access_key", "session_token")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, what: str) -> SettingsError:
        return SettingsError(f"{self.path}: {key}: {what}")

    def only(self, table: dict, allowed: set[str], where: str) -> None:
        for key in table:
            full = f"{where}.{key}" if where else key
            if any(word in key.lower() for word in _SECRET_WORDS):
                raise self.fail(full, "secrets are not kept in portal.toml (docs/deploy.md says where they go)")
            if key not in allowed:
                raise self.fail(full, f"unknown key (known here: {', '.join(sorted(allowed))})")

    def get(self, table: dict, key: str, kind: type | tuple, where: str, default: Any = None) -> Any:
        if key not in table:
            return default
        value = table[key]
        full = f"{where}.{key}" if where else key
        if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
            raise self.fail(full, f"expected {_name(kind)}, not true/false")
        if not isinstance(value, kind):
            raise self.fail(full, f"expected {_name(kind)}, not {type(value).__name__} {value!r}")
        return value

    def text(self, table: dict, key: str, where: str, default: str | None = None) -> str | None:
        value = self.get(table, key, str, where, default)
        if value is not None and not value.strip():
            raise self.fail(f"{where}.{key}" if where else key, "must not be empty")
        return value

    def number(
        self, table: dict, key: str, where: str, default: float, low: float, high: float, whole: bool = False
    ) -> float:
        value = self.get(table, key, int if whole else (int, float), where, default)
        if not low <= value <= high:
            raise self.fail(f"{where}.{key}", f"must be between {low:g} and {high:g}, not {value!r}")
        return float(value)

    def table(self, data: dict, key: str) -> dict:
        value = self.get(data, key, dict, "", {})
        self.only(value, _TABLES.get(key, set(value)), key)
        return value


def _name(kind: type | tuple) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        dict: "a table",
        list: "a list",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    """scheme://host[:port] as a browser's Origin header spells it (default ports left out)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"


def _public_url(r: _Reader, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise r.fail("public_url", f"expected an https:// URL like https://portal.clinic.example, not {value!r}")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise r.fail("public_url", f"expected scheme://host[:port] only, not {value!r}")
    return origin_of(value)


def _networks(r: _Reader, values: list) -> tuple[Network, ...]:
    found = []
    for value in values:
        if not isinstance(value, str):
            raise r.fail("trusted_proxies", f"expected IP addresses or networks as strings, not {value!r}")
        try:
            found.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise r.fail(
                "trusted_proxies", f"{value!r} is not an IP address or network (10.0.0.5, 10.0.0.0/24)"
            ) from None
    return tuple(found)


def _database(r: _Reader, url: str | None) -> str | None:
    # Only the file's URL is checked for a password: $POSTSEAL_PORTAL_DATABASE (an
    # EnvironmentFile readable by root alone) is a place for one, like PGPASSWORD.
    if url:
        check_no_password(url, lambda what: r.fail("database", what))
    return url or os.environ.get("POSTSEAL_PORTAL_DATABASE") or None


def check_no_password(url: str, fail) -> None:
    """A password in portal.toml's database URL is refused: the file is readable by more people
    than the database account should be. libpq reads PGPASSWORD or ~/.pgpass."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # the portal-server extra; the serve command says so when it needs it
        return
    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - psycopg's parse errors differ by version; one line either way
        raise fail("not a PostgreSQL URL or connection string") from None
    if parts.get("password"):
        raise fail("holds a password; remove it and give it to libpq through PGPASSWORD or ~/.pgpass")


def _blobs(r: _Reader, data: dict, base: Path) -> FilesBlobs | S3Blobs | None:
    table = r.get(data, "blobs", dict, "", None)
    if table is None:
        return None
    kind = r.text(table, "type", "blobs")
    if kind not in _BLOBS:
        raise r.fail("blobs.type", f'expected "files" or "s3", not {kind!r}')
    r.only(table, _BLOBS[kind], "blobs")
    if kind == "files":
        path = r.text(table, "path", "blobs")
        if path is None:
            raise r.fail("blobs.path", 'required with type = "files"')
        return FilesBlobs(base / Path(path).expanduser())
    bucket = r.text(table, "bucket", "blobs")
    if bucket is None:
        raise r.fail("blobs.bucket", 'required with type = "s3"')
    endpoint = r.text(table, "endpoint_url", "blobs")
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise r.fail("blobs.endpoint_url", f"expected an http(s) URL, not {endpoint!r}")
    return S3Blobs(
        bucket,
        endpoint,
        r.text(table, "region", "blobs"),
        r.get(table, "prefix", str, "blobs", ""),
        r.get(table, "conditional", bool, "blobs", True),
    )


def _mail(r: _Reader, data: dict) -> MailSettings | None:
    if "mail" not in data:
        return None
    t = r.table(data, "mail")
    starttls = r.text(t, "starttls", "mail", "required")
    if starttls not in ("off", "opportunistic", "required"):
        raise r.fail("mail.starttls", f'expected "off", "opportunistic" or "required", not {starttls!r}')
    return MailSettings(
        r.text(t, "host", "mail", "127.0.0.1"),
        int(r.number(t, "port", "mail", 25, 1, 65535, True)),
        starttls,
        r.get(t, "ca_file", str, "mail", ""),
        r.get(t, "username", str, "mail", ""),
        int(r.number(t, "timeout", "mail", 30, 1, 600, True)),
        r.get(t, "organization", str, "mail", ""),
    )


def _branding(r: _Reader, table: dict) -> Branding:
    """The branding module's own checks (ValueError naming the key); a relative logo path is
    taken from portal.toml's folder."""
    try:
        return Branding.from_mapping(table, f"{r.path}: branding", base=r.path.parent)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _metrics_allow(r: _Reader, values: list) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in values):
        raise r.fail("metrics_allow", "expected IP addresses or networks as strings")
    try:
        networks(values, f"{r.path}: metrics_allow")
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return tuple(values)


def load(path: Path) -> PortalSettings:
    """The settings in `path`, every key checked (SettingsError otherwise)."""
    path = Path(path)
    r = _Reader(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    r.only(data, _TOP, "")
    base = path.parent
    public_url = _public_url(r, r.text(data, "public_url", ""))
    hosts = r.get(data, "allowed_hosts", list, "", None)
    if hosts is not None and (not hosts or not all(isinstance(h, str) and h.strip() for h in hosts)):
        raise r.fail("allowed_hosts", 'expected a non-empty list of host names like ["portal.clinic.example"]')
    if hosts is None and public_url:
        hosts = [host_of(public_url)]
    listen, sweep, logs = r.table(data, "listen"), r.table(data, "sweep"), r.table(data, "log")
    log_format = r.text(logs, "format", "log", "text")
    if log_format not in ("json", "text"):
        raise r.fail("log.format", f'expected "json" or "text", not {log_format!r}')
    level = r.text(logs, "level", "log", "info").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise r.fail("log.level", f'expected "debug", "info", "warning" or "error", not {level.lower()!r}')
    token_file = r.text(data, "upload_token_file", "")
    branding = _branding(r, r.get(data, "branding", dict, "", {}))
    return PortalSettings(
        public_url=public_url,
        allowed_hosts=tuple(h.strip().lower() for h in hosts or ()),
        trusted_proxies=_networks(r, r.get(data, "trusted_proxies", list, "", [])),
        host=r.text(listen, "host", "listen", "127.0.0.1"),
        port=int(r.number(listen, "port", "listen", 8025, 0, 65535, True)),
        database=_database(r, r.text(data, "database", "")),
        blobs=_blobs(r, data, base),
        upload_token_file=base / Path(token_file).expanduser() if token_file else None,
        sweep_grace_seconds=r.number(sweep, "grace_hours", "sweep", 7 * 24, 0, 24 * 365) * 3600,
        sweep_interval_seconds=r.number(sweep, "interval_minutes", "sweep", 15, 1, 24 * 60) * 60,
        log_format=log_format,
        log_level=level,
        mail=_mail(r, data),
        branding=branding,
        metrics_allow=_metrics_allow(r, r.get(data, "metrics_allow", list, "", list(DEFAULT_ALLOW))),
    )
