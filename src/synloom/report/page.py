"""Assemble sections into one self-contained HTML page (template and CSS shipped beside it)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from synloom.errors import SynloomError
from synloom.report.fragments import Section

TEMPLATE_FILE = "template.html"
STYLE_FILE = "style.css"


def _asset(name: str) -> str:
    return resources.files("synloom.report").joinpath(name).read_text("utf-8")


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script: 'sha256-BASE64'."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: Sequence[str]) -> str:
    """Nothing may load; inline styles, data: images and the given inline scripts (by hash)
    may run. No script at all: `script-src 'none'`."""
    allowed = " ".join(script_hash(s) for s in scripts) or "'none'"
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src {allowed}; base-uri 'none'; form-action 'none'"
    )


def render_page(
    title: str, subtitle: str, sections: Sequence[Section], run_dir: str, version: str
) -> str:
    """The whole document; section HTML is inserted as is (it escapes its own text). The
    sections' scripts (each once) go at the end of the body, allowed by hash in the CSP."""
    nav = "".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections)
    body = "\n".join(
        f'<section id="{s.id}"><h2>{escape(s.title)}</h2>\n{s.html}\n</section>' for s in sections
    )
    scripts = list(dict.fromkeys(s.script for s in sections if s.script))
    for script in scripts:
        if "</script" in script.lower():
            raise ValueError("an inline script must not contain </script")
    note = f"{len(scripts)} inline script(s) allowed by hash" if scripts else "no scripts"
    return Template(_asset(TEMPLATE_FILE)).substitute(
        title=escape(title),
        subtitle=escape(subtitle),
        style=_asset(STYLE_FILE),
        nav=nav,
        sections=body,
        run_dir=escape(run_dir),
        version=escape(version),
        csp=escape(content_security_policy(scripts)),
        scripts="".join(f"<script>{s}</script>" for s in scripts),
        script_note=note,
    )


def write_page(html: str, path: Path) -> Path:
    """Write a rendered page to `path` (parents made); one-line SynloomError when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, "utf-8")
    except OSError as exc:
        raise SynloomError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return path
