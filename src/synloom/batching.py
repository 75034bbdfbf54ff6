"""Batches bounded by tokens, not by count, and truncation that is counted, never silent.

A model's memory grows with the padded size of a batch (rows x longest row), so a fixed count of
long texts can take many times the memory of the same count of short ones. Every place a model
sees user text (scoring, the prompting baseline, embeddings, perplexity, fine-tuning) groups its
inputs with `token_budget_batches` and reports what it cut with a `Truncation`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_TOKEN_BUDGET = 8192


def token_budget_batches(
    lengths: Sequence[int], budget: int = DEFAULT_TOKEN_BUDGET
) -> list[list[int]]:
    """Indices grouped so that each batch's padded size (rows x longest) stays within `budget`.

    Inputs are taken longest first (ties in input order) so each batch pads little; an input
    longer than the budget on its own forms a batch of one. Every index appears exactly once;
    callers put results back by index, so the output order is the input order.
    """
    if budget < 1:
        raise SynloomError(f"the token budget must be >= 1, got {budget}")
    order = sorted(range(len(lengths)), key=lambda i: (-int(lengths[i]), i))
    batches: list[list[int]] = []
    batch: list[int] = []
    width = 0
    for i in order:
        n = max(1, int(lengths[i]))
        if batch and (len(batch) + 1) * max(width, n) > budget:
            batches.append(batch)
            batch, width = [], 0
        batch.append(i)
        width = max(width, n)
    if batch:
        batches.append(batch)
    return batches


@dataclass(frozen=True)
class Truncation:
    """How many of `n_total` texts were cut to their first `max_tokens` tokens, and which."""

    n_truncated: int
    n_total: int
    max_tokens: int
    indices: tuple[int, ...] = ()

    def note(self, what: str) -> str | None:
        """One line for the user, e.g. "37 of 400 test texts were truncated to 512 tokens for
        the prompting baseline"; None when nothing was cut."""
        if not self.n_truncated:
            return None
        return f"{self.n_truncated} of {self.n_total} {what} truncated to {self.max_tokens} tokens"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("indices")
        return out

    @classmethod
    def from_lengths(cls, lengths: Sequence[int], max_tokens: int) -> Truncation:
        """The truncation that cutting texts of these token counts to `max_tokens` makes."""
        cut = tuple(i for i, n in enumerate(lengths) if n > max_tokens)
        return cls(len(cut), len(lengths), max_tokens, cut)


def truncate_with_tokenizer(
    tokenizer: Any, texts: Sequence[str], max_tokens: int
) -> tuple[list[str], Truncation]:
    """Cut each text to its first `max_tokens` tokens (a prefix of the original string).

    Uses a fast tokenizer's character offsets, so the kept text is exactly the original up to the
    end of its last kept token (no decode round trip). Special tokens are not counted.
    """
    if max_tokens < 1:
        raise SynloomError(f"max_tokens must be >= 1, got {max_tokens}")
    if not texts:
        return [], Truncation(0, 0, max_tokens)
    enc = tokenizer(
        list(texts), add_special_tokens=False, return_offsets_mapping=True, truncation=False
    )
    out: list[str] = []
    lengths: list[int] = []
    for text, ids, offsets in zip(texts, enc["input_ids"], enc["offset_mapping"], strict=True):
        lengths.append(len(ids))
        out.append(text if len(ids) <= max_tokens else text[: offsets[max_tokens - 1][1]])
    return out, Truncation.from_lengths(lengths, max_tokens)
