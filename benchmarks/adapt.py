"""Adapting the generator (issue 12): few-shot prompting vs LoRA, prefix tuning, prompt tuning,
FewGen and MSP at one sample budget, on SST-2, Rotten Tomatoes and TREC-6 (../shared/datasets).

Each task draws its seed examples from the real training split (16 per label, 8 for TREC;
`downstream.py`'s `draw_seeds`). Every adapter is trained on them with `synloom adapt`'s defaults
and then generates through the zero-shot prompt it was trained under (no examples in the
prompt); beside them, the same zero-shot prompt on the base model, and few-shot prompting with
k = 3 of the same seeds in each prompt. Each pool is measured like `benchmarks/recipes.py`'s:
oracle agreement, APS, Vendi, distinct-n, relabel agreement (the base generator judges every
pool), the task models trained on it (embed-lr, fine-tuned
TAM; one run per training seed), and the cost: adapter training seconds, held-out loss of real
test examples under their label's prompt, and generation samples per second.

    python benchmarks/adapt.py --per-label 200 --trec-per-label 50 \\
        --tams embed-lr,finetune --train-seeds 0,1,2 --out runs/adapt --markdown runs/adapt/table.md

Runs resume; finished cells are kept in results.json. Results are in docs/adapt.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from downstream import (
    ROOT,
    SENTIMENT_PROMPT,
    TASKS,
    TREC_PROMPT,
    add_table_args,
    draw_seeds,
    fewshot_spec,
    generate,
    open_results,
    score_tam,
)
from recipes import QUALITY, quality, run_cost
from synloom.adapt.heldout import heldout_loss
from synloom.adapt.run import adapt
from synloom.adapt.settings import AdaptSettings
from synloom.backends.local import LocalBackend
from synloom.sampling import stratified_indices
from synloom.spec import load_spec
from synloom.spec.io import parse_spec, spec_to_dict
from synloom.train.data import LabeledData

ADAPTERS = ("lora", "prefix", "prompt", "fewgen", "msp")
ROWS = ("zero-shot", "fewshot", *ADAPTERS)


def adapt_spec(task: str, seeds: list[dict], per_label: int, batch_size: int, adapter=None):
    """The zero-shot prompt every adapter trains and generates under (no context placeholder:
    seed examples have none), with the task's seeds."""
    base = "sst2.yaml" if TASKS[task]["zerogen"] == "sentiment" else "trec.yaml"
    data = spec_to_dict(load_spec(ROOT / "examples" / base))
    prompt = SENTIMENT_PROMPT if base == "sst2.yaml" else TREC_PROMPT
    data["name"] = f"adapt-{task}"
    data["seed_examples"] = seeds
    data["recipe"] = {"type": "zerogen", "prompt": prompt, "min_words": 3}
    data["generation"] |= {
        "samples_per_label": per_label,
        "batch_size": batch_size,
        "max_new_tokens": 40,
    }
    data["backend"] = {"type": "local", "model": "embedded"} | (
        {"adapter": str(adapter)} if adapter else {}
    )
    return parse_spec(data, source=f"adapt-{task}")


_JUDGE: list[LocalBackend] = []


def relabel(run_dir) -> float:
    """Relabel agreement of a pool: the base generator (never the adapter), scoring each label's
    verbalizer after the sample (`synloom score`'s relabel_agreement), gives the intended label."""
    from synloom.quality.run_scores import score_run
    from synloom.quality.summary import summarize

    if not _JUDGE:
        _JUDGE.append(LocalBackend(device="cpu"))
    result = score_run(run_dir, backend=_JUDGE[0], max_model_samples=100_000)
    values = {r.metric: r.value for r in summarize(result["metrics"], result["skipped"])}
    return values["relabel_agreement"]


def heldout(task_test: LabeledData, n_per_label: int) -> list[tuple[str, str]]:
    idx = stratified_indices(task_test.labels, n_per_label * len(task_test.label_names), seed=0)
    return [(task_test.texts[i], task_test.labels[i]) for i in idx]


def run_task(task: str, args, results: dict, save) -> None:
    cfg = TASKS[task]
    folder = args.datasets / cfg["dir"]
    full_train = LabeledData.from_jsonl(folder / cfg["train"])
    test = LabeledData.from_jsonl(folder / cfg["test"])
    labels = full_train.label_names
    reference = full_train.subset(
        stratified_indices(full_train.labels, args.reference_per_label * len(labels), seed=0)
    )
    per_label = args.trec_per_label if task == "trec" else args.per_label
    n_seeds = args.trec_seeds_per_label if task == "trec" else args.seeds_per_label
    seeds = draw_seeds(full_train, n_seeds)
    out = results.setdefault(task, {"n_test": len(test), "cells": {}})
    cells = out["cells"]
    held = heldout(test, args.heldout_per_label)
    base_spec = adapt_spec(task, seeds, per_label, args.batch_size)
    for row in args.rows:
        adapter = None
        if row in ADAPTERS:
            adapter = args.out / "adapters" / f"{task}-{row}"
            start = time.perf_counter()
            result = adapt(base_spec, adapter, AdaptSettings(method=row, seed=0))
            train = result.meta["train"]
            cells.setdefault(
                f"{row}/adapter",
                {
                    "train_seconds": train["seconds"],
                    "steps": train["steps"],
                    "loss_before": train["loss_before"],
                    "loss_after": train["loss_after"],
                },
            )
            print(f"  {task} {row}: adapter in {time.perf_counter() - start:.0f} s", flush=True)
        key = f"{row}/heldout_loss"
        if key not in cells and row != "fewshot":
            cells[key] = heldout_loss(base_spec, held, None if adapter is None else str(adapter))
            print(f"  {task} {key}: {cells[key]:.4f}", flush=True)
            save()
        if row == "fewshot":
            spec = fewshot_spec(task, seeds, per_label, args.batch_size)
        else:
            spec = adapt_spec(task, seeds, per_label, args.batch_size, adapter)
        run_dir = args.out / f"{task}-{row}"
        backend = LocalBackend.from_config(spec.backend.model_copy(update={"dtype": args.dtype}))
        try:
            _, info = generate(spec, run_dir, backend)
        finally:
            backend.close()
        cost = run_cost(run_dir)
        cells[f"{row}/pool"] = {
            "n": info["n"],
            "cost": cost,
            "samples_per_s": info["n"] / max(cost["seconds"], 1e-9),
        }
        if f"{row}/quality" not in cells:
            cells[f"{row}/quality"] = quality(run_dir, reference)
            print(f"  {task} {row}/quality: {cells[f'{row}/quality']}", flush=True)
        if f"{row}/relabel" not in cells:
            cells[f"{row}/relabel"] = relabel(run_dir)
            print(f"  {task} {row}/relabel: {cells[f'{row}/relabel']:.3f}", flush=True)
        save()
        data = LabeledData.from_run(run_dir)
        for tam in args.tams:
            if f"{row}/{tam}" not in cells:
                cells[f"{row}/{tam}"] = score_tam(tam, data, test, labels, args.train_seeds)
                print(
                    f"  {task} {row}/{tam}: acc {cells[f'{row}/{tam}']['accuracy']:.4f}", flush=True
                )
                save()


def fmt(value, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def table(results: dict, tams: list[str]) -> str:
    tasks = [t for t in TASKS if t in results]
    lines = ["\n**Downstream accuracy** (%, mean ± std over training seeds)\n"]
    head = [f"{t} {tam}" for tam in tams for t in tasks] + [f"mean {tam}" for tam in tams]
    lines += ["| generator | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for row in ROWS:
        cols, means = [], {tam: [] for tam in tams}
        for tam in tams:
            for t in tasks:
                cell = results[t]["cells"].get(f"{row}/{tam}")
                cols.append(
                    "—"
                    if cell is None
                    else f"{100 * cell['accuracy']:.1f} ± {100 * cell['accuracy_std']:.1f}"
                )
                if cell:
                    means[tam].append(cell["accuracy"])
        for tam in tams:
            ok = len(means[tam]) == len(tasks)
            cols.append(f"{100 * statistics.fmean(means[tam]):.2f}" if ok else "—")
        lines.append(f"| {row} | " + " | ".join(cols) + " |")
    lines += [
        "\n**The data and the cost** (oracle: MiniLM + LR on real training rows; held-out: "
        "loss per token of real test examples under their label's prompt)\n"
    ]
    head = [
        "task",
        "generator",
        *[f"{c} {QUALITY[c][1]}" for c in QUALITY],
        "relabel ↑",
        "held-out loss ↓",
        "adapter s",
        "samples/s",
    ]
    lines += ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for t in tasks:
        cells = results[t]["cells"]
        for row in ROWS:
            q = cells.get(f"{row}/quality") or {}
            a = cells.get(f"{row}/adapter") or {}
            p = cells.get(f"{row}/pool") or {}
            lines.append(
                "| "
                + " | ".join(
                    [
                        t,
                        row,
                        *[fmt(q.get(c)) for c in QUALITY],
                        fmt(cells.get(f"{row}/relabel")),
                        fmt(cells.get(f"{row}/heldout_loss")),
                        fmt(a.get("train_seconds"), ".0f"),
                        fmt(p.get("samples_per_s"), ".2f"),
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sst2,rt,trec")
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--per-label", type=int, default=200, help="binary tasks")
    parser.add_argument("--trec-per-label", type=int, default=50)
    parser.add_argument("--seeds-per-label", type=int, default=16)
    parser.add_argument("--trec-seeds-per-label", type=int, default=8)
    parser.add_argument("--heldout-per-label", type=int, default=32)
    parser.add_argument("--reference-per-label", type=int, default=500, help="oracle training")
    add_table_args(parser, "runs/adapt")
    args = parser.parse_args()
    results, save = open_results(args)
    args.rows = [r for r in args.rows.split(",") if r]
    if not args.table_only:
        results["_command"] = " ".join(["python", "benchmarks/adapt.py", *sys.argv[1:]])
        save()
        for task in [t for t in args.tasks.split(",") if t]:
            print(f"[{task}]", flush=True)
            start = time.perf_counter()
            run_task(task, args, results, save)
            print(f"[{task}] done in {time.perf_counter() - start:.0f} s", flush=True)
    text = table(json.loads(json.dumps(results)), args.tams)
    print(text)
    if args.markdown:
        args.markdown.write_text(f"Command: `{results.get('_command')}`\n{text}\n")


if __name__ == "__main__":
    main()
