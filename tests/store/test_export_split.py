"""The export's seeded, label-stratified train/validation split (`synloom.store.export_split`)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synloom.errors import SynloomError
from synloom.store.export_split import stratified_split, validation_count

LABELS = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=200)


@settings(max_examples=200, deadline=None)
@given(LABELS, st.floats(0.01, 0.99), st.integers(0, 2**32))
def test_every_label_is_split_by_its_share(labels, fraction, seed):
    try:
        train, validation = stratified_split(labels, fraction, seed)
    except SynloomError:  # only when no label has two samples
        assert all(n < 2 for n in Counter(labels).values())
        return
    assert sorted(train + validation) == list(range(len(labels)))
    assert train == sorted(train) and validation == sorted(validation)
    got = Counter(labels[i] for i in validation)
    for label, n in Counter(labels).items():
        assert got[label] == validation_count(n, fraction)
        assert got[label] < n or n == 0  # a label never leaves train empty


def test_the_split_depends_on_the_seed_and_each_label_only_on_its_own_samples():
    labels = ["pos"] * 50 + ["neg"] * 50
    assert stratified_split(labels, 0.2, 0) == stratified_split(labels, 0.2, 0)
    assert stratified_split(labels, 0.2, 0) != stratified_split(labels, 0.2, 1)
    more = labels + ["neu"] * 30  # another label added after: pos and neg draw the same rows
    assert set(stratified_split(labels, 0.2, 0)[1]) <= set(stratified_split(more, 0.2, 0)[1])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 2.0])
def test_a_fraction_outside_0_1_is_refused(fraction):
    with pytest.raises(SynloomError, match="is not a fraction between 0 and 1"):
        stratified_split(["a", "b"] * 4, fraction, 0)
