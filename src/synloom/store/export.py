"""Export a run's accepted samples (or a curation's kept samples, or the rejected and failed rows
for inspection) as JSONL, CSV, Parquet or a `datasets` directory, optionally split into
train/validation (seeded, stratified by label; at random for an unlabeled run). An instruction
run's samples also export as `alpaca` or chat `messages` JSONL (`export_instructions`).

The columns are typed (`export_table`): `label` is a `ClassLabel` named in the spec's label
order, request metadata are columns of their own (`round`, `context`, `attributes` as a struct,
`examples`), never a JSON string; an unlabeled run (instruction data) has no `label`. The files
are written by `export_writers`. An export with no row to write is a one-line error in every
format, and nothing is written.

`export_data` returns what it wrote (`ExportResult`), which the dataset card
(`synloom.report.card`, a layer above: it reads the quality scores and the evaluation) describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synloom.errors import StoreError, SynloomError
from synloom.store.curation_view import read_curation
from synloom.store.curations import check_curation_name
from synloom.store.export_instructions import INSTRUCTION_FORMATS, instruction_table
from synloom.store.export_records import record_fields
from synloom.store.export_split import SPLITS, check_fraction, random_split, stratified_split
from synloom.store.export_table import Table, accepted_table, label_names, rejected_table
from synloom.store.export_writers import FORMATS, SUFFIXES, is_hf_export, save_hf, write_file
from synloom.store.guards import reading
from synloom.store.run_store import RunStore

DEFAULT_STEMS = {"samples": "samples", "rejected": "rejected"}
HF_DIR = "hf_dataset"
CARD_FILE = "README.md"

__all__ = ["FORMATS", "ExportResult", "default_name", "export_data", "export_run", "output_paths"]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise SynloomError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def default_name(fmt: str, curation: str | None = None, *, rejected: bool = False) -> str:
    """The export's name in the run directory: `samples.jsonl`, `samples.csv`,
    `samples.parquet`, `hf_dataset`, `samples.alpaca.jsonl`, `samples.messages.jsonl`; a curated
    export gets its own (`samples-NAME.jsonl`), so it never overwrites the uncurated one;
    `--rejected` writes `rejected.jsonl` (`rejected_hf`)."""
    stem = "rejected" if rejected else "samples"
    if fmt == "hf":
        stem = "rejected_hf" if rejected else HF_DIR
    if curation is not None:
        stem += f"-{check_curation_name(curation)}"
    return stem + SUFFIXES[check_format(fmt)]


def _stem_suffix(target: Path) -> tuple[str, str]:
    return (target.stem, target.suffix) if target.suffix else (target.name, "")


def output_paths(target: Path, fmt: str, split: float | None) -> tuple[dict[str, Path], Path]:
    """(split name -> data file, card path) an export to `target` writes. Without a split the
    one file is `target` ("train"); with one, `STEM-train.EXT` and `STEM-validation.EXT` beside
    it. The card is `NAME.README.md` beside the files (`samples.jsonl.README.md`: exports of
    other formats or curations in the same folder keep their own), or `README.md` inside an
    `hf` directory (whose splits are its `train/` and `validation/`)."""
    target = Path(target)
    if fmt == "hf":
        files = {s: target / s for s in SPLITS} if split is not None else {"train": target}
        return files, target / CARD_FILE
    stem, suffix = _stem_suffix(target)
    card = target.with_name(f"{target.name}.{CARD_FILE}")
    if split is None:
        return {"train": target}, card
    return {s: target.with_name(f"{stem}-{s}{suffix}") for s in SPLITS}, card


@dataclass(frozen=True)
class ExportResult:
    """What one export wrote: `files` (split -> path), the `table` written (all splits) and
    each split's row indices into it, and where the card belongs."""

    run_dir: Path
    fmt: str
    target: Path
    files: dict[str, Path]
    card_path: Path
    table: Table
    splits: dict[str, list[int]]
    curation: str | None = None
    rejected: bool = False
    split: float | None = None
    split_seed: int | None = None
    curation_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def split_sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.splits.items()}

    def data_files(self) -> dict[str, str]:
        """Split -> the card's `data_files` pattern, relative to the card's folder."""
        base = self.card_path.parent
        out = {}
        for name, path in self.files.items():
            rel = path.relative_to(base).as_posix() if path != base else ""
            if self.fmt == "hf":
                out[name] = f"{rel}/data-*.arrow" if rel else "data-*.arrow"
            else:
                out[name] = rel
        return out


@reading
def _rounds(store: RunStore, stage: str) -> dict[str, int]:
    sql = "SELECT id, round FROM accepted WHERE stage = ?"
    return dict(store.db.execute(sql, (stage,)).fetchall())


@reading
def _rejected_rows(store: RunStore) -> list[dict[str, Any]]:
    """Every rejected output and failed request, in plan order (stage, round, idx)."""
    sql = (
        "SELECT r.id, r.stage, r.round, r.label, o.status, o.reason, o.detail, o.raw_text,"
        " o.completion, o.text, o.text_b, o.dup_of, o.finish_reason, r.attempts, r.context,"
        " r.prompt, r.idx FROM outputs o JOIN requests r ON r.id = o.request_id"
        " WHERE o.status = 'rejected'"
        " UNION ALL SELECT id, stage, round, label, 'failed', 'failed', error, NULL, NULL, NULL,"
        " NULL, NULL, NULL, attempts, context, prompt, idx FROM requests WHERE status = 'failed'"
        " ORDER BY 2, 3, 17"
    )
    keys = (
        "id",
        "stage",
        "round",
        "label",
        "status",
        "reason",
        "detail",
        "raw_text",
        "completion",
        "text",
        "text_b",
        "dup_of",
        "finish_reason",
        "attempts",
        "context",
        "prompt",
    )
    return [dict(zip(keys, row)) for row in store.db.execute(sql).fetchall()]


def read_table(
    run_dir: str | Path, *, curation: str | None = None, rejected: bool = False
) -> tuple[Table, dict[str, Any]]:
    """The rows an export of `run_dir` writes, and the curation's settings (if any). An empty
    table is a one-line error: nothing to export."""
    run_dir = Path(run_dir)
    settings: dict[str, Any] = {}
    with RunStore(run_dir) as store:
        if rejected:
            if curation is not None:
                raise SynloomError("--rejected exports the generation's rejects; drop --curation")
            table = rejected_table(_rejected_rows(store))
            if not table.rows:
                raise SynloomError(f"{run_dir} has no rejected or failed requests to export")
            return table, settings
        samples, weights = tuple(store.accepted()), None
        spec_labels = _spec_labels(store.manifest())
        record = record_fields(store.manifest())  # structured records: a column per field
        rounds = _rounds(store, "sample")
        if curation is not None:
            view = read_curation(store, curation, samples)
            samples = view.kept(samples)
            settings = dict(view.settings)
            if view.weighted:
                weights = [view.decisions[s.id].weight for s in samples]
    if not samples:
        what = f"curation {curation} keeps no samples" if curation else "no accepted samples"
        raise SynloomError(f"{run_dir}: {what}; there is nothing to export")
    names = label_names(spec_labels, [s.label for s in samples])
    return accepted_table(samples, names, rounds, weights, record), settings


def _spec_labels(manifest: dict[str, Any]) -> list[str]:
    spec = manifest.get("spec")
    labels = spec.get("labels") if isinstance(spec, dict) else None
    if not isinstance(labels, list):
        return []
    return [str(lab["name"]) for lab in labels if isinstance(lab, dict) and "name" in lab]


def _check_targets(store_dir: Path, fmt: str, files: dict[str, Path], card: Path) -> None:
    with RunStore(store_dir) as store:
        for path in [*files.values(), card]:
            if store.owns(path):
                raise StoreError(f"export target {path} is a file of the run store; choose another")
    if fmt == "hf":
        root = card.parent
        if root.exists() and (
            not root.is_dir() or (any(root.iterdir()) and not is_hf_export(root))
        ):
            raise SynloomError(
                f"cannot export to {root}: it is not an empty directory or an export"
            )


def export_data(
    run_dir: str | Path,
    fmt: str,
    out: str | Path | None = None,
    *,
    curation: str | None = None,
    split: float | None = None,
    split_seed: int = 0,
    rejected: bool = False,
    system: str | None = None,
) -> ExportResult:
    """Write the export's data files (not the card: `synloom.report.card.export_with_card`
    writes both) and return what was written. `system`: a system turn first in each
    conversation of a `messages` export."""
    check_format(fmt)
    run_dir = Path(run_dir)
    check_instruction_options(fmt, rejected, system)
    if split is not None:
        if rejected:
            raise SynloomError("--split divides the accepted samples; drop it with --rejected")
        check_fraction(split)
    target = Path(out) if out else run_dir / default_name(fmt, curation, rejected=rejected)
    files, card = output_paths(target, fmt, split)
    _check_targets(run_dir, fmt, files, card)
    table, settings = read_table(run_dir, curation=curation, rejected=rejected)
    everything = list(range(len(table.rows)))
    if split is None:
        splits = {"train": everything}
    elif "label" in table.names:
        labels = [row["label"] for row in table.rows]
        train, validation = stratified_split(labels, split, split_seed)
        splits = {"train": train, "validation": validation}
    else:  # unlabeled (instruction data): a seeded random share
        train, validation = random_split(len(table.rows), split, split_seed)
        splits = {"train": train, "validation": validation}
    if fmt in INSTRUCTION_FORMATS:  # the same rows (and split), as instruction/response pairs
        table = instruction_table(table, fmt, system=system, where=str(run_dir))
    parts = {name: table.select(rows) for name, rows in splits.items()}
    if fmt == "hf":
        save_hf(parts if split is not None else table, target)
    else:
        for name, path in files.items():
            write_file(parts[name], fmt, path)
    return ExportResult(
        run_dir=run_dir,
        fmt=fmt,
        target=target,
        files=files,
        card_path=card,
        table=table,
        splits=splits,
        curation=curation,
        rejected=rejected,
        split=split,
        split_seed=split_seed if split is not None else None,
        curation_settings=settings,
    )


def check_instruction_options(fmt: str, rejected: bool, system: str | None) -> None:
    """`alpaca` / `messages` export accepted samples; `--system` belongs to `messages`."""
    if fmt in INSTRUCTION_FORMATS and rejected:
        raise SynloomError(
            f"--rejected exports rows for inspection; use jsonl, csv, parquet or hf, not {fmt}"
        )
    if system is not None and fmt != "messages":
        raise SynloomError("--system adds a system turn to --format messages; drop it")


def export_run(
    run_dir: str | Path,
    fmt: str,
    out: str | Path | None = None,
    *,
    curation: str | None = None,
) -> Path:
    """Write the accepted samples of `run_dir` (or those `curation` keeps, with a `weight` column
    when it weights them) without a card; returns the path written."""
    return export_data(run_dir, fmt, out, curation=curation).target
