from __future__ import annotations

import math

import pytest
import torch

from synloom.train.losses import (
    consistency_loss,
    cross_entropy,
    reverse_cross_entropy,
    supervised_loss,
    symmetric_cross_entropy,
)

LOGITS = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
TARGETS = torch.tensor([0, 1])


def test_label_smoothing_matches_the_smoothed_target_formula():
    eps, k = 0.15, 3
    log_p = torch.log_softmax(LOGITS, dim=-1)
    for i, y in enumerate(TARGETS.tolist()):
        target = torch.full((k,), eps / k)
        target[y] += 1 - eps
        expected = -(target * log_p[i]).sum()
        assert cross_entropy(LOGITS, TARGETS, eps)[i].item() == pytest.approx(expected.item())
    assert (cross_entropy(LOGITS, TARGETS, eps) != cross_entropy(LOGITS, TARGETS)).all()


def test_reverse_cross_entropy_is_minus_p_log_q():
    p = torch.softmax(LOGITS, dim=-1)
    for i, y in enumerate(TARGETS.tolist()):
        z = math.exp(10) + 2  # softmax(10 * onehot) over 3 classes
        log_q = [math.log((math.exp(10) if c == y else 1.0) / z) for c in range(3)]
        expected = -sum(p[i, c].item() * log_q[c] for c in range(3))
        assert reverse_cross_entropy(LOGITS, TARGETS)[i].item() == pytest.approx(expected, rel=1e-5)


def test_reverse_cross_entropy_is_bounded_unlike_ce():
    """A confidently wrong prediction costs CE without bound but RCE at most about 10."""
    wrong = torch.tensor([[50.0, -50.0]])
    label = torch.tensor([1])
    assert cross_entropy(wrong, label).item() > 90
    assert reverse_cross_entropy(wrong, label).item() == pytest.approx(10.0, abs=1e-3)


def test_symmetric_and_named_losses_combine_ce_and_rce():
    sce = symmetric_cross_entropy(LOGITS, TARGETS, alpha=0.1, beta=1.0)
    expected = 0.1 * cross_entropy(LOGITS, TARGETS) + reverse_cross_entropy(LOGITS, TARGETS)
    torch.testing.assert_close(sce, expected)
    torch.testing.assert_close(supervised_loss("sce", LOGITS, TARGETS), expected)
    torch.testing.assert_close(
        supervised_loss("rce", LOGITS, TARGETS), reverse_cross_entropy(LOGITS, TARGETS)
    )
    with pytest.raises(ValueError, match="unknown loss"):
        supervised_loss("mse", LOGITS, TARGETS)


def test_consistency_loss_is_kl_and_zero_at_agreement():
    ens = torch.softmax(LOGITS, dim=-1)
    torch.testing.assert_close(consistency_loss(LOGITS, ens), torch.zeros(2), atol=1e-6, rtol=0)
    other = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    kl = (other * (other.log() - torch.log_softmax(LOGITS, -1))).sum(-1)
    torch.testing.assert_close(consistency_loss(LOGITS, other), kl)
    logits = LOGITS.clone().requires_grad_(True)
    consistency_loss(logits, other).sum().backward()
    # same gradient as soft-target cross-entropy: softmax(logits) - target
    torch.testing.assert_close(logits.grad, torch.softmax(LOGITS, -1) - other)
