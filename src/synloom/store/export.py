"""Export accepted samples (or a curation's kept samples) to JSONL, Parquet or a Hugging Face
`datasets` Dataset on disk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synloom.errors import StoreError, SynloomError
from synloom.store.curation_view import read_curation
from synloom.store.curations import check_curation_name
from synloom.store.records import Sample
from synloom.store.run_store import RunStore

FORMATS = ("jsonl", "parquet", "hf")
DEFAULT_NAMES = {"jsonl": "samples.jsonl", "parquet": "samples.parquet", "hf": "hf_dataset"}


def default_name(fmt: str, curation: str | None = None) -> str:
    """The export's file name in the run directory; a curated export gets its own
    (`samples-NAME.jsonl`), so it never overwrites the uncurated one."""
    name = DEFAULT_NAMES[fmt]
    if curation is None:
        return name
    stem, dot, suffix = name.partition(".")
    return f"{stem}-{check_curation_name(curation)}{dot}{suffix}"


def sample_records(
    samples: Sequence[Sample], weights: Sequence[float] | None = None
) -> list[dict[str, Any]]:
    """Samples as flat records: id, text, [text_b], label, [weight], meta (JSON string)."""
    records = []
    for i, s in enumerate(samples):
        rec = s.to_record()
        meta = json.dumps(rec.pop("meta"), sort_keys=True, ensure_ascii=False)
        if weights is not None:
            rec["weight"] = float(weights[i])
        records.append(rec | {"meta": meta})
    return records


def to_hf_dataset(records: list[dict[str, Any]], run_dir: Path):
    """The records as a `datasets.Dataset` (label kept as its string name)."""
    from datasets import Dataset

    if not records:
        raise SynloomError(f"{run_dir} has no accepted samples to export")
    return Dataset.from_list(records)


def export_run(
    run_dir: str | Path,
    fmt: str,
    out: str | Path | None = None,
    *,
    curation: str | None = None,
) -> Path:
    """Write the accepted samples of `run_dir`, or the samples `curation` keeps (with a `weight`
    column when it weights them); returns the path written."""
    if fmt not in FORMATS:
        raise SynloomError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    run_dir = Path(run_dir)
    with RunStore(run_dir) as store:
        target = Path(out) if out else run_dir / default_name(fmt, curation)
        if store.owns(target):
            raise StoreError(f"export target {target} is a file of the run store; choose another")
        samples, weights = tuple(store.accepted()), None
        if curation is not None:
            view = read_curation(store, curation, samples)
            samples = view.kept(samples)
            if view.weighted:
                weights = [view.decisions[s.id].weight for s in samples]
    records = sample_records(samples, weights)
    if fmt == "jsonl":
        with open(target, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif fmt == "parquet":
        to_hf_dataset(records, run_dir).to_parquet(str(target))
    else:
        to_hf_dataset(records, run_dir).save_to_disk(str(target))
    return target
