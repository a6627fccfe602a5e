"""Reading the outbox: older rows carry their date, every recipient can be read, and a legend
says what each method icon means. Against the fake agent, because only it can hand the tray
a message from last week (a real agent stamps each message with the time it arrives)."""

import time

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from gui import icons
from gui.method_legend import MEANINGS
from gui.outbox_model import MESSAGE_ROLE, RECIPIENTS, TIME
from tests.gui.fake_agent import HELD

DAY = 86400
PEOPLE = [
    "referrals@lakesidecardiology.example",
    "nurse.patel@valleyclinic.example",
    "sam.okafor@northside-health.example",
    "claims@harborbilling.example",
]


def message(ident: str, age: float, subject: str, methods=("pgp", "internal", "portal", "smime")) -> dict:
    created = time.time() - age
    return {
        **HELD,
        "id": ident,
        "subject": subject,
        "created": created,
        "updated": created,
        "state": "delivered",
        "reason": "",
        "recipients": [
            {**HELD["recipients"][0], "address": a, "method": m, "state": "delivered", "reason": ""}
            for a, m in zip(PEOPLE, methods, strict=False)
        ],
    }


def outbox_with(qtbot, fake_agent, make_tray, *messages: dict):
    fake_agent.messages = list(messages)
    tray = make_tray()
    tray.window.resize(1040, 660)
    tray.window.show_view("outbox")
    qtbot.waitUntil(lambda: tray.app.outbox.rowCount() == len(messages))
    return tray.window.outbox


def shown_at(view, ident: str, column: int):
    for row in range(view.proxy.rowCount()):
        if view.proxy.index(row, 0).data(MESSAGE_ROLE).id == ident:
            return view.proxy.index(row, column)
    raise AssertionError(f"{ident} is not in the outbox")


def test_an_older_row_shows_its_date_and_a_row_from_today_only_its_time(qtbot, fake_agent, make_tray):
    view = outbox_with(
        qtbot,
        fake_agent,
        make_tray,
        message("today000000001", 60, "Call back re: INR result"),
        message("lastweek000001", 3 * DAY, "Referral: Robert Alvarez"),
        message("lastyear000001", 400 * DAY, "Corrected claim batch"),
    )
    today = shown_at(view, "today000000001", TIME).data()
    assert today == time.strftime("%H:%M", time.localtime(time.time() - 60))
    for ident, age in (("lastweek000001", 3 * DAY), ("lastyear000001", 400 * DAY)):
        text = shown_at(view, ident, TIME).data()
        stamp = time.localtime(time.time() - age)
        assert time.strftime("%d", stamp) in text, text  # the day of the month, not "Fri 16:08"
        assert time.strftime("%b", stamp) in text or text == time.strftime("%Y-%m-%d", stamp), text
        # ... and the column is wide enough to show all of it
        header = view.table.horizontalHeader()
        assert header.fontMetrics().horizontalAdvance(text) + 8 <= header.sectionSize(TIME)


def test_every_recipient_can_be_read_in_the_tooltip_of_the_recipients_cell(qtbot, fake_agent, make_tray):
    held = message("held0000000001", 60, "Disability form")
    held["state"] = "held"
    for recipient in held["recipients"]:
        recipient["state"] = "held"
    held["reason"] = "This message contains a Social Security number and is going outside the organization."
    view = outbox_with(qtbot, fake_agent, make_tray, held)
    cell = shown_at(view, "held0000000001", RECIPIENTS)
    rect = view.table.visualRect(cell)
    assert rect.width() < sum(view.fontMetrics().horizontalAdvance(a) for a in PEOPLE)  # the cell cannot show all
    spot = rect.center()
    QApplication.sendEvent(
        view.table.viewport(), QHelpEvent(QEvent.Type.ToolTip, spot, view.table.viewport().mapToGlobal(spot))
    )
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    lines = QToolTip.text().splitlines()
    assert lines == [
        "referrals@lakesidecardiology.example: OpenPGP, held for review",
        "nurse.patel@valleyclinic.example: inside the organization, held for review",
        "sam.okafor@northside-health.example: secure portal, held for review",
        "claims@harborbilling.example: S/MIME, held for review",
    ]
    QToolTip.hideText()


def test_a_legend_under_the_outbox_says_what_each_method_icon_means(qtbot, fake_agent, make_tray):
    view = outbox_with(qtbot, fake_agent, make_tray, message("today000000001", 60, "Care team update"))
    legend = view.legend
    assert legend.isVisibleTo(view.window())
    assert legend.geometry().top() >= view.table.geometry().bottom()  # under the table, not hidden in a menu
    words = {method: legend.words[method].text() for method, _ in MEANINGS}
    assert words == {
        "pgp": "OpenPGP",
        "smime": "S/MIME",
        "portal": "Secure portal",
        "tls": "Verified TLS",
        "internal": "Inside the organization",
    }
    for method, sentence in MEANINGS:
        drawn = legend.icons[method].pixmap().toImage()
        assert drawn == icons.pixmap(f"method-{method}", 16, view.table.palette().text().color()).toImage()
        assert legend.words[method].toolTip() == sentence
        assert legend.words[method].width() >= legend.words[method].fontMetrics().horizontalAdvance(words[method])
    assert "Goes to the secure portal: they get a link and a one-time code." in legend.accessibleName()
