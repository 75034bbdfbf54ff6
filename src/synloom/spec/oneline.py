"""Error messages are one line: user text inside them (keys, names, paths) is escaped."""

from __future__ import annotations


def one_line(text: str) -> str:
    """`text` with every character that is not printable (newlines, tabs, ANSI escapes, line and
    paragraph separators) written as a Python escape, so the message stays on one line."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
