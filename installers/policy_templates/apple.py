"""macOS: a configuration profile template and a Jamf Pro custom-settings schema.

The profile (postseal.mobileconfig) holds three payloads:

- com.apple.ManagedClient.preferences for the domain org.postseal.agent, carrying the example
  policy as `Forced` settings: macOS writes them to
  /Library/Managed Preferences/org.postseal.agent.plist, one dictionary per section, which the
  agent reads with plistlib (agent/config.py);
- com.google.Chrome: ExtensionInstallForcelist with the Gmail extension's ID and an update URL
  IT replaces (UPDATE-HOST.invalid never resolves, so a profile pushed unedited installs
  nothing rather than something wrong), and NativeMessagingAllowlist naming the agent's native
  host, so a NativeMessagingBlocklist of "*" does not cut the extension off;
- com.apple.security.root for the Outlook add-in's CA, left empty: IT puts the certificate in
  (the profile does not install until it does).

PayloadUUIDs are derived from the PayloadIdentifiers (uuid5), so regenerating gives the same
profile and a new version of it replaces the installed one instead of adding a second.

The Jamf schema (jamf-schema.json) describes the same domain for Jamf Pro's "Application &
Custom Settings" payload: JSON Schema that Jamf renders as a form, with its extensions
(`property_order`, `options.enum_titles`, `options.infoText`) and each key offered as
"Not Configured" (null, left out) or "Configured", so only what IT sets is pushed.
"""

from __future__ import annotations

import json
import plistlib
import uuid
from typing import Any

from agent.ingress.native_manifest import EXTENSION_ID, HOST_NAME
from agent.policy_schema import PolicyError, validate
from installers.policy_templates.schema import DOMAIN, Key, example, keys, sections

PROFILE_ID = "org.postseal.profile"
UPDATE_URL = "https://UPDATE-HOST.invalid/postseal/gmail-updates.xml"
_KEYWORDS = ("type", "enum", "minimum", "maximum", "minLength", "pattern", "default")


def _uuid(identifier: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, identifier)).upper()


def _payload(kind: str, suffix: str, display: str, description: str, **content: Any) -> dict[str, Any]:
    identifier = f"{PROFILE_ID}.{suffix}"
    return {
        "PayloadType": kind,
        "PayloadIdentifier": identifier,
        "PayloadUUID": _uuid(identifier),
        "PayloadVersion": 1,
        "PayloadEnabled": True,
        "PayloadDisplayName": display,
        "PayloadDescription": description,
        **content,
    }


def mobileconfig(schema: dict[str, Any]) -> bytes:
    policy = example(schema)
    payloads = [
        _payload(
            "com.apple.ManagedClient.preferences",
            "policy",
            "Postseal managed policy",
            f"Settings for {DOMAIN}, locked for every user (installers/policy.schema.json lists "
            "every key). Replace the example values with the clinic's.",
            PayloadContent={DOMAIN: {"Forced": [{"mcx_preference_settings": policy}]}},
        ),
        _payload(
            "com.google.Chrome",
            "chrome",
            "Google Chrome: Postseal for Gmail",
            f"Installs the Postseal Gmail extension ({EXTENSION_ID}) and allows its native host "
            f"({HOST_NAME}). Replace {UPDATE_URL} with the address where the clinic hosts the "
            "extension's update manifest; a copy from the Chrome Web Store has another ID and the "
            "update URL https://clients2.google.com/service/update2/crx.",
            ExtensionInstallForcelist=[f"{EXTENSION_ID};{UPDATE_URL}"],
            NativeMessagingAllowlist=[HOST_NAME],
        ),
        _payload(
            "com.apple.security.root",
            "addin-ca",
            "Postseal add-in CA",
            "REPLACE: only for a localhost CA your organization issues itself: its certificate (DER) "
            "in PayloadContent. Each Mac's own per-install CA cannot be trusted by a profile or "
            "an installer (macOS asks the user): remove this payload and have each user run "
            "postseal init --trust-ca.",
            PayloadCertificateFileName="postseal-addin-ca.cer",
            PayloadContent=b"",
        ),
    ]
    profile = {
        "PayloadContent": payloads,
        "PayloadDescription": "Postseal: managed policy, the Gmail extension and the add-in CA. Generated "
        "from installers/policy.schema.json by make policy-templates.",
        "PayloadDisplayName": "Postseal",
        "PayloadIdentifier": PROFILE_ID,
        "PayloadOrganization": policy.get("organization", {}).get("name", "Postseal"),
        "PayloadRemovalDisallowed": True,
        "PayloadScope": "System",
        "PayloadType": "Configuration",
        "PayloadUUID": _uuid(PROFILE_ID),
        "PayloadVersion": 1,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


def jamf_schema(schema: dict[str, Any]) -> bytes:
    properties: dict[str, Any] = {}
    usable = _usable_defaults(schema)
    by_section: dict[str, list[Key]] = {}
    for key in keys(schema):
        by_section.setdefault(key.section, []).append(key)
    for order, (section, body) in enumerate(sections(schema), 1):
        properties[section] = {
            "title": body["title"],
            "description": body["description"],
            "type": "object",
            "property_order": order * 10,
            "additionalProperties": False,
            "properties": {
                key.name: _jamf_key(key, index, key.dotted in usable)
                for index, key in enumerate(by_section[section], 1)
            },
        }
    document = {
        "title": f"Postseal ({DOMAIN})",
        "description": schema["description"],
        "__preferencedomain": DOMAIN,
        "options": {"remove_empty_properties": True},
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _usable_defaults(schema: dict[str, Any]) -> set[str]:
    """Keys whose default is a valid policy value. Not portal.url: its default is the trial
    portal on the computer itself, which a policy must not set (Jamf would prefill it)."""
    usable = set()
    for key in keys(schema):
        try:
            validate({key.section: {key.name: key.spec["default"]}}, "default", against=schema)
        except PolicyError:
            continue
        usable.add(key.dotted)
    return usable


def _jamf_key(key: Key, order: int, prefill: bool) -> dict[str, Any]:
    spec = key.spec
    configured: dict[str, Any] = {"title": "Configured"}
    configured.update({word: spec[word] for word in _KEYWORDS if word in spec and (prefill or word != "default")})
    if key.kind == "list":
        configured["items"] = {word: value for word, value in spec["items"].items() if word != "errorMessage"}
    if key.kind == "enum":
        configured["options"] = {"enum_titles": spec.get("x-enum-titles", spec["enum"])}
    allowed = key.allowed()
    return {
        "title": spec["title"],
        "description": spec["description"] + ("" if allowed == "text" else f" Allowed: {allowed}."),
        "property_order": order * 10,
        "options": {"infoText": f"Key: {key.dotted}"},
        "anyOf": [{"type": "null", "title": "Not Configured"}, configured],
    }
