from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_datasets_dir() -> Path:
    """The real benchmark data: $SYNLOOM_SHARED/datasets, else the nearest `shared/datasets` in
    a folder above the checkout (../shared/datasets for the usual layout)."""
    base = os.environ.get("SYNLOOM_SHARED")
    if base:
        return Path(base) / "datasets"
    for folder in ROOT.parents:
        candidate = folder / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "datasets"


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    path = shared_datasets_dir()
    if not path.is_dir():
        pytest.fail(f"real datasets not found at {path}; set SYNLOOM_SHARED")
    return path
