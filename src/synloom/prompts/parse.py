"""ZeroGen's output post-processing (Ye et al., EMNLP 2022): cut, check length, reject copies."""

from __future__ import annotations

import re
from dataclasses import dataclass

REFUSAL_MARKERS = (
    "as an ai language model",
    "i apologize",
    "i'm sorry, but",
    "i cannot",
    "i can't",
)
_SENTENCE_END = re.compile(r"[.!?](?=[^.!?]*$)")
# Every reason `parse_completion` may reject an output with (stored in the run's rejected rows).
REJECTION_REASONS = frozenset(
    {"unterminated", "empty", "too_short", "too_long", "refusal", "copies_context"}
)
# and what `synloom.prompts.chat_clean` adds for chat replies
CHAT_REJECTION_REASONS = frozenset({"chat_refusal", "chat_chatter", "echo"})


@dataclass(frozen=True)
class ParseResult:
    """Either `text` (accepted) or `reason` (rejected, with an optional detail)."""

    text: str | None
    reason: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def normalize_text(text: str) -> str:
    """Key for exact dedup and copy checks: case-folded, whitespace collapsed, edge punctuation off."""
    return " ".join(text.casefold().split()).strip(" \"'.,!?;:")


def cut_completion(text: str, finished: bool) -> str | None:
    """First closing quote, else newline, else (when generation was cut by length) last sentence end."""
    for mark in ('"', "\n"):
        pos = text.find(mark)
        if pos >= 0:
            return text[:pos]
    if finished:
        return text
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else None


def parse_completion(
    text: str,
    finish_reason: str,
    *,
    min_words: int,
    max_words: int | None = None,
    context: str | None = None,
) -> ParseResult:
    """Turn a raw completion into a sample text or a rejection reason.

    `finish_reason` is "stop" when the backend stopped at a stop string or end of sequence (the text
    is complete) and "length" when it ran out of new tokens.
    """
    cut = cut_completion(text, finished=finish_reason == "stop")
    if cut is None:
        return ParseResult(None, "unterminated", "no closing quote, newline or sentence end")
    return check_sample(
        " ".join(cut.split()).strip().strip('"').strip(),
        min_words=min_words,
        max_words=max_words,
        context=context,
    )


def check_sample(
    sample: str, *, min_words: int, max_words: int | None = None, context: str | None = None
) -> ParseResult:
    """ZeroGen's checks of a cut sample: not empty, within the word limits, no refusal, not a
    copy of the request's context."""
    if not sample:
        return ParseResult(None, "empty")
    n_words = len(sample.split())
    if n_words < min_words:
        return ParseResult(None, "too_short", f"{n_words} < {min_words} words")
    if max_words is not None and n_words > max_words:
        return ParseResult(None, "too_long", f"{n_words} > {max_words} words")
    lowered = sample.casefold()
    if any(marker in lowered for marker in REFUSAL_MARKERS):
        return ParseResult(None, "refusal")
    if context is not None and normalize_text(sample) == normalize_text(context):
        return ParseResult(None, "copies_context")
    return ParseResult(sample)
