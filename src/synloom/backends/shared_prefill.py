"""Prefill what a batch's prompts share once: `generation.samples_per_prompt` and prefix reuse.

The local backend's generate call gets its prompts' key/value cache from here when sharing pays:

- **n samples of a prompt** (`samples_per_prompt`): the prompt is prefilled once and its cache
  rows copied n times; `generate` then runs each row's last token and decodes n x prompts rows.
  transformers' `num_return_sequences` would not save this work: `generate` repeats the input ids
  (`GenerationMixin._expand_inputs_for_generation`) before its prefill, encoding every prompt n
  times.
- **identical prompts** of one call (few-shot prompts drawn from a small seed pool repeat: 4
  seeds, k = 3 give 24 orderings per label) are prefilled once and their rows gathered.
- **the common prefix** of a call's distinct prompts (the task instruction, the first demo they
  share) is run once, at batch size 1, and its cache broadcast to every prompt; each prompt's
  own remainder follows it with the padding between prefix and remainder ("middle padding": the
  attention mask is zero there and positions count real tokens only, as `generate` counts them
  from the mask), so every row attends to exactly its own prompt's tokens.

Sharing is used when it removes at least a quarter of the prefill's token work (`pays`); a call
with nothing to share runs as before, left-padded. A sample's text depends on the batch layout
(padding, the shared prefix), like before on the padding alone; the layout is a function of the
stored plan, so a rerun or a resume gives the same samples.

Sharing the prompt's key/value cache among parallel samples is the parallel sampling of
"Efficient Memory Management for Large Language Model Serving with PagedAttention" (Kwon et al.,
SOSP 2023); sharing the common prefix of different requests is SGLang's RadixAttention ("SGLang:
Efficient Execution of Structured Language Model Programs", Zheng et al., NeurIPS 2024), here
for the one prefix all prompts of a call share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from synloom.backends.forward_compat import forward_names, output_cache

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


# sharing is used when it saves at least this share of the prefill's token work
MIN_SAVING = 0.25


@dataclass(frozen=True)
class Layout:
    """How one call's prompts are prefilled: `prefix` tokens once, then each distinct prompt's
    remainder (`rest[u]`, without its last token), then every row's last token in `generate`."""

    prefix: list[int]
    rest: list[list[int]]  # per distinct prompt, its tokens after the prefix
    rows: list[int]  # per output row (prompt i's n rows in a row), its distinct prompt

    @property
    def width(self) -> int:  # the suffix block: the longest remainder without its last token
        return max(len(r) for r in self.rest) - 1

    def shared_cost(self) -> int:
        return len(self.prefix) + len(self.rest) * self.width + len(self.rows)

    def pays(self, plain_cost: int) -> bool:
        return self.shared_cost() <= (1 - MIN_SAVING) * plain_cost


def plan_layout(prompt_ids: Sequence[Sequence[int]], n: int, share: bool = True) -> Layout:
    """The distinct prompts of a call, their common prefix (at most all but each one's last
    token, so every row has a token left to run in `generate`) and each output row's prompt.
    `share=False`: every prompt on its own and no prefix (only the n samples share a prefill)."""
    if not share:
        prompts = [tuple(ids) for ids in prompt_ids]
        rows = [i for i in range(len(prompts)) for _ in range(n)]
        return Layout([], [list(p) for p in prompts], rows)
    distinct: dict[tuple[int, ...], int] = {}
    rows = []
    for ids in prompt_ids:
        u = distinct.setdefault(tuple(ids), len(distinct))
        rows.extend([u] * n)
    prompts = list(distinct)
    cap = min(len(p) for p in prompts) - 1
    shared = 0
    while shared < cap and all(p[shared] == prompts[0][shared] for p in prompts):
        shared += 1
    return Layout(list(prompts[0][:shared]), [list(p[shared:]) for p in prompts], rows)


def chosen_layout(prompt_ids: Sequence[Sequence[int]], n: int, share: bool) -> Layout | None:
    """The layout a call's prefill uses: n samples of a prompt always share it; with n = 1,
    repeats and the common prefix are shared only when `share` is on and that `pays` against
    the left-padded batch; None: each prompt prefilled on its own, left-padded."""
    layout = plan_layout(prompt_ids, n, share=share)
    plain = len(prompt_ids) * max(len(p) for p in prompt_ids)
    if n > 1 or (share and layout.pays(plain)):
        return layout
    return None


def unpadded_ids(enc: Any) -> list[list[int]]:
    """Each prompt's token ids from a left-padded batch (`input_ids`, `attention_mask`)."""
    rows = zip(enc["input_ids"], enc["attention_mask"], strict=True)
    return [row[keep.bool()].tolist() for row, keep in rows]


def shared_inputs(model: Any, layout: Layout, pad_id: int, device: Any) -> dict[str, Any]:
    """`generate`'s inputs (ids, mask, cache) for `layout`: every output row is
    prefix | padding | its prompt's remainder, the cache holds all of it but the last token."""
    import torch

    p, width = len(layout.prefix), layout.width
    cache_arg, keep = forward_names(model)
    cache = None
    with torch.inference_mode():
        if p:
            out = model(
                input_ids=torch.tensor([layout.prefix], device=device), use_cache=True, **keep
            )
            cache = output_cache(out)
            cache.batch_repeat_interleave(len(layout.rest))
        ids, mask = _middle_padded(layout, pad_id, device)
        if width:
            block_mask = mask[:, : p + width]
            positions = (block_mask.cumsum(-1) - 1).clamp(min=0)[:, p:]
            out = model(
                input_ids=ids[:, p : p + width],
                attention_mask=block_mask,
                position_ids=positions,
                use_cache=True,
                **keep,
                **({cache_arg: cache} if cache is not None else {}),
            )
            cache = output_cache(out)
    index = torch.tensor(layout.rows, device=device)
    rows = {"input_ids": ids[index], "attention_mask": mask[index]}
    if cache is None:  # one-token prompts: nothing before the last token to share
        return rows
    cache.batch_select_indices(index)
    return rows | {"cache": cache}


def _middle_padded(layout: Layout, pad_id: int, device: Any) -> tuple[Any, Any]:
    """Per distinct prompt: prefix, padding up to the longest remainder, its remainder."""
    import torch

    full = layout.width + 1
    ids, mask = [], []
    for rest in layout.rest:
        gap = full - len(rest)
        ids.append(layout.prefix + [pad_id] * gap + rest)
        mask.append([1] * len(layout.prefix) + [0] * gap + [1] * len(rest))
    return torch.tensor(ids, device=device), torch.tensor(mask, device=device)
