"""The recipes side by side (issue 11): ZeroGen, few-shot, ProGen and AttrPrompt at one budget.

For SST-2, Rotten Tomatoes and TREC-6 (../shared/datasets) it generates one pool per recipe with
the same number of accepted samples per label, then measures each pool three ways:

- downstream: the task models trained on the pool and tested on the real test split (embed-lr
  and the fine-tuned TAM, one run per training seed, mean ± std), beside the generator's
  zero-shot prompting and the same task model on the real training split ("gold");
- the data: oracle agreement (a logistic regression on MiniLM embeddings of real training rows
  gives the sample its label), APS (mean within-label cosine similarity, lower = more diverse),
  Vendi score of the embeddings and distinct-n (higher = more diverse);
- the cost: requests sent per stage and the run's wall-clock seconds (first request planned to
  last one finished), read from the run store.

The sentiment pools of the recipes that take no real examples (ZeroGen, ProGen, AttrPrompt) are
task-agnostic movie reviews, generated once and tested on both SST-2 and Rotten Tomatoes; the
few-shot pool of each task is seeded with 8 real training examples per label
(`benchmarks/downstream.py`'s `draw_seeds`). ZeroGen and few-shot use `downstream.py`'s specs, so
their runs are the same as `benchmarks/curation.py`'s at the same budget and batch size.

    python benchmarks/recipes.py --per-label 400 --trec-per-label 100 \\
        --tams embed-lr,finetune --train-seeds 0,1,2 --out runs/recipes \\
        --markdown runs/recipes/table.md

Runs resume; finished cells are kept in results.json. Results are in docs/recipes.md.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from downstream import (
    ROOT,
    TASKS,
    TREC_PROMPT,
    add_table_args,
    draw_seeds,
    fewshot_spec,
    generate,
    open_results,
    score_tam,
    zerogen_spec,
)
from synloom.backends.local import LocalBackend
from synloom.evaluate.metrics import classification_report
from synloom.evaluate.prompting import predict_zero_shot
from synloom.quality.run_scores import score_run
from synloom.quality.summary import summarize
from synloom.sampling import stratified_indices
from synloom.spec import load_spec
from synloom.spec.io import parse_spec, spec_to_dict
from synloom.train.data import LabeledData

RECIPES = ("zerogen", "fewshot", "progen", "progen-random", "attrprompt")
# table column -> (MetricInfo name, which way is better)
QUALITY = {
    "oracle": ("oracle_agreement", "↑"),
    "APS": ("aps_intra", "↓"),
    "Vendi": ("vendi_embedding", "↑"),
    "distinct-n": ("distinct_n", "↑"),
}
TREC_EXAMPLE = 'A question asking for {description}: "{text}"\n'
# ProGen's settings (methods.md §2): k = 8 examples, half of the requests with feedback, the
# budget over 4 rounds, 20% of each label held out as the synthetic validation split.
PROGEN = {"k": 8, "feedback_ratio": 0.5, "feedback_rounds": 4, "validation_share": 0.2}


def trec_base(name: str) -> dict:
    data = spec_to_dict(load_spec(ROOT / "examples" / "trec.yaml"))
    data["name"] = name
    data.pop("seed_examples", None)
    return data


def progen_spec(kind: str, per_label: int, batch_size: int, random_pool: bool = False):
    """ProGen: ZeroGen's prompt in round 0, then in-context pools chosen by influence (or, the
    ablation `random_pool`, drawn at random from the same earlier samples)."""
    if kind == "sentiment":
        data = spec_to_dict(load_spec(ROOT / "examples" / "sst2_progen.yaml"))
        data["recipe"]["context_stage"]["count"] = max(200, per_label // 4)
    else:
        data = trec_base("")
        data["recipe"] = {
            "type": "progen",
            "prompt": TREC_PROMPT,
            "example_template": TREC_EXAMPLE,
            "pool_size": 32,
            "min_words": 3,
        }
    data["name"] = f"recipes-progen{'-random' if random_pool else ''}-{kind}"
    data["recipe"] |= PROGEN | ({"random_pool": True} if random_pool else {})
    data["generation"] |= {"samples_per_label": per_label, "batch_size": batch_size}
    return parse_spec(data, source=f"progen-{kind}")


def attrprompt_spec(kind: str, per_label: int, batch_size: int):
    """AttrPrompt: class-dependent values written by the generator, filtered, drawn per request."""
    if kind == "sentiment":
        data = spec_to_dict(load_spec(ROOT / "examples" / "sst2_attrprompt.yaml"))
    else:
        data = trec_base("")
        data["recipe"] = {
            "type": "attrprompt",
            "dimensions": [
                {"name": "topic"},
                {"name": "style", "values": ["short", "detailed", "casual", "formal"]},
            ],
            "values_per_dimension": 10,
            "value_prompt": "List {n} diverse {dimension}s of questions asking for "
            "{description}, one per line.\n1.",
            # with six labels the 135M generator answers most "could a question asking for
            # <the five others> be about ...?" with neither yes nor no, and the filter then
            # empties a label's values (docs/recipes.md): TREC runs without it
            "filter_values": False,
            "prompt": 'A {style} question about {topic} asking for {description}: "',
            "min_words": 3,
        }
    data["name"] = f"recipes-attrprompt-{kind}"
    data["generation"] |= {"samples_per_label": per_label, "batch_size": batch_size}
    return parse_spec(data, source=f"attrprompt-{kind}")


def pool_specs(task: str, seeds: list[dict], per_label: int, batch_size: int) -> dict:
    """recipe -> (spec, run folder name); task-agnostic pools are named by kind, not task."""
    kind = TASKS[task]["zerogen"]
    return {
        "zerogen": (zerogen_spec(kind, per_label, batch_size), f"zerogen-{kind}"),
        "fewshot": (fewshot_spec(task, seeds, per_label, batch_size), f"fewshot-{task}"),
        "progen": (progen_spec(kind, per_label, batch_size), f"progen-{kind}"),
        "progen-random": (
            progen_spec(kind, per_label, batch_size, random_pool=True),
            f"progen-random-{kind}",
        ),
        "attrprompt": (attrprompt_spec(kind, per_label, batch_size), f"attrprompt-{kind}"),
    }


def run_cost(run_dir: Path) -> dict:
    """Requests per stage and wall seconds (first request planned to last finished)."""
    con = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
    try:
        stages = dict(con.execute("SELECT stage, COUNT(*) FROM requests GROUP BY stage"))
        first, last = con.execute(
            "SELECT MIN(created_at), MAX(finished_at) FROM requests"
        ).fetchone()
    finally:
        con.close()
    return {"requests": stages, "seconds": (last or first) - first}


def quality(run_dir: Path, reference: LabeledData) -> dict:
    rows = [{"text": t, "label": y} for t, y in zip(reference.texts, reference.labels)]
    result = score_run(run_dir, rows, reference_source="train", max_model_samples=0)
    values = {r.metric: r.value for r in summarize(result["metrics"], result["skipped"])}
    return {col: values.get(name) for col, (name, _) in QUALITY.items()}


def run_task(task: str, args, backend, results: dict, save) -> None:
    cfg = TASKS[task]
    folder = args.datasets / cfg["dir"]
    full_train = LabeledData.from_jsonl(folder / cfg["train"])
    test = LabeledData.from_jsonl(folder / cfg["test"])
    labels = full_train.label_names
    size = args.reference_per_label * len(full_train.label_names)
    reference = full_train.subset(stratified_indices(full_train.labels, size, seed=0))
    per_label = args.trec_per_label if task == "trec" else args.per_label
    out = results.setdefault(task, {"n_test": len(test), "cells": {}})
    cells, pools = out["cells"], results.setdefault("pools", {})
    seeds = draw_seeds(full_train, args.seeds_per_label)
    for recipe, (spec, run_name) in pool_specs(task, seeds, per_label, args.batch_size).items():
        if recipe not in args.recipes:
            continue
        run_dir = args.out / run_name
        _, info = generate(spec, run_dir, backend)
        pools[run_name] = {"per_label": per_label, "n": info["n"], "cost": run_cost(run_dir)}
        key = f"{recipe}/quality"
        if key not in cells:
            cells[key] = quality(run_dir, reference)
            print(f"  {task} {key}: {cells[key]}", flush=True)
        save()
        train = LabeledData.from_run(run_dir)
        for tam in args.tams:
            key = f"{recipe}/{tam}"
            if key not in cells:
                cells[key] = score_tam(tam, train, test, labels, args.train_seeds)
                cells[key]["pool"] = run_name
                print(f"  {task} {key}: acc {cells[key]['accuracy']:.4f}", flush=True)
                save()
    if args.skip_references:
        return
    if "prompting" not in cells:
        spec = pool_specs(task, seeds, per_label, args.batch_size)["zerogen"][0]
        result = predict_zero_shot(backend, spec, test.texts, template=cfg["prompt"])
        report = classification_report(test.labels, result.predictions, labels)
        cells["prompting"] = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
        save()
    for tam in args.gold_tams:
        if f"gold/{tam}" not in cells:
            cells[f"gold/{tam}"] = score_tam(tam, full_train, test, labels, args.train_seeds)
            save()


def pct(cell: dict | None) -> str:
    if cell is None:
        return "—"
    return f"{100 * cell['accuracy']:.1f} ± {100 * cell.get('accuracy_std', 0):.1f}"


def table(results: dict, tams: list[str]) -> str:
    tasks = [t for t in TASKS if t in results]
    lines = ["\n**Downstream accuracy** (%, mean ± std over training seeds)\n"]
    head = [f"{t} {tam}" for tam in tams for t in tasks] + [f"mean {tam}" for tam in tams]
    lines += ["| recipe | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for recipe in [*RECIPES, "prompting", "gold"]:
        row, means = [], {tam: [] for tam in tams}
        for tam in tams:
            for t in tasks:
                key = "prompting" if recipe == "prompting" else f"{recipe}/{tam}"
                cell = results[t]["cells"].get(key)
                row.append(pct(cell) if recipe != "prompting" else pct(cell).split(" ±")[0])
                if cell:
                    means[tam].append(cell["accuracy"])
        for tam in tams:
            ok = len(means[tam]) == len(tasks)
            row.append(f"{100 * statistics.fmean(means[tam]):.2f}" if ok else "—")
        lines.append(f"| {recipe} | " + " | ".join(row) + " |")
    cols = list(QUALITY)
    lines += ["\n**The data** (oracle: MiniLM + LR trained on real training rows)\n"]
    head = [f"{t} {c} {QUALITY[c][1]}" for t in tasks for c in cols]
    lines += ["| recipe | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for recipe in RECIPES:
        row = []
        for t in tasks:
            q = results[t]["cells"].get(f"{recipe}/quality") or {}
            row += [f"{q[c]:.3f}" if q.get(c) is not None else "—" for c in cols]
        lines.append(f"| {recipe} | " + " | ".join(row) + " |")
    lines += ["\n**Cost** (requests per stage; wall seconds of the run)\n"]
    lines += ["| pool | per label | accepted | requests | seconds |", "|---|---|---|---|---|"]
    for name, pool in sorted(results.get("pools", {}).items()):
        cost = pool["cost"]
        reqs = ", ".join(f"{s} {n}" for s, n in sorted(cost["requests"].items()))
        lines.append(
            f"| {name} | {pool['per_label']} | {pool.get('n', '—')} | {reqs} | "
            f"{cost['seconds']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sst2,rt,trec")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--per-label", type=int, default=400, help="binary tasks")
    parser.add_argument("--trec-per-label", type=int, default=100)
    parser.add_argument("--seeds-per-label", type=int, default=8)
    parser.add_argument("--reference-per-label", type=int, default=500, help="oracle training")
    parser.add_argument("--gold-tams", default="embed-lr", help="on the real training split")
    parser.add_argument(
        "--skip-references", action="store_true", help="no prompting or gold rows (see --merge)"
    )
    add_table_args(parser, "runs/recipes")
    args = parser.parse_args()
    results, save = open_results(args)
    args.gold_tams = [t for t in args.gold_tams.split(",") if t]
    args.recipes = [r for r in args.recipes.split(",") if r]

    if not args.table_only:
        results["_command"] = " ".join(["python", "benchmarks/recipes.py", *sys.argv[1:]])
        backend = LocalBackend(dtype=args.dtype)
        results["_machine"] = {"device": backend.device, "generator_dtype": backend.dtype}
        save()
        try:
            for task in [t for t in args.tasks.split(",") if t]:
                print(f"[{task}]", flush=True)
                start = time.perf_counter()
                run_task(task, args, backend, results, save)
                print(f"[{task}] done in {time.perf_counter() - start:.0f} s", flush=True)
        finally:
            backend.close()
    shown = json.loads(json.dumps(results))
    for other in args.merge:  # results of the same benchmark run in another --out
        extra = json.loads(other.read_text())
        for key, value in extra.items():
            if key in TASKS:
                shown.setdefault(key, {"cells": {}})["cells"] |= value["cells"]
            elif key == "pools":
                shown.setdefault("pools", {}).update(value)
    text = table(shown, args.tams)
    print(text)
    if args.markdown:
        args.markdown.write_text(f"Command: `{results.get('_command')}`\n{text}\n")


if __name__ == "__main__":
    main()
