"""The layers' fences, read from the source with `ast` (nothing is imported):

- no module imports another module's `_private` name, nor reaches one through a module it
  imported (`helpers._thing`): what a module shares, it names publicly;
- the agent never imports Qt or the tray (`postseal tray` starts the tray's own program,
  agent/cli/programs.py);
- the tray imports from the agent only its API client (`agent.api`) and the OS layer
  (`agent.platform`, for the tray's own autostart entry, a per-user OS setting and no state
  of the agent's);
- the API client imports only the standard library (and platformdirs, lazily, to find the
  same home folder as the agent), so it can be vendored by anything that speaks the API;
- a message goes one way: the front ends (CLI, demo) and the doors (ingress/, runtime.py) call
  the service (service/), the service calls what is below it, and nothing calls back up.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "gui")


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def is_project_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, name) for every import: `import a.b` gives ("a.b", None)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(module: str, path: Path) -> list[str]:
    """Where `module` (at `path`) imports or reaches another project module's private name."""
    found = []
    bound: set[str] = set()  # local names of project modules imported whole
    for line, source, name in imports(path):
        if name is None or not source.startswith(PACKAGES):
            continue
        if private(name) and source != module:
            found.append(f"{path.name}:{line}: imports {source}.{name}")
        if is_project_module(f"{source}.{name}"):
            bound.add(name)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and private(node.attr)
        ):
            found.append(f"{path.name}:{node.lineno}: uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [where for package in PACKAGES for module, path in modules(package) for where in private_uses(module, path)]
    assert found == []


def test_a_private_use_is_seen(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from agent.policy.extract import _x, finding\nfrom agent.portal import access\naccess._seen\naccess.hint\n"
    )
    assert private_uses("agent.sample", sample) == [
        "sample.py:1: imports agent.policy.extract._x",
        "sample.py:3: uses access._seen",
    ]


def test_the_agent_never_imports_qt_or_the_tray() -> None:
    found = []
    for _, path in modules("agent"):
        for line, source, _ in imports(path):
            top = source.split(".")[0]
            if top in ("PySide6", "shiboken6", "PyQt5", "PyQt6", "gui"):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {source}")
    assert found == []


def test_the_tray_reaches_the_agent_only_through_its_api_client() -> None:
    found = []
    for _, path in modules("gui"):
        for line, source, name in imports(path):
            full = f"{source}.{name}" if name and source == "agent" else source
            if full.split(".")[0] == "agent" and not full.startswith(("agent.api", "agent.platform")):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {full}")
    assert found == []


def test_the_api_client_needs_only_the_standard_library() -> None:
    found = []
    for module, path in modules("agent/api"):
        for line, source, _ in imports(path):
            top = source.split(".")[0]
            if top in sys.stdlib_module_names or source.startswith("agent.api") or top == "__future__":
                continue
            if top == "platformdirs" and module == "agent.api.client":
                continue  # lazily, in default_home(): the agent's own rule for its home folder
            found.append(f"{path.relative_to(ROOT)}:{line}: imports {source}")
    assert found == []


# One message goes one way: a front end or a door calls the service; the service calls what is
# below it; nothing below calls back up (docs/architecture.md, "One message").
FRONTS = ("agent.cli", "agent.demo")
DOORS = ("agent.ingress", "agent.runtime")
SERVICE = ("agent.service",)


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def calls_up(module: str, source: str) -> bool:
    if within(module, FRONTS):
        return False
    if within(module, DOORS):
        return within(source, FRONTS)
    if within(module, SERVICE):
        return within(source, FRONTS + DOORS)
    return within(source, FRONTS + DOORS + SERVICE)


def test_the_doors_call_the_service_and_nothing_below_it_calls_back_up() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {source}"
        for module, path in modules("agent")
        for line, source, _ in imports(path)
        if calls_up(module, source)
    ]
    assert found == []


def test_a_call_back_up_is_seen() -> None:
    assert calls_up("agent.portal_sync", "agent.service.outcomes")
    assert calls_up("agent.service.worker", "agent.ingress.api")
    assert calls_up("agent.ingress.smtp", "agent.cli")
    assert not calls_up("agent.ingress.api.messages", "agent.service.errors")
    assert not calls_up("agent.service.worker", "agent.outbox")
