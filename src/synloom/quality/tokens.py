"""Tokens and words: the one tokenizer every n-gram metric uses, and the one word count.

`tokenize`: lower-cased; a token is a run of word characters (keeping inner apostrophes,
"don't") or a single punctuation character. Deterministic, no model or download. SST-2's
pre-tokenized text ("it 's a charming ...") splits into the same tokens a reader sees. Metrics
that count these (length distance, vocabulary size) say "tokens".

`words`: whitespace-separated words, the unit of "words" everywhere (the report's length
histograms, like the recipes' `min_words` / `max_words` filters).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

TOKEN_PATTERN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens of one text."""
    return TOKEN_PATTERN.findall(text.lower())


def tokenize_all(texts: Sequence[str], tokenizer: Callable[[str], list[str]] | None = None):
    """Token lists for many texts (the default tokenizer when none is given)."""
    fn = tokenizer or tokenize
    return [fn(t) for t in texts]


def tokens_of(
    texts: Sequence[str],
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> Sequence[Sequence[str]]:
    """`tokens` when the caller already holds the texts' token lists, else `tokenize_all`."""
    if tokens is None:
        return tokenize_all(texts, tokenizer)
    if len(tokens) != len(texts):
        raise SynloomError(f"got {len(tokens)} token lists for {len(texts)} texts")
    return tokens


def words(text: str) -> list[str]:
    """Whitespace-separated words of one text (case and punctuation kept)."""
    return text.split()


def word_count(text: str) -> int:
    """How many `words` a text has."""
    return len(words(text))


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Contiguous n-grams of a token list (none when it is shorter than n)."""
    return list(zip(*(tokens[i:] for i in range(n)), strict=False))
