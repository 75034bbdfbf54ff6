"""Data (generated text, labels, paths, error messages) shown as plain text in the terminal.

Model output and user-supplied names reach the terminal: rich must never read them as markup
(`[/INST]` would crash it, `[bold]` would vanish) and control characters (ANSI escapes that clear
the screen or set the window title, carriage returns that overwrite a line) must not act.
`plain` escapes them visibly; `text` wraps the result in a `rich.text.Text`, which rich prints
verbatim (no markup, no emoji codes, no highlighting).
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls, DEL, C1 controls, and the Unicode bidi/isolate overrides ("Trojan source").
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_KEEP_MULTILINE = frozenset("\n\t")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(value: object, *, multiline: bool = True) -> str:
    """`str(value)` with control characters escaped visibly (`\\x1b`, `\\r`, `\\u202e`).

    With `multiline` newlines and tabs are kept (sample text in a table); without, they are
    escaped too (a path or a label on one line)."""
    keep = _KEEP_MULTILINE if multiline else frozenset()
    return _CONTROL.sub(
        lambda m: m.group() if m.group() in keep else _escape(m.group()), str(value)
    )


def text(value: object, *, multiline: bool = True, style: str = "") -> Text:
    """`plain(value)` as a rich `Text`: printed literally, never parsed as markup."""
    return Text(plain(value, multiline=multiline), style=style)


def one_line(message: object) -> str:
    """A message on exactly one line: its non-blank lines joined with '; ', controls escaped."""
    lines = [ln.strip() for ln in str(message).split("\n")]
    return plain("; ".join(ln for ln in lines if ln), multiline=False)
