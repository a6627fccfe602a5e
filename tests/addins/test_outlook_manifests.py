"""The Outlook add-in's two manifests, checked offline before any admin uploads them: the
checks live in outlook_manifest_checks.py; here each passes on the real manifests and fails
on a copy broken in one place."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from agent.ingress import addin as addin_ingress
from tests.addins.outlook_manifest_checks import (
    JSON_MANIFEST,
    PORT,
    WEB,
    XML_MANIFEST,
    _js,
    _schema,
    associated_handlers,
    disagreements,
    handler_name,
    json_problems,
    json_summary,
    taskpane_command,
    xml_problems,
    xml_summary,
)


def test_the_xml_manifest_passes_every_structural_check() -> None:
    assert xml_problems(XML_MANIFEST) == []


def test_the_unified_manifest_is_valid_against_the_stored_v1_17_schema() -> None:
    schema = _schema()
    jsonschema.Draft4Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator(schema).validate(json.loads(JSON_MANIFEST.read_text(encoding="utf-8")))


def test_the_unified_manifest_passes_every_structural_check() -> None:
    assert json_problems(JSON_MANIFEST) == []


def test_both_manifests_name_the_same_id_handler_send_mode_files_and_command() -> None:
    xml, unified = xml_summary(XML_MANIFEST), json_summary(JSON_MANIFEST)
    assert disagreements(xml, unified) == []
    assert xml["handler"] == handler_name() == "onMessageSendHandler"
    assert xml["send mode"] == "block"
    assert xml["command"] == taskpane_command() == "postsealTaskpaneButton"
    assert set(xml["files"]) == {"commands.html", "launchevent.js", "taskpane.html"}


def test_the_classic_windows_script_registers_the_handler_the_manifests_name() -> None:
    # The JavaScript-only runtime loads launchevent.js alone; it must associate the same name.
    assert associated_handlers(_js("launchevent.js")) == [handler_name()]


def test_the_event_page_loads_office_js_from_microsoft_and_the_module_that_registers() -> None:
    page = _js("commands.html")
    assert '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>' in page
    assert re.search(r'<script type="module" src="commands\.mjs"></script>', page)
    assert re.search(r"^register\(\);$", _js("commands.mjs"), re.M)


def test_the_manifests_point_at_the_folder_and_port_the_agent_serves() -> None:
    assert addin_ingress.DEFAULT_FILES == WEB.resolve()
    assert re.search(rf'DEFAULT_ORIGIN = "https://localhost:{PORT}";', _js("config.mjs"))


# ---- broken copies must be rejected ---------------------------------------------------------


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"the test's anchor {old!r} is no longer in {source.name}"
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


XML_BREAKS = [
    ("SendMode is SoftBlock", 'SendMode="Block"', 'SendMode="SoftBlock"', "SendMode is 'SoftBlock'"),
    ("SendMode is missing", ' SendMode="Block"', "", "SendMode is None"),
    (
        "the handler is misspelled",
        'FunctionName="onMessageSendHandler"',
        'FunctionName="onMessageSend"',
        "is not the name onsend.mjs associates",
    ),
    (
        "the event is OnNewMessageCompose",
        'Type="OnMessageSend"',
        'Type="OnNewMessageCompose"',
        "one OnMessageSend event, found 1 and 0",
    ),
    ("Mailbox 1.11", 'DefaultMinVersion="1.12"', 'DefaultMinVersion="1.11"', "below 1.12"),
    (
        "ReadItem permission",
        "<Permissions>ReadWriteItem</Permissions>",
        "<Permissions>ReadItem</Permissions>",
        "needs ReadWriteItem",
    ),
    (
        "the classic script URL is undefined",
        '<bt:Url id="JSRuntime.Url"',
        '<bt:Url id="JSRuntime.Link"',
        "<Override resid='JSRuntime.Url'> is not defined",
    ),
    (
        "a label is undefined",
        '<bt:String id="GroupLabel"',
        '<bt:String id="Group.Label"',
        "<Label resid='GroupLabel'> is not defined",
    ),
    (
        "an icon resid points at a URL",
        '<bt:Image size="80" resid="Icon.80x80"/>',
        '<bt:Image size="80" resid="Taskpane.Url"/>',
        "is not defined in <Resources> Images",
    ),
    (
        "another port",
        'https://localhost:8743/addin/taskpane.html"/>\n          <bt:Url id="WebViewRuntime.Url"',
        'https://localhost:3000/addin/taskpane.html"/>\n          <bt:Url id="WebViewRuntime.Url"',
        "https://localhost:3000/addin/taskpane.html is not https://localhost:8743",
    ),
    (
        "plain http",
        'DefaultValue="https://localhost:8743/addin/icons/icon-64.png"',
        'DefaultValue="http://localhost:8743/addin/icons/icon-64.png"',
        "is not https://localhost",
    ),
    ("a missing file", "/addin/launchevent.js", "/addin/launch-event.js", "launch-event.js, which is not a file"),
    ("a path out of the served folder", "/addin/icons/icon-128.png", "/addin/../manifest.xml", "not a file in"),
    (
        "a wrongly sized icon",
        "/addin/icons/icon-16.png",
        "/addin/icons/icon-32.png",
        "declared 16px but the PNG is (32, 32)",
    ),
    (
        "the inner VersionOverrides has the 1.0 namespace",
        'xmlns="http://schemas.microsoft.com/office/mailappversionoverrides/1.1"',
        'xmlns="http://schemas.microsoft.com/office/mailappversionoverrides"',
        "inside V1_0",
    ),
    (
        "the outer type is V1_1",
        'xsi:type="VersionOverridesV1_0"',
        'xsi:type="VersionOverridesV1_1"',
        'no <VersionOverrides xsi:type="VersionOverridesV1_0">',
    ),
    (
        "the root namespace is 1.0",
        'xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"',
        'xmlns="http://schemas.microsoft.com/office/appforoffice/1.0"',
        "not OfficeApp in",
    ),
    ("it is a task pane app", 'xsi:type="MailApp"', 'xsi:type="TaskPaneApp"', "not MailApp"),
    (
        "the task pane button has another id",
        'id="postsealTaskpaneButton"',
        'id="postsealPane"',
        "no single MessageComposeCommandSurface control with id 'postsealTaskpaneButton'",
    ),
    (
        "the runtime is the task pane",
        '<Runtime resid="WebViewRuntime.Url">',
        '<Runtime resid="Taskpane.Url">',
        "not the HTML runtime page commands.html",
    ),
    (
        "the JavaScript override is gone",
        '<Override type="javascript" resid="JSRuntime.Url"/>',
        "",
        'no <Override type="javascript">',
    ),
    (
        "the launch event uses another source",
        '</LaunchEvents>\n              <SourceLocation resid="WebViewRuntime.Url"/>',
        '</LaunchEvents>\n              <SourceLocation resid="Commands.Url"/>',
        "is not the <Runtime>'s resid",
    ),
    ("the XML is cut short", "</OfficeApp>", "", "not well-formed XML"),
    (
        "Permissions comes before FormSettings",
        "  <FormSettings>",
        "  <Permissions>ReadWriteItem</Permissions>\n  <FormSettings>",
        "out of the schema's order or repeated",
    ),
    ("the Rule is for reading", 'FormType="Edit"', 'FormType="Read"', "does not activate on a message being composed"),
    (
        "there is no Rule",
        '<Rule xsi:type="RuleCollection" Mode="Or">\n    <Rule xsi:type="ItemIs" ItemType="Message" '
        'FormType="Edit"/>\n  </Rule>',
        "",
        "lacks ['Rule']",
    ),
    ("the Id is not a GUID", "<Id>4d179c88-94eb-40b2-8f11-3ab2c6afc89f</Id>", "<Id>postseal</Id>", "not a GUID"),
    (
        "an element from another schema",
        "<DisableEntityHighlighting>",
        "<Theme/><DisableEntityHighlighting>",
        "elements a MailApp does not: ['Theme']",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), [b[1:] for b in XML_BREAKS], ids=[b[0] for b in XML_BREAKS])
def test_an_xml_manifest_with_one_fault_is_rejected_with_the_reason(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    problems = xml_problems(_broken(tmp_path, XML_MANIFEST, old, new))
    assert any(expected in p for p in problems), problems


JSON_BREAKS = [
    ("sendMode softBlock (schema-valid)", '"sendMode": "block"', '"sendMode": "softBlock"', "sendMode is 'softBlock'"),
    ("sendMode unknown (schema-invalid)", '"sendMode": "block"', '"sendMode": "hardBlock"', "schema: "),
    (
        "manifestVersion 1.16 (const is not draft-04)",
        '"manifestVersion": "1.17"',
        '"manifestVersion": "1.16"',
        "manifestVersion is '1.16'",
    ),
    (
        "the handler is misspelled",
        '"actionId": "onMessageSendHandler"',
        '"actionId": "onMessageSend"',
        "is not the name onsend.mjs associates",
    ),
    ("the event action is undefined", '"id": "onMessageSendHandler"', '"id": "onSend"', "which no runtime defines"),
    (
        "the event is newMessageComposeCreated",
        '"type": "messageSending"',
        '"type": "newMessageComposeCreated"',
        "expected one messageSending event, found 0",
    ),
    ("Mailbox 1.11", '"minVersion": "1.12"', '"minVersion": "1.11"', "below 1.12"),
    (
        "no classic script",
        ',\n            "script": "https://localhost:8743/addin/launchevent.js"',
        "",
        "page commands.html + script launchevent.js",
    ),
    (
        "a missing file",
        '/addin/taskpane.html"\n          },',
        '/addin/task-pane.html"\n          },',
        "task-pane.html, which is not a file",
    ),
    (
        "another port",
        '"page": "https://localhost:8743/addin/commands.html"',
        '"page": "https://localhost:3000/addin/commands.html"',
        "is not https://localhost:8743",
    ),
    ("ReadItem permission", "MailboxItem.ReadWrite.User", "MailboxItem.Read.User", "MailboxItem.ReadWrite.User"),
    (
        "the button opens nothing",
        '"actionId": "openPostsealTaskpane"',
        '"actionId": "openPane"',
        "does not open the task pane",
    ),
    (
        "the button has another id",
        '"id": "postsealTaskpaneButton"',
        '"id": "postsealPane"',
        "no single mailCompose ribbon control",
    ),
    (
        "the color icon is missing",
        '"color": "web/icons/color-192.png"',
        '"color": "web/icons/color.png"',
        "is not a file next to the manifest",
    ),
    (
        "the outline icon has the wrong size",
        '"outline": "web/icons/outline-32.png"',
        '"outline": "web/icons/icon-16.png"',
        "not a 32x32 PNG",
    ),
    ("not JSON", '"manifestVersion": "1.17",', '"manifestVersion": "1.17"', "not JSON"),
]


@pytest.mark.parametrize(("old", "new", "expected"), [b[1:] for b in JSON_BREAKS], ids=[b[0] for b in JSON_BREAKS])
def test_a_unified_manifest_with_one_fault_is_rejected_with_the_reason(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    copy = _broken(tmp_path, JSON_MANIFEST, old, new)
    (tmp_path / "web").symlink_to(WEB, target_is_directory=True)  # icons are relative to the manifest
    problems = json_problems(copy)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('"id": "4d179c88-94eb-40b2-8f11-3ab2c6afc89f"', '"id": "4d179c88-94eb-40b2-8f11-3ab2c6afc890"', "id"),
        ('"version": "1.0.0"', '"version": "1.0.1"', "version"),
        ('"minVersion": "1.12"', '"minVersion": "1.13"', "mailbox"),
    ],
)
def test_manifests_that_disagree_are_caught(tmp_path: Path, old: str, new: str, key: str) -> None:
    copy = _broken(tmp_path, JSON_MANIFEST, old, new)
    found = disagreements(xml_summary(XML_MANIFEST), json_summary(copy))
    assert [d for d in found if d.startswith(f"{key}:")], found


def test_a_broken_xml_send_mode_also_breaks_the_agreement(tmp_path: Path) -> None:
    copy = _broken(tmp_path, XML_MANIFEST, 'SendMode="Block"', 'SendMode="PromptUser"')
    assert disagreements(xml_summary(copy), json_summary(JSON_MANIFEST)) == [
        "send mode: manifest.xml says 'promptuser', manifest.json says 'block'"
    ]
