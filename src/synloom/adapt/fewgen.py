"""FewGen's token-weighted loss (Meng et al., "Tuning Language Models as Training Data Generators
for Augmentation-Enhanced Few-Shot Learning", ICML 2023).

Each label has its own prefix. A target token of an example of label y is weighted by how well it
tells y from the other labels: its probability under y's prefix and prompt against its
probabilities under every label's, p_y(j) = softmax_l(log p(x_j | x_<j, l))[y]. The paper learns
a small weighting network on that signal by meta-learning; here the weight is the signal itself,
w_j = L * p_y(j) (1 for a token every label writes alike, up to L for a token only y writes, near
0 for one that belongs to another label), held constant (no gradient through it) and scaled to
mean 1 over the batch's target tokens so the loss keeps plain prefix tuning's scale. That is the
documented simplification; `benchmarks/adapt.py` measures it against plain prefix tuning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.adapt.batches import Encoded, target_logprobs

if TYPE_CHECKING:
    from collections.abc import Sequence


def fewgen_loss(
    model: Any,
    rows: Sequence[Encoded],
    labels: Sequence[int],
    prompts: Sequence[Sequence[int]],
    pad_id: int,
    device: str,
    discriminative_weight: float = 0.0,
):
    """The weighted negative log-likelihood of a batch: `rows[i]` is example i under its own
    label `labels[i]`'s prompt; `prompts[l]` are label l's prompt ids (the target is scored under
    each label's prompt and prefix for the weights). With `discriminative_weight` λ > 0, plus λ
    times FewGen's discriminative loss, -mean_j log p_y(j), with gradients through every label's
    prefix (the other labels' forwards then keep their graphs)."""
    import torch

    disc = discriminative_weight > 0
    n_labels = len(prompts)
    own: list[Any] = [None] * len(rows)
    by_label: list[list[Any]] = [[None] * n_labels for _ in rows]
    for label in range(n_labels):
        model.set_adapter(str(label))
        mine = [i for i, y in enumerate(labels) if y == label]
        if mine:  # with gradients: the loss trains this label's prefix on its own examples
            lp, predicts = target_logprobs(model, [rows[i] for i in mine], pad_id, device)
            for k, i in enumerate(mine):
                own[i] = lp[k][predicts[k]]
                by_label[i][label] = own[i].detach()
        others = [i for i, y in enumerate(labels) if y != label]
        if others:
            swapped = [Encoded(list(prompts[label]), rows[i].target) for i in others]
            with torch.set_grad_enabled(disc):
                lp, predicts = target_logprobs(model, swapped, pad_id, device)
            for k, i in enumerate(others):
                by_label[i][label] = lp[k][predicts[k]]
    weights, discriminative = [], []
    for i, y in enumerate(labels):
        stacked = torch.stack(by_label[i])  # labels x target tokens
        weights.append(n_labels * torch.softmax(stacked.detach(), dim=0)[y])
        if disc:
            mixed = [own[i] if label == y else by_label[i][label] for label in range(n_labels)]
            discriminative.append(-torch.log_softmax(torch.stack(mixed), dim=0)[y])
    w = torch.cat(weights)
    w = w / w.mean().clamp(min=1e-8)
    loss = -(w * torch.cat(own)).mean()
    if disc:
        loss = loss + discriminative_weight * torch.cat(discriminative).mean()
    return loss
