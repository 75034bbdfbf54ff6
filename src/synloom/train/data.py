"""Labeled training/evaluation data for task models, from JSONL, HF datasets or plain records.

Labels stay strings end to end (the spec's label names), so a model trained on a synloom run
and evaluated on a real JSONL file compare labels by name, never by an index that could differ.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from synloom.store import Run

TEXT_FIELDS = ("text", "sentence", "sentence1", "premise", "question1", "question", "text_a")
TEXT_B_FIELDS = ("text_b", "sentence2", "hypothesis", "question2", "text_pair")
LABEL_FIELDS = ("label", "labels")
WEIGHT_FIELDS = ("weight", "sample_weight")


@dataclass(frozen=True)
class LabeledData:
    """Texts (and optional second texts for pair tasks) with string labels and optional weights."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    texts_b: tuple[str, ...] | None = None
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.texts)
        if len(self.labels) != n:
            raise SynloomError(f"{n} texts but {len(self.labels)} labels")
        if self.texts_b is not None and len(self.texts_b) != n:
            raise SynloomError(f"{n} texts but {len(self.texts_b)} second texts (texts_b)")
        if self.weights is not None:
            if len(self.weights) != n:
                raise SynloomError(f"{n} texts but {len(self.weights)} weights")
            bad = [w for w in self.weights if not math.isfinite(w) or w < 0]
            if bad:
                raise SynloomError(f"sample weights must be finite and >= 0; got {bad[0]!r}")
        for i, text in enumerate(self.texts + (self.texts_b or ())):
            if not isinstance(text, str):
                raise SynloomError(f"row {i % n}: text is {type(text).__name__}, expected a string")
        for i, label in enumerate(self.labels):
            if not isinstance(label, str) or not label:
                raise SynloomError(f"row {i}: label {label!r} is not a non-empty string")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def is_pair(self) -> bool:
        return self.texts_b is not None

    @property
    def label_names(self) -> list[str]:
        """Sorted distinct labels (the column order of `predict_proba`)."""
        return sorted(set(self.labels))

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))

    def subset(self, indices: Iterable[int]) -> LabeledData:
        """The rows at `indices`, in that order."""
        idx = list(indices)
        return LabeledData(
            texts=tuple(self.texts[i] for i in idx),
            labels=tuple(self.labels[i] for i in idx),
            texts_b=None if self.texts_b is None else tuple(self.texts_b[i] for i in idx),
            weights=None if self.weights is None else tuple(self.weights[i] for i in idx),
        )

    def with_weights(self, weights: Sequence[float] | None) -> LabeledData:
        return LabeledData(
            self.texts,
            self.labels,
            self.texts_b,
            None if weights is None else tuple(float(w) for w in weights),
        )

    def to_records(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for i, text in enumerate(self.texts):
            row: dict[str, Any] = {"text": text}
            if self.texts_b is not None:
                row["text_b"] = self.texts_b[i]
            row["label"] = self.labels[i]
            if self.weights is not None:
                row["weight"] = self.weights[i]
            rows.append(row)
        return rows

    @classmethod
    def from_records(
        cls,
        records: Iterable[dict[str, Any]],
        *,
        text_field: str | None = None,
        text_b_field: str | None = None,
        label_field: str | None = None,
        weight_field: str | None = None,
        label_names: Sequence[str] | None = None,
        source: str = "records",
    ) -> LabeledData:
        """Build from dicts. Field names are detected when not given (`text`/`sentence`/...,
        `text_b`/`sentence2`/`hypothesis`/..., `label`, `weight`). Integer labels are mapped
        through `label_names` when given, otherwise kept as their decimal string."""
        rows = list(records)
        if not rows:
            raise SynloomError(f"{source}: no rows")
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise SynloomError(f"{source}: row {i} is a {type(row).__name__}, not an object")
        keys = set(rows[0])
        text_field = text_field or _detect(keys, TEXT_FIELDS, "text", source, required=True)
        label_field = label_field or _detect(keys, LABEL_FIELDS, "label", source, required=True)
        if text_b_field is None:
            text_b_field = _detect(keys, TEXT_B_FIELDS, "second text", source, required=False)
        if weight_field is None:
            weight_field = _detect(keys, WEIGHT_FIELDS, "weight", source, required=False)
        texts, texts_b, labels, weights = [], [], [], []
        for i, row in enumerate(rows):
            try:
                texts.append(row[text_field])
                labels.append(_label_name(row[label_field], label_names))
                if text_b_field:
                    texts_b.append(row[text_b_field])
                if weight_field:
                    weights.append(_weight(row[weight_field], f"{source}: row {i}"))
            except KeyError as exc:
                raise SynloomError(f"{source}: row {i} has no field {exc.args[0]!r}") from None
        return cls(
            texts=tuple(texts),
            labels=tuple(labels),
            texts_b=tuple(texts_b) if text_b_field else None,
            weights=tuple(weights) if weight_field else None,
        )

    @classmethod
    def from_jsonl(cls, path: str | Path, **fields: Any) -> LabeledData:
        """Read a JSON Lines file (one object per line); see `from_records` for the fields."""
        path = Path(path)
        if not path.is_file():
            raise SynloomError(f"no such JSONL file: {path}")
        rows = []
        try:
            with open(path, encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        rows.append(json.loads(line))
                    except (json.JSONDecodeError, RecursionError) as exc:
                        why = (
                            exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
                        )
                        raise SynloomError(f"{path}:{lineno}: invalid JSON ({why})") from None
        except UnicodeDecodeError:
            raise SynloomError(f"{path} is not UTF-8 text") from None
        except OSError as exc:
            raise SynloomError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.from_records(rows, source=str(path), **fields)

    @classmethod
    def from_run(
        cls, run: str | Path | Run, *, stage: str = "sample", curation: str | None = None
    ) -> LabeledData:
        """The accepted samples of a synloom run directory (or of a `Run` already opened, whose
        own stage and curation count); with `curation`, its kept samples. The curation's
        weights (`Run.weights`) become the per-sample weights; without them, a `weight` in
        every sample's meta does."""
        from synloom.store import Run, open_run

        if not isinstance(run, Run):
            run = open_run(run, stage=stage, curation=curation)
        run.require_labels("a labeled dataset")
        samples, run_dir = run.samples, run.run_dir
        if not samples:
            if run.curation is not None:
                raise SynloomError(f"{run_dir}: curation {run.curation.name} keeps no samples")
            raise SynloomError(f"{run_dir}: the run has no accepted samples yet")
        pairs = [s.text_b is not None for s in samples]
        if any(pairs) and not all(pairs):
            raise SynloomError(f"{run_dir}: some accepted samples have a second text, some not")
        weights = run.weights
        if weights is None and all("weight" in s.meta for s in samples):
            weights = tuple(float(s.meta["weight"]) for s in samples)
        return cls(
            texts=tuple(s.text for s in samples),
            labels=tuple(s.label for s in samples),
            texts_b=tuple(s.text_b for s in samples) if all(pairs) else None,
            weights=weights,
        )

    @classmethod
    def from_hf(cls, dataset: Any, *, split: str | None = None, **fields: Any) -> LabeledData:
        """From a `datasets.Dataset`, a `DatasetDict` (pick `split`, default "train") or a
        directory written by `save_to_disk`. ClassLabel columns map to their names."""
        if isinstance(dataset, (str, Path)):
            dataset = _load_from_disk(Path(dataset))
        from datasets import Dataset, DatasetDict

        if isinstance(dataset, DatasetDict):
            dataset = _pick_split(dataset, split)
        if not isinstance(dataset, Dataset):
            raise SynloomError(f"expected a datasets.Dataset, got {type(dataset).__name__}")
        features = getattr(dataset, "features", {}) or {}
        label_field = fields.get("label_field") or _detect(
            set(dataset.column_names), LABEL_FIELDS, "label", "HF dataset", required=True
        )
        names = getattr(features.get(label_field), "names", None)
        if names and "label_names" not in fields:
            fields["label_names"] = list(names)
        fields["label_field"] = label_field
        return cls.from_records(dataset.to_list(), source="HF dataset", **fields)


def load_labeled_data(source: Any, **fields: Any) -> LabeledData:
    """Dispatch on the source: LabeledData, run dir, JSONL path, `save_to_disk` dir, HF dataset,
    list of records."""
    from synloom.store import STORE_FILE

    if isinstance(source, LabeledData):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if (path / STORE_FILE).is_file():
            return LabeledData.from_run(path, **fields)
        if path.is_dir():
            return LabeledData.from_hf(path, **fields)
        return LabeledData.from_jsonl(path, **fields)
    if hasattr(source, "column_names"):  # datasets.Dataset / DatasetDict, without importing them
        return LabeledData.from_hf(source, **fields)
    if isinstance(source, (list, tuple)):
        return LabeledData.from_records(source, **fields)
    raise SynloomError(f"cannot read labeled data from a {type(source).__name__}")


def _detect(keys: set[str], candidates: Sequence[str], what: str, source: str, *, required: bool):
    for name in candidates:
        if name in keys:
            return name
    if required:
        raise SynloomError(
            f"{source}: no {what} field; looked for {', '.join(candidates)} in {sorted(keys)}"
        )
    return None


def _weight(value: Any, where: str) -> float:
    """A sample weight: a number (not "heavy", not a boolean, not null)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise SynloomError(f"{where}: weight {value!r} is not a number") from None


def _label_name(value: Any, label_names: Sequence[str] | None) -> str:
    if isinstance(value, bool):
        raise SynloomError(f"label {value!r} is a boolean; use label names")
    if isinstance(value, int) and label_names is not None:
        if not 0 <= value < len(label_names):
            raise SynloomError(f"label index {value} outside the {len(label_names)} label names")
        return label_names[value]
    if isinstance(value, (int, str)):
        return str(value)
    raise SynloomError(f"label {value!r} is a {type(value).__name__}, expected a string")


def _load_from_disk(path: Path) -> Any:
    if not path.is_dir():
        raise SynloomError(f"no such dataset directory: {path}")
    from datasets import load_from_disk

    try:
        return load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise SynloomError(f"{path} is not a dataset saved with save_to_disk: {exc}") from None


def _pick_split(dataset_dict: Any, split: str | None) -> Any:
    splits = list(dataset_dict.keys())
    chosen = split or ("train" if "train" in splits else splits[0] if len(splits) == 1 else None)
    if chosen is None or chosen not in splits:
        raise SynloomError(f"choose a split of the dataset: {', '.join(splits)}")
    return dataset_dict[chosen]
