"""HTML to the text a reader sees (for the detectors and the portal's text view)."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {
    "br",
    "p",
    "div",
    "tr",
    "li",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
}


class _Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        # Text inside the table but in no cell (sloppy or hostile HTML): browsers show it above
        # the table ("foster parenting", HTML Living Standard 13.2.6.1), so it is kept there.
        self.loose: list[str] = []

    def end_cell(self) -> None:
        if self.cell is not None:
            if self.row is None:
                self.row = []
            self.row.append("".join(self.cell))
            self.cell = None

    def end_row(self) -> None:
        self.end_cell()
        if self.row is not None:
            self.rows.append(self.row)
            self.row = None


class _HtmlText(HTMLParser):
    def __init__(self, hidden: bool) -> None:
        super().__init__(convert_charrefs=True)  # &#52; and &amp; come out as characters
        self.parts: list[str] = []
        self._skip = 0
        self._hidden = hidden
        self._tables: list[_Table] = []  # open tables, innermost last (detection mode only)

    def _out(self, text: str) -> None:
        table = self._tables[-1] if self._tables else None
        if table is not None and table.cell is not None:
            table.cell.append(text)
        elif table is None:
            self.parts.append(text)
        elif text.strip():  # words between cells; the whitespace there is layout
            table.loose.append(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if not self._hidden and tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif self._hidden and tag == "table":
            self._tables.append(_Table())
        elif self._hidden and self._tables and tag == "tr":
            self._tables[-1].end_row()
            self._tables[-1].row = []
        elif self._hidden and self._tables and tag in ("td", "th"):
            self._tables[-1].end_cell()
            self._tables[-1].cell = []
        elif tag in _BLOCKS:
            self._out("\n" if not (self._tables and self._tables[-1].cell is not None) else " ")
        elif tag in (
            "td",
            "th",
        ):  # a cell outside a table; inline tags (span, b, font) join: "<span>436</span>-70" is 436-70
            self._out(" ")
        if self._hidden:
            # Shown by mail programs too: alt text where images are blocked (the default in
            # many), titles as tooltips.
            shown = " ".join(value for name, value in attrs if name in ("alt", "title") and value and value.strip())
            if shown:
                self._out(f" {shown} ")

    def handle_endtag(self, tag: str) -> None:
        if not self._hidden and tag in ("script", "style", "head", "title") and self._skip:
            self._skip -= 1
        elif self._hidden and self._tables and tag == "table":
            self._close_table()
        elif self._hidden and self._tables and tag in ("td", "th"):
            self._tables[-1].end_cell()
        elif self._hidden and self._tables and tag == "tr":
            self._tables[-1].end_row()
        elif tag in _BLOCKS:
            self._out("\n" if not (self._tables and self._tables[-1].cell is not None) else " ")

    def _close_table(self) -> None:
        from agent.policy.tables import render

        table = self._tables.pop()
        table.end_row()
        loose = " ".join(" ".join(table.loose).split())
        self._out("\n" + (loose + "\n" if loose else "") + render(table.rows) + "\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._out(data)

    def close(self) -> None:
        super().close()
        while self._tables:  # tables never closed in sloppy HTML
            self._close_table()


def html_to_text(html: str, hidden: bool = False) -> str:
    """With `hidden` (detection), text a reader does not see (title, style, script) is kept
    too — the detectors must read what a recipient's software could show — and tables are
    written with each cell labelled by its column header (see tables.py)."""
    parser = _HtmlText(hidden)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
