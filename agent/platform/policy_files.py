"""Managed policy kept in a file: JSON (`/etc/postseal/policy.json`) or a property list
(the macOS managed-preferences domain a configuration profile writes, XML or binary). Before
2026-12 a `.plist` was skipped as if absent, so IT's policy on a Mac was silently not applied."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path
from xml.parsers.expat import ExpatError

from agent.platform.base import ManagedPolicy, PolicyError


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if text.isprintable() else repr(text)[1:-1]


def read(path: Path) -> ManagedPolicy | None:
    """The policy in `path`, None when there is no such file. Raises PolicyError when it is
    there and cannot be read: a managed policy we cannot read must hold mail, not be ignored."""
    if not path.exists():
        return None
    try:
        if path.suffix == ".plist":
            with path.open("rb") as handle:
                data = plistlib.load(handle)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise PolicyError(f"{path}: managed policy cannot be read: nested too deeply") from None
    except (OSError, ValueError, plistlib.InvalidFileException, ExpatError) as exc:
        # ValueError: not JSON, not UTF-8, or a plist plistlib refuses (entity declarations too).
        raise PolicyError(f"{path}: managed policy cannot be read: {_one_line(exc)}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: managed policy must be a dictionary of sections")
    return ManagedPolicy(str(path), data)
