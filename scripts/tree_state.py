"""`make test` leaves the working tree as it found it: this script takes the tree's state
before the suite and compares after it, naming every file the run created, changed or removed.

    python scripts/tree_state.py save STATE      # before: git status plus a hash of each dirty file
    python scripts/tree_state.py compare STATE   # after: exit 1 naming what changed, 0 if nothing did

The state is `git status --porcelain` (untracked files one by one, ignored ones left out:
.venv, dist, caches) with the content hash of every file it lists, so a file a developer was
already editing is still caught if the suite rewrites it. STATE lives outside the tree (the
Makefile uses mktemp). Outside a git checkout (a source tarball) there is nothing to compare.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def state() -> dict[str, str] | None:
    """Each dirty path → its status letters and content hash; None outside a git checkout."""
    try:
        _git("rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.CalledProcessError):
        return None
    entries = _git("status", "--porcelain=v1", "-z", "--untracked-files=all").split(b"\0")
    found: dict[str, str] = {}
    rest = iter(entries)
    for entry in rest:
        if not entry:
            continue
        code, path = entry[:2].decode(), entry[3:].decode("utf-8", "surrogateescape")
        if code[0] in "RC":
            next(rest, None)  # a rename's second field is the old name
        file = ROOT / path
        digest = _git("hash-object", "--", path).decode().strip() if file.is_file() else "-"
        found[path] = f"{code} {digest}"
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print("usage: tree_state.py save|compare STATE", file=sys.stderr)
        return 2
    action, where = argv[0], Path(argv[1])
    now = state()
    if action == "save":
        where.write_text(json.dumps(now))
        return 0
    before = json.loads(where.read_text())
    if now is None or before is None:
        print("tree check: not a git checkout, nothing to compare")
        return 0
    changed = sorted(path for path in before.keys() | now.keys() if before.get(path) != now.get(path))
    if not changed:
        return 0
    print(
        f"make test changed the working tree ({len(changed)} file(s)); tests must write into their "
        "temporary folders (screenshots: make screenshots):",
        file=sys.stderr,
    )
    for path in changed:
        print(f"  {path}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
