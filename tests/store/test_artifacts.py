"""Typed run artifacts: the manifest, the stored scores and evaluation.json round-trip through
their writers, carry a schema version, and what the previous version wrote still loads."""

from __future__ import annotations

import json

import pytest

from synloom.errors import StoreError
from synloom.evaluate.table import EvaluationTable, TableRow
from synloom.quality.stored import load_scores, save_scores
from synloom.store import RunStore, open_run
from synloom.store.artifacts import (
    EVALUATION_FILE,
    Evaluation,
    Manifest,
    StoredScores,
    read_evaluation,
)

SPEC = {"name": "old-run", "labels": [{"name": "yes"}, {"name": "no"}], "seed": 5}

# What `check_or_write_manifest` wrote before the manifest was typed (plus the store's row).
MANIFEST_V2 = {
    "spec": SPEC,
    "spec_hash": "0123456789abcdef",
    "hash_version": 2,
    "data_fingerprint": {"labels": SPEC["labels"], "recipe": {"contexts_file": None}},
    "contexts_sha256": None,
    "seed": 5,
    "created_at": 1_700_000_000.5,
    "versions": {"synloom": "0.1.0", "torch": None, "python": "3.11.9"},
}
# A run made before hash version 2: no hash_version, fingerprint or contexts digest.
MANIFEST_LEGACY = {"spec": SPEC, "spec_hash": "fedcba9876543210", "seed": 5, "created_at": 1.6e9}

# The `scores` rows `save_scores` wrote before the rows were typed (no schema_version row).
OLD_SCORE_ROWS = {
    "distinct_n": {"distinct_1": 0.5, "distinct_2": 0.8},
    "mauve": {"mauve": 0.9},
    "stale_metric": {"value": 1.0},  # left by an earlier scoring, not listed in its settings
    "score:settings": {
        "max_model_samples": 0,
        "mauve_max_samples": 2000,
        "seed": 0,
        "reference": "val.jsonl",
        "n_reference": 200,
        "n_seed_texts": 4,
        "scorer": None,
        "is_pair": False,
        "scored_at": 1_700_000_100.25,
        "duration_s": 12.5,
        "n_samples": 60,
        "metrics": ["distinct_n", "mauve"],
    },
    "score:skipped": {"perplexity": "disabled (--max-model-samples 0)"},
    "score:timings_s": {"distinct_n": 0.01, "mauve": 3.2},
    "score:plot_data": {
        "lengths": {"unit": "words", "synthetic": {"yes": {"4": 2}}, "reference": None},
        "embedding_map": {"synthetic": {"x": [0.1], "y": [0.2], "label": ["yes"], "text": ["a"]}},
    },
}

# evaluation.json as `EvaluationTable.save` wrote it before it was typed (no schema_version).
OLD_EVALUATION = {
    "created_at": 1_700_000_200.0,
    "gold_source": None,
    "labels": ["yes", "no"],
    "rows": [
        {
            "accuracy": 0.8,
            "accuracy_std": 0.0,
            "details": {
                "report": {"accuracy": 0.8, "confusion": {"yes": {"yes": 4, "no": 1}}},
                "notes": [],
            },
            "macro_f1": 0.79,
            "macro_f1_std": 0.0,
            "model": "tfidf",
            "n_test": 5,
            "n_train": 60,
            "seconds": 0.4,
            "seeds": [0],
            "setting": "tam-synthetic",
        }
    ],
    "test_source": "test.jsonl",
}


def _store_with_manifest(run_dir, manifest):
    with RunStore(run_dir, create=True) as store:
        store.write_manifest(manifest)


def test_a_manifest_round_trips_through_the_store_with_its_version(tmp_path):
    written = Manifest.model_validate(MANIFEST_V2)
    _store_with_manifest(tmp_path / "run", written.values())
    with RunStore(tmp_path / "run") as store:
        raw = store.manifest()
    assert raw == MANIFEST_V2 | {"schema_version": 1}
    assert Manifest.model_validate(raw) == written
    assert open_run(tmp_path / "run").manifest == written


@pytest.mark.parametrize("old", [MANIFEST_V2, MANIFEST_LEGACY], ids=["v2", "legacy"])
def test_manifests_written_before_the_model_still_load(tmp_path, old):
    _store_with_manifest(tmp_path / "run", old | {"from_a_later_version": [1, 2]})
    run = open_run(tmp_path / "run")
    assert run.manifest.schema_version == 1
    assert run.manifest.spec == SPEC and run.manifest.seed == 5
    assert run.manifest.hash_version == old.get("hash_version")
    assert run.manifest.model_extra == {"from_a_later_version": [1, 2]}  # kept, not refused
    assert run.manifest.outline().label_names == ["yes", "no"]
    assert run.spec.name == "old-run"


def test_stored_scores_round_trip_and_carry_their_version(tmp_path):
    result = {
        "n_samples": 3,
        "metrics": {"distinct_n": {"distinct_1": 0.5}},
        "skipped": {"mauve": "needs reference (real) data"},
        "timings_s": {"distinct_n": 0.1},
        "settings": {"seed": 0, "scored_at": 1.7e9, "n_reference": 0},
        "plot_data": {"lengths": {"unit": "words", "synthetic": {"yes": {"2": 3}}}},
    }
    with RunStore(tmp_path / "run", create=True) as store:
        assert save_scores(store, result) == 1
        rows = store.scores()
        loaded = load_scores(store)
    assert rows["score:schema_version"] == 1
    scores = StoredScores.from_rows(rows)
    assert scores.schema_version == 1 and scores.n_samples == 3
    assert scores.settings.metrics == ["distinct_n"] and scores.settings.n_samples == 3
    assert scores.plot_data.lengths.synthetic == {"yes": {"2": 3}}
    assert scores.plot_data.embedding_map is None
    assert loaded == {
        "n_samples": 3,
        "metrics": result["metrics"],
        "skipped": result["skipped"],
        "timings_s": result["timings_s"],
        "settings": result["settings"] | {"n_samples": 3, "metrics": ["distinct_n"]},
        "plot_data": result["plot_data"],
    }


def test_scores_stored_by_the_previous_version_still_load(tmp_path):
    _store_with_manifest(tmp_path / "run", {"spec": SPEC})
    with RunStore(tmp_path / "run", writable=True) as store, store.transaction():
        for name, value in OLD_SCORE_ROWS.items():
            store.put_score(name, value)
    run = open_run(tmp_path / "run")
    scores = run.scores
    assert scores.schema_version == 1  # no version row: the first version
    assert set(scores.metrics) == {"distinct_n", "mauve"}  # the stale row stays out
    assert scores.settings.scorer is None and scores.settings.n_reference == 200
    assert scores.settings.duration_s == 12.5 and scores.settings.model_extra["is_pair"] is False
    assert scores.plot_data.lengths.reference is None
    assert scores.plot_data.embedding_map["synthetic"]["label"] == ["yes"]
    with RunStore(tmp_path / "run") as store:
        loaded = load_scores(store)
    assert loaded["settings"] == OLD_SCORE_ROWS["score:settings"]
    assert loaded["plot_data"] == OLD_SCORE_ROWS["score:plot_data"]
    assert loaded["skipped"] == OLD_SCORE_ROWS["score:skipped"] and loaded["n_samples"] == 60


def test_scores_of_the_wrong_shape_are_one_line_errors(tmp_path):
    _store_with_manifest(tmp_path / "run", {"spec": SPEC})
    with RunStore(tmp_path / "run", writable=True) as store:
        store.put_score("score:settings", {"metrics": [], "n_reference": "many"})
    run = open_run(tmp_path / "run")
    assert run.samples == ()  # reading the run does not need the scores
    with pytest.raises(StoreError, match=r"settings\.n_reference") as err:
        _ = run.scores
    assert "\n" not in str(err.value)


def test_evaluation_json_round_trips_with_its_version(tmp_path):
    row = TableRow("tam-synthetic", "tfidf", 0.8, 0.79, 60, 5, [0, 1], 0.01, 0.02, 0.4)
    table = EvaluationTable([row], ["yes", "no"], "test.jsonl", None, 1_700_000_300.0)
    path = table.save(tmp_path / EVALUATION_FILE)
    stored = json.loads(path.read_text("utf-8"))
    assert stored["schema_version"] == 1
    assert stored == table.to_json() | {"schema_version": 1}  # same fields, plus the version
    evaluation = read_evaluation(path)
    assert evaluation == table.artifact()
    assert evaluation.row("tam-synthetic").seeds == [0, 1]


def test_evaluation_json_of_the_previous_version_still_loads(tmp_path):
    path = tmp_path / EVALUATION_FILE
    path.write_text(json.dumps(OLD_EVALUATION | {"added_later": True}), "utf-8")
    evaluation = read_evaluation(path)
    assert isinstance(evaluation, Evaluation) and evaluation.schema_version == 1
    row = evaluation.row("tam-synthetic")
    assert (row.accuracy, row.n_train, row.n_test, row.seeds) == (0.8, 60, 5, [0])
    assert row.details["report"]["confusion"] == {"yes": {"yes": 4, "no": 1}}
    assert evaluation.test_source == "test.jsonl" and evaluation.gold_source is None
    assert evaluation.model_extra == {"added_later": True}
    assert read_evaluation(tmp_path / "absent.json") is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"labels": []}', "rows"),
        (b'{"rows": [{"n_test": true}]}', "rows.0.n_test"),
        (b'{"rows": [], "created_at": 1e300}', "is not a time"),
        (b'{"rows": [{"details": {"reports": {"0": {"confusion": {"a": 1}}}}}]}', "confusion"),
        (b"\n\n{not json", "JSONDecodeError"),
    ],
)
def test_an_evaluation_json_synloom_never_writes_is_a_one_line_error(tmp_path, content, problem):
    path = tmp_path / EVALUATION_FILE
    path.write_bytes(content)
    with pytest.raises(StoreError, match="is not a valid evaluation") as err:
        read_evaluation(path)
    assert problem in str(err.value) and "\n" not in str(err.value)
