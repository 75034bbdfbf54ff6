"""Self-Instruct's instruction filter (Wang et al., ACL 2023): its ROUGE-L against the paper's
scorer (`rouge-score`, no stemming) on the real seed tasks, the pruned nearest-neighbour search
against brute force, every rejection reason on real-looking instructions, and a growing pool."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from synloom.recipes.instruction_filter import (
    ALPACA_BLACKLIST,
    FilterSettings,
    RougePool,
    check_instruction,
    rouge_tokens,
)
from tests.conftest import read_jsonl

rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
rouge_tokenize = pytest.importorskip("rouge_score.tokenize")
SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)  # the paper's scorer


def reference(a: str, b: str) -> float:
    return SCORER.score(a, b)["rougeL"].fmeasure


@pytest.fixture(scope="module")
def seeds(datasets_dir) -> list[str]:
    rows = read_jsonl(datasets_dir / "self_instruct" / "seed_tasks.jsonl")
    assert len(rows) == 175
    return [row["instruction"] for row in rows]


@pytest.fixture(scope="module")
def held_out(datasets_dir) -> list[str]:
    rows = read_jsonl(datasets_dir / "self_instruct" / "user_oriented_instructions.jsonl")
    return [row["instruction"] for row in rows]


def near_duplicate(text: str, rng: random.Random) -> str:
    """Drop one word and swap two neighbours: what a generator echoing its prompt writes."""
    words = text.split()
    del words[rng.randrange(len(words))]
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_tokens_are_rouge_scores(text):
    assert rouge_tokens(text) == rouge_tokenize.tokenize(text, None)


def test_rouge_l_equals_rouge_score_on_all_seed_pairs(seeds):
    scores = []
    for a, b in itertools.combinations(seeds[:60], 2):
        ours = RougePool([b]).nearest(a)[0]
        assert ours == pytest.approx(reference(a, b), abs=1e-9), (a, b)
        scores.append(ours)
    assert len(scores) == 1770
    assert sum(s > 0 for s in scores) > 1000  # measured 1,408 of 1,770 (max 0.5)
    assert max(scores) > 0.4  # not a test of zeros


def test_nearest_is_brute_force_max(seeds, held_out):
    pool = RougePool(seeds)
    rng = random.Random(0)
    queries = held_out[:40] + [near_duplicate(s, rng) for s in rng.sample(seeds, 20)]
    high = 0
    for query in queries:
        truth = [reference(query, s) for s in seeds]
        best = max(truth)
        score, index = pool.nearest(query)
        assert score == pytest.approx(best, abs=1e-9), query
        assert index == truth.index(best) and pool[index] == seeds[index]
        pruned, pruned_index = pool.nearest(query, min_score=0.7)
        if best >= 0.7:
            high += 1
            assert (pruned, pruned_index) == (score, index)
        else:
            assert pruned < 0.7
    assert high >= 15  # measured 21: the 20 near-duplicates and one held-out


def test_a_query_sharing_no_word_has_no_nearest(seeds):
    assert RougePool(seeds).nearest("Zyxx qwv plorb.") == (0.0, -1)
    assert RougePool().nearest(seeds[0]) == (0.0, -1)
    assert RougePool(["?!"]).nearest("...") == (0.0, -1)


@pytest.mark.parametrize(
    ("text", "reason", "detail"),
    [
        ("Summarize this.", "too_short", "2 words < 4"),
        ("Name three fruits", "too_short", "3 words < 4"),
        ("Draw a picture of your favourite animal.", "blacklisted", "draw"),
        ("Describe the images in this article in one sentence.", "blacklisted", "images"),
        ("Tell me how to go to the train station from here.", "blacklisted", "go to"),
        ("write a program that sorts a list of numbers.", "bad_start", "starts with 'Write a program'"),
        ('"Rewrite the sentence in the passive voice."', "bad_start", "starts with '\"'"),
        ("¿Cómo se dice? Translate the phrase into English.", "bad_start", "starts with '¿'"),
    ],
)  # fmt: skip
def test_rejection_reasons(seeds, text, reason, detail):
    verdict = check_instruction(text, RougePool(seeds))
    assert (verdict.ok, verdict.reason, verdict.detail) == (False, reason, detail)


def test_too_long_and_word_boundaries(seeds):
    long = "Rewrite the following passage in plain English: " + " ".join(seeds[:20])
    verdict = check_instruction(long)
    assert verdict.reason == "too_long" and verdict.detail.endswith("words > 150")
    # keywords match whole words only: "mapping", "filed" and "graphic" are fine
    ok = "Explain the mapping between the filed claims and the graphic novel's chapters."
    assert check_instruction(ok, RougePool(seeds)).ok


def test_near_duplicate_of_a_seed_is_rouge_similar(seeds):
    pool = RougePool(seeds)
    copy = near_duplicate(seeds[3], random.Random(3))
    verdict = check_instruction(copy, pool)
    assert verdict.reason == "rouge_similar" and verdict.nearest == 3
    assert verdict.score == pytest.approx(reference(copy, seeds[3]), abs=1e-9)
    assert verdict.score >= 0.7
    assert repr(seeds[3]) in verdict.detail and verdict.detail.startswith("rouge_l=0.")


def test_pool_grows_and_rejects_echoes_of_new_entries(seeds):
    pool = RougePool(seeds)
    new = "Suggest three names for a bakery that sells only gluten-free bread and explain each."
    echo = "Suggest three names for a bakery that sells gluten-free bread, and explain each."
    assert check_instruction(new, pool).ok
    assert check_instruction(echo, pool).ok  # nothing like it in the pool yet
    index = pool.add(new)
    assert (index, len(pool), pool[index]) == (175, 176, new)
    verdict = check_instruction(echo, pool)
    assert (verdict.reason, verdict.nearest) == ("rouge_similar", 175)
    assert verdict.score == pytest.approx(reference(echo, new), abs=1e-9)


def test_settings_change_the_filter(seeds):
    pool = RougePool(seeds)
    text = "Write a short video script that explains how vaccines train the immune system."
    assert check_instruction(text, pool).ok
    alpaca = FilterSettings(blacklist=ALPACA_BLACKLIST)
    assert check_instruction(text, pool, alpaca).detail == "video"
    loose = FilterSettings(min_words=1, banned_prefixes=(), blacklist=())
    assert check_instruction("Summarize this.", pool, loose).ok
    score, _ = pool.nearest(seeds[10] + " Be brief.")
    strict = FilterSettings(threshold=round(score, 2) + 0.01)
    assert check_instruction(seeds[10] + " Be brief.", pool, strict).ok
    with pytest.raises(ValidationError):
        FilterSettings(threshold=1.5)
    with pytest.raises(ValidationError):
        FilterSettings(min_words="4")


def test_the_module_does_not_import_rouge_score():
    """rouge-score is a test dependency only: the filter reimplements it."""
    code = (
        "import sys, synloom.recipes.instruction_filter; "
        "assert 'rouge_score' not in sys.modules and 'nltk' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
