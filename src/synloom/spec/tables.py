"""Rows of a data file a spec names (seed examples, contexts): CSV, TSV, JSONL, Parquet, or a
folder written by HF `datasets.Dataset.save_to_disk`. Read in file order, so the same file always
gives the same rows; only the columns asked for are kept (others are ignored). pyarrow and
`datasets` are imported only for the formats that need them, so `synloom.spec` stays light."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from synloom.errors import SpecError
from synloom.extras import missing_extra
from synloom.spec.oneline import one_line

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}
FORMAT_NAMES = (
    "CSV (.csv), TSV (.tsv), JSONL (.jsonl), Parquet (.parquet) or a saved HF dataset folder"
)


@dataclass(frozen=True)
class Table:
    """The asked-for columns of every row (1-based row numbers are list index + 1), and the class
    names of columns that are HF `ClassLabel` features (an int there stands for a name)."""

    rows: list[dict[str, Any]]
    class_names: dict[str, list[str]] = field(default_factory=dict)


def table_format(path: Path) -> str | None:
    """`hf` for a folder, the format of a known suffix, else None (not a table)."""
    if path.is_dir():
        return "hf"
    return FORMATS.get(path.suffix.lower())


def read_table(path: Path, columns: list[str], where: str, optional: tuple[str, ...] = ()) -> Table:
    """The rows of `path` with `columns`, and with each of the `optional` columns (None where the
    file or row lacks it); a missing column, an unreadable file or a bad row is a one-line
    SpecError starting with `where`."""
    kind = table_format(path)
    if kind is None:
        raise SpecError(one_line(f"{where}: {path}: unknown format; use {FORMAT_NAMES}"))
    columns = list(dict.fromkeys(columns))
    reader = {"csv": _csv, "tsv": _csv, "jsonl": _jsonl, "parquet": _parquet, "hf": _hf}[kind]
    table = reader(path, columns, f"{where}: {path}", [c for c in optional if c not in columns])
    if not table.rows:
        raise SpecError(one_line(f"{where}: {path}: no rows"))
    return table


def _missing(where: str, wanted: list[str], have: list[str]) -> None:
    missing = [c for c in wanted if c not in have]
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        raise SpecError(
            one_line(f"{where}: no column {shown}; its columns are {', '.join(map(str, have))}")
        )


def _text(path: Path, where: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            one_line(f"{where}: not UTF-8 text (byte offset {exc.start}: {exc.reason})")
        ) from None
    except OSError as exc:
        raise SpecError(one_line(f"{where}: cannot read ({exc.strerror or exc})")) from None


def _csv(path: Path, columns: list[str], where: str, optional: list[str]) -> Table:
    text = _text(path, where)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _missing(where, columns, list(reader.fieldnames or []))
        rows = [{c: row.get(c) for c in columns + optional} for row in reader]
    except csv.Error as exc:
        raise SpecError(one_line(f"{where}: line {reader.line_num}: bad CSV ({exc})")) from None
    return Table(rows)


def _jsonl(path: Path, columns: list[str], where: str, optional: list[str]) -> Table:
    rows = []
    for n, line in enumerate(_text(path, where).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise SpecError(one_line(f"{where}: line {n}: not JSON ({exc})")) from None
        if not isinstance(row, dict):
            raise SpecError(one_line(f"{where}: line {n}: not a JSON object"))
        _missing(f"{where}: line {n}", columns, list(row))
        rows.append({c: row.get(c) for c in columns + optional})
    return Table(rows)


def _lazy(module: str, where: str) -> Any:
    """`module`, imported now; missing, it is a SpecError that names the extra to install."""
    try:
        return import_module(module)
    except ImportError as exc:
        raise SpecError(one_line(f"{where}: {missing_extra(exc, prefer='train') or exc}")) from None


def _parquet(path: Path, columns: list[str], where: str, optional: list[str]) -> Table:
    pa = _lazy("pyarrow", where)
    pq = _lazy("pyarrow.parquet", where)
    try:
        schema = pq.read_schema(path)
        _missing(where, columns, schema.names)
        read = columns + [c for c in optional if c in schema.names]
        rows = [dict.fromkeys(optional) | r for r in pq.read_table(path, columns=read).to_pylist()]
    except (pa.ArrowException, OSError) as exc:
        raise SpecError(one_line(f"{where}: not a readable Parquet file ({exc})")) from None
    features = {}
    try:  # a Parquet file written by `datasets` keeps its features (ClassLabel names) here
        info = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))
        features = info.get("info", {}).get("features", {})
    except (ValueError, AttributeError):
        pass
    if not isinstance(features, dict):
        features = {}
    names = {
        c: [str(n) for n in f["names"]]
        for c, f in features.items()
        if c in columns
        and isinstance(f, dict)
        and f.get("_type") == "ClassLabel"
        and isinstance(f.get("names"), list)
    }
    return Table(rows, names)


def _hf(path: Path, columns: list[str], where: str, optional: list[str]) -> Table:
    if not any((path / name).is_file() for name in ("dataset_info.json", "dataset_dict.json")):
        raise SpecError(
            one_line(f"{where}: a folder must be a dataset saved by datasets' save_to_disk")
        )
    datasets = _lazy("datasets", where)
    try:
        data = datasets.load_from_disk(str(path))
    except Exception as exc:  # `datasets` raises many kinds; every one means unreadable
        raise SpecError(one_line(f"{where}: not a readable saved dataset ({exc})")) from None
    if isinstance(data, datasets.DatasetDict):
        if len(data) != 1:
            raise SpecError(
                one_line(
                    f"{where}: holds the splits {', '.join(data)}; name one as its folder, "
                    f"e.g. {path / next(iter(data), 'train')}"
                )
            )
        data = next(iter(data.values()))
    _missing(where, columns, list(data.column_names))
    names = {
        c: list(data.features[c].names)
        for c in columns
        if isinstance(data.features[c], datasets.ClassLabel)
    }
    read = columns + [c for c in optional if c in data.column_names]
    rows = [dict.fromkeys(optional) | r for r in data.select_columns(read).to_list()]
    return Table(rows, names)
