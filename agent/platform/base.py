"""What Postseal needs from the operating system, one small interface per concern, and one
module per OS behind it (linux.py, macos.py, windows.py). Nothing outside agent/platform/
branches on sys.platform; __init__.current() is the one place that picks.

Concerns:
- managed policy: where IT's policy lives on this OS, read into {section: {key: value}};
- start at login: the per-user mechanism (no admin rights);
- browser native-host registration: where the host manifest goes, and Windows' registry key;
- network-change events: so a waiting outbox flushes the moment the network is back;
- CA trust: how this user's system comes to trust the per-install localhost CA that the
  Outlook add-in's webview needs (agent/ingress/local_tls.py);
- secret store: what the OS keyring is called, for messages (the keyring library does the rest).

This layer is the lowest: it imports nothing of the agent but the policy schema (itself
free of agent imports), so config.py and the GUI can use it."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from agent import policy_schema

# Managed policy that exists but cannot be read or is invalid: one line naming the source (a
# file or registry key), the key where known, and why. One error class for every source.
PolicyError = policy_schema.PolicyError


@dataclass(frozen=True)
class ManagedPolicy:
    source: str  # where it was read, as IT would look for it: a path or HKLM\SOFTWARE\Policies\Postseal
    data: dict[str, Any] = field(default_factory=dict)  # {section: {key: value}}, not yet validated


class NetworkWatch(abc.ABC):
    @abc.abstractmethod
    def start(self) -> bool:
        """Listen on the running event loop; False when no events can be had."""

    @abc.abstractmethod
    def close(self) -> None: ...


class Platform(abc.ABC):
    name: ClassVar[str]
    keyring_name: ClassVar[str]  # what users call the OS secret store here
    executable_suffix: ClassVar[str] = ""

    @abc.abstractmethod
    def managed_policy(self) -> ManagedPolicy | None:
        """IT's policy from this OS's native place, None when there is none. Raises
        PolicyError when it is there but cannot be read: never treated as absent."""

    @abc.abstractmethod
    def autostart_enabled(self, name: str) -> bool: ...

    @abc.abstractmethod
    def set_autostart(self, name: str, argv: list[str], on: bool) -> None:
        """Start `argv` at this user's login, or stop doing so. Raises OSError when the file
        or registry value cannot be written."""

    @abc.abstractmethod
    def native_host_folder(self, browser: str, system: bool, home: Path) -> Path:
        """Where the browser looks for the host manifest (Windows: where the registry points)."""

    def register_native_host(self, browser: str, host_name: str, system: bool, manifest: Path) -> str:
        """Windows only: point the browser's registry key at `manifest`; returns the key. Raises OSError."""
        return ""

    def network_watch(self, on_change: Callable[[], None]) -> NetworkWatch | None:
        """Events on network changes, or None: the outbox's periodic probe alone then finds
        the network (DESIGN: "network change event where the OS gives one, else a cheap probe")."""
        return None

    @abc.abstractmethod
    def ca_trust_steps(self, ca_file: Path) -> list[str]:
        """The commands that make this user's browsers and webviews trust `ca_file`, for
        `postseal init` to show or run, and for IT to push instead."""
