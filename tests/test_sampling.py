"""`synloom.sampling`: the seeded subsets every metric, plot and the quickstart draw."""

from __future__ import annotations

import numpy as np

from synloom.sampling import stratified_indices, subsample_indices


def test_subsample_is_sorted_distinct_and_seeded():
    idx = subsample_indices(1000, 50, 7)
    assert len(idx) == 50 and len(set(idx.tolist())) == 50
    assert idx.tolist() == sorted(idx.tolist()) and idx.min() >= 0 and idx.max() < 1000
    assert (subsample_indices(1000, 50, 7) == idx).all()
    assert not (subsample_indices(1000, 50, 8) == idx).all()


def test_a_shared_generator_draws_in_turn_and_small_sets_draw_nothing():
    shared = np.random.default_rng(3)
    first = subsample_indices(100, 10, shared)
    assert (subsample_indices(5, 10, shared) == np.arange(5)).all()  # nothing drawn
    assert (subsample_indices(100, None, shared) == np.arange(100)).all()
    second = subsample_indices(100, 10, shared)
    again = np.random.default_rng(3)
    assert (subsample_indices(100, 10, again) == first).all()
    assert (subsample_indices(100, 10, again) == second).all()


def test_stratified_keeps_each_labels_share():
    labels = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    picked = stratified_indices(labels, 20, seed=0)
    assert picked == sorted(picked) == stratified_indices(labels, 20, seed=0)
    counts = {label: sum(labels[i] == label for i in picked) for label in "abc"}
    assert counts == {"a": 12, "b": 6, "c": 2}
