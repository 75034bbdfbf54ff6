"""The decision rules: filters drop below their threshold, the size target keeps the top by the
last method, weights multiply, NaN is kept with a note, every drop has its reason."""

from __future__ import annotations

import numpy as np
import pytest

from synloom.curate.pipeline import Pipeline, SizeTarget, StepResult
from synloom.errors import SynloomError

LABELS = ("a", "a", "a", "b", "b", "b")


def step(pipe, method, kind, scores, threshold=None, weights=None):
    pipe.apply(
        StepResult(method, kind, threshold, pipe.alive.copy(), np.asarray(scores, float), weights)
    )


def test_filter_drops_below_threshold_and_says_why():
    pipe = Pipeline(LABELS)
    step(pipe, "margin", "filter", [0.5, -0.1, 0.0, np.nan, -2.0, 1.0], threshold=0.0)
    decisions = pipe.decisions()
    assert [d.kept for d in decisions] == [True, False, True, True, False, True]
    assert decisions[1].reason == "margin: score -0.1 < threshold 0"
    assert decisions[3].reason == "margin: could not score (kept)"
    assert pipe.steps[0]["dropped"] == {"a": 1, "b": 1}


def test_later_methods_see_only_survivors_and_size_ranks_by_last():
    pipe = Pipeline(LABELS)
    step(pipe, "margin", "filter", [1, -1, 1, 1, 1, 1], threshold=0.0)
    assert pipe.alive.tolist() == [0, 2, 3, 4, 5]
    step(pipe, "likelihood", "rank", [-3.0, -1.0, -2.0, -0.5, np.nan])
    pipe.apply_size(SizeTarget(per_label=1))
    kept = [i for i, d in enumerate(pipe.decisions()) if d.kept]
    assert kept == [2, 4]  # a: -1.0 beats -3.0; b: -0.5 beats -2.0 and NaN
    reasons = {i: d.reason for i, d in enumerate(pipe.decisions())}
    assert reasons[0].startswith("size: rank 2 of 2 a survivors by likelihood")
    assert reasons[5].startswith("size: rank 3 of 3 b survivors")


def test_keep_fraction_is_of_each_labels_pool():
    pipe = Pipeline(("a",) * 4 + ("b",) * 2)
    step(pipe, "random", "rank", [0.1, 0.9, 0.5, 0.7, 0.2, 0.3])
    pipe.apply_size(SizeTarget(keep=0.5))
    assert [i for i, d in enumerate(pipe.decisions()) if d.kept] == [1, 3, 5]


def test_weights_multiply_and_dropped_weigh_zero():
    pipe = Pipeline(LABELS)
    step(pipe, "sungen", "weight", [0.2, 0.4, 0.6, 0.8, 1.0, 0.5])
    step(pipe, "consistency", "filter", [1, 1, -1, 1, 1, 1], threshold=0.0)
    weights = [d.weight for d in pipe.decisions()]
    assert weights == [0.2, 0.4, 0.0, 0.8, 1.0, 0.5]
    assert pipe.summary(weighted=True)["mean_weight"] == {
        "a": pytest.approx(0.3),
        "b": pytest.approx(0.7666666),
    }


def test_bad_weights_and_misaligned_scores_are_refused():
    pipe = Pipeline(LABELS)
    with pytest.raises(SynloomError, match="weights must lie"):
        step(pipe, "w", "weight", [0.5, 1.5, 0, 0, 0, 0])
    with pytest.raises(SynloomError, match="scores for 6"):
        pipe.apply(StepResult("x", "rank", None, pipe.alive.copy(), np.zeros(3)))


def test_size_target_checks():
    with pytest.raises(SynloomError, match="at most one"):
        SizeTarget(keep=0.5, per_label=3)
    with pytest.raises(SynloomError, match="fraction"):
        SizeTarget(keep=1.5)
    with pytest.raises(SynloomError, match="at least 1"):
        SizeTarget(per_label=0)
    assert SizeTarget(counts={"a": 2}).target("b", 10) == 0
