"""`postseal policy check FILE.eml` and `policy test RULES.toml CORPUS/`: what policy
decides, computed here in-process from this machine's config and rules — nothing is sent.

`check` asks the running agent (POST /v1/check for the plan, GET /v1/policy/rules for where its
rules come from) when one runs: the plan is then the agent's own, with the keys it holds and
the rules it loaded, and key discovery writes to its keyring from the agent alone. With no agent
it plans here in-process as the agent would (agent/service/planning.py `make_plan`), opening
the data directory's keyrings. The output is the same either way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.api.client import ApiError
from agent.cli.errors import BAD_INPUT, HELD, OK, CliError, read_file
from agent.cli.output import emit, table
from agent.cli.running import running_agent
from agent.keys.pgp_store import PgpStore
from agent.policy.rules import load_rules


def add_parser(sub: Any) -> None:
    p = sub.add_parser("policy", help="explain what policy decides for a message")
    pol = p.add_subparsers(dest="policy_cmd", required=True, metavar="ACTION")
    k = pol.add_parser("check", help="verdict, findings and plan for FILE.eml (sends nothing)")
    k.add_argument("file")
    k.add_argument("--json", action="store_true")
    k = pol.add_parser("test", help="precision and recall of the detectors on a labelled corpus folder")
    k.add_argument("rules", metavar="RULES.toml", help="the rules file to check (use 'default' for the built-in rules)")
    k.add_argument("corpus", metavar="CORPUS/", help="a folder of .eml files and labels.json")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policy)


def cmd_policy(args: argparse.Namespace) -> int:
    return policy_test(args) if args.policy_cmd == "test" else policy_check(args)


def policy_check(args: argparse.Namespace) -> int:
    home = config_mod.home_dir()
    client = running_agent(home)
    if client is None:
        data = plan_here(home, args.file)
    else:
        raw = read_file(args.file)
        try:
            plan = client.check(raw)
        except ApiError as exc:
            if exc.code != "bad_message":
                raise
            raise CliError(str(exc), BAD_INPUT) from None  # as intake's BadMessage in-process
        source, managed = client.rules()
        data = {**plan, "rules": {"source": source, "managed": managed}}
    source, locked = data["rules"]["source"], data["rules"]["managed"]
    verdict = data["verdict"]
    lines = [
        f"rules: {source}{' (managed by your organization)' if locked else ''}",
        f"verdict: {verdict['action']} (rule {verdict['rule']}): {verdict['reason']}",
    ]
    lines += [f"  warning: {w}" for w in verdict["warnings"]]
    lines += [f"  rule {m['rule']} applied: {m['action']}" for m in verdict["matched"]]
    for f in verdict["findings"]:
        where = f" at {f['start']}-{f['end']}" if f["end"] else ""
        detail = f": {f['detail']}" if f["detail"] else ""
        lines.append(f"  finding {f['type']} in {f['location']}{where} (confidence {f['confidence']:.2f}){detail}")
    rows = [
        [r["address"], r["method"], r["reason"] + (f" (not used: {'; '.join(r['skipped'])})" if r["skipped"] else "")]
        for r in data["recipients"]
    ]
    emit(data, args.json, "\n".join(lines) + "\n" + table(rows, ["recipient", "method", "why"]))
    return HELD if verdict["action"] in ("hold", "block") else OK


def plan_here(home: Path, file: str) -> dict[str, Any]:
    """The plan made in-process, with this data directory's config, rules and keyrings."""
    from agent.keys.discovery import Discovery
    from agent.keys.smime_store import SmimeStore
    from agent.net import Network
    from agent.service.planning import make_plan
    from agent.tls_policy import TlsPolicies

    cfg = config_mod.load(home)
    rules = load_rules(cfg.policy.rules_file)
    locked = "policy.rules_file" in cfg.locked
    pgp = PgpStore(home)
    _, plan = make_plan(
        read_file(file),
        cfg,
        rules,
        pgp,
        None,
        SmimeStore(home, cfg.smime.trusted_ca_files),
        Discovery(pgp, cfg.pgp, Network(cfg.network), home, cfg.network.ca_file),
        TlsPolicies(cfg.tls, Network(cfg.network), home, cfg.network.ca_file),
    )
    return {**plan.to_json(), "rules": {"source": rules.source, "managed": locked}}


def policy_test(args: argparse.Namespace) -> int:
    from collections import Counter

    from agent import intake
    from agent.policy import evaluate
    from agent.policy.inspect import inspect_message
    from agent.service.planning import facts

    rules = load_rules("" if args.rules == "default" else args.rules)  # refused with its place if bad
    folder = Path(args.corpus)
    try:
        samples = evaluate.load_corpus(folder)
    except evaluate.CorpusError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    report = evaluate.score(samples, evaluate.ours())
    # What these rules decide for each message, as the agent would with this machine's config.
    cfg = config_mod.load(config_mod.home_dir())
    files = {p.name: p for p in folder.rglob("*.eml")}
    decisions: Counter[str] = Counter()
    for sample in samples:
        try:
            message = intake.parse(files[sample.name].read_bytes())
        except intake.BadMessage:
            decisions["refused as malformed"] += 1  # what the agent's intake answers it
            continue
        inspection = inspect_message(message.message)
        decisions[str(rules.evaluate(list(inspection.findings), facts(message, cfg, inspection)).action)] += 1
    data = {
        "rules": rules.source,
        "messages": report.messages,
        "mb_per_second": round(report.mb_per_second, 1),
        "decisions": dict(decisions),
        "detectors": {k: s.to_json() for k, s in sorted(report.scores.items())},
    }
    text = (
        f"{report.messages} messages, {report.characters / 1e6:.2f} MB of text, scanned at "
        f"{report.mb_per_second:.1f} MB/s\n"
        f"rules ({rules.source}) decide: "
        + ", ".join(f"{k} {v}" for k, v in sorted(decisions.items()))
        + "\n\n"
        + table(list(evaluate.table(report)), ["detector", "expected", "found", "correct", "precision", "recall", "f1"])
    )
    emit(data, args.json, text)
    return OK
