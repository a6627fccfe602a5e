r"""A dict-backed stand-in for the `winreg` module, so the Windows policy reader runs on Linux.

It behaves as winreg does where the reader depends on it: key and value names match without
regard to case, OpenKey raises FileNotFoundError for a missing key and PermissionError for a
denied one, EnumKey/EnumValue raise OSError past the end, handles open relative to a handle,
and every handle must be closed (`open_handles` counts the ones that are not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.platform.windows_registry import REG_DWORD, REG_SZ

HKEY_CURRENT_USER = 0x80000001
HKEY_LOCAL_MACHINE = 0x80000002
_HIVES = {"HKCU": HKEY_CURRENT_USER, "HKLM": HKEY_LOCAL_MACHINE}


@dataclass
class _Key:
    name: str
    values: dict[str, tuple[str, Any, int]] = field(default_factory=dict)  # lower name → (name, data, type)
    subkeys: dict[str, _Key] = field(default_factory=dict)  # lower name → key
    denied: bool = False


@dataclass(frozen=True)
class _Handle:
    key: _Key
    registry: FakeRegistry | None = field(default=None, compare=False)

    def __enter__(self) -> _Handle:  # winreg's PyHKEY closes itself at the end of a with block
        return self

    def __exit__(self, *exc: object) -> None:
        if self.registry is not None:
            self.registry.CloseKey(self)


class FakeRegistry:
    HKEY_CURRENT_USER = HKEY_CURRENT_USER
    HKEY_LOCAL_MACHINE = HKEY_LOCAL_MACHINE
    REG_SZ, REG_DWORD = REG_SZ, REG_DWORD
    KEY_READ, KEY_SET_VALUE = 0x20019, 0x2

    def __init__(self) -> None:
        self._hives = {hive: _Key(name) for name, hive in _HIVES.items()}
        self.open_handles = 0

    # --- setting up -------------------------------------------------------------------------
    def _key(self, path: str, create: bool = True) -> _Key:
        hive, _, rest = path.partition("\\")
        key = self._hives[_HIVES[hive]]
        for part in filter(None, rest.split("\\")):
            if part.lower() not in key.subkeys:
                key.subkeys[part.lower()] = _Key(part)
            key = key.subkeys[part.lower()]
        return key

    def set(self, path: str, name: str, data: Any, kind: int) -> FakeRegistry:
        """Set value `name` of key `path` ("HKLM\\SOFTWARE\\…"), creating the key."""
        self._key(path).values[name.lower()] = (name, data, kind)
        return self

    def set_dword(self, path: str, name: str, data: int) -> FakeRegistry:
        return self.set(path, name, data, REG_DWORD)

    def set_text(self, path: str, name: str, data: str) -> FakeRegistry:
        return self.set(path, name, data, REG_SZ)

    def set_list(self, path: str, entries: list[str]) -> FakeRegistry:
        """A list as the ADMX <list> element writes it: values "1", "2", … under `path`."""
        for number, entry in enumerate(entries, 1):
            self.set_text(path, str(number), entry)
        return self

    def deny(self, path: str) -> FakeRegistry:
        self._key(path).denied = True
        return self

    # --- winreg ----------------------------------------------------------------------------
    def OpenKey(self, key: Any, sub_key: str, reserved: int = 0, access: int = 0) -> _Handle:
        node = key.key if isinstance(key, _Handle) else self._hives[key]
        for part in filter(None, sub_key.split("\\")):
            if part.lower() not in node.subkeys:
                raise FileNotFoundError(2, "The system cannot find the file specified")
            node = node.subkeys[part.lower()]
            if node.denied:
                raise PermissionError(5, "Access is denied")
        self.open_handles += 1
        return _Handle(node, self)

    def CreateKey(self, key: Any, sub_key: str) -> _Handle:
        node = key.key if isinstance(key, _Handle) else self._hives[key]
        for part in filter(None, sub_key.split("\\")):
            node = node.subkeys.setdefault(part.lower(), _Key(part))
        self.open_handles += 1
        return _Handle(node, self)

    def QueryValueEx(self, key: _Handle, name: str) -> tuple[Any, int]:
        if name.lower() not in key.key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        _, data, kind = key.key.values[name.lower()]
        return data, kind

    def SetValueEx(self, key: _Handle, name: str, reserved: int, kind: int, data: Any) -> None:
        key.key.values[name.lower()] = (name, data, kind)

    def DeleteValue(self, key: _Handle, name: str) -> None:
        if key.key.values.pop(name.lower(), None) is None:
            raise FileNotFoundError(2, "The system cannot find the file specified")

    def value(self, path: str, name: str) -> tuple[Any, int] | None:
        """Test check: value `name` of key `path`, None when absent."""
        found = self._key(path).values.get(name.lower())
        return (found[1], found[2]) if found else None

    def QueryInfoKey(self, key: _Handle) -> tuple[int, int, int]:
        return len(key.key.subkeys), len(key.key.values), 0

    def EnumKey(self, key: _Handle, index: int) -> str:
        names = list(key.key.subkeys.values())
        if index >= len(names):
            raise OSError(22, "No more data is available")
        return names[index].name

    def EnumValue(self, key: _Handle, index: int) -> tuple[str, Any, int]:
        values = list(key.key.values.values())
        if index >= len(values):
            raise OSError(22, "No more data is available")
        return values[index]

    def CloseKey(self, hkey: _Handle) -> None:
        self.open_handles -= 1
