"""MTA-STS checker for the conformance runner: agent/mta_sts.py's verdicts on test vectors.

`check(path)` gives one (outcome, reason) per vector the file holds — none for a file that
holds no vectors, so a whole peer repository can be walked:

parsed   our verdict is the vector's
wrong    it is not (the reason shows both)
ignored  the vector cannot be judged offline (a live server's certificate, a Lua-generated
         body), or it is one where the peer is stricter than RFC 8461 and we follow the RFC
         (DELIBERATE says which and why)
crashed  anything raised besides agent.mta_sts.NoPolicy

Vectors are read where they lie, never copied:
- our own format, any `*.json` file holding {"mta_sts_vectors": [case, ...]}, a case being
  {"txt": [records...], "expect": "<id>" | null}
  {"policy": "<text>", "content_type": "text/plain", "status": 200, "expect": true | false}
  {"content_type": "<value>", "expect": true | false}
  {"mx": ["<pattern>", ...], "host": "<name>", "expect": true | false}
  (each may have a "name");
- postfix-mta-sts-resolver's tests: test_utils.py (records, Content-Types) and the resolver's
  test world — test_resolver.py's expected statuses, with the TXT records of
  dnsmasq.conf.appendix, the policies nginx.conf serves and the certificates install.debian.sh
  makes;
- checkdmarc's tests/test_mta_sts.py (records, policies, MX patterns);
- mox's mtasts/parse_test.go (records, policies) and mtasts/mtasts_test.go (a domain's TXT
  records, MX patterns).
mailauth's MTA-STS tests query live domains (gmail.com): nothing there to run offline.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from agent import mta_sts

Result = tuple[str, str]

# Vectors on which the peer is stricter than RFC 8461, and we follow the RFC.
DELIBERATE = {
    "v=STSv1; id=foo; id=bar": "a repeated field counts by its first instance (as postfix-mta-sts-resolver "
    "reads it); checkdmarc refuses",
    "version: STSv1\r\nmode: enforce\r\nmode: testing\r\nmax_age: 86400\r\nmx: mail.example.com\r\n": "a repeated field counts by its first instance; checkdmarc refuses",
    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\nmx: mail.example.com\r\nbadkey: badvalue\r\n": "§3.2: unknown fields (sts-policy-extension) are ignored; checkdmarc refuses them",
    "v=STSv1; id=a;;": "the peers disagree: postfix-mta-sts-resolver reads empty fields (its test_utils.py), mox "
    "refuses them; the record's meaning is plain, and we read it",
}


def _record(records: list[str]) -> str | None:
    try:
        return mta_sts.record_id(records)
    except mta_sts.NoPolicy:
        return None


def _policy(text: str, content_type: str = "text/plain", status: int = 200) -> str:
    """ "" when a sender would use the policy, else why not — the checks of mta_sts.fetch
    after the transport: HTTP status, Content-Type, size, grammar."""
    if status != 200:
        return f"HTTP {status}"
    if not mta_sts.is_policy_type(content_type):
        return f"Content-Type {content_type}"
    if len(text.encode()) > mta_sts.MAX_POLICY:
        return "over 64 KB"
    try:
        mta_sts.parse("example.com", "id", text)
    except mta_sts.NoPolicy as exc:
        return str(exc)
    return ""


def _judge(name: str, got, want, detail: str = "") -> Result:
    if got == want:
        return "parsed", ""
    return "wrong", f"{name}: ours {got!r}, the vector's {want!r}{detail}"


def _case(case: dict) -> Result:
    name = case.get("name", "")
    if "txt" in case:
        return _judge(name or f"txt {case['txt']}", _record(case["txt"]), case["expect"])
    if "policy" in case:
        why = _policy(case["policy"], case.get("content_type", "text/plain"), case.get("status", 200))
        return _judge(name or f"policy {case['policy'][:50]!r}", not why, case["expect"], f" ({why})" if why else "")
    if "mx" in case:
        policy = mta_sts.Policy("example.com", "id", "enforce", tuple(p.lower() for p in case["mx"]), 60)
        return _judge(name or f"mx {case['host']} in {case['mx']}", policy.allows(case["host"]), case["expect"])
    if "content_type" in case:
        return _judge(
            name or f"Content-Type {case['content_type']!r}",
            mta_sts.is_policy_type(case["content_type"]),
            case["expect"],
        )
    return "ignored", f"a vector with none of txt, policy, mx, content_type: {sorted(case)}"


# --- postfix-mta-sts-resolver --------------------------------------------------------------


def _parametrized(tree: ast.Module, function: str) -> list[tuple]:
    """The literal cases of @pytest.mark.parametrize on `function`, Names and attributes
    (FR.VALID) given as their source text."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == function:
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize"):
                    cases = decorator.args[1]
                    return [tuple(_value(e) for e in case.elts) for case in cases.elts if isinstance(case, ast.Tuple)]
    return []


def _value(node: ast.expr):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _resolver_utils(tree: ast.Module) -> list[Result]:
    results = [
        _judge(f"txt {record!r}", _record([record]), expected.get("id") if expected.get("v") == "STSv1" else None)
        for record, expected in _parametrized(tree, "test_parse_mta_sts_record")
    ]
    results += [
        _case({"content_type": value, "expect": expected})
        for value, expected in _parametrized(tree, "test_is_plaintext")
    ]
    return results


def _nginx_policies(conf: str) -> dict[str, tuple[int, str, str] | str]:
    """host -> (status, Content-Type, body) served at /.well-known/mta-sts.txt, or why not known."""
    default = re.search(r"default_type\s+(\S+);", conf)
    served: dict[str, tuple[int, str, str] | str] = {}
    for block in re.split(r"\n\s*server\s*\{", conf)[1:]:
        host = re.search(r"server_name\s+(\S+);", block)
        location = re.search(r"location = /\.well-known/mta-sts\.txt\s*\{(.*?)\n\s*\}\s*\n\s*location", block, re.S)
        if not host or not location:
            continue
        body = location.group(1)
        answer = re.search(r'return\s+(\d+)\s+"((?:[^"\\]|\\.)*)";', body)
        if answer is None:
            served[host.group(1)] = "served by a Lua script, not a literal body"
            continue
        types = re.search(r"types\s*\{\s*(\S+)\s+txt;", body)
        kind = types.group(1) if types else (default.group(1) if default else "application/octet-stream")
        served[host.group(1)] = (int(answer.group(1)), kind, answer.group(2).encode().decode("unicode_escape"))
    return served


def _trusted_names(script: str) -> set[str]:
    """The names the test CA's certificates cover: the first folder mkcerts writes into holds
    the trusted ones, a later one the problematic ones."""
    trusted: set[str] = set()
    first = None
    for folder, names in re.findall(r"mkcerts\.py\s+-o\s+(\S+)((?:\s*\\?\s*-D(?:\s+[^\s\\-][^\s\\]*)+)+)", script):
        first = first or folder
        if folder == first:
            trusted |= {n.strip("'\"") for n in re.findall(r"(?<=\s)(?!-D)([^\s\\]+)", names)}
    return trusted


def _resolver_world(folder: Path, tree: ast.Module) -> list[Result]:
    dnsmasq = (folder / "dnsmasq.conf.appendix").read_text()
    txt: dict[str, list[str]] = {}
    for name, value in re.findall(r'txt-record=([^,\s]+),"([^"]*)"', dnsmasq):
        txt.setdefault(name.rstrip("."), []).append(value)
    served = _nginx_policies((folder / "nginx.conf").read_text())
    install = folder / "install.debian.sh"
    trusted = _trusted_names(install.read_text()) if install.exists() else set()
    results = []
    for domain, status in _parametrized(tree, "test_resolve_status"):
        label = f"resolver world {domain}"
        want = str(status).rsplit(".", 1)[-1]
        if domain.startswith("."):
            results.append(("ignored", f"{label}: a malformed domain name is not MTA-STS's to judge"))
            continue
        domain = domain.rstrip(".")
        if _record(txt.get(f"_mta-sts.{domain}", [])) is None:
            results.append(_judge(label, "NONE", want))
            continue
        host = f"mta-sts.{domain}"
        answer = served.get(host)
        if isinstance(answer, str):
            results.append(("ignored", f"{label}: {answer}"))
            continue
        if answer is None:
            results.append(_judge(label, "FETCH_ERROR", want, " (no server for the policy)"))
            continue
        if trusted and not ({host, f"*.{domain}"} & trusted):
            results.append(("ignored", f"{label}: its failure is the live server's certificate, not the policy"))
            continue
        why = _policy(answer[2], answer[1], answer[0])
        results.append(_judge(label, "FETCH_ERROR" if why else "VALID", want, f" ({why})" if why else ""))
    return results


# --- checkdmarc -----------------------------------------------------------------------------


def _checkdmarc(tree: ast.Module) -> list[Result]:
    results = []
    for test in ast.walk(tree):
        if not isinstance(test, ast.FunctionDef):
            continue
        strings = {
            t.id: n.value.value
            for n in ast.walk(test)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name) and isinstance(n.value, ast.Constant)
        }
        for call in (n for n in ast.walk(test) if isinstance(n, ast.Call)):
            called = ast.unparse(call.func)
            args = [ast.unparse(a) for a in call.args]
            if called.endswith("assertRaises") and len(args) == 3 and args[2] in strings:
                results.append(_checkdmarc_case(args[1], strings[args[2]], valid=False))
            elif called.endswith(("parse_mta_sts_record", "parse_mta_sts_policy")) and args and args[0] in strings:
                results.append(_checkdmarc_case(called, strings[args[0]], valid=True))
            elif (
                called.endswith(("assertTrue", "assertFalse"))
                and call.args
                and isinstance(call.args[0], ast.Call)
                and ast.unparse(call.args[0].func).endswith("mx_in_mta_sts_patterns")
            ):
                host, patterns = (ast.literal_eval(a) for a in call.args[0].args)
                results.append(_case({"mx": patterns, "host": host, "expect": called.endswith("assertTrue")}))
    return results


def _checkdmarc_case(function: str, text: str, valid: bool) -> Result:
    if text in DELIBERATE:
        return "ignored", f"{text!r}: {DELIBERATE[text]}"
    if function.endswith("parse_mta_sts_record"):
        return _judge(f"txt {text!r}", _record([text]) is not None, valid)
    return _case({"policy": text, "expect": valid, "name": f"policy {text[:60]!r}"})


# --- mox (Go) -------------------------------------------------------------------------------

_GO_STRING = r'"(?:[^"\\\n]|\\.)*"|`[^`]*`'


def _go(literal: str) -> str:
    # An interpreted Go string's escapes (\n, \t, \r, \", \\) are Python's; a raw one is verbatim.
    return literal[1:-1] if literal.startswith("`") else ast.literal_eval(literal)


def _go_function(source: str, name: str) -> str:
    start = source.find(f"func {name}(")
    end = source.find("\nfunc ", start + 1)
    return source[start : end if end > 0 else None] if start >= 0 else ""


def _mox_parse(source: str) -> list[Result]:
    results = []
    for function, kind in (("TestRecord", "txt"), ("TestParsePolicy", "policy")):
        body = _go_function(source, function)
        for verdict, literal in re.findall(rf"^\s*(good|bad)\(({_GO_STRING})", body, re.M | re.S):
            text = _go(literal)
            if text in DELIBERATE:
                results.append(("ignored", f"{text!r}: {DELIBERATE[text]}"))
            elif kind == "txt":
                results.append(_judge(f"txt {text!r}", _record([text]) is not None, verdict == "good"))
            else:
                results.append(_case({"policy": text, "expect": verdict == "good", "name": f"policy {text[:60]!r}"}))
    return results


def _mox_lookup(source: str) -> list[Result]:
    body = _go_function(source, "TestLookup")
    txt = {
        name.rstrip("."): [_go(v) for v in re.findall(_GO_STRING, values)]
        for name, values in re.findall(r'"(_mta-sts\.[^"]+)":\s*\{([^}]*)\}', body)
    }
    # Names in the CNAME and Fail tables are about DNS (aliases, failures), not the grammar.
    dns_only = {
        n.rstrip(".")
        for n in re.findall(r'"(?:txt )?(_mta-sts\.[^"]+)"', body[body.find("CNAME:") : body.find("test :=")])
    }
    results = []
    for host, record in re.findall(r'^\s*test\("([^"]+)",\s*(nil|&Record\{[^}]*\})', body, re.M):
        name = f"_mta-sts.{host}"
        if name in dns_only:
            results.append(("ignored", f"txt of {host}: a CNAME or a DNS failure, not the record's grammar"))
            continue
        want = re.search(r'ID:\s*"([^"]*)"', record)
        results.append(
            _judge(f"txt of {host} {txt.get(name, [])}", _record(txt.get(name, [])), want.group(1) if want else None)
        )
    policy = re.search(rf"ParsePolicy\(({_GO_STRING})\)", _go_function(source, "TestMatches"))
    if policy:
        patterns = re.findall(r"^mx:\s*(\S+)", _go(policy.group(1)), re.M)
        for verdict, host in re.findall(r'^\s*(match|not)\("([^"]*)"\)', _go_function(source, "TestMatches"), re.M):
            results.append(_case({"mx": patterns, "host": host, "expect": verdict == "match"}))
    return results


PEER_FILES = ("test_utils.py", "test_resolver.py", "test_mta_sts.py", "parse_test.go", "mtasts_test.go")


def wants(path: Path) -> bool:
    """The runner's question: vectors live in JSON files and in the peers' test modules."""
    return path.suffix == ".json" or path.name in PEER_FILES


def check(path: Path) -> list[Result]:
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return []
        return [_case(case) for case in data.get("mta_sts_vectors", [])] if isinstance(data, dict) else []
    if path.name not in PEER_FILES:
        return []
    source = path.read_text(encoding="utf-8")
    if path.name == "test_utils.py" and "parse_mta_sts_record" in source:
        return _resolver_utils(ast.parse(source))
    if path.name == "test_resolver.py" and (path.parent / "nginx.conf").exists():
        return _resolver_world(path.parent, ast.parse(source))
    if path.name == "test_mta_sts.py" and "checkdmarc" in source:
        return _checkdmarc(ast.parse(source))
    if path.name == "parse_test.go" and path.parent.name == "mtasts":
        return _mox_parse(source)
    if path.name == "mtasts_test.go" and path.parent.name == "mtasts":
        return _mox_lookup(source)
    return []
