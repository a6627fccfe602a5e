"""`make test` fails when the suite changed the working tree, naming the files
(scripts/tree_state.py), and passes when it left the tree as it found it — a file the developer
was already editing included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tree_state.py"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


def tree_state(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(repo / "scripts" / "tree_state.py"), *args], capture_output=True, text=True, check=False
    )


def test_the_check_names_what_a_run_created_changed_or_removed(tmp_path):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts")
    (repo / "docs").mkdir()
    for name in ("shot.png", "guide.md", "gone.md"):
        (repo / "docs" / name).write_text(name)
    (repo / ".gitignore").write_text("cache/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start")
    (repo / "docs" / "guide.md").write_text("being edited")  # dirty before the run: not the run's doing
    state = tmp_path / "state.json"
    assert tree_state(repo, "save", str(state)).returncode == 0

    (repo / "cache").mkdir()
    (repo / "cache" / "ignored").write_text("x")  # ignored files are the run's own business
    assert tree_state(repo, "compare", str(state)).returncode == 0

    (repo / "docs" / "shot.png").write_text("rewritten")
    (repo / "docs" / "guide.md").write_text("rewritten by the suite")
    (repo / "docs" / "gone.md").unlink()
    (repo / "docs" / "new.txt").write_text("left behind")
    result = tree_state(repo, "compare", str(state))
    assert result.returncode == 1
    named = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert named == ["docs/gone.md", "docs/guide.md", "docs/new.txt", "docs/shot.png"]


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts")
    state = tmp_path / "state.json"
    assert tree_state(tmp_path, "save", str(state)).returncode == 0
    result = tree_state(tmp_path, "compare", str(state))
    assert result.returncode == 0 and "not a git checkout" in result.stdout
