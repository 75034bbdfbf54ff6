"""`seed_examples_file`: labeled seed examples read from a CSV, TSV, JSONL or Parquet file or a
saved HF dataset instead of pasted into the spec.

The rows become the spec's `seed_examples` when the spec is loaded (`load_spec`/`parse_spec`), so
every recipe sees them exactly as inline seeds, and the data fingerprint of the spec is that of the
same seeds written inline. A label is a label name, or an integer that indexes the spec's labels in
their order (0 is the first); an integer in a column that is an HF `ClassLabel` stands for the
class name it has there, which is then matched by name. When a label is itself named by an integer
(star ratings "1".."5"), an integer is always a name, never an index, whatever the file's format:
a CSV's "1", a JSONL's 1 and a Parquet int 1 all mean the label "1", and an integer that names no
label is an error (no silent shift by one)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from synloom.errors import SpecError
from synloom.spec.base import Int, SpecModel
from synloom.spec.oneline import one_line
from synloom.spec.tables import read_table

MAX_SEED_ROWS = 100_000
_INTEGER = re.compile(r"-?[0-9]+")


class SeedFile(SpecModel):
    """Where the seeds are and which columns hold them; a plain string is the path, with the
    columns `text` and `label`. A column named like one of the spec's `attributes` dimensions
    gives each row its value of that dimension (an empty cell: none). Other columns are ignored."""

    path: str = Field(
        min_length=1, description="file or saved-dataset folder, relative to the spec"
    )
    text: str = Field("text", min_length=1, description="column of the text")
    label: str = Field("label", min_length=1, description="column of the label (name or index)")
    text_b: str | None = Field(None, min_length=1, description="column of a pair's second text")
    max_per_label: Int | None = Field(
        None, ge=1, le=MAX_SEED_ROWS, description="keep at most this many rows of each label"
    )
    sample_seed: Int = Field(
        0, ge=0, le=2**32 - 1, description="which rows max_per_label keeps (a seeded sample)"
    )

    @model_validator(mode="before")
    @classmethod
    def _path_only(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value


def label_name(value: Any, names: list[str], class_names: list[str] | None) -> str:
    """The spec label `value` stands for; ValueError says why none."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # pandas writes an int column with gaps as floats
    if class_names is not None and isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(class_names):
            raise ValueError(f"label {value} is no class of the dataset's ClassLabel")
        value = class_names[value]
    if isinstance(value, str):
        if value in names:
            return value
        if _integer(value) is not None:
            value = _integer(value)
        else:
            raise ValueError(f"unknown label {value!r}; labels are {', '.join(names)}")
    if isinstance(value, int) and not isinstance(value, bool):
        numbered = [n for n in names if _integer(n) is not None]
        if numbered:  # labels named by integers: an integer is a name, never an index
            match = [n for n in numbered if _integer(n) == value]
            if len(match) == 1:
                return match[0]
            raise ValueError(
                f"label {value} names no single label: the labels {', '.join(numbered)} are named by "
                "integers, so an integer label is read as a name, not as an index; write the "
                f"label names in the file (labels are {', '.join(names)})"
            )
        if 0 <= value < len(names):
            return names[value]
        raise ValueError(
            f"label {value} is out of range: an integer label indexes the spec's labels "
            f"0..{len(names) - 1} ({', '.join(names)})"
        )
    raise ValueError(f"label must be a label name or an integer, not {_kind(value)}")


def _integer(name: str) -> int | None:
    """The integer a label name spells ("3", " 3", "-1"), else None."""
    text = name.strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _kind(value: Any) -> str:
    return "empty" if value is None else type(value).__name__


def _text(value: Any, column: str) -> str:
    if not isinstance(value, str) or not value.strip():
        what = "empty" if value is None or isinstance(value, str) else _kind(value)
        raise ValueError(f"column {column!r} must hold non-blank text, not {what}")
    return value


def read_seed_file(
    path: Path,
    file: SeedFile,
    names: list[str],
    where: str,
    attributes: dict[str, list[str]] | None = None,
) -> list[dict]:
    """The seed examples (dicts of text, label, text_b and, where the file has columns named like
    the `attributes` dimensions, attributes) of `path` in file order; a bad row is a one-line
    SpecError naming the row (1-based, not counting a CSV header)."""
    columns = [file.text, file.label] + ([file.text_b] if file.text_b else [])
    dims = tuple(attributes or {})
    table = read_table(path, columns, where, optional=dims)
    seeds = []
    for n, row in enumerate(table.rows, 1):
        try:
            seed = {
                "text": _text(row[file.text], file.text),
                "label": label_name(row[file.label], names, table.class_names.get(file.label)),
                "text_b": None if file.text_b is None else _text(row[file.text_b], file.text_b),
            }
            given = _attributes(row, attributes or {})
            if given:
                seed["attributes"] = given
            seeds.append(seed)
        except ValueError as exc:
            raise SpecError(one_line(f"{where}: {path}: row {n}: {exc}")) from None
    if file.max_per_label is not None:
        seeds = _sample(seeds, file.max_per_label, file.sample_seed)
    if len(seeds) > MAX_SEED_ROWS:
        raise SpecError(
            one_line(
                f"{where}: {path}: {len(seeds)} rows, more than the {MAX_SEED_ROWS} seed examples "
                "a spec takes; set max_per_label"
            )
        )
    return seeds


def _attributes(row: dict[str, Any], attributes: dict[str, list[str]]) -> dict[str, str]:
    """The row's value of each attribute dimension it has a non-empty cell for; ValueError for a
    value the spec does not declare."""
    out = {}
    for dim, values in attributes.items():
        value = row.get(dim)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str) or value not in values:
            shown = repr(value) if isinstance(value, str) else _kind(value)
            raise ValueError(
                f"attribute {dim!r}: {shown} is not one of its values ({', '.join(values)})"
            )
        out[dim] = value
    return out


def _sample(seeds: list[dict], limit: int, seed: int) -> list[dict]:
    """At most `limit` rows of each label, a seeded random choice kept in file order."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, row in enumerate(seeds):
        by_label.setdefault(row["label"], []).append(i)
    keep = set()
    for label in sorted(by_label):
        rows = by_label[label]
        keep.update(rows if len(rows) <= limit else rng.sample(rows, limit))
    return [row for i, row in enumerate(seeds) if i in keep]
