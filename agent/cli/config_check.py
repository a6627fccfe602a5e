"""`postseal config check`: is this computer's configuration valid, and what does the agent
run with? It reads config.toml and IT's managed policy exactly as the agent does at start
(config.load), names every problem in one line each (file, line, key, what is allowed), and
prints each effective setting with where it came from: the default, a line of config.toml,
or the managed policy (which wins, and is shown as overriding the file where both set a key).

Exit 0 when both are valid, 2 when either is not (DESIGN.md: bad input). An invalid managed
policy is bad input here although the agent still starts on it: it then holds every message
(readiness.py), which is what IT most needs to see before it happens.

It reads the files, not a running agent: what it shows is what the agent will use at its next
start, and it works where no agent runs (a fresh install, an SSH session, an MDM script).
The set-up warnings of readiness.py (a portal no patient can reach, an unencrypted relay) are
listed after the settings; they do not change the exit code (`postseal init --check` does).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent import platform, readiness
from agent.config import ConfigError
from agent.toml_lines import line_of

OK, BAD_INPUT = 0, 2
HIDDEN = "***"  # a secret's value is never printed, only whether it is set (as GET /v1/config)


@dataclass(frozen=True)
class Setting:
    key: str  # "relay.port"
    value: Any  # as config.toml writes it; a secret that is set is HIDDEN
    source: str  # default | config.toml | managed policy
    where: str  # "default", "config.toml line 4", "managed policy /etc/postseal/policy.json"
    line: int | None = None  # in config.toml
    overrides: str = ""  # managed policy over a value config.toml also sets: that line, unused

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "source": self.source,
            "where": self.where,
            "line": self.line,
            "overrides": self.overrides or None,
        }


@dataclass(frozen=True)
class Report:
    config_file: Path
    config_file_found: bool
    policy_source: str  # "" when no managed policy is set
    errors: tuple[str, ...]
    settings: tuple[Setting, ...] = ()
    problems: tuple[readiness.Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config_file": str(self.config_file),
            "config_file_found": self.config_file_found,
            "managed_policy": self.policy_source or None,
            "errors": list(self.errors),
            "settings": {s.key: s.to_json() for s in self.settings},
            "problems": [p.to_json() for p in self.problems],
        }


def check(home: Path, system: platform.Platform | None = None) -> Report:
    """Validate `home`'s config.toml and the managed policy; the effective settings when both are valid."""
    path = home / "config.toml"
    errors: list[str] = []
    managed: config_mod.ManagedSettings | None = None
    try:  # on its own first, so that a bad config.toml and a bad policy are both named at once
        managed = config_mod.read_managed(system)
    except ConfigError as exc:
        errors.append(f"managed policy is invalid: {exc}")
    try:
        config = config_mod.load(home, system)
    except ConfigError as exc:
        errors.insert(0, str(exc))
        config = None
    found = path.is_file()
    source = managed.source if managed else ""
    if config is None or errors:
        return Report(path, found, source, tuple(errors))
    data, text = config_mod.read_toml(path) if found else ({}, "")
    settings = tuple(_settings(config, data, text, managed))
    return Report(path, found, source, (), settings, readiness.problems(config))


def _settings(
    config: config_mod.Config, data: dict[str, Any], text: str, managed: config_mod.ManagedSettings | None
) -> list[Setting]:
    out = []
    for section in config_mod.SECTIONS:
        values = dataclasses.asdict(getattr(config, section))
        for key, value in values.items():
            if (section, key) in config_mod.SECRETS and value:
                value = HIDDEN
            in_file = key in data.get(section, {})
            line = line_of(text, section, key) if in_file else None
            at = f"config.toml line {line}" if line else "config.toml"
            dotted = f"{section}.{key}"
            if managed and dotted in managed.locked:
                out.append(
                    Setting(
                        dotted,
                        value,
                        "managed policy",
                        f"managed policy {managed.source}",
                        overrides=at if in_file else "",
                    )
                )
            elif in_file:
                out.append(Setting(dotted, value, "config.toml", at, line))
            else:
                out.append(Setting(dotted, value, "default", "default"))
    return out


def _shown(value: Any) -> str:
    return value if value == HIDDEN else json.dumps(value, ensure_ascii=False)


def render(report: Report) -> str:
    """The report as a person reads it (errors are printed apart, on stderr)."""
    found = "" if report.config_file_found else " (not there: defaults)"
    lines = [f"config file:    {report.config_file}{found}", f"managed policy: {report.policy_source or 'none'}"]
    if not report.ok:
        return "\n".join([*lines, f"result:         not valid ({len(report.errors)} problem(s), on stderr)"])
    lines.append("result:         valid; the agent starts with the settings below")
    rows = [
        (s.key, _shown(s.value), s.where + (f" (over {s.overrides})" if s.overrides else "")) for s in report.settings
    ]
    widths = [max(len(row[i]) for row in [("setting", "value", "from"), *rows]) for i in range(2)]
    lines += ["", f"{'setting'.ljust(widths[0])}  {'value'.ljust(widths[1])}  from"]
    lines += [f"{key.ljust(widths[0])}  {value.ljust(widths[1])}  {where}" for key, value, where in rows]
    if report.problems:
        lines += ["", "set-up checks (postseal init --check):"]
    for problem in report.problems:
        label = {"holds": "HOLDS MAIL"}.get(problem.severity, problem.severity)
        lines.append(f"  {label}: {problem.message}")
    return "\n".join(lines)


def cmd_config(args: argparse.Namespace) -> int:
    report = check(config_mod.home_dir())
    for error in report.errors:
        print(f"postseal: {error}", file=sys.stderr)
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.json else render(report))
    return OK if report.ok else BAD_INPUT


def add_parser(sub: Any) -> None:
    p = sub.add_parser("config", help="check config.toml and managed policy; show each setting and where it comes from")
    actions = p.add_subparsers(dest="config_cmd", required=True, metavar="ACTION")
    k = actions.add_parser(
        "check",
        help="validate config.toml and managed policy, print the effective settings",
        description="Validate config.toml and the managed policy as the agent reads them at start, and print "
        "every effective setting with where it came from: the default, a line of config.toml, or "
        "the managed policy. Exit 0 valid, 2 not (each problem is one line naming the file, the "
        "line, the key and what is allowed).",
    )
    k.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_config)
