"""The rows an export writes, with typed columns: what `datasets`, Parquet, JSONL and CSV get.

A column's type is a small value (`Kind`) that turns into a `datasets` feature, into the
`features` list of a dataset card's YAML and into CSV columns, so the data files and the card
always agree:

- `"string"`, `"int64"`, `"float64"`, `"bool"`: a scalar;
- `ClassLabelKind(names)`: the label, its names in the spec's label order (JSONL and CSV keep the
  name; Parquet and `datasets` store the index with the names in the schema, as `datasets` does);
- `StructKind(fields)`: named string fields (a sample's attributes, one per dimension);
- `ListKind(item)`: a list (the in-context examples a request got).

A sample's request metadata becomes columns: `context`, `attributes` (a struct), `examples`
(texts) and `example_ids`, plus any other key a recipe put there, typed from its values (a key
whose values mix types is kept as it is in JSONL and as JSON text in the other formats). `pair` (told by `text_b`) and
`counter_prompts` (the self-debiasing prompts, derivable from the prompt) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from synloom.errors import StoreError
from synloom.store.records import Sample


@dataclass(frozen=True)
class ClassLabelKind:
    names: tuple[str, ...]


@dataclass(frozen=True)
class StructKind:
    fields: tuple[tuple[str, Kind], ...]


@dataclass(frozen=True)
class ListKind:
    item: Kind


Kind = Union[str, ClassLabelKind, StructKind, ListKind]  # noqa: UP007 - a runtime alias

# Request metadata the columns already hold (or that a column tells): not repeated.
DERIVED_META = frozenset({"context", "pair", "counter_prompts"})
RESERVED = frozenset(
    {"id", "text", "text_b", "label", "weight", "round", "context", "attributes", "stage"}
)


@dataclass(frozen=True)
class Table:
    """Rows (plain Python values: label names, dicts for structs, lists) and their columns."""

    columns: tuple[tuple[str, Kind], ...]
    rows: list[dict[str, Any]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def select(self, indices: Sequence[int]) -> Table:
        return Table(self.columns, [self.rows[i] for i in indices])


def _scalar_kind(values: list[Any]) -> Kind | None:
    """The kind every non-null value shares, or None when they mix."""
    seen = {type(v) for v in values if v is not None}
    if not seen:
        return "string"
    if seen == {bool}:
        return "bool"
    if seen == {int}:
        return "int64"
    if seen <= {int, float}:
        return "float64"
    if seen == {str}:
        return "string"
    if seen == {list}:
        items = [x for v in values if v for x in v]
        kind = _scalar_kind(items)
        return ListKind(kind) if isinstance(kind, str) else None
    return None


def _meta_columns(samples: Sequence[Sample]) -> list[tuple[str, str, Kind]]:
    """(meta key, column name, kind) for each metadata key the samples hold, in first-seen order."""
    keys: dict[str, None] = {}
    for s in samples:
        keys.update(dict.fromkeys(k for k in s.meta if k not in DERIVED_META))
    columns = []
    for key in keys:
        values = [s.meta.get(key) for s in samples]
        if key == "attributes":
            dims: dict[str, None] = {}
            for v in values:
                if isinstance(v, Mapping):
                    dims.update(dict.fromkeys(map(str, v)))
            if not dims and all(not v for v in values):
                continue  # no dimension anywhere: nothing to keep (Parquet has no empty struct)
            if all(v is None or isinstance(v, Mapping) for v in values):
                kind: Kind | None = StructKind(tuple((d, "string") for d in dims))
            else:
                kind = None
        else:
            kind = _scalar_kind(values)
        name = key if key not in RESERVED or key == "attributes" else f"meta_{key}"
        columns.append((key, name, kind if kind is not None else "json"))
    return columns


def _meta_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if isinstance(kind, StructKind):
        return {d: None if value.get(d) is None else str(value[d]) for d, _ in kind.fields}
    if kind == "float64":
        return float(value)
    return value


def label_names(spec_labels: Sequence[str], seen: Sequence[str | None]) -> tuple[str, ...]:
    """The ClassLabel names: the spec's labels in spec order (a run whose manifest lists none, an
    older one, gets the labels its samples carry, sorted); () for an unlabeled run (instruction
    data: every sample's label is None), whose export has no `label` column."""
    labeled = {label for label in seen if label is not None}
    if len(labeled) < len(set(seen)) and (labeled or spec_labels):
        raise StoreError("some samples carry no label in a run with labels; the store is damaged")
    names = tuple(spec_labels) or tuple(sorted(labeled))
    unknown = sorted(labeled - set(names))
    if unknown:
        raise StoreError(f"samples carry labels the run's spec does not list: {', '.join(unknown)}")
    return names


def accepted_table(
    samples: Sequence[Sample],
    names: Sequence[str],
    rounds: Mapping[str, int],
    weights: Sequence[float] | None = None,
    record: Sequence[tuple[str, Kind]] = (),
) -> Table:
    """Accepted samples as typed rows: id, text, [text_b], label (none when `names` is empty: an
    unlabeled run), [weight], round, context, [one column per `record` field (name, kind): a
    structured record's values, read from its JSON text; named `record_<field>` where the name
    is taken], then their metadata (see the module docstring)."""
    pair = any(s.text_b is not None for s in samples)
    labeled = bool(names)
    columns: list[tuple[str, Kind]] = [("id", "string"), ("text", "string")]
    columns += [("text_b", "string")] if pair else []
    columns += [("label", ClassLabelKind(tuple(names)))] if labeled else []
    columns += [("weight", "float64")] if weights is not None else []
    columns += [("round", "int64"), ("context", "string")]
    meta = _meta_columns(samples)
    taken = RESERVED | {name for _, name, _ in meta}
    fields = [(f, f"record_{f}" if f in taken else f, kind) for f, kind in record]
    columns += [(name, kind) for _, name, kind in fields]
    columns += [(name, kind) for _, name, kind in meta]
    rows = []
    for i, s in enumerate(samples):
        row: dict[str, Any] = {"id": s.id, "text": s.text}
        if pair:
            row["text_b"] = s.text_b
        if labeled:
            row["label"] = s.label
        if weights is not None:
            row["weight"] = float(weights[i])
        row["round"] = rounds.get(s.id)
        row["context"] = s.context if s.context is not None else s.meta.get("context")
        values = json.loads(s.text) if fields else {}
        for field, name, kind in fields:
            row[name] = _meta_value(values.get(field), kind)
        for key, name, kind in meta:
            row[name] = _meta_value(s.meta.get(key), kind)
        rows.append(row)
    return Table(tuple(columns), rows)


REJECTED_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("id", "string"),
    ("stage", "string"),
    ("round", "int64"),
    ("label", "string"),
    ("status", "string"),  # rejected (an output with a reason) or failed (no output)
    ("reason", "string"),
    ("detail", "string"),
    ("raw_text", "string"),
    ("completion", "string"),
    ("text", "string"),
    ("text_b", "string"),
    ("dup_of", "string"),
    ("finish_reason", "string"),
    ("attempts", "int64"),
    ("context", "string"),
    ("prompt", "string"),
)


def rejected_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """Rejected outputs and failed requests as rows for inspection (label kept as its name)."""
    names = [name for name, _ in REJECTED_COLUMNS]
    return Table(REJECTED_COLUMNS, [{n: row.get(n) for n in names} for row in rows])
