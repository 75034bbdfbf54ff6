"""`synloom curate` through the real CLI process: help, one-line errors with exit 2 that change
nothing, and a real curation of a noisy SST-2 run that export and evaluate then read."""

from __future__ import annotations

import json
import random

import pytest

from synloom.store import open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.cli.conftest import tree_snapshot
from tests.evaluate.conftest import SST2_SPEC
from tests.helpers import run_cli


@pytest.fixture()
def noisy_run(tmp_path, datasets_dir):
    """120 real SST-2 sentences, every fifth label flipped, and 8 real seed rows per label."""
    rows = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").to_records()
    random.Random(3).shuffle(rows)
    flip = {"positive": "negative", "negative": "positive"}
    flipped = [i % 5 == 0 for i in range(120)]
    pool = [r | {"label": flip[r["label"]]} if f else r for r, f in zip(rows, flipped)]
    seeds = [r for lab in flip for r in [x for x in rows[200:400] if x["label"] == lab][:8]]
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in seeds))
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, LabeledData.from_records(pool))
    return run_dir, flipped


def test_help_lists_the_methods():
    out = run_cli("curate", "--help")
    assert out.returncode == 0
    for method in ("likelihood", "margin", "judge", "consistency", "cartography", "sungen"):
        assert method in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "nope"], "unknown curation method 'nope'"),
        (["--method", "random"], "ranks samples without dropping any"),
        (["--method", "random", "--keep", "1.5"], "--keep must be a fraction"),
        (["--method", "random", "--keep", "0.5", "--per-label", "3"], "at most one of"),
        (["--method", "margin", "--set", "margin.threshold=high"], "--set margin.threshold"),
        (["--method", "margin", "--set", "threshold=1"], "--set takes METHOD.KEY=VALUE"),
        (["--method", "margin", "--set", "sungen.steps=1"], "not one of the methods"),
        (["--method", "random", "--keep", "0.5", "--name", "-x"], "bad curation name"),
        (["--method", "consistency"], "needs real seed examples"),
        (["--method", "random", "--same-size-as", "nothing"], "no finished curation"),
    ],
)
def test_bad_invocations_are_one_line_and_change_nothing(noisy_run, args, message):
    run_dir, _ = noisy_run
    before = tree_snapshot(run_dir.parent)
    out = run_cli("curate", run_dir, *args)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert tree_snapshot(run_dir.parent) == before


def test_a_missing_run_is_one_line(tmp_path):
    out = run_cli("curate", tmp_path / "absent", "--method", "random", "--keep", "0.5")
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "absent").exists()


def test_curate_then_export_and_evaluate_the_kept_samples(noisy_run, tmp_path, datasets_dir):
    run_dir, flipped = noisy_run
    seeds = run_dir.parent / "seeds.jsonl"
    out = run_cli(
        "curate", run_dir, "--method", "consistency", "--method", "sungen", "--seed-data", seeds
    )
    assert out.returncode == 0, out.stderr
    assert "consistency+sungen" in out.stdout
    run = open_run(run_dir, curation="consistency+sungen")
    assert run.weights is not None and len(run.samples) < len(run.pool)
    kept_flipped = sum(f for s, f in zip(run.pool, flipped) if run.curation.decisions[s.id].kept)
    dropped_flipped = sum(flipped) - kept_flipped
    assert dropped_flipped > kept_flipped  # the filter removes most flipped labels
    again = run_cli(
        "curate", run_dir, "--method", "consistency", "--method", "sungen", "--seed-data", seeds
    )
    assert again.returncode == 0 and "already done" in again.stdout

    shown = run_cli("inspect", run_dir)
    assert shown.returncode == 0 and "consistency+sungen" in shown.stdout
    assert f"{len(run.samples)} / {len(run.pool)}" in shown.stdout

    exported = run_cli("export", run_dir, "--curation", "consistency+sungen")
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(x) for x in (run_dir / "samples-consistency+sungen.jsonl").open()]
    assert len(rows) == len(run.samples) and all(0 <= r["weight"] <= 1 for r in rows)
