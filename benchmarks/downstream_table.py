"""The downstream table: render a results.json, or combine results measured in pieces.

A benchmark run can be split (say training seed 0 in one run, seeds 1 and 2 in another on the
same generated data); `combine` joins the per-seed accuracies of every cell and refuses parts
whose test or training sets differ in size.
"""

from __future__ import annotations

import statistics

DATA_COLUMNS = ("zerogen", "fewshot", "seeds", "gold")


def seed_scores(cell: dict) -> dict[int, float]:
    """Accuracy by training seed (cells written before seeds were recorded used seed 0)."""
    if "accuracy_per_seed" in cell:
        return dict(zip(cell["train_seeds"], cell["accuracy_per_seed"]))
    return {0: cell["accuracy"]}


def merge_cells(old: dict, new: dict) -> dict:
    """One cell from two measured on the same data with (partly) other seeds; `old` wins ties."""
    if old["n_train"] != new["n_train"]:
        raise SystemExit(f"training sets differ in size ({old['n_train']} vs {new['n_train']})")
    by_seed = seed_scores(new) | seed_scores(old)
    seeds = sorted(by_seed)
    accuracy = [by_seed[s] for s in seeds]
    merged = {
        "n_train": old["n_train"],
        "train_seeds": seeds,
        "accuracy_per_seed": accuracy,
        "accuracy": statistics.fmean(accuracy),
        "accuracy_std": statistics.pstdev(accuracy),
        "seconds": old.get("seconds", 0.0) + new.get("seconds", 0.0),
    }
    f1 = seed_f1(new) | seed_f1(old)
    if set(f1) == set(seeds):
        merged["macro_f1_per_seed"] = [f1[s] for s in seeds]
        merged["macro_f1"] = statistics.fmean(merged["macro_f1_per_seed"])
    return merged


def seed_f1(cell: dict) -> dict[int, float]:
    if "macro_f1_per_seed" in cell:
        return dict(zip(cell["train_seeds"], cell["macro_f1_per_seed"]))
    if "accuracy_per_seed" not in cell and "macro_f1" in cell:
        return {0: cell["macro_f1"]}
    return {}


def combine(parts: list[dict]) -> dict:
    """Join whole results.json files cell by cell (see `merge_cells`)."""
    out: dict = {"_combined_from": [part.get("_command", "?") for part in parts]}
    for part in parts:
        for task, res in part.items():
            if task.startswith("_"):
                continue
            merged = out.setdefault(task, {"n_test": res["n_test"], "cells": {}})
            if merged["n_test"] != res["n_test"]:
                raise SystemExit(
                    f"{task}: test sets differ ({merged['n_test']} vs {res['n_test']})"
                )
            cells = merged["cells"]
            for key, cell in res["cells"].items():
                if key == "prompting" or key not in cells:
                    cells.setdefault(key, cell)
                else:
                    cells[key] = merge_cells(cells[key], cell)
    return out


def tams_in(results: dict) -> list[str]:
    """Task-model names: plain ones first, then those with strategies ("finetune+fewgen")."""
    names: list[str] = []
    for task, res in results.items():
        if task.startswith("_"):
            continue
        for key in res["cells"]:
            tam = key.rpartition("/")[0]
            if tam and tam not in names:
                names.append(tam)
    return sorted(names, key=lambda name: (name.count("+"), names.index(name)))


def markdown(
    results: dict, tams: list[str] | None = None, task_order: list[str] | None = None
) -> str:
    """Accuracy in %, mean ± std over training seeds where there are several, sizes in brackets."""
    head = "| task | n test | prompting | TAM | ZeroGen data | few-shot data | seeds alone | full gold |"
    lines = [head, "|" + "---|" * 8]
    tasks = [t for t in results if not t.startswith("_")]
    order = task_order or []
    tasks.sort(key=lambda t: order.index(t) if t in order else len(order))
    for task in tasks:
        res = results[task]
        cells = res["cells"]

        def cell(key, cells=cells):
            c = cells.get(key)
            if c is None:
                return "—"
            several = len(c.get("train_seeds", [0])) > 1
            spread = f" ± {100 * c['accuracy_std']:.2f}" if several else ""
            return f"{100 * c['accuracy']:.2f}{spread} ({c['n_train']})"

        prompting = cells.get("prompting")
        p = "—" if prompting is None else f"{100 * prompting['accuracy']:.2f}"
        for tam in tams or tams_in(results):
            row = " | ".join(cell(f"{tam}/{column}") for column in DATA_COLUMNS)
            lines.append(f"| {task} | {res['n_test']} | {p} | {tam} | {row} |")
    return "\n".join(lines) + "\n"
