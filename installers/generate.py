"""Write every policy template from installers/policy.schema.json (`make policy-templates`).

    python -m installers.generate              # rewrite the committed files in this checkout
    python -m installers.generate --out DIR    # write them under DIR instead
    python -m installers.generate --check      # exit 1 naming each file that is stale

The schema is the one source of truth (for config.toml's number ranges too): edit it, run this,
commit both. docs/config-reference.md also lists the keys of agent/config.py. The output depends on
nothing else (no dates, no random UUIDs), so a test regenerates it and compares byte for byte.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, SchemaError

from agent.policy_schema import PolicyError, validate
from installers.policy_templates import apple, config_reference, reference, windows
from installers.policy_templates.schema import SCHEMA_PATH, example, load

REPOSITORY = Path(__file__).resolve().parents[1]

OUTPUTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    # the runtime copy the agent validates against, shipped in the package
    "agent/policy_schema.json": lambda _schema: SCHEMA_PATH.read_bytes(),
    "installers/windows/postseal.admx": windows.admx,
    "installers/windows/en-US/postseal.adml": windows.adml,
    "installers/macos/postseal.mobileconfig": apple.mobileconfig,
    "installers/macos/jamf-schema.json": apple.jamf_schema,
    "installers/linux/policy.json.example": reference.linux_example,
    "docs/policy-reference.md": reference.policy_reference,
    # every key of config.toml (agent/config.py) with the schema's words and ranges
    "docs/config-reference.md": config_reference.config_reference,
}


def render() -> dict[str, bytes]:
    """Every generated file's path (relative to the repository) and content. Raises
    SchemaError or PolicyError when the schema or its example is wrong."""
    schema = load()
    Draft202012Validator.check_schema(schema)
    validate(example(schema), f"{SCHEMA_PATH.name} examples[0]", against=schema)
    return {path: write(schema) for path, write in OUTPUTS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m installers.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY, help="folder to write under (default: this checkout)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    try:
        files = render()
    except SchemaError as exc:
        print(f"{SCHEMA_PATH}: not a valid JSON Schema: {exc.message}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print(f"{SCHEMA_PATH}: its example does not validate: {exc}", file=sys.stderr)
        return 2
    stale = []
    for relative, content in files.items():
        target = args.out / relative
        current = target.read_bytes() if target.exists() else None
        if current == content:
            continue
        stale.append(relative)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    for relative in stale:
        print(f"{'stale' if args.check else 'wrote'} {relative}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
