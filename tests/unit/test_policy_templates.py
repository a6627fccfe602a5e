"""Every policy template is generated from installers/policy.schema.json, is fresh, and says
the same thing as the schema: ADMX/ADML for Group Policy (checked by writing what Group Policy
would write and reading it back), the macOS profile and Jamf schema, the Linux example, the
docs table."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from agent import config as config_mod
from agent.ingress.native_manifest import EXTENSION_ID, HOST_NAME
from agent.platform.windows_registry import read_policy
from agent.policy_schema import validate
from installers import generate
from tests.fake_registry import FakeRegistry

REPOSITORY = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPOSITORY / "installers" / "policy.schema.json").read_text(encoding="utf-8"))
EXAMPLE = SCHEMA["examples"][0]
NS = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
DOMAIN = "org.postseal.agent"
# A value for every list key (the defaults are empty lists, which Group Policy writes as nothing).
LIST_SAMPLES = {
    "organization.internal_domains": ["clinic.example", "clinic-north.example"],
    "tls.required_domains": ["lab.example"],
    "ingress.allowed_origins": ["https://intranet.clinic.example"],
    "smime.trusted_ca_files": [r"C:\ProgramData\Postseal\smime-ca.pem"],
    "network.dns_servers": ["192.0.2.53", "192.0.2.54:5353"],
    "network.connect_to": ["portal.clinic.example:443=192.0.2.10:8443"],
}


def keys() -> list[tuple[str, str, dict]]:
    return [
        (section, name, spec)
        for section, body in SCHEMA["properties"].items()
        for name, spec in body["properties"].items()
    ]


def every_key_policy() -> dict[str, dict]:
    """A valid policy that sets every key: its default, or a sample for a list."""
    policy: dict[str, dict] = {}
    for section, name, spec in keys():
        policy.setdefault(section, {})[name] = LIST_SAMPLES.get(f"{section}.{name}", spec["default"])
    policy["portal"]["allow_test_url"] = True  # the default portal address is the trial one
    validate(policy, "every key")
    return policy


# --- freshness ------------------------------------------------------------------------------------


def test_every_generated_file_is_fresh(tmp_path, capsys):
    assert generate.main(["--out", str(tmp_path)]) == 0
    for relative in generate.OUTPUTS:
        assert (tmp_path / relative).read_bytes() == (REPOSITORY / relative).read_bytes(), (
            f"{relative} is stale: run make policy-templates and commit the result"
        )
    capsys.readouterr()
    assert generate.main(["--out", str(tmp_path), "--check"]) == 0
    adml = tmp_path / "installers/windows/en-US/postseal.adml"
    adml.write_bytes(adml.read_bytes().replace(b"Relay port", b"Relay prot"))
    assert generate.main(["--out", str(tmp_path), "--check"]) == 1
    assert capsys.readouterr().out == "stale installers/windows/en-US/postseal.adml\n"


def test_the_generator_runs_as_a_module_and_finds_this_checkout_fresh():
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, "-m", "installers.generate", "--check"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# --- Windows: ADMX and ADML ---------------------------------------------------------------------


def admx() -> ET.Element:
    return ET.parse(REPOSITORY / "installers/windows/postseal.admx").getroot()


def adml() -> ET.Element:
    return ET.parse(REPOSITORY / "installers/windows/en-US/postseal.adml").getroot()


def test_every_string_and_presentation_the_admx_names_is_in_the_adml():
    strings = {s.get("id") for s in adml().iterfind(".//p:stringTable/p:string", NS)}
    presentations = {p.get("id"): p for p in adml().iterfind(".//p:presentationTable/p:presentation", NS)}
    assert len(strings) == len(adml().findall(".//p:stringTable/p:string", NS)), "a string id twice"
    referenced = set()
    for element in admx().iter():
        for value in element.attrib.values():
            if value.startswith("$(string."):
                referenced.add(value[len("$(string.") : -1])
            elif value.startswith("$(presentation."):
                assert value[len("$(presentation.") : -1] in presentations, value
    assert referenced <= strings, referenced - strings
    for policy in admx().iterfind(".//p:policy", NS):
        element_ids = {e.get("id") for e in policy.iterfind("p:elements/*", NS)}
        if not element_ids:
            assert policy.get("presentation") is None
            continue
        shown = presentations[policy.get("presentation")[len("$(presentation.") : -1]]
        assert {control.get("refId") for control in shown} == element_ids, policy.get("name")


def test_categories_and_support_statements_resolve():
    root = admx()
    categories = {c.get("name") for c in root.iterfind(".//p:categories/p:category", NS)}
    supported = {d.get("name") for d in root.iterfind(".//p:supportedOn/p:definitions/p:definition", NS)}
    assert root.find("p:policyNamespaces/p:target", NS).get("namespace") == "Postseal.Policies"
    for element in root.iterfind(".//p:parentCategory", NS):
        assert element.get("ref") in categories
    for policy in root.iterfind(".//p:policy", NS):
        assert policy.find("p:supportedOn", NS).get("ref") in supported
        assert policy.get("class") == "Both"
        assert policy.get("key").startswith("SOFTWARE\\Policies\\Postseal\\")


def test_there_is_one_policy_per_key_with_the_schemas_type_and_range():
    policies = {p.get("name"): p for p in admx().iterfind(".//p:policy", NS)}
    assert set(policies) == {f"{section}_{name}" for section, name, _ in keys()}
    for section, name, spec in keys():
        policy = policies[f"{section}_{name}"]
        assert policy.get("key") == f"SOFTWARE\\Policies\\Postseal\\{section}"
        element = policy.find("p:elements/*", NS)
        if spec["type"] == "boolean":
            assert element is None and policy.get("valueName") == name
        elif "enum" in spec:
            assert [s.text for s in element.iterfind("p:item/p:value/p:string", NS)] == spec["enum"]
        elif spec["type"] in ("integer", "number"):
            assert element.tag.endswith("decimal")
            assert (int(element.get("minValue")), int(element.get("maxValue"))) == (spec["minimum"], spec["maximum"])
        elif spec["type"] == "array":
            assert element.tag.endswith("list") and element.get("valuePrefix") == ""
            assert element.get("key") == f"SOFTWARE\\Policies\\Postseal\\{section}\\{name}"
        else:
            assert element.tag.endswith("text") and element.get("valueName") == name


def group_policy_writes(policy: dict[str, dict], hive: str = "HKLM") -> FakeRegistry:
    """What Group Policy writes for `policy`, read off the ADMX alone (not the schema): a
    policy Enabled with these values, as gpedit or Intune's ADMX ingestion would set it."""
    registry = FakeRegistry()
    policies = {p.get("name"): p for p in admx().iterfind(".//p:policy", NS)}
    for section, values in policy.items():
        for name, value in values.items():
            definition = policies[f"{section}_{name}"]
            key = f"{hive}\\{definition.get('key')}"
            element = definition.find("p:elements/*", NS)
            if element is None:  # on/off: the policy's own enabled or disabled value
                state = "p:enabledValue" if value else "p:disabledValue"
                registry.set_dword(
                    key, definition.get("valueName"), int(definition.find(f"{state}/p:decimal", NS).get("value"))
                )
            elif element.tag.endswith("decimal"):
                assert int(element.get("minValue")) <= value <= int(element.get("maxValue"))
                registry.set_dword(key, element.get("valueName"), int(value))
            elif element.tag.endswith("enum"):
                items = [s.text for s in element.iterfind("p:item/p:value/p:string", NS)]
                registry.set_text(key, element.get("valueName"), items[items.index(value)])
            elif element.tag.endswith("list"):
                registry.set_list(f"{hive}\\{element.get('key')}", value)
            else:
                registry.set_text(key, element.get("valueName"), value)
    return registry


def test_what_group_policy_writes_from_the_admx_reads_back_as_the_same_policy():
    for policy in (EXAMPLE, every_key_policy()):
        assert read_policy(group_policy_writes(policy)) == policy
    assert read_policy(group_policy_writes(EXAMPLE, hive="HKCU")) == EXAMPLE


def test_the_adml_text_has_no_padding_gpedit_would_show():
    for string in adml().iterfind(".//p:stringTable/p:string", NS):
        assert string.text == string.text.strip(), string.get("id")


# --- macOS: configuration profile and Jamf schema -------------------------------------------------


def profile() -> dict:
    return plistlib.loads((REPOSITORY / "installers/macos/postseal.mobileconfig").read_bytes())


def payload(kind: str) -> dict:
    (found,) = [p for p in profile()["PayloadContent"] if p["PayloadType"] == kind]
    return found


def test_the_profile_is_a_configuration_with_stable_unique_identifiers():
    document = profile()
    assert document["PayloadType"] == "Configuration" and document["PayloadScope"] == "System"
    everything = [document, *document["PayloadContent"]]
    identifiers = [p["PayloadIdentifier"] for p in everything]
    uuids = [p["PayloadUUID"] for p in everything]
    assert len(set(identifiers)) == len(set(uuids)) == len(everything)
    for item in everything:
        assert item["PayloadIdentifier"].startswith("org.postseal.profile")
        assert str(uuid.UUID(item["PayloadUUID"])).upper() == item["PayloadUUID"]
        assert item["PayloadVersion"] == 1


def test_the_profiles_managed_preferences_are_the_example_policy_and_the_agent_honours_them(
    home, tmp_path, monkeypatch
):
    content = payload("com.apple.ManagedClient.preferences")["PayloadContent"]
    settings = content[DOMAIN]["Forced"][0]["mcx_preference_settings"]
    assert settings == EXAMPLE
    validate(settings, "mobileconfig")
    # what macOS leaves in /Library/Managed Preferences, read by the agent's plist reader
    managed = tmp_path / f"{DOMAIN}.plist"
    managed.write_bytes(plistlib.dumps(settings, fmt=plistlib.FMT_BINARY))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(managed))
    config = config_mod.load(home)
    assert config.relay.host == "smtp.clinic.example" and config.policy.allow_release is False
    assert {"relay.starttls", "tls.required_domains", "portal.url"} <= config.locked


def test_the_profile_force_installs_the_gmail_extension_and_allows_its_native_host():
    chrome = payload("com.google.Chrome")
    (entry,) = chrome["ExtensionInstallForcelist"]
    extension_id, update_url = entry.split(";")
    assert extension_id == EXTENSION_ID and update_url.startswith("https://")
    assert chrome["NativeMessagingAllowlist"] == [HOST_NAME]


def test_the_profile_has_a_certificate_payload_to_fill_in_for_the_addin_ca():
    certificate = payload("com.apple.security.root")
    assert certificate["PayloadContent"] == b"" and "REPLACE" in certificate["PayloadDescription"]


def jamf() -> dict:
    return json.loads((REPOSITORY / "installers/macos/jamf-schema.json").read_text(encoding="utf-8"))


def test_the_jamf_schema_offers_every_key_with_the_schemas_limits():
    document = jamf()
    Draft202012Validator.check_schema(document)
    assert document["__preferencedomain"] == DOMAIN
    for section, name, spec in keys():
        offered = document["properties"][section]["properties"][name]
        not_configured, configured = offered["anyOf"]
        assert not_configured["type"] == "null"
        assert configured["type"] == spec["type"] and configured.get("enum") == spec.get("enum")
        assert (configured.get("minimum"), configured.get("maximum")) == (spec.get("minimum"), spec.get("maximum"))
    assert "default" not in document["properties"]["portal"]["properties"]["url"]["anyOf"][1]
    checker = Draft202012Validator(document)
    assert not list(checker.iter_errors(EXAMPLE))
    assert not list(checker.iter_errors({"relay": {"port": None, "host": "smtp.clinic.example"}}))
    assert list(checker.iter_errors({"relay": {"port": 70000}}))
    assert list(checker.iter_errors({"relay": {"starttls": "requird"}}))
    assert list(checker.iter_errors({"relay": {"hots": "x"}}))


# --- Linux and the docs -----------------------------------------------------------------------


def test_the_linux_example_is_the_schemas_example_and_the_agent_honours_it(home, monkeypatch):
    path = REPOSITORY / "installers/linux/policy.json.example"
    example = json.loads(path.read_text(encoding="utf-8"))
    assert example == EXAMPLE
    validate(example, str(path))
    monkeypatch.setenv("POSTSEAL_MANAGED_POLICY", str(path))
    config = config_mod.load(home)
    assert config.relay.starttls == "required" and "relay.starttls" in config.locked


def test_the_reference_documents_every_key_and_where_it_goes_in_the_registry():
    text = (REPOSITORY / "docs/policy-reference.md").read_text(encoding="utf-8")
    for section, name, spec in keys():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{section}.{name}` |")]
        assert row.count(" | ") == 5, row
        where = f"SOFTWARE\\Policies\\Postseal\\{section}" + (f"\\{name}" if spec["type"] == "array" else "")
        assert f"`{where}`" in row
    assert "`relay.password` cannot be set by policy" in text


@pytest.mark.parametrize(
    "relative",
    ["installers/macos/jamf-schema.json", "installers/linux/policy.json.example", "agent/policy_schema.json"],
)
def test_json_templates_parse(relative):
    json.loads((REPOSITORY / relative).read_text(encoding="utf-8"))
