"""HTML to the text a reader sees (for the detectors and the portal's text view)."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {"br", "p", "div", "tr", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
           "blockquote", "pre", "hr", "section", "article", "header", "footer"}


class _HtmlText(HTMLParser):
    def __init__(self, hidden: bool) -> None:
        super().__init__(convert_charrefs=True)  # &#52; and &amp; come out as characters
        self.parts: list[str] = []
        self._skip = 0
        self._hidden = hidden

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if not self._hidden and tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th", "span"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self._hidden and tag in ("script", "style", "head", "title") and self._skip:
            self._skip -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str, hidden: bool = False) -> str:
    """With `hidden`, text a reader does not see (title, style, script, comments' neighbours)
    is kept too: the detectors must read what a recipient's software could show."""
    parser = _HtmlText(hidden)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
