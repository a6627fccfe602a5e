r"""Managed policy from the Windows registry, as Group Policy and Intune leave it.

The layout is the one installers/windows/postseal.admx writes (Chromium's):

    <hive>\SOFTWARE\Policies\Postseal\<section>         value <key>: REG_DWORD for on/off (0/1)
                                                         and numbers, REG_SZ for text
    <hive>\SOFTWARE\Policies\Postseal\<section>\<key>   values "1", "2", …: REG_SZ, one list entry
                                                         each (REG_MULTI_SZ <key> is read too)

HKLM (Computer Configuration) is read, then HKCU (User Configuration); a key set in both takes
HKLM's value, because the computer's administrator outranks a user's profile (Chromium's rule
too). A list is one key: HKLM's list replaces HKCU's whole, entries are never merged. Names are
matched without regard to case, as Windows does.

Each hive is turned into the schema's types (policy_schema.coerce_registry) and validated on its
own, so an error names the hive it is in. Anything the reader cannot take as it is — a
REG_BINARY value, a list entry that is not text, a key that cannot be opened — is one
PolicyError naming the key path and value: a policy that cannot be read is never skipped.

Pure logic: `read_policy` takes the registry as an object shaped like the `winreg` module
(OpenKey, QueryInfoKey, EnumKey, EnumValue, CloseKey and the two hive handles), so tests pass a
fake one on any system. `read_windows_policy` passes the real `winreg`, imported only there.
"""

from __future__ import annotations

from typing import Any, Protocol

from agent.policy_schema import PolicyError, coerce_registry, validate

ROOT = r"SOFTWARE\Policies\Postseal"

# winreg's constants (winreg itself exists only on Windows).
REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD = 0, 1, 2, 3, 4
REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_QWORD = 5, 6, 7, 11
KEY_READ, KEY_WOW64_64KEY = 0x20019, 0x0100
_TYPE_NAMES = {
    REG_NONE: "REG_NONE",
    REG_SZ: "REG_SZ",
    REG_EXPAND_SZ: "REG_EXPAND_SZ",
    REG_BINARY: "REG_BINARY",
    REG_DWORD: "REG_DWORD",
    REG_DWORD_BIG_ENDIAN: "REG_DWORD_BIG_ENDIAN",
    REG_LINK: "REG_LINK",
    REG_MULTI_SZ: "REG_MULTI_SZ",
    8: "REG_RESOURCE_LIST",
    9: "REG_FULL_RESOURCE_DESCRIPTOR",
    10: "REG_RESOURCE_REQUIREMENTS_LIST",
    REG_QWORD: "REG_QWORD",
}
# REG_EXPAND_SZ is taken as the text it holds: %VARIABLES% are not expanded (the ADMX writes REG_SZ).
_TEXT, _NUMBER = (REG_SZ, REG_EXPAND_SZ), (REG_DWORD, REG_QWORD)


class Registry(Protocol):
    """What read_policy needs of `winreg` (same names, same behaviour, same exceptions:
    FileNotFoundError for a key that does not exist, OSError for any other failure)."""

    HKEY_LOCAL_MACHINE: int
    HKEY_CURRENT_USER: int

    def OpenKey(self, key: Any, sub_key: str, reserved: int = 0, access: int = KEY_READ) -> Any: ...
    def QueryInfoKey(self, key: Any) -> tuple[int, int, int]: ...
    def EnumKey(self, key: Any, index: int) -> str: ...
    def EnumValue(self, key: Any, index: int) -> tuple[str, Any, int]: ...
    def CloseKey(self, hkey: Any) -> None: ...


def read_policy(registry: Registry) -> dict[str, dict[str, Any]]:
    """The managed policy in the registry, HKLM over HKCU, in the JSON shape of the schema and
    valid against it; {} when neither hive has the Postseal key. Raises PolicyError."""
    merged: dict[str, dict[str, Any]] = {}
    for hive, name in ((registry.HKEY_LOCAL_MACHINE, "HKLM"), (registry.HKEY_CURRENT_USER, "HKCU")):
        source = f"{name}\\{ROOT}"
        policy = coerce_registry(_read_hive(registry, hive, source), source)
        validate(policy, source)
        for section, values in policy.items():
            for key, value in values.items():
                merged.setdefault(section, {}).setdefault(key, value)  # HKLM, read first, wins
    return merged


def read_windows_policy() -> dict[str, dict[str, Any]]:
    """read_policy on this Windows computer's registry."""
    import winreg  # Windows only; imported here so that this module loads everywhere

    return read_policy(winreg)  # type: ignore[arg-type]


def _read_hive(registry: Registry, hive: Any, source: str) -> dict[str, Any]:
    """{section: {key: str | int | list[str]}} as stored, or {} without a Postseal key."""
    try:
        root = registry.OpenKey(hive, ROOT, 0, KEY_READ | KEY_WOW64_64KEY)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise PolicyError(f"{source}: cannot be read: {exc}") from None
    try:
        values, subkeys = _entries(registry, root, source)
        # a value beside the sections is no section: kept, so that validate() names it
        policy: dict[str, Any] = {
            name.lower(): _scalar(value, kind, source, name.lower(), source, name) for name, value, kind in values
        }
        for name in subkeys:
            section = name.lower()
            policy[section] = _read_section(registry, root, name, source, section)
        return policy
    finally:
        registry.CloseKey(root)


def _read_section(registry: Registry, parent: Any, name: str, source: str, section: str) -> dict[str, Any]:
    path = f"{source}\\{name}"
    handle = _open(registry, parent, name, path, source, section)
    try:
        values, subkeys = _entries(registry, handle, path)
        out: dict[str, Any] = {}
        for value_name, value, kind in values:
            key = value_name.lower()
            out[key] = _scalar(value, kind, source, f"{section}.{key}", path, value_name)
        for sub in subkeys:
            key = sub.lower()
            if key in out:
                raise PolicyError(
                    f"{source} {section}.{key}: set twice, as a value and as a subkey of {path}; delete one"
                )
            out[key] = _read_list(registry, handle, sub, f"{path}\\{sub}", source, f"{section}.{key}")
        return out
    finally:
        registry.CloseKey(handle)


def _read_list(registry: Registry, parent: Any, name: str, path: str, source: str, dotted: str) -> list[str]:
    """A list key: values named 1, 2, … in the order of their numbers."""
    handle = _open(registry, parent, name, path, source, dotted)
    try:
        values, subkeys = _entries(registry, handle, path)
        if subkeys:
            raise PolicyError(
                f"{source} {dotted}: {path} holds a subkey ({subkeys[0]}); a list holds only values named 1, 2, …"
            )
        entries: list[tuple[int, str]] = []
        for value_name, value, kind in values:
            if not value_name.isdigit():
                raise PolicyError(
                    f"{source} {dotted}: value {value_name!r} under {path} is not a list entry; "
                    "entries are named 1, 2, …"
                )
            if kind not in _TEXT:
                raise PolicyError(
                    f"{source} {dotted}: value {value_name} under {path} is {_type_name(kind)}; "
                    "each list entry is REG_SZ text"
                )
            entries.append((int(value_name), value))
        return [value for _, value in sorted(entries)]
    finally:
        registry.CloseKey(handle)


def _scalar(value: Any, kind: int, source: str, dotted: str, path: str = "", name: str = "") -> Any:
    if kind in _TEXT or kind in _NUMBER:
        return value
    if kind == REG_MULTI_SZ:
        return list(value)
    where = f" (value {name} under {path})" if path else ""
    raise PolicyError(
        f"{source} {dotted}: {_type_name(kind)}{where} is not a type Postseal reads; use "
        "REG_DWORD for numbers and on/off, REG_SZ for text"
    )


def _open(registry: Registry, parent: Any, name: str, path: str, source: str, dotted: str) -> Any:
    try:
        return registry.OpenKey(parent, name, 0, KEY_READ | KEY_WOW64_64KEY)
    except OSError as exc:  # it was just listed: gone or denied in between is a failure too
        raise PolicyError(f"{source} {dotted}: {path} cannot be read: {exc}") from None


def _entries(registry: Registry, handle: Any, path: str) -> tuple[list[tuple[str, Any, int]], list[str]]:
    """A key's values and subkeys. QueryInfoKey gives the counts, so every OSError from the
    enumeration is a real failure (a policy refresh rewriting the key meanwhile included): the
    agent reads the policy again at its next start or reload."""
    try:
        subkey_count, value_count, _ = registry.QueryInfoKey(handle)
        values = [registry.EnumValue(handle, index) for index in range(value_count)]
        subkeys = [registry.EnumKey(handle, index) for index in range(subkey_count)]
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from None
    return values, subkeys


def _type_name(kind: int) -> str:
    return _TYPE_NAMES.get(kind, f"registry type {kind}")
