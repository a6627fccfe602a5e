"""The Agent's settings (one room of the service, mixed into `Agent`): the effective
configuration and what managed policy locks, as the tray shows it, and the changes a user
makes from the tray — relay and organization at once, the portal address after a restart
(the embedded portal is started with the agent). Writing config.toml is agent/settings.py's."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent import settings


@dataclass(frozen=True)
class SettingsView:
    values: dict[str, dict[str, Any]]  # per section; secrets shown as "***" when set
    locked: list[str]  # "section.key" that managed policy sets
    source: Path  # the user's config.toml
    pending: dict[str, str]  # saved, used after a restart

    def to_json(self) -> dict[str, Any]:
        return {"values": self.values, "locked": self.locked, "source": str(self.source), "pending": self.pending}


@dataclass(frozen=True)
class SettingsChange:
    restart_required: bool
    locked: list[str]


class SettingsMethods:
    home: Path  # set by the class this is mixed into
    config: config_mod.Config
    pending_settings: dict[str, str]
    reconfigure: Callable[[config_mod.Config], None]  # the new configuration applied

    def settings_view(self) -> SettingsView:
        config = self.config
        values = {}
        for name in config_mod.SECTIONS:
            values[name] = {
                k: ("***" if (name, k) in config_mod.SECRETS and v else v)
                for k, v in dataclasses.asdict(getattr(config, name)).items()
            }
        return SettingsView(values, sorted(config.locked), self.home / "config.toml", self.pending_settings)

    async def change_settings(self, changes: dict[str, Any]) -> SettingsChange:
        """Raises PermissionError (a key managed policy locks) and config.ConfigError (a key
        that may not be changed here, or a value that does not validate): nothing changed then."""
        current = self.config
        user = await asyncio.to_thread(settings.update_user_config, self.home, changes, current.locked)
        # Managed values still win: only what is not locked comes from the user's file. Relay and
        # organization take effect now; the portal address after a restart (the embedded portal).
        live = {
            name: dataclasses.replace(
                getattr(current, name),
                **{
                    k: v
                    for k, v in dataclasses.asdict(getattr(user, name)).items()
                    if f"{name}.{k}" not in current.locked
                },
            )
            for name in ("relay", "organization")
        }
        self.reconfigure(dataclasses.replace(current, **live))
        restart = user.portal.url != current.portal.url and "portal.url" not in current.locked
        self.pending_settings = {"portal.url": user.portal.url} if restart else {}
        return SettingsChange(restart, sorted(current.locked))
