"""The word tokenizer every n-gram metric uses, so their numbers are comparable.

Lower-cased; a token is a run of word characters (keeping inner apostrophes, "don't") or a
single punctuation character. Deterministic, no model or download. SST-2's pre-tokenized text
("it 's a charming ...") splits into the same tokens a reader sees.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Contiguous n-grams of a token list (none when it is shorter than n)."""
    return list(zip(*(tokens[i:] for i in range(n)), strict=False))
