"""Where Apply and Revert are: at the end of the page whose fields they save, with nothing
under them that they do not save (accounts, desktop programs and start at login act at once,
on a page of their own)."""

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QGroupBox, QWidget


def top_in(widget: QWidget, page: QWidget) -> int:
    return widget.mapTo(page, QPoint(0, 0)).y()


def test_apply_and_revert_end_the_page_they_save_and_nothing_else_is_on_it(qtbot, fake_agent, make_tray):
    tray = make_tray()
    window = tray.window
    window.resize(1040, 660)
    window.show_view("settings")
    view = window.settings
    qtbot.waitUntil(lambda: tray.app.config is not None and view.shown("relay.host") == "smtp.clinic.example")
    page = view.apply_button.parentWidget()
    assert view.revert_button.parentWidget() is page
    assert view.pages.tabText(view.pages.currentIndex()) == "Organization and mail server"
    buttons_top = top_in(view.apply_button, page)
    assert abs(top_in(view.revert_button, page) - buttons_top) <= 2  # one row (an icon may add a pixel)
    buttons_top = min(buttons_top, top_in(view.revert_button, page))
    groups = page.findChildren(QGroupBox)
    assert [g.title() for g in groups] == [
        "Your organization",
        "Outgoing mail server (relay)",
        "Secure portal",
        "Held messages",
    ]
    for widget in (*groups, view.source, view.open_button):  # everything Apply covers is above it
        assert top_in(widget, page) + widget.height() <= buttons_top, widget
    below = [
        w
        for w in page.findChildren(QWidget)
        if w.isVisibleTo(page) and top_in(w, page) > buttons_top and w not in (view.apply_button, view.revert_button)
    ]
    assert below == []
    for elsewhere in (view.accounts, view.desktop, view.start_at_login):  # they act at once: not here
        assert not page.isAncestorOf(elsewhere)
    other = view.accounts.parentWidget()
    assert view.pages.tabText(1) == "Accounts and this computer"
    assert other.isAncestorOf(view.desktop) and other.isAncestorOf(view.start_at_login)

    # Scrolled to its end, the page shows its buttons inside the window
    scroll = view.pages.currentWidget()
    scroll.ensureWidgetVisible(view.apply_button)
    qtbot.waitUntil(lambda: view.apply_button.visibleRegion().boundingRect().height() == view.apply_button.height())
    view.fields["organization.name"].setText("Valley Family Clinic, Main Street")
    assert view.apply_button.isEnabled() and view.revert_button.isEnabled()
    view.revert_button.click()
    assert view.shown("organization.name") != "Valley Family Clinic, Main Street"
