"""Every route of the local API has a unit test: a route added to ROUTES without one fails
here. Tests name their routes with tests.fake_service.covers, which also fails a test whose
requests never reached the routes it names."""

from __future__ import annotations

import importlib
from pathlib import Path

from agent.ingress.api import ROUTES, create_app
from tests import fake_service


def served(home: Path) -> set[tuple[str, str]]:
    """Every (method, path) the app answers: ROUTES and the routes added beside them."""
    app = create_app(fake_service.FakeAgent(home), fake_service.TOKEN, set())
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}


def test_every_route_has_a_unit_test(home):
    for path in sorted(Path(__file__).parent.glob("test_api_*.py")):
        importlib.import_module(f"tests.unit.{path.stem}")  # each registers what it covers
    routes = served(home)
    assert {(method, path) for method, path, _ in ROUTES} <= routes
    untested = sorted(routes - set(fake_service.COVERED))
    assert not untested, f"routes without a unit test (tests/fake_service.covers): {untested}"
    unknown = sorted(set(fake_service.COVERED) - routes)
    assert not unknown, f"tests name routes that are not in ROUTES: {unknown}"
