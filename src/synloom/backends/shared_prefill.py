"""n samples of one prompt from one prefill: the local backend's `generation.samples_per_prompt`.

Each prompt of a batch is run once over all but its last token; the key/value cache this fills is
repeated n times along the batch, and `generate` continues from it with the ids and mask repeated
the same way (it runs each row's last token, then decodes n x prompts rows). transformers'
`num_return_sequences` would not save this work: `generate` repeats the input ids
(`GenerationMixin._expand_inputs_for_generation`, `repeat_interleave` over the batch) before its
prefill, so it encodes every prompt n times. The cache is handed to `generate` as the prefix
adapters hand theirs (`synloom.backends.adapter`).

Sharing the prompt's key/value cache among parallel samples is the parallel sampling of
"Efficient Memory Management for Large Language Model Serving with PagedAttention" (Kwon et al.,
SOSP 2023), where the samples' blocks point at one copy of the prompt's.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.backends.base import GenerationParams


def repeated(
    prompts: Sequence[str], params: GenerationParams
) -> tuple[list[str], GenerationParams]:
    """The same request without sharing: each prompt (and its per-prompt conditions) n times in
    a row, one sample each, for a generator that cannot start from a shared cache."""
    n = params.n
    return [p for p in prompts for _ in range(n)], replace(
        params,
        n=1,
        counter_prompts=tuple(c for c in params.counter_prompts for _ in range(n)),
        labels=tuple(label for label in params.labels for _ in range(n)),
        attributes=tuple(a for a in params.attributes for _ in range(n)),
    )


def shared_prefill_inputs(model: Any, enc: Any, n: int) -> dict[str, Any]:
    """`generate`'s inputs for n samples of each left-padded prompt in `enc` (input ids and
    attention mask). Positions count from each row's first real token, as `generate` counts them
    from the attention mask, so row k of prompt i attends to what prompt i alone would."""
    import torch

    ids, mask = enc["input_ids"], enc["attention_mask"]
    rows = {
        "input_ids": ids.repeat_interleave(n, dim=0),
        "attention_mask": mask.repeat_interleave(n, dim=0),
    }
    if ids.shape[1] < 2:  # nothing before the last token to share
        return rows
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    # only the cache is wanted: skip the LM head where the model lets us
    keep = (
        {"logits_to_keep": 1}
        if "logits_to_keep" in inspect.signature(model.forward).parameters
        else {}
    )
    with torch.inference_mode():
        out = model(
            input_ids=ids[:, :-1],
            attention_mask=mask[:, :-1],
            position_ids=positions[:, :-1],
            use_cache=True,
            **keep,
        )
    cache = out.cache
    cache.batch_repeat_interleave(n)
    return rows | {"cache": cache}
