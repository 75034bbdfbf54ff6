"""Assemble sections into one self-contained HTML page (template and CSS shipped beside it)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from importlib import resources
from string import Template

from synloom.report.fragments import Section

TEMPLATE_FILE = "template.html"
STYLE_FILE = "style.css"


def _asset(name: str) -> str:
    return resources.files("synloom.report").joinpath(name).read_text("utf-8")


def render_page(
    title: str, subtitle: str, sections: Sequence[Section], run_dir: str, version: str
) -> str:
    """The whole document; section HTML is inserted as is (it escapes its own text)."""
    nav = "".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections)
    body = "\n".join(
        f'<section id="{s.id}"><h2>{escape(s.title)}</h2>\n{s.html}\n</section>' for s in sections
    )
    return Template(_asset(TEMPLATE_FILE)).substitute(
        title=escape(title),
        subtitle=escape(subtitle),
        style=_asset(STYLE_FILE),
        nav=nav,
        sections=body,
        run_dir=escape(run_dir),
        version=escape(version),
    )
