"""`--curation NAME` on export, evaluate, score and report: the kept samples (with weights), in
outputs of their own that never overwrite the uncurated ones; an unknown curation is one line.

The run's samples are real SST-2 sentences stored by the real engine (tests/report/runs.py); the
curation is written by hand through the store, as `synloom curate` would."""

from __future__ import annotations

import json
import shutil

import pytest

from synloom.store import RunStore
from tests.helpers import run_cli
from tests.report.runs import make_run, write_reference
from tests.store.runs import error_lines, files_of

KEEP = 10  # of 24 accepted samples
SETTINGS = {"methods": ["sungen"], "kinds": ["weight"], "keep": None, "weighted": True}


@pytest.fixture(scope="module")
def curated(tmp_path_factory, datasets_dir):
    """A run of 24 real sentences with the finished curation `w`: the first 10 kept, weighted."""
    base = tmp_path_factory.mktemp("curated")
    run_dir = make_run(base / "run", datasets_dir, per_label=12)
    with RunStore(run_dir, writable=True) as store:
        ids = [s.id for s in store.accepted()]
        assert len(ids) == 24
        store.start_curation("w", SETTINGS)
        decisions = [
            (i, k < KEEP, None if k < KEEP else "low weight", (k + 1) / 30)
            for k, i in enumerate(ids)
        ]
        store.finish_curation("w", decisions, {"kept": KEEP})
    test = write_reference(base / "test.jsonl", datasets_dir, n=60)
    return run_dir, test, ids


@pytest.fixture
def run(curated, tmp_path):
    shutil.copytree(curated[0], tmp_path / "run")
    return tmp_path / "run"


def test_export_writes_the_kept_samples_with_their_weights_beside_the_full_export(run, curated):
    ids = curated[2]
    full = run_cli("export", run)
    assert full.returncode == 0, full.stderr
    before = (run / "samples.jsonl").read_bytes()
    result = run_cli("export", run, "--curation", "w")
    assert result.returncode == 0, result.stderr
    assert (run / "samples.jsonl").read_bytes() == before
    rows = [json.loads(line) for line in (run / "samples-w.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ids[:KEEP]
    assert [r["weight"] for r in rows] == pytest.approx([(k + 1) / 30 for k in range(KEEP)])
    assert all("weight" not in json.loads(line) for line in before.decode().splitlines())

    result = run_cli("export", run, "--curation", "w", "-f", "parquet", "-o", run / "w.parquet")
    assert result.returncode == 0, result.stderr
    from datasets import Dataset

    table = Dataset.from_parquet(str(run / "w.parquet"))
    assert table["id"] == ids[:KEEP] and table["weight"] == pytest.approx(
        [(k + 1) / 30 for k in range(KEEP)]
    )


def test_evaluate_with_a_curation_saves_its_own_table(run, curated):
    test = curated[1]
    args = ("evaluate", run, "--test", test, "--tam", "tfidf", "--no-prompting")
    plain = run_cli(*args)
    assert plain.returncode == 0, plain.stderr
    before = (run / "evaluation.json").read_bytes()
    result = run_cli(*args, "--curation", "w")
    assert result.returncode == 0, result.stderr
    assert "synthetic data: curation w" in result.stdout and "evaluation-w.json" in result.stdout
    assert (run / "evaluation.json").read_bytes() == before
    table = json.loads((run / "evaluation-w.json").read_text())
    assert table["curation"] == "w" and table["rows"][0]["n_train"] == KEEP
    assert json.loads(before)["curation"] is None
    assert json.loads(before)["rows"][0]["n_train"] == 24


@pytest.mark.slow  # embeds the samples with the real MiniLM twice (40 s on 2 busy cores)
def test_score_and_report_with_a_curation_keep_the_uncurated_outputs(run):
    plain = run_cli("score", run, "--max-model-samples", "0")
    assert plain.returncode == 0, plain.stderr
    result = run_cli("score", run, "--max-model-samples", "0", "--curation", "w")
    assert result.returncode == 0, result.stderr
    assert "(curation w): 10 samples" in result.stdout.replace("\n", " ")
    from synloom.store import open_run

    assert open_run(run).scores.n_samples == 24
    assert open_run(run, curation="w").scores.n_samples == KEEP
    assert open_run(run, curation="w").scores.settings.model_extra["curation"] == "w"

    assert run_cli("report", run).returncode == 0
    before = (run / "report.html").read_bytes()
    result = run_cli("report", run, "--curation", "w")
    assert result.returncode == 0, result.stderr
    assert (run / "report.html").read_bytes() == before
    assert (run / "report-w.html").is_file()


@pytest.mark.parametrize("command", ["export", "evaluate", "score", "report"])
def test_an_unknown_curation_is_one_line_and_exit_2(run, curated, command):
    extra = ("--test", str(curated[1])) if command == "evaluate" else ()
    before = files_of(run)
    result = run_cli(command, run, *extra, "--curation", "nope")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"error: {run} has no curation nope (its curations: w); run synloom curate first"
    ]
    bad = run_cli(command, run, *extra, "--curation", "../x")
    assert bad.returncode == 2 and len(error_lines(bad.stderr)) == 1
    assert error_lines(bad.stderr)[0].startswith("error: bad curation name '../x'")
    assert files_of(run) == before  # nothing written, the store unchanged


def test_an_export_never_overwrites_a_curations_stored_evaluation(tmp_path):
    from tests.helpers import run_cli

    run_dir = tmp_path / "run"
    from synloom.testing.records_run import write_records_run
    from synloom.train.data import LabeledData
    from tests.evaluate.conftest import SST2_SPEC

    rows = [{"text": f"a fine film number {i}", "label": "positive"} for i in range(3)]
    rows += [{"text": f"a dull film number {i}", "label": "negative"} for i in range(3)]
    write_records_run(run_dir, SST2_SPEC, LabeledData.from_records(rows))
    for target in ("evaluation-x.json", "evaluation-other.json"):
        out = run_cli("export", run_dir, "--out", run_dir / target)
        assert out.returncode == 2 and "a file synloom keeps in a run" in out.stderr
        assert not (run_dir / target).exists()
