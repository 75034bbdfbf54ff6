"""Instruction tuning on generated instructions (issue 13's proof, second half): LoRA (Hu et al.,
ICLR 2022) on the embedded SmolLM2-135M over Alpaca-style pairs, then ROUGE-L (Lin, 2004) of the
base and the tuned model's answers to the 252 user-oriented instructions of Self-Instruct
(Wang et al., ACL 2023) against their reference outputs (each task's first instance).

Self-Instruct scores SuperNI with ROUGE-L and the 252 user-oriented tasks by human rating; this
benchmark applies the same automatic metric (rouge-score's `RougeScorer(["rougeL"])`, mean F) to
the 252, since no rater is at hand.

One prompt serves training and answering, for both models (`PROMPT`; the Input line is left out
when the input is empty). The answer follows "Output:" after one space and ends with EOS; the loss
is on the answer tokens and EOS only. Answers are greedy, batched with left padding, cut at EOS,
a blank line or a new "Instruction:".

    python benchmarks/instruction_tune.py --pairs runs/instructions/alpaca.jsonl \\
        --out runs/instruction_tune [--limit-eval N] [--epochs E]

Reruns reuse the finished adapter and the answers already written (cache files in --out);
`--base-only` answers with the base model only (no --pairs needed).

Measured on the 2-core CPU VM with one core taken by another process (--threads 1), seed-task
pairs, --limit-eval 24 --epochs 1: training 231 s for 170 pairs (22 steps of 8), answers about
3 s per instruction; ROUGE-L 0.085 base, 0.143 tuned.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from instruction_answers import (
    PROMPT,
    PROMPT_NO_INPUT,
    STOPS,
    answer,
    cached_answers,
    load_eval,
    rouge_l,
    rouge_scores,
)
from instruction_lora import adapter_key, digest, load_base, tune_lora

__all__ = ["PROMPT", "answer", "load_pairs", "rouge_l", "run", "tune_lora"]


def load_pairs(path: str | Path) -> list[dict]:
    """Alpaca JSONL rows {"instruction", "input", "output"} ("input" may be "" or absent)."""
    rows = []
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
        inp = obj.get("input", "") if isinstance(obj, dict) else None
        fields = [obj.get(k) for k in ("instruction", "output")] if inp is not None else [None]
        if not all(isinstance(f, str) and f.strip() for f in fields) or not isinstance(inp, str):
            raise ValueError(f"{path}:{n}: needs string instruction and output (and input)")
        rows.append({"instruction": fields[0], "input": inp, "output": fields[1]})
    if not rows:
        raise ValueError(f"{path}: no pairs")
    return rows


def run(
    pairs_path: str | Path,
    out_dir: str | Path,
    *,
    eval_path: str | Path | None = None,
    limit_eval: int | None = None,
    epochs: int = 2,
    lr: float = 2e-4,
    r: int = 16,
    batch_size: int = 8,
    max_len: int = 256,
    seed: int = 0,
    max_new_tokens: int = 128,
    answer_batch_size: int = 16,
    threads: int | None = 2,
    base_only: bool = False,
    say=print,
) -> dict:
    """Base model's answers, LoRA tuning on the pairs, tuned model's answers, ROUGE-L of both:
    written to `out_dir`/tune.json and returned. Finished parts in `out_dir` are reused.
    `base_only`: the base model's answers and ROUGE-L only, in `out_dir`/base.json."""
    import torch
    from peft import PeftModel

    if threads:
        torch.set_num_threads(threads)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = [] if base_only else load_pairs(pairs_path)
    rows = load_eval(eval_path, limit_eval)
    references = [row["output"] for row in rows]
    settings = {"epochs": epochs, "lr": lr, "r": r, "batch_size": batch_size, "max_len": max_len}
    settings["seed"] = seed
    answering = {"max_new_tokens": max_new_tokens, "batch_size": answer_batch_size}
    base_key = digest([rows, answering, PROMPT, PROMPT_NO_INPUT, list(STOPS)])
    options = {"say": say, **answering}
    tokenizer, model = load_base()
    base, base_s = cached_answers(
        model, tokenizer, rows, out / "answers_base.jsonl", base_key, **options
    )
    if base_only:
        scores = rouge_scores(base, references)
        result = {
            "base_rouge_l": round(statistics.fmean(scores), 4),
            "empty_answers": {"base": base.count("")},
            "n_eval": len(rows),
            "answer_s_base": round(base_s, 1),
            "settings": {"answer": answering, "threads": torch.get_num_threads()},
        }
        (out / "base.json").write_text(json.dumps(result, indent=1), "utf-8")
        return result
    adapter = out / "adapter"
    done = adapter / "train.json"
    meta = json.loads(done.read_text("utf-8")) if done.is_file() else {}
    if meta.get("key") != adapter_key(pairs, settings):
        say(f"tuning LoRA on {len(pairs)} pairs, {epochs} epoch(s)")
        meta = tune_lora(pairs, adapter, **settings, model=model, tokenizer=tokenizer, say=say)
    del model
    # the saved adapter is what is evaluated (as on a rerun), merged into a fresh base for speed
    tuned_model = PeftModel.from_pretrained(load_base()[1], str(adapter)).merge_and_unload()
    tuned_model.eval()
    tuned_key = digest([base_key, meta["key"]])
    tuned, tuned_s = cached_answers(
        tuned_model, tokenizer, rows, out / "answers_tuned.jsonl", tuned_key, **options
    )
    base_scores, tuned_scores = rouge_scores(base, references), rouge_scores(tuned, references)
    picks = sorted({i * len(rows) // 3 for i in range(min(3, len(rows)))})
    result = {
        "base_rouge_l": round(statistics.fmean(base_scores), 4),
        "tuned_rouge_l": round(statistics.fmean(tuned_scores), 4),
        "tuned_better": sum(t > b for t, b in zip(tuned_scores, base_scores)),
        "tuned_worse": sum(t < b for t, b in zip(tuned_scores, base_scores)),
        "empty_answers": {"base": base.count(""), "tuned": tuned.count("")},
        "n_eval": len(rows),
        "n_train": meta["n_train"],
        "n_skipped_too_long": meta["n_skipped_too_long"],
        "train_s": meta["train_s"],
        "train_steps": meta["steps"],
        "final_loss": meta["final_loss"],
        "epoch_losses": meta["epoch_losses"],
        "epoch_seconds": meta["epoch_seconds"],
        "answer_s_base": round(base_s, 1),
        "answer_s_tuned": round(tuned_s, 1),
        "settings": meta["settings"] | {"answer": answering, "threads": torch.get_num_threads()},
        "device": str(tuned_model.device),
        "prompt": [PROMPT, PROMPT_NO_INPUT],
        "stops": list(STOPS),
        "pairs": str(pairs_path),
        "examples": [
            {k: rows[i][k] for k in ("id", "instruction", "input", "output")}
            | {"base": base[i], "tuned": tuned[i]}
            for i in picks
        ],
    }
    (out / "tune.json").write_text(json.dumps(result, indent=1), "utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", help="Alpaca JSONL to tune on")
    parser.add_argument("--base-only", action="store_true", help="evaluate the base model only")
    parser.add_argument(
        "--out", required=True, help="directory for the adapter, answers, tune.json"
    )
    parser.add_argument("--eval", default=None, help="user-oriented instructions JSONL")
    parser.add_argument("--limit-eval", type=int, default=None, help="first N tasks only")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="torch threads (0: torch's default); 1 while another process holds a core: torch's "
        "threads wait on each other, and a step took 48 s on 2 shared cores, 3.5 s on 1",
    )
    args = parser.parse_args(argv)
    if not args.pairs and not args.base_only:
        parser.error("--pairs is required (unless --base-only)")
    try:
        result = run(
            args.pairs,
            args.out,
            eval_path=args.eval,
            limit_eval=args.limit_eval,
            epochs=args.epochs,
            lr=args.lr,
            r=args.rank,
            batch_size=args.batch_size,
            max_len=args.max_len,
            max_new_tokens=args.max_new_tokens,
            threads=args.threads or None,
            base_only=args.base_only,
            say=lambda line: print(line, file=sys.stderr),
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.base_only:
        print(
            f"ROUGE-L of the base model on {result['n_eval']} user-oriented instructions: "
            f"{result['base_rouge_l']:.4f} (answers {result['answer_s_base']:.0f} s)"
        )
        return 0
    print(
        f"ROUGE-L on {result['n_eval']} user-oriented instructions: base "
        f"{result['base_rouge_l']:.4f}, tuned {result['tuned_rouge_l']:.4f} "
        f"(LoRA on {result['n_train']} pairs, {result['train_s']:.0f} s; answers "
        f"{result['answer_s_base']:.0f} s / {result['answer_s_tuned']:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
