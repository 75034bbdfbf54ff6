from __future__ import annotations

import pytest

from synloom.errors import SynloomError
from synloom.evaluate.metrics import accuracy, classification_report, confusion, macro_f1

GOLD = ["pos", "pos", "pos", "neg", "neg", "neu"]
PRED = ["pos", "neg", "pos", "neg", "pos", "pos"]


def test_accuracy_and_macro_f1_by_hand():
    assert accuracy(GOLD, PRED) == pytest.approx(3 / 6)
    # pos: P 2/4, R 2/3 -> F1 4/7; neg: P 1/2, R 1/2 -> 1/2; neu: 0
    assert macro_f1(GOLD, PRED) == pytest.approx((4 / 7 + 1 / 2 + 0) / 3)
    # restricting to two labels averages only those
    assert macro_f1(GOLD, PRED, labels=["pos", "neg"]) == pytest.approx((4 / 7 + 1 / 2) / 2)


def test_confusion_rows_are_gold_and_sum_to_counts():
    table = confusion(GOLD, PRED)
    assert table["pos"] == {"neg": 1, "neu": 0, "pos": 2}
    assert table["neu"]["pos"] == 1
    assert sum(sum(row.values()) for row in table.values()) == len(GOLD)


def test_report_on_real_labels_with_a_constant_predictor(datasets_dir):
    from synloom.train.data import LabeledData

    gold = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").labels
    report = classification_report(gold, ["positive"] * len(gold))
    assert report["n"] == 1821
    assert report["accuracy"] == pytest.approx(909 / 1821)
    f1_pos = 2 * (909 / 1821) / (1 + 909 / 1821)
    assert report["macro_f1"] == pytest.approx(f1_pos / 2)
    assert report["f1_per_class"]["negative"] == 0.0
    assert report["confusion"]["negative"]["positive"] == 912


def test_mismatched_or_empty_inputs_raise():
    with pytest.raises(SynloomError, match="2 gold labels but 1"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(SynloomError, match="no examples"):
        macro_f1([], [])
