"""The `postseal` command's parser and its `main`: the commands, in the order `postseal
--help` lists them, each added by its group's module (COMMANDS), and one way out for every
failure (agent/cli/errors.py `failure`): one line on stderr, and under --json the one JSON
document on stdout is the error itself.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys

from agent.cli import (
    accounts,
    actions,
    audit,
    config_check,
    connect,
    first_run,
    keys,
    messages,
    policy,
    portal,
    programs,
)
from agent.cli.errors import BAD_INPUT, FAILED, OK, failure

# Each entry adds one command (or a group's commands) to the subparsers; the order is the help's.
COMMANDS = (
    first_run.add_parser,  # init
    config_check.add_parser,  # config check
    programs.add_agent,
    programs.add_demo,
    messages.add_send,
    programs.add_tray,
    messages.add_bounce,
    messages.add_status,
    messages.add_outbox,
    actions.add_release,
    actions.add_retry,
    actions.add_send_via_portal,
    keys.add_parser,
    policy.add_parser,
    audit.add_parser,
    connect.add_ingress,
    programs.add_native_host,
    connect.add_extension,
    connect.add_outlook,
    actions.add_revoke,
    accounts.add_parser,
    messages.add_stamp,
    portal.add_parser,
)


def installed_version() -> str:
    """The version pip (or the bundle, which carries the same metadata) installed."""
    from importlib import metadata

    try:
        return metadata.version("postseal")
    except metadata.PackageNotFoundError:  # a bare checkout on PYTHONPATH, never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postseal", description="Postseal: every outgoing message protected, by default."
    )
    parser.add_argument("--version", action="version", version=f"postseal {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    host_args = programs.native_host_args(argv)
    if host_args is not None:  # a browser started this program: no parser, no CLI
        from agent.ingress import native

        return native.main(host_args)
    parser = build_parser()
    if not argv:  # `postseal` alone: what it can do, not an error
        parser.print_help()
        return OK
    return run(parse(parser, argv))


def run(args: argparse.Namespace) -> int:
    """The command's exit code; any failure one line on stderr (and the JSON document under --json)."""
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - a user sees one line (and JSON under --json), never a traceback
        said, code, kind = failure(exc)
        print(f"postseal: {said}", file=sys.stderr)
        if getattr(args, "json", False):  # the one JSON document on stdout is the error itself
            print(json.dumps({"error": {"code": kind, "message": said, "exit": code}}, indent=2))
        return code
    except KeyboardInterrupt:
        return FAILED


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """argparse's own parsing; a usage error under --json is also the JSON document on stdout."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 2 and "--json" in argv:
            last = (said.getvalue().strip().splitlines() or ["usage error"])[-1]
            print(json.dumps({"error": {"code": "usage", "message": last, "exit": BAD_INPUT}}, indent=2))
        raise
    finally:
        sys.stderr.write(said.getvalue())
