"""Influence of each training sample on a noise-robust validation loss, for an L2 logistic head on
frozen features: the helpfulness signal of ProGen (Ye et al., "ProGen: Progressive Zero-shot
Dataset Generation via In-context Feedback", Findings of EMNLP 2022).

The head is scikit-learn's `LogisticRegression` (lbfgs, L2, intercept): softmax over K classes
with logits z = W x~ (x~ = [x, 1]), fit by minimising

    R(W) = sum_i CE(z_i, y_i) + ||W_weights||^2 / (2 C)          (intercepts not penalised)

A binary head has one free row (the other class's logits are fixed at 0); a multiclass head has
K free rows. theta is the free rows flattened; everything below is in that parameter space.

The validation loss is the mean reverse cross-entropy (RCE, methods.md section 4) of the head's
predictions p against a smoothed one-hot target q = softmax(10 * onehot(y)):

    L_val = mean_v sum_c p_c(x_v) A_c(y_v),   A_c(y) = -log q_c(y)

The influence of up-weighting training sample z (Koh & Liang, "Understanding Black-box
Predictions via Influence Functions", ICML 2017) is

    I(z) = -grad L_val(theta)^T H^{-1} grad CE(z; theta),   H = Hessian of R at theta

with grad CE(z) = (p(x) - onehot(y))_a x~ for each free row a,
H = sum_i (diag(p_i) - p_i p_i^T)[free, free] (x) x~_i x~_i^T + (1/C) on the weights, and
grad L_val's row a = mean_v p_a (A_a - L_v) x~_v. For this convex head the only approximation is
the first-order (one Newton step) change of the optimum. Removing z changes L_val by about
-I(z): the most negative I(z) are the most helpful samples (removing them raises the loss most),
a positive I(z) marks a sample whose removal would lower it (mislabeled, off-task).

Cost: one head fit, O(n K^2 d^2) to build H and O((K d)^3) to solve it once (d = feature size
+ 1); then O(n K d) for all n influences. A multiclass H is singular along the intercepts' common
shift (the softmax ignores it; every gradient here is orthogonal to it), so a tiny damping
`DAMPING` is added on the intercepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RCE_SMOOTHING = 10.0  # q = softmax(RCE_SMOOTHING * onehot(y)), as in SunGen / ProGen
HEAD_C = 4.0  # inverse L2 strength, the embed-lr task model's
DAMPING = 1e-6  # on the intercept coordinates only (see the module docstring)


@dataclass(frozen=True)
class Head:
    """A fitted head: W (K x (d + 1), the last column the intercepts; fixed rows are zero) and
    the rows that are parameters (`free`)."""

    W: np.ndarray
    free: np.ndarray
    C: float

    def probs(self, X: np.ndarray) -> np.ndarray:
        z = augment(X) @ self.W.T
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Influence:
    """Per training sample influence I(z) on the validation RCE, and the head's validation RCE
    and accuracy."""

    scores: np.ndarray
    val_loss: float
    val_accuracy: float


def augment(X: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(X, dtype=np.float64), np.ones((len(X), 1))])


def fit_head(X: np.ndarray, y: np.ndarray, n_classes: int, C: float = HEAD_C) -> Head:
    """The L2 logistic head on features X (n x d), labels y in 0..n_classes-1 (each present)."""
    from sklearn.linear_model import LogisticRegression

    if sorted(set(y.tolist())) != list(range(n_classes)):
        raise ValueError("every class needs at least one training sample")
    lr = LogisticRegression(C=C, tol=1e-8, max_iter=10_000)
    lr.fit(np.asarray(X, dtype=np.float64), y)
    coef = np.hstack([lr.coef_, lr.intercept_[:, None]])
    if n_classes == 2:  # scikit-learn's binary head: logits (0, w x~)
        return Head(np.vstack([np.zeros_like(coef), coef]), np.array([1]), C)
    return Head(coef, np.arange(n_classes), C)


def rce_costs(n_classes: int) -> np.ndarray:
    """A[y, c] = -log q_c(y), q = softmax(RCE_SMOOTHING * onehot(y))."""
    logits = RCE_SMOOTHING * np.eye(n_classes)
    return -(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))


def rce_loss(head: Head, X: np.ndarray, y: np.ndarray) -> float:
    """Mean RCE of the head's predictions on (X, y)."""
    A = rce_costs(head.W.shape[0])
    return float((head.probs(X) * A[y]).sum(axis=1).mean())


def rce_gradient(head: Head, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad of the mean validation RCE, as (free rows x (d + 1))."""
    P = head.probs(X)
    A = rce_costs(head.W.shape[0])[y]
    loss = (P * A).sum(axis=1, keepdims=True)
    dz = P * (A - loss)  # d L_v / d z
    return (dz[:, head.free].T @ augment(X)) / len(X)


def hessian(head: Head, X: np.ndarray) -> np.ndarray:
    """Hessian of the regularised training objective R at the head's parameters."""
    Xa = augment(X)
    P = head.probs(X)[:, head.free]
    m, d1 = len(head.free), Xa.shape[1]
    H = np.zeros((m * d1, m * d1))
    for a in range(m):
        for b in range(a, m):
            w = P[:, a] * ((a == b) - P[:, b])
            block = Xa.T @ (Xa * w[:, None])
            H[a * d1 : (a + 1) * d1, b * d1 : (b + 1) * d1] = block
            H[b * d1 : (b + 1) * d1, a * d1 : (a + 1) * d1] = block.T
    reg = np.tile(np.r_[np.full(d1 - 1, 1.0 / head.C), DAMPING], m)
    return H + np.diag(reg)


def training_gradients(head: Head, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad CE(z_i) for every training sample, as (n x free rows x (d + 1))."""
    R = head.probs(X)
    R[np.arange(len(y)), y] -= 1.0
    return R[:, head.free, None] * augment(X)[:, None, :]


def rce_influence(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    n_classes: int,
    C: float = HEAD_C,
) -> Influence:
    """Fit the head on the training split and return every training sample's I(z) on the
    validation split's mean RCE (see the module docstring)."""
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    head = fit_head(X_train, y_train, n_classes, C)
    g_val = rce_gradient(head, X_val, y_val).ravel()
    s = np.linalg.solve(hessian(head, X_train), g_val).reshape(len(head.free), -1)
    R = head.probs(X_train)
    R[np.arange(len(y_train)), y_train] -= 1.0
    scores = -(R[:, head.free] * (augment(X_train) @ s.T)).sum(axis=1)
    accuracy = float((head.probs(X_val).argmax(axis=1) == y_val).mean())
    return Influence(scores, rce_loss(head, X_val, y_val), accuracy)
