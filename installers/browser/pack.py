"""Pack and host the Postseal for Gmail extension (run from the repository root):

    python -m installers.browser.pack keygen KEY.pem
    python -m installers.browser.pack id --key KEY.pem | --crx FILE.crx | --manifest manifest.json
    python -m installers.browser.pack pack --key KEY.pem --base-url https://host/folder/ --out DIR [--other-key]
    python -m installers.browser.pack update-manifest FILE.crx --codebase https://host/folder/FILE.crx [--out updates.xml]
    python -m installers.browser.pack policies --id ID --update-url https://host/folder/updates.xml --out DIR

An encrypted key's password is read from the environment variable POSTSEAL_CRX_KEY_PASSWORD.
Exit codes: 0 done, 2 bad input (one line on stderr says what and where).
docs/deploy.md, "Chrome and Edge extension", is the guide.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from installers.browser import crx3, extension, force_install

PASSWORD_ENV = "POSTSEAL_CRX_KEY_PASSWORD"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise crx3.CrxError(f"{path}: cannot be read ({exc.strerror})") from None


def load_key(path: Path) -> rsa.RSAPrivateKey:
    password = os.environ.get(PASSWORD_ENV)
    try:
        return crx3.load_key(_read(path), str(path), password.encode() if password else None)
    except crx3.CrxError as exc:
        if "encrypted" in str(exc):
            raise crx3.CrxError(f"{exc} (the password is read from {PASSWORD_ENV})") from None
        raise


def keygen(path: Path) -> str:
    """A new RSA-2048 signing key at `path` (owner-only, never overwritten)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise crx3.CrxError(f"{path} exists; a signing key is never overwritten") from None
    except OSError as exc:
        raise crx3.CrxError(f"{path}: cannot be created ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return crx3.extension_id(crx3.public_key_der(key))


def _id(args: argparse.Namespace) -> str:
    if args.key:
        return crx3.extension_id(crx3.public_key_der(load_key(args.key)))
    if args.crx:
        return crx3.read(_read(args.crx), str(args.crx)).extension_id
    try:
        manifest = json.loads(_read(args.manifest))
    except ValueError as exc:
        raise crx3.CrxError(f"{args.manifest}: not JSON ({exc})") from None
    return extension.manifest_key_id(manifest, str(args.manifest))


def run(args: argparse.Namespace) -> str:
    """What to print on success."""
    if args.command == "keygen":
        ident = keygen(args.path)
        public = crx3.public_key_der(load_key(args.path))
        return (
            f'extension ID {ident}\nmanifest.json "key": {base64.b64encode(public).decode()}\n'
            f"Keep {args.path} out of the repository and backed up: losing it means a new ID."
        )
    if args.command == "id":
        return _id(args)
    if args.command == "pack":
        done = extension.pack(load_key(args.key), args.base_url, args.out, args.extension, args.other_key)
        return (
            f"extension ID {done.extension_id}, version {done.version}\n"
            f"{done.crx}  -> serve at {done.codebase}\n{done.update_manifest}  -> serve at {done.update_url}\n"
            f"force-install entry: {force_install.entry(done.extension_id, done.update_url)}"
        )
    if args.command == "update-manifest":
        ident, version = extension.describe(_read(args.crx), str(args.crx))
        extension.require_https(args.codebase, "--codebase")
        xml = extension.update_manifest(ident, version, args.codebase)
        if args.out is None:
            sys.stdout.write(xml.decode())
            return ""
        args.out.write_bytes(xml)
        return f"{args.out}: {ident} version {version} at {args.codebase}"
    if len(args.id) != 32 or not set(args.id) <= set("abcdefghijklmnop"):
        raise crx3.CrxError(f"--id {args.id!r} is not a Chrome extension ID (32 letters a-p)")
    extension.require_https(args.update_url, "--update-url")
    return "\n".join(str(p) for p in force_install.write_examples(args.id, args.update_url, args.out))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m installers.browser.pack", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("keygen", help="make a new signing key (its ID is printed)")
    p.add_argument("path", type=Path)
    p = sub.add_parser("id", help='the extension ID of a key, a package or a manifest\'s "key"')
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--key", type=Path)
    which.add_argument("--crx", type=Path)
    which.add_argument("--manifest", type=Path)
    p = sub.add_parser("pack", help="sign the extension as CRX3 and write its update manifest")
    p.add_argument("--key", type=Path, required=True, help="the signing key (PEM); never kept in the repository")
    p.add_argument("--base-url", required=True, help="the https:// folder the .crx and updates.xml are served from")
    p.add_argument("--out", type=Path, required=True, help="folder to write the .crx and updates.xml into")
    p.add_argument("--extension", type=Path, default=extension.SOURCE, help="the extension folder (addins/gmail)")
    p.add_argument(
        "--other-key",
        action="store_true",
        help="sign with a key that is not the one manifest.json pins (the extension gets another ID)",
    )
    p = sub.add_parser("update-manifest", help="updates.xml for a package hosted at a URL of your choice")
    p.add_argument("crx", type=Path)
    p.add_argument("--codebase", required=True, help="the https:// URL the .crx is served at")
    p.add_argument("--out", type=Path)
    p = sub.add_parser("policies", help="force-install policy files for Windows, macOS and Linux")
    p.add_argument("--id", default=extension.PRODUCTION_ID)
    p.add_argument("--update-url", required=True, help="the https:// URL of updates.xml")
    p.add_argument("--out", type=Path, required=True)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        text = run(args)
    except (crx3.CrxError, extension.PackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2
    if text:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
