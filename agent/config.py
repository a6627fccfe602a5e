"""Configuration: TOML file under the data directory, with the MDM managed policy on top.

One idea, a little over 400 lines: the config's dataclasses, loading and validating them, and
writing them back; the ranges live in the policy schema, line numbers in toml_lines.py.

Unknown keys, wrong types and numbers out of range are errors that name the key, the line and
what is allowed, never silent defaults: a typo in ``starttls = "requird"`` must not quietly send
mail in clear.
Managed policy (DESIGN.md paths) wins over the file and its keys are reported as locked.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from agent import platform, policy_schema
from agent.platform import policy_files
from agent.toml_lines import line_of


class ConfigError(ValueError):
    """A config problem a user can fix: the message names the file, key and line."""


@dataclass(frozen=True)
class OrganizationConfig:
    name: str = "Your clinic"
    internal_domains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RelayConfig:
    host: str = "127.0.0.1"
    port: int = 2525
    starttls: str = "off"  # off | opportunistic | required
    ca_file: str = ""  # extra CA to verify the relay's certificate, on top of the system store
    username: str = ""
    password: str = ""
    timeout: int = 30


@dataclass(frozen=True)
class TlsConfig:
    required_domains: list[str] = field(default_factory=list)
    mta_sts: bool = True  # a domain whose MTA-STS policy is in enforce mode gets verified TLS
    dane: bool = True  # likewise a domain whose every MX has DNSSEC-validated TLSA records
    direct: bool = False  # deliver verified-TLS copies to the recipient's MX ourselves, enforcing the policy
    fallback_after_hours: float = 24.0  # verification failing this long: the recipient gets the portal instead


@dataclass(frozen=True)
class PortalConfig:
    url: str = "http://127.0.0.1:8025"
    embedded: bool = True  # the agent serves the portal itself at `url`
    upload_token: str = ""  # the shared token of earlier releases; agents now enrol (agent/portal_enrol.py)
    # Managed policy may carry it (the one secret-like value policy may: limited in uses and
    # time, it only lets an agent enrol, and enrolled agents are listed and revocable).
    enrolment_code: str = ""
    expiry_days: int = 30  # how long a portal message can be opened (policy may fix it)
    warn_days: int = 3  # an unopened message this close to expiry: the sender is told
    poll_seconds: int = 60  # how often the agent collects receipts and replies from the portal
    # A loopback or plain-http url holds portal mail (no patient could open the link), unless
    # this says the portal is a trial on this one computer (the demo, the tests). readiness.py
    allow_test_url: bool = False


@dataclass(frozen=True)
class IngressConfig:
    smtp_port: int = 1025  # local SMTP submission for desktop mail clients; 0 = off
    api_port: int = 0  # 0 = a free port, published in agent.json
    addin_port: int = 8743  # HTTPS origin of the Outlook add-in (its manifest names it); 0 = off
    allowed_origins: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SmimeConfig:
    trusted_ca_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PgpConfig:
    wkd: bool = True
    keyserver: str = ""


@dataclass(frozen=True)
class OutboxConfig:
    give_up_after_hours: float = 120.0  # deferred this long → failed, and the sender is told
    notify_sender: bool = True  # a failure notice to the sender's own mailbox (no content)
    retry_first_seconds: int = 30  # first retry after a temporary failure (then doubling)
    retry_max_seconds: int = 3600  # the longest wait between two tries
    concurrency: int = 4  # messages protected and delivered at once


@dataclass(frozen=True)
class PolicyConfig:
    rules_file: str = ""  # empty = the built-in HIPAA default rules
    allow_release: bool = True  # may the user release a held message after review (lock it off via MDM)


@dataclass(frozen=True)
class NetworkConfig:
    """How the agent finds other hosts. Both empty on a normal install."""

    dns_servers: list[str] = field(default_factory=list)  # "ip" or "ip:port"; empty = the system's resolver
    # "host:port=address:port", as curl --connect-to: reach `host` at another address (a lab or
    # test network) while TLS still verifies the certificate for `host`. Each use is logged.
    connect_to: list[str] = field(default_factory=list)
    ca_file: str = (
        ""  # extra CA for the agent's own HTTPS lookups (WKD, keyserver, MTA-STS), on top of the system store
    )


@dataclass(frozen=True)
class AccountsConfig:
    """Sign-in to the clinic's own mailbox (agent/accounts): IT registers one app per
    provider and sets its ids here or, better, in managed policy (README, "Sign in once")."""

    transport: str = "api"  # api (Graph / Gmail API) | smtp (XOAUTH2 to the provider's submission server)
    microsoft_client_id: str = ""  # the public client app IT registered in Entra ID
    microsoft_tenant: str = "organizations"  # the tenant id (GUID) or domain; a GUID is checked on sign-in
    microsoft_authority: str = "https://login.microsoftonline.com"
    microsoft_large_messages: bool = True  # ask for Mail.ReadWrite: drafts + upload sessions past Graph's 4 MB
    graph_url: str = "https://graph.microsoft.com/v1.0"
    microsoft_smtp: str = "smtp.office365.com:587"
    google_client_id: str = ""  # the "Desktop app" OAuth client IT created in Google Cloud
    google_client_secret: str = ""  # Google issues one to desktop clients; it is not treated as a secret
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    gmail_url: str = "https://gmail.googleapis.com"
    google_smtp: str = "smtp.gmail.com:587"
    ca_file: str = ""  # extra CA for the sign-in and mail APIs (a TLS-inspecting proxy), on top of the system store
    sign_in_timeout: int = 300  # seconds the browser sign-in may take


@dataclass(frozen=True)
class SecretsConfig:
    """Where the agent keeps the keys of its data (agent/secret_store/). "keyring": the OS keyring,
    and no start without one; "file": 0600 files beside the data, an explicit and visible choice."""

    backend: str = "keyring"  # keyring | file


@dataclass(frozen=True)
class Config:
    organization: OrganizationConfig = field(default_factory=OrganizationConfig)
    relay: RelayConfig = field(default_factory=RelayConfig)
    tls: TlsConfig = field(default_factory=TlsConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    ingress: IngressConfig = field(default_factory=IngressConfig)
    smime: SmimeConfig = field(default_factory=SmimeConfig)
    pgp: PgpConfig = field(default_factory=PgpConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    secrets: SecretsConfig = field(default_factory=SecretsConfig)
    locked: frozenset[str] = frozenset()  # "section.key" fixed by managed policy
    # Managed policy that cannot be read or is invalid: why, in one line naming the source and
    # key. The agent then holds every message (readiness.py): never the user's weaker settings.
    managed_error: str = ""

    def is_internal(self, address: str) -> bool:
        domain = address.rpartition("@")[2].lower()
        return domain in {d.lower() for d in self.organization.internal_domains}


SECTIONS: dict[str, type] = {
    f.name: f.type if isinstance(f.type, type) else globals()[f.type]
    for f in dataclasses.fields(Config)
    if f.name not in ("locked", "managed_error")
}

_ALLOWED_VALUES = {
    ("relay", "starttls"): ("off", "opportunistic", "required"),
    ("accounts", "transport"): ("api", "smtp"),
    ("secrets", "backend"): ("keyring", "file"),
}
# Settings shown as set or not, never by value (GET /v1/config, `postseal config check`).
SECRETS = frozenset({("relay", "password"), ("portal", "upload_token"), ("portal", "enrolment_code")})


def home_dir() -> Path:
    """`$POSTSEAL_HOME`, else the platform's user data directory."""
    env = os.environ.get("POSTSEAL_HOME")
    path = Path(env) if env else Path(platformdirs.user_data_dir("postseal", appauthor=False))
    return path


def managed_policy(system: platform.Platform | None = None) -> platform.ManagedPolicy | None:
    """IT's policy: the file POSTSEAL_MANAGED_POLICY names (tests, and IT's own tooling), else
    the OS's native place (agent/platform: /etc/postseal/policy.json, the macOS managed-
    preferences domain org.postseal.agent, the Windows registry under Policies\\Postseal).
    Raises platform.PolicyError when it is there but cannot be read."""
    env = os.environ.get("POSTSEAL_MANAGED_POLICY")
    if env:
        return policy_files.read(Path(env))
    return (system or platform.current()).managed_policy()


def shown(name: object) -> str:
    """A key or section name as it can appear in a one-line message (TOML allows any
    character in a quoted key, line breaks included)."""
    text = str(name)
    return text if text.isprintable() else repr(text)[1:-1]


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The file's data and text; a file that cannot be read or parsed is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def load(home: Path | None = None, system: platform.Platform | None = None) -> Config:
    """Read `config.toml` from the data directory (absent = defaults), then managed policy."""
    home = home or home_dir()
    path = home / "config.toml"
    data: dict[str, Any] = {}
    text = ""
    if path.exists():
        data, text = read_toml(path)
    sections = _validate(data, str(path), text)
    try:
        managed = read_managed(system)
    except ConfigError as exc:
        # Fail closed without failing to start: the agent runs, says why in the log, the tray
        # and /v1/health, and holds every message until IT fixes the policy.
        return dataclasses.replace(_build(sections, frozenset()), managed_error=str(exc))
    if managed is None:
        return _build(sections, frozenset())
    for section, values in managed.sections.items():
        sections.setdefault(section, {}).update(values)
    return _build(sections, managed.locked)


def from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    return _build(_validate(data, source, ""), frozenset())


@dataclass(frozen=True)
class ManagedSettings:
    source: str  # where IT's policy was read: a path, or a registry location
    sections: dict[str, dict[str, Any]]  # validated, {section: {key: value}}

    @property
    def locked(self) -> frozenset[str]:
        return frozenset(f"{s}.{k}" for s, values in self.sections.items() for k in values)


def read_managed(system: platform.Platform | None = None) -> ManagedSettings | None:
    """IT's policy, validated; None when there is none. Raises ConfigError, one line naming the
    source and the key, when it is there but cannot be read or is invalid."""
    try:
        found = managed_policy(system)
    except platform.PolicyError as exc:
        raise ConfigError(str(exc)) from None
    if found is None:
        return None
    try:  # the schema IT's templates are generated from (installers/policy.schema.json)
        policy_schema.validate(found.data, found.source)
    except policy_schema.PolicyError as exc:
        raise ConfigError(str(exc)) from None
    # and what the schema cannot say (control characters)
    return ManagedSettings(found.source, _validate(found.data, found.source, ""))


def _line_of(text: str, section: str, key: str | None) -> str:
    """ ", line N" for an error message, when the setting can be found in the file's text."""
    number = line_of(text, section, key) if text else None
    return f", line {number}" if number else ""


def _validate(data: dict[str, Any], source: str, text: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if section not in SECTIONS:
            known = ", ".join(sorted(SECTIONS))
            raise ConfigError(
                f"{source}{_line_of(text, section, None)}: unknown section [{shown(section)}] (known: {known})"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        fields = {f.name: f for f in dataclasses.fields(SECTIONS[section])}
        for key, value in values.items():
            where = f"{source}{_line_of(text, section, key)}"
            if key not in fields:
                raise ConfigError(
                    f"{where}: unknown key '{shown(key)}' in [{section}] (known: {', '.join(sorted(fields))})"
                )
            _check_type(section, key, fields[key].type, value, where)
        out[section] = dict(values)
    return out


def _check_text(section: str, key: str, value: str, where: str) -> None:
    """A lone surrogate (JSON allows "\\ud800") cannot be written as UTF-8 or TOML, and a
    control character in a host, path or URL is never meant: both are refused here, so a
    file the agent would then refuse to start on is never written."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{where}: {section}.{key} is not valid text (it holds a lone UTF-16 surrogate)") from None
    bad = next((c for c in value if (ord(c) < 32 and c != "\t") or ord(c) == 127), None)
    if bad is not None:
        raise ConfigError(f"{where}: {section}.{key} must not hold control characters (found U+{ord(bad):04X})")


def _check_type(section: str, key: str, declared: Any, value: Any, where: str) -> None:
    declared = str(declared)
    expected = {"str": str, "int": int, "float": (int, float), "bool": bool, "list[str]": list}[declared]
    ok = isinstance(value, expected)
    if expected in (int, (int, float)) and isinstance(value, bool):
        ok = False
    if expected is list and ok:
        ok = all(isinstance(item, str) for item in value)
    if not ok:
        raise ConfigError(
            f"{where}: {section}.{key} must be "
            f"{declared.replace('list[str]', 'a list of strings').replace('float', 'a number')}, "
            f"not {type(value).__name__}"
        )
    for text in value if expected is list else [value] if expected is str else []:
        _check_text(section, key, text, where)
    allowed = _ALLOWED_VALUES.get((section, key))
    if allowed and value not in allowed:
        raise ConfigError(f"{where}: {section}.{key} must be one of {', '.join(allowed)}, not {value!r}")
    if expected in (int, (int, float)):
        # One range per number, in the policy schema (`minimum`/`maximum`), for config.toml too: a
        # zero timeout makes the relay socket non-blocking, zero concurrency sends nothing, a zero
        # interval spins, a negative lifetime expires every portal message at once.
        bounds = policy_schema.number_range(section, key)
        if value not in bounds:
            raise ConfigError(f"{where}: {section}.{key} {bounds.refusal(value)}")
    if (section, key) == ("relay", "host") and not value.strip():
        raise ConfigError(f"{where}: relay.host must name the outgoing mail server, not be empty")
    if (section, key) == ("portal", "url") and _scheme(value) not in ("http", "https"):
        raise ConfigError(f"{where}: portal.url must be an http(s) URL, not {value!r}")
    if section == "accounts" and key.endswith(("_url", "_uri", "_authority")) and _scheme(value) != "https":
        raise ConfigError(f"{where}: accounts.{key} must be an https URL, not {value!r}")
    if (section, key) == ("network", "connect_to"):
        for item in value:
            if not re.fullmatch(r"[^:=\s]+:\d{1,5}=[^:=\s]+:\d{1,5}", item):
                raise ConfigError(f"{where}: network.connect_to entries look like host:port=address:port, not {item!r}")
    if (section, key) == ("network", "dns_servers"):
        for item in value:
            if not re.fullmatch(r"[0-9a-fA-F.:]+?(:\d{1,5})?", item):
                raise ConfigError(
                    f"{where}: network.dns_servers entries are IP addresses (ip or ip:port), not {item!r}"
                )


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:  # "http://[::1" and other unbalanced IPv6 brackets
        return ""


def _build(sections: dict[str, dict[str, Any]], locked: frozenset[str]) -> Config:
    kwargs = {name: cls(**sections.get(name, {})) for name, cls in SECTIONS.items()}
    return Config(**kwargs, locked=locked)


# An escaped backslash, or a character beyond the BMP as JSON escapes it (a surrogate pair).
_JSON_ESCAPE = re.compile(r"\\\\|\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _toml_value(value: Any) -> str:
    """JSON's escapes are TOML's but one: TOML has no surrogate pairs, it writes a character
    beyond the BMP (an emoji in a password) as one \\UXXXXXXXX escape."""

    def escape(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"

    return _JSON_ESCAPE.sub(escape, json.dumps(value))


def to_toml(config: Config) -> str:
    """Write a config back as TOML (used by the demo and tests to set up a data directory).
    The relay password is left out: it lives in the secret store (update_user_config)."""
    lines: list[str] = []
    for name in SECTIONS:
        lines.append(f"[{name}]")
        for key, value in dataclasses.asdict(getattr(config, name)).items():
            if (name, key) == ("relay", "password"):
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
