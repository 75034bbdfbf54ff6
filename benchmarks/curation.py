"""What curation is worth on real test sets (issue 10): every method beside its random control.

For SST-2, Rotten Tomatoes and TREC-6 (../shared/datasets) it generates a pool with the few-shot
and the ZeroGen recipes (`benchmarks/downstream.py`'s specs and seeds), then curates each pool
down to half (`--keep 0.5`) with every method and with combinations, and trains the same task
models on each curated set. Every method row stands beside `random` kept at the same size per
label (`--same-size-as`), and the table also shows the uncurated pool ("full", twice the kept
size), `random` at half, the generator's own zero-shot prompting baseline and the task model on
the real training split ("gold").

    python benchmarks/curation.py --per-label 400 --trec-per-label 200 --tams embed-lr \\
        --train-seeds 0,1,2 --out runs/curation --markdown runs/curation/table.md

Methods that need real labeled examples (consistency) get the 8 per label the few-shot recipe
is seeded with (`--seed-data`), for the ZeroGen pools too. Curations are stored in each run and
resume; finished table cells are kept in results.json. Results are in docs/curation.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from downstream import (
    TASKS,
    add_table_args,
    draw_seeds,
    fewshot_spec,
    generate,
    open_results,
    per_prompt,
    score_tam,
    zerogen_spec,
)
from synloom.backends.local import LocalBackend
from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.evaluate.metrics import classification_report
from synloom.evaluate.prompting import predict_zero_shot
from synloom.store import open_run
from synloom.train.data import LabeledData

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ("likelihood", "margin", "judge", "consistency", "cartography", "sungen")
COMBOS = (("margin", "sungen"), ("margin", "cartography"), ("cartography", "sungen"))
NEEDS_SEEDS = {"consistency"}


def memoize_embeddings() -> None:
    """Embed each distinct text list once per process: every row re-trains `embed-lr` on the same
    test set and on subsets of the same pools, and MiniLM is deterministic, so the results are
    those of re-embedding; only the time changes."""
    import synloom.embeddings as emb

    plain = emb.embed_with_truncation
    memo: dict = {}

    def embed(texts, name=emb.DEFAULT_EMBEDDER, token_budget=emb.EMBED_TOKEN_BUDGET):
        key = (tuple(texts), name, token_budget)
        if key not in memo:
            memo[key] = plain(texts, name, token_budget)
        return memo[key]

    emb.embed_with_truncation = embed


def curations(methods: list[tuple[str, ...]]) -> list[tuple[str, CurationRequest]]:
    """(name, request) in run order: random at half, then each method with its random twin."""
    out = [("random-half", CurationRequest(("random",), SizeTarget(keep=0.5), name="random-half"))]
    for combo in methods:
        name = "+".join(combo)
        out.append((name, CurationRequest(combo, SizeTarget(keep=0.5), name=name)))
        twin = f"random-as-{name}"
        out.append((twin, CurationRequest(("random",), same_size_as=name, name=twin)))
    return out


def run_curations(
    run_dir: Path, task: str, seeds_path: Path, backend, methods, results, save, rows=()
):
    """Curate one pool with every request; per-task names for seed-using methods (a shared
    ZeroGen pool is curated once per task's seeds)."""
    done = results.setdefault("curations", {})
    names = {}
    for base, request in curations(methods):
        if rows and base not in rows:
            continue
        uses_seeds = any(m in NEEDS_SEEDS for m in base.removeprefix("random-as-").split("+"))
        name = f"{base}.{task}" if uses_seeds else base
        if request.same_size_as and uses_seeds:
            request = CurationRequest(
                request.methods, same_size_as=f"{request.same_size_as}.{task}"
            )
        request = CurationRequest(
            request.methods, request.size, request.same_size_as, request.options, name=name
        )
        key = f"{run_dir.name}/{name}"
        start = time.perf_counter()
        result = curate_run(run_dir, request, seed_data_path=seeds_path, generator=backend)
        if key not in done:
            done[key] = {
                "kept": result.summary["kept"],
                "seconds": time.perf_counter() - start,
                "steps": [
                    {"method": s["method"], "dropped": s["dropped"]}
                    for s in result.summary["steps"]
                ],
            }
            print(f"  curated {key}: kept {result.summary['kept']}", flush=True)
            save()
        names[base] = name
    return names


def evaluate_pool(run_dir, names, test, labels, args, cells, save):
    rows = {"full": None} | {base: name for base, name in names.items()}
    if args.rows:
        rows = {row: curation for row, curation in rows.items() if row in args.rows}
    for tam in args.tams:
        for row, curation in rows.items():
            key = f"{run_dir.name}/{tam}/{row}"
            if key in cells:
                continue
            train = LabeledData.from_run(open_run(run_dir, curation=curation))
            cells[key] = score_tam(tam, train, test, labels, args.train_seeds)
            cells[key]["label_counts"] = train.label_counts()
            cells[key]["weighted"] = train.weights is not None
            print(f"  {key}: acc {cells[key]['accuracy']:.4f} (n={len(train)})", flush=True)
            save()


def run_task(task: str, args, backend, results: dict, save) -> None:
    cfg = TASKS[task]
    folder = args.datasets / cfg["dir"]
    full_train = LabeledData.from_jsonl(folder / cfg["train"])
    test = LabeledData.from_jsonl(folder / cfg["test"])
    labels = full_train.label_names
    per_label = args.trec_per_label if task == "trec" else args.per_label
    out = results.setdefault(task, {"n_test": len(test), "cells": {}})
    cells = out["cells"]
    seeds = draw_seeds(full_train, args.seeds_per_label)
    seeds_path = args.out / f"seeds-{task}.jsonl"
    seeds_path.write_text("".join(json.dumps(r) + "\n" for r in seeds))
    n = args.samples_per_prompt
    pools = [
        (zerogen_spec(cfg["zerogen"], per_label, args.batch_size), f"zerogen-{cfg['zerogen']}"),
        (fewshot_spec(task, seeds, per_label, args.batch_size), f"fewshot-{task}"),
    ]
    pools = [(per_prompt(spec, n), name) for spec, name in pools]
    methods = [(m,) for m in args.methods] + [c for c in COMBOS if set(c) <= set(args.methods)]
    for spec, run_name in pools:
        run_dir = args.out / run_name
        generate(spec, run_dir, backend)
        names = run_curations(run_dir, task, seeds_path, backend, methods, out, save, args.rows)
        evaluate_pool(run_dir, names, test, labels, args, cells, save)
    if "prompting" not in cells and not args.skip_references:
        result = predict_zero_shot(backend, pools[1][0], test.texts, template=cfg["prompt"])
        report = classification_report(test.labels, result.predictions, labels)
        cells["prompting"] = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
        save()
    for tam in args.tams:
        if f"gold/{tam}" not in cells and not args.skip_references:
            cells[f"gold/{tam}"] = score_tam(tam, full_train, test, labels, args.train_seeds)
            save()


def table(results: dict, tams: list[str]) -> str:
    """One markdown table per TAM: rows = curations, columns = task x recipe, plus the mean."""
    lines = []
    tasks = [t for t in TASKS if t in results]
    for tam in tams:
        cols = [(t, r) for t in tasks for r in ("zerogen", "fewshot")]
        pool_of = {(t, r): f"{r}-{TASKS[t]['zerogen'] if r == 'zerogen' else t}" for t, r in cols}
        head = [f"{t} {r}" for t, r in cols] + ["mean zerogen", "mean fewshot"]
        lines += [f"\n**{tam}** (accuracy %, mean ± std over training seeds; kept samples)\n"]
        lines += ["| curation | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
        measured = {
            k.split("/", 2)[2]
            for t in tasks
            for k in results[t]["cells"]
            if k.count("/") == 2 and k.split("/")[1] == tam
        }
        order = ["full", *(name for name, _ in curations([(m,) for m in SINGLE] + list(COMBOS)))]
        rows = [r for r in order if r in measured] + sorted(measured - set(order))
        for row in rows:
            cells, means = [], {"zerogen": [], "fewshot": []}
            for t, r in cols:
                c = results[t]["cells"].get(f"{pool_of[(t, r)]}/{tam}/{row}")
                if c is None:
                    cells.append("—")
                    continue
                means[r].append(c["accuracy"])
                cells.append(
                    f"{100 * c['accuracy']:.1f} ± {100 * c.get('accuracy_std', 0):.1f} ({c['n_train']})"
                )
            for r in ("zerogen", "fewshot"):
                full = len(means[r]) == len(tasks)
                cells.append(f"{100 * statistics.fmean(means[r]):.2f}" if full else "—")
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
        ref = []
        for t in tasks:
            p = results[t]["cells"].get("prompting")
            g = results[t]["cells"].get(f"gold/{tam}")
            ref.append(f"{t}: prompting {100 * p['accuracy']:.1f}" if p else f"{t}: prompting —")
            ref[-1] += f", gold {100 * g['accuracy']:.1f} ({g['n_train']})" if g else ""
        lines.append("\nReferences: " + "; ".join(ref))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sst2,rt,trec")
    parser.add_argument("--per-label", type=int, default=400, help="pool per label, binary tasks")
    parser.add_argument("--trec-per-label", type=int, default=200, help="pool per label, TREC")
    parser.add_argument("--seeds-per-label", type=int, default=8)
    parser.add_argument("--methods", default=",".join(SINGLE))
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--samples-per-prompt",
        type=int,
        default=1,
        help="generation.samples_per_prompt of the pools",
    )
    parser.add_argument(
        "--decode-rows", type=int, default=0, help="backend.decode_rows (0: all of a call's rows)"
    )
    parser.add_argument(
        "--rows",
        default="",
        help="curate and evaluate only these rows (e.g. full,random-half,margin)",
    )
    parser.add_argument(
        "--skip-references",
        action="store_true",
        help="leave out the prompting baseline and gold (another run of this script adds them)",
    )
    add_table_args(parser, "runs/curation")
    args = parser.parse_args()
    results, save = open_results(args)
    args.methods = [m for m in args.methods.split(",") if m]
    args.rows = [r for r in args.rows.split(",") if r]

    if not args.table_only:
        memoize_embeddings()
        results["_command"] = " ".join(["python", "benchmarks/curation.py", *sys.argv[1:]])
        if args.device != "auto":
            os.environ["SYNLOOM_DEVICE"] = args.device
        backend = LocalBackend(
            dtype=args.dtype, device=args.device, decode_rows=args.decode_rows or None
        )
        results["_machine"] = {"device": backend.device, "generator_dtype": backend.dtype}
        save()
        try:
            for task in [t for t in args.tasks.split(",") if t]:
                print(f"[{task}]", flush=True)
                run_task(task, args, backend, results, save)
        finally:
            backend.close()
    shown = dict(results)
    for other in args.merge:
        shown |= {k: v for k, v in json.loads(other.read_text()).items() if not k.startswith("_")}
    text = table(shown, args.tams)
    print(text)
    if args.markdown:
        args.markdown.write_text(f"Command: `{results.get('_command')}`\n{text}\n")


if __name__ == "__main__":
    main()
