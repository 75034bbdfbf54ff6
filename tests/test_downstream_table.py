"""The downstream benchmark's table helpers: results measured in pieces join per seed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from downstream_table import combine, markdown, merge_cells


def part(cells: dict, n_test: int = 10) -> dict:
    return {"_command": "x", "sst2": {"n_test": n_test, "cells": cells}}


def test_combine_joins_seeds_and_reports_mean_and_spread():
    first = part(
        {
            "prompting": {"accuracy": 0.7},
            "finetune/zerogen": {"accuracy": 0.6, "n_train": 20},  # old cell: seed 0
        }
    )
    second = part(
        {
            "finetune/zerogen": {
                "accuracy": 0.75,
                "accuracy_per_seed": [0.7, 0.8],
                "train_seeds": [1, 2],
                "n_train": 20,
            }
        }
    )
    cell = combine([first, second])["sst2"]["cells"]["finetune/zerogen"]
    assert cell["train_seeds"] == [0, 1, 2]
    assert cell["accuracy"] == pytest.approx(0.7)
    assert cell["accuracy_std"] == pytest.approx(0.0816, abs=1e-4)
    table = markdown(combine([first, second]))
    assert "| sst2 | 10 | 70.00 | finetune | 70.00 ± 8.16 (20) | — | — | — |" in table
    assert "macro_f1" not in cell  # seeds 1 and 2 came without per-seed macro-F1


def test_combine_refuses_parts_with_different_training_sets():
    a = part({"finetune/gold": {"accuracy": 0.9, "n_train": 100}})
    b = part({"finetune/gold": {"accuracy": 0.8, "n_train": 50}})
    with pytest.raises(SystemExit, match="training sets differ"):
        combine([a, b])
    with pytest.raises(SystemExit, match="test sets differ"):
        combine([a, part({}, n_test=11)])


def test_a_resumed_cell_gains_the_missing_seeds_with_their_macro_f1():
    old = {"accuracy": 0.6, "macro_f1": 0.5, "n_train": 20, "seconds": 1.0}
    new = {
        "accuracy_per_seed": [0.7, 0.8],
        "macro_f1_per_seed": [0.6, 0.7],
        "train_seeds": [1, 2],
        "n_train": 20,
        "seconds": 2.0,
    }
    cell = merge_cells(old, new)
    assert cell["train_seeds"] == [0, 1, 2]
    assert cell["macro_f1_per_seed"] == [0.5, 0.6, 0.7]
    assert cell["macro_f1"] == pytest.approx(0.6)
    assert cell["seconds"] == 3.0
