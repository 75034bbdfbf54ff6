"""Nucleus (top-p) and top-k sampling over the top candidates only: the local backend's sampler.

Nucleus sampling keeps the smallest set of most likely tokens whose probability reaches `top_p`
and samples from it renormalized ("The Curious Case of Neural Text Degeneration", Holtzman et
al., ICLR 2020). transformers' `TopPLogitsWarper` sorts the whole vocabulary at every step and
`generate` then runs `torch.multinomial` over all of it; for SmolLM2's 49,152-token vocabulary
and 32 rows those two calls took 3.9 s of a 9.3 s few-shot batch on the 2-core CPU (cProfile:
sort 2.1 s, multinomial 1.8 s, for 40 steps). Here the same distribution is sampled from the
`CANDIDATES` most likely tokens (`torch.topk`), which hold the nucleus whenever their
probability reaches `top_p`; a row whose nucleus is wider falls back to the full sort, so the
kept set is exactly the warper's: token j (in descending order) is kept iff the probability
before it is below `top_p`, and at least one token is kept. Top-k keeps exactly k tokens (where
logits tie at the k-th, transformers keeps every tied token).

It runs as the last logits processor of a greedy `generate`: it draws the token (from torch's
global generator, seeded per call as before) and leaves only that token finite, so greedy
selection picks it. The texts differ from transformers' sampler (other random draws), not their
distribution; `backend.sampler: transformers` keeps transformers' own path.
"""

from __future__ import annotations

from typing import Any

# candidates per row: the nucleus lies in them unless the top 1,024 tokens hold < top_p
CANDIDATES = 1024


class NucleusSampler:
    """A logits processor that samples one token per row with temperature, top-k and top-p."""

    def __init__(self, temperature: float, top_p: float, top_k: int):
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        logits = scores.float() / self.temperature
        vocab = logits.shape[-1]
        width = self.top_k if 0 < self.top_k < vocab else vocab  # top-k's set (all: no top-k)
        values, index = logits.topk(min(width, CANDIDATES), dim=-1)  # most likely first
        if width == vocab:
            kept = logits
        else:  # normalise over top-k's set
            kept = values if width <= CANDIDATES else logits.topk(width, dim=-1).values
        norm = torch.logsumexp(kept, dim=-1, keepdim=True)
        probs = (values - norm).exp()  # each candidate's probability within top-k's set
        token = index.gather(-1, torch.multinomial(self._nucleus(probs), 1))
        if self.top_p < 1.0 and width > CANDIDATES:
            # rows whose nucleus reaches past the candidates draw again from all of top-k's set
            wide = (probs.sum(-1) < self.top_p).nonzero().flatten()
            if len(wide):
                values, index = logits[wide].sort(dim=-1, descending=True)  # faster than topk
                values, index = values[:, :width], index[:, :width]
                probs = self._nucleus((values - norm[wide]).exp())
                token[wide] = index.gather(-1, torch.multinomial(probs, 1))
        return torch.full_like(scores, float("-inf")).scatter_(-1, token, 0.0)

    def _nucleus(self, probs: Any) -> Any:
        """`probs` (most likely first) with the tokens outside the nucleus set to 0: token j is
        kept iff the probability of the tokens ranked above it is below top_p."""
        if self.top_p >= 1.0:
            return probs
        before = probs.cumsum(-1) - probs
        return probs.masked_fill(before >= self.top_p, 0.0)
