"""Parse a report with the standard library's html.parser and collect what the tests check."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageFacts:
    headings: list[str] = field(default_factory=list)  # <h2> texts, in order
    tags: dict[str, int] = field(default_factory=dict)  # start-tag counts
    urls: list[str] = field(default_factory=list)  # src/href values naming another resource
    text: list[str] = field(default_factory=list)  # decoded text nodes


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.facts.tags[tag] = self.facts.tags.get(tag, 0) + 1
        if tag == "h2":
            self._in_h2 = True
            self.facts.headings.append("")
        for name, value in attrs:
            if (
                name in ("src", "href", "xlink:href", "action")
                and value
                and not value.startswith("#")
            ):
                self.facts.urls.append(value)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.facts.headings[-1] += data
        self.facts.text.append(data)


def parse_page(html: str) -> PageFacts:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.facts
