"""The tray app's own program: `postseal tray` in the bundle (installers/pyinstaller/
postseal_main.py), `python -m gui`, and the `postseal-tray` console script. `postseal tray` of
a pip install starts this program too (agent/cli/programs.py): the agent never imports the
tray.

Standard library only until the checks pass: the options are parsed (so `--help` and a wrong
option need no display), then a desktop session is looked for (gui/desktop_session.py) and
PySide6 imported — each missing one said in one line, exit 1, instead of Qt aborting the
process (exit 134) or a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gui import desktop_session

FAILED = 1


def parser() -> argparse.ArgumentParser:
    """The tray's options, as `postseal tray --help` shows them (agent/cli/programs.py declares
    the same for the `postseal` command's parser)."""
    p = argparse.ArgumentParser(prog="postseal tray")
    p.add_argument("--show", action="store_true", help="open the window at start")
    p.add_argument("--no-start-agent", action="store_true", help="do not start the agent when it is not running")
    p.add_argument("--home", type=Path, help="data directory (default: $POSTSEAL_HOME or the platform's)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser().parse_args(argv)
    why = desktop_session.missing()
    if why:  # before Qt, which would abort the process (exit 134) with advice to reinstall
        print(
            f"postseal: the tray app needs a desktop session: {why}. Run it from the desktop, or use the "
            "command line (postseal outbox, postseal status ID)",
            file=sys.stderr,
        )
        return FAILED
    try:
        from gui import tray
    except ImportError as exc:
        print(f"postseal: the tray app needs PySide6 ({exc}); install postseal with its dependencies", file=sys.stderr)
        return FAILED
    return tray.main(argv)
