r"""Group Policy administrative templates: postseal.admx and en-US/postseal.adml.

The shapes follow Chromium's template writers (components/policy/tools/template_writers/
writers/admx_writer.py and adml_writer.py), the most widely deployed third-party ADMX:

- one category per section under a "Postseal" category; one policy per key, class "Both", so
  it appears under Computer Configuration (HKLM) and User Configuration (HKCU);
- registry key SOFTWARE\Policies\Postseal\<section>, value name = the key;
- on/off keys: the policy itself with enabledValue 1 / disabledValue 0 (REG_DWORD) —
  Enabled is on, Disabled is off, Not configured leaves the user's setting;
- numbers: <decimal> (REG_DWORD) with the schema's minimum and maximum, so a fraction of an
  hour cannot be set here (JSON and plist policy can);
- text: <text> (REG_SZ); choices: <enum> whose items write the choice's text (REG_SZ);
- lists: <list> with its own key SOFTWARE\Policies\Postseal\<section>\<key>, entries in values
  "1", "2", … (valuePrefix ""), as Chromium stores ExtensionInstallForcelist.

agent/platform/windows_registry.py reads exactly this layout. The ADML's strings carry no
added whitespace inside <string> (Chromium notes gpedit.msc shows it literally).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from installers.policy_templates.schema import REGISTRY_ROOT, Key, keys, sections

NAMESPACE = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"
TARGET = "Postseal.Policies"
ROOT_CATEGORY = "Postseal"
SUPPORTED = "SUPPORTED_POSTSEAL_0_1"
TEXT_MAX = "4096"


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    qualified = f"{{{NAMESPACE}}}{tag}"
    element = ET.Element(qualified, attrs) if parent is None else ET.SubElement(parent, qualified, attrs)
    if text is not None:
        element.text = text
    return element


def _xml(root: ET.Element) -> bytes:
    ET.register_namespace("", NAMESPACE)
    ET.indent(root, "  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def policy_name(key: Key) -> str:
    return f"{key.section}_{key.name}"


def admx(schema: dict[str, Any]) -> bytes:
    root = _el(None, "policyDefinitions", revision="1.0", schemaVersion="1.0")
    namespaces = _el(root, "policyNamespaces")
    _el(namespaces, "target", prefix="postseal", namespace=TARGET)
    _el(root, "resources", minRequiredRevision="1.0")
    definitions = _el(_el(root, "supportedOn"), "definitions")
    _el(definitions, "definition", name=SUPPORTED, displayName=f"$(string.{SUPPORTED})")
    categories = _el(root, "categories")
    _el(categories, "category", name=ROOT_CATEGORY, displayName=f"$(string.{ROOT_CATEGORY})")
    for section, _ in sections(schema):
        category = _el(categories, "category", name=f"Cat_{section}", displayName=f"$(string.Cat_{section})")
        _el(category, "parentCategory", ref=ROOT_CATEGORY)
    policies = _el(root, "policies")
    for key in keys(schema):
        _policy(policies, key)
    return _xml(root)


def _policy(policies: ET.Element, key: Key) -> None:
    name = policy_name(key)
    attrs = {
        "name": name,
        "class": "Both",
        "displayName": f"$(string.{name})",
        "explainText": f"$(string.{name}_Explain)",
    }
    if key.kind != "boolean":
        attrs["presentation"] = f"$(presentation.{name})"
    attrs["key"] = f"{REGISTRY_ROOT}\\{key.section}"
    if key.kind == "boolean":
        attrs["valueName"] = key.name
    policy = _el(policies, "policy", **attrs)
    _el(policy, "parentCategory", ref=f"Cat_{key.section}")
    _el(policy, "supportedOn", ref=SUPPORTED)
    if key.kind == "boolean":
        _el(_el(policy, "enabledValue"), "decimal", value="1")
        _el(_el(policy, "disabledValue"), "decimal", value="0")
        return
    elements = _el(policy, "elements")
    spec = key.spec
    if key.kind in ("integer", "number"):
        _el(
            elements,
            "decimal",
            id=name,
            valueName=key.name,
            required="true",
            minValue=str(int(spec["minimum"])),
            maxValue=str(int(spec["maximum"])),
        )
    elif key.kind == "enum":
        choice = _el(elements, "enum", id=name, valueName=key.name, required="true")
        for value in spec["enum"]:
            item = _el(choice, "item", displayName=f"$(string.{name}_{value})")
            _el(_el(item, "value"), "string", value)
    elif key.kind == "list":
        _el(elements, "list", id=name, key=key.registry_key, valuePrefix="")
    else:
        extra = {"required": "true"} if spec.get("minLength") else {}
        _el(elements, "text", id=name, valueName=key.name, maxLength=TEXT_MAX, **extra)


def adml(schema: dict[str, Any]) -> bytes:
    root = _el(None, "policyDefinitionResources", revision="1.0", schemaVersion="1.0")
    _el(root, "displayName", "Postseal")
    _el(root, "description", schema["title"])
    resources = _el(root, "resources")
    strings = _el(resources, "stringTable")
    presentations = _el(resources, "presentationTable")
    _el(strings, "string", ROOT_CATEGORY, id=ROOT_CATEGORY)
    _el(strings, "string", "Postseal 0.1 or later", id=SUPPORTED)
    for section, body in sections(schema):
        _el(strings, "string", body["title"], id=f"Cat_{section}")
    for key in keys(schema):
        name = policy_name(key)
        _el(strings, "string", key.spec["title"], id=name)
        _el(strings, "string", explain(key), id=f"{name}_Explain")
        if key.kind == "enum":
            titles = key.spec.get("x-enum-titles", key.spec["enum"])
            for value, title in zip(key.spec["enum"], titles, strict=True):
                _el(strings, "string", title, id=f"{name}_{value}")
        if key.kind != "boolean":
            _presentation(_el(presentations, "presentation", id=name), key, name)
    return _xml(root)


def _presentation(presentation: ET.Element, key: Key, name: str) -> None:
    label = key.spec["title"]
    default = key.spec["default"]
    if key.kind in ("integer", "number"):
        _el(presentation, "decimalTextBox", label, refId=name, defaultValue=str(int(default)))
    elif key.kind == "enum":
        _el(
            presentation,
            "dropdownList",
            label,
            refId=name,
            noSort="true",
            defaultItem=str(key.spec["enum"].index(default)),
        )
    elif key.kind == "list":
        _el(presentation, "listBox", label, refId=name)
    else:
        _el(_el(presentation, "textBox", refId=name), "label", label)


def explain(key: Key) -> str:
    """The help text beside a policy in the Group Policy editor."""
    spec = key.spec
    lines = [spec["description"], ""]
    if key.kind == "boolean":
        lines.append(
            "Enabled: on. Disabled: off. Not configured: each user's own setting applies "
            f"(default: {'on' if spec['default'] else 'off'})."
        )
    else:
        lines.append(f"Allowed: {key.allowed(whole_numbers=True)}.")
        if spec["default"] not in ("", []):
            default = spec["default"]
            lines.append(f"Default: {int(default) if key.kind == 'number' else default}.")
        lines.append("Disabled or not configured: each user's own setting applies.")
    lines += [
        "",
        f"Policy key: {key.dotted}. Registry: {key.registry_key}"
        + (" (values 1, 2, …)" if key.kind == "list" else f", value {key.name} ({key.registry_type})")
        + ".",
    ]
    return "\n".join(lines)
