from __future__ import annotations

import csv
import json

import pytest

from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.fakes import FakeBackend
from tests.helpers import run_cli


@pytest.fixture
def run_dir(tmp_path):
    spec = parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "attributes": {"genre": ["comedy", "horror"]},
            "recipe": {
                "type": "zerogen",
                "prompt": 'A {genre} review, {verbalizer}: "',
                "min_words": 2,
            },
            "generation": {"samples_per_label": 12, "batch_size": 5, "stop": ['"']},
        }
    )
    run_generation(spec, tmp_path / "run", backend=FakeBackend())
    return tmp_path / "run"


def test_three_formats_hold_the_accepted_set(run_dir, tmp_path):
    with RunStore(run_dir) as store:
        want = [(s.id, s.label, s.text) for s in store.accepted()]
    assert len(want) == 24
    for fmt in ("jsonl", "csv", "parquet", "hf"):
        result = run_cli("export", run_dir, "--format", fmt, "--out", tmp_path / f"out.{fmt}")
        assert result.returncode == 0, result.stderr
    rows = [json.loads(ln) for ln in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(r["id"], r["label"], r["text"]) for r in rows] == want
    assert all(r["attributes"]["genre"] in {"comedy", "horror"} for r in rows)  # nested, typed
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        assert [(r["id"], r["label"], r["text"]) for r in csv.DictReader(fh)] == want

    from datasets import Dataset, load_from_disk

    pq = Dataset.from_parquet(str(tmp_path / "out.parquet"))
    hf = load_from_disk(str(tmp_path / "out.hf"))
    for ds in (pq, hf):  # the label is a ClassLabel: its index, named in spec order
        names = ds.features["label"].names
        assert names == ["positive", "negative"]
        assert list(zip(ds["id"], [names[i] for i in ds["label"]], ds["text"])) == want


def test_unknown_format_is_a_clear_error(run_dir):
    result = run_cli("export", run_dir, "--format", "xml")
    assert result.returncode == 2 and "unknown export format 'xml'" in result.stderr


def test_inspect_prints_counts_reasons_and_samples(run_dir):
    result = run_cli("inspect", run_dir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "positive" in out and "negative" in out and "accepted" in out
    with RunStore(run_dir) as store:
        first = store.accepted()[0].text
        reasons = store.rejection_reasons()
    assert first in out
    for reason in reasons:
        assert reason in out
