"""`open_run`: one read of a run directory that every reader (evaluate, score, report, training
data) takes its spec, samples and generated texts from."""

from __future__ import annotations

import shutil

import pytest

from synloom.errors import StoreError, SynloomError
from synloom.evaluate.table import EvaluationTable, TableRow, load_run_spec
from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.store import Run, RunStore, open_run
from synloom.train.data import LabeledData
from tests.fakes import FakeBackend

SINGLE = {
    "name": "open-run-single",
    "labels": [{"name": "positive"}, {"name": "negative"}],
    "seed_examples": [{"text": "a fine film", "label": "positive"}],
    "recipe": {"type": "zerogen", "prompt": 'A {verbalizer} review: "'},
    "generation": {"samples_per_label": 6, "batch_size": 4, "stop": ['"']},
    "seed": 3,
}
PAIR = {
    "name": "open-run-pair",
    "task": {"kind": "text_pair_classification"},
    "labels": [{"name": "entailment"}, {"name": "not_entailment"}],
    "recipe": {
        "type": "zerogen",
        "prompt": '"{context}" so, {verbalizer}: "',
        "contexts": ["a man sleeps on a bench", "two dogs run in a park", "a cook slices onions"],
    },
    "generation": {"samples_per_label": 5, "batch_size": 4, "stop": ['"']},
    "seed": 4,
}


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("single") / "run"
    run_generation(parse_spec(SINGLE), run_dir, backend=FakeBackend(fail_every=7))
    return run_dir


@pytest.fixture(scope="module")
def pair_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("pair") / "run"
    run_generation(parse_spec(PAIR), run_dir, backend=FakeBackend())
    return run_dir


def test_a_single_text_run_reads_as_the_store_holds_it(single_run):
    run = open_run(single_run)
    with RunStore(single_run) as store:
        manifest, accepted, counts = store.manifest(), store.accepted(), store.counts()
        reasons, failed = store.rejection_reasons(), store.failed()
    assert isinstance(run, Run) and run.stage == "sample"
    assert run.spec == parse_spec(SINGLE) and not run.spec.is_pair and not run.is_pair
    assert list(run.samples) == accepted and len(accepted) > 0
    assert run.texts == [s.text for s in accepted]
    assert run.sample_labels == [s.label for s in accepted]
    assert run.counts == counts and run.rejection_reasons == reasons
    assert list(run.failed) == failed and failed  # the fake backend fails every ~7th request
    assert sum(run.label_counts.values()) == counts["accepted"]
    assert run.manifest.spec == manifest["spec"] and run.manifest.seed == 3
    assert run.manifest.spec_hash == manifest["spec_hash"] and run.manifest.hash_version == 2
    assert run.manifest.schema_version == manifest["schema_version"]
    assert run.rejected_examples == {}  # only read when asked for
    assert run.scores is None and run.evaluation is None  # never scored, never evaluated


def test_a_pair_run_reads_the_generated_second_sentence(pair_run):
    run = open_run(pair_run)
    assert run.spec.is_pair and run.is_pair
    assert run.samples and all(s.text_b is not None for s in run.samples)
    assert run.texts == [s.text_b for s in run.samples]
    assert {s.text for s in run.samples} <= set(PAIR["recipe"]["contexts"])
    data = LabeledData.from_run(run)
    assert data.is_pair and list(data.texts_b) == run.texts


def test_rejected_examples_are_the_first_rows_of_each_reason(single_run):
    run = open_run(single_run, examples_per_reason=2)
    with RunStore(single_run) as store:
        rejected = store.rejected("sample")
    assert set(run.rejected_examples) == {r["reason"] for r in rejected}
    for reason, rows in run.rejected_examples.items():
        assert rows == [r for r in rejected if r["reason"] == reason][:2]


def test_the_readers_take_the_run_from_open_run(single_run):
    run = open_run(single_run)
    assert load_run_spec(single_run) == run.spec
    from_path, from_run = LabeledData.from_run(single_run), LabeledData.from_run(run)
    assert from_path == from_run and list(from_path.texts) == run.texts


def test_the_evaluation_is_read_only_when_asked_for(single_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(single_run, run_dir)
    row = TableRow("tam-synthetic", "tfidf", 0.75, 0.7, 12, 40, [0])
    EvaluationTable([row], ["positive", "negative"], "test.jsonl", None, 1.7e9).save(
        run_dir / "evaluation.json"
    )
    evaluation = open_run(run_dir).evaluation
    assert evaluation is not None and evaluation.row("tam-synthetic").accuracy == 0.75
    assert evaluation.labels == ["positive", "negative"] and evaluation.schema_version == 1

    (run_dir / "evaluation.json").write_text('{"rows": [{"accuracy": "high"}]}')
    run = open_run(run_dir)  # a broken evaluation.json does not stop readers that skip it
    assert run.spec.name == "open-run-single" and run.samples
    with pytest.raises(StoreError, match="is not a valid evaluation") as err:
        _ = run.evaluation
    assert "\n" not in str(err.value) and "rows.0.accuracy" in str(err.value)


def test_a_missing_spec_and_a_missing_run_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="not a synloom run"):
        open_run(tmp_path / "nowhere")
    with RunStore(tmp_path / "bare", create=True) as store:
        store.write_manifest({"seed": 1})
    run = open_run(tmp_path / "bare")
    assert run.samples == () and run.manifest.seed == 1
    with pytest.raises(SynloomError, match="the run manifest holds no spec"):
        _ = run.spec


def test_a_manifest_of_the_wrong_shape_is_refused_in_one_line(tmp_path):
    with RunStore(tmp_path / "run", create=True) as store:
        store.write_manifest({"spec": ["not", "a", "mapping"], "seed": "seven"})
    with pytest.raises(StoreError, match=r"manifest of .* could not be read") as err:
        open_run(tmp_path / "run")
    assert "\n" not in str(err.value)
