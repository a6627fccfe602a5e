"""Settings a user changes from the tray (`PATCH /v1/config`): which keys they may change,
the whole resulting config validated and read back before anything is written, the file
written atomically, and the relay password kept in the secret store, never in config.toml.

Reading and validating configuration is config.py's; this module only writes the user's file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent import secret_store
from agent.config import Config, ConfigError, from_dict, read_toml, shown, to_toml
from agent.private_file import write_private
from agent.readiness import is_loopback

EDITABLE = {("relay", k) for k in ("host", "port", "starttls", "username", "password", "ca_file", "timeout")} | {
    ("portal", "url"),
    ("organization", "name"),
    ("organization", "internal_domains"),
}
# ^ what a user may change from the tray (the first-run page is the Settings view); the rest
# is for IT. Managed policy locks any of them. On a computer set up by hand the clinician is IT.
# `postseal init` also says whether the portal is a trial on this computer:
INIT_EDITABLE = EDITABLE | {("portal", "allow_test_url")}
# Kept in the secret store (OS keyring), never in config.toml: a backup or a support bundle of
# the data directory must not carry the relay's password.
RELAY_PASSWORD = "relay-password"


def with_relay_password(home: Path, config: Config) -> Config:
    """`config` with the relay password from the secret store, unless a file or managed
    policy set one."""
    if config.relay.password or not config.relay.username:
        return config
    stored = secret_store.get(home, RELAY_PASSWORD)
    if not stored:
        return config
    return dataclasses.replace(config, relay=dataclasses.replace(config.relay, password=stored.decode("utf-8")))


def update_user_config(
    home: Path, changes: dict[str, dict[str, Any]], locked: frozenset[str], editable: set[tuple[str, str]] = EDITABLE
) -> Config:
    """Merge `changes` into config.toml (validated; locked and IT-only keys refused) and
    write it atomically. The relay password goes to the secret store instead (and one a
    hand-edited file held moves there). Returns the user file's new config, password
    included (managed policy not applied)."""
    for section, values in changes.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{shown(section)}: expected an object of settings")
        for key in values:
            if f"{section}.{key}" in locked:
                raise PermissionError(f"{section}.{key} is managed by your organization")
            if (section, key) not in editable:
                raise ConfigError(
                    f"{shown(section)}.{shown(key)} cannot be changed from here; edit {home / 'config.toml'}"
                )
    path = home / "config.toml"
    current: dict[str, Any] = read_toml(path)[0] if path.exists() else {}
    for section, values in changes.items():
        current.setdefault(section, {}).update(values)
    url = changes.get("portal", {}).get("url")
    if isinstance(url, str) and "portal.embedded" not in locked and "embedded" not in changes.get("portal", {}):
        # The embedded portal serves only on this computer: an address elsewhere is the clinic's
        # own portal, so the agent uploads to it instead of serving one (service.py refuses both).
        current["portal"]["embedded"] = is_loopback(urlsplit(url).hostname or "")
    config = from_dict(current, str(path))  # refuses wrong types and values before anything is written
    ca_file = changes.get("relay", {}).get("ca_file")
    if ca_file and not os.access(ca_file, os.R_OK):
        raise ConfigError(f"relay.ca_file: {ca_file} does not exist or cannot be read")
    text = to_toml(config)
    # What is written must read back as exactly this config, or the agent would not start.
    try:
        written = from_dict(tomllib.loads(text), str(path))
    except (tomllib.TOMLDecodeError, ConfigError) as exc:
        raise ConfigError(f"{path}: these settings cannot be written as TOML ({exc}); nothing was changed") from None
    if written != dataclasses.replace(config, relay=dataclasses.replace(config.relay, password="")):
        raise ConfigError(f"{path}: these settings do not read back as written; nothing was changed")
    if "password" in current.get("relay", {}):
        secret_store.put(home, RELAY_PASSWORD, config.relay.password.encode("utf-8"))
    write_private(path, text)
    return with_relay_password(home, config)
