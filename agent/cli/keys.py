"""`postseal keys …`: OpenPGP keys and S/MIME certificates in the agent's data directory.

The keyring is the data directory's own (the agent reads the same files), so these commands
work with or without a running agent, as an admin over SSH expects. What they refuse:
- `generate` a key for something that is not an e-mail address, or a second key for an
  address that has one, unless the user confirms at the terminal or passes --yes;
- `remove` the user's own key (its secret part decrypts mail already received, and signs):
  "no key is ever replaced over data it protects" (DESIGN.md) — renew it instead.
`import` says when what it imported cannot be used (expired, revoked, no encryption subkey),
instead of a bare "imported" that leaves the user to find out when mail goes to the portal.

While an agent runs they go through its local API (GET/POST/DELETE /v1/keys…), so only the
agent writes its keyrings; with none running they open the data directory's stores here, as an
admin over SSH expects (agent/cli/keyring.py). The checks and refusals above are made here
either way, and what is printed is the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from agent import config as config_mod
from agent.cli.errors import BAD_INPUT, OK, CliError, read_file
from agent.cli.keyring import Keyring, open_keyring
from agent.cli.output import emit, table
from agent.intake import valid_address


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "keys", help="OpenPGP keys and S/MIME certificates: list, import, generate, export, renew, remove"
    )
    keys = p.add_subparsers(dest="keys_cmd", required=True, metavar="ACTION")
    k = keys.add_parser("list", help="keys in the agent's keyring")
    k.add_argument("--json", action="store_true")
    k = keys.add_parser(
        "import",
        help="import an OpenPGP key, a certificate (.pem/.cer/.p7b), a .p12 identity, "
        "or a signed message's certificates",
    )
    k.add_argument("file")
    k.add_argument(
        "--password-file",
        help="the .p12 file's password, or the passphrase an OpenPGP secret key came "
        "with, in a file (never on the command line)",
    )
    k.add_argument("--json", action="store_true")
    k = keys.add_parser("generate", help="create a key for one of your addresses")
    k.add_argument("email")
    k.add_argument("--name", default="")
    k.add_argument("--yes", action="store_true", help="create it even if the address already has a key of yours")
    k.add_argument("--json", action="store_true")
    k = keys.add_parser("export", help="print the public key of an address")
    k.add_argument("email")
    k = keys.add_parser("renew", help="extend your own key (address or fingerprint) to 2 years from today")
    k.add_argument("key")
    k.add_argument("--json", action="store_true")
    k = keys.add_parser("remove", help="forget a partner's key or certificate (address or fingerprint)")
    k.add_argument("key", help="an address, or a fingerprint (or its last 16 digits) as `keys list` shows it")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_keys)


def cmd_keys(args: argparse.Namespace) -> int:
    if args.keys_cmd == "generate":
        _check_generate(args)  # before the keyring is opened (and created): a typo leaves nothing behind
    keyring = open_keyring(config_mod.home_dir())
    if args.keys_cmd == "list":
        keys = keyring.listed()
        rows = [
            [
                k["fingerprint"][-16:],
                ", ".join(k["emails"]),
                k["algorithm"],
                "secret" if k["secret"] else "public",
                "usable" if k["usable"] else k["problem"],
            ]
            for k in keys
        ]
        emit({"keys": keys}, args.json, table(rows, ["key", "addresses", "algorithm", "kind", "status"]))
    elif args.keys_cmd == "import":
        return _import(args, keyring)
    elif args.keys_cmd == "generate":
        return _generate(args, keyring)
    elif args.keys_cmd == "export":
        print(keyring.export(args.email), end="")
    elif args.keys_cmd == "renew":
        fingerprint = own_key(keyring, args.key)
        expires = keyring.renew(fingerprint)
        day = time.strftime("%Y-%m-%d", time.gmtime(expires))
        emit(
            {"fingerprint": fingerprint, "expires": expires},
            args.json,
            f"renewed {fingerprint}: valid until {day}; send partners its public part again (keys export)",
        )
    elif args.keys_cmd == "remove":
        return _remove(args, keyring)
    return OK


def _own(keyring: Keyring) -> list[dict[str, Any]]:
    """The user's own OpenPGP keys (with a secret part)."""
    return [k for k in keyring.listed() if k["type"] == "pgp" and k["secret"]]


def _import(args: argparse.Namespace, keyring: Keyring) -> int:
    password = read_file(args.password_file).rstrip(b"\r\n") if args.password_file else None
    kind, fingerprints = keyring.import_file(args.file, password)
    known = {k["fingerprint"]: k for k in keyring.listed()}
    imported = [
        {
            "fingerprint": f,
            "emails": known.get(f, {}).get("emails", []),
            "usable": known.get(f, {}).get("usable", True),
            "problem": known.get(f, {}).get("problem", ""),
        }
        for f in fingerprints
    ]
    lines = []
    for key in imported:
        who = f" ({', '.join(key['emails'])})" if key["emails"] else ""
        lines.append(f"imported {kind} {key['fingerprint']}{who}")
        if not key["usable"]:
            # Said where the admin looks, not found out later when mail to them goes to the portal.
            warning = (
                f"warning: {key['fingerprint'][-16:]} cannot be used to encrypt: {key['problem']}; mail to "
                f"{', '.join(key['emails']) or 'this key'} goes by another method until a usable key is imported"
            )
            print(f"postseal: {warning}", file=sys.stderr)
    emit(
        {"imported": [k["fingerprint"] for k in imported], "kind": kind, "keys": imported}, args.json, "\n".join(lines)
    )
    return OK


def _check_generate(args: argparse.Namespace) -> None:
    if not valid_address(args.email.strip()):
        raise CliError(
            f"{args.email!r} is not an e-mail address: give the address the key is for, "
            "e.g. postseal keys generate you@clinic.example",
            BAD_INPUT,
        )
    # gpg reads the name from a parameter file, one setting a line: a line break would add settings.
    if not args.name.isprintable():
        raise CliError("--name: must be one line of printable text", BAD_INPUT)


def _generate(args: argparse.Namespace, keyring: Keyring) -> int:
    address = args.email.strip()
    existing = [k for k in _own(keyring) if address.lower() in k["emails"] and not k["revoked"]]
    if existing and not args.yes and not _confirm(address, existing):
        raise CliError(
            f"{address} already has your key {existing[0]['fingerprint']}; nothing generated "
            "(renew it with `postseal keys renew`, or pass --yes for a second key)",
            BAD_INPUT,
        )
    fingerprint = keyring.generate(address, args.name or "")
    emit({"fingerprint": fingerprint}, args.json, f"generated {fingerprint} for {address}")
    return OK


def _confirm(address: str, existing: list[dict[str, Any]]) -> bool:
    """Asked only at a terminal: a script gets the refusal, naming --yes, instead of a hang."""
    if not sys.stdin.isatty():
        return False
    listed = ", ".join(k["fingerprint"][-16:] for k in existing)
    answer = input(
        f"{address} already has your key {listed}. Partners may keep encrypting to that one. "
        "Create a second key? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _remove(args: argparse.Namespace, keyring: Keyring) -> int:
    wanted = args.key.strip().replace(" ", "").lower()
    by_fpr = lambda fpr: len(wanted) >= 16 and fpr.lower().endswith(wanted)  # noqa: E731
    listed = keyring.listed()
    pgp = [k for k in listed if k["type"] == "pgp" and (wanted in k["emails"] or by_fpr(k["fingerprint"]))]
    x509 = [
        c
        for c in listed
        if c["type"] != "pgp" and (wanted in (e.lower() for e in c["emails"]) or by_fpr(c["fingerprint"]))
    ]
    own = [k["fingerprint"] for k in pgp if k["secret"]] + [c["fingerprint"] for c in x509 if c["secret"]]
    if own:
        raise CliError(
            f"{args.key}: {own[0]} is your own key; it still decrypts mail you received and is not "
            "removed (renew it with `postseal keys renew`)",
            BAD_INPUT,
        )
    found = [k["fingerprint"] for k in pgp] + [c["fingerprint"] for c in x509]
    if not found:
        raise CliError(
            f"{args.key}: no key or certificate with that address or fingerprint (see: postseal keys list)", BAD_INPUT
        )
    if len(found) > 1 and "@" not in wanted:
        raise CliError(
            f"{args.key}: {len(found)} keys match; name one by its full fingerprint: {', '.join(found)}", BAD_INPUT
        )
    for key in pgp:
        keyring.remove(key["fingerprint"], certificate=False)
    for cert in x509:
        keyring.remove(cert["fingerprint"], certificate=True)
    emit(
        {"removed": found},
        args.json,
        "\n".join(f"removed {f}" for f in found)
        + f"\nmail to {args.key} no longer uses {'them' if len(found) > 1 else 'it'}",
    )
    return OK


def own_key(keyring: Keyring, key: str) -> str:
    """The fingerprint of the user's own key named by an address or (the end of) a fingerprint."""
    wanted = key.strip().lower().replace(" ", "")
    matches = [
        k
        for k in _own(keyring)
        if wanted in k["emails"] or (len(wanted) >= 16 and k["fingerprint"].lower().endswith(wanted))
    ]
    if not matches:
        raise CliError(
            f"{key}: none of your own keys has that address or fingerprint (see: postseal keys list)", BAD_INPUT
        )
    if len(matches) > 1:
        raise CliError(
            f"{key}: {len(matches)} of your keys match; name one by fingerprint: "
            + ", ".join(k["fingerprint"] for k in matches),
            BAD_INPUT,
        )
    return matches[0]["fingerprint"]
