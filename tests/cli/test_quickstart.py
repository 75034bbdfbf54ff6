"""`synloom quickstart` end to end at a small size: real model, shipped real data, three rows."""

from __future__ import annotations

import json
import re

import pytest

from synloom.evaluate.table import EVALUATION_FILE
from synloom.quickstart_data import quickstart_paths, stratified_subset
from synloom.store import RunStore
from tests.helpers import run_cli


def test_shipped_data_is_real_sst2(datasets_dir):
    paths = quickstart_paths()
    assert paths.test.read_bytes() == (datasets_dir / "sst2/test.jsonl").read_bytes()
    shipped = paths.gold_train.read_bytes()
    assert shipped == (datasets_dir / "sst2/train_sentences.jsonl").read_bytes()


def test_test_subset_is_stratified_and_stable():
    paths = quickstart_paths()
    a, b = stratified_subset(paths.test, 1000), stratified_subset(paths.test, 1000)
    assert a.texts == b.texts and len(a) == 1000
    counts = a.label_counts()
    assert abs(counts["negative"] - 501) <= 1 and abs(counts["positive"] - 499) <= 1
    assert len(stratified_subset(paths.test, 0)) == 1821


@pytest.mark.slow
def test_quickstart_prints_the_three_rows(tmp_path):
    out = tmp_path / "qs"
    proc = run_cli(
        "quickstart",
        "--out",
        out,
        "--samples-per-label",
        "6",
        "--test-size",
        "24",
        "--tam",
        "tfidf",
        env={"SYNLOOM_PROGRESS": "1"},  # the bars on, though stderr is a pipe
    )
    assert proc.returncode == 0, proc.stderr
    for setting in ("prompting", "tam-synthetic", "tam-gold"):
        assert setting in proc.stdout
    # steps 2-3 report their progress on stderr, never on stdout
    err = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", proc.stderr)
    assert "3/3 models" in err and "tam-gold: training tfidf on 6920" in err
    assert "zero-shot label scores (LM)" in err and "/24 texts" in err
    assert re.search(r"ETA \d+:\d\d:\d\d", err) and "ETA" not in proc.stdout
    with RunStore(out) as store:
        assert store.label_counts() == {"negative": 6, "positive": 6}
    rows = json.loads((out / EVALUATION_FILE).read_text())["rows"]
    assert [r["n_test"] for r in rows] == [24, 24, 24]
    assert rows[2]["n_train"] == 6920
