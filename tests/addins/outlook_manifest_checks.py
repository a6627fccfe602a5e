"""Checks for the Outlook add-in's two manifests (used by test_outlook_manifests.py), offline.
Past 400 lines: one check per manifest rule, all for the same two files.

manifest.json (the unified manifest for Microsoft 365) is validated against a stored copy of
its JSON schema (MicrosoftTeams v1.17, draft-04). manifest.xml (the add-in only manifest) has
no offline validator: the official XSDs (OfficeApp 1.1, MailAppVersionOverrides 1.0/1.1) are
not shipped with this repository and are not reachable from the test run. So `xml_problems`
below checks the structure Smart Alerts depends on, element by element, and every check is
shown to fail on a broken copy: a manifest that would let mail out unchecked must not pass.

What both manifests must agree on, and with the code they point to:
- the handler name is the one onsend.mjs passes to Office.actions.associate;
- the send mode is Block, the only mode that stops the send when the add-in cannot load or
  reach its server (OfficeDev/office-js-docs-pr, docs/outlook/onmessagesend-onappointmentsend-events.md);
- Mailbox 1.12 or later (OnMessageSend arrived in 1.12);
- every URL is https://localhost:<ingress.addin_port>/addin/<file>, and the file exists in the
  folder the agent serves (agent/ingress/addin.py);
- the task pane button's id is config.mjs TASKPANE_COMMAND (the Smart Alerts commandId).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import jsonschema

from agent.config import IngressConfig

REPO = Path(__file__).resolve().parents[2]
OUTLOOK = REPO / "addins" / "outlook"
WEB = OUTLOOK / "web"
XML_MANIFEST = OUTLOOK / "manifest.xml"
JSON_MANIFEST = OUTLOOK / "manifest.json"
SCHEMA = Path(__file__).resolve().parent / "outlook" / "schemas" / "MicrosoftTeams.v1.17.schema.json"
PORT = IngressConfig().addin_port

NS_APP = "http://schemas.microsoft.com/office/appforoffice/1.1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_BT = "http://schemas.microsoft.com/office/officeappbasictypes/1.0"
NS_VO = "http://schemas.microsoft.com/office/mailappversionoverrides"
NS_VO11 = "http://schemas.microsoft.com/office/mailappversionoverrides/1.1"
XSI_TYPE = f"{{{NS_XSI}}}type"

MIN_MAILBOX = (1, 12)
GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# The children of a MailApp <OfficeApp>, in the order the schema's sequence wants them
# (optional ones may be left out; these are the ones Outlook needs for this add-in).
OFFICEAPP_ORDER = [
    "Id",
    "AlternateId",
    "Version",
    "ProviderName",
    "DefaultLocale",
    "DisplayName",
    "Description",
    "IconUrl",
    "HighResolutionIconUrl",
    "SupportUrl",
    "AppDomains",
    "Hosts",
    "Requirements",
    "FormSettings",
    "Permissions",
    "Rule",
    "DisableEntityHighlighting",
    "VersionOverrides",
]
OFFICEAPP_NEEDED = {
    "Id",
    "Version",
    "ProviderName",
    "DefaultLocale",
    "DisplayName",
    "Description",
    "Hosts",
    "Requirements",
    "FormSettings",
    "Permissions",
    "Rule",
    "VersionOverrides",
}
# Which resource list a resid must come from, by the element that carries it.
RESID_KINDS = {
    f"{{{NS_BT}}}Image": "Images",
    f"{{{NS_VO11}}}SourceLocation": "Urls",
    f"{{{NS_VO11}}}Runtime": "Urls",
    f"{{{NS_VO11}}}Override": "Urls",
    f"{{{NS_VO11}}}FunctionFile": "Urls",
    f"{{{NS_VO11}}}Label": "ShortStrings",
    f"{{{NS_VO11}}}Title": "ShortStrings",
    f"{{{NS_VO11}}}Description": "LongStrings",
}
# Elements whose DefaultValue must be one of our URLs.
URL_ELEMENTS = {f"{{{NS_APP}}}{name}" for name in ("IconUrl", "HighResolutionIconUrl", "SupportUrl", "SourceLocation")}
URL_ELEMENTS |= {f"{{{NS_BT}}}Image", f"{{{NS_BT}}}Url"}


# ---- what the code says ---------------------------------------------------------------------


def _js(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


def associated_handlers(source: str) -> list[str]:
    return re.findall(r"Office\.actions\.associate\(\s*[\"']([^\"']+)[\"']", source)


def handler_name() -> str:
    names = associated_handlers(_js("onsend.mjs"))
    assert len(names) == 1, f"onsend.mjs should associate exactly one handler, found {names}"
    return names[0]


def taskpane_command() -> str:
    found = re.search(r"export const TASKPANE_COMMAND\s*=\s*\"([^\"]+)\"", _js("config.mjs"))
    assert found, "config.mjs has no TASKPANE_COMMAND"
    return found.group(1)


def version_tuple(text: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", text or ""):
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in text.split("."))


def png_size(path: Path) -> tuple[int, int] | None:
    data = path.read_bytes()[:24]
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def url_problem(url: str, port: int = PORT, web: Path = WEB) -> str | None:
    """None if `url` is https://localhost:<port>/addin/<file> and <file> is in the served folder."""
    found = re.fullmatch(rf"https://localhost:{port}/addin/([A-Za-z0-9._/-]+)", url)
    if not found:
        return f"{url} is not https://localhost:{port}/addin/<file>"
    root = web.resolve()
    target = (root / found.group(1)).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return f"{url} names {found.group(1)}, which is not a file in {web}"
    return None


def served_file(url: str) -> str:
    return url.split("/addin/", 1)[1]


# ---- the add-in only (XML) manifest ---------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _inner_overrides(root: Element) -> Element | None:
    outer = root.find(f"{{{NS_VO}}}VersionOverrides")
    return None if outer is None else outer.find(f"{{{NS_VO11}}}VersionOverrides")


def _resources(inner: Element) -> dict[str, dict[str, str]]:
    """{"Images"|"Urls"|"ShortStrings"|"LongStrings": {id: DefaultValue}}."""
    found: dict[str, dict[str, str]] = {"Images": {}, "Urls": {}, "ShortStrings": {}, "LongStrings": {}}
    resources = inner.find(f"{{{NS_VO11}}}Resources")
    if resources is None:
        return found
    for kind in found:
        group = resources.find(f"{{{NS_BT}}}{kind}")
        for item in [] if group is None else list(group):
            found[kind][item.get("id", "")] = item.get("DefaultValue", "")
    return found


def xml_problems(path: Path, port: int = PORT, web: Path = WEB) -> list[str]:
    """Everything wrong with the XML manifest at `path`, in words; [] when it is right."""
    try:
        root = SafeET.parse(path).getroot()
    except ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []

    if root.tag != f"{{{NS_APP}}}OfficeApp":
        problems.append(f"the root is {root.tag}, not OfficeApp in {NS_APP}")
    if root.get(XSI_TYPE) != "MailApp":
        problems.append(f"OfficeApp xsi:type is {root.get(XSI_TYPE)!r}, not MailApp")
    children = [_local(child.tag) for child in root]
    unknown = [name for name in children if name not in OFFICEAPP_ORDER]
    if unknown:
        problems.append(f"<OfficeApp> has elements a MailApp does not: {unknown}")
    known = [name for name in children if name in OFFICEAPP_ORDER]
    if known != sorted(known, key=OFFICEAPP_ORDER.index) or len(set(known)) != len(known):
        problems.append(f"<OfficeApp> children are out of the schema's order or repeated: {known}")
    if OFFICEAPP_NEEDED - set(children):
        problems.append(f"<OfficeApp> lacks {sorted(OFFICEAPP_NEEDED - set(children))}")
    if not GUID.fullmatch(root.findtext(f"{{{NS_APP}}}Id", "").strip()):
        problems.append("<Id> is not a GUID")
    if root.find(f"{{{NS_APP}}}Hosts/{{{NS_APP}}}Host[@Name='Mailbox']") is None:
        problems.append('no <Host Name="Mailbox"/>')
    if root.find(f"{{{NS_APP}}}Requirements/{{{NS_APP}}}Sets/{{{NS_APP}}}Set[@Name='Mailbox']") is None:
        problems.append("no Mailbox requirement set in <Requirements>")
    compose_rules = [
        r
        for r in root.iter(f"{{{NS_APP}}}Rule")
        if r.get(XSI_TYPE) == "ItemIs"
        and r.get("ItemType") == "Message"
        and r.get("FormType") in ("Edit", "ReadOrEdit")
    ]
    if not compose_rules:
        problems.append("the activation <Rule> does not activate on a message being composed")
    permission = root.findtext(f"{{{NS_APP}}}Permissions", "").strip()
    if permission != "ReadWriteItem":
        problems.append(
            f"<Permissions> is {permission!r}: internetHeaders.setAsync needs ReadWriteItem "
            "(and nothing here needs more)"
        )

    outer = root.find(f"{{{NS_VO}}}VersionOverrides")
    if outer is None or outer.get(XSI_TYPE) != "VersionOverridesV1_0":
        problems.append(f'no <VersionOverrides xsi:type="VersionOverridesV1_0"> in {NS_VO}')
    inner = _inner_overrides(root)
    if inner is None or inner.get(XSI_TYPE) != "VersionOverridesV1_1":
        problems.append(f'no <VersionOverrides xsi:type="VersionOverridesV1_1"> in {NS_VO11} inside V1_0')
        return problems

    sets = inner.find(f"{{{NS_VO11}}}Requirements/{{{NS_BT}}}Sets")
    mailbox = None if sets is None else sets.find(f"{{{NS_BT}}}Set[@Name='Mailbox']")
    if mailbox is None:
        problems.append("VersionOverrides V1_1 does not require the Mailbox set")
    else:
        declared = mailbox.get("MinVersion") or sets.get("DefaultMinVersion", "")
        try:
            if version_tuple(declared) < MIN_MAILBOX:
                problems.append(f"Mailbox {declared} is below 1.12, where OnMessageSend begins")
        except ValueError as exc:
            problems.append(f"Mailbox minimum version: {exc}")

    resources = _resources(inner)
    urls = resources["Urls"]
    host = inner.find(f"{{{NS_VO11}}}Hosts/{{{NS_VO11}}}Host")
    if host is None or host.get(XSI_TYPE) != "MailHost":
        problems.append('no <Host xsi:type="MailHost"> in VersionOverrides V1_1')
        return problems

    runtime = host.find(f"{{{NS_VO11}}}Runtimes/{{{NS_VO11}}}Runtime")
    runtime_resid = None if runtime is None else runtime.get("resid")
    if runtime is None or not urls.get(runtime_resid, "").endswith("/addin/commands.html"):
        problems.append("the <Runtime> is not the HTML runtime page commands.html")
    override = None if runtime is None else runtime.find(f"{{{NS_VO11}}}Override[@type='javascript']")
    if override is None or not urls.get(override.get("resid"), "").endswith("/addin/launchevent.js"):
        problems.append('no <Override type="javascript"> naming launchevent.js for classic Outlook on Windows')

    factor = host.find(f"{{{NS_VO11}}}DesktopFormFactor")
    points = [] if factor is None else factor.findall(f"{{{NS_VO11}}}ExtensionPoint")
    launch_points = [p for p in points if p.get(XSI_TYPE) == "LaunchEvent"]
    events = [e for p in launch_points for e in p.iter(f"{{{NS_VO11}}}LaunchEvent")]
    sends = [e for e in events if e.get("Type") == "OnMessageSend"]
    if len(launch_points) != 1 or len(sends) != 1:
        problems.append(
            f"expected one LaunchEvent extension point with one OnMessageSend event, found "
            f"{len(launch_points)} and {len(sends)}"
        )
    for event in sends:
        if event.get("SendMode") != "Block":
            problems.append(
                f"OnMessageSend SendMode is {event.get('SendMode')!r}: only Block stops the send "
                "when the add-in cannot load or reach the agent"
            )
        if event.get("FunctionName") != handler_name():
            problems.append(
                f"OnMessageSend FunctionName {event.get('FunctionName')!r} is not the name onsend.mjs "
                f"associates ({handler_name()!r})"
            )
    for point in launch_points:
        source = point.find(f"{{{NS_VO11}}}SourceLocation")
        if source is None or source.get("resid") != runtime_resid:
            problems.append("the LaunchEvent's <SourceLocation> is not the <Runtime>'s resid")

    compose = [p for p in points if p.get(XSI_TYPE) == "MessageComposeCommandSurface"]
    controls = [c for p in compose for c in p.iter(f"{{{NS_VO11}}}Control") if c.get("id") == taskpane_command()]
    if len(controls) != 1:
        problems.append(f"no single MessageComposeCommandSurface control with id {taskpane_command()!r}")
    for control in controls:
        action = control.find(f"{{{NS_VO11}}}Action")
        source = None if action is None else action.find(f"{{{NS_VO11}}}SourceLocation")
        if (
            action is None
            or action.get(XSI_TYPE) != "ShowTaskpane"
            or source is None
            or not urls.get(source.get("resid"), "").endswith("/addin/taskpane.html")
        ):
            problems.append(f"control {taskpane_command()!r} does not show the task pane taskpane.html")
        sizes = sorted(i.get("size", "") for i in control.iter(f"{{{NS_BT}}}Image"))
        if sizes != ["16", "32", "80"]:
            problems.append(f"control {taskpane_command()!r} has icon sizes {sizes}, not 16, 32 and 80")

    # Every resid names a resource of the right kind, and every resource is used.
    used: set[tuple[str, str]] = set()
    for element in inner.iter():
        resid = element.get("resid")
        if resid is None:
            continue
        kind = RESID_KINDS.get(element.tag, "?")
        used.add((kind, resid))
        if resid not in resources.get(kind, {}):
            problems.append(f"<{_local(element.tag)} resid={resid!r}> is not defined in <Resources> {kind}")
    for kind, entries in resources.items():
        problems += [f"{kind} {rid!r} is defined but never used" for rid in entries if (kind, rid) not in used]
        if "" in entries:
            problems.append(f"a {kind} entry has no id")

    # Every URL is ours, and every file it names exists.
    for element in root.iter():
        value = element.get("DefaultValue")
        if element.tag in URL_ELEMENTS and element.get("resid") is None and not value:
            problems.append(f"<{_local(element.tag)}> has no DefaultValue URL")
        for text in (value, element.get("Value"), (element.text or "").strip()):
            if text and ((element.tag in URL_ELEMENTS and text is value) or "://" in text):
                problem = url_problem(text, port, web)
                if problem:
                    problems.append(problem)
    for element in inner.iter(f"{{{NS_BT}}}Image"):
        rid = element.get("resid")
        size = element.get("size")
        if rid and size and resources["Images"].get(rid) and not url_problem(resources["Images"][rid], port, web):
            actual = png_size(web / served_file(resources["Images"][rid]))
            if actual != (int(size), int(size)):
                problems.append(f"icon {rid!r} is declared {size}px but the PNG is {actual}")
    return problems


def xml_summary(path: Path) -> dict[str, Any]:
    root = SafeET.parse(path).getroot()
    inner = _inner_overrides(root)
    urls = _resources(inner)["Urls"]
    send = next(inner.iter(f"{{{NS_VO11}}}LaunchEvent"))
    sets = inner.find(f"{{{NS_VO11}}}Requirements/{{{NS_BT}}}Sets")
    control = next(inner.iter(f"{{{NS_VO11}}}Control"))
    return {
        "id": root.findtext(f"{{{NS_APP}}}Id", "").strip().lower(),
        "version": version_tuple(root.findtext(f"{{{NS_APP}}}Version", "").strip())[:3],
        "handler": send.get("FunctionName"),
        "send mode": send.get("SendMode", "").lower(),
        "mailbox": version_tuple(sets.get("DefaultMinVersion", "")),
        "files": sorted({served_file(u) for u in urls.values()}),
        "command": control.get("id"),
        "permission": root.findtext(f"{{{NS_APP}}}Permissions", "").strip(),
    }


# ---- the unified manifest (JSON) ------------------------------------------------------------


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def _strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(key, string) for every string in a JSON document."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _strings(v, k)]
    if isinstance(value, list):
        return [pair for v in value for pair in _strings(v, key)]
    return [(key, value)] if isinstance(value, str) else []


def json_problems(path: Path, port: int = PORT, web: Path = WEB) -> list[str]:
    """Everything wrong with the unified manifest at `path`, in words; [] when it is right."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [f"not JSON: {exc}"]
    validator = jsonschema.Draft4Validator(_schema())
    problems = [
        f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.path)))
    ]
    if problems:
        return problems
    # The schema says `"const": "1.17"`, a draft-06 keyword that draft-04 validators ignore.
    if manifest["manifestVersion"] != "1.17":
        problems.append(f"manifestVersion is {manifest['manifestVersion']!r}, not 1.17")
    if "MailboxItem.ReadWrite.User" not in {
        p["name"] for p in manifest.get("authorization", {}).get("permissions", {}).get("resourceSpecific", [])
    }:
        problems.append("authorization does not ask for MailboxItem.ReadWrite.User (internetHeaders.setAsync)")

    extension = (manifest.get("extensions") or [{}])[0]
    requirements = extension.get("requirements", {})
    if "mail" not in requirements.get("scopes", []):
        problems.append("the extension's requirements do not have the scope mail")

    def mailbox_ok(where: str, req: dict[str, Any]) -> None:
        versions = [c.get("minVersion", "") for c in req.get("capabilities", []) if c.get("name") == "Mailbox"]
        if not versions:
            problems.append(f"{where}: no Mailbox capability")
        for version in versions:
            try:
                if version_tuple(version) < MIN_MAILBOX:
                    problems.append(f"{where}: Mailbox {version} is below 1.12, where OnMessageSend begins")
            except ValueError as exc:
                problems.append(f"{where}: {exc}")

    mailbox_ok("extension", requirements)
    actions: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for runtime in extension.get("runtimes", []):
        for action in runtime.get("actions", []):
            if action["id"] in actions:
                problems.append(f"action id {action['id']!r} is defined twice")
            actions[action["id"]] = (action, runtime)
    if len({r["id"] for r in extension.get("runtimes", [])}) != len(extension.get("runtimes", [])):
        problems.append("two runtimes share an id")

    groups = extension.get("autoRunEvents", [])
    sends = [e for g in groups for e in g.get("events", []) if e.get("type") == "messageSending"]
    for group in groups:
        mailbox_ok("autoRunEvents", group.get("requirements", {}))
    if len(sends) != 1:
        problems.append(f"expected one messageSending event, found {len(sends)}")
    for event in sends:
        mode = event.get("options", {}).get("sendMode")
        if mode != "block":
            problems.append(
                f"messageSending sendMode is {mode!r}: only block stops the send when the add-in "
                "cannot load or reach the agent"
            )
        if event["actionId"] != handler_name():
            problems.append(
                f"messageSending actionId {event['actionId']!r} is not the name onsend.mjs "
                f"associates ({handler_name()!r})"
            )
        action, runtime = actions.get(event["actionId"], (None, None))
        if action is None:
            problems.append(f"messageSending names action {event['actionId']!r}, which no runtime defines")
            continue
        if action.get("type") != "executeFunction":
            problems.append(f"action {event['actionId']!r} is {action.get('type')!r}, not executeFunction")
        code = runtime.get("code", {})
        if not code.get("page", "").endswith("/addin/commands.html") or not code.get("script", "").endswith(
            "/addin/launchevent.js"
        ):
            problems.append("the event runtime's code is not page commands.html + script launchevent.js")

    controls = [
        c
        for ribbon in extension.get("ribbons", [])
        if "mailCompose" in ribbon.get("contexts", [])
        for tab in ribbon.get("tabs", [])
        for group in tab.get("groups", [])
        for c in group.get("controls", [])
        if c.get("id") == taskpane_command()
    ]
    if len(controls) != 1:
        problems.append(f"no single mailCompose ribbon control with id {taskpane_command()!r}")
    for control in controls:
        action, runtime = actions.get(control["actionId"], (None, None))
        if (
            action is None
            or action.get("type") != "openPage"
            or not runtime.get("code", {}).get("page", "").endswith("/addin/taskpane.html")
        ):
            problems.append(f"control {taskpane_command()!r} does not open the task pane taskpane.html")
        sizes = sorted(i["size"] for i in control.get("icons", []))
        if sizes != [16, 32, 80]:
            problems.append(f"control {taskpane_command()!r} has icon sizes {sizes}, not 16, 32 and 80")
    every_control = [
        c
        for r in extension.get("ribbons", [])
        for t in r.get("tabs", [])
        for g in t.get("groups", [])
        for c in g.get("controls", [])
    ]
    problems += [
        f"control {c['id']!r} names action {c['actionId']!r}, which no runtime defines"
        for c in every_control
        if c["actionId"] not in actions
    ]

    for key, text in _strings(manifest):
        if key != "$schema" and "://" in text:
            problem = url_problem(text, port, web)
            if problem:
                problems.append(problem)
    for group in [g for r in extension.get("ribbons", []) for t in r.get("tabs", []) for g in t.get("groups", [])]:
        for icon in group.get("icons", []) + [i for c in group.get("controls", []) for i in c.get("icons", [])]:
            if not url_problem(icon["url"], port, web):
                actual = png_size(web / served_file(icon["url"]))
                if actual != (icon["size"], icon["size"]):
                    problems.append(f"{icon['url']} is declared {icon['size']}px but the PNG is {actual}")
    for name, size in (("color", 192), ("outline", 32)):
        icon = path.parent / manifest["icons"][name]
        if not icon.is_file():
            problems.append(f"icons.{name} {manifest['icons'][name]} is not a file next to the manifest")
        elif png_size(icon) != (size, size):
            problems.append(f"icons.{name} is {png_size(icon)}, not a {size}x{size} PNG")
    return problems


def json_summary(path: Path) -> dict[str, Any]:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    extension = manifest["extensions"][0]
    send = next(e for g in extension["autoRunEvents"] for e in g["events"] if e["type"] == "messageSending")
    control = next(c for r in extension["ribbons"] for t in r["tabs"] for g in t["groups"] for c in g["controls"])
    codes = [url for runtime in extension["runtimes"] for url in runtime["code"].values()]
    mailbox = next(c["minVersion"] for c in extension["requirements"]["capabilities"] if c["name"] == "Mailbox")
    names = {p["name"] for p in manifest["authorization"]["permissions"]["resourceSpecific"]}
    return {
        "id": manifest["id"].lower(),
        "version": version_tuple(manifest["version"])[:3],
        "handler": send["actionId"],
        "send mode": send["options"]["sendMode"].lower(),
        "mailbox": version_tuple(mailbox),
        "files": sorted({served_file(u) for u in codes}),
        "command": control["id"],
        "permission": "ReadWriteItem" if "MailboxItem.ReadWrite.User" in names else sorted(names),
    }


def disagreements(xml: dict[str, Any], unified: dict[str, Any]) -> list[str]:
    return [
        f"{key}: manifest.xml says {xml[key]!r}, manifest.json says {unified[key]!r}"
        for key in xml
        if xml[key] != unified.get(key)
    ]


# ---- the manifests as they are --------------------------------------------------------------
