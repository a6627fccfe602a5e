"""The long-running programs `postseal` starts: `agent` (the local agent), `demo`, `tray` (the
tray app) and `native-host` (the browser extension's host, started by Chrome/Edge).

The tray is a program of its own (gui/launch.py: `python -m gui`, `postseal-tray`, and in the
bundle `postseal tray` itself, installers/pyinstaller/postseal_main.py). The agent package
never imports it: `postseal tray` here replaces this process with that program (on Windows,
which has no exec, it runs it and passes its exit code on). So Qt and the tray's code are
never loaded into a process of the agent's, and the tray checks for a desktop session and
PySide6 itself, before Qt is imported.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.cli.errors import OK

# The tray's program, started by module name with this program's interpreter (in the bundle,
# sys.executable is `postseal` itself, whose `-m` door runs it: postseal_main.MODULES).
TRAY = ("-m", "gui")


def add_agent(sub: Any) -> None:
    sub.add_parser("agent", help="run the local agent (API, outbox worker, embedded portal)").set_defaults(
        func=cmd_agent
    )


def add_demo(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo on embedded defaults and exit")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--serve",
        action="store_true",
        help="keep the agent and portal running afterwards, printing "
        "each portal link and the one-time codes the demo mailbox receives",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the demo's data directory (sample patient mail, keys) instead of removing it at the end",
    )
    p.set_defaults(func=cmd_demo)


def add_tray(sub: Any) -> None:
    p = sub.add_parser("tray", help="the tray app: status, outbox, keys and audit history (starts the agent if needed)")
    # The tray's own options (gui/launch.py declares the same), declared here so that
    # `postseal tray --help` lists them and a wrong one is refused before anything starts.
    p.add_argument("--show", action="store_true", help="open the window at start")
    p.add_argument("--no-start-agent", action="store_true", help="do not start the agent when it is not running")
    p.add_argument("--home", type=Path, help="data directory (default: $POSTSEAL_HOME or the platform's)")
    p.set_defaults(func=cmd_tray)


def add_native_host(sub: Any) -> None:
    p = sub.add_parser("native-host", help="the browser extension's native messaging host (started by Chrome/Edge)")
    p.add_argument("caller", nargs="*", help=argparse.SUPPRESS)  # chrome-extension://ID/, --parent-window=…
    p.set_defaults(func=cmd_native_host)


def cmd_agent(args: argparse.Namespace) -> int:
    from agent.runtime import serve

    home = config_mod.home_dir()
    cfg = config_mod.load(home)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(home, cfg, handle_signals=True))
    return OK


def cmd_demo(args: argparse.Namespace) -> int:
    from agent.demo import run_demo

    return run_demo(as_json=args.json, serve_after=args.serve, keep=args.keep)


def tray_command(args: argparse.Namespace) -> list[str]:
    """The tray's command line, with the options given here passed on."""
    return [
        sys.executable,
        *TRAY,
        *(["--home", str(args.home)] if args.home else []),
        *(["--show"] if args.show else []),
        *(["--no-start-agent"] if args.no_start_agent else []),
    ]


def cmd_tray(args: argparse.Namespace) -> int:
    command = tray_command(args)
    if os.name != "posix":
        return subprocess.call(command)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # returns only by raising OSError (failure(): one line, exit 1)
    return OK  # not reached


def native_host_args(argv: list[str]) -> list[str] | None:
    """The native host's own arguments when a browser started this program, else None."""
    if argv[:1] == ["native-host"] and "-h" not in argv and "--help" not in argv:
        return argv[1:]  # Chrome adds arguments of its own (the caller's origin, --parent-window= on Windows)
    if argv[:1] and argv[0].startswith("chrome-extension://"):
        # Started as the host by its origin alone: the bundle has one executable, so its host
        # manifest names `postseal` itself (native_manifest.host_executable).
        return argv
    return None


def cmd_native_host(args: argparse.Namespace) -> int:
    from agent.ingress import native

    return native.main(args.caller)
