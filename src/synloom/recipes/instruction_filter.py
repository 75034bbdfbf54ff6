"""The instruction filter of Self-Instruct (Wang et al., "Self-Instruct: Aligning Language Models
with Self-Generated Instructions", ACL 2023, §2.3 and `bootstrap_instructions.py` of its code):
a generated instruction joins the task pool only if it has 4-150 words (the code drops
`len(split()) <= 3`), contains none of the keywords an LM cannot act on (image, graph, file,
map, draw, plot, go to, ...), does not start with "Write a program", punctuation or a
non-ASCII character, and its ROUGE-L F-measure against every pool instruction is below 0.7.

ROUGE-L is exactly `rouge_score.rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)`'s (the
paper's scorer; same tokens, same arithmetic), made fast for the quadratic pool check:
each pool instruction is tokenized once into word ids; an inverted index of
(word, occurrence) gives every pool entry's bag-of-words overlap with a new instruction in one
`numpy.bincount`, and since LCS <= overlap <= min(m, n), F <= 2*overlap/(m+n) bounds the score
(tighter than the length bound 2*min(m,n)/(m+n)); only entries whose bound reaches the
threshold (or the best score so far) are scored, best bound first, with the bit-parallel LCS of
Hyyrö (2004) over Python ints (one add/or/and per word, any length).
"""

from __future__ import annotations

import re
import string
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import Field

from synloom.spec.base import Int, Real, SpecModel

SELF_INSTRUCT_BLACKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
    "map", "maps", "draw", "plot", "go to",
)  # fmt: skip
"""The keywords of the Self-Instruct code (`bootstrap_instructions.py`)."""

ALPACA_BLACKLIST = (*SELF_INSTRUCT_BLACKLIST, "video", "audio", "music", "flowchart", "diagram")
"""Stanford Alpaca's extension of the list (`generate_instruction.py`)."""

_TOKEN = re.compile(r"[a-z0-9]+")
_SLACK = 1e-12  # the bound 2*overlap/(m+n) and rouge-score's 2pr/(p+r) may differ in the last bit


class FilterSettings(SpecModel):
    """The filter's knobs, defaulting to the paper's code."""

    threshold: Real = Field(
        0.7, gt=0.0, le=1.0, description="reject at ROUGE-L F >= this against any pool entry"
    )
    min_words: Int = Field(4, ge=1, description="fewest whitespace-separated words (paper: 4)")
    max_words: Int = Field(150, ge=1, description="most whitespace-separated words (paper: 150)")
    blacklist: tuple[str, ...] = Field(
        SELF_INSTRUCT_BLACKLIST, description="whole words/phrases that reject (case-insensitive)"
    )
    banned_prefixes: tuple[str, ...] = Field(
        ("Write a program",), description="openings that reject (case-insensitive)"
    )


@dataclass(frozen=True)
class Verdict:
    """`ok`, else `reason` (too_short, too_long, blacklisted, bad_start, rouge_similar) and a
    one-line `detail`; for rouge_similar also the `score` and pool index of the `nearest`."""

    ok: bool
    reason: str | None = None
    detail: str | None = None
    score: float | None = None
    nearest: int | None = None


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's default tokens without stemming: lower-case, maximal runs of [a-z0-9]."""
    return _TOKEN.findall(text.lower())


def _fmeasure(lcs: int, m: int, n: int) -> float:
    if not lcs:
        return 0.0
    precision, recall = lcs / n, lcs / m  # rouge_score._score_lcs + scoring.fmeasure, verbatim
    return 2 * precision * recall / (precision + recall)


def _lcs(masks: dict[int, int], m: int, seq: tuple[int, ...]) -> int:
    """Length of the LCS of the query (its word -> position-bitmask map) and `seq` (Hyyrö)."""
    full = (1 << m) - 1
    v = full
    for word in seq:
        match = masks.get(word)
        if match:
            u = v & match
            v = (v + u) | (v - u)
    return m - (v & full).bit_count()


class RougePool:
    """A growing set of instructions that answers the nearest one by ROUGE-L F-measure."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._texts: list[str] = []
        self._seqs: list[tuple[int, ...]] = []
        self._lengths = array("i")
        self._vocab: dict[str, int] = {}
        self._postings: dict[tuple[int, int], array] = {}  # (word, k-th occurrence) -> entries
        for text in texts:
            self.add(text)

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index: int) -> str:
        return self._texts[index]

    def add(self, text: str) -> int:
        """Add an instruction; returns its index."""
        index = len(self._texts)
        seen: dict[int, int] = {}
        seq = []
        for token in rouge_tokens(text):
            word = self._vocab.setdefault(token, len(self._vocab))
            seq.append(word)
            seen[word] = seen.get(word, 0) + 1
            self._postings.setdefault((word, seen[word]), array("i")).append(index)
        self._texts.append(text)
        self._seqs.append(tuple(seq))
        self._lengths.append(len(seq))
        return index

    def nearest(self, text: str, min_score: float = 0.0) -> tuple[float, int]:
        """The highest ROUGE-L F-measure of `text` against the pool and the entry's index
        (the lowest index on a tie; -1 when no entry shares a word). With `min_score`, entries
        that cannot reach it are not scored: the answer is exact when it is >= `min_score`,
        else it is some score below `min_score`."""
        tokens = rouge_tokens(text)
        m = len(tokens)
        masks: dict[int, int] = {}
        seen: dict[int, int] = {}
        postings = []
        for position, token in enumerate(tokens):
            word = self._vocab.get(token)
            if word is None:
                continue
            masks[word] = masks.get(word, 0) | (1 << position)
            seen[word] = seen.get(word, 0) + 1
            if (posting := self._postings.get((word, seen[word]))) is not None:
                postings.append(posting)
        if not postings:
            return 0.0, -1
        bounds = self._bounds(postings, m)
        candidates = np.flatnonzero(bounds >= max(min_score - _SLACK, _SLACK))
        order = candidates[np.argsort(-bounds[candidates], kind="stable")]
        best, best_index = 0.0, -1
        for index, bound in zip(order.tolist(), bounds[order].tolist(), strict=True):
            if bound + _SLACK < best:
                break  # sorted by bound: no later entry can beat `best`
            score = _fmeasure(_lcs(masks, m, self._seqs[index]), m, self._lengths[index])
            if score > best or (score == best and index < best_index):
                best, best_index = score, index
        return best, best_index

    def _bounds(self, postings: list[array], m: int) -> np.ndarray:
        """2*overlap/(m+n) per pool entry; the buffer views die before anything can append."""
        size = len(self._texts)
        hits = np.concatenate([np.frombuffer(p, dtype=np.int32) for p in postings])
        overlap = np.bincount(hits, minlength=size)
        lengths = np.frombuffer(self._lengths, dtype=np.int32).astype(np.float64)
        return 2.0 * overlap / (m + lengths)


@lru_cache(maxsize=32)
def _blacklist_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE)


def check_instruction(
    text: str, pool: RougePool | None = None, settings: FilterSettings | None = None
) -> Verdict:
    """Self-Instruct's filter for one generated instruction, in the paper's order (length,
    keywords, opening, then ROUGE-L against `pool`). The caller adds kept ones to the pool."""
    settings = settings or FilterSettings()
    text = text.strip()
    words = len(text.split())
    if words < settings.min_words:
        return Verdict(False, "too_short", f"{words} words < {settings.min_words}")
    if words > settings.max_words:
        return Verdict(False, "too_long", f"{words} words > {settings.max_words}")
    pattern = _blacklist_pattern(settings.blacklist)
    if pattern is not None and (found := pattern.search(text)):
        return Verdict(False, "blacklisted", found.group(1).lower())
    for prefix in settings.banned_prefixes:
        if text.lower().startswith(prefix.lower()):
            return Verdict(False, "bad_start", f"starts with {prefix!r}")
    if text[0] in string.punctuation or not text[0].isascii():
        return Verdict(False, "bad_start", f"starts with {text[0]!r}")
    if pool is not None and len(pool):
        score, index = pool.nearest(text, min_score=settings.threshold)
        if score >= settings.threshold:
            detail = f"rouge_l={score:.3f} with {pool[index]!r}"
            return Verdict(False, "rouge_similar", detail, score=score, nearest=index)
    return Verdict(True)
