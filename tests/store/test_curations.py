"""Curations in the run store: start/resume/replace, scores with NaN, decisions, stores made
before the curation tables, and `open_run(run_dir, curation=NAME)`."""

from __future__ import annotations

import math
import shutil
import sqlite3

import pytest

from synloom.errors import StoreError, SynloomError
from synloom.generate import run_generation
from synloom.quality.stored import load_scores, save_scores
from synloom.spec import parse_spec
from synloom.store import RunStore, open_run
from synloom.store.curations import CURATION_TABLES, Decision, check_curation_name
from synloom.train.data import LabeledData
from tests.fakes import FakeBackend
from tests.store.runs import files_of

SPEC = {
    "name": "curations",
    "labels": [{"name": "positive"}, {"name": "negative"}],
    "recipe": {"type": "zerogen", "prompt": 'A {verbalizer} review: "'},
    "generation": {"samples_per_label": 6, "batch_size": 4, "stop": ['"']},
    "seed": 5,
}
SETTINGS = {"methods": ["margin"], "kinds": ["filter"], "keep": None, "weighted": False}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("curations") / "run"
    run_generation(parse_spec(SPEC), run_dir, backend=FakeBackend())
    return run_dir


@pytest.fixture
def run_dir(generated, tmp_path):
    shutil.copytree(generated, tmp_path / "run")
    return tmp_path / "run"


def sql(run_dir, query: str) -> list[tuple]:
    """`query`'s rows, read straight from the file (read-only, closed at once)."""
    uri = f"{(run_dir / 'run.sqlite').absolute().as_uri()}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def ids_of(run_dir) -> list[str]:
    with RunStore(run_dir) as store:
        return [s.id for s in store.accepted()]


def curate(run_dir, name, keep, weights=None, settings=SETTINGS):
    """A finished curation keeping the accepted samples at positions `keep`."""
    ids = ids_of(run_dir)
    weights = weights or [1.0] * len(ids)
    with RunStore(run_dir, writable=True) as store:
        store.start_curation(name, settings)
        store.put_method_scores(name, "margin", [(i, k / 10, {"k": k}) for k, i in enumerate(ids)])
        store.finish_step(name, 0, "margin", {"dropped": len(ids) - len(keep)})
        decisions = [
            (i, k in keep, None if k in keep else "margin<0", weights[k]) for k, i in enumerate(ids)
        ]
        store.finish_curation(name, decisions, {"kept": len(keep)})
    return ids


def test_start_resumes_equal_settings_and_refuses_or_replaces_others(run_dir):
    with RunStore(run_dir, writable=True) as store:
        assert store.start_curation("c1", SETTINGS) is True
        created = store.curation("c1").created_at
        store.put_method_scores("c1", "margin", [("s0-000000", 0.5, {})])
        assert store.start_curation("c1", dict(SETTINGS)) is False  # a resume: nothing changes
        assert store.curation("c1").created_at == created
        assert store.method_scores("c1", "margin") == {"s0-000000": (0.5, {})}
        other = SETTINGS | {"keep": 0.5}
        with pytest.raises(StoreError) as err:
            store.start_curation("c1", other)
        assert str(err.value) == (
            f"curation c1 already exists in {run_dir} with other settings (keep: stored None,"
            " given 0.5); choose another --name or pass --replace"
        )
        assert store.method_scores("c1", "margin") == {"s0-000000": (0.5, {})}
        assert store.start_curation("c1", other, replace=True) is True
        record = store.curation("c1")
        assert record.settings == other and record.status == "running" and record.summary is None
        assert store.method_scores("c1", "margin") == {}
        with pytest.raises(
            StoreError,
            match=r"\(pool_ids: stored absent, given \['s0-0000', 's0-0001', .{34}\.\.\.\); choose",
        ):
            store.start_curation("c1", other | {"pool_ids": [f"s0-{i:04d}" for i in range(500)]})
        assert store.start_curation("c2", SETTINGS) is True
        assert store.curation_names() == ["c1", "c2"]


def test_scores_keep_nan_steps_and_decisions_round_trip(run_dir):
    ids = ids_of(run_dir)
    with RunStore(run_dir, writable=True) as store:
        store.start_curation("c", SETTINGS)
        rows = [(ids[0], math.nan, {"why": "empty"}), (ids[1], None, {}), (ids[2], -1.25, {})]
        store.put_method_scores("c", "margin", rows)
        store.finish_step("c", 0, "margin", {"n": 3})
        assert store.finished_steps("c") == {0: ("margin", {"n": 3})}
    with RunStore(run_dir) as store:
        got = store.method_scores("c", "margin")
    assert sql(run_dir, "SELECT COUNT(*) FROM curation_scores WHERE score IS NULL") == [(2,)]
    assert math.isnan(got[ids[0]][0]) and got[ids[0]][1] == {"why": "empty"}
    assert math.isnan(got[ids[1]][0]) and got[ids[2]] == (-1.25, {})
    with RunStore(run_dir, writable=True) as store:
        with pytest.raises(SynloomError, match=r"has weight 1\.5, not in"):
            store.finish_curation("c", [(ids[0], True, None, 1.5)], {})
        assert store.curation("c").status == "running"  # nothing of a refused finish is kept
        assert store.decisions("c") == {}
        store.finish_curation("c", [(ids[0], True, None, 0.25), (ids[1], False, "low", 1.0)], {})
        assert store.decisions("c") == {
            ids[0]: Decision(True, None, 0.25),
            ids[1]: Decision(False, "low", 1.0),
        }
        assert store.curation("c").status == "done" and store.curation("c").finished_at
        with pytest.raises(StoreError, match="has no curation other; start it first"):
            store.put_method_scores("other", "margin", [(ids[0], 1.0, {})])
    with RunStore(run_dir) as store, pytest.raises(StoreError, match="open read-only"):
        store.start_curation("c3", SETTINGS)


@pytest.mark.parametrize("bad", ["", ".hidden", "-x", "a/b", "a b", "x" * 65, "é"])
def test_bad_curation_names_are_one_line_errors(bad):
    with pytest.raises(SynloomError, match="bad curation name"):
        check_curation_name(bad)
    assert check_curation_name("sungen_0.5+margin-v2") == "sungen_0.5+margin-v2"


def test_a_store_made_before_curations_reads_as_none_and_a_writer_adds_the_tables(run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    for table in CURATION_TABLES:
        db.execute(f"DROP TABLE {table}")
    db.close()
    before = files_of(run_dir)
    with RunStore(run_dir) as store:
        assert store.curation_names() == [] and store.curation("c") is None
        assert store.decisions("c") == {} and store.curation_scores("c") == {}
    run = open_run(run_dir)
    assert run.curation_names == [] and run.curation is None and run.weights is None
    with pytest.raises(StoreError, match=r"has no curation c \(it has none\)"):
        open_run(run_dir, curation="c")
    assert files_of(run_dir) == before  # readers changed nothing
    with RunStore(run_dir, writable=True) as store:
        assert store.curation_names() == []
    tables = {r[0] for r in sql(run_dir, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(CURATION_TABLES) <= tables
    curate(run_dir, "c", keep={0})
    assert len(open_run(run_dir, curation="c").samples) == 1


def test_open_run_with_a_curation_reads_its_kept_samples_and_weights(run_dir):
    ids = curate(run_dir, "half", keep=set(range(0, 12, 2)))
    weights = [1.0 - k / 20 for k in range(12)]
    curate(run_dir, "weighted", keep={1, 2, 3, 11}, weights=weights)
    plain = open_run(run_dir)
    assert plain.curation is None and plain.weights is None and plain.pool == plain.samples
    assert plain.curation_names == ["half", "weighted"]
    assert plain.evaluation_path == run_dir / "evaluation.json"

    run = open_run(run_dir, curation="half")
    assert [s.id for s in run.samples] == ids[0::2] and run.pool == plain.samples
    assert sum(run.label_counts.values()) == 6
    assert run.label_counts == {
        lab: sum(s.label == lab for s in run.samples) for lab in run.label_counts
    }
    assert run.weights is None  # every weight 1 and not marked weighted
    assert run.evaluation_path == run_dir / "evaluation-half.json"
    view = run.curation
    assert view.status == "done" and view.summary == {"kept": 6} and view.settings == SETTINGS
    assert view.scores["margin"][ids[3]] == pytest.approx(0.3)
    assert view.details["margin"][ids[3]] == {"k": 3}
    assert view.steps == {0: ("margin", {"dropped": 6})}
    assert view.decisions[ids[1]] == Decision(False, "margin<0", 1.0)
    assert LabeledData.from_run(run).weights is None

    run = open_run(run_dir, curation="weighted")
    assert [s.id for s in run.samples] == [ids[k] for k in (1, 2, 3, 11)]
    assert run.weights == tuple(weights[k] for k in (1, 2, 3, 11))
    data = LabeledData.from_run(run_dir, curation="weighted")
    assert data.weights == run.weights and data.texts == tuple(s.text for s in run.samples)


def test_a_weighted_setting_gives_weights_even_when_all_are_one(run_dir):
    curate(run_dir, "w", keep={0, 5}, settings=SETTINGS | {"weighted": True})
    assert open_run(run_dir, curation="w").weights == (1.0, 1.0)


def test_unknown_unfinished_and_outgrown_curations_are_one_line_errors(run_dir):
    with pytest.raises(StoreError, match=r"has no curation x \(it has none\)"):
        open_run(run_dir, curation="x")
    curate(run_dir, "done", keep={0})
    with pytest.raises(StoreError, match=r"has no curation x \(its curations: done\)"):
        open_run(run_dir, curation="x")
    with pytest.raises(SynloomError, match="bad curation name"):
        open_run(run_dir, curation="../x")
    ids = ids_of(run_dir)
    with RunStore(run_dir, writable=True) as store:
        store.start_curation("open", SETTINGS)
        store.start_curation("partial", SETTINGS)
        store.finish_curation("partial", [(i, True, None, 1.0) for i in ids[:-2]], {})
        store.start_curation("extra", SETTINGS)
        store.finish_curation("extra", [(i, True, None, 1.0) for i in [*ids, "gone"]], {})
    with pytest.raises(StoreError) as err:
        open_run(run_dir, curation="open")
    assert str(err.value) == (
        "curation open is unfinished; rerun the same synloom curate command to finish it"
    )
    with pytest.raises(StoreError) as err:
        open_run(run_dir, curation="partial")
    assert str(err.value) == (
        "the run has 2 accepted samples curation partial did not see; rerun synloom curate"
        f" {run_dir} --name partial --replace"
    )
    with pytest.raises(StoreError, match="decided on 1 samples the run no longer holds"):
        open_run(run_dir, curation="extra")


def test_curated_scores_are_stored_beside_the_uncurated_ones(run_dir):
    curate(run_dir, "c", keep={0, 1, 2})

    def result(n, value):
        return {"n_samples": n, "metrics": {"distinct_n": {"distinct_1": value}}, "settings": {}}

    with RunStore(run_dir, writable=True) as store:
        save_scores(store, result(12, 0.5))
        save_scores(store, result(3, 0.9), "c")
        assert load_scores(store)["metrics"] == {"distinct_n": {"distinct_1": 0.5}}
        assert load_scores(store, "c")["n_samples"] == 3
        assert load_scores(store, "c")["metrics"] == {"distinct_n": {"distinct_1": 0.9}}
    assert open_run(run_dir).scores.n_samples == 12
    assert open_run(run_dir, curation="c").scores.metrics == {"distinct_n": {"distinct_1": 0.9}}
    curate(run_dir, "unscored", keep={0})
    assert open_run(run_dir, curation="unscored").scores is None
