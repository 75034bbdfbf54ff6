"""Nucleus (top-p) and top-k sampling over the top candidates only: the local backend's sampler.

Nucleus sampling keeps the smallest set of most likely tokens whose probability reaches `top_p`
and samples from it renormalized ("The Curious Case of Neural Text Degeneration", Holtzman et
al., ICLR 2020). transformers' `TopPLogitsWarper` sorts the whole vocabulary at every step and
`generate` then runs `torch.multinomial` over all of it; for SmolLM2's 49,152-token vocabulary
and 32 rows those two calls took 3.9 s of a 9.3 s few-shot batch on the 2-core CPU (cProfile:
sort 2.1 s, multinomial 1.8 s, for 40 steps). Here the warper's set is kept exactly: token j
(in descending order) is kept iff the probability before it is below `top_p`, and at least one
token is kept. Two ways, neither sorting the vocabulary:

- without top-k (the default, top_k 0): a token is drawn from the whole distribution by an
  exponential race (argmax of p / E, E ~ Exp(1): exact, and far cheaper than `multinomial`) and
  kept when the probability of the tokens more likely than it is below `top_p`, else drawn again
  (rejection sampling: accepted with probability at least `top_p`, and what is accepted is
  distributed as the nucleus renormalized). Tokens tied with the drawn one count as not more
  likely, so at an exact tie on the nucleus' edge every tied token is kept;
- with top-k: among the `CANDIDATES` most likely tokens (`torch.topk`), which hold the nucleus
  whenever their probability reaches `top_p`; a row whose nucleus is wider falls back to the
  full sort. Top-k keeps exactly k tokens (where logits tie at the k-th, transformers keeps
  every tied token).

It draws the token itself in the local backend's own decoding loop
(`synloom.backends.decode_loop`), or runs as the last logits processor of a greedy `generate`
(it draws the token from torch's global generator, seeded per call as before, and leaves only
that token finite, so greedy selection picks it). The texts differ from transformers' sampler
(other random draws), not their distribution; `backend.sampler: transformers` keeps
transformers' own path.
"""

from __future__ import annotations

from typing import Any

# candidates per row: the nucleus lies in them unless the top 1,024 tokens hold < top_p
CANDIDATES = 1024
# tries of the no-top-k draw before a row takes its most likely token
DRAWS = 64


class NucleusSampler:
    """A logits processor that samples one token per row with temperature, top-k and top-p."""

    def __init__(self, temperature: float, top_p: float, top_k: int):
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        token = self.draw(scores)
        return torch.full_like(scores, float("-inf")).scatter_(-1, token, 0.0)

    def draw(self, scores: Any) -> Any:
        """One token id per row of `scores` (rows x vocabulary), as a rows x 1 tensor."""
        import torch

        logits = scores.float() / self.temperature
        vocab = logits.shape[-1]
        width = self.top_k if 0 < self.top_k < vocab else vocab  # top-k's set (all: no top-k)
        if width == vocab:
            return self._draw_nucleus(logits.softmax(dim=-1))[:, None]
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
        return token

    def _draw_nucleus(self, probs: Any) -> Any:
        """Without top-k: a draw from the whole distribution (exponential race, no sort), kept
        when the probability of the tokens more likely than it is below top_p, else drawn
        again; the nucleus holds at least top_p, so a row is redrawn less than 1 - top_p of the
        time. Rows still refused after `DRAWS` tries (chance below (1 - top_p) ** DRAWS) take
        their most likely token, which every nucleus holds."""
        import torch

        token = probs.argmax(dim=-1)
        todo = torch.arange(len(probs), device=probs.device)
        for _ in range(DRAWS):
            p = probs[todo]
            drawn = (p / torch.empty_like(p).exponential_()).argmax(dim=-1)
            if self.top_p < 1.0:
                chosen = p.gather(-1, drawn[:, None])
                ok = (p * (p > chosen)).sum(-1) < self.top_p
            else:
                ok = torch.ones_like(drawn, dtype=torch.bool)
            token[todo[ok]] = drawn[ok]
            todo = todo[~ok]
            if not len(todo):
                break
        return token

    def _nucleus(self, probs: Any) -> Any:
        """`probs` (most likely first) with the tokens outside the nucleus set to 0: token j is
        kept iff the probability of the tokens ranked above it is below top_p."""
        if self.top_p >= 1.0:
            return probs
        before = probs.cumsum(-1) - probs
        return probs.masked_fill(before >= self.top_p, 0.0)
