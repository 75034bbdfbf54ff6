"""AttrPrompt's parsers (Yu et al., "Large Language Model as Attributed Training Data Generator:
A Tale of Diversity and Bias", NeurIPS 2023): the lists of attribute dimensions and values the
generator writes, and its yes/no answer to the class filter's question.

A list is numbered or bulleted lines (`1. a`, `- a`, `2) a`), or one line of items separated
by commas or semicolons (or inline numbers: `a 2. b 3. c`). Each item is cleaned (marker,
markdown emphasis, quotes and trailing punctuation off) and kept, or rejected with a reason:
`empty`, `too_long` (more words than allowed), `refusal`, `duplicate` (of an earlier item or a
name already taken) or `extra` (beyond the `n` asked for). When the generator ran out of tokens
the unfinished last item is cut off before parsing (the raw text stays in the store).
Parsing a stored list again gives the same decisions: it depends on the text alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from synloom.prompts import ParseResult, normalize_text
from synloom.prompts.parse import REFUSAL_MARKERS

_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}\s*[.):]|[-*•·+])\s*")
_INLINE_NUMBER = re.compile(r"\s+\d{1,3}[.)]\s+")
_FIRST_WORD = re.compile(r"[a-z]+")
YES = frozenset({"yes", "y", "true", "yeah", "yep"})
NO = frozenset({"no", "n", "false", "nope"})


@dataclass(frozen=True)
class Item:
    """One list item: its cleaned text, kept (`reason` None) or rejected with why."""

    text: str
    reason: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def split_items(text: str) -> list[str]:
    """The raw items: one per non-blank line, or the parts of a single line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        return lines
    parts = _INLINE_NUMBER.split(lines[0])
    return parts if len(parts) > 1 else re.split(r"[,;]", lines[0])


def clean_item(raw: str) -> str:
    """An item without its list marker, emphasis, quotes and trailing punctuation."""
    text = _MARKER.sub("", raw.replace("**", "").replace("__", ""))
    text = " ".join(text.split()).strip("\"'`“”‘’ ")
    return text.rstrip(".,;:!").strip("\"'`“”‘’ ")


def drop_unfinished(text: str) -> str:
    """`text` without its last item, which the generator was still writing when it ran out of
    tokens: cut at the last line break, else the last comma or semicolon, else all of it."""
    body = text.rstrip(" \t")
    if body.endswith("\n"):
        return body
    for sep in ("\n", ",", ";"):
        pos = body.rfind(sep)
        if pos >= 0:
            return body[:pos]
    return ""


def parse_items(text: str, n: int, max_words: int, taken: Iterable[str] = ()) -> list[Item]:
    """Every item of a list with its decision; at most `n` are kept."""
    seen = {normalize_text(t) for t in taken}
    items: list[Item] = []
    kept = 0
    for raw in split_items(text):
        value = clean_item(raw)
        key = normalize_text(value)
        words = len(value.split())
        if not key:
            items.append(Item(raw.strip(), "empty"))
        elif words > max_words:
            items.append(Item(value, "too_long", f"{words} > {max_words} words"))
        elif any(marker in value.casefold() for marker in REFUSAL_MARKERS):
            items.append(Item(value, "refusal"))
        elif key in seen:
            items.append(Item(value, "duplicate"))
        elif kept >= n:
            items.append(Item(value, "extra", f"more than the {n} asked for"))
        else:
            items.append(Item(value))
            seen.add(key)
            kept += 1
    return items


def summarize_rejected(items: list[Item]) -> str:
    """`reason x count` of the rejected items, for a rejected list's detail."""
    counts: dict[str, int] = {}
    for item in items:
        if not item.ok:
            counts[item.reason] = counts.get(item.reason, 0) + 1  # type: ignore[index]
    return ", ".join(f"{reason} x{count}" for reason, count in counts.items()) or "no items"


def parse_list(
    text: str,
    finish_reason: str,
    *,
    n: int,
    max_words: int,
    min_items: int = 1,
    taken: Iterable[str] = (),
) -> ParseResult:
    """A list output: its text (the unfinished last item cut off) when it holds at least
    `min_items` kept items, else rejected (`no_items`, `too_few_items`) with what went wrong."""
    body = drop_unfinished(text) if finish_reason == "length" else text
    items = parse_items(body, n, max_words, taken)
    kept = sum(item.ok for item in items)
    if kept >= min_items:
        return ParseResult(body.strip())
    detail = f"{kept} kept of {len(items)}: {summarize_rejected(items)}"
    if finish_reason == "length" and body != text:
        detail += "; unfinished last item cut off"
    return ParseResult(None, "no_items" if kept == 0 else "too_few_items", detail)


def parse_answer(text: str) -> str | None:
    """'yes', 'no', or None when the answer's first word is neither."""
    match = _FIRST_WORD.search(text.strip().casefold())
    if match is None or match.start() > 2:
        return None
    word = match.group()
    return "yes" if word in YES else "no" if word in NO else None
