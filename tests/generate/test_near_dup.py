from __future__ import annotations

import json

import pytest

from synloom.errors import SynloomError
from synloom.generate.near_dup import NearDuplicateIndex, choose_bands, jaccard, shingles


def _texts(datasets_dir, n):
    out = []
    with open(datasets_dir / "sst2" / "train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) >= n:
                break
    return out


def _brute_force_stream(texts, threshold, ngram=1):
    """Reference: the same streaming rule with exact Jaccard against every kept text."""
    kept: list[tuple[int, frozenset[str]]] = []
    decisions = []
    for i, text in enumerate(texts):
        items = shingles(text, ngram)
        hit = next((k for k, s in kept if jaccard(items, s) >= threshold), None)
        decisions.append(hit)
        if hit is None:
            kept.append((i, items))
    return decisions


def test_agrees_with_exact_jaccard_on_sst2_phrases(datasets_dir):
    # SST-2 train phrases overlap heavily (nested sub-phrases, 371 duplicate texts)
    texts = _texts(datasets_dir, 2500)
    index = NearDuplicateIndex(threshold=0.8)
    ours = [index.add_if_new(i, t) for i, t in enumerate(texts)]
    expected = _brute_force_stream(texts, 0.8)
    # every reported hit is a true near duplicate of an earlier kept text (exact verification)
    for i, hit in enumerate(ours):
        if hit is not None:
            assert hit < i and jaccard(shingles(texts[i]), shingles(texts[hit])) >= 0.8
    ours_dup = {i for i, h in enumerate(ours) if h is not None}
    expected_dup = {i for i, h in enumerate(expected) if h is not None}
    assert len(expected_dup) > 40
    # LSH misses a pair at the threshold with probability <= 1%; decisions agree almost always
    assert len(ours_dup & expected_dup) >= 0.97 * len(expected_dup)
    assert len(ours_dup ^ expected_dup) <= 0.03 * len(expected_dup)
    assert len(index) == len(texts) - len(ours_dup)


def test_exact_duplicates_always_caught_and_deterministic(datasets_dir):
    texts = _texts(datasets_dir, 3000)
    runs = []
    for _ in range(2):
        index = NearDuplicateIndex(threshold=0.9, num_perm=64, ngram=2)
        runs.append([index.add_if_new(f"r{i}", t) for i, t in enumerate(texts)])
    assert runs[0] == runs[1]
    first_seen: dict[frozenset[str], int] = {}
    for i, text in enumerate(texts):
        items = shingles(text, 2)
        if items in first_seen:
            assert runs[0][i] is not None  # same shingles: Jaccard 1
        first_seen.setdefault(items, i)


def test_query_and_add_do_not_interfere(datasets_dir):
    texts = _texts(datasets_dir, 50)
    index = NearDuplicateIndex()
    index.add("seed", texts[0])
    assert index.query(texts[0].upper() + " !") == "seed"  # case and punctuation ignored
    assert index.query("an entirely different sentence about weather") is None
    assert len(index) == 1
    with pytest.raises(SynloomError):
        index.add("seed", texts[1])


def test_band_choice_meets_target_recall():
    for threshold in (0.5, 0.7, 0.8, 0.9):
        bands, rows = choose_bands(threshold, 128, 0.99)
        assert bands * rows <= 128
        assert 1 - (1 - threshold**rows) ** bands >= 0.99
        if rows < 128 and 128 // (rows + 1) > 0:
            b2 = 128 // (rows + 1)
            assert 1 - (1 - threshold ** (rows + 1)) ** b2 < 0.99
    with pytest.raises(SynloomError):
        NearDuplicateIndex(threshold=0.0)
