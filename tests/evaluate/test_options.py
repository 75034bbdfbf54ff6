"""`EvaluationOptions`: one object carries how the table is built, through every level."""

from __future__ import annotations

import pytest

from synloom.errors import SynloomError
from synloom.evaluate.options import EvaluationOptions
from synloom.evaluate.table import evaluate_run
from synloom.train.data import LabeledData


def test_options_are_frozen_tuples_and_overrides_replace_fields():
    options = EvaluationOptions(strategies=["rce"], seeds=[0, 1])
    assert options.strategies == ("rce",) and options.seeds == (0, 1)
    changed = options.with_overrides(tam="finetune", seeds=[2])
    assert (changed.tam, changed.seeds, changed.strategies) == ("finetune", (2,), ("rce",))
    assert options.tam == "tfidf"
    with pytest.raises(SynloomError, match="unknown evaluation option"):
        options.with_overrides(seed=3)


def test_an_options_object_and_keywords_build_the_same_table(sst2_run, datasets_dir):
    test = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(100))
    options = EvaluationOptions(seeds=(0, 1), prompting=False)
    from_object = evaluate_run(sst2_run, test, options, save=False)
    from_keywords = evaluate_run(sst2_run, test, seeds=[0, 1], prompting=False, save=False)
    assert [r.setting for r in from_object.rows] == ["tam-synthetic"]
    assert from_object.rows[0].seeds == [0, 1]
    assert from_object.rows[0].accuracy == from_keywords.rows[0].accuracy
    assert from_object.rows[0].details["reports"] == from_keywords.rows[0].details["reports"]
