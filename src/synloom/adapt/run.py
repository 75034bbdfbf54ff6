"""`synloom adapt`: train an adapter of the spec's local generator on its seed examples (and
unlabeled in-domain texts), label-conditioned, and write the directory `backend.adapter` names.

The directory (see `synloom.spec.adapter_dir`) holds peft's weights, `synloom_adapter.json`
(method, settings, the base model's identity, each label's prompt, the loss curve, the time)
and, while training runs, `checkpoint/`; the metadata file is written last, so its presence means
a finished adapter. A rerun with the same settings, seeds and base model resumes an unfinished
training from its checkpoint, and finds a finished one done.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.adapt.batches import Encoded, encode, mean_loss, target_logprobs
from synloom.adapt.examples import label_prompt, training_examples
from synloom.adapt.fewgen import fewgen_loss
from synloom.adapt.loop import run_loop
from synloom.adapt.model import part_names, trainable, wrap
from synloom.adapt.msp import build as build_msp
from synloom.adapt.msp import example_conditions, msp_loss, msp_mean_loss
from synloom.backends.adapter import base_identity
from synloom.errors import SynloomError
from synloom.spec.adapter_dir import ADAPTER_META, CHECKPOINT_DIR
from synloom.spec.fingerprint import fingerprint_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.adapt.settings import AdaptSettings
    from synloom.spec import TaskSpec

FORMAT = 1


@dataclass(frozen=True)
class AdaptResult:
    out: Path
    meta: dict[str, Any]
    resumed_from: int  # the step a checkpoint held (0: a fresh start)
    already_done: bool


def load_base(spec: TaskSpec):
    """The spec's local model without any adapter: (tokenizer, model, device)."""
    from synloom.backends.hf_model import load_causal_lm
    from synloom.progress import third_party_bars_off

    backend = spec.backend
    if backend.type != "local":
        raise SynloomError(
            "adapt trains a local model: set backend.type: local with the model your server runs "
            "(its Hugging Face id or directory), then serve the adapter (docs/serving.md)"
        )
    with third_party_bars_off():
        loaded = load_causal_lm(backend.model_copy(update={"adapter": None}))
    tokenizer = loaded.tokenizer
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, loaded.model, loaded.device


def adapt(
    spec: TaskSpec,
    out: str | Path,
    settings: AdaptSettings,
    *,
    unlabeled: list[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> AdaptResult:
    """Train (or resume, or find done) the adapter `settings` describe into `out`."""
    import torch

    out = Path(out)
    if settings.method == "fewgen" and unlabeled:
        raise SynloomError(
            "fewgen trains one prefix per label: unlabeled texts have no label to go to"
        )
    training_examples(spec, unlabeled, end="")  # bad seeds or prompts fail before any model
    finished = (out / ADAPTER_META).is_file()
    if out.exists() and not out.is_dir():
        raise SynloomError(f"--out {out} is a file, not a directory")
    if not finished and out.is_dir() and any(p.name != CHECKPOINT_DIR for p in out.iterdir()):
        raise SynloomError(f"--out {out} is a non-empty directory that holds no adapter")
    tokenizer, model, device = load_base(spec)
    end = spec.generation.stop[0] if spec.generation.stop else tokenizer.eos_token
    examples = training_examples(spec, unlabeled, end=end)
    base = base_identity(spec.backend.model, model)
    conditions = example_conditions(spec, len(unlabeled or []))
    # a checkpoint or a finished adapter is taken only with the same key
    keyed = [settings.used(), [e.to_json() for e in examples], base]
    if settings.method == "msp":  # its examples' attribute values decide it too
        keyed.append([[c[0], [list(p) for p in c[1]]] for c in conditions])
    key = fingerprint_hash(keyed)
    if finished:
        meta = json.loads((out / ADAPTER_META).read_text("utf-8"))
        if meta.get("key") != key:
            raise SynloomError(
                f"{out} holds an adapter trained with other settings, seeds or base model; use a "
                "new --out directory"
            )
        return AdaptResult(out, meta, meta["train"]["steps"], already_done=True)
    labels = spec.label_names
    label_index = [labels.index(e.label) if e.label is not None else -1 for e in examples]
    rows = encode(tokenizer, examples, settings.max_target_tokens)
    pad = tokenizer.pad_token_id
    torch.manual_seed(settings.seed)
    init_text = spec.task.description or "Write an example for the task."
    part_texts = [f"{init_text}: {spec.label(y).description or y}." for y in labels]
    if settings.method == "msp":
        peft_model = build_msp(spec, settings, model, tokenizer)
    else:
        with warnings.catch_warnings():  # peft calls a transformers property deprecated in v5
            warnings.simplefilter("ignore", FutureWarning)
            peft_model = wrap(
                model,
                settings,
                init_text,
                tokenizer,
                len(labels),
                part_texts if settings.method == "fewgen" else None,
            )
    peft_model.train()
    if settings.method == "msp":

        def batch_loss(idx: list[int]):
            return msp_loss(peft_model, rows, conditions, idx, pad, device)
    elif settings.method == "fewgen":
        prompts = [tokenizer(label_prompt(spec, y))["input_ids"] for y in labels]

        def batch_loss(idx: list[int]):
            return fewgen_loss(
                peft_model,
                [rows[i] for i in idx],
                [label_index[i] for i in idx],
                prompts,
                pad,
                device,
                settings.fewgen_discriminative_weight,
            )
    else:

        def batch_loss(idx: list[int]):
            lp, predicts = target_logprobs(peft_model, [rows[i] for i in idx], pad, device)
            return -lp[predicts].mean()

    peft_model.eval()
    with peft_model.disable_adapter():
        loss_before = mean_loss(peft_model, rows, pad, device)
    peft_model.train()
    checkpoint = out / CHECKPOINT_DIR

    def resumed(step: int) -> None:
        if say:
            say(f"resuming {out} from its checkpoint at step {step}")

    state = run_loop(
        trainable(peft_model),
        len(rows),
        batch_loss,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        lr=settings.lr,
        warmup_fraction=settings.warmup_fraction,
        seed=settings.seed,
        checkpoint_dir=checkpoint,
        key=key,
        save_every=settings.save_every,
        description=f"adapt {settings.method}",
        on_resume=resumed,
    )
    peft_model.eval()
    if settings.method == "msp":
        loss_after = msp_mean_loss(peft_model, rows, conditions, pad, device)
    else:
        loss_after = adapted_loss(peft_model, rows, label_index, settings.method, pad, device)
    meta = {
        "format": FORMAT,
        "method": settings.method,
        "per_label": settings.method == "fewgen",
        "labels": labels,
        "settings": settings.used(),
        "key": key,
        "base": base,
        "prompts": {y: label_prompt(spec, y) for y in labels} if not spec.is_pair else {},
        "end": end,
        "examples": {
            "seed": sum(e.label is not None for e in examples),
            "unlabeled": sum(e.label is None for e in examples),
        },
        "train": {
            "steps": state.step,
            "seconds": round(state.seconds, 2),
            "loss_before": loss_before,
            "loss_after": loss_after,
            "curve": state.curve,
        },
    }
    _save(peft_model, out, settings, len(labels), meta)
    shutil.rmtree(checkpoint, ignore_errors=True)
    return AdaptResult(out, meta, state.resumed_from, already_done=False)


def adapted_loss(
    peft_model: Any, rows: list[Encoded], label_index: list[int], method: str, pad: int, device: str
) -> float:
    """Mean target-token loss of `rows` with the adapter (FewGen: each under its label's part)."""
    if method != "fewgen":
        return mean_loss(peft_model, rows, pad, device)
    total = count = 0.0
    for label in sorted(set(label_index)):
        peft_model.set_adapter(str(label))
        mine = [r for r, y in zip(rows, label_index, strict=True) if y == label]
        n = sum(len(r.target) for r in mine)
        total += mean_loss(peft_model, mine, pad, device) * n
        count += n
    return total / max(count, 1)


def _save(peft_model: Any, out: Path, settings: AdaptSettings, n_labels: int, meta: dict) -> None:
    """peft's files (FewGen: one folder per label under labels/), then the metadata file."""
    from synloom.backends.adapter import LABELS_DIR

    names = part_names(settings, n_labels)
    if settings.method == "msp":
        from synloom.backends.msp_prompts import save_msp

        save_msp(peft_model, out, settings.virtual_tokens)
    elif settings.method == "fewgen":
        for name in names:
            peft_model.save_pretrained(out / LABELS_DIR, selected_adapters=[name])
    else:
        peft_model.save_pretrained(out)
    tmp = out / (ADAPTER_META + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, out / ADAPTER_META)
