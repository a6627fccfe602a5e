"""A stand-in for Python's winreg module, for testing Windows code on Linux: the same
functions, constants and errors (FileNotFoundError for a missing key or value, OSError
subclasses as winreg raises), over a dictionary of keys."""

from __future__ import annotations

from typing import Any

HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE = "HKCU", "HKLM"
REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD = 1, 2, 3, 4, 7, 11
KEY_READ, KEY_SET_VALUE, KEY_WRITE, KEY_WOW64_64KEY = 0x20019, 0x2, 0x20006, 0x100


class _Key:
    def __init__(self, registry: FakeRegistry, path: str) -> None:
        self.registry, self.path = registry, path

    def __enter__(self) -> _Key:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def Close(self) -> None:  # noqa: N802 - winreg's name
        pass


class FakeRegistry:
    """keys: {"HKLM\\\\SOFTWARE\\\\Policies\\\\Postseal\\\\Relay": {"port": (587, REG_DWORD)}}.
    Key paths are case-insensitive, as in Windows."""

    HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE = HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE
    REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD = (
        REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD)
    KEY_READ, KEY_SET_VALUE, KEY_WRITE, KEY_WOW64_64KEY = KEY_READ, KEY_SET_VALUE, KEY_WRITE, KEY_WOW64_64KEY

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[Any, int]]] = {}
        self.names: dict[str, str] = {}  # lower-case path -> path as first written

    def set(self, path: str, name: str, value: Any, kind: int) -> None:
        """Test set-up: write a value, creating its key and the keys above it."""
        self._create(path)[name] = (value, kind)

    def _create(self, path: str) -> dict[str, tuple[Any, int]]:
        parts = path.split("\\")
        for i in range(1, len(parts) + 1):
            sub = "\\".join(parts[:i])
            self.names.setdefault(sub.lower(), sub)
            self.keys.setdefault(sub.lower(), {})
        return self.keys[path.lower()]

    @staticmethod
    def _join(root: Any, sub: str) -> str:
        base = root.path if isinstance(root, _Key) else str(root)
        return f"{base}\\{sub}" if sub else base

    def OpenKey(self, root: Any, sub: str, reserved: int = 0, access: int = KEY_READ) -> _Key:  # noqa: N802
        path = self._join(root, sub)
        if path.lower() not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return _Key(self, path)

    OpenKeyEx = OpenKey

    def CreateKey(self, root: Any, sub: str) -> _Key:  # noqa: N802
        path = self._join(root, sub)
        self._create(path)
        return _Key(self, path)

    def QueryValueEx(self, key: _Key, name: str) -> tuple[Any, int]:  # noqa: N802
        values = self.keys[key.path.lower()]
        if name not in values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return values[name]

    def SetValueEx(self, key: _Key, name: str, reserved: int, kind: int, value: Any) -> None:  # noqa: N802
        self.keys[key.path.lower()][name] = (value, kind)

    def DeleteValue(self, key: _Key, name: str) -> None:  # noqa: N802
        values = self.keys[key.path.lower()]
        if name not in values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del values[name]

    def EnumValue(self, key: _Key, index: int) -> tuple[str, Any, int]:  # noqa: N802
        items = list(self.keys[key.path.lower()].items())
        if index >= len(items):
            raise OSError(259, "No more data is available")
        name, (value, kind) = items[index]
        return name, value, kind

    def EnumKey(self, key: _Key, index: int) -> str:  # noqa: N802
        prefix = key.path.lower() + "\\"
        children = sorted(self.names[k].rsplit("\\", 1)[1] for k in self.keys
                          if k.startswith(prefix) and "\\" not in k[len(prefix):])
        if index >= len(children):
            raise OSError(259, "No more data is available")
        return children[index]
