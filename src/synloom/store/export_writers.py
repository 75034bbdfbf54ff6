"""Write an export `Table` as JSONL, CSV, Parquet or a `datasets` directory (`alpaca` and
`messages`, the instruction-data tables of `export_instructions`, are JSONL), and describe its
columns as `datasets` features (the data files) and as a dataset card's YAML `features`.

JSONL keeps nested values (attributes as an object, examples as a list) and the label's name;
CSV flattens a struct into one column per field (`attributes.genre`) and writes a list as JSON
text; Parquet and `datasets` store the label's index with its `ClassLabel` names in the schema
(the `huggingface` key of the Parquet schema metadata, as `Dataset.to_parquet` writes it), so
`datasets.load_dataset("parquet", ...)` and `Dataset.from_parquet` give a `ClassLabel`.
JSONL and CSV need no extra package; Parquet and `hf` need `datasets` (the `train` extra).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synloom.store.export_table import ClassLabelKind, Kind, ListKind, StructKind, Table

FORMATS = ("jsonl", "csv", "parquet", "hf", "alpaca", "messages")
JSONL_FORMATS = ("jsonl", "alpaca", "messages")
SUFFIXES = {
    "jsonl": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "hf": "",
    "alpaca": ".alpaca.jsonl",
    "messages": ".messages.jsonl",
}
# How `datasets.load_dataset` names each format's builder (the card's loading snippet).
BUILDERS = {"jsonl": "json", "csv": "csv", "parquet": "parquet", "hf": "arrow"}
BUILDERS |= {"alpaca": "json", "messages": "json"}


def _scalar(kind: str) -> str:
    return "string" if kind == "json" else kind


def csv_columns(columns: tuple[tuple[str, Kind], ...]) -> list[tuple[str, Kind]]:
    """The flat columns of the CSV: a struct's fields as `name.field`, lists as JSON text."""
    flat: list[tuple[str, Kind]] = []
    for name, kind in columns:
        if isinstance(kind, StructKind):
            flat += [(f"{name}.{field}", "string") for field, _ in kind.fields]
        elif isinstance(kind, ListKind):
            flat.append((name, "json"))
        else:
            flat.append((name, kind))
    return flat


def yaml_features(table: Table, fmt: str) -> list[dict[str, Any]]:
    """The card's `dataset_info.features` (the list `datasets.Features._to_yaml_list` writes)."""
    columns = csv_columns(table.columns) if fmt == "csv" else list(table.columns)
    return [_yaml_feature(name, kind) for name, kind in columns]


def _yaml_feature(name: str, kind: Kind) -> dict[str, Any]:
    if isinstance(kind, ClassLabelKind):
        names = {str(i): n for i, n in enumerate(kind.names)}
        return {"name": name, "dtype": {"class_label": {"names": names}}}
    if isinstance(kind, StructKind):
        return {"name": name, "struct": [_yaml_feature(f, k) for f, k in kind.fields]}
    if isinstance(kind, ListKind) and isinstance(kind.item, StructKind):  # chat messages
        return {"name": name, "list": [_yaml_feature(f, k) for f, k in kind.item.fields]}
    if isinstance(kind, ListKind):
        return {"name": name, "list": _scalar(kind.item)}  # type: ignore[arg-type]
    return {"name": name, "dtype": _scalar(kind)}


def hf_features(table: Table):
    """The columns as `datasets.Features`."""
    import datasets

    def feature(kind: Kind):
        if isinstance(kind, ClassLabelKind):
            return datasets.ClassLabel(names=list(kind.names))
        if isinstance(kind, StructKind):
            return {f: feature(k) for f, k in kind.fields}
        if isinstance(kind, ListKind):
            return datasets.List(feature(kind.item))
        return datasets.Value(_scalar(kind))

    return datasets.Features({name: feature(kind) for name, kind in table.columns})


def to_dataset(table: Table):
    """The table as a `datasets.Dataset` with its typed features (labels become indices)."""
    from datasets import Dataset

    texts = [name for name, kind in table.columns if kind == "json"]
    rows = table.rows
    if texts:  # values of mixed types: JSON text
        rows = [
            row
            | {n: None if row[n] is None else json.dumps(row[n], ensure_ascii=False) for n in texts}
            for row in rows
        ]
    return Dataset.from_list(rows, features=hf_features(table))


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No `datasets` progress bars while writing (they are not ours to show)."""
    import datasets

    enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, moved over it when the block succeeds (a killed or failed
    export leaves the previous file as it was)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _csv_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return ""
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return value


def write_file(table: Table, fmt: str, path: Path) -> None:
    """One data file of format `fmt` (jsonl, alpaca, messages, csv or parquet) at `path`."""
    with _replacing(path) as tmp:
        if fmt in JSONL_FORMATS:
            with open(tmp, "w", encoding="utf-8") as fh:
                for row in table.rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            flat = csv_columns(table.columns)
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow([name for name, _ in flat])
                for row in table.rows:
                    writer.writerow([_csv_value(_flat_get(row, n), k) for n, k in flat])
        else:
            with _quiet_datasets():
                to_dataset(table).to_parquet(str(tmp))


def _flat_get(row: Mapping[str, Any], name: str) -> Any:
    if name in row:
        return row[name]
    outer, _, inner = name.partition(".")
    value = row.get(outer)
    return value.get(inner) if isinstance(value, Mapping) else None


def is_hf_export(path: Path) -> bool:
    """Whether `path` is a directory `datasets` saved (a Dataset or a DatasetDict)."""
    return (path / "dataset_dict.json").is_file() or (
        (path / "state.json").is_file() and (path / "dataset_info.json").is_file()
    )


def save_hf(tables: Mapping[str, Table] | Table, path: Path) -> None:
    """`save_to_disk` of a Dataset (one table) or a DatasetDict (split name -> table), built in
    a new directory beside `path` and moved into place: an earlier export there is replaced
    whole, never mixed with the new one."""
    from datasets import DatasetDict

    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    old = None
    try:
        with _quiet_datasets():
            if isinstance(tables, Table):
                to_dataset(tables).save_to_disk(str(tmp / "d"))
            else:
                DatasetDict({k: to_dataset(t) for k, t in tables.items()}).save_to_disk(
                    str(tmp / "d")
                )
        if path.exists():
            old = tmp / "old"
            os.replace(path, old)
        os.replace(tmp / "d", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
