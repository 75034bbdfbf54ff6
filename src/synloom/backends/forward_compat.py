"""A causal LM's forward-call names across transformers versions: the key/value cache is passed
and returned as `cache` from transformers 5.20 on (`past_key_values` before; vLLM's CPU build
pins 5.19), and the last-position-only logits are `logits_to_keep` (`num_logits_to_keep` in
4.4x)."""

from __future__ import annotations

import inspect
from typing import Any


def forward_names(model: Any) -> tuple[str, dict[str, int]]:
    """The cache keyword `model.forward` takes, and the keywords asking for the last position's
    logits only (empty when it has none)."""
    from transformers.modeling_outputs import CausalLMOutputWithPast

    params = inspect.signature(model.forward).parameters
    if "cache" in params or "past_key_values" in params:
        cache = "cache" if "cache" in params else "past_key_values"
    else:  # a wrapper taking **kwargs (peft): this transformers' own name
        fields = CausalLMOutputWithPast.__dataclass_fields__
        cache = "cache" if "cache" in fields else "past_key_values"
    keep = next((n for n in ("logits_to_keep", "num_logits_to_keep") if n in params), None)
    return cache, ({keep: 1} if keep else {})


def output_cache(out: Any) -> Any:
    """The cache a forward call returned, under either name."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values
