from __future__ import annotations

import json

import pytest

from synloom.errors import SynloomError
from synloom.evaluate.table import EVALUATION_FILE, evaluate_run, load_run_spec
from synloom.train.data import LabeledData


@pytest.fixture(scope="module")
def test_slice(datasets_dir) -> LabeledData:
    return LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(200))


def test_synthetic_and_gold_rows_are_scored_and_stored(sst2_run, datasets_dir, test_slice):
    gold = datasets_dir / "sst2/train_sentences.jsonl"
    table = evaluate_run(
        sst2_run, test_slice, gold_train=gold, tam="tfidf", seeds=[0, 1], prompting=False
    )
    assert [r.setting for r in table.rows] == ["tam-synthetic", "tam-gold"]
    synthetic, real = table.rows
    assert synthetic.n_train == 200 and real.n_train == 6920
    assert synthetic.n_test == real.n_test == 200 and synthetic.seeds == [0, 1]
    assert synthetic.accuracy > 0.55  # 200 real sentences stand in for synthetic ones
    assert real.accuracy > synthetic.accuracy  # 35x more real data
    assert synthetic.details["train_label_counts"] == {"negative": 87, "positive": 113}

    stored = json.loads((sst2_run / EVALUATION_FILE).read_text())
    assert stored["rows"][1]["accuracy"] == pytest.approx(real.accuracy)
    assert stored["gold_source"] == str(gold)
    text = table.format()
    assert "tam-gold" in text and f"{real.accuracy:.4f}" in text


def test_labels_the_spec_does_not_declare_are_refused(sst2_run, datasets_dir):
    trec = datasets_dir / "trec/test.jsonl"
    with pytest.raises(SynloomError, match="labels the spec does not declare: abbreviation"):
        evaluate_run(sst2_run, trec, prompting=False)


def test_run_spec_comes_from_the_manifest(sst2_run, tmp_path):
    assert load_run_spec(sst2_run).label_names == ["negative", "positive"]
    with pytest.raises(SynloomError, match="not a synloom run"):
        load_run_spec(tmp_path / "nowhere")


@pytest.mark.slow
def test_three_way_table_with_the_real_generator(sst2_run, test_slice):
    handful = test_slice.subset(range(16))
    table = evaluate_run(sst2_run, handful, gold_train=handful, calibrate=True, save=False)
    prompting = table.row("prompting")
    assert prompting.n_train is None and prompting.n_test == 16
    assert "zero-shot +calibration" in prompting.model
    assert set(prompting.details["content_free_log_prior"]) == {"negative", "positive"}
    assert sum(sum(r.values()) for r in prompting.details["report"]["confusion"].values()) == 16
    assert [r.setting for r in table.rows] == ["prompting", "tam-synthetic", "tam-gold"]
