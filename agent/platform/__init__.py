"""The operating system, behind one interface (base.Platform): the one place that asks
which OS this is."""

from __future__ import annotations

import sys
from functools import cache

from agent.platform.base import ManagedPolicy, NetworkWatch, Platform, PolicyError

__all__ = ["ManagedPolicy", "NetworkWatch", "Platform", "PolicyError", "current", "for_name"]


def for_name(name: str) -> Platform:
    """'linux', 'macos' or 'windows' (also sys.platform's 'darwin', 'win32')."""
    if name in ("darwin", "macos"):
        from agent.platform.macos import MacOS

        return MacOS()
    if name in ("win32", "windows"):
        from agent.platform.windows import Windows

        return Windows()
    from agent.platform.linux import Linux

    return Linux()


@cache
def current() -> Platform:
    return for_name(sys.platform)
