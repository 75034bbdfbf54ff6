"""Downstream accuracy on real test sets: what synthetic data is worth (issue 3).

For SST-2 (test 1,821), Rotten Tomatoes (test 1,066) and TREC-6 (test 500) from
../shared/datasets it generates with the ZeroGen recipe (zero-shot; Ye et al., 2022) and with the
few-shot recipe (k same-label real examples per request, ProGen's in-context form; 8 seed examples
per label drawn once from the real train split with random.Random(0), the same seeds for every
run), trains task models on each, and prints the table:

    prompting baseline | TAM on ZeroGen data | TAM on few-shot data | TAM on the seeds alone |
    TAM on full gold

SST-2 and Rotten Tomatoes share one ZeroGen run (the prompts are the same movie-review prompts
and use no real data); each has its own few-shot run seeded from its own train split. Nothing is
trained on one of the two and tested on the other (their sentences overlap; methods.md §6).
Runs resume: generation through the run store, evaluation cells through results.json.

    python benchmarks/downstream.py --per-label 1000 --trec-per-label 300 \\
        --tams embed-lr,finetune,finetune+fewgen --train-seeds 0,1,2 --device cuda \\
        --batch-size 256 --dtype float32 --out runs/downstream --markdown runs/downstream/table.md

A TAM name with "+" adds training strategies ("finetune+fewgen"; see synloom.train.registry).
Results are in docs/downstream.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from downstream_table import combine, markdown, merge_cells, seed_scores
from synloom.backends.local import LocalBackend
from synloom.errors import SynloomError
from synloom.evaluate.metrics import classification_report
from synloom.evaluate.prompting import predict_zero_shot
from synloom.generate import run_generation
from synloom.quickstart_data import stratified_subset
from synloom.spec import load_spec
from synloom.spec.io import parse_spec, spec_to_dict
from synloom.train.data import LabeledData
from synloom.train.registry import create_task_model

ROOT = Path(__file__).resolve().parents[1]
SENTIMENT_PROMPT = 'The movie review in {verbalizer} sentiment is: "'
TREC_PROMPT = 'A question asking for {description}: "'

TASKS = {
    "sst2": {
        "dir": "sst2",
        "train": "train_sentences.jsonl",
        "test": "test.jsonl",
        "fewshot_spec": "sst2_fewshot.yaml",
        "zerogen": "sentiment",
        "prompt": SENTIMENT_PROMPT,
    },
    "rt": {
        "dir": "rotten_tomatoes",
        "train": "train.jsonl",
        "test": "test.jsonl",
        "fewshot_spec": "sst2_fewshot.yaml",
        "zerogen": "sentiment",
        "prompt": SENTIMENT_PROMPT,
    },
    "trec": {
        "dir": "trec",
        "train": "train.jsonl",
        "test": "test.jsonl",
        "fewshot_spec": "trec.yaml",
        "zerogen": "trec",
        "prompt": TREC_PROMPT,
    },
}


def draw_seeds(train: LabeledData, per_label: int, min_words: int = 4) -> list[dict]:
    """`per_label` real examples per label, drawn once with Random(0) among texts of >= min_words."""
    rng = random.Random(0)
    seeds = []
    for label in train.label_names:
        pool = [
            t
            for t, y in zip(train.texts, train.labels)
            if y == label and len(t.split()) >= min_words
        ]
        seeds += [{"label": label, "text": t} for t in rng.sample(sorted(pool), per_label)]
    return seeds


def default_datasets() -> Path:
    """$SYNLOOM_SHARED/datasets, else ../shared/datasets beside the checkout."""
    return Path(os.environ.get("SYNLOOM_SHARED", ROOT.parent / "shared")) / "datasets"


def add_table_args(parser, out: str) -> None:
    """The options every resumable table benchmark shares (curation.py, recipes.py)."""
    parser.add_argument("--tams", default="embed-lr")
    parser.add_argument("--train-seeds", default="0,1,2")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--out", type=Path, default=Path(out))
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--table-only", action="store_true", help="print the table of results.json")
    parser.add_argument(
        "--merge", type=Path, nargs="*", default=[], help="other results.json to add to the table"
    )
    parser.add_argument("--datasets", type=Path, default=default_datasets())


def open_results(args) -> tuple[dict, Callable[[], None]]:
    """Parse the shared list options in place; results.json of `args.out` and its saver."""
    args.tams = [t for t in args.tams.split(",") if t]
    args.train_seeds = [int(s) for s in args.train_seeds.split(",") if s]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}

    def save() -> None:
        path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    return results, save


def zerogen_spec(kind: str, per_label: int, batch_size: int):
    if kind == "sentiment":
        data = spec_to_dict(load_spec(ROOT / "examples" / "sst2.yaml"))
        data["name"] = "downstream-zerogen-sentiment"
        # enough movie names that 1,000 reviews per label do not repeat a handful of contexts
        data["recipe"]["context_stage"]["count"] = max(200, per_label // 4)
    else:
        data = spec_to_dict(load_spec(ROOT / "examples" / "trec.yaml"))
        data["name"] = "downstream-zerogen-trec"
        data.pop("seed_examples", None)
        data["recipe"] = {"type": "zerogen", "prompt": TREC_PROMPT, "min_words": 3}
    data["generation"] |= {"samples_per_label": per_label, "batch_size": batch_size}
    return parse_spec(data, source=f"zerogen-{kind}")


def per_prompt(spec, n: int):
    """`spec` with `generation.samples_per_prompt` n (unchanged at 1): n samples share a prompt's
    prefill (issue 14's speed lever, docs/benchmarks.md)."""
    if n == 1:
        return spec
    data = spec_to_dict(spec)
    data["generation"]["samples_per_prompt"] = n
    return parse_spec(data, source=f"{spec.name}-n{n}")


def fewshot_spec(task: str, seeds: list[dict], per_label: int, batch_size: int):
    data = spec_to_dict(load_spec(ROOT / "examples" / TASKS[task]["fewshot_spec"]))
    data["name"] = f"downstream-fewshot-{task}"
    data["seed_examples"] = seeds
    data["recipe"]["k"] = 3
    data["generation"] |= {
        "samples_per_label": per_label,
        "batch_size": batch_size,
        "max_new_tokens": 40,
    }
    return parse_spec(data, source=f"fewshot-{task}")


def generate(spec, run_dir: Path, backend: LocalBackend) -> tuple[LabeledData, dict]:
    start = time.perf_counter()
    summary = run_generation(spec, run_dir, backend=backend)
    seconds = time.perf_counter() - start
    data = LabeledData.from_run(run_dir)
    info = {"run": str(run_dir), "n": len(data), "labels": data.label_counts(), "seconds": seconds}
    info["summary"] = str(summary)
    print(f"  generated {run_dir.name}: {len(data)} accepted in {seconds:.0f} s", flush=True)
    return data, info


def score_tam(
    tam: str, train: LabeledData, test: LabeledData, labels: list[str], seeds: list[int]
) -> dict:
    """Train `tam` ("embed-lr", "finetune", or "finetune+STRATEGY+...") once per training seed
    and test it; accuracy and macro-F1 are the means over seeds."""
    start = time.perf_counter()
    name, *strategies = tam.split("+")
    accuracy, macro_f1 = [], []
    for seed in seeds:
        model = create_task_model(name, strategies=strategies)
        model.fit(train, seed=seed)
        report = classification_report(test.labels, model.predict(test.texts), labels)
        accuracy.append(report["accuracy"])
        macro_f1.append(report["macro_f1"])
    return {
        "accuracy": statistics.fmean(accuracy),
        "accuracy_std": statistics.pstdev(accuracy),
        "accuracy_per_seed": accuracy,
        "macro_f1": statistics.fmean(macro_f1),
        "macro_f1_per_seed": macro_f1,
        "train_seeds": seeds,
        "n_train": len(train),
        "seconds": time.perf_counter() - start,
    }


def run_task(task: str, args, backend: LocalBackend, results: dict, save) -> None:
    cfg = TASKS[task]
    folder = args.datasets / cfg["dir"]
    full_train = LabeledData.from_jsonl(folder / cfg["train"])
    train = (
        stratified_subset(folder / cfg["train"], args.gold_limit) if args.gold_limit else full_train
    )
    test = LabeledData.from_jsonl(folder / cfg["test"])
    if args.test_limit:
        test = test.subset(range(min(args.test_limit, len(test))))
    labels = test.label_names if task != "trec" else train.label_names
    per_label = args.trec_per_label if task == "trec" else args.per_label
    out = results.setdefault(task, {"n_test": len(test), "cells": {}})
    cells = out["cells"]
    print(f"[{task}] test {len(test)}, gold train {len(train)}", flush=True)

    zspec = zerogen_spec(cfg["zerogen"], per_label, args.batch_size)
    zdata, out["zerogen_run"] = generate(zspec, args.out / f"zerogen-{cfg['zerogen']}", backend)
    seeds = draw_seeds(full_train, args.seeds_per_label)  # the same seeds whatever --gold-limit
    fspec = fewshot_spec(task, seeds, per_label, args.batch_size)
    fdata, out["fewshot_run"] = generate(fspec, args.out / f"fewshot-{task}", backend)
    seed_data = LabeledData.from_records(seeds)
    save()

    if "prompting" not in cells:
        start = time.perf_counter()
        result = predict_zero_shot(backend, fspec, test.texts, template=cfg["prompt"])
        report = classification_report(test.labels, result.predictions, labels)
        cells["prompting"] = {
            "accuracy": report["accuracy"],
            "macro_f1": report["macro_f1"],
            "seconds": time.perf_counter() - start,
            "prompt": cfg["prompt"],
        }
        print(f"  prompting: acc {report['accuracy']:.4f}", flush=True)
        save()
    for tam in args.tams:
        for name, data in (
            ("zerogen", zdata),
            ("fewshot", fdata),
            ("seeds", seed_data),
            ("gold", train),
        ):
            key = f"{tam}/{name}"
            done = seed_scores(cells[key]) if key in cells else {}
            missing = [seed for seed in args.train_seeds if seed not in done]
            if not missing:
                continue
            new = score_tam(tam, data, test, labels, missing)
            cells[key] = merge_cells(cells[key], new) if done else new
            c = cells[key]
            print(f"  {key}: acc {c['accuracy']:.4f} (n={c['n_train']}, {c['seconds']:.0f} s)")
            save()


def machine(backend: LocalBackend) -> dict:
    import platform

    import torch

    info = {"device": backend.device, "generator_dtype": backend.dtype, "torch": torch.__version__}
    if backend.device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(backend.device)
    else:
        info["cpu"] = platform.processor() or platform.machine()
        info["threads"] = torch.get_num_threads()
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sst2,rt,trec")
    parser.add_argument("--per-label", type=int, default=1000, help="samples/label, binary tasks")
    parser.add_argument("--trec-per-label", type=int, default=300)
    parser.add_argument("--seeds-per-label", type=int, default=8)
    parser.add_argument("--tams", default="embed-lr,finetune")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-limit", type=int, default=0, help="first N test rows (0 = all)")
    parser.add_argument(
        "--gold-limit", type=int, default=0, help="stratified subset of the gold train (0 = all)"
    )
    parser.add_argument("--train-seeds", default="0", help="task-model seeds, e.g. 0,1,2")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (all models)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--out", type=Path, default=Path("runs/downstream"))
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    parser.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        help="run nothing: join these results.json files (e.g. runs with different --train-seeds)",
    )
    parser.add_argument("--datasets", type=Path, default=default_datasets())
    args = parser.parse_args()
    if args.combine:
        results = combine([json.loads(p.read_text()) for p in args.combine])
        table = markdown(results, task_order=list(TASKS))
        print(table)
        if args.markdown:
            sources = "\n".join(f"- `{c}`" for c in results["_combined_from"])
            args.markdown.write_text(f"Combined from:\n{sources}\n\n{table}")
        return
    args.tams = [t for t in args.tams.split(",") if t]
    args.train_seeds = [int(t) for t in args.train_seeds.split(",") if t]
    for tam in args.tams:  # fail now, not after hours of generation
        name, *strategies = tam.split("+")
        try:
            create_task_model(name, strategies=strategies)
        except SynloomError as exc:
            sys.exit(f"--tams: {exc}")
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        sys.exit(f"unknown task(s): {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["_command"] = " ".join(["python", "benchmarks/downstream.py", *sys.argv[1:]])

    def save() -> None:
        path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    if args.device != "auto":
        os.environ["SYNLOOM_DEVICE"] = args.device  # the embedder and fine-tuned TAMs follow it
    backend = LocalBackend(dtype=args.dtype, device=args.device)
    results["_machine"] = machine(backend)
    save()
    try:
        for task in tasks:
            run_task(task, args, backend, results, save)
    finally:
        backend.close()
    table = markdown(results, args.tams, task_order=list(TASKS))
    print(table)
    if args.markdown:
        args.markdown.write_text(f"Command: `{results['_command']}`\n\n{table}")


if __name__ == "__main__":
    main()
