"""The dataset card written with every export: a README.md with YAML front matter in the
Hugging Face dataset-card conventions (`pretty_name`, `task_categories`, `size_categories`,
`configs` with the data files of each split, `dataset_info.features` with the label's class
names), a `synloom:` block with the run's provenance (`card_provenance`), and a Markdown body
(`card_body`) that says the same in words and cites the methods used.

It lives above `evaluate` because it reads the quality scores and the evaluation; the export's
data files come from `synloom.store.export`. `export_with_card` writes both.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from synloom.errors import SynloomError
from synloom.report.card_body import card_body
from synloom.report.card_provenance import provenance
from synloom.store.export import ExportResult, export_data
from synloom.store.export_writers import yaml_features

# https://huggingface.co/docs/hub/datasets-cards: the size buckets the Hub filters on.
SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)
FRONT_MATTER = "---\n"
# The Hub's task category of a spec's task.kind (classification kinds are text-classification).
TASK_CATEGORIES = {"instruction": "text-generation"}


def size_category(n: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if n < limit:
            return name
    return "n>100M" if n < 1_000_000_000 else "n>1B"


def _num_bytes(result: ExportResult, split: str) -> int:
    """The bytes of a split's data files as written (the card's `num_bytes`)."""
    path = result.files[split]
    if path.is_dir():
        pattern = "data-*.arrow" if result.fmt == "hf" else "*"
        return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def card_metadata(result: ExportResult, block: dict[str, Any]) -> dict[str, Any]:
    """The YAML front matter."""
    spec_name = block.get("spec_name") or result.run_dir.name
    config = "rejected" if result.rejected else "default"
    recipe = block["recipe"].get("type")
    return {
        "pretty_name": f"{spec_name} (rejected outputs)" if result.rejected else str(spec_name),
        "task_categories": [TASK_CATEGORIES.get(block["task"].get("kind"), "text-classification")],
        "size_categories": [size_category(len(result.table.rows))],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "source_datasets": ["original"],
        "tags": ["synthetic", "synloom"] + ([f"recipe-{recipe}"] if recipe else []),
        "configs": [
            {
                "config_name": config,
                "data_files": [
                    {"split": split, "path": path} for split, path in result.data_files().items()
                ],
            }
        ],
        "dataset_info": {
            "config_name": config,
            "features": yaml_features(result.table, result.fmt),
            "splits": [
                {"name": split, "num_bytes": _num_bytes(result, split), "num_examples": n}
                for split, n in result.split_sizes.items()
            ],
        },
        "synloom": block,
    }


def build_card(result: ExportResult, hub_repo: str | None = None) -> str:
    """The card's text for what `result` exported; `hub_repo`: the Hub repository the export is
    pushed to (its loading snippet then reads from there)."""
    from synloom.store import open_run

    run = open_run(result.run_dir, curation=result.curation)
    block = provenance(run, result)
    meta = card_metadata(result, block)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    return FRONT_MATTER + front + FRONT_MATTER + "\n" + card_body(result, block, hub_repo)


def read_card(path: str | Path) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a card file."""
    text = Path(path).read_text("utf-8")
    if not text.startswith(FRONT_MATTER):
        raise SynloomError(f"{path} has no YAML front matter")
    front, sep, body = text[len(FRONT_MATTER) :].partition("\n" + FRONT_MATTER)
    if not sep:
        raise SynloomError(f"{path}: the YAML front matter is not closed")
    return yaml.safe_load(front), body


def write_card(
    result: ExportResult, path: str | Path | None = None, hub_repo: str | None = None
) -> Path:
    """Write the card (default: `result.card_path`) through a temporary file."""
    path = Path(path) if path is not None else result.card_path
    text = build_card(result, hub_repo)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def export_with_card(
    run_dir: str | Path, fmt: str, out: str | Path | None = None, **options: Any
) -> ExportResult:
    """`synloom export`: the data files (`export_data`, same options) and their card."""
    result = export_data(run_dir, fmt, out, **options)
    write_card(result)
    return result
