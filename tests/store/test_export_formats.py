"""Exports of a real tiny run (real SST-2 sentences stored by the real engine) in every format:
`label` a ClassLabel in the spec's label order (Parquet through its schema metadata, as
`datasets` reads it), metadata as typed columns, JSONL nested, CSV flat, a seeded stratified
split, rejected rows for inspection, and a clear one-line error when there is nothing to export."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from synloom.store import RunStore
from tests.helpers import run_cli
from tests.store.export_runs import LABELS, make_empty_run, make_export_run
from tests.store.runs import error_lines, files_of


@pytest.fixture(scope="module")
def made(tmp_path_factory, datasets_dir):
    return make_export_run(tmp_path_factory.mktemp("export") / "run", datasets_dir)


@pytest.fixture
def run(made, tmp_path):
    shutil.copytree(made, tmp_path / "run")
    return tmp_path / "run"


def _accepted(run_dir):
    with RunStore(run_dir) as store:
        return store.accepted(), store.counts()


def _export(*args):
    result = run_cli("export", *args)
    assert result.returncode == 0, result.stderr
    return result


def test_parquet_and_hf_give_a_classlabel_in_spec_order_and_typed_columns(run, tmp_path):
    from datasets import ClassLabel, Dataset, load_dataset, load_from_disk

    samples, _ = _accepted(run)
    assert len(samples) == 24
    _export(run, "-f", "parquet", "-o", tmp_path / "s.parquet")
    _export(run, "-f", "hf", "-o", tmp_path / "s_hf")
    from_parquet = Dataset.from_parquet(str(tmp_path / "s.parquet"))
    loaded = load_dataset("parquet", data_files=str(tmp_path / "s.parquet"), split="train")
    from_disk = load_from_disk(str(tmp_path / "s_hf"))
    for ds in (from_parquet, loaded, from_disk):
        label = ds.features["label"]
        assert isinstance(label, ClassLabel) and label.names == LABELS
        assert [label.int2str(i) for i in ds["label"]] == [s.label for s in samples]
        assert ds["id"] == [s.id for s in samples] and ds["text"] == [s.text for s in samples]
        # typed metadata: a struct per sample's attributes, the few-shot examples as a list
        assert ds.features["attributes"] == {"genre": ds.features["text"]}
        assert [a["genre"] for a in ds["attributes"]] == [
            s.meta["attributes"]["genre"] for s in samples
        ]
        assert list(ds["examples"]) == [s.meta["examples"] for s in samples]
        assert ds.features["round"].dtype == "int64" and set(ds["round"]) == {0, 1}
        assert "meta" not in ds.column_names
        # what the issue asked for: a stratified split works on the export as it is
        parts = ds.train_test_split(test_size=0.25, stratify_by_column="label", seed=0)
        assert sorted(parts["test"]["label"]) == [0] * 3 + [1] * 3


def test_jsonl_is_nested_and_csv_is_flat(run, tmp_path):
    samples, _ = _accepted(run)
    _export(run, "-o", tmp_path / "s.jsonl")
    _export(run, "-f", "csv", "-o", tmp_path / "s.csv")
    rows = [json.loads(ln) for ln in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
    assert [(r["id"], r["label"], r["text"]) for r in rows] == [
        (s.id, s.label, s.text) for s in samples
    ]
    assert all(isinstance(r["attributes"], dict) and isinstance(r["examples"], list) for r in rows)
    assert [r["attributes"] for r in rows] == [s.meta["attributes"] for s in samples]
    with open(tmp_path / "s.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == [
        "id",
        "text",
        "label",
        "round",
        "context",
        "attributes.genre",
        "examples",
    ]
    assert [(r["id"], r["label"], r["text"]) for r in table] == [
        (s.id, s.label, s.text) for s in samples
    ]
    assert [r["attributes.genre"] for r in table] == [
        s.meta["attributes"]["genre"] for s in samples
    ]
    assert [json.loads(r["examples"]) for r in table] == [s.meta["examples"] for s in samples]

    from datasets import ClassLabel, load_dataset

    for builder, name in (("json", "s.jsonl"), ("csv", "s.csv")):
        ds = load_dataset(builder, data_files=str(tmp_path / name), split="train")
        ds = ds.cast_column("label", ClassLabel(names=LABELS))  # as the card's snippet says
        assert [ds.features["label"].int2str(i) for i in ds["label"]] == [s.label for s in samples]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "hf"])
def test_a_seeded_stratified_split_writes_two_parts(run, tmp_path, fmt):
    samples, _ = _accepted(run)
    by_id = {s.id: s.label for s in samples}
    out = tmp_path / ("s" if fmt == "hf" else f"s.{fmt}")
    result = _export(run, "-f", fmt, "-o", out, "--split", "0.25", "--split-seed", "7")
    assert "train: " in result.stdout and "validation: " in result.stdout
    parts = _read_split(fmt, out)
    train, validation = parts["train"], parts["validation"]
    assert sorted(train + validation) == sorted(by_id)  # every sample once
    assert [by_id[i] for i in validation].count("positive") == 3  # round(0.25 x 12) per label
    assert [by_id[i] for i in validation].count("negative") == 3
    again = tmp_path / "again"
    again.mkdir()
    out2 = again / out.name
    _export(run, "-f", fmt, "-o", out2, "--split", "0.25", "--split-seed", "7")
    assert _read_split(fmt, out2) == parts  # the same seed gives the same split
    _export(run, "-f", fmt, "-o", out2, "--split", "0.25", "--split-seed", "8")
    assert _read_split(fmt, out2)["validation"] != validation  # another seed, another draw


def _read_split(fmt, out):
    if fmt == "hf":
        from datasets import load_from_disk

        dd = load_from_disk(str(out))
        return {name: list(dd[name]["id"]) for name in ("train", "validation")}
    parts = {}
    for name in ("train", "validation"):
        path = out.with_name(f"{out.stem}-{name}{out.suffix}")
        if fmt == "jsonl":
            parts[name] = [json.loads(ln)["id"] for ln in path.read_text().splitlines()]
        elif fmt == "csv":
            with open(path, encoding="utf-8", newline="") as fh:
                parts[name] = [r["id"] for r in csv.DictReader(fh)]
        else:
            import pyarrow.parquet as pq

            parts[name] = pq.read_table(path).column("id").to_pylist()
    return parts


def test_rejected_rows_are_exported_with_raw_text_and_reason(run, tmp_path):
    _, counts = _accepted(run)
    with RunStore(run) as store:
        stored = {r["id"]: r for r in store.rejected()}
    assert counts["rejected"] == len(stored) > 0
    _export(run, "--rejected", "-o", tmp_path / "r.jsonl")
    rows = [json.loads(ln) for ln in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rows} == set(stored)
    for row in rows:
        want = stored[row["id"]]
        assert (row["reason"], row["raw_text"], row["status"]) == (
            want["reason"],
            want["raw_text"],
            "rejected",
        )
        assert row["prompt"] and row["round"] in (0, 1)
    assert {r["reason"] for r in rows} >= {"too_short", "unterminated"}
    _export(run, "--rejected", "-f", "parquet", "-o", tmp_path / "r.parquet")
    from datasets import Dataset

    assert sorted(Dataset.from_parquet(str(tmp_path / "r.parquet"))["id"]) == sorted(stored)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "hf"])
def test_a_run_with_nothing_accepted_is_one_line_in_every_format(tmp_path, datasets_dir, fmt):
    empty = make_empty_run(tmp_path / "empty", datasets_dir)
    assert _accepted(empty)[1]["accepted"] == 0 and _accepted(empty)[1]["rejected"] > 0
    before = files_of(tmp_path)
    result = run_cli("export", empty, "-f", fmt)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"error: {empty}: no accepted samples; there is nothing to export"
    ]
    assert files_of(tmp_path) == before  # nothing written, no card either
    # its rejects are still there to look at
    assert run_cli("export", empty, "--rejected", "-f", fmt).returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--split", "1.5"), "error: --split 1.5 is not a fraction between 0 and 1"),
        (("--split", "0"), "error: --split 0.0 is not a fraction between 0 and 1"),
        (("--rejected", "--split", "0.1"), "error: --split divides the accepted samples"),
        (("--rejected", "--curation", "x"), "error: --rejected exports the generation's rejects"),
    ],
)
def test_bad_export_options_are_one_line(run, args, message):
    before = files_of(run)
    result = run_cli("export", run, *args)
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert files_of(run) == before


def test_card_features_are_what_datasets_writes(run, tmp_path):
    """The card's YAML `features` equal `datasets.Features._to_yaml_list()` of the exported
    Parquet file's features."""
    from datasets import Dataset

    from synloom.report.card import read_card

    _export(run, "-f", "parquet", "-o", tmp_path / "s.parquet")
    meta, _ = read_card(tmp_path / "s.parquet.README.md")
    features = Dataset.from_parquet(str(tmp_path / "s.parquet")).features
    assert meta["dataset_info"]["features"] == features._to_yaml_list()
