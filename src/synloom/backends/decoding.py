"""The decoding settings of the local backend's `generate` call, from `GenerationParams`.

Sampling (temperature > 0) runs through `synloom.backends.nucleus` by default: the extra logits
processors (self-debiasing, a JSON schema's grammar) first, then the sampler draws the token and
`generate` runs greedy selection on what it leaves. `sampler="transformers"` hands temperature,
top-k and top-p to transformers' own warpers and `do_sample` (the path before the sampler
existed). Greedy decoding (temperature 0) is the same either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synloom.backends.base import GenerationParams


def generate_kwargs(
    params: GenerationParams, tok: Any, eos_ids: set[int], processors: list, sampler: str
) -> dict[str, Any]:
    """Keyword arguments of `model.generate` for `params`; `processors` run before sampling."""
    from transformers import LogitsProcessorList

    sample = params.temperature > 0
    ours = sample and sampler == "fast"
    kwargs: dict[str, Any] = {
        "max_new_tokens": params.max_new_tokens,
        "do_sample": sample and not ours,
        "pad_token_id": tok.pad_token_id,
        "eos_token_id": sorted(eos_ids) or None,
    }
    if sample and not ours:
        kwargs |= {"temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k}
    else:
        kwargs |= {"temperature": None, "top_p": None, "top_k": None}
    if ours:
        from synloom.backends.nucleus import NucleusSampler

        processors = [*processors, NucleusSampler(params.temperature, params.top_p, params.top_k)]
    if params.stop:
        kwargs |= {"stop_strings": list(params.stop), "tokenizer": tok}
    if processors:
        kwargs["logits_processor"] = LogitsProcessorList(processors)
    return kwargs
