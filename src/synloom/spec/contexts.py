"""The contexts file a recipe names: read, checked and hashed before any model call."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from synloom.errors import SpecError
from synloom.spec.oneline import one_line
from synloom.spec.tables import read_table, table_format


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(one_line(f"{path}: cannot read ({exc.strerror or exc})")) from None


def read_contexts_file(path: str | Path, column: str | None = None) -> list[str]:
    """Contexts from a plain-text file (one per non-blank line), JSONL (field `column`, default
    `text`), or a CSV, TSV or Parquet file or saved HF dataset (column `column`, default `text`)."""
    path = Path(path)
    kind = table_format(path)
    if kind not in (None, "jsonl"):
        return _table_contexts(path, column or "text")
    if kind is None and column is not None:
        raise SpecError(
            one_line(f"{path}: a plain-text contexts file has no columns; remove the column")
        )
    column = column or "text"
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            one_line(f"{path}: not UTF-8 text (byte offset {exc.start}: {exc.reason})")
        ) from None
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if path.suffix == ".jsonl":
        contexts = []
        for n, line in lines:
            try:
                value = json.loads(line)[column]
            except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
                raise SpecError(
                    one_line(f"{path}: line {n}: every JSONL line needs a `{column}` field ({exc})")
                ) from None
            if value is None or isinstance(value, dict | list) or not str(value).strip():
                raise SpecError(one_line(f"{path}: line {n}: `{column}` must be non-blank text"))
            contexts.append(str(value))
    else:
        contexts = [line for _, line in lines]
    if not contexts:
        raise SpecError(one_line(f"{path}: no contexts in file"))
    return contexts


def _table_contexts(path: Path, column: str) -> list[str]:
    contexts = []
    for n, row in enumerate(read_table(path, [column], "contexts_file").rows, 1):
        value = row[column]
        if not isinstance(value, str) or not value.strip():
            raise SpecError(one_line(f"{path}: row {n}: `{column}` must be non-blank text"))
        contexts.append(value)
    return contexts


def file_sha256(path: str | Path) -> str:
    """Content hash recorded in the run manifest, so a resumed run sees an edited file. A saved
    HF dataset folder hashes the names and bytes of its files, in sorted order."""
    path = Path(path)
    if not path.is_dir():
        return hashlib.sha256(_read_bytes(path)).hexdigest()
    return files_sha256(path, sorted(p for p in path.rglob("*") if p.is_file()))


def files_sha256(root: Path, files: list[Path]) -> str:
    """Hash of the names (relative to `root`) and bytes of `files`, in the order given."""
    digest = hashlib.sha256()
    for file in files:
        name = file.relative_to(root).as_posix().encode()
        digest.update(len(name).to_bytes(8, "big") + name)
        data = _read_bytes(file)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()
