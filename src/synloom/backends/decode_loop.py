"""The local backend's own decoding loop: finished rows leave the batch, waiting prompts join it.

transformers' `generate` keeps every row of a batch until the last one ends: a row that met its
stop string or end of sequence goes on decoding padding. In few-shot generation half of a
batch's row-steps were such padding (SST-2, k = 3, 40 new tokens: 49-54% of row-steps used), and
on the CPU a decode step costs nearly the same for 8 rows as for 32 (73 vs 108 ms for the
embedded model, bf16, 2 cores), so those steps are mostly lost time. Here rows that ended
leave the batch (their key/value cache rows are dropped) once a quarter of the batch has ended,
so one copy of the cache serves several rows, and when a call has more rows than `width`
(`backend.decode_rows`), the next prompts are prefilled and join the running batch then, so
every step decodes about `width` rows. This is the iteration-level scheduling of "Orca: A
Distributed Serving System for Transformer-Based Generative Models" (Yu et al., OSDI 2022),
for the rows of one call.

Every row's cache is right-aligned to the batch's cache width: a joining group's cache (its
prompts but their last tokens, from `synloom.backends.shared_prefill`) and the running cache are
left-padded to the wider of the two, with the attention mask zero over the padding, and each row
keeps its own position count. Columns no live row uses any more are cut off the left. The loop
is deterministic for a call's prompts, settings and seed: which prompts join when depends only on
what was drawn before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synloom.backends.forward_compat import forward_names, output_cache

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.backends.base import GenerationParams

# a group of waiting prompts joins once this share of the batch's rows is free (or all fit)
JOIN_FREE_SHARE = 0.25
# leading cache columns no live row uses are cut once there are at least this many
TRIM_COLUMNS = 16


@dataclass
class Rows:
    """Live rows: their cache (right-aligned), mask over its columns, next input token and its
    position, the last tokens (for stop strings), tokens made so far and output row index."""

    cache: Any
    mask: Any  # [R, W] long
    token: Any  # [R] the next input token
    position: Any  # [R] its position
    tail: Any  # [R, T] last tokens, prompt included (T the same for every group of a call)
    made: Any  # [R] new tokens so far
    index: Any  # [R] output row of each live row (on the CPU)
    ended: Any  # [R] bool on the CPU: rows that ended and wait to be dropped


def can_run(cache: Any) -> bool:
    """Whether the loop can edit `cache`: every layer a plain `DynamicLayer` (no sliding window,
    no offloading)."""
    try:
        from transformers.cache_utils import DynamicCache, DynamicLayer
    except ImportError:  # transformers before per-layer caches (4.56)
        return False
    layers = getattr(cache, "layers", None)
    return (
        type(cache) is DynamicCache
        and bool(layers)
        and all(type(layer) is DynamicLayer for layer in layers)
    )


def sampled_ids(
    model: Any,
    tok: Any,
    ids: list[list[int]],
    params: GenerationParams,
    *,
    share_prefix: bool,
    width: int,
    device: Any,
    eos_ids: set[int],
) -> list[list[int]]:
    """New token ids per output row for prompts `ids` (token ids, at least two each) under
    `params` (`n` rows per prompt), at most `width` rows at once, drawn from torch's global
    generator. Each joining group's prefill is shared as the local backend shares a call's
    (`shared_prefill`: n samples of a prompt always; repeats and a common prefix where that saves
    a quarter of the prefill and `share_prefix` is on)."""
    from synloom.backends.shared_prefill import chosen_layout, plan_layout

    n = params.n
    stop = None
    if params.stop:
        from transformers.generation.stopping_criteria import StopStringCriteria

        stop = StopStringCriteria(tok, list(params.stop))
    tail = stop.maximum_token_len if stop is not None else 1

    def prefill(idx: list[int]) -> Rows:
        group = [ids[i] for i in idx]
        layout = chosen_layout(group, n, share_prefix) or plan_layout(group, n, share=False)
        return group_rows(model, layout, tok.pad_token_id, device, idx[0] * n, tail)

    sampler = None
    if params.temperature > 0:
        from synloom.backends.nucleus import NucleusSampler

        sampler = NucleusSampler(params.temperature, params.top_p, params.top_k)

    def pick(logits: Any) -> Any:
        return logits.argmax(-1) if sampler is None else sampler.draw(logits)[:, 0]

    return decode(
        model,
        len(ids),
        n,
        width,
        prefill,
        pick,
        None if stop is None else (lambda t: stop(t, None)),
        sorted(eos_ids),
        params.max_new_tokens,
    )


def decode(
    model: Any,
    n_prompts: int,
    n: int,
    width: int,
    prefill: Callable[[list[int]], Rows],
    pick: Callable[[Any], Any],
    stop: Callable[[Any], Any] | None,
    eos_ids: Sequence[int],
    max_new_tokens: int,
) -> list[list[int]]:
    """Each output row's new token ids (prompt i's n rows at i * n ... i * n + n - 1).

    `prefill(prompt indices)` returns those prompts' n rows each, their caches filled with all
    but each prompt's last token; `pick(logits)` draws one token per row; `stop(tail)` says per
    row whether a stop string just ended. At most `width` rows decode at once (at least one
    prompt's n rows)."""
    import torch

    cache_arg, keep = forward_names(model)
    out: list[list[int]] = [[] for _ in range(n_prompts * n)]
    eos = torch.tensor(sorted(eos_ids), dtype=torch.long)
    waiting = 0  # the next prompt that has not joined
    live: Rows | None = None
    with torch.inference_mode():
        while True:
            size = 0 if live is None else len(live.index)
            join = _joining(waiting, n_prompts, n, width, size)
            if join:
                group = prefill(list(range(waiting, waiting + join)))
                waiting += join
                live = group if live is None else _merge(live, group)
            if live is None:
                break
            mask = torch.cat([live.mask, live.mask.new_ones((len(live.index), 1))], dim=1)
            result = model(
                input_ids=live.token[:, None],
                attention_mask=mask,
                position_ids=live.position[:, None],
                use_cache=True,
                **keep,
                **{cache_arg: live.cache},
            )
            token = pick(result.logits[:, -1, :])
            rows = zip(live.index.tolist(), token.tolist(), live.ended.tolist(), strict=True)
            for row, t, ended in rows:
                if not ended:
                    out[row].append(t)
            tail = torch.cat([live.tail[:, 1:], token[:, None].to(live.tail.device)], dim=1)
            made = live.made + 1
            done = torch.isin(token.cpu(), eos) | (made.cpu() >= max_new_tokens)
            if stop is not None:
                done |= stop(tail).cpu()
            ended = live.ended | done
            live = Rows(
                output_cache(result), mask, token, live.position + 1, tail, made, live.index, ended
            )
            dead = int(ended.sum())
            if dead == len(ended) or dead >= max(1, int(len(ended) * JOIN_FREE_SHARE)):
                live = _without(live, ended)
                if live is not None:
                    live = _trimmed(live)
                elif waiting >= n_prompts:
                    break
    return out


def _joining(waiting: int, n_prompts: int, n: int, width: int, size: int) -> int:
    """How many waiting prompts join now: as many as fit once a quarter of the batch (or all
    that wait) is free; at least one when nothing is running."""
    left = n_prompts - waiting
    if not left:
        return 0
    fit = max(0, width - size) // n
    if size == 0:
        return max(1, min(left, fit))
    if fit * n < min(left * n, max(n, int(width * JOIN_FREE_SHARE))):
        return 0
    return min(left, fit)


def _without(live: Rows, done: Any) -> Rows | None:
    """`live` without the rows that ended (None when none is left)."""

    kept = (~done).nonzero().flatten()
    if not len(kept):
        return None
    kept = kept.to(live.mask.device)
    live.cache.batch_select_indices(kept)
    return Rows(
        live.cache,
        live.mask[kept],
        live.token[kept],
        live.position[kept],
        live.tail[kept],
        live.made[kept],
        live.index[kept.cpu()],
        live.ended[kept.cpu()],
    )


def _trimmed(live: Rows) -> Rows:
    """`live` without the leading cache columns no row attends to, once there are enough."""
    used = live.mask.any(dim=0).nonzero()
    lead = int(used[0]) if len(used) else 0
    if lead < TRIM_COLUMNS:
        return live
    for layer in live.cache.layers:
        layer.keys, layer.values = layer.keys[..., lead:, :], layer.values[..., lead:, :]
    live.mask = live.mask[:, lead:]
    return live


def _merge(live: Rows, group: Rows) -> Rows:
    """The running rows then the joining group, both caches right-aligned to the wider one."""
    import torch
    import torch.nn.functional as F

    width = max(live.mask.shape[1], group.mask.shape[1])

    def padded(t: Any, have: int) -> Any:  # left-pad the column axis (-2 for k/v, -1 for mask)
        gap = width - have
        if not gap:
            return t
        return F.pad(t, (0, 0, gap, 0)) if t.dim() == 4 else F.pad(t, (gap, 0))

    a, b = live.mask.shape[1], group.mask.shape[1]
    for mine, theirs in zip(live.cache.layers, group.cache.layers, strict=True):
        mine.keys = torch.cat([padded(mine.keys, a), padded(theirs.keys, b)])
        mine.values = torch.cat([padded(mine.values, a), padded(theirs.values, b)])
    return Rows(
        live.cache,
        torch.cat([padded(live.mask, a), padded(group.mask, b)]),
        torch.cat([live.token, group.token]),
        torch.cat([live.position, group.position]),
        torch.cat([live.tail, group.tail]),
        torch.cat([live.made, group.made]),
        torch.cat([live.index, group.index]),
        torch.cat([live.ended, group.ended]),
    )


def group_rows(
    model: Any, layout: Any, pad_id: int, device: Any, first_row: int, tail: int
) -> Rows:
    """A joining group's rows from its prefill plan (`shared_prefill.Layout`): the cache of all
    but each prompt's last token, that token as the next input, and the group's output rows
    counted from `first_row`."""
    import torch
    import torch.nn.functional as F

    from synloom.backends.shared_prefill import shared_inputs

    inputs = shared_inputs(model, layout, pad_id, device)
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    last = ids[:, -tail:]
    if last.shape[1] < tail:
        last = F.pad(last, (tail - last.shape[1], 0), value=pad_id)
    rows = len(layout.rows)
    return Rows(
        inputs["cache"],
        mask[:, :-1],
        ids[:, -1],
        mask.sum(-1) - 1,
        last,
        torch.zeros(rows, dtype=torch.long, device=ids.device),
        torch.arange(first_row, first_row + rows),
        torch.zeros(rows, dtype=torch.bool),
    )
