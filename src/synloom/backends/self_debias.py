"""Self-debiasing decoding for label-conditioned generation (Schick & Schütze, "Generating
Datasets with Pretrained Language Models", EMNLP 2021 (DINO); used by ZeroGen, Ye et al., EMNLP
2022, for NLI).

At each decoding step, with p the next-token distribution under a request's own-label prompt and
p_c under each other label's prompt (the same continuation so far), every token's probability is
multiplied by max(exp(-λ·Δ), ε) with Δ = max(0, max_c p_c − p), then renormalised: tokens the other
labels' prompts make *more* likely are pushed down, the rest keep their relative odds. As in
DINO's code (`SelfDebiasingLogitsProcessor`): Δ is a difference of probabilities, the maximum
over the counter prompts, ε = 0.01, and it runs before temperature, top-k and top-p.

`SelfDebiasProcessor` is a transformers `LogitsProcessor`; `CounterPass` gives it the counter
prompts' distributions from a second batch (k counter rows per sequence, left padded) that keeps
its own KV cache and is fed each token the sequence sampled, so `model.generate` keeps doing the
sampling, stopping and seeding. Cost: one more forward pass over k x batch rows per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from transformers import LogitsProcessor

from synloom.backends.forward_compat import forward_names, output_cache
from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.backends.base import GenerationParams

EPSILON = 0.01  # DINO's floor on the factor a token's probability is multiplied by


def debias_scores(
    scores: torch.Tensor, counter_scores: torch.Tensor, decay: float, epsilon: float = EPSILON
) -> torch.Tensor:
    """Log of the debiased, renormalised next-token distribution.

    `scores`: (batch, vocab) logits under each sequence's own prompt; `counter_scores`:
    (batch, k, vocab) logits under its k counter prompts."""
    p = scores.float().softmax(-1)
    p_counter = counter_scores.float().softmax(-1).amax(dim=1)
    delta = (p_counter - p).clamp(min=0.0)
    factor = torch.exp(-decay * delta).clamp(min=epsilon)
    q = p * factor
    return (q / q.sum(-1, keepdim=True)).log()


class SelfDebiasProcessor(LogitsProcessor):
    """Debias each step's scores against `counter(input_ids)`, the (batch, k, vocab) logits of
    the counter prompts continued with the same tokens."""

    def __init__(
        self,
        decay: float,
        counter: Callable[[torch.LongTensor], torch.Tensor],
        epsilon: float = EPSILON,
    ):
        if decay < 0:
            raise ValueError(f"decay must be >= 0, got {decay}")
        self.decay = decay
        self.counter = counter
        self.epsilon = epsilon

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return debias_scores(scores, self.counter(input_ids), self.decay, self.epsilon)


class CounterPass:
    """The counter prompts' next-token logits, kept in step with the generated sequences.

    Rows: k per sequence (sequence i's j-th counter prompt is row i*k + j), left padded. The
    first call runs the prompts; each later call feeds the tokens the sequences gained since
    (read from `input_ids` past `prompt_width`, the width of the generate call's padded input)
    through the KV cache."""

    def __init__(self, model, tokenizer, counter_prompts: list[list[str]], prompt_width: int):
        self.model = model
        self.k = len(counter_prompts[0])
        self.prompt_width = prompt_width
        device = next(model.parameters()).device
        tokenizer.padding_side = "left"
        enc = tokenizer(
            [p for ps in counter_prompts for p in ps], return_tensors="pt", padding=True
        )
        self.ids = enc["input_ids"].to(device)
        self.mask = enc["attention_mask"].to(device)
        self.fed = 0  # generated tokens already run through the cache
        self.cache = None
        self._cache_arg, self._keep = forward_names(model)

    def _forward(self, ids: torch.Tensor, new_mask: torch.Tensor) -> torch.Tensor:
        start = self.mask.sum(-1, keepdim=True) if self.cache is not None else 0
        self.mask = torch.cat([self.mask, new_mask], dim=1) if self.cache is not None else new_mask
        positions = start + new_mask.cumsum(-1) - 1
        kwargs = {self._cache_arg: self.cache} if self.cache is not None else {}
        out = self.model(
            input_ids=ids,
            attention_mask=self.mask,
            position_ids=positions.clamp(min=0),
            use_cache=True,
            **self._keep,
            **kwargs,
        )
        self.cache = output_cache(out)
        return out.logits[:, -1, :]

    def __call__(self, input_ids: torch.LongTensor) -> torch.Tensor:
        logits = None
        if self.cache is None:
            logits = self._forward(self.ids, self.mask)
        new = input_ids[:, self.prompt_width + self.fed :]
        if new.shape[1]:
            rows = new.repeat_interleave(self.k, dim=0).to(self.ids.device)
            logits = self._forward(rows, torch.ones_like(rows))
            self.fed += new.shape[1]
        return logits.view(input_ids.shape[0], self.k, -1)


def self_debias_processor(
    model, tokenizer, params: GenerationParams, n_prompts: int, prompt_width: int
) -> SelfDebiasProcessor:
    """The processor for one `generate` call of `n_prompts` prompts padded to `prompt_width`."""
    counter = [list(ps) for ps in params.counter_prompts]
    if len(counter) != n_prompts:
        raise BackendError(
            f"self-debiasing: {len(counter)} sets of counter prompts for {n_prompts} prompts"
        )
    sizes = {len(ps) for ps in counter}
    if len(sizes) != 1 or 0 in sizes:
        raise BackendError(
            "self-debiasing: every prompt needs the same number (>= 1) of counter-label prompts"
        )
    pass_ = CounterPass(model, tokenizer, counter, prompt_width)
    return SelfDebiasProcessor(float(params.self_debias_decay), pass_)  # type: ignore[arg-type]
