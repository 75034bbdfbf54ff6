"""The local generator with an adapter `synloom adapt` trained: loading it onto the base model,
checking it was trained on that model, and choosing which part runs for each prompt.

LoRA is merged into the weights (generation and scoring then run at the base model's speed, and
`score` sees the adapted model). Prefix and prompt tuning stay peft wrappers: generation goes
through them, scoring through the base model (their virtual tokens do not fit the scorer's
left-padded batches). FewGen keeps one prefix per label; a prompt of label y generates with y's,
and a prompt of no label (a context stage) with none. MSP (`synloom.backends.msp_prompts`) mixes
one soft prompt per condition (a prompt's label and attribute values) and generates from it as
from prompt tuning's.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import BackendError
from synloom.spec.adapter_dir import ADAPTER_META, adapter_sha256, check_adapter_dir

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

LABELS_DIR = "labels"
# configuration fields that tell one base model from another of the same family
IDENTITY_FIELDS = (
    "model_type",
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
)


def base_identity(model_name: str, model: Any) -> dict[str, Any]:
    """What an adapter records of the model it was trained on: the spec's name for it, its
    configuration's shape, and a hash of its first embedding rows rounded to bfloat16 (the same
    whether the model was loaded in float32 or bfloat16, different for another fine-tune)."""
    import torch

    config = model.config
    rows = model.get_input_embeddings().weight[:64].detach().to(torch.bfloat16).float().cpu()
    return {
        "model": model_name,
        "config": {f: getattr(config, f, None) for f in IDENTITY_FIELDS},
        "embedding_probe": hashlib.sha256(rows.numpy().tobytes()).hexdigest()[:16],
    }


def read_adapter_meta(path: str | Path) -> dict[str, Any]:
    """The adapter directory's `synloom_adapter.json`; a BackendError when it is unusable."""
    root = Path(path)
    try:
        check_adapter_dir(root, "adapter")
        meta = json.loads((root / ADAPTER_META).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(f"adapter {root}: {exc}") from None
    if not isinstance(meta, dict) or "method" not in meta or "base" not in meta:
        raise BackendError(f"adapter {root}: {ADAPTER_META} is not one synloom wrote")
    return meta


class LoadedAdapter:
    """An adapter on a loaded base model: `generator` generates, `scorer` scores."""

    def __init__(self, path: str | Path, model: Any, model_name: str) -> None:
        from peft import PeftModel

        self.path = Path(path)
        self.meta = read_adapter_meta(self.path)
        self.method: str = self.meta["method"]
        trained_on = self.meta["base"]
        found = base_identity(model_name, model)
        if (
            trained_on.get("config") != found["config"]
            or trained_on.get("embedding_probe") != found["embedding_probe"]
        ):
            raise BackendError(
                f"adapter {self.path} was trained on model {trained_on.get('model')!r}, not on "
                f"the backend's {model_name!r} (their weights differ)"
            )
        self.labels: list[str] | None = self.meta.get("labels") if self.per_label else None
        try:
            if self.method == "msp":  # not peft's: a mixture of soft prompts
                from synloom.backends.msp_prompts import load_msp

                peft_model = load_msp(self.path, model)
            else:
                with warnings.catch_warnings():  # peft's use of APIs transformers 5 deprecates
                    warnings.simplefilter("ignore", FutureWarning)
                    peft_model = self._load(PeftModel, model)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise BackendError(f"cannot load adapter {self.path}: {exc}") from None
        peft_model.eval()
        # `adapted`: teacher-forced forwards with the adapter (held-out losses); `generator`:
        # what `generate` runs on; `scorer`: what `score` runs on
        self.soft_prompt = None
        if self.method == "lora":
            self.adapted = self.generator = self.scorer = peft_model.merge_and_unload()
        elif self.method == "prompt":
            # peft's generate with prompt tuning garbles every sample after a few tokens under
            # transformers 5 (its attention mask misses the virtual tokens after the first step:
            # 40 of the first 64 SST-2 samples ran to max_new_tokens); the base model generates
            # from the soft prompt's embeddings instead (`generation_inputs`)
            self.soft_prompt = peft_model.get_prompt_embedding_to_save("default").detach()
            self.adapted, self.generator, self.scorer = peft_model, model, model
        elif self.method == "msp":  # the soft prompt of each group's condition (`active`)
            self.adapted, self.generator, self.scorer = peft_model, model, model
        else:  # prefix tuning, FewGen: peft's generate ignores the prefix under transformers 5
            # (greedy output equal to the base model's); `generation_inputs` hands the base
            # model the prefix as its key/value cache instead (greedy output then equals the
            # adapted model's own teacher-forced argmax, tests/adapt/test_real_adapters.py)
            self.adapted = peft_model
            self.generator = self.scorer = model
        self._part: str | None = None
        self.sha256 = adapter_sha256(self.path)

    def generation_inputs(
        self, input_ids: Any, attention_mask: Any, pad_id: int
    ) -> tuple[dict, int]:
        """`generate`'s inputs for a left-padded batch, and how many leading positions of its
        output are not generated. Prompt tuning: the soft prompt's embeddings before each row
        (its padding masked), so positions count from the soft prompt's first vector as in
        training. Prefix tuning and FewGen's active label: the prefix as an already filled
        key/value cache, with placeholder ids for its positions (generate skips what the cache
        holds), so the prompt's positions start after the prefix's, as in training."""
        import torch

        plain = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.method == "lora" or (
            (self.per_label or self.method == "msp") and self._part is None
        ):
            return plain, input_ids.shape[1]
        rows = input_ids.shape[0]
        soft_prompt = self.soft_prompt
        if self.method == "msp":
            from synloom.backends.msp_prompts import decode_part

            with torch.no_grad():
                soft_prompt = self.adapted.soft_prompt(decode_part(self._part)).detach()
        if soft_prompt is None:
            n = self.adapted.active_peft_config.num_virtual_tokens
            cache = self.adapted.get_prompt(batch_size=rows)
            dtype = self.generator.dtype
            for layer in getattr(cache, "layers", []):
                layer.keys, layer.values = layer.keys.to(dtype), layer.values.to(dtype)
            ids = torch.cat([torch.full_like(input_ids[:, :1], pad_id).expand(-1, n), input_ids], 1)
            ones = torch.ones_like(attention_mask[:, :1]).expand(-1, n)
            mask = torch.cat([ones, attention_mask], 1)
            return {"input_ids": ids, "attention_mask": mask, "past_key_values": cache}, ids.shape[
                1
            ]

        embed = self.generator.get_input_embeddings()
        soft = soft_prompt.to(embed.weight.device, embed.weight.dtype)
        embeds = torch.cat([soft.expand(rows, -1, -1), embed(input_ids)], dim=1)
        ones = torch.ones(
            (rows, soft.shape[0]), dtype=attention_mask.dtype, device=attention_mask.device
        )
        return {"inputs_embeds": embeds, "attention_mask": torch.cat([ones, attention_mask], 1)}, 0

    def _load(self, peft_model_class: Any, model: Any) -> Any:
        if self.per_label:
            names = [str(i) for i in range(len(self.labels or []))]
            peft_model = peft_model_class.from_pretrained(
                model, self.path / LABELS_DIR / names[0], adapter_name=names[0]
            )
            for name in names[1:]:
                peft_model.load_adapter(self.path / LABELS_DIR / name, adapter_name=name)
            return peft_model
        return peft_model_class.from_pretrained(model, self.path)

    @property
    def per_label(self) -> bool:
        return bool(self.meta.get("per_label"))

    def facts(self) -> dict[str, Any]:
        """What the run manifest records of the adapter."""
        return {"path": str(self.path), "method": self.method, "sha256": self.sha256[:16]}

    def groups(
        self,
        labels: Sequence[str | None],
        n: int,
        attributes: Sequence[Sequence[tuple[str, str]]] = (),
    ) -> list[tuple[str | None, list[int]]]:
        """The prompts of a batch by the adapter part they run with, in first-seen order: one
        group of all of them unless the adapter is per label (then each label's part; None for
        a prompt of no label, which runs on the base model) or MSP (each label and attribute
        values' part, `attributes[i]` being prompt i's (dimension, value) pairs)."""
        if self.method == "msp":
            return self.adapted.groups(labels, n, attributes)
        if not self.per_label:
            return [(None, list(range(n)))]
        if len(labels) != n:
            raise BackendError("a per-label adapter needs each prompt's label (params.labels)")
        index = {name: str(i) for i, name in enumerate(self.labels or [])}
        out: dict[str | None, list[int]] = {}
        for i, label in enumerate(labels):
            if label is not None and label not in index:
                raise BackendError(f"adapter {self.path} has no part for label {label!r}")
            out.setdefault(None if label is None else index[label], []).append(i)
        return list(out.items())

    @contextmanager
    def active(self, part: str | None) -> Iterator[None]:
        """Generate with `part` (a per-label adapter's label index; None: the base model)."""
        with warnings.catch_warnings():  # peft passes past_key_values, deprecated in transformers 5
            warnings.simplefilter("ignore", FutureWarning)
            # prompt tuning drops position ids: a left-padded row's positions then start at its
            # padding, not at its first token (rows of one zero-shot prompt differ by a token)
            warnings.filterwarnings("ignore", message="Position ids are not supported")
            self._part = part
            if self.method == "msp":
                from synloom.backends.msp_prompts import decode_part

                with self.adapted.conditioned(None if part is None else decode_part(part)):
                    yield
            elif not self.per_label:
                yield
            elif part is None:
                with self.adapted.disable_adapter():
                    yield
            else:
                self.adapted.set_adapter(part)
                yield
