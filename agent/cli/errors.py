"""What every `postseal` command shares: its exit codes, its one-line error, and what each
kind of failure means to the user (`failure`).

Exit codes (DESIGN.md): 0 ok · 2 bad input · 3 held or blocked by policy · 4 agent not
reachable · 1 anything else — the same state gives the same code in every command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agent import config as config_mod
from agent.api.client import AgentUnreachable, ApiError
from agent.intake import BadMessage
from agent.keys.gpg_tool import GpgMissing
from agent.keys.pgp_store import PgpError
from agent.policy.rules import RulesError
from agent.secret_store import SecretsUnavailable
from agent.store_migrations import DataVersionError

OK, FAILED, BAD_INPUT, HELD, UNREACHABLE = 0, 1, 2, 3, 4

KINDS = {BAD_INPUT: "bad_input", HELD: "held", UNREACHABLE: "agent_unreachable", FAILED: "failed"}


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


def failure(exc: Exception) -> tuple[str, int, str]:
    """What the user reads, the exit code (DESIGN.md's contract: the same state gives the same
    code in every command) and a machine-readable kind for --json."""
    # Classes of modules only some commands load: if the module is not loaded, nothing raised
    # its error, and importing it here (the whole agent, for StartError) would cost the user a
    # second on every error.
    smime_error = loaded("agent.keys.smime_store", "SmimeError")
    start_error = loaded("agent.runtime", "StartError")
    if isinstance(exc, CliError):
        return str(exc), exc.code, KINDS.get(exc.code, "failed")
    if isinstance(exc, ApiError):
        # 404 an unknown id, 409 nothing to do in this state: the user named the wrong thing.
        # 403 the organization forbids it, 422 policy blocks it: as "held".
        code = BAD_INPUT if exc.status in (400, 404, 409, 413, 415) else HELD if exc.status in (403, 422) else FAILED
        return str(exc), code, exc.code
    if isinstance(exc, (config_mod.ConfigError, RulesError, BadMessage, PgpError, *smime_error)):
        return str(exc), BAD_INPUT, KINDS[BAD_INPUT]
    if isinstance(exc, AgentUnreachable):
        return str(exc), UNREACHABLE, KINDS[UNREACHABLE]
    # GnuPG missing (the installation, not the input); a key missing or changed (said, nothing
    # re-keyed); data of a newer Postseal (said, nothing changed); an agent that cannot start.
    if isinstance(exc, (GpgMissing, SecretsUnavailable, DataVersionError, *start_error)):
        return str(exc), FAILED, KINDS[FAILED]
    if os.environ.get("POSTSEAL_DEBUG"):
        raise exc
    return f"unexpected {type(exc).__name__}: {exc} (set POSTSEAL_DEBUG=1 for details)", FAILED, "unexpected"


def loaded(module: str, name: str) -> tuple[type, ...]:
    """(the class `name` of `module`,) if that module is loaded already, else ()."""
    found = getattr(sys.modules.get(module), name, None)
    return (found,) if isinstance(found, type) else ()
