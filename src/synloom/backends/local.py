"""transformers + torch backend: the embedded default, any HF model id or local path."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from synloom.backends.base import Completion, GenerationParams, cut_at_stop
from synloom.batching import DEFAULT_TOKEN_BUDGET
from synloom.errors import BackendError
from synloom.spec.backend import EMBEDDED_MODEL, LocalBackendConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

# elements of one fp32 logits slice (rows x vocabulary) in `score`: 2**25 floats = 128 MiB
LOGITS_CHUNK = 2**25

log = logging.getLogger(__name__)


class LocalBackend:
    """Batched sampled generation (left padding) and log-prob scoring in this process."""

    name = "local"

    def __init__(
        self,
        model: str = EMBEDDED_MODEL,
        dtype: str = "auto",
        threads: int | None = None,
        device: str = "auto",
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        *,
        device_map: str | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
        adapter: str | None = None,
        share_prefix: bool = True,
        sampler: str = "fast",
        decode_rows: int | None = None,
    ):
        """Keywords as in the spec's `backend` section (`LocalBackendConfig`), checked the same
        way; see `synloom.backends.hf_model` for where the weights come from."""
        from pydantic import ValidationError

        from synloom.spec.io import format_validation_error

        try:
            config = LocalBackendConfig(
                model=model,
                dtype=dtype,
                threads=threads,
                device=device,
                device_map=device_map,
                trust_remote_code=trust_remote_code,
                revision=revision,
                adapter=adapter,
                share_prefix=share_prefix,
                sampler=sampler,
                decode_rows=decode_rows,
            )
        except ValidationError as exc:
            raise BackendError(format_validation_error(exc, "local backend")) from None
        import torch
        from transformers.utils import logging as hf_logging

        from synloom.backends.hf_model import load_causal_lm

        hf_logging.disable_progress_bar()
        if config.threads:
            torch.set_num_threads(config.threads)
        loaded = load_causal_lm(config)
        self.config = config
        self.model_name = config.model
        self.tokenizer, self.model = loaded.tokenizer, loaded.model
        # the model that generates: the base model, or it with the spec's adapter
        self.generator = self.model
        self.adapter = None
        if config.adapter is not None:
            from synloom.backends.adapter import LoadedAdapter

            self.adapter = LoadedAdapter(config.adapter, self.model, config.model)
            self.generator, self.model = self.adapter.generator, self.adapter.scorer
        self.device, self.dtype = loaded.device, loaded.dtype
        # the hub commit the weights came from (None for a local directory)
        self.revision: str | None = getattr(self.model.config, "_commit_hash", None)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._eos_ids = self._collect_eos_ids()
        self._loop_cache_ok: bool | None = None  # whether decode_loop can edit this model's cache
        self.token_budget = token_budget
        self.max_context: int | None = getattr(self.model.config, "max_position_embeddings", None)
        log.info(
            "local backend: %d torch threads%s, batches of at most %d tokens, context %s tokens",
            torch.get_num_threads(),
            "" if config.threads else " (torch's default)",
            token_budget,
            self.max_context or "unknown",
        )

    @property
    def adapter_facts(self) -> dict | None:
        """The adapter the generator runs with (path, method, hash), for the run manifest."""
        return None if self.adapter is None else self.adapter.facts()

    @classmethod
    def from_config(cls, config: LocalBackendConfig) -> LocalBackend:
        return cls(**config.model_dump(exclude={"type"}))

    def _collect_eos_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def generate(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> list[Completion]:
        """Sample one completion per prompt; the whole batch is seeded with `seeds[0]`. With
        `params.self_debias_decay` set, decode with self-debiasing against each prompt's
        `params.counter_prompts` (`synloom.backends.self_debias`). With a per-label adapter
        (FewGen) the batch runs in groups by label, each seeded with its first request's seed.
        With `params.n` > 1, each prompt is prefilled once and its key/value cache copied to n
        rows, and identical prompts or a prefix all prompts share are prefilled once
        (`synloom.backends.shared_prefill`); under self-debiasing or a prefix, prompt or
        per-label adapter the prompts are repeated n times instead (no prefill saved)."""
        if not prompts:
            return []
        if params.n > 1 and not self._shares_prefill(params):
            from synloom.backends.shared_prefill import repeated

            return self.generate(*repeated(prompts, params), seeds)
        if self.adapter is None:
            return self._generate(prompts, params, seeds[0], self.generator)
        out: list[Completion | None] = [None] * len(prompts)
        for part, idx in self.adapter.groups(params.labels, len(prompts), params.attributes):
            sub = replace(
                params,
                counter_prompts=tuple(params.counter_prompts[i] for i in idx)
                if params.counter_prompts
                else (),
                labels=tuple(params.labels[i] for i in idx) if params.labels else (),
            )
            with self.adapter.active(part):
                done = self._generate([prompts[i] for i in idx], sub, seeds[idx[0]], self.generator)
            for i, completion in zip(idx, done, strict=True):
                out[i] = completion
        return out  # type: ignore[return-value]

    def _shares_prefill(self, params: GenerationParams) -> bool:
        """Whether n samples of a prompt can decode from one prefilled cache: the base model or
        a merged LoRA, without self-debiasing (whose processor holds one row per prompt)."""
        plain = self.adapter is None or (
            self.adapter.method == "lora" and not self.adapter.per_label
        )
        return plain and params.self_debias_decay is None

    def _shared_layout(self, prompts: Sequence[str], params: GenerationParams, enc=None):
        """How the call's prefill is shared (`synloom.backends.shared_prefill`): n samples of a
        prompt always, identical prompts and a common prefix (`backend.share_prefix`) when that
        saves a quarter of the prefill; None to prefill each left-padded prompt on its own (and
        always under self-debiasing or an adapter that is not a merged LoRA). `enc`: the
        prompts' left-padded batch when the caller has tokenized them already."""
        from synloom.backends.shared_prefill import chosen_layout, unpadded_ids

        if not self._shares_prefill(params) or (params.n == 1 and len(prompts) < 2):
            return None
        if enc is None:
            ids = self.tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
        else:
            ids = unpadded_ids(enc)
        return chosen_layout(ids, params.n, self.config.share_prefix)

    def _generate(
        self, prompts: Sequence[str], params: GenerationParams, seed: int, model
    ) -> list[Completion]:
        import torch

        from synloom.backends.decoding import generate_kwargs
        from synloom.backends.shared_prefill import shared_inputs

        tok = self.tokenizer
        tok.padding_side = "left"
        enc = tok(list(prompts), return_tensors="pt", padding=True).to(self.device)
        processors = []
        if params.self_debias_decay is not None:
            from synloom.backends.self_debias import self_debias_processor

            width = enc["input_ids"].shape[1]
            processors.append(self_debias_processor(self.model, tok, params, len(prompts), width))
        if params.json_schema is not None:  # structured records: only schema-valid tokens
            from synloom.backends.constrained import schema_processor

            vocab = self.model.config.vocab_size
            processors.append(schema_processor(tok, vocab, self._eos_ids, params.json_schema))
        if not processors and self._loops(params, enc):
            return self._decode_loop(enc, params, seed, model)
        kwargs = generate_kwargs(params, tok, self._eos_ids, processors, self.config.sampler)
        inputs, start = dict(enc), enc["input_ids"].shape[1]
        layout = self._shared_layout(prompts, params, enc)
        if layout is not None:
            inputs = shared_inputs(model, layout, tok.pad_token_id, self.device)
            start = inputs["input_ids"].shape[1]
        elif self.adapter is not None:
            if params.self_debias_decay is not None and self.adapter.method != "lora":
                raise BackendError("self-debiasing runs without an adapter or with a LoRA one")
            inputs, start = self.adapter.generation_inputs(
                enc["input_ids"], enc["attention_mask"], tok.pad_token_id
            )
        torch.manual_seed(int(seed) % (2**63))
        with torch.inference_mode():
            out = model.generate(**inputs, **kwargs)
        new = out[:, start:].cpu()
        return [self._to_completion(row.tolist(), params) for row in new]

    def _loops(self, params: GenerationParams, enc) -> bool:
        """Whether this call decodes in `synloom.backends.decode_loop`: the fast sampler, a
        generator that can share prefill (`_shares_prefill`), a model whose cache the loop can
        edit, and prompts of at least two tokens (one stays for the first step)."""
        if self.config.sampler != "fast" or not self._shares_prefill(params):
            return False
        if self._loop_cache_ok is None:
            from transformers.cache_utils import DynamicCache

            from synloom.backends.decode_loop import can_run

            try:
                self._loop_cache_ok = can_run(DynamicCache(config=self.generator.config))
            except TypeError:  # a transformers whose DynamicCache takes no config
                self._loop_cache_ok = False
        return self._loop_cache_ok and int(enc["attention_mask"].sum(-1).min()) >= 2

    def _decode_loop(self, enc, params: GenerationParams, seed: int, model) -> list[Completion]:
        """Decode in the backend's own loop: finished rows leave, waiting prompts join (at most
        `backend.decode_rows` rows at once); prefill shared as in `_shared_layout`."""
        import torch

        from synloom.backends.decode_loop import sampled_ids
        from synloom.backends.shared_prefill import unpadded_ids

        torch.manual_seed(int(seed) % (2**63))
        made = sampled_ids(
            model,
            self.tokenizer,
            unpadded_ids(enc),
            params,
            share_prefix=self.config.share_prefix,
            width=self.config.decode_rows or len(enc["input_ids"]) * params.n,
            device=self.device,
            eos_ids=self._eos_ids,
        )
        return [self._to_completion(row, params) for row in made]

    def _to_completion(self, ids: list[int], params: GenerationParams) -> Completion:
        ended = False
        n = 0
        for n, t in enumerate(ids, start=1):
            if t in self._eos_ids:
                ended = True
                n -= 1
                break
        kept = ids[:n]
        raw = self.tokenizer.decode(kept, skip_special_tokens=True)
        text, stopped = cut_at_stop(raw, params.stop)
        return Completion(
            text=text,
            finish_reason="stop" if (stopped or ended) else "length",
            raw_text=raw,
            n_tokens=len(kept) + (1 if ended else 0),
        )

    def score(
        self,
        prompts: Sequence[str],
        continuations: Sequence[str],
        *,
        token_budget: int | None = None,
    ) -> list[np.ndarray]:
        """Log-prob of each continuation token given prompt + earlier tokens.

        Pairs are grouped by a token budget (rows x padded length <= `token_budget`, default
        `self.token_budget`), longest first, and returned in input order. Only the positions that
        predict continuation tokens go through the LM head, a bounded slice at a time, so no
        batch x sequence x vocabulary tensor is ever built. A pair longer than the model's
        context is refused (never silently cut): shorten the text first (`truncate_texts`).
        """
        import torch

        from synloom.batching import token_budget_batches

        if len(prompts) != len(continuations):
            raise BackendError("score: prompts and continuations differ in length")
        if not prompts:
            return []
        pairs = self._score_pairs(prompts, continuations)
        results: list[np.ndarray | None] = [None] * len(pairs)
        lengths = [len(p) + len(c) for p, c in pairs]
        for idx in token_budget_batches(lengths, token_budget or self.token_budget):
            ids, mask, positions = self._left_padded([pairs[i][0] + pairs[i][1] for i in idx])
            c_lens = [len(pairs[i][1]) for i in idx]
            with torch.inference_mode():
                hidden = self.model.base_model(
                    input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False
                ).last_hidden_state
                width = ids.shape[1]
                # position t predicts token t + 1: the last c_len tokens are predicted from
                # positions width - 1 - c_len .. width - 2
                rows = torch.cat(
                    [torch.full((n,), r, dtype=torch.long) for r, n in enumerate(c_lens)]
                ).to(hidden.device)
                cols = torch.cat(
                    [torch.arange(width - 1 - n, width - 1, dtype=torch.long) for n in c_lens]
                ).to(hidden.device)
                targets = ids.to(hidden.device)[rows, cols + 1]  # device_map: last device
                token_lp = self._token_logprobs(hidden[rows, cols], targets)
            token_lp = token_lp.cpu().numpy()
            offset = 0
            for i, n in zip(idx, c_lens, strict=True):
                results[i] = token_lp[offset : offset + n].copy()
                offset += n
            del hidden
        return results  # type: ignore[return-value]

    def _score_pairs(
        self, prompts: Sequence[str], continuations: Sequence[str]
    ) -> list[tuple[list[int], list[int]]]:
        tok = self.tokenizer
        p_all = tok(list(prompts), add_special_tokens=True, verbose=False)["input_ids"]
        c_all = tok(list(continuations), add_special_tokens=False, verbose=False)["input_ids"]
        limit = self.max_context
        pairs = []
        for i, (p, p_ids, c_ids) in enumerate(zip(prompts, p_all, c_all, strict=True)):
            if not c_ids:
                raise BackendError(f"score: empty continuation for prompt {p[:40]!r}")
            if not p_ids:
                raise BackendError("score: empty prompt")
            if limit is not None and len(p_ids) + len(c_ids) > limit:
                raise BackendError(
                    f"score: input {i} is {len(p_ids) + len(c_ids)} tokens, over the model's "
                    f"context of {limit}; truncate the text first"
                )
            pairs.append((p_ids, c_ids))
        return pairs

    def _left_padded(self, seqs: list[list[int]]):
        """ids, attention mask and position ids (0 at each row's first real token), on device."""
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, s in enumerate(seqs):
            ids[r, width - len(s) :] = torch.tensor(s)
            mask[r, width - len(s) :] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        return tuple(t.to(self.device) for t in (ids, mask, positions))

    def _token_logprobs(self, hidden, targets):
        """log softmax(LM head(hidden))[target] per row, `LOGITS_CHUNK` elements at a time."""
        import torch

        head = self.model.get_output_embeddings()
        softcap = getattr(self.model.config, "final_logit_softcapping", None)
        step = max(1, LOGITS_CHUNK // head.out_features)
        out = torch.empty(len(targets), dtype=torch.float32, device=hidden.device)
        for start in range(0, len(targets), step):
            logits = head(hidden[start : start + step]).float()
            if softcap:
                logits = torch.tanh(logits / softcap) * softcap
            lp = torch.log_softmax(logits, dim=-1)
            out[start : start + step] = lp.gather(-1, targets[start : start + step, None])[:, 0]
            del logits, lp
        return out

    def truncate_texts(self, texts: Sequence[str], max_tokens: int):
        """Each text cut to its first `max_tokens` tokens of this model's tokenizer, and a
        `synloom.batching.Truncation` saying how many were cut."""
        from synloom.batching import truncate_with_tokenizer

        return truncate_with_tokenizer(self.tokenizer, texts, max_tokens)

    def close(self) -> None:
        self.model = self.generator = self.adapter = None
