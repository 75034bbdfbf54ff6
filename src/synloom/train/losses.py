"""Per-sample losses for fine-tuning on noisy synthetic labels (torch).

- label smoothing (Szegedy et al., 2016), eps 0.15 as in ZeroGen/SuperGen/FewGen
  (Ye et al., 2022; Meng et al., 2022, 2023);
- reverse cross-entropy, RCE = -sum_c p_c log q_c with p the model's prediction and q a
  smoothed one-hot target softmax(A * onehot), A = 10 (Wang et al., 2019 "Symmetric cross
  entropy for robust learning with noisy labels"; used as the noise-robust loss of SunGen,
  Gao et al., 2023, and ProGen, Ye et al., 2022). RCE is bounded, so a wrong label cannot
  dominate the gradient;
- symmetric cross-entropy SCE = alpha * CE + beta * RCE (Wang et al., 2019; alpha 0.1, beta 1);
- the temporal-ensembling consistency loss KL(ensemble || model) (Laine & Aila, 2017, as in
  FewGen's code); it has the same gradient as CE against the ensembled soft targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

RCE_TARGET_SCALE = 10.0


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Per-sample CE against smoothed targets (1 - eps) * onehot + eps / K."""
    import torch.nn.functional as F

    return F.cross_entropy(logits, targets, reduction="none", label_smoothing=label_smoothing)


def reverse_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, scale: float = RCE_TARGET_SCALE
) -> torch.Tensor:
    """Per-sample -sum_c p_c log q_c with p = softmax(logits), q = softmax(scale * onehot)."""
    import torch.nn.functional as F

    onehot = F.one_hot(targets, logits.shape[-1]).to(logits.dtype)
    log_q = F.log_softmax(scale * onehot, dim=-1)
    return -(F.softmax(logits, dim=-1) * log_q).sum(dim=-1)


def symmetric_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.1,
    beta: float = 1.0,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Per-sample alpha * CE + beta * RCE."""
    return alpha * cross_entropy(logits, targets, label_smoothing) + beta * reverse_cross_entropy(
        logits, targets
    )


def consistency_loss(logits: torch.Tensor, ensemble_probs: torch.Tensor) -> torch.Tensor:
    """Per-sample KL(ensemble || softmax(logits)); the ensemble is a constant target."""
    import torch.nn.functional as F

    target = ensemble_probs.detach().clamp_min(1e-12)
    log_p = F.log_softmax(logits, dim=-1)
    return (target * (target.log() - log_p)).sum(dim=-1)


LOSSES = ("ce", "rce", "sce")


def supervised_loss(
    name: str,
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    label_smoothing: float = 0.0,
    sce_alpha: float = 0.1,
    sce_beta: float = 1.0,
) -> torch.Tensor:
    """Per-sample loss by name: "ce" (with optional smoothing), "rce" or "sce"."""
    if name == "ce":
        return cross_entropy(logits, targets, label_smoothing)
    if name == "rce":
        return reverse_cross_entropy(logits, targets)
    if name == "sce":
        return symmetric_cross_entropy(logits, targets, sce_alpha, sce_beta, label_smoothing)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
