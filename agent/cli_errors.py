"""What every `postseal` command shares: its exit codes and its one-line error.

Exit codes (DESIGN.md): 0 ok · 2 bad input · 3 held or blocked by policy · 4 agent not
reachable · 1 anything else — the same state gives the same code in every command.
"""

from __future__ import annotations

from pathlib import Path

OK, FAILED, BAD_INPUT, HELD, UNREACHABLE = 0, 1, 2, 3, 4


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", BAD_INPUT) from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a file", BAD_INPUT) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {exc.strerror}", BAD_INPUT) from None
