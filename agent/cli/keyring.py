"""Where `postseal keys …` finds the keys: the running agent's keyring through its local API
(GET/POST/DELETE /v1/keys…) while an agent runs, else the data directory's stores opened here.
Both answer in the API's shapes (a key is the dict `GET /v1/keys` lists) and fail as the
stores do in-process — the same words and the same exit code (2, bad input) — so a command
says the same whichever answered.

One corner cannot be told apart over the API: a signed message whose Autocrypt header is
refused is named with its file (as an S/MIME refusal is), where in-process it is not."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent import config as config_mod
from agent.api.client import AgentClient, ApiError
from agent.cli.errors import BAD_INPUT, CliError, read_file
from agent.cli.running import running_agent
from agent.keys.pgp_store import PgpStore, export_spec

if TYPE_CHECKING:
    from agent.keys.smime_store import SmimeStore


class Keyring(Protocol):
    def listed(self) -> list[dict[str, Any]]:
        """OpenPGP keys ({"type": "pgp", …}), then S/MIME certificates."""

    def import_file(self, file: str, password: bytes | None) -> tuple[str, list[str]]:
        """(what the bytes were taken for, the fingerprints imported)."""

    def generate(self, address: str, name: str) -> str: ...

    def export(self, who: str) -> str: ...

    def renew(self, fingerprint: str) -> int: ...

    def remove(self, fingerprint: str, certificate: bool) -> None: ...


def open_keyring(home: Path) -> Keyring:
    client = running_agent(home)
    return HomeKeyring(home) if client is None else AgentKeyring(client)


class HomeKeyring:
    """The data directory's keyrings, opened in this process (no agent runs)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.pgp = PgpStore(home)

    @cached_property
    def smime(self) -> SmimeStore:
        """Opened when a command needs it (it reads config.toml for the organization's CAs)."""
        from agent.keys.smime_store import SmimeStore

        return SmimeStore(self.home, config_mod.load(self.home).smime.trusted_ca_files)

    def listed(self) -> list[dict[str, Any]]:
        return [{"type": "pgp", **k.to_json()} for k in self.pgp.list_keys()] + [c.to_json() for c in self.smime.list()]

    def import_file(self, file: str, password: bytes | None) -> tuple[str, list[str]]:
        from agent.keys.importer import import_any
        from agent.keys.smime_store import SmimeError

        smime = self.smime
        try:
            result = import_any(read_file(file), self.pgp, smime, password)
        except SmimeError as exc:
            raise CliError(f"{file}: {exc}", BAD_INPUT) from None
        return result.kind, list(result.fingerprints)

    def generate(self, address: str, name: str) -> str:
        return self.pgp.generate(address, name)

    def export(self, who: str) -> str:
        return self.pgp.export_public(who)

    def renew(self, fingerprint: str) -> int:
        return self.pgp.renew(fingerprint)

    def remove(self, fingerprint: str, certificate: bool) -> None:
        if certificate:
            self.smime.delete(fingerprint)
        else:
            self.pgp.delete_public(fingerprint)


class AgentKeyring:
    """The running agent's keyring, through its local API."""

    def __init__(self, client: AgentClient) -> None:
        self.client = client

    def listed(self) -> list[dict[str, Any]]:
        return self.client.keys()

    def import_file(self, file: str, password: bytes | None) -> tuple[str, list[str]]:
        from agent.keys.importer import looks_pgp

        data = read_file(file)
        try:
            # A header carries the password: as latin-1 the bytes go out unchanged, and the
            # agent reads them back as the UTF-8 they are.
            return self.client.import_keys(data, password.decode("latin-1") if password is not None else None)
        except ApiError as exc:
            # The agent refuses OpenPGP key material in gpg's words; anything else (a
            # certificate, a .p12, a message) as the S/MIME store does, which the file names.
            named = exc.code == "bad_key" and not looks_pgp(data)
            raise _as_here(exc, f"{file}: " if named else "") from None

    def generate(self, address: str, name: str) -> str:
        try:
            return self.client.generate_key(address, name)
        except ApiError as exc:
            raise _as_here(exc) from None

    def export(self, who: str) -> str:
        export_spec(who)  # refused here as in-process: the API would read 64 hex digits as a certificate
        try:
            return self.client.public_key(who)
        except ApiError as exc:
            raise _as_here(exc) from None

    def renew(self, fingerprint: str) -> int:
        try:
            return self.client.renew_key(fingerprint)
        except ApiError as exc:
            raise _as_here(exc) from None

    def remove(self, fingerprint: str, certificate: bool) -> None:
        try:
            self.client.delete_key(fingerprint)
        except ApiError as exc:
            if certificate and exc.code == "not_found":
                return  # gone already: in-process the S/MIME store says nothing either
            raise _as_here(exc) from None


def _as_here(exc: ApiError, prefix: str = "") -> Exception:
    """The agent's refusal as the stores' own in-process: its words, exit 2 (gpg that failed
    included: a PgpError is bad input in every command, agent/cli/errors.py)."""
    if exc.status in (400, 404, 409) or exc.code == "gpg_failed":
        return CliError(f"{prefix}{exc}", BAD_INPUT)
    return exc
