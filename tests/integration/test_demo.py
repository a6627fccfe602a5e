import json

from tests.conftest import run_cli


def test_demo_json_shows_every_method_a_hold_and_passing_checks(home):
    result = run_cli("demo", "--json", home=home, timeout=180)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    report = json.loads(result.stdout)
    methods = {r["method"] for m in report["messages"] for r in m["recipients"] if r["state"] == "delivered"}
    assert {"internal", "pgp", "tls", "portal"} <= methods
    assert any(m["state"] == "held" for m in report["messages"])
    assert report["checks"] and all(c["ok"] for c in report["checks"])
