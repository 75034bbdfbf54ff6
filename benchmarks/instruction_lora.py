"""LoRA (Hu et al., ICLR 2022) instruction tuning of the embedded SmolLM2-135M on Alpaca-style
pairs, for `instruction_tune.py`: the pair's prompt (`instruction_answers.PROMPT`) then " " +
output + EOS, the loss on the output and EOS only (prompt labels -100), batches grouped by length.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
from pathlib import Path

from instruction_answers import PROMPT, PROMPT_NO_INPUT, prompt_text

# LoRA on every linear layer of the blocks, r=16, alpha=32, lr 2e-4: QLoRA's finding (Dettmers
# et al., NeurIPS 2023) that adapting all linear layers is what matches full fine-tuning
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
MIN_TARGET = 8  # a pair whose prompt leaves fewer answer tokens than this within max_len is skipped


def encode_pair(tokenizer, row: dict, max_len: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) of prompt + " " + output + EOS, the prompt's labels -100, cut to
    `max_len` tokens; None when fewer than MIN_TARGET answer tokens would be left."""
    prompt = tokenizer(prompt_text(row), add_special_tokens=False)["input_ids"]
    target = tokenizer(" " + row["output"].strip(), add_special_tokens=False)["input_ids"]
    target = [*target, tokenizer.eos_token_id]
    if len(prompt) + min(MIN_TARGET, len(target)) > max_len:
        return None
    return (prompt + target)[:max_len], ([-100] * len(prompt) + target)[:max_len]


def length_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar lengths (little padding), in random order: shuffle, sort within
    windows of 16 batches, chunk, shuffle the chunks."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 16
    order = [
        i
        for s in range(0, len(order), window)
        for i in sorted(order[s : s + window], key=lengths.__getitem__)
    ]
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def adapter_key(pairs: list[dict], settings: dict) -> str:
    """What decides an adapter: its pairs, its settings and the prompt format."""
    return digest([pairs, settings, PROMPT, PROMPT_NO_INPUT, list(TARGET_MODULES)])


def digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def load_base():
    """(tokenizer, model) of the embedded SmolLM2-135M, as synloom's local backend loads it
    (offline, from the cached float32 copy), in float32: this loop has no mixed precision, and
    `dtype: auto` picks bfloat16 on a CPU with AMX, which would round LoRA's small updates away."""
    from synloom.backends.hf_model import load_causal_lm
    from synloom.progress import third_party_bars_off
    from synloom.spec.backend import LocalBackendConfig

    with third_party_bars_off():
        loaded = load_causal_lm(LocalBackendConfig(dtype="float32"))
    if loaded.tokenizer.pad_token_id is None:
        loaded.tokenizer.pad_token = loaded.tokenizer.eos_token
    return loaded.tokenizer, loaded.model


def answer_loss(causal, rows: list[tuple[list[int], list[int]]], pad: int):
    """Mean cross-entropy of the next-token predictions whose label is not -100 (as transformers'
    causal-LM loss), with the output layer run on those positions only: the vocabulary's logits
    of prompt and padding tokens are neither computed nor kept (less time, far less memory)."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in rows])
    device = causal.lm_head.weight.device
    hidden = causal.model(
        input_ids=ids.to(device), attention_mask=mask.to(device)
    ).last_hidden_state
    targets = labels[:, 1:].to(device)
    keep = targets != -100
    logits = causal.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def tune_lora(
    pairs: list[dict],
    out_dir: str | Path,
    *,
    epochs: int = 2,
    lr: float = 2e-4,
    r: int = 16,
    batch_size: int = 8,
    max_len: int = 256,
    seed: int = 0,
    model=None,
    tokenizer=None,
    say=None,
) -> dict:
    """Train a LoRA adapter on `pairs` and save it (peft's files, then train.json) in `out_dir`.

    A plain torch loop (AdamW, 3% linear warm-up then linear decay, clip 1.0) rather than
    transformers' Trainer: batches grouped by length, the loss masked exactly as `encode_pair`
    says, and the seconds measured are training only, with no accelerate or logging machinery
    in the way. `model` is wrapped in place (default: a freshly loaded base); `say` gets a
    progress line about every tenth of the run. Memory grows with the tokens of a batch: about
    7 GB at 8 x 256 tokens (measured on CPU), hence max_len 256."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import get_linear_schedule_with_warmup

    settings = {"epochs": epochs, "lr": lr, "r": r, "batch_size": batch_size, "max_len": max_len}
    settings["seed"] = seed
    if tokenizer is None or model is None:
        tokenizer, model = load_base()
    encoded = [encode_pair(tokenizer, p, max_len) for p in pairs]
    rows = [e for e in encoded if e is not None]
    if not rows:
        raise ValueError("no pair fits in max_len")
    torch.manual_seed(seed)
    config = LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=r,
        lora_alpha=2 * r,
        lora_dropout=0.05,
        target_modules=list(TARGET_MODULES),
    )
    peft_model = get_peft_model(model, config)
    peft_model.train()
    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    plans = [length_batches([len(e[0]) for e in rows], batch_size, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plans)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, round(0.03 * total)), total)
    pad, causal = tokenizer.pad_token_id, peft_model.get_base_model()
    epoch_losses, epoch_seconds, step, every = [], [], 0, max(1, total // 10)
    started = time.perf_counter()
    for plan in plans:
        t0, losses = time.perf_counter(), []
        for batch in plan:
            loss = answer_loss(causal, [rows[i] for i in batch], pad)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            step += 1
            if say and (step % every == 0 or step == total):
                elapsed = time.perf_counter() - started
                say(
                    f"step {step}/{total}: loss {statistics.fmean(losses[-every:]):.3f}, {elapsed:.0f} s"
                )
        epoch_losses.append(round(statistics.fmean(losses), 4))
        epoch_seconds.append(round(time.perf_counter() - t0, 1))
    train_s = time.perf_counter() - started
    peft_model.eval()
    out = Path(out_dir)
    peft_model.save_pretrained(str(out))
    meta = {
        "train_s": round(train_s, 1),
        "steps": total,
        "final_loss": epoch_losses[-1],
        "epoch_losses": epoch_losses,
        "epoch_seconds": epoch_seconds,
        "n_train": len(rows),
        "n_skipped_too_long": len(pairs) - len(rows),
        "train_tokens": sum(len(e[0]) for e in rows),
        "key": adapter_key(pairs, settings),
        "settings": settings
        | {"lora_alpha": 2 * r, "lora_dropout": 0.05, "target_modules": list(TARGET_MODULES)},
    }
    (out / "train.json").write_text(json.dumps(meta, indent=1), "utf-8")  # last: means finished
    return meta
