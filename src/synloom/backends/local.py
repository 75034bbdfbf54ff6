"""transformers + torch backend: the embedded default, any HF model id or local path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from synloom.backends.base import Completion, GenerationParams, cut_at_stop
from synloom.devices import resolve_device
from synloom.errors import BackendError
from synloom.spec.backend import EMBEDDED_MODEL, LocalBackendConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


def cpu_has_fast_bf16() -> bool:
    """bf16 matmuls beat fp32 on CPUs with AVX512-BF16 or AMX; elsewhere they are emulated."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = fh.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class LocalBackend:
    """Batched sampled generation (left padding) and log-prob scoring in this process."""

    name = "local"

    def __init__(
        self,
        model: str = EMBEDDED_MODEL,
        dtype: str = "auto",
        threads: int | None = None,
        device: str = "auto",
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        if model == EMBEDDED_MODEL:
            from synloom.backends.embedded import embedded_model_dir

            path = str(embedded_model_dir())
        else:
            path = model
        self.device = resolve_device(device)
        if dtype == "auto":
            fast_bf16 = self.device != "cpu" or cpu_has_fast_bf16()
            dtype = "bfloat16" if fast_bf16 else "float32"
        self.model_name = model
        self.dtype = dtype
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
        except OSError as exc:
            raise BackendError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
        self.model.to(self.device).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._eos_ids = self._collect_eos_ids()

    @classmethod
    def from_config(cls, config: LocalBackendConfig) -> LocalBackend:
        return cls(config.model, dtype=config.dtype, threads=config.threads, device=config.device)

    def _collect_eos_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def generate(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> list[Completion]:
        """Sample one completion per prompt; the whole batch is seeded with `seeds[0]`."""
        import torch

        if not prompts:
            return []
        tok = self.tokenizer
        tok.padding_side = "left"
        enc = tok(list(prompts), return_tensors="pt", padding=True).to(self.device)
        sample = params.temperature > 0
        kwargs = {
            "max_new_tokens": params.max_new_tokens,
            "do_sample": sample,
            "pad_token_id": tok.pad_token_id,
            "eos_token_id": sorted(self._eos_ids) or None,
        }
        if sample:
            kwargs |= {
                "temperature": params.temperature,
                "top_p": params.top_p,
                "top_k": params.top_k,
            }
        else:
            kwargs |= {"temperature": None, "top_p": None, "top_k": None}
        if params.stop:
            kwargs |= {"stop_strings": list(params.stop), "tokenizer": tok}
        torch.manual_seed(int(seeds[0]) % (2**63))
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        new = out[:, enc["input_ids"].shape[1] :].cpu()
        return [self._to_completion(row.tolist(), params) for row in new]

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
        self, prompts: Sequence[str], continuations: Sequence[str], batch_size: int = 32
    ) -> list[np.ndarray]:
        """Log-prob of each continuation token given prompt + earlier tokens.

        Left padding puts every continuation at the right edge, so only the last
        `max continuation + 1` positions go through the LM head and the softmax (the full
        vocabulary x sequence logits dominate the cost otherwise).
        """
        import torch

        if len(prompts) != len(continuations):
            raise BackendError("score: prompts and continuations differ in length")
        tok = self.tokenizer
        pairs = []
        for p, c in zip(prompts, continuations):
            p_ids = tok(p, add_special_tokens=True)["input_ids"]
            c_ids = tok(c, add_special_tokens=False)["input_ids"]
            if not c_ids:
                raise BackendError(f"score: empty continuation for prompt {p[:40]!r}")
            if not p_ids:
                raise BackendError("score: empty prompt")
            pairs.append((p_ids, c_ids))
        order = sorted(range(len(pairs)), key=lambda i: -len(pairs[i][0]) - len(pairs[i][1]))
        results: list[np.ndarray | None] = [None] * len(pairs)
        pad = tok.pad_token_id
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            seqs = [pairs[i][0] + pairs[i][1] for i in idx]
            width = max(len(s) for s in seqs)
            keep = max(len(pairs[i][1]) for i in idx) + 1
            ids = torch.full((len(seqs), width), pad, dtype=torch.long)
            mask = torch.zeros((len(seqs), width), dtype=torch.long)
            for r, s in enumerate(seqs):
                ids[r, width - len(s) :] = torch.tensor(s)
                mask[r, width - len(s) :] = 1
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            ids, mask, positions = (t.to(self.device) for t in (ids, mask, positions))
            with torch.inference_mode():
                logits = self.model(
                    input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep
                ).logits.float()
                logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
                targets = ids[:, width - keep + 1 :]
                token_lp = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            for r, i in enumerate(idx):
                c_len = len(pairs[i][1])
                results[i] = token_lp[r, keep - 1 - c_len :].cpu().numpy().copy()
        return results  # type: ignore[return-value]

    def close(self) -> None:
        self.model = None
