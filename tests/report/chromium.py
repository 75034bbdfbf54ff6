"""Drive headless Chromium on a report file: the DOM after its script ran, and screenshots.

A URL fragment (`#samples?label=L&q=WORDS&sort=-KEY`) sets the explorer's view, so a dumped
DOM shows what the script did with it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH (Debian: apt-get install -y chromium)"
)


def _run(page: Path, fragment: str, *flags: str) -> str:
    url = page.resolve().as_uri() + fragment
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--user-data-dir={profile}", *flags, url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def dump_dom(page: Path, fragment: str = "") -> str:
    return _run(page, fragment, "--dump-dom")


def screenshot(page: Path, png: Path, fragment: str = "", size: str = "1280,2000") -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, fragment, f"--window-size={size}", f"--screenshot={png}")
    assert png.stat().st_size > 10_000
    return png


class ExplorerRows(HTMLParser):
    """The explorer's rows in DOM order: attributes, whether hidden, and their cells' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, str | None] = {}
        self.controls_hidden: bool | None = None
        self.count = ""
        self.rows: list[dict] = []
        self._in_explorer = False
        self._cell: list[str] | None = None
        self._in_count = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "explorer":
            self._in_explorer, self.root = True, a
        if not self._in_explorer:
            return
        if "ex-controls" in (a.get("class") or "").split():
            self.controls_hidden = "hidden" in a
        if "ex-count" in (a.get("class") or "").split():
            self._in_count = True
        if tag == "tr" and "data-i" in a:
            self.rows.append({"attrs": a, "hidden": "hidden" in a, "cells": []})
        if tag == "td" and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append("".join(self._cell))
            self._cell = None
        if tag == "span":
            self._in_count = False
        if tag == "table" and self._in_explorer:
            self._in_explorer = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_count:
            self.count += data


def explorer_rows(html: str) -> ExplorerRows:
    parser = ExplorerRows()
    parser.feed(html)
    parser.close()
    return parser
