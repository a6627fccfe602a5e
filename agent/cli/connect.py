"""Connecting mail programs to the agent: `postseal ingress credentials` (the local SMTP
submission), `extension register|manifest` (the Gmail extension's native messaging host) and
`outlook manifest` (the Outlook add-in for this install's origin)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.cli.errors import BAD_INPUT, OK, CliError
from agent.cli.output import emit


def add_ingress(sub: Any) -> None:
    p = sub.add_parser("ingress", help="the local SMTP submission for desktop mail programs")
    ing = p.add_subparsers(dest="ingress_cmd", required=True, metavar="ACTION")
    k = ing.add_parser("credentials", help="server, port, user name and password to put in a mail program")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingress)


def add_extension(sub: Any) -> None:
    p = sub.add_parser("extension", help="register the native messaging host the Gmail extension talks to")
    ext = p.add_subparsers(dest="extension_cmd", required=True, metavar="ACTION")
    for name, text in (
        ("register", "write the host manifest for Chrome, Chromium and Edge"),
        ("manifest", "print the host manifest (for IT to deploy)"),
    ):
        k = ext.add_parser(name, help=text)
        k.add_argument(
            "--extension-id",
            action="append",
            default=[],
            metavar="ID",
            help="another extension ID allowed to start the host (a store-published copy)",
        )
        k.add_argument("--host-path", help="the host executable (default: postseal-native-host beside postseal)")
        if name == "register":
            k.add_argument(
                "--browser",
                action="append",
                choices=("chrome", "chromium", "edge"),
                help="only this browser (repeatable; default: all three)",
            )
            k.add_argument("--system", action="store_true", help="for every user of this computer (needs admin)")
            k.add_argument(
                "--root",
                metavar="DIR",
                help="write the manifests under DIR instead of / (a package's staging tree; no registry keys)",
            )
            k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_extension)


def add_outlook(sub: Any) -> None:
    p = sub.add_parser("outlook", help="the Outlook add-in's manifest, for the add-in origin this install serves")
    out = p.add_subparsers(dest="outlook_cmd", required=True, metavar="ACTION")
    k = out.add_parser("manifest", help="write manifest.xml, the unified manifest.json, or its upload zip")
    k.add_argument(
        "--format",
        choices=("xml", "json", "zip"),
        default="xml",
        help="xml: add-in only manifest (Outlook on Mac needs it); json: unified manifest; "
        "zip: manifest.json with its icons for the Microsoft 365 admin center",
    )
    where = k.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, help="the add-in port (default: ingress.addin_port from config and policy)")
    where.add_argument("--origin", help="the add-in origin, https://localhost:PORT")
    k.add_argument("--output", "-o", help="the file to write (default: standard output)")
    p.set_defaults(func=cmd_outlook)


def cmd_ingress(args: argparse.Namespace) -> int:
    creds = AgentClient.discover().ingress_credentials()
    emit(
        creds,
        args.json,
        "\n".join(
            [
                "Outgoing mail server (SMTP) for Thunderbird, Apple Mail or Outlook with an IMAP account:",
                f"  server    {creds['host']}",
                f"  port      {creds['port']}",
                f"  security  {creds['security']} (the certificate is from {creds['ca_file']})",
                f"  user name {creds['username']}",
                f"  password  {creds['password']}",
            ]
        ),
    )
    return OK


def cmd_extension(args: argparse.Namespace) -> int:
    from agent.ingress import native_manifest as nm

    try:
        if args.extension_cmd == "manifest":
            executable = Path(args.host_path) if args.host_path else nm.host_executable()
            print(json.dumps(nm.host_manifest(executable, tuple(args.extension_id)), indent=2))
            return OK
        done = nm.register(
            tuple(args.browser or nm.BROWSERS),
            args.system,
            Path(args.host_path) if args.host_path else None,
            tuple(args.extension_id),
            root=Path(args.root) if args.root else None,
        )
    except nm.RegistrationError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    emit(
        [{"browser": r.browser, "manifest": str(r.manifest), "registry_key": r.registry_key} for r in done],
        args.json,
        "\n".join(f"{r.browser:9} {r.registry_key or r.manifest}" for r in done)
        + "\nRestart the browser; the Postseal for Gmail extension can now reach the agent.",
    )
    return OK


def cmd_outlook(args: argparse.Namespace) -> int:
    from agent.ingress import outlook_manifest as om

    try:
        if args.origin:
            origin = om.parse_origin(args.origin)
        else:  # this install's port: config.toml, or managed policy where IT set it
            origin = om.origin_for(args.port if args.port is not None else config_mod.load().ingress.addin_port)
        data = om.render(args.format, origin)
    except om.ManifestError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    if args.output in (None, "-"):
        if args.format == "zip":
            raise CliError("a zip is not written to the terminal: give --output FILE.zip", BAD_INPUT)
        sys.stdout.write(data.decode())
        return OK
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise CliError(f"{args.output}: cannot write: {exc.strerror}", BAD_INPUT) from None
    print(f"{args.output}: Outlook add-in manifest ({args.format}) for {origin}", file=sys.stderr)
    return OK
