from __future__ import annotations

import math

import numpy as np
import pytest

from synloom.train.temporal import TemporalEnsemble, confidence_filter, ramp_weight


def test_bias_correction_makes_the_first_average_equal_the_prediction():
    probs = np.array([[0.9, 0.1], [0.3, 0.7]])
    ens = TemporalEnsemble(2, 2, momentum=0.9)
    np.testing.assert_allclose(ens.update(probs), probs)
    np.testing.assert_allclose(ens.update(probs), probs)  # constant input stays constant
    second = np.array([[0.1, 0.9], [0.5, 0.5]])
    # raw sum after three updates: 0.9 * (0.9 * 0.1 p + 0.1 p) + 0.1 q, divided by 1 - 0.9^3
    expected = (0.9 * (0.9 * 0.1 * probs + 0.1 * probs) + 0.1 * second) / (1 - 0.9**3)
    np.testing.assert_allclose(ens.update(second), expected)
    np.testing.assert_allclose(ens.probs.sum(axis=1), 1.0)


def test_empty_ensemble_and_bad_momentum_raise():
    with pytest.raises(ValueError, match="no predictions"):
        _ = TemporalEnsemble(1, 2).probs
    with pytest.raises(ValueError, match="momentum"):
        TemporalEnsemble(1, 2, momentum=1.0)


def test_ramp_goes_from_exp_minus_5_to_1():
    assert ramp_weight(0.0) == pytest.approx(math.exp(-5))
    assert ramp_weight(0.5) == pytest.approx(math.exp(-1.25))
    assert ramp_weight(1.0) == 1.0
    assert ramp_weight(2.0) == 1.0


def test_confidence_filter_keeps_confident_agreeing_samples():
    rng = np.random.default_rng(0)
    n = 100
    labels = np.array([0] * 50 + [1] * 50)
    conf = rng.uniform(0.5, 1.0, n)
    probs = np.stack([conf, 1 - conf], axis=1)
    probs[labels == 1] = probs[labels == 1][:, ::-1]  # predictions agree with labels...
    probs[:5] = probs[:5][:, ::-1]  # ...except five of class 0
    kept = confidence_filter(probs, labels, threshold=0.8, min_per_class=16)
    expected = np.flatnonzero((probs.argmax(1) == labels) & (probs.max(1) > 0.8))
    assert len(expected) >= 2 * 16  # no fallback in this draw
    np.testing.assert_array_equal(kept, expected)
    assert not set(range(5)) & set(kept.tolist())


def test_confidence_filter_falls_back_to_the_top_half_of_a_class():
    labels = np.array([0] * 10 + [1] * 40)
    p0 = np.r_[np.linspace(0.05, 0.6, 10), np.full(40, 0.05)]  # class 0 never passes 0.8
    probs = np.stack([p0, 1 - p0], axis=1)
    kept = set(confidence_filter(probs, labels, threshold=0.8, min_per_class=16).tolist())
    assert kept & set(range(10)) == set(range(5, 10))  # the five most confident of class 0
    assert set(range(10, 50)) <= kept  # class 1: 40 pass the threshold
