"""Files shipped for `synloom quickstart` (see data/SOURCES.md for their provenance)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from synloom.sampling import stratified_indices


@dataclass(frozen=True)
class QuickstartPaths:
    spec: Path
    test: Path
    gold_train: Path


def quickstart_paths() -> QuickstartPaths:
    root = Path(str(resources.files("synloom") / "data"))
    return QuickstartPaths(
        root / "quickstart.yaml", root / "sst2_test.jsonl", root / "sst2_train_sentences.jsonl"
    )


def stratified_subset(path: Path, size: int):
    """The whole test set (size 0) or a label-stratified random subset of it (seed 0)."""
    from synloom.train.data import LabeledData

    data = LabeledData.from_jsonl(path)
    if size <= 0 or size >= len(data):
        return data
    return data.subset(stratified_indices(data.labels, size, seed=0))


def quickstart_test_name(path: Path, n: int) -> str:
    """How an evaluation names the quickstart's test data: the shipped SST-2 test file and how
    much of it (`stratified_subset`'s n rows)."""
    with open(path, encoding="utf-8") as fh:
        total = sum(1 for line in fh if line.strip())
    part = f"all {total:,}" if n >= total else f"{n:,} of {total:,}, label-stratified (seed 0)"
    return f"SST-2 test sentences shipped with synloom ({path.name}): {part}"
