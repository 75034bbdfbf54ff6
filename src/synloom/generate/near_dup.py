"""Streaming near-duplicate detection with MinHash LSH, deterministic and checked exactly.

Broder, "On the resemblance and containment of documents", 1997 (MinHash); Indyk & Motwani,
STOC 1998 (locality-sensitive hashing); banding as in Leskovec, Rajaraman & Ullman, "Mining of
Massive Datasets", ch. 3; implementation: datasketch. A text is a set of word n-gram shingles
(lower-cased word tokens, punctuation dropped; a text shorter than n is one shingle). Two texts
are near duplicates when the Jaccard similarity of their shingle sets is >= `threshold`.

LSH only proposes candidates: bands are chosen so a pair at exactly `threshold` becomes a
candidate with probability >= `target_recall` (0.99 by default), and every candidate is then
verified with the exact Jaccard, so a reported hit is always a true near duplicate (precision
1) and misses are rare. Only texts that were added are indexed; `add_if_new` adds a text only
when it has no near duplicate, so the engine calls it in plan order and the earliest copy wins.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Hashable

_WORD = re.compile(r"\w+(?:['’]\w+)*")


def shingles(text: str, ngram: int = 1) -> frozenset[str]:
    """Word n-gram shingles of a text: lower-cased words, punctuation dropped."""
    words = _WORD.findall(text.lower())
    if len(words) <= ngram:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + ngram]) for i in range(len(words) - ngram + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def choose_bands(threshold: float, num_perm: int, target_recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest false candidates) that still make a pair
    at `threshold` a candidate with probability >= target_recall: 1 − (1 − t^r)^b."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= target_recall:
            return bands, rows
    return num_perm, 1


class NearDuplicateIndex:
    """Keys of texts seen so far; answers "is this a near duplicate of one of them?".

    Deterministic: MinHash permutations come from a fixed seed and sha1 hashes the shingles.
    An indexed text with the very same shingle set wins; otherwise the earliest added of the
    verified matches.
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        ngram: int = 1,
        target_recall: float = 0.99,
        seed: int = 1,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise SynloomError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
        if ngram < 1 or num_perm < 2:
            raise SynloomError("near-duplicate ngram must be >= 1 and num_perm >= 2")
        from datasketch import MinHash, MinHashLSH

        self.threshold = threshold
        self.ngram = ngram
        self.bands, self.rows = choose_bands(threshold, num_perm, target_recall)
        self._template = MinHash(num_perm=num_perm, seed=seed)
        self._lsh = MinHashLSH(num_perm=num_perm, params=(self.bands, self.rows))
        self._sets: dict[Hashable, frozenset[str]] = {}
        self._order: dict[Hashable, int] = {}
        self._exact: dict[frozenset[str], Hashable] = {}

    def __len__(self) -> int:
        return len(self._sets)

    def _minhash(self, items: frozenset[str]):
        from datasketch import MinHash

        m = MinHash(
            num_perm=self._template.num_perm,
            seed=self._template.seed,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )
        m.update_batch([s.encode("utf-8") for s in sorted(items)])
        return m

    def query(self, text: str) -> Hashable | None:
        """Key of the earliest indexed near duplicate of `text`, or None."""
        return self._match(shingles(text, self.ngram))[0]

    def matches(self, text: str) -> list[Hashable]:
        """Every indexed key whose text is a near duplicate of `text`, earliest first."""
        items = shingles(text, self.ngram)
        found = [
            cand
            for cand in self._lsh.query(self._minhash(items))
            if jaccard(items, self._sets[cand]) >= self.threshold
        ]
        return sorted(found, key=self._order.__getitem__)

    def add(self, key: Hashable, text: str) -> None:
        """Index `text` under `key` without checking it (e.g. seed examples)."""
        items = shingles(text, self.ngram)
        self._insert(key, items, self._minhash(items))

    def add_if_new(self, key: Hashable, text: str) -> Hashable | None:
        """Index `text` and return None, or return the key of its earlier near duplicate."""
        items = shingles(text, self.ngram)
        hit, mh = self._match(items)
        if hit is None:
            self._insert(key, items, mh if mh is not None else self._minhash(items))
        return hit

    def _match(self, items: frozenset[str]):
        exact = self._exact.get(items)
        if exact is not None:
            return exact, None
        mh = self._minhash(items)
        best = None
        for cand in self._lsh.query(mh):
            if jaccard(items, self._sets[cand]) >= self.threshold and (
                best is None or self._order[cand] < self._order[best]
            ):
                best = cand
        return best, mh

    def _insert(self, key: Hashable, items: frozenset[str], mh) -> None:
        if key in self._sets:
            raise SynloomError(f"near-duplicate index already holds key {key!r}")
        self._lsh.insert(key, mh)
        self._sets[key] = items
        self._order[key] = len(self._order)
        self._exact.setdefault(items, key)
