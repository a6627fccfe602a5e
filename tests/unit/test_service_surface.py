"""Nothing reaches past the Agent (issue 21): a door (agent/ingress/) calls the service's
methods and properties — what the `Agent` class and the rooms mixed into it define — and never
the parts it holds (`agent.pgp`, `agent.audit`, `agent.accounts`, `agent.stamper`, …).

Read from the source with `ast`. The service object is found where a door gets it: from the
app (`request.app[AGENT]`), from a local helper declared `-> Agent`, as a parameter or local
called `agent`, or as `self.agent`; a door that binds it to any other name is itself reported,
so renaming cannot slip past the check."""

from __future__ import annotations

import ast
from pathlib import Path

from agent.service.agent import Agent
from tests.unit.test_boundaries import ROOT, modules

SURFACE = frozenset(name for name in dir(Agent) if not name.startswith("_"))


def is_agent(node: ast.AST, helpers: set[str]) -> bool:
    """Whether `node` is an expression for the service object."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Name) and node.slice.id == "AGENT"
    if isinstance(node, ast.Name):
        return node.id == "agent"
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "self" and node.attr == "agent"
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in helpers
    return False


def reaches_past(path: Path, surface: frozenset[str] = SURFACE) -> list[str]:
    """Where the module at `path` uses the service object other than through its surface."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    helpers = {
        f.name
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        and isinstance(f.returns, ast.Name)
        and f.returns.id == "Agent"
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_agent(node.value, helpers) and node.attr not in surface:
            found.append(f"{path.name}:{node.lineno}: uses the agent's {node.attr!r}, not its surface")
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is not None and is_agent(value, helpers):
                found += [
                    f"{path.name}:{node.lineno}: the agent is bound to {ast.unparse(t)!r}; call it `agent`"
                    for t in targets
                    if not is_agent(t, helpers)
                ]
        elif isinstance(node, ast.arg):
            annotation = node.annotation
            if isinstance(annotation, ast.Name) and annotation.id == "Agent" and node.arg != "agent":
                found.append(f"{path.name}:{node.lineno}: the agent is the parameter {node.arg!r}; call it `agent`")
    return sorted(found, key=lambda where: int(where.split(":")[1]))


def test_the_doors_use_only_the_agents_surface() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {where}" for _, path in modules("agent/ingress") for where in reaches_past(path)
    ]
    assert found == []


def used_by_doors() -> set[str]:
    """The names the doors call on the service object."""
    used = set()
    for _, path in modules("agent/ingress"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        helpers = {
            f.name
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            and isinstance(f.returns, ast.Name)
            and f.returns.id == "Agent"
        }
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and is_agent(n.value, helpers)}
    return used


def test_the_api_fake_answers_everything_the_doors_call(home: Path) -> None:
    # tests/fake_service.py stands in for Agent in the handlers' unit tests: it must not drift.
    from tests.fake_service import FakeAgent

    fake = FakeAgent(home)
    assert sorted(name for name in used_by_doors() if not hasattr(fake, name)) == []


def test_the_surface_holds_no_store() -> None:
    # The parts the service is built from are its own; they are set in __init__, never on the class.
    assert SURFACE.isdisjoint({"pgp", "smime", "audit", "outbox", "accounts", "stamper", "worker", "secrets"})
    assert {"list_keys", "audit_page", "mailboxes", "settings_view", "verify_stamp", "submit"} <= SURFACE


def test_reaching_past_is_seen(tmp_path: Path) -> None:
    sample = tmp_path / "door.py"
    sample.write_text(
        "def _agent(request) -> Agent:\n"
        "    return request.app[AGENT]\n"
        "async def handler(request, other: Agent):\n"
        "    request.app[AGENT].pgp.list_keys()\n"  # 4
        "    agent = request.app[AGENT]\n"
        "    agent.audit.records()\n"  # 6
        "    _agent(request).accounts.list()\n"  # 7
        "    store = request.app[AGENT]\n"  # 8: renamed
        "    agent.list_keys()\n"
        "    self.agent.outbox.get('m1')\n"  # 10
    )
    assert reaches_past(sample, frozenset({"list_keys"})) == [
        "door.py:3: the agent is the parameter 'other'; call it `agent`",
        "door.py:4: uses the agent's 'pgp', not its surface",
        "door.py:6: uses the agent's 'audit', not its surface",
        "door.py:7: uses the agent's 'accounts', not its surface",
        "door.py:8: the agent is bound to 'store'; call it `agent`",
        "door.py:10: uses the agent's 'outbox', not its surface",
    ]
