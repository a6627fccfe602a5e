"""Messages per method per day, the last 30 days, from the audit log's `delivered` records."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QStackedBarSeries, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from agent.api.client import AgentClient, AuditFilter
from agent.api.messages import METHOD_NAMES
from gui import theme
from gui.audit_model import day_start
from gui.tray_app import TrayApp

DAYS = 30
METHOD_COLORS = {
    "internal": "#78909c",
    "smime": "#8e24aa",
    "pgp": "#2e7d32",
    "tls": "#1565c0",
    "portal": "#d97706",
    "kept": "#5d4037",
}


def activity(client: AgentClient, days: int = DAYS, now: float | None = None) -> dict[str, dict[str, int]]:
    """{day "YYYY-MM-DD": {method: messages}}: a message counts once per method and day,
    however many of its recipients got that method. Runs on a worker thread."""
    since = day_start(days - 1, now)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    offset = 0
    while True:
        page = client.audit_page(offset, 10_000, AuditFilter(since=since, event="delivered"))
        for record in page.records:
            try:
                day = datetime.fromisoformat(record["time"]).astimezone().strftime("%Y-%m-%d")
            except (KeyError, TypeError, ValueError):
                continue
            method = record.get("method")
            if isinstance(method, str) and method:
                seen[(day, method)].add(str(record.get("message", "")))
        offset += len(page.records)
        if not page.records or offset >= page.total:
            break
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (day, method), messages in seen.items():
        counts[day][method] = len(messages)
    return dict(counts)


def nice_scale(peak: int) -> tuple[int, int]:
    """(axis top, tick count) with whole-number steps: 7 → (10, 6), 3 → (4, 5)."""
    if peak <= 4:
        return 4, 5
    step = (
        next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if peak <= s * 5)
        if peak <= 25_000
        else -(-peak // 5)
    )
    return step * 5, 6


def last_days(days: int = DAYS, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    return [time.strftime("%Y-%m-%d", time.localtime(day_start(ago, now))) for ago in range(days - 1, -1, -1)]


class ActivityChart(QWidget):
    def __init__(self, app: TrayApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.counts: dict[str, dict[str, int]] = {}
        self.chart = QChart()
        self.chart.setTitle(f"Messages per method per day, last {DAYS} days")
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.view = QChartView(self.chart, self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setAccessibleName(f"Chart: messages per method per day, last {DAYS} days")
        self.view.setMinimumHeight(260)
        self.summary = QLabel("Loading…", self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Chart summary")
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        self.series: QStackedBarSeries | None = None

    def load(self) -> None:
        self.app.call(
            self,
            lambda c: activity(c),
            self.show_counts,
            lambda exc: self.summary.setText(f"The chart could not be loaded: {exc}"),
        )

    def show_counts(self, counts: dict[str, dict[str, int]]) -> None:
        self.counts = counts
        days = last_days()
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        self.chart.setTheme(
            QChart.ChartTheme.ChartThemeDark if theme.current_is_dark() else QChart.ChartTheme.ChartThemeLight
        )
        self.chart.setBackgroundVisible(False)
        series = QStackedBarSeries()
        totals: dict[str, int] = {}
        for method in METHOD_COLORS:
            values = [counts.get(day, {}).get(method, 0) for day in days]
            if not any(values):
                continue
            bars = QBarSet(METHOD_NAMES.get(method, method))
            bars.append([float(v) for v in values])
            bars.setColor(QColor(METHOD_COLORS[method]))
            bars.setBorderColor(QColor(METHOD_COLORS[method]))
            series.append(bars)
            totals[method] = sum(values)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        # Every fifth day is labelled; a category axis needs unique labels, so the blanks
        # between are made distinct with zero-width spaces.
        x.append([d[5:] if (len(days) - 1 - i) % 5 == 0 else "\u200b" * (i + 1) for i, d in enumerate(days)])
        x.setTruncateLabels(False)
        y = QValueAxis()
        peak = max((sum(counts.get(d, {}).values()) for d in days), default=0)
        top, ticks = nice_scale(peak)
        y.setRange(0, top)
        y.setLabelFormat("%d")
        y.setTickCount(ticks)
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self.series = series
        if totals:
            words = ", ".join(f"{METHOD_NAMES.get(m, m)} {n}" for m, n in totals.items())
            self.summary.setText(f"Last {DAYS} days, messages delivered per method: {words}.")
        else:
            self.summary.setText(f"No message was delivered in the last {DAYS} days.")
        self.view.setAccessibleDescription(self.summary.text())
