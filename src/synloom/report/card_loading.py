"""The dataset card's "Loading" snippet: Python that loads exactly the shape this export wrote.

- JSONL / CSV / Parquet: `load_dataset(builder, data_files={split: file})`, paths relative to the
  card's folder; a `DatasetDict` whose splits are the export's (`train`, and `validation` with
  `--split`). JSONL and CSV carry no features, so the snippet casts `label` to the `ClassLabel`.
- `hf` without `--split`: `load_from_disk` gives a plain `Dataset`; with `--split` a
  `DatasetDict` (`train`, `validation`).
- On the Hub (`synloom push`): `load_dataset(REPO_ID)`, the card's `configs` give the splits.

Without a validation split the snippet ends with a seeded, label-stratified
`train_test_split` of the training rows; a rejected-rows export has neither."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from synloom.store.export_table import ClassLabelKind
from synloom.store.export_writers import BUILDERS

if TYPE_CHECKING:
    from synloom.store.export import ExportResult

HOLDOUT = 0.1


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def loading_code(result: ExportResult, hub_repo: str | None = None) -> str:
    """The snippet; it leaves the data in `ds`, and `train` / `validation` (a split export) or
    `splits` (a seeded 90/10 split of the samples) for accepted samples."""
    labels = next((k.names for _, k in result.table.columns if isinstance(k, ClassLabelKind)), ())
    is_dict = True  # whether `ds` is a DatasetDict (split name -> Dataset)
    if hub_repo is not None:
        lines = ["from datasets import load_dataset", "", f"ds = load_dataset({_quote(hub_repo)})"]
    elif result.fmt == "hf":
        is_dict = result.split is not None
        lines = [
            "from datasets import load_from_disk",
            "",
            f"# from the folder that holds {result.target.name}/",
            f"ds = load_from_disk({_quote(result.target.name)})",
        ]
    else:
        files = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in result.data_files().items())
        lines = [
            "from datasets import load_dataset",
            "",
            "# from the folder that holds this card",
            f"ds = load_dataset({_quote(BUILDERS[result.fmt])}, data_files={{{files}}})",
        ]
        if result.fmt in ("jsonl", "csv") and labels:
            lines[0] = "from datasets import ClassLabel, load_dataset"
            names = ", ".join(_quote(n) for n in labels)
            lines.append(f'ds = ds.cast_column("label", ClassLabel(names=[{names}]))')
    if result.rejected:
        return "\n".join(lines)
    if result.split is not None:
        lines.append('train, validation = ds["train"], ds["validation"]')
    else:
        rows = 'ds["train"]' if is_dict else "ds"
        stratify = ', stratify_by_column="label"' if labels else ""
        lines.append(
            f"splits = {rows}.train_test_split(test_size={HOLDOUT}{stratify}, seed=0)"
            "  # splits['train'], splits['test']"
        )
    return "\n".join(lines)


def loading_section(result: ExportResult, hub_repo: str | None = None) -> str:
    return "## Loading\n\n```python\n" + loading_code(result, hub_repo) + "\n```"
