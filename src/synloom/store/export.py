"""Export accepted samples to JSONL, Parquet or a Hugging Face `datasets` Dataset on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synloom.errors import StoreError, SynloomError
from synloom.store.run_store import RunStore

FORMATS = ("jsonl", "parquet", "hf")
DEFAULT_NAMES = {"jsonl": "samples.jsonl", "parquet": "samples.parquet", "hf": "hf_dataset"}


def sample_records(store: RunStore) -> list[dict[str, Any]]:
    """Accepted samples as flat records: id, text, [text_b], label, meta (JSON string)."""
    records = []
    for s in store.accepted():
        rec = s.to_record()
        rec["meta"] = json.dumps(rec["meta"], sort_keys=True, ensure_ascii=False)
        records.append(rec)
    return records


def to_hf_dataset(store: RunStore):
    """The accepted samples as a `datasets.Dataset` (label kept as its string name)."""
    from datasets import Dataset

    records = sample_records(store)
    if not records:
        raise SynloomError(f"{store.run_dir} has no accepted samples to export")
    return Dataset.from_list(records)


def export_run(run_dir: str | Path, fmt: str, out: str | Path | None = None) -> Path:
    if fmt not in FORMATS:
        raise SynloomError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with RunStore(run_dir) as store:
        target = Path(out) if out else Path(run_dir) / DEFAULT_NAMES[fmt]
        if store.owns(target):
            raise StoreError(f"export target {target} is a file of the run store; choose another")
        if fmt == "jsonl":
            records = sample_records(store)
            with open(target, "w", encoding="utf-8") as fh:
                for rec in records:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif fmt == "parquet":
            to_hf_dataset(store).to_parquet(str(target))
        else:
            to_hf_dataset(store).save_to_disk(str(target))
    return target
