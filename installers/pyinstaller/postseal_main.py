"""The bundle's one executable, `postseal`: the CLI, the agent, the tray and the native host.

`postseal tray` is the tray app (gui/launch.py), run here directly: the agent package never
imports the tray, and the tray needs nothing of the CLI. Every other subcommand comes from
agent.cli (`postseal agent`, `postseal native-host`, ...); a browser starting the native host
passes its caller's origin instead, which agent.cli also understands. The code starts some of its own parts as `sys.executable -m MODULE` (the
tray starts the agent, the agent starts the attachment sandbox): in a bundle sys.executable
is this program, not a Python, so it runs those modules itself — only those, so the bundle
is not a general-purpose interpreter.
"""

import runpy
import sys

# Every module the code starts with `sys.executable -m` (grep for "-m" in agent/ and gui/).
MODULES = frozenset({"agent.cli", "agent.policy.sandbox", "gui", "gui.tray"})


def damaged(exc: ImportError) -> int:
    # A bundle with files missing (a partial copy, a cleanup tool): one line, not a traceback.
    where = getattr(sys, "_MEIPASS", "")
    print(
        f"postseal: this installation is damaged ({exc}{f' under {where}' if where else ''}); reinstall Postseal",
        file=sys.stderr,
    )
    return 1


def main() -> int:
    if sys.argv[1:2] == ["-m"]:
        module = sys.argv[2] if len(sys.argv) > 2 else ""
        if module not in MODULES:
            print(
                f"postseal: -m {module or '(nothing)'}: this program runs only {', '.join(sorted(MODULES))} that way",
                file=sys.stderr,
            )
            return 2
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except ImportError as exc:
            return damaged(exc)
        return 0
    if sys.argv[1:2] == ["tray"]:
        try:
            from gui.launch import main as tray_main
        except ImportError as exc:
            return damaged(exc)
        return tray_main(sys.argv[2:])
    try:
        from agent.cli import main as cli_main
    except ImportError as exc:
        return damaged(exc)
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
