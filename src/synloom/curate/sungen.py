"""SunGen: per-sample weights learned by bilevel optimisation against a noise-robust loss.

Gao et al., "Self-Guided Noise-Free Data Generation for Efficient Zero-Shot Learning", ICLR
2023. Each synthetic sample i gets a weight w_i = sigmoid(theta_i). Inner problem: a task model
trained with the weighted cross-entropy sum_i w_i CE_i / n on a synthetic *train* split. Outer
problem: the reverse cross-entropy (RCE, -sum_c p_c log q_c with q = softmax(10 onehot); Wang
et al., 2019), which bounded noisy labels cannot dominate, of that model on a synthetic
*validation* split, averaged per label and then over labels. On a pool with as many samples
of each label (the paper's) this is the plain mean; on an unbalanced one (after a filter) the
plain mean is lowest when the head predicts the majority label everywhere, and the weights
then learn to silence the minority label (measured: minority weights 0.02 on an SST-2 pool
of 1 : 3). theta follows the hypergradient of the outer loss with Adam (lr 0.25, the
paper's). No clean data is used: the validation split is synthetic too.

On a CPU the task model is a linear softmax head on frozen MiniLM embeddings, centred (the
bias carries their large common direction). The inner training is unrolled: `inner_steps`
full-batch gradient steps from a fixed zero initialisation, differentiated with torch autograd,
so the head is a pure function of the weights (truncated back-propagation; one step by
default, the one-step look-ahead of Ren et al., ICML 2018). The step is in units of each
parameter block's curvature scale: `inner_lr` / lambda for the weights, lambda the largest
eigenvalue of the centred features' second moment, and `inner_lr` for the bias (whose
"feature" is the constant 1), so it means the same for any embedder and task, and a pool with
one label in the majority does not saturate the bias in one step. With one step, sample i's
hypergradient is, up to sigmoid'(theta_i), minus the agreement of its own loss gradient with
the validation loss's gradient: a sample whose label points the head the way the validation
split wants gains weight, a mislabeled one loses it. Measured on pools with 20% flipped
labels (SST-2 and TREC-6): 3-10 inner steps of 1/lambda or more let the outer problem drift
onto one label's samples on SST-2 (all of one label up, the other down, where the bounded RCE
is flat), while one step of 2/lambda separated flipped from clean samples on both.

Every sample needs a weight, so the pool is split into `folds` stratified folds (2 by default):
each fold is the train split once, with the other folds as its validation split. theta starts
at 0 (w = 0.5, `init_weight`): the sigmoid's steepest point, and symmetric, so a weight above
0.5 means the validation split pulled the sample up and one below 0.5 means it pushed it down.
The score is the weight.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores
from synloom.curate.heads import one_thread, stratified_folds
from synloom.generate.seeds import derive_seed

if TYPE_CHECKING:
    from synloom.curate.data import CurationData


class SunGenOptions(MethodOptions):
    """Outer loop (Adam on theta), unrolled inner training of the head, folds, initial weight
    and the RCE target's scale."""

    outer_steps: int = Field(default=100, ge=1)
    outer_lr: float = Field(default=0.25, gt=0)
    inner_steps: int = Field(default=1, ge=1)
    inner_lr: float = Field(default=2.0, gt=0)  # in units of 1/lambda
    folds: int = Field(default=2, ge=2)
    init_weight: float = Field(default=0.5, gt=0, lt=1)
    rce_scale: float = Field(default=10.0, gt=0)


def learn_weights(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    n_labels: int,
    options: SunGenOptions,
    steps: tuple[float, float],
) -> tuple[np.ndarray, list[float]]:
    """Weights of the train samples and the outer (validation RCE) loss before each update;
    `steps` are the inner gradient steps of the head's weights and bias."""
    import torch
    import torch.nn.functional as F

    from synloom.train.losses import reverse_cross_entropy

    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    xv, yv = torch.from_numpy(x_val), torch.from_numpy(y_val)
    theta0 = math.log(options.init_weight / (1 - options.init_weight))
    theta = torch.full((len(y_train),), theta0, requires_grad=True)
    optimiser = torch.optim.Adam([theta], lr=options.outer_lr)
    counts = np.bincount(y_val, minlength=n_labels)
    present = np.count_nonzero(counts)
    balance = torch.from_numpy((1.0 / (present * counts[y_val])).astype(np.float32))
    curve: list[float] = []
    for _ in range(options.outer_steps):
        weights = torch.sigmoid(theta)
        w = torch.zeros(xt.shape[1], n_labels, requires_grad=True)
        b = torch.zeros(n_labels, requires_grad=True)
        head = (w, b)
        for _ in range(options.inner_steps):
            ce = F.cross_entropy(xt @ head[0] + head[1], yt, reduction="none")
            grads = torch.autograd.grad((weights * ce).mean(), head, create_graph=True)
            head = tuple(p - a * g for p, a, g in zip(head, steps, grads, strict=True))
        rce = reverse_cross_entropy(xv @ head[0] + head[1], yv, options.rce_scale)
        outer = (rce * balance).sum()
        optimiser.zero_grad()
        outer.backward()
        optimiser.step()
        curve.append(float(outer.detach()))
    return torch.sigmoid(theta).detach().numpy().astype(np.float64), curve


INFO = MethodInfo(
    name="sungen",
    kind="weight",
    measures="weight sigmoid(theta) learned by bilevel optimisation (validation RCE)",
    citation="Gao et al., Self-Guided Noise-Free Data Generation (SunGen), ICLR 2023",
    needs=("embeddings",),
)


class SunGen(Method):
    info = INFO
    options = SunGenOptions

    def score(self, data: CurationData, options: SunGenOptions) -> MethodScores:
        n = len(data)
        y = data.label_index
        folds = stratified_folds(y, options.folds, derive_seed(data.seed, INFO.name))
        summary: dict = {"folds": options.folds, "head": "linear softmax on frozen MiniLM"}
        weights = np.ones(n)
        scores = np.full(n, np.nan)
        if n < options.folds:  # some fold is empty: nothing to train or validate on
            summary["unscored"] = f"{n} samples cannot fill {options.folds} folds"
            return MethodScores(scores, weights, {"fold": folds.astype(np.float64)}, summary)
        x = data.embeddings().astype(np.float64)
        x -= x.mean(axis=0)
        lam = float(np.linalg.eigvalsh(x.T @ x / n)[-1])
        steps = (options.inner_lr / max(lam, 1e-12), options.inner_lr)
        summary.update({"lambda": lam, "inner_step_sizes": list(steps)})
        x = np.ascontiguousarray(x, dtype=np.float32)
        curves = []
        with one_thread():
            for fold in range(options.folds):
                train, val = folds == fold, folds != fold
                w, curve = learn_weights(
                    x[train], y[train], x[val], y[val], len(data.label_names), options, steps
                )
                weights[train] = scores[train] = w
                curves.append([round(v, 6) for v in curve])
        summary["outer_loss"] = curves
        summary["mean_weight"] = float(weights.mean())
        return MethodScores(scores, weights, {"fold": folds.astype(np.float64)}, summary)


METHOD = SunGen()
