"""The agent's OpenPGP keyring: a GnuPG home of its own under `$POSTSEAL_HOME/gnupg`.

Keys are judged once, for every use: `find` takes only keys with a user id of exactly that
address, and of those only the ones `KeyInfo.problem()` (agent/keys/pgp_key.py) passes — able
to encrypt, neither expired nor revoked, not weak. What is wrong with a key is said in words,
so the plan can tell the sender why a recipient went to the portal instead.

The user's own secret keys are protected by a passphrase kept in the secret store (the OS
keyring, agent/secret_store/), as the S/MIME identity is: a copy of the data directory alone does
not sign as the clinician. It reaches gpg on a pipe (`--pinentry-mode loopback`), never on
a command line. Own keys found without protection (made by an earlier version, or by hand with
gpg) get it at agent start; imported secret keys get it on import.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
from pathlib import Path

import gnupg

from agent import secret_store
from agent.keys import gpg_tool
from agent.keys.pgp_key import KeyInfo

log = logging.getLogger(__name__)

PASSPHRASE = "pgp-key-passphrase"  # its name in the secret store


class PgpError(Exception):
    """A key operation failed; the message says which key and why."""


class NotYourKey(PgpError):
    """The key asked for is not one of the user's own (no secret part here)."""


class NeedsPassphrase(PgpError):
    """An imported secret key is protected by a passphrase that was not given (or is wrong)."""


class RevokedKey(PgpError):
    """The key is revoked: nothing may bring it back."""


def export_spec(address_or_fpr: str) -> str:
    """What gpg is asked to export for a fingerprint (exactly) or an address (`<address>`);
    PgpError for anything else."""
    if re.fullmatch(r"[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}", address_or_fpr):
        return address_or_fpr
    if re.fullmatch(r"[^\s<>@]+@[^\s<>@]+", address_or_fpr) and not address_or_fpr.startswith("-"):
        return f"<{address_or_fpr}>"
    raise PgpError(f"{address_or_fpr[:80]!r} is neither an e-mail address nor a key fingerprint")


class PgpStore:
    def __init__(self, home: Path) -> None:
        self.data_home = home
        self.home = home / "gnupg"
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.home, 0o700)
        try:
            gpg_tool.check_socket_room(self.home)
        except gpg_tool.HomeTooDeep as exc:
            raise PgpError(str(exc)) from None
        self._tune_agent()
        gpg_tool.require()  # one line naming what to install, not python-gnupg's OSError
        self.gpg = gnupg.GPG(gnupghome=str(self.home))
        self.gpg.encoding = "utf-8"
        self._lock = threading.Lock()  # one gpg writer at a time: the keyring is a file
        self._cache: tuple[tuple, list[KeyInfo]] | None = None
        self._secret: str | None = None

    def _stamp(self) -> tuple:
        """Changes whenever gpg (ours or the user's, run by hand) rewrites the keyring."""
        stamp = []
        for name in ("pubring.kbx", "pubring.gpg", "trustdb.gpg", "private-keys-v1.d"):
            try:
                info = (self.home / name).stat()
                stamp.append((name, info.st_mtime_ns, info.st_size))
            except FileNotFoundError:
                stamp.append((name, 0, 0))
        return tuple(stamp)

    # --- reading -----------------------------------------------------------------------
    def list_keys(self, secret: bool = False) -> list[KeyInfo]:
        """All keys, parsed once per keyring change: a lookup per recipient must not cost
        two gpg processes. Validity (expiry) is still judged at each use, in `problem()`."""
        stamp = self._stamp()
        cached = self._cache
        if cached is None or cached[0] != stamp:
            secret_fprs = {k["fingerprint"] for k in self.gpg.list_keys(True)}
            keys = [KeyInfo.from_gpg(k, k["fingerprint"] in secret_fprs) for k in self.gpg.list_keys()]
            self._cache = cached = (stamp, keys)
        return [k for k in cached[1] if k.secret] if secret else list(cached[1])

    def find(self, address: str, secret: bool = False) -> tuple[KeyInfo | None, list[str]]:
        """The best usable key for an address, or None and the reasons each candidate failed."""
        address = address.lower()
        problems: list[str] = []
        usable: list[KeyInfo] = []
        for key in self.list_keys(secret):
            if address not in key.emails:
                continue
            problem = key.problem()
            if problem:
                problems.append(problem)
            else:
                usable.append(key)
        if not usable:
            return None, problems
        return max(usable, key=lambda k: k.created), problems

    # --- changing ------------------------------------------------------------------------
    def import_keys(self, data: bytes | str, passphrase: str | None = None) -> list[str]:
        """Import keys; a secret key among them is re-protected with this store's passphrase
        (`passphrase`: the one it came with, if any), or its secret part is not kept."""
        before = {k.fingerprint for k in self.list_keys(secret=True)}
        with self._lock:
            result = self.gpg.import_keys(data)
        fingerprints = [f for f in (result.fingerprints or []) if f]
        if not fingerprints and int(getattr(result, "n_revoc", 0) or 0):
            # A bare revocation certificate: gpg names the key only in KEY_CONSIDERED.
            fingerprints = re.findall(r"\[GNUPG:\] KEY_CONSIDERED ([0-9A-F]{40})", result.stderr)
        if not fingerprints:
            reason = "; ".join(r.get("text", "").strip() for r in result.results if r.get("text"))
            raise PgpError(f"gpg could not import a key: {reason or 'no OpenPGP key found'}")
        if int(getattr(result, "sec_read", 0) or 0):
            own = {k.fingerprint for k in self.list_keys(secret=True)}
            for fingerprint in sorted(set(fingerprints) & own):
                self._protect_imported(fingerprint, passphrase, fingerprint in before)
        return sorted(set(fingerprints))

    def _protect_imported(self, fingerprint: str, passphrase: str | None, had_it: bool) -> None:
        with self._lock:
            try:
                self._reprotect(fingerprint, passphrase)
                return
            except PgpError:
                if not had_it:  # an own key Postseal cannot open must not be picked to sign
                    self._run(["--yes", "--delete-secret-keys", fingerprint])
                    self._cache = None
        raise NeedsPassphrase(
            f"the secret key {fingerprint[-16:]} is protected by a passphrase of its own: import it "
            "again with that passphrase (postseal keys import FILE --password-file F), so Postseal "
            "can protect it with its own; its secret part was not kept"
        )

    # --- protection of the user's own keys ---------------------------------------------------
    def _tune_agent(self) -> None:
        # The passphrase is 256 random bits: an S2K iteration count slows the guessing of a
        # person's passphrase, and adds nothing against this one. gpg-agent's calibrated default
        # (~100 ms a derivation, seconds on a busy machine) would be paid at every key change and
        # every first signature; 65536 is the smallest count OpenPGP encodes.
        conf = self.home / "gpg-agent.conf"
        text = conf.read_text(encoding="utf-8") if conf.exists() else ""
        if "s2k-count" not in text:
            conf.write_text(
                text + "# Postseal: the passphrase is random (agent/keys/pgp_store.py)\ns2k-count 65536\n",
                encoding="utf-8",
            )

    def _passphrase(self) -> str:
        if self._secret is None:
            try:
                self._secret = secret_store.get_or_create(self.data_home, PASSPHRASE).hex()
            except secret_store.SecretsUnavailable as exc:
                raise PgpError(str(exc)) from None
        return self._secret

    def _run(self, args: list[str], stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
        command = ["gpg", "--homedir", str(self.home), "--batch", "--pinentry-mode", "loopback", *args]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)

    def _forget_cached(self) -> None:
        # gpg-agent keeps an opened key's passphrase a while and then accepts any passphrase:
        # a check that the key opens with ours must ask an agent that remembers nothing.
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--reload", "gpg-agent"],
            capture_output=True,
            check=False,
            timeout=30,
        )

    def _unprotected(self) -> list[str]:
        """Own keys with a secret (sub)key that has no passphrase, as gpg-agent reports them."""
        listing = self._run(["--with-colons", "--with-keygrip", "--list-secret-keys"]).stdout
        grips: dict[str, list[str]] = {}
        primary, record = "", ""
        for line in listing.splitlines():
            fields = line.split(":")
            if fields[0] in ("sec", "ssb"):
                record = fields[0]
                primary = "" if record == "sec" else primary
            elif fields[0] == "fpr" and record == "sec" and not primary:
                primary = fields[9]
                grips[primary] = []
            elif fields[0] == "grp" and primary:
                grips[primary].append(fields[9])
        if not grips:
            return []
        info = subprocess.run(
            ["gpg-connect-agent", "--homedir", str(self.home), "KEYINFO --list", "/bye"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout
        # "S KEYINFO <keygrip> <type> <serialno> <idstr> <cached> <protection> …" (gpg-agent's
        # KEYINFO: protection P = passphrase, C = clear, - = unknown)
        clear = {
            parts[2]
            for parts in (line.split() for line in info.splitlines())
            if parts[:2] == ["S", "KEYINFO"] and len(parts) > 7 and parts[7] == "C"
        }
        return [fpr for fpr, keygrips in grips.items() if clear & set(keygrips)]

    def _reprotect(self, fingerprint: str, old: str | None) -> None:
        """Put this store's passphrase on an own key (and its subkeys); caller holds the lock."""
        new = self._passphrase()
        self._forget_cached()
        if fingerprint in self._unprotected():
            # No passphrase yet: gpg asks only for the new one, once per (sub)key.
            self._run(["--passphrase-fd", "0", "--passwd", fingerprint], new + "\n")
        else:
            # gpg asks for the old passphrase, then the new one (subkeys sharing it follow).
            self._run(["--command-fd", "0", "--passwd", fingerprint], f"{old or new}\n{new}\n")
        self._forget_cached()
        check = self._run(["--armor", "--passphrase-fd", "0", "--export-secret-keys", fingerprint], new + "\n")
        if check.returncode != 0 or "PRIVATE KEY" not in check.stdout or fingerprint in self._unprotected():
            raise PgpError(
                f"gpg could not protect your key {fingerprint[-16:]} with Postseal's passphrase: "
                f"{check.stderr.strip()[-200:]}"
            )

    def protect_own_keys(self) -> list[str]:
        """Protect own keys found without a passphrase; returns their fingerprints."""
        with self._lock:
            bare = self._unprotected()
            for fingerprint in bare:
                self._reprotect(fingerprint, None)
            self._cache = None
        if bare:
            log.info("protected %d own OpenPGP key(s) with a passphrase from the secret store", len(bare))
        return bare

    def import_filtered(self, data: bytes, address: str) -> list[str]:
        """Import a discovered key keeping only the user IDs that name `address` (WKD,
        keyservers, Autocrypt): other identities on the key are not ours to accept."""
        mbox = address.lower().replace("\\", "").replace('"', "")
        with self._lock:
            result = self.gpg.import_keys(data, extra_args=["--import-filter", f"keep-uid=mbox = {mbox}"])
        fingerprints = [f for f in (result.fingerprints or []) if f]
        if not fingerprints:
            raise PgpError(f"gpg imported nothing naming {address}")
        return sorted(set(fingerprints))

    def generate(self, address: str, name: str = "", expire: str = "2y") -> str:
        params = self.gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            name_real=name or address,
            name_email=address,
            expire_date=expire,
            passphrase=self._passphrase(),
        )
        with self._lock:
            result = self.gpg.gen_key(params)
        if not result.fingerprint:
            raise PgpError(f"gpg could not generate a key for {address}: {result.stderr[-300:]}")
        return result.fingerprint

    def renew(self, fingerprint: str, expire: str = "2y") -> int:
        """Move the expiry of one of the user's own keys (and its subkeys) to `expire` from
        today, and return the new date. Partners see it once they have the re-exported key."""
        own = next((k for k in self.list_keys(secret=True) if k.fingerprint == fingerprint.upper()), None)
        if own is None:
            raise NotYourKey(f"{fingerprint} is not one of your keys in {self.home}: only your own key can be renewed")
        if own.revoked:
            raise RevokedKey(f"your key {fingerprint[-16:]} is revoked and cannot be renewed: create a new key")
        with self._lock:
            if own.fingerprint in self._unprotected():
                self._reprotect(own.fingerprint, None)
            base = ["--passphrase-fd", "0", "--quick-set-expire", own.fingerprint, expire]
            for command in (base, base + ["*"]):  # the primary key, then every subkey
                done = self._run(command, self._passphrase())
                if done.returncode != 0:
                    raise PgpError(f"gpg could not renew {own.fingerprint[-16:]}: {done.stderr.strip()[-300:]}")
            self._cache = None
        renewed = next(k for k in self.list_keys(secret=True) if k.fingerprint == own.fingerprint)
        return renewed.expires

    def delete_public(self, fingerprint: str) -> None:
        """Forget a recipient's key. The user's own keys (with a secret part) are not deleted here."""
        if any(k.fingerprint == fingerprint for k in self.list_keys(secret=True)):
            raise PgpError(f"{fingerprint} is your own key (it has a secret key); it is not deleted from here")
        if not any(k.fingerprint == fingerprint for k in self.list_keys()):
            raise PgpError(f"no key {fingerprint} in {self.home}")
        with self._lock:
            result = self.gpg.delete_keys(fingerprint)
        if str(result) != "ok":
            raise PgpError(f"gpg could not delete {fingerprint}: {result}")

    def export_public(self, address_or_fpr: str) -> str:
        """`address_or_fpr` reaches gpg's command line: only a fingerprint (exactly) or an
        address (as `<address>`, gpg's exact-mailbox match, not a substring), after `--`, so
        nothing a caller sends can be read as an option (`--version`, `--output=…`)."""
        armored = self.gpg.export_keys(["--", export_spec(address_or_fpr)])
        if not armored:
            raise PgpError(f"no public key for {address_or_fpr} in {self.home}")
        return armored

    def encrypt(self, data: bytes, fingerprints: list[str], sign: str | None = None) -> bytes:
        # always_trust: the web of trust is not our trust model; `problem()` already judged
        # each key (address match, expiry, revocation, strength) before it was chosen.
        # sign: the sender's own key, opened with the passphrase from the secret store.
        result = self.gpg.encrypt(
            data,
            fingerprints,
            armor=True,
            always_trust=True,
            sign=sign,
            passphrase=self._passphrase() if sign else None,
        )
        if not result.ok:
            raise PgpError(f"gpg refused to encrypt to {', '.join(f[-16:] for f in fingerprints)}: {result.status}")
        return result.data

    def close(self) -> None:
        """Stop the gpg-agent this home started, so none outlive the agent."""
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True, check=False)
