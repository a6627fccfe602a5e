"""Controls that need the agent are disabled while it is down, and say why.

A button that would only answer "the agent is not running" must not look clickable: the
banner on top of the window already says what to do (start it). Each view decides what is
enabled from its own state (a selection, a key) AND the connection; this module holds the
one sentence and the one rule, so every view says the same."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

NEEDS_AGENT = "Needs the Postseal agent, which is not running: choose Start the agent at the top of the window."


def allow(widget: QWidget, wanted: bool, connected: bool, tooltip: str = "") -> None:
    """Enable `widget` when the view wants it and the agent is there; the tooltip says why not."""
    widget.setEnabled(wanted and connected)
    widget.setToolTip(tooltip if connected else NEEDS_AGENT)
